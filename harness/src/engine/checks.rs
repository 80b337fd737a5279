//! Expectations evaluated over what was observed. A check sees only the harness's vantage
//! points (what the UE received, what the core received), never the SUT's internals, so the
//! same check judges the built-in P-CSCF, a real one, or (through `replay`) a capture.

use super::case::{parse_status, Expect, StatusExpect};
use super::model::{CheckResult, Evidence, Verdict};
use super::steps::StepRecord;
use crate::lab::Seen;
use crate::mech::esp::saset::validate_pcscf_spis;
use crate::mech::secagree::header::{parse_value, Mechanism, Mode};
use crate::mech::secagree::ipsec::ipsec_offers;
use crate::mech::sip::SipMessage;
use crate::roles::scscf::Exchange;
use std::collections::BTreeMap;

/// Everything a check may look at.
pub struct Observations<'a> {
    /// The UE's vantage: what it sent and received, in order.
    pub seen: &'a [Seen],
    /// The core's vantage: requests the S-CSCF received and its answers (None: no core view).
    pub core: Option<&'a [Exchange]>,
    /// Whether the core holds the UE's registration at the end (None: no core view).
    pub core_registered: Option<bool>,
    pub steps: &'a [StepRecord],
    /// Maps an index of `seen` to the trace (for evidence).
    pub seen_to_trace: &'a dyn Fn(usize) -> Option<usize>,
    /// Maps an index of `core` to the trace event of its request.
    pub core_to_trace: &'a dyn Fn(usize) -> Option<usize>,
    /// The SUT's policy requires confidentiality (its profile's `confidentiality_required`,
    /// or `imsec replay --require-confidentiality`): `algorithm_from_offer` with
    /// `confidentiality: true` demands encryption only then, as TS 33.203 M.6.2 ties the rule
    /// to the P-CSCF's local policy.
    pub confidentiality_required: bool,
}

fn result(check: &Expect, verdict: Verdict, summary: String, events: Vec<usize>) -> CheckResult {
    CheckResult {
        check: check.name().to_string(),
        verdict,
        evidence: Evidence { summary, events },
        requirements: Vec::new(),
    }
}

fn step<'a>(o: &'a Observations<'_>, id: &str) -> Option<&'a StepRecord> {
    o.steps.iter().find(|s| s.id == id)
}

fn sip_at<'a>(o: &'a Observations<'_>, i: usize) -> Option<&'a SipMessage> {
    o.seen.get(i).and_then(|s| s.sip.as_ref())
}

/// Security-* headers of a message as one list.
fn sec_list(m: &SipMessage, name: &str) -> Vec<Mechanism> {
    m.headers_named(name)
        .filter_map(|v| parse_value(v, Mode::Lenient).ok())
        .flat_map(|p| p.mechanisms)
        .collect()
}

/// Evaluates one expectation.
pub fn evaluate(e: &Expect, o: &Observations<'_>) -> CheckResult {
    let na = |why: &str| result(e, Verdict::NotApplicable, why.to_string(), Vec::new());
    if e.needs_core() && o.core.is_none() {
        return na("needs the core view (topology core: the harness is not the S-CSCF)");
    }
    match e {
        Expect::Response {
            step: id,
            status,
            protected,
            sa,
            transport,
        } => {
            let Some(st) = step(o, id) else {
                return result(
                    e,
                    Verdict::Inconclusive,
                    format!("step '{id}' did not run"),
                    vec![],
                );
            };
            // A step that could not even send its message (e.g. `alter: [q]` when the SUT's
            // Security-Server has no q: found against Kamailio, labs/kamailio/FINDINGS.md)
            // drew no answer because it asked nothing: that judges nothing.
            let sent_any = o
                .seen
                .get(st.seen.clone())
                .is_some_and(|s| s.iter().any(|x| x.sent));
            if let (None, Some(why), false) = (st.response, &st.problem, sent_any) {
                return result(
                    e,
                    Verdict::Inconclusive,
                    format!("step '{id}' sent nothing: {why}"),
                    vec![],
                );
            }
            let want = match parse_status(status) {
                Ok(w) => w,
                Err(m) => return result(e, Verdict::Error, m, vec![]),
            };
            let got = st.response.and_then(|i| sip_at(o, i).map(|m| (i, m)));
            let ev: Vec<usize> = st
                .response
                .and_then(|i| (o.seen_to_trace)(i))
                .into_iter()
                .collect();
            let code = got.and_then(|(_, m)| m.status());
            let ok_status = match (want, code) {
                (StatusExpect::None, None) => true,
                (StatusExpect::None, Some(c)) => c < 200,
                (StatusExpect::Code(w), Some(c)) => w == c,
                (StatusExpect::Class(d), Some(c)) => c / 100 == d,
                // A challenge (401/407) means the server goes on: it is not a rejection.
                (StatusExpect::Reject, Some(c)) => c >= 300 && c != 401 && c != 407,
                (_, None) => false,
            };
            if !ok_status {
                let saw = match got {
                    Some((_, m)) => format!("'{}'", m.start),
                    None => "no response".into(),
                };
                return result(
                    e,
                    Verdict::Fail,
                    format!("step '{id}': expected {status}, got {saw}"),
                    ev,
                );
            }
            if let Some((i, _)) = got {
                let d = o.seen.get(i).and_then(|s| s.delivered.as_ref());
                if let Some(p) = protected {
                    if d.is_some() != *p {
                        return result(
                            e,
                            Verdict::Fail,
                            format!(
                                "step '{id}': response arrived {} ESP",
                                if d.is_some() { "over" } else { "without" }
                            ),
                            ev,
                        );
                    }
                }
                if let Some(want) = transport {
                    let tcp = match d {
                        Some(d) => d.tcp,
                        None => o
                            .seen
                            .get(i)
                            .is_some_and(|s| matches!(s.wire, crate::net::Wire::Tcp { .. })),
                    };
                    let got = if tcp {
                        crate::roles::SipTransport::Tcp
                    } else {
                        crate::roles::SipTransport::Udp
                    };
                    if got != *want {
                        return result(
                            e,
                            Verdict::Fail,
                            format!("step '{id}': response arrived over {got:?}, not {want:?}"),
                            ev,
                        );
                    }
                }
                if let (Some(want_sa), Some(d)) = (sa, d) {
                    if d.sa_index != *want_sa {
                        return result(
                            e,
                            Verdict::Fail,
                            format!(
                                "step '{id}': response arrived on SA #{} ({} -> {}, SPI {}), not SA #{want_sa}",
                                d.sa_index, d.src, d.dst, d.spi
                            ),
                            ev,
                        );
                    }
                }
            }
            let saw = code.map_or("no response".into(), |c| c.to_string());
            result(
                e,
                Verdict::Pass,
                format!("step '{id}': {saw} as expected ({status})"),
                ev,
            )
        }
        Expect::Registered { value } => match o.core_registered {
            Some(r) if r == *value => result(
                e,
                Verdict::Pass,
                format!("registered at the core: {r}"),
                vec![],
            ),
            Some(r) => result(
                e,
                Verdict::Fail,
                format!("registered at the core: {r}, expected {value}"),
                vec![],
            ),
            None => na("no core view"),
        },
        Expect::CoreReceived { step: id, count } => {
            let Some(st) = step(o, id) else {
                return result(
                    e,
                    Verdict::Inconclusive,
                    format!("step '{id}' did not run"),
                    vec![],
                );
            };
            let n = st.core.len();
            let ev: Vec<usize> = st
                .core
                .clone()
                .filter_map(|i| (o.core_to_trace)(i))
                .collect();
            let v = if n == *count {
                Verdict::Pass
            } else {
                Verdict::Fail
            };
            result(
                e,
                v,
                format!("the core received {n} request(s) during '{id}' (expected {count})"),
                ev,
            )
        }
        Expect::NoCkIkAtUe => {
            let leaks: Vec<usize> = o
                .seen
                .iter()
                .enumerate()
                .filter(|(_, s)| !s.sent)
                .filter(|(_, s)| {
                    s.sip.as_ref().is_some_and(|m| {
                        m.headers_named("WWW-Authenticate").any(|w| {
                            crate::mech::digest::params::parse(w)
                                .map(|p| p.get("ck").is_some() || p.get("ik").is_some())
                                .unwrap_or(false)
                        })
                    })
                })
                .map(|(i, _)| i)
                .collect();
            let challenges = o
                .seen
                .iter()
                .filter(|s| !s.sent && s.sip.as_ref().and_then(|m| m.status()) == Some(401))
                .count();
            if challenges == 0 {
                return result(
                    e,
                    Verdict::Inconclusive,
                    "no 401 reached the UE".into(),
                    vec![],
                );
            }
            if leaks.is_empty() {
                result(
                    e,
                    Verdict::Pass,
                    format!("{challenges} challenge(s) without ck/ik"),
                    vec![],
                )
            } else {
                result(
                    e,
                    Verdict::Fail,
                    format!(
                        "{} challenge(s) at the UE carry ck/ik (the session keys)",
                        leaks.len()
                    ),
                    leaks.iter().filter_map(|i| (o.seen_to_trace)(*i)).collect(),
                )
            }
        }
        Expect::CoreHeadersClean => {
            let core = o.core.unwrap_or(&[]);
            let bad: Vec<(usize, String)> = core
                .iter()
                .enumerate()
                .filter_map(|(i, x)| {
                    let m = &x.request;
                    let h: Vec<&str> = ["Security-Client", "Security-Server", "Security-Verify"]
                        .into_iter()
                        .filter(|n| m.header(n).is_some())
                        .collect();
                    let tag = m.has_option_tag("Require", "sec-agree")
                        || m.has_option_tag("Proxy-Require", "sec-agree");
                    (!h.is_empty() || tag).then(|| {
                        (
                            i,
                            format!(
                                "{} carries {:?}{}",
                                m.start,
                                h,
                                if tag { " and the sec-agree tag" } else { "" }
                            ),
                        )
                    })
                })
                .collect();
            if core.is_empty() {
                return result(
                    e,
                    Verdict::Inconclusive,
                    "nothing reached the core".into(),
                    vec![],
                );
            }
            match bad.first() {
                None => result(
                    e,
                    Verdict::Pass,
                    format!(
                        "{} request(s) at the core, none with sec-agree headers",
                        core.len()
                    ),
                    vec![],
                ),
                Some((_, what)) => result(
                    e,
                    Verdict::Fail,
                    what.clone(),
                    bad.iter()
                        .filter_map(|(i, _)| (o.core_to_trace)(*i))
                        .collect(),
                ),
            }
        }
        Expect::IntegrityProtected { step: id, value } => {
            let Some(st) = step(o, id) else {
                return result(
                    e,
                    Verdict::Inconclusive,
                    format!("step '{id}' did not run"),
                    vec![],
                );
            };
            let core = o.core.unwrap_or(&[]);
            let regs: Vec<(usize, Option<String>)> = st
                .core
                .clone()
                .filter_map(|i| core.get(i).map(|x| (i, x)))
                .filter(|(_, x)| x.request.method().as_deref() == Some("REGISTER"))
                .map(|(i, x)| {
                    let v = x
                        .request
                        .header("Authorization")
                        .and_then(|a| crate::mech::digest::params::parse(a).ok())
                        .and_then(|p| p.get("integrity-protected").map(str::to_string));
                    (i, v)
                })
                .collect();
            let ev: Vec<usize> = regs
                .iter()
                .filter_map(|(i, _)| (o.core_to_trace)(*i))
                .collect();
            match regs.last() {
                None => result(
                    e,
                    Verdict::Inconclusive,
                    format!("no REGISTER reached the core during '{id}'"),
                    ev,
                ),
                Some((_, Some(v))) if v.eq_ignore_ascii_case(value) => {
                    result(e, Verdict::Pass, format!("integrity-protected=\"{v}\""), ev)
                }
                Some((_, v)) => result(
                    e,
                    Verdict::Fail,
                    format!("integrity-protected is {v:?}, expected \"{value}\""),
                    ev,
                ),
            }
        }
        Expect::SpisDistinct => spis_distinct(e, o),
        Expect::AlgorithmFromOffer { confidentiality } => {
            algorithm_from_offer(e, o, *confidentiality && o.confidentiality_required)
        }
        Expect::NoDummyPackets => {
            let d: Vec<usize> = o
                .seen
                .iter()
                .enumerate()
                .filter(|(_, s)| s.delivered.as_ref().is_some_and(|d| d.dummy))
                .map(|(i, _)| i)
                .collect();
            if d.is_empty() {
                result(
                    e,
                    Verdict::Pass,
                    "no Next Header 59 packet reached the UE".into(),
                    vec![],
                )
            } else {
                result(
                    e,
                    Verdict::Fail,
                    format!(
                        "{} dummy packet(s) (Next Header 59) reached the UE",
                        d.len()
                    ),
                    d.iter().filter_map(|i| (o.seen_to_trace)(*i)).collect(),
                )
            }
        }
        Expect::EspSequence => {
            // Every ESP packet from the P-CSCF counts, also those the UE's window dropped.
            let mut by_spi: BTreeMap<u32, Vec<(usize, u32)>> = BTreeMap::new();
            for (i, s) in o.seen.iter().enumerate() {
                if let Some((spi, seq)) = s.esp.filter(|_| !s.sent) {
                    by_spi.entry(spi).or_default().push((i, seq));
                }
            }
            if by_spi.is_empty() {
                return result(
                    e,
                    Verdict::Inconclusive,
                    "no ESP packet from the P-CSCF".into(),
                    vec![],
                );
            }
            for (spi, seqs) in &by_spi {
                if seqs.first().map(|x| x.1) != Some(1) {
                    let ev = seqs
                        .first()
                        .and_then(|x| (o.seen_to_trace)(x.0))
                        .into_iter()
                        .collect();
                    return result(
                        e,
                        Verdict::Fail,
                        format!(
                            "SPI 0x{spi:08x}: first sequence number {:?}, not 1 (RFC 4303 §3.3.3)",
                            seqs.first().map(|x| x.1)
                        ),
                        ev,
                    );
                }
                if let Some(w) = seqs.windows(2).find(|w| w[1].1 <= w[0].1) {
                    return result(
                        e,
                        Verdict::Fail,
                        format!("SPI 0x{spi:08x}: sequence {} after {}", w[1].1, w[0].1),
                        [w[0].0, w[1].0]
                            .iter()
                            .filter_map(|i| (o.seen_to_trace)(*i))
                            .collect(),
                    );
                }
            }
            result(
                e,
                Verdict::Pass,
                format!(
                    "{} SA(s): sequence numbers start at 1 and increase",
                    by_spi.len()
                ),
                vec![],
            )
        }
        Expect::SameChoice { steps } => same_choice(e, o, steps),
        Expect::NoncesFresh => nonces_fresh(e, o),
        Expect::RequestOnSa3 { step: id } => {
            let Some(st) = step(o, id) else {
                return result(
                    e,
                    Verdict::Inconclusive,
                    format!("step '{id}' did not run"),
                    vec![],
                );
            };
            let Some(i) = st.request_at_ue else {
                return result(
                    e,
                    Verdict::Inconclusive,
                    format!("no request reached the UE in '{id}'"),
                    vec![],
                );
            };
            let ev: Vec<usize> = (o.seen_to_trace)(i).into_iter().collect();
            match o.seen.get(i).and_then(|s| s.delivered.as_ref()) {
                Some(d) if d.sa_index == 3 => result(
                    e,
                    Verdict::Pass,
                    format!("request arrived on SA #3 (SPI {})", d.spi),
                    ev,
                ),
                Some(d) => result(
                    e,
                    Verdict::Fail,
                    format!(
                        "request arrived on SA #{} ({} -> {}), not SA #3",
                        d.sa_index, d.src, d.dst
                    ),
                    ev,
                ),
                None => result(e, Verdict::Fail, "request arrived without ESP".into(), ev),
            }
        }
        Expect::IkeChildRefused { .. }
        | Expect::IkeChildNotNull { .. }
        | Expect::IkeSaNotNull
        | Expect::SegOffersNoNull { .. } => na("a Za (security gateway) check"),
        Expect::TlsRefused { .. }
        | Expect::TlsNoCertificateRequest { .. }
        | Expect::TlsCertificateValid { .. } => na("a TLS endpoint check"),
        Expect::TlsAgreeOffered { .. }
        | Expect::TlsAgreeOverTls { .. }
        | Expect::TlsAgreeNoCertificateRequest { .. }
        | Expect::TlsAgreeChosenHonoured { .. }
        | Expect::TlsAgreeCertificateValid { .. } => super::tlsagree::evaluate(e, o),
        Expect::SdpAtCore(x) => super::call::checks::evaluate(e, x, o, true),
        Expect::SdpAtUe(x) => super::call::checks::evaluate(e, x, o, false),
        Expect::Media(x) => super::mediaplane::evaluate(x, o),
    }
}

/// The UE's Security-Client (first sent) and the P-CSCF's Security-Server (first received).
fn negotiation(o: &Observations<'_>) -> Option<(Vec<Mechanism>, Vec<Mechanism>, usize)> {
    let client = o.seen.iter().filter(|s| s.sent).find_map(|s| {
        s.sip
            .as_ref()
            .map(|m| sec_list(m, "Security-Client"))
            .filter(|l| !l.is_empty())
    })?;
    let (i, server) = o
        .seen
        .iter()
        .enumerate()
        .filter(|(_, s)| !s.sent)
        .find_map(|(i, s)| {
            s.sip
                .as_ref()
                .map(|m| (i, sec_list(m, "Security-Server")))
                .filter(|(_, l)| !l.is_empty())
        })?;
    Some((client, server, i))
}

fn spis_distinct(e: &Expect, o: &Observations<'_>) -> CheckResult {
    let Some((client, server, i)) = negotiation(o) else {
        return result(
            e,
            Verdict::Inconclusive,
            "no Security-Client/Security-Server exchange".into(),
            vec![],
        );
    };
    let ev: Vec<usize> = (o.seen_to_trace)(i).into_iter().collect();
    let c = ipsec_offers(&client, Mode::Lenient)
        .into_iter()
        .find_map(|(_, r)| r.ok());
    let s = ipsec_offers(&server, Mode::Lenient)
        .into_iter()
        .find_map(|(_, r)| r.ok());
    let (Some((c, _)), Some((s, _))) = (c, s) else {
        return result(
            e,
            Verdict::Inconclusive,
            "no readable ipsec-3gpp entries".into(),
            ev,
        );
    };
    let ep = |o: &crate::mech::secagree::ipsec::IpsecOffer| crate::mech::esp::saset::Endpoint {
        addr: std::net::IpAddr::from([0, 0, 0, 0]),
        spi_c: o.spi_c,
        spi_s: o.spi_s,
        port_c: o.port_c,
        port_s: o.port_s,
    };
    match validate_pcscf_spis(&ep(&c), &ep(&s), &[]) {
        Ok(()) => result(
            e,
            Verdict::Pass,
            format!(
                "P-CSCF SPIs {} and {}: above 255, distinct, not the UE's",
                s.spi_c, s.spi_s
            ),
            ev,
        ),
        Err(err) => result(e, Verdict::Fail, format!("TS 33.203 §7.1: {err}"), ev),
    }
}

fn algorithm_from_offer(e: &Expect, o: &Observations<'_>, confidentiality: bool) -> CheckResult {
    let Some((client, server, i)) = negotiation(o) else {
        return result(
            e,
            Verdict::Inconclusive,
            "no Security-Client/Security-Server exchange".into(),
            vec![],
        );
    };
    let ev: Vec<usize> = (o.seen_to_trace)(i).into_iter().collect();
    let offered: Vec<_> = ipsec_offers(&client, Mode::Lenient)
        .into_iter()
        .filter_map(|(_, r)| r.ok().map(|(x, _)| (x.alg, x.ealg)))
        .collect();
    let chosen: Vec<_> = ipsec_offers(&server, Mode::Lenient)
        .into_iter()
        .filter_map(|(_, r)| r.ok().map(|(x, _)| (x.alg, x.ealg)))
        .collect();
    if chosen.is_empty() {
        return result(
            e,
            Verdict::Fail,
            "Security-Server has no readable ipsec-3gpp entry".into(),
            ev,
        );
    }
    for (a, x) in &chosen {
        if !offered.contains(&(*a, *x)) {
            return result(
                e,
                Verdict::Fail,
                format!("P-CSCF chose {a}/{x}, which the UE did not offer"),
                ev,
            );
        }
        if let Err(err) = crate::mech::algorithms::check_pair(*a, *x) {
            return result(e, Verdict::Fail, format!("P-CSCF chose {a}/{x}: {err}"), ev);
        }
        let ue_offered_encryption = offered
            .iter()
            .any(|(_, y)| *y != crate::mech::algorithms::EncAlg::Null);
        if confidentiality && ue_offered_encryption && *x == crate::mech::algorithms::EncAlg::Null {
            return result(
                e,
                Verdict::Fail,
                format!("P-CSCF chose {a}/null although the UE offered encryption and policy requires confidentiality (TS 33.203 M.6.2)"),
                ev,
            );
        }
    }
    result(
        e,
        Verdict::Pass,
        format!("chosen {:?} from the UE's offer {:?}", chosen, offered),
        ev,
    )
}

/// The alg/ealg pairs the Security-Server of a step's response named.
fn chosen_in(o: &Observations<'_>, id: &str) -> Option<(usize, Vec<(String, String)>)> {
    let st = step(o, id)?;
    let i = st.response?;
    let m = sip_at(o, i)?;
    let server = sec_list(m, "Security-Server");
    let pairs: Vec<(String, String)> = ipsec_offers(&server, Mode::Lenient)
        .into_iter()
        .filter_map(|(_, r)| r.ok().map(|(x, _)| (x.alg.to_string(), x.ealg.to_string())))
        .collect();
    (!pairs.is_empty()).then_some((i, pairs))
}

fn same_choice(e: &Expect, o: &Observations<'_>, steps: &[String]) -> CheckResult {
    let (Some(a), Some(b)) = (steps.first(), steps.get(1)) else {
        return result(
            e,
            Verdict::Error,
            "same_choice needs two steps".into(),
            vec![],
        );
    };
    match (chosen_in(o, a), chosen_in(o, b)) {
        (Some((i, x)), Some((j, y))) => {
            let ev = [i, j]
                .iter()
                .filter_map(|k| (o.seen_to_trace)(*k))
                .collect();
            if x == y {
                result(e, Verdict::Pass, format!("both challenges chose {x:?}"), ev)
            } else {
                result(
                    e,
                    Verdict::Fail,
                    format!("the choice followed the UE's order: '{a}' got {x:?}, '{b}' got {y:?}"),
                    ev,
                )
            }
        }
        _ => result(
            e,
            Verdict::Inconclusive,
            "a step got no challenge with a readable Security-Server".into(),
            vec![],
        ),
    }
}

fn nonces_fresh(e: &Expect, o: &Observations<'_>) -> CheckResult {
    let mut seen: Vec<(usize, String)> = Vec::new();
    for (i, s) in o.seen.iter().enumerate().filter(|(_, s)| !s.sent) {
        let Some(m) = s.sip.as_ref().filter(|m| m.status() == Some(401)) else {
            continue;
        };
        let nonce = m
            .header("WWW-Authenticate")
            .and_then(|w| crate::mech::digest::params::parse(w).ok())
            .and_then(|p| p.get("nonce").map(str::to_string));
        let Some(n) = nonce else { continue };
        if let Some((j, _)) = seen.iter().find(|(_, x)| *x == n) {
            return result(
                e,
                Verdict::Fail,
                "a nonce came back in a later challenge (RAND and AUTN reused)".into(),
                [*j, i]
                    .iter()
                    .filter_map(|k| (o.seen_to_trace)(*k))
                    .collect(),
            );
        }
        seen.push((i, n));
    }
    if seen.len() < 2 {
        return result(
            e,
            Verdict::Inconclusive,
            "fewer than two challenges".into(),
            vec![],
        );
    }
    result(
        e,
        Verdict::Pass,
        format!("{} challenges, every nonce new", seen.len()),
        vec![],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::Wire;

    fn seen(sent: bool, text: &str) -> Seen {
        Seen {
            at: std::time::Instant::now(),
            sent,
            wire: Wire::Udp {
                local: "127.0.0.1:5060".parse().unwrap(),
                peer: "127.0.0.2:5060".parse().unwrap(),
                payload: text.as_bytes().to_vec(),
            },
            sip: Some(SipMessage::parse(text.as_bytes()).unwrap()),
            delivered: None,
            dropped: None,
            esp: None,
        }
    }

    /// A P-CSCF that picks ealg=null from an offer with encryption fails the check only when
    /// its policy requires confidentiality (found against Kamailio: labs/kamailio/FINDINGS.md).
    #[test]
    fn confidentiality_is_demanded_only_from_a_sut_whose_policy_requires_it() {
        let offer = "ipsec-3gpp;prot=esp;mod=trans;spi-c=1000;spi-s=1001;port-c=5100;port-s=5101;alg=hmac-sha-1-96;ealg=aes-cbc, ipsec-3gpp;prot=esp;mod=trans;spi-c=1000;spi-s=1001;port-c=5100;port-s=5101;alg=hmac-sha-1-96;ealg=null";
        let chosen = "ipsec-3gpp;prot=esp;mod=trans;spi-c=2000;spi-s=2001;port-c=5062;port-s=5064;alg=hmac-sha-1-96;ealg=null";
        let log = [
            seen(
                true,
                &format!("REGISTER sip:x SIP/2.0\r\nSecurity-Client: {offer}\r\nContent-Length: 0\r\n\r\n"),
            ),
            seen(
                false,
                &format!("SIP/2.0 401 Unauthorized\r\nSecurity-Server: {chosen}\r\nContent-Length: 0\r\n\r\n"),
            ),
        ];
        let none = |_: usize| None;
        let judge = |required: bool| {
            let o = Observations {
                seen: &log,
                core: None,
                core_registered: None,
                steps: &[],
                seen_to_trace: &none,
                core_to_trace: &none,
                confidentiality_required: required,
            };
            evaluate(
                &Expect::AlgorithmFromOffer {
                    confidentiality: true,
                },
                &o,
            )
            .verdict
        };
        assert_eq!(judge(true), Verdict::Fail);
        assert_eq!(judge(false), Verdict::Pass);
    }
}
