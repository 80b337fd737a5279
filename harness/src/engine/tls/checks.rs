//! TLS endpoint checks over what the `tls_probe` / `tls_connect` steps observed. Clauses:
//! TS 33.203 Annex O (seed 004): "The P-CSCF must not request UE certificates";
//! "Certificates must be validated according to RFC 3280" (now RFC 5280 §6); RFC 9325 §4.1:
//! implementations MUST NOT negotiate cipher suites with NULL encryption; RFC 8996 §2–§3:
//! TLS 1.0 and 1.1 MUST NOT be negotiated.

use super::{describe, ConnectOutcome, Observed, TlsRecord};
use crate::engine::case::Expect;
use crate::engine::model::{CheckResult, Evidence, Verdict};
use crate::net::tls_probe::ProbeAnswer;

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

fn find<'a>(records: &'a [TlsRecord], step: &str) -> Option<&'a TlsRecord> {
    records.iter().find(|r| r.id == step)
}

/// Evaluates one TLS endpoint expectation; any other expectation is not applicable here.
pub fn evaluate(e: &Expect, records: &[TlsRecord]) -> CheckResult {
    let inc = |s: String| res(e, Verdict::Inconclusive, s);
    match e {
        Expect::TlsRefused { step } => {
            let Some(Observed::Probe(p)) = find(records, step).map(|r| &r.observed) else {
                return inc(format!("step '{step}' did not probe"));
            };
            match &p.answer {
                ProbeAnswer::ServerHello(a) => res(
                    e,
                    Verdict::Fail,
                    format!(
                        "the endpoint accepted the {} offer ({}): {} {}{}",
                        p.offered_version,
                        p.offered_suites.len(),
                        a.version,
                        a.cipher_suite_name,
                        if a.flags.null { " (NULL cipher)" } else { "" }
                    ),
                ),
                ProbeAnswer::NotTls { why, .. } => inc(format!("the answer is not TLS: {why}")),
                other => res(e, Verdict::Pass, format!("refused: {}", describe(other))),
            }
        }
        Expect::TlsNoCertificateRequest { step } => {
            let Some(Observed::Probe(p)) = find(records, step).map(|r| &r.observed) else {
                return inc(format!("step '{step}' did not probe"));
            };
            match &p.answer {
                ProbeAnswer::ServerHello(a) => match a.certificate_request {
                    Some(true) => res(
                        e,
                        Verdict::Fail,
                        format!(
                            "the endpoint sent a CertificateRequest ({})",
                            a.messages.join(", ")
                        ),
                    ),
                    Some(false) => res(
                        e,
                        Verdict::Pass,
                        format!("no CertificateRequest ({})", a.messages.join(", ")),
                    ),
                    None => inc(format!(
                        "the server's flight was not visible up to ServerHelloDone ({})",
                        a.version
                    )),
                },
                other => inc(format!("no handshake to look at: {}", describe(other))),
            }
        }
        Expect::TlsCertificateValid { step } => {
            let Some(Observed::Connect(c)) = find(records, step).map(|r| &r.observed) else {
                return inc(format!("step '{step}' did not connect"));
            };
            match c {
                ConnectOutcome::Connected { version, suite } => res(
                    e,
                    Verdict::Pass,
                    format!("the certificate validates (trust anchor and name); {version} {suite}"),
                ),
                ConnectOutcome::CertificateRefused(p) => res(
                    e,
                    Verdict::Fail,
                    format!("the certificate does not validate: {p:?}"),
                ),
                ConnectOutcome::Failed(w) => {
                    inc(format!("the handshake failed before validation: {w}"))
                }
            }
        }
        _ => res(e, Verdict::NotApplicable, "not a TLS endpoint check".into()),
    }
}
