//! The reference UE (TS 24.229 §5.1.1; TS 33.203 §7.2, §7.4), sans-I/O, with every deviation
//! the security checks need expressed as an option of the step that commits it.

use super::gm::{Delivered, Drop, Gm, GmPolicy, SealOpts, Side, Wire};
use super::{RandSource, SipTransport};
use crate::mech::aka::{sqn_to_u64, ue_authenticate, AkaFailure, Autn, SqnPolicy, UeSuccess};
use crate::mech::algorithms::{EncAlg, IntegAlg};
use crate::mech::digest::{self, params, AkaAlgorithm, AkaNonce, DigestInput, Qop};
use crate::mech::esp::saset::{Endpoint, Mode, SaSet, SaSetInput};
use crate::mech::milenage::Milenage;
use crate::mech::secagree::header::{emit, parse_value, Mechanism, Mode as ParseMode};
use crate::mech::secagree::ipsec::{ipsec_offers, IpsecMode, IpsecOffer, IpsecProto};
use crate::mech::sip::SipMessage;
use std::net::{IpAddr, SocketAddr};

/// INVITE and SDP of the UE (TS 33.328 §7.2.1, §7.3.1).
pub mod call;

/// The `tls` sec-agree mechanism of the UE (TS 33.203 Annex O; seed 004).
pub mod tls;

/// Who the UE is and what it offers.
#[derive(Clone)]
pub struct UeConfig {
    pub addr: IpAddr,
    pub impi: String,
    pub impu: String,
    pub realm: String,
    pub k: [u8; 16],
    pub opc: [u8; 16],
    /// SQN_MS: highest SQN accepted so far.
    pub sqn_ms: u64,
    /// The P-CSCF's unprotected address (initial REGISTER).
    pub pcscf: SocketAddr,
    /// The UE's unprotected port (initial REGISTER leaves from here).
    pub unprotected_port: u16,
    /// Offered pairs, in the UE's order of preference.
    pub offers: Vec<(IntegAlg, EncAlg)>,
    pub mode: IpsecMode,
    /// Encapsulation ports (UDP-enc-tun): the UE's and the P-CSCF's.
    pub encap_port: u16,
    pub pcscf_encap_port: u16,
    pub expires: u32,
    /// UDP or TCP, for the unprotected phase and inside the SAs alike.
    pub transport: SipTransport,
}

/// Per-registration parameters the UE allocates (TS 33.203 §7.1: fresh per registration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UePorts {
    pub spi_uc: u32,
    pub spi_us: u32,
    pub port_uc: u16,
    pub port_us: u16,
}

/// What the UE learned from a 401.
#[derive(Debug, Clone)]
pub struct Challenge {
    pub challenge: params::AuthParams,
    pub server: Vec<Mechanism>,
    /// The entry the UE will use (the one with its own ports, highest q).
    pub chosen: IpsecOffer,
    pub res: [u8; 8],
    pub ck: [u8; 16],
    pub ik: [u8; 16],
    pub set_id: u64,
}

/// Why the UE could not go on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UeError {
    #[error("expected {want}, got {got}")]
    Unexpected { want: String, got: String },
    #[error("challenge unusable: {0}")]
    Challenge(String),
    #[error("AKA: {0}")]
    Aka(String),
    /// SQN not fresh: the UE must answer with AUTS (TS 33.102 §6.3.3, RFC 3310 §3.4).
    #[error("AKA synchronisation failure (AUTS {})", hex::encode(auts))]
    SyncFailure {
        auts: [u8; 14],
        challenge: params::AuthParams,
    },
    #[error("Security-Server unusable: {0}")]
    Server(String),
    #[error("SA set-up failed: {0}")]
    Sa(String),
    #[error("protection failed: {0}")]
    Protect(String),
}

/// Deviations of a protected REGISTER (all `None`/false = conformant).
#[derive(Debug, Clone, Default)]
pub struct RegisterOpts {
    /// Replace Security-Verify by this list (`Some(vec![])` = omit the header).
    pub verify: Option<Vec<Mechanism>>,
    /// Replace Security-Client by this list (`Some(vec![])` = omit the header).
    pub client: Option<Vec<Mechanism>>,
    /// Send the REGISTER without ESP, in clear, to the P-CSCF's protected port.
    pub unprotected: bool,
    /// Use a wrong Digest response.
    pub wrong_response: bool,
    /// Expires value (default: the configured one).
    pub expires: Option<u32>,
}

/// The last request sent: (protected on set/sport/dport, or plain), the message, the wire.
type LastSent = (Option<(u64, u16, u16)>, SipMessage, Wire);

/// The UE.
pub struct Ue {
    pub cfg: UeConfig,
    gm: Gm,
    rand: RandSource,
    call_id: String,
    cseq: u32,
    tag: String,
    /// The Security-Client list sent in the last unprotected / re-registration REGISTER.
    pub client_sent: Vec<Mechanism>,
    /// Ports and SPIs of the registration being set up.
    pub ports: UePorts,
    /// The last challenge.
    pub challenge: Option<Challenge>,
    /// SA set of the current registration (after 200).
    pub registered_set: Option<u64>,
    /// The set a re-registration replaced. A conformant UE deletes it (TS 33.203 §7.4); the
    /// harness keeps its keys so a case can check that the P-CSCF no longer accepts it.
    pub previous_set: Option<u64>,
    /// The last request sent, to retransmit it (protected: set, sport, dport).
    last: Option<LastSent>,
    /// TCP segments produced with or after the wire a method returned (sent by the edge).
    outbox: Vec<Wire>,
    /// Indicates e2ae media security at registration (`sdes-srtp;mediasec`,
    /// `msrp-tls;mediasec` in Security-Client; TS 24.229 §7.2A.7, TS 33.328 §7.1).
    pub mediasec: bool,
    /// The `tls` sec-agree mechanism: what the UE offers and its TLS connection.
    pub tls: tls::UeTls,
    /// The MSRP-over-TLS certificate (`Ue::msrp_identity`, roles/ue/call.rs).
    msrp: std::sync::OnceLock<call::MsrpIdentity>,
}

fn offer_mechanisms(cfg: &UeConfig, p: &UePorts) -> Vec<Mechanism> {
    cfg.offers
        .iter()
        .map(|(alg, ealg)| {
            IpsecOffer {
                q: None,
                alg: *alg,
                ealg: *ealg,
                prot: IpsecProto::Esp,
                mode: cfg.mode,
                spi_c: p.spi_uc,
                spi_s: p.spi_us,
                port_c: p.port_uc,
                port_s: p.port_us,
            }
            .to_mechanism()
        })
        .collect()
}

impl Ue {
    pub fn new(cfg: UeConfig, mut rand: RandSource, gm_rand: RandSource) -> Self {
        let mut b = [0u8; 12];
        rand(&mut b);
        let gm = Gm::new(Side::Ue, GmPolicy::default(), gm_rand);
        let mut ue = Ue {
            cfg,
            gm,
            rand,
            call_id: format!("{}@imsec", hex::encode(&b[..8])),
            cseq: 0,
            tag: hex::encode(&b[8..]),
            client_sent: Vec::new(),
            ports: UePorts {
                spi_uc: 0,
                spi_us: 0,
                port_uc: 0,
                port_us: 0,
            },
            challenge: None,
            registered_set: None,
            previous_set: None,
            last: None,
            outbox: Vec::new(),
            mediasec: false,
            tls: tls::UeTls::default(),
            msrp: std::sync::OnceLock::new(),
        };
        ue.ports = ue.fresh_ports();
        ue
    }

    /// New SPIs (above 255, distinct, not in use) and protected ports (TS 33.203 §7.1).
    pub fn fresh_ports(&mut self) -> UePorts {
        let live = self.gm.inbound_spis();
        let mut spis = Vec::new();
        while spis.len() < 2 {
            let mut b = [0u8; 4];
            (self.rand)(&mut b);
            let v = u32::from_be_bytes(b);
            if v > 255 && !spis.contains(&v) && !live.contains(&v) {
                spis.push(v);
            }
        }
        let mut pb = [0u8; 2];
        (self.rand)(&mut pb);
        let base = 20000 + (u16::from_be_bytes(pb) % 20000) * 2;
        let used: Vec<u16> = self
            .gm
            .set_ids()
            .iter()
            .flat_map(|id| self.gm.params(*id))
            .flat_map(|p| [p.sport, p.dport])
            .collect();
        let mut port_uc = base;
        while used.contains(&port_uc) || used.contains(&(port_uc + 1)) {
            port_uc = port_uc.wrapping_add(2).max(20000);
        }
        UePorts {
            spi_uc: spis[0],
            spi_us: spis[1],
            port_uc,
            port_us: port_uc + 1,
        }
    }

    /// The SA sets the UE holds now.
    pub fn sa_sets(&self) -> Vec<u64> {
        self.gm.set_ids()
    }

    /// SA row `index` (1..=4, TS 33.203 §7.1 table) of set `set`.
    pub fn sa(&self, set: u64, index: u8) -> Result<crate::mech::esp::saset::SaParams, UeError> {
        self.gm
            .params(set)
            .into_iter()
            .find(|p| p.index == index)
            .ok_or_else(|| UeError::Sa(format!("SA #{index} missing")))
    }

    /// SA row `index` of the current registration.
    pub fn current_sa(&self, index: u8) -> Result<crate::mech::esp::saset::SaParams, UeError> {
        let set = self
            .registered_set
            .ok_or_else(|| UeError::Sa("not registered".into()))?;
        self.sa(set, index)
    }

    /// Parameters (selectors, SPIs, keys) of a set, e.g. for `esp_sa` export.
    pub fn sa_params(&self, id: u64) -> Vec<crate::mech::esp::saset::SaParams> {
        self.gm.params(id)
    }

    fn base_register(&mut self, expires: u32) -> SipMessage {
        self.cseq += 1;
        let mut b = [0u8; 8];
        (self.rand)(&mut b);
        let contact_port = self.ports.port_us;
        SipMessage::request("REGISTER", &format!("sip:{}", self.cfg.realm))
            .with(
                "Via",
                &format!(
                    "{} {};rport;branch=z9hG4bK{}",
                    self.cfg.transport.via(),
                    SocketAddr::new(self.cfg.addr, self.ports.port_uc),
                    hex::encode(b)
                ),
            )
            .with("Max-Forwards", "70")
            .with("From", &format!("<{}>;tag={}", self.cfg.impu, self.tag))
            .with("To", &format!("<{}>", self.cfg.impu))
            .with("Call-ID", &self.call_id)
            .with("CSeq", &format!("{} REGISTER", self.cseq))
            .with(
                "Contact",
                &format!(
                    "<sip:{}@{}>;expires={expires}",
                    self.cfg
                        .impu
                        .trim_start_matches("sip:")
                        .split('@')
                        .next()
                        .unwrap_or("ue"),
                    SocketAddr::new(self.cfg.addr, contact_port)
                ),
            )
            .with("Supported", "path, sec-agree")
            .with("Require", "sec-agree")
            .with("Proxy-Require", "sec-agree")
    }

    /// A request in clear to the P-CSCF's unprotected port (remembered for retransmission).
    fn send_unprotected(&mut self, msg: SipMessage) -> (SipMessage, Wire) {
        let wire = self.plain(
            SocketAddr::new(self.cfg.addr, self.cfg.unprotected_port),
            self.cfg.pcscf,
            msg.to_bytes(),
        );
        self.last = Some((None, msg.clone(), wire.clone()));
        (msg, wire)
    }

    /// The initial REGISTER, unprotected, with Security-Client (TS 24.229 §5.1.1.2).
    pub fn initial_register(&mut self) -> (SipMessage, Wire) {
        self.client_sent = offer_mechanisms(&self.cfg, &self.ports);
        self.client_sent.extend(self.mediasec_mechanisms());
        let expires = self.cfg.expires;
        let msg = self
            .base_register(expires)
            .with(
                "Authorization",
                &format!(
                    "Digest username=\"{}\", realm=\"{}\", nonce=\"\", uri=\"sip:{}\", response=\"\"",
                    self.cfg.impi, self.cfg.realm, self.cfg.realm
                ),
            )
            .with("Security-Client", &emit(&self.client_sent))
            .with_content_length();
        self.send_unprotected(msg)
    }

    /// A re-registration (or de-registration with `expires = 0`) over the current SAs, with a
    /// new Security-Client for the next set (TS 33.203 §7.4).
    pub fn reregister(&mut self, expires: u32) -> Result<(SipMessage, Wire), UeError> {
        let set = self
            .registered_set
            .ok_or_else(|| UeError::Sa("not registered".into()))?;
        let old = self.ports;
        if expires > 0 {
            self.ports = self.fresh_ports();
            self.client_sent = offer_mechanisms(&self.cfg, &self.ports);
            self.client_sent.extend(self.mediasec_mechanisms());
        }
        let pc = self.pcscf_ports(set)?;
        let mut msg = self.base_register(expires);
        // Via and the sending port belong to the SA in use (the old set).
        msg.set(
            "Via",
            &format!(
                "{} {};branch=z9hG4bK{:08x}",
                self.cfg.transport.via(),
                SocketAddr::new(self.cfg.addr, old.port_uc),
                self.cseq
            ),
        );
        let auth = format!(
            "Digest username=\"{}\", realm=\"{}\", nonce=\"\", uri=\"sip:{}\", response=\"\"",
            self.cfg.impi, self.cfg.realm, self.cfg.realm
        );
        msg.push("Authorization", &auth);
        if expires > 0 {
            msg.push("Security-Client", &emit(&self.client_sent));
        }
        let msg = msg.with_content_length();
        let wire = self.protect(set, old.port_uc, pc.1, &msg, SealOpts::default())?;
        Ok((msg, wire))
    }

    /// The P-CSCF's protected ports (port_pc, port_ps) of a set.
    fn pcscf_ports(&self, set: u64) -> Result<(u16, u16), UeError> {
        Ok((self.sa(set, 4)?.dport, self.sa(set, 1)?.dport))
    }

    /// The 401 a REGISTER got: its challenge, AKA on the UE side (TS 33.102 §6.3.3; the
    /// UE's SQN advances on success) and the P-CSCF's Security-Server mechanisms (RFC 3329
    /// §2.3.1, parsed leniently).
    fn authenticate_401(
        &mut self,
        resp: &SipMessage,
    ) -> Result<(params::AuthParams, UeSuccess, Vec<Mechanism>), UeError> {
        if resp.status() != Some(401) {
            return Err(UeError::Unexpected {
                want: "401".into(),
                got: resp.start.to_string(),
            });
        }
        let www = resp
            .header("WWW-Authenticate")
            .ok_or_else(|| UeError::Challenge("no WWW-Authenticate".into()))?;
        let ch = params::parse(www).map_err(|e| UeError::Challenge(e.to_string()))?;
        let nonce = AkaNonce::parse(ch.get("nonce").unwrap_or(""))
            .map_err(|e| UeError::Challenge(e.to_string()))?;
        let m = Milenage::new(&self.cfg.k, &self.cfg.opc);
        let policy = SqnPolicy {
            sqn_ms: crate::mech::aka::sqn_from_u64(self.cfg.sqn_ms),
            delta: None,
        };
        let ok = match ue_authenticate(&m, &nonce.rand, &Autn::from_bytes(&nonce.autn), &policy) {
            Ok(ok) => ok,
            Err(AkaFailure::MacFailure) => return Err(UeError::Aka("MAC failure".into())),
            Err(AkaFailure::SyncFailure { auts }) => {
                return Err(UeError::SyncFailure {
                    auts: auts.to_bytes(),
                    challenge: ch,
                })
            }
        };
        self.cfg.sqn_ms = sqn_to_u64(&ok.sqn);
        let mut server = Vec::new();
        for v in resp.headers_named("Security-Server") {
            let p =
                parse_value(v, ParseMode::Lenient).map_err(|e| UeError::Server(e.to_string()))?;
            server.extend(p.mechanisms);
        }
        Ok((ch, ok, server))
    }

    /// Handles the 401: AKA on the UE side, then the SA set from Security-Server.
    pub fn on_challenge(&mut self, resp: &SipMessage) -> Result<Challenge, UeError> {
        let (ch, ok, server) = self.authenticate_401(resp)?;
        let mut offers: Vec<IpsecOffer> = ipsec_offers(&server, ParseMode::Lenient)
            .into_iter()
            .filter_map(|(_, r)| r.ok().map(|(o, _)| o))
            .filter(|o| self.cfg.offers.contains(&(o.alg, o.ealg)))
            .collect();
        offers.sort_by_key(|o| std::cmp::Reverse(o.q.map(|q| q.0).unwrap_or(0)));
        let chosen = offers
            .first()
            .cloned()
            .ok_or_else(|| UeError::Server("no entry the UE offered".into()))?;
        let mode = match chosen.mode {
            IpsecMode::UdpEncTunnel => Mode::UdpEncapTunnel {
                ue_encap_port: self.cfg.encap_port,
                pcscf_encap_port: self.cfg.pcscf_encap_port,
            },
            _ => Mode::Transport,
        };
        let input = SaSetInput {
            ue: Endpoint {
                addr: self.cfg.addr,
                spi_c: self.ports.spi_uc,
                spi_s: self.ports.spi_us,
                port_c: self.ports.port_uc,
                port_s: self.ports.port_us,
            },
            pcscf: Endpoint {
                addr: self.cfg.pcscf.ip(),
                spi_c: chosen.spi_c,
                spi_s: chosen.spi_s,
                port_c: chosen.port_c,
                port_s: chosen.port_s,
            },
            alg: chosen.alg,
            ealg: chosen.ealg,
            mode,
            ck: ok.ck,
            ik: ok.ik,
        };
        // The UE judges the P-CSCF's SPIs itself in the checks; it installs what it got.
        let set = SaSet::build_unchecked(&input).map_err(|e| UeError::Sa(e.to_string()))?;
        let set_id = self
            .gm
            .install(&set)
            .map_err(|e| UeError::Sa(e.to_string()))?;
        let c = Challenge {
            challenge: ch,
            server,
            chosen,
            res: ok.res,
            ck: ok.ck,
            ik: ok.ik,
            set_id,
        };
        self.challenge = Some(c.clone());
        Ok(c)
    }

    /// After a synchronisation failure: an unprotected REGISTER carrying `auts`, its response
    /// computed with an empty password (RFC 3310 §3.4), and the same Security-Client.
    pub fn resync_register(
        &mut self,
        challenge: &params::AuthParams,
        auts: &[u8; 14],
    ) -> (SipMessage, Wire) {
        let nonce = challenge.get("nonce").unwrap_or("").to_string();
        let realm = challenge
            .get("realm")
            .unwrap_or(&self.cfg.realm)
            .to_string();
        let uri = format!("sip:{}", self.cfg.realm);
        let out = digest::response(
            &digest::resync_password(),
            &DigestInput {
                username: &self.cfg.impi,
                realm: &realm,
                nonce: &nonce,
                method: "REGISTER",
                uri: &uri,
                qop: Qop::None,
            },
        );
        let expires = self.cfg.expires;
        let msg = self
            .base_register(expires)
            .with(
                "Authorization",
                &format!(
                    "Digest username=\"{}\", realm=\"{realm}\", nonce=\"{nonce}\", uri=\"{uri}\", response=\"{}\", algorithm=AKAv1-MD5, auts=\"{}\"",
                    self.cfg.impi,
                    out.response,
                    digest::encode_auts(auts)
                ),
            )
            .with("Security-Client", &emit(&self.client_sent))
            .with_content_length();
        self.send_unprotected(msg)
    }

    /// The Authorization header value of a REGISTER answering `challenge` (RFC 3310 §3.2 /
    /// RFC 2617 §3.2.2 Digest AKA response, TS 33.203 §6.1): the password from `res` (and
    /// `ik`/`ck` for AKAv2), `qop=auth` when the challenge offers it, with a fresh cnonce.
    fn authorization(
        &mut self,
        challenge: &params::AuthParams,
        res: &[u8],
        ik: &[u8; 16],
        ck: &[u8; 16],
    ) -> String {
        let nonce = challenge.get("nonce").unwrap_or("").to_string();
        let realm = challenge
            .get("realm")
            .unwrap_or(&self.cfg.realm)
            .to_string();
        let uri = format!("sip:{}", self.cfg.realm);
        let alg = challenge
            .get("algorithm")
            .and_then(AkaAlgorithm::from_token)
            .unwrap_or(AkaAlgorithm::AkaV1Md5);
        let pw = digest::password(alg, res, Some(ik), Some(ck)).unwrap_or_default();
        let mut cn = [0u8; 8];
        (self.rand)(&mut cn);
        let cnonce = hex::encode(cn);
        let qop_auth = challenge
            .get("qop")
            .is_some_and(|q| q.split(',').any(|t| t.trim() == "auth"));
        let qop = if qop_auth {
            Qop::Auth {
                nc: "00000001",
                cnonce: &cnonce,
            }
        } else {
            Qop::None
        };
        let out = digest::response(
            &pw,
            &DigestInput {
                username: &self.cfg.impi,
                realm: &realm,
                nonce: &nonce,
                method: "REGISTER",
                uri: &uri,
                qop,
            },
        );
        let mut auth = format!(
            "Digest username=\"{}\", realm=\"{realm}\", nonce=\"{nonce}\", uri=\"{uri}\", response=\"{}\", algorithm={}",
            self.cfg.impi, out.response, alg.name()
        );
        if qop_auth {
            auth.push_str(&format!(", qop=auth, nc=00000001, cnonce=\"{cnonce}\""));
        }
        auth
    }

    /// The protected REGISTER answering the challenge, over the new set.
    pub fn protected_register(&mut self, o: &RegisterOpts) -> Result<(SipMessage, Wire), UeError> {
        let c = self
            .challenge
            .clone()
            .ok_or_else(|| UeError::Sa("no challenge".into()))?;
        let expires = o.expires.unwrap_or(self.cfg.expires);
        let mut msg = self.base_register(expires);
        let res: Vec<u8> = if o.wrong_response {
            vec![0u8; 8]
        } else {
            c.res.to_vec()
        };
        let auth = self.authorization(&c.challenge, &res, &c.ik, &c.ck);
        msg.push("Authorization", &auth);
        let client = o.client.clone().unwrap_or_else(|| self.client_sent.clone());
        if !client.is_empty() {
            msg.push("Security-Client", &emit(&client));
        }
        let verify = o.verify.clone().unwrap_or_else(|| c.server.clone());
        if !verify.is_empty() {
            msg.push("Security-Verify", &emit(&verify));
        }
        let msg = msg.with_content_length();
        let dport = c.chosen.port_s;
        if o.unprotected {
            let wire = self.plain(
                SocketAddr::new(self.cfg.addr, self.ports.port_uc),
                SocketAddr::new(self.cfg.pcscf.ip(), dport),
                msg.to_bytes(),
            );
            self.last = Some((None, msg.clone(), wire.clone()));
            return Ok((msg, wire));
        }
        let wire = self.protect(
            c.set_id,
            self.ports.port_uc,
            dport,
            &msg,
            SealOpts::default(),
        )?;
        Ok((msg, wire))
    }

    /// Seals a message on a set, from `sport` to the P-CSCF's `dport`.
    pub fn protect(
        &mut self,
        set: u64,
        sport: u16,
        dport: u16,
        msg: &SipMessage,
        opts: SealOpts,
    ) -> Result<Wire, UeError> {
        let w = match self.cfg.transport {
            SipTransport::Udp => self.gm.seal(set, sport, dport, &msg.to_bytes(), opts),
            // Over TCP the ESP deviations of `opts` do not apply: the stack numbers segments.
            SipTransport::Tcp if opts != SealOpts::default() => Err(Drop::Inner(
                "ESP deviations (dummy, seq, inner port) need transport udp".into(),
            )),
            SipTransport::Tcp => self
                .gm
                .seal_stream(set, sport, dport, &msg.to_bytes())
                .and_then(|mut v| {
                    if v.is_empty() {
                        return Err(Drop::Inner("TCP send window full".into()));
                    }
                    let first = v.remove(0);
                    self.outbox.extend(v);
                    Ok(first)
                }),
        }
        .map_err(|e| UeError::Protect(e.to_string()))?;
        if msg.status().is_none() {
            self.last = Some((Some((set, sport, dport)), msg.clone(), w.clone()));
        }
        Ok(w)
    }

    /// The last request again (RFC 3261 §17.1.2.2 retransmission): the same bytes when plain,
    /// re-protected with the next sequence number when it went over ESP.
    pub fn retransmit(&mut self) -> Option<Wire> {
        // RFC 3261 §17.1.2.2: Timer E only runs over unreliable transports.
        if self.cfg.transport == SipTransport::Tcp {
            return None;
        }
        let (prot, msg, wire) = self.last.clone()?;
        match prot {
            None => Some(wire),
            Some((set, sport, dport)) => self
                .gm
                .seal(set, sport, dport, &msg.to_bytes(), SealOpts::default())
                .ok(),
        }
    }

    /// The Via branch of the last request sent (RFC 3261 §17.1.3: responses are matched to
    /// their client transaction by it).
    pub fn last_branch(&self) -> Option<String> {
        self.last
            .as_ref()
            .and_then(|(_, m, _)| m.top_via_branch().map(str::to_string))
    }

    /// Runs the inbound checks on an ESP packet for the UE.
    pub fn open(&mut self, wire: &Wire) -> Result<Delivered, Drop> {
        self.gm.open(wire)
    }

    /// A further SIP message framed from TCP inside the SAs (after `open`).
    pub fn next_delivered(&mut self) -> Option<Delivered> {
        self.gm.next_delivered()
    }

    /// What the UE's TCP stack has to send (handshakes, ACKs, queued data, retransmissions).
    pub fn take_outbox(&mut self) -> Vec<Wire> {
        let mut v = std::mem::take(&mut self.outbox);
        v.extend(self.gm.poll_streams());
        v
    }

    /// Plain SIP on the configured transport.
    fn plain(&self, local: SocketAddr, peer: SocketAddr, payload: Vec<u8>) -> Wire {
        match self.cfg.transport {
            SipTransport::Udp => Wire::Udp {
                local,
                peer,
                payload,
            },
            SipTransport::Tcp => Wire::Tcp {
                local,
                peer,
                payload,
            },
        }
    }

    /// Marks the set of the last challenge as the registration's; with `retire_old`, the
    /// previous set is no longer used (its keys stay available in `previous_set` for cases
    /// that probe whether the P-CSCF retired it; the one before that is deleted).
    pub fn registered(&mut self, retire_old: bool) {
        if let Some(c) = &self.challenge {
            let new = c.set_id;
            if let Some(old) = self.registered_set.replace(new) {
                if retire_old && old != new {
                    if let Some(older) = self.previous_set.replace(old) {
                        self.gm.remove(older);
                    }
                }
            }
        }
    }

    /// Forgets every SA (after de-registration).
    pub fn deregistered(&mut self) {
        for id in self.gm.set_ids() {
            self.gm.remove(id);
        }
        self.registered_set = None;
        self.challenge = None;
    }

    /// A request over the registration's SA #1 (port_uc → port_ps).
    pub fn request(&mut self, method: &str, opts: SealOpts) -> Result<(SipMessage, Wire), UeError> {
        let set = self
            .registered_set
            .ok_or_else(|| UeError::Sa("not registered".into()))?;
        self.request_over(set, method, opts)
    }

    /// A request over SA #1 of a given set (e.g. the previous one, after re-registration).
    pub fn request_over(
        &mut self,
        set: u64,
        method: &str,
        opts: SealOpts,
    ) -> Result<(SipMessage, Wire), UeError> {
        let port_uc = self.sa(set, 1)?.sport;
        let (_, port_ps) = self.pcscf_ports(set)?;
        self.cseq += 1;
        let msg = SipMessage::request(method, &format!("sip:{}", self.cfg.realm))
            .with(
                "Via",
                &format!(
                    "{} {};branch=z9hG4bK{:08x}r",
                    self.cfg.transport.via(),
                    SocketAddr::new(self.cfg.addr, port_uc),
                    self.cseq
                ),
            )
            .with("Max-Forwards", "70")
            .with("From", &format!("<{}>;tag={}", self.cfg.impu, self.tag))
            .with("To", &format!("<sip:service@{}>", self.cfg.realm))
            .with("Call-ID", &format!("{}-{}", self.call_id, self.cseq))
            .with("CSeq", &format!("{} {method}", self.cseq))
            .with_content_length();
        let wire = self.protect(set, port_uc, port_ps, &msg, opts)?;
        Ok((msg, wire))
    }

    /// Answers a request the P-CSCF sent over SA #3 with 200, over SA #4 (port_us → port_pc),
    /// on the transport the request came on (`tcp`): RFC 3261 §18.2.2 sends a response over
    /// UDP to a request received over UDP, whatever transport the UE registered with (found
    /// against Kamailio, which sends the core's requests over UDP: labs/kamailio/FINDINGS.md).
    pub fn answer(&mut self, req: &SipMessage, set: u64, tcp: bool) -> Result<Wire, UeError> {
        let sa4 = self.sa(set, 4)?;
        let tag = self.tag.clone();
        let r = SipMessage::response_to(req, 200, "OK", Some(&tag)).with_content_length();
        if tcp {
            return self.protect(set, sa4.sport, sa4.dport, &r, SealOpts::default());
        }
        self.gm
            .seal(
                set,
                sa4.sport,
                sa4.dport,
                &r.to_bytes(),
                SealOpts::default(),
            )
            .map_err(|e| UeError::Protect(e.to_string()))
    }
}
