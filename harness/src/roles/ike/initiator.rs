//! The IKEv2 initiator, sans-I/O (RFC 7296 §1.2, §2): IKE_SA_INIT (with COOKIE §2.6 and
//! INVALID_KE_PAYLOAD §1.3 retries), IKE_AUTH with shared-key AUTH and one child SA proposal
//! list (§1.2, §2.15), NAT detection (§2.23), then an INFORMATIONAL Delete of the IKE SA
//! (§1.4.1). It records what the responder answered; judging is left to the engine.

use super::session::{id_body, suite_of, IkeSa};
use super::Rng;
use crate::mech::ikev2::consts::{exchange, flags, notify, proto, ttype};
use crate::mech::ikev2::crypto::nat_hash;
use crate::mech::ikev2::header::{HeaderRepr, VERSION_2_0};
use crate::mech::ikev2::{dh, Message, Payload, Proposal, TrafficSelector};
use std::net::SocketAddr;

/// What the initiator offers and who it is.
#[derive(Debug, Clone)]
pub struct InitiatorConfig {
    pub psk: Vec<u8>,
    /// ID type and data of IDi.
    pub local_id: (u8, Vec<u8>),
    pub ike_proposals: Vec<Proposal>,
    pub child_proposals: Vec<Proposal>,
    /// Addresses for the NAT detection hashes (§2.23).
    pub local: SocketAddr,
    pub remote: SocketAddr,
}

/// What happened, for the checks.
#[derive(Debug, Clone, Default)]
pub struct InitiatorOutcome {
    pub ike_offered: Vec<Proposal>,
    pub ike_selected: Option<Proposal>,
    /// Error notify the IKE_SA_INIT exchange ended with (e.g. NO_PROPOSAL_CHOSEN).
    pub init_error: Option<u16>,
    pub child_offered: Vec<Proposal>,
    pub child_selected: Option<Proposal>,
    /// Error notifies in the IKE_AUTH response (NO_PROPOSAL_CHOSEN, TS_UNACCEPTABLE, ...).
    pub auth_errors: Vec<u16>,
    /// Whether the IKE_AUTH response carried IDr and AUTH (the IKE SA was set up).
    pub ike_sa_established: bool,
    pub peer_auth_ok: Option<bool>,
    /// Whether IKE moved to the NAT-T port (§2.23).
    pub natt: bool,
    pub deleted: bool,
    /// Something that stopped the exchange short of a judgement.
    pub problem: Option<String>,
    /// One line per message, for the trace.
    pub log: Vec<String>,
}

/// What the driver must do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Send this request (to the NAT-T port with the non-ESP marker when `natt`), wait for
    /// the response and hand it to `handle`.
    Send {
        bytes: Vec<u8>,
        natt: bool,
    },
    /// Not a response to our outstanding request: keep waiting.
    Ignore,
    Done,
}

enum State {
    SentInit {
        group: u16,
        private: Vec<u8>,
        ni: Vec<u8>,
        request: Vec<u8>,
        retries: u8,
    },
    SentAuth {
        sa: Box<IkeSa>,
        id: Vec<u8>,
    },
    SentDelete,
    Finished,
}

/// The initiator state machine.
pub struct Initiator {
    cfg: InitiatorConfig,
    rng: Rng,
    spi_i: u64,
    state: State,
    natt: bool,
    pub outcome: InitiatorOutcome,
}

fn random(rng: &mut Rng, n: usize) -> Vec<u8> {
    let mut v = vec![0u8; n];
    rng(&mut v);
    v
}

impl Initiator {
    pub fn new(cfg: InitiatorConfig, mut rng: Rng) -> Initiator {
        let mut s = [0u8; 8];
        rng(&mut s);
        s[0] |= 1; // never zero (§3.1)
        Initiator {
            outcome: InitiatorOutcome {
                ike_offered: cfg.ike_proposals.clone(),
                child_offered: cfg.child_proposals.clone(),
                ..Default::default()
            },
            cfg,
            rng,
            spi_i: u64::from_be_bytes(s),
            state: State::Finished,
            natt: false,
        }
    }

    fn first_group(&self) -> u16 {
        self.cfg
            .ike_proposals
            .first()
            .and_then(|p| p.of_type(ttype::DH).next())
            .map(|t| t.id)
            .unwrap_or(crate::mech::ikev2::consts::dh::MODP_2048)
    }

    fn init_request(
        &mut self,
        group: u16,
        cookie: Option<Vec<u8>>,
        retries: u8,
    ) -> Result<Next, String> {
        let n = dh::private_len(group).map_err(|e| e.to_string())?;
        let private = loop {
            let p = random(&mut self.rng, n);
            if dh::public(group, &p).is_ok() {
                break p;
            }
        };
        let public = dh::public(group, &private).map_err(|e| e.to_string())?;
        let ni = random(&mut self.rng, 32);
        let mut payloads = Vec::new();
        if let Some(c) = cookie {
            payloads.push(Payload::Notify {
                protocol: 0,
                spi: Vec::new(),
                kind: notify::COOKIE,
                data: c,
            });
        }
        payloads.push(Payload::Sa(self.cfg.ike_proposals.clone()));
        payloads.push(Payload::Ke {
            group,
            data: public,
        });
        payloads.push(Payload::Nonce(ni.clone()));
        payloads.push(Payload::Notify {
            protocol: 0,
            spi: Vec::new(),
            kind: notify::NAT_DETECTION_SOURCE_IP,
            data: nat_hash(self.spi_i, 0, self.cfg.local.ip(), self.cfg.local.port()),
        });
        payloads.push(Payload::Notify {
            protocol: 0,
            spi: Vec::new(),
            kind: notify::NAT_DETECTION_DESTINATION_IP,
            data: nat_hash(self.spi_i, 0, self.cfg.remote.ip(), self.cfg.remote.port()),
        });
        let m = Message {
            header: HeaderRepr {
                spi_i: self.spi_i,
                spi_r: 0,
                next_payload: 0,
                version: VERSION_2_0,
                exchange: exchange::IKE_SA_INIT,
                flags: flags::INITIATOR,
                message_id: 0,
                length: 0,
            },
            payloads,
        };
        let request = m.emit().map_err(|e| e.to_string())?;
        self.outcome
            .log
            .push(format!("-> IKE_SA_INIT request (D-H group {group})"));
        self.state = State::SentInit {
            group,
            private,
            ni,
            request: request.clone(),
            retries,
        };
        Ok(Next::Send {
            bytes: request,
            natt: self.natt,
        })
    }

    /// The first IKE_SA_INIT request.
    pub fn start(&mut self) -> Result<Next, String> {
        let g = self.first_group();
        self.init_request(g, None, 0)
    }

    /// Handles a datagram (IKE message without the non-ESP marker).
    pub fn handle(&mut self, bytes: &[u8]) -> Next {
        match self.step(bytes) {
            Ok(n) => n,
            Err(p) => {
                self.outcome.problem = Some(p);
                self.state = State::Finished;
                Next::Done
            }
        }
    }

    fn step(&mut self, bytes: &[u8]) -> Result<Next, String> {
        let Ok(m) = Message::parse(bytes) else {
            return Ok(Next::Ignore);
        };
        let h = m.header;
        if !h.is_response() || h.spi_i != self.spi_i {
            return Ok(Next::Ignore);
        }
        let state = std::mem::replace(&mut self.state, State::Finished);
        match state {
            State::SentInit {
                group,
                private,
                ni,
                request,
                retries,
            } if h.exchange == exchange::IKE_SA_INIT && h.message_id == 0 => {
                self.on_init_response(m, bytes, group, private, ni, request, retries)
            }
            State::SentAuth { sa, id } if h.exchange == exchange::IKE_AUTH && h.message_id == 1 => {
                self.on_auth_response(bytes, *sa, id)
            }
            State::SentDelete if h.exchange == exchange::INFORMATIONAL && h.message_id == 2 => {
                self.outcome.deleted = true;
                self.outcome.log.push("<- INFORMATIONAL response".into());
                Ok(Next::Done)
            }
            other => {
                self.state = other;
                Ok(Next::Ignore)
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn on_init_response(
        &mut self,
        m: Message,
        bytes: &[u8],
        group: u16,
        private: Vec<u8>,
        ni: Vec<u8>,
        request: Vec<u8>,
        retries: u8,
    ) -> Result<Next, String> {
        if let Some(Payload::Notify { data, .. }) = m.notify(notify::COOKIE) {
            if retries >= 3 {
                return Err("the responder keeps asking for a COOKIE".into());
            }
            self.outcome.log.push("<- IKE_SA_INIT: COOKIE".into());
            return self.init_request(group, Some(data.clone()), retries + 1);
        }
        if let Some(Payload::Notify { data, .. }) = m.notify(notify::INVALID_KE_PAYLOAD) {
            let want = match data.as_slice() {
                [a, b] => u16::from_be_bytes([*a, *b]),
                _ => 0,
            };
            self.outcome
                .log
                .push(format!("<- IKE_SA_INIT: INVALID_KE_PAYLOAD (group {want})"));
            let offered = self
                .cfg
                .ike_proposals
                .iter()
                .any(|p| p.of_type(ttype::DH).any(|t| t.id == want));
            if retries >= 3 || !offered || dh::private_len(want).is_err() || want == group {
                return Err(format!(
                    "INVALID_KE_PAYLOAD asks for group {want}, which cannot be used"
                ));
            }
            return self.init_request(want, None, retries + 1);
        }
        let errors = m.error_notifies();
        if let Some(e) = errors.first() {
            self.outcome.init_error = Some(*e);
            self.outcome.log.push(format!(
                "<- IKE_SA_INIT: {}",
                crate::mech::ikev2::consts::notify_name(*e).unwrap_or("error notify")
            ));
            return Ok(Next::Done);
        }
        let sel = match m.sa().map(Vec::as_slice) {
            Some([one]) => one.clone(),
            _ => return Err("IKE_SA_INIT response without exactly one proposal".into()),
        };
        self.outcome.ike_selected = Some(sel.clone());
        self.outcome
            .log
            .push(format!("<- IKE_SA_INIT response: {}", sel.describe()));
        let suite = suite_of(&sel).map_err(|e| format!("selected IKE proposal: {e}"))?;
        let (kg, kdata) = m.ke().ok_or("IKE_SA_INIT response without KE")?;
        if kg != group || suite.dh != group {
            return Err(format!(
                "KE group {kg} / selected group {} / ours {group}",
                suite.dh
            ));
        }
        let nr = m.nonce().ok_or("IKE_SA_INIT response without Nr")?.to_vec();
        let g_ir = dh::shared(group, &private, kdata).map_err(|e| e.to_string())?;
        let spi_r = m.header.spi_r;
        // NAT detection (§2.23): a mismatch on either side moves IKE to port 4500.
        let mismatch = |kind: u16, addr: SocketAddr| match m.notify(kind) {
            Some(Payload::Notify { data, .. }) => {
                *data != nat_hash(self.spi_i, spi_r, addr.ip(), addr.port())
            }
            _ => false,
        };
        if mismatch(notify::NAT_DETECTION_SOURCE_IP, self.cfg.remote)
            || mismatch(notify::NAT_DETECTION_DESTINATION_IP, self.cfg.local)
        {
            self.natt = true;
            self.outcome.natt = true;
            self.outcome
                .log
                .push("NAT detected: moving to the NAT-T port".into());
        }
        let sa = IkeSa::derive(
            suite,
            &g_ir,
            self.spi_i,
            spi_r,
            ni,
            nr,
            request,
            bytes.to_vec(),
            true,
        )
        .map_err(|e| e.to_string())?;
        let (idt, idd) = self.cfg.local_id.clone();
        let idb = id_body(idt, &idd);
        let auth = sa.our_auth(&self.cfg.psk, &idb);
        let spi = random(&mut self.rng, 4);
        let child: Vec<Proposal> = self
            .cfg
            .child_proposals
            .iter()
            .map(|p| Proposal {
                spi: spi.clone(),
                ..p.clone()
            })
            .collect();
        let inner = vec![
            Payload::Id {
                initiator: true,
                id_type: idt,
                data: idd,
            },
            Payload::Auth {
                method: crate::mech::ikev2::consts::auth::SHARED_KEY_MIC,
                data: auth,
            },
            Payload::Sa(child),
            Payload::Ts {
                initiator: true,
                selectors: vec![TrafficSelector::any_v4()],
            },
            Payload::Ts {
                initiator: false,
                selectors: vec![TrafficSelector::any_v4()],
            },
        ];
        let iv = random(&mut self.rng, sa.iv_len());
        let req = sa
            .seal(exchange::IKE_AUTH, false, 1, &inner, &iv)
            .map_err(|e| e.to_string())?;
        self.outcome.log.push(format!(
            "-> IKE_AUTH request: {}",
            self.cfg
                .child_proposals
                .iter()
                .map(Proposal::describe)
                .collect::<Vec<_>>()
                .join(" | ")
        ));
        self.state = State::SentAuth {
            sa: Box::new(sa),
            id: idb,
        };
        Ok(Next::Send {
            bytes: req,
            natt: self.natt,
        })
    }

    fn on_auth_response(&mut self, bytes: &[u8], sa: IkeSa, _id: Vec<u8>) -> Result<Next, String> {
        let (_, payloads) = sa
            .open(bytes)
            .map_err(|e| format!("IKE_AUTH response: {e}"))?;
        let m = Message {
            header: HeaderRepr {
                spi_i: 0,
                spi_r: 0,
                next_payload: 0,
                version: VERSION_2_0,
                exchange: exchange::IKE_AUTH,
                flags: 0,
                message_id: 1,
                length: 0,
            },
            payloads,
        };
        self.outcome.auth_errors = m.error_notifies();
        let idr = m.payloads.iter().find_map(|p| match p {
            Payload::Id {
                initiator: false,
                id_type,
                data,
            } => Some(id_body(*id_type, data)),
            _ => None,
        });
        let auth = m.payloads.iter().find_map(|p| match p {
            Payload::Auth { method, data } => Some((*method, data.clone())),
            _ => None,
        });
        if let (Some(idb), Some((method, data))) = (&idr, &auth) {
            self.outcome.ike_sa_established = true;
            self.outcome.peer_auth_ok = Some(sa.peer_auth_ok(&self.cfg.psk, idb, *method, data));
        }
        if let Some(sel) = m.sa() {
            self.outcome.child_selected = sel.first().cloned();
        }
        self.outcome.log.push(format!(
            "<- IKE_AUTH response: {}{}",
            match &self.outcome.child_selected {
                Some(p) => format!("child SA {}", p.describe()),
                None => "no child SA".into(),
            },
            self.outcome
                .auth_errors
                .iter()
                .map(|e| format!(
                    ", {}",
                    crate::mech::ikev2::consts::notify_name(*e).unwrap_or("error notify")
                ))
                .collect::<String>()
        ));
        if !self.outcome.ike_sa_established {
            return Ok(Next::Done);
        }
        let inner = vec![Payload::Delete {
            protocol: proto::IKE,
            spi_size: 0,
            spis: Vec::new(),
        }];
        let iv = random(&mut self.rng, sa.iv_len());
        let req = sa
            .seal(exchange::INFORMATIONAL, false, 2, &inner, &iv)
            .map_err(|e| e.to_string())?;
        self.outcome.log.push("-> INFORMATIONAL Delete(IKE)".into());
        self.state = State::SentDelete;
        Ok(Next::Send {
            bytes: req,
            natt: self.natt,
        })
    }
}
