//! Link layers: from a captured frame to the IP packet it carries.
//!
//! Link-type numbers are the LINKTYPE_* values of the pcap/pcapng registry
//! (draft-ietf-opsawg-pcaplinktype): Ethernet 1 (IEEE 802.3, with 802.1Q 0x8100,
//! 802.1ad 0x88a8 and legacy 0x9100 tags), NULL 0 (BSD loopback, address family in the
//! capturing host's byte order), LOOP 108 (same, network byte order), RAW 101 (and the
//! platform DLT_RAW values 12 and 14), IPV4 228, IPV6 229, LINUX_SLL 113 (16-octet header,
//! protocol at offset 14) and LINUX_SLL2 276 (20-octet header, protocol at offset 0).

use crate::wire::be16;

pub const LINKTYPE_NULL: u32 = 0;
pub const LINKTYPE_ETHERNET: u32 = 1;
pub const LINKTYPE_RAW: u32 = 101;
pub const LINKTYPE_LOOP: u32 = 108;
pub const LINKTYPE_LINUX_SLL: u32 = 113;
pub const LINKTYPE_IPV4: u32 = 228;
pub const LINKTYPE_IPV6: u32 = 229;
pub const LINKTYPE_LINUX_SLL2: u32 = 276;

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;
const VLAN_TAGS: [u16; 3] = [0x8100, 0x88a8, 0x9100];

/// Why a frame carries no IP packet imsec can read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error(
        "link type {0} is not supported (Ethernet, Linux cooked v1/v2, raw IP, BSD loopback are)"
    )]
    Unsupported(u32),
    #[error("frame shorter than its {0} header")]
    Truncated(&'static str),
    /// Not IPv4/IPv6 (ARP, LLC, ...): not an error in a capture, just not for imsec.
    #[error("not an IP packet (protocol {0:#06x})")]
    NotIp(u32),
}

/// True for the link types [`network_layer`] understands.
pub fn is_supported(linktype: u32) -> bool {
    matches!(
        linktype,
        LINKTYPE_NULL
            | LINKTYPE_ETHERNET
            | LINKTYPE_RAW
            | 12
            | 14
            | LINKTYPE_LOOP
            | LINKTYPE_LINUX_SLL
            | LINKTYPE_IPV4
            | LINKTYPE_IPV6
            | LINKTYPE_LINUX_SLL2
    )
}

/// Returns the IP packet inside `frame` (everything after the link header).
pub fn network_layer(linktype: u32, frame: &[u8]) -> Result<&[u8], LinkError> {
    match linktype {
        LINKTYPE_ETHERNET => ethernet(frame),
        LINKTYPE_RAW | 12 | 14 | LINKTYPE_IPV4 | LINKTYPE_IPV6 => raw(frame),
        LINKTYPE_NULL | LINKTYPE_LOOP => null(frame, linktype == LINKTYPE_LOOP),
        LINKTYPE_LINUX_SLL => {
            let p = be16(frame, 14).ok_or(LinkError::Truncated("Linux cooked (SLL)"))?;
            by_ethertype(p, frame.get(16..).unwrap_or(&[]))
        }
        LINKTYPE_LINUX_SLL2 => {
            let p = be16(frame, 0).ok_or(LinkError::Truncated("Linux cooked v2 (SLL2)"))?;
            let rest = frame
                .get(20..)
                .ok_or(LinkError::Truncated("Linux cooked v2 (SLL2)"))?;
            by_ethertype(p, rest)
        }
        other => Err(LinkError::Unsupported(other)),
    }
}

fn by_ethertype(et: u16, rest: &[u8]) -> Result<&[u8], LinkError> {
    match et {
        ETHERTYPE_IPV4 | ETHERTYPE_IPV6 => Ok(rest),
        other => Err(LinkError::NotIp(u32::from(other))),
    }
}

fn ethernet(frame: &[u8]) -> Result<&[u8], LinkError> {
    let mut off = 12;
    // At most two tags (QinQ); a third is treated as "not IP".
    for _ in 0..3 {
        let et = be16(frame, off).ok_or(LinkError::Truncated("Ethernet"))?;
        if VLAN_TAGS.contains(&et) {
            off += 4;
            continue;
        }
        return by_ethertype(et, frame.get(off + 2..).unwrap_or(&[]));
    }
    Err(LinkError::NotIp(0x8100))
}

fn raw(frame: &[u8]) -> Result<&[u8], LinkError> {
    match frame.first().map(|b| b >> 4) {
        Some(4) | Some(6) => Ok(frame),
        Some(v) => Err(LinkError::NotIp(u32::from(v))),
        None => Err(LinkError::Truncated("raw IP")),
    }
}

/// BSD address families for IPv4 (2) and IPv6 (24 NetBSD/OpenBSD, 28 FreeBSD, 30 macOS,
/// 10 Linux).
fn null(frame: &[u8], network_order: bool) -> Result<&[u8], LinkError> {
    let h = frame.get(..4).ok_or(LinkError::Truncated("BSD loopback"))?;
    let be = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
    let le = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
    // NULL is in the capturing host's order: the family is small, so the order whose
    // value fits in 16 bits is the right one.
    let af = if network_order || be <= 0xffff {
        be
    } else {
        le
    };
    match af {
        2 | 10 | 24 | 28 | 30 => Ok(frame.get(4..).unwrap_or(&[])),
        other => Err(LinkError::NotIp(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IP: [u8; 2] = [0x45, 0x00];

    #[test]
    fn ethernet_with_two_vlan_tags() {
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x88, 0xa8, 0, 1, 0x81, 0x00, 0, 2, 0x08, 0x00]);
        f.extend_from_slice(&IP);
        assert_eq!(network_layer(1, &f).unwrap(), &IP);
        f[20] = 0x08;
        f[21] = 0x06; // ARP
        assert_eq!(network_layer(1, &f), Err(LinkError::NotIp(0x0806)));
        assert!(network_layer(1, &f[..13]).is_err());
    }

    #[test]
    fn null_both_orders_sll_sll2_raw() {
        let le = [2u8, 0, 0, 0, 0x45];
        let be = [0u8, 0, 0, 30, 0x60];
        assert_eq!(network_layer(0, &le).unwrap(), &[0x45]);
        assert_eq!(network_layer(0, &be).unwrap(), &[0x60]);
        assert_eq!(network_layer(108, &be).unwrap(), &[0x60]);
        assert!(network_layer(108, &le).is_err());
        let mut sll = vec![0u8; 14];
        sll.extend_from_slice(&[0x86, 0xdd, 0x60]);
        assert_eq!(network_layer(113, &sll).unwrap(), &[0x60]);
        let mut sll2 = vec![0x08, 0x00];
        sll2.extend_from_slice(&[0u8; 18]);
        sll2.push(0x45);
        assert_eq!(network_layer(276, &sll2).unwrap(), &[0x45]);
        assert!(network_layer(276, &sll2[..19]).is_err());
        assert!(network_layer(101, &[0x30]).is_err());
        assert_eq!(network_layer(147, &IP), Err(LinkError::Unsupported(147)));
    }
}
