//! The Digest AKA `nonce` and `auts` values (RFC 3310 §3.2, §3.4).
//!
//! nonce = base64(RAND(16) ‖ AUTN(16) ‖ optional server-specific data);
//! auts  = base64(AUTS(14)).
//!
//! Base64 is the RFC 2045 alphabet. Padding is accepted with or without `=` because servers
//! differ; anything else that is not base64 is an error, never a panic.

use base64::alphabet::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;

/// Standard alphabet, padding optional on decode, emitted on encode.
const B64: GeneralPurpose = GeneralPurpose::new(
    &STANDARD,
    GeneralPurposeConfig::new()
        .with_encode_padding(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Why a nonce was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NonceError {
    #[error("nonce is not base64: {0}")]
    Base64(String),
    #[error("nonce decodes to {0} octets; RAND and AUTN need at least 32")]
    TooShort(usize),
}

/// A decoded Digest AKA nonce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AkaNonce {
    pub rand: [u8; 16],
    pub autn: [u8; 16],
    /// Whatever the server appended after AUTN (may be empty).
    pub server_data: Vec<u8>,
}

impl AkaNonce {
    /// Parses the nonce text (surrounding quotes already removed).
    pub fn parse(text: &str) -> Result<Self, NonceError> {
        let raw = B64
            .decode(text.trim())
            .map_err(|e| NonceError::Base64(e.to_string()))?;
        let (rand, rest) = raw
            .split_first_chunk::<16>()
            .ok_or(NonceError::TooShort(raw.len()))?;
        let (autn, data) = rest
            .split_first_chunk::<16>()
            .ok_or(NonceError::TooShort(raw.len()))?;
        Ok(AkaNonce {
            rand: *rand,
            autn: *autn,
            server_data: data.to_vec(),
        })
    }

    /// The nonce text: base64(RAND ‖ AUTN ‖ server data).
    pub fn encode(&self) -> String {
        let mut raw = Vec::with_capacity(32 + self.server_data.len());
        raw.extend_from_slice(&self.rand);
        raw.extend_from_slice(&self.autn);
        raw.extend_from_slice(&self.server_data);
        B64.encode(raw)
    }
}

/// Why an `auts` value was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AutsError {
    #[error("auts is not base64: {0}")]
    Base64(String),
    #[error("auts decodes to {0} octets; AUTS is 14 octets")]
    Length(usize),
}

/// `auts` parameter value: base64 of the 14 AUTS octets (RFC 3310 §3.4).
pub fn encode_auts(auts: &[u8; 14]) -> String {
    B64.encode(auts)
}

/// Decodes an `auts` parameter value (quotes already removed).
pub fn decode_auts(text: &str) -> Result<[u8; 14], AutsError> {
    let raw = B64
        .decode(text.trim())
        .map_err(|e| AutsError::Base64(e.to_string()))?;
    <[u8; 14]>::try_from(raw.as_slice()).map_err(|_| AutsError::Length(raw.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_padding_free() {
        let n = AkaNonce {
            rand: [1; 16],
            autn: [2; 16],
            server_data: vec![3],
        };
        let t = n.encode();
        assert_eq!(AkaNonce::parse(&t), Ok(n.clone()));
        assert_eq!(AkaNonce::parse(t.trim_end_matches('=')), Ok(n));
    }

    #[test]
    fn rejects_without_panic() {
        for s in [
            "",
            "=",
            "A",
            "AA==",
            "!!!!",
            "AAAA\u{00e9}",
            "I1U8vpY3qJ0hiuZNrke/NVXzKLQ1d7m5Sp/6w1Tfr7",
        ] {
            assert!(AkaNonce::parse(s).is_err(), "{s}");
            assert!(decode_auts(s).is_err(), "{s}");
        }
    }
}
