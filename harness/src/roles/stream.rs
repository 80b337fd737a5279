//! SIP over TCP inside the SAs (TS 33.203 §7.1: the SA pairs carry TCP as well as UDP; TS 24.229
//! §5.1.1.2 / §5.2.2: the UE connects from port_uc to port_ps, the P-CSCF from port_pc to
//! port_us). The kernel that would normally run TCP above ESP is not there (imsec's ESP is
//! userspace), so each end holds a userspace TCP stack: [`smoltcp`], fed with the inner packets
//! of the SAs and framing SIP out of each connection by Content-Length (RFC 3261 §18.3).
//!
//! Sans-I/O like the rest of `roles`: packets in ([`Streams::input`]), packets and complete
//! SIP messages out ([`Streams::poll`]), the clock read from [`std::time::Instant`] only to give
//! smoltcp its timestamps (retransmission timers).
//!
//! Why smoltcp: a maintained, no-`unsafe`-required TCP that already runs over arbitrary packet
//! queues; writing a TCP of our own would be more code to prove than the harness it serves.

use crate::mech::sip::StreamFramer;
use smoltcp::iface::{Config, Interface, SocketHandle, SocketSet};
use smoltcp::phy::{Device, DeviceCapabilities, Medium, RxToken, TxToken};
use smoltcp::socket::tcp;
use smoltcp::time::{Duration as SmolDuration, Instant as SmolInstant};
use smoltcp::wire::{HardwareAddress, IpAddress, IpCidr, IpEndpoint, IpListenEndpoint};
use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};

/// Inner MTU: leaves room for the ESP header, IV, padding, ICV and the outer headers within a
/// 1500-octet path (RFC 4303 §2; the largest overhead here is AES-CBC + UDP encapsulation).
pub const INNER_MTU: usize = 1400;
/// Socket buffer size per direction.
const BUFFER: usize = 64 * 1024;
/// Connections one end keeps at most (oldest closed ones go first).
const MAX_CONNS: usize = 64;
/// Give up on a connection whose peer stops answering (RFC 3261 Timer F is 32 s).
const CONN_TIMEOUT: SmolDuration = SmolDuration::from_secs(32);

/// Packet queues in both directions: the "device" under smoltcp.
#[derive(Default)]
struct Queues {
    rx: VecDeque<Vec<u8>>,
    tx: VecDeque<Vec<u8>>,
}

struct Rx(Vec<u8>);
struct Tx<'a>(&'a mut VecDeque<Vec<u8>>);

impl RxToken for Rx {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.0)
    }
}

impl TxToken for Tx<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut b = vec![0u8; len];
        let r = f(&mut b);
        self.0.push_back(b);
        r
    }
}

impl Device for Queues {
    type RxToken<'a> = Rx;
    type TxToken<'a> = Tx<'a>;

    fn receive(&mut self, _t: SmolInstant) -> Option<(Rx, Tx<'_>)> {
        let p = self.rx.pop_front()?;
        Some((Rx(p), Tx(&mut self.tx)))
    }

    fn transmit(&mut self, _t: SmolInstant) -> Option<Tx<'_>> {
        Some(Tx(&mut self.tx))
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut c = DeviceCapabilities::default();
        c.medium = Medium::Ip;
        c.max_transmission_unit = INNER_MTU;
        c
    }
}

/// A complete SIP message read from a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamMessage {
    pub local: SocketAddr,
    pub remote: SocketAddr,
    pub payload: Vec<u8>,
}

struct Conn {
    handle: SocketHandle,
    /// Bytes accepted from the role but not yet taken by the socket.
    pending: Vec<u8>,
    framer: StreamFramer,
    /// A listening socket (becomes a connection when a SYN arrives).
    listener: Option<u16>,
}

/// One end's TCP connections inside the SAs.
pub struct Streams {
    dev: Queues,
    iface: Interface,
    sockets: SocketSet<'static>,
    conns: Vec<Conn>,
    epoch: std::time::Instant,
    /// Stream errors (unframeable data, refused connections), for the role's log.
    pub log: Vec<String>,
}

fn ip_of(a: IpAddr) -> IpAddress {
    match a {
        IpAddr::V4(v) => IpAddress::Ipv4(v),
        IpAddr::V6(v) => IpAddress::Ipv6(v),
    }
}

fn sock_of(e: IpEndpoint) -> SocketAddr {
    let ip = match e.addr {
        IpAddress::Ipv4(v) => IpAddr::V4(v),
        IpAddress::Ipv6(v) => IpAddr::V6(v),
    };
    SocketAddr::new(ip, e.port)
}

impl Default for Streams {
    fn default() -> Self {
        Self::new()
    }
}

impl Streams {
    pub fn new() -> Self {
        let mut dev = Queues::default();
        let epoch = std::time::Instant::now();
        let iface = Interface::new(
            Config::new(HardwareAddress::Ip),
            &mut dev,
            SmolInstant::from_millis(0),
        );
        Streams {
            dev,
            iface,
            sockets: SocketSet::new(Vec::new()),
            conns: Vec::new(),
            epoch,
            log: Vec::new(),
        }
    }

    fn now(&self) -> SmolInstant {
        SmolInstant::from_millis(i64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(0))
    }

    /// Makes `ip` one of this end's addresses (the inbound SAs' destination).
    pub fn add_addr(&mut self, ip: IpAddr) {
        let want = ip_of(ip);
        self.iface.update_ip_addrs(|addrs| {
            if addrs.iter().any(|c| c.address() == want) {
                return;
            }
            // A /0 prefix makes every peer on-link: there is no routing under the SAs.
            if addrs.push(IpCidr::new(want, 0)).is_err() {
                // Full (one IPv4 and one IPv6 address fit): the newest address wins.
                addrs.remove(0);
                let _ = addrs.push(IpCidr::new(want, 0));
            }
        });
    }

    fn new_socket() -> tcp::Socket<'static> {
        let mut s = tcp::Socket::new(
            tcp::SocketBuffer::new(vec![0; BUFFER]),
            tcp::SocketBuffer::new(vec![0; BUFFER]),
        );
        // SIP needs no delayed ACKs or Nagle: every message is sent whole at once.
        s.set_ack_delay(None);
        s.set_nagle_enabled(false);
        s.set_timeout(Some(CONN_TIMEOUT));
        s
    }

    fn make_room(&mut self) {
        while self.conns.len() >= MAX_CONNS {
            let idx = self
                .conns
                .iter()
                .position(|c| {
                    c.listener.is_none() && !self.sockets.get::<tcp::Socket>(c.handle).is_active()
                })
                .unwrap_or(0);
            let c = self.conns.remove(idx);
            self.sockets.remove(c.handle);
        }
    }

    /// Accepts connections on `local` (a protected server port: port_ps at the P-CSCF, port_us
    /// at the UE). Idempotent.
    pub fn listen(&mut self, local: SocketAddr) {
        let listening = self.conns.iter().any(|c| {
            c.listener == Some(local.port())
                && self.sockets.get::<tcp::Socket>(c.handle).is_listening()
        });
        if listening {
            return;
        }
        self.add_addr(local.ip());
        self.make_room();
        let mut s = Self::new_socket();
        let ep = IpListenEndpoint {
            addr: Some(ip_of(local.ip())),
            port: local.port(),
        };
        if let Err(e) = s.listen(ep) {
            self.log.push(format!("cannot listen on {local}: {e}"));
            return;
        }
        let handle = self.sockets.add(s);
        self.conns.push(Conn {
            handle,
            pending: Vec::new(),
            framer: StreamFramer::new(),
            listener: Some(local.port()),
        });
    }

    fn find(&self, local: SocketAddr, remote: SocketAddr) -> Option<usize> {
        self.conns.iter().position(|c| {
            let s = self.sockets.get::<tcp::Socket>(c.handle);
            s.is_active()
                && s.local_endpoint().map(sock_of) == Some(local)
                && s.remote_endpoint().map(sock_of) == Some(remote)
        })
    }

    /// Queues a SIP message on the connection `local → remote`, opening it if there is none
    /// (RFC 3261 §18.1.1: a client reuses an open connection to the same destination).
    pub fn send(
        &mut self,
        local: SocketAddr,
        remote: SocketAddr,
        data: &[u8],
    ) -> Result<(), String> {
        let idx = match self.find(local, remote) {
            Some(i) => i,
            None => {
                self.add_addr(local.ip());
                self.make_room();
                let mut s = Self::new_socket();
                s.connect(
                    self.iface.context(),
                    (ip_of(remote.ip()), remote.port()),
                    (ip_of(local.ip()), local.port()),
                )
                .map_err(|e| format!("TCP connect {local} -> {remote}: {e}"))?;
                let handle = self.sockets.add(s);
                self.conns.push(Conn {
                    handle,
                    pending: Vec::new(),
                    framer: StreamFramer::new(),
                    listener: None,
                });
                self.conns.len() - 1
            }
        };
        let c = self
            .conns
            .get_mut(idx)
            .ok_or_else(|| "connection vanished".to_string())?;
        if c.pending.len() + data.len() > BUFFER * 4 {
            return Err(format!("TCP {local} -> {remote}: send queue full"));
        }
        c.pending.extend_from_slice(data);
        Ok(())
    }

    /// An inner IP packet (carrying a TCP segment) that passed the SA's inbound checks.
    pub fn input(&mut self, ip_packet: Vec<u8>) {
        if self.dev.rx.len() < 1024 {
            self.dev.rx.push_back(ip_packet);
        }
    }

    /// Runs the stack: returns the IP packets to send (each on the SA of its ports) and the
    /// complete SIP messages received. Call it after every input and periodically (timers).
    pub fn poll(&mut self) -> (Vec<Vec<u8>>, Vec<StreamMessage>) {
        let mut messages = Vec::new();
        // Twice: data queued while a connection was opening goes out in the same call as
        // the ACK that opened it.
        for _ in 0..2 {
            let now = self.now();
            self.iface.poll(now, &mut self.dev, &mut self.sockets);
            for c in &mut self.conns {
                let s = self.sockets.get_mut::<tcp::Socket>(c.handle);
                if !c.pending.is_empty() && s.may_send() {
                    if let Ok(n) = s.send_slice(&c.pending) {
                        c.pending.drain(..n);
                    }
                }
                let mut buf = [0u8; 4096];
                while s.can_recv() {
                    match s.recv_slice(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => c.framer.push(buf.get(..n).unwrap_or(&[])),
                    }
                }
                let (Some(l), Some(r)) = (s.local_endpoint(), s.remote_endpoint()) else {
                    continue;
                };
                loop {
                    match c.framer.next_message() {
                        Ok(Some(m)) => messages.push(StreamMessage {
                            local: sock_of(l),
                            remote: sock_of(r),
                            payload: m.to_bytes(),
                        }),
                        Ok(None) => break,
                        Err(e) => {
                            // RFC 3261 §18.3: a stream that cannot be framed is closed.
                            self.log.push(format!(
                                "TCP {} <- {}: {e}: connection aborted",
                                sock_of(l),
                                sock_of(r)
                            ));
                            s.abort();
                            c.framer = StreamFramer::new();
                            break;
                        }
                    }
                }
            }
            let now = self.now();
            self.iface.poll(now, &mut self.dev, &mut self.sockets);
        }
        // A listener that took a connection is a connection now: listen again on its port.
        let ports: Vec<(u16, IpAddr)> = self
            .conns
            .iter()
            .filter_map(|c| {
                let s = self.sockets.get::<tcp::Socket>(c.handle);
                let port = c.listener?;
                (!s.is_listening()).then(|| s.local_endpoint().map(|e| (port, sock_of(e).ip())))?
            })
            .collect();
        for c in &mut self.conns {
            if c.listener.is_some() && !self.sockets.get::<tcp::Socket>(c.handle).is_listening() {
                c.listener = None;
            }
        }
        for (port, ip) in ports {
            self.listen(SocketAddr::new(ip, port));
        }
        (self.dev.tx.drain(..).collect(), messages)
    }

    /// Whether this end has any open connection (for logs and tests).
    pub fn open_connections(&self) -> usize {
        self.conns
            .iter()
            .filter(|c| {
                let s = self.sockets.get::<tcp::Socket>(c.handle);
                c.listener.is_none() && s.is_active()
            })
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two stacks wired back to back: a SIP message in one comes out of the other, framed,
    /// also when it spans several segments.
    #[test]
    fn two_ends_exchange_framed_messages() {
        let ue: SocketAddr = "10.0.0.1:5100".parse().unwrap();
        let pc: SocketAddr = "10.0.0.2:5064".parse().unwrap();
        let mut a = Streams::new();
        let mut b = Streams::new();
        b.listen(pc);
        let big = "x".repeat(5000);
        let msg = format!(
            "OPTIONS sip:a SIP/2.0\r\nVia: SIP/2.0/TCP 10.0.0.1:5100;branch=z9hG4bK1\r\nContent-Length: {}\r\n\r\n{big}",
            big.len()
        );
        a.send(ue, pc, msg.as_bytes()).unwrap();
        a.send(ue, pc, msg.as_bytes()).unwrap();
        let mut got = Vec::new();
        for _ in 0..50 {
            let (out_a, m_a) = a.poll();
            assert!(m_a.is_empty());
            for p in out_a {
                b.input(p);
            }
            let (out_b, m_b) = b.poll();
            got.extend(m_b);
            for p in out_b {
                a.input(p);
            }
            if got.len() == 2 {
                break;
            }
        }
        assert_eq!(got.len(), 2, "both messages framed");
        assert_eq!(got[0].payload, msg.as_bytes());
        assert_eq!(got[0].remote, ue);
        assert_eq!(got[0].local, pc);
        // The answer goes back on the same connection.
        b.send(pc, ue, b"SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n")
            .unwrap();
        let (out_b, _) = b.poll();
        assert!(!out_b.is_empty());
        for p in out_b {
            a.input(p);
        }
        let (_, m_a) = a.poll();
        assert_eq!(m_a.len(), 1);
        assert_eq!(m_a[0].local, ue);
        assert_eq!(b.open_connections(), 1);
    }

    #[test]
    fn garbage_stream_aborts_the_connection() {
        let ue: SocketAddr = "10.0.0.1:5100".parse().unwrap();
        let pc: SocketAddr = "10.0.0.2:5064".parse().unwrap();
        let mut a = Streams::new();
        let mut b = Streams::new();
        b.listen(pc);
        a.send(ue, pc, b"\x00\x01garbage that is not SIP\r\n\r\n")
            .unwrap();
        for _ in 0..10 {
            let (o, _) = a.poll();
            for p in o {
                b.input(p);
            }
            let (o, m) = b.poll();
            assert!(m.is_empty());
            for p in o {
                a.input(p);
            }
        }
        assert!(b.log.iter().any(|l| l.contains("aborted")), "{:?}", b.log);
    }
}
