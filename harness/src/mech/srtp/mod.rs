//! SRTP and SRTCP (RFC 3711) for TS 33.328 media plane security (SDES-keyed e2ae/e2e).
//!
//! - [`packet`]: RTP/RTCP header views (RFC 3550) and RTP/RTCP demultiplexing (RFC 5761).
//! - [`kdf`]: key derivation with the AES-CM PRF and key derivation rate (§4.3).
//! - [`replay`]: ROC estimation (§3.3.1, Appendix A) and the replay list (§3.3.2).
//! - [`session`]: cryptographic contexts, MKI, protect/unprotect for SRTP and SRTCP.
//!
//! Transforms: AES-CM-128 (§4.1.1) or the NULL cipher (§4.1.3), HMAC-SHA1 (§4.2.1) with an
//! 80- or 32-bit SRTP tag; SRTCP always carries an 80-bit tag (RFC 4568 §6.2.1/§6.2.2).
//! TS 33.328 §5.3: null-encryption transforms should not be used; [`Suite::encrypts`] lets
//! callers refuse them.

pub mod kdf;
pub mod packet;
pub mod replay;
pub mod session;

#[cfg(test)]
mod tests;

pub use packet::{looks_like_rtcp, PacketError, RtcpPacket, RtpPacket, RtpRepr};
pub use session::{
    aes_cm_keystream, derive_keys, DerivedKeys, MasterKey, Options, RtcpOpened, RtpOpened, Session,
    SrtpError,
};

/// An SRTP crypto suite (RFC 4568 §6.2 names; the NULL suite is libsrtp's
/// `null_cipher_hmac_sha1_80`, not SDES-registered).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Suite {
    /// RFC 4568 §6.2.1: AES-CM-128, HMAC-SHA1, 80-bit SRTP and SRTCP tags.
    AesCm128HmacSha1_80,
    /// RFC 4568 §6.2.2: AES-CM-128, HMAC-SHA1, 32-bit SRTP tag, 80-bit SRTCP tag.
    AesCm128HmacSha1_32,
    /// RFC 3711 §4.1.3 NULL cipher with HMAC-SHA1-80 (for tests: TS 33.328 §5.3 says SRTP
    /// transforms with null encryption should not be used).
    NullHmacSha1_80,
}

impl Suite {
    /// Every suite, in preference order.
    pub const ALL: [Suite; 3] = [
        Suite::AesCm128HmacSha1_80,
        Suite::AesCm128HmacSha1_32,
        Suite::NullHmacSha1_80,
    ];

    /// The SDES name (RFC 4568 §6.2) or, for NULL, the name imsec uses.
    pub fn name(self) -> &'static str {
        match self {
            Suite::AesCm128HmacSha1_80 => "AES_CM_128_HMAC_SHA1_80",
            Suite::AesCm128HmacSha1_32 => "AES_CM_128_HMAC_SHA1_32",
            Suite::NullHmacSha1_80 => "NULL_HMAC_SHA1_80",
        }
    }

    /// Parses a suite name (case-sensitive, as RFC 4568 §9.2 spells them).
    pub fn from_name(s: &str) -> Option<Suite> {
        Suite::ALL.into_iter().find(|x| x.name() == s)
    }

    /// SRTP tag length in octets.
    pub fn rtp_tag_len(self) -> usize {
        match self {
            Suite::AesCm128HmacSha1_32 => 4,
            _ => 10,
        }
    }
    /// SRTCP tag length in octets (80 bits for all three suites).
    pub fn rtcp_tag_len(self) -> usize {
        10
    }
    /// Whether the suite encrypts (false for the NULL cipher).
    pub fn encrypts(self) -> bool {
        !matches!(self, Suite::NullHmacSha1_80)
    }
    /// Master key length in octets.
    pub fn master_key_len(self) -> usize {
        16
    }
    /// Master salt length in octets.
    pub fn master_salt_len(self) -> usize {
        kdf::SALT_LEN
    }
}

impl std::fmt::Display for Suite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Suite {
    type Err = String;
    fn from_str(s: &str) -> Result<Suite, String> {
        Suite::from_name(s).ok_or_else(|| {
            format!(
                "unknown SRTP suite '{s}' (one of {})",
                Suite::ALL.map(Suite::name).join(", ")
            )
        })
    }
}

/// Fuzz body (fuzz/fuzz_targets/srtp.rs): header views and unprotect of arbitrary bytes
/// as SRTP and SRTCP, with and without MKI. Must never panic.
pub fn fuzz_unprotect(data: &[u8]) {
    let _ = RtpPacket::new_checked(data).map(|p| RtpRepr::parse(&p));
    let _ = RtcpPacket::new_checked(data).map(|p| p.ssrc());
    let key = MasterKey::new(&[7; 16], &[9; 14]);
    let mut with_mki = key.clone();
    with_mki.mki = vec![1, 2];
    for (suite, k) in [
        (Suite::AesCm128HmacSha1_80, key.clone()),
        (Suite::AesCm128HmacSha1_32, with_mki),
        (Suite::NullHmacSha1_80, key),
    ] {
        if let Ok(mut s) = Session::new(suite, k, Options::default()) {
            let mut b = data.to_vec();
            let _ = s.unprotect(&mut b);
            let mut b = data.to_vec();
            let _ = s.unprotect_rtcp(&mut b);
            let mut b = data.to_vec();
            let _ = s.protect_vec(&mut b);
            let mut b = data.to_vec();
            let _ = s.protect_rtcp_vec(&mut b);
        }
    }
}
