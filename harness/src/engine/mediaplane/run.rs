//! Running the `media` step: the SDP of the last call from the lab's logs, the two media
//! peers, the packets (module docs of [`super`]).

use super::plan::{plan, CallSdp, MediaPlan};
use super::{AtUe, Deviation, MediaRecord, MediaStep};
use crate::engine::steps::{StepRecord, Timing};
use crate::lab::media::{rtcp_app, rtp_packet, MediaPeer, MediaSeen, UeSrtp};
use crate::lab::Lab;
use crate::mech::sdp::Sdp;
use crate::mech::sip::SipMessage;
use crate::mech::srtp::{RtpPacket, Session};

const UE_SSRC: u32 = 0x1e5e_c0de;
const CORE_SSRC: u32 = 0xc0de_1e5e;
/// RTP header (12) of the packets the peers build.
const RTP_HEADER: usize = 12;

fn sdp_body(m: &SipMessage) -> Option<Sdp> {
    crate::roles::ue::call::sdp_of(m)
}

fn is_invite_response(m: &SipMessage) -> bool {
    m.status().is_some_and(|c| (200..300).contains(&c))
        && m.header("CSeq")
            .is_some_and(|c| c.to_ascii_uppercase().ends_with("INVITE"))
}

/// The four SDP bodies of the last call, from what the UE and the core saw.
pub fn call_sdp(lab: &Lab) -> Result<CallSdp, String> {
    // UE side: the last INVITE with SDP and the last 2xx to an INVITE with SDP.
    let invite = lab
        .seen
        .iter()
        .rev()
        .find_map(|s| {
            let m = s.sip.as_ref()?;
            // `method()` of a response is its CSeq method: requests only.
            (m.status().is_none() && m.method().as_deref() == Some("INVITE"))
                .then(|| sdp_body(m).map(|b| (s.sent, b)))
                .flatten()
        })
        .ok_or("the UE saw no INVITE with SDP: run a `call` or `incoming_call` step first")?;
    let (ue_originated, offer) = invite;
    let answer = lab
        .seen
        .iter()
        .rev()
        .find_map(|s| {
            let m = s.sip.as_ref()?;
            (is_invite_response(m) && s.sent != ue_originated)
                .then(|| sdp_body(m))
                .flatten()
        })
        .ok_or("the UE's call has no 2xx with an SDP answer")?;
    let (ue_sent, ue_received) = if ue_originated {
        (offer, answer)
    } else {
        (answer, offer)
    };
    // Core side: the last INVITE exchange with SDP both ways.
    let core = lab
        .scscf
        .node
        .lock()
        .map_err(|_| "the S-CSCF's log is unavailable")?
        .exchanges
        .iter()
        .rev()
        .find_map(|x| {
            (x.request.status().is_none() && x.request.method().as_deref() == Some("INVITE"))
                .then(|| Some((sdp_body(&x.request)?, sdp_body(&x.response)?)))
                .flatten()
        })
        .ok_or("the core saw no INVITE exchange with SDP both ways")?;
    // Originating: the core received the INVITE; terminating: it sent it.
    let (core_received, core_sent) = if ue_originated {
        core
    } else {
        (core.1, core.0)
    };
    Ok(CallSdp {
        ue_sent,
        ue_received,
        core_received,
        core_sent,
    })
}

/// The marker payload of packet `i` in direction `dir` (20 octets, like a G.711 fragment).
fn payload(dir: &str, i: usize) -> Vec<u8> {
    let mut p = format!("imsec {dir} {i:04}").into_bytes();
    p.resize(20, b'.');
    p
}

fn rtp_payload(b: &[u8]) -> Vec<u8> {
    RtpPacket::new_checked(b)
        .map(|p| p.payload().to_vec())
        .unwrap_or_else(|_| b.to_vec())
}

/// What one packet that reached the UE opens to.
fn open_at_ue(srtp: &mut UeSrtp, s: &MediaSeen) -> AtUe {
    let mut b = s.payload.clone();
    let with_pcscf = if s.rtcp {
        srtp.rx.unprotect_rtcp(&mut b).map(|o| o.len)
    } else {
        srtp.rx.unprotect(&mut b).map(|o| o.len)
    };
    match with_pcscf {
        Ok(n) => {
            let plain = b.get(..n).unwrap_or_default();
            AtUe::PcscfKey(if s.rtcp {
                plain.to_vec()
            } else {
                rtp_payload(plain)
            })
        }
        Err(e) => {
            let mut b = s.payload.clone();
            let own = if s.rtcp {
                srtp.own.unprotect_rtcp(&mut b).is_ok()
            } else {
                srtp.own.unprotect(&mut b).is_ok()
            };
            if own {
                AtUe::UeKey
            } else {
                AtUe::Neither(e.to_string())
            }
        }
    }
}

fn protect(tx: &mut Session, rtcp: bool, plain: &[u8]) -> Result<Vec<u8>, String> {
    let mut b = plain.to_vec();
    if rtcp {
        tx.protect_rtcp_vec(&mut b)
    } else {
        tx.protect_vec(&mut b)
    }
    .map_err(|e| format!("the UE cannot protect its packet: {e}"))?;
    Ok(b)
}

/// Runs the `media` step against the stream `p` (the step resolves `p` from the lab's SDP;
/// tests may give it directly).
pub fn exchange(p: &MediaPlan, step: &MediaStep, timing: Timing) -> Result<MediaRecord, String> {
    let n = usize::from(step.packets.clamp(1, 100));
    let mut ue = MediaPeer::bind(p.ue_media).map_err(|e| format!("UE media peer: {e}"))?;
    let mut core = MediaPeer::bind(p.core_media).map_err(|e| format!("core media peer: {e}"))?;
    let mut srtp = UeSrtp::new(p.suite, p.ue_key.clone(), p.pcscf_key.clone())?;
    let mut r = MediaRecord {
        plan: format!("{p:?}"),
        deviation: step.deviation,
        same_keys: p.ue_key == p.pcscf_key,
        ..MediaRecord::default()
    };
    let mut first_srtp = None;
    // 1. UE -> core.
    for i in 0..n {
        let pl = payload("ue->core", i);
        let b = protect(
            &mut srtp.tx,
            false,
            &rtp_packet(UE_SSRC, i as u16 + 1, 160 * i as u32, 0, &pl),
        )?;
        ue.send(false, p.gw_ue_side, &b)
            .map_err(|e| e.to_string())?;
        first_srtp.get_or_insert(b);
        r.ue_payloads.push(pl);
    }
    r.ue_rtcp = rtcp_app(UE_SSRC, b"ue->core rtcp");
    let b = protect(&mut srtp.tx, true, &r.ue_rtcp)?;
    ue.send(true, p.gw_ue_side, &b).map_err(|e| e.to_string())?;
    for s in core.expect(n + 1, timing.timeout) {
        if s.rtcp {
            r.core_rtcp.push(s.payload);
        } else {
            r.core_rtp.push(rtp_payload(&s.payload));
        }
    }
    // 2. core -> UE.
    for i in 0..n {
        let pl = payload("core->ue", i);
        let b = rtp_packet(CORE_SSRC, i as u16 + 1, 160 * i as u32, 0, &pl);
        core.send(false, p.gw_core_side, &b)
            .map_err(|e| e.to_string())?;
        r.core_payloads.push(pl);
    }
    r.core_rtcp_sent = rtcp_app(CORE_SSRC, b"core->ue rtcp");
    core.send(true, p.gw_core_side, &r.core_rtcp_sent)
        .map_err(|e| e.to_string())?;
    for s in ue.expect(n + 1, timing.timeout) {
        let at = open_at_ue(&mut srtp, &s);
        if s.rtcp {
            r.ue_srtcp.push(at);
        } else {
            r.ue_rtp.push(at);
        }
    }
    // 3. The deviant packet, a silence window at the core, the control.
    if let Some(d) = step.deviation {
        let seq = n as u16 + 1;
        let (deviant, rtcp) = match d {
            Deviation::Replay => (first_srtp.clone().unwrap_or_default(), false),
            Deviation::Tamper => {
                let mut b = protect(
                    &mut srtp.tx,
                    false,
                    &rtp_packet(UE_SSRC, seq, 0, 0, &payload("tampered", 0)),
                )?;
                if let Some(x) = b.get_mut(RTP_HEADER) {
                    *x ^= 0x01;
                }
                (b, false)
            }
            Deviation::SrtcpNoTag => {
                let mut b = protect(&mut srtp.tx, true, &rtcp_app(UE_SSRC, b"no tag"))?;
                let tag = p.suite.rtcp_tag_len();
                b.truncate(b.len().saturating_sub(tag));
                (b, true)
            }
        };
        ue.send(rtcp, p.gw_ue_side, &deviant)
            .map_err(|e| e.to_string())?;
        r.deviant_at_core = core.listen(timing.silence).len();
        let control = if rtcp {
            protect(&mut srtp.tx, true, &rtcp_app(UE_SSRC, b"control"))?
        } else {
            protect(
                &mut srtp.tx,
                false,
                &rtp_packet(UE_SSRC, seq + 1, 0, 0, &payload("control", 0)),
            )?
        };
        ue.send(rtcp, p.gw_ue_side, &control)
            .map_err(|e| e.to_string())?;
        r.control_at_core = !core.expect(1, timing.timeout).is_empty();
    }
    ue.shutdown();
    core.shutdown();
    Ok(r)
}

/// The `media` step: resolves the stream from the lab's SDP and runs [`exchange`].
pub fn run(
    lab: &mut Lab,
    rec: &mut StepRecord,
    step: &MediaStep,
    timing: Timing,
) -> Result<(), String> {
    if let Some(o) = &step.msrp {
        let r = super::msrp::run(lab, o, timing.timeout, timing.silence)?;
        rec.media = Some(Box::new(r));
        return Ok(());
    }
    let sdp = call_sdp(lab)?;
    let p = plan(&sdp)?;
    let r = exchange(&p, step, timing)?;
    rec.media = Some(Box::new(r));
    Ok(())
}
