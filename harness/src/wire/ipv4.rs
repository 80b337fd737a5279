//! IPv4 header view (RFC 791 §3.1), smoltcp `wire` style.

use super::{be16, checksum, need, WireError};
use std::net::Ipv4Addr;

/// Minimum header length (IHL = 5).
pub const HEADER_LEN: usize = 20;
const WHAT: &str = "IPv4 header";

/// A read-only view of an IPv4 packet.
#[derive(Debug, Clone)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps a buffer without checking it; accessors may then return zeros.
    pub fn new_unchecked(buffer: T) -> Self {
        Packet { buffer }
    }

    /// Wraps a buffer after checking version, IHL and that Total Length fits the buffer.
    /// A Total Length of 0 (seen with TCP segmentation offload) means "the whole buffer".
    pub fn new_checked(buffer: T) -> Result<Self, WireError> {
        let p = Packet { buffer };
        let b = p.buffer.as_ref();
        need(WHAT, b, HEADER_LEN)?;
        if p.version() != 4 {
            return Err(WireError::Malformed {
                what: WHAT,
                why: "version is not 4",
            });
        }
        let hl = p.header_len();
        if hl < HEADER_LEN {
            return Err(WireError::Malformed {
                what: WHAT,
                why: "IHL below 5",
            });
        }
        need(WHAT, b, hl)?;
        let tl = p.total_len();
        if tl != 0 && tl < hl {
            return Err(WireError::Malformed {
                what: WHAT,
                why: "total length below header length",
            });
        }
        need(WHAT, b, tl)?;
        Ok(p)
    }

    fn b(&self) -> &[u8] {
        self.buffer.as_ref()
    }
    fn byte(&self, i: usize) -> u8 {
        self.b().get(i).copied().unwrap_or(0)
    }

    pub fn version(&self) -> u8 {
        self.byte(0) >> 4
    }
    /// Header length in octets (IHL × 4).
    pub fn header_len(&self) -> usize {
        usize::from(self.byte(0) & 0x0f) * 4
    }
    pub fn dscp_ecn(&self) -> u8 {
        self.byte(1)
    }
    /// The Total Length field as sent (0 is possible with offload, see `new_checked`).
    pub fn total_len(&self) -> usize {
        usize::from(be16(self.b(), 2).unwrap_or(0))
    }
    pub fn ident(&self) -> u16 {
        be16(self.b(), 4).unwrap_or(0)
    }
    pub fn dont_frag(&self) -> bool {
        self.byte(6) & 0x40 != 0
    }
    pub fn more_frags(&self) -> bool {
        self.byte(6) & 0x20 != 0
    }
    /// Fragment offset in octets.
    pub fn frag_offset(&self) -> usize {
        usize::from(be16(self.b(), 6).unwrap_or(0) & 0x1fff) * 8
    }
    /// True for any fragment (first or later) of a fragmented datagram.
    pub fn is_fragment(&self) -> bool {
        self.more_frags() || self.frag_offset() != 0
    }
    pub fn ttl(&self) -> u8 {
        self.byte(8)
    }
    pub fn protocol(&self) -> u8 {
        self.byte(9)
    }
    pub fn checksum(&self) -> u16 {
        be16(self.b(), 10).unwrap_or(0)
    }
    pub fn src_addr(&self) -> Ipv4Addr {
        self.addr(12)
    }
    pub fn dst_addr(&self) -> Ipv4Addr {
        self.addr(16)
    }
    fn addr(&self, at: usize) -> Ipv4Addr {
        match self.b().get(at..at + 4) {
            Some(s) => Ipv4Addr::new(s[0], s[1], s[2], s[3]),
            None => Ipv4Addr::UNSPECIFIED,
        }
    }
    /// True when the header checksum verifies.
    pub fn verify_checksum(&self) -> bool {
        match self.b().get(..self.header_len()) {
            Some(h) => checksum::finish(&[checksum::sum(h)]) == 0,
            None => false,
        }
    }
    /// The octets after the header up to Total Length (link-layer padding dropped).
    pub fn payload(&self) -> &[u8] {
        let b = self.b();
        let end = match self.total_len() {
            0 => b.len(),
            t => t.min(b.len()),
        };
        b.get(self.header_len()..end).unwrap_or(&[])
    }
}

/// The fields imsec reads and writes. Options are not kept: `emit` writes a 20-octet header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repr {
    pub src_addr: Ipv4Addr,
    pub dst_addr: Ipv4Addr,
    pub protocol: u8,
    pub payload_len: usize,
    pub ttl: u8,
    pub ident: u16,
    pub dscp_ecn: u8,
}

impl Repr {
    /// Reads the representation of a checked packet.
    pub fn parse<T: AsRef<[u8]>>(p: &Packet<T>) -> Repr {
        Repr {
            src_addr: p.src_addr(),
            dst_addr: p.dst_addr(),
            protocol: p.protocol(),
            payload_len: p.payload().len(),
            ttl: p.ttl(),
            ident: p.ident(),
            dscp_ecn: p.dscp_ecn(),
        }
    }

    /// Length of the header `emit` writes.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// Appends a 20-octet header (DF clear, not a fragment) with a valid checksum.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        let total = HEADER_LEN
            .checked_add(self.payload_len)
            .and_then(|t| u16::try_from(t).ok())
            .ok_or(WireError::Malformed {
                what: WHAT,
                why: "payload longer than 65515 octets",
            })?;
        let mut h = [0u8; HEADER_LEN];
        h[0] = 0x45;
        h[1] = self.dscp_ecn;
        h[2..4].copy_from_slice(&total.to_be_bytes());
        h[4..6].copy_from_slice(&self.ident.to_be_bytes());
        h[8] = self.ttl;
        h[9] = self.protocol;
        h[12..16].copy_from_slice(&self.src_addr.octets());
        h[16..20].copy_from_slice(&self.dst_addr.octets());
        let c = checksum::finish(&[checksum::sum(&h)]);
        h[10..12].copy_from_slice(&c.to_be_bytes());
        out.extend_from_slice(&h);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The classic worked example of the IPv4 header checksum (checksum 0xb861, recomputed
    // independently with Python `struct` while writing this test).
    const HDR: [u8; 20] = [
        0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8, 0x00,
        0x01, 0xc0, 0xa8, 0x00, 0xc7,
    ];

    #[test]
    fn parses_and_verifies_known_header() {
        let mut buf = HDR.to_vec();
        buf.resize(0x73, 0);
        let p = Packet::new_checked(&buf[..]).unwrap();
        assert!(p.verify_checksum());
        assert_eq!(p.protocol(), 17);
        assert_eq!(p.src_addr(), Ipv4Addr::new(192, 168, 0, 1));
        assert!(p.dont_frag() && !p.is_fragment());
        assert_eq!(p.payload().len(), 0x73 - 20);
    }

    #[test]
    fn emit_reproduces_checksum() {
        let mut buf = HDR.to_vec();
        buf.resize(0x73, 0);
        let p = Packet::new_checked(&buf[..]).unwrap();
        let mut out = Vec::new();
        Repr::parse(&p).emit(&mut out).unwrap();
        // DF is not emitted, so the checksum differs from HDR by exactly the DF bit.
        assert_eq!(&out[..6], &HDR[..6]);
        assert!(Packet::new_unchecked(&out[..]).verify_checksum());
    }

    #[test]
    fn rejects_truncated_and_bad_lengths() {
        assert!(Packet::new_checked(&HDR[..19]).is_err());
        assert!(Packet::new_checked(&HDR[..]).is_err()); // total length 0x73 > 20
        let mut b = HDR;
        b[0] = 0x44;
        assert!(Packet::new_checked(&b[..]).is_err());
        b[0] = 0x4f; // IHL 60 > buffer
        assert!(Packet::new_checked(&b[..]).is_err());
    }
}
