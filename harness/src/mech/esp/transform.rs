//! The keyed ESP transforms of TS 33.203 Annex H, precomputed once per SA:
//! integrity HMAC-MD5-96 (RFC 2403), HMAC-SHA-1-96 (RFC 2404), AES-GMAC (RFC 4543);
//! encryption NULL (RFC 2410), 3DES-CBC (RFC 2451), AES-CBC (RFC 3602), AES-GCM (RFC 4106).
//! Per packet only stack state is cloned (HMAC inner/outer state, GHASH key): no allocation.

use super::EspError;
use crate::mech::algorithms::{EncAlg, IntegAlg};
use aes::Aes128;
use aes_gcm::{AeadInOut, Aes128Gcm, Nonce, Tag};
use cipher::{
    Array, BlockCipherDecrypt, BlockCipherEncrypt, BlockModeDecrypt, BlockModeEncrypt, InnerIvInit,
    KeyInit,
};
use des::TdesEde3;
use ghash::universal_hash::UniversalHash;
use ghash::GHash;
use hmac::{Hmac, Mac};
use subtle::ConstantTimeEq;

type HmacMd5 = Hmac<md5::Md5>;
type HmacSha1 = Hmac<sha1::Sha1>;

/// AES-GMAC key state (RFC 4543 §3): AES key schedule, GHASH keyed with H = E(K, 0^128), salt.
#[derive(Clone)]
pub(super) struct Gmac {
    aes: Aes128,
    ghash: GHash,
    salt: [u8; 4],
}

/// The integrity transform of an SA.
#[derive(Clone)]
pub(super) enum Integ {
    /// Only with AES-GCM, whose tag is the ICV.
    Null,
    Md5(Box<HmacMd5>),
    Sha1(Box<HmacSha1>),
    Gmac(Box<Gmac>),
    /// An ICV of this many octets is carried but cannot be checked (integrity key unknown;
    /// Wireshark's "ANY n bit authentication [no checking]"). Computes as zeros, never verifies.
    Unchecked(usize),
}

/// AES-GCM key state (RFC 4106 §4, §8.1: the last 4 octets of the keying material are the salt).
#[derive(Clone)]
pub(super) struct Gcm {
    aead: Aes128Gcm,
    salt: [u8; 4],
}

/// The encryption transform of an SA.
#[derive(Clone)]
pub(super) enum Enc {
    Null,
    Tdes(Box<TdesEde3>),
    AesCbc(Box<Aes128>),
    Gcm(Box<Gcm>),
}

fn key_len(what: &'static str, key: &[u8], expected: usize) -> Result<(), EspError> {
    if key.len() == expected {
        Ok(())
    } else {
        Err(EspError::KeyLength {
            what,
            expected,
            got: key.len(),
        })
    }
}

fn salt4(what: &'static str, salt: &[u8]) -> Result<[u8; 4], EspError> {
    salt.try_into().map_err(|_| EspError::KeyLength {
        what,
        expected: 4,
        got: salt.len(),
    })
}

fn aes128(key: &[u8]) -> Result<Aes128, EspError> {
    Aes128::new_from_slice(key).map_err(|_| EspError::KeyLength {
        what: "AES-128 key",
        expected: 16,
        got: key.len(),
    })
}

/// Builds both transforms. The pair has already passed `check_pair`.
pub(super) fn build(
    ia: IntegAlg,
    ea: EncAlg,
    ik: &[u8],
    ek: &[u8],
    salt: &[u8],
) -> Result<(Integ, Enc), EspError> {
    let uses_salt = ia == IntegAlg::AesGmac || ea == EncAlg::AesGcm;
    if !uses_salt && !salt.is_empty() {
        key_len("salt (only aes-gcm / aes-gmac use one)", salt, 0)?;
    }
    let integ = match ia {
        IntegAlg::Null => {
            key_len("integrity key for alg=null", ik, 0)?;
            Integ::Null
        }
        IntegAlg::HmacMd5_96 => {
            // RFC 2403 §3: a 128-bit key.
            key_len("hmac-md5-96 key", ik, 16)?;
            let mac =
                <HmacMd5 as KeyInit>::new_from_slice(ik).map_err(|_| EspError::KeyLength {
                    what: "hmac-md5-96 key",
                    expected: 16,
                    got: ik.len(),
                })?;
            Integ::Md5(Box::new(mac))
        }
        IntegAlg::HmacSha1_96 => {
            // RFC 2404 §3: a 160-bit key.
            key_len("hmac-sha-1-96 key", ik, 20)?;
            let mac =
                <HmacSha1 as KeyInit>::new_from_slice(ik).map_err(|_| EspError::KeyLength {
                    what: "hmac-sha-1-96 key",
                    expected: 20,
                    got: ik.len(),
                })?;
            Integ::Sha1(Box::new(mac))
        }
        IntegAlg::AesGmac => {
            let aes = aes128(ik)?;
            let mut h = Array::default();
            aes.encrypt_block(&mut h);
            Integ::Gmac(Box::new(Gmac {
                aes,
                ghash: GHash::new(&h),
                salt: salt4("aes-gmac salt", salt)?,
            }))
        }
    };
    let enc = match ea {
        EncAlg::Null => {
            key_len("encryption key for ealg=null", ek, 0)?;
            Enc::Null
        }
        EncAlg::DesEde3Cbc => {
            key_len("des-ede3-cbc key", ek, 24)?;
            let c = TdesEde3::new_from_slice(ek).map_err(|_| EspError::KeyLength {
                what: "des-ede3-cbc key",
                expected: 24,
                got: ek.len(),
            })?;
            Enc::Tdes(Box::new(c))
        }
        EncAlg::AesCbc => Enc::AesCbc(Box::new(aes128(ek)?)),
        EncAlg::AesGcm => {
            key_len("aes-gcm key", ek, 16)?;
            let aead = Aes128Gcm::new_from_slice(ek).map_err(|_| EspError::KeyLength {
                what: "aes-gcm key",
                expected: 16,
                got: ek.len(),
            })?;
            Enc::Gcm(Box::new(Gcm {
                aead,
                salt: salt4("aes-gcm salt", salt)?,
            }))
        }
    };
    Ok((integ, enc))
}

impl Integ {
    pub(super) fn icv_len(&self) -> usize {
        match self {
            Integ::Null => 0,
            Integ::Md5(_) | Integ::Sha1(_) => 12,
            Integ::Gmac(_) => 16,
            Integ::Unchecked(n) => *n,
        }
    }

    /// RFC 4543 §3.1: GMAC carries an 8-octet IV in the payload.
    pub(super) fn iv_len(&self) -> usize {
        match self {
            Integ::Gmac(_) => 8,
            _ => 0,
        }
    }

    /// Computes the ICV over `data` (SPI .. Next Header, RFC 4303 §2.8) into `icv`
    /// (first `icv_len` octets). With ESN the high 32 bits are covered as RFC 4303 §3.3.2.1
    /// (HMAC: appended after the data) and RFC 4543 §3.3 (GMAC: after the SPI) require.
    pub(super) fn compute(&self, data: &[u8], seq_hi: Option<u32>, icv: &mut [u8; 16]) {
        fn hmac<M: Mac + Clone>(m: &M, data: &[u8], hi: Option<u32>, icv: &mut [u8; 16]) {
            let mut m = m.clone();
            m.update(data);
            if let Some(hi) = hi {
                m.update(&hi.to_be_bytes());
            }
            let out = m.finalize().into_bytes();
            for (d, s) in icv.iter_mut().zip(out.iter()) {
                *d = *s;
            }
        }
        match self {
            Integ::Null | Integ::Unchecked(_) => {}
            Integ::Md5(m) => hmac(m.as_ref(), data, seq_hi, icv),
            Integ::Sha1(m) => hmac(m.as_ref(), data, seq_hi, icv),
            Integ::Gmac(g) => *icv = g.tag(data, seq_hi),
        }
    }

    /// Constant-time ICV check (RFC 4303 §3.4.4.1).
    /// An `Unchecked` ICV never verifies (fails closed if a caller asks for the check).
    pub(super) fn verify(&self, data: &[u8], seq_hi: Option<u32>, icv: &[u8]) -> bool {
        if let Integ::Unchecked(_) = self {
            return false;
        }
        let mut want = [0u8; 16];
        self.compute(data, seq_hi, &mut want);
        let n = self.icv_len();
        match want.get(..n) {
            Some(w) if icv.len() == n => w.ct_eq(icv).into(),
            _ => false,
        }
    }
}

impl Gmac {
    /// RFC 4543 §3: GCM with empty plaintext, nonce = salt || IV, AAD = SPI || [seq-hi ||]
    /// seq || IV || payload || padding || pad length || next header. `data` holds the packet
    /// from the SPI to the Next Header; callers guarantee it covers header and IV (16 octets).
    fn tag(&self, data: &[u8], seq_hi: Option<u32>) -> [u8; 16] {
        let mut g = self.ghash.clone();
        let aad_len = match seq_hi {
            None => {
                g.update_padded(data);
                data.len()
            }
            Some(hi) => {
                let mut first = [0u8; 16];
                for (i, b) in first.iter_mut().enumerate() {
                    // SPI(4) | hi(4) | seq(4) | first 4 octets after the header
                    *b = match i {
                        0..4 => data.get(i).copied().unwrap_or(0),
                        4..8 => hi.to_be_bytes().get(i - 4).copied().unwrap_or(0),
                        _ => data.get(i - 4).copied().unwrap_or(0),
                    };
                }
                g.update(&[Array::from(first)]);
                g.update_padded(data.get(12..).unwrap_or(&[]));
                data.len() + 4
            }
        };
        let mut lens = [0u8; 16];
        if let Some(d) = lens.get_mut(..8) {
            d.copy_from_slice(&((aad_len as u64) * 8).to_be_bytes());
        }
        g.update(&[Array::from(lens)]);
        let s = g.finalize();
        let mut j0 = Array::<u8, cipher::consts::U16>::default();
        for (i, b) in j0.iter_mut().enumerate() {
            *b = match i {
                0..4 => self.salt.get(i).copied().unwrap_or(0),
                4..12 => data.get(i + 4).copied().unwrap_or(0),
                15 => 1,
                _ => 0,
            };
        }
        self.aes.encrypt_block(&mut j0);
        let mut out = [0u8; 16];
        for ((o, a), b) in out.iter_mut().zip(s.iter()).zip(j0.iter()) {
            *o = a ^ b;
        }
        out
    }
}

/// The associated data of RFC 4106 §5: SPI || seq (|| with ESN: SPI || seq-hi || seq-lo).
fn gcm_aad(header: &[u8; 8], seq_hi: Option<u32>, buf: &mut [u8; 12]) -> usize {
    buf[..4].copy_from_slice(&header[..4]);
    match seq_hi {
        None => {
            buf[4..8].copy_from_slice(&header[4..8]);
            8
        }
        Some(hi) => {
            buf[4..8].copy_from_slice(&hi.to_be_bytes());
            buf[8..12].copy_from_slice(&header[4..8]);
            12
        }
    }
}

impl Gcm {
    fn nonce(&self, iv: &[u8]) -> Nonce<aes_gcm::aead::consts::U12> {
        let mut n = Nonce::default();
        for (i, b) in n.iter_mut().enumerate() {
            *b = if i < 4 {
                self.salt.get(i).copied().unwrap_or(0)
            } else {
                iv.get(i - 4).copied().unwrap_or(0)
            };
        }
        n
    }
}

fn cbc_encrypt<C: BlockCipherEncrypt>(c: &C, iv: &[u8], buf: &mut [u8]) -> Result<(), EspError> {
    let align = C::block_size();
    let mut mode =
        cbc::Encryptor::<&C>::inner_iv_slice_init(c, iv).map_err(|_| EspError::IvLength {
            expected: align,
            got: iv.len(),
        })?;
    let len = buf.len();
    let (blocks, tail) = Array::slice_as_chunks_mut(buf);
    if !tail.is_empty() {
        return Err(EspError::Misaligned { len, align });
    }
    mode.encrypt_blocks(blocks);
    Ok(())
}

/// CBC-decrypts `buf` in place (RFC 3602 §2; RFC 2451 for 3DES): also used by `replay::tunnel`
/// for the outer SAs of key dumps (AES-192/256).
pub(crate) fn cbc_decrypt<C: BlockCipherDecrypt>(
    c: &C,
    iv: &[u8],
    buf: &mut [u8],
) -> Result<(), EspError> {
    let align = C::block_size();
    let mut mode =
        cbc::Decryptor::<&C>::inner_iv_slice_init(c, iv).map_err(|_| EspError::IvLength {
            expected: align,
            got: iv.len(),
        })?;
    let len = buf.len();
    let (blocks, tail) = Array::slice_as_chunks_mut(buf);
    if !tail.is_empty() {
        return Err(EspError::Misaligned { len, align });
    }
    mode.decrypt_blocks(blocks);
    Ok(())
}

impl Enc {
    pub(super) fn iv_len(&self) -> usize {
        match self {
            Enc::Null => 0,
            Enc::Tdes(_) | Enc::Gcm(_) => 8,
            Enc::AesCbc(_) => 16,
        }
    }
    /// Cipher block size (1 for stream-like modes).
    pub(super) fn block_len(&self) -> usize {
        match self {
            Enc::Null | Enc::Gcm(_) => 1,
            Enc::Tdes(_) => 8,
            Enc::AesCbc(_) => 16,
        }
    }
    pub(super) fn icv_len(&self) -> usize {
        match self {
            Enc::Gcm(_) => 16,
            _ => 0,
        }
    }

    /// Encrypts `buf` in place; for AES-GCM returns the tag (the ICV).
    pub(super) fn encrypt(
        &self,
        header: &[u8; 8],
        seq_hi: Option<u32>,
        iv: &[u8],
        buf: &mut [u8],
    ) -> Result<Option<Tag>, EspError> {
        match self {
            Enc::Null => Ok(None),
            Enc::Tdes(c) => cbc_encrypt(c.as_ref(), iv, buf).map(|_| None),
            Enc::AesCbc(c) => cbc_encrypt(c.as_ref(), iv, buf).map(|_| None),
            Enc::Gcm(g) => {
                let mut aad = [0u8; 12];
                let n = gcm_aad(header, seq_hi, &mut aad);
                g.aead
                    .encrypt_inout_detached(&g.nonce(iv), aad.get(..n).unwrap_or(&[]), buf.into())
                    .map(Some)
                    .map_err(|_| EspError::Misaligned {
                        len: buf.len(),
                        align: 4,
                    })
            }
        }
    }

    /// Decrypts `buf` in place; AES-GCM first verifies `tag` (constant time in `aes-gcm`).
    pub(super) fn decrypt(
        &self,
        header: &[u8; 8],
        seq_hi: Option<u32>,
        iv: &[u8],
        buf: &mut [u8],
        tag: &[u8],
    ) -> Result<(), EspError> {
        match self {
            Enc::Null => Ok(()),
            Enc::Tdes(c) => cbc_decrypt(c.as_ref(), iv, buf),
            Enc::AesCbc(c) => cbc_decrypt(c.as_ref(), iv, buf),
            Enc::Gcm(g) => {
                let tag = Tag::try_from(tag).map_err(|_| EspError::IcvBad)?;
                let mut aad = [0u8; 12];
                let n = gcm_aad(header, seq_hi, &mut aad);
                g.aead
                    .decrypt_inout_detached(
                        &g.nonce(iv),
                        aad.get(..n).unwrap_or(&[]),
                        buf.into(),
                        &tag,
                    )
                    .map_err(|_| EspError::IcvBad)
            }
        }
    }
}
