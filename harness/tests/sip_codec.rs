//! SIP codec and stream framing (RFC 3261 §7, §18.3).

use imsec::mech::sip::framing::StreamFramer;
use imsec::mech::sip::message::{SipError, SipMessage, StartLine};

const REGISTER: &str = "REGISTER sip:msg.pc.t-mobile.com SIP/2.0\r\n\
Via: SIP/2.0/TCP [2607:fc20:ba53:1538::1]:50008;branch=z9hG4bK1234;rport\r\n\
f: <sip:310210123456787@msg.pc.t-mobile.com>;tag=abc\r\n\
t: <sip:310210123456787@msg.pc.t-mobile.com>\r\n\
i: 1-2-3@host\r\n\
CSeq: 1 REGISTER\r\n\
Require: sec-agree\r\n\
Proxy-Require: sec-agree\r\n\
Supported: path, gruu, sec-agree\r\n\
Security-Client: ipsec-3gpp;prot=esp;mod=trans;spi-c=1196297506;spi-s=1029280162;\r\n port-c=50007;port-s=50008;ealg=null;alg=hmac-md5-96\r\n\
l: 0\r\n\r\n";

#[test]
fn parses_a_register_with_compact_and_folded_headers() {
    let m = SipMessage::parse(REGISTER.as_bytes()).unwrap();
    assert!(matches!(&m.start, StartLine::Request { method, .. } if method == "REGISTER"));
    assert_eq!(m.call_id(), Some("1-2-3@host"));
    assert_eq!(m.cseq(), Some((1, "REGISTER".into())));
    assert_eq!(m.top_via_branch(), Some("z9hG4bK1234"));
    assert!(m.has_option_tag("Supported", "sec-agree"));
    assert!(m.has_option_tag("k", "gruu"));
    assert!(m
        .header("security-client")
        .unwrap()
        .contains("spi-s=1029280162; port-c=50007"));
    assert_eq!(m.content_length().unwrap(), Some(0));
}

#[test]
fn emit_then_parse_is_identity() {
    let m = SipMessage::response(401, "Unauthorized")
        .with("Via", "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKx")
        .with("CSeq", "1 REGISTER")
        .with(
            "WWW-Authenticate",
            "Digest realm=\"r\", nonce=\"n\", ck=\"00\", ik=\"11\"",
        );
    let mut m = m;
    m.body = b"v=0\r\n".to_vec();
    let m = m.with_content_length();
    let again = SipMessage::parse(&m.to_bytes()).unwrap();
    assert_eq!(again, m);
    assert_eq!(again.status(), Some(401));
    assert_eq!(again.method().as_deref(), Some("REGISTER"));
}

#[test]
fn set_and_remove_work_across_compact_names() {
    let mut m = SipMessage::parse(REGISTER.as_bytes()).unwrap();
    m.push("Content-Length", "5");
    m.set("Content-Length", "0");
    assert_eq!(m.headers_named("l").count(), 1);
    assert_eq!(m.remove("Security-Client"), 1);
    assert!(m.header("Security-Client").is_none());
}

#[test]
fn framer_handles_split_joined_and_keepalive() {
    let one = REGISTER.as_bytes();
    let mut stream = Vec::new();
    stream.extend_from_slice(b"\r\n\r\n");
    stream.extend_from_slice(one);
    stream.extend_from_slice(one);
    let mut f = StreamFramer::new();
    let mut got = 0;
    for chunk in stream.chunks(7) {
        f.push(chunk);
        while let Some(m) = f.next_message().unwrap() {
            assert_eq!(m.cseq(), Some((1, "REGISTER".into())));
            got += 1;
        }
    }
    assert_eq!(got, 2);
    assert_eq!(f.pending(), 0);
}

#[test]
fn framer_requires_content_length_on_streams() {
    let mut f = StreamFramer::new();
    f.push(b"OPTIONS sip:a SIP/2.0\r\nCSeq: 1 OPTIONS\r\n\r\n");
    assert!(matches!(f.next_message(), Err(SipError::ContentLength(_))));
}

#[test]
fn malformed_messages_are_errors_not_panics() {
    let cases: &[&[u8]] = &[
        b"",
        b"\r\n\r\n",
        b"GARBAGE\r\n\r\n",
        b"SIP/2.0 99 Too Low\r\n\r\n",
        b"SIP/2.0 abc OK\r\n\r\n",
        b"INVITE sip:a\r\n\r\n",
        b"INVITE sip:a SIP/2.0\r\n no header before\r\n\r\n",
        b"INVITE sip:a SIP/2.0\r\nNoColon\r\n\r\n",
        b"INVITE sip:a SIP/2.0\r\nContent-Length: -1\r\n\r\n",
        b"INVITE sip:a SIP/2.0\r\nContent-Length: 10\r\n\r\nshort",
        b"INVITE sip:a SIP/2.0\r\nContent-Length: 99999999999\r\n\r\n",
        b"INVITE sip:a SIP/2.0\r\nX: \xff\xfe\r\n\r\n",
    ];
    for c in cases {
        assert!(
            SipMessage::parse(c).is_err(),
            "{:?}",
            String::from_utf8_lossy(c)
        );
    }
    let mut f = StreamFramer::new();
    f.push(&vec![b'A'; 70 * 1024]);
    assert!(matches!(f.next_message(), Err(SipError::Limit(_))));
}
