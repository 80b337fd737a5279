//! The ESP algorithms that TS 33.203 Annex H lets sec-agree signal (`alg=` and `ealg=`),
//! with their sec-agree names. Shared by key expansion (Annex I), ESP and sec-agree.

use std::fmt;
use std::str::FromStr;

/// Integrity algorithm (`alg=` in an `ipsec-3gpp` sec-agree entry; TS 33.203 Annex H).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum IntegAlg {
    /// RFC 2403; removed from later Annex H releases but still seen in the field.
    HmacMd5_96,
    /// RFC 2404.
    HmacSha1_96,
    /// RFC 4543 (AES-GMAC, 128-bit key, 16-octet ICV); integrity only.
    AesGmac,
    /// No separate integrity transform: only valid together with `ealg=aes-gcm`.
    Null,
}

/// Encryption algorithm (`ealg=`; absent means `null`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum EncAlg {
    /// RFC 2410.
    Null,
    /// RFC 2451 (3DES-CBC, 192-bit key, 8-octet IV).
    DesEde3Cbc,
    /// RFC 3602 (AES-128-CBC, 16-octet IV).
    AesCbc,
    /// RFC 4106 (AES-128-GCM, 16-octet ICV, 8-octet explicit IV, 4-octet salt).
    AesGcm,
}

impl IntegAlg {
    pub const ALL: [IntegAlg; 4] = [
        IntegAlg::HmacMd5_96,
        IntegAlg::HmacSha1_96,
        IntegAlg::AesGmac,
        IntegAlg::Null,
    ];
    /// The sec-agree token.
    pub fn name(self) -> &'static str {
        match self {
            IntegAlg::HmacMd5_96 => "hmac-md5-96",
            IntegAlg::HmacSha1_96 => "hmac-sha-1-96",
            IntegAlg::AesGmac => "aes-gmac",
            IntegAlg::Null => "null",
        }
    }
}

impl EncAlg {
    pub const ALL: [EncAlg; 4] = [
        EncAlg::Null,
        EncAlg::DesEde3Cbc,
        EncAlg::AesCbc,
        EncAlg::AesGcm,
    ];
    /// The sec-agree token.
    pub fn name(self) -> &'static str {
        match self {
            EncAlg::Null => "null",
            EncAlg::DesEde3Cbc => "des-ede3-cbc",
            EncAlg::AesCbc => "aes-cbc",
            EncAlg::AesGcm => "aes-gcm",
        }
    }
}

/// An unknown algorithm token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} '{token}' (known: {known})")]
pub struct UnknownAlg {
    pub kind: &'static str,
    pub token: String,
    pub known: String,
}

impl FromStr for IntegAlg {
    type Err = UnknownAlg;
    /// Tokens are compared case-insensitively (lenient for real UEs).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        IntegAlg::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownAlg {
                kind: "integrity algorithm (alg)",
                token: s.to_string(),
                known: IntegAlg::ALL.map(|a| a.name()).join(", "),
            })
    }
}

impl FromStr for EncAlg {
    type Err = UnknownAlg;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EncAlg::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownAlg {
                kind: "encryption algorithm (ealg)",
                token: s.to_string(),
                known: EncAlg::ALL.map(|a| a.name()).join(", "),
            })
    }
}

impl fmt::Display for IntegAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
impl fmt::Display for EncAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why an `alg`/`ealg` pair cannot form an SA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PairError {
    /// RFC 4303 §5: ESP must provide confidentiality or integrity; null+null provides neither.
    #[error("alg=null with ealg=null gives neither integrity nor confidentiality (RFC 4303 §5)")]
    NullNull,
    /// TS 33.203 Annex H: alg=null is only allowed with ealg=aes-gcm (a combined mode).
    #[error("alg=null is only allowed with ealg=aes-gcm (TS 33.203 Annex H)")]
    NullIntegWithoutAead,
    /// AES-GCM is a combined mode: a separate integrity transform alongside it is not an
    /// Annex H combination (alg must be null). Lenient callers may ignore this.
    #[error("ealg=aes-gcm already provides integrity: alg must be null (TS 33.203 Annex H)")]
    AeadWithSeparateInteg,
    /// AES-GMAC is integrity-only (RFC 4543): it cannot be combined with encryption.
    #[error("alg=aes-gmac is integrity-only (RFC 4543) and needs ealg=null")]
    GmacWithEncryption,
}

/// Checks that an alg/ealg pair is one TS 33.203 Annex H allows.
pub fn check_pair(alg: IntegAlg, ealg: EncAlg) -> Result<(), PairError> {
    match (alg, ealg) {
        (IntegAlg::Null, EncAlg::Null) => Err(PairError::NullNull),
        (IntegAlg::Null, EncAlg::AesGcm) => Ok(()),
        (IntegAlg::Null, _) => Err(PairError::NullIntegWithoutAead),
        (_, EncAlg::AesGcm) => Err(PairError::AeadWithSeparateInteg),
        (IntegAlg::AesGmac, EncAlg::Null) => Ok(()),
        (IntegAlg::AesGmac, _) => Err(PairError::GmacWithEncryption),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for a in IntegAlg::ALL {
            assert_eq!(a.name().parse::<IntegAlg>().unwrap(), a);
        }
        for e in EncAlg::ALL {
            assert_eq!(e.name().parse::<EncAlg>().unwrap(), e);
        }
        assert!("hmac-sha-256".parse::<IntegAlg>().is_err());
    }

    #[test]
    fn annex_h_pairs() {
        assert_eq!(
            check_pair(IntegAlg::Null, EncAlg::Null),
            Err(PairError::NullNull)
        );
        assert_eq!(
            check_pair(IntegAlg::Null, EncAlg::AesCbc),
            Err(PairError::NullIntegWithoutAead)
        );
        assert!(check_pair(IntegAlg::Null, EncAlg::AesGcm).is_ok());
        assert!(check_pair(IntegAlg::HmacSha1_96, EncAlg::AesCbc).is_ok());
        assert!(check_pair(IntegAlg::HmacMd5_96, EncAlg::Null).is_ok());
    }
}
