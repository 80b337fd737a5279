//! IPv6 header view (RFC 8200 §3) and extension-header walk (RFC 8200 §4), smoltcp style.

use super::{be16, need, WireError};
use std::net::Ipv6Addr;

/// Fixed header length.
pub const HEADER_LEN: usize = 40;
const WHAT: &str = "IPv6 header";

/// Next Header values of the extension headers [`walk_extensions`] steps over.
pub const NH_HOP_BY_HOP: u8 = 0;
pub const NH_ROUTING: u8 = 43;
pub const NH_FRAGMENT: u8 = 44;
pub const NH_AH: u8 = 51;
pub const NH_DEST_OPTS: u8 = 60;

/// A read-only view of an IPv6 packet.
#[derive(Debug, Clone)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    pub fn new_unchecked(buffer: T) -> Self {
        Packet { buffer }
    }

    /// Checks version 6 and that Payload Length fits the buffer. A Payload Length of 0
    /// (jumbogram or offload) means "the rest of the buffer".
    pub fn new_checked(buffer: T) -> Result<Self, WireError> {
        let p = Packet { buffer };
        let b = p.buffer.as_ref();
        need(WHAT, b, HEADER_LEN)?;
        if p.version() != 6 {
            return Err(WireError::Malformed {
                what: WHAT,
                why: "version is not 6",
            });
        }
        need(WHAT, b, HEADER_LEN.saturating_add(p.payload_len()))?;
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
    pub fn traffic_class(&self) -> u8 {
        (self.byte(0) << 4) | (self.byte(1) >> 4)
    }
    pub fn payload_len(&self) -> usize {
        usize::from(be16(self.b(), 4).unwrap_or(0))
    }
    pub fn next_header(&self) -> u8 {
        self.byte(6)
    }
    pub fn hop_limit(&self) -> u8 {
        self.byte(7)
    }
    pub fn src_addr(&self) -> Ipv6Addr {
        self.addr(8)
    }
    pub fn dst_addr(&self) -> Ipv6Addr {
        self.addr(24)
    }
    fn addr(&self, at: usize) -> Ipv6Addr {
        match self
            .b()
            .get(at..at + 16)
            .and_then(|s| <[u8; 16]>::try_from(s).ok())
        {
            Some(a) => Ipv6Addr::from(a),
            None => Ipv6Addr::UNSPECIFIED,
        }
    }
    /// The octets after the fixed header up to Payload Length (padding dropped).
    pub fn payload(&self) -> &[u8] {
        let b = self.b();
        let end = match self.payload_len() {
            0 => b.len(),
            n => HEADER_LEN.saturating_add(n).min(b.len()),
        };
        b.get(HEADER_LEN..end).unwrap_or(&[])
    }
}

/// Where the upper-layer header starts after the extension headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpperLayer {
    /// The Next Header value of the upper layer (e.g. 50 ESP, 17 UDP).
    pub protocol: u8,
    /// Offset of the upper-layer header inside the IPv6 payload.
    pub offset: usize,
    /// True when a Fragment header says this is a fragment (RFC 8200 §4.5).
    pub fragment: bool,
}

/// Steps over Hop-by-Hop, Routing, Destination Options, Fragment and AH headers (at most 16)
/// and returns the first other header. A non-first fragment stops the walk with
/// `fragment: true` (its next header is not at a known offset).
pub fn walk_extensions(first: u8, payload: &[u8]) -> Result<UpperLayer, WireError> {
    const EXT: &str = "IPv6 extension header";
    let mut nh = first;
    let mut off = 0usize;
    let mut fragment = false;
    for _ in 0..16 {
        let len = match nh {
            NH_HOP_BY_HOP | NH_ROUTING | NH_DEST_OPTS => {
                let l = payload.get(off + 1).ok_or(WireError::Truncated {
                    what: EXT,
                    have: payload.len(),
                    need: off + 2,
                })?;
                (usize::from(*l) + 1) * 8
            }
            NH_FRAGMENT => {
                let fo = be16(payload, off + 2).ok_or(WireError::Truncated {
                    what: EXT,
                    have: payload.len(),
                    need: off + 8,
                })?;
                fragment = true;
                if fo & 0xfff8 != 0 {
                    // Non-first fragment: what follows is the middle of the datagram.
                    return Ok(UpperLayer {
                        protocol: payload.get(off).copied().unwrap_or(0),
                        offset: off + 8,
                        fragment,
                    });
                }
                8
            }
            NH_AH => {
                let l = payload.get(off + 1).ok_or(WireError::Truncated {
                    what: EXT,
                    have: payload.len(),
                    need: off + 2,
                })?;
                (usize::from(*l) + 2) * 4
            }
            _ => {
                return Ok(UpperLayer {
                    protocol: nh,
                    offset: off,
                    fragment,
                })
            }
        };
        need(EXT, payload, off + len)?;
        nh = payload.get(off).copied().unwrap_or(0);
        off += len;
    }
    Err(WireError::Malformed {
        what: EXT,
        why: "more than 16 extension headers",
    })
}

/// The fields imsec writes: a 40-octet header without extension headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repr {
    pub src_addr: Ipv6Addr,
    pub dst_addr: Ipv6Addr,
    pub next_header: u8,
    pub payload_len: usize,
    pub hop_limit: u8,
}

impl Repr {
    /// Reads the fixed header (the next header is the fixed header's, not the upper layer's).
    pub fn parse<T: AsRef<[u8]>>(p: &Packet<T>) -> Repr {
        Repr {
            src_addr: p.src_addr(),
            dst_addr: p.dst_addr(),
            next_header: p.next_header(),
            payload_len: p.payload().len(),
            hop_limit: p.hop_limit(),
        }
    }
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN
    }
    /// Appends the 40-octet header.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        let len = u16::try_from(self.payload_len).map_err(|_| WireError::Malformed {
            what: WHAT,
            why: "payload longer than 65535 octets (jumbograms are not emitted)",
        })?;
        out.extend_from_slice(&[0x60, 0, 0, 0]);
        out.extend_from_slice(&len.to_be_bytes());
        out.push(self.next_header);
        out.push(self.hop_limit);
        out.extend_from_slice(&self.src_addr.octets());
        out.extend_from_slice(&self.dst_addr.octets());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkt(nh: u8, payload: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        Repr {
            src_addr: "2001:db8::1".parse().unwrap(),
            dst_addr: "2001:db8::2".parse().unwrap(),
            next_header: nh,
            payload_len: payload.len(),
            hop_limit: 64,
        }
        .emit(&mut v)
        .unwrap();
        v.extend_from_slice(payload);
        v
    }

    #[test]
    fn walks_hop_by_hop_and_dest_opts_to_esp() {
        // HbH (len 0 → 8 octets, next = 60), DestOpts (8 octets, next = 50), then ESP.
        let mut pl = vec![60, 0, 1, 4, 0, 0, 0, 0, 50, 0, 1, 4, 0, 0, 0, 0];
        pl.extend_from_slice(&[0xaa; 12]);
        let b = pkt(0, &pl);
        let p = Packet::new_checked(&b[..]).unwrap();
        let u = walk_extensions(p.next_header(), p.payload()).unwrap();
        assert_eq!((u.protocol, u.offset, u.fragment), (50, 16, false));
    }

    #[test]
    fn non_first_fragment_and_truncation() {
        let pl = [17u8, 0, 0x00, 0x09, 0, 0, 0, 1, 0xde, 0xad];
        let b = pkt(44, &pl);
        let p = Packet::new_checked(&b[..]).unwrap();
        let u = walk_extensions(p.next_header(), p.payload()).unwrap();
        assert!(u.fragment);
        assert!(walk_extensions(0, &[60]).is_err());
        assert!(walk_extensions(0, &[60, 5, 0, 0]).is_err());
        assert!(Packet::new_checked(&b[..b.len() - 1]).is_err());
    }
}
