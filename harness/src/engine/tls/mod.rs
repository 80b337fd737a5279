//! TLS endpoint cases (TS 33.203 Annex O, seed 004: TLS between UE and P-CSCF): the SUT is a
//! TLS listener (the built-in endpoint, Kamailio's tls module, `openssl s_server`, a P-CSCF's
//! SIPS port). The harness plays the UE's TLS client: a raw ClientHello prober for the offers
//! rustls never makes (null-cipher suites, TLS 1.0/1.1) and a rustls client that validates the
//! server certificate against the profile's trust anchors and name (RFC 5280 §6, RFC 6125
//! §6). Checks judge what the endpoint answered: null suites and versions below the profile's
//! minimum refused, no CertificateRequest, a valid certificate.
//!
//! The sec-agree side (RFC 3329 `tls` mechanism, `integrity-protected` tls-pending/tls-yes)
//! needs SIP over TLS in the UE and the reference P-CSCF and is not part of these cases.

pub mod builtin;
pub mod checks;
pub mod profile;

use super::case::{step_ids, Action, Case, Topology};
use super::model::{CaseResult, TraceEvent, Verdict};
use super::sut::Sut;
use crate::mech::tls::{parse_version, suites, version_name, TLS1_0, TLS1_3};
use crate::net::tls::{client_config, connect, CertProblem, ClientOptions, KeyLogFile, TlsFailure};
use crate::net::tls_probe::{probe, ProbeAnswer, ProbeConfig, ProbeReport};
pub use profile::{TlsFlaw, TlsSut, TlsTarget};
use serde::{Deserialize, Serialize};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

/// `do: tls_probe`: one raw ClientHello offering `suites` (`null`, `export`, `legacy`,
/// `modern` or a list) at `version` (`1.0`..`1.3`, or `below-min`: the highest version below
/// the profile's minimum). With `control: true` the step is a positive control: unless the
/// endpoint answers with a ServerHello choosing a suite that is not weak, the case is
/// inconclusive (a dead or misconfigured endpoint is never a pass).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProbeStep {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default = "modern")]
    pub suites: String,
    #[serde(default = "v12")]
    pub version: String,
    #[serde(default)]
    pub control: bool,
}

fn modern() -> String {
    "modern".into()
}
fn v12() -> String {
    "1.2".into()
}

impl ProbeStep {
    /// Checks the suite list and version (at load time).
    pub fn validate(&self) -> Result<(), String> {
        if self.version != "below-min" {
            let v = parse_version(&self.version)?;
            suites::parse_list(&self.suites, v >= TLS1_3)?;
        } else {
            suites::parse_list(&self.suites, false)?;
        }
        Ok(())
    }
}

/// `do: tls_connect`: a full handshake with the rustls client, trusting the profile's anchors
/// and expecting its server name; the outcome (session or typed certificate refusal) is
/// recorded, and the session keys go to the case's key log.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectStep {
    #[serde(default)]
    pub id: Option<String>,
}

/// The outcome of a `tls_connect` step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectOutcome {
    Connected { version: String, suite: String },
    CertificateRefused(CertProblem),
    Failed(String),
}

/// What one step observed.
#[derive(Debug, Clone)]
pub enum Observed {
    Probe(Box<ProbeReport>),
    Connect(ConnectOutcome),
    Nothing,
}

/// One step's record.
#[derive(Debug, Clone)]
pub struct TlsRecord {
    pub id: String,
    pub observed: Observed,
    pub problem: Option<String>,
    pub started_ms: u64,
}

/// Where and how to reach the endpoint during one case.
struct Endpoint {
    addr: SocketAddr,
    server_name: String,
    anchors: Vec<rustls::pki_types::CertificateDer<'static>>,
}

fn run_probe(
    ep: &Endpoint,
    sut: &TlsSut,
    step: &ProbeStep,
    timeout: Duration,
) -> (Observed, Option<String>) {
    let version = if step.version == "below-min" {
        match sut.min_version.checked_sub(1) {
            Some(v) if v >= TLS1_0 => v,
            _ => {
                return (
                    Observed::Nothing,
                    Some(format!(
                        "no TLS version below the profile's minimum {}",
                        version_name(sut.min_version)
                    )),
                )
            }
        }
    } else {
        match parse_version(&step.version) {
            Ok(v) => v,
            Err(e) => return (Observed::Nothing, Some(e)),
        }
    };
    let codes = match suites::parse_list(&step.suites, version >= TLS1_3) {
        Ok(c) => c,
        Err(e) => return (Observed::Nothing, Some(e)),
    };
    let mut cfg = ProbeConfig::new(&ep.addr.to_string(), version, codes);
    cfg.server_name =
        Some(ep.server_name.clone()).filter(|n| n.parse::<std::net::IpAddr>().is_err());
    cfg.connect_timeout = timeout;
    cfg.timeout = timeout;
    let report = match probe(&cfg) {
        Ok(r) => r,
        Err(e) => return (Observed::Nothing, Some(e.to_string())),
    };
    let mut problem = None;
    if step.control {
        let ok = matches!(&report.answer, ProbeAnswer::ServerHello(a)
            if !a.flags.weak() && a.suite_offered && a.version_offered);
        if !ok {
            problem = Some(format!(
                "positive control: the endpoint did not accept a {} offer of {} suites ({})",
                version_name(version),
                step.suites,
                describe(&report.answer)
            ));
        }
    }
    (Observed::Probe(Box::new(report)), problem)
}

/// A one-line description of a probe answer.
pub fn describe(a: &ProbeAnswer) -> String {
    match a {
        ProbeAnswer::ServerHello(s) => format!(
            "ServerHello {} {}{}",
            s.version,
            s.cipher_suite_name,
            match s.certificate_request {
                Some(true) => ", CertificateRequest",
                _ => "",
            }
        ),
        ProbeAnswer::Alert { name, level, .. } => format!("alert {name} (level {level})"),
        ProbeAnswer::Closed => "connection closed".into(),
        ProbeAnswer::Silent => "no answer".into(),
        ProbeAnswer::NotTls { why, .. } => format!("not TLS: {why}"),
    }
}

fn run_connect(
    ep: &Endpoint,
    timeout: Duration,
    keylog: Option<&std::sync::Arc<KeyLogFile>>,
) -> (Observed, Option<String>) {
    let o = ClientOptions {
        keylog: keylog.cloned(),
        ..Default::default()
    };
    let cfg = match client_config(&ep.anchors, &o) {
        Ok(c) => c,
        Err(e) => return (Observed::Nothing, Some(e.to_string())),
    };
    let sock = match TcpStream::connect_timeout(&ep.addr, timeout) {
        Ok(s) => s,
        Err(e) => return (Observed::Nothing, Some(format!("connect {}: {e}", ep.addr))),
    };
    match connect(cfg, &ep.server_name, sock, timeout) {
        Ok((mut s, info)) => {
            s.conn.send_close_notify();
            let _ = std::io::Write::flush(&mut s);
            (
                Observed::Connect(ConnectOutcome::Connected {
                    version: info.version,
                    suite: info.cipher_suite,
                }),
                None,
            )
        }
        Err(TlsFailure::Certificate(p)) => (
            Observed::Connect(ConnectOutcome::CertificateRefused(p)),
            None,
        ),
        Err(e) => {
            let why = e.to_string();
            (
                Observed::Connect(ConnectOutcome::Failed(why.clone())),
                Some(why),
            )
        }
    }
}

fn trace_of(records: &[TlsRecord]) -> Vec<TraceEvent> {
    let mut out = Vec::new();
    let ev = |r: &TlsRecord, from: &str, to: &str, summary: String| TraceEvent {
        t_ms: r.started_ms,
        from: from.into(),
        to: to.into(),
        summary,
        sip: None,
        esp: None,
        step: Some(r.id.clone()),
        frame: None,
    };
    for r in records {
        match &r.observed {
            Observed::Probe(p) => {
                out.push(ev(
                    r,
                    "UE",
                    "TLS endpoint",
                    format!(
                        "ClientHello {} ({} suites)",
                        p.offered_version,
                        p.offered_suites.len()
                    ),
                ));
                out.push(ev(r, "TLS endpoint", "UE", describe(&p.answer)));
            }
            Observed::Connect(c) => {
                out.push(ev(r, "UE", "TLS endpoint", "handshake (rustls)".into()));
                let s = match c {
                    ConnectOutcome::Connected { version, suite } => {
                        format!("connected {version} {suite}")
                    }
                    ConnectOutcome::CertificateRefused(p) => format!("certificate refused: {p:?}"),
                    ConnectOutcome::Failed(w) => format!("failed: {w}"),
                };
                out.push(ev(r, "TLS endpoint", "UE", s));
            }
            Observed::Nothing => {}
        }
    }
    out
}

/// Runs a case against a TLS endpoint SUT. `out_dir`: where the case's key log goes.
pub fn run_case(case: &Case, sut: &Sut, tls: &TlsSut, out_dir: Option<&Path>) -> CaseResult {
    let mut result = CaseResult {
        id: case.id.clone(),
        title: case.title.clone(),
        area: case.area.clone(),
        file: case.file.display().to_string(),
        verdict: Verdict::NotApplicable,
        requirements: case.requirement.clone(),
        tags: case.tags.clone(),
        duration_ms: 0,
        checks: Vec::new(),
        reason: None,
        trace: Vec::new(),
        files: Default::default(),
    };
    if case.applies_to.mechanism == "tls-sec-agree" && !tls.sec_agree_tls {
        result.reason = Some(
            "the endpoint does not negotiate the RFC 3329 `tls` mechanism (profile: sec_agree_tls: false)"
                .into(),
        );
        return result;
    }
    if !case.applies_to.topology.contains(&Topology::Tls) {
        result.reason = Some(
            "the case is for a P-CSCF, an IMS core or a SEG; the SUT is a TLS endpoint".into(),
        );
        return result;
    }
    let start = Instant::now();
    let timeout = case
        .timeout_ms
        .map(Duration::from_millis)
        .unwrap_or(sut.timeout);
    let (builtin, ep) = match &tls.target {
        TlsTarget::Builtin(f) => match builtin::BuiltinTls::start(f) {
            Ok(b) => {
                let ep = Endpoint {
                    addr: b.addr,
                    server_name: profile::BUILTIN_NAME.into(),
                    anchors: b.trust_anchors.clone(),
                };
                (Some(b), ep)
            }
            Err(e) => {
                result.verdict = Verdict::Error;
                result.reason = Some(format!("built-in TLS endpoint: {e}"));
                return result;
            }
        },
        TlsTarget::External {
            addr,
            server_name,
            trust_anchors,
        } => (
            None,
            Endpoint {
                addr: *addr,
                server_name: server_name.clone(),
                anchors: trust_anchors.clone(),
            },
        ),
    };
    let keylog = out_dir.and_then(|d| {
        let p = crate::net::tls::case_keylog_path(d, &case.id);
        let k = KeyLogFile::create(&p).ok()?;
        Some((k, p))
    });
    let mut records: Vec<TlsRecord> = Vec::new();
    for (id, action) in step_ids(case).iter().zip(&case.steps) {
        let started_ms = start.elapsed().as_millis() as u64;
        let (observed, problem) = match action {
            Action::TlsProbe(s) => run_probe(&ep, tls, s, timeout),
            Action::TlsConnect(_) => run_connect(&ep, timeout, keylog.as_ref().map(|k| &k.0)),
            other => (
                Observed::Nothing,
                Some(format!(
                    "step '{}' is not a TLS endpoint step",
                    other.name()
                )),
            ),
        };
        let stop = problem.is_some();
        records.push(TlsRecord {
            id: id.clone(),
            observed,
            problem,
            started_ms,
        });
        if stop {
            break;
        }
    }
    drop(builtin);
    let problem = records
        .iter()
        .find_map(|r| r.problem.as_ref().map(|p| (r.id.clone(), p.clone())));
    let (verdict, reason, results) =
        super::runner::judge(case, problem, |e| checks::evaluate(e, &records));
    if let Some((_, p)) = &keylog {
        let written = std::fs::metadata(p).map(|m| m.len() > 0).unwrap_or(false);
        if written {
            result.files.tls_keylog = p.file_name().map(|n| n.to_string_lossy().into_owned());
        } else {
            let _ = std::fs::remove_file(p);
        }
    }
    result.verdict = verdict;
    result.reason = reason;
    result.checks = results;
    result.trace = trace_of(&records);
    result.duration_ms = start.elapsed().as_millis() as u64;
    result
}
