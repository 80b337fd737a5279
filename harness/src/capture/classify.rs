//! Finding ESP in an IP packet: IP protocol 50 (RFC 4303 §2) or ESP in UDP (RFC 3948).
//!
//! RFC 3948 §2.2 fixes how a receiver on the NAT-T port (4500) tells the three kinds of
//! UDP payload apart: a single 0xFF octet is a NAT-keepalive, four zero octets (the
//! non-ESP marker) start IKE, anything else is ESP; that rule is
//! [`crate::mech::esp::encap::classify_udp`], used here. Captures of imsec's own loopback runs
//! use other ports, so UDP on any port whose payload could be ESP (8+ octets, SPI above
//! 255, RFC 4303 §2.1) is reported too, with `nat_t_port: false`: the caller counts it
//! only when its SPI and addresses match a known SA.

use crate::mech::esp::encap::{classify_udp, UdpKind};
use crate::wire::{be32, ipv4, ipv6, udp, WireError};
use std::net::IpAddr;

/// The IANA UDP port for IKE and ESP-in-UDP after NAT detection (RFC 3948 §2.2).
pub const NAT_T_PORT: u16 = 4500;
/// IP protocol number of ESP.
pub const PROTO_ESP: u8 = 50;
/// IP protocol number of UDP.
pub const PROTO_UDP: u8 = 17;

/// The parts of an IP packet imsec uses, after IPv6 extension headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpView<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// Upper-layer protocol (after IPv6 extension headers).
    pub protocol: u8,
    /// Upper-layer header and data.
    pub payload: &'a [u8],
    /// Part of a fragmented datagram (imsec does not reassemble).
    pub fragment: bool,
    /// TTL / Hop Limit.
    pub ttl: u8,
}

/// Parses an IPv4 or IPv6 packet (chosen by the version nibble).
pub fn parse_ip(l3: &[u8]) -> Result<IpView<'_>, WireError> {
    match l3.first().map(|b| b >> 4) {
        Some(4) => {
            let p = ipv4::Packet::new_checked(l3)?;
            let header_len = p.header_len();
            let end = header_len.saturating_add(p.payload().len());
            Ok(IpView {
                src: p.src_addr().into(),
                dst: p.dst_addr().into(),
                protocol: p.protocol(),
                payload: l3.get(header_len..end).unwrap_or(&[]),
                fragment: p.is_fragment(),
                ttl: p.ttl(),
            })
        }
        Some(6) => {
            let p = ipv6::Packet::new_checked(l3)?;
            let end = ipv6::HEADER_LEN.saturating_add(p.payload().len());
            let payload = l3.get(ipv6::HEADER_LEN..end).unwrap_or(&[]);
            let up = ipv6::walk_extensions(p.next_header(), payload)?;
            Ok(IpView {
                src: p.src_addr().into(),
                dst: p.dst_addr().into(),
                protocol: up.protocol,
                payload: payload.get(up.offset..).unwrap_or(&[]),
                fragment: up.fragment,
                ttl: p.hop_limit(),
            })
        }
        Some(_) => Err(WireError::Malformed {
            what: "IP header",
            why: "version is neither 4 nor 6",
        }),
        None => Err(WireError::Truncated {
            what: "IP header",
            have: 0,
            need: 1,
        }),
    }
}

/// UDP ports of ESP-in-UDP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Encap {
    pub src_port: u16,
    pub dst_port: u16,
    /// Either port is 4500: RFC 3948 classification applies.
    pub nat_t_port: bool,
}

/// An ESP packet found in a capture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EspFrame<'a> {
    pub ip: IpView<'a>,
    /// `Some` when UDP-encapsulated.
    pub encap: Option<Encap>,
    /// The ESP packet from the SPI on.
    pub esp: &'a [u8],
}

impl EspFrame<'_> {
    /// The SPI (0 when shorter than 4 octets).
    pub fn spi(&self) -> u32 {
        be32(self.esp, 0).unwrap_or(0)
    }
}

/// What an IP packet carries, as far as ESP is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum L4<'a> {
    Esp(EspFrame<'a>),
    /// IKE on the NAT-T port (after the non-ESP marker).
    Ike,
    /// NAT-keepalive (RFC 3948 §2.3).
    Keepalive,
    /// A fragment (first or later): not reassembled.
    Fragment,
    /// Anything else (including malformed UDP).
    Other,
}

/// Classifies a parsed IP packet.
pub fn classify<'a>(ip: IpView<'a>) -> L4<'a> {
    if ip.fragment {
        return L4::Fragment;
    }
    match ip.protocol {
        PROTO_ESP => {
            let esp = ip.payload;
            L4::Esp(EspFrame {
                ip,
                encap: None,
                esp,
            })
        }
        PROTO_UDP => {
            let Ok(u) = udp::Packet::new_checked(ip.payload) else {
                return L4::Other;
            };
            let (sp, dp) = (u.src_port(), u.dst_port());
            let nat_t = sp == NAT_T_PORT || dp == NAT_T_PORT;
            let payload = u.payload();
            // The same octets as `payload`, but borrowed for 'a from the IP payload.
            let esp = ip
                .payload
                .get(udp::HEADER_LEN..udp::HEADER_LEN.saturating_add(payload.len()))
                .unwrap_or(&[]);
            let frame = |esp, nat_t_port| {
                L4::Esp(EspFrame {
                    ip: ip.clone(),
                    encap: Some(Encap {
                        src_port: sp,
                        dst_port: dp,
                        nat_t_port,
                    }),
                    esp,
                })
            };
            if nat_t {
                return match classify_udp(esp) {
                    Ok(UdpKind::Keepalive) => L4::Keepalive,
                    Ok(UdpKind::Ike(_)) => L4::Ike,
                    Ok(UdpKind::Esp(e)) => frame(e, true),
                    Err(_) => L4::Other,
                };
            }
            match (be32(esp, 0), be32(esp, 4)) {
                (Some(spi), Some(_)) if spi > 255 => frame(esp, false),
                _ => L4::Other,
            }
        }
        _ => L4::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn v4(proto: u8, payload: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        ipv4::Repr {
            src_addr: Ipv4Addr::new(10, 0, 0, 1),
            dst_addr: Ipv4Addr::new(10, 0, 0, 2),
            protocol: proto,
            payload_len: payload.len(),
            ttl: 64,
            ident: 7,
            dscp_ecn: 0,
        }
        .emit(&mut v)
        .unwrap();
        v.extend_from_slice(payload);
        v
    }

    fn udp(sp: u16, dp: u16, payload: &[u8]) -> Vec<u8> {
        let mut v = vec![];
        v.extend_from_slice(&sp.to_be_bytes());
        v.extend_from_slice(&dp.to_be_bytes());
        v.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
        v.extend_from_slice(&[0, 0]);
        v.extend_from_slice(payload);
        v
    }

    fn kind(pkt: &[u8]) -> L4<'_> {
        classify(parse_ip(pkt).unwrap())
    }

    #[test]
    fn rfc3948_classification() {
        let esp = [0, 0, 0x10, 0, 0, 0, 0, 1, 0xaa];
        let p = v4(17, &udp(4500, 4500, &esp));
        match kind(&p) {
            L4::Esp(f) => {
                assert_eq!(f.esp, &esp);
                assert_eq!(f.spi(), 0x1000);
                assert!(f.encap.unwrap().nat_t_port);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(kind(&v4(17, &udp(4500, 4500, &[0xff]))), L4::Keepalive);
        assert_eq!(kind(&v4(17, &udp(500, 4500, &[0, 0, 0, 0, 1]))), L4::Ike);
        // Other port: only plausible ESP (SPI > 255, 8 octets) is reported.
        assert!(matches!(kind(&v4(17, &udp(5060, 5060, &esp))), L4::Esp(_)));
        assert_eq!(
            kind(&v4(17, &udp(5060, 5060, &[0, 0, 0, 9, 0, 0, 0, 1]))),
            L4::Other
        );
        let plain = v4(50, &esp);
        assert!(matches!(
            kind(&plain),
            L4::Esp(EspFrame { encap: None, .. })
        ));
    }

    #[test]
    fn fragments_are_not_classified() {
        let mut p = v4(50, &[1, 2, 3, 4, 5, 6, 7, 8]);
        p[6] = 0x20; // MF
        assert_eq!(kind(&p), L4::Fragment);
    }
}
