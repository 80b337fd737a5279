//! RFC 3948 UDP encapsulation of ESP, and the inner packet of tunnel mode (RFC 4303 §3.1.2).
//!
//! TS 33.203 Annex M (M.6.2/M.6.3) applies ESP "in transport mode if no NAT is present, or
//! – if NAT traversal shall be supported – in UDP encapsulated tunnel mode" (sec-agree
//! `mod=UDP-enc-tun`), following RFC 3948.
//!
//! TS 24.229 Annex F.1 (hosted NAT): protected SIP messages traverse the NAT by "applying UDP
//! encapsulation to IPSec packets in accordance with RFC 3948".
//!
//! Ports: RFC 3948 §2 uses the IKE NAT-T port 4500 ([`NAT_T_PORT`]). Which UDP ports IMS uses
//! for the encapsulation could NOT be confirmed from the TS 33.203 Annex M / TS 24.229
//! Annex F text available here; two independent public IMS implementations (a vendor UE SIP
//! stack, `PORT_U_ENC = 4500` "Port number for IPSec (UDP-enc-tun mode)", and a Kamailio
//! `ims_ipsec_pcscf` variant, `IPSEC_NAT_T_PORT 4500`) encapsulate on port 4500. So nothing
//! here hard-codes a port: callers pass both ports, and [`NAT_T_PORT`] is only the default.
//!
//! Inner packets: tunnel mode carries a whole IPv4 (Next Header 4) or IPv6 (41) packet;
//! transport mode carries the UDP (17) or TCP (6) segment directly.

use super::{EspError, NH_IPV4, NH_IPV6};
use crate::wire::{ipv4, ipv6, WireError};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// UDP port of IKE NAT traversal and RFC 3948 ESP-in-UDP.
pub const NAT_T_PORT: u16 = 4500;
/// UDP header length.
pub const UDP_HEADER_LEN: usize = 8;

/// What a UDP payload received on an ESP-in-UDP port is (RFC 3948 §2.1–2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UdpKind<'a> {
    /// Four zero octets (the non-ESP marker, i.e. SPI 0) then an IKE message (RFC 3948 §2.2).
    Ike(&'a [u8]),
    /// A single 0xFF octet (RFC 3948 §2.3).
    Keepalive,
    /// An ESP packet starting at the SPI (RFC 3948 §2.1).
    Esp(&'a [u8]),
}

/// Classifies the payload of a UDP datagram on an ESP-in-UDP port.
pub fn classify_udp(payload: &[u8]) -> Result<UdpKind<'_>, EspError> {
    match payload {
        [0xff] => Ok(UdpKind::Keepalive),
        [0, 0, 0, 0, rest @ ..] => Ok(UdpKind::Ike(rest)),
        p if p.len() >= super::HEADER_LEN => Ok(UdpKind::Esp(p)),
        p => Err(EspError::Truncated {
            len: p.len(),
            min: super::HEADER_LEN,
        }),
    }
}

/// Splits a UDP datagram (header included) into (source port, destination port, payload),
/// honouring the UDP length field (RFC 768).
pub fn split_udp(datagram: &[u8]) -> Result<(u16, u16, &[u8]), EspError> {
    let be16 = |i: usize| {
        datagram
            .get(i..i + 2)
            .map(|s| u16::from_be_bytes([s[0], s[1]]))
    };
    let (Some(sp), Some(dp), Some(len)) = (be16(0), be16(2), be16(4)) else {
        return Err(EspError::Truncated {
            len: datagram.len(),
            min: UDP_HEADER_LEN,
        });
    };
    let len = len as usize;
    if len < UDP_HEADER_LEN {
        return Err(EspError::Malformed("UDP length below 8"));
    }
    let payload = datagram
        .get(UDP_HEADER_LEN..len)
        .ok_or(EspError::Truncated {
            len: datagram.len(),
            min: len,
        })?;
    Ok((sp, dp, payload))
}

fn udp_len(payload_len: usize) -> Result<u16, EspError> {
    u16::try_from(payload_len + UDP_HEADER_LEN)
        .map_err(|_| EspError::Malformed("UDP payload too long"))
}

/// Appends a UDP header and `esp` to `out` with checksum 0, as RFC 3948 §3.1 allows for
/// ESP-in-UDP over IPv4 (the ESP ICV protects the content). Over IPv6 a zero UDP checksum
/// needs RFC 6935/6936; use [`emit_udp_checksummed`] there.
pub fn emit_esp_in_udp(
    src_port: u16,
    dst_port: u16,
    esp: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), EspError> {
    let len = udp_len(esp.len())?;
    out.extend_from_slice(&src_port.to_be_bytes());
    out.extend_from_slice(&dst_port.to_be_bytes());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(esp);
    Ok(())
}

fn sum16(mut acc: u32, data: &[u8]) -> u32 {
    let mut it = data.chunks_exact(2);
    for c in &mut it {
        acc += u32::from(u16::from_be_bytes([c[0], c[1]]));
    }
    if let [last] = it.remainder() {
        acc += u32::from(*last) << 8;
    }
    acc
}

fn fold(mut acc: u32) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    !(acc as u16)
}

/// Appends a UDP datagram with its RFC 768 / RFC 8200 §8.1 pseudo-header checksum (for the
/// inner packet of tunnel mode and for transport mode). Mixed address families are refused.
pub fn emit_udp_checksummed(
    src: IpAddr,
    dst: IpAddr,
    src_port: u16,
    dst_port: u16,
    payload: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), EspError> {
    let len = udp_len(payload.len())?;
    let mut acc = match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => sum16(sum16(0, &s.octets()), &d.octets()),
        (IpAddr::V6(s), IpAddr::V6(d)) => sum16(sum16(0, &s.octets()), &d.octets()),
        _ => {
            return Err(EspError::Malformed(
                "UDP source and destination families differ",
            ))
        }
    };
    acc += 17 + u32::from(len);
    let start = out.len();
    emit_esp_in_udp(src_port, dst_port, payload, out)?;
    let ck = fold(sum16(acc, out.get(start..).unwrap_or(&[])));
    let ck = if ck == 0 { 0xffff } else { ck };
    if let Some(c) = out.get_mut(start + 6..start + 8) {
        c.copy_from_slice(&ck.to_be_bytes());
    }
    Ok(())
}

/// Appends an IPv4 header (RFC 791, no options, DF set) and `payload`: the inner packet
/// of tunnel mode (Next Header 4), or an outer header for raw sockets.
pub fn emit_ipv4(
    src: Ipv4Addr,
    dst: Ipv4Addr,
    protocol: u8,
    ttl: u8,
    payload: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), EspError> {
    let total = u16::try_from(20 + payload.len())
        .map_err(|_| EspError::Malformed("IPv4 packet too long"))?;
    let start = out.len();
    out.extend_from_slice(&[0x45, 0]);
    out.extend_from_slice(&total.to_be_bytes());
    out.extend_from_slice(&[0, 0, 0x40, 0, ttl, protocol, 0, 0]);
    out.extend_from_slice(&src.octets());
    out.extend_from_slice(&dst.octets());
    let ck = fold(sum16(0, out.get(start..).unwrap_or(&[])));
    if let Some(c) = out.get_mut(start + 10..start + 12) {
        c.copy_from_slice(&ck.to_be_bytes());
    }
    out.extend_from_slice(payload);
    Ok(())
}

/// Appends an IPv6 header (RFC 8200, no extension headers) and `payload`.
pub fn emit_ipv6(
    src: Ipv6Addr,
    dst: Ipv6Addr,
    next_header: u8,
    hop_limit: u8,
    payload: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), EspError> {
    let plen =
        u16::try_from(payload.len()).map_err(|_| EspError::Malformed("IPv6 payload too long"))?;
    out.extend_from_slice(&[0x60, 0, 0, 0]);
    out.extend_from_slice(&plen.to_be_bytes());
    out.extend_from_slice(&[next_header, hop_limit]);
    out.extend_from_slice(&src.octets());
    out.extend_from_slice(&dst.octets());
    out.extend_from_slice(payload);
    Ok(())
}

/// The decrypted ESP payload, interpreted by its Next Header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inner<'a> {
    /// Tunnel mode: an inner IP packet. `protocol` is the IPv4 protocol / IPv6 next header
    /// (IPv6 extension headers are not walked), `payload` the upper-layer data.
    Tunnel {
        src: IpAddr,
        dst: IpAddr,
        protocol: u8,
        payload: &'a [u8],
    },
    /// Transport mode: the upper-layer segment itself (UDP 17, TCP 6, ...).
    Transport { protocol: u8, segment: &'a [u8] },
}

/// Interprets a decrypted payload. Inner IPv4 headers must carry a valid header checksum
/// and a total length that fits (RFC 791); trailing octets beyond it are ignored.
pub fn parse_inner(next_header: u8, data: &[u8]) -> Result<Inner<'_>, EspError> {
    match next_header {
        NH_IPV4 => parse_ipv4(data),
        NH_IPV6 => parse_ipv6(data),
        protocol => Ok(Inner::Transport {
            protocol,
            segment: data,
        }),
    }
}

fn wire_err(e: WireError) -> EspError {
    match e {
        WireError::Truncated { have, need, .. } => EspError::Truncated {
            len: have,
            min: need,
        },
        WireError::Malformed { why, .. } => EspError::Malformed(why),
    }
}

/// An inner IPv4 packet: the `wire` view's checks, plus a Total Length that is not 0 (the
/// offload shortcut a capture may show, never valid inside ESP) and a valid header checksum.
fn parse_ipv4(d: &[u8]) -> Result<Inner<'_>, EspError> {
    let p = ipv4::Packet::new_checked(d).map_err(wire_err)?;
    if p.total_len() == 0 {
        return Err(EspError::Malformed(
            "inner IPv4 header length fields inconsistent",
        ));
    }
    if !p.verify_checksum() {
        return Err(EspError::Malformed("inner IPv4 header checksum wrong"));
    }
    let payload = d.get(p.header_len()..p.total_len()).unwrap_or(&[]);
    Ok(Inner::Tunnel {
        src: IpAddr::V4(p.src_addr()),
        dst: IpAddr::V4(p.dst_addr()),
        protocol: p.protocol(),
        payload,
    })
}

/// An inner IPv6 packet (extension headers are not walked: `protocol` is the Next Header).
fn parse_ipv6(d: &[u8]) -> Result<Inner<'_>, EspError> {
    let p = ipv6::Packet::new_checked(d).map_err(wire_err)?;
    let end = ipv6::HEADER_LEN.saturating_add(p.payload_len());
    let payload = d.get(ipv6::HEADER_LEN..end).unwrap_or(&[]);
    Ok(Inner::Tunnel {
        src: IpAddr::V6(p.src_addr()),
        dst: IpAddr::V6(p.dst_addr()),
        protocol: p.next_header(),
        payload,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify() {
        assert_eq!(classify_udp(&[0xff]), Ok(UdpKind::Keepalive));
        assert_eq!(classify_udp(&[0, 0, 0, 0, 9]), Ok(UdpKind::Ike(&[9])));
        let esp = [0, 0, 1, 0, 0, 0, 0, 1, 7];
        assert_eq!(classify_udp(&esp), Ok(UdpKind::Esp(&esp)));
        assert!(classify_udp(&[]).is_err());
        assert!(classify_udp(&[1, 2, 3]).is_err());
    }

    #[test]
    fn udp_round_trip_and_checksum() {
        let mut out = Vec::new();
        emit_esp_in_udp(4500, 4500, &[1, 2, 3], &mut out).unwrap();
        assert_eq!(out, [0x11, 0x94, 0x11, 0x94, 0, 11, 0, 0, 1, 2, 3]);
        assert_eq!(split_udp(&out), Ok((4500, 4500, &[1u8, 2, 3][..])));
        assert!(split_udp(&out[..10]).is_err());
        // RFC 1071 example style check: the checksum over pseudo-header + datagram folds to 0.
        out.clear();
        let (s, d) = (Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::new(10, 0, 0, 2));
        emit_udp_checksummed(s.into(), d.into(), 5060, 5062, b"SIP", &mut out).unwrap();
        let mut acc = sum16(sum16(0, &s.octets()), &d.octets()) + 17 + out.len() as u32;
        acc = sum16(acc, &out);
        assert_eq!(fold(acc), 0);
    }

    #[test]
    fn inner_ipv4_and_ipv6() {
        let mut p = Vec::new();
        let (s, d) = (
            Ipv4Addr::new(192, 168, 123, 3),
            Ipv4Addr::new(192, 168, 123, 200),
        );
        emit_ipv4(s, d, 17, 64, b"hello", &mut p).unwrap();
        match parse_inner(NH_IPV4, &p).unwrap() {
            Inner::Tunnel {
                src,
                dst,
                protocol,
                payload,
            } => {
                assert_eq!(
                    (src, dst, protocol, payload),
                    (s.into(), d.into(), 17, &b"hello"[..])
                );
            }
            other => panic!("{other:?}"),
        }
        p[12] ^= 1;
        assert!(parse_inner(NH_IPV4, &p).is_err());
        let mut q = Vec::new();
        emit_ipv6(
            Ipv6Addr::LOCALHOST,
            Ipv6Addr::UNSPECIFIED,
            6,
            64,
            b"x",
            &mut q,
        )
        .unwrap();
        assert!(matches!(
            parse_inner(NH_IPV6, &q),
            Ok(Inner::Tunnel { protocol: 6, .. })
        ));
        assert!(parse_inner(NH_IPV6, &q[..40]).is_err());
        assert!(parse_inner(NH_IPV4, &q).is_err());
        assert_eq!(
            parse_inner(17, b"seg"),
            Ok(Inner::Transport {
                protocol: 17,
                segment: b"seg"
            })
        );
        for n in 0..p.len() {
            let _ = parse_inner(NH_IPV4, &p[..n]);
            let _ = parse_inner(NH_IPV6, &q[..n.min(q.len())]);
        }
    }
}
