//! Steps and checks of the `tls` sec-agree mechanism between UE and P-CSCF (TS 33.203
//! Annex O; RFC 3329; TS 24.229 §5.2.2; seed 004): cases in `testcases/tls-sec-agree/`
//! (`mechanism: tls-sec-agree`).
//!
//! Steps (`do:`): `tls_register` (the initial REGISTER offering `tls`, TLS first on the SIPS
//! port or over plain TCP on 5060 (`via: first|upgrade`); unless `initial_only`, the answer
//! to the 401 on the TLS session of that connection), `tls_protected_register` (the answer,
//! with `verify:` tampering), `tls_request` (over the TLS session, or `outside: true` in clear
//! from the UE's address), `tls_reregister` (a whole re-registration over the session).
//! Checks: `tls_agree_offered`, `tls_agree_over_tls`, `tls_agree_no_certificate_request`;
//! `response`, `core_received` and `integrity_protected` apply to these steps as to others.

use super::case::{Action, Expect, HeaderTamper};
use super::checks::Observations;
use super::model::{CheckResult, Evidence, Verdict};
use super::steps::{tamper, StepRecord, Timing};
use super::sut::{Sut, SutKind};
use crate::lab::Lab;
use crate::mech::secagree::header::{parse_value, Mode};
use crate::mech::sip::SipMessage;
use crate::net::tcp_tls::TlsNote;
use crate::net::Wire;
pub use crate::roles::ue::tls::TlsFlow;
use serde::{Deserialize, Serialize};
use std::time::Instant;

pub mod profile;

fn first() -> TlsFlow {
    TlsFlow::First
}
fn options() -> String {
    "OPTIONS".into()
}

/// `tls_register`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterStep {
    #[serde(default)]
    pub id: Option<String>,
    /// `first`: TLS to the SIPS port before any SIP; `upgrade`: plain TCP on 5060, then TLS
    /// on that connection after the 401 (seed 004).
    #[serde(default = "first")]
    pub via: TlsFlow,
    /// Offer the ipsec-3gpp entries after `tls` as well.
    #[serde(default)]
    pub with_ipsec: bool,
    /// Stop after the 401 (the answer is a `tls_protected_register` step).
    #[serde(default)]
    pub initial_only: bool,
    /// The UE refuses a TLS session whose certificate does not validate (RFC 5280, RFC
    /// 6125); otherwise it records the problem and goes on (see `lab::tls::LabTls`).
    #[serde(default)]
    pub strict_cert: bool,
}

/// The mechanism the 401 named, which the UE then follows (RFC 3329 §2.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Followed {
    Tls,
    Ipsec,
}

/// The lower-cased mechanism names of the `header` lines of `m`.
fn mechanism_names(m: &SipMessage, header: &str) -> Vec<String> {
    m.headers_named(header)
        .filter_map(|v| parse_value(v, Mode::Lenient).ok())
        .flat_map(|p| p.mechanisms)
        .map(|m| m.name_lc())
        .collect()
}

/// `tls_protected_register`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProtectedStep {
    #[serde(default)]
    pub id: Option<String>,
    /// Tamper with Security-Verify (as in `protected_register`).
    #[serde(default)]
    pub verify: Option<HeaderTamper>,
}

/// `tls_request`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RequestStep {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default = "options")]
    pub method: String,
    /// In clear over UDP from the UE's address to the P-CSCF's unprotected port, outside the
    /// TLS connection (listens `silence_ms` for an answer).
    #[serde(default)]
    pub outside: bool,
}

/// `tls_reregister`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ReregisterStep {
    #[serde(default)]
    pub id: Option<String>,
}

/// Why a `tls-sec-agree` case does not apply to a SUT, if it does not.
pub fn not_applicable(sut: &Sut) -> Option<String> {
    match &sut.kind {
        SutKind::Builtin(_) => None,
        SutKind::External { .. } if sut.tls_agree.is_some() => None,
        _ => Some(
            "the SUT profile gives the P-CSCF no TLS side (no `tls:` block): it does not negotiate the RFC 3329 `tls` mechanism"
                .into(),
        ),
    }
}

/// Gives the lab of an external P-CSCF whose profile has a `tls:` block the UE's TLS side:
/// its trust anchors, the name to expect, and the SIPS port.
pub fn attach(lab: &mut Lab, sut: &Sut) -> Result<(), String> {
    let (SutKind::External { .. }, Some(t)) = (&sut.kind, &sut.tls_agree) else {
        return Ok(());
    };
    let lt = crate::lab::tls::LabTls::new(t.anchors.clone(), t.server_name.clone());
    lab.ue_net.set_tls(lt.client_setup(None)?);
    lab.ue.tls.sips_port = t.sips_port;
    lab.tls = Some(lt);
    Ok(())
}

/// A transaction over a reliable transport (no Timer E, RFC 3261 §17.1.2.2).
fn transact(lab: &mut Lab, w: &Wire, msg: &SipMessage) -> Result<usize, String> {
    let before = lab.seen.len();
    let r = lab.transact(w, |_| None);
    if let Some(s) = lab.seen.get_mut(before) {
        if s.sip.is_none() {
            s.sip = Some(msg.clone());
        }
    }
    r.map(|_| lab.seen.len() - 1)
}

fn sip_at(lab: &Lab, i: usize) -> Result<SipMessage, String> {
    lab.seen
        .get(i)
        .and_then(|s| s.sip.clone())
        .ok_or_else(|| "no SIP response".to_string())
}

fn initial(lab: &mut Lab, rec: &mut StepRecord, s: &RegisterStep) -> Result<Followed, String> {
    let Some(t) = &mut lab.tls else {
        return Err("this lab has no TLS set-up for the P-CSCF".into());
    };
    if s.strict_cert && !t.strict_cert {
        t.strict_cert = true;
        let setup = t.client_setup(None)?;
        lab.ue_net.set_tls(setup);
    }
    let (msg, w) = lab.ue.tls_initial_register(s.via, s.with_ipsec);
    let i = transact(lab, &w, &msg)?;
    rec.response = Some(i);
    let m = sip_at(lab, i)?;
    if m.status() != Some(401) {
        return Err(format!("expected 401, got '{}'", m.start));
    }
    let server = mechanism_names(&m, "Security-Server");
    if s.with_ipsec
        && !server.iter().any(|n| n == "tls")
        && server.iter().any(|n| n == "ipsec-3gpp")
    {
        // The P-CSCF chose ipsec-3gpp among the UE's offers: the UE follows it, SAs from
        // the Security-Server, Security-Client repeated as first sent (TS 33.203 §7.2).
        lab.ue.client_sent = lab.ue.tls.client_sent.clone();
        lab.ue
            .on_challenge(&m)
            .map_err(|e| format!("challenge unusable: {e}"))?;
        return Ok(Followed::Ipsec);
    }
    lab.ue
        .tls_on_challenge(&m)
        .map(|_| Followed::Tls)
        .map_err(|e| format!("challenge unusable: {e}"))
}

/// The protected REGISTER over the SAs when the P-CSCF chose ipsec-3gpp.
fn protected_ipsec(lab: &mut Lab, rec: &mut StepRecord) -> Result<(), String> {
    let (msg, w) = lab
        .ue
        .protected_register(&crate::roles::ue::RegisterOpts::default())
        .map_err(|e| e.to_string())?;
    let before = lab.seen.len();
    let r = lab.transact(&w, |ue| ue.retransmit());
    if let Some(s) = lab.seen.get_mut(before) {
        if s.sip.is_none() {
            s.sip = Some(msg.clone());
        }
    }
    r?;
    let i = lab.seen.len() - 1;
    rec.response = Some(i);
    let code = sip_at(lab, i)?.status().unwrap_or(0);
    if code != 200 {
        return Err(format!("the protected REGISTER over the SAs got {code}"));
    }
    lab.ue.registered(true);
    Ok(())
}

fn protected(
    lab: &mut Lab,
    rec: &mut StepRecord,
    verify: Option<&HeaderTamper>,
) -> Result<(), String> {
    let server = lab
        .ue
        .tls_server_list()
        .ok_or("no challenge with Security-Server: tls")?;
    let v = verify.map(|t| tamper(&server, t)).transpose()?;
    let deviant = v.is_some();
    let (msg, w) = lab
        .ue
        .tls_protected_register(v, None)
        .map_err(|e| e.to_string())?;
    let i = transact(lab, &w, &msg)?;
    rec.response = Some(i);
    let code = sip_at(lab, i)?.status().unwrap_or(0);
    if (200..300).contains(&code) {
        lab.ue.tls.registered = true;
    } else if !deviant {
        return Err(format!("the answer to the challenge got {code}, not 2xx"));
    }
    Ok(())
}

/// Runs one step of this module (called from `steps::run`).
pub fn run(
    lab: &mut Lab,
    rec: &mut StepRecord,
    action: &Action,
    timing: Timing,
) -> Result<(), String> {
    match action {
        Action::TlsRegister(s) => {
            let followed = initial(lab, rec, s)?;
            if s.initial_only {
                return Ok(());
            }
            match followed {
                Followed::Tls => protected(lab, rec, None),
                Followed::Ipsec => protected_ipsec(lab, rec),
            }
        }
        Action::TlsProtectedRegister(s) => protected(lab, rec, s.verify.as_ref()),
        Action::TlsRequest(s) => {
            let (msg, w) = lab
                .ue
                .tls_request(&s.method, s.outside)
                .map_err(|e| e.to_string())?;
            if !s.outside {
                rec.response = Some(transact(lab, &w, &msg)?);
                return Ok(());
            }
            lab.send(&w).map_err(|e| e.to_string())?;
            lab.note_sent_sip(&msg);
            let deadline = Instant::now() + timing.silence;
            while let Some(left) = deadline.checked_duration_since(Instant::now()) {
                let Some(got) = lab.recv_one(left) else {
                    break;
                };
                if got
                    .sip
                    .as_ref()
                    .and_then(|m| m.status())
                    .is_some_and(|c| c >= 200)
                {
                    rec.response = Some(lab.seen.len() - 1);
                    break;
                }
            }
            Ok(())
        }
        Action::TlsReregister(_) => {
            let (msg, w) = lab.ue.tls_reregister().map_err(|e| e.to_string())?;
            let i = transact(lab, &w, &msg)?;
            rec.response = Some(i);
            let m = sip_at(lab, i)?;
            if m.status() != Some(401) {
                return Err(format!("re-registration: expected 401, got '{}'", m.start));
            }
            lab.ue
                .tls_on_challenge(&m)
                .map_err(|e| format!("challenge unusable: {e}"))?;
            protected(lab, rec, None)
        }
        other => Err(format!("'{}' is not a tls-sec-agree step", other.name())),
    }
}

fn result(e: &Expect, verdict: Verdict, summary: String, events: Vec<usize>) -> CheckResult {
    CheckResult {
        check: e.name().to_string(),
        verdict,
        requirements: Vec::new(),
        evidence: Evidence { summary, events },
    }
}

fn step<'a>(o: &'a Observations<'_>, id: &str) -> Option<&'a StepRecord> {
    o.steps.iter().find(|s| s.id == id)
}

/// The checks of this module that need only the UE's and the core's vantage points.
pub fn evaluate(e: &Expect, o: &Observations<'_>) -> CheckResult {
    let missing = |id: &str| {
        result(
            e,
            Verdict::Inconclusive,
            format!("step '{id}' did not run"),
            vec![],
        )
    };
    let ev = |i: usize| (o.seen_to_trace)(i).into_iter().collect::<Vec<_>>();
    match e {
        Expect::TlsAgreeOffered { step: id } => {
            let Some(st) = step(o, id) else {
                return missing(id);
            };
            // The first final response the UE got in the step.
            let first = st.seen.clone().find(|&i| {
                o.seen.get(i).is_some_and(|s| {
                    !s.sent
                        && s.sip
                            .as_ref()
                            .and_then(|m| m.status())
                            .is_some_and(|c| c >= 200)
                })
            });
            let Some(i) = first else {
                return result(
                    e,
                    Verdict::Inconclusive,
                    "no final response to the REGISTER offering tls".into(),
                    vec![],
                );
            };
            let Some(m) = o.seen.get(i).and_then(|s| s.sip.as_ref()) else {
                return missing(id);
            };
            let names: Vec<String> = m
                .headers_named("Security-Server")
                .filter_map(|v| parse_value(v, Mode::Lenient).ok())
                .flat_map(|p| p.mechanisms)
                .map(|m| m.name_lc())
                .collect();
            if m.status() == Some(401) && names.iter().any(|n| n == "tls") {
                result(
                    e,
                    Verdict::Pass,
                    format!("401 with Security-Server: {}", names.join(", ")),
                    ev(i),
                )
            } else {
                result(
                    e,
                    Verdict::Fail,
                    format!(
                        "the UE offered tls; the answer was '{}' with Security-Server [{}]",
                        m.start,
                        names.join(", ")
                    ),
                    ev(i),
                )
            }
        }
        Expect::TlsAgreeOverTls { step: id } => {
            let Some(st) = step(o, id) else {
                return missing(id);
            };
            let Some(i) = st.response else {
                return result(e, Verdict::Inconclusive, "no final response".into(), vec![]);
            };
            match o.seen.get(i).map(|s| &s.wire) {
                Some(Wire::Tls { .. }) => result(
                    e,
                    Verdict::Pass,
                    "answered on the TLS session".into(),
                    ev(i),
                ),
                _ => result(
                    e,
                    Verdict::Fail,
                    "the response did not come on the TLS session".into(),
                    ev(i),
                ),
            }
        }
        Expect::TlsAgreeChosenHonoured { step: id } => {
            let Some(st) = step(o, id) else {
                return missing(id);
            };
            chosen_honoured(e, o, st)
        }
        _ => result(
            e,
            Verdict::NotApplicable,
            "judged from the TLS sessions (engine::tlsagree)".into(),
            vec![],
        ),
    }
}

/// RFC 3329 §2.3.1, TS 33.203 §7.2 / Annex O: the Security-Server of the 401 lists only
/// mechanisms the UE offered in its Security-Client, and the protected REGISTER succeeds
/// over the mechanism named there (tls: on the TLS session; ipsec-3gpp: over the SAs).
fn chosen_honoured(e: &Expect, o: &Observations<'_>, st: &StepRecord) -> CheckResult {
    let ev = |i: usize| (o.seen_to_trace)(i).into_iter().collect::<Vec<_>>();
    let sip = |i: usize| o.seen.get(i).and_then(|s| s.sip.as_ref());
    let offered: Vec<String> = st
        .seen
        .clone()
        .find(|&i| o.seen.get(i).is_some_and(|s| s.sent) && sip(i).is_some())
        .and_then(sip)
        .map(|m| mechanism_names(m, "Security-Client"))
        .unwrap_or_default();
    let mut shown = offered.clone();
    shown.dedup();
    let offered_list = shown.join(", ");
    let challenge = st.seen.clone().find(|&i| {
        o.seen.get(i).is_some_and(|s| !s.sent)
            && sip(i).and_then(|m| m.status()).is_some_and(|c| c >= 200)
    });
    let Some(ci) = challenge else {
        return result(
            e,
            Verdict::Inconclusive,
            "no final response to the initial REGISTER".into(),
            vec![],
        );
    };
    let server = sip(ci)
        .map(|m| mechanism_names(m, "Security-Server"))
        .unwrap_or_default();
    let mut names = server.clone();
    names.dedup();
    if names.is_empty() {
        return result(
            e,
            Verdict::Fail,
            "the answer to the REGISTER named no mechanism in Security-Server".into(),
            ev(ci),
        );
    }
    if let Some(n) = names.iter().find(|n| !offered.contains(n)) {
        return result(
            e,
            Verdict::Fail,
            format!(
                "Security-Server names '{n}', which the UE did not offer (Security-Client: {offered_list})"
            ),
            ev(ci),
        );
    }
    let Some(ri) = st.response.filter(|&r| r != ci) else {
        return result(
            e,
            Verdict::Inconclusive,
            "no answer to the protected REGISTER".into(),
            ev(ci),
        );
    };
    let Some(seen) = o.seen.get(ri) else {
        return result(e, Verdict::Inconclusive, "no response".into(), vec![]);
    };
    let code = seen.sip.as_ref().and_then(|m| m.status()).unwrap_or(0);
    let used = match &seen.wire {
        Wire::Tls { .. } => Some("tls"),
        _ if seen.delivered.is_some() => Some("ipsec-3gpp"),
        _ => None,
    };
    let chosen = names.join(", ");
    let mut events = ev(ci);
    events.extend(ev(ri));
    match used {
        Some(u) if (200..300).contains(&code) && names.iter().any(|n| n == u) => result(
            e,
            Verdict::Pass,
            format!("offered [{offered_list}]; Security-Server [{chosen}]; registered ({code}) over {u}"),
            events,
        ),
        _ => result(
            e,
            Verdict::Fail,
            format!(
                "Security-Server [{chosen}], but the protected REGISTER over it got {code} (answered {})",
                used.unwrap_or("outside both mechanisms")
            ),
            events,
        ),
    }
}

/// The checks that need the UE's TLS sessions; `None` for every other check.
pub fn evaluate_sessions(
    e: &Expect,
    o: &Observations<'_>,
    notes: &[TlsNote],
) -> Option<CheckResult> {
    if let Expect::TlsAgreeCertificateValid { step: id } = e {
        return Some(certificate_valid(e, o, notes, id));
    }
    let Expect::TlsAgreeNoCertificateRequest { step: id } = e else {
        return None;
    };
    let Some(st) = step(o, id) else {
        return Some(result(
            e,
            Verdict::Inconclusive,
            format!("step '{id}' did not run"),
            vec![],
        ));
    };
    let mine: Vec<&TlsNote> = notes
        .iter()
        .filter(|n| n.client && n.started >= st.started)
        .collect();
    if let Some(n) = mine.iter().find(|n| n.certificate_request) {
        return Some(result(
            e,
            Verdict::Fail,
            format!(
                "the P-CSCF sent a CertificateRequest on the TLS session {} -> {}",
                n.local, n.peer
            ),
            vec![],
        ));
    }
    Some(match mine.iter().find_map(|n| n.established.clone()) {
        Some(info) => result(
            e,
            Verdict::Pass,
            format!(
                "server-only authentication ({} {}), no CertificateRequest",
                info.version, info.cipher_suite
            ),
            vec![],
        ),
        None => result(
            e,
            Verdict::Inconclusive,
            "no TLS session was established in the step".into(),
            vec![],
        ),
    })
}

/// RFC 5280 §6.1 (path to the trust anchor, validity period) and RFC 6125 §6 (the name):
/// the UE's sessions from `step` on had a certificate that validated.
fn certificate_valid(e: &Expect, o: &Observations<'_>, notes: &[TlsNote], id: &str) -> CheckResult {
    let Some(st) = step(o, id) else {
        return result(
            e,
            Verdict::Inconclusive,
            format!("step '{id}' did not run"),
            vec![],
        );
    };
    let mine: Vec<&TlsNote> = notes
        .iter()
        .filter(|n| n.client && n.started >= st.started)
        .collect();
    if let Some(n) = mine.iter().find(|n| n.cert_problem.is_some()) {
        let p = n
            .cert_problem
            .as_ref()
            .map(|p| format!("{p:?}"))
            .unwrap_or_default();
        return result(
            e,
            Verdict::Fail,
            format!(
                "the P-CSCF's certificate on {} -> {} did not validate: {p}{}",
                n.local,
                n.peer,
                n.failure
                    .as_deref()
                    .map(|f| format!(" (session refused: {f})"))
                    .unwrap_or_default()
            ),
            vec![],
        );
    }
    match mine.iter().find_map(|n| n.established.clone()) {
        Some(info) => result(
            e,
            Verdict::Pass,
            format!(
                "the certificate validated against the trust anchor and name ({} {})",
                info.version, info.cipher_suite
            ),
            vec![],
        ),
        None => result(
            e,
            Verdict::Inconclusive,
            "no TLS session was established in the step".into(),
            vec![],
        ),
    }
}

/// Sets the key log of the UE's TLS sessions (SSLKEYLOGFILE format) to `path`.
pub fn keylog(lab: &mut Lab, path: &std::path::Path) -> Result<(), String> {
    let Some(t) = &mut lab.tls else {
        return Ok(());
    };
    let k = crate::net::tls::KeyLogFile::create(path).map_err(|e| e.to_string())?;
    t.keylog = Some(k);
    let setup = t.client_setup(None)?;
    lab.ue_net.set_tls(setup);
    Ok(())
}

/// The raw TLS records of the UE's sessions as (time, source, destination, octets), in
/// order, for the case's pcapng (sent by the UE: UE → P-CSCF; received: the reverse).
pub fn tls_records(
    notes: &[TlsNote],
) -> Vec<(Instant, std::net::SocketAddr, std::net::SocketAddr, Vec<u8>)> {
    let mut v: Vec<_> = notes
        .iter()
        .filter(|n| n.client)
        .flat_map(|n| {
            n.records.iter().map(move |(at, sent, b)| {
                let (s, d) = if *sent {
                    (n.local, n.peer)
                } else {
                    (n.peer, n.local)
                };
                (*at, s, d, b.clone())
            })
        })
        .collect();
    v.sort_by_key(|(at, ..)| *at);
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::Seen;

    fn seen(sent: bool, wire: Wire, text: &str) -> Seen {
        Seen {
            at: Instant::now(),
            sent,
            wire,
            sip: Some(SipMessage::parse(text.as_bytes()).unwrap()),
            delivered: None,
            dropped: None,
            esp: None,
        }
    }

    fn tcp() -> Wire {
        Wire::Tcp {
            local: "127.0.0.4:5061".parse().unwrap(),
            peer: "127.0.0.2:5060".parse().unwrap(),
            payload: Vec::new(),
        }
    }

    fn tls() -> Wire {
        Wire::Tls {
            local: "127.0.0.4:5061".parse().unwrap(),
            peer: "127.0.0.2:5060".parse().unwrap(),
            payload: Vec::new(),
        }
    }

    /// Offered tls + ipsec-3gpp; the 401 names `server`; the protected REGISTER got `code`
    /// on `answer`.
    fn judge(server: &str, answer: Wire, code: u16) -> (Verdict, String) {
        let offer = "tls, ipsec-3gpp;prot=esp;mod=trans;spi-c=1;spi-s=2;port-c=5100;port-s=5101;alg=hmac-sha-1-96;ealg=null";
        let log = [
            seen(
                true,
                tcp(),
                &format!("REGISTER sip:x SIP/2.0\r\nSecurity-Client: {offer}\r\nContent-Length: 0\r\n\r\n"),
            ),
            seen(
                false,
                tcp(),
                &format!("SIP/2.0 401 Unauthorized\r\nSecurity-Server: {server}\r\nContent-Length: 0\r\n\r\n"),
            ),
            seen(
                true,
                tls(),
                "REGISTER sip:x SIP/2.0\r\nContent-Length: 0\r\n\r\n",
            ),
            seen(
                false,
                answer,
                &format!("SIP/2.0 {code} X\r\nContent-Length: 0\r\n\r\n"),
            ),
        ];
        let steps = [StepRecord {
            id: "register".into(),
            action: "tls_register",
            started: Instant::now(),
            seen: 0..4,
            core: 0..0,
            response: Some(3),
            request_at_ue: None,
            problem: None,
            media: None,
            call: None,
        }];
        let none = |_: usize| None;
        let o = Observations {
            seen: &log,
            core: None,
            core_registered: None,
            steps: &steps,
            seen_to_trace: &none,
            core_to_trace: &none,
            confidentiality_required: false,
        };
        let r = evaluate(
            &Expect::TlsAgreeChosenHonoured {
                step: "register".into(),
            },
            &o,
        );
        (r.verdict, r.evidence.summary)
    }

    /// RFC 3329 §2.3.1: the named mechanism must be one offered, and used with success.
    #[test]
    fn chosen_mechanism_must_be_offered_and_used() {
        assert_eq!(judge("tls", tls(), 200).0, Verdict::Pass);
        // Named tls, refused over TLS (the tls-mixed-choice flaw).
        assert_eq!(judge("tls", tls(), 403).0, Verdict::Fail);
        // Named tls, answered in clear: not the chosen mechanism.
        assert_eq!(judge("tls", tcp(), 200).0, Verdict::Fail);
        // A mechanism the UE did not offer.
        let (v, why) = judge("digest", tls(), 200);
        assert_eq!(v, Verdict::Fail);
        assert!(why.contains("did not offer"), "{why}");
        // Nothing named.
        assert_eq!(judge("", tls(), 200).0, Verdict::Fail);
    }
}
