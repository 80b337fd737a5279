//! SIP over TCP at the edge (RFC 3261 §18): listeners, connections opened on demand from a
//! given local address, and one reader thread per connection that frames SIP messages by
//! Content-Length ([`StreamFramer`]) and hands each complete message to the socket set's queue
//! as a [`Wire::Tcp`] — or, once the connection runs TLS ([`super::tcp_tls`]: TLS first on
//! a SIPS listener, or the upgrade of a plain connection), as a [`Wire::Tls`]. Every wait is
//! bounded: accept and read poll a stop flag, connect has a timeout, a stream that cannot
//! be framed is closed, and a connection that holds its reader without progress is closed
//! after [`EdgeTimeouts`] (a TLS handshake not completed in time, a message begun and not
//! finished, nothing at all for a long time).

use super::tcp_tls::{Notes, Session, TlsNote, TlsSetup, HANDSHAKE_RECORD};
use super::{NetError, Wire};
use crate::mech::sip::StreamFramer;
use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const POLL: Duration = Duration::from_millis(50);
/// Bound on connection set-up (RFC 3261 leaves it to the transport; Timer B/F bound the
/// transaction above it).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Connections kept per socket set.
const MAX_CONNS: usize = 256;

/// How long a connection may hold its reader thread without progress. No RFC fixes these
/// numbers for a server; they bound what a stalled or hostile peer can hold (a client that
/// opens the SIPS port and sends nothing, or half a ClientHello).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EdgeTimeouts {
    /// A TLS handshake must complete within this from its first record; on a SIPS listener
    /// (TLS only, TS 33.203 Annex O "TLS first") the clock starts at accept.
    pub handshake: Duration,
    /// A SIP message begun must be complete within this (RFC 3261 §17.1.1.2: Timer B,
    /// 64·T1 = 32 s, ends the transaction it would belong to anyway).
    pub partial: Duration,
    /// A connection that carries nothing for this long is closed (RFC 3261 §18 leaves idle
    /// connections to the implementation; a UE keeps its flow with RFC 5626 keep-alives).
    pub idle: Duration,
}

impl Default for EdgeTimeouts {
    fn default() -> Self {
        EdgeTimeouts {
            handshake: Duration::from_secs(10),
            partial: Duration::from_secs(32),
            idle: Duration::from_secs(3600),
        }
    }
}

type Key = (SocketAddr, SocketAddr);

/// One connection: the stream to write on and, once started, its TLS session.
struct ConnState {
    stream: TcpStream,
    tls: Option<Session>,
    /// Plain SIP was sent or received on it (a later TLS start is an upgrade).
    carried_plain: bool,
    /// Accepted on a SIPS listener: TLS or nothing.
    tls_only: bool,
}

type Conn = Arc<Mutex<ConnState>>;
type Conns = Arc<Mutex<HashMap<Key, Conn>>>;

/// The TCP side of a socket set.
pub struct TcpEdge {
    conns: Conns,
    tx: Sender<Wire>,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
    readers: Arc<Mutex<Vec<JoinHandle<()>>>>,
    tls: Arc<Mutex<TlsSetup>>,
    notes: Notes,
    timeouts: Arc<Mutex<EdgeTimeouts>>,
}

/// What a reader thread shares with the edge.
struct Ctx {
    tx: Sender<Wire>,
    stop: Arc<AtomicBool>,
    conns: Conns,
    tls: Arc<Mutex<TlsSetup>>,
    notes: Notes,
    timeouts: EdgeTimeouts,
}

/// Why a connection must be closed for lack of progress, if it must.
fn overdue(
    conn: &Conn,
    t: &EdgeTimeouts,
    opened: Instant,
    last: Instant,
    partial_since: Option<Instant>,
) -> Option<String> {
    let st = conn.lock().ok()?;
    match &st.tls {
        None if st.tls_only && opened.elapsed() > t.handshake => {
            return Some(format!(
                "no TLS handshake on the SIPS connection within {:?}",
                t.handshake
            ))
        }
        Some(s) if !s.is_established() && s.started.elapsed() > t.handshake => {
            return Some(format!(
                "TLS handshake not completed within {:?}",
                t.handshake
            ))
        }
        _ => {}
    }
    if partial_since.is_some_and(|p| p.elapsed() > t.partial) {
        return Some(format!("SIP message not completed within {:?}", t.partial));
    }
    (last.elapsed() > t.idle).then(|| format!("connection idle for {:?}", t.idle))
}

fn write_all(st: &mut ConnState, data: &[u8]) -> std::io::Result<()> {
    if data.is_empty() {
        return Ok(());
    }
    st.stream.set_write_timeout(Some(CONNECT_TIMEOUT))?;
    st.stream.write_all(data)
}

/// Handles octets read from a connection; false: close it.
fn on_octets(
    data: &[u8],
    local: SocketAddr,
    peer: SocketAddr,
    conn: &Conn,
    ctx: &Ctx,
    plain: &mut StreamFramer,
    secure: &mut StreamFramer,
) -> bool {
    let Ok(mut st) = conn.lock() else {
        return false;
    };
    if st.tls.is_none() && data.first() == Some(&HANDSHAKE_RECORD) && plain.pending() == 0 {
        let server = ctx.tls.lock().ok().and_then(|t| t.server.clone());
        if let Some(cfg) = server {
            let upgraded = st.carried_plain;
            match Session::server(&cfg, &ctx.notes, local, peer, upgraded) {
                Ok(s) => st.tls = Some(s),
                Err(_) => return false,
            }
        }
    }
    if st.tls_only && st.tls.is_none() {
        // A SIPS listener takes TLS only.
        return false;
    }
    let notes = ctx.notes.clone();
    if let Some(mut tls) = st.tls.take() {
        let fed = tls.feed(data, &notes);
        let out = tls.outgoing(&notes);
        let wrote = write_all(&mut st, &out).is_ok();
        st.tls = Some(tls);
        let (text, closed) = match fed {
            Ok(x) => x,
            Err(_) => return false,
        };
        drop(st);
        secure.push(&text);
        return deliver(secure, local, peer, ctx, true) && wrote && !closed;
    }
    st.carried_plain = true;
    drop(st);
    plain.push(data);
    deliver(plain, local, peer, ctx, false)
}

/// Hands every complete message to the queue; false when the stream cannot be framed.
fn deliver(
    f: &mut StreamFramer,
    local: SocketAddr,
    peer: SocketAddr,
    ctx: &Ctx,
    tls: bool,
) -> bool {
    loop {
        match f.next_message() {
            Ok(Some(m)) => {
                let payload = m.to_bytes();
                let w = if tls {
                    Wire::Tls {
                        local,
                        peer,
                        payload,
                    }
                } else {
                    Wire::Tcp {
                        local,
                        peer,
                        payload,
                    }
                };
                if ctx.tx.send(w).is_err() {
                    return false;
                }
            }
            Ok(None) => return true,
            // RFC 3261 §18.3: an unframeable stream is closed.
            Err(_) => return false,
        }
    }
}

fn reader(mut s: TcpStream, local: SocketAddr, peer: SocketAddr, conn: Conn, ctx: Ctx) {
    let _ = s.set_read_timeout(Some(POLL));
    let mut plain = StreamFramer::new();
    let mut secure = StreamFramer::new();
    let mut buf = vec![0u8; 16 * 1024];
    let opened = Instant::now();
    let mut last = opened;
    let mut partial_since: Option<Instant> = None;
    let mut gave_up: Option<String> = None;
    while !ctx.stop.load(Ordering::Relaxed) {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                let data = buf.get(..n).unwrap_or(&[]);
                if !on_octets(data, local, peer, &conn, &ctx, &mut plain, &mut secure) {
                    break;
                }
                last = Instant::now();
                partial_since = if plain.pending() > 0 || secure.pending() > 0 {
                    partial_since.or(Some(last))
                } else {
                    None
                };
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => break,
        }
        if let Some(why) = overdue(&conn, &ctx.timeouts, opened, last, partial_since) {
            gave_up = Some(why);
            break;
        }
    }
    if let Ok(mut st) = conn.lock() {
        if let (Some(why), Some(t)) = (gave_up, st.tls.as_mut()) {
            t.give_up(&ctx.notes, why);
        }
        if let Some(mut t) = st.tls.take() {
            if matches!(t.conn, rustls::Connection::Server(_)) {
                // The session ended: an empty `Wire::Tls` tells the server role (before the
                // socket closes, so before any new connection with the same addresses).
                let _ = ctx.tx.send(Wire::Tls {
                    local,
                    peer,
                    payload: Vec::new(),
                });
            }
            t.closed(&ctx.notes);
            t.conn.send_close_notify();
            let out = t.outgoing(&ctx.notes);
            let _ = write_all(&mut st, &out);
        }
        let _ = st.stream.shutdown(std::net::Shutdown::Both);
    }
    if let Ok(mut c) = ctx.conns.lock() {
        // Only this connection's entry (a newer one may have the same addresses).
        if c.get(&(local, peer)).is_some_and(|x| Arc::ptr_eq(x, &conn)) {
            c.remove(&(local, peer));
        }
    }
}

impl TcpEdge {
    pub fn new(tx: Sender<Wire>, stop: Arc<AtomicBool>) -> Self {
        TcpEdge {
            conns: Arc::new(Mutex::new(HashMap::new())),
            tx,
            stop,
            threads: Vec::new(),
            readers: Arc::new(Mutex::new(Vec::new())),
            tls: Arc::default(),
            notes: Arc::default(),
            timeouts: Arc::default(),
        }
    }

    /// Sets the bounds on stalled connections (for connections opened from now on).
    pub fn set_timeouts(&self, t: EdgeTimeouts) {
        if let Ok(mut x) = self.timeouts.lock() {
            *x = t;
        }
    }

    /// Sets (or replaces) what the edge does with TLS.
    pub fn set_tls(&self, setup: TlsSetup) {
        if let Ok(mut t) = self.tls.lock() {
            *t = setup;
        }
    }

    /// The TLS sessions this edge ran so far.
    pub fn tls_notes(&self) -> Vec<TlsNote> {
        self.notes.lock().map(|v| v.clone()).unwrap_or_default()
    }

    fn ctx(&self) -> Ctx {
        Ctx {
            tx: self.tx.clone(),
            stop: self.stop.clone(),
            conns: self.conns.clone(),
            tls: self.tls.clone(),
            notes: self.notes.clone(),
            timeouts: self.timeouts.lock().map(|t| *t).unwrap_or_default(),
        }
    }

    fn adopt(
        &self,
        s: TcpStream,
        local: SocketAddr,
        peer: SocketAddr,
        tls_only: bool,
    ) -> Result<Conn, NetError> {
        let clone = s.try_clone().map_err(|source| NetError::Send {
            to: peer.to_string(),
            source,
        })?;
        let conn: Conn = Arc::new(Mutex::new(ConnState {
            stream: clone,
            tls: None,
            carried_plain: false,
            tls_only,
        }));
        if let Ok(mut c) = self.conns.lock() {
            if c.len() >= MAX_CONNS {
                if let Some(k) = c.keys().next().copied() {
                    if let Some(old) = c.remove(&k) {
                        if let Ok(o) = old.lock() {
                            let _ = o.stream.shutdown(std::net::Shutdown::Both);
                        }
                    }
                }
            }
            c.insert((local, peer), conn.clone());
        }
        let ctx = self.ctx();
        let c2 = conn.clone();
        let h = std::thread::spawn(move || reader(s, local, peer, c2, ctx));
        if let Ok(mut r) = self.readers.lock() {
            r.push(h);
        }
        Ok(conn)
    }

    /// Accepts connections on `addr` (plain SIP; with a server TLS set-up, a connection whose
    /// first octets after a message boundary are a handshake record is upgraded).
    pub fn listen(&mut self, addr: SocketAddr) -> Result<(), NetError> {
        self.listen_inner(addr, false)
    }

    /// Accepts TLS connections only on `addr` (the SIPS port, TS 33.203 Annex O "TLS first").
    pub fn listen_tls(&mut self, addr: SocketAddr) -> Result<(), NetError> {
        self.listen_inner(addr, true)
    }

    fn listen_inner(&mut self, addr: SocketAddr, tls_only: bool) -> Result<(), NetError> {
        let bind_err = |source| NetError::Bind { addr, source };
        let sock = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))
            .map_err(bind_err)?;
        sock.set_reuse_address(true).map_err(bind_err)?;
        sock.bind(&SockAddr::from(addr)).map_err(bind_err)?;
        sock.listen(64).map_err(bind_err)?;
        let l: TcpListener = sock.into();
        l.set_nonblocking(true).map_err(bind_err)?;
        let edge = TcpEdge {
            conns: self.conns.clone(),
            tx: self.tx.clone(),
            stop: self.stop.clone(),
            threads: Vec::new(),
            readers: self.readers.clone(),
            tls: self.tls.clone(),
            notes: self.notes.clone(),
            timeouts: self.timeouts.clone(),
        };
        let stop = self.stop.clone();
        self.threads.push(std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                match l.accept() {
                    Ok((s, peer)) => {
                        let _ = s.set_nonblocking(false);
                        let _ = s.set_nodelay(true);
                        let _ = edge.adopt(s, addr, peer, tls_only);
                    }
                    Err(_) => std::thread::sleep(POLL),
                }
            }
        }));
        Ok(())
    }

    fn connection(&self, local: SocketAddr, peer: SocketAddr) -> Result<(Conn, bool), NetError> {
        let send_err = |source| NetError::Send {
            to: peer.to_string(),
            source,
        };
        let existing = self
            .conns
            .lock()
            .ok()
            .and_then(|c| c.get(&(local, peer)).cloned());
        if let Some(c) = existing {
            return Ok((c, false));
        }
        // SIP over TCP opens connections from a fixed address (the protected or SIP port), so
        // a new connection can repeat the 4-tuple of one that just closed and is still in
        // TIME_WAIT (RFC 9293 §3.6.1): Linux then refuses the connect with EADDRNOTAVAIL until
        // it may reuse the tuple (tcp_tw_reuse, one second on loopback). That is retried
        // within CONNECT_TIMEOUT; every other error is final.
        let deadline = Instant::now() + CONNECT_TIMEOUT;
        let sock = loop {
            let sock = Socket::new(Domain::for_address(peer), Type::STREAM, Some(Protocol::TCP))
                .map_err(send_err)?;
            sock.set_reuse_address(true).map_err(send_err)?;
            sock.bind(&SockAddr::from(local)).map_err(send_err)?;
            let left = deadline.saturating_duration_since(Instant::now());
            match sock.connect_timeout(&SockAddr::from(peer), left.max(POLL)) {
                Ok(()) => break sock,
                Err(e)
                    if e.kind() == std::io::ErrorKind::AddrNotAvailable
                        && Instant::now() + POLL < deadline =>
                {
                    std::thread::sleep(POLL)
                }
                Err(e) => return Err(send_err(e)),
            }
        };
        let s: TcpStream = sock.into();
        let _ = s.set_nodelay(true);
        Ok((self.adopt(s, local, peer, false)?, true))
    }

    /// Sends one SIP message on the connection `local → peer`, opening it from `local` if
    /// there is none (RFC 3261 §18.1.1). Plain on a connection that runs TLS is refused.
    pub fn send(
        &self,
        local: SocketAddr,
        peer: SocketAddr,
        payload: &[u8],
    ) -> Result<(), NetError> {
        let send_err = |source| NetError::Send {
            to: peer.to_string(),
            source,
        };
        let (conn, _) = self.connection(local, peer)?;
        let mut st = conn
            .lock()
            .map_err(|_| send_err(std::io::Error::other("connection state poisoned")))?;
        if st.tls.is_some() {
            return Err(send_err(std::io::Error::other(
                "plain SIP on a connection that runs TLS",
            )));
        }
        st.carried_plain = true;
        write_all(&mut st, payload).map_err(send_err)
    }

    /// Sends one SIP message on the TLS session of connection `local → peer`. Client side:
    /// opens the connection if there is none and starts TLS on it if it has not (the upgrade
    /// of seed 004 when it carried plain SIP); the message goes out once the handshake is done.
    pub fn send_tls(
        &self,
        local: SocketAddr,
        peer: SocketAddr,
        payload: &[u8],
    ) -> Result<(), NetError> {
        let send_err = |source| NetError::Send {
            to: peer.to_string(),
            source,
        };
        let other = |m: String| send_err(std::io::Error::other(m));
        let (client, check) = self
            .tls
            .lock()
            .map(|t| (t.client.clone(), t.cert_check.clone()))
            .unwrap_or_default();
        let existing = self
            .conns
            .lock()
            .ok()
            .is_some_and(|c| c.contains_key(&(local, peer)));
        if !existing && client.is_none() {
            return Err(other(
                "no TLS connection and no client configuration".into(),
            ));
        }
        let (conn, _) = self.connection(local, peer)?;
        let mut st = conn
            .lock()
            .map_err(|_| other("connection state poisoned".into()))?;
        let mut tls = match st.tls.take() {
            Some(t) => t,
            None => {
                let (cfg, name) =
                    client.ok_or_else(|| other("the connection runs no TLS to send on".into()))?;
                let upgraded = st.carried_plain;
                Session::client(
                    &cfg,
                    &name,
                    check.as_ref(),
                    &self.notes,
                    local,
                    peer,
                    upgraded,
                )
                .map_err(other)?
            }
        };
        let r = tls.write_plain(payload);
        let out = tls.outgoing(&self.notes);
        st.tls = Some(tls);
        r.map_err(other)?;
        write_all(&mut st, &out).map_err(send_err)
    }

    /// Stops accepting and reading, closes every connection, and waits for the threads.
    pub fn shutdown(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        let readers: Vec<JoinHandle<()>> = match self.readers.lock() {
            Ok(mut r) => r.drain(..).collect(),
            Err(_) => Vec::new(),
        };
        for t in readers {
            let _ = t.join();
        }
        if let Ok(mut c) = self.conns.lock() {
            c.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::channel;

    /// Two messages in one write and one message split over two writes all come out framed.
    #[test]
    fn frames_messages_from_a_real_connection() {
        let (tx, rx) = channel();
        let stop = Arc::new(AtomicBool::new(false));
        let mut edge = TcpEdge::new(tx, stop);
        let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
        // Find a free port first.
        let probe = TcpListener::bind(addr).unwrap();
        let addr = probe.local_addr().unwrap();
        drop(probe);
        edge.listen(addr).unwrap();
        let mut c = TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT).unwrap();
        let m = b"OPTIONS sip:x SIP/2.0\r\nContent-Length: 3\r\n\r\nabc";
        let mut two = m.to_vec();
        two.extend_from_slice(m);
        c.write_all(&two).unwrap();
        c.write_all(&m[..10]).unwrap();
        c.flush().unwrap();
        std::thread::sleep(Duration::from_millis(20));
        c.write_all(&m[10..]).unwrap();
        let mut got = Vec::new();
        while got.len() < 3 {
            match rx.recv_timeout(Duration::from_secs(2)) {
                Ok(Wire::Tcp { payload, local, .. }) => {
                    assert_eq!(local, addr);
                    got.push(payload)
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        assert!(got.iter().all(|p| p == m));
        // The answer goes back on the same connection.
        let peer = c.local_addr().unwrap();
        edge.send(addr, peer, b"SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n")
            .unwrap();
        let mut buf = [0u8; 64];
        c.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let n = c.read(&mut buf).unwrap();
        assert!(buf[..n].starts_with(b"SIP/2.0 200 OK"));
        edge.shutdown();
    }

    fn free_addr() -> SocketAddr {
        let probe = TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap()
    }

    /// Reads until the server closes the connection; the time it took, or `None` if it
    /// stayed open for `limit`.
    fn closed_within(c: &mut TcpStream, limit: Duration) -> Option<Duration> {
        let t0 = Instant::now();
        c.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
        let mut buf = [0u8; 256];
        while t0.elapsed() < limit {
            match c.read(&mut buf) {
                Ok(0) => return Some(t0.elapsed()),
                Ok(_) => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(_) => return Some(t0.elapsed()),
            }
        }
        None
    }

    /// The next SIP message over TLS (skipping the edge's empty "session ended" notices).
    fn next_tls_message(rx: &std::sync::mpsc::Receiver<Wire>) -> Vec<u8> {
        loop {
            match rx.recv_timeout(Duration::from_secs(3)) {
                Ok(Wire::Tls { payload, .. }) if payload.is_empty() => {}
                Ok(Wire::Tls { payload, .. }) => return payload,
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    /// A client that opens the SIPS port and sends nothing, and one that sends half a
    /// ClientHello, are closed once the handshake deadline passes; meanwhile and after, a
    /// well-behaved client completes TLS and its SIP message is delivered.
    #[test]
    fn stalled_tls_clients_are_closed_and_others_served() {
        use crate::net::tls::{
            client_config, server_config, ClientOptions, ServerOptions, TestPki, Validity,
        };
        let pki = TestPki::new("imsec test CA").unwrap();
        let id = pki.issue(&["pcscf.imsec.test"], Validity::Current).unwrap();
        let scfg = server_config(&id, &ServerOptions::default()).unwrap();
        let (tx, rx) = channel();
        let mut edge = TcpEdge::new(tx, Arc::new(AtomicBool::new(false)));
        edge.set_tls(TlsSetup {
            server: Some(scfg),
            ..TlsSetup::default()
        });
        let bound = Duration::from_millis(400);
        edge.set_timeouts(EdgeTimeouts {
            handshake: bound,
            partial: bound,
            idle: Duration::from_secs(60),
        });
        let addr = free_addr();
        edge.listen_tls(addr).unwrap();
        let mut silent = TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT).unwrap();
        let mut half = TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT).unwrap();
        // A handshake record announcing 512 octets of ClientHello, and only its start.
        half.write_all(&[HANDSHAKE_RECORD, 3, 1, 2, 0, 1, 0, 1, 0xfc, 3, 3, 0, 0])
            .unwrap();

        // A well-behaved client, while the two stall.
        let ccfg = client_config(&[pki.ca_der()], &ClientOptions::default()).unwrap();
        let name = rustls::pki_types::ServerName::try_from("pcscf.imsec.test").unwrap();
        let cc = rustls::ClientConnection::new(ccfg.clone(), name.clone()).unwrap();
        let sock = TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT).unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
        let mut good = rustls::StreamOwned::new(cc, sock);
        let m = b"OPTIONS sip:x SIP/2.0\r\nContent-Length: 0\r\n\r\n";
        good.write_all(m).unwrap();
        good.flush().unwrap();
        assert_eq!(next_tls_message(&rx), m);

        let limit = Duration::from_secs(3);
        let a = closed_within(&mut silent, limit).expect("silent client still open");
        let b = closed_within(&mut half, limit).expect("half ClientHello still open");
        // Closed after the bound (measured from our connect, so within bound + slack).
        assert!(a < bound + Duration::from_millis(800), "{a:?}");
        assert!(b < bound + Duration::from_millis(800), "{b:?}");
        let notes = edge.tls_notes();
        assert!(
            notes.iter().any(|n| n
                .failure
                .as_deref()
                .is_some_and(|f| f.contains("handshake not completed"))),
            "{notes:?}"
        );

        // After the stalled ones went, a new client is still served.
        let cc = rustls::ClientConnection::new(ccfg, name).unwrap();
        let sock = TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT).unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
        let mut again = rustls::StreamOwned::new(cc, sock);
        again.write_all(m).unwrap();
        again.flush().unwrap();
        assert_eq!(next_tls_message(&rx), m);
        // The well-behaved session, past the handshake, is not cut by the handshake bound.
        std::thread::sleep(bound * 2);
        good.write_all(m).unwrap();
        good.flush().unwrap();
        assert_eq!(next_tls_message(&rx), m);
        edge.shutdown();
    }

    /// On a plain SIP port, half a message is dropped with its connection after the bound.
    #[test]
    fn half_a_sip_message_is_closed() {
        let (tx, _rx) = channel();
        let mut edge = TcpEdge::new(tx, Arc::new(AtomicBool::new(false)));
        let bound = Duration::from_millis(300);
        edge.set_timeouts(EdgeTimeouts {
            handshake: bound,
            partial: bound,
            idle: Duration::from_secs(60),
        });
        let addr = free_addr();
        edge.listen(addr).unwrap();
        let mut c = TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT).unwrap();
        c.write_all(b"OPTIONS sip:x SIP/2.0\r\nContent-Le").unwrap();
        let t = closed_within(&mut c, Duration::from_secs(3)).expect("still open");
        // Not before the bound (less the time between our write and the clock's start).
        assert!(t + Duration::from_millis(100) >= bound, "{t:?}");
        edge.shutdown();
    }
}
