//! SRTP/SRTCP cryptographic contexts (RFC 3711 §3.2) and packet processing (§3.3, §3.4).
//!
//! A [`Session`] holds one or more master keys (selected by MKI, §3.2.1), the session keys
//! derived from them (§4.3, re-derived when `index DIV kdr` changes), and per-SSRC state:
//! sender ROC and SRTCP index, receiver ROC/s_l (Appendix A) and replay lists (§3.3.2).
//!
//! Hot path: `protect`/`unprotect` work in place on the caller's buffer, with the keyed AES
//! and HMAC states precomputed; nothing is allocated per packet (a new SSRC adds one entry to
//! the stream table, and only after its first packet authenticated). The tag is compared in
//! constant time (`subtle`).
//!
//! Receive order (RFC 3711 §3.3): MKI lookup, index estimate, replay check, tag check, then
//! decryption, and only then ROC, s_l and the replay list are updated.

use super::kdf::{self, SALT_LEN};
use super::packet::{PacketError, RtcpPacket, RtpPacket, RTCP_HEADER_LEN};
use super::replay::{ReplayError, ReplayList, RocState, DEFAULT_WINDOW};
use super::Suite;
use aes::Aes128;
use cipher::KeyInit;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use subtle::ConstantTimeEq;

type HmacSha1 = Hmac<Sha1>;

/// Length of the E flag || SRTCP index word (RFC 3711 §3.4).
pub const SRTCP_INDEX_LEN: usize = 4;
/// Highest SRTCP index (31 bits, RFC 3711 §3.4).
pub const MAX_SRTCP_INDEX: u32 = 0x7fff_ffff;
/// Largest MKI this implementation takes (RFC 4568 §6.1 allows up to 128 octets).
pub const MAX_MKI_LEN: usize = 128;

/// Why a packet was not protected or not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SrtpError {
    #[error("{0}")]
    Packet(#[from] PacketError),
    #[error("packet of {have} octets is shorter than header, MKI and tag ({need})")]
    Truncated { have: usize, need: usize },
    #[error("buffer of {have} octets cannot hold the protected packet ({need})")]
    BufferTooSmall { have: usize, need: usize },
    #[error("{what}: {have} octets, expected {need}")]
    KeyLength {
        what: &'static str,
        have: usize,
        need: usize,
    },
    #[error("key derivation rate {0} is neither 0 nor a power of 2 up to 2^24 (RFC 3711 §4.3.1)")]
    Kdr(u64),
    #[error("MKI lengths differ or exceed {MAX_MKI_LEN} octets, or several keys without MKI")]
    Mki,
    #[error("no master key has this MKI (RFC 3711 §3.3 step 1)")]
    UnknownMki,
    #[error("authentication tag mismatch (RFC 3711 §3.3 step 5)")]
    AuthFailed,
    #[error("{0}")]
    Replay(#[from] ReplayError),
    #[error("rollover counter exhausted: 2^48 packets under one master key (RFC 3711 §3.3.1)")]
    RocExhausted,
    #[error("SRTCP index exhausted (2^31 packets, RFC 3711 §3.4): a new master key is needed")]
    IndexExhausted,
    #[error("master key lifetime of {0} packets reached (RFC 3711 §9.2, RFC 4568 §6.1)")]
    KeyLifetime(u64),
    #[error("SRTCP packet with E=0 on a session that encrypts SRTCP (RFC 3711 §3.4)")]
    UnencryptedRtcp,
}

/// Session parameters (RFC 3711 §8.2 defaults; RFC 4568 §6.3 SDES session parameters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Key derivation rate: 0 (derive once) or 2^n, n = 0..=24 (RFC 3711 §4.3.1, KDR=n).
    pub kdr: u64,
    /// Replay window in packets (RFC 4568 WSH; clamped to 64..=4096).
    pub window: u32,
    /// RFC 4568 §6.3.2 UNENCRYPTED_SRTP: RTP payloads are sent in clear.
    pub unencrypted_srtp: bool,
    /// RFC 4568 §6.3.2 UNENCRYPTED_SRTCP: SRTCP is sent with E=0.
    pub unencrypted_srtcp: bool,
    /// RFC 4568 §6.3.3 UNAUTHENTICATED_SRTP: no SRTP tag (SRTCP is always authenticated).
    pub unauthenticated_srtp: bool,
    /// Master key lifetime in packets (RFC 4568 `|lifetime`); `None` = RFC 3711 maximum.
    pub lifetime: Option<u64>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            kdr: 0,
            window: DEFAULT_WINDOW,
            unencrypted_srtp: false,
            unencrypted_srtcp: false,
            unauthenticated_srtp: false,
            lifetime: None,
        }
    }
}

/// One master key with its salt and optional MKI (RFC 3711 §3.2.1).
#[derive(Clone, PartialEq, Eq)]
pub struct MasterKey {
    pub key: Vec<u8>,
    pub salt: Vec<u8>,
    pub mki: Vec<u8>,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MasterKey {{ mki: {} }}", hex::encode(&self.mki))
    }
}

impl MasterKey {
    /// A key without MKI.
    pub fn new(key: &[u8], salt: &[u8]) -> MasterKey {
        MasterKey {
            key: key.to_vec(),
            salt: salt.to_vec(),
            mki: Vec::new(),
        }
    }
    /// From RFC 4568 inline `key||salt` (30 octets for the AES-128 suites).
    pub fn from_key_salt(key_salt: &[u8], mki: &[u8]) -> Result<MasterKey, SrtpError> {
        if key_salt.len() != 16 + SALT_LEN {
            return Err(SrtpError::KeyLength {
                what: "inline key||salt",
                have: key_salt.len(),
                need: 16 + SALT_LEN,
            });
        }
        let (k, s) = key_salt.split_at(16);
        Ok(MasterKey {
            key: k.to_vec(),
            salt: s.to_vec(),
            mki: mki.to_vec(),
        })
    }
}

/// Session keys of one direction (SRTP or SRTCP) at one `r` (RFC 3711 §4.3).
#[derive(Clone)]
struct DirKeys {
    r: u64,
    enc: Aes128,
    salt: [u8; SALT_LEN],
    auth: HmacSha1,
}

impl DirKeys {
    fn derive(master: &Aes128, msalt: &[u8; SALT_LEN], labels: [u8; 3], r: u64) -> DirKeys {
        let mut k = [0u8; 16];
        let mut a = [0u8; 20];
        let mut s = [0u8; SALT_LEN];
        kdf::derive(master, msalt, labels[0], r, &mut k);
        kdf::derive(master, msalt, labels[1], r, &mut a);
        kdf::derive(master, msalt, labels[2], r, &mut s);
        DirKeys {
            r,
            enc: Aes128::new(&k.into()),
            salt: s,
            auth: <HmacSha1 as KeyInit>::new_from_slice(&a).unwrap_or_else(|_| {
                // HMAC takes keys of any length: this branch is unreachable.
                <HmacSha1 as KeyInit>::new(&Default::default())
            }),
        }
    }

    /// RFC 3711 §4.1.1: IV = (k_s·2^16) XOR (SSRC·2^64) XOR (i·2^16), AES-CM over `data`.
    fn crypt(&self, ssrc: u32, index: u64, data: &mut [u8]) {
        let mut iv = [0u8; 16];
        iv[..SALT_LEN].copy_from_slice(&self.salt);
        for (d, s) in iv[4..8].iter_mut().zip(ssrc.to_be_bytes()) {
            *d ^= s;
        }
        for (d, s) in iv[8..14].iter_mut().zip(&index.to_be_bytes()[2..8]) {
            *d ^= *s;
        }
        kdf::aes_ctr(&self.enc, iv, data);
    }

    /// HMAC-SHA1 over `parts`, the full 20-octet output.
    fn mac(&self, a: &[u8], b: &[u8]) -> [u8; 20] {
        let mut m = self.auth.clone();
        m.update(a);
        m.update(b);
        m.finalize().into_bytes().into()
    }
}

const RTP_LABELS: [u8; 3] = [kdf::LABEL_RTP_ENC, kdf::LABEL_RTP_AUTH, kdf::LABEL_RTP_SALT];
const RTCP_LABELS: [u8; 3] = [
    kdf::LABEL_RTCP_ENC,
    kdf::LABEL_RTCP_AUTH,
    kdf::LABEL_RTCP_SALT,
];

#[derive(Clone)]
struct KeySet {
    mki: Vec<u8>,
    master: Aes128,
    msalt: [u8; SALT_LEN],
    rtp: DirKeys,
    rtcp: DirKeys,
    used: u64,
}

/// Per-SSRC state (RFC 3711 §3.2.3: one cryptographic context per SSRC).
#[derive(Debug, Clone)]
struct Stream {
    ssrc: u32,
    tx: RocState,
    rx: RocState,
    rx_replay: ReplayList,
    tx_rtcp_index: u32,
    tx_rtcp_exhausted: bool,
    rx_rtcp_replay: ReplayList,
}

impl Stream {
    fn new(ssrc: u32, window: u32) -> Stream {
        Stream {
            ssrc,
            tx: RocState::default(),
            rx: RocState::default(),
            rx_replay: ReplayList::new(window),
            tx_rtcp_index: 0,
            tx_rtcp_exhausted: false,
            rx_rtcp_replay: ReplayList::new(DEFAULT_WINDOW),
        }
    }
}

/// What [`Session::unprotect`] accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpOpened {
    /// Length of the plain RTP packet now at the start of the buffer.
    pub len: usize,
    pub ssrc: u32,
    pub seq: u16,
    pub roc: u32,
    /// The 48-bit packet index.
    pub index: u64,
    /// Which master key (position in the session's key list).
    pub key: usize,
}

/// What [`Session::unprotect_rtcp`] accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtcpOpened {
    /// Length of the plain RTCP compound packet now at the start of the buffer.
    pub len: usize,
    pub ssrc: u32,
    pub index: u32,
    /// The E flag: whether the packet was encrypted.
    pub encrypted: bool,
    pub key: usize,
}

/// An SRTP session: master keys, derived keys and per-SSRC contexts.
#[derive(Clone)]
pub struct Session {
    suite: Suite,
    opts: Options,
    keys: Vec<KeySet>,
    active: usize,
    mki_len: usize,
    streams: Vec<Stream>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("suite", &self.suite)
            .field("opts", &self.opts)
            .field("keys", &self.keys.len())
            .field("mki_len", &self.mki_len)
            .field("streams", &self.streams)
            .finish()
    }
}

impl Session {
    /// A session with one master key (no MKI unless `key.mki` is set).
    pub fn new(suite: Suite, key: MasterKey, opts: Options) -> Result<Session, SrtpError> {
        Session::with_keys(suite, vec![key], opts)
    }

    /// A session with several master keys told apart by MKI (RFC 3711 §3.2.1, RFC 4568
    /// §6.1); all MKIs have the same length. The first key protects outgoing packets.
    pub fn with_keys(
        suite: Suite,
        keys: Vec<MasterKey>,
        opts: Options,
    ) -> Result<Session, SrtpError> {
        if !kdf::valid_kdr(opts.kdr) {
            return Err(SrtpError::Kdr(opts.kdr));
        }
        let mki_len = keys.first().map_or(0, |k| k.mki.len());
        if keys.is_empty()
            || mki_len > MAX_MKI_LEN
            || keys.iter().any(|k| k.mki.len() != mki_len)
            || (mki_len == 0 && keys.len() > 1)
        {
            return Err(SrtpError::Mki);
        }
        let mut sets = Vec::with_capacity(keys.len());
        for k in keys {
            let master = kdf::master_cipher(&k.key).ok_or(SrtpError::KeyLength {
                what: "master key",
                have: k.key.len(),
                need: suite.master_key_len(),
            })?;
            let msalt: [u8; SALT_LEN] =
                k.salt
                    .as_slice()
                    .try_into()
                    .map_err(|_| SrtpError::KeyLength {
                        what: "master salt",
                        have: k.salt.len(),
                        need: SALT_LEN,
                    })?;
            sets.push(KeySet {
                rtp: DirKeys::derive(&master, &msalt, RTP_LABELS, 0),
                rtcp: DirKeys::derive(&master, &msalt, RTCP_LABELS, 0),
                mki: k.mki,
                master,
                msalt,
                used: 0,
            });
        }
        Ok(Session {
            suite,
            opts,
            keys: sets,
            active: 0,
            mki_len,
            streams: Vec::new(),
        })
    }

    pub fn suite(&self) -> Suite {
        self.suite
    }
    pub fn options(&self) -> &Options {
        &self.opts
    }

    /// Chooses the master key that protects outgoing packets (key rollover by MKI).
    pub fn set_active_key(&mut self, k: usize) -> bool {
        if k < self.keys.len() {
            self.active = k;
            true
        } else {
            false
        }
    }

    fn rtp_tag_len(&self) -> usize {
        if self.opts.unauthenticated_srtp {
            0
        } else {
            self.suite.rtp_tag_len()
        }
    }
    fn encrypts_rtp(&self) -> bool {
        self.suite.encrypts() && !self.opts.unencrypted_srtp
    }
    fn encrypts_rtcp(&self) -> bool {
        self.suite.encrypts() && !self.opts.unencrypted_srtcp
    }

    /// Octets `protect` adds to an RTP packet (MKI + tag).
    pub fn rtp_overhead(&self) -> usize {
        self.mki_len + self.rtp_tag_len()
    }
    /// Octets `protect_rtcp` adds to an RTCP packet (E||index + MKI + tag).
    pub fn rtcp_overhead(&self) -> usize {
        SRTCP_INDEX_LEN + self.mki_len + self.suite.rtcp_tag_len()
    }

    fn stream_pos(&self, ssrc: u32) -> Option<usize> {
        self.streams.iter().position(|s| s.ssrc == ssrc)
    }

    fn stream_mut(&mut self, ssrc: u32) -> &mut Stream {
        let pos = match self.stream_pos(ssrc) {
            Some(p) => p,
            None => {
                self.streams.push(Stream::new(ssrc, self.opts.window));
                self.streams.len() - 1
            }
        };
        // `pos` is in range: found above or just pushed.
        &mut self.streams[pos]
    }

    /// Sets the sender's ROC for `ssrc` (e.g. signalled by MIKEY, or a test vector).
    pub fn set_tx_roc(&mut self, ssrc: u32, roc: u32) {
        self.stream_mut(ssrc).tx.roc = roc;
    }
    /// Sets the receiver's ROC for `ssrc` before its first packet.
    pub fn set_rx_roc(&mut self, ssrc: u32, roc: u32) {
        self.stream_mut(ssrc).rx.roc = roc;
    }
    /// Sets the next SRTCP index the sender uses for `ssrc` (RFC 3711 §3.4 starts at 0;
    /// libsrtp starts at 1).
    pub fn set_tx_rtcp_index(&mut self, ssrc: u32, index: u32) {
        let s = self.stream_mut(ssrc);
        s.tx_rtcp_index = index & MAX_SRTCP_INDEX;
        s.tx_rtcp_exhausted = false;
    }

    fn check_lifetime(&self, k: usize) -> Result<(), SrtpError> {
        let limit = self.opts.lifetime.unwrap_or(1 << 48);
        match self.keys.get(k) {
            Some(ks) if ks.used >= limit => Err(SrtpError::KeyLifetime(limit)),
            _ => Ok(()),
        }
    }

    /// Protects the RTP packet `buf[..len]` in place (RFC 3711 §3.3, sender): encrypts the
    /// payload and appends MKI and tag. `buf` must have room for [`Self::rtp_overhead`] more
    /// octets. Returns the SRTP packet length.
    pub fn protect(&mut self, buf: &mut [u8], len: usize) -> Result<usize, SrtpError> {
        let total = len.saturating_add(self.rtp_overhead());
        if buf.len() < total {
            return Err(SrtpError::BufferTooSmall {
                have: buf.len(),
                need: total,
            });
        }
        let (hlen, ssrc, seq) = {
            let p = RtpPacket::new_checked(buf.get(..len).unwrap_or(&[]))?;
            (p.header_len(), p.ssrc(), p.seq())
        };
        let k = self.active;
        self.check_lifetime(k)?;
        let (encrypt, tag_len, mki_len) = (self.encrypts_rtp(), self.rtp_tag_len(), self.mki_len);
        let st = self.stream_mut(ssrc);
        let (v, index) = st.tx.estimate(seq).ok_or(SrtpError::RocExhausted)?;
        st.tx.update(v, seq);
        let ks = self.keys.get_mut(k).ok_or(SrtpError::UnknownMki)?;
        let r = kdf::r_of(index, self.opts.kdr);
        if r != ks.rtp.r {
            ks.rtp = DirKeys::derive(&ks.master, &ks.msalt, RTP_LABELS, r);
        }
        if encrypt {
            if let Some(payload) = buf.get_mut(hlen..len) {
                ks.rtp.crypt(ssrc, index, payload);
            }
        }
        if tag_len > 0 {
            let tag = ks.rtp.mac(buf.get(..len).unwrap_or(&[]), &v.to_be_bytes());
            if let Some(t) = buf.get_mut(len + mki_len..total) {
                t.copy_from_slice(tag.get(..tag_len).unwrap_or(&[]));
            }
        }
        if let Some(m) = buf.get_mut(len..len + mki_len) {
            m.copy_from_slice(&ks.mki);
        }
        ks.used = ks.used.saturating_add(1);
        Ok(total)
    }

    /// [`Self::protect`] on a `Vec` (grows it by the overhead).
    pub fn protect_vec(&mut self, pkt: &mut Vec<u8>) -> Result<(), SrtpError> {
        let grow = self.rtp_overhead();
        in_vec(pkt, grow, |b, len| self.protect(b, len))
    }

    fn key_by_mki(&self, mki: &[u8]) -> Result<usize, SrtpError> {
        if self.mki_len == 0 {
            return Ok(0);
        }
        // MKIs are public values: a plain comparison is fine.
        self.keys
            .iter()
            .position(|k| k.mki == mki)
            .ok_or(SrtpError::UnknownMki)
    }

    /// Verifies and decrypts the SRTP packet `buf` in place (RFC 3711 §3.3, receiver). On
    /// success the plain RTP packet is `buf[..len]`; on error no state has changed.
    pub fn unprotect(&mut self, buf: &mut [u8]) -> Result<RtpOpened, SrtpError> {
        let (tag_len, mki_len) = (self.rtp_tag_len(), self.mki_len);
        let trailer = tag_len + mki_len;
        let n = buf.len();
        let auth_end = n.checked_sub(trailer).ok_or(SrtpError::Truncated {
            have: n,
            need: trailer + 12,
        })?;
        let (hlen, ssrc, seq) = {
            let p = RtpPacket::new_checked(buf.get(..auth_end).unwrap_or(&[]))?;
            (p.header_len(), p.ssrc(), p.seq())
        };
        let k = self.key_by_mki(buf.get(auth_end..auth_end + mki_len).unwrap_or(&[]))?;
        self.check_lifetime(k)?;
        let pos = self.stream_pos(ssrc);
        let fresh;
        let st = match pos.and_then(|p| self.streams.get(p)) {
            Some(s) => s,
            None => {
                fresh = Stream::new(ssrc, self.opts.window);
                &fresh
            }
        };
        let (v, index) = st.rx.estimate(seq).ok_or(SrtpError::RocExhausted)?;
        st.rx_replay.check(index)?;
        let ks = self.keys.get(k).ok_or(SrtpError::UnknownMki)?;
        let r = kdf::r_of(index, self.opts.kdr);
        let rekeyed =
            (r != ks.rtp.r).then(|| DirKeys::derive(&ks.master, &ks.msalt, RTP_LABELS, r));
        let keys = rekeyed.as_ref().unwrap_or(&ks.rtp);
        if tag_len > 0 {
            let want = keys.mac(buf.get(..auth_end).unwrap_or(&[]), &v.to_be_bytes());
            let got = buf.get(auth_end + mki_len..).unwrap_or(&[]);
            let ok: bool = want.get(..tag_len).unwrap_or(&[]).ct_eq(got).into();
            if !ok {
                return Err(SrtpError::AuthFailed);
            }
        }
        if self.encrypts_rtp() {
            if let Some(payload) = buf.get_mut(hlen..auth_end) {
                keys.crypt(ssrc, index, payload);
            }
        }
        // Authenticated: commit the state (RFC 3711 §3.3 step 6).
        if let Some(nk) = rekeyed {
            if let Some(ks) = self.keys.get_mut(k) {
                ks.rtp = nk;
            }
        }
        if let Some(ks) = self.keys.get_mut(k) {
            ks.used = ks.used.saturating_add(1);
        }
        let window = self.opts.window;
        let st = match pos {
            Some(p) => self.streams.get_mut(p),
            None => {
                self.streams.push(Stream::new(ssrc, window));
                self.streams.last_mut()
            }
        };
        if let Some(st) = st {
            st.rx.update(v, seq);
            st.rx_replay.update(index);
        }
        Ok(RtpOpened {
            len: auth_end,
            ssrc,
            seq,
            roc: v,
            index,
            key: k,
        })
    }

    /// Protects the RTCP compound packet `buf[..len]` in place (RFC 3711 §3.4, sender):
    /// encrypts from octet 8 (unless UNENCRYPTED_SRTCP or the NULL cipher: then E=0), appends
    /// E||SRTCP index, MKI and the tag (always present; 80 bits for every suite here, RFC
    /// 4568 §6.2). Returns the SRTCP packet length.
    pub fn protect_rtcp(&mut self, buf: &mut [u8], len: usize) -> Result<usize, SrtpError> {
        let total = len.saturating_add(self.rtcp_overhead());
        if buf.len() < total {
            return Err(SrtpError::BufferTooSmall {
                have: buf.len(),
                need: total,
            });
        }
        let ssrc = RtcpPacket::new_checked(buf.get(..len).unwrap_or(&[]))?.ssrc();
        let k = self.active;
        self.check_lifetime(k)?;
        let encrypt = self.encrypts_rtcp();
        let (tag_len, mki_len) = (self.suite.rtcp_tag_len(), self.mki_len);
        let st = self.stream_mut(ssrc);
        if st.tx_rtcp_exhausted {
            return Err(SrtpError::IndexExhausted);
        }
        let index = st.tx_rtcp_index;
        if index == MAX_SRTCP_INDEX {
            st.tx_rtcp_exhausted = true;
        } else {
            st.tx_rtcp_index = index + 1;
        }
        let ks = self.keys.get_mut(k).ok_or(SrtpError::UnknownMki)?;
        let r = kdf::r_of(u64::from(index), self.opts.kdr);
        if r != ks.rtcp.r {
            ks.rtcp = DirKeys::derive(&ks.master, &ks.msalt, RTCP_LABELS, r);
        }
        if encrypt {
            if let Some(body) = buf.get_mut(RTCP_HEADER_LEN..len) {
                ks.rtcp.crypt(ssrc, u64::from(index), body);
            }
        }
        let word = if encrypt { index | 0x8000_0000 } else { index };
        let idx_end = len + SRTCP_INDEX_LEN;
        if let Some(w) = buf.get_mut(len..idx_end) {
            w.copy_from_slice(&word.to_be_bytes());
        }
        let tag = ks.rtcp.mac(buf.get(..idx_end).unwrap_or(&[]), &[]);
        if let Some(m) = buf.get_mut(idx_end..idx_end + mki_len) {
            m.copy_from_slice(&ks.mki);
        }
        if let Some(t) = buf.get_mut(idx_end + mki_len..total) {
            t.copy_from_slice(tag.get(..tag_len).unwrap_or(&[]));
        }
        ks.used = ks.used.saturating_add(1);
        Ok(total)
    }

    /// [`Self::protect_rtcp`] on a `Vec`.
    pub fn protect_rtcp_vec(&mut self, pkt: &mut Vec<u8>) -> Result<(), SrtpError> {
        let grow = self.rtcp_overhead();
        in_vec(pkt, grow, |b, len| self.protect_rtcp(b, len))
    }

    /// Verifies and decrypts the SRTCP packet `buf` in place (RFC 3711 §3.4, receiver). The
    /// tag is mandatory; any start index is accepted; an E=0 packet is refused when the
    /// session encrypts SRTCP (a downgrade to clear RTCP, which RFC 3711 §3.4 lets only the
    /// sender's configuration decide). On error no state has changed.
    pub fn unprotect_rtcp(&mut self, buf: &mut [u8]) -> Result<RtcpOpened, SrtpError> {
        let (tag_len, mki_len) = (self.suite.rtcp_tag_len(), self.mki_len);
        let n = buf.len();
        let need = RTCP_HEADER_LEN + SRTCP_INDEX_LEN + mki_len + tag_len;
        if n < need {
            return Err(SrtpError::Truncated { have: n, need });
        }
        let idx_end = n - tag_len - mki_len;
        let body_end = idx_end - SRTCP_INDEX_LEN;
        let ssrc = RtcpPacket::new_checked(buf.get(..body_end).unwrap_or(&[]))?.ssrc();
        let word = match buf.get(body_end..idx_end) {
            Some(&[a, b, c, d]) => u32::from_be_bytes([a, b, c, d]),
            _ => 0,
        };
        let encrypted = word & 0x8000_0000 != 0;
        let index = word & MAX_SRTCP_INDEX;
        let k = self.key_by_mki(buf.get(idx_end..idx_end + mki_len).unwrap_or(&[]))?;
        self.check_lifetime(k)?;
        let pos = self.stream_pos(ssrc);
        if let Some(st) = pos.and_then(|p| self.streams.get(p)) {
            st.rx_rtcp_replay.check(u64::from(index))?;
        }
        let ks = self.keys.get(k).ok_or(SrtpError::UnknownMki)?;
        let r = kdf::r_of(u64::from(index), self.opts.kdr);
        let rekeyed =
            (r != ks.rtcp.r).then(|| DirKeys::derive(&ks.master, &ks.msalt, RTCP_LABELS, r));
        let keys = rekeyed.as_ref().unwrap_or(&ks.rtcp);
        let want = keys.mac(buf.get(..idx_end).unwrap_or(&[]), &[]);
        let got = buf.get(idx_end + mki_len..).unwrap_or(&[]);
        let ok: bool = want.get(..tag_len).unwrap_or(&[]).ct_eq(got).into();
        if !ok {
            return Err(SrtpError::AuthFailed);
        }
        if !encrypted && self.encrypts_rtcp() {
            return Err(SrtpError::UnencryptedRtcp);
        }
        if encrypted && self.suite.encrypts() {
            if let Some(body) = buf.get_mut(RTCP_HEADER_LEN..body_end) {
                keys.crypt(ssrc, u64::from(index), body);
            }
        }
        if let Some(nk) = rekeyed {
            if let Some(ks) = self.keys.get_mut(k) {
                ks.rtcp = nk;
            }
        }
        if let Some(ks) = self.keys.get_mut(k) {
            ks.used = ks.used.saturating_add(1);
        }
        self.stream_mut(ssrc)
            .rx_rtcp_replay
            .update(u64::from(index));
        Ok(RtcpOpened {
            len: body_end,
            ssrc,
            index,
            encrypted,
            key: k,
        })
    }
}

/// The raw AES-CM keystream of RFC 3711 §4.1.1 for a session key and salt (RFC 3711 B.2).
pub fn aes_cm_keystream(
    session_key: &[u8],
    session_salt: &[u8],
    ssrc: u32,
    index: u64,
    out: &mut [u8],
) -> Result<(), SrtpError> {
    let enc = Aes128::new_from_slice(session_key).map_err(|_| SrtpError::KeyLength {
        what: "session key",
        have: session_key.len(),
        need: 16,
    })?;
    let salt: [u8; SALT_LEN] = session_salt.try_into().map_err(|_| SrtpError::KeyLength {
        what: "session salt",
        have: session_salt.len(),
        need: SALT_LEN,
    })?;
    let dk = DirKeys {
        r: 0,
        enc,
        salt,
        auth: <HmacSha1 as KeyInit>::new(&Default::default()),
    };
    out.fill(0);
    dk.crypt(ssrc, index, out);
    Ok(())
}

/// Session keys derived from a master key (RFC 3711 §4.3), for vectors and diagnostics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DerivedKeys {
    pub rtp_enc: [u8; 16],
    pub rtp_auth: [u8; 20],
    pub rtp_salt: [u8; SALT_LEN],
    pub rtcp_enc: [u8; 16],
    pub rtcp_auth: [u8; 20],
    pub rtcp_salt: [u8; SALT_LEN],
}

/// Derives the six session values at `index` with rate `kdr` (RFC 3711 §4.3.1).
pub fn derive_keys(
    master_key: &[u8],
    master_salt: &[u8],
    kdr: u64,
    index: u64,
) -> Result<DerivedKeys, SrtpError> {
    if !kdf::valid_kdr(kdr) {
        return Err(SrtpError::Kdr(kdr));
    }
    let m = kdf::master_cipher(master_key).ok_or(SrtpError::KeyLength {
        what: "master key",
        have: master_key.len(),
        need: 16,
    })?;
    let s: [u8; SALT_LEN] = master_salt.try_into().map_err(|_| SrtpError::KeyLength {
        what: "master salt",
        have: master_salt.len(),
        need: SALT_LEN,
    })?;
    let r = kdf::r_of(index, kdr);
    let mut d = DerivedKeys {
        rtp_enc: [0; 16],
        rtp_auth: [0; 20],
        rtp_salt: [0; SALT_LEN],
        rtcp_enc: [0; 16],
        rtcp_auth: [0; 20],
        rtcp_salt: [0; SALT_LEN],
    };
    kdf::derive(&m, &s, kdf::LABEL_RTP_ENC, r, &mut d.rtp_enc);
    kdf::derive(&m, &s, kdf::LABEL_RTP_AUTH, r, &mut d.rtp_auth);
    kdf::derive(&m, &s, kdf::LABEL_RTP_SALT, r, &mut d.rtp_salt);
    kdf::derive(&m, &s, kdf::LABEL_RTCP_ENC, r, &mut d.rtcp_enc);
    kdf::derive(&m, &s, kdf::LABEL_RTCP_AUTH, r, &mut d.rtcp_auth);
    kdf::derive(&m, &s, kdf::LABEL_RTCP_SALT, r, &mut d.rtcp_salt);
    Ok(d)
}

/// Runs an in-place protect on a `Vec` grown by `grow` octets; on error it is left as it was.
fn in_vec(
    pkt: &mut Vec<u8>,
    grow: usize,
    protect: impl FnOnce(&mut [u8], usize) -> Result<usize, SrtpError>,
) -> Result<(), SrtpError> {
    let len = pkt.len();
    pkt.resize(len + grow, 0);
    match protect(pkt, len) {
        Ok(n) => {
            pkt.truncate(n);
            Ok(())
        }
        Err(e) => {
            pkt.truncate(len);
            Err(e)
        }
    }
}
