//! Verdicts of a replay. The checks that a capture can judge run through the engine's own
//! [`crate::engine::checks::evaluate`] on [`Observations`] built from each registration (one
//! check, two drivers); the passive-only checks (Security-Verify/Security-Client equality as
//! judged by the P-CSCF's answer, anti-replay and ICV outcomes, SIP outside the SAs, ESP
//! without confidentiality) are evaluated here with the same verdict vocabulary.
//!
//! Aggregation over registrations: `fail` if any registration fails, else `pass` if any
//! passes, else `inconclusive` if any is inconclusive, else `not-applicable`.

use super::registration::Reg;
use super::report::CheckOut;
use super::sas::SaTable;
use crate::engine::case::Expect;
use crate::engine::checks::{evaluate, Observations};
use crate::engine::model::Verdict;
use crate::engine::steps::StepRecord;
use crate::mech::secagree::compare::compare_lists;
use std::collections::BTreeMap;
use std::time::Instant;

/// Evidence frames kept per check.
const MAX_EVIDENCE: usize = 50;

/// One check's result for one registration (or UE, or SPI).
#[derive(Debug, Clone)]
pub struct Outcome {
    pub id: &'static str,
    pub verdict: Verdict,
    pub summary: String,
    pub frames: Vec<u64>,
}

fn out(
    id: &'static str,
    verdict: Verdict,
    summary: impl Into<String>,
    frames: Vec<u64>,
) -> Outcome {
    Outcome {
        id,
        verdict,
        summary: summary.into(),
        frames,
    }
}

/// Policy for the checks.
#[derive(Debug, Clone, Copy, Default)]
pub struct Policy {
    /// Encryption is required (ealg=null is a failure; TS 33.203 leaves it to policy).
    pub require_confidentiality: bool,
}

/// The engine checks of a registration, through `evaluate`.
pub fn engine_checks(reg: &Reg, base: Instant, policy: Policy) -> Vec<Outcome> {
    let steps: Vec<StepRecord> = reg
        .steps
        .iter()
        .map(|s| StepRecord {
            id: s.id.to_string(),
            action: "register",
            started: base,
            seen: s.seen_start..s.seen_end,
            core: s.core_start..s.core_end,
            response: s.response,
            request_at_ue: None,
            problem: None,
            media: None,
            call: None,
        })
        .collect();
    let s2t = |i: usize| reg.seen_frames.get(i).map(|f| *f as usize);
    let c2t = |i: usize| reg.core_frames.get(i).map(|f| *f as usize);
    let obs = Observations {
        seen: &reg.seen,
        core: (!reg.core.is_empty()).then_some(&reg.core[..]),
        core_registered: None,
        steps: &steps,
        seen_to_trace: &s2t,
        core_to_trace: &c2t,
        confidentiality_required: policy.require_confidentiality,
    };
    let run = |id: &'static str, e: Expect| {
        let r = evaluate(&e, &obs);
        out(
            id,
            r.verdict,
            r.evidence.summary,
            r.evidence.events.iter().map(|e| *e as u64).collect(),
        )
    };
    let mut v = vec![
        run("no_ck_ik_at_ue", Expect::NoCkIkAtUe),
        run("core_headers_clean", Expect::CoreHeadersClean),
        run("spis_distinct", Expect::SpisDistinct),
        run(
            "algorithm_from_offer",
            Expect::AlgorithmFromOffer {
                confidentiality: true,
            },
        ),
        run("esp_sequence", Expect::EspSequence),
    ];
    v.push(if reg.opened_from_pcscf == 0 {
        out(
            "no_dummy_packets",
            Verdict::Inconclusive,
            "no ESP packet from the P-CSCF could be opened (no keys for this SA set?)",
            vec![],
        )
    } else {
        run("no_dummy_packets", Expect::NoDummyPackets)
    });
    let has = |id: &str| reg.steps.iter().any(|s| s.id == id && s.response.is_some());
    let (want_initial, want_protected) = expected_integrity(reg);
    if has("initial") {
        v.push(run(
            "integrity_protected_initial",
            Expect::IntegrityProtected {
                step: "initial".into(),
                value: want_initial.into(),
            },
        ));
    }
    if has("protected") {
        v.push(run(
            "integrity_protected",
            Expect::IntegrityProtected {
                step: "protected".into(),
                value: want_protected.into(),
            },
        ));
        // The keys of the set are known when some ESP from the P-CSCF was opened (on SA #2
        // or on another: the check itself says which SA the response used).
        let opened = reg.opened_from_pcscf > 0;
        v.push(
            if reg.final_status.is_some_and(|c| (200..300).contains(&c)) && opened {
                run(
                    "protected_response_on_sa2",
                    Expect::Response {
                        step: "protected".into(),
                        status: "2xx".into(),
                        protected: Some(true),
                        sa: Some(2),
                        transport: None,
                    },
                )
            } else {
                out(
                    "protected_response_on_sa2",
                    Verdict::Inconclusive,
                    "no 2xx to the protected REGISTER, or SA #2 could not be opened",
                    vec![],
                )
            },
        );
    }
    v
}

/// The `integrity-protected` values the P-CSCF must give the core for the initial and the
/// protected REGISTER, by the mechanism its Security-Server chose (TS 24.229 §5.2.2, TS
/// 33.203 Annex O): ipsec-3gpp: `no`, then `yes`. tls: `tls-pending` over a TLS connection
/// not yet bound by a successful registration, `tls-yes` once bound, and `no` for an initial
/// REGISTER that came before TLS (seed 004's 5060 flow; its Via says TCP, not TLS). A
/// passive reader sees no binding: a registration that follows an earlier one of the same
/// UE (a re-registration) counts as bound.
fn expected_integrity(reg: &Reg) -> (&'static str, &'static str) {
    let tls = !reg.server.is_empty()
        && reg
            .server
            .iter()
            .all(|m| m.name.eq_ignore_ascii_case("tls"));
    if !tls {
        return ("no", "yes");
    }
    let initial_over_tls = reg
        .seen
        .first()
        .and_then(|s| s.sip.as_ref())
        .and_then(|m| m.header("Via"))
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_uppercase()
                .starts_with("SIP/2.0/TLS")
        });
    let over_tls = if initial_over_tls && reg.previous.is_some() {
        "tls-yes"
    } else {
        "tls-pending"
    };
    (if initial_over_tls { over_tls } else { "no" }, over_tls)
}

/// The passive-only checks of a registration.
pub fn passive_checks(reg: &Reg, sas: &SaTable, policy: Policy) -> Vec<Outcome> {
    let mut v = Vec::new();
    let accepted = reg.final_status.is_some_and(|c| (200..300).contains(&c));
    let pframe: Vec<u64> = reg.frames.protected_register.into_iter().collect();
    let mut frames = pframe.clone();
    frames.extend(reg.frames.final_response);
    // TS 33.203 §7.2 / RFC 3329 §2.3.1: Security-Verify must equal the Security-Server sent.
    v.push(if reg.frames.protected_register.is_none() || reg.server.is_empty() {
        out(
            "security_verify_matches_server",
            Verdict::Inconclusive,
            "no protected REGISTER after a Security-Server",
            vec![],
        )
    } else {
        match compare_lists(&reg.server, &reg.verify) {
            Ok(()) => out(
                "security_verify_matches_server",
                Verdict::Pass,
                "Security-Verify equals the Security-Server",
                pframe.clone(),
            ),
            Err(d) if accepted => out(
                "security_verify_matches_server",
                Verdict::Fail,
                format!("Security-Verify differs from the Security-Server ({d}) and the P-CSCF accepted the REGISTER (TS 33.203 §7.2)"),
                frames.clone(),
            ),
            Err(d) => out(
                "security_verify_matches_server",
                Verdict::Pass,
                format!("Security-Verify differs ({d}); the P-CSCF did not accept it"),
                frames.clone(),
            ),
        }
    });
    // TS 33.203 §7.2: the Security-Client of the protected REGISTER equals the first one.
    v.push(if reg.frames.protected_register.is_none() || reg.client_again.is_empty() {
        out(
            "security_client_unchanged",
            Verdict::Inconclusive,
            "no protected REGISTER carrying Security-Client",
            vec![],
        )
    } else {
        match compare_lists(&reg.client, &reg.client_again) {
            Ok(()) => out(
                "security_client_unchanged",
                Verdict::Pass,
                "Security-Client of the protected REGISTER equals the first",
                pframe.clone(),
            ),
            Err(d) if accepted => out(
                "security_client_unchanged",
                Verdict::Fail,
                format!("Security-Client changed ({d}) and the P-CSCF accepted the REGISTER (TS 33.203 §7.2)"),
                frames.clone(),
            ),
            Err(d) => out(
                "security_client_unchanged",
                Verdict::Pass,
                format!("Security-Client changed ({d}); the P-CSCF did not accept it"),
                frames.clone(),
            ),
        }
    });
    let mine: Vec<&super::sas::SaEntry> = reg.sa_ids.iter().filter_map(|i| sas.get(*i)).collect();
    let opened: u64 = mine.iter().map(|s| s.report.accepted).sum();
    let checked = mine.iter().all(|s| s.report.icv_checked);
    let (rep, rep_f): (u64, Vec<u64>) = (
        mine.iter().map(|s| s.report.replayed).sum(),
        mine.iter()
            .flat_map(|s| s.replayed_frames.iter().copied())
            .collect(),
    );
    let (bad, bad_f): (u64, Vec<u64>) = (
        mine.iter().map(|s| s.report.icv_bad).sum(),
        mine.iter()
            .flat_map(|s| s.icv_bad_frames.iter().copied())
            .collect(),
    );
    if mine.is_empty() || opened + rep + bad == 0 {
        for id in ["esp_anti_replay", "esp_icv"] {
            v.push(out(
                id,
                Verdict::Inconclusive,
                "no ESP of this SA set was verified (no keys, or no traffic)",
                vec![],
            ));
        }
    } else {
        v.push(if rep == 0 {
            out("esp_anti_replay", Verdict::Pass, format!("{opened} ESP packet(s), none replayed (RFC 4303 §3.4.3)"), vec![])
        } else {
            out("esp_anti_replay", Verdict::Fail, format!("{rep} ESP packet(s) repeat a sequence number inside or left of the window (RFC 4303 §3.4.3)"), rep_f)
        });
        v.push(if bad == 0 && checked {
            out(
                "esp_icv",
                Verdict::Pass,
                format!("{opened} ESP packet(s), every ICV verified"),
                vec![],
            )
        } else if bad == 0 {
            out(
                "esp_icv",
                Verdict::Inconclusive,
                "ICVs not checked (integrity key unknown)",
                vec![],
            )
        } else {
            out(
                "esp_icv",
                Verdict::Fail,
                format!(
                    "{bad} ESP packet(s) fail ICV verification or are malformed (RFC 4303 §3.4.4)"
                ),
                bad_f,
            )
        });
    }
    // TS 33.203 §7.3 / TS 24.229 §5.2.2: once the SAs exist, SIP between UE and P-CSCF travels in them.
    v.push(if reg.esp_on_wire == 0 {
        out(
            "sip_inside_sas",
            Verdict::Inconclusive,
            "no ESP of this SA set on the wire: the capture point is inside an IPsec end point (or ESP was never used)",
            vec![],
        )
    } else if reg.clear_after.is_empty() {
        out("sip_inside_sas", Verdict::Pass, "no SIP between UE and P-CSCF in clear after the SAs were in use", vec![])
    } else {
        out(
            "sip_inside_sas",
            Verdict::Fail,
            format!(
                "{} SIP message(s) in clear between UE and P-CSCF after the SAs were in use, first: {}",
                reg.clear_after.len(),
                reg.clear_after.first().map(|x| x.1.as_str()).unwrap_or("")
            ),
            reg.clear_after.iter().map(|x| x.0).collect(),
        )
    });
    // ealg=null: allowed by TS 33.203 unless the operator's policy requires confidentiality.
    if let Some(n) = &reg.negotiated {
        let null = n.ealg == "null";
        let f: Vec<u64> = reg.frames.challenge.into_iter().collect();
        v.push(match (null, policy.require_confidentiality) {
            (false, _) => out("esp_confidentiality", Verdict::Pass, format!("ealg={}", n.ealg), f),
            (true, true) => out("esp_confidentiality", Verdict::Fail, "ealg=null although policy requires confidentiality (TS 33.203 M.6.2)", f),
            (true, false) => out("esp_confidentiality", Verdict::Pass, "ealg=null (allowed: confidentiality not required; --require-confidentiality to judge it)", f),
        });
    }
    v.push(if reg.sdes_exposed.is_empty() {
        out("sdes_keys_protected", Verdict::Pass, "no SDES key in SIP without encryption", vec![])
    } else {
        out(
            "sdes_keys_protected",
            Verdict::Fail,
            format!("{} SIP message(s) carry SDES keys (a=crypto) in clear or over ESP-NULL (TS 33.328 §7.1)", reg.sdes_exposed.len()),
            reg.sdes_exposed.clone(),
        )
    });
    v
}

/// Per check: the representative outcome, counts by verdict, failing frames.
type Merged = (Option<Outcome>, BTreeMap<String, u64>, Vec<u64>);

/// Merges outcomes per check id.
#[derive(Default)]
pub struct Aggregate {
    by_id: BTreeMap<&'static str, Merged>,
}

fn rank(v: Verdict) -> u8 {
    match v {
        Verdict::Fail => 4,
        Verdict::Error => 3,
        Verdict::Pass => 2,
        Verdict::Inconclusive => 1,
        Verdict::NotApplicable => 0,
    }
}

impl Aggregate {
    pub fn add(&mut self, o: Outcome) {
        let e = self.by_id.entry(o.id).or_default();
        *e.1.entry(o.verdict.as_str().to_string()).or_default() += 1;
        if o.verdict == Verdict::Fail {
            for f in &o.frames {
                if e.2.len() < MAX_EVIDENCE && !e.2.contains(f) {
                    e.2.push(*f);
                }
            }
        }
        let better =
            e.0.as_ref()
                .is_none_or(|cur| rank(o.verdict) > rank(cur.verdict));
        if better {
            e.0 = Some(o);
        }
    }

    pub fn into_checks(self) -> Vec<CheckOut> {
        self.by_id
            .into_iter()
            .filter_map(|(id, (o, counts, fail_frames))| {
                let o = o?;
                let evidence = if o.verdict == Verdict::Fail {
                    fail_frames
                } else {
                    o.frames.into_iter().take(MAX_EVIDENCE).collect()
                };
                Some(CheckOut {
                    id: id.to_string(),
                    verdict: o.verdict,
                    summary: o.summary,
                    evidence,
                    counts,
                })
            })
            .collect()
    }
}
