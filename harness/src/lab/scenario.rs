//! The registration scenario of a minimal `imsec run`: UE → P-CSCF → S-CSCF, registration with
//! IMS AKA and sec-agree, a request over the SAs, re-registration with new SAs, and
//! de-registration. Each step is verified from the harness's own view (what the UE received
//! and what the S-CSCF recorded), never from the P-CSCF's internals.

use super::Lab;
use crate::roles::gm::SealOpts;
use crate::roles::ue::RegisterOpts;

/// One verified step.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Step {
    pub name: String,
    pub ok: bool,
    pub detail: String,
}

fn step(name: &str, r: Result<String, String>) -> Step {
    match r {
        Ok(d) => Step {
            name: name.into(),
            ok: true,
            detail: d,
        },
        Err(d) => Step {
            name: name.into(),
            ok: false,
            detail: d,
        },
    }
}

/// Whether a WWW-Authenticate value carries the `ck` or `ik` parameter. Parsed, not searched:
/// a base64 nonce can end in "ck=" or "ik=" (about one challenge in five hundred).
fn carries_keys(www: &str) -> bool {
    crate::mech::digest::params::parse(www)
        .map(|p| p.get("ck").is_some() || p.get("ik").is_some())
        .unwrap_or(false)
}

/// TS 33.203 §7.1: responses to the UE's requests travel on SA #2 (port_ps → port_uc).
fn expect_sa2(d: &crate::roles::gm::Delivered) -> Result<(), String> {
    if d.sa_index == 2 {
        Ok(())
    } else {
        Err(format!(
            "response arrived on SA #{} ({} -> {}), not on SA #2 (port_ps -> port_uc)",
            d.sa_index, d.src, d.dst
        ))
    }
}

/// RFC 3261 §18.2.2: a response goes back on the transport (the connection, for TCP) its
/// request came on. Judges the final response the UE got last: protected (`d`) or plain.
fn on_transport(
    lab: &Lab,
    d: Option<&crate::roles::gm::Delivered>,
) -> Result<&'static str, String> {
    use crate::roles::SipTransport;
    let got = match d {
        Some(d) if d.tcp => SipTransport::Tcp,
        Some(_) => SipTransport::Udp,
        None => match lab.seen.iter().rev().find(|s| !s.sent && s.sip.is_some()) {
            Some(s) if matches!(s.wire, crate::net::Wire::Tcp { .. }) => SipTransport::Tcp,
            _ => SipTransport::Udp,
        },
    };
    let want = lab.opts.transport;
    if got == want {
        Ok(match got {
            SipTransport::Udp => "UDP",
            SipTransport::Tcp => "TCP",
        })
    } else {
        Err(format!(
            "the answer came over {got:?}, the request went over {want:?} (RFC 3261 §18.2.2)"
        ))
    }
}

/// Registers (initial REGISTER, 401, protected REGISTER, 200), judging each step strictly.
pub fn register(lab: &mut Lab, out: &mut Vec<Step>) -> bool {
    register_with(lab, out, true)
}

/// Registers; with `strict` false only success counts (the engine's precondition step: the
/// SA discipline, ck/ik removal and header hygiene are judged by their own cases, so that a
/// flaw makes only its own case fail).
pub fn register_with(lab: &mut Lab, out: &mut Vec<Step>, strict: bool) -> bool {
    let (_, w) = lab.ue.initial_register();
    let r = lab.transact(&w, |ue| ue.retransmit()).and_then(|(m, _)| {
        if m.status() != Some(401) {
            return Err(format!("expected 401, got '{}'", m.start));
        }
        let www = m.header("WWW-Authenticate").unwrap_or("");
        if strict && carries_keys(www) {
            return Err("401 at the UE still carries ck/ik".into());
        }
        if m.header("Security-Server").is_none() {
            return Err("401 without Security-Server".into());
        }
        let t = on_transport(lab, None)?;
        let c = lab.ue.on_challenge(&m).map_err(|e| e.to_string())?;
        Ok(format!(
            "401 over {t} with Security-Server: {}/{} {} spi-c={} spi-s={}",
            c.chosen.alg,
            c.chosen.ealg,
            c.chosen.mode.token(),
            c.chosen.spi_c,
            c.chosen.spi_s
        ))
    });
    let ok = r.is_ok();
    out.push(step("initial REGISTER challenged with IMS AKA", r));
    if !ok {
        return false;
    }
    let r = lab
        .ue
        .protected_register(&RegisterOpts::default())
        .map_err(|e| e.to_string())
        .and_then(|(_, w)| lab.transact(&w, |ue| ue.retransmit()))
        .and_then(|(m, d)| {
            if m.status() != Some(200) {
                return Err(format!("expected 200, got '{}'", m.start));
            }
            let d = d.ok_or("200 arrived without ESP")?;
            if !strict {
                lab.ue.registered(true);
                return Ok(format!("200 over SA #{} (SPI {})", d.sa_index, d.spi));
            }
            expect_sa2(&d)?;
            let t = on_transport(lab, Some(&d))?;
            let rec = lab
                .scscf
                .node
                .lock()
                .map_err(|_| "S-CSCF state poisoned".to_string())?
                .received
                .last()
                .cloned()
                .ok_or("S-CSCF saw nothing")?;
            if rec.integrity_protected.as_deref() != Some("yes") {
                return Err(format!(
                    "protected REGISTER reached the core with integrity-protected={:?}",
                    rec.integrity_protected
                ));
            }
            if !rec.sec_agree_headers.is_empty() {
                return Err(format!("core received {:?}", rec.sec_agree_headers));
            }
            lab.ue.registered(true);
            Ok(format!(
                "200 over {t} on SA #{} (SPI {})",
                d.sa_index, d.spi
            ))
        });
    let ok = r.is_ok();
    out.push(step("protected REGISTER accepted over the SAs", r));
    ok
}

/// The whole minimal scenario; returns every step (stops at the first failure).
pub fn registration_cycle(lab: &mut Lab) -> Vec<Step> {
    let mut out = Vec::new();
    if !register(lab, &mut out) {
        return out;
    }
    let r = lab
        .ue
        .request("OPTIONS", SealOpts::default())
        .map_err(|e| e.to_string())
        .and_then(|(_, w)| lab.transact(&w, |ue| ue.retransmit()))
        .and_then(|(m, d)| match (m.status(), d) {
            (Some(200), Some(d)) => {
                expect_sa2(&d)?;
                let t = on_transport(lab, Some(&d))?;
                Ok(format!("200 over {t} on SA #{}", d.sa_index))
            }
            (s, d) => Err(format!("got {s:?}, protected: {}", d.is_some())),
        });
    let ok = r.is_ok();
    out.push(step("request over the SAs reaches the core", r));
    if !ok {
        return out;
    }
    let first = lab.ue.registered_set;
    let r = lab
        .ue
        .reregister(600)
        .map_err(|e| e.to_string())
        .and_then(|(_, w)| lab.transact(&w, |ue| ue.retransmit()))
        .and_then(|(m, _)| lab.ue.on_challenge(&m).map_err(|e| e.to_string()))
        .and_then(|_| {
            lab.ue
                .protected_register(&RegisterOpts::default())
                .map_err(|e| e.to_string())
        })
        .and_then(|(_, w)| lab.transact(&w, |ue| ue.retransmit()))
        .and_then(|(m, d)| {
            if m.status() != Some(200) || d.is_none() {
                return Err(format!("expected protected 200, got '{}'", m.start));
            }
            on_transport(lab, d.as_ref())?;
            lab.ue.registered(true);
            if lab.ue.registered_set == first {
                return Err("re-registration kept the same SAs".into());
            }
            Ok("new SA set in use; old one retired by the UE".into())
        });
    let ok = r.is_ok();
    out.push(step("re-registration sets up new SAs", r));
    if !ok {
        return out;
    }
    let r = lab
        .ue
        .reregister(0)
        .map_err(|e| e.to_string())
        .and_then(|(_, w)| lab.transact(&w, |ue| ue.retransmit()))
        .and_then(|(m, d)| {
            if m.status() != Some(200) {
                return Err(format!("expected 200, got '{}'", m.start));
            }
            if d.is_none() {
                return Err("final 200 of the de-registration sent without protection".into());
            }
            on_transport(lab, d.as_ref())?;
            let registered = lab
                .scscf
                .node
                .lock()
                .map(|s| s.is_registered("user@imsec.test"))
                .unwrap_or(true);
            if registered {
                return Err("S-CSCF still has the registration".into());
            }
            lab.ue.deregistered();
            Ok("200 over the SAs; the core dropped the registration".into())
        });
    out.push(step("de-registration", r));
    out
}

/// Only the unprotected phase: initial REGISTER → 401 with Security-Server. Reports what the
/// UE saw (for a P-CSCF whose protected phase cannot run here, e.g. without kernel ESP).
pub fn unprotected_phase(lab: &mut Lab) -> Vec<Step> {
    let mut out = Vec::new();
    let (_, w) = lab.ue.initial_register();
    let got = lab.transact(&w, |ue| ue.retransmit());
    let m = match got {
        Ok((m, _)) => m,
        Err(e) => {
            out.push(step("initial REGISTER answered", Err(e)));
            return out;
        }
    };
    out.push(step(
        "initial REGISTER answered with 401",
        if m.status() == Some(401) {
            Ok(m.start.to_string())
        } else {
            Err(format!("got '{}'", m.start))
        },
    ));
    let www = m.header("WWW-Authenticate").unwrap_or("").to_string();
    let leak = carries_keys(&www);
    out.push(step(
        "ck/ik removed from the 401 (TS 33.203 §7.2)",
        if leak {
            Err(format!("WWW-Authenticate: {www}"))
        } else {
            Ok(format!("WWW-Authenticate: {www}"))
        },
    ));
    let servers: Vec<String> = m
        .headers_named("Security-Server")
        .map(str::to_string)
        .collect();
    out.push(step(
        "Security-Server present",
        if servers.is_empty() {
            Err("no Security-Server".into())
        } else {
            Ok(servers.join(" | "))
        },
    ));
    if let Ok(rec) = lab.scscf.node.lock() {
        if let Some(r) = rec.received.first() {
            out.push(step(
                "REGISTER forwarded to the core without sec-agree headers",
                if r.sec_agree_headers.is_empty() && !r.sec_agree_tags {
                    Ok(format!("integrity-protected={:?}", r.integrity_protected))
                } else {
                    Err(format!(
                        "headers {:?}, sec-agree tag left: {}",
                        r.sec_agree_headers, r.sec_agree_tags
                    ))
                },
            ));
        }
    }
    if !servers.is_empty() {
        let c = lab.ue.on_challenge(&m);
        out.push(step(
            "challenge usable by the UE (AUTN verifies, an offered pair was chosen)",
            c.map(|c| {
                format!(
                    "{}/{} {} spi-c={} spi-s={} port-c={} port-s={}",
                    c.chosen.alg,
                    c.chosen.ealg,
                    c.chosen.mode.token(),
                    c.chosen.spi_c,
                    c.chosen.spi_s,
                    c.chosen.port_c,
                    c.chosen.port_s
                )
            })
            .map_err(|e| e.to_string()),
        ));
    }
    out
}
