//! The `tls:` block of a P-CSCF SUT profile: the P-CSCF negotiates the RFC 3329 `tls`
//! mechanism (TS 33.203 Annex O), and how the harness UE reaches and validates it.
//!
//! ```yaml
//! tls:
//!   sips_port: 5061                 # "TLS first" (default 5061)
//!   server_name: pcscf.ims.example  # the name its certificate must carry (RFC 6125)
//!   trust_anchor: ca.pem            # PEM trust anchor(s), relative to the profile (RFC 5280)
//! ```
//!
//! Without it, the cases of `testcases/tls-sec-agree/` do not apply to the profile.

use rustls::pki_types::CertificateDer;
use serde::Deserialize;
use std::path::{Path, PathBuf};

fn sips() -> u16 {
    5061
}

/// The block as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsAgreeProfile {
    #[serde(default = "sips")]
    pub sips_port: u16,
    pub server_name: String,
    pub trust_anchor: PathBuf,
}

/// The block resolved (trust anchors read).
#[derive(Debug, Clone)]
pub struct TlsAgreeSut {
    pub sips_port: u16,
    pub server_name: String,
    pub anchors: Vec<CertificateDer<'static>>,
}

impl TlsAgreeProfile {
    /// Reads the trust anchors (`trust_anchor` relative to `base`, the profile's directory).
    pub fn resolve(&self, base: &Path) -> Result<TlsAgreeSut, String> {
        let path = base.join(&self.trust_anchor);
        let pem = std::fs::read(&path)
            .map_err(|e| format!("tls.trust_anchor {}: {e}", path.display()))?;
        let anchors = crate::net::tls::trust_anchors_from_pem(&pem)
            .map_err(|e| format!("tls.trust_anchor {}: {e}", path.display()))?;
        Ok(TlsAgreeSut {
            sips_port: self.sips_port,
            server_name: self.server_name.clone(),
            anchors,
        })
    }
}
