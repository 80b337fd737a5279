//! Raw IP sockets for ESP transport mode (IP protocol 50). This kernel has no ESP, so packets
//! to the host with protocol 50 reach raw sockets only; imsec does ESP in userspace.
//!
//! IPv4: the socket is opened with `IP_HDRINCL`, so imsec writes whole packets, and receives
//! whole packets (Linux delivers the IPv4 header on raw sockets). IPv6: Linux neither accepts
//! nor delivers the IPv6 header on raw sockets, so the header is stripped on send and rebuilt
//! on receive from the addresses the kernel reports.

use super::NetError;
use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::time::Duration;

/// IP protocol number of ESP.
pub const PROTO_ESP: i32 = 50;

/// A raw ESP socket bound to one local address.
///
/// The socket is created with socket2 (for `SOCK_RAW` and `IP_HDRINCL`) and then used through
/// `std::net::UdpSocket`, whose `send_to`/`recv_from` are plain `sendto`/`recvfrom` calls that
/// work on any datagram-style descriptor; this keeps the crate free of `unsafe`.
pub struct RawEsp {
    sock: UdpSocket,
    local: IpAddr,
}

impl RawEsp {
    /// Opens and binds the socket; a permission error says what is needed.
    pub fn open(local: IpAddr) -> Result<RawEsp, NetError> {
        let domain = if local.is_ipv4() {
            Domain::IPV4
        } else {
            Domain::IPV6
        };
        let sock =
            Socket::new(domain, Type::RAW, Some(Protocol::from(PROTO_ESP))).map_err(|e| {
                if e.kind() == std::io::ErrorKind::PermissionDenied {
                    NetError::RawPermission(e)
                } else {
                    NetError::Raw(e)
                }
            })?;
        if local.is_ipv4() {
            sock.set_header_included_v4(true).map_err(NetError::Raw)?;
        }
        sock.bind(&SockAddr::from(SocketAddr::new(local, 0)))
            .map_err(NetError::Raw)?;
        Ok(RawEsp {
            sock: sock.into(),
            local,
        })
    }

    /// Sends a whole IP packet (its header names the destination).
    pub fn send(&self, packet: &[u8]) -> Result<(), NetError> {
        let dst = super::sockets::ip_dst(packet)
            .ok_or_else(|| NetError::Raw(std::io::Error::other("packet has no IP header")))?;
        let data = match dst {
            IpAddr::V4(_) => packet,
            IpAddr::V6(_) => packet.get(40..).unwrap_or(&[]),
        };
        self.sock
            .send_to(data, SocketAddr::new(dst, 0))
            .map_err(|source| NetError::Send {
                to: dst.to_string(),
                source,
            })?;
        Ok(())
    }

    /// Receives one packet (whole IP packet), or `None` after `timeout`.
    pub fn recv(&self, timeout: Duration) -> std::io::Result<Option<Vec<u8>>> {
        self.sock.set_read_timeout(Some(timeout))?;
        let mut buf = vec![0u8; 65_535];
        match self.sock.recv_from(&mut buf) {
            Ok((n, from)) => {
                buf.truncate(n);
                match (self.local, from.ip()) {
                    (IpAddr::V4(_), _) => Ok(Some(buf)),
                    (IpAddr::V6(l), IpAddr::V6(src)) => {
                        let mut pkt = Vec::with_capacity(40 + buf.len());
                        let r = crate::mech::esp::encap::emit_ipv6(
                            src,
                            l,
                            PROTO_ESP as u8,
                            64,
                            &buf,
                            &mut pkt,
                        );
                        Ok(r.ok().map(|_| pkt))
                    }
                    _ => Ok(None),
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }
}
