//! A set of bound UDP sockets (and optionally raw ESP sockets) read by one thread each into a
//! channel, so a role or the harness waits on one queue with a timeout.

use super::raw::RawEsp;
use super::tcp::TcpEdge;
use super::{NetError, Wire};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often reader threads look at the stop flag.
const POLL: Duration = Duration::from_millis(50);
/// Largest datagram read.
const MAX_DATAGRAM: usize = 65_535;

/// Bound sockets plus their reader threads.
pub struct SocketSet {
    udp: HashMap<SocketAddr, Arc<UdpSocket>>,
    raw: HashMap<IpAddr, Arc<RawEsp>>,
    tcp: TcpEdge,
    rx: Receiver<Wire>,
    tx: Sender<Wire>,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
    /// Every datagram or packet sent or received, with a direction flag (for captures).
    pub tap: Option<Sender<(bool, Wire)>>,
}

impl SocketSet {
    pub fn new() -> Self {
        let (tx, rx) = channel();
        let stop = Arc::new(AtomicBool::new(false));
        SocketSet {
            udp: HashMap::new(),
            raw: HashMap::new(),
            tcp: TcpEdge::new(tx.clone(), stop.clone()),
            rx,
            tx,
            stop,
            threads: Vec::new(),
            tap: None,
        }
    }

    /// Binds a UDP socket and starts reading it.
    pub fn bind_udp(&mut self, addr: SocketAddr) -> Result<(), NetError> {
        let s = UdpSocket::bind(addr).map_err(|source| NetError::Bind { addr, source })?;
        s.set_read_timeout(Some(POLL))
            .map_err(|source| NetError::Bind { addr, source })?;
        let s = Arc::new(s);
        self.udp.insert(addr, s.clone());
        let (tx, stop) = (self.tx.clone(), self.stop.clone());
        self.threads.push(std::thread::spawn(move || {
            let mut buf = vec![0u8; MAX_DATAGRAM];
            while !stop.load(Ordering::Relaxed) {
                match s.recv_from(&mut buf) {
                    Ok((n, peer)) => {
                        let w = Wire::Udp {
                            local: addr,
                            peer,
                            payload: buf.get(..n).unwrap_or(&[]).to_vec(),
                        };
                        if tx.send(w).is_err() {
                            return;
                        }
                    }
                    Err(e)
                        if matches!(
                            e.kind(),
                            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                        ) => {}
                    // ICMP port unreachable from an earlier send shows up here on Linux.
                    Err(_) => std::thread::sleep(POLL),
                }
            }
        }));
        Ok(())
    }

    /// Accepts SIP over TCP on `addr`.
    pub fn listen_tcp(&mut self, addr: SocketAddr) -> Result<(), NetError> {
        self.tcp.listen(addr)
    }

    /// Whether a UDP socket is bound at `addr`.
    pub fn is_bound(&self, addr: &SocketAddr) -> bool {
        self.udp.contains_key(addr)
    }

    /// Opens a raw ESP socket bound to `addr` and starts reading it.
    pub fn bind_raw(&mut self, addr: IpAddr) -> Result<(), NetError> {
        let r = Arc::new(RawEsp::open(addr)?);
        self.raw.insert(addr, r.clone());
        let (tx, stop) = (self.tx.clone(), self.stop.clone());
        self.threads.push(std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                match r.recv(POLL) {
                    Ok(Some(packet)) => {
                        if tx.send(Wire::Ip { packet }).is_err() {
                            return;
                        }
                    }
                    Ok(None) => {}
                    Err(_) => std::thread::sleep(POLL),
                }
            }
        }));
        Ok(())
    }

    /// Sends a wire unit from the socket it names.
    pub fn send(&self, w: &Wire) -> Result<(), NetError> {
        if let Some(t) = &self.tap {
            let _ = t.send((true, w.clone()));
        }
        match w {
            Wire::Udp {
                local,
                peer,
                payload,
            } => {
                let s = self.udp.get(local).ok_or(NetError::NotBound(*local))?;
                s.send_to(payload, peer).map_err(|source| NetError::Send {
                    to: peer.to_string(),
                    source,
                })?;
                Ok(())
            }
            Wire::Ip { packet } => {
                let src = ip_src(packet).ok_or_else(|| NetError::Send {
                    to: "?".into(),
                    source: std::io::Error::other("not an IP packet"),
                })?;
                let r = self
                    .raw
                    .get(&src)
                    .ok_or(NetError::NotBound(SocketAddr::new(src, 0)))?;
                r.send(packet)
            }
            Wire::Tcp {
                local,
                peer,
                payload,
            } => self.tcp.send(*local, *peer, payload),
            Wire::Tls {
                local,
                peer,
                payload,
            } => self.tcp.send_tls(*local, *peer, payload),
        }
    }

    /// What the TCP edge does with TLS (server config for the SIPS port and upgrades, client
    /// config for `Wire::Tls`), see [`super::tcp_tls`].
    pub fn set_tls(&self, setup: super::tcp_tls::TlsSetup) {
        self.tcp.set_tls(setup);
    }

    /// Accepts TLS-only connections on `addr` (a SIPS port).
    pub fn listen_tls(&mut self, addr: SocketAddr) -> Result<(), NetError> {
        self.tcp.listen_tls(addr)
    }

    /// The TLS sessions run on this set so far.
    pub fn tls_notes(&self) -> Vec<super::tcp_tls::TlsNote> {
        self.tcp.tls_notes()
    }

    /// Waits up to `timeout` for the next received unit.
    pub fn recv(&self, timeout: Duration) -> Option<Wire> {
        let w = match self.rx.recv_timeout(timeout) {
            Ok(w) => Some(w),
            Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => None,
        };
        if let (Some(t), Some(w)) = (&self.tap, &w) {
            let _ = t.send((false, w.clone()));
        }
        w
    }

    /// Waits until `pick` accepts a unit (others are handed to `other`) or the deadline.
    pub fn recv_until<T>(
        &self,
        timeout: Duration,
        mut pick: impl FnMut(&Wire) -> Option<T>,
        mut other: impl FnMut(Wire),
    ) -> Option<T> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            let w = self.recv(left)?;
            match pick(&w) {
                Some(t) => return Some(t),
                None => other(w),
            }
        }
    }

    /// Stops the reader threads and waits for them.
    pub fn shutdown(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.tcp.shutdown();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

impl Default for SocketSet {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for SocketSet {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Source address of an IPv4/IPv6 packet.
pub fn ip_src(p: &[u8]) -> Option<IpAddr> {
    ip_field(p, 12, 8)
}

/// Destination address of an IPv4/IPv6 packet.
pub fn ip_dst(p: &[u8]) -> Option<IpAddr> {
    ip_field(p, 16, 24)
}

/// The address at offset `v4` (IPv4) or `v6` (IPv6) of the header.
fn ip_field(p: &[u8], v4: usize, v6: usize) -> Option<IpAddr> {
    match p.first()? >> 4 {
        4 => {
            let b: [u8; 4] = p.get(v4..v4 + 4)?.try_into().ok()?;
            Some(IpAddr::from(b))
        }
        6 => {
            let b: [u8; 16] = p.get(v6..v6 + 16)?.try_into().ok()?;
            Some(IpAddr::from(b))
        }
        _ => None,
    }
}
