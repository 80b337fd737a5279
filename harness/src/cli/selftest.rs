//! `imsec selftest`: the catalogue against the conformant built-in P-CSCF and against every
//! flawed variant. Each variant must fail exactly the cases that name it in `proven_by` and
//! pass all others; the conformant reference must pass everything. This is the proof that
//! every check can fail, and that no check raises false alarms.

use super::{print_json, UsageError, EXIT_FAIL, EXIT_OK};
use crate::engine::model::Verdict;
use crate::engine::tls::TlsFlaw;
use crate::engine::{runner, sut};
use crate::roles::ike::seg::SegFlaw;
use crate::roles::pcscf::Flaw;
use clap::Args;
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct SelftestArgs {
    /// Case files or directories (default: testcases/).
    pub cases: Vec<PathBuf>,
    /// Cases run in parallel within each variant.
    #[arg(long, default_value_t = 4)]
    pub jobs: usize,
    /// ESP mode (`udp-enc-tun` or `trans`).
    #[arg(long)]
    pub mode: Option<String>,
    #[arg(long)]
    pub json: bool,
}

fn mark(v: Verdict) -> char {
    match v {
        Verdict::Pass => '.',
        Verdict::Fail => 'X',
        Verdict::Inconclusive => '?',
        Verdict::NotApplicable => '-',
        Verdict::Error => 'E',
    }
}

pub fn run(a: SelftestArgs) -> Result<u8, UsageError> {
    let mode = match a.mode.as_deref() {
        None => None,
        Some("trans") => Some(crate::mech::secagree::ipsec::IpsecMode::Transport),
        Some("udp-enc-tun") => Some(crate::mech::secagree::ipsec::IpsecMode::UdpEncTunnel),
        Some(o) => return Err(UsageError(format!("--mode: '{o}'"))),
    };
    let cases = super::run::select(&a.cases, None, &[])?;
    let mut variants: Vec<String> = vec!["builtin".into()];
    variants.extend(Flaw::ALL.iter().map(|f| format!("builtin:{}", f.name())));
    // The built-in security gateway and its flaws (Za cases, engine::za).
    variants.push("builtin:seg".into());
    variants.extend(
        SegFlaw::ALL
            .iter()
            .map(|f| format!("builtin:seg:{}", f.name())),
    );
    // The built-in TLS endpoint and its flaws (TLS cases, engine::tls).
    variants.push("builtin:tls".into());
    variants.extend(
        TlsFlaw::ALL
            .iter()
            .map(|f| format!("builtin:tls:{}", f.name())),
    );
    // Combinations named in proven_by (defence in depth: only several flaws together let the
    // attack through) run as variants of their own.
    let mut combos: Vec<String> = cases
        .iter()
        .flat_map(|c| c.proven_by.iter())
        .filter(|p| p.contains(','))
        .map(|p| format!("builtin:{p}"))
        .collect();
    combos.sort();
    combos.dedup();
    variants.extend(combos);
    let mut grid: BTreeMap<String, Vec<Verdict>> = BTreeMap::new();
    let mut problems = Vec::new();
    for f in cases
        .iter()
        .flat_map(|c| c.proven_by.iter())
        .flat_map(|p| p.split(','))
    {
        if f.parse::<Flaw>().is_err()
            && f.parse::<SegFlaw>().is_err()
            && f.parse::<TlsFlaw>().is_err()
        {
            problems.push(format!("proven_by names an unknown flaw '{f}'"));
        }
    }
    for v in &variants {
        let s = sut::resolve(v, mode).map_err(UsageError)?;
        let quiet = |_: usize, _: usize, _: &crate::engine::model::CaseResult| {};
        let results = runner::run_all(&cases, &s, a.jobs, false, None, &quiet);
        let flaw = match v.as_str() {
            "builtin:seg" | "builtin:tls" => "",
            _ => v
                .strip_prefix("builtin:seg:")
                .or_else(|| v.strip_prefix("builtin:tls:"))
                .or_else(|| v.strip_prefix("builtin:"))
                .unwrap_or(""),
        };
        let mut caught = 0;
        for (c, r) in cases.iter().zip(&results) {
            grid.entry(c.id.clone()).or_default().push(r.verdict);
            // A combination also fails every case that one of its flaws fails.
            let parts: Vec<&str> = flaw.split(',').filter(|x| !x.is_empty()).collect();
            let expected_fail = !flaw.is_empty()
                && c.proven_by
                    .iter()
                    .any(|p| p == flaw || parts.contains(&p.as_str()));
            match (expected_fail, r.verdict) {
                (true, Verdict::Fail) => caught += 1,
                (true, other) => problems.push(format!(
                    "{v}: {} should fail, got {}{}",
                    c.id,
                    other.as_str(),
                    r.reason
                        .as_deref()
                        .map(|x| format!(" ({x})"))
                        .unwrap_or_default()
                )),
                (false, Verdict::Pass) | (false, Verdict::NotApplicable) => {}
                (false, other) => problems.push(format!(
                    "{v}: {} should pass, got {}{}",
                    c.id,
                    other.as_str(),
                    r.reason
                        .as_deref()
                        .map(|x| format!(" ({x})"))
                        .unwrap_or_default()
                )),
            }
        }
        if !flaw.is_empty() && !flaw.contains(',') && caught == 0 {
            problems.push(format!("{v}: no case catches this flaw"));
        }
    }
    for c in &cases {
        if c.proven_by.is_empty() {
            problems.push(format!(
                "{}: no flawed variant proves this case can fail",
                c.id
            ));
        }
    }
    if a.json {
        let rows: BTreeMap<&String, Vec<&str>> = grid
            .iter()
            .map(|(k, v)| (k, v.iter().map(|x| x.as_str()).collect()))
            .collect();
        print_json(
            &serde_json::json!({ "variants": variants, "cases": rows, "problems": problems }),
        )?;
    } else {
        println!(
            "columns: {}",
            variants
                .iter()
                .enumerate()
                .map(|(i, v)| format!("{i:>2}={v}"))
                .collect::<Vec<_>>()
                .join("  ")
        );
        println!(
            "{:<26} {}",
            "case",
            (0..variants.len())
                .map(|i| format!("{i:>2}"))
                .collect::<String>()
        );
        for (id, row) in &grid {
            println!(
                "{id:<26} {}",
                row.iter()
                    .map(|v| format!("{:>2}", mark(*v)))
                    .collect::<String>()
            );
        }
        println!("legend: . pass  X fail  ? inconclusive  - not applicable  E error");
        for p in &problems {
            println!("PROBLEM {p}");
        }
        println!(
            "{} passed, {} failed",
            variants.len() * cases.len() - problems.len().min(variants.len() * cases.len()),
            problems.len()
        );
    }
    Ok(if problems.is_empty() {
        EXIT_OK
    } else {
        EXIT_FAIL
    })
}
