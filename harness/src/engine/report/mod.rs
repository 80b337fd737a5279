//! Reports: views of a [`RunReport`] (design.md §5).
//!
//! - [`junit`]: `junit.xml` for CI gates;
//! - [`json`]: `report.json`, the model as it is (schema in docs/report-schema.md);
//! - [`html`]: `report.html` for people (one self-contained file, ladder diagrams);
//! - [`redact()`]: removes CK/IK, ESP keys and other secrets from SIP and free text.
//!
//! The engine redacts before it builds the model (unless `--reveal-keys`). As a second line
//! of defence, [`write_all`] runs [`redact()`] again over every free-text field of a report
//! whose `keys_revealed` is false (redaction is idempotent, so a clean report is unchanged);
//! the reports never add anything that is not in the model.

pub mod html;
pub mod json;
pub mod junit;
mod ladder;
mod redact;

pub use redact::{redact, REDACTED};

use crate::engine::model::RunReport;
use std::path::{Path, PathBuf};

/// File names inside the report directory.
pub const JUNIT_FILE: &str = "junit.xml";
pub const JSON_FILE: &str = "report.json";
pub const HTML_FILE: &str = "report.html";

/// Where [`write_all`] put the three reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportPaths {
    pub junit: PathBuf,
    pub json: PathBuf,
    pub html: PathBuf,
}

/// Writes `junit.xml`, `report.json` and `report.html` into `dir` (created with its parents
/// when missing; existing files are replaced).
pub fn write_all(report: &RunReport, dir: &Path) -> Result<ReportPaths, std::io::Error> {
    let cleaned;
    let report = if report.keys_revealed {
        report
    } else {
        cleaned = redacted(report);
        &cleaned
    };
    std::fs::create_dir_all(dir)?;
    let paths = ReportPaths {
        junit: dir.join(JUNIT_FILE),
        json: dir.join(JSON_FILE),
        html: dir.join(HTML_FILE),
    };
    std::fs::write(&paths.junit, junit::render(report)?)?;
    std::fs::write(&paths.json, json::render(report)?)?;
    std::fs::write(&paths.html, html::render(report))?;
    Ok(paths)
}

/// A copy with [`redact()`] applied to every free-text field (not to ids, names or paths).
fn redacted(r: &RunReport) -> RunReport {
    let mut r = r.clone();
    for c in &mut r.cases {
        c.reason = c.reason.as_deref().map(redact);
        for k in &mut c.checks {
            k.evidence.summary = redact(&k.evidence.summary);
        }
        for e in &mut c.trace {
            e.summary = redact(&e.summary);
            e.sip = e.sip.as_deref().map(redact);
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::model::*;

    fn report(keys_revealed: bool) -> RunReport {
        RunReport {
            schema: SCHEMA_VERSION.into(),
            tool: "imsec".into(),
            version: "0.1.0".into(),
            started: "2025-01-01T00:00:00Z".into(),
            duration_ms: 10,
            sut: SutSummary {
                name: "builtin".into(),
                topology: "pcscf".into(),
                profile: serde_json::json!({}),
            },
            keys_revealed,
            cases: vec![CaseResult {
                id: "X-01".into(),
                title: "t".into(),
                area: "a".into(),
                file: "testcases/a/x.yaml".into(),
                verdict: Verdict::Fail,
                requirements: vec![],
                tags: vec![],
                duration_ms: 1,
                checks: vec![CheckResult {
                    check: "no-ck".into(),
                    verdict: Verdict::Fail,
                    evidence: Evidence {
                        summary: "401 to UE kept ck=\"00112233445566778899aabbccddeeff\"".into(),
                        events: vec![0],
                    },
                    requirements: vec![],
                }],
                reason: None,
                trace: vec![TraceEvent {
                    t_ms: 0,
                    from: "P-CSCF".into(),
                    to: "UE".into(),
                    summary: "SIP/2.0 401 Unauthorized".into(),
                    sip: Some(
                        "WWW-Authenticate: Digest ik=\"ffeeddccbbaa99887766554433221100\"".into(),
                    ),
                    esp: None,
                    step: None,
                    frame: None,
                }],
                files: CaseFiles::default(),
            }],
        }
    }

    fn dir(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("imsec-report-unit-{}-{name}", std::process::id()))
    }

    #[test]
    fn write_all_redacts_unless_revealed() {
        for revealed in [false, true] {
            let d = dir(if revealed { "rev" } else { "red" });
            let p = write_all(&report(revealed), &d.join("sub")).unwrap();
            for f in [&p.junit, &p.json, &p.html] {
                let t = std::fs::read_to_string(f).unwrap();
                let leaked = t.contains("00112233445566778899aabbccddeeff")
                    || t.contains("ffeeddccbbaa99887766554433221100");
                assert_eq!(leaked, revealed, "{}", f.display());
            }
            std::fs::remove_dir_all(&d).unwrap();
        }
    }
}
