//! RTP (RFC 3550 §5.1) and RTCP (RFC 3550 §6.4) header views, smoltcp `wire` style, for
//! SRTP/SRTCP processing (RFC 3711 §3.1, §3.4). Zero-copy; `new_checked` validates that
//! every accessor is in bounds, so no accessor can panic afterwards.

use std::fmt;

/// Why a buffer is not an RTP or RTCP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PacketError {
    #[error("{what}: {have} octets, need at least {need}")]
    Truncated {
        what: &'static str,
        have: usize,
        need: usize,
    },
    #[error("{what}: version {version}, RTP/RTCP is version 2 (RFC 3550)")]
    Version { what: &'static str, version: u8 },
}

/// Fixed RTP header length (RFC 3550 §5.1).
pub const RTP_HEADER_LEN: usize = 12;
/// Fixed RTCP header length covered in clear by SRTCP (RFC 3711 §3.4: first 8 octets).
pub const RTCP_HEADER_LEN: usize = 8;

fn be16(b: &[u8], at: usize) -> u16 {
    match b.get(at..at + 2) {
        Some(&[x, y]) => u16::from_be_bytes([x, y]),
        _ => 0,
    }
}

fn be32(b: &[u8], at: usize) -> u32 {
    match b.get(at..at + 4) {
        Some(&[a, c, d, e]) => u32::from_be_bytes([a, c, d, e]),
        _ => 0,
    }
}

/// An RTP packet (RFC 3550 §5.1).
#[derive(Clone, Copy)]
pub struct RtpPacket<T: AsRef<[u8]>> {
    buffer: T,
    header_len: usize,
}

impl<T: AsRef<[u8]>> RtpPacket<T> {
    /// Checks version 2 and that the CSRC list and header extension fit.
    pub fn new_checked(buffer: T) -> Result<Self, PacketError> {
        let b = buffer.as_ref();
        let what = "RTP header";
        let first = *b.first().ok_or(PacketError::Truncated {
            what,
            have: 0,
            need: RTP_HEADER_LEN,
        })?;
        if first >> 6 != 2 {
            return Err(PacketError::Version {
                what,
                version: first >> 6,
            });
        }
        let mut len = RTP_HEADER_LEN + 4 * usize::from(first & 0x0f);
        if b.len() < len {
            return Err(PacketError::Truncated {
                what,
                have: b.len(),
                need: len,
            });
        }
        if first & 0x10 != 0 {
            if b.len() < len + 4 {
                return Err(PacketError::Truncated {
                    what: "RTP header extension",
                    have: b.len(),
                    need: len + 4,
                });
            }
            len += 4 + 4 * usize::from(be16(b, len + 2));
            if b.len() < len {
                return Err(PacketError::Truncated {
                    what: "RTP header extension",
                    have: b.len(),
                    need: len,
                });
            }
        }
        Ok(RtpPacket {
            buffer,
            header_len: len,
        })
    }

    fn b(&self) -> &[u8] {
        self.buffer.as_ref()
    }
    pub fn version(&self) -> u8 {
        self.b().first().map_or(0, |x| x >> 6)
    }
    pub fn padding(&self) -> bool {
        self.b().first().is_some_and(|x| x & 0x20 != 0)
    }
    pub fn extension(&self) -> bool {
        self.b().first().is_some_and(|x| x & 0x10 != 0)
    }
    pub fn csrc_count(&self) -> u8 {
        self.b().first().map_or(0, |x| x & 0x0f)
    }
    pub fn marker(&self) -> bool {
        self.b().get(1).is_some_and(|x| x & 0x80 != 0)
    }
    pub fn payload_type(&self) -> u8 {
        self.b().get(1).map_or(0, |x| x & 0x7f)
    }
    pub fn seq(&self) -> u16 {
        be16(self.b(), 2)
    }
    pub fn timestamp(&self) -> u32 {
        be32(self.b(), 4)
    }
    pub fn ssrc(&self) -> u32 {
        be32(self.b(), 8)
    }
    /// The CSRC identifiers.
    pub fn csrcs(&self) -> impl Iterator<Item = u32> + '_ {
        (0..usize::from(self.csrc_count())).map(|k| be32(self.b(), 12 + 4 * k))
    }
    /// Header length including CSRCs and the extension (the start of the payload).
    pub fn header_len(&self) -> usize {
        self.header_len
    }
    /// Everything after the header (the SRTP encrypted portion, RFC 3711 §3.1).
    pub fn payload(&self) -> &[u8] {
        self.b().get(self.header_len..).unwrap_or(&[])
    }
    pub fn into_inner(self) -> T {
        self.buffer
    }
}

impl<T: AsRef<[u8]>> fmt::Debug for RtpPacket<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "RTP ssrc={:#010x} seq={} ts={} pt={} m={} len={}",
            self.ssrc(),
            self.seq(),
            self.timestamp(),
            self.payload_type(),
            self.marker(),
            self.b().len()
        )
    }
}

/// The fields of an RTP header (RFC 3550 §5.1), for building packets.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RtpRepr {
    pub marker: bool,
    pub payload_type: u8,
    pub seq: u16,
    pub timestamp: u32,
    pub ssrc: u32,
    pub csrcs: Vec<u32>,
    /// Header extension: profile-defined 16 bits and data (a multiple of 4 octets).
    pub extension: Option<(u16, Vec<u8>)>,
}

impl RtpRepr {
    /// Reads the header of a checked packet (the padding bit is not kept).
    pub fn parse<T: AsRef<[u8]>>(p: &RtpPacket<T>) -> RtpRepr {
        let extension = if p.extension() {
            let at = RTP_HEADER_LEN + 4 * usize::from(p.csrc_count());
            let b = p.b();
            Some((
                be16(b, at),
                b.get(at + 4..p.header_len()).unwrap_or(&[]).to_vec(),
            ))
        } else {
            None
        };
        RtpRepr {
            marker: p.marker(),
            payload_type: p.payload_type(),
            seq: p.seq(),
            timestamp: p.timestamp(),
            ssrc: p.ssrc(),
            csrcs: p.csrcs().collect(),
            extension,
        }
    }

    /// Appends the header to `out`. At most 15 CSRCs and extension data of a multiple of 4
    /// octets below 2^18 are emitted; extra CSRCs and extension octets are cut.
    pub fn emit(&self, out: &mut Vec<u8>) {
        let cc = self.csrcs.len().min(15);
        let x = if self.extension.is_some() { 0x10 } else { 0 };
        out.push(0x80 | x | cc as u8);
        out.push(if self.marker { 0x80 } else { 0 } | (self.payload_type & 0x7f));
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.timestamp.to_be_bytes());
        out.extend_from_slice(&self.ssrc.to_be_bytes());
        for c in self.csrcs.iter().take(cc) {
            out.extend_from_slice(&c.to_be_bytes());
        }
        if let Some((profile, data)) = &self.extension {
            let words = (data.len() / 4).min(usize::from(u16::MAX));
            out.extend_from_slice(&profile.to_be_bytes());
            out.extend_from_slice(&(words as u16).to_be_bytes());
            out.extend_from_slice(data.get(..words * 4).unwrap_or(&[]));
        }
    }

    /// Header length of the emitted header.
    pub fn header_len(&self) -> usize {
        RTP_HEADER_LEN
            + 4 * self.csrcs.len().min(15)
            + self
                .extension
                .as_ref()
                .map_or(0, |(_, d)| 4 + 4 * (d.len() / 4).min(usize::from(u16::MAX)))
    }
}

/// The first RTCP packet of a compound packet (RFC 3550 §6.4): the 8 octets SRTCP leaves
/// in clear (RFC 3711 §3.4).
#[derive(Clone, Copy)]
pub struct RtcpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> RtcpPacket<T> {
    /// Checks version 2 and the 8-octet fixed part.
    pub fn new_checked(buffer: T) -> Result<Self, PacketError> {
        let b = buffer.as_ref();
        if b.len() < RTCP_HEADER_LEN {
            return Err(PacketError::Truncated {
                what: "RTCP header",
                have: b.len(),
                need: RTCP_HEADER_LEN,
            });
        }
        let v = b.first().map_or(0, |x| x >> 6);
        if v != 2 {
            return Err(PacketError::Version {
                what: "RTCP header",
                version: v,
            });
        }
        Ok(RtcpPacket { buffer })
    }
    fn b(&self) -> &[u8] {
        self.buffer.as_ref()
    }
    pub fn packet_type(&self) -> u8 {
        self.b().get(1).copied().unwrap_or(0)
    }
    /// Length field: 32-bit words minus one (RFC 3550 §6.4.1).
    pub fn length_words(&self) -> u16 {
        be16(self.b(), 2)
    }
    pub fn ssrc(&self) -> u32 {
        be32(self.b(), 4)
    }
}

/// RFC 5761 §4 demultiplexing: a packet whose second octet is 192..=223 (payload types
/// 64..=95 with the marker bit) is RTCP; every other version-2 packet is RTP.
pub fn looks_like_rtcp(b: &[u8]) -> bool {
    b.get(1).is_some_and(|pt| (192..=223).contains(pt))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rtp_view_and_repr_round_trip() {
        let repr = RtpRepr {
            marker: true,
            payload_type: 8,
            seq: 0x1234,
            timestamp: 0xdecafbad,
            ssrc: 0xcafebabe,
            csrcs: vec![1, 2],
            extension: Some((0xbede, vec![1, 2, 3, 4])),
        };
        let mut b = Vec::new();
        repr.emit(&mut b);
        assert_eq!(b.len(), repr.header_len());
        b.extend_from_slice(b"payload");
        let p = RtpPacket::new_checked(&b[..]).unwrap();
        assert_eq!(p.header_len(), 12 + 8 + 8);
        assert_eq!(p.payload(), b"payload");
        assert_eq!(RtpRepr::parse(&p), repr);
        // Header as written by hand (RFC 3550 §5.1 layout).
        assert_eq!(&b[..4], &[0x92, 0x88, 0x12, 0x34]);
    }

    #[test]
    fn rtp_rejects_short_and_wrong_version() {
        assert!(RtpPacket::new_checked(&[][..]).is_err());
        assert!(RtpPacket::new_checked(&[0x80; 11][..]).is_err());
        assert!(RtpPacket::new_checked(&[0x40; 12][..]).is_err());
        // CC = 15 needs 72 octets.
        assert!(RtpPacket::new_checked(&[0x8f; 71][..]).is_err());
        // X set, extension length 0xffff words.
        let mut b = vec![0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];
        assert!(RtpPacket::new_checked(&b[..]).is_err());
        b[14] = 0;
        b[15] = 0;
        assert_eq!(RtpPacket::new_checked(&b[..]).unwrap().header_len(), 16);
    }

    #[test]
    fn rtcp_demux() {
        assert!(looks_like_rtcp(&[0x81, 200]));
        assert!(!looks_like_rtcp(&[0x80, 8]));
        assert!(!looks_like_rtcp(&[0x80, 0x88]));
        let p = RtcpPacket::new_checked(&[0x81, 0xc8, 0, 11, 0xca, 0xfe, 0xba, 0xbe][..]).unwrap();
        assert_eq!(
            (p.packet_type(), p.length_words(), p.ssrc()),
            (200, 11, 0xcafebabe)
        );
    }
}
