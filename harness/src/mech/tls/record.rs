//! The TLS record layer header (RFC 5246 §6.2.1, RFC 8446 §5.1): ContentType (1),
//! ProtocolVersion (2), length (2), fragment.

use super::TlsError;

/// Record header length.
pub const HEADER_LEN: usize = 5;
/// Largest fragment accepted: 2^14 + 2048 (RFC 5246 §6.2.3 TLSCiphertext bound).
pub const MAX_FRAGMENT: usize = (1 << 14) + 2048;

/// Record content types (RFC 8446 §5.1, RFC 6520 heartbeat).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum ContentType {
    ChangeCipherSpec = 20,
    Alert = 21,
    Handshake = 22,
    ApplicationData = 23,
    Heartbeat = 24,
}

impl ContentType {
    pub fn from_u8(v: u8) -> Option<ContentType> {
        Some(match v {
            20 => ContentType::ChangeCipherSpec,
            21 => ContentType::Alert,
            22 => ContentType::Handshake,
            23 => ContentType::ApplicationData,
            24 => ContentType::Heartbeat,
            _ => return None,
        })
    }
}

/// A read view of one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Record<T> {
    /// Wraps without checking; accessors return 0 / empty on short buffers.
    pub fn new_unchecked(buffer: T) -> Record<T> {
        Record { buffer }
    }

    /// Wraps, requiring the header, a known content type, a fragment length up to
    /// [`MAX_FRAGMENT`] and the whole fragment.
    pub fn new_checked(buffer: T) -> Result<Record<T>, TlsError> {
        let r = Record { buffer };
        let have = r.buffer.as_ref().len();
        if have < HEADER_LEN {
            return Err(TlsError::Truncated {
                what: "record header",
                have,
                need: HEADER_LEN,
            });
        }
        if ContentType::from_u8(r.content_type()).is_none() {
            return Err(TlsError::Invalid {
                what: "record",
                why: "unknown content type (not TLS?)",
            });
        }
        let len = r.length() as usize;
        if len > MAX_FRAGMENT {
            return Err(TlsError::BadLength {
                what: "record",
                len,
                min: 0,
                max: MAX_FRAGMENT,
            });
        }
        if have < HEADER_LEN + len {
            return Err(TlsError::Truncated {
                what: "record",
                have,
                need: HEADER_LEN + len,
            });
        }
        Ok(r)
    }

    fn byte(&self, i: usize) -> u8 {
        self.buffer.as_ref().get(i).copied().unwrap_or(0)
    }

    /// ContentType octet.
    pub fn content_type(&self) -> u8 {
        self.byte(0)
    }

    /// legacy_record_version (RFC 8446 §5.1).
    pub fn version(&self) -> u16 {
        u16::from_be_bytes([self.byte(1), self.byte(2)])
    }

    /// Fragment length field.
    pub fn length(&self) -> u16 {
        u16::from_be_bytes([self.byte(3), self.byte(4)])
    }

    /// The fragment (as much of it as the buffer holds).
    pub fn fragment(&self) -> &[u8] {
        let b = self.buffer.as_ref();
        let end = (HEADER_LEN + self.length() as usize).min(b.len());
        b.get(HEADER_LEN..end).unwrap_or(&[])
    }

    /// Header plus fragment length.
    pub fn total_len(&self) -> usize {
        HEADER_LEN + self.length() as usize
    }
}

/// A record found at the start of a stream and the octets it spans.
pub type Found<'a> = (Record<&'a [u8]>, usize);

/// The next complete record at the start of `stream`, with the octets it spans; `Ok(None)`
/// when more octets are needed; an error when the octets are not a TLS record.
pub fn next_record(stream: &[u8]) -> Result<Option<Found<'_>>, TlsError> {
    if stream.len() < HEADER_LEN {
        return Ok(None);
    }
    match Record::new_checked(stream) {
        Ok(r) => {
            let n = r.total_len();
            Ok(Some((
                Record::new_unchecked(stream.get(..n).unwrap_or(stream)),
                n,
            )))
        }
        Err(TlsError::Truncated { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A record to emit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordRepr {
    pub content_type: ContentType,
    pub version: u16,
    pub fragment: Vec<u8>,
}

impl RecordRepr {
    /// Emits the record(s): a fragment over 2^14 octets is split into several records
    /// (RFC 5246 §6.2.1).
    pub fn emit(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.fragment.len() + HEADER_LEN);
        let chunks: Vec<&[u8]> = if self.fragment.is_empty() {
            vec![&[]]
        } else {
            self.fragment.chunks(1 << 14).collect()
        };
        for c in chunks {
            out.push(self.content_type as u8);
            out.extend_from_slice(&self.version.to_be_bytes());
            out.extend_from_slice(&(c.len() as u16).to_be_bytes());
            out.extend_from_slice(c);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_and_stream() {
        let bytes = [22, 3, 1, 0, 2, 0xaa, 0xbb, 21, 3, 3];
        let (r, n) = next_record(&bytes).unwrap().unwrap();
        assert_eq!(
            (r.content_type(), r.version(), r.length(), n),
            (22, 0x0301, 2, 7)
        );
        assert_eq!(r.fragment(), &[0xaa, 0xbb]);
        assert_eq!(next_record(&bytes[7..]), Ok(None));
        assert_eq!(next_record(&bytes[..6]), Ok(None));
        assert!(next_record(b"SIP/2.0 200 OK").is_err());
        assert!(next_record(&[22, 3, 3, 0xff, 0xff]).is_err());
        let u = Record::new_unchecked(&[22u8][..]);
        assert_eq!((u.version(), u.fragment().len()), (0, 0));
    }

    #[test]
    fn emit_splits_large_fragments() {
        let r = RecordRepr {
            content_type: ContentType::Handshake,
            version: 0x0303,
            fragment: vec![7; (1 << 14) + 3],
        };
        let out = r.emit();
        let (a, n) = next_record(&out).unwrap().unwrap();
        assert_eq!(a.length(), 1 << 14);
        let (b, m) = next_record(&out[n..]).unwrap().unwrap();
        assert_eq!((b.length(), n + m), (3, out.len()));
    }
}
