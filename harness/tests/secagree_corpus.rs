//! Real sec-agree headers (from third-party captures, see ../shared/captures/sources.yaml) and
//! corner cases from the RFC 3329 / TS 33.203 Annex H grammar.

use imsec::mech::algorithms::{EncAlg, IntegAlg};
use imsec::mech::secagree::compare::compare_lists;
use imsec::mech::secagree::header::{emit, parse_line, parse_value, Mode, ParseError};
use imsec::mech::secagree::ipsec::{ipsec_offers, IpsecMode, IpsecOffer};
use imsec::mech::secagree::SecHeaderKind;

/// TCL 40 XL handset, VoWiFi registration (vowifi_tcl_40xl_ims.pcapng, frame with the initial
/// REGISTER; the header spans two TCP segments in the capture and is joined here).
const TCL_CLIENT: &str = "Security-Client: ipsec-3gpp;prot=esp;mod=trans;spi-c=1196297506;spi-s=1029280162;port-c=50007;port-s=50008;ealg=null;alg=hmac-md5-96, ipsec-3gpp;prot=esp;mod=trans;spi-c=1196297506;spi-s=1029280162;port-c=50007;port-s=50008;ealg=null;alg=hmac-sha-1-96, ipsec-3gpp;prot=esp;mod=trans;spi-c=1196297506;spi-s=1029280162;port-c=50007;port-s=50008;ealg=des-ede3-cbc;alg=hmac-md5-96, ipsec-3gpp;prot=esp;mod=trans;spi-c=1196297506;spi-s=1029280162;port-c=50007;port-s=50008;ealg=des-ede3-cbc;alg=hmac-sha-1-96, ipsec-3gpp;prot=esp;mod=trans;spi-c=1196297506;spi-s=1029280162;port-c=50007;port-s=50008;ealg=aes-cbc;alg=hmac-md5-96, ipsec-3gpp;prot=esp;mod=trans;spi-c=1196297506;spi-s=1029280162;port-c=50007;port-s=50008;ealg=aes-cbc;alg=hmac-sha-1-96";
/// The Kamailio-based P-CSCF's answer in the same capture.
const TCL_SERVER: &str = "Security-Server: ipsec-3gpp;q=0.1;prot=esp;mod=trans;spi-c=106;spi-s=107;port-c=5062;port-s=39005;alg=hmac-sha-1-96;ealg=aes-cbc";
/// Amarisoft callbox P-CSCF (amarisoft_VoLTE_poziv.pcap) and the UE's Security-Verify.
const AMARI_SERVER: &str = "Security-Server: ipsec-3gpp;prot=esp;mod=trans;spi-c=2437875;spi-s=2437876;port-c=50205;port-s=36652;alg=hmac-sha-1-96;ealg=null";
const AMARI_VERIFY: &str = "Security-Verify: ipsec-3gpp;prot=esp;mod=trans;spi-c=2437875;spi-s=2437876;port-c=50205;port-s=36652;alg=hmac-sha-1-96;ealg=null";

#[test]
fn tcl_client_has_six_offers_with_the_captured_parameters() {
    let (kind, p) = parse_line(TCL_CLIENT, Mode::Lenient).unwrap();
    assert_eq!(kind, SecHeaderKind::Client);
    let offers = ipsec_offers(&p.mechanisms, Mode::Lenient);
    assert_eq!(offers.len(), 6);
    let pairs: Vec<(IntegAlg, EncAlg)> = offers
        .iter()
        .map(|(_, r)| {
            let (o, _) = r.as_ref().unwrap();
            assert_eq!(
                (o.spi_c, o.spi_s, o.port_c, o.port_s),
                (1196297506, 1029280162, 50007, 50008)
            );
            assert_eq!(o.mode, IpsecMode::Transport);
            (o.alg, o.ealg)
        })
        .collect();
    assert_eq!(pairs[0], (IntegAlg::HmacMd5_96, EncAlg::Null));
    assert_eq!(pairs[3], (IntegAlg::HmacSha1_96, EncAlg::DesEde3Cbc));
    assert_eq!(pairs[5], (IntegAlg::HmacSha1_96, EncAlg::AesCbc));
    // All six SPIs have 10 digits: the captured header is strictly conformant.
    assert!(parse_line(TCL_CLIENT, Mode::Strict).is_ok());
}

#[test]
fn short_spis_are_a_strict_deviation_only() {
    let (_, p) = parse_line(TCL_SERVER, Mode::Lenient).unwrap();
    let (o, devs) = IpsecOffer::from_mechanism(&p.mechanisms[0], 0, Mode::Lenient).unwrap();
    assert_eq!(
        (o.spi_c, o.spi_s, o.port_c, o.port_s),
        (106, 107, 5062, 39005)
    );
    assert_eq!(o.q.map(|q| q.0), Some(100));
    assert_eq!(devs.len(), 2, "{devs:?}");
    assert!(devs[0].what.contains("10DIGIT"));
    let strict = IpsecOffer::from_mechanism(&p.mechanisms[0], 0, Mode::Strict);
    assert!(matches!(strict, Err(ParseError::Deviations(d)) if d.len() == 2));
}

#[test]
fn captured_verify_equals_captured_server() {
    let (_, s) = parse_line(AMARI_SERVER, Mode::Lenient).unwrap();
    let (k, v) = parse_line(AMARI_VERIFY, Mode::Lenient).unwrap();
    assert_eq!(k, SecHeaderKind::Verify);
    assert_eq!(compare_lists(&s.mechanisms, &v.mechanisms), Ok(()));
}

#[test]
fn every_single_parameter_change_is_a_difference() {
    let (_, s) = parse_line(TCL_SERVER, Mode::Lenient).unwrap();
    let base = &s.mechanisms[0];
    for i in 0..base.params.len() {
        let mut m = base.clone();
        let p = &mut m.params[i];
        p.value = Some(match p.name.as_str() {
            "q" => "0.2".into(),
            "alg" => "hmac-md5-96".into(),
            "ealg" => "null".into(),
            "mod" => "UDP-enc-tun".into(),
            "prot" => "ah".into(),
            _ => "1".into(),
        });
        let r = compare_lists(&s.mechanisms, std::slice::from_ref(&m));
        assert!(r.is_err(), "change of {} not detected", base.params[i].name);
        let mut removed = base.clone();
        removed.params.remove(i);
        assert!(compare_lists(&s.mechanisms, &[removed]).is_err());
    }
    // Equivalent spellings are not differences: q=0.100, leading zeros, case, order.
    let v = parse_value(
        "IPSEC-3GPP;Q=0.100;ealg=AES-CBC;prot=esp;mod=trans;spi-c=0000000106;spi-s=107;port-c=5062;port-s=39005;alg=hmac-sha-1-96",
        Mode::Lenient,
    )
    .unwrap();
    assert_eq!(compare_lists(&s.mechanisms, &v.mechanisms), Ok(()));
    // A mechanism added or removed is a difference.
    let mut two = s.mechanisms.clone();
    two.push(two[0].clone().with_flag("mediasec"));
    assert!(compare_lists(&s.mechanisms, &two)
        .unwrap_err()
        .starts_with("extra"));
    assert!(compare_lists(&two, &s.mechanisms)
        .unwrap_err()
        .starts_with("missing"));
}

#[test]
fn mediasec_and_digest_entries() {
    let p = parse_value(
        "sdes-srtp;mediasec, msrp-tls;mediasec, digest;d-alg=md5;d-ver=\"0123456789abcdef0123456789abcdef\"",
        Mode::Strict,
    )
    .unwrap();
    assert_eq!(p.mechanisms.len(), 3);
    assert!(p.mechanisms[0].is_mediasec() && p.mechanisms[1].is_mediasec());
    assert!(!p.mechanisms[2].is_mediasec());
    assert_eq!(
        p.mechanisms[2].value("d-ver"),
        Some("0123456789abcdef0123456789abcdef")
    );
    // Upper-case hex in d-ver breaks the LHEX rule.
    let bad = parse_value(
        "digest;d-ver=\"0123456789ABCDEF0123456789abcdef\"",
        Mode::Strict,
    );
    assert!(matches!(bad, Err(ParseError::Deviations(_))));
}

#[test]
fn emit_round_trips_the_captured_headers() {
    for h in [TCL_CLIENT, TCL_SERVER, AMARI_SERVER, AMARI_VERIFY] {
        let (_, p) = parse_line(h, Mode::Lenient).unwrap();
        let value = h.split_once(": ").unwrap().1;
        assert_eq!(emit(&p.mechanisms), value);
    }
}

#[test]
fn syntax_errors_and_deviations() {
    for bad in [
        "",
        " , ",
        "ipsec-3gpp;alg=\"unterminated",
        "ipsec 3gpp;alg=x",
        "ipsec-3gpp;=1",
        "ipsec-3gpp;q=2",
        "ipsec-3gpp;spi-c=1 2",
    ] {
        assert!(parse_value(bad, Mode::Lenient).is_err(), "{bad:?}");
    }
    let p = parse_value("tls;q=.5, , digest;q=0.1;q=0.2", Mode::Lenient).unwrap();
    let what: Vec<_> = p.deviations.iter().map(|d| d.what.clone()).collect();
    assert_eq!(p.deviations.len(), 3, "{what:?}");
    assert!(parse_value("tls;q=.5", Mode::Strict).is_err());
    // Folded header lines (RFC 3261 §7.3.1) are one value.
    let f = parse_value("tls;q=0.2,\r\n digest;q=0.1", Mode::Strict).unwrap();
    assert_eq!(f.mechanisms.len(), 2);
}

#[test]
fn ipsec_entry_errors_name_the_problem() {
    let cases = [
        (
            "ipsec-3gpp;spi-c=1;spi-s=2;port-c=3;port-s=4",
            "without alg",
        ),
        (
            "ipsec-3gpp;alg=hmac-sha-256;spi-c=1;spi-s=2;port-c=3;port-s=4",
            "unknown integrity",
        ),
        (
            "ipsec-3gpp;alg=hmac-md5-96;spi-c=4294967296;spi-s=2;port-c=3;port-s=4",
            "out of range",
        ),
        (
            "ipsec-3gpp;alg=hmac-md5-96;spi-s=2;port-c=3;port-s=4",
            "without spi-c",
        ),
        (
            "ipsec-3gpp;alg=hmac-md5-96;spi-c=1;spi-s=2;port-c=70000;port-s=4",
            "out of range",
        ),
        (
            "ipsec-3gpp;alg=hmac-md5-96;mod=tunnel;spi-c=1;spi-s=2;port-c=3;port-s=4",
            "mod=tunnel",
        ),
    ];
    for (h, want) in cases {
        let p = parse_value(h, Mode::Lenient).unwrap();
        let e = IpsecOffer::from_mechanism(&p.mechanisms[0], 0, Mode::Lenient).unwrap_err();
        assert!(e.to_string().contains(want), "{h}: {e}");
    }
    // Missing ealg means null, reported as a deviation.
    let p = parse_value(
        "ipsec-3gpp;alg=hmac-md5-96;spi-c=1;spi-s=2;port-c=3;port-s=4",
        Mode::Lenient,
    )
    .unwrap();
    let (o, d) = IpsecOffer::from_mechanism(&p.mechanisms[0], 0, Mode::Lenient).unwrap();
    assert_eq!(o.ealg, EncAlg::Null);
    assert!(d.iter().any(|d| d.what.contains("ealg absent")));
}

#[test]
fn canonical_emit_parses_back_to_the_same_offer() {
    let (_, p) = parse_line(TCL_SERVER, Mode::Lenient).unwrap();
    let (o, _) = IpsecOffer::from_mechanism(&p.mechanisms[0], 0, Mode::Lenient).unwrap();
    let again = o.to_mechanism();
    assert_eq!(compare_lists(&p.mechanisms, &[again]), Ok(()));
}

/// Found by the fuzz smoke test: a parameter that appears twice must compare occurrence by
/// occurrence, so a list still equals itself, and a change to the second one is seen.
#[test]
fn duplicated_parameters_compare_by_occurrence() {
    let v = "ipsec-3gpp;alg=hmac-md5-96;spi-c=1;alg=hmac-sha-1-96";
    let p = parse_value(v, Mode::Lenient).unwrap();
    assert_eq!(compare_lists(&p.mechanisms, &p.mechanisms), Ok(()));
    let q = parse_value(
        "ipsec-3gpp;alg=hmac-md5-96;spi-c=1;alg=hmac-md5-96",
        Mode::Lenient,
    )
    .unwrap();
    assert!(compare_lists(&p.mechanisms, &q.mechanisms).is_err());
    let r = parse_value("ipsec-3gpp;alg=hmac-md5-96;spi-c=1", Mode::Lenient).unwrap();
    assert!(compare_lists(&p.mechanisms, &r.mechanisms).is_err());
    assert!(compare_lists(&r.mechanisms, &p.mechanisms).is_err());
}
