//! The built-in IMS Access Gateway (TS 33.328 §6.2.1.1, §6.2.1.3, §7.2.1 step 9, §7.3.1
//! step 9): the media node the P-CSCF (IMS-ALG) puts in the media path for e2ae security.
//! Sans-I/O: it takes the datagrams that arrive on its ports and returns what to send.
//!
//! Towards the UE it terminates SRTP/SRTCP (RFC 3711), towards the network it sends and takes
//! plain RTP/RTCP (§6.2.1.1: "The IMS Access GW shall send unprotected packets to and receive
//! unprotected packets from the network"). Per stream, the P-CSCF gives it the two SDES lines
//! of the Iq instruction (§6.2.1.3.1):
//! - what the UE sends is authenticated, replay-checked (RFC 3711 §3.3.2) and decrypted with
//!   the UE's key (`from_ue`: K11 originating, K22 terminating), then forwarded as RTP;
//! - what the network sends is encrypted and authenticated with the P-CSCF's key (`to_ue`:
//!   K12 / K21), never the UE's, then sent to the UE;
//! - RTCP likewise as SRTCP, whose authentication tag is mandatory (RFC 3711 §3.4; TS 33.328
//!   §5.2: "RTCP shall be integrity protected using SRTCP");
//! - an instruction whose line uses a null-encryption suite or turns encryption or SRTP
//!   authentication off is refused (TS 33.328 §5.3 "should not be used": imsec's gateway
//!   makes it a must, as [`crate::mech::sdp::offer_answer::ims_acceptable`] does for the ALG).
//!
//! Ports (a choice: the text leaves them to the implementation): a fixed pool on the
//! P-CSCF's address, bound when the P-CSCF starts, [`DEFAULT_STREAMS`] streams from
//! [`DEFAULT_BASE_PORT`]. Stream `i` has four ports: the UE side's RTP port `base + 4i` and
//! the core side's `base + 4i + 2`, each with RTCP on the next (odd) port (RFC 3550 §11).
//! Four streams cover two calls with audio and video; every bound port costs a reader thread
//! per lab, and labs run in parallel.
//!
//! The peers' addresses come from SDP: the UE's c=/m= (`ue_peer`) and the core's (`core_peer`);
//! their RTCP is on port + 1 (no `a=rtcp`, RFC 3605, is read). Packets are accepted from any
//! source address (no latching): the keys, not the address, authenticate the UE.
//!
//! Flawed variants (P-CSCF flaws `agw-*`, since this gateway is part of the built-in
//! P-CSCF): [`AgwFlaws`].

#[cfg(test)]
mod tests;

use crate::mech::sdp::{offer_answer, CryptoAttr, Fingerprint};
use crate::mech::srtp::{
    self, derive_keys, MasterKey, Options, RtcpPacket, Session, SrtpError, Suite,
};
use crate::roles::gm::Wire;
use crate::roles::imsalg::IqInstruction;
use crate::roles::pcscf::{Flaw, Flaws};
use std::net::{IpAddr, SocketAddr};

/// First port of the pool.
pub const DEFAULT_BASE_PORT: u16 = 40000;
/// Streams in the pool.
pub const DEFAULT_STREAMS: u16 = 4;
/// Log lines kept (the oldest go first): a media flood must not grow memory.
const MAX_LOG: usize = 512;

/// Deliberate defects of the gateway (each breaks one rule; see the P-CSCF's [`Flaw`]s).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AgwFlaws {
    /// `agw-no-replay-check`: a replayed SRTP packet from the UE is forwarded
    /// (RFC 3711 §3.3.2).
    pub no_replay_check: bool,
    /// `agw-no-auth-check`: an SRTP packet from the UE whose tag does not verify is decrypted
    /// and forwarded anyway (RFC 3711 §3.3 step 5).
    pub no_auth_check: bool,
    /// `agw-reuse-ue-key`: media to the UE is protected with the UE's own key (`from_ue`)
    /// instead of the P-CSCF's (`to_ue`, TS 33.328 §7.2.1 step 7, §7.3.1 step 6).
    pub reuse_ue_key: bool,
    /// `agw-accept-unauth-srtcp`: SRTCP without a tag (body || E||index) is taken and
    /// forwarded (RFC 3711 §3.4: the tag is mandatory; TS 33.328 §5.2).
    pub accept_unauth_srtcp: bool,
    /// `agw-msrp-no-fingerprint-check`: the MSRP relay accepts any client certificate, not
    /// only the one whose fingerprint the UE signalled (RFC 4975 §14.2, RFC 8122 §5).
    pub msrp_no_fingerprint_check: bool,
    /// `agw-msrp-null-suite`: the MSRP relay takes a null-cipher TLS suite when offered one
    /// (TS 33.328 §5.4.1: MSRP over TLS is for confidentiality).
    pub msrp_null_suite: bool,
}

impl AgwFlaws {
    /// The gateway flaws among a P-CSCF variant's flaws.
    pub fn from_pcscf(f: &Flaws) -> AgwFlaws {
        AgwFlaws {
            no_replay_check: f.contains(&Flaw::AgwNoReplayCheck),
            no_auth_check: f.contains(&Flaw::AgwNoAuthCheck),
            reuse_ue_key: f.contains(&Flaw::AgwReuseUeKey),
            accept_unauth_srtcp: f.contains(&Flaw::AgwAcceptUnauthSrtcp),
            msrp_no_fingerprint_check: f.contains(&Flaw::AgwMsrpNoFingerprintCheck),
            msrp_null_suite: f.contains(&Flaw::AgwMsrpNullSuite),
        }
    }
}

/// Where the gateway listens.
#[derive(Debug, Clone)]
pub struct AgwConfig {
    pub addr: IpAddr,
    /// First port of the pool (even).
    pub base_port: u16,
    pub streams: u16,
    pub flaws: AgwFlaws,
}

impl AgwConfig {
    /// The default pool on `addr`.
    pub fn on(addr: IpAddr) -> AgwConfig {
        AgwConfig {
            addr,
            base_port: DEFAULT_BASE_PORT,
            streams: DEFAULT_STREAMS,
            flaws: AgwFlaws::default(),
        }
    }
}

/// The RTP ports of one stream on the gateway (RTCP: port + 1, RFC 3550 §11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StreamPorts {
    /// Where the UE sends SRTP (goes into the SDP towards the UE).
    pub ue_side: SocketAddr,
    /// Where the core sends RTP (goes into the SDP towards the S-CSCF).
    pub core_side: SocketAddr,
}

impl StreamPorts {
    fn all(&self) -> [SocketAddr; 4] {
        [
            self.ue_side,
            rtcp_of(self.ue_side),
            self.core_side,
            rtcp_of(self.core_side),
        ]
    }
}

/// The RTCP address that goes with an RTP address (RFC 3550 §11: the next port).
pub fn rtcp_of(a: SocketAddr) -> SocketAddr {
    SocketAddr::new(a.ip(), a.port().wrapping_add(1))
}

/// Why the gateway cannot set up a stream.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AgwError {
    #[error("ports {0:?} are not a stream of this gateway's pool")]
    UnknownPorts(StreamPorts),
    #[error("{which} line not acceptable (TS 33.328 §5.2/§5.3: an encrypting suite, SRTP and SRTCP authenticated): {line}")]
    Unacceptable { which: &'static str, line: String },
    #[error("{which} line: {why}")]
    Params { which: &'static str, why: String },
    #[error("from_ue and to_ue use different suites ({0} / {1})")]
    SuiteMismatch(Suite, Suite),
}

/// Packet counters of one stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StreamStats {
    /// SRTP from the UE forwarded as RTP.
    pub to_core: u64,
    /// SRTCP from the UE forwarded as RTCP.
    pub rtcp_to_core: u64,
    /// RTP from the core sent as SRTP.
    pub to_ue: u64,
    /// RTCP from the core sent as SRTCP.
    pub rtcp_to_ue: u64,
    /// Packets dropped (authentication, replay, malformed, ...).
    pub dropped: u64,
}

/// The SRTP contexts of one stream.
struct SrtpPair {
    /// Opens what the UE sends (`from_ue`).
    rx: Session,
    /// Protects what goes to the UE (`to_ue`; the UE's key in the `agw-reuse-ue-key` variant).
    tx: Session,
    /// The `from_ue` context as installed (flawed variants open packets with a copy of it).
    rx_fresh: Session,
    /// `from_ue` master keys (the `agw-accept-unauth-srtcp` variant decrypts by hand).
    rx_keys: Vec<MasterKey>,
}

enum Media {
    Srtp(Box<SrtpPair>),
    /// MSRP: relayed by the network edge ([`crate::net::msrp_relay`]) from the shared table;
    /// datagrams on its ports are dropped.
    Msrp,
}

struct Stream {
    ports: StreamPorts,
    ue_peer: SocketAddr,
    core_peer: SocketAddr,
    media: Media,
    stats: StreamStats,
}

/// The gateway.
pub struct Agw {
    cfg: AgwConfig,
    /// The pool; `None` where no stream is installed.
    slots: Vec<(StreamPorts, bool, Option<Stream>)>,
    fingerprint: Fingerprint,
    /// The certificate and key behind `fingerprint` (the MSRP relay's TLS server).
    identity: Option<crate::net::tls::Identity>,
    /// Installed MSRP streams, shared with the relay.
    msrp: crate::net::msrp_relay::MsrpTable,
    /// Dropped packets and refused instructions (bounded).
    pub log: std::collections::VecDeque<String>,
}

impl std::fmt::Debug for Agw {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Agw")
            .field("cfg", &self.cfg)
            .field("slots", &self.slots.len())
            .finish()
    }
}

/// The SHA-256 fingerprint (RFC 8122 §5) of a DER certificate.
pub fn fingerprint_of(der: &[u8]) -> Fingerprint {
    use sha2::Digest;
    Fingerprint {
        hash: "sha-256".into(),
        value: sha2::Sha256::digest(der).to_vec(),
    }
}

impl Agw {
    /// A gateway with the pool of `cfg`. Its certificate (for MSRP over TLS, TS 33.328
    /// §4.1.2.3) is a self-signed one made here; the MSRP relay serves it.
    pub fn new(cfg: AgwConfig) -> Agw {
        match crate::roles::ue::call::MsrpIdentity::generate("agw.imsec.test") {
            Ok(id) => {
                let mut gw = Agw::with_certificate(cfg, &id.cert_der);
                gw.identity = Some(id.tls_identity());
                gw
            }
            Err(_) => Agw::with_certificate(cfg, &[]),
        }
    }

    /// What the MSRP relay ([`crate::net::msrp_relay::MsrpRelay::start`]) needs: the
    /// certificate and key, the shared stream table, every stream's two addresses. `None`
    /// when the gateway has no key (made by [`Agw::with_certificate`]).
    pub fn relay_spec(&self) -> Option<crate::net::msrp_relay::RelaySpec> {
        Some(crate::net::msrp_relay::RelaySpec {
            identity: self.identity.clone()?,
            table: self.msrp.clone(),
            streams: self
                .slots
                .iter()
                .map(|(p, _, _)| (p.ue_side, p.core_side))
                .collect(),
            no_fingerprint_check: self.cfg.flaws.msrp_no_fingerprint_check,
            null_suite: self.cfg.flaws.msrp_null_suite,
            timeouts: Default::default(),
        })
    }

    /// A gateway whose certificate is `cert_der`.
    pub fn with_certificate(cfg: AgwConfig, cert_der: &[u8]) -> Agw {
        let mut slots = Vec::new();
        for i in 0..cfg.streams {
            let base = u32::from(cfg.base_port) + 4 * u32::from(i);
            let (Ok(u), Ok(c)) = (u16::try_from(base), u16::try_from(base + 3)) else {
                break;
            };
            let ports = StreamPorts {
                ue_side: SocketAddr::new(cfg.addr, u),
                core_side: SocketAddr::new(cfg.addr, c - 1),
            };
            slots.push((ports, false, None));
        }
        Agw {
            cfg,
            slots,
            fingerprint: fingerprint_of(cert_der),
            identity: None,
            msrp: Default::default(),
            log: Default::default(),
        }
    }

    pub fn config(&self) -> &AgwConfig {
        &self.cfg
    }

    /// The fingerprint of the gateway's certificate (what the IMS-ALG puts in SDP towards the
    /// UE for MSRP, TS 33.328 §7.2.1 step 8, §7.3.1 step 4).
    pub fn fingerprint(&self) -> Fingerprint {
        self.fingerprint.clone()
    }

    /// Every UDP address of the pool (the edge binds them all when the P-CSCF starts).
    pub fn bindings(&self) -> Vec<SocketAddr> {
        self.slots.iter().flat_map(|(p, _, _)| p.all()).collect()
    }

    /// Whether `local` is one of the gateway's ports.
    pub fn owns(&self, local: SocketAddr) -> bool {
        self.slots.iter().any(|(p, _, _)| p.all().contains(&local))
    }

    /// Reserves a free stream (TS 33.328 §7.2.1 step 2 / §7.3.1 step 3 "allocates the
    /// required resources"); `None` when the pool is exhausted.
    pub fn allocate(&mut self) -> Option<StreamPorts> {
        let slot = self.slots.iter_mut().find(|(_, used, _)| !used)?;
        slot.1 = true;
        Some(slot.0)
    }

    /// Frees a stream (call ended or failed): its contexts are forgotten.
    pub fn release(&mut self, ports: StreamPorts) {
        if let Some(slot) = self.slots.iter_mut().find(|(p, _, _)| *p == ports) {
            slot.1 = false;
            slot.2 = None;
        }
        if let Ok(mut t) = self.msrp.lock() {
            t.streams.remove(&ports.ue_side);
        }
    }

    /// Installs the Iq instruction of a stream (TS 33.328 §6.2.1.3): SRTP contexts from the
    /// two SDES lines (key lifetime: the RFC 3711 defaults, whatever the lines say, §7.2.1
    /// step 7), or the UE's fingerprint for MSRP. `ue_peer`/`core_peer`: the RTP addresses of
    /// the UE and of the remote end, from their SDP. Replaces what the stream had.
    pub fn install(
        &mut self,
        ports: StreamPorts,
        iq: &IqInstruction,
        ue_peer: SocketAddr,
        core_peer: SocketAddr,
    ) -> Result<(), AgwError> {
        let flaws = self.cfg.flaws;
        let media = match iq {
            IqInstruction::Srtp { from_ue, to_ue, .. } => {
                Media::Srtp(Box::new(srtp_pair(from_ue, to_ue, flaws)?))
            }
            IqInstruction::Msrp { .. } => Media::Msrp,
        };
        let slot = self
            .slots
            .iter_mut()
            .find(|(p, _, _)| *p == ports)
            .ok_or(AgwError::UnknownPorts(ports))?;
        slot.1 = true;
        if let Ok(mut t) = self.msrp.lock() {
            match iq {
                IqInstruction::Msrp { ue_fingerprint, .. } => {
                    let s = crate::net::msrp_relay::MsrpStream {
                        ue_fingerprint: ue_fingerprint.clone(),
                    };
                    t.streams.insert(ports.ue_side, s);
                }
                IqInstruction::Srtp { .. } => {
                    t.streams.remove(&ports.ue_side);
                }
            }
        }
        slot.2 = Some(Stream {
            ports,
            ue_peer,
            core_peer,
            media,
            stats: StreamStats::default(),
        });
        Ok(())
    }

    /// Counters of an installed stream.
    pub fn stats(&self, ports: StreamPorts) -> Option<StreamStats> {
        self.slots
            .iter()
            .find(|(p, _, _)| *p == ports)
            .and_then(|(_, _, s)| s.as_ref())
            .map(|s| s.stats)
    }

    fn note(&mut self, line: String) {
        self.log.push_back(line);
        while self.log.len() > MAX_LOG {
            self.log.pop_front();
        }
    }

    /// A datagram that arrived on `local` from `peer`: what to send (nothing when it is
    /// dropped; the reason goes to [`Agw::log`]).
    pub fn handle(&mut self, local: SocketAddr, peer: SocketAddr, payload: &[u8]) -> Vec<Wire> {
        let flaws = self.cfg.flaws;
        let Some(st) = self
            .slots
            .iter_mut()
            .filter_map(|(_, _, s)| s.as_mut())
            .find(|s| s.ports.all().contains(&local))
        else {
            self.note(format!("{peer}->{local}: no stream installed, dropped"));
            return Vec::new();
        };
        let ports = st.ports;
        let result = match &mut st.media {
            Media::Msrp => Err("MSRP stream (relayed over TCP/TLS): datagram dropped".to_string()),
            Media::Srtp(pair) => {
                if local == ports.ue_side {
                    from_ue_rtp(pair, payload, flaws).map(|b| (ports.core_side, st.core_peer, b))
                } else if local == rtcp_of(ports.ue_side) {
                    from_ue_rtcp(pair, payload, flaws)
                        .map(|b| (rtcp_of(ports.core_side), rtcp_of(st.core_peer), b))
                } else if local == ports.core_side {
                    let mut b = payload.to_vec();
                    pair.tx
                        .protect_vec(&mut b)
                        .map(|()| (ports.ue_side, st.ue_peer, b))
                        .map_err(|e| format!("RTP from the core not protected: {e}"))
                } else {
                    let mut b = payload.to_vec();
                    pair.tx
                        .protect_rtcp_vec(&mut b)
                        .map(|()| (rtcp_of(ports.ue_side), rtcp_of(st.ue_peer), b))
                        .map_err(|e| format!("RTCP from the core not protected: {e}"))
                }
            }
        };
        match result {
            Ok((from, to, payload)) => {
                let s = &mut st.stats;
                let c = if local == ports.ue_side {
                    &mut s.to_core
                } else if local == rtcp_of(ports.ue_side) {
                    &mut s.rtcp_to_core
                } else if local == ports.core_side {
                    &mut s.to_ue
                } else {
                    &mut s.rtcp_to_ue
                };
                *c = c.saturating_add(1);
                vec![Wire::Udp {
                    local: from,
                    peer: to,
                    payload,
                }]
            }
            Err(why) => {
                st.stats.dropped = st.stats.dropped.saturating_add(1);
                self.note(format!("{peer}->{local}: {why}"));
                Vec::new()
            }
        }
    }
}

/// Fuzz body (fuzz/fuzz_targets/imsagw.rs): the first octet picks the port (2 bits) and the
/// flaws (4 bits); the rest arrives there, twice (the second time as a replay). Must never
/// panic.
pub fn fuzz_handle(data: &[u8]) {
    let Some((&sel, payload)) = data.split_first() else {
        return;
    };
    let flaws = AgwFlaws {
        no_replay_check: sel & 0x04 != 0,
        no_auth_check: sel & 0x08 != 0,
        reuse_ue_key: sel & 0x10 != 0,
        accept_unauth_srtcp: sel & 0x20 != 0,
        msrp_no_fingerprint_check: false,
        msrp_null_suite: false,
    };
    let addr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);
    let mut gw = Agw::with_certificate(
        AgwConfig {
            flaws,
            ..AgwConfig::on(addr)
        },
        b"fuzz",
    );
    let Some(ports) = gw.allocate() else { return };
    let line = |b: u8| CryptoAttr::new(1, Suite::AesCm128HmacSha1_80, &[b; 30]);
    let iq = IqInstruction::Srtp {
        media: 0,
        from_ue: line(1),
        to_ue: line(2),
    };
    let peer = SocketAddr::new(addr, 9);
    if gw.install(ports, &iq, peer, peer).is_err() {
        return;
    }
    let Some(local) = ports.all().get(usize::from(sel & 3)).copied() else {
        return;
    };
    for _ in 0..2 {
        let _ = gw.handle(local, peer, payload);
    }
}

/// Builds the contexts of an SRTP stream, refusing lines TS 33.328 §5.2/§5.3 rule out.
fn srtp_pair(
    from_ue: &CryptoAttr,
    to_ue: &CryptoAttr,
    flaws: AgwFlaws,
) -> Result<SrtpPair, AgwError> {
    let params = |which: &'static str, c: &CryptoAttr| {
        if !offer_answer::ims_acceptable(c) {
            return Err(AgwError::Unacceptable {
                which,
                line: c.emit(),
            });
        }
        let (suite, keys, mut opts) = c
            .srtp_params()
            .map_err(|why| AgwError::Params { which, why })?;
        // TS 33.328 §7.2.1 step 7 / §7.3.1 step 6: the RFC 3711 default lifetimes.
        opts.lifetime = None;
        Ok((suite, keys, opts))
    };
    let (rs, rkeys, ropts) = params("from_ue", from_ue)?;
    let (ts, tkeys, topts) = params("to_ue", to_ue)?;
    if rs != ts {
        return Err(AgwError::SuiteMismatch(rs, ts));
    }
    let session = |which: &'static str, s: Suite, k: Vec<MasterKey>, o: Options| {
        Session::with_keys(s, k, o).map_err(|e| AgwError::Params {
            which,
            why: e.to_string(),
        })
    };
    let rx = session("from_ue", rs, rkeys.clone(), ropts)?;
    let tx = if flaws.reuse_ue_key {
        session("from_ue", rs, rkeys.clone(), ropts)?
    } else {
        session("to_ue", ts, tkeys, topts)?
    };
    Ok(SrtpPair {
        rx_fresh: rx.clone(),
        rx,
        tx,
        rx_keys: rkeys,
    })
}

/// SRTP from the UE → plain RTP (RFC 3711 §3.3 receiver).
fn from_ue_rtp(pair: &mut SrtpPair, payload: &[u8], flaws: AgwFlaws) -> Result<Vec<u8>, String> {
    let mut b = payload.to_vec();
    match pair.rx.unprotect(&mut b) {
        Ok(o) => {
            b.truncate(o.len);
            Ok(b)
        }
        Err(SrtpError::Replay(e)) if flaws.no_replay_check => {
            // Flawed: the replay list is not consulted (a context as installed opens it).
            let mut b = payload.to_vec();
            let mut fresh = pair.rx_fresh.clone();
            let o = fresh
                .unprotect(&mut b)
                .map_err(|e2| format!("SRTP from the UE ({e}) not opened: {e2}"))?;
            b.truncate(o.len);
            Ok(b)
        }
        Err(SrtpError::AuthFailed) if flaws.no_auth_check => {
            // Flawed: decrypted without checking the tag (a context without SRTP
            // authentication opens the packet minus its tag).
            let suite = pair.rx.suite();
            let mut opts = *pair.rx.options();
            opts.unauthenticated_srtp = true;
            let mut lax =
                Session::with_keys(suite, pair.rx_keys.clone(), opts).map_err(|e| e.to_string())?;
            let mut b = payload.to_vec();
            let n = b.len().saturating_sub(suite.rtp_tag_len());
            b.truncate(n);
            let o = lax.unprotect(&mut b).map_err(|e| e.to_string())?;
            b.truncate(o.len);
            Ok(b)
        }
        Err(e) => Err(format!("SRTP from the UE dropped: {e}")),
    }
}

/// SRTCP from the UE → plain RTCP (RFC 3711 §3.4 receiver; the tag is mandatory).
fn from_ue_rtcp(pair: &mut SrtpPair, payload: &[u8], flaws: AgwFlaws) -> Result<Vec<u8>, String> {
    let mut b = payload.to_vec();
    match pair.rx.unprotect_rtcp(&mut b) {
        Ok(o) => {
            b.truncate(o.len);
            Ok(b)
        }
        Err(e @ (SrtpError::AuthFailed | SrtpError::Truncated { .. }))
            if flaws.accept_unauth_srtcp =>
        {
            // Flawed: the packet is read as RTCP || E||index without a tag and decrypted.
            tagless_srtcp(pair, payload)
                .ok_or_else(|| format!("SRTCP from the UE dropped: {e} (not even tagless)"))
        }
        Err(e) => Err(format!("SRTCP from the UE dropped: {e}")),
    }
}

/// What a gateway that takes SRTCP without a tag would make of `payload`: the body before
/// the E||index word, decrypted when E is set (RFC 3711 §3.4, §4.1.1 with the SRTCP keys).
fn tagless_srtcp(pair: &SrtpPair, payload: &[u8]) -> Option<Vec<u8>> {
    let n = payload.len().checked_sub(srtp::session::SRTCP_INDEX_LEN)?;
    let mut body = payload.get(..n)?.to_vec();
    let word = u32::from_be_bytes(payload.get(n..)?.try_into().ok()?);
    let ssrc = RtcpPacket::new_checked(&body[..]).ok()?.ssrc();
    if word & 0x8000_0000 != 0 && pair.rx.suite().encrypts() {
        let k = pair.rx_keys.first()?;
        let index = u64::from(word & srtp::session::MAX_SRTCP_INDEX);
        let d = derive_keys(&k.key, &k.salt, pair.rx.options().kdr, index).ok()?;
        let enc = body.get_mut(8..)?;
        let mut ks = vec![0u8; enc.len()];
        srtp::aes_cm_keystream(&d.rtcp_enc, &d.rtcp_salt, ssrc, index, &mut ks).ok()?;
        for (x, k) in enc.iter_mut().zip(ks) {
            *x ^= k;
        }
    }
    Some(body)
}
