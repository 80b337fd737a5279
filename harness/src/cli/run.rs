//! `imsec run`: the catalogue of test cases against a SUT, with reports.

use super::{UsageError, EXIT_FAIL, EXIT_OK};
use crate::engine::case::{self, Case};
use crate::engine::model::{RunReport, SutSummary, Verdict, SCHEMA_VERSION};
use crate::engine::{report, runner, sut};
use crate::mech::secagree::ipsec::IpsecMode;
use clap::Args;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::{Instant, SystemTime};

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Case files or directories (default: testcases/).
    pub cases: Vec<PathBuf>,
    /// System under test: a SUT profile (YAML, see docs/sut-profile.md), `builtin` (the
    /// reference P-CSCF on loopback) or `builtin:<flaw>[,<flaw>]`.
    #[arg(long, default_value = "builtin")]
    pub sut: String,
    /// Only cases whose id matches this glob (`*` and `?`).
    #[arg(long)]
    pub filter: Option<String>,
    /// Only cases with this tag (repeatable: any of them).
    #[arg(long)]
    pub tag: Vec<String>,
    /// Report directory (default: reports/<UTC timestamp>/).
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// Cases run in parallel (built-in SUT only; each case has its own addresses).
    #[arg(long, default_value_t = 4)]
    pub jobs: usize,
    /// Put keys (CK, IK, ESP keys) in the HTML/JSON reports instead of "<redacted>".
    #[arg(long)]
    pub reveal_keys: bool,
    /// ESP mode: `udp-enc-tun` (no privileges) or `trans` (raw sockets: root/CAP_NET_RAW).
    #[arg(long)]
    pub mode: Option<String>,
    /// SIP transport of cases that do not name one: `udp` or `tcp` (default: the profile's).
    #[arg(long)]
    pub transport: Option<crate::roles::SipTransport>,
    /// No per-case progress lines.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `*`/`?` glob match.
pub fn glob(pat: &str, s: &str) -> bool {
    fn m(p: &[u8], s: &[u8]) -> bool {
        match (p.first(), s.first()) {
            (None, None) => true,
            (Some(b'*'), _) => m(&p[1..], s) || (!s.is_empty() && m(p, &s[1..])),
            (Some(b'?'), Some(_)) => m(&p[1..], &s[1..]),
            (Some(a), Some(b)) if a.eq_ignore_ascii_case(b) => m(&p[1..], &s[1..]),
            _ => false,
        }
    }
    m(pat.as_bytes(), s.as_bytes())
}

/// Loads the catalogue and applies --filter/--tag.
pub fn select(
    paths: &[PathBuf],
    filter: Option<&str>,
    tags: &[String],
) -> Result<Vec<Case>, UsageError> {
    let paths = if paths.is_empty() {
        vec![case::default_dir()]
    } else {
        paths.to_vec()
    };
    let all = case::load_all(&paths).map_err(|e| UsageError(e.to_string()))?;
    Ok(all
        .into_iter()
        .filter(|c| filter.is_none_or(|f| glob(f, &c.id)))
        .filter(|c| tags.is_empty() || c.tags.iter().any(|t| tags.contains(t)))
        .collect())
}

/// RFC 3339 UTC time of `t` (civil-from-days, no time-zone database needed).
pub fn rfc3339(t: SystemTime) -> String {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

pub fn run(a: RunArgs) -> Result<u8, UsageError> {
    let mode = match a.mode.as_deref() {
        None => None,
        Some("udp-enc-tun") | Some("UDP-enc-tun") => Some(IpsecMode::UdpEncTunnel),
        Some("trans") => Some(IpsecMode::Transport),
        Some(o) => {
            return Err(UsageError(format!(
                "--mode: '{o}' is not udp-enc-tun or trans"
            )))
        }
    };
    let mut sut = sut::resolve(&a.sut, mode).map_err(|e| UsageError(format!("--sut: {e}")))?;
    if let Some(t) = a.transport {
        sut.transport = t;
    }
    let cases = select(&a.cases, a.filter.as_deref(), &a.tag)?;
    runner::preflight(&sut).map_err(|e| UsageError(format!("SUT '{}': {e}", sut.name)))?;
    if cases.is_empty() {
        return Err(UsageError("no test case matches".into()));
    }
    let started = SystemTime::now();
    let dir = a
        .report
        .clone()
        .unwrap_or_else(|| PathBuf::from("reports").join(rfc3339(started).replace(':', "-")));
    std::fs::create_dir_all(&dir).map_err(|e| UsageError(format!("{}: {e}", dir.display())))?;
    let tty = std::io::stdout().is_terminal();
    let quiet = a.quiet;
    let progress = move |done: usize, total: usize, r: &crate::engine::model::CaseResult| {
        if quiet {
            return;
        }
        let line = format!(
            "[{done:>3}/{total}] {:<15} {} {}",
            r.verdict.as_str(),
            r.id,
            r.reason
                .as_deref()
                .map(|x| format!("— {x}"))
                .unwrap_or_default()
        );
        if tty {
            let width = 30;
            let filled = done * width / total.max(1);
            println!("{line}");
            eprint!(
                "\r[{}{}] {done}/{total}",
                "#".repeat(filled),
                ".".repeat(width - filled)
            );
        } else {
            println!("{line}");
        }
    };
    let t0 = Instant::now();
    let results = runner::run_all(&cases, &sut, a.jobs, a.reveal_keys, Some(&dir), &progress);
    if tty && !quiet {
        eprintln!();
    }
    // The profile's secrets (subscriber keys) were replaced when it was loaded (sut.rs).
    let profile = sut.raw.clone();
    let report = RunReport {
        schema: SCHEMA_VERSION.into(),
        tool: "imsec".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        started: rfc3339(started),
        duration_ms: t0.elapsed().as_millis() as u64,
        sut: SutSummary {
            name: sut.name.clone(),
            topology: format!("{:?}", sut.topology).to_lowercase(),
            profile,
        },
        keys_revealed: a.reveal_keys,
        cases: results,
    };
    report::write_all(&report, &dir).map_err(|e| UsageError(format!("{}: {e}", dir.display())))?;
    let totals = report.totals();
    let n = |v: Verdict| totals.get(&v).copied().unwrap_or(0);
    println!(
        "{} passed, {} failed, {} inconclusive, {} not applicable, {} errors — reports in {}",
        n(Verdict::Pass),
        n(Verdict::Fail),
        n(Verdict::Inconclusive),
        n(Verdict::NotApplicable),
        n(Verdict::Error),
        dir.display()
    );
    if n(Verdict::Error) > 0 {
        return Ok(super::EXIT_USAGE);
    }
    Ok(if n(Verdict::Fail) + n(Verdict::Inconclusive) == 0 {
        EXIT_OK
    } else {
        EXIT_FAIL
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_matches() {
        assert!(glob("ESP-*", "ESP-REPLAY-01"));
        assert!(glob("*REPLAY-0?", "ESP-REPLAY-01"));
        assert!(!glob("SA-*", "ESP-REPLAY-01"));
    }

    #[test]
    fn rfc3339_known_instants() {
        use std::time::Duration;
        assert_eq!(rfc3339(SystemTime::UNIX_EPOCH), "1970-01-01T00:00:00Z");
        // 2000-02-29T12:34:56Z = 951827696 (a leap day, from `date -u -d @951827696`).
        assert_eq!(
            rfc3339(SystemTime::UNIX_EPOCH + Duration::from_secs(951_827_696)),
            "2000-02-29T12:34:56Z"
        );
    }
}
