//! The IMS-ALG rewriting, step by step (TS 33.328 §7.2.1, §7.3.1). Expected SDP is written
//! out by hand from the clause text; keys are fixed octets whose base64 was computed with
//! Python (`base64.b64encode(b'\x11'*30)` = "ERER...").

use super::*;
use crate::mech::secagree::header::{parse_value, Mode};

const GW_FP: &str = "sha-256 AA:BB:CC:DD";
const K12: [u8; 30] = [0x11; 30];
const K12_B64: &str = "ERERERERERERERERERERERERERERERERERERERER";
const K21_80_B64: &str = "ISEhISEhISEhISEhISEhISEhISEhISEhISEhISEh";
const K21_32_B64: &str = "IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIi";

fn gw() -> Fingerprint {
    Fingerprint::parse(GW_FP).unwrap()
}

fn both() -> E2aeSupport {
    E2aeSupport {
        rtp: true,
        msrp: true,
    }
}

/// §7.2.1 step 1: the UE's offer. Audio: two SDES lines (the first with UNENCRYPTED_SRTP,
/// which TS 33.328 §5.3 rules out) and "e2ae-security requested by UE"; video plain RTP;
/// MSRP over TLS with the UE's fingerprint; and an `applied` indication some other party
/// put at session level.
const UE_OFFER: &str = "v=0\r\n\
o=ue 1 1 IN IP6 2001:db8::a\r\n\
s=-\r\n\
c=IN IP6 2001:db8::a\r\n\
t=0 0\r\n\
a=3ge2ae:applied\r\n\
m=audio 4000 RTP/SAVP 8\r\n\
a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:aSBrbm93IGFsbCB5b3VyIGxpdHRsZSBzZWNyZXRz UNENCRYPTED_SRTP\r\n\
a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n\
a=3ge2ae:requested\r\n\
m=video 4002 RTP/AVP 96\r\n\
a=rtpmap:96 H264/90000\r\n\
m=message 7000 TCP/TLS/MSRP *\r\n\
a=path:msrps://[2001:db8::a]:7000/s1;tcp\r\n\
a=fingerprint:SHA-256 01:02:03:04\r\n";

const TO_CORE: &str = "v=0\r\n\
o=ue 1 1 IN IP6 2001:db8::a\r\n\
s=-\r\n\
c=IN IP6 2001:db8::a\r\n\
t=0 0\r\n\
m=audio 4000 RTP/AVP 8\r\n\
m=video 4002 RTP/AVP 96\r\n\
a=rtpmap:96 H264/90000\r\n\
m=message 7000 TCP/MSRP *\r\n\
a=path:msrps://[2001:db8::a]:7000/s1;tcp\r\n";

/// §7.2.1 step 5/6: the answer from the core, with an indication another party inserted.
const CORE_ANSWER: &str = "v=0\r\n\
o=far 2 2 IN IP4 192.0.2.9\r\n\
s=-\r\n\
c=IN IP4 192.0.2.9\r\n\
t=0 0\r\n\
m=audio 5000 RTP/AVP 8\r\n\
a=3ge2ae:applied\r\n\
m=video 5002 RTP/AVP 96\r\n\
m=message 7002 TCP/MSRP *\r\n\
a=path:msrp://192.0.2.9:7002/s2;tcp\r\n";

#[test]
fn originating_offer_steps_2_and_3() {
    let offer = Sdp::parse(UE_OFFER).unwrap();
    let (to_core, session) = originating_offer(&offer, both()).unwrap();
    // Step 3: SRTP -> RTP, every a=crypto and the indication removed; MSRP: TCP/MSRP, the
    // fingerprint removed; the foreign session-level indication removed; the rest untouched.
    assert_eq!(to_core.emit(), TO_CORE);
    // Step 3 "selects one SDES crypto attribute": tag 2 (tag 1 asks for UNENCRYPTED_SRTP).
    match &session.media[0] {
        MediaPlan::Srtp { ue: Some(c), .. } => assert_eq!(c.tag, 2),
        other => panic!("{other:?}"),
    }
    assert_eq!(session.media[1], MediaPlan::Untouched);
    assert_eq!(
        session.media[2],
        MediaPlan::Msrp {
            ue_fingerprint: Some(Fingerprint::parse("sha-256 01:02:03:04").unwrap()),
            tcp_offered: false
        }
    );
}

#[test]
fn originating_answer_steps_7_and_8() {
    let offer = Sdp::parse(UE_OFFER).unwrap();
    let (_, session) = originating_offer(&offer, both()).unwrap();
    let answer = Sdp::parse(CORE_ANSWER).unwrap();
    let mut asked = Vec::new();
    let (to_ue, iq) = originating_answer(
        &session,
        &answer,
        |s| {
            asked.push(s);
            K12.to_vec()
        },
        &gw(),
    )
    .unwrap();
    // Step 7: one key K12 for the selected suite.
    assert_eq!(asked, [Suite::AesCm128HmacSha1_32]);
    // Step 8: RTP -> SRTP with the created line (same tag and suite, K12, no lifetime); MSRP:
    // TCP/TLS/MSRP with the gateway's fingerprint; the core's indication removed.
    let want = format!(
        "v=0\r\n\
o=far 2 2 IN IP4 192.0.2.9\r\n\
s=-\r\n\
c=IN IP4 192.0.2.9\r\n\
t=0 0\r\n\
m=audio 5000 RTP/SAVP 8\r\n\
a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:{K12_B64}\r\n\
m=video 5002 RTP/AVP 96\r\n\
m=message 7002 TCP/TLS/MSRP *\r\n\
a=path:msrp://192.0.2.9:7002/s2;tcp\r\n\
a=fingerprint:sha-256 AA:BB:CC:DD\r\n"
    );
    assert_eq!(to_ue.emit(), want);
    // Step 7: the gateway decrypts the UE's stream with K11 (the UE's tag-2 key) and protects
    // towards the UE with K12.
    assert_eq!(iq.len(), 2);
    match &iq[0] {
        IqInstruction::Srtp {
            media,
            from_ue,
            to_ue,
        } => {
            assert_eq!(*media, 0);
            assert_eq!(
                from_ue.keys[0].inline.as_ref().unwrap().b64,
                "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"
            );
            assert_eq!(to_ue.keys[0].inline.as_ref().unwrap().key_salt, K12);
            assert_ne!(
                from_ue.keys[0].inline, to_ue.keys[0].inline,
                "a fresh key, not the UE's"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        iq[1],
        IqInstruction::Msrp {
            media: 2,
            ue_fingerprint: Fingerprint::parse("sha-256 01:02:03:04").unwrap(),
            paths: MsrpPaths::default(),
        }
    );
}

#[test]
fn originating_without_request_or_support_is_untouched() {
    // Step 2: no "requested" indication -> TS 23.228 handling for the SRTP stream (e2e).
    let no_req = UE_OFFER.replace("a=3ge2ae:requested\r\n", "");
    let (to_core, s) = originating_offer(&Sdp::parse(&no_req).unwrap(), both()).unwrap();
    assert_eq!(s.media[0], MediaPlan::Untouched);
    assert!(to_core
        .emit()
        .contains("m=audio 4000 RTP/SAVP 8\r\na=crypto:1"));
    // No support indicated at registration: the request is not honoured either.
    let (_, s) = originating_offer(
        &Sdp::parse(UE_OFFER).unwrap(),
        E2aeSupport {
            rtp: false,
            msrp: true,
        },
    )
    .unwrap();
    assert_eq!(s.media[0], MediaPlan::Untouched);
    // MSRP over TLS gets e2ae by default even without MSRP support (step 2).
    assert!(matches!(s.media[2], MediaPlan::Msrp { .. }));
}

#[test]
fn originating_offer_without_acceptable_crypto_is_refused() {
    let only_clear = UE_OFFER.replace(
        "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n",
        "a=crypto:2 NULL_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n",
    );
    assert_eq!(
        originating_offer(&Sdp::parse(&only_clear).unwrap(), both()).unwrap_err(),
        AlgError::NoAcceptableCrypto { media: 0 }
    );
}

/// §7.3.1 step 2: the offer from the core: plain RTP audio, e2e SRTP video (NOTE 2),
/// TCP/MSRP with the far end's fingerprint, and an indication another party inserted.
const CORE_OFFER: &str = "v=0\r\n\
o=far 3 3 IN IP4 192.0.2.9\r\n\
s=-\r\n\
c=IN IP4 192.0.2.9\r\n\
t=0 0\r\n\
m=audio 5000 RTP/AVP 0 8\r\n\
a=3ge2ae:applied\r\n\
m=video 5002 RTP/SAVP 96\r\n\
a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:aSBrbm93IGFsbCB5b3VyIGxpdHRsZSBzZWNyZXRz\r\n\
m=message 7002 TCP/MSRP *\r\n\
a=fingerprint:SHA-256 09:09\r\n";

fn k21(s: Suite) -> Vec<u8> {
    match s {
        Suite::AesCm128HmacSha1_80 => vec![0x21; 30],
        _ => vec![0x22; 30],
    }
}

#[test]
fn terminating_offer_steps_3_and_4() {
    let offer = Sdp::parse(CORE_OFFER).unwrap();
    let (to_ue, s) = terminating_offer(&offer, both(), k21, &gw()).unwrap();
    let want = format!(
        "v=0\r\n\
o=far 3 3 IN IP4 192.0.2.9\r\n\
s=-\r\n\
c=IN IP4 192.0.2.9\r\n\
t=0 0\r\n\
m=audio 5000 RTP/SAVP 0 8\r\n\
a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{K21_80_B64}\r\n\
a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:{K21_32_B64}\r\n\
a=3ge2ae:applied\r\n\
m=video 5002 RTP/SAVP 96\r\n\
a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:aSBrbm93IGFsbCB5b3VyIGxpdHRsZSBzZWNyZXRz\r\n\
m=message 7002 TCP/TLS/MSRP *\r\n\
a=fingerprint:sha-256 AA:BB:CC:DD\r\n\
a=3ge2ae:applied\r\n"
    );
    // Step 4: RTP -> SRTP with the P-CSCF's lines (no lifetime) and the e2ae indication
    // (exactly one: the inserted one is gone); the e2e SRTP stream is untouched (NOTE 2);
    // MSRP over TLS with the gateway's fingerprint only.
    assert_eq!(to_ue.emit(), want);
    assert_eq!(s.media[1], MediaPlan::Untouched);
    // Step 3: without support at registration nothing is changed but foreign indications.
    let (plain, s) = terminating_offer(&offer, E2aeSupport::default(), k21, &gw()).unwrap();
    assert!(s.media.iter().all(|p| *p == MediaPlan::Untouched));
    assert_eq!(plain.emit(), CORE_OFFER.replace("a=3ge2ae:applied\r\n", ""));
}

const UE_ANSWER: &str = "v=0\r\n\
o=ueb 4 4 IN IP6 2001:db8::b\r\n\
s=-\r\n\
c=IN IP6 2001:db8::b\r\n\
t=0 0\r\n\
m=audio 6000 RTP/SAVP 8\r\n\
a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:aSBrbm93IGFsbCB5b3VyIGxpdHRsZSBzZWNyZXRz\r\n\
a=3ge2ae:applied\r\n\
m=video 6002 RTP/SAVP 96\r\n\
a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n\
m=message 7004 TCP/TLS/MSRP *\r\n\
a=fingerprint:SHA-256 0B:0B\r\n";

#[test]
fn terminating_answer_steps_5_to_7() {
    let (_, s) = terminating_offer(&Sdp::parse(CORE_OFFER).unwrap(), both(), k21, &gw()).unwrap();
    let (to_core, iq) = terminating_answer(&s, &Sdp::parse(UE_ANSWER).unwrap()).unwrap();
    // Step 7: SRTP -> RTP without the SDES line; MSRP back to TCP/MSRP (offered so) without
    // the UE's fingerprint; the e2e video passes unchanged; no indication towards the core.
    let want = "v=0\r\n\
o=ueb 4 4 IN IP6 2001:db8::b\r\n\
s=-\r\n\
c=IN IP6 2001:db8::b\r\n\
t=0 0\r\n\
m=audio 6000 RTP/AVP 8\r\n\
m=video 6002 RTP/SAVP 96\r\n\
a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n\
m=message 7004 TCP/MSRP *\r\n";
    assert_eq!(to_core.emit(), want);
    // Step 6: K22 (the UE's line) to decrypt, K21 of the chosen tag to protect towards the UE.
    match &iq[0] {
        IqInstruction::Srtp {
            media: 0,
            from_ue,
            to_ue,
        } => {
            assert_eq!(
                from_ue.keys[0].inline.as_ref().unwrap().key_salt,
                b"i know all your little secrets"
            );
            assert_eq!(to_ue.keys[0].inline.as_ref().unwrap().b64, K21_80_B64);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        iq[1],
        IqInstruction::Msrp {
            media: 2,
            ue_fingerprint: Fingerprint::parse("sha-256 0B:0B").unwrap(),
            paths: MsrpPaths::default(),
        }
    );
}

#[test]
fn terminating_answer_checks_the_sdes_answer() {
    let (_, s) = terminating_offer(&Sdp::parse(CORE_OFFER).unwrap(), both(), k21, &gw()).unwrap();
    // RFC 4568 §7.1.3: a tag that was not offered.
    let bad = UE_ANSWER.replace(
        "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:aSBr",
        "a=crypto:7 AES_CM_128_HMAC_SHA1_80 inline:aSBr",
    );
    assert!(matches!(
        terminating_answer(&s, &Sdp::parse(&bad).unwrap()),
        Err(AlgError::Answer {
            media: 0,
            why: AnswerError::UnknownTag(7)
        })
    ));
    // The UE echoing the P-CSCF's key K21 (it must send its own, K22).
    let echo = UE_ANSWER.replace(
        "aSBrbm93IGFsbCB5b3VyIGxpdHRsZSBzZWNyZXRz\r\na=3ge2ae",
        &format!("{K21_80_B64}\r\na=3ge2ae"),
    );
    assert!(matches!(
        terminating_answer(&s, &Sdp::parse(&echo).unwrap()),
        Err(AlgError::Answer {
            media: 0,
            why: AnswerError::SameKey
        })
    ));
    // Media count must match the offer.
    let short = "v=0\r\nm=audio 6000 RTP/SAVP 8\r\n";
    assert!(matches!(
        terminating_answer(&s, &Sdp::parse(short).unwrap()),
        Err(AlgError::MediaCount {
            offer: 3,
            answer: 1
        })
    ));
}

#[test]
fn support_from_registration_indications() {
    // TS 24.229 §7.2A.7 / TS 33.328 §7.1: both sides must list the mechanism with mediasec.
    let client = parse_value("ipsec-3gpp;alg=hmac-sha-1-96;spi-c=1;spi-s=2;port-c=3;port-s=4, sdes-srtp;mediasec, msrp-tls;mediasec", Mode::Lenient).unwrap();
    let server = parse_value(
        "ipsec-3gpp;alg=hmac-sha-1-96;spi-c=5;spi-s=6;port-c=7;port-s=8, sdes-srtp;mediasec",
        Mode::Lenient,
    )
    .unwrap();
    assert_eq!(
        E2aeSupport::from_registration(&client.mechanisms, &server.mechanisms),
        E2aeSupport {
            rtp: true,
            msrp: false
        }
    );
    // Without the mediasec flag the entry is about signalling, not media.
    let no_flag = parse_value("sdes-srtp, msrp-tls", Mode::Lenient).unwrap();
    assert_eq!(
        E2aeSupport::from_registration(&no_flag.mechanisms, &server.mechanisms),
        E2aeSupport::default()
    );
}
