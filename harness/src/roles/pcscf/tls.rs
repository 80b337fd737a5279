//! The `tls` sec-agree mechanism of the reference P-CSCF (TS 33.203 Annex O; RFC 3329;
//! TS 24.229 §5.2.2; seed 004).
//!
//! The net edge terminates TLS (server-only authentication: the P-CSCF never sends a
//! CertificateRequest, seed 004 "The P-CSCF must not request UE certificates"; only the
//! `tls-request-client-cert` flaw does, set up by the lab) and hands the P-CSCF
//! [`Wire::Tls`]: one SIP message on the TLS session of connection `local`↔`peer`. Both of
//! seed 004's flows arrive here the same way: "TLS first" on the SIPS port (5061), and the
//! RFC 3329 flow on 5060 whose TCP connection the UE switches to TLS after the 401 (the edge
//! keeps the connection's addresses, so the agreement binds to that connection).
//!
//! Decisions:
//! - **Which mechanism**: the P-CSCF's ordered preference ([`TlsPolicy::preference`],
//!   default ipsec-3gpp before tls) decides among what the UE offered; a UE offering only
//!   `tls` gets `tls`. Like ipsec-3gpp, Security-Server carries the chosen mechanism only.
//! - **Binding** (TS 33.203 O.2.2/O.4, "associated with the UE's IP/port and IMPI"): the
//!   agreement and then the registration are bound to the TLS connection (`local`, `peer`)
//!   and the AoR; the REGISTER answering the challenge must come on that connection.
//! - **integrity-protected** (TS 24.229 §5.2.2, TS 33.203 O.4.3): `tls-pending` for a
//!   REGISTER over a TLS connection not yet bound to a successful registration of that
//!   identity, `tls-yes` over a connection bound by an earlier successful registration,
//!   `no` for the initial REGISTER of the 5060 flow (it arrives before TLS; seed 004: "If TLS
//!   is not established, the P-CSCF sets integrity-protected=no"). The TS 24.229 text itself
//!   was not available here; the values follow the reading of §5.2.2 and seed 004. An
//!   independent implementation agrees on the flow: Oracle's Unified Session Manager
//!   documents `Security-Server: tls` in the 401 and `integrity-protected=tls-pending` on the
//!   answer over TLS ("TLS Session Setup During Registration", USM S-CZ8.2.5 Essentials
//!   Guide); it leaves the parameter out of the initial REGISTER where this P-CSCF says `no`.
//! - **Bid-down** (RFC 3329 §2.3.1): Security-Verify over TLS must equal the Security-Server
//!   sent, Security-Client the first one; otherwise 494 and no registration.
//! - **Outside the connection**: after the agreement, requests of that UE elsewhere (plain
//!   SIP, another connection) are refused with 403, as for IPsec (TS 24.229 §5.2.2).
//! - **Session end**: when the edge reports the TLS session closed (an empty `Wire::Tls`),
//!   the agreement and the registration bound to it go; a new connection, even with the same
//!   addresses, is a new session (`tls-pending` again).
//! - **Not over UDP**: `tls` is only chosen for a REGISTER on a connection (TLS first, or TCP
//!   to switch); over UDP there is nothing to upgrade, so the ipsec-3gpp flow decides.
//! - **A new initial REGISTER** (empty `nonce`) on a connection with a challenge pending
//!   starts over instead of being judged as the answer.

use super::register::{mark_integrity, security_client, security_verify, strip_keys};
use super::{Flaw, Origin, Pcscf, RegTxn, Txn};
use crate::mech::digest::params;
use crate::mech::secagree::compare::compare_lists;
use crate::mech::secagree::header::{emit, Mechanism};
use crate::mech::sip::{IntegrityProtected, SipMessage};
use crate::roles::gm::Wire;
use std::collections::HashMap;
use std::net::SocketAddr;

/// The RFC 3329 mechanism name (RFC 3329 §2.2).
pub const TLS: &str = "tls";

/// A sec-agree mechanism the P-CSCF can choose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecMech {
    Ipsec3gpp,
    Tls,
}

/// The P-CSCF's `tls` policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsPolicy {
    /// Offer `tls` at all.
    pub enabled: bool,
    /// The SIPS port for "TLS first" (RFC 3261 §26.2.1; seed 004: 5061).
    pub sips_port: u16,
    /// Ordered preference when the UE offers several mechanisms.
    pub preference: Vec<SecMech>,
}

impl Default for TlsPolicy {
    fn default() -> Self {
        TlsPolicy {
            enabled: true,
            sips_port: 5061,
            preference: vec![SecMech::Ipsec3gpp, SecMech::Tls],
        }
    }
}

type Conn = (SocketAddr, SocketAddr);

#[derive(Debug, Clone)]
struct Pending {
    conn: Conn,
    client_first: Vec<Mechanism>,
    server_sent: Vec<Mechanism>,
}

#[derive(Debug, Clone)]
struct Bound {
    conn: Conn,
    expires_at: u64,
}

/// Agreements and registrations of the `tls` mechanism.
#[derive(Debug, Default)]
pub struct TlsState {
    /// AoRs whose initial REGISTER was forwarded with `tls` chosen, by connection.
    negotiating: HashMap<String, Conn>,
    /// Challenges sent with `Security-Server: tls`, awaiting the answer over TLS.
    pending: HashMap<String, Pending>,
    /// Registrations bound to a TLS connection.
    regs: HashMap<String, Bound>,
}

fn conn_of(origin: &Origin) -> Option<Conn> {
    match origin {
        Origin::Tls { local, peer } => Some((*local, *peer)),
        Origin::Plain { local, peer, .. } => Some((*local, *peer)),
        _ => None,
    }
}

/// The non-empty `nonce` of the REGISTER's Authorization (an answer to a challenge).
fn answered_nonce(msg: &SipMessage) -> Option<String> {
    let a = params::parse(msg.header("Authorization")?).ok()?;
    a.get("nonce").filter(|n| !n.is_empty()).map(str::to_string)
}

/// Whether a Security-Client list offers `tls`.
pub fn offers_tls(client: &[Mechanism]) -> bool {
    client.iter().any(|m| m.name.eq_ignore_ascii_case(TLS))
}

fn offers_ipsec(client: &[Mechanism]) -> bool {
    client.iter().any(|m| {
        m.name
            .eq_ignore_ascii_case(crate::mech::secagree::ipsec::IPSEC_3GPP)
    })
}

impl Pcscf {
    /// The SIPS address the edge must serve with TLS ("TLS first"), when `tls` is on.
    pub fn tls_listen(&self) -> Option<SocketAddr> {
        self.cfg
            .tls
            .enabled
            .then(|| self.cfg.local(self.cfg.tls.sips_port))
    }

    fn tls_bound(&self, aor: &str, conn: Conn) -> bool {
        self.tls
            .regs
            .get(aor)
            .is_some_and(|b| b.conn == conn && b.expires_at > self.now)
    }

    fn tls_marker(&self, bound: bool) -> IntegrityProtected {
        match (self.cfg.has(Flaw::TlsWrongIntegrity), bound) {
            (true, _) => IntegrityProtected::Yes,
            (false, true) => IntegrityProtected::TlsYes,
            (false, false) => IntegrityProtected::TlsPending,
        }
    }

    /// A SIP message on a TLS session.
    pub(super) fn on_tls(
        &mut self,
        local: SocketAddr,
        peer: SocketAddr,
        payload: &[u8],
    ) -> Vec<Wire> {
        if payload.is_empty() {
            self.tls_session_ended((local, peer));
            return Vec::new();
        }
        let msg = match SipMessage::parse(payload) {
            Ok(m) => m,
            Err(e) => {
                self.log.push(format!("drop TLS {peer}->{local}: {e}"));
                return Vec::new();
            }
        };
        if let Some(out) = self.retransmission(&msg) {
            return out;
        }
        if msg.status().is_some() {
            return self.on_ue_response(msg);
        }
        let origin = Origin::Tls { local, peer };
        if msg.method().as_deref() == Some("REGISTER") {
            return self.on_register(msg, origin);
        }
        let now = self.now;
        let registered = self
            .tls
            .regs
            .values()
            .any(|b| b.conn == (local, peer) && b.expires_at > now);
        if !registered {
            self.log.push(format!(
                "request over TLS {peer} not bound to a registration: 403"
            ));
            let r = SipMessage::response_to(&msg, 403, "Forbidden", Some("pcscf"));
            return self.send_to_origin(&origin, r);
        }
        self.forward_to_core(msg, origin, None)
    }

    /// The TLS session of `conn` ended: what was bound to it goes (TS 33.203 O.2.2: the
    /// registration is associated with that session; the UE registers again on a new one).
    fn tls_session_ended(&mut self, conn: Conn) {
        self.tls.negotiating.retain(|_, c| *c != conn);
        self.tls.pending.retain(|_, p| p.conn != conn);
        let gone: Vec<String> = self
            .tls
            .regs
            .iter()
            .filter(|(_, b)| b.conn == conn)
            .map(|(k, _)| k.clone())
            .collect();
        for k in gone {
            self.tls.regs.remove(&k);
            self.log.push(format!(
                "{k}: TLS session {} closed; its binding removed",
                conn.1
            ));
        }
    }

    /// A REGISTER that is not over IPsec SAs: handled here when it belongs to the `tls`
    /// mechanism (an answer or re-registration over TLS, or an initial REGISTER for which the
    /// policy chooses `tls`); `None` leaves it to the ipsec-3gpp flow.
    pub(super) fn tls_register(
        &mut self,
        msg: &mut SipMessage,
        origin: &Origin,
        client: &[Mechanism],
        aor: &str,
        expires: u32,
    ) -> Option<Vec<Wire>> {
        let conn = conn_of(origin)?;
        let over_tls = matches!(origin, Origin::Tls { .. });
        // A REGISTER with an empty nonce starts a new registration (TS 24.229 §5.1.1.2), even
        // on a connection with a challenge pending; only one that answers it is checked here.
        if over_tls && answered_nonce(msg).is_none() {
            self.tls.pending.remove(aor);
        }
        if over_tls {
            if let Some(p) = self.tls.pending.get(aor).cloned() {
                if p.conn != conn {
                    self.log.push(format!(
                        "{aor}: answer over another TLS connection than the agreement's: 403"
                    ));
                    let r = SipMessage::response_to(msg, 403, "Forbidden", Some("pcscf"));
                    return Some(self.send_to_origin(origin, r));
                }
                if self.cfg.has(Flaw::TlsMixedChoice) && offers_ipsec(&p.client_first) {
                    // Flawed variant: it named tls, yet it expects this REGISTER over SAs.
                    self.tls.pending.remove(aor);
                    self.log.push(format!(
                        "{aor}: protected REGISTER over TLS refused (expected over IPsec SAs)"
                    ));
                    let r = SipMessage::response_to(msg, 403, "Forbidden", Some("pcscf"));
                    return Some(self.send_to_origin(origin, r));
                }
                if let Some(r) = self.tls_bid_down(msg, &p, aor) {
                    self.tls.pending.remove(aor);
                    return Some(self.send_to_origin(origin, r));
                }
                let bound = self.tls_bound(aor, conn);
                mark_integrity(msg, self.tls_marker(bound));
                let reg = RegTxn {
                    aor: aor.to_string(),
                    client: p.client_first.clone(),
                    offer: None,
                    expires,
                };
                return Some(self.forward_to_core(msg.clone(), origin.clone(), Some(reg)));
            }
        }
        if !self.cfg.tls.enabled || !offers_tls(client) {
            return None;
        }
        if matches!(origin, Origin::Plain { tcp: false, .. }) {
            // Over UDP there is no connection to switch to TLS (seed 004 names TLS first on
            // 5061 and the upgrade of the TCP connection on 5060): ipsec-3gpp or nothing.
            return None;
        }
        if !over_tls && self.cfg.has(Flaw::TlsIgnoreChoice) {
            // Flawed variant: `tls` offered outside TLS is not considered.
            return None;
        }
        let ipsec_ok = offers_ipsec(client) && self.pick(client).is_ok();
        let choice = if self.cfg.has(Flaw::TlsMixedChoice) {
            Some(SecMech::Tls)
        } else {
            self.cfg.tls.preference.iter().copied().find(|m| match m {
                SecMech::Ipsec3gpp => ipsec_ok,
                SecMech::Tls => true,
            })
        };
        if choice != Some(SecMech::Tls) {
            return None;
        }
        // TS 24.229 §5.2.2: before TLS, "no"; over TLS, pending until bound.
        let marker = if over_tls {
            self.tls_marker(self.tls_bound(aor, conn))
        } else {
            IntegrityProtected::No
        };
        mark_integrity(msg, marker);
        self.tls.negotiating.insert(aor.to_string(), conn);
        self.log
            .push(format!("{aor}: sec-agree mechanism tls chosen ({marker})"));
        let reg = RegTxn {
            aor: aor.to_string(),
            client: client.to_vec(),
            offer: None,
            expires,
        };
        Some(self.forward_to_core(msg.clone(), origin.clone(), Some(reg)))
    }

    /// RFC 3329 §2.3.1 over TLS: Security-Verify equals the Security-Server sent, and
    /// Security-Client the first one; else 494.
    fn tls_bid_down(&mut self, msg: &SipMessage, p: &Pending, aor: &str) -> Option<SipMessage> {
        if self.cfg.has(Flaw::TlsNoVerifyCheck) {
            return None;
        }
        let verify = match security_verify(msg) {
            Ok(Some(v)) => compare_lists(&p.server_sent, &v),
            Ok(None) => Err("Security-Verify missing".into()),
            Err(e) => Err(format!("Security-Verify unreadable: {e}")),
        };
        let client = match security_client(msg) {
            Ok(c) if c.is_empty() => Err("Security-Client missing".into()),
            Ok(c) => compare_lists(&p.client_first, &c),
            Err(e) => Err(e),
        };
        let why = verify.err().or(client.err())?;
        self.log
            .push(format!("{aor}: bid-down refused over TLS: {why}"));
        Some(SipMessage::response_to(
            msg,
            494,
            "Security Agreement Required",
            Some("pcscf"),
        ))
    }

    /// Whether a REGISTER answered by the core belongs to the `tls` mechanism.
    pub(super) fn tls_owns(&self, origin: &Origin, reg: &RegTxn) -> bool {
        if reg.offer.is_some() {
            return false;
        }
        let Some(conn) = conn_of(origin) else {
            return false;
        };
        matches!(origin, Origin::Tls { .. }) || self.tls.negotiating.get(&reg.aor) == Some(&conn)
    }

    /// The core's answer to a REGISTER of the `tls` mechanism.
    pub(super) fn tls_register_response(
        &mut self,
        mut msg: SipMessage,
        txn: Txn,
        reg: RegTxn,
    ) -> Vec<Wire> {
        let code = msg.status().unwrap_or(0);
        let Some(conn) = conn_of(&txn.origin) else {
            return Vec::new();
        };
        self.tls.negotiating.remove(&reg.aor);
        match code {
            401 => {
                // TS 33.203 §7.2: ck/ik never go to the UE.
                if let Some(w) = msg
                    .header("WWW-Authenticate")
                    .and_then(|w| params::parse(w).ok())
                {
                    if !self.cfg.has(Flaw::LeakCkIk) {
                        msg.set("WWW-Authenticate", &strip_keys(&w));
                    }
                }
                let server_sent = vec![Mechanism::new(TLS)];
                msg.remove("Security-Server");
                msg.push("Security-Server", &emit(&server_sent));
                self.tls.pending.insert(
                    reg.aor.clone(),
                    Pending {
                        conn,
                        client_first: reg.client.clone(),
                        server_sent,
                    },
                );
                self.log.push(format!(
                    "{}: challenge with Security-Server: tls on {} -> {}",
                    reg.aor, conn.1, conn.0
                ));
            }
            200..=299 => {
                let answered = self
                    .tls
                    .pending
                    .get(&reg.aor)
                    .is_some_and(|p| p.conn == conn);
                if answered && matches!(txn.origin, Origin::Tls { .. }) {
                    self.tls.pending.remove(&reg.aor);
                    if reg.expires == 0 {
                        self.tls.regs.remove(&reg.aor);
                        self.log.push(format!("{}: de-registered (tls)", reg.aor));
                    } else {
                        let lifetime = u64::from(reg.expires) + 30;
                        self.tls.regs.insert(
                            reg.aor.clone(),
                            Bound {
                                conn,
                                expires_at: self.now + lifetime,
                            },
                        );
                        self.log.push(format!(
                            "{}: registered over TLS {} (session bound to the IMPI)",
                            reg.aor, conn.1
                        ));
                    }
                }
            }
            _ => {
                self.tls.pending.remove(&reg.aor);
            }
        }
        self.send_to_origin(&txn.origin, msg)
    }

    /// The `tls-accept-outside` flaw: a plain request from the address of a UE registered
    /// over TLS is taken as if it came on its TLS connection.
    pub(super) fn tls_accepts_outside(&self, peer: SocketAddr) -> bool {
        self.cfg.has(Flaw::TlsAcceptOutside)
            && self
                .tls
                .regs
                .values()
                .any(|b| b.conn.1.ip() == peer.ip() && b.expires_at > self.now)
    }
}
