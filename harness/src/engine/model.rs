//! What a run produces, independent of how it is reported. Reports (JUnit, JSON, HTML,
//! pcapng) are views of these types; `report.json` serialises them directly (schema version
//! [`SCHEMA_VERSION`], documented in docs/report-schema.md).

use serde::Serialize;

/// Version of the report.json schema; bump on any incompatible change.
pub const SCHEMA_VERSION: &str = "1.0";

/// A normative requirement a case checks (TLS-Anvil style: spec, clause, our own words).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    pub spec: String,
    pub clause: String,
    #[serde(default)]
    pub text: Option<String>,
}

impl Requirement {
    /// `TS 33.203 §7.2` style reference.
    pub fn reference(&self) -> String {
        format!("{} §{}", self.spec, self.clause)
    }
}

/// The verdict vocabulary (design.md §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Pass,
    Fail,
    /// The SUT did something the case cannot judge (e.g. a precondition step failed).
    Inconclusive,
    /// The SUT profile excludes the case.
    NotApplicable,
    /// The harness or the environment broke; never counted as a SUT failure.
    Error,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Inconclusive => "inconclusive",
            Verdict::NotApplicable => "not-applicable",
            Verdict::Error => "error",
        }
    }
}

/// Who saw a message: the harness UE, the harness S-CSCF (core), or a capture point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Vantage {
    Ue,
    Core,
    Capture,
}

/// ESP facts of a message that travelled protected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EspMeta {
    pub spi: u32,
    pub seq: u32,
    /// Row of the TS 33.203 §7.1 table (1..=4) the packet matched, when known.
    pub sa_index: Option<u8>,
}

/// One message in a ladder diagram / trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TraceEvent {
    /// Milliseconds since the case started.
    pub t_ms: u64,
    /// Lane the message left from and the lane it reached: "UE", "P-CSCF", "S-CSCF".
    pub from: String,
    pub to: String,
    /// First line of the SIP message, or a short description of a non-SIP packet.
    pub summary: String,
    /// The whole SIP message (keys redacted unless --reveal-keys).
    pub sip: Option<String>,
    pub esp: Option<EspMeta>,
    /// Step that caused it (step id).
    pub step: Option<String>,
    /// Index of the packet in the case's pcapng, when one was written.
    pub frame: Option<u64>,
}

/// Evidence for a verdict: what was observed, in words, with pointers into the trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    pub summary: String,
    /// Indexes into the case's trace.
    pub events: Vec<usize>,
}

/// The outcome of one expectation of a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckResult {
    pub check: String,
    pub verdict: Verdict,
    pub evidence: Evidence,
    /// Requirement references this check judges.
    pub requirements: Vec<String>,
}

/// Files written for a case (relative to the report directory).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CaseFiles {
    pub pcapng: Option<String>,
    pub esp_sa: Option<String>,
    pub tls_keylog: Option<String>,
}

/// One case's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseResult {
    pub id: String,
    pub title: String,
    /// testcases/<area>/...: the area is the folder name.
    pub area: String,
    pub file: String,
    pub verdict: Verdict,
    pub requirements: Vec<Requirement>,
    pub tags: Vec<String>,
    pub duration_ms: u64,
    pub checks: Vec<CheckResult>,
    /// Why the case ended as it did, in one line (the reason for error / inconclusive /
    /// not-applicable, or the first failing check).
    pub reason: Option<String>,
    pub trace: Vec<TraceEvent>,
    pub files: CaseFiles,
}

/// The SUT as reported (secrets redacted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SutSummary {
    pub name: String,
    pub topology: String,
    /// The profile as loaded, with every key field replaced by "<redacted>" unless revealed.
    pub profile: serde_json::Value,
}

/// A whole run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunReport {
    pub schema: String,
    pub tool: String,
    pub version: String,
    /// RFC 3339 UTC.
    pub started: String,
    pub duration_ms: u64,
    pub sut: SutSummary,
    pub keys_revealed: bool,
    pub cases: Vec<CaseResult>,
}

impl RunReport {
    /// Count of cases per verdict.
    pub fn totals(&self) -> std::collections::BTreeMap<Verdict, usize> {
        let mut m = std::collections::BTreeMap::new();
        for c in &self.cases {
            *m.entry(c.verdict).or_insert(0) += 1;
        }
        m
    }
}

/// A case id as a file or anchor name: everything but `[A-Za-z0-9_-]` becomes `_`.
pub fn slug(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}
