//! A lab: the harness roles (UE, S-CSCF) around a P-CSCF under test, over real sockets.
//! With the built-in SUT, the reference P-CSCF runs in this process on loopback, reached
//! exactly as an external one would be (nothing in a check may depend on it being built in).
//!
//! Addresses: every lab takes its own 127.A.B.0/24 corner of loopback (A from the process id,
//! B from a counter), so labs run in parallel without port clashes: P-CSCF .2, S-CSCF .3,
//! UE .4. Linux routes all of 127.0.0.0/8 to `lo` with no set-up.

pub mod media;
pub mod scenario;
pub mod tls;

use crate::mech::algorithms::{EncAlg, IntegAlg};
use crate::mech::digest::AkaAlgorithm;
use crate::mech::secagree::ipsec::IpsecMode;
use crate::mech::sip::SipMessage;
use crate::net::node::{spawn, Running};
use crate::net::sockets::SocketSet;
use crate::net::{NetError, Wire};
use crate::roles::gm::{Delivered, Drop as GmDrop};
use crate::roles::pcscf::{Flaws, Pcscf, PcscfConfig};
use crate::roles::scscf::{Scscf, ScscfConfig};
use crate::roles::subscriber::{Subscriber, SubscriberStore};
use crate::roles::ue::{Ue, UeConfig};
use crate::roles::{os_rand, SipTransport};

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// The default subscriber: TS 35.208 test set 1 credentials (public test data, not a secret).
pub const DEFAULT_K: [u8; 16] = [
    0x46, 0x5b, 0x5c, 0xe8, 0xb1, 0x99, 0xb4, 0x9f, 0xaa, 0x5f, 0x0a, 0x2e, 0xe2, 0x38, 0xa6, 0xbc,
];
/// OPc of TS 35.208 test set 1.
pub const DEFAULT_OPC: [u8; 16] = [
    0xcd, 0x63, 0xcb, 0x71, 0x95, 0x4a, 0x9f, 0x4e, 0x48, 0xa5, 0x99, 0x4e, 0x37, 0xa0, 0x2b, 0xaf,
];

/// What a lab is built with.
#[derive(Debug, Clone)]
pub struct LabOptions {
    pub mode: IpsecMode,
    /// What the UE offers.
    pub offers: Vec<(IntegAlg, EncAlg)>,
    /// Flaws of the built-in P-CSCF.
    pub flaws: Flaws,
    /// Timeout of every wait.
    pub step_timeout: Duration,
    /// SIP over UDP or TCP (unprotected phase and inside the SAs).
    pub transport: SipTransport,
}

impl Default for LabOptions {
    fn default() -> Self {
        LabOptions {
            mode: IpsecMode::UdpEncTunnel,
            offers: vec![
                (IntegAlg::HmacSha1_96, EncAlg::AesCbc),
                (IntegAlg::Null, EncAlg::AesGcm),
                (IntegAlg::HmacSha1_96, EncAlg::Null),
            ],
            flaws: Flaws::new(),
            step_timeout: Duration::from_secs(3),
            transport: SipTransport::Udp,
        }
    }
}

/// Why a lab could not be set up (an environment error, never a verdict).
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    #[error(transparent)]
    Net(#[from] NetError),
    #[error("TLS set-up: {0}")]
    Tls(String),
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A fresh 127.A.B.0 prefix for one lab.
pub fn fresh_prefix() -> [u8; 3] {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let pid = std::process::id();
    let a = 100 + ((pid / 250 + n / 250) % 100) as u8;
    let b = 1 + ((pid + n) % 250) as u8;
    [127, a, b]
}

/// Something the UE sent or received, as the harness saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub at: std::time::Instant,
    /// True: sent by the UE; false: received by the UE.
    pub sent: bool,
    pub wire: Wire,
    /// The SIP message, when it is one (opened ESP included).
    pub sip: Option<SipMessage>,
    /// For received ESP: what passed the UE's inbound checks.
    pub delivered: Option<Delivered>,
    /// For received ESP the UE dropped: why.
    pub dropped: Option<String>,
    /// SPI and sequence number of a received ESP packet, whether or not it was accepted.
    pub esp: Option<(u32, u32)>,
}

/// SPI and sequence number at the start of an ESP packet.
fn esp_head(b: &[u8]) -> Option<(u32, u32)> {
    let spi = u32::from_be_bytes(b.get(0..4)?.try_into().ok()?);
    let seq = u32::from_be_bytes(b.get(4..8)?.try_into().ok()?);
    (spi > 255).then_some((spi, seq))
}

/// UE, S-CSCF and the P-CSCF under test.
pub struct Lab {
    /// Everything the UE sent and received, in order.
    pub seen: Vec<Seen>,
    /// Where the harness S-CSCF listens.
    pub scscf_at: SocketAddr,
    /// A socket on the core side for requests the core sends towards the UE.
    core: Option<std::net::UdpSocket>,
    pub opts: LabOptions,
    pub ue: Ue,
    pub ue_net: SocketSet,
    pub scscf: Running<Scscf>,
    pub pcscf: Option<Running<Pcscf>>,
    pub pcscf_cfg: PcscfConfig,
    /// Units that reached the UE but were not what a step waited for.
    pub unexpected: Vec<Wire>,
    /// Received units already logged but not yet handed to a step (several SIP messages
    /// framed from one TCP segment).
    backlog: std::collections::VecDeque<Seen>,
    /// The lab's TLS (built-in P-CSCF): what the UE trusts (the `tls` mechanism).
    pub tls: Option<tls::LabTls>,
    /// The built-in gateway's MSRP relay (TLS towards the UE, TCP towards the core).
    pub msrp_relay: Option<crate::net::msrp_relay::MsrpRelay>,
}

/// Where an external P-CSCF is and where the harness listens for what it forwards.
#[derive(Debug, Clone)]
pub struct ExternalSut {
    /// The P-CSCF's unprotected SIP address (initial REGISTER).
    pub pcscf: SocketAddr,
    /// The P-CSCF's UDP encapsulation port (UDP-enc-tun).
    pub pcscf_encap_port: u16,
    /// The harness S-CSCF's listening address (the P-CSCF's next hop).
    pub scscf: SocketAddr,
    /// The harness UE's address.
    pub ue: IpAddr,
    /// Realm and home domain the P-CSCF forwards to.
    pub realm: String,
}

fn subscriber_for(realm: &str) -> Subscriber {
    Subscriber {
        impi: format!("user@{realm}"),
        impus: vec![format!("sip:user@{realm}")],
        k: DEFAULT_K,
        opc: DEFAULT_OPC,
        amf: [0x80, 0x00],
        sqn: 0x20,
        algorithm: AkaAlgorithm::AkaV1Md5,
    }
}

fn ue_for(
    realm: &str,
    addr: IpAddr,
    pcscf: SocketAddr,
    opts: &LabOptions,
    encap: (u16, u16),
) -> Ue {
    Ue::new(
        UeConfig {
            addr,
            impi: format!("user@{realm}"),
            impu: format!("sip:user@{realm}"),
            realm: realm.to_string(),
            k: DEFAULT_K,
            opc: DEFAULT_OPC,
            sqn_ms: 0x20,
            pcscf,
            unprotected_port: 5060,
            offers: opts.offers.clone(),
            mode: opts.mode,
            encap_port: encap.0,
            pcscf_encap_port: encap.1,
            expires: 600,
            transport: opts.transport,
        },
        os_rand(),
        os_rand(),
    )
}

impl Lab {
    /// The harness around a P-CSCF that runs elsewhere (a real one, or `imsec serve pcscf`).
    pub fn external(opts: LabOptions, sut: ExternalSut) -> Result<Lab, LabError> {
        let scscf = Scscf::new(
            ScscfConfig {
                realm: sut.realm.clone(),
                ..ScscfConfig::default()
            },
            SubscriberStore::new(vec![subscriber_for(&sut.realm)]),
            os_rand(),
        );
        let scscf = spawn(scscf, &[sut.scscf], &[])?;
        let encap = (crate::mech::esp::encap::NAT_T_PORT, sut.pcscf_encap_port);
        let ue = ue_for(&sut.realm, sut.ue, sut.pcscf, &opts, encap);
        let mut ue_net = SocketSet::new();
        ue_net.bind_udp(SocketAddr::new(sut.ue, 5060))?;
        // A P-CSCF that honours Via without rport answers on the UE's port_uc.
        ue_net.bind_udp(SocketAddr::new(sut.ue, ue.ports.port_uc))?;
        match opts.mode {
            IpsecMode::Transport => ue_net.bind_raw(sut.ue)?,
            _ => ue_net.bind_udp(SocketAddr::new(sut.ue, encap.0))?,
        }
        let mut pcscf_cfg = PcscfConfig::on(sut.pcscf.ip(), sut.scscf);
        pcscf_cfg.unprotected_port = sut.pcscf.port();
        pcscf_cfg.encap_port = sut.pcscf_encap_port;
        Ok(Lab {
            opts,
            ue,
            ue_net,
            scscf,
            pcscf: None,
            pcscf_cfg,
            unexpected: Vec::new(),
            backlog: Default::default(),
            tls: None,
            msrp_relay: None,
            seen: Vec::new(),
            scscf_at: sut.scscf,
            core: None,
        })
    }

    /// The built-in reference P-CSCF (with `opts.flaws`) on loopback.
    pub fn builtin(opts: LabOptions) -> Result<Lab, LabError> {
        let [a, b, c] = fresh_prefix();
        let at = |d: u8| IpAddr::V4(Ipv4Addr::new(a, b, c, d));
        let (p, s, u) = (at(2), at(3), at(4));
        let scscf_addr = SocketAddr::new(s, 5060);
        let mut pc = PcscfConfig::on(p, scscf_addr);
        pc.flaws = opts.flaws.clone();
        let sub = subscriber_for("imsec.test");
        let scscf = Scscf::new(
            ScscfConfig::default(),
            SubscriberStore::new(vec![sub]),
            os_rand(),
        );
        let scscf = spawn(scscf, &[scscf_addr], &[])?;
        let pcscf = Pcscf::new(pc.clone(), os_rand(), os_rand());
        let bindings = pcscf.udp_bindings();
        let raw = if opts.mode == IpsecMode::Transport {
            vec![p]
        } else {
            vec![]
        };
        // The P-CSCF takes SIP over TCP on its unprotected port as well (RFC 3261 §18.2.1).
        let tcp = [SocketAddr::new(p, pc.unprotected_port)];
        // TLS (Annex O): upgrades on the unprotected TCP port, TLS only on the SIPS port.
        let (server_tls, lab_tls) = tls::builtin_pcscf(p, &pc.flaws).map_err(LabError::Tls)?;
        let sips = pcscf.tls_listen();
        let msrp_relay = match pcscf.agw.relay_spec() {
            Some(spec) => Some(crate::net::msrp_relay::MsrpRelay::start(spec)?),
            None => None,
        };
        let mut set = crate::net::sockets::SocketSet::new();
        set.set_tls(server_tls);
        if let Some(a) = sips {
            set.listen_tls(a)?;
        }
        let pcscf = crate::net::node::spawn_prepared(pcscf, set, &bindings, &raw, &tcp)?;
        let mut ue = ue_for(
            "imsec.test",
            u,
            SocketAddr::new(p, pc.unprotected_port),
            &opts,
            (pc.ue_encap_port, pc.encap_port),
        );
        // The built-in P-CSCF is an IMS-ALG: the UE indicates e2ae media security
        // (TS 33.328 §7.1; off towards external P-CSCFs unless a case turns it on).
        ue.mediasec = true;
        let mut ue_net = SocketSet::new();
        ue_net.bind_udp(SocketAddr::new(u, 5060))?;
        ue_net.set_tls(lab_tls.client_setup(None).map_err(LabError::Tls)?);
        ue_net.bind_udp(SocketAddr::new(u, ue.ports.port_uc))?;
        match opts.mode {
            IpsecMode::Transport => ue_net.bind_raw(u)?,
            _ => ue_net.bind_udp(SocketAddr::new(u, pc.ue_encap_port))?,
        }
        Ok(Lab {
            opts,
            ue,
            ue_net,
            scscf,
            pcscf: Some(pcscf),
            pcscf_cfg: pc,
            unexpected: Vec::new(),
            backlog: Default::default(),
            tls: Some(lab_tls),
            msrp_relay,
            seen: Vec::new(),
            scscf_at: scscf_addr,
            core: None,
        })
    }

    /// Sends from the UE (and logs it), then whatever the UE's TCP stack queued with it.
    pub fn send(&mut self, w: &Wire) -> Result<(), NetError> {
        self.send_one(w)?;
        self.flush_ue()
    }

    /// Sends what the UE's TCP stack has queued (ACKs, data after a handshake).
    pub fn flush_ue(&mut self) -> Result<(), NetError> {
        for w in self.ue.take_outbox() {
            self.send_one(&w)?;
        }
        Ok(())
    }

    fn send_one(&mut self, w: &Wire) -> Result<(), NetError> {
        let sip = match w {
            Wire::Udp { payload, .. } | Wire::Tcp { payload, .. } | Wire::Tls { payload, .. } => {
                SipMessage::parse(payload).ok()
            }
            Wire::Ip { .. } => None,
        };
        self.seen.push(Seen {
            at: std::time::Instant::now(),
            sent: true,
            wire: w.clone(),
            sip,
            delivered: None,
            dropped: None,
            esp: None,
        });
        self.ue_net.send(w)
    }

    /// Logs a sent protected message whose SIP the caller knows.
    pub fn note_sent_sip(&mut self, msg: &SipMessage) {
        if let Some(last) = self.seen.iter_mut().rev().find(|s| s.sent) {
            if last.sip.is_none() {
                last.sip = Some(msg.clone());
            }
        }
    }

    /// Receives one unit for the UE within `timeout`, runs the UE's inbound checks on ESP,
    /// and logs it.
    pub fn recv_one(&mut self, timeout: Duration) -> Option<Seen> {
        if let Some(s) = self.backlog.pop_front() {
            return Some(s);
        }
        // TCP timers of the UE's stack (retransmissions) run while it waits.
        let _ = self.flush_ue();
        let w = self.ue_net.recv(timeout)?;
        let is_plain = match &w {
            Wire::Udp { local, .. } => {
                local.port() != self.ue.cfg.encap_port || self.ue.cfg.mode == IpsecMode::Transport
            }
            Wire::Tcp { .. } | Wire::Tls { .. } => true,
            Wire::Ip { .. } => false,
        };
        let esp = match (&w, is_plain) {
            (_, true) => None,
            (Wire::Udp { payload, .. }, false) => esp_head(payload),
            (Wire::Tcp { .. } | Wire::Tls { .. }, false) => None,
            (Wire::Ip { packet }, false) => crate::capture::classify::parse_ip(packet)
                .ok()
                .filter(|v| v.protocol == 50)
                .and_then(|v| esp_head(v.payload)),
        };
        let mut seen = Seen {
            at: std::time::Instant::now(),
            sent: false,
            wire: w.clone(),
            sip: None,
            delivered: None,
            dropped: None,
            esp,
        };
        if is_plain {
            if let Wire::Udp { payload, .. }
            | Wire::Tcp { payload, .. }
            | Wire::Tls { payload, .. } = &w
            {
                seen.sip = SipMessage::parse(payload).ok();
            }
        } else {
            match self.ue.open(&w) {
                Ok(d) => {
                    if !d.dummy {
                        seen.sip = SipMessage::parse(&d.payload).ok();
                    }
                    seen.delivered = Some(d);
                }
                // A TCP segment that completed no SIP message: accepted, nothing to deliver.
                Err(GmDrop::NoMessage) => {}
                Err(e) => seen.dropped = Some(e.to_string()),
            }
        }
        self.seen.push(seen.clone());
        // Further messages framed from the same TCP segment: logged without the ESP facts
        // (the packet is counted once).
        while let Some(d) = self.ue.next_delivered() {
            let extra = Seen {
                sip: SipMessage::parse(&d.payload).ok(),
                delivered: Some(d),
                dropped: None,
                esp: None,
                ..seen.clone()
            };
            self.seen.push(extra.clone());
            self.backlog.push_back(extra);
        }
        // What the UE's TCP stack answers (ACKs, queued data) leaves at the next send or
        // receive, so the last entry of `seen` is still the unit returned here.
        Some(seen)
    }

    /// Waits for the next SIP message to the UE (plain, or ESP that passes the UE's checks).
    pub fn recv_sip(&mut self) -> Option<(SipMessage, Option<Delivered>)> {
        let deadline = std::time::Instant::now() + self.opts.step_timeout;
        loop {
            let left = deadline.checked_duration_since(std::time::Instant::now())?;
            let s = self.recv_one(left)?;
            match s.sip {
                Some(m) => return Some((m, s.delivered)),
                None => self.unexpected.push(s.wire),
            }
        }
    }

    /// Collects what reaches the UE during `window` (for steps that expect silence).
    pub fn listen(&mut self, window: Duration) -> Vec<Seen> {
        let deadline = std::time::Instant::now() + window;
        let mut out = Vec::new();
        while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
            match self.recv_one(left) {
                Some(s) => out.push(s),
                None => break,
            }
        }
        out
    }

    /// A non-INVITE client transaction over UDP (RFC 3261 §17.1.2): sends `first`, then
    /// retransmits with Timer E (T1 = 500 ms doubling up to T2 = 4 s) until a final response
    /// or the step timeout (Timer F would be 64·T1; the step timeout bounds it here).
    /// `again` re-sends the same SIP message: over ESP that is a new packet with a new
    /// sequence number, as a real UE's IPsec layer would send it.
    pub fn transact(
        &mut self,
        first: &Wire,
        mut again: impl FnMut(&mut Ue) -> Option<Wire>,
    ) -> Result<(SipMessage, Option<Delivered>), String> {
        const T1: Duration = Duration::from_millis(500);
        const T2: Duration = Duration::from_secs(4);
        self.send(first).map_err(|e| e.to_string())?;
        // RFC 3261 §17.1.3: only responses carrying this transaction's branch belong to it (a
        // late answer to a retransmission of the previous request does not).
        let branch = self.ue.last_branch();
        let deadline = std::time::Instant::now() + self.opts.step_timeout;
        let mut interval = T1;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return Err(format!(
                    "no final response within {} ms (retransmitted every T1..T2)",
                    self.opts.step_timeout.as_millis()
                ));
            }
            let saved = self.opts.step_timeout;
            self.opts.step_timeout = interval.min(left);
            let got = self.recv_sip();
            self.opts.step_timeout = saved;
            let theirs = |m: &SipMessage| {
                m.status().is_none() || branch.is_none() || m.top_via_branch() == branch.as_deref()
            };
            match got {
                // Logged in `seen` already; not this transaction's.
                Some((m, _)) if !theirs(&m) => continue,
                Some((m, d)) if m.status().is_some_and(|c| c >= 200) => return Ok((m, d)),
                Some(_) => {} // provisional: keep waiting (Timer E keeps running, RFC 3261 §17.1.2.2)
                None => {
                    if let Some(w) = again(&mut self.ue) {
                        self.send(&w).map_err(|e| e.to_string())?;
                    }
                    interval = (interval * 2).min(T2);
                }
            }
        }
    }

    /// The harness S-CSCF's address.
    pub fn scscf_addr(&self) -> SocketAddr {
        self.scscf_at
    }

    /// A UDP socket on the core side (bound once at `addr`).
    pub fn core_socket(&mut self, addr: SocketAddr) -> Result<std::net::UdpSocket, NetError> {
        if self.core.is_none() {
            let s = std::net::UdpSocket::bind(addr)
                .map_err(|source| NetError::Bind { addr, source })?;
            self.core = Some(s);
        }
        self.core
            .as_ref()
            .ok_or(NetError::NotBound(addr))?
            .try_clone()
            .map_err(|source| NetError::Bind { addr, source })
    }

    /// Binds a UDP socket for the UE if it is not bound yet (e.g. a protected port, to send
    /// or receive SIP in clear there).
    pub fn ensure_udp(&mut self, addr: SocketAddr) -> Result<(), NetError> {
        if self.ue_net.is_bound(&addr) {
            return Ok(());
        }
        self.ue_net.bind_udp(addr)
    }

    /// Stops every node.
    pub fn stop(&mut self) {
        if let Some(p) = &mut self.pcscf {
            p.stop();
        }
        self.scscf.stop();
        self.ue_net.shutdown();
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        self.stop();
    }
}
