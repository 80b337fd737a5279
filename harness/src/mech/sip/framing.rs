//! Splitting a stream (TCP, TLS) into SIP messages by Content-Length (RFC 3261 §18.3):
//! several messages per segment, one message over many segments, CRLF keep-alives
//! (RFC 5626 §3.5.1) between messages. Bounded: a peer that never completes a message
//! cannot make the buffer grow past the codec limits.

use super::message::{SipError, SipMessage, MAX_BODY_BYTES, MAX_HEADER_BYTES};

/// Position of the first SIP start line in `b` at or after a line start, if any.
fn find_start_line(b: &[u8]) -> Option<usize> {
    let starts = std::iter::once(0).chain(
        b.windows(2)
            .enumerate()
            .filter(|(_, w)| w == b"\r\n")
            .map(|(i, _)| i + 2),
    );
    for s in starts {
        let e = s + b.get(s..)?.windows(2).position(|w| w == b"\r\n")?;
        let line = b.get(s..e).unwrap_or(&[]);
        let is_status = line.starts_with(b"SIP/2.0 ");
        let is_request =
            line.ends_with(b" SIP/2.0") && line.first().is_some_and(|c| c.is_ascii_uppercase());
        if is_status || is_request {
            return Some(s);
        }
    }
    None
}

/// Accumulates stream bytes and yields complete messages.
#[derive(Debug)]
pub struct StreamFramer {
    buf: Vec<u8>,
    /// Unframed octets held at most.
    limit: usize,
}

impl Default for StreamFramer {
    fn default() -> Self {
        Self::with_limit(MAX_HEADER_BYTES + MAX_BODY_BYTES)
    }
}

impl StreamFramer {
    pub fn new() -> Self {
        Self::default()
    }

    /// A framer that gives up (`SipError::Limit`) past `limit` unframed octets; a passive
    /// reader of many flows (replay) keeps it lower than a connection end does.
    pub fn with_limit(limit: usize) -> Self {
        StreamFramer {
            buf: Vec::new(),
            limit,
        }
    }

    /// Forgets everything buffered (a new connection on the same flow).
    pub fn clear(&mut self) {
        self.buf.clear();
    }

    /// For a passive reader after data that is not SIP: drops the line at the front.
    pub fn skip_line(&mut self) {
        let cut = self
            .buf
            .windows(2)
            .position(|w| w == b"\r\n")
            .map_or(self.buf.len(), |p| p + 2);
        self.buf.drain(..cut);
    }

    /// For a passive reader that joined mid-stream or met a gap: drops everything before the
    /// next SIP start line (RFC 3261 §7.1/§7.2 shapes) and returns true, or, when none is
    /// buffered yet, keeps only a possible partial start line at the end and returns false
    /// (and nothing at all past the limit).
    pub fn resync(&mut self) -> bool {
        if let Some(p) = find_start_line(&self.buf) {
            self.buf.drain(..p);
            return true;
        }
        let keep = self
            .buf
            .windows(2)
            .rposition(|w| w == b"\r\n")
            .map_or(0, |p| p + 2);
        self.buf.drain(..keep);
        if self.buf.len() > self.limit {
            self.buf.clear();
        }
        false
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
                if self.buf.len() > self.limit {
                    return Err(SipError::Limit("unframed stream data".into()));
                }
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }
}
