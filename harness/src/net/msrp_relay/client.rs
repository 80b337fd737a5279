//! The UE side of MSRP over TLS to a gateway, as a harness peer (RFC 4975 §14.1, RFC 8122
//! §5): a TLS client that presents the UE's self-signed certificate, records the server's
//! leaf and (when asked) accepts the server only when the SHA-256 fingerprint of its leaf
//! equals the `a=fingerprint` the UE received. Every session's secrets can go to a key log
//! (Wireshark `tls.keylog_file`).

use crate::mech::sdp::Fingerprint;
use crate::net::tls::{ClientStream, Identity, KeyLogFile, LeafCapture, SessionInfo};
use crate::roles::imsagw::fingerprint_of;
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
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
    let v = Arc::new(LeafCapture::new(provider.clone(), require.cloned()));
    let mut cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(rustls::ALL_VERSIONS)
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(v.clone())
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
    let leaf = v.leaf().map(|der| fingerprint_of(&der));
    Ok(Connected { stream, info, leaf })
}
