//! IKEv2 code points (RFC 7296 §3; IANA "Internet Key Exchange Version 2 (IKEv2) Parameters")
//! with their registry names, and the judgement of which transforms are "no encryption".

/// Exchange types (RFC 7296 §3.1).
pub mod exchange {
    pub const IKE_SA_INIT: u8 = 34;
    pub const IKE_AUTH: u8 = 35;
    pub const CREATE_CHILD_SA: u8 = 36;
    pub const INFORMATIONAL: u8 = 37;
}

/// Header flags (RFC 7296 §3.1).
pub mod flags {
    /// Initiator: set by the original initiator of the IKE SA.
    pub const INITIATOR: u8 = 0x08;
    /// Version: higher major version supported.
    pub const VERSION: u8 = 0x10;
    /// Response.
    pub const RESPONSE: u8 = 0x20;
}

/// Payload types (RFC 7296 §3.2).
pub mod payload {
    pub const NONE: u8 = 0;
    pub const SA: u8 = 33;
    pub const KE: u8 = 34;
    pub const IDI: u8 = 35;
    pub const IDR: u8 = 36;
    pub const CERT: u8 = 37;
    pub const CERTREQ: u8 = 38;
    pub const AUTH: u8 = 39;
    pub const NONCE: u8 = 40;
    pub const NOTIFY: u8 = 41;
    pub const DELETE: u8 = 42;
    pub const VENDOR: u8 = 43;
    pub const TSI: u8 = 44;
    pub const TSR: u8 = 45;
    pub const SK: u8 = 46;
    pub const CP: u8 = 47;
    pub const EAP: u8 = 48;
}

/// Protocol IDs (RFC 7296 §3.3.1).
pub mod proto {
    pub const IKE: u8 = 1;
    pub const AH: u8 = 2;
    pub const ESP: u8 = 3;
}

/// Transform types (RFC 7296 §3.3.2).
pub mod ttype {
    pub const ENCR: u8 = 1;
    pub const PRF: u8 = 2;
    pub const INTEG: u8 = 3;
    pub const DH: u8 = 4;
    pub const ESN: u8 = 5;
}

/// Transform attribute Key Length (RFC 7296 §3.3.5), always TV format (AF bit set).
pub const ATTR_KEY_LENGTH: u16 = 14;

/// Encryption transform IDs (IANA Transform Type 1).
pub mod encr {
    pub const DES_IV64: u16 = 1;
    pub const DES: u16 = 2;
    pub const TDES: u16 = 3;
    pub const NULL: u16 = 11;
    pub const AES_CBC: u16 = 12;
    pub const AES_CTR: u16 = 13;
    pub const AES_CCM_8: u16 = 14;
    pub const AES_CCM_12: u16 = 15;
    pub const AES_CCM_16: u16 = 16;
    pub const AES_GCM_8: u16 = 18;
    pub const AES_GCM_12: u16 = 19;
    pub const AES_GCM_16: u16 = 20;
    /// RFC 4543: authentication only (GMAC), no confidentiality.
    pub const NULL_AUTH_AES_GMAC: u16 = 21;
    pub const CHACHA20_POLY1305: u16 = 28;
}

/// PRF transform IDs (IANA Transform Type 2).
pub mod prf {
    pub const HMAC_MD5: u16 = 1;
    pub const HMAC_SHA1: u16 = 2;
    pub const AES128_XCBC: u16 = 4;
    pub const HMAC_SHA2_256: u16 = 5;
    pub const HMAC_SHA2_384: u16 = 6;
    pub const HMAC_SHA2_512: u16 = 7;
}

/// Integrity transform IDs (IANA Transform Type 3).
pub mod integ {
    pub const NONE: u16 = 0;
    pub const HMAC_MD5_96: u16 = 1;
    pub const HMAC_SHA1_96: u16 = 2;
    pub const AES_XCBC_96: u16 = 5;
    pub const HMAC_SHA2_256_128: u16 = 12;
    pub const HMAC_SHA2_384_192: u16 = 13;
    pub const HMAC_SHA2_512_256: u16 = 14;
}

/// Diffie-Hellman group numbers (IANA Transform Type 4).
pub mod dh {
    pub const MODP_768: u16 = 1;
    pub const MODP_1024: u16 = 2;
    pub const MODP_2048: u16 = 14;
    pub const ECP_256: u16 = 19;
    pub const CURVE25519: u16 = 31;
}

/// Notify message types (RFC 7296 §3.10.1).
pub mod notify {
    pub const UNSUPPORTED_CRITICAL_PAYLOAD: u16 = 1;
    pub const INVALID_IKE_SPI: u16 = 4;
    pub const INVALID_MAJOR_VERSION: u16 = 5;
    pub const INVALID_SYNTAX: u16 = 7;
    pub const INVALID_MESSAGE_ID: u16 = 9;
    pub const INVALID_SPI: u16 = 11;
    pub const NO_PROPOSAL_CHOSEN: u16 = 14;
    pub const INVALID_KE_PAYLOAD: u16 = 17;
    pub const AUTHENTICATION_FAILED: u16 = 24;
    pub const SINGLE_PAIR_REQUIRED: u16 = 34;
    pub const NO_ADDITIONAL_SAS: u16 = 35;
    pub const INTERNAL_ADDRESS_FAILURE: u16 = 36;
    pub const FAILED_CP_REQUIRED: u16 = 37;
    pub const TS_UNACCEPTABLE: u16 = 38;
    pub const INVALID_SELECTORS: u16 = 39;
    pub const TEMPORARY_FAILURE: u16 = 43;
    pub const CHILD_SA_NOT_FOUND: u16 = 44;
    pub const INITIAL_CONTACT: u16 = 16384;
    pub const NAT_DETECTION_SOURCE_IP: u16 = 16388;
    pub const NAT_DETECTION_DESTINATION_IP: u16 = 16389;
    pub const COOKIE: u16 = 16390;
    pub const USE_TRANSPORT_MODE: u16 = 16391;
    pub const ESP_TFC_PADDING_NOT_SUPPORTED: u16 = 16394;
    pub const IKEV2_FRAGMENTATION_SUPPORTED: u16 = 16430;
    pub const SIGNATURE_HASH_ALGORITHMS: u16 = 16431;
}

/// Authentication methods (RFC 7296 §3.8).
pub mod auth {
    pub const RSA_SIG: u8 = 1;
    pub const SHARED_KEY_MIC: u8 = 2;
}

/// Identification types (RFC 7296 §3.5).
pub mod id {
    pub const IPV4_ADDR: u8 = 1;
    pub const FQDN: u8 = 2;
    pub const RFC822_ADDR: u8 = 3;
    pub const IPV6_ADDR: u8 = 5;
    pub const KEY_ID: u8 = 11;
}

/// Traffic selector types (RFC 7296 §3.13.1).
pub mod ts {
    pub const IPV4_ADDR_RANGE: u8 = 7;
    pub const IPV6_ADDR_RANGE: u8 = 8;
}

/// Whether an ENCR transform gives no confidentiality: ENCR_NULL (RFC 2410) and
/// ENCR_NULL_AUTH_AES_GMAC (RFC 4543, integrity only). Either one makes an ESP SA
/// "integrity-only", which TS 33.210 forbids on Za (seed 000, clause C.2 of the excerpt:
/// "ESP shall be always used with both encryption and integrity").
pub fn is_null_encryption(id: u16) -> bool {
    matches!(id, encr::NULL | encr::NULL_AUTH_AES_GMAC)
}

/// Whether an ENCR transform is an AEAD (combined mode): no separate INTEG transform.
pub fn is_aead(id: u16) -> bool {
    matches!(
        id,
        encr::AES_CCM_8
            | encr::AES_CCM_12
            | encr::AES_CCM_16
            | encr::AES_GCM_8
            | encr::AES_GCM_12
            | encr::AES_GCM_16
            | encr::CHACHA20_POLY1305
    )
}

/// The IANA name of a transform, or `None` when imsec does not know it.
pub fn transform_name(ttype: u8, id: u16) -> Option<&'static str> {
    Some(match (ttype, id) {
        (ttype::ENCR, encr::DES_IV64) => "ENCR_DES_IV64",
        (ttype::ENCR, encr::DES) => "ENCR_DES",
        (ttype::ENCR, encr::TDES) => "ENCR_3DES",
        (ttype::ENCR, encr::NULL) => "ENCR_NULL",
        (ttype::ENCR, encr::AES_CBC) => "ENCR_AES_CBC",
        (ttype::ENCR, encr::AES_CTR) => "ENCR_AES_CTR",
        (ttype::ENCR, encr::AES_CCM_8) => "ENCR_AES_CCM_8",
        (ttype::ENCR, encr::AES_CCM_12) => "ENCR_AES_CCM_12",
        (ttype::ENCR, encr::AES_CCM_16) => "ENCR_AES_CCM_16",
        (ttype::ENCR, encr::AES_GCM_8) => "ENCR_AES_GCM_8",
        (ttype::ENCR, encr::AES_GCM_12) => "ENCR_AES_GCM_12",
        (ttype::ENCR, encr::AES_GCM_16) => "ENCR_AES_GCM_16",
        (ttype::ENCR, encr::NULL_AUTH_AES_GMAC) => "ENCR_NULL_AUTH_AES_GMAC",
        (ttype::ENCR, encr::CHACHA20_POLY1305) => "ENCR_CHACHA20_POLY1305",
        (ttype::PRF, prf::HMAC_MD5) => "PRF_HMAC_MD5",
        (ttype::PRF, prf::HMAC_SHA1) => "PRF_HMAC_SHA1",
        (ttype::PRF, prf::AES128_XCBC) => "PRF_AES128_XCBC",
        (ttype::PRF, prf::HMAC_SHA2_256) => "PRF_HMAC_SHA2_256",
        (ttype::PRF, prf::HMAC_SHA2_384) => "PRF_HMAC_SHA2_384",
        (ttype::PRF, prf::HMAC_SHA2_512) => "PRF_HMAC_SHA2_512",
        (ttype::INTEG, integ::NONE) => "NONE",
        (ttype::INTEG, integ::HMAC_MD5_96) => "AUTH_HMAC_MD5_96",
        (ttype::INTEG, integ::HMAC_SHA1_96) => "AUTH_HMAC_SHA1_96",
        (ttype::INTEG, integ::AES_XCBC_96) => "AUTH_AES_XCBC_96",
        (ttype::INTEG, integ::HMAC_SHA2_256_128) => "AUTH_HMAC_SHA2_256_128",
        (ttype::INTEG, integ::HMAC_SHA2_384_192) => "AUTH_HMAC_SHA2_384_192",
        (ttype::INTEG, integ::HMAC_SHA2_512_256) => "AUTH_HMAC_SHA2_512_256",
        (ttype::DH, 0) => "NONE",
        (ttype::DH, dh::MODP_768) => "768-bit MODP Group",
        (ttype::DH, dh::MODP_1024) => "1024-bit MODP Group",
        (ttype::DH, 5) => "1536-bit MODP Group",
        (ttype::DH, dh::MODP_2048) => "2048-bit MODP Group",
        (ttype::DH, 15) => "3072-bit MODP Group",
        (ttype::DH, 16) => "4096-bit MODP Group",
        (ttype::DH, dh::ECP_256) => "256-bit random ECP group",
        (ttype::DH, 20) => "384-bit random ECP group",
        (ttype::DH, 21) => "521-bit random ECP group",
        (ttype::DH, dh::CURVE25519) => "Curve25519",
        (ttype::DH, 32) => "Curve448",
        (ttype::ESN, 0) => "No Extended Sequence Numbers",
        (ttype::ESN, 1) => "Extended Sequence Numbers",
        _ => return None,
    })
}

/// The name of a notify type, or `None`.
pub fn notify_name(t: u16) -> Option<&'static str> {
    Some(match t {
        notify::UNSUPPORTED_CRITICAL_PAYLOAD => "UNSUPPORTED_CRITICAL_PAYLOAD",
        notify::INVALID_IKE_SPI => "INVALID_IKE_SPI",
        notify::INVALID_MAJOR_VERSION => "INVALID_MAJOR_VERSION",
        notify::INVALID_SYNTAX => "INVALID_SYNTAX",
        notify::INVALID_MESSAGE_ID => "INVALID_MESSAGE_ID",
        notify::INVALID_SPI => "INVALID_SPI",
        notify::NO_PROPOSAL_CHOSEN => "NO_PROPOSAL_CHOSEN",
        notify::INVALID_KE_PAYLOAD => "INVALID_KE_PAYLOAD",
        notify::AUTHENTICATION_FAILED => "AUTHENTICATION_FAILED",
        notify::SINGLE_PAIR_REQUIRED => "SINGLE_PAIR_REQUIRED",
        notify::NO_ADDITIONAL_SAS => "NO_ADDITIONAL_SAS",
        notify::INTERNAL_ADDRESS_FAILURE => "INTERNAL_ADDRESS_FAILURE",
        notify::FAILED_CP_REQUIRED => "FAILED_CP_REQUIRED",
        notify::TS_UNACCEPTABLE => "TS_UNACCEPTABLE",
        notify::INVALID_SELECTORS => "INVALID_SELECTORS",
        notify::TEMPORARY_FAILURE => "TEMPORARY_FAILURE",
        notify::CHILD_SA_NOT_FOUND => "CHILD_SA_NOT_FOUND",
        notify::INITIAL_CONTACT => "INITIAL_CONTACT",
        notify::NAT_DETECTION_SOURCE_IP => "NAT_DETECTION_SOURCE_IP",
        notify::NAT_DETECTION_DESTINATION_IP => "NAT_DETECTION_DESTINATION_IP",
        notify::COOKIE => "COOKIE",
        notify::USE_TRANSPORT_MODE => "USE_TRANSPORT_MODE",
        notify::ESP_TFC_PADDING_NOT_SUPPORTED => "ESP_TFC_PADDING_NOT_SUPPORTED",
        notify::IKEV2_FRAGMENTATION_SUPPORTED => "IKEV2_FRAGMENTATION_SUPPORTED",
        notify::SIGNATURE_HASH_ALGORITHMS => "SIGNATURE_HASH_ALGORITHMS",
        _ => return None,
    })
}
