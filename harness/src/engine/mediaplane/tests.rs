//! The media step against the built-in gateway over loopback, with the stream installed on
//! the P-CSCF's gateway directly (as the IMS-ALG would after a call), conformant and flawed;
//! and the rules on hand-made records.

use super::plan::MediaPlan;
use super::run::exchange;
use super::*;
use crate::engine::steps::Timing;
use crate::lab::{Lab, LabOptions};
use crate::mech::sdp::CryptoAttr;
use crate::mech::srtp::{MasterKey, Suite};
use crate::roles::imsalg::IqInstruction;
use crate::roles::pcscf::{Flaw, Flaws};
use std::net::SocketAddr;
use std::time::Duration;

const UE_KS: [u8; 30] = [0x11; 30];
const PCSCF_KS: [u8; 30] = [0x22; 30];

/// A built-in lab with one gateway stream installed, and the plan the harness would derive.
fn lab_with_stream(flaws: &[Flaw]) -> (Lab, MediaPlan) {
    let opts = LabOptions {
        flaws: flaws.iter().copied().collect::<Flaws>(),
        ..LabOptions::default()
    };
    let lab = Lab::builtin(opts).expect("lab");
    let ue_media = SocketAddr::new(lab.ue.cfg.addr, 20000);
    let core_media = SocketAddr::new(lab.scscf_addr().ip(), 30000);
    let suite = Suite::AesCm128HmacSha1_80;
    let ports = {
        let running = lab.pcscf.as_ref().expect("built-in P-CSCF");
        let mut p = running.node.lock().expect("P-CSCF");
        let ports = p.agw.allocate().expect("a free stream");
        let iq = IqInstruction::Srtp {
            media: 0,
            from_ue: CryptoAttr::new(1, suite, &UE_KS),
            to_ue: CryptoAttr::new(1, suite, &PCSCF_KS),
        };
        p.agw
            .install(ports, &iq, ue_media, core_media)
            .expect("installed");
        ports
    };
    let key = |ks: &[u8]| MasterKey::from_key_salt(ks, &[]).expect("key");
    let plan = MediaPlan {
        suite,
        ue_key: key(&UE_KS),
        pcscf_key: key(&PCSCF_KS),
        ue_media,
        gw_ue_side: ports.ue_side,
        core_media,
        gw_core_side: ports.core_side,
    };
    (lab, plan)
}

fn timing() -> Timing {
    Timing {
        timeout: Duration::from_secs(2),
        silence: Duration::from_millis(300),
    }
}

fn step(deviation: Option<Deviation>) -> MediaStep {
    MediaStep {
        id: None,
        packets: 3,
        deviation,
        msrp: None,
    }
}

fn verdicts(flaws: &[Flaw], deviation: Option<Deviation>) -> [Verdict; 3] {
    let (mut lab, plan) = lab_with_stream(flaws);
    let r = exchange(&plan, &step(deviation), timing()).expect("media exchange");
    lab.stop();
    [
        judge(Rule::Forwarded, &r).verdict,
        judge(Rule::Rekeyed, &r).verdict,
        if deviation.is_some() {
            judge(Rule::DeviantDropped, &r).verdict
        } else {
            Verdict::Pass
        },
    ]
}

const PASS3: [Verdict; 3] = [Verdict::Pass, Verdict::Pass, Verdict::Pass];

#[test]
fn conformant_gateway_relays_rekeys_and_drops_every_deviation() {
    assert_eq!(verdicts(&[], None), PASS3);
    for d in [Deviation::Replay, Deviation::Tamper, Deviation::SrtcpNoTag] {
        assert_eq!(verdicts(&[], Some(d)), PASS3, "{d:?}");
    }
}

#[test]
fn each_gateway_flaw_fails_only_its_rule() {
    let fail_dev = [Verdict::Pass, Verdict::Pass, Verdict::Fail];
    assert_eq!(
        verdicts(&[Flaw::AgwNoReplayCheck], Some(Deviation::Replay)),
        fail_dev
    );
    assert_eq!(
        verdicts(&[Flaw::AgwNoReplayCheck], Some(Deviation::Tamper)),
        PASS3
    );
    assert_eq!(
        verdicts(&[Flaw::AgwNoAuthCheck], Some(Deviation::Tamper)),
        fail_dev
    );
    assert_eq!(
        verdicts(&[Flaw::AgwNoAuthCheck], Some(Deviation::Replay)),
        PASS3
    );
    assert_eq!(
        verdicts(&[Flaw::AgwAcceptUnauthSrtcp], Some(Deviation::SrtcpNoTag)),
        fail_dev
    );
    assert_eq!(
        verdicts(&[Flaw::AgwAcceptUnauthSrtcp], Some(Deviation::Tamper)),
        PASS3
    );
    assert_eq!(
        verdicts(&[Flaw::AgwReuseUeKey], None),
        [Verdict::Pass, Verdict::Fail, Verdict::Pass]
    );
}

fn record() -> MediaRecord {
    MediaRecord {
        plan: "test".into(),
        ue_payloads: vec![b"a".to_vec(), b"b".to_vec()],
        ue_rtcp: b"rtcp".to_vec(),
        core_rtp: vec![b"a".to_vec(), b"b".to_vec()],
        core_rtcp: vec![b"rtcp".to_vec()],
        core_payloads: vec![b"x".to_vec()],
        core_rtcp_sent: b"rr".to_vec(),
        ue_rtp: vec![AtUe::PcscfKey(b"x".to_vec())],
        ue_srtcp: vec![AtUe::PcscfKey(b"rr".to_vec())],
        deviation: Some(Deviation::Replay),
        deviant_at_core: 0,
        control_at_core: true,
        same_keys: false,
        msrp: None,
    }
}

fn msrp_record() -> super::msrp::MsrpRecord {
    let fp = crate::mech::sdp::Fingerprint {
        hash: "sha-256".into(),
        value: vec![7; 32],
    };
    super::msrp::MsrpRecord {
        signalled: Some(fp.clone()),
        leaf: Some(fp),
        tls: Some(Ok("TLSv1_3".into())),
        ue_to_core: true,
        core_to_ue: true,
        foreign: Some((Err("refused".into()), false)),
        null_probes: vec![("null".into(), Ok(None))],
        ..Default::default()
    }
}

#[test]
fn msrp_rules_on_records() {
    let v = |rule, r: super::msrp::MsrpRecord| super::msrp::judge(rule, Some(&r)).0;
    for rule in [
        Rule::MsrpRelayed,
        Rule::MsrpForeignCertRefused,
        Rule::MsrpNullRefused,
    ] {
        assert_eq!(v(rule, msrp_record()), Verdict::Pass, "{rule:?}");
        let mut r = msrp_record();
        r.not_anchored = true;
        assert_eq!(v(rule, r), Verdict::NotApplicable);
    }
    // The gateway's leaf is not the signalled one.
    let mut r = msrp_record();
    r.leaf = Some(crate::mech::sdp::Fingerprint {
        hash: "sha-256".into(),
        value: vec![8; 32],
    });
    assert_eq!(v(Rule::MsrpRelayed, r), Verdict::Fail);
    let mut r = msrp_record();
    r.core_to_ue = false;
    assert_eq!(v(Rule::MsrpRelayed, r), Verdict::Fail);
    // A foreign certificate relayed fails; refused without a working control proves nothing.
    let mut r = msrp_record();
    r.foreign = Some((Ok("TLSv1_3".into()), true));
    assert_eq!(v(Rule::MsrpForeignCertRefused, r), Verdict::Fail);
    let mut r = msrp_record();
    r.tls = Some(Err("refused".into()));
    assert_eq!(
        v(Rule::MsrpForeignCertRefused, r.clone()),
        Verdict::Inconclusive
    );
    assert_eq!(v(Rule::MsrpNullRefused, r), Verdict::Inconclusive);
    let mut r = msrp_record();
    r.null_probes = vec![("null".into(), Ok(Some("TLS_RSA_WITH_NULL_MD5".into())))];
    assert_eq!(v(Rule::MsrpNullRefused, r), Verdict::Fail);
    assert_eq!(
        super::msrp::judge(Rule::MsrpRelayed, None).0,
        Verdict::Error
    );
}

#[test]
fn rules_on_records() {
    let ok = record();
    for rule in [Rule::Forwarded, Rule::Rekeyed, Rule::DeviantDropped] {
        assert_eq!(judge(rule, &ok).verdict, Verdict::Pass, "{rule:?}");
    }
    // Forwarded: a missing, an altered payload, or the RTCP missing fails.
    let mut r = record();
    r.core_rtp.pop();
    assert_eq!(judge(Rule::Forwarded, &r).verdict, Verdict::Fail);
    let mut r = record();
    r.core_rtp[0] = b"garbled".to_vec();
    assert_eq!(judge(Rule::Forwarded, &r).verdict, Verdict::Fail);
    let mut r = record();
    r.core_rtcp.clear();
    assert_eq!(judge(Rule::Forwarded, &r).verdict, Verdict::Fail);
    // Rekeyed: the UE's key, or no key, fails; nothing at all is inconclusive.
    let mut r = record();
    r.ue_rtp.push(AtUe::UeKey);
    assert_eq!(judge(Rule::Rekeyed, &r).verdict, Verdict::Fail);
    let mut r = record();
    r.ue_srtcp = vec![AtUe::Neither("tag".into())];
    assert_eq!(judge(Rule::Rekeyed, &r).verdict, Verdict::Fail);
    let mut r = record();
    r.ue_rtp.clear();
    r.ue_srtcp.clear();
    assert_eq!(judge(Rule::Rekeyed, &r).verdict, Verdict::Inconclusive);
    // Deviant: arrival fails; silence without the control is inconclusive.
    let mut r = record();
    r.deviant_at_core = 1;
    assert_eq!(judge(Rule::DeviantDropped, &r).verdict, Verdict::Fail);
    let mut r = record();
    r.control_at_core = false;
    assert_eq!(
        judge(Rule::DeviantDropped, &r).verdict,
        Verdict::Inconclusive
    );
    let mut r = record();
    r.deviation = None;
    assert_eq!(judge(Rule::DeviantDropped, &r).verdict, Verdict::Error);
}
