//! What each step does to the lab, and what it records. A step that cannot do what it asks
//! because the SUT behaved otherwise (no 401, no usable challenge) records a `problem`: the
//! case is then inconclusive, never passed on silence.

use super::case::{Action, HeaderTamper};
use crate::lab::{scenario, Lab};
use crate::mech::secagree::header::{parse_value, Mechanism, Mode};
use crate::mech::sip::SipMessage;
use crate::net::Wire;
use crate::roles::gm::SealOpts;
use crate::roles::ue::RegisterOpts;
use std::net::SocketAddr;
use std::ops::Range;
use std::time::{Duration, Instant};

/// What one step did.
#[derive(Debug, Clone)]
pub struct StepRecord {
    pub id: String,
    pub action: &'static str,
    pub started: Instant,
    /// Entries of `lab.seen` that belong to this step.
    pub seen: Range<usize>,
    /// Entries of the S-CSCF's `exchanges` that belong to this step.
    pub core: Range<usize>,
    /// Index (into `lab.seen`) of the final response the UE got, if any.
    pub response: Option<usize>,
    /// Index (into `lab.seen`) of a request the UE got (core_request).
    pub request_at_ue: Option<usize>,
    /// The SUT did something the step cannot go on from.
    pub problem: Option<String>,
    /// What a `media` step observed (engine::mediaplane).
    pub media: Option<Box<super::mediaplane::MediaRecord>>,
    /// What a `call`/`incoming_call` step probed (engine::call).
    pub call: Option<Box<super::call::CallRecord>>,
}

/// Timing of a case's steps.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// Wait for an expected final response (retransmitting per RFC 3261).
    pub timeout: Duration,
    /// How long to listen for an answer that should not come.
    pub silence: Duration,
}

fn core_len(lab: &Lab) -> usize {
    lab.scscf
        .node
        .lock()
        .map(|s| s.exchanges.len())
        .unwrap_or(0)
}

/// A different valid value for a parameter (the weakest alternative first).
fn altered(name: &str, cur: &str) -> String {
    let pick = |choices: &[&str]| {
        choices
            .iter()
            .find(|c| !c.eq_ignore_ascii_case(cur))
            .map(|c| c.to_string())
            .unwrap_or_default()
    };
    match name.to_ascii_lowercase().as_str() {
        "alg" => pick(&["hmac-md5-96", "hmac-sha-1-96", "aes-gmac"]),
        "ealg" => pick(&["null", "des-ede3-cbc", "aes-cbc"]),
        "mod" => pick(&["tun", "trans", "UDP-enc-tun"]),
        "prot" => pick(&["ah", "esp"]),
        "q" => pick(&["0.9", "0.5"]),
        _ => match cur.parse::<u64>() {
            Ok(n) => (n ^ 1).max(256).to_string(),
            Err(_) => format!("{cur}x"),
        },
    }
}

/// Applies a tamper to a mechanism list.
pub fn tamper(list: &[Mechanism], t: &HeaderTamper) -> Result<Vec<Mechanism>, String> {
    if t.omit {
        return Ok(Vec::new());
    }
    if let Some(r) = &t.replace {
        return parse_value(r, Mode::Lenient)
            .map(|p| p.mechanisms)
            .map_err(|e| format!("replace: {e}"));
    }
    let mut out = list.to_vec();
    if t.drop_first && !out.is_empty() {
        out.remove(0);
    }
    if let Some(first) = out.first_mut() {
        for name in &t.alter {
            match first
                .params
                .iter_mut()
                .find(|p| p.name.eq_ignore_ascii_case(name))
            {
                Some(p) => {
                    let cur = p.value.clone().unwrap_or_default();
                    p.value = Some(altered(name, &cur));
                }
                // A server that stated no preference (RFC 3329 §2.2 gives `q` no default):
                // adding one changes the list as much as altering it would (found against
                // Kamailio, whose Security-Server has no `q`).
                None if name.eq_ignore_ascii_case("q") => {
                    first.params.push(crate::mech::secagree::Param {
                        name: "q".into(),
                        value: Some(altered("q", "")),
                        quoted: false,
                    })
                }
                None => return Err(format!("alter: the first mechanism has no '{name}'")),
            }
        }
        for name in &t.remove {
            first.params.retain(|p| !p.name.eq_ignore_ascii_case(name));
        }
        for (k, v) in &t.set {
            match first
                .params
                .iter_mut()
                .find(|p| p.name.eq_ignore_ascii_case(k))
            {
                Some(p) => p.value = Some(v.clone()),
                None => first.params.push(crate::mech::secagree::Param {
                    name: k.clone(),
                    value: Some(v.clone()),
                    quoted: false,
                }),
            }
        }
    }
    if let Some(a) = &t.append {
        let extra = parse_value(a, Mode::Lenient).map_err(|e| format!("append: {e}"))?;
        out.extend(extra.mechanisms);
    }
    if out.is_empty() {
        // Dropping the only mechanism leaves an empty list: send no header at all.
        return Ok(Vec::new());
    }
    Ok(out)
}

/// Waits for a final response (index into `lab.seen`) within `window`, no retransmission.
fn final_within(lab: &mut Lab, window: Duration) -> Option<usize> {
    let deadline = Instant::now() + window;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        let s = lab.recv_one(left)?;
        if s.sip
            .as_ref()
            .and_then(|m| m.status())
            .is_some_and(|c| c >= 200)
        {
            return Some(lab.seen.len() - 1);
        }
    }
    None
}

/// A transaction with retransmissions; returns the index of the final response.
fn transact(lab: &mut Lab, w: &Wire, msg: &SipMessage) -> Result<usize, String> {
    let before = lab.seen.len();
    let r = lab.transact(w, |ue| ue.retransmit());
    if let Some(first_sent) = lab.seen.get_mut(before) {
        if first_sent.sip.is_none() {
            first_sent.sip = Some(msg.clone());
        }
    }
    r.map(|_| lab.seen.len() - 1)
}

/// Runs one step.
pub fn run(lab: &mut Lab, id: &str, action: &Action, timing: Timing) -> StepRecord {
    let started = Instant::now();
    let (seen0, core0) = (lab.seen.len(), core_len(lab));
    lab.opts.step_timeout = timing.timeout;
    let mut rec = StepRecord {
        id: id.to_string(),
        action: action.name(),
        started,
        seen: seen0..seen0,
        core: core0..core0,
        response: None,
        request_at_ue: None,
        problem: None,
        media: None,
        call: None,
    };
    let outcome: Result<(), String> = match action {
        Action::Register { .. } => {
            let mut steps = Vec::new();
            if scenario::register_with(lab, &mut steps, false) {
                rec.response = Some(lab.seen.len() - 1);
                Ok(())
            } else {
                Err(steps
                    .iter()
                    .find(|s| !s.ok)
                    .map(|s| format!("{}: {}", s.name, s.detail))
                    .unwrap_or_else(|| "registration failed".into()))
            }
        }
        Action::InitialRegister {
            offers: Some(list), ..
        } => offered_register(lab, &mut rec, list),
        Action::InitialRegister { .. } => {
            let (msg, w) = lab.ue.initial_register();
            transact(lab, &w, &msg).and_then(|i| {
                rec.response = Some(i);
                let m = lab.seen[i].sip.clone().ok_or("no SIP")?;
                if m.status() != Some(401) {
                    return Err(format!("expected 401, got '{}'", m.start));
                }
                lab.ue
                    .on_challenge(&m)
                    .map(|_| ())
                    .map_err(|e| format!("challenge unusable: {e}"))
            })
        }
        Action::ProtectedRegister {
            verify,
            client,
            unprotected,
            wrong_response,
            ..
        } => protected_register(
            lab,
            &mut rec,
            verify,
            client,
            *unprotected,
            *wrong_response,
            timing,
        ),
        Action::Request {
            method,
            esp,
            unprotected,
            from_port,
            over,
            ..
        } => match over.as_deref() {
            None => request(
                lab,
                &mut rec,
                method,
                esp.as_ref(),
                *unprotected,
                *from_port,
                timing,
            ),
            Some("previous") => {
                let set = lab.ue.previous_set;
                over_set(lab, &mut rec, method, timing, set)
            }
            Some("temporary") => {
                let set = lab.ue.challenge.as_ref().map(|c| c.set_id);
                over_set(lab, &mut rec, method, timing, set)
            }
            Some(o) => Err(format!("over: '{o}' is not 'previous' or 'temporary'")),
        },
        Action::Replay { of, .. } => {
            Err(format!("replay of '{of}' needs the earlier step records"))
        }
        Action::Reflect { .. } => reflect(lab, &mut rec, timing),
        Action::ResyncRegister { ahead, .. } => resync_register(lab, &mut rec, *ahead),
        Action::Reregister { .. } => reregister(lab, &mut rec),
        Action::Deregister { .. } => listen_on_port_uc(lab)
            .and_then(|_| lab.ue.reregister(0).map_err(|e| e.to_string()))
            .map_err(|e| e.to_string())
            .and_then(|(msg, w)| transact(lab, &w, &msg))
            .map(|i| {
                rec.response = Some(i);
                lab.ue.deregistered();
            }),
        Action::CoreRequest { method, .. } => core_request(lab, &mut rec, method, timing),
        Action::IkeInitiate(_) | Action::IkeRespond(_) => {
            Err("an IKEv2 (Za) step runs only against a security gateway".into())
        }
        Action::TlsProbe(_) | Action::TlsConnect(_) => {
            Err("a TLS endpoint step runs only against a TLS endpoint SUT".into())
        }
        Action::TlsRegister(_)
        | Action::TlsProtectedRegister(_)
        | Action::TlsRequest(_)
        | Action::TlsReregister(_) => super::tlsagree::run(lab, &mut rec, action, timing),
        Action::Call(c) => super::call::call(lab, &mut rec, c, timing),
        Action::IncomingCall(c) => super::call::incoming_call(lab, &mut rec, c, timing),
        Action::MediaProfile(c) => super::call::media_profile(lab, c),
        Action::Media(m) => super::mediaplane::run(lab, &mut rec, m, timing),
    };
    if let Err(e) = outcome {
        rec.problem = Some(e);
    }
    settle(lab);
    rec.seen = seen0..lab.seen.len();
    rec.core = core0..core_len(lab);
    rec
}

/// Replays, byte for byte, the first unit the UE sent in an earlier step.
pub fn replay(lab: &mut Lab, id: &str, of: &StepRecord, timing: Timing) -> StepRecord {
    let started = Instant::now();
    let (seen0, core0) = (lab.seen.len(), core_len(lab));
    let mut rec = StepRecord {
        id: id.to_string(),
        action: "replay",
        started,
        seen: seen0..seen0,
        core: core0..core0,
        response: None,
        request_at_ue: None,
        problem: None,
        media: None,
        call: None,
    };
    let first = lab.seen[of.seen.clone()].iter().find(|s| s.sent).cloned();
    match first {
        None => rec.problem = Some(format!("step '{}' sent nothing to replay", of.id)),
        Some(s) => match lab.send(&s.wire) {
            Ok(()) => {
                if let Some(last) = lab.seen.last_mut() {
                    last.sip = s.sip.clone();
                }
                rec.response = final_within(lab, timing.silence);
            }
            Err(e) => rec.problem = Some(e.to_string()),
        },
    }
    settle(lab);
    rec.seen = seen0..lab.seen.len();
    rec.core = core0..core_len(lab);
    rec
}

/// Lets in-flight messages (e.g. what the P-CSCF forwards to the core) arrive.
fn settle(lab: &mut Lab) {
    let stray = lab.listen(Duration::from_millis(30));
    let _ = stray;
}

#[allow(clippy::too_many_arguments)]
fn protected_register(
    lab: &mut Lab,
    rec: &mut StepRecord,
    verify: &Option<HeaderTamper>,
    client: &Option<HeaderTamper>,
    unprotected: bool,
    wrong_response: bool,
    timing: Timing,
) -> Result<(), String> {
    let c = lab
        .ue
        .challenge
        .clone()
        .ok_or("no usable challenge before this step")?;
    let mut o = RegisterOpts {
        unprotected,
        wrong_response,
        ..RegisterOpts::default()
    };
    if let Some(t) = verify {
        o.verify = Some(tamper(&c.server, t)?);
    }
    if let Some(t) = client {
        o.client = Some(tamper(&lab.ue.client_sent, t)?);
    }
    if unprotected {
        let a = SocketAddr::new(lab.ue.cfg.addr, lab.ue.ports.port_uc);
        lab.ensure_udp(a).map_err(|e| e.to_string())?;
    }
    let (msg, w) = lab.ue.protected_register(&o).map_err(|e| e.to_string())?;
    let conformant = verify.is_none() && client.is_none() && !unprotected && !wrong_response;
    if conformant {
        let i = transact(lab, &w, &msg)?;
        rec.response = Some(i);
        if lab.seen[i].sip.as_ref().and_then(|m| m.status()) == Some(200) {
            lab.ue.registered(true);
        }
        return Ok(());
    }
    lab.send(&w).map_err(|e| e.to_string())?;
    lab.note_sent_sip(&msg);
    rec.response = final_within(lab, timing.timeout.max(timing.silence));
    if let Some(i) = rec.response {
        if lab.seen[i].sip.as_ref().and_then(|m| m.status()) == Some(200) {
            lab.ue.registered(true);
        }
    }
    Ok(())
}

fn request(
    lab: &mut Lab,
    rec: &mut StepRecord,
    method: &str,
    esp: Option<&super::case::EspTamper>,
    unprotected: bool,
    from_port: Option<u16>,
    timing: Timing,
) -> Result<(), String> {
    let plain = esp.is_none() && !unprotected && from_port.is_none();
    if plain {
        let (msg, w) = lab
            .ue
            .request(method, SealOpts::default())
            .map_err(|e| e.to_string())?;
        rec.response = Some(transact(lab, &w, &msg)?);
        return Ok(());
    }
    let mut opts = SealOpts {
        inner_sport: from_port,
        ..SealOpts::default()
    };
    if let Some(e) = esp {
        opts.dummy = e.dummy;
        opts.seq = e.seq;
    }
    let (msg, mut w) = lab.ue.request(method, opts).map_err(|e| e.to_string())?;
    if esp.is_some_and(|e| e.bad_icv) {
        flip_last_byte(&mut w);
    }
    if unprotected {
        let sa1 = lab.ue.current_sa(1).map_err(|e| e.to_string())?;
        let local = SocketAddr::new(sa1.src, sa1.sport);
        lab.ensure_udp(local).map_err(|e| e.to_string())?;
        w = Wire::Udp {
            local,
            peer: SocketAddr::new(sa1.dst, sa1.dport),
            payload: msg.to_bytes(),
        };
    }
    lab.send(&w).map_err(|e| e.to_string())?;
    lab.note_sent_sip(&msg);
    rec.response = final_within(lab, timing.silence);
    Ok(())
}

/// The UE also listens in clear on its protected client port, so a response the P-CSCF
/// wrongly sends there without ESP is seen (and judged) rather than lost.
fn listen_on_port_uc(lab: &mut Lab) -> Result<(), String> {
    let sa1 = lab.ue.current_sa(1).map_err(|e| e.to_string())?;
    lab.ensure_udp(SocketAddr::new(sa1.src, sa1.sport))
        .map_err(|e| e.to_string())
}

/// A request over another set than the registration's: the SAs a re-registration replaced
/// (`previous`) or those of the last challenge (`temporary`). A conformant P-CSCF has deleted
/// the first, and accepts nothing over the second once the authentication failed.
fn over_set(
    lab: &mut Lab,
    rec: &mut StepRecord,
    method: &str,
    timing: Timing,
    set: Option<u64>,
) -> Result<(), String> {
    let set =
        set.ok_or("no such SA set (previous: run reregister first; temporary: initial_register)")?;
    let (msg, w) = lab
        .ue
        .request_over(set, method, SealOpts::default())
        .map_err(|e| e.to_string())?;
    lab.send(&w).map_err(|e| e.to_string())?;
    lab.note_sent_sip(&msg);
    rec.response = final_within(lab, timing.silence);
    Ok(())
}

/// An initial REGISTER offering exactly `list` (forbidden pairs included); only records the
/// answer, and sets up SAs when the answer is a challenge the UE can use.
fn offered_register(lab: &mut Lab, rec: &mut StepRecord, list: &[String]) -> Result<(), String> {
    let mut offers = Vec::new();
    for o in list {
        let (a, e) = o
            .split_once('/')
            .ok_or_else(|| format!("offers: '{o}' is not alg/ealg"))?;
        offers.push((
            a.parse().map_err(|e| format!("offers: {e}"))?,
            e.parse().map_err(|e| format!("offers: {e}"))?,
        ));
    }
    let saved = std::mem::replace(&mut lab.ue.cfg.offers, offers);
    lab.ue.ports = lab.ue.fresh_ports();
    let (msg, w) = lab.ue.initial_register();
    let r = transact(lab, &w, &msg);
    if let Ok(i) = r {
        rec.response = Some(i);
        if let Some(m) = lab.seen[i].sip.clone().filter(|m| m.status() == Some(401)) {
            let _ = lab.ue.on_challenge(&m);
        }
    }
    lab.ue.cfg.offers = saved;
    r.map(|_| ())
}

/// The USIM is ahead of the HSS: the first challenge is stale, the UE sends AUTS, and the
/// answer to that (normally a fresh challenge) is the step's response.
fn resync_register(lab: &mut Lab, rec: &mut StepRecord, ahead: u64) -> Result<(), String> {
    lab.ue.cfg.sqn_ms = lab.ue.cfg.sqn_ms.saturating_add(ahead) & 0xffff_ffff_ffff;
    let (msg, w) = lab.ue.initial_register();
    let i = transact(lab, &w, &msg)?;
    let m = lab.seen[i].sip.clone().ok_or("no SIP")?;
    if m.status() != Some(401) {
        rec.response = Some(i);
        return Err(format!("expected a 401, got '{}'", m.start));
    }
    let (auts, challenge) = match lab.ue.on_challenge(&m) {
        Err(crate::roles::ue::UeError::SyncFailure { auts, challenge }) => (auts, challenge),
        Ok(_) => return Err("the challenge was fresh for a USIM that is ahead".into()),
        Err(e) => return Err(format!("challenge unusable: {e}")),
    };
    let (msg, w) = lab.ue.resync_register(&challenge, &auts);
    let i = transact(lab, &w, &msg)?;
    rec.response = Some(i);
    if let Some(m) = lab.seen[i].sip.clone().filter(|m| m.status() == Some(401)) {
        lab.ue
            .on_challenge(&m)
            .map_err(|e| format!("challenge after AUTS unusable: {e}"))?;
    }
    Ok(())
}

/// Corrupts the last octet of an ESP packet (part of the ICV).
fn flip_last_byte(w: &mut Wire) {
    let buf = match w {
        Wire::Udp { payload, .. } | Wire::Tcp { payload, .. } | Wire::Tls { payload, .. } => {
            payload
        }
        Wire::Ip { packet } => packet,
    };
    if let Some(b) = buf.last_mut() {
        *b ^= 0x01;
    }
}

/// Sends back to the P-CSCF the last ESP packet the UE received from it (seed 001).
fn reflect(lab: &mut Lab, rec: &mut StepRecord, timing: Timing) -> Result<(), String> {
    let last = lab
        .seen
        .iter()
        .rev()
        .find(|s| !s.sent && s.delivered.is_some())
        .cloned()
        .ok_or("no ESP packet from the P-CSCF to reflect")?;
    let w = match last.wire {
        Wire::Udp {
            local,
            peer,
            payload,
        } => Wire::Udp {
            local,
            peer,
            payload,
        },
        Wire::Ip { mut packet } => {
            swap_ip_addresses(&mut packet).ok_or("cannot reflect this packet")?;
            Wire::Ip { packet }
        }
        Wire::Tcp { .. } | Wire::Tls { .. } => {
            return Err("the last packet from the P-CSCF was not ESP".into())
        }
    };
    lab.send(&w).map_err(|e| e.to_string())?;
    rec.response = final_within(lab, timing.silence);
    Ok(())
}

/// Swaps source and destination of an IPv4/IPv6 packet (and fixes the IPv4 checksum).
fn swap_ip_addresses(p: &mut [u8]) -> Option<()> {
    match p.first()? >> 4 {
        4 => {
            let ihl = usize::from(p.first()? & 0x0f) * 4;
            let (src, dst): ([u8; 4], [u8; 4]) = (
                p.get(12..16)?.try_into().ok()?,
                p.get(16..20)?.try_into().ok()?,
            );
            p.get_mut(12..16)?.copy_from_slice(&dst);
            p.get_mut(16..20)?.copy_from_slice(&src);
            p.get_mut(10..12)?.copy_from_slice(&[0, 0]);
            let mut acc: u32 = 0;
            for c in p.get(..ihl)?.chunks(2) {
                acc += u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]));
            }
            while acc > 0xffff {
                acc = (acc & 0xffff) + (acc >> 16);
            }
            p.get_mut(10..12)?
                .copy_from_slice(&(!(acc as u16)).to_be_bytes());
            Some(())
        }
        6 => {
            let (src, dst): ([u8; 16], [u8; 16]) = (
                p.get(8..24)?.try_into().ok()?,
                p.get(24..40)?.try_into().ok()?,
            );
            p.get_mut(8..24)?.copy_from_slice(&dst);
            p.get_mut(24..40)?.copy_from_slice(&src);
            Some(())
        }
        _ => None,
    }
}

fn reregister(lab: &mut Lab, rec: &mut StepRecord) -> Result<(), String> {
    let (msg, w) = lab.ue.reregister(600).map_err(|e| e.to_string())?;
    let i = transact(lab, &w, &msg)?;
    let m = lab.seen[i].sip.clone().ok_or("no SIP")?;
    if m.status() != Some(401) {
        rec.response = Some(i);
        return Err(format!("re-registration: expected 401, got '{}'", m.start));
    }
    lab.ue.on_challenge(&m).map_err(|e| e.to_string())?;
    let (msg, w) = lab
        .ue
        .protected_register(&RegisterOpts::default())
        .map_err(|e| e.to_string())?;
    let i = transact(lab, &w, &msg)?;
    rec.response = Some(i);
    if lab.seen[i].sip.as_ref().and_then(|m| m.status()) == Some(200) {
        lab.ue.registered(true);
        Ok(())
    } else {
        Err("re-registration not accepted".into())
    }
}

/// The core sends a request to the registered UE through the P-CSCF; the UE answers it.
fn core_request(
    lab: &mut Lab,
    rec: &mut StepRecord,
    method: &str,
    timing: Timing,
) -> Result<(), String> {
    let sa3 = lab.ue.current_sa(3).map_err(|e| e.to_string())?;
    let core_addr = SocketAddr::new(lab.scscf_addr().ip(), 5070);
    let pcscf_core = SocketAddr::new(lab.pcscf_cfg.addr, lab.pcscf_cfg.core_port);
    let target = format!("sip:user@{}", SocketAddr::new(sa3.dst, sa3.dport));
    let req = SipMessage::request(method, &target)
        .with(
            "Via",
            &format!(
                "SIP/2.0/UDP {core_addr};branch=z9hG4bKcore{}",
                lab.seen.len()
            ),
        )
        .with("Max-Forwards", "70")
        .with("From", "<sip:scscf@imsec.test>;tag=core")
        .with("To", &format!("<{target}>"))
        .with("Call-ID", &format!("core-{}@imsec", lab.seen.len()))
        .with("CSeq", &format!("1 {method}"))
        .with_content_length();
    let core = lab.core_socket(core_addr).map_err(|e| e.to_string())?;
    core.send_to(&req.to_bytes(), pcscf_core)
        .map_err(|e| e.to_string())?;
    let deadline = Instant::now() + timing.timeout;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        let Some(s) = lab.recv_one(left) else { break };
        let is_req = s.sip.as_ref().is_some_and(|m| m.status().is_none());
        if is_req {
            rec.request_at_ue = Some(lab.seen.len() - 1);
            if let (Some(m), Some(d)) = (s.sip, s.delivered) {
                let w = lab
                    .ue
                    .answer(&m, d.set_id, d.tcp)
                    .map_err(|e| e.to_string())?;
                lab.send(&w).map_err(|e| e.to_string())?;
            }
            break;
        }
    }
    if rec.request_at_ue.is_none() {
        return Err("the request from the core never reached the UE".into());
    }
    let mut buf = vec![0u8; 65535];
    let _ = core.set_read_timeout(Some(timing.timeout));
    match core.recv_from(&mut buf) {
        Ok((n, _)) => match SipMessage::parse(&buf[..n]) {
            Ok(m) if m.status() == Some(200) => Ok(()),
            Ok(m) => Err(format!("core got '{}' back", m.start)),
            Err(e) => Err(format!("core got garbage back: {e}")),
        },
        Err(_) => Err("the UE's answer never reached the core".into()),
    }
}
