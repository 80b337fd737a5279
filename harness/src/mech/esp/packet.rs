//! The ESP packet format (RFC 4303 §2, Figure 1) as a zero-copy view, and the trailer
//! (Padding, Pad Length, Next Header; RFC 4303 §2.4–2.6) found after decryption.

use super::EspError;
use std::ops::Range;

/// SPI (4) + Sequence Number (4).
pub const HEADER_LEN: usize = 8;

/// A read view of an ESP packet (starting at the SPI).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EspPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> EspPacket<T> {
    /// Wraps without checking; accessors then return 0 / empty on short buffers.
    pub fn new_unchecked(buffer: T) -> EspPacket<T> {
        EspPacket { buffer }
    }

    /// Wraps, requiring at least the SPI and Sequence Number fields.
    pub fn new_checked(buffer: T) -> Result<EspPacket<T>, EspError> {
        let len = buffer.as_ref().len();
        if len < HEADER_LEN {
            return Err(EspError::Truncated {
                len,
                min: HEADER_LEN,
            });
        }
        Ok(EspPacket { buffer })
    }

    fn be32(&self, at: usize) -> u32 {
        self.buffer
            .as_ref()
            .get(at..at + 4)
            .and_then(|s| <[u8; 4]>::try_from(s).ok())
            .map(u32::from_be_bytes)
            .unwrap_or(0)
    }

    /// Security Parameters Index (RFC 4303 §2.1).
    pub fn spi(&self) -> u32 {
        self.be32(0)
    }

    /// Sequence Number, low 32 bits (RFC 4303 §2.2).
    pub fn seq(&self) -> u32 {
        self.be32(4)
    }

    /// Everything after the header: IV, ciphertext (payload, padding, pad length,
    /// next header) and ICV.
    pub fn payload(&self) -> &[u8] {
        self.buffer.as_ref().get(HEADER_LEN..).unwrap_or(&[])
    }

    pub fn into_inner(self) -> T {
        self.buffer
    }
}

/// The two octets closing the encrypted part (RFC 4303 §2.5, §2.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trailer {
    pub pad_len: u8,
    pub next_header: u8,
}

/// Splits decrypted `plain` (payload || padding || pad length || next header) and, when
/// `verify_monotone`, checks the padding is the default 1, 2, 3, ... (RFC 4303 §2.4:
/// "the receiver SHOULD inspect the Padding field" when the default is used).
/// Returns the trailer, the payload range and the padding range (indices into `plain`).
pub fn parse_trailer(
    plain: &[u8],
    verify_monotone: bool,
) -> Result<(Trailer, Range<usize>, Range<usize>), EspError> {
    let n = plain.len();
    let (Some(&pad_len), Some(&next_header)) = (
        n.checked_sub(2).and_then(|i| plain.get(i)),
        n.checked_sub(1).and_then(|i| plain.get(i)),
    ) else {
        return Err(EspError::Truncated { len: n, min: 2 });
    };
    let available = n - 2;
    let pad_start = available
        .checked_sub(pad_len as usize)
        .ok_or(EspError::BadPadLength { pad_len, available })?;
    let padding = plain.get(pad_start..available).unwrap_or(&[]);
    if verify_monotone {
        for (i, &b) in padding.iter().enumerate() {
            let expected = (i + 1) as u8;
            if b != expected {
                return Err(EspError::BadPadding {
                    index: i as u8,
                    found: b,
                    expected,
                });
            }
        }
    }
    Ok((
        Trailer {
            pad_len,
            next_header,
        },
        0..pad_start,
        pad_start..available,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_fields() {
        let p = EspPacket::new_checked(&[0, 0, 0x10, 0x01, 0, 0, 0, 7, 0xaa][..]).unwrap();
        assert_eq!(p.spi(), 0x1001);
        assert_eq!(p.seq(), 7);
        assert_eq!(p.payload(), &[0xaa]);
        assert!(EspPacket::new_checked(&[0u8; 7][..]).is_err());
        let u = EspPacket::new_unchecked(&[1u8][..]);
        assert_eq!((u.spi(), u.seq(), u.payload().len()), (0, 0, 0));
    }

    #[test]
    fn trailer_ok_and_bad() {
        let (t, p, pad) = parse_trailer(&[9, 9, 1, 2, 3, 3, 4], true).unwrap();
        assert_eq!((t.pad_len, t.next_header, p, pad), (3, 4, 0..2, 2..5));
        assert_eq!(
            parse_trailer(&[9, 1, 3, 2, 4], true),
            Err(EspError::BadPadding {
                index: 1,
                found: 3,
                expected: 2
            })
        );
        assert!(parse_trailer(&[9, 1, 3, 2, 4], false).is_ok());
        assert!(matches!(
            parse_trailer(&[1, 2, 3, 4], true),
            Err(EspError::BadPadLength { .. })
        ));
        assert!(parse_trailer(&[4], true).is_err());
        assert!(parse_trailer(&[], true).is_err());
        let (t, p, _) = parse_trailer(&[0, 59], true).unwrap();
        assert_eq!((t.next_header, p), (59, 0..0));
    }
}
