//! IKEv2 key schedule and protection (RFC 7296): prf and prf+ (§2.13), SKEYSEED and the
//! seven SA keys (§2.14), child SA KEYMAT (§2.17), shared-key AUTH (§2.15), and the
//! transforms the SK payload uses (§3.14): ENCR_AES_CBC (RFC 3602), ENCR_NULL (RFC 2410),
//! AUTH_HMAC_SHA1_96 (RFC 2404) and AUTH_HMAC_SHA2_256_128 (RFC 4868).

use super::consts::{encr, integ, prf as prf_id};
use super::IkeError;
use hmac::{Hmac, KeyInit, Mac};

type HmacSha1 = Hmac<sha1::Sha1>;
type HmacSha256 = Hmac<sha2::Sha256>;

/// A pseudorandom function (IANA Transform Type 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prf {
    HmacSha1,
    HmacSha256,
}

impl Prf {
    pub fn from_id(id: u16) -> Result<Prf, IkeError> {
        match id {
            prf_id::HMAC_SHA1 => Ok(Prf::HmacSha1),
            prf_id::HMAC_SHA2_256 => Ok(Prf::HmacSha256),
            o => Err(IkeError::Unsupported(format!("PRF {o}"))),
        }
    }
    pub fn id(self) -> u16 {
        match self {
            Prf::HmacSha1 => prf_id::HMAC_SHA1,
            Prf::HmacSha256 => prf_id::HMAC_SHA2_256,
        }
    }
    /// Output length, also the length of SK_d, SK_pi and SK_pr (§2.14).
    pub fn out_len(self) -> usize {
        match self {
            Prf::HmacSha1 => 20,
            Prf::HmacSha256 => 32,
        }
    }
    /// prf(key, data) (§2.13); HMAC takes keys of any length.
    pub fn prf(self, key: &[u8], data: &[u8]) -> Vec<u8> {
        match self {
            Prf::HmacSha1 => hmac_full::<HmacSha1>(key, &[data]),
            Prf::HmacSha256 => hmac_full::<HmacSha256>(key, &[data]),
        }
    }
    /// prf+(K, S) = T1 | T2 | ..., T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n) (§2.13),
    /// cut to `len`; at most 255 blocks.
    pub fn prf_plus(self, key: &[u8], seed: &[u8], len: usize) -> Result<Vec<u8>, IkeError> {
        let blocks = len.div_ceil(self.out_len());
        if blocks > 255 {
            return Err(IkeError::Crypto(format!(
                "prf+ cannot produce {len} octets (255 blocks at most)"
            )));
        }
        let mut out = Vec::with_capacity(blocks * self.out_len());
        let mut t: Vec<u8> = Vec::new();
        for n in 1..=blocks {
            let mut input = t.clone();
            input.extend_from_slice(seed);
            input.push(n as u8);
            t = self.prf(key, &input);
            out.extend_from_slice(&t);
        }
        out.truncate(len);
        Ok(out)
    }
}

fn hmac_full<M: Mac + KeyInit>(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    // HMAC accepts any key length, so new_from_slice cannot fail.
    match <M as KeyInit>::new_from_slice(key) {
        Ok(mut m) => {
            for p in parts {
                m.update(p);
            }
            m.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

/// An integrity transform (IANA Transform Type 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Integ {
    HmacSha1_96,
    HmacSha256_128,
}

impl Integ {
    pub fn from_id(id: u16) -> Result<Integ, IkeError> {
        match id {
            integ::HMAC_SHA1_96 => Ok(Integ::HmacSha1_96),
            integ::HMAC_SHA2_256_128 => Ok(Integ::HmacSha256_128),
            o => Err(IkeError::Unsupported(format!("integrity transform {o}"))),
        }
    }
    pub fn id(self) -> u16 {
        match self {
            Integ::HmacSha1_96 => integ::HMAC_SHA1_96,
            Integ::HmacSha256_128 => integ::HMAC_SHA2_256_128,
        }
    }
    /// Key length (RFC 2404: 20, RFC 4868: 32).
    pub fn key_len(self) -> usize {
        match self {
            Integ::HmacSha1_96 => 20,
            Integ::HmacSha256_128 => 32,
        }
    }
    /// ICV length (12, 16).
    pub fn icv_len(self) -> usize {
        match self {
            Integ::HmacSha1_96 => 12,
            Integ::HmacSha256_128 => 16,
        }
    }
    /// The truncated MAC over `data`.
    pub fn mac(self, key: &[u8], data: &[u8]) -> Vec<u8> {
        let mut m = match self {
            Integ::HmacSha1_96 => hmac_full::<HmacSha1>(key, &[data]),
            Integ::HmacSha256_128 => hmac_full::<HmacSha256>(key, &[data]),
        };
        m.truncate(self.icv_len());
        m
    }
}

/// An encryption transform for the SK payload (IANA Transform Type 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encr {
    /// ENCR_AES_CBC with a 128- or 256-bit key.
    AesCbc { key_bits: u16 },
    /// ENCR_NULL (RFC 2410): no IV, block size 1. Only the flawed built-in SEG uses it.
    Null,
}

impl Encr {
    pub fn from_transform(id: u16, key_len: Option<u16>) -> Result<Encr, IkeError> {
        match (id, key_len) {
            (encr::AES_CBC, Some(k @ (128 | 256))) => Ok(Encr::AesCbc { key_bits: k }),
            (encr::NULL, None) => Ok(Encr::Null),
            (i, k) => Err(IkeError::Unsupported(format!(
                "encryption transform {i} key length {k:?}"
            ))),
        }
    }
    pub fn id(self) -> u16 {
        match self {
            Encr::AesCbc { .. } => encr::AES_CBC,
            Encr::Null => encr::NULL,
        }
    }
    pub fn key_attr(self) -> Option<u16> {
        match self {
            Encr::AesCbc { key_bits } => Some(key_bits),
            Encr::Null => None,
        }
    }
    pub fn key_len(self) -> usize {
        match self {
            Encr::AesCbc { key_bits } => usize::from(key_bits / 8),
            Encr::Null => 0,
        }
    }
    pub fn block_len(self) -> usize {
        match self {
            Encr::AesCbc { .. } => 16,
            Encr::Null => 1,
        }
    }
    pub fn iv_len(self) -> usize {
        match self {
            Encr::AesCbc { .. } => 16,
            Encr::Null => 0,
        }
    }

    /// Encrypts `buf` in place (a multiple of the block length).
    pub fn encrypt(self, key: &[u8], iv: &[u8], buf: &mut [u8]) -> Result<(), IkeError> {
        match self {
            Encr::Null => Ok(()),
            Encr::AesCbc { key_bits } => cbc(key_bits, key, iv, buf, true),
        }
    }
    /// Decrypts `buf` in place.
    pub fn decrypt(self, key: &[u8], iv: &[u8], buf: &mut [u8]) -> Result<(), IkeError> {
        match self {
            Encr::Null => Ok(()),
            Encr::AesCbc { key_bits } => cbc(key_bits, key, iv, buf, false),
        }
    }
}

fn cbc_run<C>(key: &[u8], iv: &[u8], buf: &mut [u8], enc: bool) -> Result<(), IkeError>
where
    C: cipher::BlockCipherEncrypt + cipher::BlockCipherDecrypt + KeyInit,
{
    use cipher::{Array, BlockModeDecrypt, BlockModeEncrypt, InnerIvInit};
    let c = <C as KeyInit>::new_from_slice(key)
        .map_err(|_| IkeError::Crypto(format!("AES key of {} octets", key.len())))?;
    let (blocks, tail) = Array::slice_as_chunks_mut(buf);
    if !tail.is_empty() {
        return Err(IkeError::Crypto(
            "ciphertext is not a multiple of 16".into(),
        ));
    }
    if enc {
        let mut m = cbc::Encryptor::<&C>::inner_iv_slice_init(&c, iv)
            .map_err(|_| IkeError::Crypto("IV length".into()))?;
        m.encrypt_blocks(blocks);
    } else {
        let mut m = cbc::Decryptor::<&C>::inner_iv_slice_init(&c, iv)
            .map_err(|_| IkeError::Crypto("IV length".into()))?;
        m.decrypt_blocks(blocks);
    }
    Ok(())
}

fn cbc(bits: u16, key: &[u8], iv: &[u8], buf: &mut [u8], enc: bool) -> Result<(), IkeError> {
    match bits {
        128 => cbc_run::<aes::Aes128>(key, iv, buf, enc),
        256 => cbc_run::<aes::Aes256>(key, iv, buf, enc),
        b => Err(IkeError::Unsupported(format!("AES-{b}"))),
    }
}

/// The transforms of an IKE SA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IkeSuite {
    pub encr: Encr,
    pub integ: Integ,
    pub prf: Prf,
    pub dh: u16,
}

/// The seven keys of an IKE SA (§2.14).
#[derive(Clone, PartialEq, Eq)]
pub struct SaKeys {
    pub d: Vec<u8>,
    pub ai: Vec<u8>,
    pub ar: Vec<u8>,
    pub ei: Vec<u8>,
    pub er: Vec<u8>,
    pub pi: Vec<u8>,
    pub pr: Vec<u8>,
}

impl std::fmt::Debug for SaKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SaKeys(<redacted>)")
    }
}

/// SKEYSEED = prf(Ni | Nr, g^ir) (§2.14).
pub fn skeyseed(prf: Prf, ni: &[u8], nr: &[u8], g_ir: &[u8]) -> Vec<u8> {
    let mut k = ni.to_vec();
    k.extend_from_slice(nr);
    prf.prf(&k, g_ir)
}

/// {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr)
/// (§2.14).
pub fn sa_keys(
    suite: &IkeSuite,
    skeyseed: &[u8],
    ni: &[u8],
    nr: &[u8],
    spi_i: u64,
    spi_r: u64,
) -> Result<SaKeys, IkeError> {
    let p = suite.prf.out_len();
    let a = suite.integ.key_len();
    let e = suite.encr.key_len();
    let mut seed = ni.to_vec();
    seed.extend_from_slice(nr);
    seed.extend_from_slice(&spi_i.to_be_bytes());
    seed.extend_from_slice(&spi_r.to_be_bytes());
    let km = suite.prf.prf_plus(skeyseed, &seed, 3 * p + 2 * a + 2 * e)?;
    let mut at = 0;
    let mut take = |n: usize| {
        let v = km.get(at..at + n).unwrap_or(&[]).to_vec();
        at += n;
        v
    };
    Ok(SaKeys {
        d: take(p),
        ai: take(a),
        ar: take(a),
        ei: take(e),
        er: take(e),
        pi: take(p),
        pr: take(p),
    })
}

/// KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr) (§2.17).
pub fn child_keymat(
    prf: Prf,
    sk_d: &[u8],
    g_ir_new: Option<&[u8]>,
    ni: &[u8],
    nr: &[u8],
    len: usize,
) -> Result<Vec<u8>, IkeError> {
    let mut seed = g_ir_new.map(<[u8]>::to_vec).unwrap_or_default();
    seed.extend_from_slice(ni);
    seed.extend_from_slice(nr);
    prf.prf_plus(sk_d, &seed, len)
}

/// The "Key Pad for IKEv2" string of §2.15.
pub const KEY_PAD: &[u8] = b"Key Pad for IKEv2";

/// Shared-key AUTH = prf(prf(secret, "Key Pad for IKEv2"), <SignedOctets>) where
/// SignedOctets = RealMessage | NonceOfPeer | prf(SK_p, RestOfID) (§2.15). `id_body` is the
/// ID payload body (type, reserved, data); `sk_p` is SK_pi for the initiator, SK_pr for
/// the responder; `message` the sender's first message (IKE_SA_INIT request or response).
pub fn psk_auth(
    prf: Prf,
    psk: &[u8],
    message: &[u8],
    peer_nonce: &[u8],
    sk_p: &[u8],
    id_body: &[u8],
) -> Vec<u8> {
    let mut signed = message.to_vec();
    signed.extend_from_slice(peer_nonce);
    signed.extend_from_slice(&prf.prf(sk_p, id_body));
    prf.prf(&prf.prf(psk, KEY_PAD), &signed)
}

/// NAT_DETECTION_*_IP data = SHA-1(SPIi | SPIr | IP | Port) (§2.23).
pub fn nat_hash(spi_i: u64, spi_r: u64, ip: std::net::IpAddr, port: u16) -> Vec<u8> {
    use sha1::Digest;
    let mut h = sha1::Sha1::new();
    h.update(spi_i.to_be_bytes());
    h.update(spi_r.to_be_bytes());
    match ip {
        std::net::IpAddr::V4(a) => h.update(a.octets()),
        std::net::IpAddr::V6(a) => h.update(a.octets()),
    }
    h.update(port.to_be_bytes());
    h.finalize().to_vec()
}
