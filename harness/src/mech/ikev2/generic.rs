//! The generic payload header (RFC 7296 §3.2, Figure 5) and the payload chain.

use super::IkeError;

/// Octets in the generic payload header.
pub const GENERIC_LEN: usize = 4;

/// A read view of one payload: Next Payload, Critical bit, Payload Length, body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenericPayload<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> GenericPayload<T> {
    pub fn new_unchecked(buffer: T) -> GenericPayload<T> {
        GenericPayload { buffer }
    }

    /// Wraps, requiring the 4 header octets and a Payload Length within the buffer.
    pub fn new_checked(buffer: T) -> Result<GenericPayload<T>, IkeError> {
        let len = buffer.as_ref().len();
        if len < GENERIC_LEN {
            return Err(IkeError::Truncated {
                what: "generic payload header",
                len,
                min: GENERIC_LEN,
            });
        }
        let p = GenericPayload { buffer };
        let pl = p.payload_length() as usize;
        if pl < GENERIC_LEN || pl > len {
            return Err(IkeError::BadLength {
                what: "payload",
                length: pl,
                available: len,
            });
        }
        Ok(p)
    }

    pub fn next_payload(&self) -> u8 {
        self.buffer.as_ref().first().copied().unwrap_or(0)
    }
    /// The Critical bit (RFC 7296 §2.5).
    pub fn critical(&self) -> bool {
        self.buffer.as_ref().get(1).is_some_and(|b| b & 0x80 != 0)
    }
    pub fn payload_length(&self) -> u16 {
        match self.buffer.as_ref().get(2..4) {
            Some(&[a, b]) => u16::from_be_bytes([a, b]),
            _ => 0,
        }
    }
    /// The body after the generic header.
    pub fn body(&self) -> &[u8] {
        let end = (self.payload_length() as usize).min(self.buffer.as_ref().len());
        self.buffer.as_ref().get(GENERIC_LEN..end).unwrap_or(&[])
    }
}

/// One raw payload of a chain: its type (from the previous Next Payload field), the
/// Critical bit and its body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawPayload<'a> {
    pub kind: u8,
    pub critical: bool,
    pub body: &'a [u8],
}

/// Walks a payload chain starting with type `first`. For an SK payload (type 46) the chain
/// ends there: its body is the rest of the message (RFC 7296 §3.14), and the Next Payload
/// field names the first payload inside.
pub fn chain(first: u8, mut bytes: &[u8]) -> Result<Vec<RawPayload<'_>>, IkeError> {
    let mut out = Vec::new();
    let mut kind = first;
    while kind != super::consts::payload::NONE {
        if out.len() >= 256 {
            return Err(IkeError::Malformed("more than 256 payloads"));
        }
        let p = GenericPayload::new_checked(bytes)?;
        let len = p.payload_length() as usize;
        let next = p.next_payload();
        let critical = p.critical();
        let body = bytes.get(GENERIC_LEN..len).unwrap_or(&[]);
        out.push(RawPayload {
            kind,
            critical,
            body,
        });
        bytes = bytes.get(len..).unwrap_or(&[]);
        if kind == super::consts::payload::SK {
            // §3.14: the Encrypted payload, when present, is the last one of the message.
            if !bytes.is_empty() {
                return Err(IkeError::Malformed("octets after the SK payload"));
            }
            return Ok(out);
        }
        kind = next;
    }
    if !bytes.is_empty() {
        return Err(IkeError::Malformed("octets after the last payload"));
    }
    Ok(out)
}

/// The Next Payload of the SK payload's own header, i.e. the type of the first inner payload.
pub fn sk_inner_first(chain_bytes: &[u8], index_of_sk: usize) -> Option<u8> {
    let mut bytes = chain_bytes;
    for _ in 0..index_of_sk {
        let p = GenericPayload::new_checked(bytes).ok()?;
        bytes = bytes.get(p.payload_length() as usize..)?;
    }
    GenericPayload::new_checked(bytes)
        .ok()
        .map(|p| p.next_payload())
}

/// Appends a payload with its generic header.
pub fn emit(next: u8, critical: bool, body: &[u8], out: &mut Vec<u8>) -> Result<(), IkeError> {
    let len = u16::try_from(body.len() + GENERIC_LEN).map_err(|_| IkeError::TooLong("payload"))?;
    out.push(next);
    out.push(if critical { 0x80 } else { 0 });
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(body);
    Ok(())
}
