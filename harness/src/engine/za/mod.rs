//! The Za probe (TS 33.210 NDS/IP between security gateways): cases whose SUT is a security
//! gateway (SEG). The harness plays the peer SEG over IKEv2 (RFC 7296): as initiator it
//! proposes child SAs and records the answer; as responder it records what the SEG offers.
//! Checks judge that no ESP child SA (and no IKE SA) ever goes without encryption: seed 000,
//! clause C.2 of the TS 33.210/33.203 excerpt ("IPSec ESP shall be used with both encryption
//! and integrity protection for all SIP signalling traversing inter-security domain
//! boundaries"; "integrity-only mode is NOT permited").

pub mod checks;
pub mod io;
pub mod profile;

use super::case::{step_ids, Action, Case, Topology};
use super::model::{CaseResult, TraceEvent, Verdict};
use super::sut::Sut;
use crate::mech::ikev2::consts::proto;
use crate::roles::ike::initiator::{Initiator, InitiatorConfig, InitiatorOutcome};
use crate::roles::ike::proposal::parse_list;
use crate::roles::ike::responder::{Responder, ResponderLog, ResponderPolicy};
use crate::roles::ike::seg::{self, SegFlaws};
use crate::roles::ike::session::parse_identity;
use io::Ports;
pub use profile::{SegSut, SegTarget};
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// `do: ike_initiate`: the harness initiates an IKE SA and proposes `child` (strongSwan
/// proposal syntax, e.g. `null-sha1`, `aes128gcm16`); `ike` overrides the IKE proposals.
/// With `control: true` the step is a positive control: unless the SEG sets up a child SA
/// with encryption, the case is inconclusive (a dead or misconfigured SEG is never a pass).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct InitiateStep {
    #[serde(default)]
    pub id: Option<String>,
    pub child: Vec<String>,
    #[serde(default)]
    pub ike: Option<Vec<String>>,
    #[serde(default)]
    pub control: bool,
}

impl InitiateStep {
    /// Checks the proposal strings (at load time).
    pub fn validate(&self) -> Result<(), String> {
        parse_list(&self.child, proto::ESP)?;
        if let Some(i) = &self.ike {
            parse_list(i, proto::IKE)?;
        }
        if self.child.is_empty() {
            return Err("child: name at least one proposal".into());
        }
        Ok(())
    }
}

/// `do: ike_respond`: the SEG initiates (the built-in one by itself; an external one through
/// the profile's `initiate_command`) and the harness answers as a conformant responder.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RespondStep {
    #[serde(default)]
    pub id: Option<String>,
}

/// What one step observed.
#[derive(Debug, Clone)]
pub enum Observed {
    Initiated(InitiatorOutcome),
    Responded(ResponderLog),
    Nothing,
}

/// One step's record.
#[derive(Debug, Clone)]
pub struct ZaRecord {
    pub id: String,
    pub observed: Observed,
    pub problem: Option<String>,
    pub started_ms: u64,
}

fn ephemeral_ports(ip: IpAddr) -> Result<Ports, String> {
    Ports::bind(ip, 0, 0).map_err(|e| format!("bind {ip}: {e}"))
}

/// The built-in SEG serving as responder on loopback for the length of a case.
struct BuiltinSeg {
    ike: SocketAddr,
    natt: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
    flaws: SegFlaws,
}

impl BuiltinSeg {
    fn start(flaws: &SegFlaws, deadline: Instant) -> Result<BuiltinSeg, String> {
        let ports = ephemeral_ports(IpAddr::V4(Ipv4Addr::LOCALHOST))?;
        let (ike, natt) = (ports.ike_addr(), ports.natt_addr());
        let stop = Arc::new(AtomicBool::new(false));
        let s2 = stop.clone();
        let policy = seg::responder_policy(flaws, ike);
        let thread = std::thread::spawn(move || {
            let mut r = Responder::new(policy, crate::roles::ike::os_rng());
            io::serve_responder(&mut r, &ports, &s2, deadline, false);
        });
        Ok(BuiltinSeg {
            ike,
            natt,
            stop,
            thread: Some(thread),
            flaws: flaws.clone(),
        })
    }
}

impl Drop for BuiltinSeg {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn initiate(
    seg_sut: &SegSut,
    builtin: Option<&BuiltinSeg>,
    step: &InitiateStep,
    timeout: Duration,
) -> (Observed, Option<String>) {
    let ike = step
        .ike
        .clone()
        .unwrap_or_else(|| seg_sut.ike_proposals.clone());
    let (ike, child) = match (
        parse_list(&ike, proto::IKE),
        parse_list(&step.child, proto::ESP),
    ) {
        (Ok(i), Ok(c)) => (i, c),
        (Err(e), _) | (_, Err(e)) => return (Observed::Nothing, Some(e)),
    };
    let (local_ip, peer, peer_natt) = match (&seg_sut.target, builtin) {
        (_, Some(b)) => (IpAddr::V4(Ipv4Addr::LOCALHOST), b.ike, b.natt),
        (
            SegTarget::External {
                seg,
                natt_port,
                harness,
                ..
            },
            None,
        ) => (*harness, *seg, SocketAddr::new(seg.ip(), *natt_port)),
        (SegTarget::Builtin(_), None) => {
            return (Observed::Nothing, Some("built-in SEG not started".into()))
        }
    };
    let ports = match ephemeral_ports(local_ip) {
        Ok(p) => p,
        Err(e) => return (Observed::Nothing, Some(e)),
    };
    let cfg = InitiatorConfig {
        psk: seg_sut.psk.clone(),
        local_id: parse_identity(&seg_sut.harness_id),
        ike_proposals: ike,
        child_proposals: child,
        local: ports.ike_addr(),
        remote: peer,
    };
    let mut init = Initiator::new(cfg, crate::roles::ike::os_rng());
    let r = io::run_initiator(&mut init, &ports, peer, peer_natt, Instant::now() + timeout);
    let out = init.outcome.clone();
    let mut problem = r.err().or_else(|| out.problem.clone());
    if problem.is_none() && out.ike_sa_established && out.peer_auth_ok == Some(false) {
        problem = Some("the SEG's AUTH payload does not verify with the profile's PSK".into());
    }
    if problem.is_none() && step.control {
        let ok = out
            .child_selected
            .as_ref()
            .is_some_and(|p| !p.without_confidentiality());
        if !ok {
            problem = Some(format!(
                "positive control: the SEG did not set up a child SA with encryption ({})",
                out.log
                    .last()
                    .cloned()
                    .unwrap_or_else(|| "no answer".into())
            ));
        }
    }
    (Observed::Initiated(out), problem)
}

fn respond(
    seg_sut: &SegSut,
    builtin: Option<&BuiltinSeg>,
    timeout: Duration,
) -> (Observed, Option<String>) {
    let deadline = Instant::now() + timeout;
    let ports = match (&seg_sut.target, builtin) {
        (_, Some(_)) => ephemeral_ports(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        (
            SegTarget::External {
                harness,
                harness_ike_port,
                harness_natt_port,
                ..
            },
            None,
        ) => Ports::bind(*harness, *harness_ike_port, *harness_natt_port)
            .map_err(|e| format!("bind {harness}:{harness_ike_port}/{harness_natt_port}: {e}")),
        (SegTarget::Builtin(_), None) => Err("built-in SEG not started".into()),
    };
    let ports = match ports {
        Ok(p) => p,
        Err(e) => return (Observed::Nothing, Some(e)),
    };
    let policy = ResponderPolicy {
        psk: seg_sut.psk.clone(),
        local_id: parse_identity(&seg_sut.harness_id),
        ike_accept: seg::conformant_ike(),
        child_accept: seg::conformant_esp(),
        local: ports.ike_addr(),
    };
    let mut resp = Responder::new(policy, crate::roles::ike::os_rng());
    let stop = Arc::new(AtomicBool::new(false));
    // Make the SEG initiate.
    let trigger: Option<std::thread::JoinHandle<Option<String>>> = match (&seg_sut.target, builtin)
    {
        (_, Some(b)) => {
            let (ike, child) = seg::initiator_offers(&b.flaws);
            let cfg = InitiatorConfig {
                psk: seg::BUILTIN_PSK.to_vec(),
                local_id: parse_identity(seg::BUILTIN_ID),
                ike_proposals: ike,
                child_proposals: child,
                local: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
                remote: ports.ike_addr(),
            };
            let (to, to_natt) = (ports.ike_addr(), ports.natt_addr());
            Some(std::thread::spawn(move || {
                let p = ephemeral_ports(IpAddr::V4(Ipv4Addr::LOCALHOST)).ok()?;
                let mut i = Initiator::new(cfg, crate::roles::ike::os_rng());
                io::run_initiator(&mut i, &p, to, to_natt, deadline).err()
            }))
        }
        (
            SegTarget::External {
                initiate_command: Some(cmd),
                ..
            },
            None,
        ) => {
            let cmd = cmd.clone();
            Some(std::thread::spawn(move || run_command(&cmd, deadline)))
        }
        _ => None,
    };
    // Serve until the child SA question is settled (or the SEG deleted the IKE SA).
    let mut buf = vec![0u8; 65_535];
    let mut settled: Option<Instant> = None;
    while Instant::now() < deadline && !stop.load(Ordering::Relaxed) {
        if let Some((m, from, natt)) = ports.recv(&mut buf) {
            if let Some(out) = resp.handle(&m, from) {
                let _ = ports.send(&out, from, natt);
            }
        }
        let r = &resp.record;
        if settled.is_none()
            && (!r.child_selected.is_empty()
                || r.child_refused > 0
                || r.peer_auth_ok == Some(false))
        {
            settled = Some(Instant::now());
        }
        if r.deleted || settled.is_some_and(|t| t.elapsed() > Duration::from_millis(1500)) {
            break;
        }
    }
    stop.store(true, Ordering::Relaxed);
    let trigger_problem = trigger.and_then(|t| t.join().ok().flatten());
    let rec = resp.record.clone();
    let problem = if rec.ike_offered.is_empty() {
        Some(format!(
            "the SEG did not initiate an IKE SA towards {}{}",
            ports.ike_addr(),
            trigger_problem
                .map(|p| format!(" ({p})"))
                .unwrap_or_default()
        ))
    } else if rec.peer_auth_ok == Some(false) {
        Some("the SEG's AUTH payload does not verify with the profile's PSK".into())
    } else {
        None
    };
    (Observed::Responded(rec), problem)
}

/// Runs `cmd` through `sh -c`, killing it at `deadline`; returns a problem description.
fn run_command(cmd: &str, deadline: Instant) -> Option<String> {
    let mut child = match std::process::Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => return Some(format!("initiate_command: {e}")),
    };
    loop {
        match child.try_wait() {
            Ok(Some(_)) => return None,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Some("initiate_command did not finish before the step timeout".into());
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Some(format!("initiate_command: {e}")),
        }
    }
}

fn trace_of(records: &[ZaRecord]) -> Vec<TraceEvent> {
    let mut out = Vec::new();
    for r in records {
        let lines: &[String] = match &r.observed {
            Observed::Initiated(o) => &o.log,
            Observed::Responded(l) => &l.log,
            Observed::Nothing => &[],
        };
        for l in lines {
            let (from, to) = if l.starts_with("->") {
                ("harness", "SEG")
            } else {
                ("SEG", "harness")
            };
            out.push(TraceEvent {
                t_ms: r.started_ms,
                from: from.into(),
                to: to.into(),
                summary: l
                    .trim_start_matches("-> ")
                    .trim_start_matches("<- ")
                    .to_string(),
                sip: None,
                esp: None,
                step: Some(r.id.clone()),
                frame: None,
            });
        }
    }
    out
}

/// Runs a case against a SEG SUT.
pub fn run_case(case: &Case, sut: &Sut, seg_sut: &SegSut) -> CaseResult {
    let mut result = CaseResult {
        id: case.id.clone(),
        title: case.title.clone(),
        area: case.area.clone(),
        file: super::runner::display_path(&case.file),
        verdict: Verdict::NotApplicable,
        requirements: case.requirement.clone(),
        tags: case.tags.clone(),
        duration_ms: 0,
        checks: Vec::new(),
        reason: None,
        trace: Vec::new(),
        files: Default::default(),
    };
    if !case.applies_to.topology.contains(&Topology::Seg) {
        result.reason = Some(
            "the case is for a P-CSCF (or an IMS core); the SUT is a security gateway (Za)".into(),
        );
        return result;
    }
    let start = Instant::now();
    let timeout = case
        .timeout_ms
        .map(Duration::from_millis)
        .unwrap_or(sut.timeout);
    let builtin = match &seg_sut.target {
        SegTarget::Builtin(f) => {
            // Long enough for every step; stopped when the case ends.
            let total = timeout.saturating_mul(u32::try_from(case.steps.len() + 1).unwrap_or(8));
            match BuiltinSeg::start(f, Instant::now() + total) {
                Ok(b) => Some(b),
                Err(e) => {
                    result.verdict = Verdict::Error;
                    result.reason = Some(format!("built-in SEG: {e}"));
                    return result;
                }
            }
        }
        SegTarget::External { .. } => None,
    };
    let mut records: Vec<ZaRecord> = Vec::new();
    for (id, action) in step_ids(case).iter().zip(&case.steps) {
        let started_ms = start.elapsed().as_millis() as u64;
        let (observed, problem) = match action {
            Action::IkeInitiate(s) => initiate(seg_sut, builtin.as_ref(), s, timeout),
            Action::IkeRespond(_) => respond(seg_sut, builtin.as_ref(), timeout),
            other => (
                Observed::Nothing,
                Some(format!(
                    "step '{}' is for a P-CSCF, not a SEG",
                    other.name()
                )),
            ),
        };
        let stop = problem.is_some();
        records.push(ZaRecord {
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
    result.verdict = verdict;
    result.reason = reason;
    result.checks = results;
    result.trace = trace_of(&records);
    result.duration_ms = start.elapsed().as_millis() as u64;
    result
}

/// One `ike_initiate` exchange outside the catalogue (`imsec za probe`): starts the built-in
/// SEG when `seg_sut` is one. Returns what was observed and the problem, if any.
pub fn probe(
    seg_sut: &SegSut,
    step: &InitiateStep,
    timeout: Duration,
) -> (Option<InitiatorOutcome>, Option<String>) {
    let builtin = match &seg_sut.target {
        SegTarget::Builtin(f) => match BuiltinSeg::start(f, Instant::now() + timeout) {
            Ok(b) => Some(b),
            Err(e) => return (None, Some(e)),
        },
        SegTarget::External { .. } => None,
    };
    let (obs, problem) = initiate(seg_sut, builtin.as_ref(), step, timeout);
    match obs {
        Observed::Initiated(o) => (Some(o), problem),
        _ => (None, problem),
    }
}
