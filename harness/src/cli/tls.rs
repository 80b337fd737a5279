//! `imsec tls probe HOST:PORT [--suites null|export|legacy|modern|LIST] [--version 1.0..1.3]
//! [--sni NAME] [--timeout-ms N] [--expect accepted|refused|no-certificate-request] [--json]`:
//! sends one raw ClientHello (TS 33.203 Annex O; RFC 5246 §7.4.1.2, RFC 8446 §4.1.2) and
//! reports the server's answer. Without `--expect` the exit code is 0 whenever the server
//! could be reached; with it, 1 when the answer contradicts the expectation.

use super::{print_json, UsageError, EXIT_FAIL, EXIT_OK};
use crate::mech::tls::{parse_version, suites, TLS1_3};
use crate::net::tls_probe::{probe, ProbeAnswer, ProbeConfig, ProbeReport};
use clap::{Args, Subcommand, ValueEnum};
use std::time::Duration;

#[derive(Args, Debug)]
pub struct TlsArgs {
    #[command(subcommand)]
    pub cmd: TlsCmd,
}

#[derive(Subcommand, Debug)]
pub enum TlsCmd {
    /// Offer chosen cipher suites and one version in a raw ClientHello; report the answer.
    Probe(ProbeArgs),
}

/// What the answer must be for exit code 0.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// A ServerHello.
    Accepted,
    /// No ServerHello (alert, close or silence).
    Refused,
    /// No CertificateRequest (TLS ≤ 1.2; a refusal also satisfies it).
    NoCertificateRequest,
}

#[derive(Args, Debug)]
pub struct ProbeArgs {
    /// HOST:PORT of the TLS server.
    pub target: String,
    /// null | export | legacy | modern | comma-separated IANA names or 0xHHHH codes.
    #[arg(long, default_value = "null")]
    pub suites: String,
    /// The one version offered: 1.0, 1.1, 1.2 or 1.3.
    #[arg(long, default_value = "1.2")]
    pub version: String,
    /// server_name (SNI) to send.
    #[arg(long)]
    pub sni: Option<String>,
    /// Connect timeout and answer deadline, each, in milliseconds.
    #[arg(long, default_value_t = 3000)]
    pub timeout_ms: u64,
    /// Exit 1 unless the answer matches.
    #[arg(long)]
    pub expect: Option<Expect>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: TlsArgs) -> Result<u8, UsageError> {
    match a.cmd {
        TlsCmd::Probe(p) => run_probe(p),
    }
}

fn run_probe(a: ProbeArgs) -> Result<u8, UsageError> {
    let version = parse_version(&a.version).map_err(|e| UsageError(format!("--version: {e}")))?;
    let codes = suites::parse_list(&a.suites, version >= TLS1_3)
        .map_err(|e| UsageError(format!("--suites: {e}")))?;
    let mut cfg = ProbeConfig::new(&a.target, version, codes);
    cfg.server_name = a.sni.clone();
    cfg.connect_timeout = Duration::from_millis(a.timeout_ms);
    cfg.timeout = Duration::from_millis(a.timeout_ms);
    let report = probe(&cfg)?;
    if a.json {
        print_json(&report)?;
    } else {
        print_text(&report);
    }
    let ok = match a.expect {
        None => true,
        Some(Expect::Accepted) => matches!(report.answer, ProbeAnswer::ServerHello(_)),
        Some(Expect::Refused) => !matches!(report.answer, ProbeAnswer::ServerHello(_)),
        Some(Expect::NoCertificateRequest) => match &report.answer {
            ProbeAnswer::ServerHello(s) => s.certificate_request != Some(true),
            _ => true,
        },
    };
    if !a.json {
        if let Some(e) = a.expect {
            println!("expect {e:?}: {}", if ok { "met" } else { "NOT met" });
        }
    }
    Ok(if ok { EXIT_OK } else { EXIT_FAIL })
}

fn print_text(r: &ProbeReport) {
    println!(
        "offered {} with {} suite(s) to {}",
        r.offered_version,
        r.offered_suites.len(),
        r.target
    );
    match &r.answer {
        ProbeAnswer::ServerHello(s) => {
            println!(
                "ServerHello: {} {} ({}){}{}",
                s.version,
                s.cipher_suite_name,
                s.cipher_suite,
                if s.flags.null { " NULL-CIPHER" } else { "" },
                if s.suite_offered { "" } else { " NOT-OFFERED" }
            );
            println!("messages: {}", s.messages.join(", "));
            match s.certificate_request {
                Some(true) => println!("CertificateRequest: sent"),
                Some(false) => println!("CertificateRequest: not sent"),
                None => println!("CertificateRequest: not visible"),
            }
        }
        ProbeAnswer::Alert {
            level,
            description,
            name,
        } => println!("alert: level {level}, {name} ({description})"),
        ProbeAnswer::Closed => println!("closed without an answer"),
        ProbeAnswer::Silent => println!("no answer before the deadline"),
        ProbeAnswer::NotTls { first_octets, why } => {
            println!("not TLS: {why} (first octets {first_octets})")
        }
    }
    println!("elapsed: {} ms", r.elapsed_ms);
}
