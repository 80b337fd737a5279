//! The MSRP relay of the built-in IMS Access Gateway (TS 33.328 §6.2.1, §7.2.1 step 9,
//! §7.3.1 step 9): MSRP over TLS towards the UE, MSRP over plain TCP towards the core, bytes
//! piped both ways (RFC 4975 §14: MSRP over TLS; the gateway ends the TLS session).
//!
//! Why here and not in [`crate::roles::imsagw::Agw`]: the gateway role is sans-I/O and relays
//! datagrams, one in, one out; MSRP is a byte stream inside TLS, which needs the TCP
//! connections and a TLS engine of the network edge. The role keeps the *decision* (which
//! streams exist, which UE fingerprint each one accepts: `Agw::install`/`release`), the edge
//! the sockets. They share one table ([`MsrpTable`], an `Arc<Mutex<..>>` the gateway writes
//! and the relay reads at each connection) rather than a queue of instructions the node
//! drains after each `handle`: the relay's accept threads need the current state at the
//! moment a connection arrives, not a history, and a table needs no change in the node loop.
//!
//! Per stream of the gateway's pool (listeners bound when the P-CSCF starts, like its UDP
//! ports):
//! - on `ue_side`: TCP, then a TLS server with the gateway's self-signed certificate (the
//!   one whose fingerprint the IMS-ALG put in the SDP towards the UE). It **requires** a
//!   client certificate and accepts it only when its SHA-256 fingerprint equals the
//!   `a=fingerprint` the UE signalled (RFC 4975 §14.2, RFC 8122 §5: self-signed
//!   certificates authenticated by the SDP fingerprint, no CA chain; TS 33.328 §5.4.1). The
//!   handshake signature still proves possession of the key.
//! - on `core_side`: plain TCP (TS 33.328 §6.2.1.1: unprotected towards the network).
//! - The IMS-ALG makes the gateway passive on both legs (`a=setup:passive`, RFC 6135/RFC
//!   4145), so both the UE and the far end connect to it; the relay pairs the two legs of a
//!   stream (whichever arrives first waits [`RelayTimeouts::rendezvous`] for the other; a
//!   waiting leg whose peer hangs up is dropped) and pipes bytes until either side closes or
//!   nothing moves for [`RelayTimeouts::idle`]. The active role towards the core (answering
//!   a `passive` offer) is not implemented: no harness peer offers `passive`.
//!
//! Null TLS is refused by construction: rustls implements no suite without encryption
//! (nor export or pre-1.2 ones), so the gateway cannot negotiate one; the case
//! MEDIA-MSRP-TLS-03 proves it from outside with the raw ClientHello prober, and the flawed
//! variant `agw-msrp-null-suite` (a raw ServerHello, `null_flaw`) shows the case can fail.
//!
//! Every wait is bounded: accept polling (stop flag), the TLS handshake, the rendezvous,
//! idle connections.

use crate::mech::sdp::Fingerprint;
pub use crate::net::tls::matches_fingerprint;
use crate::net::tls::SignatureChecks;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};
use std::collections::HashMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Bounds of every wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RelayTimeouts {
    /// TLS handshake with the UE.
    pub handshake: Duration,
    /// How long one leg waits for the other leg of its stream.
    pub rendezvous: Duration,
    /// A paired connection with no octet either way for this long is closed.
    pub idle: Duration,
}

impl Default for RelayTimeouts {
    fn default() -> Self {
        RelayTimeouts {
            handshake: Duration::from_secs(5),
            rendezvous: Duration::from_secs(10),
            idle: Duration::from_secs(30),
        }
    }
}

/// One installed MSRP stream (written by `Agw::install`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MsrpStream {
    /// The fingerprint the UE signalled for its certificate (RFC 8122 §5).
    pub ue_fingerprint: Fingerprint,
}

/// Installed MSRP streams by the stream's `ue_side` address, plus the leg waiting for its
/// partner.
#[derive(Debug, Default)]
pub struct MsrpTableInner {
    pub streams: HashMap<SocketAddr, MsrpStream>,
    waiting: HashMap<SocketAddr, Waiter>,
}

/// The table shared by the gateway role and the relay.
pub type MsrpTable = Arc<Mutex<MsrpTableInner>>;

#[derive(Debug)]
struct Waiter {
    id: u64,
    ue_leg: bool,
    tx: Sender<Leg>,
}

enum Leg {
    Ue(Box<crate::net::tls::ServerStream>),
    Core(TcpStream),
}

impl std::fmt::Debug for Leg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Leg::Ue(_) => "Leg::Ue",
            Leg::Core(_) => "Leg::Core",
        })
    }
}

/// What the relay needs from the gateway.
#[derive(Clone)]
pub struct RelaySpec {
    /// The gateway's certificate and key (its fingerprint is in the SDP).
    pub identity: crate::net::tls::Identity,
    pub table: MsrpTable,
    /// `(ue_side, core_side)` of every stream of the pool.
    pub streams: Vec<(SocketAddr, SocketAddr)>,
    /// Flaw `agw-msrp-no-fingerprint-check`: any client certificate is accepted.
    pub no_fingerprint_check: bool,
    /// Flaw `agw-msrp-null-suite`: a ClientHello offering a null-cipher suite gets it.
    pub null_suite: bool,
    pub timeouts: RelayTimeouts,
}

/// A running relay; stops (listeners closed) when dropped.
pub struct MsrpRelay {
    stop: Arc<AtomicBool>,
    threads: Vec<std::thread::JoinHandle<()>>,
    /// What happened (refused certificates, pairings), bounded.
    pub log: Arc<Mutex<Vec<String>>>,
}

const MAX_LOG: usize = 256;

fn note(log: &Mutex<Vec<String>>, line: String) {
    if let Ok(mut l) = log.lock() {
        if l.len() < MAX_LOG {
            l.push(line);
        }
    }
}

impl MsrpRelay {
    /// Binds a TCP listener on both addresses of every stream and starts accepting.
    pub fn start(spec: RelaySpec) -> Result<MsrpRelay, crate::net::NetError> {
        let stop = Arc::new(AtomicBool::new(false));
        let log = Arc::new(Mutex::new(Vec::new()));
        let ids = Arc::new(AtomicU64::new(1));
        let mut threads = Vec::new();
        for &(ue_side, core_side) in &spec.streams {
            for (addr, ue_leg) in [(ue_side, true), (core_side, false)] {
                let l = TcpListener::bind(addr)
                    .map_err(|source| crate::net::NetError::Bind { addr, source })?;
                l.set_nonblocking(true)
                    .map_err(|source| crate::net::NetError::Bind { addr, source })?;
                let (spec, stop, log, ids) = (spec.clone(), stop.clone(), log.clone(), ids.clone());
                threads.push(std::thread::spawn(move || {
                    accept_loop(l, ue_side, ue_leg, &spec, &stop, &log, &ids)
                }));
            }
        }
        Ok(MsrpRelay { stop, threads, log })
    }

    /// The log lines so far.
    pub fn log_lines(&self) -> Vec<String> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

impl Drop for MsrpRelay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

fn accept_loop(
    l: TcpListener,
    ue_side: SocketAddr,
    ue_leg: bool,
    spec: &RelaySpec,
    stop: &Arc<AtomicBool>,
    log: &Arc<Mutex<Vec<String>>>,
    ids: &Arc<AtomicU64>,
) {
    while !stop.load(Ordering::Relaxed) {
        match l.accept() {
            Ok((s, peer)) => {
                let (spec, stop, log) = (spec.clone(), stop.clone(), log.clone());
                let id = ids.fetch_add(1, Ordering::Relaxed);
                std::thread::spawn(move || {
                    connection(s, peer, ue_side, ue_leg, id, &spec, &stop, &log)
                });
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(20))
            }
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn connection(
    s: TcpStream,
    peer: SocketAddr,
    ue_side: SocketAddr,
    ue_leg: bool,
    id: u64,
    spec: &RelaySpec,
    stop: &AtomicBool,
    log: &Mutex<Vec<String>>,
) {
    let _ = s.set_nonblocking(false);
    let stream = spec
        .table
        .lock()
        .ok()
        .and_then(|t| t.streams.get(&ue_side).cloned());
    let Some(stream) = stream else {
        note(
            log,
            format!("{peer}: no MSRP stream installed at {ue_side}"),
        );
        return;
    };
    let leg = if ue_leg {
        let cfg = match server_config(spec, &stream.ue_fingerprint) {
            Ok(c) => c,
            Err(e) => {
                note(log, format!("{peer}: TLS config: {e}"));
                return;
            }
        };
        let mut s = s;
        let done = if spec.null_suite {
            match null_flaw::handle(&mut s, spec.timeouts.handshake) {
                Some(null_flaw::Handled::Pass(first)) => {
                    crate::net::tls::accept_after(cfg, &first, s, spec.timeouts.handshake)
                }
                Some(null_flaw::Handled::NullChosen) | None => return,
            }
        } else {
            crate::net::tls::accept(cfg, s, spec.timeouts.handshake)
        };
        match done {
            Ok((t, _)) => Leg::Ue(Box::new(t)),
            Err(e) => {
                note(log, format!("{peer}->{ue_side}: TLS refused: {e}"));
                return;
            }
        }
    } else {
        Leg::Core(s)
    };
    rendezvous(leg, ue_side, id, spec, stop, log);
}

/// Pairs `leg` with the stream's other leg: hands it to a waiting partner, or waits for one.
fn rendezvous(
    leg: Leg,
    ue_side: SocketAddr,
    id: u64,
    spec: &RelaySpec,
    stop: &AtomicBool,
    log: &Mutex<Vec<String>>,
) {
    let ue_leg = matches!(leg, Leg::Ue(_));
    let (tx, rx) = mpsc::channel();
    let mut leg = Some(leg);
    if let Ok(mut t) = spec.table.lock() {
        if let Some(w) = t.waiting.remove(&ue_side) {
            if w.ue_leg != ue_leg {
                match leg.take().map(|l| w.tx.send(l)) {
                    Some(Ok(())) => return,
                    Some(Err(mpsc::SendError(l))) => leg = Some(l),
                    None => {}
                }
            }
            // A same-side waiter is replaced (the newest connection wins; the old one sees
            // its channel closed and ends).
        }
        t.waiting.insert(ue_side, Waiter { id, ue_leg, tx });
    }
    let Some(mine) = leg else { return };
    wait_for_partner(mine, rx, ue_side, id, spec, stop, log);
}

fn unregister(spec: &RelaySpec, ue_side: SocketAddr, id: u64) {
    if let Ok(mut t) = spec.table.lock() {
        if t.waiting.get(&ue_side).map(|w| w.id) == Some(id) {
            t.waiting.remove(&ue_side);
        }
    }
}

fn tcp_of(leg: &Leg) -> &TcpStream {
    match leg {
        Leg::Ue(t) => &t.sock,
        Leg::Core(s) => s,
    }
}

/// Whether the peer of `s` hung up (peek sees end of stream or an error).
fn hung_up(s: &TcpStream) -> bool {
    if s.set_nonblocking(true).is_err() {
        return true;
    }
    let mut b = [0u8; 1];
    let gone = match s.peek(&mut b) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => e.kind() != ErrorKind::WouldBlock,
    };
    let _ = s.set_nonblocking(false);
    gone
}

fn wait_for_partner(
    mine: Leg,
    rx: Receiver<Leg>,
    ue_side: SocketAddr,
    id: u64,
    spec: &RelaySpec,
    stop: &AtomicBool,
    log: &Mutex<Vec<String>>,
) {
    let end = Instant::now() + spec.timeouts.rendezvous;
    loop {
        if stop.load(Ordering::Relaxed) {
            unregister(spec, ue_side, id);
            return;
        }
        match rx.recv_timeout(Duration::from_millis(50)) {
            Ok(other) => {
                if hung_up(tcp_of(&mine)) {
                    // This leg's peer left between two polls: the newcomer must not be paired
                    // with a dead connection. It waits in this leg's place (its id is free:
                    // the partner took this waiter out of the table).
                    note(
                        log,
                        format!("{ue_side}: leg {id} gone, partner waits again"),
                    );
                    rendezvous(other, ue_side, id, spec, stop, log);
                    return;
                }
                let (ue, core) = match (mine, other) {
                    (Leg::Ue(u), Leg::Core(c)) | (Leg::Core(c), Leg::Ue(u)) => (u, c),
                    _ => return,
                };
                note(log, format!("{ue_side}: legs paired, relaying"));
                pump(*ue, core, spec.timeouts.idle, stop);
                return;
            }
            Err(RecvTimeoutError::Disconnected) => return,
            Err(RecvTimeoutError::Timeout) => {
                if hung_up(tcp_of(&mine)) || Instant::now() >= end {
                    unregister(spec, ue_side, id);
                    // A partner may have been handed over between the check and removal.
                    if let Ok(other) = rx.try_recv() {
                        drop(other);
                    }
                    note(log, format!("{ue_side}: leg {id} ended unpaired"));
                    return;
                }
            }
        }
    }
}

/// Pipes octets between the TLS leg and the TCP leg until one closes or nothing moves for
/// `idle`.
fn pump(
    mut ue: crate::net::tls::ServerStream,
    mut core: TcpStream,
    idle: Duration,
    stop: &AtomicBool,
) {
    let tick = Some(Duration::from_millis(20));
    if ue.sock.set_read_timeout(tick).is_err() || core.set_read_timeout(tick).is_err() {
        return;
    }
    let _ = ue.sock.set_write_timeout(Some(idle));
    let _ = core.set_write_timeout(Some(idle));
    let mut last = Instant::now();
    let mut buf = vec![0u8; 16 * 1024];
    let quiet =
        |e: &std::io::Error| matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut);
    while !stop.load(Ordering::Relaxed) && last.elapsed() < idle {
        match ue.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                let Some(b) = buf.get(..n) else { break };
                if core.write_all(b).is_err() {
                    break;
                }
                last = Instant::now();
            }
            Err(e) if quiet(&e) => {}
            Err(_) => break,
        }
        match core.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                let Some(b) = buf.get(..n) else { break };
                if ue.write_all(b).and_then(|()| ue.flush()).is_err() {
                    break;
                }
                last = Instant::now();
            }
            Err(e) if quiet(&e) => {}
            Err(_) => break,
        }
    }
    ue.conn.send_close_notify();
    let _ = ue.flush();
    let _ = core.shutdown(std::net::Shutdown::Both);
}

fn server_config(
    spec: &RelaySpec,
    expected: &Fingerprint,
) -> Result<Arc<rustls::ServerConfig>, rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Arc::new(FingerprintVerifier {
        sigs: SignatureChecks(provider.clone()),
        expected: expected.clone(),
        accept_any: spec.no_fingerprint_check,
    });
    let cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(rustls::ALL_VERSIONS)?
        .with_client_cert_verifier(verifier)
        .with_single_cert(spec.identity.chain.clone(), spec.identity.key.clone_key())?;
    Ok(Arc::new(cfg))
}

/// RFC 4975 §14.2 / RFC 8122 §5: the UE's (self-signed) certificate is accepted when its
/// fingerprint is the one the UE signalled in SDP; no CA path is built.
#[derive(Debug)]
struct FingerprintVerifier {
    sigs: SignatureChecks,
    expected: Fingerprint,
    /// Flaw `agw-msrp-no-fingerprint-check`.
    accept_any: bool,
}

impl ClientCertVerifier for FingerprintVerifier {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if self.accept_any || matches_fingerprint(end_entity.as_ref(), &self.expected) {
            Ok(ClientCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn client_auth_mandatory(&self) -> bool {
        true
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.sigs.tls12(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.sigs.tls13(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.sigs.schemes()
    }
}

pub mod client;
mod null_flaw;

#[cfg(test)]
mod tests;
