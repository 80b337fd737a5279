//! The server's handshake messages after ServerHello that a TLS 1.2 client sees in clear:
//! Certificate (RFC 5246 §7.4.2; the TLS 1.3 form of RFC 8446 §4.4.2 for decrypted input),
//! CertificateRequest (RFC 5246 §7.4.4; TS 33.203 Annex O: the P-CSCF must not request
//! UE certificates) and ServerHelloDone (RFC 5246 §7.4.5).

use super::reader::{u16_list, Reader};
use super::TlsError;

/// The DER certificates of a Certificate message, end-entity first. `tls13` selects the RFC
/// 8446 §4.4.2 layout (request context and per-entry extensions).
pub fn parse_certificate(body: &[u8], tls13: bool) -> Result<Vec<Vec<u8>>, TlsError> {
    let mut r = Reader::new("certificate", body);
    if tls13 {
        r.vec8(0, 255)?;
    }
    let list = r.vec24(0, 0xff_ffff)?;
    r.finish()?;
    let mut l = Reader::new("certificate_list", list);
    let mut out = Vec::new();
    while l.remaining() > 0 {
        out.push(l.vec24(1, 0xff_ffff)?.to_vec());
        if tls13 {
            l.vec16(0, 0xffff)?;
        }
    }
    Ok(out)
}

/// A TLS 1.0–1.2 CertificateRequest (RFC 5246 §7.4.4; RFC 4346 §7.4.4 has no
/// supported_signature_algorithms).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CertificateRequest {
    /// ClientCertificateType values (1 rsa_sign, 2 dss_sign, 64 ecdsa_sign, ...).
    pub certificate_types: Vec<u8>,
    /// SignatureAndHashAlgorithm values (TLS 1.2 only).
    pub signature_algorithms: Vec<u16>,
    /// DER DistinguishedNames of acceptable CAs.
    pub certificate_authorities: Vec<Vec<u8>>,
}

impl CertificateRequest {
    /// Parses the body for negotiated `version` (TLS1_0..=TLS1_2).
    pub fn parse(body: &[u8], version: u16) -> Result<CertificateRequest, TlsError> {
        let mut r = Reader::new("certificate_request", body);
        let certificate_types = r.vec8(1, 255)?.to_vec();
        let signature_algorithms = if version >= super::TLS1_2 {
            u16_list("supported_signature_algorithms", r.vec16(2, 0xfffe)?)?
        } else {
            Vec::new()
        };
        let cas = r.vec16(0, 0xffff)?;
        r.finish()?;
        let mut c = Reader::new("certificate_authorities", cas);
        let mut certificate_authorities = Vec::new();
        while c.remaining() > 0 {
            certificate_authorities.push(c.vec16(1, 0xffff)?.to_vec());
        }
        Ok(CertificateRequest {
            certificate_types,
            signature_algorithms,
            certificate_authorities,
        })
    }
}

/// Checks a ServerHelloDone body is empty (RFC 5246 §7.4.5: `struct { } ServerHelloDone`).
pub fn parse_server_hello_done(body: &[u8]) -> Result<(), TlsError> {
    if body.is_empty() {
        Ok(())
    } else {
        Err(TlsError::Trailing {
            what: "server_hello_done",
            extra: body.len(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificate_list() {
        let body = [0, 0, 9, 0, 0, 2, 0xa, 0xb, 0, 0, 1, 0xc];
        assert_eq!(
            parse_certificate(&body, false).unwrap(),
            vec![vec![0xa, 0xb], vec![0xc]]
        );
        assert!(parse_certificate(&body[..11], false).is_err());
        let t13 = [0, 0, 0, 6, 0, 0, 1, 0xc, 0, 0];
        assert_eq!(parse_certificate(&t13, true).unwrap(), vec![vec![0xc]]);
        assert!(parse_certificate(&[0, 0, 3, 0, 0, 0], false).is_err());
    }

    #[test]
    fn certificate_request_versions() {
        let body12 = [1, 1, 0, 2, 4, 1, 0, 4, 0, 2, 0x30, 0];
        let cr = CertificateRequest::parse(&body12, super::super::TLS1_2).unwrap();
        assert_eq!(cr.certificate_types, vec![1]);
        assert_eq!(cr.signature_algorithms, vec![0x0401]);
        assert_eq!(cr.certificate_authorities, vec![vec![0x30, 0]]);
        let body11 = [2, 1, 64, 0, 0];
        let cr = CertificateRequest::parse(&body11, super::super::TLS1_1).unwrap();
        assert_eq!(
            (cr.certificate_types, cr.signature_algorithms.len()),
            (vec![1, 64], 0)
        );
        assert!(CertificateRequest::parse(&body11, super::super::TLS1_2).is_err());
        assert!(parse_server_hello_done(&[]).is_ok());
        assert!(parse_server_hello_done(&[0]).is_err());
    }
}
