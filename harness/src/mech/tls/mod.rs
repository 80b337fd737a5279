//! TLS handshake wire formats for the TLS sec-agree mechanism (TS 33.203 Annex O; RFC 3329
//! mechanism `tls`): the record header (RFC 5246 §6.2.1, RFC 8446 §5.1), handshake framing
//! (RFC 5246 §7.4, RFC 8446 §4), ClientHello build/parse, ServerHello, Certificate,
//! CertificateRequest, ServerHelloDone, alerts (RFC 8446 §6), and the cipher-suite registry.
//!
//! Pure: no I/O, no clock; the random and key-share octets are passed in. Never panics on input.
//! Only what a prober needs to see in clear is here: TLS 1.3 encrypts everything after the
//! ServerHello, so a CertificateRequest is only visible up to TLS 1.2.

pub mod alert;
pub mod handshake;
pub mod hello;
mod reader;
pub mod record;
pub mod record_crypto;
pub mod server;
pub mod suites;

pub use alert::Alert;
pub use handshake::{HandshakeBuffer, HandshakeMsg, HandshakeType};
pub use hello::{ClientHello, Extension, ServerHello};
pub use record::{ContentType, Record, RecordRepr};

/// Protocol version code points (RFC 8446 §4.2.1, RFC 5246 Appendix E).
pub const TLS1_0: u16 = 0x0301;
pub const TLS1_1: u16 = 0x0302;
pub const TLS1_2: u16 = 0x0303;
pub const TLS1_3: u16 = 0x0304;

/// The name of a version code point (`TLSv1.2`, or the hex code).
pub fn version_name(v: u16) -> String {
    match v {
        0x0300 => "SSLv3".into(),
        TLS1_0 => "TLSv1.0".into(),
        TLS1_1 => "TLSv1.1".into(),
        TLS1_2 => "TLSv1.2".into(),
        TLS1_3 => "TLSv1.3".into(),
        other => format!("0x{other:04x}"),
    }
}

/// Parses `1.0`, `1.1`, `1.2`, `1.3` (optionally prefixed `TLSv`/`tls`).
pub fn parse_version(text: &str) -> Result<u16, String> {
    let t = text.trim();
    let t = t
        .strip_prefix("TLSv")
        .or_else(|| t.strip_prefix("tlsv"))
        .or_else(|| t.strip_prefix("tls"))
        .unwrap_or(t);
    match t {
        "1.0" | "1" => Ok(TLS1_0),
        "1.1" => Ok(TLS1_1),
        "1.2" => Ok(TLS1_2),
        "1.3" => Ok(TLS1_3),
        _ => Err(format!(
            "'{text}' is not a TLS version (1.0, 1.1, 1.2, 1.3)"
        )),
    }
}

/// Why TLS octets could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlsError {
    #[error("{what}: truncated ({have} octets, {need} needed)")]
    Truncated {
        what: &'static str,
        have: usize,
        need: usize,
    },
    #[error("{what}: {extra} octets after the end")]
    Trailing { what: &'static str, extra: usize },
    #[error("{what}: length {len} outside {min}..={max}")]
    BadLength {
        what: &'static str,
        len: usize,
        min: usize,
        max: usize,
    },
    #[error("{what}: {why}")]
    Invalid {
        what: &'static str,
        why: &'static str,
    },
}

/// Runs every parser of this module on arbitrary octets (fuzz target `tls`, smoke test).
pub fn fuzz_parsers(data: &[u8]) {
    let mut rest = data;
    let mut hs = HandshakeBuffer::default();
    while let Ok(Some((rec, used))) = record::next_record(rest) {
        if rec.content_type() == ContentType::Handshake as u8 {
            let _ = hs.push(rec.fragment());
        }
        if rec.content_type() == ContentType::Alert as u8 {
            let _ = Alert::parse(rec.fragment());
        }
        rest = rest.get(used..).unwrap_or(&[]);
    }
    while let Ok(Some(m)) = hs.next_message() {
        let _ = ServerHello::parse(&m.body).map(|s| (s.selected_version(), s.is_hello_retry()));
        if let Ok(c) = ClientHello::parse(&m.body) {
            let _ = c.offered_versions();
            let _ = c.server_name();
            let _ = c.emit();
        }
        let _ = server::parse_certificate(&m.body, false);
        let _ = server::parse_certificate(&m.body, true);
        let _ = server::CertificateRequest::parse(&m.body, TLS1_2);
        let _ = server::CertificateRequest::parse(&m.body, TLS1_1);
    }
    let _ = ClientHello::parse(data);
    let _ = ServerHello::parse(data);
    let _ = server::parse_certificate(data, false);
    let _ = server::CertificateRequest::parse(data, TLS1_2);
    let _ = Alert::parse(data);
}
