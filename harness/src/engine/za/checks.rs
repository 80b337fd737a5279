//! Za checks over what the IKEv2 steps observed. Each names the clause it judges:
//! seed 000 clause C.2 (TS 33.210/33.203 excerpt): ESP between security domains always with
//! encryption and integrity; RFC 7296 §2.7/§3.10.1: a responder that accepts none of the
//! proposals answers NO_PROPOSAL_CHOSEN.

use super::{Observed, ZaRecord};
use crate::engine::case::Expect;
use crate::engine::model::{CheckResult, Evidence, Verdict};
use crate::mech::ikev2::consts::{notify, notify_name};
use crate::mech::ikev2::Proposal;

fn res(e: &Expect, verdict: Verdict, summary: String) -> CheckResult {
    CheckResult {
        check: e.name().to_string(),
        verdict,
        evidence: Evidence {
            summary,
            events: Vec::new(),
        },
        requirements: Vec::new(),
    }
}

fn names(v: &[u16]) -> String {
    v.iter()
        .map(|n| notify_name(*n).map(str::to_string).unwrap_or(n.to_string()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn find<'a>(records: &'a [ZaRecord], step: &str) -> Option<&'a ZaRecord> {
    records.iter().find(|r| r.id == step)
}

/// Evaluates one Za expectation.
pub fn evaluate(e: &Expect, records: &[ZaRecord]) -> CheckResult {
    let inc = |s: String| res(e, Verdict::Inconclusive, s);
    match e {
        Expect::IkeChildRefused { step } => {
            let Some(Observed::Initiated(o)) = find(records, step).map(|r| &r.observed) else {
                return inc(format!("step '{step}' did not run an IKE exchange"));
            };
            if let Some(p) = &o.child_selected {
                return res(
                    e,
                    Verdict::Fail,
                    format!(
                        "the SEG set up the child SA {} (offered: {})",
                        p.describe(),
                        offered(&o.child_offered)
                    ),
                );
            }
            if !o.ike_sa_established {
                return inc(format!(
                    "no IKE SA was set up, the child SA question was never put ({})",
                    o.log.last().cloned().unwrap_or_else(|| "no answer".into())
                ));
            }
            if o.auth_errors.contains(&notify::NO_PROPOSAL_CHOSEN) {
                res(
                    e,
                    Verdict::Pass,
                    format!(
                        "the SEG answered NO_PROPOSAL_CHOSEN to {}",
                        offered(&o.child_offered)
                    ),
                )
            } else {
                res(
                    e,
                    Verdict::Fail,
                    format!(
                        "the SEG refused the child SA without NO_PROPOSAL_CHOSEN (notifies: {})",
                        if o.auth_errors.is_empty() {
                            "none".into()
                        } else {
                            names(&o.auth_errors)
                        }
                    ),
                )
            }
        }
        Expect::IkeChildNotNull { step } => {
            let Some(Observed::Initiated(o)) = find(records, step).map(|r| &r.observed) else {
                return inc(format!("step '{step}' did not run an IKE exchange"));
            };
            match &o.child_selected {
                Some(p) if p.without_confidentiality() => res(
                    e,
                    Verdict::Fail,
                    format!(
                        "the SEG selected {} although encryption was offered",
                        p.describe()
                    ),
                ),
                Some(p) => res(
                    e,
                    Verdict::Pass,
                    format!("the SEG selected {}", p.describe()),
                ),
                None => inc(format!(
                    "the SEG set up no child SA ({})",
                    if o.auth_errors.is_empty() {
                        "no error notify".into()
                    } else {
                        names(&o.auth_errors)
                    }
                )),
            }
        }
        Expect::SegOffersNoNull { step } => {
            let Some(Observed::Responded(l)) = find(records, step).map(|r| &r.observed) else {
                return inc(format!("step '{step}' did not answer an IKE exchange"));
            };
            if l.child_offered.is_empty() {
                return inc("the SEG initiated but never proposed a child SA".into());
            }
            let bad: Vec<String> = l
                .child_offered
                .iter()
                .flatten()
                .filter(|p| p.without_confidentiality())
                .map(|p| format!("#{} {}", p.num, p.describe()))
                .collect();
            if bad.is_empty() {
                res(
                    e,
                    Verdict::Pass,
                    format!(
                        "every child proposal has encryption: {}",
                        offered(l.child_offered.concat().as_slice())
                    ),
                )
            } else {
                res(
                    e,
                    Verdict::Fail,
                    format!(
                        "the SEG offered child SAs without encryption: {}",
                        bad.join("; ")
                    ),
                )
            }
        }
        Expect::IkeSaNotNull => {
            let mut seen = 0;
            let mut bad = Vec::new();
            for r in records {
                match &r.observed {
                    Observed::Initiated(o) => {
                        if let Some(p) = &o.ike_selected {
                            seen += 1;
                            if p.without_confidentiality() {
                                bad.push(format!(
                                    "step '{}': the SEG selected {}",
                                    r.id,
                                    p.describe()
                                ));
                            }
                        }
                    }
                    Observed::Responded(l) => {
                        for p in l.ike_offered.iter().flatten() {
                            seen += 1;
                            if p.without_confidentiality() {
                                bad.push(format!(
                                    "step '{}': the SEG offered #{} {}",
                                    r.id,
                                    p.num,
                                    p.describe()
                                ));
                            }
                        }
                    }
                    Observed::Nothing => {}
                }
            }
            if !bad.is_empty() {
                res(e, Verdict::Fail, bad.join("; "))
            } else if seen == 0 {
                inc("no IKE SA proposal was seen".into())
            } else {
                res(
                    e,
                    Verdict::Pass,
                    format!("{seen} IKE SA proposal(s) seen, all with encryption"),
                )
            }
        }
        other => res(
            other,
            Verdict::NotApplicable,
            "a P-CSCF check: not applicable to a security gateway".into(),
        ),
    }
}

fn offered(v: &[Proposal]) -> String {
    v.iter()
        .map(Proposal::describe)
        .collect::<Vec<_>>()
        .join(" | ")
}
