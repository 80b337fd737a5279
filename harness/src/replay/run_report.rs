//! `imsec replay --report DIR`: the replay as the engine's run model
//! ([`crate::engine::model::RunReport`]), so the engine's reports render it
//! (`report.html` with ladder diagrams, `junit.xml`, `report.json`; keys redacted by
//! [`crate::engine::report::write_all`] unless `--reveal-keys`).
//!
//! Mapping:
//! - one case `REPLAY-CAPTURE` holds every check aggregated over the capture (the `checks[]`
//!   of replay.json), each with the requirements it judges;
//! - one case `REPLAY-REG-<id>` per reconstructed registration (the first
//!   [`MAX_TRACED`]): its own check results, and as ladder rows the SIP messages of the
//!   registration, UE ↔ P-CSCF (the UE's vantage) and P-CSCF ↔ S-CSCF (the core leg), with
//!   their frame numbers; evidence frames of a check point at their rows.

use super::registration::Reg;
use super::report::Report;
use super::verdicts::Outcome;
use crate::engine::model::{
    CaseFiles, CaseResult, CheckResult, EspMeta, Evidence, Requirement, RunReport, SutSummary,
    TraceEvent, Verdict, SCHEMA_VERSION,
};
use std::collections::BTreeSet;

/// Registrations whose messages are kept for the ladder diagrams (memory stays bounded).
pub const MAX_TRACED: usize = 100;

/// What each replay check judges: (check id, spec, clause, the rule in our words).
const REQUIREMENTS: &[(&str, &str, &str, &str)] = &[
    ("no_ck_ik_at_ue", "TS 33.203", "7.2", "the P-CSCF removes CK and IK from the 401 before it goes to the UE"),
    ("core_headers_clean", "TS 24.229", "5.2.2", "the P-CSCF removes the sec-agree headers before forwarding to the core"),
    ("spis_distinct", "TS 33.203", "7.1", "the SPIs of the SA set are distinct and unique at each end"),
    ("algorithm_from_offer", "TS 33.203", "7.2", "the P-CSCF chooses integrity and encryption algorithms the UE offered (Annex H)"),
    ("esp_sequence", "RFC 4303", "3.3.3", "ESP sequence numbers increase on each SA"),
    ("no_dummy_packets", "TS 33.203", "M.6.2", "no dummy packets (next header 59) on the IMS SAs"),
    ("integrity_protected_initial", "TS 24.229", "7.2A.2", "the initial REGISTER reaches the core with integrity-protected=no"),
    ("integrity_protected", "TS 24.229", "7.2A.2", "the protected REGISTER reaches the core with integrity-protected=yes"),
    ("protected_response_on_sa2", "TS 33.203", "7.1", "the P-CSCF answers the protected REGISTER over the SA the UE's request arrived on"),
    ("nonces_fresh", "TS 33.102", "6.3", "each challenge to a UE carries a fresh RAND"),
    ("security_verify_matches_server", "TS 33.203", "7.2", "a REGISTER whose Security-Verify differs from the Security-Server is not accepted (RFC 3329 §2.3.1)"),
    ("security_client_unchanged", "TS 33.203", "7.2", "a protected REGISTER whose Security-Client changed is not accepted"),
    ("esp_anti_replay", "RFC 4303", "3.4.3", "replayed ESP packets are dropped (anti-replay window)"),
    ("esp_icv", "RFC 4303", "3.4.4", "ESP packets with a bad ICV are dropped"),
    ("sip_inside_sas", "TS 33.203", "7.3", "once the SA set is in use, SIP between UE and P-CSCF travels inside it"),
    ("esp_confidentiality", "TS 33.203", "M.6.2", "ESP encryption when the policy requires confidentiality (RFC 5879 read without keys)"),
    ("sdes_keys_protected", "TS 33.328", "7.1", "SDES keys in SDP travel only over encrypted signalling"),
    ("ike_no_sa_without_encryption", "TS 33.210", "5.6", "IKEv2 sets up no SA without encryption (RFC 7296 §3.3)"),
    ("tls_no_null_offered", "TS 33.203", "Annex O", "no null, export or anonymous TLS cipher suite is offered"),
    ("tls_no_null_chosen", "TS 33.203", "Annex O", "no null, export or anonymous TLS cipher suite is chosen"),
    ("tls_no_client_certificate_request", "TS 33.203", "Annex O", "the P-CSCF does not ask the UE for a TLS client certificate (IMS AKA authenticates it)"),
    ("srtp_authentic", "RFC 3711", "3.3", "SRTP/SRTCP packets authenticate with the SDES key and are not replayed (TS 33.328 §7.1)"),
    ("za_esp_encrypted", "TS 33.210", "5.6", "ESP between security domains is encrypted"),
    ("za_no_sip_in_clear", "TS 33.210", "5.6", "no SIP in clear between security domains"),
];

fn requirements_of(id: &str) -> Vec<Requirement> {
    REQUIREMENTS
        .iter()
        .filter(|r| r.0 == id)
        .map(|r| Requirement {
            spec: r.1.to_string(),
            clause: r.2.to_string(),
            text: Some(r.3.to_string()),
        })
        .collect()
}

fn refs(id: &str) -> Vec<String> {
    requirements_of(id)
        .iter()
        .map(Requirement::reference)
        .collect()
}

/// The replay's aggregation: fail if any fails, else pass if any passes, else inconclusive,
/// else not-applicable (docs/replay-schema.md).
fn aggregate(vs: impl Iterator<Item = Verdict>) -> Verdict {
    let all: Vec<Verdict> = vs.collect();
    for v in [
        Verdict::Error,
        Verdict::Fail,
        Verdict::Pass,
        Verdict::Inconclusive,
    ] {
        if all.contains(&v) {
            return v;
        }
    }
    Verdict::NotApplicable
}

fn union_requirements<'a>(ids: impl Iterator<Item = &'a str>) -> Vec<Requirement> {
    let mut out: Vec<Requirement> = Vec::new();
    for id in ids {
        for r in requirements_of(id) {
            if !out.contains(&r) {
                out.push(r);
            }
        }
    }
    out
}

/// The ladder rows and check results of one registration (kept in its report entry).
#[derive(Debug, Clone, Default)]
pub struct RegTrace {
    pub trace: Vec<TraceEvent>,
    pub checks: Vec<CheckResult>,
}

fn first_line(m: &crate::mech::sip::SipMessage) -> String {
    let b = m.to_bytes();
    let end = b
        .iter()
        .position(|c| *c == b'\r' || *c == b'\n')
        .unwrap_or(b.len());
    String::from_utf8_lossy(b.get(..end).unwrap_or(&[])).into_owned()
}

/// Builds the rows of a registration from what replay kept of it: the UE's view (sent: UE →
/// P-CSCF, received: P-CSCF → UE) and the core leg, in frame order.
pub fn reg_trace(reg: &Reg, base: std::time::Instant, outcomes: &[Outcome]) -> RegTrace {
    let mut rows: Vec<(u64, u8, TraceEvent)> = Vec::new();
    let ms = |at: std::time::Instant| -> u64 {
        u64::try_from(at.saturating_duration_since(base).as_millis()).unwrap_or(u64::MAX)
    };
    for (i, s) in reg.seen.iter().enumerate() {
        let frame = reg.seen_frames.get(i).copied();
        let (from, to) = if s.sent {
            ("UE", "P-CSCF")
        } else {
            ("P-CSCF", "UE")
        };
        let esp = match (&s.delivered, s.esp) {
            (Some(d), _) => Some(EspMeta {
                spi: d.spi,
                seq: d.seq,
                sa_index: Some(d.sa_index),
            }),
            (None, Some((spi, seq))) => Some(EspMeta {
                spi,
                seq,
                sa_index: None,
            }),
            _ => None,
        };
        let (summary, sip) = match &s.sip {
            Some(m) => (
                first_line(m),
                Some(String::from_utf8_lossy(&m.to_bytes()).into_owned()),
            ),
            None => ("ESP".to_string(), None),
        };
        rows.push((
            frame.unwrap_or(0),
            0,
            TraceEvent {
                t_ms: ms(s.at),
                from: from.into(),
                to: to.into(),
                summary,
                sip,
                esp,
                step: None,
                frame,
            },
        ));
    }
    for (i, x) in reg.core.iter().enumerate() {
        let frame = reg.core_frames.get(i).copied();
        let f = frame.unwrap_or(0);
        rows.push((
            f,
            1,
            TraceEvent {
                t_ms: ms(x.at),
                from: "P-CSCF".into(),
                to: "S-CSCF".into(),
                summary: first_line(&x.request),
                sip: Some(String::from_utf8_lossy(&x.request.to_bytes()).into_owned()),
                esp: None,
                step: None,
                frame,
            },
        ));
        if x.response.status().is_some_and(|c| c > 0) {
            let rf = reg.core_resp_frames.get(i).copied().flatten();
            rows.push((
                rf.unwrap_or(f),
                2,
                TraceEvent {
                    t_ms: ms(x.at),
                    from: "S-CSCF".into(),
                    to: "P-CSCF".into(),
                    summary: first_line(&x.response),
                    sip: Some(String::from_utf8_lossy(&x.response.to_bytes()).into_owned()),
                    esp: None,
                    step: None,
                    frame: rf,
                },
            ));
        }
    }
    rows.sort_by_key(|r| (r.0, r.1));
    let t0 = rows.iter().map(|r| r.2.t_ms).min().unwrap_or(0);
    let trace: Vec<TraceEvent> = rows
        .into_iter()
        .map(|(_, _, mut e)| {
            e.t_ms = e.t_ms.saturating_sub(t0);
            e
        })
        .collect();
    let checks = outcomes
        .iter()
        .map(|o| CheckResult {
            check: o.id.to_string(),
            verdict: o.verdict,
            evidence: Evidence {
                summary: o.summary.clone(),
                events: trace
                    .iter()
                    .enumerate()
                    .filter(|(_, e)| e.frame.is_some_and(|f| o.frames.contains(&f)))
                    .map(|(i, _)| i)
                    .collect(),
            },
            requirements: refs(o.id),
        })
        .collect();
    RegTrace { trace, checks }
}

/// The run model of a replay report; `started` is the RFC 3339 time of the run.
pub fn run_report(r: &Report, keys_revealed: bool, started: String) -> RunReport {
    let mut cases = Vec::new();
    let checks: Vec<CheckResult> = r
        .checks
        .iter()
        .map(|c| CheckResult {
            check: c.id.clone(),
            verdict: c.verdict,
            evidence: Evidence {
                summary: if c.evidence.is_empty() {
                    c.summary.clone()
                } else {
                    format!("{} [frames {:?}]", c.summary, c.evidence)
                },
                events: vec![],
            },
            requirements: refs(&c.id),
        })
        .collect();
    cases.push(CaseResult {
        id: "REPLAY-CAPTURE".into(),
        title: "every check over the capture (aggregated over registrations, UEs, flows)".into(),
        area: "replay".into(),
        file: r
            .captures
            .iter()
            .map(|c| c.path.clone())
            .collect::<Vec<_>>()
            .join(", "),
        verdict: aggregate(r.checks.iter().map(|c| c.verdict)),
        requirements: union_requirements(r.checks.iter().map(|c| c.id.as_str())),
        tags: vec!["replay".into()],
        duration_ms: 0,
        checks,
        reason: (r.registrations_not_listed > 0).then(|| {
            format!(
                "{} registration(s) judged but not listed",
                r.registrations_not_listed
            )
        }),
        trace: vec![],
        files: CaseFiles::default(),
    });
    for g in &r.registrations {
        let Some(t) = &g.trace else {
            continue;
        };
        let ids: BTreeSet<&str> = t.checks.iter().map(|c| c.check.as_str()).collect();
        cases.push(CaseResult {
            id: format!("REPLAY-REG-{}", g.id),
            title: format!(
                "registration #{} ({:?}) UE {} → P-CSCF {}{}, frame {}",
                g.id,
                g.kind,
                g.ue,
                g.pcscf,
                g.impi
                    .as_ref()
                    .map_or(String::new(), |i| format!(", IMPI {i}")),
                g.frames.register
            ),
            area: "replay/registrations".into(),
            file: String::new(),
            verdict: aggregate(t.checks.iter().map(|c| c.verdict)),
            requirements: union_requirements(ids.into_iter()),
            tags: vec!["replay".into()],
            duration_ms: 0,
            checks: t.checks.clone(),
            reason: None,
            trace: t.trace.clone(),
            files: CaseFiles::default(),
        });
    }
    RunReport {
        schema: SCHEMA_VERSION.into(),
        tool: "imsec replay".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        started,
        duration_ms: 0,
        sut: SutSummary {
            name: "capture".into(),
            topology: "replay".into(),
            profile: serde_json::json!({
                "captures": r.captures.iter().map(|c| &c.path).collect::<Vec<_>>(),
            }),
        },
        keys_revealed,
        cases,
    }
}
