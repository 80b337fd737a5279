//! TS 33.203 Annex I: expansion of the IMS AKA keys CK_IM / IK_IM (128 bit each) into the
//! ESP keys CK_ESP / IK_ESP (and, for the GCM-based transforms, a 4-octet salt).
//! TS 33.203 §6.2/§6.3 and M.6.2/M.6.3: the same CK_ESP / IK_ESP serve all four SAs of a set.
//!
//! Rules implemented (one per algorithm; `alg` and `ealg` are expanded independently):
//!
//! | algorithm | rule | where checked |
//! |---|---|---|
//! | alg=hmac-md5-96 (RFC 2403) | IK_ESP = IK_IM (128 bit) | Annex I of the releases that still list it (removed with Annex H's hmac-md5-96); Kamailio `ims_ipsec_pcscf/ipsec.c` and a vendor UE stack use IK unchanged |
//! | alg=hmac-sha-1-96 (RFC 2404) | IK_ESP = IK_IM \|\| 32 zero bits (160 bit) | Annex I text as quoted in OpenSIPS `proto_ipsec/ipsec_algo.c`; Kamailio appends "00000000" |
//! | alg=aes-gmac (RFC 4543, 128 bit) | IK_ESP = IK_IM; salt = 32 LSBs of KDF(CK_IM \|\| IK_IM, FC = 0x58, P0 = "AES_GMAC_SALT", L0 = 0x000D) | Annex I text as quoted in OpenSIPS |
//! | ealg=des-ede3-cbc (RFC 2451) | CK_ESP = CK_IM1 \|\| CK_IM2 \|\| CK_IM1, CK_IM = CK_IM1 \|\| CK_IM2 (64-bit halves) | see below |
//! | ealg=aes-cbc (RFC 3602, 128 bit) | CK_ESP = CK_IM | Annex I text as quoted in OpenSIPS |
//! | ealg=aes-gcm (RFC 4106, 128 bit) | CK_ESP = CK_IM; salt = 32 LSBs of KDF(CK_IM \|\| IK_IM, FC = 0x59, P0 = "AES_GCM_SALT", L0 = 0x000C) | Annex I text as quoted in OpenSIPS |
//! | alg=null / ealg=null | no key (empty) | — |
//!
//! KDF is TS 33.220 Annex B ([`crate::mech::kdf`]); "32 least significant bits" are the
//! last four octets of its 256-bit output, as for every other 3GPP use of that KDF.
//!
//! **des-ede3-cbc.** The current Annex I no longer lists DES-EDE3-CBC (Annex H removed it
//! from `ealg`), and the older Annex I text that defined it was not available to us. Two
//! independent implementations that cite Annex I build CK_ESP = CK_IM1 || CK_IM2 || CK_IM1
//! (two-key triple DES: Kamailio `ims_ipsec_pcscf/ipsec.c` appends the first half of CK;
//! a vendor UE SIP stack's `_SAPP_ipsecSetKey` comments "CKesp = CKim1 || CKim2 || CKim1"),
//! while OpenSIPS `proto_ipsec` pads CK_IM with 64 zero bits. We implement the
//! CK1 || CK2 || CK1 form because it is the one attributed to Annex I; OpenSIPS's zero
//! padding is a deviation (K3 = 0 is a DES weak key, and it interoperates with neither of
//! the others). DES parity bits are left as they come from CK_IM (RFC 2451 §2.3 leaves
//! parity to the implementation; Annex I does not adjust them).
//!
//! **Salt.** At most one of `alg` and `ealg` can carry a salt: aes-gmac needs ealg=null and
//! aes-gcm needs alg=null ([`check_pair`]). [`EspKeys::salt`] therefore holds the one salt
//! of the pair, and [`EspKeys::salt_kind`] says which KDF produced it.

use crate::mech::algorithms::{check_pair, EncAlg, IntegAlg, PairError};
use crate::mech::kdf;

/// TS 33.203 Annex I: FC for the AES-GMAC salt.
pub const FC_AES_GMAC_SALT: u8 = 0x58;
/// TS 33.203 Annex I: P0 for the AES-GMAC salt (L0 = 0x000D).
pub const P0_AES_GMAC_SALT: &[u8] = b"AES_GMAC_SALT";
/// TS 33.203 Annex I: FC for the AES-GCM salt.
pub const FC_AES_GCM_SALT: u8 = 0x59;
/// TS 33.203 Annex I: P0 for the AES-GCM salt (L0 = 0x000C).
pub const P0_AES_GCM_SALT: &[u8] = b"AES_GCM_SALT";

/// Which transform a salt belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SaltKind {
    /// RFC 4543 §3.2 salt of alg=aes-gmac (KDF FC 0x58).
    AesGmac,
    /// RFC 4106 §4 salt of ealg=aes-gcm (KDF FC 0x59).
    AesGcm,
}

/// The ESP keys of one SA set (TS 33.203 §6.2/§6.3 and Annex I).
#[derive(Clone, PartialEq, Eq)]
pub struct EspKeys {
    /// IK_ESP: integrity key (empty for alg=null).
    pub ik_esp: Vec<u8>,
    /// CK_ESP: encryption key (empty for ealg=null).
    pub ck_esp: Vec<u8>,
    /// The 4-octet salt of aes-gmac or aes-gcm; `None` for the other algorithms.
    pub salt: Option<[u8; 4]>,
}

impl std::fmt::Debug for EspKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Keys never go to logs through Debug.
        f.debug_struct("EspKeys")
            .field("ik_esp_len", &self.ik_esp.len())
            .field("ck_esp_len", &self.ck_esp.len())
            .field("salt", &self.salt.is_some())
            .finish()
    }
}

impl EspKeys {
    /// Which transform [`EspKeys::salt`] belongs to, given the pair it was expanded for.
    pub fn salt_kind(alg: IntegAlg, ealg: EncAlg) -> Option<SaltKind> {
        match (alg, ealg) {
            (IntegAlg::AesGmac, _) => Some(SaltKind::AesGmac),
            (_, EncAlg::AesGcm) => Some(SaltKind::AesGcm),
            _ => None,
        }
    }

    /// The salt as a slice (empty when there is none), the form `SaCrypto::new` takes.
    pub fn salt_bytes(&self) -> &[u8] {
        match &self.salt {
            Some(s) => s,
            None => &[],
        }
    }

    /// Integrity keying material as handed to an RFC 4543 implementation (Linux
    /// `rfc4543(gcm(aes))`): IK_ESP || salt for aes-gmac, IK_ESP otherwise.
    pub fn integ_keymat(&self, alg: IntegAlg) -> Vec<u8> {
        match (alg, &self.salt) {
            (IntegAlg::AesGmac, Some(s)) => keymat(&self.ik_esp, s),
            _ => self.ik_esp.clone(),
        }
    }

    /// Encryption keying material as handed to an RFC 4106 implementation (Linux
    /// `rfc4106(gcm(aes))`): CK_ESP || salt for aes-gcm, CK_ESP otherwise.
    pub fn enc_keymat(&self, ealg: EncAlg) -> Vec<u8> {
        match (ealg, &self.salt) {
            (EncAlg::AesGcm, Some(s)) => keymat(&self.ck_esp, s),
            _ => self.ck_esp.clone(),
        }
    }
}

/// RFC 4106 §8.1 / RFC 4543 §3.2 (via RFC 4106): the KEYMAT of a GCM/GMAC SA is the key
/// followed by the 4-octet salt.
pub fn keymat(key: &[u8], salt: &[u8; 4]) -> Vec<u8> {
    let mut v = Vec::with_capacity(key.len() + 4);
    v.extend_from_slice(key);
    v.extend_from_slice(salt);
    v
}

/// Why keys could not be expanded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The alg/ealg pair is not one TS 33.203 Annex H allows (see [`check_pair`]).
    #[error(transparent)]
    Pair(#[from] PairError),
    /// The KDF input could not be formed (cannot happen for the fixed Annex I inputs).
    #[error(transparent)]
    Kdf(#[from] kdf::KdfError),
}

/// The salt of Annex I: the 32 least significant bits (last 4 octets) of
/// KDF(CK_IM || IK_IM, FC, P0, L0).
pub fn annex_i_salt(
    ck: &[u8; 16],
    ik: &[u8; 16],
    fc: u8,
    p0: &[u8],
) -> Result<[u8; 4], kdf::KdfError> {
    let mut key = [0u8; 32];
    key[..16].copy_from_slice(ck);
    key[16..].copy_from_slice(ik);
    let out = kdf::kdf(&key, fc, &[p0])?;
    let mut salt = [0u8; 4];
    salt.copy_from_slice(&out[kdf::OUTPUT_LEN - 4..]);
    Ok(salt)
}

/// Expands CK_IM / IK_IM for the negotiated `alg` / `ealg` (TS 33.203 Annex I, table in the
/// module documentation). Refuses pairs that [`check_pair`] refuses.
pub fn expand(
    ck: &[u8; 16],
    ik: &[u8; 16],
    alg: IntegAlg,
    ealg: EncAlg,
) -> Result<EspKeys, KeyError> {
    check_pair(alg, ealg)?;
    let mut salt = None;
    let ik_esp = match alg {
        IntegAlg::HmacMd5_96 => ik.to_vec(),
        IntegAlg::HmacSha1_96 => {
            let mut v = ik.to_vec();
            v.extend_from_slice(&[0u8; 4]);
            v
        }
        IntegAlg::AesGmac => {
            salt = Some(annex_i_salt(ck, ik, FC_AES_GMAC_SALT, P0_AES_GMAC_SALT)?);
            ik.to_vec()
        }
        IntegAlg::Null => Vec::new(),
    };
    let ck_esp = match ealg {
        EncAlg::Null => Vec::new(),
        EncAlg::DesEde3Cbc => {
            let mut v = ck.to_vec();
            v.extend_from_slice(&ck[..8]);
            v
        }
        EncAlg::AesCbc => ck.to_vec(),
        EncAlg::AesGcm => {
            salt = Some(annex_i_salt(ck, ik, FC_AES_GCM_SALT, P0_AES_GCM_SALT)?);
            ck.to_vec()
        }
    };
    Ok(EspKeys {
        ik_esp,
        ck_esp,
        salt,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // CK/IK of TS 35.208 §4.3 test set 1 (f3/f4 outputs).
    const CK: [u8; 16] = [
        0xb4, 0x0b, 0xa9, 0xa3, 0xc5, 0x8b, 0x2a, 0x05, 0xbb, 0xf0, 0xd9, 0x87, 0xb2, 0x1b, 0xf8,
        0xcb,
    ];
    const IK: [u8; 16] = [
        0xf7, 0x69, 0xbc, 0xd7, 0x51, 0x04, 0x46, 0x04, 0x12, 0x76, 0x72, 0x71, 0x1c, 0x6d, 0x34,
        0x41,
    ];

    fn hx(b: &[u8]) -> String {
        hex::encode(b)
    }

    /// Expected values from tools/gen_ims_keys.py (Python hashlib/hmac), not from imsec.
    #[test]
    fn sha1_and_cbc() {
        let k = expand(&CK, &IK, IntegAlg::HmacSha1_96, EncAlg::AesCbc).unwrap();
        assert_eq!(hx(&k.ik_esp), "f769bcd751044604127672711c6d344100000000");
        assert_eq!(hx(&k.ck_esp), "b40ba9a3c58b2a05bbf0d987b21bf8cb");
        assert_eq!(k.salt, None);
    }

    #[test]
    fn md5_and_3des() {
        let k = expand(&CK, &IK, IntegAlg::HmacMd5_96, EncAlg::DesEde3Cbc).unwrap();
        assert_eq!(hx(&k.ik_esp), "f769bcd751044604127672711c6d3441");
        assert_eq!(
            hx(&k.ck_esp),
            "b40ba9a3c58b2a05bbf0d987b21bf8cbb40ba9a3c58b2a05"
        );
    }

    #[test]
    fn gcm_salt_and_keymat() {
        let k = expand(&CK, &IK, IntegAlg::Null, EncAlg::AesGcm).unwrap();
        assert!(k.ik_esp.is_empty());
        assert_eq!(k.salt.map(|s| hx(&s)).as_deref(), Some("89273db6"));
        assert_eq!(
            hx(&k.enc_keymat(EncAlg::AesGcm)),
            "b40ba9a3c58b2a05bbf0d987b21bf8cb89273db6"
        );
        assert_eq!(
            EspKeys::salt_kind(IntegAlg::Null, EncAlg::AesGcm),
            Some(SaltKind::AesGcm)
        );
    }

    #[test]
    fn gmac_salt_and_keymat() {
        let k = expand(&CK, &IK, IntegAlg::AesGmac, EncAlg::Null).unwrap();
        assert!(k.ck_esp.is_empty());
        assert_eq!(k.salt.map(|s| hx(&s)).as_deref(), Some("dbc2b1c2"));
        assert_eq!(
            hx(&k.integ_keymat(IntegAlg::AesGmac)),
            "f769bcd751044604127672711c6d3441dbc2b1c2"
        );
    }

    #[test]
    fn forbidden_pairs_are_refused() {
        for (a, e) in [
            (IntegAlg::Null, EncAlg::Null),
            (IntegAlg::Null, EncAlg::AesCbc),
            (IntegAlg::HmacSha1_96, EncAlg::AesGcm),
            (IntegAlg::AesGmac, EncAlg::AesCbc),
        ] {
            assert!(matches!(expand(&CK, &IK, a, e), Err(KeyError::Pair(_))));
        }
    }

    #[test]
    fn debug_hides_keys() {
        let k = expand(&CK, &IK, IntegAlg::HmacMd5_96, EncAlg::AesCbc).unwrap();
        let d = format!("{k:?}");
        assert!(!d.contains("f769") && !d.contains("b40b"), "{d}");
    }
}
