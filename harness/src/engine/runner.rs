//! Runs cases: applicability against the SUT profile, a fresh lab per case (so cases can run
//! in parallel: each lab has its own loopback addresses and its own UE identity), the steps,
//! the checks, the verdict, the trace and the per-case capture.

use super::case::{step_ids, Action, Case};
use super::checks::{evaluate, Observations};
use super::model::{
    CaseFiles, CaseResult, CheckResult, EspMeta, Evidence, Requirement, TraceEvent, Verdict,
};
use super::steps::{self, StepRecord, Timing};
use super::sut::{Sut, SutKind};
use crate::lab::{ExternalSut, Lab, LabOptions};
use crate::mech::esp::saset::SaParams;
use crate::mech::esp::uat::{IpFamily, UatSa};
use crate::net::Wire;
use crate::roles::SipTransport;
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

/// Why a case does not apply to a SUT, if it does not.
pub fn not_applicable(case: &Case, sut: &Sut) -> Option<String> {
    let a = &case.applies_to;
    if !a.topology.contains(&sut.topology) {
        return Some(format!(
            "the case is for topologies {:?}; the SUT is {:?}",
            a.topology, sut.topology
        ));
    }
    if a.mechanism.eq_ignore_ascii_case("tls-sec-agree") {
        if let Some(why) = super::tlsagree::not_applicable(sut) {
            return Some(why);
        }
    } else if !a.mechanism.eq_ignore_ascii_case("ipsec-3gpp") {
        return Some(format!(
            "mechanism {} is not offered by this SUT profile",
            a.mechanism
        ));
    }
    if !a.modes.is_empty() && !a.modes.iter().any(|m| m == sut.mode.token()) {
        return Some(format!(
            "the case is for modes {:?}; the SUT runs {}",
            a.modes,
            sut.mode.token()
        ));
    }
    if a.needs_core_view && sut.topology != super::case::Topology::Pcscf {
        return Some("the case needs the core view (what the P-CSCF forwards)".into());
    }
    if a.e2ae_media && !sut.e2ae_media {
        return Some(
            "the SUT profile has no IMS-ALG for e2ae media security (e2ae_media: false, TS 33.328)"
                .into(),
        );
    }
    None
}

fn lab_for(sut: &Sut, timeout: Duration, transport: SipTransport) -> Result<Lab, String> {
    let opts = LabOptions {
        transport,
        mode: sut.mode,
        offers: sut.offers.clone(),
        flaws: match &sut.kind {
            SutKind::Builtin(f) => f.clone(),
            SutKind::External { .. } | SutKind::Seg(_) | SutKind::Tls(_) => Default::default(),
        },
        step_timeout: timeout,
    };
    match &sut.kind {
        SutKind::Builtin(_) => Lab::builtin(opts),
        SutKind::Seg(_) => return Err("a security gateway has no SIP lab".into()),
        SutKind::Tls(_) => return Err("a TLS endpoint has no SIP lab".into()),
        SutKind::External {
            pcscf,
            encap_port,
            scscf_listen,
            ue_addr,
            realm,
        } => Lab::external(
            opts,
            ExternalSut {
                pcscf: *pcscf,
                pcscf_encap_port: *encap_port,
                scscf: *scscf_listen,
                ue: *ue_addr,
                realm: realm.clone(),
            },
        ),
    }
    .map_err(|e| e.to_string())
    .and_then(|mut lab| {
        super::tlsagree::attach(&mut lab, sut)?;
        Ok(lab)
    })
}

/// A case file as `testcases/<area>/<file>` when it lives in a catalogue folder of that name,
/// else as given.
pub(crate) fn display_path(p: &Path) -> String {
    let parts: Vec<_> = p.components().collect();
    match parts
        .iter()
        .rposition(|c| c.as_os_str() == std::ffi::OsStr::new("testcases"))
    {
        Some(i) => parts[i..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/"),
        None => p.display().to_string(),
    }
}

fn skeleton(case: &Case, verdict: Verdict, reason: Option<String>) -> CaseResult {
    CaseResult {
        id: case.id.clone(),
        title: case.title.clone(),
        area: case.area.clone(),
        file: display_path(&case.file),
        verdict,
        requirements: case.requirement.clone(),
        tags: case.tags.clone(),
        duration_ms: 0,
        checks: Vec::new(),
        reason,
        trace: Vec::new(),
        files: CaseFiles::default(),
    }
}

/// Runs one case against the SUT. `out_dir`: where its pcapng and esp_sa go (if any).
pub fn run_case(case: &Case, sut: &Sut, reveal_keys: bool, out_dir: Option<&Path>) -> CaseResult {
    if let SutKind::Seg(seg) = &sut.kind {
        return super::za::run_case(case, sut, seg);
    }
    if let SutKind::Tls(t) = &sut.kind {
        return super::tls::run_case(case, sut, t, out_dir);
    }
    if let Some(why) = not_applicable(case, sut) {
        return skeleton(case, Verdict::NotApplicable, Some(why));
    }
    let start = Instant::now();
    let wall = SystemTime::now();
    let timing = Timing {
        timeout: case
            .timeout_ms
            .map(Duration::from_millis)
            .unwrap_or(sut.timeout),
        silence: Duration::from_millis(case.silence_ms.unwrap_or(1000)),
    };
    let mut lab = match lab_for(sut, timing.timeout, case.transport.unwrap_or(sut.transport)) {
        Ok(l) => l,
        Err(e) => return skeleton(case, Verdict::Error, Some(format!("lab set-up: {e}"))),
    };
    lab.ue.mediasec = sut.e2ae_media;
    let ids = step_ids(case);
    // Every harness TLS session writes its keys next to the case's pcapng: the sec-agree TLS
    // connection, and the UE's MSRP sessions with the access gateway.
    let msrp = case
        .steps
        .iter()
        .any(|s| matches!(s, Action::Media(m) if m.msrp.is_some()));
    let keylog = out_dir
        .filter(|_| {
            msrp || case
                .applies_to
                .mechanism
                .eq_ignore_ascii_case("tls-sec-agree")
        })
        .map(|d| crate::net::tls::case_keylog_path(d, &case.id));
    if let Some(p) = &keylog {
        let _ = super::tlsagree::keylog(&mut lab, p);
    }
    let mut records: Vec<StepRecord> = Vec::new();
    let mut sas: BTreeMap<u32, SaParams> = BTreeMap::new();
    for (id, action) in ids.iter().zip(&case.steps) {
        let rec = match action {
            Action::Replay { of, .. } => match records.iter().find(|r| &r.id == of) {
                Some(earlier) => steps::replay(&mut lab, id, &earlier.clone(), timing),
                None => {
                    let mut r = steps::run(&mut lab, id, action, timing);
                    r.problem = Some(format!("no earlier step '{of}'"));
                    r
                }
            },
            _ => steps::run(&mut lab, id, action, timing),
        };
        for set in lab.ue.sa_sets() {
            for p in lab.ue.sa_params(set) {
                sas.insert(p.spi, p);
            }
        }
        let stop = rec.problem.is_some();
        records.push(rec);
        if stop {
            break;
        }
    }
    let (core, registered) = match lab.scscf.node.lock() {
        Ok(s) => (s.exchanges.clone(), s.is_registered(&lab.ue.cfg.impi)),
        Err(_) => (Vec::new(), false),
    };
    let tls_notes = lab.ue_net.tls_notes();
    lab.stop();
    let has_core = sut.topology == super::case::Topology::Pcscf;
    let (trace, seen_map, core_map) = build_trace(&lab, &core, &records, start, reveal_keys);
    let seen_to_trace = |i: usize| seen_map.get(&i).copied();
    let core_to_trace = |i: usize| core_map.get(&i).copied();
    let obs = Observations {
        seen: &lab.seen,
        core: has_core.then_some(core.as_slice()),
        core_registered: has_core.then_some(registered),
        steps: &records,
        seen_to_trace: &seen_to_trace,
        core_to_trace: &core_to_trace,
        confidentiality_required: sut.confidentiality_required,
    };
    let problem = records
        .iter()
        .find_map(|r| r.problem.as_ref().map(|p| (r.id.clone(), p.clone())));
    let (verdict, reason, checks) = judge(case, problem, |e| {
        let mut r = super::tlsagree::evaluate_sessions(e, &obs, &tls_notes)
            .unwrap_or_else(|| evaluate(e, &obs));
        if !reveal_keys {
            r.evidence.summary = super::report::redact(&r.evidence.summary);
        }
        r
    });
    let mut result = skeleton(case, verdict, reason);
    result.checks = checks;
    result.duration_ms = start.elapsed().as_millis() as u64;
    if let Some(dir) = out_dir {
        result.files = write_case_files(dir, &case.id, &lab, &core, &sas, wall, start);
        if let Some(p) = &keylog {
            if std::fs::metadata(p).map(|m| m.len() > 0).unwrap_or(false) {
                result.files.tls_keylog = p.file_name().map(|n| n.to_string_lossy().into_owned());
            } else {
                let _ = std::fs::remove_file(p);
            }
        }
    }
    result.trace = trace;
    result
}

/// A failed check decides; else a step that could not complete makes the case inconclusive;
/// else every check must pass (not-applicable checks are ignored, an error is an error).
/// Evaluates every expectation of `case` with `eval` (each result cites the case's
/// requirements) and decides the verdict. When a step could not complete (`problem`: step id,
/// why), the checks that passed are only inconclusive: silence is never a pass. One verdict
/// rule for every kind of SUT (P-CSCF, SEG, TLS endpoint).
pub(crate) fn judge(
    case: &Case,
    problem: Option<(String, String)>,
    eval: impl Fn(&super::case::Expect) -> CheckResult,
) -> (Verdict, Option<String>, Vec<CheckResult>) {
    let refs: Vec<String> = case
        .requirement
        .iter()
        .map(Requirement::reference)
        .collect();
    let mut checks: Vec<CheckResult> = case
        .expect
        .iter()
        .map(|e| {
            let mut r = eval(e);
            r.requirements = refs.clone();
            r
        })
        .collect();
    let (verdict, reason) = decide(&checks, problem);
    if verdict == Verdict::Inconclusive {
        for c in &mut checks {
            if c.verdict == Verdict::Pass {
                c.verdict = Verdict::Inconclusive;
                c.evidence
                    .summary
                    .push_str(" (but an earlier step could not complete)");
            }
        }
    }
    (verdict, reason, checks)
}

fn decide(checks: &[CheckResult], problem: Option<(String, String)>) -> (Verdict, Option<String>) {
    if let Some(f) = checks.iter().find(|c| c.verdict == Verdict::Fail) {
        return (
            Verdict::Fail,
            Some(format!("{}: {}", f.check, f.evidence.summary)),
        );
    }
    if let Some(e) = checks.iter().find(|c| c.verdict == Verdict::Error) {
        return (
            Verdict::Error,
            Some(format!("{}: {}", e.check, e.evidence.summary)),
        );
    }
    if let Some((id, p)) = problem {
        return (
            Verdict::Inconclusive,
            Some(format!("step '{id}' could not complete: {p}")),
        );
    }
    if let Some(i) = checks.iter().find(|c| c.verdict == Verdict::Inconclusive) {
        return (
            Verdict::Inconclusive,
            Some(format!("{}: {}", i.check, i.evidence.summary)),
        );
    }
    if checks.iter().all(|c| c.verdict == Verdict::NotApplicable) {
        return (
            Verdict::NotApplicable,
            Some("no check applies to this SUT".into()),
        );
    }
    (Verdict::Pass, None)
}

fn summary_of(sip: Option<&crate::mech::sip::SipMessage>, wire: &Wire) -> String {
    match sip {
        Some(m) => m.start.to_string(),
        None => match wire {
            Wire::Udp { payload, .. } => format!("{} octets (not SIP)", payload.len()),
            Wire::Ip { packet } => format!("IP packet, {} octets", packet.len()),
            Wire::Tcp { payload, .. } => format!("{} octets on TCP (not SIP)", payload.len()),
            Wire::Tls { payload, .. } => format!("{} octets on TLS (not SIP)", payload.len()),
        },
    }
}

type Maps = (
    Vec<TraceEvent>,
    BTreeMap<usize, usize>,
    BTreeMap<usize, usize>,
);

fn build_trace(
    lab: &Lab,
    core: &[crate::roles::scscf::Exchange],
    records: &[StepRecord],
    start: Instant,
    reveal: bool,
) -> Maps {
    // (time, kind, index): kind 0 = seen, 1 = core request, 2 = core response.
    let mut items: Vec<(Instant, u8, usize)> = Vec::new();
    for (i, s) in lab.seen.iter().enumerate() {
        items.push((s.at, 0, i));
    }
    for (i, x) in core.iter().enumerate() {
        items.push((x.at, 1, i));
        items.push((x.at, 2, i));
    }
    items.sort_by_key(|(t, k, i)| (*t, *k, *i));
    let step_of = |t: Instant| {
        records
            .iter()
            .rev()
            .find(|r| r.started <= t)
            .map(|r| r.id.clone())
    };
    let red = |s: String| if reveal { s } else { super::report::redact(&s) };
    let mut trace = Vec::new();
    let (mut seen_map, mut core_map) = (BTreeMap::new(), BTreeMap::new());
    for (t, kind, i) in items {
        let t_ms = t.saturating_duration_since(start).as_millis() as u64;
        let ev = match kind {
            0 => {
                let s = &lab.seen[i];
                seen_map.insert(i, trace.len());
                let esp = s.delivered.as_ref().map(|d| EspMeta {
                    spi: d.spi,
                    seq: d.seq,
                    sa_index: Some(d.sa_index),
                });
                let esp = esp.or_else(|| {
                    let encap = lab.ue.cfg.encap_port;
                    let tunnel =
                        lab.ue.cfg.mode == crate::mech::secagree::ipsec::IpsecMode::UdpEncTunnel;
                    match &s.wire {
                        // A datagram is ESP only when it left the encapsulation port.
                        Wire::Udp { local, .. } if s.sent && tunnel && local.port() == encap => {
                            sent_esp_meta(&s.wire)
                        }
                        Wire::Ip { .. } if s.sent => sent_esp_meta(&s.wire),
                        _ => None,
                    }
                });
                let mut summary = summary_of(s.sip.as_ref(), &s.wire);
                if let Some(d) = &s.delivered {
                    if d.dummy {
                        summary = "ESP dummy packet (Next Header 59)".into();
                    }
                }
                if let Some(why) = &s.dropped {
                    summary = format!("ESP dropped by the UE: {why}");
                }
                TraceEvent {
                    t_ms,
                    from: if s.sent { "UE" } else { "P-CSCF" }.into(),
                    to: if s.sent { "P-CSCF" } else { "UE" }.into(),
                    summary,
                    sip: s
                        .sip
                        .as_ref()
                        .map(|m| red(String::from_utf8_lossy(&m.to_bytes()).into_owned())),
                    esp,
                    step: step_of(s.at),
                    frame: None,
                }
            }
            1 => {
                core_map.insert(i, trace.len());
                let m = &core[i].request;
                TraceEvent {
                    t_ms,
                    from: "P-CSCF".into(),
                    to: "S-CSCF".into(),
                    summary: m.start.to_string(),
                    sip: Some(red(String::from_utf8_lossy(&m.to_bytes()).into_owned())),
                    esp: None,
                    step: step_of(core[i].at),
                    frame: None,
                }
            }
            _ => {
                let m = &core[i].response;
                TraceEvent {
                    t_ms,
                    from: "S-CSCF".into(),
                    to: "P-CSCF".into(),
                    summary: m.start.to_string(),
                    sip: Some(red(String::from_utf8_lossy(&m.to_bytes()).into_owned())),
                    esp: None,
                    step: step_of(core[i].at),
                    frame: None,
                }
            }
        };
        trace.push(ev);
    }
    (trace, seen_map, core_map)
}

/// SPI and sequence number of an ESP packet the UE sent (UDP-encapsulated or raw).
fn sent_esp_meta(w: &Wire) -> Option<EspMeta> {
    let esp = match w {
        Wire::Tcp { .. } | Wire::Tls { .. } => return None,
        Wire::Udp { payload, .. } => payload.as_slice(),
        Wire::Ip { packet } => {
            let ihl = usize::from(packet.first()? & 0x0f) * 4;
            match packet.first()? >> 4 {
                4 if packet.get(9) == Some(&50) => packet.get(ihl..)?,
                6 if packet.get(6) == Some(&50) => packet.get(40..)?,
                _ => return None,
            }
        }
    };
    let spi = u32::from_be_bytes(esp.get(0..4)?.try_into().ok()?);
    let seq = u32::from_be_bytes(esp.get(4..8)?.try_into().ok()?);
    if spi <= 255 {
        return None;
    }
    Some(EspMeta {
        spi,
        seq,
        sa_index: None,
    })
}

/// An IP packet for a UDP datagram (for the pcapng of a case).
fn udp_packet(src: SocketAddr, dst: SocketAddr, payload: &[u8]) -> Option<Vec<u8>> {
    use crate::mech::esp::encap;
    let mut seg = Vec::with_capacity(payload.len() + 8);
    encap::emit_udp_checksummed(
        src.ip(),
        dst.ip(),
        src.port(),
        dst.port(),
        payload,
        &mut seg,
    )
    .ok()?;
    let mut p = Vec::with_capacity(seg.len() + 40);
    match (src.ip(), dst.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => encap::emit_ipv4(s, d, 17, 64, &seg, &mut p).ok()?,
        (IpAddr::V6(s), IpAddr::V6(d)) => encap::emit_ipv6(s, d, 17, 64, &seg, &mut p).ok()?,
        _ => return None,
    }
    Some(p)
}

/// An IP packet carrying a TCP segment (PSH|ACK, no options) for the pcapng of a case.
fn tcp_packet(src: SocketAddr, dst: SocketAddr, seq: u32, payload: &[u8]) -> Option<Vec<u8>> {
    use crate::mech::esp::encap;
    let mut seg = Vec::with_capacity(payload.len() + 20);
    seg.extend_from_slice(&src.port().to_be_bytes());
    seg.extend_from_slice(&dst.port().to_be_bytes());
    seg.extend_from_slice(&seq.to_be_bytes());
    seg.extend_from_slice(&1u32.to_be_bytes());
    seg.extend_from_slice(&[0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0]);
    seg.extend_from_slice(payload);
    use crate::wire::checksum;
    let len = u32::try_from(seg.len()).ok()?;
    let ck = checksum::finish(&[
        checksum::pseudo_header(src.ip(), dst.ip(), 6, len),
        checksum::sum(&seg),
    ]);
    if let Some(c) = seg.get_mut(16..18) {
        c.copy_from_slice(&ck.to_be_bytes());
    }
    let mut p = Vec::with_capacity(seg.len() + 40);
    match (src.ip(), dst.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => encap::emit_ipv4(s, d, 6, 64, &seg, &mut p).ok()?,
        (IpAddr::V6(s), IpAddr::V6(d)) => encap::emit_ipv6(s, d, 6, 64, &seg, &mut p).ok()?,
        _ => return None,
    }
    Some(p)
}

/// Writes `<id>.pcapng` (everything the harness sent and received, raw IP link type) and
/// `<id>.esp_sa` (Wireshark UAT lines for every SA of the case).
fn write_case_files(
    dir: &Path,
    id: &str,
    lab: &Lab,
    core: &[crate::roles::scscf::Exchange],
    sas: &BTreeMap<u32, SaParams>,
    wall: SystemTime,
    start: Instant,
) -> CaseFiles {
    let mut files = CaseFiles::default();
    let base = wall
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let ts = |t: Instant| base + t.saturating_duration_since(start).as_nanos() as u64;
    let mut packets: Vec<(u64, Vec<u8>)> = Vec::new();
    // Plain SIP over TCP is logged per message: each becomes one segment whose sequence
    // number follows the bytes already logged in that direction, so Wireshark reassembles it.
    let mut tcp_offsets: BTreeMap<(SocketAddr, SocketAddr), u32> = BTreeMap::new();
    for s in &lab.seen {
        let pkt = match &s.wire {
            Wire::Ip { packet } => Some(packet.clone()),
            Wire::Udp {
                local,
                peer,
                payload,
            } => {
                let (a, b) = if s.sent {
                    (*local, *peer)
                } else {
                    (*peer, *local)
                };
                udp_packet(a, b, payload)
            }
            Wire::Tcp {
                local,
                peer,
                payload,
            } => {
                let (a, b) = if s.sent {
                    (*local, *peer)
                } else {
                    (*peer, *local)
                };
                let offset = tcp_offsets.entry((a, b)).or_insert(1u32);
                let p = tcp_packet(a, b, *offset, payload);
                *offset = offset.wrapping_add(payload.len() as u32);
                p
            }
            // The plaintext of a TLS session: the capture carries its records instead (below).
            Wire::Tls { .. } => None,
        };
        if let Some(p) = pkt {
            packets.push((ts(s.at), p));
        }
    }
    // TLS sessions: their records as sent and received, after the plain SIP of the same
    // connection (the upgrade flow), so the capture opens with `<id>.keys`.
    for (at, src, dst, bytes) in super::tlsagree::tls_records(&lab.ue_net.tls_notes()) {
        let offset = tcp_offsets.entry((src, dst)).or_insert(1u32);
        if let Some(p) = tcp_packet(src, dst, *offset, &bytes) {
            packets.push((ts(at), p));
        }
        *offset = offset.wrapping_add(bytes.len() as u32);
    }
    let pcore = SocketAddr::new(lab.pcscf_cfg.addr, lab.pcscf_cfg.core_port);
    let score = lab.scscf_addr();
    for x in core {
        if let Some(p) = udp_packet(pcore, score, &x.request.to_bytes()) {
            packets.push((ts(x.at), p));
        }
        if let Some(p) = udp_packet(score, pcore, &x.response.to_bytes()) {
            packets.push((ts(x.at) + 1, p));
        }
    }
    packets.sort_by_key(|(t, _)| *t);
    let safe = super::model::slug(id);
    let pcap_path = dir.join(format!("{safe}.pcapng"));
    let write = || -> std::io::Result<()> {
        let f = std::io::BufWriter::new(std::fs::File::create(&pcap_path)?);
        let mut w = crate::capture::pcapng::PcapngWriter::new(f, 101)?;
        for (t, p) in &packets {
            w.write_packet(*t, p, None)?;
        }
        w.finish()?;
        Ok(())
    };
    if write().is_ok() {
        files.pcapng = Some(format!("{safe}.pcapng"));
    }
    let lines: Vec<String> = sas
        .values()
        .map(|p| {
            let key_salt = |k: &[u8]| {
                let mut v = k.to_vec();
                v.extend_from_slice(p.salt_bytes());
                v
            };
            UatSa {
                family: if p.src.is_ipv4() {
                    IpFamily::V4
                } else {
                    IpFamily::V6
                },
                src: p.src.to_string(),
                dst: p.dst.to_string(),
                spi: p.spi,
                enc: p.ealg,
                enc_key: if p.ealg == crate::mech::algorithms::EncAlg::AesGcm {
                    key_salt(&p.enc_key)
                } else {
                    p.enc_key.clone()
                },
                integ: p.alg,
                integ_key: if p.alg == crate::mech::algorithms::IntegAlg::AesGmac {
                    key_salt(&p.integ_key)
                } else {
                    p.integ_key.clone()
                },
                unchecked_icv: None,
            }
            .to_line()
        })
        .collect();
    if !lines.is_empty() {
        let path = dir.join(format!("{safe}.esp_sa"));
        let text = format!(
            "# Wireshark esp_sa UAT lines for case {id} (Preferences > Protocols > ESP > ESP SAs).\n# These are the session keys of this case: keep the file as secret as the capture.\n{}\n",
            lines.join("\n")
        );
        if std::fs::write(&path, text).is_ok() {
            files.esp_sa = Some(format!("{safe}.esp_sa"));
        }
    }
    files
}

/// Progress callback: called after each case with (done, total, result).
pub type Progress<'a> = &'a (dyn Fn(usize, usize, &CaseResult) + Sync);

/// Runs every case, `jobs` at a time (each case has its own lab and addresses). External SUTs
/// run one case at a time: the harness addresses of the profile are shared.
pub fn run_all(
    cases: &[Case],
    sut: &Sut,
    jobs: usize,
    reveal_keys: bool,
    out_dir: Option<&Path>,
    progress: Progress<'_>,
) -> Vec<CaseResult> {
    let jobs = match sut.kind {
        SutKind::External { .. } => 1,
        SutKind::Seg(ref s) => match s.target {
            super::za::SegTarget::Builtin(_) => jobs.max(1),
            super::za::SegTarget::External { .. } => 1,
        },
        SutKind::Tls(ref t) => match t.target {
            super::tls::TlsTarget::Builtin(_) => jobs.max(1),
            super::tls::TlsTarget::External { .. } => 1,
        },
        SutKind::Builtin(_) => jobs.max(1),
    };
    let next = std::sync::atomic::AtomicUsize::new(0);
    let done = std::sync::atomic::AtomicUsize::new(0);
    let results: std::sync::Mutex<Vec<(usize, CaseResult)>> = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..jobs.min(cases.len().max(1)) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(case) = cases.get(i) else { break };
                let r = run_case(case, sut, reveal_keys, out_dir);
                let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                progress(n, cases.len(), &r);
                if let Ok(mut v) = results.lock() {
                    v.push((i, r));
                }
            });
        }
    });
    let mut v = results.into_inner().unwrap_or_default();
    v.sort_by_key(|(i, _)| *i);
    v.into_iter().map(|(_, r)| r).collect()
}

/// Before any case runs against an external SUT: is anything answering SIP at its address?
/// An OPTIONS to the unprotected port must draw some response within the timeout; otherwise
/// the run stops with an environment error (exit 2) instead of a page of inconclusive cases.
pub fn preflight(sut: &Sut) -> Result<(), String> {
    let SutKind::External { pcscf, ue_addr, .. } = &sut.kind else {
        return Ok(());
    };
    let sock = std::net::UdpSocket::bind(SocketAddr::new(*ue_addr, 0))
        .map_err(|e| format!("cannot bind the harness UE address {ue_addr}: {e}"))?;
    sock.set_read_timeout(Some(sut.timeout))
        .map_err(|e| e.to_string())?;
    let local = sock.local_addr().map_err(|e| e.to_string())?;
    let probe = crate::mech::sip::SipMessage::request("OPTIONS", &format!("sip:{pcscf}"))
        .with(
            "Via",
            &format!("SIP/2.0/UDP {local};rport;branch=z9hG4bKimsecprobe"),
        )
        .with("Max-Forwards", "70")
        .with("From", "<sip:probe@imsec.test>;tag=probe")
        .with("To", &format!("<sip:{pcscf}>"))
        .with("Call-ID", "imsec-preflight")
        .with("CSeq", "1 OPTIONS")
        .with_content_length();
    // Connected, so that an ICMP port unreachable comes back as ConnectionRefused.
    sock.connect(pcscf)
        .map_err(|e| format!("cannot reach the P-CSCF at {pcscf}: {e}"))?;
    let mut buf = vec![0u8; 65_535];
    for _ in 0..2 {
        match sock.send(&probe.to_bytes()) {
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                return Err(format!(
                    "the P-CSCF at {pcscf} is unreachable (ICMP port unreachable)"
                ))
            }
            Err(e) => return Err(format!("cannot send to the P-CSCF at {pcscf}: {e}")),
            Ok(_) => {}
        }
        match sock.recv(&mut buf) {
            Ok(_) => return Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                return Err(format!(
                    "the P-CSCF at {pcscf} is unreachable (ICMP port unreachable)"
                ))
            }
            Err(_) => {}
        }
    }
    Err(format!(
        "the P-CSCF at {pcscf} did not answer an OPTIONS within {} ms (twice): unreachable or silent",
        sut.timeout.as_millis()
    ))
}

/// Evidence helper for callers that need an empty one.
pub fn no_evidence(summary: &str) -> Evidence {
    Evidence {
        summary: summary.into(),
        events: Vec::new(),
    }
}
