//! SDP codec and attribute tests. Expected values are read off the texts by hand (RFC 4568
//! §... examples, the marseillaise-srtp key which is base64 of an English sentence), never
//! produced by imsec.

use super::offer_answer::{self, AnswerError};
use super::*;
use crate::mech::srtp::Suite;

/// A UE offer in the style of TS 33.328 §7.2.1 (RTP/SAVP, two crypto lines, e2ae request),
/// with an unknown line type, a session-level attribute and mixed content kept as is.
const OFFER: &str = "v=0\r\n\
o=- 2890844526 2890842807 IN IP6 2001:db8::1\r\n\
s=-\r\n\
c=IN IP6 2001:db8::1\r\n\
t=0 0\r\n\
a=sendrecv\r\n\
m=audio 49170 RTP/SAVP 0 8 101\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:aSBrbm93IGFsbCB5b3VyIGxpdHRsZSBzZWNyZXRz|2^20|1:4\r\n\
a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz KDR=10 WSH=128\r\n\
a=3ge2ae:requested\r\n\
k=prompt\r\n\
m=message 7654 TCP/TLS/MSRP *\r\n\
a=accept-types:message/cpim text/plain\r\n\
a=path:msrps://[2001:db8::1]:7654/jshA7weztas;tcp msrps://relay.example.com:9000/kjhd37s2s20w2a;tcp\r\n\
a=fingerprint:SHA-256 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB:9D:9E:F2:A4:D5:FF:23:94:68:01:B2:21\r\n\
a=setup:actpass\r\n\
a=key-mgmt:mikey AQAFgM0XflABAAAAAAAAAAAAAAsAyONQ6gAAAAAJAAAAAAAAAAAAAAAAAAAAAA\r\n";

#[test]
fn parse_emit_is_byte_identical() {
    let s = Sdp::parse(OFFER).unwrap();
    assert_eq!(s.emit(), OFFER);
    // LF endings, and a last line without ending, are kept too.
    let lf = "v=0\no=- 1 1 IN IP4 10.0.0.1\ns=x\nt=0 0\nm=audio 4000 RTP/AVP 0\nx=unknown type";
    assert_eq!(Sdp::parse(lf).unwrap().emit(), lf);
}

#[test]
fn rejects_what_is_not_sdp() {
    assert_eq!(Sdp::parse("o=- 1 1 IN IP4 x\r\n"), Err(SdpError::NoVersion));
    assert_eq!(
        Sdp::parse("v=0\r\nbad line\r\n"),
        Err(SdpError::LineShape { line: 2 })
    );
    assert_eq!(
        Sdp::parse("v=0\r\n\r\n"),
        Err(SdpError::LineShape { line: 2 })
    );
    assert!(matches!(
        Sdp::parse("v=0\r\nm=audio x RTP/AVP 0\r\n"),
        Err(SdpError::MediaLine { line: 2, .. })
    ));
    assert!(matches!(
        Sdp::parse("v=0\r\nm=audio 5 RTP/AVP\r\n"),
        Err(SdpError::MediaLine { .. })
    ));
}

#[test]
fn media_views() {
    let s = Sdp::parse(OFFER).unwrap();
    let m = s.media();
    assert_eq!(m.len(), 2);
    let audio = m[0].line().unwrap();
    assert_eq!(
        (audio.media.as_str(), audio.port, audio.proto.clone()),
        ("audio", 49170, Proto::RtpSavp)
    );
    assert_eq!(audio.fmts, ["0", "8", "101"]);
    assert_eq!(m[0].e2ae(), [E2ae::Requested]);
    assert_eq!(m[1].proto(), Some(Proto::TcpTlsMsrp));
    assert_eq!(
        m[1].path().unwrap(),
        [
            "msrps://[2001:db8::1]:7654/jshA7weztas;tcp",
            "msrps://relay.example.com:9000/kjhd37s2s20w2a;tcp"
        ]
    );
    let fp = m[1].fingerprints().pop().unwrap().unwrap();
    assert_eq!(fp.hash, "sha-256");
    assert_eq!(fp.value.len(), 32);
    assert_eq!((fp.value[0], fp.value[31]), (0x4a, 0x21));
    assert_eq!(m[1].setup(), Some(Ok(Setup::Actpass)));
    assert_eq!(
        m[1].key_mgmt(),
        ["mikey AQAFgM0XflABAAAAAAAAAAAAAAsAyONQ6gAAAAAJAAAAAAAAAAAAAAAAAAAAAA"]
    );
    assert_eq!(s.session_attrs().collect::<Vec<_>>(), [("sendrecv", None)]);
}

#[test]
fn crypto_lines() {
    let s = Sdp::parse(OFFER).unwrap();
    let c: Vec<CryptoAttr> = s.media()[0]
        .crypto()
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(c[0].tag, 1);
    assert_eq!(c[0].suite(), Some(Suite::AesCm128HmacSha1_80));
    let k = c[0].keys[0].inline.as_ref().unwrap();
    // The marseillaise-srtp key is base64 of this sentence (gteissier/srtp-decrypt).
    assert_eq!(k.key_salt, b"i know all your little secrets");
    assert_eq!(k.lifetime, Some(Lifetime::Pow2(20)));
    assert_eq!(k.mki, Some(Mki { value: 1, len: 4 }));
    assert_eq!(k.mki.unwrap().bytes(), Some(vec![0, 0, 0, 1]));
    assert_eq!(
        c[1].session_params,
        [SessionParam::Kdr(10), SessionParam::Wsh(128)]
    );
    let (suite, keys, opts) = c[1].srtp_params().unwrap();
    assert_eq!(suite, Suite::AesCm128HmacSha1_32);
    assert_eq!((opts.kdr, opts.window), (1024, 128));
    // Python: base64.b64decode("WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz")[:16]
    assert_eq!(keys[0].key, b"YS___semctl () {".to_vec());
    let (_, keys, opts) = c[0].srtp_params().unwrap();
    assert_eq!(keys[0].mki, [0, 0, 0, 1]);
    assert_eq!(opts.lifetime, Some(1 << 20));
    // Canonical emission parses back to the same value.
    for x in &c {
        assert_eq!(CryptoAttr::parse(&x.emit()).as_ref(), Ok(x));
    }
    assert_eq!(
        c[0].emit(),
        "1 AES_CM_128_HMAC_SHA1_80 inline:aSBrbm93IGFsbCB5b3VyIGxpdHRsZSBzZWNyZXRz|2^20|1:4"
    );
}

#[test]
fn crypto_two_keys_and_session_flags() {
    // Two keys told apart by MKI (RFC 4568 §6.1), FEC_ORDER and the UNENCRYPTED flags.
    let c = CryptoAttr::parse(
        "1 AES_CM_128_HMAC_SHA1_80 inline:aSBrbm93IGFsbCB5b3VyIGxpdHRsZSBzZWNyZXRz|2^20|1:4;\
         inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|2:4 FEC_ORDER=FEC_SRTP \
         UNENCRYPTED_SRTCP UNAUTHENTICATED_SRTP X-NEW",
    )
    .unwrap();
    assert_eq!(c.keys.len(), 2);
    assert_eq!(
        c.keys[1].inline.as_ref().unwrap().mki,
        Some(Mki { value: 2, len: 4 })
    );
    assert_eq!(
        c.session_params,
        [
            SessionParam::FecOrder("FEC_SRTP".into()),
            SessionParam::UnencryptedSrtcp,
            SessionParam::UnauthenticatedSrtp,
            SessionParam::Other("X-NEW".into())
        ]
    );
    assert!(!offer_answer::ims_acceptable(&c));
}

#[test]
fn crypto_rejects_bad_input() {
    for bad in [
        "",
        "1",
        "1 AES_CM_128_HMAC_SHA1_80",
        "1234567890 AES_CM_128_HMAC_SHA1_80 inline:AAAA",
        "x AES_CM_128_HMAC_SHA1_80 inline:AAAA",
        "1 AES-CM inline:AAAA",
        "1 AES_CM_128_HMAC_SHA1_80 inline:",
        "1 AES_CM_128_HMAC_SHA1_80 inline:!!!!",
        "1 AES_CM_128_HMAC_SHA1_80 inline:AAAA|2^x",
        "1 AES_CM_128_HMAC_SHA1_80 inline:AAAA|1:0",
        "1 AES_CM_128_HMAC_SHA1_80 inline:AAAA|1:129",
        "1 AES_CM_128_HMAC_SHA1_80 inline:AAAA|256:1",
        "1 AES_CM_128_HMAC_SHA1_80 inline:AAAA|1:1|2^20",
        "1 AES_CM_128_HMAC_SHA1_80 inline:AAAA KDR=25",
        "1 AES_CM_128_HMAC_SHA1_80 inline:AAAA WSH=63",
        "1 AES_CM_128_HMAC_SHA1_80 nomethod",
    ] {
        assert!(CryptoAttr::parse(bad).is_err(), "{bad:?}");
    }
    // Parses, but is no usable SRTP key (wrong length, unknown suite).
    let short = CryptoAttr::parse("1 AES_CM_128_HMAC_SHA1_80 inline:AAAA").unwrap();
    assert!(short.srtp_params().is_err());
    let f8 =
        CryptoAttr::parse("1 F8_128_HMAC_SHA1_80 inline:aSBrbm93IGFsbCB5b3VyIGxpdHRsZSBzZWNyZXRz")
            .unwrap();
    assert!(f8.srtp_params().is_err());
}

#[test]
fn sdes_offer_answer() {
    let offer = vec![
        CryptoAttr::parse("1 AES_CM_128_HMAC_SHA1_80 inline:aSBrbm93IGFsbCB5b3VyIGxpdHRsZSBzZWNyZXRz UNENCRYPTED_SRTP").unwrap(),
        CryptoAttr::parse("2 AES_CM_128_HMAC_SHA1_32 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz").unwrap(),
    ];
    let mine = [0x42u8; 30];
    let a = offer_answer::answer(&offer, offer_answer::ims_acceptable, &mine).unwrap();
    // Tag 1 is refused (UNENCRYPTED_SRTP): the answer takes tag 2 with its own key.
    assert_eq!(a.tag, 2);
    assert_eq!(a.suite(), Some(Suite::AesCm128HmacSha1_32));
    assert_eq!(a.keys[0].inline.as_ref().unwrap().key_salt, mine);
    assert_eq!(a.keys[0].inline.as_ref().unwrap().lifetime, None);
    assert_eq!(
        a.emit(),
        "2 AES_CM_128_HMAC_SHA1_32 inline:QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJC"
    );
    assert!(offer_answer::check_answer(&offer, std::slice::from_ref(&a)).is_ok());
    let mut wrong = a.clone();
    wrong.tag = 3;
    assert_eq!(
        offer_answer::check_answer(&offer, &[wrong]).unwrap_err(),
        AnswerError::UnknownTag(3)
    );
    let mut wrong = a.clone();
    wrong.suite_name = "AES_CM_128_HMAC_SHA1_80".into();
    assert!(matches!(
        offer_answer::check_answer(&offer, &[wrong]),
        Err(AnswerError::SuiteChanged { .. })
    ));
    assert_eq!(
        offer_answer::check_answer(&offer, &[a.clone(), a.clone()]).unwrap_err(),
        AnswerError::Count(2)
    );
    let echo = offer[1].clone();
    assert_eq!(
        offer_answer::check_answer(&offer, &[echo]).unwrap_err(),
        AnswerError::SameKey
    );
    assert!(offer_answer::answer(&offer[..1], offer_answer::ims_acceptable, &mine).is_none());
}

#[test]
fn edits_touch_only_their_lines() {
    let mut s = Sdp::parse(OFFER).unwrap();
    s.set_proto(0, Proto::RtpAvp).unwrap();
    assert_eq!(s.remove_attrs(0, "crypto").unwrap(), 2);
    assert_eq!(s.remove_attrs(0, "3ge2ae").unwrap(), 1);
    s.add_attr(0, "3ge2ae:applied").unwrap();
    let want = OFFER
        .replace("m=audio 49170 RTP/SAVP 0 8 101", "m=audio 49170 RTP/AVP 0 8 101")
        .replace("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:aSBrbm93IGFsbCB5b3VyIGxpdHRsZSBzZWNyZXRz|2^20|1:4\r\n", "")
        .replace("a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz KDR=10 WSH=128\r\n", "")
        .replace("a=3ge2ae:requested\r\nk=prompt\r\n", "k=prompt\r\na=3ge2ae:applied\r\n");
    assert_eq!(s.emit(), want);
    assert_eq!(s.remove_session_attrs("sendrecv"), 1);
    assert!(s.set_proto(5, Proto::RtpAvp).is_err());
    // Appending after an unterminated last line keeps the text well-formed.
    let mut t = Sdp::parse("v=0\r\nm=audio 1 RTP/AVP 0").unwrap();
    t.add_attr(0, "3ge2ae:applied").unwrap();
    assert_eq!(t.emit(), "v=0\r\nm=audio 1 RTP/AVP 0\r\na=3ge2ae:applied");
}

#[test]
fn small_attributes() {
    assert_eq!(E2ae::parse("applied"), E2ae::Applied);
    assert_eq!(E2ae::parse("future"), E2ae::Other("future".into()));
    assert!(Setup::parse("both").is_err());
    assert!(Fingerprint::parse("sha-256 4A:AD:B").is_err());
    assert!(Fingerprint::parse("sha-256").is_err());
    let f = Fingerprint::parse("sha-1 4a:ad:b9").unwrap();
    assert_eq!(f.emit(), "sha-1 4A:AD:B9");
}

#[test]
fn fuzz_body_survives_seeds() {
    for n in 0..OFFER.len() {
        if OFFER.is_char_boundary(n) {
            fuzz_parsers(&OFFER.as_bytes()[..n]);
        }
    }
    fuzz_parsers(b"1 AES_CM_128_HMAC_SHA1_80 inline:AAAA|2^064|01:004 KDR=01");
}
