//! TLS endpoint SUT profiles: `builtin:tls`, `builtin:tls:<flaw>[,<flaw>]`, or a YAML file with
//! `kind: tls` (docs/sut-profile.md, "TLS endpoint"):
//!
//! ```yaml
//! kind: tls
//! name: Kamailio 5.6 TLS (conformant profile)
//! target: 127.0.0.1:5061         # the TLS listener
//! server_name: pcscf.ims.example # SNI and the name the certificate must carry (RFC 6125)
//! trust_anchor: ca.pem           # PEM file (relative to this file): RFC 5280 trust anchor(s)
//! min_version: "1.2"             # the lowest version the profile allows
//! sec_agree_tls: false           # whether it negotiates `tls` with RFC 3329 (Kamailio: no)
//! timeout_ms: 3000
//! ```

use crate::mech::tls::{parse_version, TLS1_2};
use rustls::pki_types::CertificateDer;
use serde::Deserialize;
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::Path;

/// Deliberate flaws of the built-in TLS endpoint (each fails its own cases).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TlsFlaw {
    /// Answers an offer that contains a null-cipher suite with that suite (a raw responder:
    /// rustls cannot negotiate null suites).
    NullCipher,
    /// Accepts TLS 1.0/1.1 (a raw responder).
    OldVersion,
    /// Sends a CertificateRequest (TS 33.203 Annex O: the P-CSCF must not).
    CertRequest,
    /// Presents an expired certificate.
    ExpiredCert,
    /// Presents a certificate for another name.
    WrongName,
}

impl TlsFlaw {
    pub const ALL: [TlsFlaw; 5] = [
        TlsFlaw::NullCipher,
        TlsFlaw::OldVersion,
        TlsFlaw::CertRequest,
        TlsFlaw::ExpiredCert,
        TlsFlaw::WrongName,
    ];

    pub fn name(self) -> &'static str {
        match self {
            TlsFlaw::NullCipher => "tls-null-cipher",
            TlsFlaw::OldVersion => "tls-old-version",
            TlsFlaw::CertRequest => "tls-cert-request",
            TlsFlaw::ExpiredCert => "tls-expired-cert",
            TlsFlaw::WrongName => "tls-wrong-name",
        }
    }
}

impl std::str::FromStr for TlsFlaw {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        TlsFlaw::ALL
            .iter()
            .copied()
            .find(|f| f.name() == s)
            .ok_or_else(|| {
                format!(
                    "unknown TLS flaw '{s}' (known: {})",
                    TlsFlaw::ALL.map(|f| f.name()).join(", ")
                )
            })
    }
}

pub type TlsFlaws = BTreeSet<TlsFlaw>;

/// Where the TLS endpoint is.
#[derive(Debug, Clone)]
pub enum TlsTarget {
    /// The built-in endpoint (rustls, plus a raw responder for the flaws rustls cannot have),
    /// started per case on loopback with a lab CA.
    Builtin(TlsFlaws),
    External {
        addr: SocketAddr,
        server_name: String,
        trust_anchors: Vec<CertificateDer<'static>>,
    },
}

/// A TLS endpoint SUT.
#[derive(Debug, Clone)]
pub struct TlsSut {
    pub target: TlsTarget,
    /// The lowest version the profile allows (TLS1_2 unless the profile says otherwise).
    pub min_version: u16,
    /// Whether the SUT negotiates `tls` with RFC 3329 sec-agree.
    pub sec_agree_tls: bool,
}

/// The name the built-in endpoint's certificate carries.
pub const BUILTIN_NAME: &str = "pcscf.ims.example";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[allow(dead_code)]
    kind: String,
    name: String,
    target: String,
    server_name: String,
    trust_anchor: String,
    #[serde(default = "v12")]
    min_version: String,
    #[serde(default)]
    sec_agree_tls: bool,
    #[serde(default = "tmo")]
    timeout_ms: u64,
}

fn v12() -> String {
    "1.2".into()
}
fn tmo() -> u64 {
    3000
}

/// `builtin:tls[:flaw,...]` → the built-in endpoint, or `None` when `spec` is not one.
pub fn builtin(spec: &str) -> Option<Result<TlsSut, String>> {
    let flaws: TlsFlaws = match crate::engine::sut::builtin_flaws(spec, "builtin:tls")? {
        Ok(f) => f,
        Err(e) => return Some(Err(e)),
    };
    Some(Ok(TlsSut {
        target: TlsTarget::Builtin(flaws),
        min_version: TLS1_2,
        sec_agree_tls: false,
    }))
}

/// A `kind: tls` profile file at `path`: (name, SUT, timeout ms, the profile for the report).
pub fn from_yaml(
    text: &str,
    path: &Path,
) -> Result<(String, TlsSut, u64, serde_json::Value), String> {
    let f: File = serde_yaml_ng::from_str(text).map_err(|e| e.to_string())?;
    let addr: SocketAddr = f
        .target
        .parse()
        .map_err(|_| format!("target: '{}' is not IP:port", f.target))?;
    let min_version = parse_version(&f.min_version).map_err(|e| format!("min_version: {e}"))?;
    let anchor = path
        .parent()
        .unwrap_or_else(|| Path::new("."))
        .join(&f.trust_anchor);
    let pem =
        std::fs::read(&anchor).map_err(|e| format!("trust_anchor {}: {e}", anchor.display()))?;
    let trust_anchors = crate::net::tls::trust_anchors_from_pem(&pem)
        .map_err(|e| format!("trust_anchor {}: {e}", anchor.display()))?;
    let raw: serde_json::Value = serde_yaml_ng::from_str(text).map_err(|e| e.to_string())?;
    Ok((
        f.name,
        TlsSut {
            target: TlsTarget::External {
                addr,
                server_name: f.server_name,
                trust_anchors,
            },
            min_version,
            sec_agree_tls: f.sec_agree_tls,
        },
        f.timeout_ms,
        raw,
    ))
}

/// True when the YAML text is a `kind: tls` profile.
pub fn is_tls_profile(text: &str) -> bool {
    serde_yaml_ng::from_str::<serde_yaml_ng::Value>(text)
        .ok()
        .and_then(|v| v.get("kind").and_then(|k| k.as_str().map(|s| s == "tls")))
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_specs() {
        assert!(builtin("builtin").is_none());
        assert!(builtin("builtin:seg").is_none());
        let s = builtin("builtin:tls").unwrap().unwrap();
        assert!(matches!(s.target, TlsTarget::Builtin(ref f) if f.is_empty()));
        let s = builtin("builtin:tls:tls-null-cipher,tls-wrong-name")
            .unwrap()
            .unwrap();
        assert!(matches!(s.target, TlsTarget::Builtin(ref f) if f.len() == 2));
        assert!(builtin("builtin:tls:nope").unwrap().is_err());
        assert!(builtin("builtin:tlsx").is_none());
        assert!(is_tls_profile("kind: tls\nname: x"));
        assert!(!is_tls_profile("kind: seg"));
    }
}
