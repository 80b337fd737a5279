//! `imsec za probe`: one IKEv2 exchange with a security gateway (TS 33.210 Za), printing what
//! it answered to the proposed child SAs. Exit 0: no SA without encryption was set up;
//! 1: the SEG selected an ESP child (or IKE SA) without encryption; 2: no answer / usage.

use super::{print_json, UsageError, EXIT_FAIL, EXIT_OK};
use crate::engine::za::{self, profile, InitiateStep, SegSut, SegTarget};
use crate::mech::ikev2::consts::notify_name;
use crate::mech::ikev2::Proposal;
use clap::{Args, Subcommand};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

#[derive(Args, Debug)]
pub struct ZaArgs {
    #[command(subcommand)]
    pub cmd: ZaCmd,
}

#[derive(Subcommand, Debug)]
pub enum ZaCmd {
    /// Initiate IKEv2 towards a SEG and propose child SAs; print its answer.
    Probe(ProbeArgs),
}

#[derive(Args, Debug)]
pub struct ProbeArgs {
    /// The SEG's IKE address (ADDR:PORT), or `builtin:seg[:flaw]` for the built-in one.
    #[arg(long)]
    pub peer: String,
    /// Pre-shared key (ignored for the built-in SEG).
    #[arg(long, default_value = "")]
    pub psk: String,
    /// The SEG's NAT-T port.
    #[arg(long, default_value_t = 4500)]
    pub natt_port: u16,
    /// The harness's address (initiator source).
    #[arg(long, default_value = "0.0.0.0")]
    pub local: IpAddr,
    /// The harness's identity (IDi).
    #[arg(long, default_value = "harness.imsec.test")]
    pub id: String,
    /// Child SA proposals, strongSwan syntax (repeatable): null-sha1, aes128gcm16, ...
    #[arg(long = "child", default_values_t = ["null-sha1".to_string()])]
    pub child: Vec<String>,
    /// IKE SA proposals (repeatable; default: AES-CBC + SHA2-256/SHA1, MODP-2048/Curve25519/ECP-256).
    #[arg(long = "ike")]
    pub ike: Vec<String>,
    #[arg(long, default_value_t = 5000)]
    pub timeout_ms: u64,
    #[arg(long)]
    pub json: bool,
}

fn desc(p: &Option<Proposal>) -> Option<String> {
    p.as_ref().map(Proposal::describe)
}

pub fn run(a: ZaArgs) -> Result<u8, UsageError> {
    let ZaCmd::Probe(p) = a.cmd;
    let mut seg: SegSut = match profile::builtin(&p.peer) {
        Some(s) => s?,
        None => {
            let peer: SocketAddr = p
                .peer
                .parse()
                .map_err(|e| UsageError(format!("--peer '{}': {e}", p.peer)))?;
            SegSut {
                target: SegTarget::External {
                    seg: peer,
                    natt_port: p.natt_port,
                    harness: p.local,
                    harness_ike_port: 500,
                    harness_natt_port: 4500,
                    initiate_command: None,
                },
                psk: p.psk.clone().into_bytes(),
                harness_id: p.id.clone(),
                ike_proposals: profile::default_ike(),
            }
        }
    };
    if !p.ike.is_empty() {
        seg.ike_proposals = p.ike.clone();
    }
    let step = InitiateStep {
        id: None,
        child: p.child.clone(),
        ike: None,
        control: false,
    };
    step.validate().map_err(UsageError)?;
    let (out, problem) = za::probe(&seg, &step, Duration::from_millis(p.timeout_ms));
    let Some(o) = out else {
        return Err(UsageError(problem.unwrap_or_else(|| "no exchange".into())));
    };
    let null_child = o
        .child_selected
        .as_ref()
        .is_some_and(|c| c.without_confidentiality());
    let null_ike = o
        .ike_selected
        .as_ref()
        .is_some_and(|c| c.without_confidentiality());
    let errors: Vec<String> = o
        .auth_errors
        .iter()
        .chain(o.init_error.iter())
        .map(|e| notify_name(*e).map(str::to_string).unwrap_or(e.to_string()))
        .collect();
    if !null_child && !null_ike && o.ike_selected.is_none() && o.init_error.is_none() {
        for l in &o.log {
            eprintln!("{l}");
        }
        return Err(UsageError(
            problem.unwrap_or_else(|| "no answer from the SEG".into()),
        ));
    }
    if p.json {
        print_json(&serde_json::json!({
            "ike_selected": desc(&o.ike_selected),
            "ike_sa_established": o.ike_sa_established,
            "peer_auth_ok": o.peer_auth_ok,
            "natt": o.natt,
            "child_offered": o.child_offered.iter().map(Proposal::describe).collect::<Vec<_>>(),
            "child_selected": desc(&o.child_selected),
            "error_notifies": errors,
            "without_encryption": null_child || null_ike,
            "problem": problem,
            "log": o.log,
        }))?;
    } else {
        for l in &o.log {
            println!("{l}");
        }
        if let Some(pr) = &problem {
            println!("problem: {pr}");
        }
        println!(
            "verdict: {}",
            if null_child || null_ike {
                "the SEG set up an SA without encryption (TS 33.210 Za forbids it)"
            } else if o.child_selected.is_some() {
                "child SA with encryption"
            } else {
                "no child SA"
            }
        );
    }
    if null_child || null_ike {
        return Ok(EXIT_FAIL);
    }
    Ok(EXIT_OK)
}
