//! The `integrity-protected` parameter the P-CSCF adds to Authorization towards the S-CSCF
//! (TS 24.229 §7.2A.2): how the REGISTER was protected on the access side.

use std::fmt;
use std::str::FromStr;

/// The values TS 24.229 §7.2A.2 defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum IntegrityProtected {
    /// Received over IPsec SAs set up by IMS AKA.
    Yes,
    /// Not protected (initial REGISTER of IMS AKA).
    No,
    /// TLS session set up, authentication not yet done (SIP digest with TLS).
    TlsPending,
    /// TLS session set up and the UE authenticated.
    TlsYes,
    /// IP association (NASS-IMS bundled / GPRS-IMS bundled) not yet checked.
    IpAssocPending,
    /// IP association verified.
    IpAssocYes,
    /// The P-CSCF has authenticated the UE itself.
    AuthDone,
}

impl IntegrityProtected {
    pub const ALL: [IntegrityProtected; 7] = [
        IntegrityProtected::Yes,
        IntegrityProtected::No,
        IntegrityProtected::TlsPending,
        IntegrityProtected::TlsYes,
        IntegrityProtected::IpAssocPending,
        IntegrityProtected::IpAssocYes,
        IntegrityProtected::AuthDone,
    ];
    /// The parameter value.
    pub fn token(self) -> &'static str {
        match self {
            IntegrityProtected::Yes => "yes",
            IntegrityProtected::No => "no",
            IntegrityProtected::TlsPending => "tls-pending",
            IntegrityProtected::TlsYes => "tls-yes",
            IntegrityProtected::IpAssocPending => "ip-assoc-pending",
            IntegrityProtected::IpAssocYes => "ip-assoc-yes",
            IntegrityProtected::AuthDone => "auth-done",
        }
    }
}

impl FromStr for IntegrityProtected {
    type Err = String;
    /// Case-insensitive, quotes removed by the caller.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|v| v.token().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("'{s}' is not an integrity-protected value (TS 24.229 §7.2A.2)"))
    }
}

impl fmt::Display for IntegrityProtected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.token())
    }
}

#[cfg(test)]
mod tests {
    use super::IntegrityProtected;

    #[test]
    fn every_value_round_trips_and_others_are_refused() {
        for v in IntegrityProtected::ALL {
            assert_eq!(v.token().parse::<IntegrityProtected>(), Ok(v));
        }
        assert_eq!("TLS-Yes".parse(), Ok(IntegrityProtected::TlsYes));
        assert!("maybe".parse::<IntegrityProtected>().is_err());
        assert!("".parse::<IntegrityProtected>().is_err());
    }
}
