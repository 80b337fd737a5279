//! UDP header view (RFC 768), smoltcp `wire` style.

use super::{be16, checksum, need, WireError};
use std::net::IpAddr;

pub const HEADER_LEN: usize = 8;
const WHAT: &str = "UDP header";

/// A read-only view of a UDP datagram.
#[derive(Debug, Clone)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    pub fn new_unchecked(buffer: T) -> Self {
        Packet { buffer }
    }

    /// Checks that the Length field is at least 8 and fits the buffer. A Length of 0
    /// (IPv6 jumbogram, RFC 2675 §4) means "the rest of the buffer".
    pub fn new_checked(buffer: T) -> Result<Self, WireError> {
        let p = Packet { buffer };
        let b = p.buffer.as_ref();
        need(WHAT, b, HEADER_LEN)?;
        let l = p.len();
        if l != 0 && l < HEADER_LEN {
            return Err(WireError::Malformed {
                what: WHAT,
                why: "length below 8",
            });
        }
        need(WHAT, b, l)?;
        Ok(p)
    }

    fn b(&self) -> &[u8] {
        self.buffer.as_ref()
    }
    pub fn src_port(&self) -> u16 {
        be16(self.b(), 0).unwrap_or(0)
    }
    pub fn dst_port(&self) -> u16 {
        be16(self.b(), 2).unwrap_or(0)
    }
    /// The Length field (header included).
    pub fn len(&self) -> usize {
        usize::from(be16(self.b(), 4).unwrap_or(0))
    }
    /// True when the Length field says there is no payload.
    pub fn is_empty(&self) -> bool {
        self.len() == HEADER_LEN
    }
    pub fn checksum(&self) -> u16 {
        be16(self.b(), 6).unwrap_or(0)
    }
    /// The payload up to Length.
    pub fn payload(&self) -> &[u8] {
        let b = self.b();
        let end = match self.len() {
            0 => b.len(),
            l => l.min(b.len()),
        };
        b.get(HEADER_LEN..end).unwrap_or(&[])
    }
    /// Verifies the checksum against the pseudo header; a zero checksum over IPv4 means
    /// "not computed" (RFC 768) and verifies.
    pub fn verify_checksum(&self, src: IpAddr, dst: IpAddr) -> bool {
        if self.checksum() == 0 && src.is_ipv4() {
            return true;
        }
        let end = match self.len() {
            0 => self.b().len(),
            l => l,
        };
        let Some(d) = self.b().get(..end) else {
            return false;
        };
        let ph = checksum::pseudo_header(src, dst, 17, end as u32);
        checksum::finish(&[ph, checksum::sum(d)]) == 0
    }
}

/// Ports and payload length; `emit` writes the header with a checksum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repr {
    pub src_port: u16,
    pub dst_port: u16,
}

impl Repr {
    pub fn parse<T: AsRef<[u8]>>(p: &Packet<T>) -> Repr {
        Repr {
            src_port: p.src_port(),
            dst_port: p.dst_port(),
        }
    }
    /// Appends header and payload, with the checksum over the pseudo header of `src`/`dst`
    /// (a computed 0 is sent as 0xffff, RFC 768).
    pub fn emit(
        &self,
        src: IpAddr,
        dst: IpAddr,
        payload: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), WireError> {
        let len = HEADER_LEN
            .checked_add(payload.len())
            .and_then(|l| u16::try_from(l).ok())
            .ok_or(WireError::Malformed {
                what: WHAT,
                why: "payload longer than 65527 octets",
            })?;
        let mut h = [0u8; HEADER_LEN];
        h[0..2].copy_from_slice(&self.src_port.to_be_bytes());
        h[2..4].copy_from_slice(&self.dst_port.to_be_bytes());
        h[4..6].copy_from_slice(&len.to_be_bytes());
        let ph = checksum::pseudo_header(src, dst, 17, u32::from(len));
        let mut c = checksum::finish(&[ph, checksum::sum(&h), checksum::sum(payload)]);
        if c == 0 {
            c = 0xffff;
        }
        h[6..8].copy_from_slice(&c.to_be_bytes());
        out.extend_from_slice(&h);
        out.extend_from_slice(payload);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emit_then_verify_and_reject_bad() {
        let (s, d): (IpAddr, IpAddr) = (
            "2001:db8::1".parse().unwrap(),
            "2001:db8::2".parse().unwrap(),
        );
        let mut v = Vec::new();
        Repr {
            src_port: 4500,
            dst_port: 4500,
        }
        .emit(s, d, b"odd", &mut v)
        .unwrap();
        let p = Packet::new_checked(&v[..]).unwrap();
        assert!(p.verify_checksum(s, d));
        assert_eq!(p.payload(), b"odd");
        v[9] ^= 1;
        assert!(!Packet::new_checked(&v[..]).unwrap().verify_checksum(s, d));
        v[5] = 4; // length 4 < 8
        assert!(Packet::new_checked(&v[..]).is_err());
        v[5] = 200;
        assert!(Packet::new_checked(&v[..]).is_err());
    }
}
