//! TLS record protection for a passive reader that holds the session secrets (a key log):
//! - TLS 1.2 key block from the master secret with the PRF (RFC 5246 §5, §6.3);
//! - TLS 1.2 record opening: AEAD suites with AES-GCM (RFC 5288 §3: 4-octet implicit salt +
//!   8-octet explicit nonce; additional data of RFC 5246 §6.2.3.3), ChaCha20-Poly1305
//!   (RFC 7905 §2: 12-octet IV XOR the sequence number), AES-CBC with HMAC (RFC 5246
//!   §6.2.3.2: explicit IV, MAC-then-encrypt; or encrypt-then-MAC when both hellos carried
//!   the `encrypt_then_mac` extension, RFC 7366 §3) and the NULL cipher with HMAC
//!   (RFC 5246 §6.2.3.1: content ‖ MAC, no confidentiality);
//! - TLS 1.3 traffic keys from a traffic secret with HKDF-Expand-Label (RFC 8446 §7.1,
//!   §7.3), the per-record nonce (§5.3) and the inner content type (§5.2, §5.4).
//!
//! Pure: no I/O; never panics on input. The suite's algorithms are read from its IANA name
//! ([`super::suites`]), so every suite of the registry built from AES-GCM, AES-CBC, ChaCha20-
//! Poly1305 or NULL with HMAC-SHA1/SHA256/SHA384 is covered; others (CCM, CAMELLIA, ARIA,
//! MD5 MACs, 3DES) are [`RecordCryptoError::Unsupported`].
//!
//! Passive reading is not a TLS endpoint: padding and MAC errors are reported as such (there
//! is no peer to give an oracle to), and the sequence number advances on every record, opened
//! or not, as the sender's did.

use aes::{Aes128, Aes256};
use aes_gcm::{AeadInOut, Aes128Gcm, Aes256Gcm, Nonce, Tag};
use chacha20poly1305::ChaCha20Poly1305;
use cipher::{Array, BlockCipherDecrypt, BlockModeDecrypt, InnerIvInit, KeyInit};
use hmac::{Hmac, Mac};
use subtle::ConstantTimeEq;

/// AEAD tag length of every supported AEAD (RFC 5116 §5.1, RFC 8439 §2.8).
const TAG_LEN: usize = 16;
/// AES block length (also the TLS 1.2 CBC explicit IV, RFC 5246 §6.2.3.2).
const BLOCK: usize = 16;

/// Why a record could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordCryptoError {
    #[error("cipher suite 0x{0:04x} is not supported for decryption")]
    Unsupported(u16),
    #[error("{0}: wrong key length")]
    KeyLength(&'static str),
    #[error("record too short for its protection ({0} octets)")]
    Short(usize),
    #[error("authentication failed (AEAD tag or MAC)")]
    Auth,
    #[error("bad CBC padding")]
    Padding,
    #[error("TLS 1.3 inner plaintext without a content type")]
    NoContentType,
}

/// A hash for HMAC, the TLS 1.2 PRF and HKDF.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashAlg {
    Sha1,
    Sha256,
    Sha384,
}

impl HashAlg {
    /// Output length in octets.
    pub fn len(self) -> usize {
        match self {
            HashAlg::Sha1 => 20,
            HashAlg::Sha256 => 32,
            HashAlg::Sha384 => 48,
        }
    }

    /// Never zero (for clippy's `len_without_is_empty`).
    pub fn is_empty(self) -> bool {
        false
    }

    /// HMAC over the concatenation of `parts` (RFC 2104).
    pub fn hmac(self, key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
        fn run<M: Mac + KeyInit>(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
            // HMAC takes keys of any length (RFC 2104 §2): this cannot fail.
            let Ok(mut m) = <M as KeyInit>::new_from_slice(key) else {
                return Vec::new();
            };
            for p in parts {
                m.update(p);
            }
            m.finalize().into_bytes().to_vec()
        }
        match self {
            HashAlg::Sha1 => run::<Hmac<sha1::Sha1>>(key, parts),
            HashAlg::Sha256 => run::<Hmac<sha2::Sha256>>(key, parts),
            HashAlg::Sha384 => run::<Hmac<sha2::Sha384>>(key, parts),
        }
    }
}

/// The bulk cipher of a suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bulk {
    /// No encryption (RFC 5246 A.5 `_WITH_NULL_`).
    Null,
    /// AES-CBC with a key of this many octets.
    AesCbc(usize),
    /// AES-GCM with a key of this many octets.
    AesGcm(usize),
    ChaCha20Poly1305,
}

/// What record protection a suite uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SuiteSpec {
    pub code: u16,
    /// A TLS 1.3 suite (RFC 8446 §B.4).
    pub tls13: bool,
    pub bulk: Bulk,
    /// HMAC of a non-AEAD suite (`None` for AEAD suites).
    pub mac: Option<HashAlg>,
    /// PRF hash (TLS 1.2, RFC 5246 §5: SHA-256 unless the suite says SHA-384) or HKDF hash
    /// (TLS 1.3).
    pub prf: HashAlg,
}

impl SuiteSpec {
    /// The spec of a suite code point, from its IANA name.
    pub fn of(code: u16) -> Result<SuiteSpec, RecordCryptoError> {
        let unsupported = RecordCryptoError::Unsupported(code);
        let name = super::suites::by_code(code)
            .ok_or(unsupported.clone())?
            .name;
        let tls13 = super::suites::is_tls13(code);
        let hash = if name.ends_with("_SHA384") {
            HashAlg::Sha384
        } else if name.ends_with("_SHA256") {
            HashAlg::Sha256
        } else if name.ends_with("_SHA") {
            HashAlg::Sha1
        } else {
            return Err(unsupported);
        };
        let bulk = if name.contains("AES_128_GCM_") {
            Bulk::AesGcm(16)
        } else if name.contains("AES_256_GCM_") {
            Bulk::AesGcm(32)
        } else if name.contains("_CHACHA20_POLY1305_") {
            Bulk::ChaCha20Poly1305
        } else if name.contains("_WITH_AES_128_CBC_") {
            Bulk::AesCbc(16)
        } else if name.contains("_WITH_AES_256_CBC_") {
            Bulk::AesCbc(32)
        } else if name.contains("_WITH_NULL_") {
            Bulk::Null
        } else {
            return Err(unsupported);
        };
        let aead = matches!(bulk, Bulk::AesGcm(_) | Bulk::ChaCha20Poly1305);
        if tls13 && !aead {
            // RFC 9150 integrity-only TLS 1.3 suites: not covered.
            return Err(unsupported);
        }
        Ok(SuiteSpec {
            code,
            tls13,
            bulk,
            mac: if aead { None } else { Some(hash) },
            prf: if hash == HashAlg::Sha384 {
                HashAlg::Sha384
            } else {
                HashAlg::Sha256
            },
        })
    }

    fn key_len(&self) -> usize {
        match self.bulk {
            Bulk::Null => 0,
            Bulk::AesCbc(n) | Bulk::AesGcm(n) => n,
            Bulk::ChaCha20Poly1305 => 32,
        }
    }

    /// `fixed_iv_length` of the TLS 1.2 key block (RFC 5246 §6.3: only implicit nonces).
    fn fixed_iv_len12(&self) -> usize {
        match self.bulk {
            Bulk::AesGcm(_) => 4,
            Bulk::ChaCha20Poly1305 => 12,
            Bulk::Null | Bulk::AesCbc(_) => 0,
        }
    }
}

/// The TLS 1.2 PRF (RFC 5246 §5): `P_hash(secret, label ‖ seed)` truncated to `len`.
pub fn prf12(hash: HashAlg, secret: &[u8], label: &[u8], seed: &[u8], len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + hash.len());
    // A(1) = HMAC(secret, label ‖ seed)
    let mut a = hash.hmac(secret, &[label, seed]);
    while out.len() < len && !a.is_empty() {
        out.extend_from_slice(&hash.hmac(secret, &[&a, label, seed]));
        a = hash.hmac(secret, &[&a]);
    }
    out.truncate(len);
    out
}

/// HKDF-Expand (RFC 5869 §2.3).
pub fn hkdf_expand(hash: HashAlg, prk: &[u8], info: &[u8], len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + hash.len());
    let mut t: Vec<u8> = Vec::new();
    let mut i: u8 = 1;
    while out.len() < len {
        t = hash.hmac(prk, &[&t, info, &[i]]);
        if t.is_empty() {
            break;
        }
        out.extend_from_slice(&t);
        i = i.wrapping_add(1);
    }
    out.truncate(len);
    out
}

/// HKDF-Expand-Label (RFC 8446 §7.1): `HkdfLabel = length ‖ "tls13 " + label ‖ context`.
pub fn hkdf_expand_label(
    hash: HashAlg,
    secret: &[u8],
    label: &str,
    context: &[u8],
    len: u16,
) -> Vec<u8> {
    let full = [b"tls13 ".as_slice(), label.as_bytes()].concat();
    let mut info = Vec::with_capacity(4 + full.len() + context.len());
    info.extend_from_slice(&len.to_be_bytes());
    info.push(u8::try_from(full.len()).unwrap_or(u8::MAX));
    info.extend_from_slice(&full);
    info.push(u8::try_from(context.len()).unwrap_or(u8::MAX));
    info.extend_from_slice(context);
    hkdf_expand(hash, secret, &info, usize::from(len))
}

/// Which end wrote the records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writer {
    Client,
    Server,
}

#[derive(Clone)]
enum Cipher {
    Null,
    Aes128Cbc(Box<Aes128>),
    Aes256Cbc(Box<Aes256>),
    Aes128Gcm(Box<Aes128Gcm>),
    Aes256Gcm(Box<Aes256Gcm>),
    ChaCha(Box<ChaCha20Poly1305>),
}

impl std::fmt::Debug for Cipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Key schedules are not printed.
        f.write_str(match self {
            Cipher::Null => "Null",
            Cipher::Aes128Cbc(_) => "Aes128Cbc",
            Cipher::Aes256Cbc(_) => "Aes256Cbc",
            Cipher::Aes128Gcm(_) => "Aes128Gcm",
            Cipher::Aes256Gcm(_) => "Aes256Gcm",
            Cipher::ChaCha(_) => "ChaCha20Poly1305",
        })
    }
}

fn cipher(bulk: Bulk, key: &[u8]) -> Result<Cipher, RecordCryptoError> {
    let kl = RecordCryptoError::KeyLength;
    Ok(match bulk {
        Bulk::Null => Cipher::Null,
        Bulk::AesCbc(16) => Cipher::Aes128Cbc(Box::new(
            Aes128::new_from_slice(key).map_err(|_| kl("AES-128"))?,
        )),
        Bulk::AesCbc(_) => Cipher::Aes256Cbc(Box::new(
            Aes256::new_from_slice(key).map_err(|_| kl("AES-256"))?,
        )),
        Bulk::AesGcm(16) => Cipher::Aes128Gcm(Box::new(
            Aes128Gcm::new_from_slice(key).map_err(|_| kl("AES-128-GCM"))?,
        )),
        Bulk::AesGcm(_) => Cipher::Aes256Gcm(Box::new(
            Aes256Gcm::new_from_slice(key).map_err(|_| kl("AES-256-GCM"))?,
        )),
        Bulk::ChaCha20Poly1305 => Cipher::ChaCha(Box::new(
            ChaCha20Poly1305::new_from_slice(key).map_err(|_| kl("ChaCha20-Poly1305"))?,
        )),
    })
}

/// The keys of one direction and its record sequence number.
#[derive(Debug, Clone)]
pub struct RecordOpener {
    spec: SuiteSpec,
    cipher: Cipher,
    mac_key: Vec<u8>,
    /// Implicit IV: GCM salt (4), ChaCha/TLS 1.3 IV (12); empty for CBC/NULL.
    iv: Vec<u8>,
    /// Encrypt-then-MAC (RFC 7366) for CBC suites.
    etm: bool,
    /// Sequence number of the next record (RFC 5246 §6.1, RFC 8446 §5.3).
    pub seq: u64,
}

impl RecordOpener {
    /// TLS 1.2: the key block (RFC 5246 §6.3) from the 48-octet master secret and the two
    /// hello randoms; `writer` picks the client or server write keys; `etm` when both hellos
    /// carried `encrypt_then_mac` (RFC 7366; it only changes CBC suites).
    pub fn tls12(
        spec: SuiteSpec,
        master_secret: &[u8],
        client_random: &[u8; 32],
        server_random: &[u8; 32],
        writer: Writer,
        etm: bool,
    ) -> Result<RecordOpener, RecordCryptoError> {
        if spec.tls13 {
            return Err(RecordCryptoError::Unsupported(spec.code));
        }
        let mac_len = spec.mac.map_or(0, HashAlg::len);
        let (kl, ivl) = (spec.key_len(), spec.fixed_iv_len12());
        let seed = [server_random.as_slice(), client_random.as_slice()].concat();
        let kb = prf12(
            spec.prf,
            master_secret,
            b"key expansion",
            &seed,
            2 * (mac_len + kl + ivl),
        );
        let take = |at: usize, n: usize| kb.get(at..at + n).unwrap_or(&[]).to_vec();
        let c = writer == Writer::Client;
        let mac_key = take(if c { 0 } else { mac_len }, mac_len);
        let key = take(2 * mac_len + if c { 0 } else { kl }, kl);
        let iv = take(2 * mac_len + 2 * kl + if c { 0 } else { ivl }, ivl);
        Ok(RecordOpener {
            spec,
            cipher: cipher(spec.bulk, &key)?,
            mac_key,
            iv,
            etm: etm && matches!(spec.bulk, Bulk::AesCbc(_)),
            seq: 0,
        })
    }

    /// TLS 1.3: `key` and `iv` from a traffic secret (RFC 8446 §7.3).
    pub fn tls13(spec: SuiteSpec, secret: &[u8]) -> Result<RecordOpener, RecordCryptoError> {
        if !spec.tls13 {
            return Err(RecordCryptoError::Unsupported(spec.code));
        }
        let kl = u16::try_from(spec.key_len()).unwrap_or(0);
        let key = hkdf_expand_label(spec.prf, secret, "key", b"", kl);
        let iv = hkdf_expand_label(spec.prf, secret, "iv", b"", 12);
        Ok(RecordOpener {
            spec,
            cipher: cipher(spec.bulk, &key)?,
            mac_key: Vec::new(),
            iv,
            etm: false,
            seq: 0,
        })
    }

    /// The next traffic secret after a KeyUpdate (RFC 8446 §7.2).
    pub fn next_secret13(hash: HashAlg, secret: &[u8]) -> Vec<u8> {
        hkdf_expand_label(
            hash,
            secret,
            "traffic upd",
            b"",
            u16::try_from(hash.len()).unwrap_or(0),
        )
    }

    pub fn spec(&self) -> SuiteSpec {
        self.spec
    }

    /// Opens one protected record (`content_type`, `version` and `fragment` as on the
    /// wire): the content type and plaintext. The sequence number advances either way.
    pub fn open(
        &mut self,
        content_type: u8,
        version: u16,
        fragment: &[u8],
    ) -> Result<(u8, Vec<u8>), RecordCryptoError> {
        let seq = self.seq;
        self.seq = self.seq.wrapping_add(1);
        if self.spec.tls13 {
            self.open13(content_type, version, fragment, seq)
        } else {
            self.open12(content_type, version, fragment, seq)
                .map(|p| (content_type, p))
        }
    }

    /// `iv XOR (0 ‖ seq)` (RFC 8446 §5.3, RFC 7905 §2).
    fn xor_nonce(&self, seq: u64) -> [u8; 12] {
        let mut n = [0u8; 12];
        for (i, b) in n.iter_mut().enumerate() {
            let s = if i >= 4 {
                seq.to_be_bytes().get(i - 4).copied().unwrap_or(0)
            } else {
                0
            };
            *b = self.iv.get(i).copied().unwrap_or(0) ^ s;
        }
        n
    }

    fn aead_open(
        &self,
        nonce: [u8; 12],
        aad: &[u8],
        ct_tag: &[u8],
    ) -> Result<Vec<u8>, RecordCryptoError> {
        let split = ct_tag
            .len()
            .checked_sub(TAG_LEN)
            .ok_or(RecordCryptoError::Short(ct_tag.len()))?;
        let (ct, tag) = ct_tag.split_at(split);
        let tag = Tag::try_from(tag).map_err(|_| RecordCryptoError::Short(ct_tag.len()))?;
        let nonce: Nonce<aes_gcm::aead::consts::U12> = Array::from(nonce);
        let mut buf = ct.to_vec();
        let r = match &self.cipher {
            Cipher::Aes128Gcm(c) => {
                c.decrypt_inout_detached(&nonce, aad, buf.as_mut_slice().into(), &tag)
            }
            Cipher::Aes256Gcm(c) => {
                c.decrypt_inout_detached(&nonce, aad, buf.as_mut_slice().into(), &tag)
            }
            Cipher::ChaCha(c) => {
                c.decrypt_inout_detached(&nonce, aad, buf.as_mut_slice().into(), &tag)
            }
            _ => return Err(RecordCryptoError::Unsupported(self.spec.code)),
        };
        r.map_err(|_| RecordCryptoError::Auth)?;
        Ok(buf)
    }

    /// RFC 5246 §6.2.3.1 MAC input: seq ‖ type ‖ version ‖ length ‖ data.
    fn mac(&self, seq: u64, ct: u8, version: u16, data: &[u8]) -> Vec<u8> {
        let Some(h) = self.spec.mac else {
            return Vec::new();
        };
        let len = u16::try_from(data.len()).unwrap_or(u16::MAX);
        h.hmac(
            &self.mac_key,
            &[
                &seq.to_be_bytes(),
                &[ct],
                &version.to_be_bytes(),
                &len.to_be_bytes(),
                data,
            ],
        )
    }

    fn open12(
        &self,
        ct: u8,
        version: u16,
        frag: &[u8],
        seq: u64,
    ) -> Result<Vec<u8>, RecordCryptoError> {
        let short = RecordCryptoError::Short(frag.len());
        let mac_len = self.spec.mac.map_or(0, HashAlg::len);
        match self.spec.bulk {
            Bulk::AesGcm(_) => {
                // RFC 5288 §3: nonce_explicit (8) ‖ ciphertext ‖ tag.
                let explicit = frag.get(..8).ok_or(short.clone())?;
                let rest = frag.get(8..).ok_or(short.clone())?;
                let plen = rest.len().checked_sub(TAG_LEN).ok_or(short)?;
                let mut nonce = [0u8; 12];
                for (i, b) in nonce.iter_mut().enumerate() {
                    *b = if i < 4 {
                        self.iv.get(i).copied().unwrap_or(0)
                    } else {
                        explicit.get(i - 4).copied().unwrap_or(0)
                    };
                }
                let aad = aad12(seq, ct, version, plen);
                self.aead_open(nonce, &aad, rest)
            }
            Bulk::ChaCha20Poly1305 => {
                let plen = frag.len().checked_sub(TAG_LEN).ok_or(short)?;
                let aad = aad12(seq, ct, version, plen);
                self.aead_open(self.xor_nonce(seq), &aad, frag)
            }
            Bulk::Null => {
                let clen = frag.len().checked_sub(mac_len).ok_or(short)?;
                let (content, mac) = frag.split_at(clen);
                if bool::from(self.mac(seq, ct, version, content).ct_eq(mac)) {
                    Ok(content.to_vec())
                } else {
                    Err(RecordCryptoError::Auth)
                }
            }
            Bulk::AesCbc(_) => {
                if self.etm {
                    // RFC 7366 §3: IV ‖ ciphertext ‖ MAC(IV ‖ ciphertext).
                    let elen = frag.len().checked_sub(mac_len).ok_or(short)?;
                    let (enc, mac) = frag.split_at(elen);
                    if !bool::from(self.mac(seq, ct, version, enc).ct_eq(mac)) {
                        return Err(RecordCryptoError::Auth);
                    }
                    let plain = self.cbc_open(enc)?;
                    strip_padding(&plain).map(<[u8]>::to_vec)
                } else {
                    // RFC 5246 §6.2.3.2: IV ‖ E(content ‖ MAC ‖ padding ‖ padding_length).
                    let plain = self.cbc_open(frag)?;
                    let body = strip_padding(&plain)?;
                    let clen = body
                        .len()
                        .checked_sub(mac_len)
                        .ok_or(RecordCryptoError::Padding)?;
                    let (content, mac) = body.split_at(clen);
                    if bool::from(self.mac(seq, ct, version, content).ct_eq(mac)) {
                        Ok(content.to_vec())
                    } else {
                        Err(RecordCryptoError::Auth)
                    }
                }
            }
        }
    }

    /// IV (16) ‖ ciphertext (whole blocks) → plaintext.
    fn cbc_open(&self, frag: &[u8]) -> Result<Vec<u8>, RecordCryptoError> {
        let short = RecordCryptoError::Short(frag.len());
        if frag.len() < 2 * BLOCK || frag.len() % BLOCK != 0 {
            return Err(short);
        }
        let (iv, ct) = frag.split_at(BLOCK);
        let mut buf = ct.to_vec();
        match &self.cipher {
            Cipher::Aes128Cbc(c) => cbc_decrypt(c.as_ref(), iv, &mut buf)?,
            Cipher::Aes256Cbc(c) => cbc_decrypt(c.as_ref(), iv, &mut buf)?,
            _ => return Err(RecordCryptoError::Unsupported(self.spec.code)),
        }
        Ok(buf)
    }

    fn open13(
        &self,
        ct: u8,
        version: u16,
        frag: &[u8],
        seq: u64,
    ) -> Result<(u8, Vec<u8>), RecordCryptoError> {
        // RFC 8446 §5.2: additional_data = the record header.
        let len = u16::try_from(frag.len()).map_err(|_| RecordCryptoError::Short(frag.len()))?;
        let mut aad = [0u8; 5];
        aad[0] = ct;
        aad[1..3].copy_from_slice(&version.to_be_bytes());
        aad[3..5].copy_from_slice(&len.to_be_bytes());
        let mut inner = self.aead_open(self.xor_nonce(seq), &aad, frag)?;
        // §5.4: zero padding after the real content type.
        let end = inner
            .iter()
            .rposition(|b| *b != 0)
            .ok_or(RecordCryptoError::NoContentType)?;
        let typ = inner.get(end).copied().unwrap_or(0);
        inner.truncate(end);
        Ok((typ, inner))
    }
}

/// RFC 5246 §6.2.3.3 additional data: seq ‖ type ‖ version ‖ plaintext length.
fn aad12(seq: u64, ct: u8, version: u16, plen: usize) -> [u8; 13] {
    let mut a = [0u8; 13];
    a[..8].copy_from_slice(&seq.to_be_bytes());
    a[8] = ct;
    a[9..11].copy_from_slice(&version.to_be_bytes());
    a[11..13].copy_from_slice(&u16::try_from(plen).unwrap_or(u16::MAX).to_be_bytes());
    a
}

/// Removes the CBC padding (RFC 5246 §6.2.3.2: `padding_length + 1` octets, each equal to
/// `padding_length`).
fn strip_padding(p: &[u8]) -> Result<&[u8], RecordCryptoError> {
    let n = usize::from(*p.last().ok_or(RecordCryptoError::Padding)?);
    let keep = p
        .len()
        .checked_sub(n + 1)
        .ok_or(RecordCryptoError::Padding)?;
    let (body, pad) = p.split_at(keep);
    if pad.iter().all(|b| usize::from(*b) == n) {
        Ok(body)
    } else {
        Err(RecordCryptoError::Padding)
    }
}

fn cbc_decrypt<C: BlockCipherDecrypt>(
    c: &C,
    iv: &[u8],
    buf: &mut [u8],
) -> Result<(), RecordCryptoError> {
    let mut mode = cbc::Decryptor::<&C>::inner_iv_slice_init(c, iv)
        .map_err(|_| RecordCryptoError::KeyLength("CBC IV"))?;
    let len = buf.len();
    let (blocks, tail) = Array::slice_as_chunks_mut(buf);
    if !tail.is_empty() {
        return Err(RecordCryptoError::Short(len));
    }
    mode.decrypt_blocks(blocks);
    Ok(())
}

/// Fuzz body (fuzz target `tls`, harness/tests/replay_tls.rs smoke run): the octets opened
/// as a record fragment under every supported suite family, with fixed secrets (TLS 1.2 with
/// and without encrypt-then-MAC, TLS 1.3).
pub fn fuzz_open(data: &[u8]) {
    let ct = data.first().copied().unwrap_or(23);
    for code in [
        0x003bu16, 0x002f, 0xc028, 0xc02f, 0xcca8, 0x1301, 0x1302, 0x1303,
    ] {
        let Ok(spec) = SuiteSpec::of(code) else {
            continue;
        };
        let openers = if spec.tls13 {
            vec![RecordOpener::tls13(
                spec,
                data.get(..32).unwrap_or(&[7; 32]),
            )]
        } else {
            let etm = ct & 1 == 1;
            vec![RecordOpener::tls12(
                spec,
                &[1; 48],
                &[2; 32],
                &[3; 32],
                Writer::Client,
                etm,
            )]
        };
        for mut o in openers.into_iter().flatten() {
            let _ = o.open(ct, 0x0303, data);
            let _ = o.open(ct, 0x0303, data.get(1..).unwrap_or(&[]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s.split_whitespace().collect::<String>()).unwrap()
    }

    /// RFC 8448 §3 (Simple 1-RTT Handshake): the server handshake traffic secret gives
    /// `key` and `iv` by HKDF-Expand-Label (TLS_AES_128_GCM_SHA256).
    #[test]
    fn rfc8448_server_handshake_key_iv() {
        let secret = h(
            "b6 7b 7d 69 0c c1 6c 4e 75 e5 42 13 cb 2d 37 b4 e9 c9 12 bc de d9 10 5d
            42 be fd 59 d3 91 ad 38",
        );
        assert_eq!(
            hkdf_expand_label(HashAlg::Sha256, &secret, "key", b"", 16),
            h("3f ce 51 60 09 c2 17 27 d0 f2 e4 e8 6e e4 03 bc")
        );
        assert_eq!(
            hkdf_expand_label(HashAlg::Sha256, &secret, "iv", b"", 12),
            h("5d 31 3e b2 67 12 76 ee 13 00 0b 30")
        );
    }

    /// RFC 5869 Appendix A.1 (HKDF-SHA256 test case 1), Expand step.
    #[test]
    fn rfc5869_expand() {
        let prk = h("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5");
        let info = h("f0f1f2f3f4f5f6f7f8f9");
        assert_eq!(
            hkdf_expand(HashAlg::Sha256, &prk, &info, 42),
            h("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")
        );
    }

    #[test]
    fn suite_specs_from_names() {
        let s = SuiteSpec::of(0xc02f).unwrap();
        assert_eq!(
            (s.bulk, s.mac, s.prf, s.tls13),
            (Bulk::AesGcm(16), None, HashAlg::Sha256, false)
        );
        let s = SuiteSpec::of(0x0002).unwrap();
        assert_eq!((s.bulk, s.mac), (Bulk::Null, Some(HashAlg::Sha1)));
        let s = SuiteSpec::of(0x1302).unwrap();
        assert_eq!(
            (s.bulk, s.prf, s.tls13),
            (Bulk::AesGcm(32), HashAlg::Sha384, true)
        );
        assert!(SuiteSpec::of(0x0001).is_err(), "NULL_MD5 is not covered");
        assert!(SuiteSpec::of(0xffff).is_err());
    }

    #[test]
    fn padding() {
        assert_eq!(strip_padding(&[1, 2, 3, 1, 1]).unwrap(), &[1, 2, 3]);
        assert_eq!(strip_padding(&[7, 0]).unwrap(), &[7]);
        assert!(strip_padding(&[1, 2, 3, 2, 2]).is_err());
        assert!(strip_padding(&[5]).is_err());
        assert!(strip_padding(&[]).is_err());
    }

    /// Garbage in every suite: errors, never a panic.
    #[test]
    fn garbage_never_panics() {
        for code in [
            0x0002u16, 0x003b, 0x002f, 0x0035, 0xc02f, 0xc030, 0xcca8, 0x1301, 0x1302, 0x1303,
        ] {
            let spec = SuiteSpec::of(code).unwrap();
            let mut o = if spec.tls13 {
                RecordOpener::tls13(spec, &[1; 48]).unwrap()
            } else {
                RecordOpener::tls12(
                    spec,
                    &[2; 48],
                    &[3; 32],
                    &[4; 32],
                    Writer::Server,
                    code == 0x002f,
                )
                .unwrap()
            };
            for n in [0usize, 1, 8, 15, 16, 17, 24, 31, 32, 33, 48, 64, 100] {
                let frag: Vec<u8> = (0..n).map(|i| i as u8).collect();
                assert!(o.open(23, 0x0303, &frag).is_err(), "{code:04x} {n}");
            }
            assert_eq!(o.seq, 13);
        }
    }
}
