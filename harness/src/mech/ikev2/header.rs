//! The IKE header (RFC 7296 §3.1, Figure 4) as a zero-copy view and a `Repr`.

use super::IkeError;

/// Octets in the IKE header.
pub const HEADER_LEN: usize = 28;
/// Major version 2, minor 0 (RFC 7296 §3.1).
pub const VERSION_2_0: u8 = 0x20;

/// A read view of an IKE message starting at the IKE SA Initiator's SPI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Header<T> {
    /// Wraps without checking; accessors return 0 on short buffers.
    pub fn new_unchecked(buffer: T) -> Header<T> {
        Header { buffer }
    }

    /// Wraps, requiring the 28 header octets and a Length field that covers the header and
    /// does not exceed the buffer (RFC 7296 §3.1: "Length of the total message").
    pub fn new_checked(buffer: T) -> Result<Header<T>, IkeError> {
        let len = buffer.as_ref().len();
        if len < HEADER_LEN {
            return Err(IkeError::Truncated {
                what: "IKE header",
                len,
                min: HEADER_LEN,
            });
        }
        let h = Header { buffer };
        let total = h.length() as usize;
        if total < HEADER_LEN || total > len {
            return Err(IkeError::BadLength {
                what: "IKE message",
                length: total,
                available: len,
            });
        }
        Ok(h)
    }

    fn bytes<const N: usize>(&self, at: usize) -> [u8; N] {
        self.buffer
            .as_ref()
            .get(at..at + N)
            .and_then(|s| <[u8; N]>::try_from(s).ok())
            .unwrap_or([0; N])
    }

    pub fn spi_i(&self) -> u64 {
        u64::from_be_bytes(self.bytes(0))
    }
    pub fn spi_r(&self) -> u64 {
        u64::from_be_bytes(self.bytes(8))
    }
    pub fn next_payload(&self) -> u8 {
        self.bytes::<1>(16)[0]
    }
    pub fn version(&self) -> u8 {
        self.bytes::<1>(17)[0]
    }
    pub fn exchange(&self) -> u8 {
        self.bytes::<1>(18)[0]
    }
    pub fn flags(&self) -> u8 {
        self.bytes::<1>(19)[0]
    }
    pub fn message_id(&self) -> u32 {
        u32::from_be_bytes(self.bytes(20))
    }
    pub fn length(&self) -> u32 {
        u32::from_be_bytes(self.bytes(24))
    }
    /// The payload chain: from the end of the header to `Length`.
    pub fn payloads(&self) -> &[u8] {
        let end = (self.length() as usize).min(self.buffer.as_ref().len());
        self.buffer.as_ref().get(HEADER_LEN..end).unwrap_or(&[])
    }
}

/// The IKE header fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderRepr {
    pub spi_i: u64,
    pub spi_r: u64,
    pub next_payload: u8,
    pub version: u8,
    pub exchange: u8,
    pub flags: u8,
    pub message_id: u32,
    pub length: u32,
}

impl HeaderRepr {
    /// Reads the header; a major version other than 2 is an error (RFC 7296 §3.1).
    pub fn parse<T: AsRef<[u8]>>(h: &Header<T>) -> Result<HeaderRepr, IkeError> {
        if h.version() >> 4 != 2 {
            return Err(IkeError::Version(h.version()));
        }
        Ok(HeaderRepr {
            spi_i: h.spi_i(),
            spi_r: h.spi_r(),
            next_payload: h.next_payload(),
            version: h.version(),
            exchange: h.exchange(),
            flags: h.flags(),
            message_id: h.message_id(),
            length: h.length(),
        })
    }

    /// Appends the 28 header octets.
    pub fn emit(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.spi_i.to_be_bytes());
        out.extend_from_slice(&self.spi_r.to_be_bytes());
        out.extend_from_slice(&[self.next_payload, self.version, self.exchange, self.flags]);
        out.extend_from_slice(&self.message_id.to_be_bytes());
        out.extend_from_slice(&self.length.to_be_bytes());
    }

    pub fn is_response(&self) -> bool {
        self.flags & super::consts::flags::RESPONSE != 0
    }
    pub fn is_initiator(&self) -> bool {
        self.flags & super::consts::flags::INITIATOR != 0
    }
}
