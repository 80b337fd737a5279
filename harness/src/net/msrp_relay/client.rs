//! The UE side of MSRP over TLS to a gateway, as a harness peer (RFC 4975 §14.1, RFC 8122
//! §5): a TLS client that presents the UE's self-signed certificate, records the server's
//! leaf and (when asked) accepts the server only when the SHA-256 fingerprint of its leaf
//! equals the `a=fingerprint` the UE received. Every session's secrets can go to a key log
//! (Wireshark `tls.keylog_file`).

use super::matches_fingerprint;
use crate::mech::sdp::Fingerprint;
use crate::net::tls::{ClientStream, Identity, KeyLogFile, SessionInfo};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A completed session and the fingerprint of the server's leaf.
pub struct Connected {
    pub stream: ClientStream,
    pub info: SessionInfo,
    pub leaf: Option<Fingerprint>,
}

/// Connects to `addr`, presents `id`, and completes TLS only with a server whose leaf has
/// the fingerprint `require` (any server when `None`; its leaf is recorded either way).
/// Errors are readable reasons (a refusal by either side).
pub fn connect(
    addr: SocketAddr,
    id: &Identity,
    require: Option<&Fingerprint>,
    keylog: Option<Arc<KeyLogFile>>,
    timeout: Duration,
) -> Result<Connected, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let leaf = Arc::new(Mutex::new(None));
    let v = Arc::new(ServerFingerprint {
        provider: provider.clone(),
        expected: require.cloned(),
        leaf: leaf.clone(),
    });
    let mut cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(rustls::ALL_VERSIONS)
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(v)
        .with_client_auth_cert(id.chain.clone(), id.key.clone_key())
        .map_err(|e| e.to_string())?;
    if let Some(k) = keylog {
        cfg.key_log = k;
    }
    let sock =
        TcpStream::connect_timeout(&addr, timeout).map_err(|e| format!("TCP to {addr}: {e}"))?;
    let (stream, info) =
        crate::net::tls::connect(Arc::new(cfg), &addr.ip().to_string(), sock, timeout)
            .map_err(|e| format!("TLS with {addr}: {e}"))?;
    let leaf = leaf.lock().ok().and_then(|g| g.clone());
    Ok(Connected { stream, info, leaf })
}

#[derive(Debug)]
struct ServerFingerprint {
    provider: Arc<rustls::crypto::CryptoProvider>,
    expected: Option<Fingerprint>,
    leaf: Arc<Mutex<Option<Fingerprint>>>,
}

impl ServerCertVerifier for ServerFingerprint {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Ok(mut g) = self.leaf.lock() {
            *g = Some(crate::roles::imsagw::fingerprint_of(end_entity.as_ref()));
        }
        let ok = self
            .expected
            .as_ref()
            .is_none_or(|f| matches_fingerprint(end_entity.as_ref(), f));
        if ok {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
