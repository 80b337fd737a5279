//! HTTP Digest AKA: RFC 3310 (AKAv1-MD5) and RFC 4169 (AKAv2-MD5) on top of the RFC 2617
//! Digest computation.
//!
//! - Password (RFC 3310 §3.3): AKAv1 uses RES itself, as raw octets (not hex).
//! - Password (RFC 4169 §3): AKAv2 uses base64(PRF(RES ‖ IK ‖ CK, "http-digest-akav2-password")),
//!   PRF = HMAC-MD5 for AKAv2-MD5; the base64 text is the password.
//!   (The RFC text itself could not be fetched while writing this; the rule is the one quoted
//!   as "RFC 4169 subclause 3" by pjsip, doubango and Clearwater and agrees with the fact sheet.)
//! - Synchronisation failure (RFC 3310 §3.4): the client sends `auts` and computes the response
//!   with an empty password: [`resync_password`]. The same rule is applied to AKAv2
//!   (RFC 4169 does not redefine it, as far as we know).
//! - Nonce (RFC 3310 §3.2): base64(RAND ‖ AUTN ‖ server data): [`nonce`].
//! - Header parameter lists: [`params`].

#[doc(hidden)]
pub mod fuzzing;
pub mod nonce;
pub mod params;

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use md5::{Digest as _, Md5};

pub use fuzzing::fuzz_parsers;
pub use nonce::{decode_auts, encode_auts, AkaNonce, AutsError, NonceError};

/// The Digest `algorithm` values handled here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AkaAlgorithm {
    /// RFC 3310.
    AkaV1Md5,
    /// RFC 4169.
    AkaV2Md5,
}

impl AkaAlgorithm {
    /// The token as sent in `algorithm=`.
    pub fn name(self) -> &'static str {
        match self {
            AkaAlgorithm::AkaV1Md5 => "AKAv1-MD5",
            AkaAlgorithm::AkaV2Md5 => "AKAv2-MD5",
        }
    }

    /// Parses the `algorithm` token (case-insensitive, RFC 2617 §3.2.1 tokens).
    pub fn from_token(s: &str) -> Option<Self> {
        if s.eq_ignore_ascii_case("AKAv1-MD5") {
            Some(AkaAlgorithm::AkaV1Md5)
        } else if s.eq_ignore_ascii_case("AKAv2-MD5") {
            Some(AkaAlgorithm::AkaV2Md5)
        } else {
            None
        }
    }
}

/// The label of RFC 4169 §3.
pub const AKAV2_PASSWORD_LABEL: &[u8] = b"http-digest-akav2-password";

/// AKAv1 password: RES as raw octets (RFC 3310 §3.3).
pub fn akav1_password(res: &[u8]) -> Vec<u8> {
    res.to_vec()
}

/// AKAv2-MD5 password: base64(HMAC-MD5(key = RES ‖ IK ‖ CK, "http-digest-akav2-password"))
/// (RFC 4169 §3), returned as the ASCII octets of the base64 text.
pub fn akav2_password(res: &[u8], ik: &[u8; 16], ck: &[u8; 16]) -> Vec<u8> {
    let mut key = Vec::with_capacity(res.len() + 32);
    key.extend_from_slice(res);
    key.extend_from_slice(ik);
    key.extend_from_slice(ck);
    // HMAC accepts keys of any length, so this cannot fail; fall back to an empty MAC anyway.
    let tag = match <Hmac<Md5> as KeyInit>::new_from_slice(&key) {
        Ok(mut mac) => {
            mac.update(AKAV2_PASSWORD_LABEL);
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    };
    base64::engine::general_purpose::STANDARD
        .encode(tag)
        .into_bytes()
}

/// The password for a response that carries `auts` (RFC 3310 §3.4): the empty string.
pub fn resync_password() -> Vec<u8> {
    Vec::new()
}

/// The Digest password for `alg`. AKAv2 needs IK and CK; `None` when they are missing.
pub fn password(
    alg: AkaAlgorithm,
    res: &[u8],
    ik: Option<&[u8; 16]>,
    ck: Option<&[u8; 16]>,
) -> Option<Vec<u8>> {
    match alg {
        AkaAlgorithm::AkaV1Md5 => Some(akav1_password(res)),
        AkaAlgorithm::AkaV2Md5 => Some(akav2_password(res, ik?, ck?)),
    }
}

/// Quality of protection (RFC 2617 §3.2.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Qop<'a> {
    /// No qop: the RFC 2069-compatible response = H(HA1:nonce:HA2).
    None,
    /// qop=auth.
    Auth { nc: &'a str, cnonce: &'a str },
    /// qop=auth-int: HA2 covers H(entity-body).
    AuthInt {
        nc: &'a str,
        cnonce: &'a str,
        body: &'a [u8],
    },
}

/// Inputs of one Digest response computation.
#[derive(Debug, Clone)]
pub struct DigestInput<'a> {
    pub username: &'a str,
    pub realm: &'a str,
    /// The nonce exactly as sent by the server (the base64 text).
    pub nonce: &'a str,
    pub method: &'a str,
    pub uri: &'a str,
    pub qop: Qop<'a>,
}

/// HA1, HA2 and the response, lower-case hex (RFC 2617 §3.2.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestOutput {
    pub ha1: String,
    pub ha2: String,
    pub response: String,
}

fn md5_hex(parts: &[&[u8]]) -> String {
    let mut h = Md5::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            h.update(b":");
        }
        h.update(p);
    }
    crate::hexarg::encode(&h.finalize())
}

/// RFC 2617 §3.2.2: HA1 = MD5(username:realm:password); HA2 = MD5(method:uri)
/// (auth-int: MD5(method:uri:MD5(body))); response = MD5(HA1:nonce:nc:cnonce:qop:HA2), or
/// MD5(HA1:nonce:HA2) without qop.
pub fn response(password: &[u8], d: &DigestInput<'_>) -> DigestOutput {
    let ha1 = md5_hex(&[d.username.as_bytes(), d.realm.as_bytes(), password]);
    let ha2 = match &d.qop {
        Qop::AuthInt { body, .. } => {
            let hb = md5_hex(&[body]);
            md5_hex(&[d.method.as_bytes(), d.uri.as_bytes(), hb.as_bytes()])
        }
        _ => md5_hex(&[d.method.as_bytes(), d.uri.as_bytes()]),
    };
    let response = match &d.qop {
        Qop::None => md5_hex(&[ha1.as_bytes(), d.nonce.as_bytes(), ha2.as_bytes()]),
        Qop::Auth { nc, cnonce } | Qop::AuthInt { nc, cnonce, .. } => {
            let q: &[u8] = if matches!(d.qop, Qop::Auth { .. }) {
                b"auth"
            } else {
                b"auth-int"
            };
            md5_hex(&[
                ha1.as_bytes(),
                d.nonce.as_bytes(),
                nc.as_bytes(),
                cnonce.as_bytes(),
                q,
                ha2.as_bytes(),
            ])
        }
    };
    DigestOutput { ha1, ha2, response }
}
