//! TLS on the connections of the TCP edge ([`super::tcp`]): the `tls` sec-agree mechanism of
//! TS 33.203 Annex O in both of seed 004's flows, "TLS first" on the SIPS port and the
//! upgrade "within the existing TCP connection" on 5060.
//!
//! The edge terminates TLS; roles see [`super::Wire::Tls`] (one SIP message on the TLS
//! session of connection `local`↔`peer`). A server edge upgrades a connection when the first
//! octets after a SIP message boundary are a TLS handshake record (RFC 5246 §6.2.1 content
//! type 22): the UE starts the handshake on the connection it registered over, as seed 004
//! describes, without a SIP-level STARTTLS. A client edge starts TLS on a connection when a
//! role sends `Wire::Tls` on it (opening the connection first if there is none).
//!
//! Every session is noted ([`TlsNote`]): version and suite, whether the server sent a
//! CertificateRequest (seen by the client through a certificate resolver that is asked only
//! then, and declines: the UE has no certificate), the failure (e.g. the certificate
//! refused), and the raw records both ways (for the per-case capture, opened with the key log).

use super::tls::{CertProblem, SessionInfo};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{ResolvesClientCert, WebPkiServerVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    ClientConfig, ClientConnection, Connection, DigitallySignedStruct, RootCertStore, ServerConfig,
    ServerConnection, SignatureScheme,
};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// TLS record content type "handshake" (RFC 5246 §6.2.1, RFC 8446 §5.1).
pub const HANDSHAKE_RECORD: u8 = 22;

/// What a TCP edge does with TLS.
#[derive(Clone, Default)]
pub struct TlsSetup {
    /// Server side: accepted connections whose first octets are a handshake record run TLS.
    pub server: Option<Arc<ServerConfig>>,
    /// Client side: config and the server name to validate (RFC 6125), for `Wire::Tls`.
    pub client: Option<(Arc<ClientConfig>, String)>,
    /// Client side: validate the server's certificate per session against these anchors,
    /// recording the typed problem in the session's note ([`CertCheck`]).
    pub cert_check: Option<CertCheck>,
}

/// How a client edge validates server certificates (RFC 5280 §6 path to a trust anchor,
/// validity period; RFC 6125 §6 name): always, recording the typed [`CertProblem`] in the
/// session's [`TlsNote`]; `strict` refuses the session on a problem (rustls's own
/// behaviour), otherwise the session goes on after the problem is recorded, so that a case
/// judges the certificate in its own check and other cases still judge theirs.
#[derive(Debug, Clone)]
pub struct CertCheck {
    pub anchors: Vec<CertificateDer<'static>>,
    pub strict: bool,
}

/// A per-session verifier: webpki's verdict, recorded; refused only when strict.
#[derive(Debug)]
struct RecordingVerifier {
    inner: Arc<WebPkiServerVerifier>,
    strict: bool,
    problem: Arc<Mutex<Option<CertProblem>>>,
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Ok(v) => Ok(v),
            Err(e) => {
                let p = match &e {
                    rustls::Error::InvalidCertificate(c) => CertProblem::from_rustls(c),
                    other => CertProblem::Other(other.to_string()),
                };
                if let Ok(mut slot) = self.problem.lock() {
                    *slot = Some(p);
                }
                if self.strict {
                    Err(e)
                } else {
                    Ok(ServerCertVerified::assertion())
                }
            }
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// One TLS session the edge ran.
#[derive(Debug, Clone)]
pub struct TlsNote {
    pub local: SocketAddr,
    pub peer: SocketAddr,
    /// This end was the TLS client.
    pub client: bool,
    /// TLS started on a connection that had carried plain SIP first (seed 004's 5060 flow).
    pub upgraded: bool,
    pub started: Instant,
    /// The completed handshake.
    pub established: Option<SessionInfo>,
    /// Client side: the server sent a CertificateRequest (TS 33.203 Annex O forbids it).
    pub certificate_request: bool,
    /// Why the session failed, if it did.
    pub failure: Option<String>,
    /// The certificate problem, when the failure was a refused certificate.
    pub cert_problem: Option<CertProblem>,
    /// Raw TLS octets in order (true: sent by this end), for the capture.
    pub records: Vec<(Instant, bool, Vec<u8>)>,
}

/// The notes of an edge.
pub type Notes = Arc<Mutex<Vec<TlsNote>>>;

/// Declines every client-certificate request, remembering that there was one.
#[derive(Debug)]
struct CertRequestSeen(Arc<AtomicBool>);

impl ResolvesClientCert for CertRequestSeen {
    fn resolve(
        &self,
        _hints: &[&[u8]],
        _schemes: &[rustls::SignatureScheme],
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        self.0.store(true, Ordering::Relaxed);
        None
    }
    fn has_certs(&self) -> bool {
        false
    }
}

/// The TLS half of one connection.
pub struct Session {
    pub conn: Connection,
    cert_request: Arc<AtomicBool>,
    note: usize,
    established: bool,
    /// The certificate problem the recording verifier saw, if any.
    cert_seen: Arc<Mutex<Option<CertProblem>>>,
    /// When the session started (the handshake deadline runs from here).
    pub started: Instant,
}

fn note_mut<R>(notes: &Notes, i: usize, f: impl FnOnce(&mut TlsNote) -> R) -> Option<R> {
    notes.lock().ok().and_then(|mut v| v.get_mut(i).map(f))
}

fn new_note(
    notes: &Notes,
    local: SocketAddr,
    peer: SocketAddr,
    client: bool,
    upgraded: bool,
) -> usize {
    let n = TlsNote {
        local,
        peer,
        client,
        upgraded,
        started: Instant::now(),
        established: None,
        certificate_request: false,
        failure: None,
        cert_problem: None,
        records: Vec::new(),
    };
    match notes.lock() {
        Ok(mut v) => {
            v.push(n);
            v.len() - 1
        }
        Err(_) => usize::MAX,
    }
}

impl Session {
    /// A server session on an accepted connection.
    pub fn server(
        cfg: &Arc<ServerConfig>,
        notes: &Notes,
        local: SocketAddr,
        peer: SocketAddr,
        upgraded: bool,
    ) -> Result<Session, String> {
        let c = ServerConnection::new(cfg.clone()).map_err(|e| e.to_string())?;
        Ok(Session {
            conn: Connection::Server(c),
            cert_request: Arc::new(AtomicBool::new(false)),
            note: new_note(notes, local, peer, false, upgraded),
            established: false,
            cert_seen: Arc::default(),
            started: Instant::now(),
        })
    }

    /// A client session; the per-connection config records a CertificateRequest and, with
    /// `check`, the certificate problem.
    pub fn client(
        cfg: &Arc<ClientConfig>,
        name: &str,
        check: Option<&CertCheck>,
        notes: &Notes,
        local: SocketAddr,
        peer: SocketAddr,
        upgraded: bool,
    ) -> Result<Session, String> {
        let seen = Arc::new(AtomicBool::new(false));
        let cert_seen: Arc<Mutex<Option<CertProblem>>> = Arc::default();
        let mut mine = (**cfg).clone();
        mine.client_auth_cert_resolver = Arc::new(CertRequestSeen(seen.clone()));
        if let Some(c) = check {
            let mut roots = RootCertStore::empty();
            for a in &c.anchors {
                roots.add(a.clone()).map_err(|e| e.to_string())?;
            }
            let inner = WebPkiServerVerifier::builder_with_provider(
                Arc::new(roots),
                Arc::new(rustls::crypto::ring::default_provider()),
            )
            .build()
            .map_err(|e| e.to_string())?;
            mine.dangerous()
                .set_certificate_verifier(Arc::new(RecordingVerifier {
                    inner,
                    strict: c.strict,
                    problem: cert_seen.clone(),
                }));
        }
        let name = ServerName::try_from(name.to_string()).map_err(|e| e.to_string())?;
        let c = ClientConnection::new(Arc::new(mine), name).map_err(|e| e.to_string())?;
        Ok(Session {
            conn: Connection::Client(c),
            cert_request: seen,
            note: new_note(notes, local, peer, true, upgraded),
            established: false,
            cert_seen,
            started: Instant::now(),
        })
    }

    /// The TLS octets the session has to send (recorded in the note).
    pub fn outgoing(&mut self, notes: &Notes) -> Vec<u8> {
        let mut out = Vec::new();
        while self.conn.wants_write() {
            if self.conn.write_tls(&mut out).is_err() {
                break;
            }
        }
        if !out.is_empty() {
            let o = out.clone();
            note_mut(notes, self.note, |n| {
                n.records.push((Instant::now(), true, o))
            });
        }
        out
    }

    /// Queues plaintext (before the handshake completes rustls holds it back).
    pub fn write_plain(&mut self, payload: &[u8]) -> Result<(), String> {
        use std::io::Write;
        self.conn
            .writer()
            .write_all(payload)
            .map_err(|e| e.to_string())
    }

    /// Feeds received TLS octets; returns the plaintext they carried, or why the session
    /// failed (the alert to send is then in [`Session::outgoing`]). `closed`: close_notify.
    pub fn feed(&mut self, data: &[u8], notes: &Notes) -> Result<(Vec<u8>, bool), String> {
        use std::io::Read;
        note_mut(notes, self.note, |n| {
            n.records.push((Instant::now(), false, data.to_vec()))
        });
        let mut rd: &[u8] = data;
        let mut plain = Vec::new();
        let mut closed = false;
        while !rd.is_empty() {
            match self.conn.read_tls(&mut rd) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => return Err(self.fail(notes, e.to_string(), None)),
            }
            let state = match self.conn.process_new_packets() {
                Ok(s) => s,
                Err(e) => {
                    let cert = match &e {
                        rustls::Error::InvalidCertificate(c) => Some(CertProblem::from_rustls(c)),
                        _ => self.cert_seen.lock().ok().and_then(|mut p| p.take()),
                    };
                    return Err(self.fail(notes, e.to_string(), cert));
                }
            };
            if let Some(p) = self.cert_seen.lock().ok().and_then(|mut p| p.take()) {
                note_mut(notes, self.note, |n| n.cert_problem = Some(p));
            }
            if self.cert_request.load(Ordering::Relaxed) {
                note_mut(notes, self.note, |n| n.certificate_request = true);
            }
            if !self.established && !self.conn.is_handshaking() {
                self.established = true;
                let info = SessionInfo::of(
                    self.conn.protocol_version(),
                    self.conn.negotiated_cipher_suite(),
                );
                note_mut(notes, self.note, |n| n.established = Some(info));
            }
            if state.plaintext_bytes_to_read() > 0 {
                let mut buf = vec![0u8; state.plaintext_bytes_to_read()];
                let n = self.conn.reader().read(&mut buf).unwrap_or(0);
                plain.extend_from_slice(buf.get(..n).unwrap_or(&[]));
            }
            if state.peer_has_closed() {
                closed = true;
            }
        }
        Ok((plain, closed))
    }

    fn fail(&mut self, notes: &Notes, why: String, cert: Option<CertProblem>) -> String {
        let w = why.clone();
        note_mut(notes, self.note, |n| {
            n.failure = Some(w);
            if cert.is_some() {
                n.cert_problem = cert;
            }
        });
        why
    }

    /// Whether the handshake completed.
    pub fn is_established(&self) -> bool {
        self.established
    }

    /// Records why the edge gave up on the session (e.g. the handshake deadline passed).
    pub fn give_up(&mut self, notes: &Notes, why: String) {
        let _ = self.fail(notes, why, None);
    }

    /// Marks the end of a session that never completed its handshake.
    pub fn closed(&mut self, notes: &Notes) {
        if !self.established {
            note_mut(notes, self.note, |n| {
                if n.failure.is_none() {
                    n.failure = Some("connection closed before the handshake completed".into());
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::tls::Validity;
    use crate::net::tls::{client_config, server_config, ClientOptions, ServerOptions, TestPki};

    /// Pumps octets between two sessions until both are quiet.
    fn pump(c: &mut Session, s: &mut Session, notes: &Notes) -> (Vec<u8>, Vec<u8>) {
        let (mut at_s, mut at_c) = (Vec::new(), Vec::new());
        for _ in 0..10 {
            let a = c.outgoing(notes);
            if !a.is_empty() {
                at_s.extend(s.feed(&a, notes).unwrap().0);
            }
            let b = s.outgoing(notes);
            if !b.is_empty() {
                at_c.extend(c.feed(&b, notes).unwrap().0);
            }
        }
        (at_s, at_c)
    }

    fn pair(request_cert: bool) -> (Session, Session, Notes) {
        let pki = TestPki::new("imsec test CA").unwrap();
        let id = pki.issue(&["pcscf.imsec.test"], Validity::Current).unwrap();
        let so = ServerOptions {
            request_client_cert: request_cert.then(|| vec![pki.ca_der()]),
            ..ServerOptions::default()
        };
        let scfg = server_config(&id, &so).unwrap();
        let ccfg = client_config(&[pki.ca_der()], &ClientOptions::default()).unwrap();
        let notes: Notes = Arc::default();
        let a: SocketAddr = "127.0.0.1:1".parse().unwrap();
        let b: SocketAddr = "127.0.0.1:2".parse().unwrap();
        let c = Session::client(&ccfg, "pcscf.imsec.test", None, &notes, a, b, false).unwrap();
        let s = Session::server(&scfg, &notes, b, a, false).unwrap();
        (c, s, notes)
    }

    /// Plaintext queued before the handshake arrives after it; no CertificateRequest noted.
    #[test]
    fn handshake_then_data() {
        let (mut c, mut s, notes) = pair(false);
        c.write_plain(b"REGISTER").unwrap();
        let (at_s, _) = pump(&mut c, &mut s, &notes);
        assert_eq!(at_s, b"REGISTER");
        let n = notes.lock().unwrap();
        assert!(n[0].established.is_some() && n[1].established.is_some());
        assert!(!n[0].certificate_request);
        assert!(n[0]
            .records
            .iter()
            .any(|(_, sent, r)| *sent && r[0] == HANDSHAKE_RECORD));
    }

    /// A client with a [`CertCheck`] against a server whose certificate is expired or names
    /// another host: strict refuses the session with the typed problem; lenient records the
    /// same problem and completes the handshake; a good certificate records none.
    #[test]
    fn certificate_problems_are_typed_strict_or_recorded() {
        let pki = TestPki::new("imsec test CA").unwrap();
        let cases = [
            (vec!["pcscf.imsec.test"], Validity::Current, None),
            (
                vec!["pcscf.imsec.test"],
                Validity::Expired,
                Some(CertProblem::Expired),
            ),
            (
                vec!["other-host.imsec.test"],
                Validity::Current,
                Some(CertProblem::WrongName),
            ),
        ];
        for (names, validity, want) in cases {
            for strict in [true, false] {
                let id = pki.issue(&names, validity).unwrap();
                let scfg = server_config(&id, &ServerOptions::default()).unwrap();
                let ccfg = client_config(&[pki.ca_der()], &ClientOptions::default()).unwrap();
                let check = CertCheck {
                    anchors: vec![pki.ca_der()],
                    strict,
                };
                let notes: Notes = Arc::default();
                let a: SocketAddr = "127.0.0.1:1".parse().unwrap();
                let b: SocketAddr = "127.0.0.1:2".parse().unwrap();
                let mut c =
                    Session::client(&ccfg, "pcscf.imsec.test", Some(&check), &notes, a, b, false)
                        .unwrap();
                let mut s = Session::server(&scfg, &notes, b, a, false).unwrap();
                c.write_plain(b"x").unwrap();
                let mut failed = false;
                for _ in 0..10 {
                    let o = c.outgoing(&notes);
                    if !o.is_empty() && s.feed(&o, &notes).is_err() {
                        break;
                    }
                    let o = s.outgoing(&notes);
                    if !o.is_empty() && c.feed(&o, &notes).is_err() {
                        failed = true;
                        break;
                    }
                }
                let n = notes.lock().unwrap()[0].clone();
                assert_eq!(
                    n.cert_problem, want,
                    "{names:?} {validity:?} strict={strict}"
                );
                let refused = strict && want.is_some();
                assert_eq!(failed, refused, "{n:?}");
                assert_eq!(n.established.is_some(), !refused, "{n:?}");
            }
        }
    }

    /// A server that asks for a client certificate is noted by the client, which goes on
    /// without one.
    #[test]
    fn certificate_request_is_noted() {
        let (mut c, mut s, notes) = pair(true);
        c.write_plain(b"x").unwrap();
        let (at_s, _) = pump(&mut c, &mut s, &notes);
        assert_eq!(at_s, b"x");
        assert!(notes.lock().unwrap()[0].certificate_request);
    }
}
