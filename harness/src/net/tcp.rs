//! Plain SIP over TCP at the edge (RFC 3261 §18): listeners, connections opened on demand from
//! a given local address, and one reader thread per connection that frames SIP messages by
//! Content-Length ([`StreamFramer`]) and hands each complete message to the socket set's queue
//! as a [`Wire::Tcp`]. Every wait is bounded: accept and read poll a stop flag, connect has a
//! timeout, and a stream that cannot be framed is closed.

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
use std::time::Duration;

const POLL: Duration = Duration::from_millis(50);
/// Bound on connection set-up (RFC 3261 leaves it to the transport; Timer B/F bound the
/// transaction above it).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Connections kept per socket set.
const MAX_CONNS: usize = 256;

type Key = (SocketAddr, SocketAddr);

/// The TCP side of a socket set.
pub struct TcpEdge {
    conns: Arc<Mutex<HashMap<Key, TcpStream>>>,
    tx: Sender<Wire>,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
    readers: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

fn reader(
    mut s: TcpStream,
    local: SocketAddr,
    peer: SocketAddr,
    tx: Sender<Wire>,
    stop: Arc<AtomicBool>,
    conns: Arc<Mutex<HashMap<Key, TcpStream>>>,
) {
    let _ = s.set_read_timeout(Some(POLL));
    let mut framer = StreamFramer::new();
    let mut buf = vec![0u8; 16 * 1024];
    while !stop.load(Ordering::Relaxed) {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                framer.push(buf.get(..n).unwrap_or(&[]));
                loop {
                    match framer.next_message() {
                        Ok(Some(m)) => {
                            let w = Wire::Tcp {
                                local,
                                peer,
                                payload: m.to_bytes(),
                            };
                            if tx.send(w).is_err() {
                                return;
                            }
                        }
                        Ok(None) => break,
                        // RFC 3261 §18.3: an unframeable stream is closed.
                        Err(_) => {
                            let _ = s.shutdown(std::net::Shutdown::Both);
                            if let Ok(mut c) = conns.lock() {
                                c.remove(&(local, peer));
                            }
                            return;
                        }
                    }
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => break,
        }
    }
    if let Ok(mut c) = conns.lock() {
        c.remove(&(local, peer));
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
        }
    }

    fn adopt(&self, s: TcpStream, local: SocketAddr, peer: SocketAddr) -> Result<(), NetError> {
        let clone = s.try_clone().map_err(|source| NetError::Send {
            to: peer.to_string(),
            source,
        })?;
        if let Ok(mut c) = self.conns.lock() {
            if c.len() >= MAX_CONNS {
                if let Some(k) = c.keys().next().copied() {
                    if let Some(old) = c.remove(&k) {
                        let _ = old.shutdown(std::net::Shutdown::Both);
                    }
                }
            }
            c.insert((local, peer), clone);
        }
        let (tx, stop, conns) = (self.tx.clone(), self.stop.clone(), self.conns.clone());
        let h = std::thread::spawn(move || reader(s, local, peer, tx, stop, conns));
        if let Ok(mut r) = self.readers.lock() {
            r.push(h);
        }
        Ok(())
    }

    /// Accepts connections on `addr`.
    pub fn listen(&mut self, addr: SocketAddr) -> Result<(), NetError> {
        let bind_err = |source| NetError::Bind { addr, source };
        let sock = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))
            .map_err(bind_err)?;
        sock.set_reuse_address(true).map_err(bind_err)?;
        sock.bind(&SockAddr::from(addr)).map_err(bind_err)?;
        sock.listen(64).map_err(bind_err)?;
        let l: TcpListener = sock.into();
        l.set_nonblocking(true).map_err(bind_err)?;
        let conns = self.conns.clone();
        let (tx, stop, readers) = (self.tx.clone(), self.stop.clone(), self.readers.clone());
        self.threads.push(std::thread::spawn(move || {
            let edge = TcpEdge {
                conns,
                tx,
                stop: stop.clone(),
                threads: Vec::new(),
                readers,
            };
            while !stop.load(Ordering::Relaxed) {
                match l.accept() {
                    Ok((s, peer)) => {
                        let _ = s.set_nonblocking(false);
                        let _ = s.set_nodelay(true);
                        let _ = edge.adopt(s, addr, peer);
                    }
                    Err(_) => std::thread::sleep(POLL),
                }
            }
        }));
        Ok(())
    }

    /// Sends one SIP message on the connection `local → peer`, opening it from `local` if
    /// there is none (RFC 3261 §18.1.1).
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
        let existing = self
            .conns
            .lock()
            .ok()
            .and_then(|c| c.get(&(local, peer)).and_then(|s| s.try_clone().ok()));
        let mut s = match existing {
            Some(s) => s,
            None => {
                let sock =
                    Socket::new(Domain::for_address(peer), Type::STREAM, Some(Protocol::TCP))
                        .map_err(send_err)?;
                sock.set_reuse_address(true).map_err(send_err)?;
                sock.bind(&SockAddr::from(local)).map_err(send_err)?;
                sock.connect_timeout(&SockAddr::from(peer), CONNECT_TIMEOUT)
                    .map_err(send_err)?;
                let s: TcpStream = sock.into();
                let _ = s.set_nodelay(true);
                self.adopt(s.try_clone().map_err(send_err)?, local, peer)?;
                s
            }
        };
        s.set_write_timeout(Some(CONNECT_TIMEOUT))
            .map_err(send_err)?;
        s.write_all(payload).map_err(send_err)
    }

    /// Stops accepting and reading, closes every connection, and waits for the threads.
    pub fn shutdown(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Ok(mut c) = self.conns.lock() {
            for (_, s) in c.drain() {
                let _ = s.shutdown(std::net::Shutdown::Both);
            }
        }
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
}
