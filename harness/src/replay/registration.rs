//! Reconstructing IMS registrations from the SIP messages of a capture (TS 33.203 §6.1, §7.2,
//! §7.4; TS 24.229 §5.1.1, §5.2.2): the initial REGISTER with Security-Client, the 401 with
//! Security-Server (and ck/ik on the core leg), the protected REGISTER with Security-Verify,
//! its final response, and re-registrations that create the next SA set.
//!
//! Legs: a REGISTER (or a response to one) with one Via travels between UE and P-CSCF (Gm);
//! with two or more it was forwarded by the P-CSCF (Mw, "the core leg"). Other requests and
//! responses are Gm when they travel between the addresses of a known UE/P-CSCF pair, core
//! when their Call-ID belongs to a registration's Gm dialogue and they travel elsewhere.
//!
//! Each registration keeps what [`crate::engine::checks::Observations`] needs (the UE's
//! vantage `seen` and the core's `core`), trimmed so memory does not grow with traffic: SIP of
//! the registration transactions, ESP packets from the P-CSCF only where the sequence-number
//! check needs them (the first per SPI and each decrease, which preserves that check's
//! verdict and evidence), dummy packets, and a bounded number of other messages.

use super::sas::KeySource;
use crate::lab::Seen;
use crate::mech::digest::nonce::AkaNonce;
use crate::mech::secagree::header::{parse_value, Mechanism, Mode};
use crate::mech::secagree::ipsec::{ipsec_offers, IpsecMode, IpsecOffer};
use crate::mech::sip::SipMessage;
use crate::roles::gm::{Delivered, Wire};
use crate::roles::scscf::Exchange;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

/// Messages kept per registration beyond the registration transactions.
const MAX_SEEN: usize = 256;
/// Sequence-number decreases kept per SPI.
const MAX_SEQ_EVENTS: usize = 16;

/// ESP facts of a message or packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EspInfo {
    pub spi: u32,
    pub seq: u32,
    /// Index in the SA table, when decrypted with a known SA.
    pub sa: Option<usize>,
    /// Decoded by the RFC 5879 heuristic (ESP-NULL, ICV not verified).
    pub heuristic: bool,
}

/// Where and how a SIP message travelled.
#[derive(Debug, Clone, Copy)]
pub struct SipCtx {
    pub frame: u64,
    pub ts_ns: u64,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub tcp: bool,
    /// The innermost ESP it travelled in, if any.
    pub esp: Option<EspInfo>,
}

/// Which kind of registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RegKind {
    Initial,
    Reregistration,
}

/// The SA set negotiated in a registration (for reports and key derivation).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Negotiated {
    pub alg: String,
    pub ealg: String,
    pub mode: String,
    pub ue_spi_c: u32,
    pub ue_spi_s: u32,
    pub ue_port_c: u16,
    pub ue_port_s: u16,
    pub pcscf_spi_c: u32,
    pub pcscf_spi_s: u32,
    pub pcscf_port_c: u16,
    pub pcscf_port_s: u16,
    #[serde(skip)]
    pub offer_ue: Option<IpsecOffer>,
    #[serde(skip)]
    pub offer_pcscf: Option<IpsecOffer>,
}

/// One registration attempt (initial or re-registration) of one UE.
pub struct Reg {
    pub id: usize,
    /// The `Instant` capture time 0 maps to (checks compare `Seen::at` values only).
    base: Instant,
    pub kind: RegKind,
    pub previous: Option<usize>,
    pub ue: IpAddr,
    pub pcscf: IpAddr,
    pub impi: Option<String>,
    pub impu: Option<String>,
    pub call_id: String,
    pub frames: RegFrames,
    pub client: Vec<Mechanism>,
    pub server: Vec<Mechanism>,
    pub verify: Vec<Mechanism>,
    pub client_again: Vec<Mechanism>,
    pub nonce: Option<String>,
    pub rand_autn: Option<([u8; 16], [u8; 16])>,
    pub keys: Option<([u8; 16], [u8; 16], KeySource)>,
    pub negotiated: Option<Negotiated>,
    pub final_status: Option<u16>,
    pub sa_ids: Vec<usize>,
    /// SPIs (P-CSCF → UE direction) of this set: spi_uc (row 2), spi_us (row 3).
    pub spis_to_ue: [u32; 2],
    /// SPIs (UE → P-CSCF): spi_ps (row 1), spi_pc (row 4).
    pub spis_to_pcscf: [u32; 2],
    pub seen: Vec<Seen>,
    pub seen_frames: Vec<u64>,
    pub core: Vec<Exchange>,
    pub core_frames: Vec<u64>,
    /// Frame of each core exchange's final response (for the report's ladder rows).
    pub core_resp_frames: Vec<Option<u64>>,
    /// Step ranges: (start seen idx, end, response idx, core start, core end).
    pub steps: Vec<StepMark>,
    seq_state: HashMap<u32, SeqState>,
    /// ESP packets on this set's SPIs seen on the wire (either direction).
    pub esp_on_wire: u64,
    /// ESP from the P-CSCF that was opened (decrypted or ESP-NULL).
    pub opened_from_pcscf: u64,
    /// SIP sent in clear between UE and P-CSCF after the set was in use (frames).
    pub clear_after: Vec<(u64, String)>,
    /// SDES `a=crypto` lines seen in SIP of this UE that was not encrypted (frames).
    pub sdes_exposed: Vec<u64>,
    /// First frame of ESP on this set.
    pub first_esp_frame: Option<u64>,
    pub extra_seen: usize,
    /// A REGISTER with Security-Verify over this set, not yet answered: a 401 to it starts
    /// the next registration (re-registration, TS 33.203 §7.4).
    pub pending_rereg: Option<(SipMessage, SipCtx)>,
    /// Capture time of the last SIP message or ESP packet attributed to it.
    pub last_ts: u64,
}

/// Frame numbers of the registration's key messages.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct RegFrames {
    pub register: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub challenge: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub core_challenge: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protected_register: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub final_response: Option<u64>,
}

/// A synthetic step of the registration (`initial`: REGISTER → 401; `protected`: protected
/// REGISTER → final response), so step-based checks run unchanged.
#[derive(Debug, Clone)]
pub struct StepMark {
    pub id: &'static str,
    pub seen_start: usize,
    pub seen_end: usize,
    pub response: Option<usize>,
    pub core_start: usize,
    pub core_end: usize,
}

#[derive(Debug, Clone, Copy)]
struct SeqState {
    last_seq: u32,
    last_frame: u64,
    last_ts: u64,
    last_kept: bool,
    events: usize,
}

/// Security-* headers of a message as one list.
pub fn sec_list(m: &SipMessage, name: &str) -> Vec<Mechanism> {
    m.headers_named(name)
        .filter_map(|v| parse_value(v, Mode::Lenient).ok())
        .flat_map(|p| p.mechanisms)
        .collect()
}

/// Number of Via header values (comma-separated values count separately).
pub fn via_count(m: &SipMessage) -> usize {
    m.headers_named("Via")
        .map(|v| v.split(',').filter(|s| !s.trim().is_empty()).count())
        .sum()
}

/// A parameter of the first WWW-Authenticate / Authorization header.
pub fn auth_param(m: &SipMessage, header: &str, name: &str) -> Option<String> {
    m.headers_named(header).find_map(|w| {
        crate::mech::digest::params::parse(w)
            .ok()
            .and_then(|p| p.get(name).map(str::to_string))
    })
}

/// ck/ik of a 401 (hex, 32 digits each), when both are present and readable.
pub fn ck_ik_of(m: &SipMessage) -> Option<([u8; 16], [u8; 16])> {
    let ck = auth_param(m, "WWW-Authenticate", "ck")?;
    let ik = auth_param(m, "WWW-Authenticate", "ik")?;
    Some((
        crate::hexarg::decode_fixed::<16>(&ck).ok()?,
        crate::hexarg::decode_fixed::<16>(&ik).ok()?,
    ))
}

fn uri_of(h: &str) -> String {
    crate::roles::subscriber::uri_identity(h)
}

impl Reg {
    pub fn new(
        base: Instant,
        id: usize,
        kind: RegKind,
        ue: IpAddr,
        pcscf: IpAddr,
        m: &SipMessage,
        frame: u64,
    ) -> Self {
        let client = sec_list(m, "Security-Client");
        Reg {
            base,
            id,
            kind,
            previous: None,
            ue,
            pcscf,
            impi: auth_param(m, "Authorization", "username"),
            impu: m.header("To").map(uri_of),
            call_id: m.call_id().unwrap_or("").to_string(),
            frames: RegFrames {
                register: frame,
                ..RegFrames::default()
            },
            client,
            server: Vec::new(),
            verify: Vec::new(),
            client_again: Vec::new(),
            nonce: None,
            rand_autn: None,
            keys: None,
            negotiated: None,
            final_status: None,
            sa_ids: Vec::new(),
            spis_to_ue: [0; 2],
            spis_to_pcscf: [0; 2],
            seen: Vec::new(),
            seen_frames: Vec::new(),
            core: Vec::new(),
            core_frames: Vec::new(),
            core_resp_frames: Vec::new(),
            steps: Vec::new(),
            seq_state: HashMap::new(),
            esp_on_wire: 0,
            opened_from_pcscf: 0,
            clear_after: Vec::new(),
            sdes_exposed: Vec::new(),
            first_esp_frame: None,
            extra_seen: 0,
            pending_rereg: None,
            last_ts: 0,
        }
    }

    /// The `Instant` of a capture time (checks only compare them).
    fn at(base: Instant, ts_ns: u64) -> Instant {
        base.checked_add(Duration::from_nanos(ts_ns))
            .unwrap_or(base)
    }

    /// Adds a message to the UE's vantage; returns its index (None when trimmed).
    pub fn push_seen(
        &mut self,
        sent: bool,
        sip: Option<SipMessage>,
        ctx: &SipCtx,
        delivered: Option<Delivered>,
        esp: Option<(u32, u32)>,
        essential: bool,
    ) -> Option<usize> {
        self.last_ts = self.last_ts.max(ctx.ts_ns);
        if !essential {
            // Other messages only matter to the checks when they carry what a check looks
            // for (a challenge, sec-agree headers) or arrived over ESP (the SA a response
            // used); the rest is not kept, so memory does not grow with traffic.
            let relevant = delivered.is_some()
                || sip.as_ref().is_some_and(|m| {
                    m.status() == Some(401)
                        || m.header("WWW-Authenticate").is_some()
                        || m.header("Security-Server").is_some()
                        || m.header("Security-Client").is_some()
                });
            if !relevant || self.extra_seen >= MAX_SEEN {
                return None;
            }
            self.extra_seen += 1;
        }
        self.seen.push(Seen {
            at: Self::at(self.base, ctx.ts_ns),
            sent,
            wire: Wire::Ip { packet: Vec::new() },
            sip,
            delivered,
            dropped: None,
            esp,
        });
        self.seen_frames.push(ctx.frame);
        Some(self.seen.len() - 1)
    }

    /// Records an ESP packet from the P-CSCF for the sequence-number check, keeping only the
    /// first per SPI and each (previous, current) pair where the number does not increase.
    pub fn esp_from_pcscf(
        &mut self,
        spi: u32,
        seq: u32,
        ctx: &SipCtx,
        delivered: Option<Delivered>,
    ) {
        let dummy = delivered.as_ref().is_some_and(|d| d.dummy);
        let st = self.seq_state.get(&spi).copied();
        let keep_cur = match st {
            None => true,
            Some(s) if seq <= s.last_seq && s.events < MAX_SEQ_EVENTS => {
                if !s.last_kept {
                    let prev = SipCtx {
                        frame: s.last_frame,
                        ts_ns: s.last_ts,
                        ..*ctx
                    };
                    self.push_seen(false, None, &prev, None, Some((spi, s.last_seq)), true);
                }
                true
            }
            Some(_) => dummy,
        };
        if keep_cur {
            self.push_seen(false, None, ctx, delivered, Some((spi, seq)), true);
        }
        let events = st.map_or(0, |s| s.events + usize::from(seq <= s.last_seq));
        self.seq_state.insert(
            spi,
            SeqState {
                last_seq: seq,
                last_frame: ctx.frame,
                last_ts: ctx.ts_ns,
                last_kept: keep_cur,
                events,
            },
        );
    }

    /// Reads the chosen SA set from Security-Client and Security-Server.
    pub fn negotiate(&mut self) {
        let ue_offers: Vec<IpsecOffer> = ipsec_offers(&self.client, Mode::Lenient)
            .into_iter()
            .filter_map(|(_, r)| r.ok().map(|(o, _)| o))
            .collect();
        let Some(pc) = ipsec_offers(&self.server, Mode::Lenient)
            .into_iter()
            .find_map(|(_, r)| r.ok().map(|(o, _)| o))
        else {
            return;
        };
        let ue = ue_offers
            .iter()
            .find(|o| o.alg == pc.alg && o.ealg == pc.ealg)
            .or(ue_offers.first())
            .cloned();
        let Some(ue) = ue else { return };
        self.spis_to_ue = [ue.spi_c, ue.spi_s];
        self.spis_to_pcscf = [pc.spi_s, pc.spi_c];
        self.negotiated = Some(Negotiated {
            alg: pc.alg.to_string(),
            ealg: pc.ealg.to_string(),
            mode: pc.mode.token().to_string(),
            ue_spi_c: ue.spi_c,
            ue_spi_s: ue.spi_s,
            ue_port_c: ue.port_c,
            ue_port_s: ue.port_s,
            pcscf_spi_c: pc.spi_c,
            pcscf_spi_s: pc.spi_s,
            pcscf_port_c: pc.port_c,
            pcscf_port_s: pc.port_s,
            offer_ue: Some(ue),
            offer_pcscf: Some(pc),
        });
    }

    /// Whether the set uses UDP-encapsulated tunnel mode.
    pub fn udp_encap(&self) -> bool {
        self.negotiated
            .as_ref()
            .and_then(|n| n.offer_pcscf.as_ref())
            .is_some_and(|o| o.mode == IpsecMode::UdpEncTunnel)
    }

    /// The §7.1 row of an SPI of this set with the packet's direction, if it is one.
    pub fn row_of(&self, spi: u32, from_ue: bool) -> Option<u8> {
        self.negotiated.as_ref()?;
        if from_ue {
            match spi {
                s if s == self.spis_to_pcscf[0] => Some(1),
                s if s == self.spis_to_pcscf[1] => Some(4),
                _ => None,
            }
        } else {
            match spi {
                s if s == self.spis_to_ue[0] => Some(2),
                s if s == self.spis_to_ue[1] => Some(3),
                _ => None,
            }
        }
    }

    /// RAND and AUTN of the nonce.
    pub fn set_nonce(&mut self, nonce: String) {
        self.rand_autn = AkaNonce::parse(&nonce).ok().map(|n| (n.rand, n.autn));
        self.nonce = Some(nonce);
    }
}
