//! UDP for the Za probe: an IKE socket and a NAT-T socket (RFC 7296 §2.23; RFC 3948 §2.2:
//! IKE on the NAT-T port carries a four-octet zero non-ESP marker). Every wait is bounded:
//! a request is retransmitted with a doubling timeout (§2.1: retransmission is the
//! initiator's job), and the whole exchange stops at the step deadline.

use crate::roles::ike::initiator::{Initiator, Next};
use crate::roles::ike::responder::Responder;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The non-ESP marker (RFC 3948 §2.2).
pub const NON_ESP_MARKER: [u8; 4] = [0; 4];
const POLL: Duration = Duration::from_millis(20);

/// An IKE socket and a NAT-T socket on one address.
pub struct Ports {
    pub ike: UdpSocket,
    pub natt: UdpSocket,
}

impl Ports {
    /// Binds both (port 0 = any free port).
    pub fn bind(ip: IpAddr, ike_port: u16, natt_port: u16) -> std::io::Result<Ports> {
        let ike = UdpSocket::bind(SocketAddr::new(ip, ike_port))?;
        let natt = UdpSocket::bind(SocketAddr::new(ip, natt_port))?;
        ike.set_read_timeout(Some(POLL))?;
        natt.set_read_timeout(Some(POLL))?;
        Ok(Ports { ike, natt })
    }
    pub fn ike_addr(&self) -> SocketAddr {
        self.ike
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)))
    }
    pub fn natt_addr(&self) -> SocketAddr {
        self.natt
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)))
    }

    /// Sends an IKE message, on the NAT-T socket with the marker when `natt`.
    pub fn send(&self, bytes: &[u8], to: SocketAddr, natt: bool) -> std::io::Result<()> {
        if natt {
            let mut b = NON_ESP_MARKER.to_vec();
            b.extend_from_slice(bytes);
            self.natt.send_to(&b, to).map(|_| ())
        } else {
            self.ike.send_to(bytes, to).map(|_| ())
        }
    }

    /// Receives one IKE message from either socket within about one poll interval:
    /// (message, sender, came over NAT-T). NAT-T datagrams without the marker (ESP,
    /// keepalives) are skipped.
    pub fn recv(&self, buf: &mut [u8]) -> Option<(Vec<u8>, SocketAddr, bool)> {
        for (sock, natt) in [(&self.ike, false), (&self.natt, true)] {
            if let Ok((n, from)) = sock.recv_from(buf) {
                let d = buf.get(..n).unwrap_or(&[]);
                if !natt {
                    return Some((d.to_vec(), from, false));
                }
                if d.len() > 4 && d.get(..4) == Some(&NON_ESP_MARKER[..]) {
                    return Some((d.get(4..).unwrap_or(&[]).to_vec(), from, true));
                }
            }
        }
        None
    }
}

/// Runs an initiator to completion against `peer` (IKE port) / `peer_natt` (NAT-T port).
/// Retransmits each request after 0.5 s, 1 s, 2 s ... until `deadline`. Returns an error
/// when the peer stayed silent.
pub fn run_initiator(
    init: &mut Initiator,
    ports: &Ports,
    peer: SocketAddr,
    peer_natt: SocketAddr,
    deadline: Instant,
) -> Result<(), String> {
    let mut next = init.start()?;
    let mut buf = vec![0u8; 65_535];
    loop {
        let (bytes, natt) = match next {
            Next::Send { bytes, natt } => (bytes, natt),
            Next::Done | Next::Ignore => return Ok(()),
        };
        let to = if natt { peer_natt } else { peer };
        let mut rto = Duration::from_millis(500);
        let mut sent_at = Instant::now();
        ports
            .send(&bytes, to, natt)
            .map_err(|e| format!("send to {to}: {e}"))?;
        next = loop {
            if Instant::now() >= deadline {
                return Err(format!("no answer from {to} before the step timeout"));
            }
            if sent_at.elapsed() >= rto {
                let _ = ports.send(&bytes, to, natt);
                sent_at = Instant::now();
                rto = rto.saturating_mul(2);
            }
            if let Some((m, _, _)) = ports.recv(&mut buf) {
                match init.handle(&m) {
                    Next::Ignore => continue,
                    n => break n,
                }
            }
        };
    }
}

/// Serves a responder on `ports` until `stop` is set or `deadline` passes (or, with
/// `until_deleted`, the IKE SA is deleted).
pub fn serve_responder(
    resp: &mut Responder,
    ports: &Ports,
    stop: &Arc<AtomicBool>,
    deadline: Instant,
    until_deleted: bool,
) {
    let mut buf = vec![0u8; 65_535];
    while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
        if let Some((m, from, natt)) = ports.recv(&mut buf) {
            if let Some(out) = resp.handle(&m, from) {
                let _ = ports.send(&out, from, natt);
            }
        }
        if until_deleted && resp.record.deleted {
            return;
        }
    }
}
