//! SIP over TLS at the edge (RFC 3261 §18, §26.2.1; TS 33.203 Annex O "TLS first" on the SIPS
//! port): listeners and connections opened on demand from a given local address, one thread
//! per connection that owns the rustls session and its socket, frames the decrypted stream
//! by Content-Length ([`StreamFramer`]) and reports each complete SIP message, the completed
//! handshake (or why it failed) and the close as [`TlsEvent`]s. Every wait is bounded: reads
//! poll a stop flag, connect and handshake have a timeout, an unframeable stream is closed.
//!
//! The building block for the `tls` sec-agree mechanism in the UE and the reference P-CSCF;
//! it reports on a channel of its own, so it can sit beside the UDP/TCP socket set without a
//! new `Wire` variant until the roles take TLS.

use super::tls::{CertProblem, SessionInfo};
use super::NetError;
use crate::mech::sip::StreamFramer;
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, Connection, ServerConfig, ServerConnection};
use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use std::collections::HashMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const POLL: Duration = Duration::from_millis(20);
/// Bound on TCP connect and on the TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(3);

type Key = (SocketAddr, SocketAddr);

/// What a TLS connection reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsEvent {
    /// The handshake completed.
    Established {
        local: SocketAddr,
        peer: SocketAddr,
        info: SessionInfo,
    },
    /// One complete SIP message received on the connection.
    Message {
        local: SocketAddr,
        peer: SocketAddr,
        payload: Vec<u8>,
    },
    /// The handshake failed: the certificate was refused (client side), or another reason.
    Failed {
        local: SocketAddr,
        peer: SocketAddr,
        certificate: Option<CertProblem>,
        why: String,
    },
    /// The connection ended (close_notify, EOF, reset, unframeable stream or shutdown).
    Closed { local: SocketAddr, peer: SocketAddr },
}

/// What the edge, its listener threads and its connection threads share.
#[derive(Clone)]
struct Shared {
    conns: Arc<Mutex<HashMap<Key, Sender<Vec<u8>>>>>,
    tx: Sender<TlsEvent>,
    stop: Arc<AtomicBool>,
    threads: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

/// TLS listeners and connections.
pub struct TlsEdge {
    shared: Shared,
}

struct Conn {
    conn: Connection,
    sock: TcpStream,
    local: SocketAddr,
    peer: SocketAddr,
    outbox: Receiver<Vec<u8>>,
    tx: Sender<TlsEvent>,
    stop: Arc<AtomicBool>,
    conns: Arc<Mutex<HashMap<Key, Sender<Vec<u8>>>>>,
}

fn failed(local: SocketAddr, peer: SocketAddr, e: &rustls::Error) -> TlsEvent {
    let certificate = match e {
        rustls::Error::InvalidCertificate(c) => Some(CertProblem::from_rustls(c)),
        _ => None,
    };
    TlsEvent::Failed {
        local,
        peer,
        certificate,
        why: e.to_string(),
    }
}

impl Conn {
    fn run(mut self) {
        let _ = self.sock.set_read_timeout(Some(POLL));
        let _ = self.sock.set_write_timeout(Some(HANDSHAKE_TIMEOUT));
        let started = Instant::now();
        let mut established = false;
        let mut framer = StreamFramer::new();
        let mut buf = vec![0u8; 16 * 1024];
        let (local, peer) = (self.local, self.peer);
        while !self.stop.load(Ordering::Relaxed) {
            while let Ok(m) = self.outbox.try_recv() {
                if self.conn.writer().write_all(&m).is_err() {
                    break;
                }
            }
            while self.conn.wants_write() {
                if self.conn.write_tls(&mut self.sock).is_err() {
                    self.finish(None);
                    return;
                }
            }
            if !established && self.conn.is_handshaking() && started.elapsed() > HANDSHAKE_TIMEOUT {
                self.finish(Some(TlsEvent::Failed {
                    local,
                    peer,
                    certificate: None,
                    why: format!("handshake not complete after {HANDSHAKE_TIMEOUT:?}"),
                }));
                return;
            }
            match self.conn.read_tls(&mut self.sock) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    continue
                }
                Err(_) => break,
            }
            let state = match self.conn.process_new_packets() {
                Ok(s) => s,
                Err(e) => {
                    // Send our alert before closing.
                    let _ = self.conn.write_tls(&mut self.sock);
                    self.finish(Some(failed(local, peer, &e)));
                    return;
                }
            };
            if !established && !self.conn.is_handshaking() {
                established = true;
                let info = SessionInfo::of(
                    self.conn.protocol_version(),
                    self.conn.negotiated_cipher_suite(),
                );
                let _ = self.tx.send(TlsEvent::Established { local, peer, info });
            }
            if state.plaintext_bytes_to_read() > 0 {
                loop {
                    match self.conn.reader().read(&mut buf) {
                        Ok(0) => break,
                        Ok(n) => framer.push(buf.get(..n).unwrap_or(&[])),
                        Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                        Err(_) => {
                            self.finish(None);
                            return;
                        }
                    }
                }
                loop {
                    match framer.next_message() {
                        Ok(Some(m)) => {
                            let ev = TlsEvent::Message {
                                local,
                                peer,
                                payload: m.to_bytes(),
                            };
                            if self.tx.send(ev).is_err() {
                                self.finish(None);
                                return;
                            }
                        }
                        Ok(None) => break,
                        // RFC 3261 §18.3: an unframeable stream is closed.
                        Err(_) => {
                            self.finish(None);
                            return;
                        }
                    }
                }
            }
            if state.peer_has_closed() {
                break;
            }
        }
        self.finish(None);
    }

    fn finish(mut self, event: Option<TlsEvent>) {
        self.conn.send_close_notify();
        let _ = self.conn.write_tls(&mut self.sock);
        let _ = self.sock.shutdown(std::net::Shutdown::Both);
        if let Ok(mut c) = self.conns.lock() {
            c.remove(&(self.local, self.peer));
        }
        if let Some(e) = event {
            let _ = self.tx.send(e);
        }
        let _ = self.tx.send(TlsEvent::Closed {
            local: self.local,
            peer: self.peer,
        });
    }
}

impl Shared {
    /// Starts the connection's thread; `first` is queued before it runs (a handshake that
    /// fails at once must not make the first send fail).
    fn spawn(
        &self,
        conn: Connection,
        sock: TcpStream,
        local: SocketAddr,
        peer: SocketAddr,
        first: Option<&[u8]>,
    ) -> Sender<Vec<u8>> {
        let (otx, orx) = channel();
        if let Some(m) = first {
            let _ = otx.send(m.to_vec());
        }
        if let Ok(mut c) = self.conns.lock() {
            c.insert((local, peer), otx.clone());
        }
        let c = Conn {
            conn,
            sock,
            local,
            peer,
            outbox: orx,
            tx: self.tx.clone(),
            stop: self.stop.clone(),
            conns: self.conns.clone(),
        };
        let h = std::thread::spawn(move || c.run());
        if let Ok(mut t) = self.threads.lock() {
            t.push(h);
        }
        otx
    }
}

impl TlsEdge {
    /// An edge reporting on `tx`.
    pub fn new(tx: Sender<TlsEvent>) -> Self {
        TlsEdge {
            shared: Shared {
                conns: Arc::new(Mutex::new(HashMap::new())),
                tx,
                stop: Arc::new(AtomicBool::new(false)),
                threads: Arc::new(Mutex::new(Vec::new())),
            },
        }
    }

    /// Accepts TLS connections on `addr` (port 0: any); returns the bound address.
    pub fn listen(
        &mut self,
        addr: SocketAddr,
        cfg: Arc<ServerConfig>,
    ) -> Result<SocketAddr, NetError> {
        let bind_err = |source| NetError::Bind { addr, source };
        let sock = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))
            .map_err(bind_err)?;
        sock.set_reuse_address(true).map_err(bind_err)?;
        sock.bind(&SockAddr::from(addr)).map_err(bind_err)?;
        sock.listen(64).map_err(bind_err)?;
        let l: TcpListener = sock.into();
        l.set_nonblocking(true).map_err(bind_err)?;
        let bound = l.local_addr().map_err(bind_err)?;
        let edge = self.shared.clone();
        let h = std::thread::spawn(move || {
            while !edge.stop.load(Ordering::Relaxed) {
                match l.accept() {
                    Ok((s, peer)) => {
                        let _ = s.set_nonblocking(false);
                        let _ = s.set_nodelay(true);
                        match ServerConnection::new(cfg.clone()) {
                            Ok(c) => {
                                edge.spawn(Connection::Server(c), s, bound, peer, None);
                            }
                            Err(e) => {
                                let _ = edge.tx.send(failed(bound, peer, &e));
                            }
                        }
                    }
                    Err(_) => std::thread::sleep(POLL),
                }
            }
        });
        if let Ok(mut t) = self.shared.threads.lock() {
            t.push(h);
        }
        Ok(bound)
    }

    /// True when a connection `local ↔ peer` is open.
    pub fn is_connected(&self, local: SocketAddr, peer: SocketAddr) -> bool {
        self.shared
            .conns
            .lock()
            .map(|c| c.contains_key(&(local, peer)))
            .unwrap_or(false)
    }

    /// Sends one SIP message on the connection `local → peer`. Without one, `client` (config
    /// and the server name to validate) opens it from `local` (port 0: any) and the message
    /// goes out once the handshake completes; returns the connection's local address.
    pub fn send(
        &self,
        local: SocketAddr,
        peer: SocketAddr,
        payload: &[u8],
        client: Option<(&Arc<ClientConfig>, &str)>,
    ) -> Result<SocketAddr, NetError> {
        let send_err = |source| NetError::Send {
            to: peer.to_string(),
            source,
        };
        let existing = self
            .shared
            .conns
            .lock()
            .ok()
            .and_then(|c| c.get(&(local, peer)).cloned());
        if let Some(o) = existing {
            o.send(payload.to_vec())
                .map_err(|_| send_err(ErrorKind::BrokenPipe.into()))?;
            return Ok(local);
        }
        let Some((cfg, name)) = client else {
            return Err(send_err(std::io::Error::new(
                ErrorKind::NotConnected,
                "no TLS connection and no client configuration to open one",
            )));
        };
        let name = ServerName::try_from(name.to_string())
            .map_err(|e| send_err(std::io::Error::new(ErrorKind::InvalidInput, e)))?;
        let conn = ClientConnection::new(cfg.clone(), name)
            .map_err(|e| send_err(std::io::Error::other(e)))?;
        let sock = Socket::new(Domain::for_address(peer), Type::STREAM, Some(Protocol::TCP))
            .map_err(send_err)?;
        sock.set_reuse_address(true).map_err(send_err)?;
        sock.bind(&SockAddr::from(local)).map_err(send_err)?;
        sock.connect_timeout(&SockAddr::from(peer), HANDSHAKE_TIMEOUT)
            .map_err(send_err)?;
        let s: TcpStream = sock.into();
        let _ = s.set_nodelay(true);
        let bound = s.local_addr().map_err(send_err)?;
        self.shared
            .spawn(Connection::Client(conn), s, bound, peer, Some(payload));
        Ok(bound)
    }

    /// Stops accepting and reading, closes every connection, and waits for the threads.
    pub fn shutdown(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Ok(mut c) = self.shared.conns.lock() {
            c.clear();
        }
        let threads: Vec<JoinHandle<()>> = self
            .shared
            .threads
            .lock()
            .map(|mut t| t.drain(..).collect())
            .unwrap_or_default();
        for t in threads {
            let _ = t.join();
        }
    }
}

impl Drop for TlsEdge {
    fn drop(&mut self) {
        self.shutdown();
    }
}
