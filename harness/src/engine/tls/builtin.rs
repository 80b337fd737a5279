//! The built-in TLS endpoint: a rustls server with a lab CA certificate (the conformant
//! reference), and, for the flaws rustls cannot have (null-cipher suites, TLS 1.0/1.1), a raw
//! responder that answers a matching ClientHello with ServerHello, Certificate and
//! ServerHelloDone (RFC 5246 §7.3 flight) and stops there: enough for the prober to see what
//! was accepted. Started per case on a free loopback port, stopped when the case ends.

use super::profile::{TlsFlaw, TlsFlaws, BUILTIN_NAME};
use crate::mech::tls::{suites, HandshakeType, TLS1_2};
use crate::net::tls::{accept_after, server_config, Identity, ServerOptions, TestPki, Validity};
use crate::net::tls_hello::{handshake_record, read_client_hello, server_hello_record};
use rustls::pki_types::CertificateDer;
use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// A running built-in endpoint.
pub struct BuiltinTls {
    pub addr: SocketAddr,
    /// The lab CA the harness trusts.
    pub trust_anchors: Vec<CertificateDer<'static>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for BuiltinTls {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl BuiltinTls {
    /// Starts the endpoint with `flaws`.
    pub fn start(flaws: &TlsFlaws) -> Result<BuiltinTls, String> {
        let pki = TestPki::new("imsec lab CA").map_err(|e| e.to_string())?;
        let validity = if flaws.contains(&TlsFlaw::ExpiredCert) {
            Validity::Expired
        } else {
            Validity::Current
        };
        let name = if flaws.contains(&TlsFlaw::WrongName) {
            "other.example"
        } else {
            BUILTIN_NAME
        };
        let id = pki.issue(&[name], validity).map_err(|e| e.to_string())?;
        let opts = ServerOptions {
            request_client_cert: flaws
                .contains(&TlsFlaw::CertRequest)
                .then(|| vec![pki.ca_der()]),
            ..Default::default()
        };
        let cfg = server_config(&id, &opts).map_err(|e| e.to_string())?;
        let l = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("bind: {e}"))?;
        l.set_nonblocking(true).map_err(|e| e.to_string())?;
        let addr = l.local_addr().map_err(|e| e.to_string())?;
        let stop = Arc::new(AtomicBool::new(false));
        let s2 = stop.clone();
        let flaws = flaws.clone();
        let thread = std::thread::spawn(move || {
            while !s2.load(Ordering::Relaxed) {
                match l.accept() {
                    Ok((sock, _)) => {
                        let _ = sock.set_nonblocking(false);
                        serve(sock, &flaws, &id, cfg.clone());
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Ok(BuiltinTls {
            addr,
            trust_anchors: vec![pki.ca_der()],
            stop,
            thread: Some(thread),
        })
    }
}

const IO_TIMEOUT: Duration = Duration::from_secs(2);

fn serve(mut sock: TcpStream, flaws: &TlsFlaws, id: &Identity, cfg: Arc<rustls::ServerConfig>) {
    let Some((raw, msg)) = read_client_hello(&mut sock, IO_TIMEOUT) else {
        return;
    };
    if msg.msg_type != HandshakeType::ClientHello as u8 {
        return;
    }
    let Ok(ch) = crate::mech::tls::ClientHello::parse(&msg.body) else {
        return;
    };
    let top = ch
        .offered_versions()
        .ok()
        .and_then(|v| v.into_iter().max())
        .unwrap_or(ch.legacy_version);
    let tls12_suites: Vec<u16> = ch
        .cipher_suites
        .iter()
        .copied()
        .filter(|c| !suites::is_tls13(*c) && !suites::flags(*c).scsv)
        .collect();
    let null = tls12_suites
        .iter()
        .copied()
        .find(|c| suites::flags(*c).null);
    let raw_answer = match (null, top < TLS1_2) {
        (Some(s), _) if flaws.contains(&TlsFlaw::NullCipher) => Some((top.min(TLS1_2), s)),
        (_, true) if flaws.contains(&TlsFlaw::OldVersion) => tls12_suites
            .iter()
            .copied()
            .find(|c| !suites::flags(*c).weak())
            .or(tls12_suites.first().copied())
            .map(|s| (top, s)),
        _ => None,
    };
    match raw_answer {
        Some((version, suite)) => {
            let flight = server_flight(version, suite, &id.chain);
            let _ = std::io::Write::write_all(&mut sock, &flight);
            // Let the prober read the flight, then close.
            let _ = sock.set_read_timeout(Some(IO_TIMEOUT));
            let mut sink = [0u8; 1024];
            let _ = sock.read(&mut sink);
        }
        None => {
            if let Ok((mut s, _)) = accept_after(cfg, &raw, sock, IO_TIMEOUT) {
                let _ = s.sock.set_read_timeout(Some(IO_TIMEOUT));
                let mut sink = [0u8; 1024];
                let _ = s.read(&mut sink);
                s.conn.send_close_notify();
                let _ = std::io::Write::flush(&mut s);
            }
        }
    }
}

/// ServerHello (chosen `version` and `suite`), Certificate and ServerHelloDone as TLS ≤ 1.2
/// handshake records (RFC 5246 §7.4.1.3, §7.4.2, §7.4.5).
fn server_flight(version: u16, suite: u16, chain: &[CertificateDer<'static>]) -> Vec<u8> {
    let mut certs = Vec::new();
    for c in chain {
        let der = c.as_ref();
        certs.extend_from_slice((der.len() as u32).to_be_bytes().get(1..).unwrap_or(&[]));
        certs.extend_from_slice(der);
    }
    let mut cert_body = (certs.len() as u32)
        .to_be_bytes()
        .get(1..)
        .unwrap_or(&[])
        .to_vec();
    cert_body.extend_from_slice(&certs);
    let mut out = server_hello_record(version, suite);
    out.extend(handshake_record(
        version,
        HandshakeType::Certificate,
        cert_body,
    ));
    out.extend(handshake_record(
        version,
        HandshakeType::ServerHelloDone,
        Vec::new(),
    ));
    out
}
