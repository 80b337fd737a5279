//! Per-SA ESP processing (RFC 4303 §3.3 outbound, §3.4 inbound) with the keyed transforms
//! of TS 33.203 Annex H precomputed once ([`SaCrypto`]); `seal` and `open` write into
//! caller-owned buffers and do not allocate once those buffers have grown.

use super::packet::{parse_trailer, HEADER_LEN};
use super::transform::{Enc, Integ};
use super::EspError;
use crate::mech::algorithms::{check_pair, EncAlg, IntegAlg, PairError};
use std::ops::Range;

/// Supplies the per-packet IV (RFC 4303 §2.3). Injected so that ESP stays pure: tests use
/// fixed IVs, a live SA uses a counter (RFC 4106 §3.1 allows a counter for GCM/GMAC;
/// CBC needs unpredictable IVs, RFC 3602 §2.1, so a live SA should pass a CSPRNG closure).
pub trait IvSource {
    /// Fills `iv` (8 or 16 octets, see [`SaCrypto::iv_len`]).
    fn fill_iv(&mut self, iv: &mut [u8]);
}

impl<F: FnMut(&mut [u8])> IvSource for F {
    fn fill_iv(&mut self, iv: &mut [u8]) {
        self(iv)
    }
}

/// Always the same IV (known-answer tests only; never reuse a GCM IV on a live SA).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixedIv(pub Vec<u8>);

impl IvSource for FixedIv {
    fn fill_iv(&mut self, iv: &mut [u8]) {
        for (d, s) in iv
            .iter_mut()
            .zip(self.0.iter().chain(std::iter::repeat(&0)))
        {
            *d = *s;
        }
    }
}

/// A 64-bit big-endian counter, right-aligned in the IV and incremented per packet
/// (RFC 4106 §3.1 / RFC 4543 §3.1: unique per key is all GCM/GMAC need).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CounterIv(pub u64);

impl IvSource for CounterIv {
    fn fill_iv(&mut self, iv: &mut [u8]) {
        let c = self.0.to_be_bytes();
        let n = iv.len();
        iv.fill(0);
        let k = n.min(8);
        if let (Some(d), Some(s)) = (iv.get_mut(n - k..), c.get(8 - k..)) {
            d.copy_from_slice(s);
        }
        self.0 = self.0.wrapping_add(1);
    }
}

/// What the padding octets contain (RFC 4303 §2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PadFill {
    /// The default monotone 1, 2, 3, ... (what receivers verify).
    #[default]
    Monotone,
    /// Every padding octet is this value (to test a peer's padding check).
    Byte(u8),
}

/// Padding to emit on seal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Padding {
    /// Octets beyond the minimum; must keep the alignment (multiple of the block size /
    /// 4 octets), total padding at most 255 (RFC 4303 §2.4, e.g. for TFC-style length hiding).
    pub extra: u8,
    pub fill: PadFill,
}

/// Header fields and options of one outbound packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SealParams {
    pub spi: u32,
    /// Low 32 bits of the sequence number (the transmitted field, RFC 4303 §2.2).
    pub seq: u32,
    /// High 32 bits when the SA uses Extended Sequence Numbers (RFC 4303 §2.2.1): not
    /// transmitted, only covered by the ICV / GCM AAD. `None`: 32-bit sequence numbers.
    pub seq_hi: Option<u32>,
    /// Next Header: 4/41 tunnel, 17/6 transport, 59 dummy (only for the flawed-SUT
    /// variant `send-dummy`; TS 33.203 Annex M M.6.2 forbids it).
    pub next_header: u8,
    pub padding: Padding,
}

/// A verified and decrypted packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    pub spi: u32,
    pub seq: u32,
    pub next_header: u8,
    /// The payload data, as a range of the output buffer (`open`) or the packet (`open_in_place`).
    pub payload: Range<usize>,
    /// The padding octets (already verified monotone), same buffer as `payload`.
    pub padding: Range<usize>,
}

impl Opened {
    /// Next Header 59: a dummy packet to discard (RFC 4303 §2.6).
    pub fn is_dummy(&self) -> bool {
        self.next_header == super::NH_DUMMY
    }
}

/// Length of an ICV that an SA carries but cannot check because its integrity key is unknown
/// (Wireshark's esp_sa "ANY 64/96/128 bit authentication [no checking]"). Used to decrypt
/// third-party captures whose authentication key was not published: the ICV octets are
/// skipped (RFC 4303 §2.8 places them after the Next Header), nothing is authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UncheckedIcv {
    Bits64,
    /// The length of HMAC-MD5-96 / HMAC-SHA-1-96 (RFC 2403 §2, RFC 2404 §2).
    Bits96,
    /// The length of AES-GMAC / HMAC-SHA-256-128 (RFC 4543 §3, RFC 4868 §2.3).
    Bits128,
}

impl UncheckedIcv {
    pub const ALL: [UncheckedIcv; 3] = [
        UncheckedIcv::Bits64,
        UncheckedIcv::Bits96,
        UncheckedIcv::Bits128,
    ];
    /// ICV length in octets (8, 12 or 16).
    pub const fn octets(self) -> usize {
        match self {
            UncheckedIcv::Bits64 => 8,
            UncheckedIcv::Bits96 => 12,
            UncheckedIcv::Bits128 => 16,
        }
    }
}

/// The keyed transforms of one SA (RFC 4303 §3.2), built once and used for every packet.
#[derive(Clone)]
pub struct SaCrypto {
    integ_alg: IntegAlg,
    enc_alg: EncAlg,
    integ: Integ,
    enc: Enc,
    /// When false, received padding is not checked for the monotone pattern (RFC 4303 §2.4
    /// leaves that check to the receiver; default true).
    pub verify_padding: bool,
    /// When true (default), `open` refuses a payload+trailer not a multiple of 4 octets
    /// (RFC 4303 §2.4 "MUST" for the sender). Block alignment of CBC is always enforced.
    pub check_alignment: bool,
    /// When false, the separate integrity transform's ICV is not checked. Only for the flawed
    /// P-CSCF variant `no-icv-check`; an AEAD (aes-gcm) always checks its tag, since it
    /// cannot decrypt without it.
    pub verify_icv: bool,
}

impl std::fmt::Debug for SaCrypto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print keys.
        f.debug_struct("SaCrypto")
            .field("integ", &self.integ_alg)
            .field("enc", &self.enc_alg)
            .finish_non_exhaustive()
    }
}

impl SaCrypto {
    /// Builds the transforms. Key lengths: hmac-md5-96 16, hmac-sha-1-96 20, aes-gmac 16
    /// (integ key; salt 4), des-ede3-cbc 24, aes-cbc 16, aes-gcm 16 (enc key; salt 4).
    /// `salt` must be empty unless the SA uses aes-gcm or aes-gmac (RFC 4106 §8.1, RFC 4543 §3.2).
    /// Refuses pairs that `check_pair` refuses (null+null in particular, RFC 4303 §5).
    pub fn new(
        integ_alg: IntegAlg,
        enc_alg: EncAlg,
        integ_key: &[u8],
        enc_key: &[u8],
        salt: &[u8],
    ) -> Result<SaCrypto, EspError> {
        check_pair(integ_alg, enc_alg)?;
        Self::build(integ_alg, enc_alg, integ_key, enc_key, salt)
    }

    /// Keys the transforms of an allowed pair, with every receive check on.
    fn build(
        integ_alg: IntegAlg,
        enc_alg: EncAlg,
        integ_key: &[u8],
        enc_key: &[u8],
        salt: &[u8],
    ) -> Result<SaCrypto, EspError> {
        let (integ, enc) = super::transform::build(integ_alg, enc_alg, integ_key, enc_key, salt)?;
        Ok(SaCrypto {
            integ_alg,
            enc_alg,
            integ,
            enc,
            verify_padding: true,
            check_alignment: true,
            verify_icv: true,
        })
    }

    /// As [`Self::new`] but accepts any pair RFC 4303 allows that this module implements,
    /// i.e. additionally confidentiality-only SAs (alg=null with des-ede3-cbc or aes-cbc,
    /// RFC 4303 §3.2 "confidentiality-only"). TS 33.203 Annex H forbids them on IMS SAs; they
    /// exist for RFC 3602/Linux known-answer packets and flawed-SUT variants. Still refuses
    /// null+null (RFC 4303 §5), a separate integrity transform with aes-gcm, and aes-gmac
    /// with encryption (neither has a defined packet layout).
    pub fn new_lenient(
        integ_alg: IntegAlg,
        enc_alg: EncAlg,
        integ_key: &[u8],
        enc_key: &[u8],
        salt: &[u8],
    ) -> Result<SaCrypto, EspError> {
        match check_pair(integ_alg, enc_alg) {
            Ok(()) | Err(PairError::NullIntegWithoutAead) => {}
            Err(e) => return Err(e.into()),
        }
        Self::build(integ_alg, enc_alg, integ_key, enc_key, salt)
    }

    /// An SA whose ICV of `icv` length is skipped, not verified: decryption only, for
    /// captures whose integrity key is unknown (Wireshark "ANY n bit authentication [no
    /// checking]"). `integ_alg()` is then `Null`, [`Self::unchecked_icv`] is `Some`, and
    /// `verify_icv` is false (setting it to true makes every packet fail with `IcvBad`, since
    /// there is nothing to verify against). `seal` writes an all-zero ICV of that length.
    /// `enc_alg` may be `Null` (an ealg=null capture without its integrity key: RFC 4303 §5
    /// forbids such an SA for traffic; here it only reads a capture). Refuses aes-gcm, whose
    /// ICV is its own tag (RFC 4106 §3; Wireshark refuses that combination too).
    pub fn new_unchecked_icv(
        enc_alg: EncAlg,
        enc_key: &[u8],
        salt: &[u8],
        icv: UncheckedIcv,
    ) -> Result<SaCrypto, EspError> {
        if enc_alg == EncAlg::AesGcm {
            return Err(PairError::AeadWithSeparateInteg.into());
        }
        let (_, enc) = super::transform::build(IntegAlg::Null, enc_alg, &[], enc_key, salt)?;
        Ok(SaCrypto {
            integ_alg: IntegAlg::Null,
            enc_alg,
            integ: Integ::Unchecked(icv.octets()),
            enc,
            verify_padding: true,
            check_alignment: true,
            verify_icv: false,
        })
    }

    /// `Some` for an SA built by [`Self::new_unchecked_icv`].
    pub fn unchecked_icv(&self) -> Option<UncheckedIcv> {
        match self.integ {
            Integ::Unchecked(n) => UncheckedIcv::ALL.into_iter().find(|u| u.octets() == n),
            _ => None,
        }
    }

    /// Whether `open` verifies an ICV at all: an AEAD tag (aes-gcm, always checked) or a
    /// separate integrity transform with `verify_icv` set. False for unchecked-ICV SAs,
    /// confidentiality-only SAs ([`Self::new_lenient`]) and `verify_icv = false`.
    pub fn icv_verified(&self) -> bool {
        self.enc.icv_len() > 0 || (self.verify_icv && self.integ.icv_len() > 0)
    }

    pub fn integ_alg(&self) -> IntegAlg {
        self.integ_alg
    }
    pub fn enc_alg(&self) -> EncAlg {
        self.enc_alg
    }
    /// Octets of IV carried in each packet (0, 8 or 16).
    pub fn iv_len(&self) -> usize {
        self.enc.iv_len().max(self.integ.iv_len())
    }
    /// Octets of ICV (0, 12 or 16).
    pub fn icv_len(&self) -> usize {
        self.integ.icv_len().max(self.enc.icv_len())
    }
    /// Alignment of payload+padding+2 (cipher block size, at least 4; RFC 4303 §2.4).
    pub fn align(&self) -> usize {
        self.enc.block_len().max(4)
    }
    /// Total ESP packet length for a payload of `payload_len` with minimal padding.
    pub fn sealed_len(&self, payload_len: usize) -> usize {
        let a = self.align();
        let body = (payload_len + 2).div_ceil(a) * a;
        super::HEADER_LEN + self.iv_len() + body + self.icv_len()
    }

    /// Outbound processing (RFC 4303 §3.3): `out` is cleared and receives the ESP packet
    /// SPI .. ICV. Padding is the minimum to reach [`Self::align`] plus `p.padding.extra`.
    pub fn seal(
        &self,
        p: &SealParams,
        payload: &[u8],
        iv: &mut dyn IvSource,
        out: &mut Vec<u8>,
    ) -> Result<(), EspError> {
        let align = self.align();
        let min = (align - (payload.len() + 2) % align) % align;
        let extra = p.padding.extra as usize;
        let pad = min + extra;
        if pad > 255 || extra % align != 0 {
            return Err(EspError::PaddingNotPossible {
                extra: p.padding.extra,
                min,
                align,
            });
        }
        let ivl = self.iv_len();
        let body_start = HEADER_LEN + ivl;
        out.clear();
        out.reserve(body_start + payload.len() + pad + 2 + self.icv_len());
        out.extend_from_slice(&p.spi.to_be_bytes());
        out.extend_from_slice(&p.seq.to_be_bytes());
        out.resize(body_start, 0);
        if let Some(ivbuf) = out.get_mut(HEADER_LEN..body_start) {
            iv.fill_iv(ivbuf);
        }
        out.extend_from_slice(payload);
        for i in 1..=pad {
            out.push(match p.padding.fill {
                PadFill::Monotone => i as u8,
                PadFill::Byte(b) => b,
            });
        }
        out.push(pad as u8);
        out.push(p.next_header);
        let mut header = [0u8; HEADER_LEN];
        header[..4].copy_from_slice(&p.spi.to_be_bytes());
        header[4..].copy_from_slice(&p.seq.to_be_bytes());
        let (head, body) = out.split_at_mut(body_start);
        let ivs = head.get(HEADER_LEN..).unwrap_or(&[]);
        if let Some(tag) = self.enc.encrypt(&header, p.seq_hi, ivs, body)? {
            out.extend_from_slice(&tag);
        }
        let n = self.integ.icv_len();
        if n > 0 {
            let mut icv = [0u8; 16];
            self.integ.compute(out, p.seq_hi, &mut icv);
            out.extend_from_slice(icv.get(..n).unwrap_or(&[]));
        }
        Ok(())
    }

    /// Length and alignment checks, then the ICV check (RFC 4303 §3.4.4: before decryption).
    /// Returns the range of the encrypted part.
    fn check_and_verify(
        &self,
        packet: &[u8],
        seq_hi: Option<u32>,
    ) -> Result<Range<usize>, EspError> {
        let len = packet.len();
        let body_start = HEADER_LEN + self.iv_len();
        let icvl = self.icv_len();
        let min = body_start + 2 + icvl;
        if len < min {
            return Err(EspError::Truncated { len, min });
        }
        let body_end = len - icvl;
        let body_len = body_end - body_start;
        let block = self.enc.block_len();
        if body_len % block != 0 {
            return Err(EspError::Misaligned {
                len: body_len,
                align: block,
            });
        }
        if self.check_alignment && body_len % 4 != 0 {
            return Err(EspError::Misaligned {
                len: body_len,
                align: 4,
            });
        }
        if self.verify_icv && self.integ.icv_len() > 0 {
            let (data, icv) = packet.split_at(body_end);
            if !self.integ.verify(data, seq_hi, icv) {
                return Err(EspError::IcvBad);
            }
        }
        Ok(body_start..body_end)
    }

    fn header(packet: &[u8]) -> [u8; HEADER_LEN] {
        let mut h = [0u8; HEADER_LEN];
        for (d, s) in h.iter_mut().zip(packet) {
            *d = *s;
        }
        h
    }

    fn finish(
        &self,
        header: &[u8; HEADER_LEN],
        plain: &[u8],
        base: usize,
    ) -> Result<Opened, EspError> {
        let (t, payload, padding) = parse_trailer(plain, self.verify_padding)?;
        let [s0, s1, s2, s3, q0, q1, q2, q3] = *header;
        Ok(Opened {
            spi: u32::from_be_bytes([s0, s1, s2, s3]),
            seq: u32::from_be_bytes([q0, q1, q2, q3]),
            next_header: t.next_header,
            payload: payload.start + base..payload.end + base,
            padding: padding.start + base..padding.end + base,
        })
    }

    /// Inbound processing (RFC 4303 §3.4) of `packet` (starting at the SPI; IP/UDP headers
    /// stripped). `seq_hi`: the high 32 bits inferred for ESN SAs (RFC 4303 Appendix A),
    /// `None` otherwise. `out` is cleared and receives payload || padding || pad length ||
    /// next header; the returned ranges index `out`. Nothing is written on an ICV failure.
    /// The replay check (RFC 4303 §3.4.3) is the caller's (see the `replay` module).
    pub fn open(
        &self,
        packet: &[u8],
        seq_hi: Option<u32>,
        out: &mut Vec<u8>,
    ) -> Result<Opened, EspError> {
        out.clear();
        let body = self.check_and_verify(packet, seq_hi)?;
        let header = Self::header(packet);
        let iv = packet.get(HEADER_LEN..body.start).unwrap_or(&[]);
        let tag = packet.get(body.end..).unwrap_or(&[]);
        out.extend_from_slice(packet.get(body.clone()).unwrap_or(&[]));
        if let Err(e) = self.enc.decrypt(&header, seq_hi, iv, out, tag) {
            out.clear();
            return Err(e);
        }
        self.finish(&header, out, 0)
    }

    /// As [`Self::open`], decrypting in place; the returned ranges index `packet`.
    pub fn open_in_place(
        &self,
        packet: &mut [u8],
        seq_hi: Option<u32>,
    ) -> Result<Opened, EspError> {
        let body = self.check_and_verify(packet, seq_hi)?;
        let header = Self::header(packet);
        let (head, rest) = packet.split_at_mut(body.start);
        let (cipher, tag) = rest.split_at_mut(body.end - body.start);
        let iv = head.get(HEADER_LEN..).unwrap_or(&[]);
        self.enc.decrypt(&header, seq_hi, iv, cipher, tag)?;
        self.finish(&header, cipher, body.start)
    }
}
