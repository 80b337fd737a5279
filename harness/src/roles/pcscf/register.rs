//! REGISTER handling of the reference P-CSCF (TS 33.203 §7.2, §7.4; TS 24.229 §5.2.2;
//! RFC 3329 §2.3.1).

use super::{policy, Flaw, Origin, Pcscf, Pending, RegTxn, Registration, Txn};
use crate::mech::digest::params;
use crate::mech::esp::saset::{Endpoint, Mode, SaSet, SaSetInput};
use crate::mech::secagree::compare::compare_lists;
use crate::mech::secagree::header::{emit, parse_value, Mechanism, Mode as ParseMode};
use crate::mech::secagree::ipsec::{ipsec_offers, IpsecMode, IpsecOffer, IPSEC_3GPP};
use crate::mech::secagree::qvalue::QValue;
use crate::mech::sip::{IntegrityProtected, SipMessage};
use crate::roles::gm::Wire;
use crate::roles::subscriber::uri_identity;

/// Requested registration expiry (Contact `expires` first, then Expires; RFC 3261 §10.2.1).
pub(super) fn requested_expires(msg: &SipMessage) -> u32 {
    let from_contact = msg.header("Contact").and_then(|c| {
        c.split(';').skip(1).find_map(|p| {
            let (k, v) = p.split_once('=')?;
            k.trim()
                .eq_ignore_ascii_case("expires")
                .then(|| v.trim().parse().ok())?
        })
    });
    from_contact
        .or_else(|| msg.header("Expires").and_then(|v| v.trim().parse().ok()))
        .unwrap_or(3600)
}

/// All Security-Client headers of a message as one list (several headers = one list).
pub(super) fn security_client(msg: &SipMessage) -> Result<Vec<Mechanism>, String> {
    let mut all = Vec::new();
    for v in msg.headers_named("Security-Client") {
        let p = parse_value(v, ParseMode::Lenient).map_err(|e| e.to_string())?;
        all.extend(p.mechanisms);
    }
    Ok(all)
}

pub(super) fn security_verify(msg: &SipMessage) -> Result<Option<Vec<Mechanism>>, String> {
    let mut all = Vec::new();
    let mut seen = false;
    for v in msg.headers_named("Security-Verify") {
        seen = true;
        let p = parse_value(v, ParseMode::Lenient).map_err(|e| e.to_string())?;
        all.extend(p.mechanisms);
    }
    Ok(seen.then_some(all))
}

/// Adds `integrity-protected` to the Authorization header (TS 24.229 §5.2.2, §7.2A.2).
pub(super) fn mark_integrity(msg: &mut SipMessage, value: IntegrityProtected) {
    let Some(a) = msg.header("Authorization").map(str::to_string) else {
        return;
    };
    let mut out = a
        .split(',')
        .filter(|p| {
            !p.trim()
                .to_ascii_lowercase()
                .starts_with("integrity-protected")
        })
        .collect::<Vec<_>>()
        .join(",");
    out.push_str(&format!(", integrity-protected=\"{value}\""));
    msg.set("Authorization", &out);
}

/// Removes `auts` from Authorization (the `drop-auts` flawed variant only).
fn strip_auts(msg: &mut SipMessage) {
    if let Some(a) = msg.header("Authorization").map(str::to_string) {
        let kept: Vec<&str> = a
            .split(',')
            .filter(|p| !p.trim().to_ascii_lowercase().starts_with("auts"))
            .collect();
        msg.set("Authorization", &kept.join(","));
    }
}

/// Rebuilds WWW-Authenticate without `ck`/`ik` (TS 33.203 §7.2, TS 24.229 §5.2.2.1).
pub(super) fn strip_keys(www: &params::AuthParams) -> String {
    let parts: Vec<String> = www
        .params
        .iter()
        .filter(|(n, _)| !n.eq_ignore_ascii_case("ck") && !n.eq_ignore_ascii_case("ik"))
        .map(|(n, v)| {
            if n.eq_ignore_ascii_case("algorithm") || n.eq_ignore_ascii_case("stale") {
                format!("{n}={v}")
            } else {
                format!("{n}={}", params::quote(v))
            }
        })
        .collect();
    format!("{} {}", www.scheme, parts.join(", "))
}

impl Pcscf {
    /// A REGISTER from the UE, plain (initial) or over the SAs (answer, re- or de-registration).
    pub(super) fn on_register(&mut self, mut msg: SipMessage, origin: Origin) -> Vec<Wire> {
        let aor = uri_identity(msg.header("To").unwrap_or(""));
        let expires = requested_expires(&msg);
        let client = match security_client(&msg) {
            Ok(c) => c,
            Err(e) => {
                self.log
                    .push(format!("{aor}: unreadable Security-Client: {e}"));
                let r = SipMessage::response_to(&msg, 400, "Bad Security-Client", Some("pcscf"));
                return self.send_to_origin(&origin, r);
            }
        };
        match &origin {
            Origin::Protected { set_id, .. } => {
                let set_id = *set_id;
                if let Some(p) = self
                    .pending
                    .get(&aor)
                    .cloned()
                    .filter(|p| p.set_id == set_id)
                {
                    // The protected REGISTER answering the challenge: the bid-down checks.
                    if let Some(r) = self.bid_down_check(&msg, &p, &aor) {
                        // Answer over the temporary SAs, then drop them: no registration.
                        let out = self.send_to_origin(&origin, r);
                        self.pending.remove(&aor);
                        self.gm.remove(p.set_id);
                        return out;
                    }
                    mark_integrity(&mut msg, self.protected_marker());
                    let reg = RegTxn {
                        aor,
                        client: p.client_first.clone(),
                        offer: None,
                        expires,
                    };
                    return self.forward_to_core(msg, origin, Some(reg));
                }
                if !self.regs.values().any(|r| r.set_id == set_id) {
                    let r = SipMessage::response_to(&msg, 403, "Forbidden", Some("pcscf"));
                    return self.send_to_origin(&origin, r);
                }
                // Re-registration or de-registration over the SAs of a registration.
                mark_integrity(&mut msg, self.protected_marker());
                let offer = if expires > 0 {
                    match self.pick(&client) {
                        Ok(o) => Some(o),
                        Err(e) => {
                            self.log.push(format!("{aor}: {e}"));
                            let r = self.reject_494(&msg);
                            return self.send_to_origin(&origin, r);
                        }
                    }
                } else {
                    None
                };
                let reg = RegTxn {
                    aor,
                    client,
                    offer,
                    expires,
                };
                self.forward_to_core(msg, origin, Some(reg))
            }
            _ => {
                if let Some(out) = self.tls_register(&mut msg, &origin, &client, &aor, expires) {
                    return out;
                }
                if self.cfg.has(Flaw::CacheChallenge) {
                    if let Some(c) = self.cached_401.get(&aor).cloned() {
                        // Flawed variant: replays the old challenge (same nonce) to the UE.
                        let mut r = c;
                        for name in ["Via", "CSeq", "Call-ID", "From"] {
                            if let Some(v) = msg.header(name) {
                                r.set(name, v);
                            }
                        }
                        return self.send_to_origin(&origin, r);
                    }
                }
                if self.cfg.has(Flaw::DropAuts) {
                    strip_auts(&mut msg);
                }
                // Initial REGISTER, unprotected: sec-agree must be offered.
                let offer = match self.pick(&client) {
                    Ok(o) => o,
                    Err(e) => {
                        self.log.push(format!("{aor}: {e}"));
                        let r = self.reject_494(&msg);
                        return self.send_to_origin(&origin, r);
                    }
                };
                mark_integrity(&mut msg, IntegrityProtected::No);
                let reg = RegTxn {
                    aor,
                    client,
                    offer: Some(offer),
                    expires,
                };
                self.forward_to_core(msg, origin, Some(reg))
            }
        }
    }

    /// What a REGISTER received over the SAs is marked with (TS 24.229 §5.2.2).
    fn protected_marker(&self) -> IntegrityProtected {
        if self.cfg.has(Flaw::WrongIntegrityProtected) {
            IntegrityProtected::No
        } else {
            IntegrityProtected::Yes
        }
    }

    pub(super) fn pick(&self, client: &[Mechanism]) -> Result<IpsecOffer, String> {
        let offers: Vec<IpsecOffer> = ipsec_offers(client, ParseMode::Lenient)
            .into_iter()
            .filter_map(|(_, r)| r.ok().map(|(o, _)| o))
            .collect();
        policy::select_offer(
            &offers,
            &self.cfg.policy,
            &self.cfg.modes,
            policy::SelectFlaws {
                choose_null: self.cfg.has(Flaw::ChooseNull),
                ue_order: self.cfg.has(Flaw::PreferUeOrder),
                any_pair: self.cfg.has(Flaw::AcceptForbiddenPair),
            },
        )
        .cloned()
        .map_err(|e| e.to_string())
    }

    /// RFC 3329 §2.3.1 / TS 24.229 §5.2.2: 494 with the Security-Server list.
    fn reject_494(&mut self, msg: &SipMessage) -> SipMessage {
        SipMessage::response_to(msg, 494, "Security Agreement Required", Some("pcscf"))
    }

    /// Security-Verify must equal the Security-Server sent, and Security-Client the first one.
    fn bid_down_check(&mut self, msg: &SipMessage, p: &Pending, aor: &str) -> Option<SipMessage> {
        if !self.cfg.has(Flaw::AcceptModifiedVerify) {
            let verdict = match security_verify(msg) {
                Ok(Some(v)) => compare_lists(&p.server_sent, &v),
                Ok(None) => Err("Security-Verify missing".into()),
                Err(e) => Err(format!("Security-Verify unreadable: {e}")),
            };
            if let Err(why) = verdict {
                self.log
                    .push(format!("{aor}: bid-down refused: Security-Verify {why}"));
                return Some(self.reject_494(msg));
            }
        }
        if !self.cfg.has(Flaw::IgnoreSecurityClientChange) {
            let verdict = match security_client(msg) {
                Ok(c) if c.is_empty() => Err("Security-Client missing".into()),
                Ok(c) => compare_lists(&p.client_first, &c),
                Err(e) => Err(e),
            };
            if let Err(why) = verdict {
                self.log.push(format!(
                    "{aor}: Security-Client differs from the first one: {why}"
                ));
                return Some(self.reject_494(msg));
            }
        }
        None
    }

    /// The S-CSCF's answer to a REGISTER we forwarded.
    pub(super) fn on_register_response(
        &mut self,
        mut msg: SipMessage,
        txn: Txn,
        reg: RegTxn,
    ) -> Vec<Wire> {
        let code = msg.status().unwrap_or(0);
        self.log
            .push(format!("{}: REGISTER answered {code} by the core", reg.aor));
        if self.tls_owns(&txn.origin, &reg) {
            return self.tls_register_response(msg, txn, reg);
        }
        match code {
            401 => self.on_challenge(msg, txn, reg),
            200..=299 => self.on_registered(msg, txn, reg),
            _ => {
                if let Origin::Protected { set_id, .. } = txn.origin {
                    if self
                        .pending
                        .get(&reg.aor)
                        .is_some_and(|p| p.set_id == set_id)
                    {
                        self.pending.remove(&reg.aor);
                        let out = self.send_to_origin(&txn.origin, msg);
                        // The authentication failed: the temporary SAs go (TS 33.203 §7.2).
                        if !self.cfg.has(Flaw::KeepTemporarySas) {
                            self.gm.remove(set_id);
                        }
                        return out;
                    }
                }
                msg.remove("Security-Server");
                self.send_to_origin(&txn.origin, msg)
            }
        }
    }

    fn on_challenge(&mut self, mut msg: SipMessage, txn: Txn, reg: RegTxn) -> Vec<Wire> {
        let www = msg
            .header("WWW-Authenticate")
            .and_then(|w| params::parse(w).ok());
        let keys = www.as_ref().and_then(|w| {
            let ck = crate::hexarg::decode_fixed::<16>(w.get("ck")?).ok()?;
            let ik = crate::hexarg::decode_fixed::<16>(w.get("ik")?).ok()?;
            Some((ck, ik))
        });
        let (Some(www), Some((ck, ik)), Some(offer)) = (www, keys, reg.offer.clone()) else {
            self.log.push(format!(
                "{}: 401 without usable ck/ik or without an offer: 500",
                reg.aor
            ));
            let r = SipMessage::response_to(&msg, 500, "No Keys From Core", Some("pcscf"));
            return self.send_to_origin(&txn.origin, r);
        };
        if !self.cfg.has(Flaw::LeakCkIk) {
            msg.set("WWW-Authenticate", &strip_keys(&www));
        }
        let ue_addr = match &txn.origin {
            Origin::Plain { peer, .. } => peer.ip(),
            Origin::Protected { ue, .. } => ue.ip(),
            Origin::Core { peer } | Origin::Tls { peer, .. } => peer.ip(),
        };
        let live = self.gm.inbound_spis();
        let (spi_pc, spi_ps) = if self.cfg.has(Flaw::ReuseUeSpi) {
            (offer.spi_c, offer.spi_s)
        } else {
            let mut draws = Vec::new();
            for _ in 0..128 {
                draws.push(self.draw_u32());
            }
            let mut it = draws.into_iter();
            policy::allocate_spis([offer.spi_c, offer.spi_s], &live, || it.next().unwrap_or(0))
        };
        let mode = match offer.mode {
            IpsecMode::UdpEncTunnel => Mode::UdpEncapTunnel {
                ue_encap_port: self.cfg.ue_encap_port,
                pcscf_encap_port: self.cfg.encap_port,
            },
            _ => Mode::Transport,
        };
        let input = SaSetInput {
            ue: Endpoint {
                addr: ue_addr,
                spi_c: offer.spi_c,
                spi_s: offer.spi_s,
                port_c: offer.port_c,
                port_s: offer.port_s,
            },
            pcscf: Endpoint {
                addr: self.cfg.addr,
                spi_c: spi_pc,
                spi_s: spi_ps,
                port_c: self.cfg.port_pc,
                port_s: self.cfg.port_ps,
            },
            alg: offer.alg,
            ealg: offer.ealg,
            mode,
            ck,
            ik,
        };
        let built = if self.cfg.has(Flaw::ReuseUeSpi) {
            SaSet::build_unchecked(&input)
        } else {
            SaSet::build(&input, &live)
        };
        let set_id = match built
            .map_err(|e| e.to_string())
            .and_then(|s| self.gm.install(&s).map_err(|e| e.to_string()))
        {
            Ok(id) => id,
            Err(e) if self.cfg.has(Flaw::AcceptForbiddenPair) => {
                // Flawed variant: answers as if the pair were fine (no SAs can exist).
                self.log
                    .push(format!("{}: forbidden pair accepted: {e}", reg.aor));
                let server = IpsecOffer {
                    q: Some(QValue(100)),
                    spi_c: spi_pc,
                    spi_s: spi_ps,
                    port_c: self.cfg.port_pc,
                    port_s: self.cfg.port_ps,
                    ..offer
                }
                .to_mechanism();
                msg.push("Security-Server", &emit(&[server]));
                return self.send_to_origin(&txn.origin, msg);
            }
            Err(e) => {
                self.log
                    .push(format!("{}: cannot set up SAs: {e}", reg.aor));
                let r = SipMessage::response_to(&msg, 500, "SA Setup Failed", Some("pcscf"));
                return self.send_to_origin(&txn.origin, r);
            }
        };
        let server = IpsecOffer {
            q: Some(QValue(100)),
            spi_c: spi_pc,
            spi_s: spi_ps,
            port_c: self.cfg.port_pc,
            port_s: self.cfg.port_ps,
            ..offer
        }
        .to_mechanism();
        let mut server_sent = vec![server];
        server_sent.extend(self.media_security_server(&reg.client));
        msg.push("Security-Server", &emit(&server_sent));
        if let Some(old) = self.pending.insert(
            reg.aor.clone(),
            Pending {
                set_id,
                client_first: reg.client.clone(),
                server_sent,
                created: self.now,
            },
        ) {
            self.gm.remove(old.set_id);
        }
        if self.cfg.has(Flaw::CacheChallenge) {
            self.cached_401.insert(reg.aor.clone(), msg.clone());
        }
        self.log.push(format!(
            "{}: challenge; temporary SAs spi-c={spi_pc} spi-s={spi_ps} {}/{} {}",
            reg.aor,
            offer.alg,
            offer.ealg,
            offer.mode.token()
        ));
        let _ = IPSEC_3GPP;
        self.send_to_origin(&txn.origin, msg)
    }

    fn on_registered(&mut self, msg: SipMessage, txn: Txn, reg: RegTxn) -> Vec<Wire> {
        let Origin::Protected { set_id, ue, tcp } = txn.origin.clone() else {
            // A 2xx to an unprotected REGISTER: the core accepted without AKA; pass it on.
            return self.send_to_origin(&txn.origin, msg);
        };
        let expires = msg
            .header("Contact")
            .map(|c| requested_expires(&SipMessage::request("X", "x").with("Contact", c)))
            .unwrap_or(reg.expires);
        if reg.expires == 0 || expires == 0 {
            // De-registration: the final 200 still goes over the SAs, then they go.
            let out = if self.cfg.has(Flaw::UnprotectedDeregister200) {
                vec![Wire::Udp {
                    local: self.cfg.local(self.cfg.unprotected_port),
                    peer: ue,
                    payload: msg.with_content_length().to_bytes(),
                }]
            } else {
                self.send_to_origin(&txn.origin, msg)
            };
            if let Some(r) = self.regs.remove(&reg.aor) {
                self.gm.remove(r.set_id);
            }
            self.gm.remove(set_id);
            self.log
                .push(format!("{}: de-registered; SAs removed", reg.aor));
            return out;
        }
        let answered = self
            .pending
            .get(&reg.aor)
            .is_some_and(|p| p.set_id == set_id);
        let params = self.gm.params(set_id);
        let port_us = params
            .iter()
            .find(|p| p.index == 3)
            .map(|p| p.dport)
            .unwrap_or(0);
        if answered {
            self.media_registered(&reg.aor);
            self.pending.remove(&reg.aor);
            // TS 24.229 §5.2.2: the SIP-level lifetime is the registration's plus 30 s.
            let lifetime = u64::from(expires) + 30;
            let old = self.regs.insert(
                reg.aor.clone(),
                Registration {
                    set_id,
                    ue_addr: ue.ip(),
                    port_us,
                    contact: msg.header("Contact").unwrap_or("").to_string(),
                    expires_at: self.now + lifetime,
                    tcp,
                },
            );
            if let Some(old) = old {
                if old.set_id != set_id && !self.cfg.has(Flaw::KeepOldSas) {
                    self.gm.remove(old.set_id);
                    self.log
                        .push(format!("{}: old SAs retired (re-registration)", reg.aor));
                }
            }
            self.log.push(format!(
                "{}: registered for {expires} s; SAs promoted",
                reg.aor
            ));
        }
        self.send_to_origin(&txn.origin, msg)
    }
}
