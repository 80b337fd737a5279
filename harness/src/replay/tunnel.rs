//! Outer-tunnel ESP SAs (SWu between UE and ePDG, TS 33.402 §8.2; IKEv2 child SAs, RFC 7296)
//! whose keys come from a key dump, not from IMS AKA: AES-CBC with 128/192/256-bit keys
//! (RFC 3602, RFC 3686 key sizes as negotiated by IKEv2) and 3DES-CBC (RFC 2451).
//!
//! Deviation, on purpose: the ICV of an outer SA is *skipped*, not verified. The key dumps
//! the issue names (strongSwan's `ipsec.conf` charon log lines, tcpdump `-E` secrets) often
//! lack the integrity key (the VoWiFi capture's dump has only the encryption keys), and the
//! outer tunnel is not what imsec judges: the IMS SAs inside it are verified in full. The
//! report marks such SAs `icv_checked: false` (the `imsec esp decrypt` convention).

use crate::mech::esp::packet::parse_trailer;
use crate::mech::esp::transform::cbc_decrypt as cbc;
use crate::mech::esp::EspError;
use aes::{Aes128, Aes192, Aes256};
use cipher::KeyInit;
use des::TdesEde3;

/// The cipher of an outer SA.
#[derive(Clone)]
pub enum TunnelCipher {
    Aes128(Aes128),
    Aes192(Aes192),
    Aes256(Aes256),
    Tdes(TdesEde3),
}

impl std::fmt::Debug for TunnelCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl TunnelCipher {
    /// AES-CBC by key length (16/24/32), or 3DES-CBC (24) when `tdes`.
    pub fn new(key: &[u8], tdes: bool) -> Result<Self, String> {
        let bad = |_| format!("a {}-octet key does not fit the cipher", key.len());
        Ok(match (tdes, key.len()) {
            (true, 24) => TunnelCipher::Tdes(TdesEde3::new_from_slice(key).map_err(bad)?),
            (false, 16) => TunnelCipher::Aes128(Aes128::new_from_slice(key).map_err(bad)?),
            (false, 24) => TunnelCipher::Aes192(Aes192::new_from_slice(key).map_err(bad)?),
            (false, 32) => TunnelCipher::Aes256(Aes256::new_from_slice(key).map_err(bad)?),
            (t, n) => {
                return Err(format!(
                    "{n}-octet key: {} needs {}",
                    if t { "3DES-CBC" } else { "AES-CBC" },
                    if t { "24" } else { "16, 24 or 32" }
                ))
            }
        })
    }

    /// The Wireshark esp_sa name of the cipher.
    pub fn name(&self) -> &'static str {
        match self {
            TunnelCipher::Tdes(_) => "TripleDES-CBC [RFC2451]",
            _ => "AES-CBC [RFC3602]",
        }
    }

    fn block(&self) -> usize {
        match self {
            TunnelCipher::Tdes(_) => 8,
            _ => 16,
        }
    }
}

/// A decrypted outer packet: next header and the payload range in `buf`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TunnelOpened {
    pub next_header: u8,
    pub payload: std::ops::Range<usize>,
}

/// Decrypts `esp` (from the SPI on) into `buf`, skipping an ICV of `icv_len` octets.
/// Checks alignment, the Pad Length and the default padding (RFC 4303 §2.4): with no ICV
/// verified, the monotone padding is what tells a right key from a wrong one.
pub fn open(
    cipher: &TunnelCipher,
    icv_len: usize,
    esp: &[u8],
    buf: &mut Vec<u8>,
) -> Result<TunnelOpened, EspError> {
    let iv_len = cipher.block();
    let min = 8 + iv_len + cipher.block() + icv_len;
    if esp.len() < min {
        return Err(EspError::Truncated {
            len: esp.len(),
            min,
        });
    }
    let iv = esp.get(8..8 + iv_len).unwrap_or(&[]);
    let body = esp.get(8 + iv_len..esp.len() - icv_len).unwrap_or(&[]);
    buf.clear();
    buf.extend_from_slice(body);
    match cipher {
        TunnelCipher::Aes128(c) => cbc(c, iv, buf)?,
        TunnelCipher::Aes192(c) => cbc(c, iv, buf)?,
        TunnelCipher::Aes256(c) => cbc(c, iv, buf)?,
        TunnelCipher::Tdes(c) => cbc(c, iv, buf)?,
    }
    // With no ICV verified, the monotone padding is what tells a right key from a wrong one.
    let (trailer, payload, _) = parse_trailer(buf, true)?;
    Ok(TunnelOpened {
        next_header: trailer.next_header,
        payload,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use cipher::{Array, BlockModeEncrypt, InnerIvInit};

    #[test]
    fn aes256_round_trip_and_wrong_key() {
        let key = [7u8; 32];
        let c = TunnelCipher::new(&key, false).unwrap();
        let iv = [9u8; 16];
        let mut plain = b"0123456789abcdefXYZ".to_vec();
        plain.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
        plain.extend_from_slice(&[11, 41]);
        assert_eq!(plain.len() % 16, 0);
        let mut enc = plain.clone();
        let aes = Aes256::new_from_slice(&key).unwrap();
        let mut m = cbc::Encryptor::<&Aes256>::inner_iv_slice_init(&aes, &iv).unwrap();
        let (blocks, _) = Array::slice_as_chunks_mut(&mut enc);
        m.encrypt_blocks(blocks);
        let mut esp = vec![0xc9, 0xce, 0x18, 0xb0, 0, 0, 0, 1];
        esp.extend_from_slice(&iv);
        esp.extend_from_slice(&enc);
        esp.extend_from_slice(&[0xee; 12]);
        let mut buf = Vec::new();
        let o = open(&c, 12, &esp, &mut buf).unwrap();
        assert_eq!(
            (o.next_header, &buf[o.payload]),
            (41, &b"0123456789abcdefXYZ"[..])
        );
        let wrong = TunnelCipher::new(&[8u8; 32], false).unwrap();
        assert!(open(&wrong, 12, &esp, &mut buf).is_err());
        assert!(open(&c, 12, &esp[..20], &mut buf).is_err());
        assert!(TunnelCipher::new(&[0; 20], false).is_err());
    }
}
