//! `imsec replay`: passive verdicts from captures (design.md "Passive engine"; issue #7).
//!
//! Data flows one way: frames ([`crate::capture::reader`]) → link layer → IP (fragments
//! reassembled, [`crate::capture::ipfrag`]) → GTP-U ([`crate::capture::gtpu`]), ESP and
//! ESP-in-UDP (decrypted with known SAs, [`sas`]; tunnels inside tunnels are followed, e.g.
//! the IMS SAs inside the SWu tunnel of a VoWiFi capture), UDP and TCP (SIP stream
//! reassembly, [`crate::capture::tcp`]) → SIP → registrations ([`registration`]), whose SA
//! sets are derived as soon as the keys are known (ck/ik on the core leg, a subscriber's
//! Milenage, [`keys`]) → verdicts ([`verdicts`]) → [`report::Report`].
//!
//! Memory is bounded by what is open (flows, fragments, registrations in progress, SAs),
//! not by the capture's size: finished registrations are reduced to their verdicts.
//! Evidence is frame numbers; with several captures, frames of later captures are numbered
//! after the earlier ones (as if concatenated with `mergecap -a`).
//!
//! Passive hooks ([`hooks`]): IKEv2 proposals ([`hook_ike`]), TLS handshakes ([`hook_tls`]);
//! SRTP/SRTCP with SDES keys ([`hook_srtp`]); `--za` judges a capture between security
//! domains ([`za`]). Not covered (said in every report's `not_covered`): TLS record
//! decryption (a TLS key log is only recorded).

pub mod hook_ike;
pub mod hook_srtp;
pub mod hook_tls;
pub mod hooks;
pub mod keys;
pub mod registration;
pub mod report;
pub mod run_report;
pub mod sas;
#[cfg(test)]
mod tests;
pub mod tunnel;
pub mod verdicts;
pub mod za;

use crate::capture::classify::{parse_ip, EspFrame, IpView};
use crate::capture::decrypt::{inner_packet, SaSpec, Selector};
use crate::capture::ipfrag::{self, Pushed, Reassembler};
use crate::capture::link::{self, LinkError};
use crate::capture::tcp::{self, FlowTable};
use crate::capture::{gtpu, Frame};
use crate::engine::case::Expect;
use crate::engine::checks::{evaluate, Observations};
use crate::lab::Seen;
use crate::mech::esp::encap::{classify_udp, UdpKind};
use crate::mech::esp::heuristic::guess_null;
use crate::mech::esp::saset::{Endpoint, Mode as SaMode, SaSet, SaSetInput};
use crate::mech::esp::uat::{IpFamily, UatSa};
use crate::mech::esp::SaCrypto;
use crate::mech::sip::SipMessage;
use crate::roles::gm::Delivered;
use crate::roles::scscf::Exchange;
use crate::wire::udp;
use hooks::PassiveHook as _;
use registration::{ck_ik_of, sec_list, via_count, EspInfo, Reg, RegKind, SipCtx, StepMark};
use report::{RegReport, Report, SaOut, Stats, UnknownSpi};
use sas::{Crypto, EspOutcome, KeySource, SaEntry, SaTable};
use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::time::Instant;
use verdicts::{Aggregate, Outcome, Policy};

/// Registrations listed in the report (all are judged).
const MAX_REG_REPORTS: usize = 1000;
/// ESP SPIs without keys tracked.
const MAX_UNKNOWN: usize = 4096;
/// Call-IDs remembered for matching the core leg.
const MAX_CALLS: usize = 65_536;
/// Challenges remembered per UE (nonce freshness).
const MAX_CHALLENGES: usize = 32;
/// Warnings kept.
const MAX_WARNINGS: usize = 100;
/// Nesting depth (tunnel in tunnel in GTP-U ...) followed.
const MAX_DEPTH: u8 = 6;

/// What a replay is given.
#[derive(Default)]
pub struct Options {
    pub window: u32,
    pub policy: Policy,
    pub subscribers: Vec<keys::SubscriberKey>,
    pub esp_sa: Vec<SaSpec>,
    pub tunnels: Vec<keys::TunnelSpec>,
    pub keys_info: report::KeysInfo,
    /// Keep decrypted packets for [`Engine::take_decrypted`].
    pub collect_decrypted: bool,
    /// What the passive hooks (IKEv2, TLS) are given.
    pub hooks: hooks::HookConfig,
    /// The capture is between security domains (Za, TS 33.210): see [`za`].
    pub za: bool,
    /// SDES keys given (`--sdes`); more are taken from `a=crypto` in SDP.
    pub sdes: Vec<crate::capture::srtp::SdesKey>,
}

#[derive(Debug, Clone, Copy)]
struct Ctx {
    frame: u64,
    ts: u64,
    depth: u8,
    esp: Option<EspInfo>,
}

/// A decrypted packet for the output capture: time, IP packet, comment.
pub type Decrypted = (u64, Vec<u8>, String);

struct UnknownState {
    packets: u64,
    null: u64,
    first_frame: u64,
}

/// The replay engine: feed frames, then [`Engine::finish`].
pub struct Engine {
    opts: Options,
    base: Instant,
    frag: Reassembler,
    flows: FlowTable,
    sas: SaTable,
    regs: HashMap<usize, Reg>,
    next_reg: usize,
    by_pair: HashMap<(IpAddr, IpAddr), usize>,
    by_call: HashMap<String, usize>,
    call_order: VecDeque<String>,
    spi_owner: HashMap<u32, usize>,
    core_keys: HashMap<String, ([u8; 16], [u8; 16])>,
    core_keys_order: VecDeque<String>,
    unknown: HashMap<(u32, IpAddr, IpAddr), UnknownState>,
    challenges: HashMap<(IpAddr, String), (Vec<Seen>, Vec<u64>)>,
    agg: Aggregate,
    reg_reports: Vec<RegReport>,
    reg_not_listed: u64,
    stats: Stats,
    warnings: Vec<String>,
    decrypted: Vec<Decrypted>,
    frame_offset: u64,
    last_frame: u64,
    last_ts: u64,
    unsupported_links: Vec<u32>,
    captures: Vec<report::CaptureInfo>,
    /// SAs of finished registrations, retired this long (capture time) later: packets in
    /// flight on the old set still find it (TS 33.203 §7.4 keeps it until the new one is used).
    retire_queue: VecDeque<(u64, Vec<usize>)>,
    hooks: Vec<Box<dyn hooks::PassiveHook>>,
    /// TLS handshakes and, with a key log, records ([`hook_tls`]).
    tls: hook_tls::TlsHook,
    /// Handling SIP decrypted from TLS right now.
    in_tls: bool,
    /// Next sequence number per direction of the TCP segments written for TLS plaintext.
    tls_out_seq: HashMap<(SocketAddr, SocketAddr), u32>,
    za: za::ZaState,
    srtp: hook_srtp::SrtpHook,
    /// Inside the payload of an ESP packet (any SA, tunnels included) right now.
    in_esp: bool,
}

/// How long the SAs of a finished registration stay usable (capture time).
const RETIRE_AFTER_NS: u64 = 60_000_000_000;
/// A registration without SIP or ESP for this long (capture time) is judged and forgotten.
const REG_IDLE_NS: u64 = 600_000_000_000;
/// Registrations in progress at once; beyond, the least recently active is judged early (its
/// later ESP still counts in `sas` until its SAs retire, but no longer in its checks).
const MAX_ACTIVE_REGS: usize = 1024;

impl Engine {
    pub fn new(opts: Options) -> Self {
        let mut sas = SaTable::new(opts.window);
        for s in &opts.esp_sa {
            let sel = |x: &Selector| match x {
                Selector::Any => None,
                Selector::Addr(a) => Some(*a),
            };
            let mut e = SaEntry::new(
                s.spi,
                sel(&s.src),
                sel(&s.dst),
                Crypto::Ims(Box::new(s.crypto.clone())),
                KeySource::EspSaFile,
            );
            e.ipv6 = Some(s.ipv6);
            e.report.src = s.src_label.clone();
            e.report.dst = s.dst_label.clone();
            sas.add(e);
        }
        for t in &opts.tunnels {
            sas.add(SaEntry::new(
                t.spi,
                t.src,
                t.dst,
                Crypto::Tunnel {
                    candidates: t.candidates.clone(),
                    chosen: None,
                    icv_len: t.icv_len,
                },
                KeySource::KeysFile,
            ));
        }
        let hooks = hooks::hooks(&opts.hooks);
        let tls = hooks::tls_hook(&opts.hooks);
        let srtp = hook_srtp::SrtpHook::new(opts.sdes.clone());
        Engine {
            opts,
            base: Instant::now(),
            frag: Reassembler::new(),
            flows: FlowTable::new(),
            sas,
            regs: HashMap::new(),
            next_reg: 0,
            by_pair: HashMap::new(),
            by_call: HashMap::new(),
            call_order: VecDeque::new(),
            spi_owner: HashMap::new(),
            core_keys: HashMap::new(),
            core_keys_order: VecDeque::new(),
            unknown: HashMap::new(),
            challenges: HashMap::new(),
            agg: Aggregate::default(),
            reg_reports: Vec::new(),
            reg_not_listed: 0,
            stats: Stats::default(),
            warnings: Vec::new(),
            decrypted: Vec::new(),
            frame_offset: 0,
            last_frame: 0,
            last_ts: 0,
            unsupported_links: Vec::new(),
            captures: Vec::new(),
            retire_queue: VecDeque::new(),
            hooks,
            tls,
            in_tls: false,
            tls_out_seq: HashMap::new(),
            za: za::ZaState::default(),
            srtp,
            in_esp: false,
        }
    }

    /// Judges idle registrations, and the least recently active ones beyond the bound.
    fn sweep_regs(&mut self, now: u64) {
        let mut idle: Vec<(u64, usize)> = self.regs.values().map(|r| (r.last_ts, r.id)).collect();
        idle.sort_unstable();
        let over = self.regs.len().saturating_sub(MAX_ACTIVE_REGS);
        for (i, (last, rid)) in idle.into_iter().enumerate() {
            if i < over || now.saturating_sub(last) > REG_IDLE_NS {
                self.finalize(rid);
            } else {
                break;
            }
        }
    }

    fn warn(&mut self, m: String) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(m);
        }
    }

    /// Ends one capture file (later frames are numbered after its last one).
    pub fn end_capture(&mut self, path: &str, format: &str, warnings: Vec<String>) {
        let frames = self.last_frame.saturating_sub(self.frame_offset);
        self.captures.push(report::CaptureInfo {
            path: path.to_string(),
            format: format.to_string(),
            frames,
        });
        self.frame_offset = self.last_frame;
        for w in warnings {
            self.warn(w);
        }
    }

    /// Decrypted packets collected since the last call.
    pub fn take_decrypted(&mut self) -> Vec<Decrypted> {
        std::mem::take(&mut self.decrypted)
    }

    /// Processes one captured frame.
    pub fn feed(&mut self, f: &Frame) {
        self.stats.frames += 1;
        let frame = f.number.saturating_add(self.frame_offset);
        self.last_frame = frame;
        self.last_ts = f.ts_ns;
        if self.stats.frames % 4096 == 0 {
            self.frag.expire(f.ts_ns);
            self.flows.expire(f.ts_ns);
            self.sweep_regs(f.ts_ns);
        }
        while let Some((at, _)) = self.retire_queue.front() {
            if f.ts_ns < *at && self.retire_queue.len() < 65_536 {
                break;
            }
            if let Some((_, ids)) = self.retire_queue.pop_front() {
                self.sas.retire(&ids);
            }
        }
        match link::network_layer(f.linktype, &f.data) {
            Ok(l3) => self.ip(
                l3,
                Ctx {
                    frame,
                    ts: f.ts_ns,
                    depth: 0,
                    esp: None,
                },
            ),
            Err(LinkError::Unsupported(t)) => {
                self.stats.link_unsupported += 1;
                if !self.unsupported_links.contains(&t) {
                    self.unsupported_links.push(t);
                    self.warn(format!(
                        "frame {frame}: link type {t} is not supported; its frames are skipped"
                    ));
                }
            }
            Err(_) => self.stats.not_ip += 1,
        }
    }

    fn ip(&mut self, l3: &[u8], ctx: Ctx) {
        if ctx.depth > MAX_DEPTH {
            return;
        }
        if let Some(fr) = ipfrag::fragment_of(l3) {
            match self.frag.push(&fr, ctx.ts) {
                Pushed::Complete(p) => {
                    self.stats.fragments_reassembled += 1;
                    self.ip(&p, ctx);
                }
                Pushed::Dropped(_) => self.stats.fragments_dropped += 1,
                Pushed::Held => {}
            }
            return;
        }
        let Ok(ip) = parse_ip(l3) else {
            self.stats.ip_malformed += 1;
            return;
        };
        let (src, dst, payload) = (ip.src, ip.dst, ip.payload);
        match ip.protocol {
            50 => self.esp(payload, src, dst, ctx),
            17 => self.udp(src, dst, payload, ctx),
            6 => self.tcp(src, dst, payload, ctx),
            4 | 41 => self.ip(
                payload,
                Ctx {
                    depth: ctx.depth + 1,
                    ..ctx
                },
            ),
            _ => {}
        }
    }

    fn udp(&mut self, src: IpAddr, dst: IpAddr, l4: &[u8], ctx: Ctx) {
        let Ok(u) = udp::Packet::new_checked(l4) else {
            self.stats.ip_malformed += 1;
            return;
        };
        let (sp, dp) = (u.src_port(), u.dst_port());
        let payload = u.payload();
        self.feed_hooks(hooks::Packet {
            frame: ctx.frame,
            ts_ns: ctx.ts,
            src: SocketAddr::new(src, sp),
            dst: SocketAddr::new(dst, dp),
            tcp: false,
            tcp_seq: None,
            tcp_syn: false,
            payload,
        });
        if sp == gtpu::GTPU_PORT || dp == gtpu::GTPU_PORT {
            if let Ok((_, inner)) = gtpu::decapsulate(payload) {
                self.stats.gtpu_decapsulated += 1;
                self.ip(
                    inner,
                    Ctx {
                        depth: ctx.depth + 1,
                        ..ctx
                    },
                );
            }
            return;
        }
        if sp == 4500 || dp == 4500 {
            match classify_udp(payload) {
                Ok(UdpKind::Esp(e)) => self.esp(e, src, dst, ctx),
                Ok(UdpKind::Ike(_)) => self.stats.ike_packets += 1,
                _ => {}
            }
            return;
        }
        if sp == 500 || dp == 500 {
            self.stats.ike_packets += 1;
            return;
        }
        if looks_like_sip(payload) {
            if let Ok(m) = SipMessage::parse(payload) {
                let s = self.sip_ctx(src, sp, dst, dp, false, ctx);
                self.sip(m, s);
            }
            return;
        }
        self.srtp.udp(
            ctx.frame,
            SocketAddr::new(src, sp),
            SocketAddr::new(dst, dp),
            payload,
        );
        // ESP in UDP on another port (imsec's own loopback runs): only for a known SA.
        if let (Some(spi), true) = (crate::wire::be32(payload, 0), payload.len() >= 8) {
            if spi > 255 && self.sas.find(spi, src, dst).is_some() {
                self.esp(payload, src, dst, ctx);
            }
        }
    }

    fn sip_ctx(&self, src: IpAddr, sp: u16, dst: IpAddr, dp: u16, tcp: bool, ctx: Ctx) -> SipCtx {
        SipCtx {
            frame: ctx.frame,
            ts_ns: ctx.ts,
            src: SocketAddr::new(src, sp),
            dst: SocketAddr::new(dst, dp),
            tcp,
            esp: ctx.esp,
        }
    }

    fn tcp(&mut self, src: IpAddr, dst: IpAddr, l4: &[u8], ctx: Ctx) {
        let Some(seg) = tcp::parse_segment(l4) else {
            self.stats.ip_malformed += 1;
            return;
        };
        if hooks::looks_like_tls(seg.payload) {
            self.stats.tls_records += 1;
        }
        self.feed_hooks(hooks::Packet {
            frame: ctx.frame,
            ts_ns: ctx.ts,
            src: SocketAddr::new(src, seg.src_port),
            dst: SocketAddr::new(dst, seg.dst_port),
            tcp: true,
            tcp_seq: Some(seg.seq),
            tcp_syn: seg.flags & tcp::FLAG_SYN != 0,
            payload: seg.payload,
        });
        let key = (
            SocketAddr::new(src, seg.src_port),
            SocketAddr::new(dst, seg.dst_port),
        );
        let tp = hooks::Packet {
            frame: ctx.frame,
            ts_ns: ctx.ts,
            src: key.0,
            dst: key.1,
            tcp: true,
            tcp_seq: Some(seg.seq),
            tcp_syn: seg.flags & tcp::FLAG_SYN != 0,
            payload: seg.payload,
        };
        if self.tls.wants(&tp) {
            self.tls.packet(&tp);
            // SIP decrypted from TLS application data joins the analysis as SIP over TCP.
            let sip = self.tls.take_sip();
            if !sip.is_empty() {
                self.in_tls = true;
                for (from, to, m) in sip {
                    if self.opts.collect_decrypted {
                        self.tls_decrypted(from, to, &m, ctx);
                    }
                    let s = self.sip_ctx(from.ip(), from.port(), to.ip(), to.port(), true, ctx);
                    self.sip(m, s);
                }
                self.in_tls = false;
            }
        }
        let known = self.flows.contains(&key);
        if !known && seg.flags & tcp::FLAG_SYN == 0 && !contains(seg.payload, b"SIP/2.0") {
            return;
        }
        let mut msgs = Vec::new();
        self.flows.segment(key, &seg, ctx.ts, &mut msgs);
        for m in msgs {
            let s = self.sip_ctx(src, seg.src_port, dst, seg.dst_port, true, ctx);
            self.sip(m, s);
        }
    }

    /// A SIP message decrypted from TLS, for `--decrypted`: one TCP segment whose sequence
    /// numbers count the decrypted octets of its direction.
    fn tls_decrypted(&mut self, from: SocketAddr, to: SocketAddr, m: &SipMessage, ctx: Ctx) {
        if self.tls_out_seq.len() >= 4096 && !self.tls_out_seq.contains_key(&(from, to)) {
            self.tls_out_seq.clear();
        }
        let seq = self.tls_out_seq.entry((from, to)).or_insert(1);
        let bytes = m.to_bytes();
        if let Some(p) = tcp::emit_segment(from, to, *seq, &bytes) {
            *seq = seq.wrapping_add(bytes.len() as u32);
            let c = format!("imsec replay: SIP decrypted from TLS, frame {}", ctx.frame);
            self.decrypted.push((ctx.ts, p, c));
        }
    }

    fn esp(&mut self, esp: &[u8], src: IpAddr, dst: IpAddr, ctx: Ctx) {
        self.stats.esp_packets += 1;
        let spi = crate::wire::be32(esp, 0).unwrap_or(0);
        let seq = crate::wire::be32(esp, 4).unwrap_or(0);
        match self.sas.process(esp, src, dst, ctx.depth, ctx.frame) {
            EspOutcome::DuplicateView => self.stats.esp_duplicate_views += 1,
            EspOutcome::NoSa => {
                let guess = guess_null(esp);
                if self.unknown.len() < MAX_UNKNOWN || self.unknown.contains_key(&(spi, src, dst)) {
                    let u = self.unknown.entry((spi, src, dst)).or_insert(UnknownState {
                        packets: 0,
                        null: 0,
                        first_frame: ctx.frame,
                    });
                    u.packets += 1;
                    u.null += u64::from(guess.is_some());
                }
                let Some(g) = guess else {
                    self.reg_esp(spi, seq, ctx, None);
                    return;
                };
                self.stats.esp_null_heuristic += 1;
                self.reg_esp(spi, seq, ctx, Some(g.next_header));
                let inner = esp.get(g.payload_start..g.payload_end).unwrap_or(&[]);
                let info = EspInfo {
                    spi,
                    seq,
                    sa: None,
                    heuristic: true,
                };
                self.inner(g.next_header, inner, src, dst, ctx, Some(info));
            }
            EspOutcome::Replayed { .. } | EspOutcome::IcvBad { .. } => {
                self.reg_esp(spi, seq, ctx, None);
            }
            EspOutcome::Accepted {
                sa,
                seq,
                next_header,
                payload,
            } => {
                self.stats.esp_decrypted += 1;
                let inner = self.sas.payload(payload).to_vec();
                self.reg_esp(spi, seq, ctx, Some(next_header));
                if self.opts.collect_decrypted && next_header != crate::mech::esp::NH_DUMMY {
                    let ipv = IpView {
                        src,
                        dst,
                        protocol: 50,
                        payload: &[],
                        fragment: false,
                        ttl: 64,
                    };
                    let f = EspFrame {
                        ip: ipv,
                        encap: None,
                        esp: &[],
                    };
                    if let Some(p) = inner_packet(&f, next_header, &inner) {
                        let c = format!(
                            "imsec replay: decrypted from frame {}, SPI 0x{spi:08x}, seq {seq}",
                            ctx.frame
                        );
                        self.decrypted.push((ctx.ts, p, c));
                    }
                }
                // An outer tunnel (SWu) is not an IMS SA: what it carries keeps the
                // protection it had outside (none, for SIP in the tunnel but outside the SAs).
                let tunnel = self
                    .sas
                    .get(sa)
                    .is_some_and(|e| matches!(e.crypto, Crypto::Tunnel { .. }));
                let info = if tunnel {
                    ctx.esp
                } else {
                    Some(EspInfo {
                        spi,
                        seq,
                        sa: Some(sa),
                        heuristic: false,
                    })
                };
                self.inner(next_header, &inner, src, dst, ctx, info);
            }
        }
    }

    fn inner(
        &mut self,
        nh: u8,
        payload: &[u8],
        src: IpAddr,
        dst: IpAddr,
        ctx: Ctx,
        info: Option<EspInfo>,
    ) {
        let ctx = Ctx {
            depth: ctx.depth + 1,
            esp: info,
            ..ctx
        };
        let was = std::mem::replace(&mut self.in_esp, true);
        match nh {
            4 | 41 => self.ip(payload, ctx),
            17 => self.udp(src, dst, payload, ctx),
            6 => self.tcp(src, dst, payload, ctx),
            _ => {}
        }
        self.in_esp = was;
    }

    /// Attributes an ESP packet to the registration whose SA set has its SPI.
    fn reg_esp(&mut self, spi: u32, seq: u32, ctx: Ctx, opened: Option<u8>) {
        let Some(&rid) = self.spi_owner.get(&spi) else {
            return;
        };
        let Some(reg) = self.regs.get_mut(&rid) else {
            return;
        };
        let from_ue = reg.spis_to_pcscf.contains(&spi);
        let Some(row) = reg.row_of(spi, from_ue) else {
            return;
        };
        reg.esp_on_wire += 1;
        reg.last_ts = reg.last_ts.max(ctx.ts);
        reg.first_esp_frame.get_or_insert(ctx.frame);
        if from_ue {
            return;
        }
        let (src, dst) = (SocketAddr::new(reg.pcscf, 0), SocketAddr::new(reg.ue, 0));
        let delivered = opened.map(|nh| Delivered {
            set_id: rid as u64,
            sa_index: row,
            spi,
            seq,
            src,
            dst,
            payload: Vec::new(),
            dummy: nh == crate::mech::esp::NH_DUMMY,
            outer_peer: None,
            tcp: false,
        });
        if opened.is_some() {
            reg.opened_from_pcscf += 1;
        }
        let sctx = SipCtx {
            frame: ctx.frame,
            ts_ns: ctx.ts,
            src,
            dst,
            tcp: false,
            esp: None,
        };
        reg.esp_from_pcscf(spi, seq, &sctx, delivered);
    }

    fn remember_call(&mut self, call: &str, rid: usize) {
        if call.is_empty() {
            return;
        }
        if self.by_call.insert(call.to_string(), rid).is_none() {
            self.call_order.push_back(call.to_string());
            if self.call_order.len() > MAX_CALLS {
                if let Some(old) = self.call_order.pop_front() {
                    self.by_call.remove(&old);
                }
            }
        }
    }

    /// Hands a packet to every hook that wants it.
    fn feed_hooks(&mut self, p: hooks::Packet<'_>) {
        for h in self.hooks.iter_mut() {
            if h.wants(&p) {
                h.packet(&p);
            }
        }
    }

    fn sip(&mut self, m: SipMessage, s: SipCtx) {
        self.stats.sip_messages += 1;
        if self.opts.za {
            // SIP in TLS is not in clear (only reached with the TLS key log).
            self.za
                .sip(s.frame, s.esp.is_some() || self.in_esp || self.in_tls);
        }
        if contains(&m.body, b"a=crypto:") {
            self.srtp.sdp(&m.body);
        }
        if s.esp.is_some() {
            self.stats.sip_in_esp += 1;
        }
        // `method()` is the CSeq method for a response.
        let is_register = m
            .method()
            .is_some_and(|meth| meth.eq_ignore_ascii_case("REGISTER"));
        let request = m.status().is_none();
        let vias = via_count(&m);
        if is_register && vias <= 1 {
            if request {
                self.gm_register(m, s);
            } else {
                self.gm_register_response(m, s);
            }
            return;
        }
        if is_register {
            self.core_register(m, s, request);
            return;
        }
        let pair = self
            .by_pair
            .get(&(s.src.ip(), s.dst.ip()))
            .map(|r| (*r, true))
            .or_else(|| {
                self.by_pair
                    .get(&(s.dst.ip(), s.src.ip()))
                    .map(|r| (*r, false))
            })
            .or_else(|| {
                let (ue, pcscf, from_ue) = self.gm_pair_of(&s)?;
                self.by_pair.get(&(ue, pcscf)).map(|r| (*r, from_ue))
            });
        if let Some((rid, sent)) = pair {
            if request {
                if let Some(c) = m.call_id().map(str::to_string) {
                    self.remember_call(&c, rid);
                }
            }
            self.gm_other(rid, m, s, sent);
            return;
        }
        let Some(&rid) = m.call_id().and_then(|c| self.by_call.get(c)) else {
            return;
        };
        self.core_other(rid, m, s, request);
    }

    fn delivered_for(&self, reg: &Reg, s: &SipCtx, from_ue: bool) -> Option<Delivered> {
        let e = s.esp?;
        let row = reg.row_of(e.spi, from_ue)?;
        Some(Delivered {
            set_id: reg.id as u64,
            sa_index: row,
            spi: e.spi,
            seq: e.seq,
            src: s.src,
            dst: s.dst,
            payload: Vec::new(),
            dummy: false,
            outer_peer: None,
            tcp: s.tcp,
        })
    }

    /// The UE/P-CSCF pair (outer, Gm addresses) of a message that travelled in an SA of a
    /// known registration, and whether it came from the UE. Inner addresses can differ from
    /// the outer ones (UDP-encapsulated tunnel mode behind a NAT, TS 33.203 Annex M).
    fn gm_pair_of(&self, s: &SipCtx) -> Option<(IpAddr, IpAddr, bool)> {
        let e = s.esp?;
        let (rid, row) = match e.sa {
            Some(i) => self.sas.get(i)?.reg?,
            None => {
                let rid = *self.spi_owner.get(&e.spi)?;
                let reg = self.regs.get(&rid)?;
                let from_ue = reg.spis_to_pcscf.contains(&e.spi);
                (rid, reg.row_of(e.spi, from_ue)?)
            }
        };
        let reg = self.regs.get(&rid)?;
        Some((reg.ue, reg.pcscf, row == 1 || row == 4))
    }

    fn gm_register(&mut self, m: SipMessage, s: SipCtx) {
        let (ue, pcscf) = match self.gm_pair_of(&s) {
            Some((u, p, _)) => (u, p),
            None => (s.src.ip(), s.dst.ip()),
        };
        let current = self.by_pair.get(&(ue, pcscf)).copied();
        let client = sec_list(&m, "Security-Client");
        let verify = sec_list(&m, "Security-Verify");
        let cseq = m.cseq().map(|c| c.0);
        let d = current.and_then(|r| self.delivered_for_reg(r, &s, true));
        if let Some(reg) = current.and_then(|r| self.regs.get_mut(&r)) {
            // A retransmission of a REGISTER already recorded.
            let last_req_cseq = reg
                .seen
                .iter()
                .rev()
                .find(|x| x.sent && x.sip.as_ref().is_some_and(|q| q.status().is_none()))
                .and_then(|x| x.sip.as_ref().and_then(|q| q.cseq().map(|c| c.0)));
            if last_req_cseq.is_some() && last_req_cseq == cseq && reg.final_status.is_none() {
                return;
            }
            let awaiting = reg.frames.challenge.is_some()
                && reg.frames.protected_register.is_none()
                && reg.final_status.is_none();
            let answers = !verify.is_empty()
                || registration::auth_param(&m, "Authorization", "response")
                    .is_some_and(|r| !r.is_empty());
            if awaiting && answers {
                reg.verify = verify;
                reg.client_again = client;
                reg.frames.protected_register = Some(s.frame);
                let (seen_start, core_start) = (reg.seen.len(), reg.core.len());
                reg.steps.push(StepMark {
                    id: "protected",
                    seen_start,
                    seen_end: seen_start,
                    response: None,
                    core_start,
                    core_end: core_start,
                });
                reg.push_seen(true, Some(m), &s, d, None, true);
                return;
            }
        }
        let complete = current
            .and_then(|r| self.regs.get(&r))
            .is_some_and(|r| r.final_status.is_some_and(|c| (200..300).contains(&c)));
        if client.is_empty() || (!verify.is_empty() && complete) {
            // A REGISTER without sec-agree, or one over the SAs of a complete registration
            // (refresh, de-registration, or a re-registration that a 401 will reveal): part
            // of the current registration until a challenge starts the next one.
            if let Some(rid) = current {
                if !verify.is_empty() {
                    if let Some(r) = self.regs.get_mut(&rid) {
                        r.pending_rereg = Some((m.clone(), s));
                    }
                }
                self.gm_other(rid, m, s, true);
            }
            return;
        }
        self.start_reg(m, s, (ue, pcscf), current, !verify.is_empty());
    }

    /// A new registration (initial, or a re-registration over the old SAs).
    fn start_reg(
        &mut self,
        m: SipMessage,
        s: SipCtx,
        (ue, pcscf): (IpAddr, IpAddr),
        current: Option<usize>,
        rereg: bool,
    ) {
        let kind = if rereg {
            RegKind::Reregistration
        } else {
            RegKind::Initial
        };
        if let Some(prev) = current {
            let done = self
                .regs
                .get(&prev)
                .is_some_and(|r| r.final_status.is_some_and(|c| (200..300).contains(&c)));
            if !done {
                self.finalize(prev);
            }
        }
        let id = self.next_reg;
        self.next_reg += 1;
        let mut reg = Reg::new(self.base, id, kind, ue, pcscf, &m, s.frame);
        reg.previous = current;
        reg.steps.push(StepMark {
            id: "initial",
            seen_start: 0,
            seen_end: 0,
            response: None,
            core_start: 0,
            core_end: 0,
        });
        let call = reg.call_id.clone();
        reg.push_seen(true, Some(m), &s, None, None, true);
        self.regs.insert(id, reg);
        self.by_pair.insert((ue, pcscf), id);
        self.remember_call(&call, id);
    }

    fn delivered_for_reg(&self, rid: usize, s: &SipCtx, from_ue: bool) -> Option<Delivered> {
        let reg = self.regs.get(&rid)?;
        self.delivered_for(reg, s, from_ue)
    }

    fn gm_register_response(&mut self, m: SipMessage, s: SipCtx) {
        let (ue, pcscf) = match self.gm_pair_of(&s) {
            Some((u, p, _)) => (u, p),
            None => (s.dst.ip(), s.src.ip()),
        };
        let Some(rid) = self.by_pair.get(&(ue, pcscf)).copied() else {
            return;
        };
        let status = m.status().unwrap_or(0);
        let d = self.delivered_for_reg(rid, &s, false);
        let Some(reg) = self.regs.get_mut(&rid) else {
            return;
        };
        if status < 200 {
            reg.push_seen(false, Some(m), &s, d, None, false);
            return;
        }
        if status == 401 && reg.final_status.is_some() {
            // The challenge of a re-registration sent over this registration's SAs.
            if let Some((req, rs)) = reg.pending_rereg.take() {
                if req.cseq() == m.cseq() {
                    self.start_reg(req, rs, (ue, pcscf), Some(rid), true);
                    return self.gm_register_response(m, s);
                }
            }
        }
        if status == 401
            && reg.frames.challenge.is_none()
            && reg.frames.protected_register.is_none()
        {
            reg.frames.challenge = Some(s.frame);
            reg.server = sec_list(&m, "Security-Server");
            if let Some(n) = registration::auth_param(&m, "WWW-Authenticate", "nonce") {
                reg.set_nonce(n);
            }
            let leaked = ck_ik_of(&m);
            let idx = reg.push_seen(false, Some(m.clone()), &s, d, None, true);
            let (seen_end, core_end) = (reg.seen.len(), reg.core.len());
            if let Some(st) = reg.steps.iter_mut().find(|x| x.id == "initial") {
                st.seen_end = seen_end;
                st.core_end = core_end;
                st.response = idx;
            }
            reg.negotiate();
            let key = (reg.ue, reg.impi.clone().unwrap_or_default());
            let ch = self.challenges.entry(key).or_default();
            if ch.0.len() < MAX_CHALLENGES {
                if let Some(x) = reg.seen.last() {
                    ch.0.push(Seen {
                        at: x.at,
                        sent: false,
                        wire: x.wire.clone(),
                        sip: Some(m),
                        delivered: None,
                        dropped: None,
                        esp: None,
                    });
                    ch.1.push(s.frame);
                }
            }
            self.install(rid, leaked);
            return;
        }
        // The protected REGISTER may be missing (a capture at the P-CSCF that shows only
        // what it sends in clear): a final response to a later REGISTER still ends it.
        let later = m.cseq().map(|c| c.0)
            > reg
                .seen
                .first()
                .and_then(|x| x.sip.as_ref())
                .and_then(|q| q.cseq().map(|c| c.0));
        let unseen_protected = reg.frames.challenge.is_some() && later;
        if (reg.frames.protected_register.is_some() || unseen_protected)
            && reg.final_status.is_none()
        {
            reg.final_status = Some(status);
            reg.frames.final_response = Some(s.frame);
            let idx = reg.push_seen(false, Some(m), &s, d, None, true);
            let (seen_end, core_end) = (reg.seen.len(), reg.core.len());
            if let Some(st) = reg.steps.iter_mut().find(|x| x.id == "protected") {
                st.seen_end = seen_end;
                st.core_end = core_end;
                st.response = idx;
            }
            if (200..300).contains(&status) {
                if let Some(prev) = reg.previous {
                    self.finalize(prev);
                }
            }
            return;
        }
        self.gm_other(rid, m, s, false);
    }

    /// Derives the SA set of a registration once its keys are known.
    fn install(&mut self, rid: usize, leaked: Option<([u8; 16], [u8; 16])>) {
        let Some(reg) = self.regs.get(&rid) else {
            return;
        };
        let Some(n) = reg.negotiated.clone() else {
            return;
        };
        let (spis_ue, spis_pc) = (reg.spis_to_ue, reg.spis_to_pcscf);
        for spi in spis_ue.into_iter().chain(spis_pc) {
            self.spi_owner.insert(spi, rid);
        }
        let keys = leaked
            .map(|(c, i)| (c, i, KeySource::UeLeg401))
            .or_else(|| {
                reg.nonce
                    .as_ref()
                    .and_then(|n| self.core_keys.get(n))
                    .map(|(c, i)| (*c, *i, KeySource::CoreLeg401))
            })
            .or_else(|| {
                let (rand, autn) = reg.rand_autn?;
                self.opts
                    .subscribers
                    .iter()
                    .filter(|s| s.impi.is_none() || s.impi == reg.impi)
                    .find_map(|s| keys::derive_ck_ik(s, &rand, &autn))
                    .map(|(c, i)| (c, i, KeySource::Subscriber))
            });
        let Some((ck, ik, source)) = keys else {
            return;
        };
        let (Some(uo), Some(po)) = (n.offer_ue, n.offer_pcscf) else {
            return;
        };
        let udp_enc = reg.udp_encap();
        let input = SaSetInput {
            ue: Endpoint {
                addr: reg.ue,
                spi_c: uo.spi_c,
                spi_s: uo.spi_s,
                port_c: uo.port_c,
                port_s: uo.port_s,
            },
            pcscf: Endpoint {
                addr: reg.pcscf,
                spi_c: po.spi_c,
                spi_s: po.spi_s,
                port_c: po.port_c,
                port_s: po.port_s,
            },
            alg: po.alg,
            ealg: po.ealg,
            mode: SaMode::Transport,
            ck,
            ik,
        };
        let set = match SaSet::build_unchecked(&input) {
            Ok(s) => s,
            Err(e) => {
                self.warn(format!("registration {rid}: cannot build its SA set: {e}"));
                return;
            }
        };
        let mut ids = Vec::new();
        for p in set.sas() {
            let crypto = match SaCrypto::new_lenient(
                p.alg,
                p.ealg,
                &p.integ_key,
                &p.enc_key,
                p.salt_bytes(),
            ) {
                Ok(c) => c,
                Err(e) => {
                    self.warn(format!("registration {rid}: SA #{}: {e}", p.index));
                    continue;
                }
            };
            // Behind a NAT (UDP-enc-tun) the outer addresses differ: match by SPI only.
            let (src, dst) = if udp_enc {
                (None, None)
            } else {
                (Some(p.src), Some(p.dst))
            };
            let mut e = SaEntry::new(
                p.spi,
                src,
                dst,
                Crypto::Ims(Box::new(crypto)),
                source.clone(),
            );
            e.reg = Some((rid, p.index));
            let with_salt = |k: &[u8]| {
                let mut v = k.to_vec();
                v.extend_from_slice(p.salt_bytes());
                v
            };
            let gcm = p.ealg == crate::mech::algorithms::EncAlg::AesGcm;
            let gmac = p.alg == crate::mech::algorithms::IntegAlg::AesGmac;
            e.uat_line = Some(
                UatSa {
                    family: if p.dst.is_ipv6() {
                        IpFamily::V6
                    } else {
                        IpFamily::V4
                    },
                    src: p.src.to_string(),
                    dst: p.dst.to_string(),
                    spi: p.spi,
                    enc: p.ealg,
                    enc_key: if gcm {
                        with_salt(&p.enc_key)
                    } else {
                        p.enc_key.clone()
                    },
                    integ: p.alg,
                    integ_key: if gmac {
                        with_salt(&p.integ_key)
                    } else {
                        p.integ_key.clone()
                    },
                    unchecked_icv: None,
                }
                .to_line(),
            );
            ids.push(self.sas.add(e));
        }
        if let Some(reg) = self.regs.get_mut(&rid) {
            reg.keys = Some((ck, ik, source));
            reg.sa_ids = ids;
        }
    }

    fn core_register(&mut self, m: SipMessage, s: SipCtx, request: bool) {
        let rid = m.call_id().and_then(|c| self.by_call.get(c)).copied();
        if !request && m.status() == Some(401) {
            if let (Some(n), Some((ck, ik))) = (
                registration::auth_param(&m, "WWW-Authenticate", "nonce"),
                ck_ik_of(&m),
            ) {
                if self.core_keys.insert(n.clone(), (ck, ik)).is_none() {
                    self.core_keys_order.push_back(n);
                    if self.core_keys_order.len() > MAX_CALLS {
                        if let Some(o) = self.core_keys_order.pop_front() {
                            self.core_keys.remove(&o);
                        }
                    }
                }
            }
            if let Some(reg) = rid.and_then(|r| self.regs.get_mut(&r)) {
                reg.frames.core_challenge.get_or_insert(s.frame);
            }
        }
        if let Some(rid) = rid {
            self.core_other(rid, m, s, request);
        }
    }

    fn core_other(&mut self, rid: usize, m: SipMessage, s: SipCtx, request: bool) {
        let base = self.base;
        let Some(reg) = self.regs.get_mut(&rid) else {
            return;
        };
        let at = base
            .checked_add(std::time::Duration::from_nanos(s.ts_ns))
            .unwrap_or(base);
        if request {
            // Kept: REGISTERs (integrity-protected) and requests with sec-agree headers (the
            // only ones the core-leg checks judge); others are counted by their absence.
            let sec_agree = ["Security-Client", "Security-Server", "Security-Verify"]
                .iter()
                .any(|h| m.header(h).is_some())
                || m.has_option_tag("Require", "sec-agree")
                || m.has_option_tag("Proxy-Require", "sec-agree");
            let is_register = m
                .method()
                .is_some_and(|x| x.eq_ignore_ascii_case("REGISTER"));
            if reg.core.len() >= 64 || !(sec_agree || is_register) {
                return;
            }
            reg.core.push(Exchange {
                at,
                request: m,
                response: SipMessage::response(0, "(no response seen)"),
            });
            reg.core_frames.push(s.frame);
            reg.core_resp_frames.push(None);
        } else {
            let cseq = m.cseq();
            if let Some(i) = reg.core.iter().rposition(|x| {
                x.request.cseq() == cseq && x.response.status().is_none_or(|c| c < 200)
            }) {
                if let Some(x) = reg.core.get_mut(i) {
                    x.response = m;
                }
                if let Some(f) = reg.core_resp_frames.get_mut(i) {
                    *f = Some(s.frame);
                }
            }
        }
    }

    fn gm_other(&mut self, rid: usize, m: SipMessage, s: SipCtx, sent: bool) {
        let d = self.delivered_for_reg(rid, &s, sent);
        let Some(reg) = self.regs.get_mut(&rid) else {
            return;
        };
        let in_use =
            reg.final_status.is_some_and(|c| (200..300).contains(&c)) && reg.negotiated.is_some();
        let clear = s.esp.is_none();
        if in_use && clear && reg.clear_after.len() < 64 {
            reg.clear_after.push((s.frame, m.start.to_string()));
        }
        let encrypted = s.esp.is_some_and(|e| !e.heuristic)
            && reg.negotiated.as_ref().is_some_and(|n| n.ealg != "null");
        if !encrypted && contains(&m.body, b"a=crypto:") && reg.sdes_exposed.len() < 64 {
            reg.sdes_exposed.push(s.frame);
        }
        reg.push_seen(sent, Some(m), &s, d, None, false);
    }

    /// Judges a registration and forgets its details.
    fn finalize(&mut self, rid: usize) {
        let Some(reg) = self.regs.remove(&rid) else {
            return;
        };
        if self.by_pair.get(&(reg.ue, reg.pcscf)) == Some(&rid) {
            self.by_pair.remove(&(reg.ue, reg.pcscf));
        }
        for spi in reg.spis_to_ue.iter().chain(reg.spis_to_pcscf.iter()) {
            if self.spi_owner.get(spi) == Some(&rid) {
                self.spi_owner.remove(spi);
            }
        }
        if !reg.sa_ids.is_empty() {
            self.retire_queue.push_back((
                self.last_ts.saturating_add(RETIRE_AFTER_NS),
                reg.sa_ids.clone(),
            ));
        }
        if !self.by_pair.contains_key(&(reg.ue, reg.pcscf)) {
            // The UE has no registration in progress: judge its challenges now.
            let key = (reg.ue, reg.impi.clone().unwrap_or_default());
            if let Some(ch) = self.challenges.remove(&key) {
                self.agg.add(nonces_outcome(ch));
            }
        }
        let mut results: Vec<Outcome> = verdicts::engine_checks(&reg, self.base, self.opts.policy);
        results.extend(verdicts::passive_checks(&reg, &self.sas, self.opts.policy));
        not_ipsec(&reg, &mut results);
        if self.reg_reports.len() < MAX_REG_REPORTS {
            let trace = (self.reg_reports.len() < run_report::MAX_TRACED)
                .then(|| run_report::reg_trace(&reg, self.base, &results));
            self.reg_reports.push(RegReport {
                id: reg.id,
                kind: reg.kind,
                previous: reg.previous,
                ue: reg.ue.to_string(),
                pcscf: reg.pcscf.to_string(),
                impi: reg.impi.clone(),
                impu: reg.impu.clone(),
                frames: reg.frames.clone(),
                negotiated: reg.negotiated.clone(),
                final_status: reg.final_status,
                keys: reg.keys.as_ref().map(|k| k.2.clone()),
                sas: reg.sa_ids.clone(),
                esp_packets: reg.esp_on_wire,
                checks: results
                    .iter()
                    .map(|o| (o.id.to_string(), o.verdict))
                    .collect(),
                trace,
            });
        } else {
            self.reg_not_listed += 1;
        }
        for o in results {
            self.agg.add(o);
        }
    }

    /// Ends the replay: judges what is still open and builds the report.
    pub fn finish(mut self) -> Report {
        let mut open: Vec<usize> = self.regs.keys().copied().collect();
        open.sort_unstable();
        for rid in open {
            self.finalize(rid);
        }
        self.reg_reports.sort_by_key(|r| r.id);
        // Nonce freshness per UE, through the engine check.
        let mut ues: Vec<_> = std::mem::take(&mut self.challenges).into_iter().collect();
        ues.sort_by(|a, b| a.0.cmp(&b.0));
        for (_, ch) in ues {
            self.agg.add(nonces_outcome(ch));
        }
        // ESP without keys that the RFC 5879 heuristic reads as NULL-encrypted.
        let mut esp_without_keys = Vec::new();
        let mut unknown: Vec<_> = self.unknown.iter().collect();
        unknown.sort_by_key(|(_, u)| u.first_frame);
        for ((spi, src, dst), u) in unknown {
            esp_without_keys.push(UnknownSpi {
                spi: format!("0x{spi:08x}"),
                src: src.to_string(),
                dst: dst.to_string(),
                packets: u.packets,
                null_heuristic: u.null,
                first_frame: u.first_frame,
            });
            if u.null * 2 > u.packets {
                let req = self.opts.policy.require_confidentiality;
                self.agg.add(Outcome {
                    id: "esp_confidentiality",
                    verdict: if req { crate::engine::model::Verdict::Fail } else { crate::engine::model::Verdict::Pass },
                    summary: format!(
                        "SPI 0x{spi:08x} {src} -> {dst}: {} of {} packets read as ESP-NULL without keys (RFC 5879 heuristic){}",
                        u.null,
                        u.packets,
                        if req { "; policy requires confidentiality" } else { " (allowed: confidentiality not required)" }
                    ),
                    frames: vec![u.first_frame],
                });
            }
        }
        let fs = self.flows.total_stats();
        self.stats.tcp_retransmissions = fs.retransmitted;
        self.stats.tcp_out_of_order = fs.out_of_order;
        self.stats.tcp_gaps = fs.gaps;
        self.stats.tcp_flows_evicted = self.flows.evicted;
        self.stats.fragments_dropped += self
            .frag
            .dropped
            .saturating_sub(self.stats.fragments_dropped);
        let sas = self
            .sas
            .iter()
            .map(|s| SaOut {
                counts: s.report.clone(),
                source: s.source.clone(),
                registration: s.reg.map(|r| r.0),
                row: s.reg.map(|r| r.1),
                duplicate_views: s.duplicate_views,
                replayed_frames: s.replayed_frames.clone(),
                icv_bad_frames: s.icv_bad_frames.clone(),
                dummy_frames: s.dummy_frames.clone(),
            })
            .collect();
        for mut h in std::mem::take(&mut self.hooks) {
            for o in h.finish() {
                self.agg.add(o);
            }
            for w in h.warnings() {
                self.warn(w);
            }
        }
        for o in self.tls.finish() {
            self.agg.add(o);
        }
        for w in self.tls.warnings() {
            self.warn(w);
        }
        self.agg.add(self.srtp.finish());
        if self.opts.za {
            let flows: Vec<za::EspFlow> = self
                .unknown
                .iter()
                .map(|((spi, src, dst), u)| za::EspFlow {
                    spi: *spi,
                    src: *src,
                    dst: *dst,
                    packets: u.packets,
                    null_heuristic: u.null,
                    first_frame: u.first_frame,
                })
                .collect();
            let keyed = za::keyed_sas(&self.sas);
            for o in self.za.finish(flows, keyed, self.stats.esp_packets) {
                self.agg.add(o);
            }
        }
        let mut not_covered = vec![if self.opts.hooks.tls_keylog.is_some() {
            "TLS: 1.3 KeyUpdate, 0-RTT early data and renegotiation are not decrypted".to_string()
        } else {
            "TLS records are not decrypted without --tls-keylog; TLS handshakes are judged up to ChangeCipherSpec".to_string()
        }];
        if self.stats.link_unsupported > 0 {
            not_covered.push(format!(
                "{} frame(s) of unsupported link types {:?}",
                self.stats.link_unsupported, self.unsupported_links
            ));
        }
        Report {
            schema: report::SCHEMA,
            captures: self.captures,
            keys: self.opts.keys_info.clone(),
            stats: self.stats,
            registrations: self.reg_reports,
            registrations_not_listed: self.reg_not_listed,
            sas,
            sas_not_listed: self.sas.retired_not_listed,
            no_sa: self.sas.no_sa,
            esp_without_keys,
            srtp: self.srtp.section(),
            tls: self.tls.section(),
            checks: self.agg.into_checks(),
            not_covered,
            warnings: self.warnings,
        }
    }

    /// Wireshark esp_sa lines of every SA derived from a registration.
    pub fn esp_sa_lines(&self) -> Vec<String> {
        self.sas.iter().filter_map(|s| s.uat_line.clone()).collect()
    }
}

/// The engine's nonce-freshness check over one UE's challenges.
fn nonces_outcome((seen, frames): (Vec<Seen>, Vec<u64>)) -> Outcome {
    let s2t = |i: usize| frames.get(i).map(|f| *f as usize);
    let none = |_: usize| None;
    let obs = Observations {
        seen: &seen,
        core: None,
        core_registered: None,
        steps: &[],
        seen_to_trace: &s2t,
        core_to_trace: &none,
        confidentiality_required: false,
    };
    let r = evaluate(&Expect::NoncesFresh, &obs);
    Outcome {
        id: "nonces_fresh",
        verdict: r.verdict,
        summary: r.evidence.summary,
        frames: r.evidence.events.iter().map(|e| *e as u64).collect(),
    }
}

/// Checks of the IPsec SA set (TS 33.203 §7.1–§7.4) do not apply to a registration whose
/// P-CSCF answered with sec-agree mechanisms none of which is `ipsec-3gpp` (e.g. `tls`,
/// TS 33.203 Annex O, TS 24.229 §7.2A.7): there is no SA set to judge.
fn not_ipsec(reg: &Reg, results: &mut [Outcome]) {
    const SA_CHECKS: [&str; 9] = [
        "spis_distinct",
        "algorithm_from_offer",
        "esp_sequence",
        "no_dummy_packets",
        "protected_response_on_sa2",
        "esp_anti_replay",
        "esp_icv",
        "sip_inside_sas",
        "esp_confidentiality",
    ];
    if reg.server.is_empty()
        || reg
            .server
            .iter()
            .any(|m| m.name.eq_ignore_ascii_case("ipsec-3gpp"))
    {
        return;
    }
    let names: Vec<&str> = reg.server.iter().map(|m| m.name.as_str()).collect();
    for o in results.iter_mut().filter(|o| SA_CHECKS.contains(&o.id)) {
        o.verdict = crate::engine::model::Verdict::NotApplicable;
        o.summary = format!(
            "the P-CSCF chose sec-agree mechanism {} (no ipsec-3gpp): no IPsec SA set",
            names.join(", ")
        );
        o.frames.clear();
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// A SIP start line at the start of a datagram: a status line, or a token then a space.
fn looks_like_sip(p: &[u8]) -> bool {
    let line_end = p.iter().take(512).position(|b| *b == b'\r').unwrap_or(0);
    let line = p.get(..line_end).unwrap_or(&[]);
    line.starts_with(b"SIP/2.0 ") || line.ends_with(b" SIP/2.0")
}

/// Fuzz body (fuzz/fuzz_targets/replay.rs and harness/tests/replay.rs): the input is read as a
/// capture file, then as raw frames of every supported link type, through the whole replay
/// (with a TLS key log, so a ClientHello with an all-zero random gets record keys), and as a
/// TLS key log.
pub fn fuzz_capture(data: &[u8]) {
    // Every hook runs: IKE keys (so SK payloads are opened), an SDES key (SRTP), Za mode.
    let (ike_keys, _) = hook_ike::parse_ike_keys(
        "ikev2 I 0x1122334455667788 0x99aabbccddeeff00 sha1:0x404142434445464748494a4b4c4d4e4f50515253 aes128:0x101112131415161718191a1b1c1d1e1f",
    );
    let sdes = crate::capture::srtp::SdesKey::parse(
        "inline:aSBrbm93IGFsbCB5b3VyIGxpdHRsZSBzZWNyZXRz",
        crate::mech::srtp::Suite::AesCm128HmacSha1_80,
    )
    .into_iter()
    .collect();
    let mut e = Engine::new(Options {
        window: 64,
        hooks: hooks::HookConfig {
            ike_keys,
            tls_keylog: Some(
                keys::TlsKeyLog::parse(&format!(
                    "CLIENT_RANDOM {r} {m}\nCLIENT_HANDSHAKE_TRAFFIC_SECRET {r} {s}\nSERVER_HANDSHAKE_TRAFFIC_SECRET {r} {s}\n",
                    r = "00".repeat(32),
                    m = "01".repeat(48),
                    s = "02".repeat(32)
                ))
                .0,
            ),
        },
        za: true,
        sdes,
        ..Options::default()
    });
    if let Ok(mut r) =
        crate::capture::CaptureReader::from_reader("fuzz", std::io::Cursor::new(data.to_vec()))
    {
        while let Some(f) = r.next_frame() {
            e.feed(&f);
        }
    }
    // The key log parser on the same octets read as text.
    let _ = keys::TlsKeyLog::parse(&String::from_utf8_lossy(data));
    for (i, lt) in [1u32, 0, 101, 113, 276, 228].into_iter().enumerate() {
        e.feed(&Frame {
            number: i as u64 + 1,
            ts_ns: i as u64,
            linktype: lt,
            data: data.to_vec(),
            orig_len: data.len() as u32,
        });
    }
    let _ = e.finish();
}
