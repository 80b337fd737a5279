//! Calls through the P-CSCF as IMS-ALG (TS 33.328 §7.2.1, §7.3.1): the steps `call`
//! (originating: the UE sends an INVITE with an SDP offer over its SAs, the harness S-CSCF
//! answers as the far end, the UE sends the ACK), `incoming_call` (terminating: the core
//! sends an INVITE with an offer through the P-CSCF, the UE answers with SDP) and
//! `media_profile` (the UE's `mediasec` indication at registration, TS 33.328 §7.1), and the
//! checks `sdp_at_core` / `sdp_at_ue` on the SDP each side received ([`checks`]).
//!
//! What each side saw stays in the usual places: the UE's messages in `lab.seen`; the
//! core's in the S-CSCF's exchanges. For `incoming_call` the core is the requester, so its
//! exchange holds the INVITE the core sent as `request` and the answer it got as `response`
//! (the trace draws that exchange in the S-CSCF's usual direction).

pub mod checks;
pub mod probe;

use super::steps::{StepRecord, Timing};
use crate::lab::Lab;
use crate::mech::sdp::{CryptoAttr, Fingerprint, Proto, Sdp};
use crate::mech::sip::SipMessage;
use crate::mech::srtp::Suite;
use crate::roles::scscf::{Exchange, FarEnd};
use crate::roles::ue::call::{
    answer_to, audio_offer, msrp_offer, sdp_of, with_sdp, AnswerParams, MsrpIdentity,
};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::time::Instant;

/// What the UE offers in `call`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum UeOffer {
    /// RTP/SAVP with `a=crypto` and `a=3ge2ae:requested` (TS 33.328 §7.2.1 step 1).
    #[default]
    E2ae,
    /// RTP/SAVP with `a=crypto`, no e2ae indication: SDES end to end (§7.2.2).
    E2e,
    /// RTP/AVP, no media security.
    Rtp,
    /// MSRP over TLS (`TCP/TLS/MSRP`) with the UE's certificate fingerprint (§7.2.1 step 1).
    Msrp,
}

/// What the core offers in `incoming_call`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CoreOffer {
    /// RTP/AVP (§7.3.1 step 1).
    #[default]
    Rtp,
    /// RTP/SAVP with the far end's `a=crypto`: e2e SDES (§7.3.1 NOTE 2).
    E2e,
    /// `TCP/MSRP` with the far end's `a=fingerprint`.
    Msrp,
}

/// `do: call`: an originating call.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CallStep {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub offer: UeOffer,
    /// The UE's SDES lines (tags 1..), each a suite name optionally followed by session
    /// parameters (`"AES_CM_128_HMAC_SHA1_80 UNENCRYPTED_SRTP"`). Default:
    /// AES_CM_128_HMAC_SHA1_80 and AES_CM_128_HMAC_SHA1_32.
    #[serde(default)]
    pub suites: Option<Vec<String>>,
    /// The far end's answer carries `a=3ge2ae:<value>` (an indication another party
    /// inserted, TS 33.328 §7.2.1 last paragraph).
    #[serde(default)]
    pub core_3ge2ae: Option<String>,
    /// After the call is set up, connect TLS to every TCP/TLS/MSRP address the UE received
    /// (first `a=path` URI) and record the server's certificate fingerprint ([`probe`]), for
    /// `sdp_at_ue` `fingerprint_is_server`.
    #[serde(default)]
    pub tls_probe: bool,
}

/// `do: incoming_call`: a terminating call.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IncomingCallStep {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub offer: CoreOffer,
    /// The core's offer carries `a=3ge2ae:<value>` (inserted by another party, §7.3.1 last
    /// paragraph).
    #[serde(default)]
    pub core_3ge2ae: Option<String>,
    /// The UE's answer carries `a=3ge2ae:<value>`.
    #[serde(default)]
    pub ue_3ge2ae: Option<String>,
    /// As `call`'s `tls_probe`, once the core got the UE's answer.
    #[serde(default)]
    pub tls_probe: bool,
}

/// What a call step observed beyond the messages.
#[derive(Debug, Clone, Default)]
pub struct CallRecord {
    /// TLS probes of the MSRP addresses the UE received.
    pub probes: Vec<probe::TlsProbe>,
}

/// Runs the TLS probes on the SDP the UE received (`got`) and records them.
fn run_probes(lab: &Lab, rec: &mut StepRecord, got: Option<&SipMessage>, timing: Timing) {
    let Some(sdp) = got.and_then(sdp_of) else {
        return;
    };
    let me = lab.ue.msrp_identity().ok();
    let timeout = timing.timeout.min(std::time::Duration::from_secs(3));
    rec.call = Some(Box::new(CallRecord {
        probes: probe::probe_sdp(&sdp, me, timeout),
    }));
}

/// `do: media_profile`: the UE's media-security profile for the registrations that follow.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MediaProfileStep {
    #[serde(default)]
    pub id: Option<String>,
    /// Indicate e2ae support (`sdes-srtp;mediasec`, `msrp-tls;mediasec` in Security-Client,
    /// TS 24.229 §7.2A.7).
    pub mediasec: bool,
}

impl CallStep {
    /// Checks the suite strings (at load time).
    pub fn validate(&self) -> Result<(), String> {
        for s in self.suites.iter().flatten() {
            crypto_line(1, s, &[0u8; 30])?;
        }
        Ok(())
    }
}

/// An SDES line `<tag> <suite> inline:<key> [params]` from "SUITE [PARAM ...]".
fn crypto_line(tag: u32, spec: &str, key: &[u8]) -> Result<CryptoAttr, String> {
    let mut it = spec.split_whitespace();
    let suite = it.next().ok_or("suites: empty entry")?;
    let b64 = CryptoAttr::new(tag, Suite::AesCm128HmacSha1_80, key);
    let inline = b64.keys.first().map(|k| k.info.clone()).ok_or("no key")?;
    let mut text = format!("{tag} {suite} inline:{inline}");
    for p in it {
        text.push(' ');
        text.push_str(p);
    }
    CryptoAttr::parse(&text).map_err(|e| format!("suites: '{spec}': {e}"))
}

/// The UE's MSRP certificate fingerprint (RFC 8122 §5: SHA-256 of its DER).
fn ue_fingerprint(lab: &Lab) -> Result<Fingerprint, String> {
    Ok(lab.ue.msrp_identity()?.fingerprint.clone())
}

/// A far end with a fresh MSRP certificate (for MSRP calls) or none.
fn far_identity(msrp: bool) -> Result<Option<MsrpIdentity>, String> {
    msrp.then(|| MsrpIdentity::generate("far.imsec.test"))
        .transpose()
}

/// Runs `call`.
pub fn call(
    lab: &mut Lab,
    rec: &mut StepRecord,
    step: &CallStep,
    timing: Timing,
) -> Result<(), String> {
    let identity = far_identity(step.offer == UeOffer::Msrp)?;
    let media_addr = lab.scscf_addr().ip();
    if let Ok(mut s) = lab.scscf.node.lock() {
        s.call = FarEnd {
            media_addr,
            e2ae: step.core_3ge2ae.clone(),
            identity,
        };
    }
    let addr = lab.ue.cfg.addr;
    let sdp = match step.offer {
        UeOffer::Rtp => audio_offer(addr, 20000, Proto::RtpAvp, &[], None),
        UeOffer::Msrp => {
            let fp = ue_fingerprint(lab)?;
            msrp_offer(addr, 20002, true, Some(&fp), Some("requested"))
        }
        UeOffer::E2ae | UeOffer::E2e => {
            let specs = step.suites.clone().unwrap_or_else(|| {
                vec![
                    Suite::AesCm128HmacSha1_80.name().to_string(),
                    Suite::AesCm128HmacSha1_32.name().to_string(),
                ]
            });
            let mut lines = Vec::new();
            for (i, s) in specs.iter().enumerate() {
                let key = lab.ue.media_key(Suite::AesCm128HmacSha1_80);
                lines.push(crypto_line(i as u32 + 1, s, &key)?);
            }
            let e2ae = (step.offer == UeOffer::E2ae).then_some("requested");
            audio_offer(addr, 20000, Proto::RtpSavp, &lines, e2ae)
        }
    };
    let target = format!("sip:callee@{}", lab.ue.cfg.realm);
    let (invite, w) = lab.ue.invite(&target, &sdp).map_err(|e| e.to_string())?;
    let before = lab.seen.len();
    let got = lab.transact(&w, |ue| ue.retransmit());
    if let Some(first) = lab.seen.get_mut(before) {
        if first.sip.is_none() {
            first.sip = Some(invite.clone());
        }
    }
    let (resp, _) = got?;
    rec.response = Some(lab.seen.len() - 1);
    if resp.status().is_some_and(|c| (200..300).contains(&c)) {
        let (ack, w) = lab.ue.ack(&invite, &resp).map_err(|e| e.to_string())?;
        lab.send(&w).map_err(|e| e.to_string())?;
        lab.note_sent_sip(&ack);
        if step.tls_probe {
            run_probes(lab, rec, Some(&resp), timing);
        }
    }
    Ok(())
}

/// Runs `incoming_call`.
pub fn incoming_call(
    lab: &mut Lab,
    rec: &mut StepRecord,
    step: &IncomingCallStep,
    timing: Timing,
) -> Result<(), String> {
    let sa3 = lab.ue.current_sa(3).map_err(|e| e.to_string())?;
    let core_ip = lab.scscf_addr().ip();
    let core_addr = SocketAddr::new(core_ip, 5070);
    let pcscf_core = SocketAddr::new(lab.pcscf_cfg.addr, lab.pcscf_cfg.core_port);
    let target = format!("sip:user@{}", SocketAddr::new(sa3.dst, sa3.dport));
    let e2ae = step.core_3ge2ae.as_deref();
    let sdp = match step.offer {
        CoreOffer::Rtp => audio_offer(core_ip, 31000, Proto::RtpAvp, &[], e2ae),
        CoreOffer::E2e => {
            let key = lab.ue.random(30);
            let c = CryptoAttr::new(1, Suite::AesCm128HmacSha1_80, &key);
            audio_offer(core_ip, 31000, Proto::RtpSavp, &[c], e2ae)
        }
        CoreOffer::Msrp => {
            // The far end signals its own certificate's fingerprint (a core that passes it).
            let identity = far_identity(true)?;
            let fp = identity.as_ref().map(|i| i.fingerprint.clone());
            if let Ok(mut s) = lab.scscf.node.lock() {
                s.call = FarEnd {
                    media_addr: core_ip,
                    e2ae: None,
                    identity,
                };
            }
            msrp_offer(core_ip, 31002, false, fp.as_ref(), e2ae)
        }
    };
    let n = lab.seen.len();
    let mut offer_at_ue: Option<SipMessage> = None;
    let invite = SipMessage::request("INVITE", &target)
        .with(
            "Via",
            &format!("SIP/2.0/UDP {core_addr};branch=z9hG4bKcorei{n}"),
        )
        .with("Max-Forwards", "70")
        .with("From", "<sip:caller@imsec.test>;tag=core")
        .with("To", &format!("<{target}>"))
        .with("Call-ID", &format!("core-call-{n}@imsec"))
        .with("CSeq", "1 INVITE")
        .with("Contact", &format!("<sip:caller@{core_addr}>"));
    let invite = with_sdp(invite, &sdp);
    let core = lab.core_socket(core_addr).map_err(|e| e.to_string())?;
    core.send_to(&invite.to_bytes(), pcscf_core)
        .map_err(|e| e.to_string())?;
    let deadline = Instant::now() + timing.timeout;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        let Some(s) = lab.recv_one(left) else { break };
        let is_invite = s
            .sip
            .as_ref()
            .is_some_and(|m| m.method().as_deref() == Some("INVITE"));
        if !is_invite {
            continue;
        }
        rec.request_at_ue = Some(lab.seen.len() - 1);
        offer_at_ue = s.sip.clone();
        if let (Some(m), Some(d)) = (s.sip, s.delivered) {
            let fp = ue_fingerprint(lab)?;
            let answer = sdp_of(&m).map(|offer| {
                let p = AnswerParams {
                    addr: lab.ue.cfg.addr,
                    port: 32000,
                    fingerprint: Some(&fp),
                    e2ae: step.ue_3ge2ae.as_deref(),
                };
                answer_to(&offer, &p, |s| lab.ue.media_key(s))
            });
            let (r, w) = lab
                .ue
                .answer_sdp(&m, d.set_id, d.tcp, 200, answer.as_deref())
                .map_err(|e| e.to_string())?;
            lab.send(&w).map_err(|e| e.to_string())?;
            lab.note_sent_sip(&r);
        }
        break;
    }
    if rec.request_at_ue.is_none() {
        return Err("the INVITE from the core never reached the UE".into());
    }
    let mut buf = vec![0u8; 65535];
    let _ = core.set_read_timeout(Some(timing.timeout));
    let resp = loop {
        match core.recv_from(&mut buf) {
            Ok((n, _)) => match buf.get(..n).map(SipMessage::parse) {
                Some(Ok(m)) if m.status().is_some_and(|c| c < 200) => continue,
                Some(Ok(m)) => break m,
                _ => return Err("the core got garbage back".into()),
            },
            Err(_) => return Err("the UE's answer never reached the core".into()),
        }
    };
    if let Ok(mut s) = lab.scscf.node.lock() {
        s.exchanges.push(Exchange {
            at: Instant::now(),
            request: invite.clone(),
            response: resp.clone(),
        });
    }
    if !resp.status().is_some_and(|c| (200..300).contains(&c)) {
        return Err(format!("the core got '{}' back", resp.start));
    }
    // RFC 3261 §13.2.2.4: the ACK, through the P-CSCF to the UE.
    let ack = SipMessage::request("ACK", &target)
        .with(
            "Via",
            &format!("SIP/2.0/UDP {core_addr};branch=z9hG4bKcorea{n}"),
        )
        .with("Max-Forwards", "70")
        .with("From", "<sip:caller@imsec.test>;tag=core")
        .with("To", resp.header("To").unwrap_or(""))
        .with("Call-ID", &format!("core-call-{n}@imsec"))
        .with("CSeq", "1 ACK")
        .with_content_length();
    let _ = core.send_to(&ack.to_bytes(), pcscf_core);
    if step.tls_probe {
        run_probes(lab, rec, offer_at_ue.as_ref(), timing);
    }
    Ok(())
}

/// Runs `media_profile`.
pub fn media_profile(lab: &mut Lab, step: &MediaProfileStep) -> Result<(), String> {
    lab.ue.mediasec = step.mediasec;
    Ok(())
}

/// The SDP of a message, for checks and evidence.
pub(crate) fn sdp(m: &SipMessage) -> Option<Sdp> {
    sdp_of(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::runner::not_applicable;
    use crate::engine::sut::resolve;
    use crate::mech::sdp::SessionParam;

    #[test]
    fn suite_specs_become_sdes_lines() {
        let c = crypto_line(3, "AES_CM_128_HMAC_SHA1_80 UNENCRYPTED_SRTP", &[5u8; 30]).unwrap();
        assert_eq!(c.tag, 3);
        assert_eq!(c.suite_name, "AES_CM_128_HMAC_SHA1_80");
        assert_eq!(c.session_params, vec![SessionParam::UnencryptedSrtp]);
        assert_eq!(
            c.keys[0].inline.as_ref().map(|i| i.key_salt.clone()),
            Some(vec![5u8; 30])
        );
        let bad = CallStep {
            id: None,
            offer: UeOffer::E2ae,
            suites: Some(vec!["AES-CM_128".into()]),
            core_3ge2ae: None,
            tls_probe: false,
        };
        assert!(bad.validate().is_err());
    }

    #[test]
    fn media_cases_need_a_profile_with_an_ims_alg() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../testcases/media/MEDIA-ORIG-01.yaml");
        let case = crate::engine::case::load(&path).unwrap();
        let builtin = resolve("builtin", None).unwrap();
        assert!(builtin.e2ae_media);
        assert_eq!(not_applicable(&case, &builtin), None);
        let dir = std::env::temp_dir().join(format!("imsec-call-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let base =
            "name: x\npcscf: 192.0.2.10:5060\nscscf_listen: 192.0.2.1:5060\nue_addr: 192.0.2.1\n";
        for (extra, want) in [("", false), ("e2ae_media: true\n", true)] {
            let f = dir.join("p.yaml");
            std::fs::write(&f, format!("{base}{extra}")).unwrap();
            let sut = resolve(f.to_str().unwrap(), None).unwrap();
            assert_eq!(sut.e2ae_media, want);
            let na = not_applicable(&case, &sut);
            assert_eq!(na.is_none(), want, "{na:?}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
