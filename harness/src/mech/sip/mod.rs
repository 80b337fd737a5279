//! SIP messages (RFC 3261 §7) as the harness needs them: byte-faithful, order-preserving,
//! and able to carry what a conformant stack would refuse to build (duplicate, tampered or
//! missing headers), because the security checks send exactly such messages.
//!
//! Why not `rsip`: its last release (0.4.0) dates from 2022, it normalises headers into typed
//! values (losing order, case and duplicates), and it has no notion of the IMS headers
//! (Security-*, P-*). A harness must control every byte it sends; this codec keeps the
//! message as an ordered list of raw headers and offers typed views on top.
//!
//! - [`message`]: parse and emit one message; header access by full or compact name.
//! - [`framing`]: split a TCP byte stream into messages by `Content-Length` (RFC 3261 §18.3).

pub mod framing;
pub mod integrity;
pub mod message;

pub use framing::StreamFramer;
pub use integrity::IntegrityProtected;
pub use message::{Header, SipError, SipMessage, StartLine};

/// Fuzz body (fuzz/fuzz_targets/sip.rs): parse as a datagram and as a stream in odd chunks;
/// what parses must re-emit and parse to the same message.
pub fn fuzz_parsers(data: &[u8]) {
    if let Ok(m) = SipMessage::parse(data) {
        let again = SipMessage::parse(&m.to_bytes());
        debug_assert!(again.is_ok());
        let _ = (m.cseq(), m.top_via_branch(), m.content_length(), m.method());
    }
    let mut f = framing::StreamFramer::new();
    let cut = data.first().map_or(1, |b| usize::from(*b % 17) + 1);
    for chunk in data.chunks(cut) {
        f.push(chunk);
        while let Ok(Some(_)) = f.next_message() {}
    }
}
