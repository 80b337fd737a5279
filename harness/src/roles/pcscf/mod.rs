//! The reference P-CSCF (TS 33.203 §6–7, Annex M; TS 24.229 §5.2.2), sans-I/O: it takes what
//! arrives on its sockets ([`Wire`]) and returns what to send. It is the embedded default SUT
//! of `imsec run`; with [`Flaw`]s it becomes the flawed variants that prove each check fails.
//!
//! Sockets it expects (all on `addr`): the unprotected port (initial REGISTER), its two
//! protected ports port_pc/port_ps (plain SIP arriving there is refused, as the kernel policy
//! of a real P-CSCF would), the encapsulation port for `UDP-enc-tun` (or a raw ESP socket in
//! transport mode), and the core port towards the S-CSCF.

pub mod flaws;
mod media;
pub mod policy;
mod register;
pub mod tls;

pub use flaws::{Flaw, Flaws};
pub use policy::AlgPolicy;

use super::gm::{Delivered, Gm, GmPolicy, SealOpts, Side, Wire};
use super::RandSource;
use crate::mech::secagree::header::Mechanism;
use crate::mech::secagree::ipsec::{IpsecMode, IpsecOffer};
use crate::mech::sip::SipMessage;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

/// Where the P-CSCF listens and what it allows.
#[derive(Debug, Clone)]
pub struct PcscfConfig {
    pub addr: IpAddr,
    pub unprotected_port: u16,
    /// Protected client port (port_pc): requests to the UE leave from here.
    pub port_pc: u16,
    /// Protected server port (port_ps): the UE's requests arrive here.
    pub port_ps: u16,
    /// Local port of the core leg (Mw) towards the S-CSCF.
    pub core_port: u16,
    pub scscf: SocketAddr,
    /// ESP modes this P-CSCF runs.
    pub modes: Vec<IpsecMode>,
    /// UDP encapsulation port of the P-CSCF (RFC 3948; 4500 by default, see esp::encap).
    pub encap_port: u16,
    /// The UE's encapsulation port until one is learned from a packet.
    pub ue_encap_port: u16,
    pub policy: AlgPolicy,
    pub flaws: Flaws,
    /// Anti-replay window (TS 33.203 M.6.3: on for every SA).
    pub replay_window: u32,
    /// The `tls` sec-agree mechanism (TS 33.203 Annex O): SIPS port and preference.
    pub tls: tls::TlsPolicy,
}

impl PcscfConfig {
    /// A P-CSCF on `addr` with the conventional ports (5060, 5062/5064, 6060, 4500).
    pub fn on(addr: IpAddr, scscf: SocketAddr) -> Self {
        PcscfConfig {
            addr,
            unprotected_port: 5060,
            port_pc: 5062,
            port_ps: 5064,
            core_port: 6060,
            scscf,
            modes: vec![IpsecMode::Transport, IpsecMode::UdpEncTunnel],
            encap_port: crate::mech::esp::encap::NAT_T_PORT,
            ue_encap_port: crate::mech::esp::encap::NAT_T_PORT,
            policy: AlgPolicy::default(),
            flaws: Flaws::new(),
            replay_window: crate::mech::esp::replay::DEFAULT_WINDOW,
            tls: tls::TlsPolicy::default(),
        }
    }
    fn has(&self, f: Flaw) -> bool {
        self.flaws.contains(&f)
    }
    fn local(&self, port: u16) -> SocketAddr {
        SocketAddr::new(self.addr, port)
    }
}

/// Where a request came from, so its response goes back the same way.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Origin {
    /// Plain SIP from the UE (initial REGISTER), or accepted plain on a protected port;
    /// `tcp`: on the TCP connection `local`↔`peer`.
    Plain {
        local: SocketAddr,
        peer: SocketAddr,
        tcp: bool,
    },
    /// Over the SAs of set `set_id`, from the UE's protected client port; `tcp`: on the TCP
    /// connection inside the SAs.
    Protected {
        set_id: u64,
        ue: SocketAddr,
        tcp: bool,
    },
    /// From the core, for the UE (sent over SA #3).
    Core { peer: SocketAddr },
    /// On the TLS session of connection `local`↔`peer` (the `tls` mechanism, see [`tls`]).
    Tls { local: SocketAddr, peer: SocketAddr },
}

/// A REGISTER in progress between UE and S-CSCF.
#[derive(Debug, Clone)]
struct RegTxn {
    aor: String,
    /// The UE's Security-Client list, and the entry the P-CSCF picked.
    client: Vec<Mechanism>,
    offer: Option<IpsecOffer>,
    expires: u32,
}

#[derive(Debug, Clone)]
struct Txn {
    origin: Origin,
    register: Option<RegTxn>,
}

/// A challenge answered with a temporary SA set, awaiting the protected REGISTER.
#[derive(Debug, Clone)]
struct Pending {
    set_id: u64,
    client_first: Vec<Mechanism>,
    server_sent: Vec<Mechanism>,
    created: u64,
}

/// A registered UE.
#[derive(Debug, Clone)]
struct Registration {
    set_id: u64,
    ue_addr: IpAddr,
    port_us: u16,
    contact: String,
    expires_at: u64,
    /// Registered over TCP: requests to the UE go on a TCP connection port_pc → port_us.
    tcp: bool,
}

/// The reference P-CSCF.
pub struct Pcscf {
    cfg: PcscfConfig,
    gm: Gm,
    rand: RandSource,
    txns: HashMap<String, Txn>,
    pending: HashMap<String, Pending>,
    regs: HashMap<String, Registration>,
    /// Final responses sent to the UE, by the UE's Via branch, to answer retransmissions
    /// (RFC 3261 §17.2.2). Bounded: the oldest entries go first.
    answered: std::collections::VecDeque<(String, Origin, Vec<u8>)>,
    /// UE branches whose request is being forwarded (retransmissions are absorbed).
    in_progress: std::collections::HashSet<String>,
    /// Last challenge sent per AoR (only kept by the `cache-challenge` variant).
    cached_401: HashMap<String, SipMessage>,
    /// One line per transaction and per dropped packet.
    pub log: Vec<String>,
    now: u64,
    /// Agreements and registrations of the `tls` mechanism.
    tls: tls::TlsState,
    /// The built-in IMS Access GW (TS 33.328 §6.2.1.1): UDP on its ports goes to it.
    pub agw: super::imsagw::Agw,
    /// IMS-ALG state (TS 33.328 §7; media.rs).
    media: media::MediaState,
}

impl Pcscf {
    pub fn new(cfg: PcscfConfig, mut rand: RandSource, gm_rand: RandSource) -> Self {
        let mut seed = [0u8; 1];
        rand(&mut seed);
        let gm_policy = GmPolicy {
            replay_window: (!cfg.has(Flaw::NoReplayWindow)).then_some(cfg.replay_window),
            check_selectors: !cfg.has(Flaw::NoSelectorCheck),
        };
        let mut cfg = cfg;
        if cfg.has(Flaw::NoIcvCheck) {
            // An AEAD cannot decrypt without checking its tag, so a P-CSCF that skips the ICV
            // check can only do so on HMAC-protected SAs: this variant prefers those.
            cfg.policy
                .preference
                .sort_by_key(|(a, _)| *a == crate::mech::algorithms::IntegAlg::Null);
        }
        let mut gm = Gm::new(Side::Pcscf, gm_policy, gm_rand);
        gm.verify_icv = !cfg.has(Flaw::NoIcvCheck);
        let agw = super::imsagw::Agw::new(super::imsagw::AgwConfig {
            flaws: super::imsagw::AgwFlaws::from_pcscf(&cfg.flaws),
            ..super::imsagw::AgwConfig::on(cfg.addr)
        });
        Pcscf {
            cfg,
            gm,
            rand,
            txns: HashMap::new(),
            pending: HashMap::new(),
            regs: HashMap::new(),
            answered: std::collections::VecDeque::new(),
            in_progress: std::collections::HashSet::new(),
            cached_401: HashMap::new(),
            log: Vec::new(),
            now: 0,
            tls: tls::TlsState::default(),
            agw,
            media: Default::default(),
        }
    }

    pub fn config(&self) -> &PcscfConfig {
        &self.cfg
    }

    /// Ids of the SA sets installed now (for checks on SA lifetimes).
    pub fn sa_set_ids(&self) -> Vec<u64> {
        self.gm.set_ids()
    }

    /// Whether an AoR (`user@host`) is registered.
    pub fn is_registered(&self, aor: &str) -> bool {
        self.regs.contains_key(&aor.to_ascii_lowercase())
    }

    /// The local addresses the edge must bind (UDP), besides a raw ESP socket in transport mode.
    pub fn udp_bindings(&self) -> Vec<SocketAddr> {
        let c = &self.cfg;
        let mut v = vec![
            c.local(c.unprotected_port),
            c.local(c.port_pc),
            c.local(c.port_ps),
            c.local(c.core_port),
        ];
        if c.modes.contains(&IpsecMode::UdpEncTunnel) {
            v.push(c.local(c.encap_port));
        }
        v.extend(self.agw.bindings());
        v
    }

    fn branch(&mut self) -> String {
        let mut b = [0u8; 8];
        (self.rand)(&mut b);
        format!("z9hG4bK{}", hex::encode(b))
    }

    fn draw_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        (self.rand)(&mut b);
        u32::from_be_bytes(b)
    }

    /// Handles what arrived on a socket at time `now` (seconds, any epoch).
    pub fn handle(&mut self, wire: Wire, now: u64) -> Vec<Wire> {
        if let Wire::Udp {
            local,
            peer,
            payload,
        } = &wire
        {
            if self.agw.owns(*local) {
                return self.agw.handle(*local, *peer, payload);
            }
        }
        let mut out = self.dispatch(wire, now);
        out.extend(self.gm.take_outbox());
        for l in self.gm.stream_log() {
            self.log.push(l);
        }
        out
    }

    /// Runs the timers of the TCP connections inside the SAs.
    pub fn tick(&mut self) -> Vec<Wire> {
        self.gm.poll_streams()
    }

    fn dispatch(&mut self, wire: Wire, now: u64) -> Vec<Wire> {
        self.now = now;
        self.expire();
        let c = &self.cfg;
        match &wire {
            Wire::Ip { .. } => self.on_esp(&wire),
            Wire::Tls {
                local,
                peer,
                payload,
            } => self.on_tls(*local, *peer, payload),
            Wire::Udp { local, .. }
                if local.port() == c.encap_port && c.modes.contains(&IpsecMode::UdpEncTunnel) =>
            {
                self.on_esp(&wire)
            }
            Wire::Udp {
                local,
                peer,
                payload,
            }
            | Wire::Tcp {
                local,
                peer,
                payload,
            } => {
                let tcp = matches!(wire, Wire::Tcp { .. });
                let (local, peer) = (*local, *peer);
                let msg = match SipMessage::parse(payload) {
                    Ok(m) => m,
                    Err(e) => {
                        self.log.push(format!("drop {peer}->{local}: {e}"));
                        return Vec::new();
                    }
                };
                if local.port() == c.core_port && !tcp {
                    self.on_core(msg, peer)
                } else if local.port() == c.unprotected_port {
                    self.on_unprotected(msg, local, peer, tcp)
                } else {
                    self.on_plain_protected_port(msg, local, peer, tcp)
                }
            }
        }
    }

    /// Drops temporary sets older than reg-await-auth and expired registrations.
    fn expire(&mut self) {
        let now = self.now;
        let limit = u64::from(crate::mech::esp::saset::REG_AWAIT_AUTH_SECS);
        let stale: Vec<String> = self
            .pending
            .iter()
            .filter(|(_, p)| now.saturating_sub(p.created) > limit)
            .map(|(k, _)| k.clone())
            .collect();
        for k in stale {
            if let Some(p) = self.pending.remove(&k) {
                self.gm.remove(p.set_id);
                self.log
                    .push(format!("{k}: temporary SAs expired (reg-await-auth)"));
            }
        }
        let gone: Vec<String> = self
            .regs
            .iter()
            .filter(|(_, r)| r.expires_at <= now)
            .map(|(k, _)| k.clone())
            .collect();
        for k in gone {
            if let Some(r) = self.regs.remove(&k) {
                self.gm.remove(r.set_id);
                self.log.push(format!("{k}: registration expired"));
            }
        }
    }

    fn on_esp(&mut self, wire: &Wire) -> Vec<Wire> {
        match self.gm.open(wire) {
            Ok(d) if d.dummy => {
                self.log.push(format!(
                    "dummy ESP packet (Next Header 59) on SPI {}",
                    d.spi
                ));
                Vec::new()
            }
            Ok(d) => {
                let mut out = self.on_protected(d);
                // More SIP messages framed from the same TCP segment.
                while let Some(d) = self.gm.next_delivered() {
                    out.extend(self.on_protected(d));
                }
                out
            }
            Err(super::gm::Drop::NoMessage) => Vec::new(),
            Err(e) => {
                self.log.push(format!("ESP dropped: {e}"));
                Vec::new()
            }
        }
    }

    fn on_protected(&mut self, d: Delivered) -> Vec<Wire> {
        let msg = match SipMessage::parse(&d.payload) {
            Ok(m) => m,
            Err(e) => {
                self.log.push(format!("protected SIP unreadable: {e}"));
                return Vec::new();
            }
        };
        if let Some(out) = self.retransmission(&msg) {
            return out;
        }
        if msg.status().is_some() {
            return self.on_ue_response(msg);
        }
        let origin = Origin::Protected {
            set_id: d.set_id,
            ue: d.src,
            tcp: d.tcp,
        };
        if msg.method().as_deref() == Some("REGISTER") {
            return self.on_register(msg, origin);
        }
        // Requests from a UE are accepted only over the SAs of its registration.
        if !self.regs.values().any(|r| r.set_id == d.set_id) {
            self.log
                .push("request over temporary SAs before registration: 403".into());
            let r = SipMessage::response_to(&msg, 403, "Forbidden", Some("pcscf"));
            return self.send_to_origin(&origin, r);
        }
        let msg = match self.media_from_ue(msg, &origin) {
            Ok(m) => m,
            Err(r) => return self.send_to_origin(&origin, r),
        };
        self.forward_to_core(msg, origin, None)
    }

    /// Plain SIP on a protected port: a conformant P-CSCF drops it.
    fn on_plain_protected_port(
        &mut self,
        msg: SipMessage,
        local: SocketAddr,
        peer: SocketAddr,
        tcp: bool,
    ) -> Vec<Wire> {
        if self.cfg.has(Flaw::AcceptUnprotectedRegister)
            && msg.method().as_deref() == Some("REGISTER")
            && msg.status().is_none()
        {
            // Flawed variant: the answer to the challenge is taken as if it came over the
            // temporary SAs of that UE.
            let aor = super::subscriber::uri_identity(msg.header("To").unwrap_or(""));
            if let Some(p) = self.pending.get(&aor) {
                let origin = Origin::Protected {
                    set_id: p.set_id,
                    ue: peer,
                    tcp,
                };
                return self.on_register(msg, origin);
            }
        }
        if !self.cfg.has(Flaw::AcceptUnprotected) {
            self.log.push(format!(
                "plain SIP on protected port {local} from {peer}: dropped"
            ));
            return Vec::new();
        }
        // The flawed variant trusts any plain SIP from the address of a registered UE.
        if !self.regs.values().any(|r| r.ue_addr == peer.ip()) {
            self.log.push(format!(
                "plain SIP on {local} from unregistered {peer}: dropped"
            ));
            return Vec::new();
        }
        let origin = Origin::Plain { local, peer, tcp };
        if msg.status().is_some() {
            return self.on_ue_response(msg);
        }
        self.forward_to_core(msg, origin, None)
    }

    fn on_unprotected(
        &mut self,
        msg: SipMessage,
        local: SocketAddr,
        peer: SocketAddr,
        tcp: bool,
    ) -> Vec<Wire> {
        let origin = Origin::Plain { local, peer, tcp };
        match msg.method().as_deref() {
            Some("REGISTER") if msg.status().is_none() => self.on_register(msg, origin),
            _ if msg.status().is_some() => Vec::new(),
            _ if self.tls_accepts_outside(peer) => self.forward_to_core(msg, origin, None),
            _ => {
                // TS 24.229 §5.2.2: after sec-agree, requests must use the SAs.
                self.log
                    .push(format!("unprotected request from {peer}: 403"));
                let r = SipMessage::response_to(&msg, 403, "Forbidden", Some("pcscf"));
                self.send_to_origin(&origin, r)
            }
        }
    }

    /// RFC 3261 §17.2.2: a retransmitted request is absorbed while its transaction runs, and
    /// answered with the same final response once it has one (re-protected on the same SA).
    fn retransmission(&mut self, msg: &SipMessage) -> Option<Vec<Wire>> {
        if msg.status().is_some() {
            return None;
        }
        let b = msg.top_via_branch()?.to_string();
        if self.in_progress.contains(&b) {
            self.log.push(format!("retransmission of {b} absorbed"));
            return Some(Vec::new());
        }
        let (_, origin, bytes) = self.answered.iter().find(|(x, _, _)| *x == b)?.clone();
        self.log
            .push(format!("retransmission of {b}: final response sent again"));
        Some(match origin {
            Origin::Protected { set_id, ue, tcp } => {
                self.seal_out(set_id, self.cfg.port_ps, ue.port(), &bytes, tcp)
            }
            Origin::Plain { local, peer, tcp } => vec![plain(local, peer, bytes, tcp)],
            Origin::Tls { local, peer } => vec![Wire::Tls {
                local,
                peer,
                payload: bytes,
            }],
            Origin::Core { .. } => Vec::new(),
        })
    }

    /// Forwards a request from the UE to the S-CSCF with a Via of our own.
    fn forward_to_core(
        &mut self,
        mut msg: SipMessage,
        origin: Origin,
        register: Option<RegTxn>,
    ) -> Vec<Wire> {
        if let Some(b) = msg.top_via_branch() {
            self.in_progress.insert(b.to_string());
        }
        let branch = self.branch();
        let via = format!(
            "SIP/2.0/UDP {};branch={}",
            self.cfg.local(self.cfg.core_port),
            branch
        );
        msg.headers.insert(
            0,
            crate::mech::sip::Header {
                name: "Via".into(),
                value: via,
            },
        );
        if !self.cfg.has(Flaw::ForwardSecAgree) {
            strip_sec_agree(&mut msg);
        }
        let msg = msg.with_content_length();
        self.txns.insert(branch, Txn { origin, register });
        vec![Wire::Udp {
            local: self.cfg.local(self.cfg.core_port),
            peer: self.cfg.scscf,
            payload: msg.to_bytes(),
        }]
    }

    /// A message from the core: a response to a forwarded request, or a request for a UE.
    fn on_core(&mut self, mut msg: SipMessage, peer: SocketAddr) -> Vec<Wire> {
        if msg.status().is_none() {
            return self.core_request_to_ue(msg, peer);
        }
        let Some(branch) = msg.top_via_branch().map(str::to_string) else {
            return Vec::new();
        };
        let Some(txn) = self.txns.remove(&branch) else {
            self.log
                .push(format!("response for unknown branch {branch}"));
            return Vec::new();
        };
        if msg.status().is_some_and(|c| c < 200) && txn.register.is_none() {
            // A provisional response (e.g. 180 to an INVITE): the transaction goes on.
            self.txns.insert(branch.clone(), txn.clone());
        }
        remove_top_via(&mut msg);
        if let Some(reg) = txn.register.clone() {
            return self.on_register_response(msg, txn, reg);
        }
        let msg = self.media_from_core_response(msg);
        self.send_to_origin(&txn.origin, msg)
    }

    /// A request from the core for a registered UE goes over SA #3 (port_pc → port_us).
    fn core_request_to_ue(&mut self, mut msg: SipMessage, peer: SocketAddr) -> Vec<Wire> {
        let target = match &msg.start {
            crate::mech::sip::StartLine::Request { uri, .. } => uri.clone(),
            _ => return Vec::new(),
        };
        let want = super::subscriber::uri_identity(&target);
        let Some(reg) = self
            .regs
            .values()
            .find(|r| super::subscriber::uri_identity(&r.contact) == want)
            .cloned()
        else {
            let r = SipMessage::response_to(&msg, 404, "Not Found", Some("pcscf"));
            return vec![Wire::Udp {
                local: self.cfg.local(self.cfg.core_port),
                peer,
                payload: r.with_content_length().to_bytes(),
            }];
        };
        msg = match self.media_to_ue(msg, reg.set_id) {
            Ok(m) => m,
            Err(r) => {
                return vec![Wire::Udp {
                    local: self.cfg.local(self.cfg.core_port),
                    peer,
                    payload: r.to_bytes(),
                }]
            }
        };
        let branch = self.branch();
        let via = format!(
            "SIP/2.0/UDP {};branch={}",
            self.cfg.local(self.cfg.port_pc),
            branch
        );
        msg.headers.insert(
            0,
            crate::mech::sip::Header {
                name: "Via".into(),
                value: via,
            },
        );
        self.txns.insert(
            branch,
            Txn {
                origin: Origin::Core { peer },
                register: None,
            },
        );
        let bytes = msg.with_content_length().to_bytes();
        if self.cfg.has(Flaw::WrongSaRequest) {
            let ue_port_uc = self
                .gm
                .params(reg.set_id)
                .iter()
                .find(|p| p.index == 2)
                .map(|p| p.dport)
                .unwrap_or(reg.port_us);
            return self.seal_out(reg.set_id, self.cfg.port_ps, ue_port_uc, &bytes, reg.tcp);
        }
        self.seal_out(reg.set_id, self.cfg.port_pc, reg.port_us, &bytes, reg.tcp)
    }

    /// A response from the UE (over SA #4) to a request we sent it.
    fn on_ue_response(&mut self, mut msg: SipMessage) -> Vec<Wire> {
        let Some(branch) = msg.top_via_branch().map(str::to_string) else {
            return Vec::new();
        };
        let Some(txn) = self.txns.remove(&branch) else {
            return Vec::new();
        };
        remove_top_via(&mut msg);
        let msg = self.media_from_ue_response(msg);
        match txn.origin {
            Origin::Core { peer } => vec![Wire::Udp {
                local: self.cfg.local(self.cfg.core_port),
                peer,
                payload: msg.with_content_length().to_bytes(),
            }],
            _ => Vec::new(),
        }
    }

    /// Sends a response back the way its request came.
    fn send_to_origin(&mut self, origin: &Origin, msg: SipMessage) -> Vec<Wire> {
        if let (Some(b), Some(code)) = (msg.top_via_branch().map(str::to_string), msg.status()) {
            if code >= 200 {
                // Retransmissions are absorbed until the final response (RFC 3261 §16.7).
                self.in_progress.remove(&b);
            }
            if code >= 200 && !matches!(origin, Origin::Core { .. }) {
                let bytes = msg.clone().with_content_length().to_bytes();
                self.answered.push_back((b, origin.clone(), bytes));
                while self.answered.len() > 256 {
                    self.answered.pop_front();
                }
            }
        }
        let bytes = msg.with_content_length().to_bytes();
        match origin {
            Origin::Plain { local, peer, tcp } => vec![plain(*local, *peer, bytes, *tcp)],
            Origin::Tls { local, peer } => vec![Wire::Tls {
                local: *local,
                peer: *peer,
                payload: bytes,
            }],
            Origin::Protected { set_id, ue, tcp } => {
                let reg = self.regs.values().find(|r| r.set_id == *set_id).cloned();
                if self.cfg.has(Flaw::WrongSaReply) {
                    if let Some(r) = reg {
                        return self.seal_out(*set_id, self.cfg.port_pc, r.port_us, &bytes, *tcp);
                    }
                }
                self.seal_out(*set_id, self.cfg.port_ps, ue.port(), &bytes, *tcp)
            }
            Origin::Core { peer } => vec![Wire::Udp {
                local: self.cfg.local(self.cfg.core_port),
                peer: *peer,
                payload: bytes,
            }],
        }
    }

    fn seal_out(
        &mut self,
        set_id: u64,
        sport: u16,
        dport: u16,
        bytes: &[u8],
        tcp: bool,
    ) -> Vec<Wire> {
        if tcp {
            return match self.gm.seal_stream(set_id, sport, dport, bytes) {
                Ok(w) => w,
                Err(e) => {
                    self.log
                        .push(format!("cannot protect {sport}->{dport} (TCP): {e}"));
                    Vec::new()
                }
            };
        }
        let mut out = Vec::new();
        let first = self.gm.sent(set_id, sport, dport) == Some(0);
        let opts = SealOpts {
            seq: (self.cfg.has(Flaw::SeqStartsAt2) && first).then_some(2),
            ..SealOpts::default()
        };
        match self.gm.seal(set_id, sport, dport, bytes, opts) {
            Ok(w) => out.push(w),
            Err(e) => {
                self.log
                    .push(format!("cannot protect {sport}->{dport}: {e}"));
                return out;
            }
        }
        if self.cfg.has(Flaw::SendDummy) {
            let dummy = SealOpts {
                dummy: true,
                ..SealOpts::default()
            };
            if let Ok(w) = self.gm.seal(set_id, sport, dport, &[], dummy) {
                out.push(w);
            }
        }
        out
    }
}

/// Plain SIP to `peer`, on UDP or on the TCP connection it came on.
fn plain(local: SocketAddr, peer: SocketAddr, payload: Vec<u8>, tcp: bool) -> Wire {
    if tcp {
        Wire::Tcp {
            local,
            peer,
            payload,
        }
    } else {
        Wire::Udp {
            local,
            peer,
            payload,
        }
    }
}

/// TS 24.229 §5.2.2: the P-CSCF removes Security-Client, Security-Verify and the `sec-agree`
/// option tag before forwarding towards the core.
fn strip_sec_agree(msg: &mut SipMessage) {
    msg.remove("Security-Client");
    msg.remove("Security-Verify");
    msg.remove("Security-Server");
    for h in ["Require", "Proxy-Require"] {
        let kept: Vec<String> = msg
            .headers_named(h)
            .flat_map(|v| v.split(','))
            .map(|t| t.trim().to_string())
            .filter(|t| !t.eq_ignore_ascii_case("sec-agree") && !t.is_empty())
            .collect();
        msg.remove(h);
        if !kept.is_empty() {
            msg.push(h, &kept.join(", "));
        }
    }
}

fn remove_top_via(msg: &mut SipMessage) {
    use crate::mech::sip::message::same_name;
    if let Some(i) = msg.headers.iter().position(|h| same_name(&h.name, "Via")) {
        let v = msg.headers[i].value.clone();
        match v.split_once(',') {
            Some((_, rest)) => msg.headers[i].value = rest.trim().to_string(),
            None => {
                msg.headers.remove(i);
            }
        }
    }
}
