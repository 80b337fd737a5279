//! `junit.xml` for CI (written with the `quick-junit` crate).
//!
//! Mapping (design.md §5):
//! - one `<testsuite>` per area (the `testcases/<area>/` folder), in name order; cases keep
//!   the run's order inside their suite;
//! - one `<testcase>` per case: `name` = case id, `classname` = area, `time` in seconds;
//!   properties `requirement` = `TS 33.203 §7.2` (one per requirement), `title`, `file`;
//! - `fail` → `<failure>` (message = the reason, text = evidence and the check list);
//!   `error` → `<error>` (a harness or environment problem, not a SUT failure);
//!   `not-applicable` and `inconclusive` → `<skipped>`, the message starting with the verdict
//!   word (`not-applicable: …`, `inconclusive: …`) since JUnit has no such states;
//! - every case's check list also goes to its `<system-out>`.

use crate::engine::model::{CaseResult, CheckResult, RunReport, TraceEvent, Verdict};
use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

/// The text of junit.xml.
pub fn render(report: &RunReport) -> Result<String, std::io::Error> {
    let mut r = Report::new(format!("{} {}", report.tool, report.sut.name));
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(&report.started) {
        r.set_timestamp(t);
    }
    r.set_time(Duration::from_millis(report.duration_ms));

    let mut areas: BTreeMap<&str, Vec<&CaseResult>> = BTreeMap::new();
    for c in &report.cases {
        areas.entry(c.area.as_str()).or_default().push(c);
    }
    for (area, cases) in areas {
        let mut suite = TestSuite::new(area);
        suite.add_property(("sut", report.sut.name.as_str()));
        suite.add_property(("topology", report.sut.topology.as_str()));
        suite.add_property(("schema", report.schema.as_str()));
        let ms: u64 = cases.iter().map(|c| c.duration_ms).sum();
        suite.set_time(Duration::from_millis(ms));
        suite.add_test_cases(cases.into_iter().map(test_case));
        r.add_test_suite(suite);
    }
    r.to_string().map_err(std::io::Error::other)
}

fn test_case(c: &CaseResult) -> TestCase {
    let reason = c
        .reason
        .clone()
        .unwrap_or_else(|| first_failing(c).unwrap_or_else(|| c.verdict.as_str().to_string()));
    let status = match c.verdict {
        Verdict::Pass => TestCaseStatus::success(),
        Verdict::Fail => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_message(reason.as_str())
                .set_type("fail")
                .set_description(failure_text(c));
            s
        }
        Verdict::Error => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
            s.set_message(reason.as_str())
                .set_type("error")
                .set_description(checks_text(&c.checks));
            s
        }
        Verdict::NotApplicable | Verdict::Inconclusive => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(format!("{}: {reason}", c.verdict.as_str()))
                .set_type(c.verdict.as_str());
            s
        }
    };
    let mut t = TestCase::new(c.id.as_str(), status);
    t.set_classname(c.area.as_str())
        .set_time(Duration::from_millis(c.duration_ms))
        .set_assertions(c.checks.len());
    for req in &c.requirements {
        t.add_property(Property::new("requirement", req.reference()));
    }
    t.add_property(("title", c.title.as_str()));
    t.add_property(("file", c.file.as_str()));
    if !c.checks.is_empty() {
        t.set_system_out(checks_text(&c.checks));
    }
    t
}

fn first_failing(c: &CaseResult) -> Option<String> {
    c.checks
        .iter()
        .find(|k| k.verdict == Verdict::Fail)
        .map(|k| format!("{}: {}", k.check, k.evidence.summary))
}

/// Evidence of the failing checks (with the messages they point at), then every check.
fn failure_text(c: &CaseResult) -> String {
    let mut s = String::from("Evidence:\n");
    for k in c.checks.iter().filter(|k| k.verdict == Verdict::Fail) {
        let _ = writeln!(s, "  - {}", k.evidence.summary);
        for &i in &k.evidence.events {
            let _ = writeln!(s, "      {}", event_line(i, c.trace.get(i)));
        }
    }
    s.push_str(&checks_text(&c.checks));
    s
}

/// `msg N` is 1-based, as in the HTML report (report.json indexes count from 0).
fn event_line(i: usize, e: Option<&TraceEvent>) -> String {
    let n = i.saturating_add(1);
    match e {
        None => format!("msg {n}: (not in the trace)"),
        Some(e) => {
            let mut s = format!("msg {n} {} -> {}: {}", e.from, e.to, e.summary);
            if let Some(esp) = &e.esp {
                let _ = write!(s, " [ESP SPI 0x{:08x} seq {}", esp.spi, esp.seq);
                if let Some(k) = esp.sa_index {
                    let _ = write!(s, " SA #{k}");
                }
                s.push(']');
            }
            s
        }
    }
}

fn checks_text(checks: &[CheckResult]) -> String {
    let mut s = String::from("Checks:\n");
    if checks.is_empty() {
        s.push_str("  (none evaluated)\n");
    }
    for k in checks {
        let _ = write!(
            s,
            "  [{}] {}: {}",
            k.verdict.as_str(),
            k.check,
            k.evidence.summary
        );
        if !k.requirements.is_empty() {
            let _ = write!(s, " ({})", k.requirements.join(", "));
        }
        s.push('\n');
    }
    s
}
