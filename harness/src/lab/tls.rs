//! TLS of a lab (the `tls` sec-agree mechanism, TS 33.203 Annex O): the built-in P-CSCF's
//! certificate, generated at start-up by a lab CA ([`TestPki`]), its server config (never a
//! CertificateRequest, but for the `tls-request-client-cert` flaw), and the UE's client config
//! trusting that CA and expecting the P-CSCF's name, with an optional key log (SSLKEYLOGFILE
//! format, next to the case's pcapng).

use crate::net::tcp_tls::{CertCheck, TlsSetup};
use crate::net::tls::{
    client_config, server_config, ClientOptions, Identity, KeyLogFile, ServerOptions, TestPki,
    Validity,
};
use crate::roles::pcscf::{Flaw, Flaws};
use rustls::pki_types::CertificateDer;
use std::net::IpAddr;
use std::sync::Arc;

/// The P-CSCF's name in the lab certificate (the UE validates it, RFC 6125).
pub const PCSCF_NAME: &str = "pcscf.imsec.test";

/// The name on the certificate of the `tls-agree-wrong-name-cert` flaw.
pub const OTHER_NAME: &str = "other-host.imsec.test";

/// What the UE side of a lab needs to run TLS.
#[derive(Debug, Clone)]
pub struct LabTls {
    /// Trust anchors of the UE (RFC 5280 §6).
    pub anchors: Vec<CertificateDer<'static>>,
    /// The name the P-CSCF's certificate must carry.
    pub server_name: String,
    /// Refuse a session whose certificate does not validate (a `strict_cert` step, as in
    /// TLS-AGREE-CERT-01). Otherwise the UE validates every certificate and records the typed
    /// problem ([`CertCheck`]) but goes on, so that only `tls_agree_certificate_valid` judges
    /// the certificate and every other case judges its own requirement.
    pub strict_cert: bool,
    /// The key log the UE's sessions write to (SSLKEYLOGFILE format), once set.
    pub keylog: Option<Arc<KeyLogFile>>,
}

impl LabTls {
    /// UE trust in `anchors` for `server_name`, not strict, no key log.
    pub fn new(anchors: Vec<CertificateDer<'static>>, server_name: String) -> LabTls {
        LabTls {
            anchors,
            server_name,
            strict_cert: false,
            keylog: None,
        }
    }

    /// The UE's client set-up; `keylog` (or the one set before) receives the session secrets.
    pub fn client_setup(&self, keylog: Option<Arc<KeyLogFile>>) -> Result<TlsSetup, String> {
        let cfg = client_config(
            &self.anchors,
            &ClientOptions {
                keylog: keylog.or_else(|| self.keylog.clone()),
                ..ClientOptions::default()
            },
        )
        .map_err(|e| e.to_string())?;
        Ok(TlsSetup {
            server: None,
            client: Some((cfg, self.server_name.clone())),
            cert_check: Some(CertCheck {
                anchors: self.anchors.clone(),
                strict: self.strict_cert,
            }),
        })
    }
}

/// The server set-up for a P-CSCF identity (chain and key). Seed 004: "The P-CSCF must not
/// request UE certificates" — only the `tls-request-client-cert` flaw does (naming `ca`).
pub fn server_setup(
    id: &Identity,
    ca: CertificateDer<'static>,
    flaws: &Flaws,
) -> Result<TlsSetup, String> {
    let opts = ServerOptions {
        request_client_cert: flaws
            .contains(&Flaw::TlsRequestClientCert)
            .then(|| vec![ca]),
        ..ServerOptions::default()
    };
    let cfg = server_config(id, &opts).map_err(|e| e.to_string())?;
    Ok(TlsSetup {
        server: Some(cfg),
        ..TlsSetup::default()
    })
}

/// A fresh lab CA and a P-CSCF certificate for `names` (DNS names or IP literals) made at
/// start-up: the server set-up and the CA (PEM) the UE must trust.
pub fn generated(names: &[&str], flaws: &Flaws) -> Result<(TlsSetup, LabTls, String), String> {
    let pki = TestPki::new("imsec lab CA").map_err(|e| e.to_string())?;
    // Flawed variants: a certificate past its validity (RFC 5280 §4.1.2.5, §6.1.3), or one
    // naming another host (RFC 6125 §6); the UE still expects `names[0]`.
    let validity = if flaws.contains(&Flaw::TlsAgreeExpiredCert) {
        Validity::Expired
    } else {
        Validity::Current
    };
    let issued: &[&str] = if flaws.contains(&Flaw::TlsAgreeWrongNameCert) {
        &[OTHER_NAME]
    } else {
        names
    };
    let id = pki.issue(issued, validity).map_err(|e| e.to_string())?;
    let setup = server_setup(&id, pki.ca_der(), flaws)?;
    Ok((
        setup,
        LabTls::new(
            vec![pki.ca_der()],
            names.first().copied().unwrap_or(PCSCF_NAME).to_string(),
        ),
        pki.ca_pem(),
    ))
}

/// A P-CSCF certificate loaded from PEM files (chain, end-entity first, and key).
pub fn loaded(chain_pem: &[u8], key_pem: &[u8], flaws: &Flaws) -> Result<TlsSetup, String> {
    let id = Identity::from_pem(chain_pem, key_pem).map_err(|e| e.to_string())?;
    let ca = id
        .chain
        .last()
        .cloned()
        .ok_or("the certificate chain is empty")?;
    server_setup(&id, ca, flaws)
}

/// A lab CA and the built-in P-CSCF's server set-up for address `addr` (its certificate names
/// [`PCSCF_NAME`] and the address). Returns the server set-up and what the UE trusts.
pub fn builtin_pcscf(addr: IpAddr, flaws: &Flaws) -> Result<(TlsSetup, LabTls), String> {
    let ip = addr.to_string();
    let (setup, lab, _) = generated(&[PCSCF_NAME, &ip], flaws)?;
    Ok((setup, lab))
}
