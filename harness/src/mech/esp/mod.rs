//! IP Encapsulating Security Payload (RFC 4303) in userspace, for the SA pairs of
//! TS 33.203 §7 (IMS access security) with the transforms of TS 33.203 Annex H and the
//! UDP encapsulation of Annex M. Pure and I/O-free: callers own sockets and buffers.
//!
//! - [`packet`]: zero-copy view of an ESP packet and the decrypted trailer (RFC 4303 §2).
//! - [`sa`]: [`SaCrypto`], the per-SA keyed transforms with `seal` / `open`.
//! - [`encap`]: RFC 3948 ESP-in-UDP classification and tunnel/transport inner headers.
//! - [`uat`]: Wireshark `esp_sa` UAT lines (read and write).
//! - [`heuristic`]: RFC 5879 detection of ESP-NULL without keys.

pub mod encap;
pub mod heuristic;
pub mod packet;
pub mod replay;
pub mod sa;
pub mod saset;
pub(crate) mod transform;
pub mod uat;

pub use packet::{EspPacket, Trailer, HEADER_LEN};
pub use sa::{
    CounterIv, FixedIv, IvSource, Opened, PadFill, Padding, SaCrypto, SealParams, UncheckedIcv,
};

use crate::mech::algorithms::PairError;

/// Next Header value of an IPv4 inner packet (tunnel mode, RFC 4303 §2.6).
pub const NH_IPV4: u8 = 4;
/// Next Header value of TCP (transport mode).
pub const NH_TCP: u8 = 6;
/// Next Header value of UDP (transport mode).
pub const NH_UDP: u8 = 17;
/// Next Header value of an IPv6 inner packet (tunnel mode).
pub const NH_IPV6: u8 = 41;
/// Next Header 59 ("no next header"): a dummy packet (RFC 4303 §2.6, §2.4 TFC).
/// TS 33.203 Annex M (M.6.2) forbids sending them on IMS SAs; receivers discard them.
pub const NH_DUMMY: u8 = 59;

/// Why an ESP packet could not be processed, or an SA could not be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EspError {
    /// Shorter than header + IV + minimal trailer + ICV.
    #[error("ESP packet truncated: {len} octets, at least {min} needed")]
    Truncated { len: usize, min: usize },
    /// The ciphertext (or, for null encryption, payload+trailer) length is not a multiple
    /// of the cipher block size / 4 octets (RFC 4303 §2.4).
    #[error("ESP payload of {len} octets is not a multiple of {align} octets (RFC 4303 §2.4)")]
    Misaligned { len: usize, align: usize },
    /// Integrity check failed (RFC 4303 §3.4.4). No plaintext is released.
    #[error("ICV mismatch (RFC 4303 §3.4.4)")]
    IcvBad,
    /// Pad Length points before the start of the payload.
    #[error("pad length {pad_len} exceeds the {available} octets before the trailer")]
    BadPadLength { pad_len: u8, available: usize },
    /// The padding octets are not the default monotone 1, 2, 3, ... (RFC 4303 §2.4).
    #[error("padding octet {index} is {found:#04x}, expected {expected:#04x} (RFC 4303 §2.4)")]
    BadPadding { index: u8, found: u8, expected: u8 },
    /// A key (or salt) has the wrong length for its algorithm.
    #[error("{what} must be {expected} octets, got {got}")]
    KeyLength {
        what: &'static str,
        expected: usize,
        got: usize,
    },
    /// The alg/ealg pair is not allowed (null+null, or a TS 33.203 Annex H violation).
    #[error(transparent)]
    Pair(#[from] PairError),
    /// Seal: the requested extra padding breaks alignment or exceeds 255 octets.
    #[error(
        "cannot pad: {extra} extra octets with {min} minimum exceed 255 or break alignment {align}"
    )]
    PaddingNotPossible { extra: u8, min: usize, align: usize },
    /// A header around or inside ESP (UDP, inner IP) is malformed.
    #[error("malformed: {0}")]
    Malformed(&'static str),
    /// Seal: the IV source returned nothing usable (wrong length).
    #[error("IV source gave {got} octets, {expected} needed")]
    IvLength { expected: usize, got: usize },
}

#[cfg(test)]
mod tests;
