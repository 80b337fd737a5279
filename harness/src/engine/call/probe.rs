//! The certificate behind an MSRP-over-TLS address, seen from outside as a UE sees it
//! (TS 33.328 §5.4.1: the TLS endpoints authenticate each other by the fingerprints carried
//! in SIP; RFC 4975 §14.1; RFC 8122 §5): connect TCP to the first `a=path` URI the UE
//! received (RFC 4975 §8.2: where the UE connects), run a TLS handshake that accepts any
//! certificate (a self-signed one is expected; the fingerprint, not a CA, authenticates it),
//! presenting the UE's own certificate when asked, and hash the leaf the server sent.
//!
//! The leaf is taken as soon as the server sends it, so a server that later refuses the
//! client (e.g. it checks the client's fingerprint) still shows its certificate.

use crate::mech::sdp::{Fingerprint, Proto, Sdp};
use crate::net::tls::LeafCapture;
use crate::roles::imsagw::fingerprint_of;
use crate::roles::ue::call::MsrpIdentity;
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

/// What a probe of one MSRP media found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsProbe {
    /// Which media description of the SDP the UE received.
    pub media: usize,
    /// Where it connected (the authority of the first `a=path` URI).
    pub addr: SocketAddr,
    /// The SHA-256 fingerprint of the leaf certificate, or why there is none.
    pub leaf: Result<Fingerprint, String>,
}

/// The `host:port` of an MSRP URI (`msrp[s]://host:port/session-id;tcp`, RFC 4975 §6).
pub fn uri_authority(uri: &str) -> Option<SocketAddr> {
    let rest = uri
        .strip_prefix("msrps://")
        .or_else(|| uri.strip_prefix("msrp://"))?;
    let auth = rest.split(['/', ';']).next()?;
    // RFC 4975 §6: the authority may carry userinfo@.
    let host_port = auth.rsplit('@').next()?;
    host_port.parse().ok()
}

/// Probes every TCP/TLS/MSRP media of `sdp` (as the UE received it).
pub fn probe_sdp(sdp: &Sdp, client: Option<&MsrpIdentity>, timeout: Duration) -> Vec<TlsProbe> {
    let mut out = Vec::new();
    for (m, md) in sdp.media().iter().enumerate() {
        if md.proto() != Some(Proto::TcpTlsMsrp) {
            continue;
        }
        let Some(addr) = md
            .path()
            .and_then(|p| p.first().copied())
            .and_then(uri_authority)
        else {
            continue;
        };
        out.push(TlsProbe {
            media: m,
            addr,
            leaf: leaf_fingerprint(addr, client, timeout),
        });
    }
    out
}

/// Connects to `addr` and returns the fingerprint of the certificate its TLS server sends.
pub fn leaf_fingerprint(
    addr: SocketAddr,
    client: Option<&MsrpIdentity>,
    timeout: Duration,
) -> Result<Fingerprint, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    // Accepts any server certificate (signatures still checked) and keeps the leaf.
    let verifier = Arc::new(LeafCapture::new(provider.clone(), None));
    let b = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(rustls::ALL_VERSIONS)
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(verifier.clone());
    let cfg = match client {
        Some(id) => {
            let t = id.tls_identity();
            b.with_client_auth_cert(t.chain, t.key)
                .map_err(|e| e.to_string())?
        }
        None => b.with_no_client_auth(),
    };
    let sock =
        TcpStream::connect_timeout(&addr, timeout).map_err(|e| format!("TCP to {addr}: {e}"))?;
    let name = addr.ip().to_string();
    let done = crate::net::tls::connect(Arc::new(cfg), &name, sock, timeout);
    let leaf = verifier.leaf();
    match (leaf, done) {
        (Some(der), _) => Ok(fingerprint_of(&der)),
        (None, Err(e)) => Err(format!("TLS with {addr}: {e:?}")),
        (None, Ok(_)) => Err(format!("TLS with {addr}: no certificate")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn authority_of_msrp_uris() {
        assert_eq!(
            uri_authority("msrps://127.0.0.2:40000/abc;tcp"),
            Some("127.0.0.2:40000".parse().unwrap())
        );
        assert_eq!(
            uri_authority("msrp://u@[2001:db8::1]:2855/x;tcp"),
            Some("[2001:db8::1]:2855".parse().unwrap())
        );
        assert_eq!(uri_authority("sip:x@y"), None);
        assert_eq!(uri_authority("msrp://host.example/x;tcp"), None);
    }

    /// A TLS server with an rcgen certificate: the probe gets that certificate's fingerprint
    /// (whose SHA-256 is checked against OpenSSL in roles/ue/call.rs), not another one's.
    #[test]
    fn probe_hashes_the_servers_leaf() {
        let server = MsrpIdentity::generate("gw.imsec.test").unwrap();
        let other = MsrpIdentity::generate("gw.imsec.test").unwrap();
        assert_ne!(server.fingerprint, other.fingerprint);
        let ue = MsrpIdentity::generate("ue.imsec.test").unwrap();
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let cfg = crate::net::tls::server_config(
            &server.tls_identity(),
            &crate::net::tls::ServerOptions::default(),
        )
        .unwrap();
        let t = std::thread::spawn(move || {
            let (s, _) = l.accept().unwrap();
            let _ = crate::net::tls::accept(cfg, s, Duration::from_secs(5));
        });
        let got = leaf_fingerprint(addr, Some(&ue), Duration::from_secs(5)).unwrap();
        t.join().unwrap();
        assert_eq!(got, server.fingerprint);
        assert_ne!(got, other.fingerprint);
        assert_eq!(got.value.len(), 32);
    }

    #[test]
    fn nothing_listening_is_an_error() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        drop(l);
        assert!(leaf_fingerprint(addr, None, Duration::from_millis(500)).is_err());
    }
}
