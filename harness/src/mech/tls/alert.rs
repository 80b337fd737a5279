//! Alert messages (RFC 8446 §6, RFC 5246 §7.2): level (1), description (1).

use super::TlsError;

/// An alert as received.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Alert {
    /// 1 warning, 2 fatal.
    pub level: u8,
    pub description: u8,
}

impl Alert {
    /// Parses the first alert of an (unencrypted) Alert record fragment.
    pub fn parse(fragment: &[u8]) -> Result<Alert, TlsError> {
        match fragment {
            [level, description, ..] => Ok(Alert {
                level: *level,
                description: *description,
            }),
            _ => Err(TlsError::Truncated {
                what: "alert",
                have: fragment.len(),
                need: 2,
            }),
        }
    }

    /// The RFC name of the description (`handshake_failure`), or its number.
    pub fn name(&self) -> String {
        description_name(self.description)
    }
}

/// Alert description names (RFC 8446 §6, RFC 5246 §7.2, RFC 7507, RFC 8446 additions).
pub fn description_name(d: u8) -> String {
    let n = match d {
        0 => "close_notify",
        10 => "unexpected_message",
        20 => "bad_record_mac",
        21 => "decryption_failed",
        22 => "record_overflow",
        30 => "decompression_failure",
        40 => "handshake_failure",
        41 => "no_certificate",
        42 => "bad_certificate",
        43 => "unsupported_certificate",
        44 => "certificate_revoked",
        45 => "certificate_expired",
        46 => "certificate_unknown",
        47 => "illegal_parameter",
        48 => "unknown_ca",
        49 => "access_denied",
        50 => "decode_error",
        51 => "decrypt_error",
        60 => "export_restriction",
        70 => "protocol_version",
        71 => "insufficient_security",
        80 => "internal_error",
        86 => "inappropriate_fallback",
        90 => "user_canceled",
        100 => "no_renegotiation",
        109 => "missing_extension",
        110 => "unsupported_extension",
        112 => "unrecognized_name",
        113 => "bad_certificate_status_response",
        115 => "unknown_psk_identity",
        116 => "certificate_required",
        120 => "no_application_protocol",
        other => return other.to_string(),
    };
    n.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_name() {
        let a = Alert::parse(&[2, 40]).unwrap();
        assert_eq!((a.level, a.name()), (2, "handshake_failure".to_string()));
        assert_eq!(Alert::parse(&[2, 70]).unwrap().name(), "protocol_version");
        assert_eq!(description_name(250), "250");
        assert!(Alert::parse(&[2]).is_err());
    }
}
