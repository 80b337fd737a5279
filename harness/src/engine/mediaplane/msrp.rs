//! MSRP over TLS through the IMS Access GW (TS 33.328 §5.4.1, §6.2.1, §7.2.1/§7.3.1 step 9;
//! RFC 4975 §14; RFC 8122 §5): the `media` step with `msrp:`.
//!
//! From the SDP of the last call (as both sides saw it): the gateway's MSRP address towards
//! the UE (first `a=path` URI, `msrps://`) and its `a=fingerprint`, the gateway's address
//! towards the core (first `a=path` URI of the SDP the core received). The IMS-ALG makes the
//! gateway passive on both legs (`a=setup:passive`), so both harness peers connect to it:
//! - the UE (TLS client with its own MSRP certificate, the one whose fingerprint it
//!   signalled) connects, records the fingerprint of the server's leaf (judged against the
//!   `a=fingerprint` it received by `msrp_relayed`, so a signalling fault fails that rule
//!   and not the gateway's own checks), then sends an MSRP SEND (RFC 4975 §7.1 framing); the core peer (TCP) must receive it
//!   byte for byte, and its SEND must reach the UE likewise;
//! - `wrong_cert`: first a UE presenting another self-signed certificate (not the one it
//!   signalled): its SEND must not reach the core; then the conformant UE on the same core
//!   connection as the control (without it: inconclusive, silence is never a pass);
//! - `null_suites`: raw ClientHellos (TLS 1.2 null-cipher suites; TLS 1.3 integrity-only
//!   suites, RFC 9150) to the gateway's UE-side address: no ServerHello may pick a null
//!   suite; the conformant session is the control.
//!
//! When the SDP puts no relay in the MSRP path (the UE got the far end's own `a=path`, or
//! the core the UE's), there is no gateway to judge: the rules are not applicable (the
//! MEDIA-MSRP-ANCHOR cases judge the anchoring).
//!
//! The harness TLS sessions' secrets go to the case's key log when the lab has one. The
//! MSRP connections are not in the case pcapng (it is built from the lab's SIP log).

use super::{MediaRecord, MsrpOptions};
use crate::engine::call::probe::uri_authority;
use crate::mech::sdp::{Fingerprint, Proto, Sdp, Setup};
use crate::mech::tls::suites::SuiteSet;
use crate::net::msrp_relay::client;
use crate::net::tls::Identity;
use crate::net::tls_probe::{ProbeAnswer, ProbeConfig};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// What an MSRP `media` step observed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MsrpRecord {
    /// Where the UE connected and the fingerprint it expected (from its SDP).
    pub ue_addr: Option<SocketAddr>,
    /// The `a=fingerprint` the UE received (`None`: none).
    pub signalled: Option<Fingerprint>,
    /// The fingerprint of the leaf the server at `ue_addr` sent.
    pub leaf: Option<Fingerprint>,
    /// No relay in the MSRP path (nothing was connected).
    pub not_anchored: bool,
    pub core_addr: Option<SocketAddr>,
    /// The conformant session: its TLS outcome (version and suite, or the refusal).
    pub tls: Option<Result<String, String>>,
    /// The UE's SEND reached the core unaltered / the core's SEND reached the UE unaltered.
    pub ue_to_core: bool,
    pub core_to_ue: bool,
    /// `wrong_cert`: what became of the foreign certificate (TLS outcome) and whether its
    /// SEND reached the core.
    pub foreign: Option<(Result<String, String>, bool)>,
    /// `null_suites`: per probe, the offer and the answer (`None`: no null suite chosen).
    pub null_probes: Vec<(String, Result<Option<String>, String>)>,
}

/// The first `a=path` URI of the first MSRP media.
fn first_path(sdp: &Sdp) -> Option<String> {
    sdp.media()
        .iter()
        .find(|md| matches!(md.proto(), Some(Proto::TcpMsrp | Proto::TcpTlsMsrp)))
        .and_then(|md| md.path())
        .and_then(|p| p.first().map(|u| u.to_string()))
}

/// The gateway as the UE sees it: its `msrps` address and fingerprint.
fn ue_leg(sdp: &Sdp) -> Result<(SocketAddr, Option<Fingerprint>), String> {
    for md in sdp.media() {
        if md.proto() != Some(Proto::TcpTlsMsrp) {
            continue;
        }
        let addr = md
            .path()
            .and_then(|p| p.first().copied())
            .and_then(uri_authority)
            .ok_or("the UE's TCP/TLS/MSRP media has no usable a=path")?;
        let fp = md.fingerprints().into_iter().find_map(Result::ok);
        return Ok((addr, fp));
    }
    Err("the SDP the UE received has no TCP/TLS/MSRP media: run a `call`/`incoming_call` with `offer: msrp` first".into())
}

/// The gateway as the core sees it (it must be passive: the core connects).
fn core_leg(sdp: &Sdp) -> Result<SocketAddr, String> {
    for md in sdp.media() {
        if !matches!(md.proto(), Some(Proto::TcpMsrp | Proto::TcpTlsMsrp)) {
            continue;
        }
        if let Some(Ok(s)) = md.setup() {
            if s == Setup::Active {
                return Err("the gateway is active towards the core (a=setup:active): the harness core only connects".into());
            }
        }
        return md
            .path()
            .and_then(|p| p.first().copied())
            .and_then(uri_authority)
            .ok_or_else(|| "the core's MSRP media has no usable a=path".to_string());
    }
    Err("the SDP the core received has no MSRP media".into())
}

/// One MSRP SEND (RFC 4975 §7.1: start line, To-Path, From-Path, Message-ID, Byte-Range,
/// Content-Type, body, end-line `-------<tid>$`).
pub fn send_request(tid: &str, to: &str, from: &str, body: &str) -> Vec<u8> {
    format!(
        "MSRP {tid} SEND\r\nTo-Path: {to}\r\nFrom-Path: {from}\r\nMessage-ID: m{tid}\r\n\
         Byte-Range: 1-{n}/{n}\r\nContent-Type: text/plain\r\n\r\n{body}\r\n-------{tid}$\r\n",
        n = body.len()
    )
    .into_bytes()
}

/// Reads until `end` was seen, the peer closed, or `within` passed.
fn read_until<R: Read>(r: &mut R, end: &[u8], within: Duration) -> Vec<u8> {
    let stop = Instant::now() + within;
    let mut got = Vec::new();
    let mut b = [0u8; 2048];
    while Instant::now() < stop && !got.windows(end.len()).any(|w| w == end) {
        match r.read(&mut b) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(b.get(..n).unwrap_or_default()),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => break,
        }
    }
    got
}

/// Runs the MSRP exchange of the step.
pub fn run(
    lab: &mut crate::lab::Lab,
    o: &MsrpOptions,
    timeout: Duration,
    silence: Duration,
) -> Result<MediaRecord, String> {
    let sdp = super::run::call_sdp(lab)?;
    let unanchored = |a: &Sdp, b: &Sdp| first_path(a).is_some() && first_path(a) == first_path(b);
    if unanchored(&sdp.ue_received, &sdp.core_sent) || unanchored(&sdp.core_received, &sdp.ue_sent)
    {
        return Ok(MediaRecord {
            plan: "MSRP: no relay in the path".into(),
            msrp: Some(MsrpRecord {
                not_anchored: true,
                ..MsrpRecord::default()
            }),
            ..MediaRecord::default()
        });
    }
    let (ue_addr, gw_fp) = ue_leg(&sdp.ue_received)?;
    let core_addr = core_leg(&sdp.core_received)?;
    let ue_id = lab.ue.msrp_identity()?.tls_identity();
    let keylog = lab.tls.as_ref().and_then(|t| t.keylog.clone());
    let to = format!("msrps://{ue_addr}/gw;tcp");
    let mut r = MsrpRecord {
        ue_addr: Some(ue_addr),
        signalled: gw_fp.clone(),
        core_addr: Some(core_addr),
        ..MsrpRecord::default()
    };
    let tick = Some(Duration::from_millis(50));
    let connect_core = || -> Result<TcpStream, String> {
        let c = TcpStream::connect_timeout(&core_addr, timeout)
            .map_err(|e| format!("core TCP to {core_addr}: {e}"))?;
        c.set_read_timeout(tick).map_err(|e| e.to_string())?;
        Ok(c)
    };
    let mut core = connect_core()?;
    if o.wrong_cert {
        let foreign = crate::roles::ue::call::MsrpIdentity::generate("ue.imsec.test")?;
        let send = send_request("f0re1gn", &to, "msrps://ue.invalid/f;tcp", "foreign");
        let (outcome, relayed) = attempt(
            ue_addr,
            &foreign.tls_identity(),
            &keylog,
            timeout,
            &send,
            &mut core,
            silence,
        );
        r.foreign = Some((outcome, relayed));
        if relayed {
            // The flawed gateway paired this core connection with the foreign UE: a fresh
            // one for the control.
            core = connect_core()?;
        }
    }
    if o.null_suites {
        let target = ue_addr.to_string();
        for (label, version, tls13) in [
            (
                "TLS 1.2 null-cipher suites",
                crate::mech::tls::TLS1_2,
                false,
            ),
            (
                "TLS 1.3 integrity-only suites",
                crate::mech::tls::TLS1_3,
                true,
            ),
        ] {
            let mut cfg = ProbeConfig::new(&target, version, SuiteSet::Null.codes(tls13));
            cfg.timeout = timeout.min(Duration::from_secs(3));
            let got = match crate::net::tls_probe::probe(&cfg) {
                Ok(rep) => Ok(match rep.answer {
                    ProbeAnswer::ServerHello(a) if a.flags.null => Some(a.cipher_suite_name),
                    _ => None,
                }),
                Err(e) => Err(e.to_string()),
            };
            r.null_probes.push((label.to_string(), got));
        }
    }
    // The conformant session (the control of both deviations).
    let send = send_request(
        "a786hjs2",
        &to,
        "msrps://ue.imsec.test/ue;tcp",
        "imsec msrp",
    );
    match client::connect(ue_addr, &ue_id, None, keylog.clone(), timeout) {
        Ok(c) => {
            let (mut ue, info) = (c.stream, c.info);
            r.leaf = c.leaf;
            r.tls = Some(Ok(format!("{} {}", info.version, info.cipher_suite)));
            let _ = ue.sock.set_read_timeout(tick);
            let sent = ue.write_all(&send).and_then(|()| ue.flush()).is_ok();
            let got = read_until(&mut core, b"-------a786hjs2$\r\n", timeout);
            r.ue_to_core = sent && got == send;
            let back = send_request("b0ac4", "msrps://ue.imsec.test/ue;tcp", &to, "imsec back");
            if core.write_all(&back).is_ok() {
                r.core_to_ue = read_until(&mut ue, b"-------b0ac4$\r\n", timeout) == back;
            }
        }
        Err(e) => r.tls = Some(Err(e)),
    }
    Ok(MediaRecord {
        plan: format!(
            "MSRP: UE -> {ue_addr} (TLS, signalled {}) | core -> {core_addr} (TCP)",
            r.signalled
                .as_ref()
                .map(|f| f.emit())
                .unwrap_or_else(|| "no fingerprint".into())
        ),
        msrp: Some(r),
        ..MediaRecord::default()
    })
}

/// A UE session presenting `id`; whether its `send` reached `core` within `silence`.
#[allow(clippy::too_many_arguments)]
fn attempt(
    addr: SocketAddr,
    id: &Identity,
    keylog: &Option<std::sync::Arc<crate::net::tls::KeyLogFile>>,
    timeout: Duration,
    send: &[u8],
    core: &mut TcpStream,
    silence: Duration,
) -> (Result<String, String>, bool) {
    match client::connect(addr, id, None, keylog.clone(), timeout) {
        Ok(c) => {
            let (mut ue, info) = (c.stream, c.info);
            // TLS 1.3: the client finishes before the server judged its certificate; the
            // refusal shows as an alert on the first read and nothing at the core.
            let _ = ue.write_all(send).and_then(|()| ue.flush());
            let got = read_until(core, b"$\r\n", silence.max(Duration::from_millis(500)));
            let relayed = !got.is_empty();
            let mut b = [0u8; 64];
            let _ = ue.sock.set_read_timeout(Some(Duration::from_millis(200)));
            let after = match ue.read(&mut b) {
                Ok(0) => "closed".to_string(),
                Ok(_) => "data".to_string(),
                Err(e) => e.to_string(),
            };
            (
                Ok(format!(
                    "{} {}, then: {after}",
                    info.version, info.cipher_suite
                )),
                relayed,
            )
        }
        Err(e) => (Err(e), false),
    }
}

/// The MSRP rules over a record: verdict and summary.
pub fn judge(rule: super::Rule, r: Option<&MsrpRecord>) -> (super::Verdict, String) {
    use super::{Rule, Verdict};
    let Some(r) = r else {
        return (
            Verdict::Error,
            "the step ran no MSRP exchange (set `msrp:` on the media step)".into(),
        );
    };
    if r.not_anchored {
        return (
            Verdict::NotApplicable,
            "the SDP puts no relay in the MSRP path (the UE got the far end's a=path or the \
             core the UE's): no gateway to judge (MEDIA-MSRP-ANCHOR-* judge the anchoring)"
                .into(),
        );
    }
    let leaf_ok = r.leaf.is_some() && r.leaf == r.signalled;
    let control = match &r.tls {
        Some(Ok(s)) => format!("TLS {s} with the gateway"),
        Some(Err(e)) => format!("the conformant TLS session failed: {e}"),
        None => "no conformant session".into(),
    };
    let relayed = matches!(r.tls, Some(Ok(_))) && r.ue_to_core && r.core_to_ue;
    match rule {
        Rule::MsrpRelayed => match &r.tls {
            Some(Ok(_)) if !leaf_ok => (
                Verdict::Fail,
                format!(
                    "{control}, but its leaf certificate ({}) is not the one whose fingerprint the UE \
                     received ({}): the UE cannot authenticate it (RFC 4975 §14.2, RFC 8122 §5; \
                     TS 33.328 §7.2.1 step 8)",
                    r.leaf.as_ref().map(|f| f.emit()).unwrap_or_else(|| "none".into()),
                    r.signalled.as_ref().map(|f| f.emit()).unwrap_or_else(|| "none".into()),
                ),
            ),
            Some(Ok(_)) if relayed => (
                Verdict::Pass,
                format!("{control}, leaf = the signalled fingerprint; the UE's SEND reached the core and the core's reached the UE, unaltered"),
            ),
            Some(Ok(_)) => (
                Verdict::Fail,
                format!(
                    "{control}, but UE→core {} and core→UE {} (TS 33.328 §6.2.1: the gateway relays MSRP between TLS and TCP)",
                    if r.ue_to_core { "arrived" } else { "did not arrive unaltered" },
                    if r.core_to_ue { "arrived" } else { "did not arrive unaltered" },
                ),
            ),
            // The UE's own fingerprint check or the gateway's refusal of the signalled
            // certificate: either breaks RFC 4975 §14.2 / RFC 8122 §5.
            _ => (
                Verdict::Fail,
                format!("{control} (RFC 4975 §14.2, RFC 8122 §5: the session must succeed with the signalled certificates)"),
            ),
        },
        Rule::MsrpForeignCertRefused => {
            let Some((outcome, foreign_relayed)) = &r.foreign else {
                return (
                    Verdict::Error,
                    "the step presented no foreign certificate (set `wrong_cert: true`)".into(),
                );
            };
            if *foreign_relayed {
                return (
                    Verdict::Fail,
                    format!(
                        "the gateway relayed MSRP from a UE whose certificate does not match the \
                         fingerprint the UE signalled (session: {}) (RFC 4975 §14.2, RFC 8122 §5)",
                        match outcome {
                            Ok(s) => s.clone(),
                            Err(e) => e.clone(),
                        }
                    ),
                );
            }
            if !relayed {
                return (
                    Verdict::Inconclusive,
                    format!("nothing came through with the foreign certificate, but the control did not work either ({control}): silence proves nothing"),
                );
            }
            (
                Verdict::Pass,
                format!(
                    "the foreign certificate was refused ({}); control: {control}, relayed",
                    match outcome {
                        Ok(s) => format!("handshake {s}, nothing relayed"),
                        Err(e) => e.clone(),
                    }
                ),
            )
        }
        Rule::MsrpNullRefused => {
            if r.null_probes.is_empty() {
                return (
                    Verdict::Error,
                    "the step sent no null-suite ClientHello (set `null_suites: true`)".into(),
                );
            }
            if let Some((label, Ok(Some(suite)))) =
                r.null_probes.iter().find(|(_, a)| matches!(a, Ok(Some(_))))
            {
                return (
                    Verdict::Fail,
                    format!("offered {label}, the gateway chose {suite}: MSRP without confidentiality (TS 33.328 §5.4.1)"),
                );
            }
            if let Some((label, Err(e))) = r.null_probes.iter().find(|(_, a)| a.is_err()) {
                return (Verdict::Inconclusive, format!("probe with {label} failed: {e}"));
            }
            if !matches!(r.tls, Some(Ok(_))) {
                return (
                    Verdict::Inconclusive,
                    format!("no null suite chosen, but {control}: silence proves nothing"),
                );
            }
            (
                Verdict::Pass,
                format!(
                    "no ServerHello with a null suite ({}); control: {control}",
                    r.null_probes
                        .iter()
                        .map(|(l, _)| l.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        }
        _ => (Verdict::Error, "not an MSRP rule".into()),
    }
}
