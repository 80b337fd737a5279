//! IKEv2 (RFC 7296) as far as the TS 33.210 Za probe needs: the wire format in the smoltcp
//! manner (zero-copy [`header::Header`] and [`generic::GenericPayload`] views, typed
//! [`payloads::Payload`] reprs with parse/emit), the key schedule and the SK payload
//! ([`crypto`], [`message`]), Diffie-Hellman groups 14/19/31 ([`dh`]) and the Za judgement
//! of proposals ([`judge`]). Pure: no I/O, no clock, randomness passed in; no input panics.

pub mod consts;
pub mod crypto;
pub mod dh;
pub mod generic;
pub mod header;
pub mod judge;
pub mod message;
pub mod payloads;
pub mod sa;
#[cfg(test)]
mod tests;

pub use judge::{judge_message, judge_proposals, NullFinding};
pub use message::{open, seal, Message, Opened, SkKeys};
pub use payloads::{Payload, TrafficSelector};
pub use sa::{Proposal, Transform};

/// Why an IKE message could not be parsed, built or protected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IkeError {
    #[error("{what}: {len} octets, at least {min} needed")]
    Truncated {
        what: &'static str,
        len: usize,
        min: usize,
    },
    #[error("{what}: length field {length} does not fit the {available} octets available")]
    BadLength {
        what: &'static str,
        length: usize,
        available: usize,
    },
    #[error("version 0x{0:02x}: not IKEv2 (RFC 7296 §3.1)")]
    Version(u8),
    #[error("malformed: {0}")]
    Malformed(&'static str),
    #[error("{0} is too long to encode")]
    TooLong(&'static str),
    #[error("unsupported: {0}")]
    Unsupported(String),
    #[error("crypto: {0}")]
    Crypto(String),
    #[error("integrity check value mismatch (RFC 7296 §3.14)")]
    IcvMismatch,
}

/// Fuzz body (fuzz/fuzz_targets/ikev2.rs and harness/tests/ikev2_fuzz_smoke.rs): every parser
/// and the SK opener on arbitrary octets; none may panic.
pub fn fuzz_parsers(data: &[u8]) {
    let _ = Message::parse(data);
    let _ = judge_message(data, None);
    let _ = sa::parse_sa(data);
    if let Some((&first, rest)) = data.split_first() {
        let _ = payloads::parse_chain(first, rest);
    }
    for k in [
        SkKeys {
            encr: crypto::Encr::AesCbc { key_bits: 128 },
            integ: crypto::Integ::HmacSha1_96,
            ek: &[0x11; 16],
            ak: &[0x22; 20],
        },
        SkKeys {
            encr: crypto::Encr::Null,
            integ: crypto::Integ::HmacSha256_128,
            ek: &[],
            ak: &[0x22; 32],
        },
    ] {
        if let Ok(o) = open(data, k, false) {
            let _ = judge_proposals(&o.payloads, o.header.is_response());
        }
    }
}
