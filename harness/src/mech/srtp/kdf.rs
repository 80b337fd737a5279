//! SRTP key derivation (RFC 3711 §4.3) with the AES-CM PRF (§4.3.3).
//!
//! For label `l` and packet index `i` (48-bit SRTP index, or 31-bit SRTCP index):
//! `r = i DIV key_derivation_rate` (0 when the rate is 0), `key_id = l || r` (8 + 48 bits),
//! `x = key_id XOR master_salt` (right-aligned on the 112-bit salt), and the session value is
//! the first n bits of `AES-CM(master_key, IV = x · 2^16)` (§4.3.1, §4.3.3).
//!
//! SRTCP uses the same 48-bit `r` (from the 31-bit SRTCP index), so the label always sits in
//! salt octet 7. This is what libsrtp does and what its SRTCP test packets need. NIST SP 800-135
//! §5.3 (and the ACVP vectors in OpenSSL's `evpkdf_srtp.txt`) put the label next to a 32-bit `r`
//! for SRTCP instead, which gives other SRTCP keys even at kdr 0. imsec keeps the libsrtp layout
//! because a harness has to interoperate with deployed SRTP stacks (see vectors/srtp_kdf.yaml).

use aes::Aes128;
use cipher::{InnerIvInit, KeyInit, StreamCipher};

/// §4.3.2 labels.
pub const LABEL_RTP_ENC: u8 = 0x00;
pub const LABEL_RTP_AUTH: u8 = 0x01;
pub const LABEL_RTP_SALT: u8 = 0x02;
pub const LABEL_RTCP_ENC: u8 = 0x03;
pub const LABEL_RTCP_AUTH: u8 = 0x04;
pub const LABEL_RTCP_SALT: u8 = 0x05;

/// Length of the master salt (n_s = 112 bits, RFC 3711 §8.2 default).
pub const SALT_LEN: usize = 14;

/// `r = index DIV kdr` (RFC 3711 §4.3.1); `kdr` 0 means "derive once" (r = 0).
/// `kdr` must be 0 or a power of two in 1..=2^24 ([`valid_kdr`]).
pub fn r_of(index: u64, kdr: u64) -> u64 {
    if kdr == 0 {
        0
    } else {
        index >> kdr.trailing_zeros()
    }
}

/// RFC 3711 §4.3.1: the key derivation rate is 0 or a power of 2 between 1 and 2^24.
pub fn valid_kdr(kdr: u64) -> bool {
    kdr == 0 || (kdr.is_power_of_two() && kdr <= 1 << 24)
}

/// Fills `out` with the PRF output for `label` at `r` (RFC 3711 §4.3.1, §4.3.3): AES-CM
/// keyed with the master key, IV = ((label || r) XOR master_salt) · 2^16.
pub fn derive(
    master_key: &Aes128,
    master_salt: &[u8; SALT_LEN],
    label: u8,
    r: u64,
    out: &mut [u8],
) {
    let mut iv = [0u8; 16];
    iv[..SALT_LEN].copy_from_slice(master_salt);
    // key_id = label (8 bits) || r (48 bits), aligned on the least significant end of the
    // 112-bit salt: salt octets 7..14 (label at octet 7, r in octets 8..14).
    iv[7] ^= label;
    let rb = r.to_be_bytes();
    for (d, s) in iv[8..14].iter_mut().zip(&rb[2..8]) {
        *d ^= *s;
    }
    out.fill(0);
    aes_ctr(master_key, iv, out);
}

/// AES in counter mode (128-bit big-endian counter starting at `iv`) over `data`: the
/// AES-CM keystream generator of RFC 3711 §4.1.1 (at most 2^16 blocks per call in SRTP).
pub fn aes_ctr(key: &Aes128, iv: [u8; 16], data: &mut [u8]) {
    let core = ctr::CtrCore::<&Aes128, ctr::flavors::Ctr128BE>::inner_iv_init(key, &iv.into());
    cipher::StreamCipherCoreWrapper::from_core(core).apply_keystream(data);
}

/// Builds the master-key cipher; `None` unless the key is 16 octets (AES-128).
pub fn master_cipher(master_key: &[u8]) -> Option<Aes128> {
    Aes128::new_from_slice(master_key).ok()
}
