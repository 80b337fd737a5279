//! Splitting a stream (TCP, TLS) into SIP messages by Content-Length (RFC 3261 §18.3):
//! several messages per segment, one message over many segments, CRLF keep-alives
//! (RFC 5626 §3.5.1) between messages. Bounded: a peer that never completes a message
//! cannot make the buffer grow past the codec limits.

use super::message::{SipError, SipMessage, MAX_BODY_BYTES, MAX_HEADER_BYTES};

/// Accumulates stream bytes and yields complete messages.
#[derive(Debug, Default)]
pub struct StreamFramer {
    buf: Vec<u8>,
}

impl StreamFramer {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds received bytes.
    pub fn push(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// Octets buffered and not yet framed.
    pub fn pending(&self) -> usize {
        self.buf.len()
    }

    /// The next complete message: `Ok(None)` when more bytes are needed; `Err` when the
    /// stream cannot be a SIP stream any more (the caller should close the connection).
    pub fn next_message(&mut self) -> Result<Option<SipMessage>, SipError> {
        let skip = self
            .buf
            .iter()
            .position(|b| *b != b'\r' && *b != b'\n')
            .unwrap_or(self.buf.len());
        self.buf.drain(..skip);
        if self.buf.is_empty() {
            return Ok(None);
        }
        match SipMessage::parse_prefix(&self.buf, true) {
            Ok((msg, used)) => {
                self.buf.drain(..used);
                Ok(Some(msg))
            }
            Err(SipError::Incomplete(_)) => {
                if self.buf.len() > MAX_HEADER_BYTES + MAX_BODY_BYTES {
                    return Err(SipError::Limit("unframed stream data".into()));
                }
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }
}
