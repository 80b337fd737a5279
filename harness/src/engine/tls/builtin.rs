//! The built-in TLS endpoint: a rustls server with a lab CA certificate (the conformant
//! reference), and, for the flaws rustls cannot have (null-cipher suites, TLS 1.0/1.1), a raw
//! responder that answers a matching ClientHello with ServerHello, Certificate and
//! ServerHelloDone (RFC 5246 §7.3 flight) and stops there: enough for the prober to see what
//! was accepted. Started per case on a free loopback port, stopped when the case ends.

use super::profile::{TlsFlaw, TlsFlaws, BUILTIN_NAME};
use crate::mech::tls::hello::Extension;
use crate::mech::tls::{
    record, suites, ContentType, HandshakeBuffer, HandshakeMsg, HandshakeType, RecordRepr,
    ServerHello, TLS1_2,
};
use crate::net::tls::{accept_after, server_config, Identity, ServerOptions, TestPki, Validity};
use rustls::pki_types::CertificateDer;
use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

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

/// Reads until the first handshake message (the ClientHello) is complete; returns the raw
/// octets read and the message.
fn read_client_hello(sock: &mut TcpStream) -> Option<(Vec<u8>, HandshakeMsg)> {
    let end = Instant::now() + IO_TIMEOUT;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let mut rest = &got[..];
        let mut hs = HandshakeBuffer::default();
        while let Ok(Some((rec, used))) = record::next_record(rest) {
            if rec.content_type() == ContentType::Handshake as u8 {
                hs.push(rec.fragment()).ok()?;
            }
            rest = rest.get(used..).unwrap_or(&[]);
        }
        if let Ok(Some(m)) = hs.next_message() {
            return Some((got, m));
        }
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() || got.len() > 64 * 1024 {
            return None;
        }
        sock.set_read_timeout(Some(left)).ok()?;
        match sock.read(&mut buf) {
            Ok(0) | Err(_) => return None,
            Ok(n) => got.extend_from_slice(buf.get(..n).unwrap_or(&[])),
        }
    }
}

fn serve(mut sock: TcpStream, flaws: &TlsFlaws, id: &Identity, cfg: Arc<rustls::ServerConfig>) {
    let Some((raw, msg)) = read_client_hello(&mut sock) else {
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
    let mut random = [0u8; 32];
    (crate::roles::os_rand())(&mut random);
    let sh = ServerHello {
        legacy_version: version,
        random,
        session_id: Vec::new(),
        cipher_suite: suite,
        compression_method: 0,
        extensions: vec![Extension::renegotiation_info()],
    };
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
    let mut out = Vec::new();
    for (t, body) in [
        (HandshakeType::ServerHello, sh.emit_body()),
        (HandshakeType::Certificate, cert_body),
        (HandshakeType::ServerHelloDone, Vec::new()),
    ] {
        out.extend(
            RecordRepr {
                content_type: ContentType::Handshake,
                version,
                fragment: HandshakeMsg {
                    msg_type: t as u8,
                    body,
                }
                .emit(),
            }
            .emit(),
        );
    }
    out
}
