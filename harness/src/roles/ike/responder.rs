//! The IKEv2 responder, sans-I/O (RFC 7296 §1.2, §2): answers IKE_SA_INIT (choosing by its
//! own preference order among the offers, §2.7; INVALID_KE_PAYLOAD §1.3), IKE_AUTH
//! (shared-key AUTH §2.15; the child SA choice or NO_PROPOSAL_CHOSEN, which leaves the IKE SA
//! up, §1.2/§2.21.2) and INFORMATIONAL (§1.4). Retransmitted requests get the cached answer
//! (§2.1). It records what the initiator offered.

use super::proposal::{offer_matches, select};
use super::session::{id_body, suite_of, IkeSa};
use super::Rng;
use crate::mech::ikev2::consts::{exchange, flags, notify, proto, ttype};
use crate::mech::ikev2::crypto::nat_hash;
use crate::mech::ikev2::header::{HeaderRepr, VERSION_2_0};
use crate::mech::ikev2::{dh, Message, Payload, Proposal};
use std::net::SocketAddr;

/// The responder's policy: what it accepts, in its order of preference.
#[derive(Debug, Clone)]
pub struct ResponderPolicy {
    pub psk: Vec<u8>,
    pub local_id: (u8, Vec<u8>),
    pub ike_accept: Vec<Proposal>,
    pub child_accept: Vec<Proposal>,
    pub local: SocketAddr,
}

/// What the initiator offered and what this responder answered.
#[derive(Debug, Clone, Default)]
pub struct ResponderLog {
    pub ike_offered: Vec<Vec<Proposal>>,
    pub ike_selected: Vec<Proposal>,
    pub child_offered: Vec<Vec<Proposal>>,
    pub child_selected: Vec<Proposal>,
    pub child_refused: usize,
    pub peer_auth_ok: Option<bool>,
    pub deleted: bool,
    pub log: Vec<String>,
}

/// The responder state machine for one IKE SA at a time.
pub struct Responder {
    policy: ResponderPolicy,
    rng: Rng,
    sa: Option<IkeSa>,
    next_id: u32,
    last: Option<(Vec<u8>, Vec<u8>)>,
    pub record: ResponderLog,
}

fn random(rng: &mut Rng, n: usize) -> Vec<u8> {
    let mut v = vec![0u8; n];
    rng(&mut v);
    v
}

fn notify_only(kind: u16, data: Vec<u8>) -> Payload {
    Payload::Notify {
        protocol: 0,
        spi: Vec::new(),
        kind,
        data,
    }
}

/// The first of `accept` (in the responder's order) that one of `offers` matches.
pub fn choose(offers: &[Proposal], accept: &[Proposal], spi: Vec<u8>) -> Option<Proposal> {
    accept.iter().find_map(|w| {
        offers
            .iter()
            .find(|o| offer_matches(o, w))
            .map(|o| select(o, w, spi.clone()))
    })
}

impl Responder {
    pub fn new(policy: ResponderPolicy, rng: Rng) -> Responder {
        Responder {
            policy,
            rng,
            sa: None,
            next_id: 0,
            last: None,
            record: ResponderLog::default(),
        }
    }

    /// Handles one datagram from `from`; returns the response to send, if any.
    pub fn handle(&mut self, bytes: &[u8], from: SocketAddr) -> Option<Vec<u8>> {
        if let Some((req, resp)) = &self.last {
            if req.as_slice() == bytes {
                return Some(resp.clone());
            }
        }
        let m = Message::parse(bytes).ok()?;
        if m.header.is_response() {
            return None;
        }
        let out = match m.header.exchange {
            exchange::IKE_SA_INIT if m.header.message_id == 0 => self.on_init(&m, bytes, from),
            exchange::IKE_AUTH | exchange::INFORMATIONAL => self.on_protected(&m, bytes),
            _ => None,
        }?;
        self.last = Some((bytes.to_vec(), out.clone()));
        Some(out)
    }

    fn header(&self, h: &HeaderRepr, spi_r: u64) -> HeaderRepr {
        HeaderRepr {
            spi_i: h.spi_i,
            spi_r,
            next_payload: 0,
            version: VERSION_2_0,
            exchange: h.exchange,
            flags: flags::RESPONSE,
            message_id: h.message_id,
            length: 0,
        }
    }

    fn on_init(&mut self, m: &Message, bytes: &[u8], from: SocketAddr) -> Option<Vec<u8>> {
        let offers = m.sa()?.clone();
        self.record.ike_offered.push(offers.clone());
        let reply = |me: &Self, p: Vec<Payload>, spi_r: u64| {
            Message {
                header: me.header(&m.header, spi_r),
                payloads: p,
            }
            .emit()
            .ok()
        };
        let Some(sel) = choose(&offers, &self.policy.ike_accept, Vec::new()) else {
            self.record
                .log
                .push("<- IKE_SA_INIT; -> NO_PROPOSAL_CHOSEN".into());
            return reply(
                self,
                vec![notify_only(notify::NO_PROPOSAL_CHOSEN, Vec::new())],
                0,
            );
        };
        let suite = suite_of(&sel).ok()?;
        let (kg, kdata) = m.ke()?;
        if kg != suite.dh {
            self.record.log.push(format!(
                "<- IKE_SA_INIT (group {kg}); -> INVALID_KE_PAYLOAD {}",
                suite.dh
            ));
            return reply(
                self,
                vec![notify_only(
                    notify::INVALID_KE_PAYLOAD,
                    suite.dh.to_be_bytes().to_vec(),
                )],
                0,
            );
        }
        let n = dh::private_len(kg).ok()?;
        let private = loop {
            let p = random(&mut self.rng, n);
            if dh::public(kg, &p).is_ok() {
                break p;
            }
        };
        let public = dh::public(kg, &private).ok()?;
        let g_ir = dh::shared(kg, &private, kdata).ok()?;
        let mut s = [0u8; 8];
        (self.rng)(&mut s);
        s[0] |= 1;
        let spi_r = u64::from_be_bytes(s);
        let nr = random(&mut self.rng, 32);
        let ni = m.nonce()?.to_vec();
        let payloads = vec![
            Payload::Sa(vec![sel.clone()]),
            Payload::Ke {
                group: kg,
                data: public,
            },
            Payload::Nonce(nr.clone()),
            notify_only(
                notify::NAT_DETECTION_SOURCE_IP,
                nat_hash(
                    m.header.spi_i,
                    spi_r,
                    self.policy.local.ip(),
                    self.policy.local.port(),
                ),
            ),
            notify_only(
                notify::NAT_DETECTION_DESTINATION_IP,
                nat_hash(m.header.spi_i, spi_r, from.ip(), from.port()),
            ),
        ];
        let resp = reply(self, payloads, spi_r)?;
        self.sa = IkeSa::derive(
            suite,
            &g_ir,
            m.header.spi_i,
            spi_r,
            ni,
            nr,
            bytes.to_vec(),
            resp.clone(),
            false,
        )
        .ok();
        self.next_id = 1;
        self.record.ike_selected.push(sel.clone());
        self.record
            .log
            .push(format!("<- IKE_SA_INIT; -> {}", sel.describe()));
        Some(resp)
    }

    fn on_protected(&mut self, m: &Message, bytes: &[u8]) -> Option<Vec<u8>> {
        let sa = self.sa.as_ref()?;
        if m.header.spi_r != sa.spi_r || m.header.message_id != self.next_id {
            return None;
        }
        let (h, payloads) = sa.open(bytes).ok()?;
        let inner = Message {
            header: h,
            payloads,
        };
        let mut out = Vec::new();
        if h.exchange == exchange::IKE_AUTH {
            let idi = inner.payloads.iter().find_map(|p| match p {
                Payload::Id {
                    initiator: true,
                    id_type,
                    data,
                } => Some(id_body(*id_type, data)),
                _ => None,
            })?;
            let (method, data) = inner.payloads.iter().find_map(|p| match p {
                Payload::Auth { method, data } => Some((*method, data.clone())),
                _ => None,
            })?;
            let ok = sa.peer_auth_ok(&self.policy.psk, &idi, method, &data);
            self.record.peer_auth_ok = Some(ok);
            if !ok {
                self.record
                    .log
                    .push("<- IKE_AUTH; -> AUTHENTICATION_FAILED".into());
                out.push(notify_only(notify::AUTHENTICATION_FAILED, Vec::new()));
            } else {
                let (idt, idd) = self.policy.local_id.clone();
                let auth = sa.our_auth(&self.policy.psk, &id_body(idt, &idd));
                out.push(Payload::Id {
                    initiator: false,
                    id_type: idt,
                    data: idd,
                });
                out.push(Payload::Auth {
                    method: crate::mech::ikev2::consts::auth::SHARED_KEY_MIC,
                    data: auth,
                });
                let offers = inner.sa().cloned().unwrap_or_default();
                self.record.child_offered.push(offers.clone());
                let spi = random(&mut self.rng, 4);
                match choose(&offers, &self.policy.child_accept, spi) {
                    Some(sel) => {
                        self.record
                            .log
                            .push(format!("<- IKE_AUTH; -> child SA {}", sel.describe()));
                        self.record.child_selected.push(sel.clone());
                        out.push(Payload::Sa(vec![sel]));
                        for p in &inner.payloads {
                            if let Payload::Ts { .. } = p {
                                out.push(p.clone());
                            }
                        }
                    }
                    None => {
                        self.record
                            .log
                            .push("<- IKE_AUTH; -> NO_PROPOSAL_CHOSEN (IKE SA kept)".into());
                        self.record.child_refused += 1;
                        out.push(notify_only(notify::NO_PROPOSAL_CHOSEN, Vec::new()));
                    }
                }
            }
        } else {
            let del = inner
                .payloads
                .iter()
                .any(|p| matches!(p, Payload::Delete { protocol, .. } if *protocol == proto::IKE));
            if del {
                self.record.deleted = true;
                self.record.log.push("<- INFORMATIONAL Delete(IKE)".into());
            }
        }
        let iv = random(&mut self.rng, sa.iv_len());
        let resp = sa.seal(h.exchange, true, h.message_id, &out, &iv).ok()?;
        self.next_id = self.next_id.wrapping_add(1);
        Some(resp)
    }
}

/// Whether `p` names a D-H group imsec can compute (for building policies).
pub fn dh_supported(p: &Proposal) -> bool {
    p.of_type(ttype::DH).all(|t| dh::SUPPORTED.contains(&t.id))
}
