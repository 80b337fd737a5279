//! The 3GPP generic key derivation function of TS 33.220 Annex B (B.2).
//!
//! ```text
//! derived key = HMAC-SHA-256(Key, S)
//! S = FC || P0 || L0 || P1 || L1 || ... || Pn || Ln
//! ```
//!
//! FC is one octet that separates the uses of the KDF (values are allocated in TS 33.220;
//! TS 33.203 Annex I uses 0x58 and 0x59, see [`crate::mech::keys`]). Each Li is the length
//! of Pi in octets as a two-octet big-endian number, so no Pi may exceed 65535 octets.
//! The output is 256 bits; users that need fewer bits take the *least significant* ones,
//! i.e. the last octets of the output (TS 33.220 B.2; TS 33.203 Annex I for the ESP salts).

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// Length of the KDF output in octets (HMAC-SHA-256).
pub const OUTPUT_LEN: usize = 32;

/// Why S could not be formed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KdfError {
    /// TS 33.220 B.2: Li is two octets, so a parameter can hold at most 65535 octets.
    #[error("KDF parameter P{index} is {len} octets; TS 33.220 B.2 allows at most 65535")]
    ParamTooLong { index: usize, len: usize },
}

/// Builds the input string S = FC || P0 || L0 || ... || Pn || Ln (TS 33.220 B.2.1).
pub fn build_s(fc: u8, params: &[&[u8]]) -> Result<Vec<u8>, KdfError> {
    let total: usize = params.iter().map(|p| p.len().saturating_add(2)).sum();
    let mut s = Vec::with_capacity(total.saturating_add(1));
    s.push(fc);
    for (index, p) in params.iter().enumerate() {
        let len = u16::try_from(p.len()).map_err(|_| KdfError::ParamTooLong {
            index,
            len: p.len(),
        })?;
        s.extend_from_slice(p);
        s.extend_from_slice(&len.to_be_bytes());
    }
    Ok(s)
}

/// HMAC-SHA-256 of `data` under `key` (any key length, RFC 2104 / FIPS 198-1).
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; OUTPUT_LEN] {
    let mut out = [0u8; OUTPUT_LEN];
    // HMAC accepts keys of every length; the error branch cannot be taken, and if it
    // were, returning zeros would make every comparison against a reference fail loudly.
    if let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(key) {
        mac.update(data);
        out.copy_from_slice(&mac.finalize().into_bytes());
    }
    out
}

/// The TS 33.220 Annex B KDF: HMAC-SHA-256(key, FC || P0 || L0 || ...).
pub fn kdf(key: &[u8], fc: u8, params: &[&[u8]]) -> Result<[u8; OUTPUT_LEN], KdfError> {
    let s = build_s(fc, params)?;
    Ok(hmac_sha256(key, &s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    /// RFC 4231 test cases 1, 2 and 6 (HMAC-SHA-256).
    #[test]
    fn hmac_sha256_rfc4231() {
        assert_eq!(
            hmac_sha256(&[0x0b; 20], b"Hi There").to_vec(),
            h("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        );
        assert_eq!(
            hmac_sha256(b"Jefe", b"what do ya want for nothing?").to_vec(),
            h("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        );
        assert_eq!(
            hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )
            .to_vec(),
            h("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
        );
    }

    /// S layout from TS 33.220 B.2.1 and the P0/L0 given in TS 33.203 Annex I.
    #[test]
    fn s_layout() {
        assert_eq!(
            build_s(0x59, &[b"AES_GCM_SALT"]).unwrap(),
            h("594145535f47434d5f53414c54000c")
        );
        assert_eq!(build_s(0x10, &[]).unwrap(), vec![0x10]);
        assert_eq!(
            build_s(0x01, &[&[0xaa], &[]]).unwrap(),
            vec![0x01, 0xaa, 0x00, 0x01, 0x00, 0x00]
        );
    }

    #[test]
    fn too_long_param_is_an_error() {
        let big = vec![0u8; 65536];
        assert_eq!(
            build_s(0x01, &[b"ok", &big]),
            Err(KdfError::ParamTooLong {
                index: 1,
                len: 65536
            })
        );
        assert!(build_s(0x01, &[&big[..65535]]).is_ok());
    }
}
