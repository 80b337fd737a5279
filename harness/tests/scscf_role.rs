//! S-CSCF emulation: challenge, response check, resynchronisation, de-registration.
//! RAND is fixed to TS 35.208 test set 1 so the 401's ck/ik must equal the spec's f3/f4.

use imsec::mech::aka::{sqn_from_u64, ue_authenticate, AkaFailure, Autn, SqnPolicy};
use imsec::mech::digest::{self, params, AkaAlgorithm, AkaNonce, DigestInput, Qop};
use imsec::mech::milenage::Milenage;
use imsec::mech::sip::SipMessage;
use imsec::roles::scscf::{RegisterOutcome, Scscf, ScscfConfig};
use imsec::roles::subscriber::{Subscriber, SubscriberStore};

// TS 35.208 test set 1.
const K: &str = "465b5ce8b199b49faa5f0a2ee238a6bc";
const OPC: &str = "cd63cb71954a9f4e48a5994e37a02baf";
const RAND: &str = "23553cbe9637a89d218ae64dae47bf35";
const F3_CK: &str = "b40ba9a3c58b2a05bbf0d987b21bf8cb";
const F4_IK: &str = "f769bcd751044604127672711c6d3441";

fn h16(s: &str) -> [u8; 16] {
    imsec::hexarg::decode_fixed::<16>(s).unwrap()
}

fn scscf(alg: AkaAlgorithm) -> Scscf {
    let sub = Subscriber {
        impi: "user@imsec.test".into(),
        impus: vec!["sip:user@imsec.test".into()],
        k: h16(K),
        opc: h16(OPC),
        amf: [0x80, 0x00],
        sqn: 0x20,
        algorithm: alg,
    };
    let rand = h16(RAND);
    Scscf::new(
        ScscfConfig::default(),
        SubscriberStore::new(vec![sub]),
        Box::new(move |b: &mut [u8]| {
            for (i, x) in b.iter_mut().enumerate() {
                *x = rand[i % 16];
            }
        }),
    )
}

fn register(auth: Option<String>, expires: u32) -> SipMessage {
    let mut m = SipMessage::request("REGISTER", "sip:imsec.test")
        .with("Via", "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1")
        .with("From", "<sip:user@imsec.test>;tag=a")
        .with("To", "<sip:user@imsec.test>")
        .with("Call-ID", "c1")
        .with("CSeq", "1 REGISTER")
        .with("Contact", "<sip:user@127.0.0.1:5100>")
        .with("Expires", &expires.to_string());
    if let Some(a) = auth {
        m.push("Authorization", &a);
    }
    m.with_content_length()
}

fn challenge_of(r: &SipMessage) -> params::AuthParams {
    assert_eq!(r.status(), Some(401), "{r:?}");
    params::parse(r.header("WWW-Authenticate").unwrap()).unwrap()
}

fn answer(ch: &params::AuthParams, res: &[u8], extra: &str, ip: &str) -> String {
    let nonce = ch.get("nonce").unwrap();
    let out = digest::response(
        &digest::akav1_password(res),
        &DigestInput {
            username: "user@imsec.test",
            realm: ch.get("realm").unwrap(),
            nonce,
            method: "REGISTER",
            uri: "sip:imsec.test",
            qop: Qop::Auth {
                nc: "00000001",
                cnonce: "abc",
            },
        },
    );
    format!(
        "Digest username=\"user@imsec.test\", realm=\"imsec.test\", nonce=\"{nonce}\", uri=\"sip:imsec.test\", response=\"{}\", algorithm=AKAv1-MD5, qop=auth, nc=00000001, cnonce=\"abc\"{extra}, integrity-protected=\"{ip}\"",
        out.response
    )
}

#[test]
fn challenge_carries_spec_ck_ik_and_a_verifiable_autn() {
    let mut s = scscf(AkaAlgorithm::AkaV1Md5);
    let r = s.handle(&register(None, 600));
    let ch = challenge_of(&r);
    assert_eq!(ch.get("ck"), Some(F3_CK));
    assert_eq!(ch.get("ik"), Some(F4_IK));
    assert_eq!(ch.get("algorithm"), Some("AKAv1-MD5"));
    let n = AkaNonce::parse(ch.get("nonce").unwrap()).unwrap();
    assert_eq!(n.rand, h16(RAND));
    let m = Milenage::new(&h16(K), &h16(OPC));
    let ok = ue_authenticate(
        &m,
        &n.rand,
        &Autn::from_bytes(&n.autn),
        &SqnPolicy {
            sqn_ms: sqn_from_u64(0x20),
            delta: None,
        },
    )
    .unwrap();
    assert_eq!(ok.sqn, sqn_from_u64(0x21));
    // TS 35.208 set 1 f2 = RES.
    assert_eq!(hex::encode(ok.res), "a54211d5e3ba50bf");
    let r2 = s.handle(&register(Some(answer(&ch, &ok.res, "", "yes")), 600));
    assert_eq!(r2.status(), Some(200));
    assert!(r2.header("Service-Route").is_some());
    assert_eq!(r2.header("P-Associated-URI"), Some("<sip:user@imsec.test>"));
    assert!(s.is_registered("user@imsec.test"));
    assert_eq!(
        s.received.last().unwrap().integrity_protected.as_deref(),
        Some("yes")
    );
}

#[test]
fn wrong_response_and_stale_nonce_are_refused() {
    let mut s = scscf(AkaAlgorithm::AkaV1Md5);
    let ch = challenge_of(&s.handle(&register(None, 600)));
    let r = s.handle(&register(Some(answer(&ch, &[0u8; 8], "", "yes")), 600));
    assert_eq!(r.status(), Some(403));
    assert!(!s.is_registered("user@imsec.test"));
    // The challenge is consumed: replaying the right answer now gets a new challenge.
    let res = imsec::hexarg::decode("a54211d5e3ba50bf").unwrap();
    let r = s.handle(&register(Some(answer(&ch, &res, "", "yes")), 600));
    assert_eq!(r.status(), Some(401));
}

#[test]
fn auts_resynchronises_and_the_next_challenge_is_fresh_for_the_ue() {
    let mut s = scscf(AkaAlgorithm::AkaV1Md5);
    let ch = challenge_of(&s.handle(&register(None, 600)));
    let n = AkaNonce::parse(ch.get("nonce").unwrap()).unwrap();
    let m = Milenage::new(&h16(K), &h16(OPC));
    let ue_sqn = sqn_from_u64(0x5000);
    let policy = SqnPolicy {
        sqn_ms: ue_sqn,
        delta: None,
    };
    let auts = match ue_authenticate(&m, &n.rand, &Autn::from_bytes(&n.autn), &policy) {
        Err(AkaFailure::SyncFailure { auts }) => auts,
        other => panic!("expected a sync failure, got {other:?}"),
    };
    let extra = format!(", auts=\"{}\"", digest::encode_auts(&auts.to_bytes()));
    let r = s.handle(&register(Some(answer(&ch, &[], &extra, "no")), 600));
    let ch2 = challenge_of(&r);
    assert_eq!(
        s.outcomes.last().unwrap().1,
        RegisterOutcome::Resynchronised
    );
    let n2 = AkaNonce::parse(ch2.get("nonce").unwrap()).unwrap();
    let ok = ue_authenticate(&m, &n2.rand, &Autn::from_bytes(&n2.autn), &policy).unwrap();
    assert_eq!(ok.sqn, sqn_from_u64(0x5001));
    // A forged AUTS (MAC-S flipped) is refused.
    let ch3 = challenge_of(&s.handle(&register(None, 600)));
    let mut bad = auts.to_bytes();
    bad[13] ^= 1;
    let extra = format!(", auts=\"{}\"", digest::encode_auts(&bad));
    let r = s.handle(&register(Some(answer(&ch3, &[], &extra, "no")), 600));
    assert_eq!(r.status(), Some(403));
}

#[test]
fn deregistration_and_recorded_hygiene() {
    let mut s = scscf(AkaAlgorithm::AkaV1Md5);
    let ch = challenge_of(&s.handle(&register(None, 600)));
    let res = imsec::hexarg::decode("a54211d5e3ba50bf").unwrap();
    let mut req = register(Some(answer(&ch, &res, "", "yes")), 600);
    req.push("Security-Verify", "ipsec-3gpp;alg=hmac-sha-1-96");
    req.push("Proxy-Require", "sec-agree");
    assert_eq!(s.handle(&req).status(), Some(200));
    let rec = s.received.last().unwrap();
    assert_eq!(rec.sec_agree_headers.len(), 1);
    assert!(rec.sec_agree_tags);
    let r = s.handle(&register(
        Some("Digest username=\"user@imsec.test\", integrity-protected=\"yes\"".into()),
        0,
    ));
    assert_eq!(r.status(), Some(200));
    assert!(!s.is_registered("user@imsec.test"));
    let unknown = register(Some("Digest username=\"nobody@x\"".into()), 600);
    assert_eq!(s.handle(&unknown).status(), Some(403));
}
