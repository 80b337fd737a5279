//! The reference P-CSCF as IMS-ALG (TS 33.328 §7.1, §7.2.1, §7.3.1): the `mediasec`
//! indications at registration, and the SDP of INVITE transactions rewritten with
//! [`crate::roles::imsalg`], the media anchored on the built-in IMS Access GW
//! ([`crate::roles::imsagw`]) and its Iq instructions installed there.
//!
//! - Registration (§7.1.1, §7.1.2; TS 24.229 §7.2A.7): when the UE lists `sdes-srtp;mediasec`
//!   or `msrp-tls;mediasec` in Security-Client, the P-CSCF (which supports both) adds the
//!   same entries to Security-Server, so they are part of what Security-Verify must repeat.
//!   [`E2aeSupport::from_registration`] is stored per AoR when the registration completes.
//! - Originating (§7.2.1): an INVITE from the UE over its SAs: [`imsalg::originating_offer`]
//!   towards the core (a 488 to the UE when no offered SDES line is acceptable), then
//!   [`imsalg::originating_answer`] on the INVITE's response from the core.
//! - Terminating (§7.3.1): an INVITE from the core for a registered UE:
//!   [`imsalg::terminating_offer`] towards the UE (a 488 to the core on failure), then
//!   [`imsalg::terminating_answer`] on the UE's response.
//! - Anchoring (§4.2.2: the IMS Access GW is always in the media path for e2ae): for each
//!   SRTP stream given e2ae security, `c=`/`m=` towards the core carry the gateway's core-side
//!   port and towards the UE its UE-side port (a media-level `c=` line is written, so other
//!   streams keep theirs). MSRP streams likewise (§7.2.1 steps 3/8, §7.3.1 steps 4/7 with
//!   RFC 4975 §8.1, §8.2): the gateway's UE-side address (where it listens for TLS) towards the UE,
//!   its core-side address (plain TCP) towards the core, each in `c=`/`m=` and as the only
//!   `a=path` URI (`msrps://<ue_side>/<id>;tcp`, `msrp://<core_side>/<id>;tcp`, RFC 4975 §6,
//!   a fresh random session-id per leg), and `a=setup` (RFC 4145 §4, as RFC 6135 applies it
//!   to MSRP) `passive` on both legs: the gateway listens and the UE and the far end connect
//!   (`active` only when answering an offer that was itself `passive`). The paths of both
//!   legs go to the gateway with the Iq instruction ([`imsalg::MsrpPaths`]).
//!
//! Calls are keyed by Call-ID (one INVITE transaction per call; re-INVITE, UPDATE and PRACK
//! are not handled). An answer in a provisional response (183) is rewritten once; the final
//! response then carries the same rewritten answer (same P-CSCF keys). The flawed variants `alg-*` are applied
//! here, each as a small change after the conformant rewriting.

use super::{Flaw, Origin, Pcscf};
use crate::mech::sdp::{CryptoAttr, E2ae, Eol, Fingerprint, Lifetime, Line, Proto, Sdp, Setup};
use crate::mech::secagree::header::Mechanism;
use crate::mech::sip::SipMessage;
use crate::mech::srtp::Suite;
use crate::roles::imsagw::StreamPorts;
use crate::roles::imsalg::{self, AlgError, E2aeSupport, IqInstruction, MediaPlan, MsrpPaths};
use crate::roles::ue::call::{mediasec_list, sdp_of};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

/// IMS-ALG state of the P-CSCF.
#[derive(Debug, Default)]
pub(super) struct MediaState {
    /// What both sides indicated at registration, per AoR.
    support: HashMap<String, E2aeSupport>,
    /// Originating calls between offer and answer, by Call-ID.
    orig: HashMap<String, Call<imsalg::OrigSession>>,
    /// Terminating calls between offer and answer, by Call-ID.
    term: HashMap<String, Call<imsalg::TermSession>>,
}

/// One call between offer and answer.
#[derive(Debug, Clone)]
struct Call<S> {
    session: S,
    /// Per media: the gateway stream.
    ports: Vec<Option<StreamPorts>>,
    /// Per media: the offerer's media address (UE originating, core terminating).
    peers: Vec<Option<SocketAddr>>,
    /// Per media: the MSRP paths known so far (the offerer's, the gateway's leg written
    /// into the offer).
    paths: Vec<MsrpPaths>,
    /// Per media: the offerer's `a=setup` (RFC 4145 §4).
    setups: Vec<Option<Setup>>,
    /// The rewritten answer already sent for a provisional response with SDP: the final
    /// response carries the same one (same keys, RFC 3264 §8: no new offer/answer).
    answered: Option<Sdp>,
}

impl<S> Call<S> {
    /// A call after its offer: the offerer's media addresses and `a=setup` from `offer`.
    fn new(
        session: S,
        ports: Vec<Option<StreamPorts>>,
        paths: Vec<MsrpPaths>,
        offer: &Sdp,
    ) -> Self {
        let n = offer.media().len();
        Call {
            session,
            ports,
            peers: (0..n).map(|m| media_peer(offer, m)).collect(),
            paths,
            setups: (0..n).map(|m| setup_of(offer, m)).collect(),
            answered: None,
        }
    }
}

/// The media address of media `m` ([`Sdp::media_socket`]).
fn media_peer(sdp: &Sdp, m: usize) -> Option<SocketAddr> {
    sdp.media_socket(m)
}

/// Points media `m` at `to`: the m= port, and a media-level `c=` line (replaced if there is
/// one, else inserted after the m= line, RFC 8866 §5 order).
fn anchor(sdp: &mut Sdp, m: usize, to: SocketAddr) -> Result<(), AlgError> {
    sdp.edit_media_line(m, |ml| ml.port = to.port())?;
    let md = sdp.media();
    let Some(md) = md.get(m) else { return Ok(()) };
    let start = md.start;
    let existing = md.lines().iter().position(|l| l.kind == 'c');
    let eol = md.lines().first().map(|l| l.eol).unwrap_or(Eol::CrLf);
    let value = crate::roles::ue::call::conn(to.ip());
    match existing {
        Some(i) => {
            if let Some(l) = sdp.lines.get_mut(start + i) {
                l.value = value;
            }
        }
        None => {
            let eol = if eol == Eol::None { Eol::CrLf } else { eol };
            sdp.lines.insert(
                start + 1,
                Line {
                    kind: 'c',
                    value,
                    eol,
                },
            );
        }
    }
    Ok(())
}

/// The `a=path` URIs of media `m` (RFC 4975 §8.2), as sent.
fn paths_of(sdp: &Sdp, m: usize) -> Vec<String> {
    sdp.media()
        .get(m)
        .and_then(|md| md.path())
        .map(|v| v.into_iter().map(str::to_string).collect())
        .unwrap_or_default()
}

/// The `a=setup` of media `m`, if it parses.
fn setup_of(sdp: &Sdp, m: usize) -> Option<Setup> {
    sdp.media()
        .get(m)
        .and_then(|md| md.setup())
        .and_then(Result::ok)
}

/// The gateway's role in an answer to an offer with `offered` (RFC 4145 §4.1): it listens
/// (`passive`) unless the offerer itself only listens.
fn answer_setup(offered: Option<Setup>) -> Setup {
    match offered {
        Some(Setup::Passive) => Setup::Active,
        _ => Setup::Passive,
    }
}

/// Anchors MSRP media `m` at the gateway address `to` (§4.2.2; RFC 4975 §8.1, §8.2): the m= port and
/// `c=` as [`anchor`] writes them, the gateway's URI as the only `a=path` (scheme `msrps`
/// for TCP/TLS/MSRP, else `msrp`; RFC 4975 §6) and `a=setup:<setup>` (RFC 4145 §4). Returns
/// the URI.
fn anchor_msrp(
    sdp: &mut Sdp,
    m: usize,
    to: SocketAddr,
    session_id: &str,
    setup: Setup,
) -> Result<String, AlgError> {
    anchor(sdp, m, to)?;
    let tls = sdp.media().get(m).and_then(|md| md.proto()) == Some(Proto::TcpTlsMsrp);
    let scheme = if tls { "msrps" } else { "msrp" };
    let uri = format!("{scheme}://{to}/{session_id};tcp");
    sdp.remove_attrs(m, "path")?;
    sdp.remove_attrs(m, "setup")?;
    sdp.add_attr(m, &format!("path:{uri}"))?;
    sdp.add_attr(m, &format!("setup:{}", setup.as_str()))?;
    Ok(uri)
}

/// The message with `sdp` as its body.
fn with_body(mut msg: SipMessage, sdp: &Sdp) -> SipMessage {
    msg.body = sdp.emit().into_bytes();
    msg.with_content_length()
}

/// A final response replacing `resp` (same Via, From, To, Call-ID, CSeq).
fn replace_response(resp: &SipMessage, code: u16, reason: &str) -> SipMessage {
    let mut r = SipMessage::response(code, reason);
    for h in &resp.headers {
        if ["Via", "From", "To", "Call-ID", "CSeq"]
            .iter()
            .any(|n| crate::mech::sip::message::same_name(&h.name, n))
        {
            r.push(&h.name, &h.value);
        }
    }
    r.with_content_length()
}

fn is_invite_response(msg: &SipMessage) -> bool {
    msg.status().is_some() && msg.cseq().is_some_and(|(_, m)| m == "INVITE")
}

/// Adds every `a=3ge2ae` of `from`'s media to the same media of `to` when missing (the
/// `alg-keep-3ge2ae` variant: foreign indications pass).
fn keep_foreign_e2ae(from: &Sdp, to: &mut Sdp) {
    for (m, md) in from.media().iter().enumerate() {
        let have = to.media().get(m).map(|x| x.e2ae()).unwrap_or_default();
        for e in md.e2ae() {
            if !have.contains(&e) {
                let _ = to.add_attr(m, &format!("3ge2ae:{}", e.as_str()));
            }
        }
    }
}

/// Gives every `a=crypto` of media `m` a key lifetime (the `alg-keep-lifetime` variant).
fn add_lifetimes(sdp: &mut Sdp, m: usize) {
    let Some(md) = sdp.media().get(m).copied() else {
        return;
    };
    let (start, n) = (md.start, md.lines().len());
    for l in sdp.lines.iter_mut().skip(start).take(n) {
        let Some(("crypto", Some(v))) = l.attr() else {
            continue;
        };
        if let Ok(mut c) = CryptoAttr::parse(v) {
            for k in &mut c.keys {
                if let Some(i) = &mut k.inline {
                    i.lifetime = Some(Lifetime::Pow2(31));
                }
            }
            l.value = format!("crypto:{}", c.emit());
        }
    }
}

/// Replaces the fingerprints of media `m` by `fps` (the `alg-keep-ue-fingerprint` variant).
fn set_fingerprints(sdp: &mut Sdp, m: usize, fps: &[Fingerprint]) {
    let _ = sdp.remove_attrs(m, "fingerprint");
    for f in fps {
        let _ = sdp.add_attr(m, &format!("fingerprint:{}", f.emit()));
    }
}

fn fingerprints(sdp: &Sdp, m: usize) -> Vec<Fingerprint> {
    sdp.media()
        .get(m)
        .map(|md| {
            md.fingerprints()
                .into_iter()
                .filter_map(Result::ok)
                .collect()
        })
        .unwrap_or_default()
}

fn srtp_proto(sdp: &Sdp, m: usize) -> Proto {
    match sdp.media().get(m).and_then(|md| md.proto()) {
        Some(Proto::RtpAvpf | Proto::RtpSavpf) => Proto::RtpSavpf,
        _ => Proto::RtpSavp,
    }
}

/// Re-adds the crypto lines of media `m` of `from` to `to`, RTP/SAVP (the
/// `alg-forward-crypto` variant).
fn forward_crypto(from: &Sdp, to: &mut Sdp, m: usize) {
    let _ = to.set_proto(m, srtp_proto(from, m));
    let lines: Vec<String> = from
        .media()
        .get(m)
        .map(|md| {
            md.attr_values("crypto")
                .map(|v| v.unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default();
    let _ = to.remove_attrs(m, "crypto");
    for v in lines {
        let _ = to.add_attr(m, &format!("crypto:{v}"));
    }
}

impl Pcscf {
    fn alg(&self, f: Flaw) -> bool {
        self.cfg.has(f)
    }

    /// TS 24.229 §7.2A.7 / TS 33.328 §7.1: the `mediasec` entries the P-CSCF answers in
    /// Security-Server: those of the UE's Security-Client it supports (both).
    pub(super) fn media_security_server(&self, client: &[Mechanism]) -> Vec<Mechanism> {
        mediasec_list()
            .into_iter()
            .filter(|s| {
                client
                    .iter()
                    .any(|c| c.is_mediasec() && c.name.eq_ignore_ascii_case(&s.name))
            })
            .collect()
    }

    /// §7.1.1: "the P-CSCF (IMS-ALG) shall store" the UE's indication: what both sides
    /// indicated in the registration now completing (from its pending challenge).
    pub(super) fn media_registered(&mut self, aor: &str) {
        if let Some(p) = self.pending.get(aor) {
            let s = E2aeSupport::from_registration(&p.client_first, &p.server_sent);
            self.log.push(format!(
                "{aor}: e2ae media security rtp={} msrp={}",
                s.rtp, s.msrp
            ));
            self.media.support.insert(aor.to_string(), s);
        }
    }

    fn support_for_set(&self, set_id: u64) -> E2aeSupport {
        if self.alg(Flaw::AlgIgnoreMediasec) {
            return E2aeSupport {
                rtp: true,
                msrp: true,
            };
        }
        self.regs
            .iter()
            .find(|(_, r)| r.set_id == set_id)
            .and_then(|(aor, _)| self.media.support.get(aor).copied())
            .unwrap_or_default()
    }

    /// A session-id for the gateway's MSRP URI (RFC 4975 §6), hard to guess: 80 random
    /// bits, hex (a choice).
    fn msrp_session_id(&mut self) -> String {
        let mut b = [0u8; 10];
        (self.rand)(&mut b);
        hex::encode(b)
    }

    /// Anchors MSRP media `m` of `out` at `to` (unless the `alg-msrp-no-anchor` variant) and
    /// returns the gateway's URI written (empty when not anchored).
    fn anchor_msrp_leg(&mut self, out: &mut Sdp, m: usize, to: SocketAddr, setup: Setup) -> String {
        if self.alg(Flaw::AlgMsrpNoAnchor) {
            return String::new();
        }
        let id = self.msrp_session_id();
        match anchor_msrp(out, m, to, &id, setup) {
            Ok(uri) => uri,
            Err(e) => {
                self.log
                    .push(format!("IMS-ALG: anchoring MSRP media {m}: {e}"));
                String::new()
            }
        }
    }

    /// The gateway's certificate fingerprint for the SDP towards the UE (§7.2.1 step 8,
    /// §7.3.1 step 4). The `alg-wrong-gw-fingerprint` variant signals the fingerprint of
    /// another certificate (as a P-CSCF with a stale gateway certificate would): the SDP
    /// looks right, but the TLS session to the gateway cannot match it (§5.4.1).
    fn gw_fingerprint(&self) -> Fingerprint {
        let real = self.agw.fingerprint();
        if !self.alg(Flaw::AlgWrongGwFingerprint) {
            return real;
        }
        use sha2::Digest;
        Fingerprint {
            hash: real.hash.clone(),
            value: sha2::Sha256::digest(&real.value).to_vec(),
        }
    }

    fn fresh_key(&mut self, suite: Suite) -> Vec<u8> {
        let mut k = vec![0u8; suite.master_key_len() + suite.master_salt_len()];
        (self.rand)(&mut k);
        k
    }

    /// Gateway streams for the SRTP/MSRP plans; `None` when the pool is exhausted (all
    /// released again).
    fn allocate(&mut self, plans: &[MediaPlan]) -> Option<Vec<Option<StreamPorts>>> {
        let mut ports = Vec::new();
        for p in plans {
            if matches!(p, MediaPlan::Untouched) {
                ports.push(None);
                continue;
            }
            match self.agw.allocate() {
                Some(s) => ports.push(Some(s)),
                None => {
                    for s in ports.into_iter().flatten() {
                        self.agw.release(s);
                    }
                    return None;
                }
            }
        }
        Some(ports)
    }

    fn release<S>(&mut self, call: &Call<S>) {
        for s in call.ports.iter().flatten() {
            self.agw.release(*s);
        }
    }

    /// Installs the Iq instructions (§6.2.1.3) on the gateway streams.
    fn install(&mut self, iq: &[IqInstruction], ports: &[Option<StreamPorts>], peers: Peers) {
        for i in iq {
            let m = match i {
                IqInstruction::Srtp { media, .. } | IqInstruction::Msrp { media, .. } => *media,
            };
            let Some(Some(p)) = ports.get(m) else {
                continue;
            };
            let unspecified = SocketAddr::new(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED), 0);
            let ue = peers.ue.get(m).copied().flatten().unwrap_or(unspecified);
            let core = peers.core.get(m).copied().flatten().unwrap_or(unspecified);
            if let Err(e) = self.agw.install(*p, i, ue, core) {
                self.log.push(format!("IMS-ALG: Iq for media {m}: {e}"));
            }
        }
    }

    /// §7.2.1 steps 1–3: an INVITE from the UE over its SAs. `Err`: the response to send the
    /// UE instead of forwarding (488 when no offered SDES line is acceptable, §5.3).
    pub(super) fn media_from_ue(
        &mut self,
        msg: SipMessage,
        origin: &Origin,
    ) -> Result<SipMessage, SipMessage> {
        let Origin::Protected { set_id, .. } = origin else {
            return Ok(msg);
        };
        if msg.method().as_deref() != Some("INVITE") {
            return Ok(msg);
        }
        let (Some(offer), Some(call_id)) = (sdp_of(&msg), msg.call_id().map(str::to_string)) else {
            return Ok(msg);
        };
        let support = self.support_for_set(*set_id);
        let mut input = offer.clone();
        if self.alg(Flaw::AlgTerminateE2e) {
            // Flawed: every SRTP offer is taken as a request for e2ae.
            for (m, md) in offer.media().iter().enumerate() {
                if md.proto().is_some_and(|p| p.is_srtp()) && !md.e2ae().contains(&E2ae::Requested)
                {
                    let _ = input.add_attr(m, "3ge2ae:requested");
                }
            }
        }
        let refuse = |why: String, me: &mut Pcscf| {
            me.log
                .push(format!("IMS-ALG: originating offer refused: {why}"));
            SipMessage::response_to(&msg, 488, "Not Acceptable Here", Some("pcscf"))
                .with_content_length()
        };
        let (mut out, session) = match imsalg::originating_offer(&input, support) {
            Ok(x) => x,
            Err(AlgError::NoAcceptableCrypto { .. }) if self.alg(Flaw::AlgAcceptNullSrtp) => {
                match self.accept_unacceptable(&input, support) {
                    Ok(x) => x,
                    Err(e) => return Err(refuse(e.to_string(), self)),
                }
            }
            Err(e) => return Err(refuse(e.to_string(), self)),
        };
        for (m, plan) in session.media.iter().enumerate() {
            match plan {
                MediaPlan::Srtp { .. } if self.alg(Flaw::AlgForwardCrypto) => {
                    forward_crypto(&offer, &mut out, m)
                }
                MediaPlan::Msrp { .. } if self.alg(Flaw::AlgKeepUeFingerprint) => {
                    set_fingerprints(&mut out, m, &fingerprints(&offer, m))
                }
                _ => {}
            }
        }
        let Some(ports) = self.allocate(&session.media) else {
            return Err(refuse("IMS Access GW: no free stream".into(), self));
        };
        // §7.2.1 step 3: the offer towards the core names the gateway's core side.
        let paths = self.anchor_offer(&offer, &mut out, &ports, &session.media, true);
        let call = Call::new(session, ports, paths, &offer);
        if let Some(old) = self.media.orig.insert(call_id, call) {
            self.release(&old);
        }
        Ok(with_body(msg, &out))
    }

    /// Anchors every stream of the rewritten offer `out` on the gateway side facing the
    /// offer's receiver: the core side when `towards_core` (§7.2.1 step 3, an originating
    /// offer), else the UE side (§7.3.1 step 4, a terminating one). SRTP streams get the
    /// gateway's address in `c=`/`m=`, MSRP streams also its `a=path` and `a=setup:passive`.
    /// Returns per media the offerer's paths and the gateway's leg written into the offer.
    fn anchor_offer(
        &mut self,
        offer: &Sdp,
        out: &mut Sdp,
        ports: &[Option<StreamPorts>],
        plans: &[MediaPlan],
        towards_core: bool,
    ) -> Vec<MsrpPaths> {
        let mut paths = Vec::new();
        for (m, p) in ports.iter().enumerate() {
            let mut legs = MsrpPaths::default();
            if towards_core {
                legs.ue = paths_of(offer, m);
            } else {
                legs.core = paths_of(offer, m);
            }
            let side = |p: &StreamPorts| if towards_core { p.core_side } else { p.ue_side };
            match (p, plans.get(m)) {
                (Some(p), Some(MediaPlan::Srtp { .. })) => {
                    if let Err(e) = anchor(out, m, side(p)) {
                        self.log.push(format!("IMS-ALG: anchoring media {m}: {e}"));
                    }
                }
                (Some(p), Some(MediaPlan::Msrp { .. })) => {
                    let gw = self.anchor_msrp_leg(out, m, side(p), Setup::Passive);
                    if towards_core {
                        legs.gw_core = gw;
                    } else {
                        legs.gw_ue = gw;
                    }
                }
                _ => {}
            }
            paths.push(legs);
        }
        paths
    }

    /// The `alg-accept-null-srtp` variant: an offer whose SDES lines are all unacceptable is
    /// processed as if its first line with a known suite were acceptable.
    fn accept_unacceptable(
        &mut self,
        input: &Sdp,
        support: E2aeSupport,
    ) -> Result<(Sdp, imsalg::OrigSession), AlgError> {
        let mut patched = input.clone();
        let mut chosen = Vec::new();
        for (m, md) in input.media().iter().enumerate() {
            let lines: Vec<CryptoAttr> = md.crypto().into_iter().filter_map(Result::ok).collect();
            let first = lines.iter().find(|c| c.suite().is_some()).cloned();
            if let Some(c) = &first {
                if !lines
                    .iter()
                    .any(crate::mech::sdp::offer_answer::ims_acceptable)
                {
                    let stand_in = CryptoAttr::new(
                        c.tag,
                        Suite::AesCm128HmacSha1_80,
                        &self.fresh_key(Suite::AesCm128HmacSha1_80),
                    );
                    patched.remove_attrs(m, "crypto")?;
                    patched.add_attr(m, &format!("crypto:{}", stand_in.emit()))?;
                }
            }
            chosen.push(first);
        }
        let (out, mut session) = imsalg::originating_offer(&patched, support)?;
        for (plan, c) in session.media.iter_mut().zip(chosen) {
            if let (MediaPlan::Srtp { ue, .. }, Some(c)) = (plan, c) {
                *ue = Some(c);
            }
        }
        Ok((out, session))
    }

    /// The call an INVITE response with an SDP answer belongs to, in the table `calls`
    /// picks (originating or terminating): `(Call-ID, status, answer, call)` when the answer
    /// is still to be rewritten. Otherwise `Err(None)`: the response goes on unchanged (not
    /// an INVITE response, no SDP or no such call; a failure response, whose call is
    /// released), or `Err(Some(sdp))`: the answer already rewritten for a provisional
    /// response, repeated (the call ends with a final response).
    fn answer_for<S: Clone>(
        &mut self,
        msg: &SipMessage,
        calls: fn(&mut MediaState) -> &mut HashMap<String, Call<S>>,
    ) -> Result<(String, u16, Sdp, Call<S>), Option<Sdp>> {
        if !is_invite_response(msg) {
            return Err(None);
        }
        let Some(call_id) = msg.call_id().map(str::to_string) else {
            return Err(None);
        };
        let code = msg.status().unwrap_or(0);
        if code >= 300 {
            if let Some(call) = calls(&mut self.media).remove(&call_id) {
                self.release(&call);
            }
            return Err(None);
        }
        let (Some(answer), Some(call)) =
            (sdp_of(msg), calls(&mut self.media).get(&call_id).cloned())
        else {
            return Err(None);
        };
        if let Some(done) = call.answered {
            if code >= 200 {
                calls(&mut self.media).remove(&call_id);
            }
            return Err(Some(done));
        }
        Ok((call_id, code, answer, call))
    }

    /// §7.2.1 steps 6–8: the core's response to an originating INVITE, towards the UE.
    pub(super) fn media_from_core_response(&mut self, msg: SipMessage) -> SipMessage {
        let (call_id, code, answer, call) = match self.answer_for(&msg, |m| &mut m.orig) {
            Ok(x) => x,
            Err(None) => return msg,
            Err(Some(done)) => return with_body(msg, &done),
        };
        let gw = self.gw_fingerprint();
        // K12: fresh from the P-CSCF's source; the flawed variant reuses the UE's K11.
        let mut ue_keys: Vec<Vec<u8>> = call
            .session
            .media
            .iter()
            .filter_map(|p| match p {
                MediaPlan::Srtp { ue: Some(u), .. } => u
                    .keys
                    .first()
                    .and_then(|k| k.inline.as_ref())
                    .map(|i| i.key_salt.clone()),
                _ => None,
            })
            .collect();
        ue_keys.reverse();
        let reuse = self.alg(Flaw::AlgReuseUeKey);
        let mut fresh: Vec<Vec<u8>> = Vec::new();
        for _ in 0..call.session.media.len() {
            fresh.push(self.fresh_key(Suite::AesCm128HmacSha1_80));
        }
        fresh.reverse();
        let key = |_s: Suite| {
            if reuse {
                if let Some(k) = ue_keys.pop() {
                    let _ = fresh.pop();
                    return k;
                }
            }
            fresh.pop().unwrap_or_default()
        };
        let (mut out, mut iq) = match imsalg::originating_answer(&call.session, &answer, key, &gw) {
            Ok(x) => x,
            Err(e) => {
                self.log
                    .push(format!("IMS-ALG: originating answer unusable: {e}"));
                if let Some(call) = self.media.orig.remove(&call_id) {
                    self.release(&call);
                }
                return replace_response(&msg, 500, "Media Security Failed");
            }
        };
        if self.alg(Flaw::AlgKeep3ge2ae) {
            keep_foreign_e2ae(&answer, &mut out);
        }
        for i in &mut iq {
            match i {
                IqInstruction::Srtp { media, .. } => {
                    if let Some(Some(p)) = call.ports.get(*media) {
                        if let Err(e) = anchor(&mut out, *media, p.ue_side) {
                            self.log
                                .push(format!("IMS-ALG: anchoring media {media}: {e}"));
                        }
                    }
                    if self.alg(Flaw::AlgKeepLifetime) {
                        add_lifetimes(&mut out, *media);
                    }
                }
                IqInstruction::Msrp { media, paths, .. } => {
                    let m = *media;
                    if self.alg(Flaw::AlgKeepUeFingerprint) {
                        set_fingerprints(&mut out, m, &fingerprints(&answer, m));
                    }
                    // §7.2.1 step 8: the answer to the UE names the gateway's UE side.
                    *paths = call.paths.get(m).cloned().unwrap_or_default();
                    paths.core = paths_of(&answer, m);
                    if let Some(Some(p)) = call.ports.get(m) {
                        let setup = answer_setup(call.setups.get(m).copied().flatten());
                        paths.gw_ue = self.anchor_msrp_leg(&mut out, m, p.ue_side, setup);
                    }
                }
            }
        }
        let core_peers = (0..answer.media().len())
            .map(|m| media_peer(&answer, m))
            .collect();
        self.install(
            &iq,
            &call.ports,
            Peers {
                ue: call.peers.clone(),
                core: core_peers,
            },
        );
        if code >= 200 {
            self.media.orig.remove(&call_id);
        } else if let Some(c) = self.media.orig.get_mut(&call_id) {
            c.answered = Some(out.clone());
        }
        with_body(msg, &out)
    }

    /// §7.3.1 steps 3–4: an INVITE from the core for the UE of SA set `set_id`. `Err`: the
    /// response for the core instead (488).
    pub(super) fn media_to_ue(
        &mut self,
        msg: SipMessage,
        set_id: u64,
    ) -> Result<SipMessage, SipMessage> {
        if msg.method().as_deref() != Some("INVITE") {
            return Ok(msg);
        }
        let (Some(offer), Some(call_id)) = (sdp_of(&msg), msg.call_id().map(str::to_string)) else {
            return Ok(msg);
        };
        let support = self.support_for_set(set_id);
        let mut input = offer.clone();
        if self.alg(Flaw::AlgTerminateE2e) {
            // Flawed: an SRTP offer from the core (e2e, NOTE 2) is taken as plain RTP.
            for (m, md) in offer.media().iter().enumerate() {
                if md.proto().is_some_and(|p| p.is_srtp()) {
                    let _ = input.remove_attrs(m, "crypto");
                    let _ = input.set_proto(m, Proto::RtpAvp);
                }
            }
        }
        let gw = self.gw_fingerprint();
        let mut keys: Vec<Vec<u8>> = Vec::new();
        for _ in 0..imsalg::OFFERED_SUITES.len() * offer.media().len().max(1) {
            keys.push(self.fresh_key(Suite::AesCm128HmacSha1_80));
        }
        let key = |_s: Suite| keys.pop().unwrap_or_default();
        let (mut out, mut session) = match imsalg::terminating_offer(&input, support, key, &gw) {
            Ok(x) => x,
            Err(e) => {
                self.log
                    .push(format!("IMS-ALG: terminating offer refused: {e}"));
                return Err(SipMessage::response_to(
                    &msg,
                    488,
                    "Not Acceptable Here",
                    Some("pcscf"),
                )
                .with_content_length());
            }
        };
        if self.alg(Flaw::AlgKeep3ge2ae) {
            keep_foreign_e2ae(&offer, &mut out);
        }
        for m in 0..session.media.len() {
            let is_srtp = matches!(session.media.get(m), Some(MediaPlan::Srtp { .. }));
            let is_msrp = matches!(session.media.get(m), Some(MediaPlan::Msrp { .. }));
            if is_srtp && self.alg(Flaw::AlgOfferNullSrtp) {
                let null = CryptoAttr::new(
                    8,
                    Suite::NullHmacSha1_80,
                    &self.fresh_key(Suite::NullHmacSha1_80),
                );
                let mut unenc = CryptoAttr::new(
                    9,
                    Suite::AesCm128HmacSha1_80,
                    &self.fresh_key(Suite::AesCm128HmacSha1_80),
                );
                unenc
                    .session_params
                    .push(crate::mech::sdp::SessionParam::UnencryptedSrtp);
                for c in [null, unenc] {
                    let _ = out.add_attr(m, &format!("crypto:{}", c.emit()));
                    if let Some(MediaPlan::Srtp { offered, .. }) = session.media.get_mut(m) {
                        offered.push(c);
                    }
                }
            }
            if is_srtp && self.alg(Flaw::AlgKeepLifetime) {
                add_lifetimes(&mut out, m);
            }
            if is_msrp && self.alg(Flaw::AlgKeepUeFingerprint) {
                set_fingerprints(&mut out, m, &fingerprints(&offer, m));
            }
        }
        let Some(ports) = self.allocate(&session.media) else {
            self.log
                .push("IMS-ALG: IMS Access GW: no free stream".to_string());
            return Err(
                SipMessage::response_to(&msg, 488, "Not Acceptable Here", Some("pcscf"))
                    .with_content_length(),
            );
        };
        // §7.3.1 step 4: the offer to the UE names the gateway's UE side.
        let paths = self.anchor_offer(&offer, &mut out, &ports, &session.media, false);
        let call = Call::new(session, ports, paths, &offer);
        if let Some(old) = self.media.term.insert(call_id, call) {
            self.release(&old);
        }
        Ok(with_body(msg, &out))
    }

    /// §7.3.1 steps 5–7: the UE's response to a terminating INVITE, towards the core.
    pub(super) fn media_from_ue_response(&mut self, msg: SipMessage) -> SipMessage {
        let (call_id, code, answer, call) = match self.answer_for(&msg, |m| &mut m.term) {
            Ok(x) => x,
            Err(None) => return msg,
            Err(Some(done)) => return with_body(msg, &done),
        };
        let (mut out, mut iq) = match imsalg::terminating_answer(&call.session, &answer) {
            Ok(x) => x,
            Err(e) => {
                self.log
                    .push(format!("IMS-ALG: terminating answer unusable: {e}"));
                if let Some(call) = self.media.term.remove(&call_id) {
                    self.release(&call);
                }
                return replace_response(&msg, 500, "Media Security Failed");
            }
        };
        if self.alg(Flaw::AlgKeep3ge2ae) {
            keep_foreign_e2ae(&answer, &mut out);
        }
        for i in &mut iq {
            match i {
                IqInstruction::Srtp { media, .. } => {
                    if self.alg(Flaw::AlgForwardCrypto) {
                        forward_crypto(&answer, &mut out, *media);
                    }
                    if let Some(Some(p)) = call.ports.get(*media) {
                        if let Err(e) = anchor(&mut out, *media, p.core_side) {
                            self.log
                                .push(format!("IMS-ALG: anchoring media {media}: {e}"));
                        }
                    }
                }
                IqInstruction::Msrp { media, paths, .. } => {
                    let m = *media;
                    if self.alg(Flaw::AlgKeepUeFingerprint) {
                        set_fingerprints(&mut out, m, &fingerprints(&answer, m));
                    }
                    // §7.3.1 step 7: the answer to the core names the gateway's core side.
                    *paths = call.paths.get(m).cloned().unwrap_or_default();
                    paths.ue = paths_of(&answer, m);
                    if let Some(Some(p)) = call.ports.get(m) {
                        let setup = answer_setup(call.setups.get(m).copied().flatten());
                        paths.gw_core = self.anchor_msrp_leg(&mut out, m, p.core_side, setup);
                    }
                }
            }
        }
        let ue_peers = (0..answer.media().len())
            .map(|m| media_peer(&answer, m))
            .collect();
        self.install(
            &iq,
            &call.ports,
            Peers {
                ue: ue_peers,
                core: call.peers.clone(),
            },
        );
        if code >= 200 {
            self.media.term.remove(&call_id);
        } else if let Some(c) = self.media.term.get_mut(&call_id) {
            c.answered = Some(out.clone());
        }
        with_body(msg, &out)
    }
}

/// The UE's and the core's media addresses, per media.
struct Peers {
    ue: Vec<Option<SocketAddr>>,
    core: Vec<Option<SocketAddr>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFER: &str = "v=0\r\no=- 1 1 IN IP4 192.0.2.4\r\ns=-\r\nc=IN IP4 192.0.2.4\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\nm=audio 4002 RTP/AVP 0\r\nc=IN IP4 192.0.2.9\r\n";

    #[test]
    fn media_peer_prefers_media_level_connection() {
        let s = Sdp::parse(OFFER).unwrap();
        assert_eq!(media_peer(&s, 0), Some("192.0.2.4:4000".parse().unwrap()));
        assert_eq!(media_peer(&s, 1), Some("192.0.2.9:4002".parse().unwrap()));
        assert_eq!(media_peer(&s, 2), None);
    }

    #[test]
    fn anchor_touches_only_its_media() {
        let mut s = Sdp::parse(OFFER).unwrap();
        anchor(&mut s, 0, "198.51.100.1:40000".parse().unwrap()).unwrap();
        anchor(&mut s, 1, "198.51.100.1:40004".parse().unwrap()).unwrap();
        let again = Sdp::parse(&s.emit()).unwrap();
        assert_eq!(
            media_peer(&again, 0),
            Some("198.51.100.1:40000".parse().unwrap())
        );
        assert_eq!(
            media_peer(&again, 1),
            Some("198.51.100.1:40004".parse().unwrap())
        );
        // The session-level c= is untouched.
        assert!(again
            .session_lines()
            .iter()
            .any(|l| l.kind == 'c' && l.value == "IN IP4 192.0.2.4"));
    }

    #[test]
    fn msrp_anchor_rewrites_path_setup_and_address() {
        let text = "v=0\r\no=- 1 1 IN IP4 192.0.2.4\r\ns=-\r\nc=IN IP4 192.0.2.4\r\nt=0 0\r\nm=message 2855 TCP/TLS/MSRP *\r\na=accept-types:text/plain\r\na=path:msrps://192.0.2.4:2855/s1;tcp\r\na=setup:actpass\r\n";
        let mut s = Sdp::parse(text).unwrap();
        let gw: SocketAddr = "198.51.100.1:40000".parse().unwrap();
        let uri = anchor_msrp(&mut s, 0, gw, "abc", Setup::Passive).unwrap();
        assert_eq!(uri, "msrps://198.51.100.1:40000/abc;tcp");
        let again = Sdp::parse(&s.emit()).unwrap();
        assert_eq!(media_peer(&again, 0), Some(gw));
        assert_eq!(
            again.media()[0].path(),
            Some(vec!["msrps://198.51.100.1:40000/abc;tcp"])
        );
        assert_eq!(again.media()[0].setup(), Some(Ok(Setup::Passive)));
        assert_eq!(again.media()[0].attr_values("path").count(), 1);
        // Plain TCP gets the msrp scheme.
        s.set_proto(0, Proto::TcpMsrp).unwrap();
        let uri = anchor_msrp(&mut s, 0, gw, "abc", Setup::Active).unwrap();
        assert_eq!(uri, "msrp://198.51.100.1:40000/abc;tcp");
        // RFC 4145 §4.1: answering a passive offer means connecting.
        assert_eq!(answer_setup(Some(Setup::Passive)), Setup::Active);
        assert_eq!(answer_setup(Some(Setup::Actpass)), Setup::Passive);
        assert_eq!(answer_setup(None), Setup::Passive);
    }

    #[test]
    fn lifetimes_added_for_the_flawed_variant() {
        let c = CryptoAttr::new(1, Suite::AesCm128HmacSha1_80, &[3u8; 30]);
        let text = format!("{OFFER}a=crypto:{}\r\n", c.emit());
        let mut s = Sdp::parse(&text).unwrap();
        add_lifetimes(&mut s, 1);
        let got = s.media()[1].crypto().remove(0).unwrap();
        let l = got.keys[0].inline.as_ref().unwrap().lifetime;
        assert_eq!(l, Some(Lifetime::Pow2(31)));
    }
}
