//! `imsec cycle`: the registration cycle (register, request, re-register, de-register) against
//! the built-in reference P-CSCF, a flawed variant, or an external P-CSCF; a smoke test of a
//! whole set-up before running the catalogue with `imsec run`.

use super::{print_json, UsageError, EXIT_FAIL, EXIT_OK};
use crate::lab::{scenario, ExternalSut, Lab, LabOptions};
use crate::mech::secagree::ipsec::IpsecMode;
use crate::roles::pcscf::{Flaw, Flaws};
use clap::{Args, ValueEnum};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ModeArg {
    /// UDP-encapsulated tunnel mode over ordinary UDP sockets (no privileges).
    UdpEncTun,
    /// Transport mode over raw IP sockets (root or CAP_NET_RAW).
    Trans,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PhaseArg {
    Full,
    Unprotected,
}

#[derive(Args, Debug)]
pub struct CycleArgs {
    /// System under test: `builtin` (the reference P-CSCF) or `builtin:<flaw>`.
    #[arg(long, default_value = "builtin")]
    pub sut: String,
    /// ESP mode between UE and P-CSCF.
    #[arg(long, value_enum, default_value = "udp-enc-tun")]
    pub mode: ModeArg,
    /// Timeout of every wait, in milliseconds.
    #[arg(long, default_value_t = 3000)]
    pub timeout_ms: u64,
    /// What the UE offers, as `alg/ealg` (repeatable; default: a typical UE's list).
    #[arg(long = "offer", value_name = "ALG/EALG")]
    pub offers: Vec<String>,
    /// An external P-CSCF's unprotected address (instead of the built-in one).
    #[arg(long, value_name = "ADDR:PORT")]
    pub pcscf: Option<std::net::SocketAddr>,
    /// Where the harness S-CSCF listens (the external P-CSCF's next hop).
    #[arg(long, value_name = "ADDR:PORT", requires = "pcscf")]
    pub scscf_listen: Option<std::net::SocketAddr>,
    /// The harness UE's address (with --pcscf).
    #[arg(long, value_name = "ADDR", requires = "pcscf")]
    pub ue_addr: Option<std::net::IpAddr>,
    /// The external P-CSCF's UDP encapsulation port.
    #[arg(long, default_value_t = 4500)]
    pub pcscf_encap_port: u16,
    /// Home realm of the test subscriber (with --pcscf).
    #[arg(long, default_value = "imsec.test")]
    pub realm: String,
    /// `full`: the whole registration cycle; `unprotected`: stop after the 401 (for a
    /// P-CSCF whose protected phase cannot run here).
    #[arg(long, value_enum, default_value = "full")]
    pub phase: PhaseArg,
    /// SIP transport: udp, or tcp (unprotected phase and inside the SAs).
    #[arg(long, default_value = "udp")]
    pub transport: crate::roles::SipTransport,
    /// Print the steps as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Parses `builtin` / `builtin:<flaw>[,<flaw>…]`.
pub fn parse_sut(s: &str) -> Result<Flaws, UsageError> {
    if !s.starts_with("builtin") {
        return Err(UsageError(format!(
            "--sut: '{s}' is not builtin[:flaw]; SUT profiles come with the test-case engine"
        )));
    }
    crate::engine::sut::builtin_flaws::<Flaw>(s, "builtin")
        .ok_or_else(|| UsageError(format!("--sut: '{s}' is not builtin[:flaw]")))?
        .map_err(|e| UsageError(format!("--sut: {e}")))
}

pub fn run(a: CycleArgs) -> Result<u8, UsageError> {
    let flaws = parse_sut(&a.sut)?;
    let mut offers = Vec::new();
    for o in &a.offers {
        let (x, y) = o
            .split_once('/')
            .ok_or_else(|| UsageError(format!("--offer: '{o}' is not alg/ealg")))?;
        let alg = x.parse().map_err(|e| UsageError(format!("--offer: {e}")))?;
        let ealg = y.parse().map_err(|e| UsageError(format!("--offer: {e}")))?;
        crate::mech::algorithms::check_pair(alg, ealg)
            .map_err(|e| UsageError(format!("--offer {o}: {e}")))?;
        offers.push((alg, ealg));
    }
    let opts = LabOptions {
        offers: if offers.is_empty() {
            LabOptions::default().offers
        } else {
            offers
        },
        mode: match a.mode {
            ModeArg::UdpEncTun => IpsecMode::UdpEncTunnel,
            ModeArg::Trans => IpsecMode::Transport,
        },
        flaws,
        step_timeout: Duration::from_millis(a.timeout_ms),
        transport: a.transport,
    };
    let mut lab = match a.pcscf {
        None => Lab::builtin(opts),
        Some(pcscf) => {
            let ue = a.ue_addr.unwrap_or(IpAddr::from([127, 0, 0, 4]));
            let scscf = a
                .scscf_listen
                .unwrap_or(SocketAddr::new(IpAddr::from([127, 0, 0, 3]), 5060));
            Lab::external(
                opts,
                ExternalSut {
                    pcscf,
                    pcscf_encap_port: a.pcscf_encap_port,
                    scscf,
                    ue,
                    realm: a.realm.clone(),
                },
            )
        }
    }
    .map_err(|e| UsageError(e.to_string()))?;
    let (steps, expected) = match a.phase {
        PhaseArg::Full => (scenario::registration_cycle(&mut lab), 5),
        PhaseArg::Unprotected => {
            let s = scenario::unprotected_phase(&mut lab);
            let n = s.len();
            (s, n)
        }
    };
    lab.stop();
    let failed = steps.iter().filter(|s| !s.ok).count();
    let missing = expected - steps.len().min(expected);
    if a.json {
        print_json(&serde_json::json!({ "sut": a.sut, "steps": steps }))?;
    } else {
        for s in &steps {
            println!(
                "{} {}: {}",
                if s.ok { "ok  " } else { "FAIL" },
                s.name,
                s.detail
            );
        }
        if missing > 0 {
            println!("({missing} later steps not run after the failure)");
        }
        println!(
            "{} passed, {} failed",
            steps.len() - failed,
            failed + missing
        );
    }
    Ok(if failed == 0 && missing == 0 {
        EXIT_OK
    } else {
        EXIT_FAIL
    })
}
