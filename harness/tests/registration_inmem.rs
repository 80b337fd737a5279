//! Registration through the reference P-CSCF with every alg/ealg pair, both ESP modes, over an
//! in-memory switchboard (no sockets): UE (harness) → P-CSCF (SUT) → S-CSCF (harness).

use imsec::mech::algorithms::{check_pair, EncAlg, IntegAlg};
use imsec::mech::digest::AkaAlgorithm;
use imsec::mech::secagree::ipsec::IpsecMode;
use imsec::mech::sip::SipMessage;
use imsec::roles::gm::{SealOpts, Wire};
use imsec::roles::pcscf::{Flaw, Pcscf, PcscfConfig};
use imsec::roles::scscf::{Scscf, ScscfConfig};
use imsec::roles::subscriber::{Subscriber, SubscriberStore};
use imsec::roles::ue::{RegisterOpts, Ue, UeConfig};
use std::net::{IpAddr, SocketAddr};

#[path = "support/inmem.rs"]
mod inmem;
use inmem::{ip, seeded, K, OPC, P, S, U};

struct Lab {
    ue: Ue,
    pcscf: Pcscf,
    scscf: Scscf,
    /// Everything that reached the UE, in order.
    at_ue: Vec<Wire>,
}

fn dst_of(w: &Wire) -> IpAddr {
    match w {
        Wire::Udp { peer, .. } | Wire::Tcp { peer, .. } | Wire::Tls { peer, .. } => peer.ip(),
        Wire::Ip { packet } => IpAddr::from([packet[16], packet[17], packet[18], packet[19]]),
    }
}

fn arrive(w: Wire) -> Wire {
    match w {
        Wire::Udp {
            local,
            peer,
            payload,
        } => Wire::Udp {
            local: peer,
            peer: local,
            payload,
        },
        ip => ip,
    }
}

impl Lab {
    fn new(pairs: Vec<(IntegAlg, EncAlg)>, mode: IpsecMode, flaws: &[Flaw]) -> Lab {
        let h = |s: &str| imsec::hexarg::decode_fixed::<16>(s).unwrap();
        let scscf_addr = SocketAddr::new(ip(S), 5060);
        let mut pc = PcscfConfig::on(ip(P), scscf_addr);
        pc.flaws = flaws.iter().copied().collect();
        let pcscf = Pcscf::new(pc, seeded(11), seeded(12));
        let sub = Subscriber {
            impi: "user@imsec.test".into(),
            impus: vec!["sip:user@imsec.test".into()],
            k: h(K),
            opc: h(OPC),
            amf: [0x80, 0],
            sqn: 0x100,
            algorithm: AkaAlgorithm::AkaV1Md5,
        };
        let scscf = Scscf::new(
            ScscfConfig::default(),
            SubscriberStore::new(vec![sub]),
            seeded(13),
        );
        let ue = Ue::new(
            UeConfig {
                addr: ip(U),
                impi: "user@imsec.test".into(),
                impu: "sip:user@imsec.test".into(),
                realm: "imsec.test".into(),
                k: h(K),
                opc: h(OPC),
                sqn_ms: 0x100,
                pcscf: SocketAddr::new(ip(P), 5060),
                unprotected_port: 5060,
                offers: pairs,
                mode,
                encap_port: 4500,
                pcscf_encap_port: 4500,
                expires: 600,
                transport: Default::default(),
            },
            seeded(14),
            seeded(15),
        );
        Lab {
            ue,
            pcscf,
            scscf,
            at_ue: Vec::new(),
        }
    }

    /// Delivers `w` and everything it causes until the network is quiet.
    fn run(&mut self, w: Wire) {
        let mut queue = vec![w];
        let mut steps = 0;
        while let Some(w) = queue.pop() {
            steps += 1;
            assert!(steps < 100, "message loop");
            let to = dst_of(&w);
            let w = arrive(w);
            if to == ip(P) {
                queue.extend(self.pcscf.handle(w, 1000));
            } else if to == ip(S) {
                if let Wire::Udp {
                    local,
                    peer,
                    payload,
                } = w
                {
                    let req = SipMessage::parse(&payload).unwrap();
                    if req.status().is_none() {
                        let r = self.scscf.handle(&req);
                        queue.push(Wire::Udp {
                            local,
                            peer,
                            payload: r.to_bytes(),
                        });
                    }
                }
            } else if to == ip(U) {
                self.at_ue.push(w);
            }
        }
    }

    /// The last SIP message that reached the UE (opening ESP when needed).
    fn last_sip(&mut self) -> Option<SipMessage> {
        let w = self.at_ue.last()?.clone();
        match &w {
            Wire::Udp { local, payload, .. } if local.port() == 5060 || local.port() != 4500 => {
                SipMessage::parse(payload).ok()
            }
            _ => {
                let d = self.ue.open(&w).ok()?;
                SipMessage::parse(&d.payload).ok()
            }
        }
    }

    fn register(&mut self) -> u16 {
        let (_, w) = self.ue.initial_register();
        self.run(w);
        let r401 = self.last_sip().expect("answer to initial REGISTER");
        self.ue.on_challenge(&r401).expect("usable challenge");
        let (_, w) = self
            .ue
            .protected_register(&RegisterOpts::default())
            .unwrap();
        self.run(w);
        let r = self.last_sip().expect("answer to protected REGISTER");
        let code = r.status().unwrap();
        if code == 200 {
            self.ue.registered(true);
        }
        code
    }
}

fn all_pairs() -> Vec<(IntegAlg, EncAlg)> {
    let mut v = Vec::new();
    for a in IntegAlg::ALL {
        for e in EncAlg::ALL {
            if check_pair(a, e).is_ok() {
                v.push((a, e));
            }
        }
    }
    v
}

#[test]
fn every_pair_registers_in_both_modes() {
    for mode in [IpsecMode::UdpEncTunnel, IpsecMode::Transport] {
        for pair in all_pairs() {
            let mut lab = Lab::new(vec![pair], mode, &[]);
            assert_eq!(lab.register(), 200, "{pair:?} {mode:?}");
            let ch = lab.ue.challenge.clone().unwrap();
            assert_eq!((ch.chosen.alg, ch.chosen.ealg), pair);
            assert!(lab.scscf.is_registered("user@imsec.test"));
            // A protected request now reaches the core and its answer comes back protected.
            let (_, w) = lab.ue.request("OPTIONS", SealOpts::default()).unwrap();
            let before = lab.scscf.received.len();
            lab.run(w);
            assert_eq!(lab.scscf.received.len(), before + 1, "{pair:?}");
        }
    }
}

#[test]
fn reregistration_replaces_and_deregistration_removes_the_sas() {
    let mut lab = Lab::new(
        vec![(IntegAlg::HmacSha1_96, EncAlg::AesCbc)],
        IpsecMode::UdpEncTunnel,
        &[],
    );
    assert_eq!(lab.register(), 200);
    assert_eq!(lab.pcscf.sa_set_ids().len(), 1);
    let first = lab.pcscf.sa_set_ids()[0];
    // Re-registration: REGISTER over the old SAs, new challenge, answer over the new SAs.
    let (_, w) = lab.ue.reregister(600).unwrap();
    lab.run(w);
    let r401 = lab.last_sip().unwrap();
    lab.ue.on_challenge(&r401).unwrap();
    let (_, w) = lab.ue.protected_register(&RegisterOpts::default()).unwrap();
    lab.run(w);
    assert_eq!(lab.last_sip().unwrap().status(), Some(200));
    lab.ue.registered(true);
    let now = lab.pcscf.sa_set_ids();
    assert_eq!(now.len(), 1, "old set retired");
    assert_ne!(now[0], first);
    // De-registration over the current SAs: 200 protected, then no SAs.
    let (_, w) = lab.ue.reregister(0).unwrap();
    lab.run(w);
    assert_eq!(lab.last_sip().unwrap().status(), Some(200));
    assert!(lab.pcscf.sa_set_ids().is_empty());
    assert!(!lab.scscf.is_registered("user@imsec.test"));
}

#[test]
fn modified_verify_is_refused_and_the_flawed_variant_accepts_it() {
    for (flaws, want) in [(vec![], 494), (vec![Flaw::AcceptModifiedVerify], 200)] {
        let mut lab = Lab::new(
            vec![(IntegAlg::HmacSha1_96, EncAlg::AesCbc)],
            IpsecMode::UdpEncTunnel,
            &flaws,
        );
        let (_, w) = lab.ue.initial_register();
        lab.run(w);
        let r401 = lab.last_sip().unwrap();
        let c = lab.ue.on_challenge(&r401).unwrap();
        let mut verify = c.server.clone();
        for p in &mut verify[0].params {
            if p.name == "alg" {
                p.value = Some("hmac-md5-96".into());
            }
        }
        let opts = RegisterOpts {
            verify: Some(verify),
            ..Default::default()
        };
        let (_, w) = lab.ue.protected_register(&opts).unwrap();
        lab.run(w);
        assert_eq!(lab.last_sip().unwrap().status(), Some(want), "{flaws:?}");
    }
}

#[test]
fn ck_ik_never_reach_the_ue_unless_leaked() {
    for (flaws, leaked) in [(vec![], false), (vec![Flaw::LeakCkIk], true)] {
        let mut lab = Lab::new(
            vec![(IntegAlg::HmacSha1_96, EncAlg::Null)],
            IpsecMode::UdpEncTunnel,
            &flaws,
        );
        let (_, w) = lab.ue.initial_register();
        lab.run(w);
        let r401 = lab.last_sip().unwrap();
        let www = r401
            .header("WWW-Authenticate")
            .unwrap()
            .to_ascii_lowercase();
        let p = imsec::mech::digest::params::parse(&www).unwrap();
        assert_eq!(
            p.get("ck").is_some() || p.get("ik").is_some(),
            leaked,
            "{www}"
        );
        assert!(r401.header("Security-Server").is_some());
    }
}

#[test]
fn ue_out_of_sync_resynchronises_with_auts_then_registers() {
    let mut lab = Lab::new(
        vec![(IntegAlg::HmacSha1_96, EncAlg::AesCbc)],
        IpsecMode::UdpEncTunnel,
        &[],
    );
    // The USIM has seen a higher SQN than the HSS will use: the first AUTN is stale.
    lab.ue.cfg.sqn_ms = 0x5000;
    let (_, w) = lab.ue.initial_register();
    lab.run(w);
    let r401 = lab.last_sip().unwrap();
    let (auts, ch) = match lab.ue.on_challenge(&r401) {
        Err(imsec::roles::ue::UeError::SyncFailure { auts, challenge }) => (auts, challenge),
        other => panic!("expected a synchronisation failure, got {other:?}"),
    };
    let (_, w) = lab.ue.resync_register(&ch, &auts);
    lab.run(w);
    let again = lab.last_sip().unwrap();
    assert_eq!(again.status(), Some(401), "a fresh challenge after AUTS");
    let c = lab
        .ue
        .on_challenge(&again)
        .expect("fresh AUTN after resynchronisation");
    let _ = c;
    assert_eq!(lab.ue.cfg.sqn_ms, 0x5001, "HSS continued from SQN_MS + 1");
    let (_, w) = lab.ue.protected_register(&RegisterOpts::default()).unwrap();
    lab.run(w);
    assert_eq!(lab.last_sip().unwrap().status(), Some(200));
    // Only one temporary/promoted set remains at the P-CSCF.
    assert_eq!(lab.pcscf.sa_set_ids().len(), 1);
}

#[test]
fn akav2_subscriber_registers() {
    let mut lab = Lab::new(
        vec![(IntegAlg::Null, EncAlg::AesGcm)],
        IpsecMode::UdpEncTunnel,
        &[],
    );
    lab.scscf
        .store()
        .by_impi("user@imsec.test")
        .unwrap()
        .algorithm = AkaAlgorithm::AkaV2Md5;
    let (_, w) = lab.ue.initial_register();
    lab.run(w);
    let r401 = lab.last_sip().unwrap();
    assert!(r401
        .header("WWW-Authenticate")
        .unwrap()
        .contains("algorithm=AKAv2-MD5"));
    lab.ue.on_challenge(&r401).unwrap();
    let (_, w) = lab.ue.protected_register(&RegisterOpts::default()).unwrap();
    lab.run(w);
    assert_eq!(lab.last_sip().unwrap().status(), Some(200));
}

#[test]
fn retransmitted_requests_are_answered_from_the_transaction_not_forwarded_again() {
    let mut lab = Lab::new(
        vec![(IntegAlg::HmacSha1_96, EncAlg::AesCbc)],
        IpsecMode::UdpEncTunnel,
        &[],
    );
    assert_eq!(lab.register(), 200);
    let seen = lab.scscf.received.len();
    // The UE retransmits its protected REGISTER (say its 200 was lost): a new ESP packet with
    // the next sequence number, same SIP transaction.
    let w = lab.ue.retransmit().expect("a request to retransmit");
    lab.run(w);
    assert_eq!(
        lab.last_sip().unwrap().status(),
        Some(200),
        "200 sent again"
    );
    assert_eq!(
        lab.scscf.received.len(),
        seen,
        "not forwarded to the core twice"
    );
}

/// TS 24.229 §7.2A.7, TS 33.328 §7.1: the P-CSCF answers the UE's `mediasec` entries in
/// Security-Server, and they are part of what Security-Verify must repeat (a Security-Verify
/// without them is a modification: 494); a UE without them gets none.
#[test]
fn mediasec_entries_are_answered_and_part_of_the_verify_comparison() {
    for (ue_mediasec, drop_from_verify, want) in
        [(true, false, 200), (true, true, 494), (false, false, 200)]
    {
        let mut lab = Lab::new(
            vec![(IntegAlg::HmacSha1_96, EncAlg::AesCbc)],
            IpsecMode::UdpEncTunnel,
            &[],
        );
        lab.ue.mediasec = ue_mediasec;
        let (_, w) = lab.ue.initial_register();
        lab.run(w);
        let r401 = lab.last_sip().unwrap();
        let server = r401
            .headers_named("Security-Server")
            .collect::<Vec<_>>()
            .join(", ");
        assert_eq!(
            server.contains("sdes-srtp;mediasec"),
            ue_mediasec,
            "{server}"
        );
        assert_eq!(
            server.contains("msrp-tls;mediasec"),
            ue_mediasec,
            "{server}"
        );
        let c = lab.ue.on_challenge(&r401).unwrap();
        let verify = c
            .server
            .iter()
            .filter(|m| !(drop_from_verify && m.is_mediasec()))
            .cloned()
            .collect();
        let o = RegisterOpts {
            verify: Some(verify),
            ..RegisterOpts::default()
        };
        let (_, w) = lab.ue.protected_register(&o).unwrap();
        lab.run(w);
        assert_eq!(
            lab.last_sip().unwrap().status(),
            Some(want),
            "mediasec {ue_mediasec}, dropped from verify {drop_from_verify}"
        );
    }
}

/// TS 33.328 §7.2.1 through the reference P-CSCF as IMS-ALG, in memory: the offer reaches the
/// core as RTP/AVP anchored on the gateway, a provisional response keeps the transaction (a
/// retransmitted INVITE is absorbed, RFC 3261 §16.7), and the UE's answer is RTP/SAVP with a
/// key of the P-CSCF's, without lifetime.
#[test]
fn originating_call_through_the_ims_alg_with_a_provisional_response() {
    use imsec::mech::sdp::{CryptoAttr, Proto};
    use imsec::mech::srtp::Suite;
    use imsec::roles::ue::call::{audio_offer, sdp_of};
    let mut lab = Lab::new(
        vec![(IntegAlg::HmacSha1_96, EncAlg::AesCbc)],
        IpsecMode::UdpEncTunnel,
        &[],
    );
    lab.ue.mediasec = true;
    assert_eq!(lab.register(), 200);
    let ue_key = vec![7u8; 30];
    let c = CryptoAttr::new(1, Suite::AesCm128HmacSha1_80, &ue_key);
    let offer = audio_offer(ip(U), 20000, Proto::RtpSavp, &[c], Some("requested"));
    let (_, w) = lab.ue.invite("sip:callee@imsec.test", &offer).unwrap();
    let to_core = lab
        .pcscf
        .handle(arrive(w), 1000)
        .into_iter()
        .find(|w| dst_of(w) == ip(S))
        .expect("INVITE forwarded to the core");
    let (core_local, pcscf_core, payload) = match arrive(to_core) {
        Wire::Udp {
            local,
            peer,
            payload,
        } => (local, peer, payload),
        _ => panic!("not UDP"),
    };
    let invite = SipMessage::parse(&payload).unwrap();
    let at_core = sdp_of(&invite).unwrap();
    let m = &at_core.media()[0];
    assert_eq!(m.proto(), Some(Proto::RtpAvp));
    assert!(m.crypto().is_empty() && m.e2ae().is_empty());
    let c_line = m.lines().iter().find(|l| l.kind == 'c').unwrap();
    assert_eq!(c_line.value, "IN IP4 127.0.0.2", "anchored on the gateway");
    // 180 Ringing from the core reaches the UE; the transaction goes on.
    let ringing =
        SipMessage::response_to(&invite, 180, "Ringing", Some("far")).with_content_length();
    lab.run(Wire::Udp {
        local: core_local,
        peer: pcscf_core,
        payload: ringing.to_bytes(),
    });
    assert_eq!(lab.last_sip().unwrap().status(), Some(180));
    let received = lab.scscf.received.len();
    let again = lab.ue.retransmit().unwrap();
    lab.run(again);
    assert_eq!(
        lab.scscf.received.len(),
        received,
        "retransmission absorbed"
    );
    // The far end's 200 with its answer.
    let ok = lab.scscf.handle(&invite);
    lab.run(Wire::Udp {
        local: core_local,
        peer: pcscf_core,
        payload: ok.to_bytes(),
    });
    let final_ = lab.last_sip().unwrap();
    assert_eq!(final_.status(), Some(200));
    let at_ue = sdp_of(&final_).unwrap();
    let m = &at_ue.media()[0];
    assert_eq!(m.proto(), Some(Proto::RtpSavp));
    let lines: Vec<CryptoAttr> = m.crypto().into_iter().map(Result::unwrap).collect();
    assert_eq!(lines.len(), 1);
    let inline = lines[0].keys[0].inline.as_ref().unwrap();
    assert_ne!(inline.key_salt, ue_key, "K12 is the P-CSCF's");
    assert_eq!(inline.key_salt.len(), 30);
    assert!(inline.lifetime.is_none());
}

/// TS 33.328 §7.2.1 step 8 with early media: the answer in a 183 is rewritten once, and the
/// 200 that repeats it brings the UE the same P-CSCF key (RFC 3264 §8: no new exchange).
#[test]
fn early_answer_and_final_answer_carry_the_same_pcscf_key() {
    use imsec::mech::sdp::{CryptoAttr, Proto};
    use imsec::mech::srtp::Suite;
    use imsec::roles::ue::call::{audio_offer, sdp_of};
    let mut lab = Lab::new(
        vec![(IntegAlg::HmacSha1_96, EncAlg::AesCbc)],
        IpsecMode::UdpEncTunnel,
        &[],
    );
    lab.ue.mediasec = true;
    assert_eq!(lab.register(), 200);
    let c = CryptoAttr::new(1, Suite::AesCm128HmacSha1_80, &[7u8; 30]);
    let offer = audio_offer(ip(U), 20000, Proto::RtpSavp, &[c], Some("requested"));
    let (_, w) = lab.ue.invite("sip:callee@imsec.test", &offer).unwrap();
    let to_core = lab
        .pcscf
        .handle(arrive(w), 1000)
        .into_iter()
        .find(|w| dst_of(w) == ip(S))
        .unwrap();
    let Wire::Udp {
        local,
        peer,
        payload,
        ..
    } = arrive(to_core)
    else {
        panic!("not UDP")
    };
    let invite = SipMessage::parse(&payload).unwrap();
    let ok = lab.scscf.handle(&invite);
    let mut early = ok.clone();
    early.start = imsec::mech::sip::StartLine::Response {
        version: "SIP/2.0".into(),
        code: 183,
        reason: "Session Progress".into(),
    };
    let mut keys = Vec::new();
    for r in [early, ok] {
        lab.run(Wire::Udp {
            local,
            peer,
            payload: r.to_bytes(),
        });
        let m = lab.last_sip().unwrap();
        let sdp = sdp_of(&m).unwrap();
        let line = sdp.media()[0].crypto().remove(0).unwrap();
        keys.push(line.keys[0].inline.as_ref().unwrap().key_salt.clone());
    }
    assert_eq!(keys[0], keys[1]);
    assert_ne!(keys[0], vec![7u8; 30]);
}
