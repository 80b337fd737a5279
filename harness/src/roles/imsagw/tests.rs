//! Packet-level tests of the gateway. The SRTP packets and keys are libsrtp's
//! `srtp_validate()` test data (cisco/libsrtp test/srtp_driver.c, also in vectors/srtp.yaml):
//! the expected plain and protected bytes come from libsrtp, not from imsec.

use super::*;
use crate::mech::srtp::{MasterKey, Options, Session, Suite};
use std::net::Ipv4Addr;

const LIBSRTP_KEY_SALT: &str = "e1f97a0d3e018be0d64fa32c06de41390ec675ad498afeebb6960b3aabe6";
const SRTP: &str = "800f1234decafbadcafebabe4e55dc4ce79978d88ca4d215949d2402b78d6acc99ea179b8dbb";
const RTP: &str = "800f1234decafbadcafebabeabababababababababababababababab";
/// libsrtp's SRTCP packet, index 1.
const SRTCP: &str = "81c8000bcafebabe7128035be487b9bdbef89041f977a5a880000001993e08cd54d6c1230798";
const RTCP: &str = "81c8000bcafebabeabababababababababababababababab";
/// Another key (the "other side" of each test).
const OTHER_KEY_SALT: [u8; 30] = [0x5a; 30];

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap_or_default()
}

fn libsrtp_line() -> CryptoAttr {
    CryptoAttr::new(1, Suite::AesCm128HmacSha1_80, &h(LIBSRTP_KEY_SALT))
}
fn other_line() -> CryptoAttr {
    CryptoAttr::new(1, Suite::AesCm128HmacSha1_80, &OTHER_KEY_SALT)
}

fn ip(d: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, d))
}
const UE_PEER: u16 = 50000;
const CORE_PEER: u16 = 30000;

/// A gateway with one stream installed: `from_ue`/`to_ue` as given.
fn gw(flaws: AgwFlaws, from_ue: CryptoAttr, to_ue: CryptoAttr) -> (Agw, StreamPorts) {
    let mut a = Agw::with_certificate(
        AgwConfig {
            flaws,
            ..AgwConfig::on(ip(2))
        },
        b"not a certificate",
    );
    let p = a.allocate().expect("a free stream");
    let iq = IqInstruction::Srtp {
        media: 0,
        from_ue,
        to_ue,
    };
    a.install(
        p,
        &iq,
        SocketAddr::new(ip(4), UE_PEER),
        SocketAddr::new(ip(3), CORE_PEER),
    )
    .expect("installed");
    (a, p)
}

fn ue_to_core() -> (Agw, StreamPorts) {
    gw(AgwFlaws::default(), libsrtp_line(), other_line())
}

fn one(out: Vec<Wire>) -> (SocketAddr, SocketAddr, Vec<u8>) {
    match out.as_slice() {
        [Wire::Udp {
            local,
            peer,
            payload,
        }] => (*local, *peer, payload.clone()),
        o => panic!("expected one datagram, got {o:?}"),
    }
}

fn ue() -> SocketAddr {
    SocketAddr::new(ip(4), UE_PEER)
}
fn core() -> SocketAddr {
    SocketAddr::new(ip(3), CORE_PEER)
}

#[test]
fn pool_is_fixed_even_ports_with_rtcp_next() {
    let mut a = Agw::with_certificate(AgwConfig::on(ip(2)), b"x");
    let b = a.bindings();
    assert_eq!(b.len(), 16);
    assert!(b.contains(&SocketAddr::new(ip(2), 40000)));
    assert!(b.contains(&SocketAddr::new(ip(2), 40015)));
    let mut got = Vec::new();
    while let Some(p) = a.allocate() {
        assert_eq!(p.ue_side.port() % 2, 0);
        assert_eq!(p.core_side.port() % 2, 0);
        assert!(a.owns(p.ue_side) && a.owns(rtcp_of(p.core_side)));
        got.push(p);
    }
    assert_eq!(got.len(), 4);
    assert!(!a.owns(SocketAddr::new(ip(2), 40016)));
    a.release(got[1]);
    assert_eq!(a.allocate(), Some(got[1]));
}

#[test]
fn fingerprint_is_sha256_of_the_certificate() {
    // SHA-256("abc") (FIPS 180-2 B.1).
    let a = Agw::with_certificate(AgwConfig::on(ip(2)), b"abc");
    let f = a.fingerprint();
    assert_eq!(f.hash, "sha-256");
    assert_eq!(
        hex::encode(f.value),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    // A real certificate: 32 octets, and two gateways differ.
    let (x, y) = (
        Agw::new(AgwConfig::on(ip(2))),
        Agw::new(AgwConfig::on(ip(2))),
    );
    assert_eq!(x.fingerprint().value.len(), 32);
    assert_ne!(x.fingerprint(), y.fingerprint());
}

#[test]
fn srtp_from_ue_reaches_core_as_libsrtp_plain() {
    let (mut a, p) = ue_to_core();
    let (from, to, b) = one(a.handle(p.ue_side, ue(), &h(SRTP)));
    assert_eq!((from, to), (p.core_side, core()));
    assert_eq!(hex::encode(b), RTP);
    assert_eq!(a.stats(p).map(|s| s.to_core), Some(1));
}

#[test]
fn replayed_srtp_is_dropped() {
    let (mut a, p) = ue_to_core();
    assert_eq!(a.handle(p.ue_side, ue(), &h(SRTP)).len(), 1);
    assert!(a.handle(p.ue_side, ue(), &h(SRTP)).is_empty());
    assert_eq!(a.stats(p).map(|s| s.dropped), Some(1));
    assert!(a.log.back().is_some_and(|l| l.contains("already received")));
}

#[test]
fn replayed_srtp_passes_the_no_replay_check_variant() {
    let f = AgwFlaws {
        no_replay_check: true,
        ..AgwFlaws::default()
    };
    let (mut a, p) = gw(f, libsrtp_line(), other_line());
    assert_eq!(a.handle(p.ue_side, ue(), &h(SRTP)).len(), 1);
    let (_, _, b) = one(a.handle(p.ue_side, ue(), &h(SRTP)));
    assert_eq!(hex::encode(b), RTP);
}

fn tampered_srtp() -> Vec<u8> {
    // One ciphertext octet changed (0x4e -> 0x4f): the tag no longer verifies.
    let mut t = h(SRTP);
    t[12] ^= 1;
    t
}

#[test]
fn tampered_srtp_is_dropped() {
    let (mut a, p) = ue_to_core();
    assert!(a.handle(p.ue_side, ue(), &tampered_srtp()).is_empty());
    // The genuine packet still goes through afterwards (no state was changed).
    assert_eq!(a.handle(p.ue_side, ue(), &h(SRTP)).len(), 1);
}

#[test]
fn tampered_srtp_passes_the_no_auth_check_variant() {
    let f = AgwFlaws {
        no_auth_check: true,
        ..AgwFlaws::default()
    };
    let (mut a, p) = gw(f, libsrtp_line(), other_line());
    let (_, _, b) = one(a.handle(p.ue_side, ue(), &tampered_srtp()));
    let mut want = h(RTP);
    want[12] ^= 1; // AES-CM: the flipped bit comes out flipped in the plain text.
    assert_eq!(b, want);
}

#[test]
fn srtcp_from_ue_reaches_core_as_libsrtp_plain() {
    let (mut a, p) = ue_to_core();
    let (from, to, b) = one(a.handle(rtcp_of(p.ue_side), ue(), &h(SRTCP)));
    assert_eq!((from, to), (rtcp_of(p.core_side), rtcp_of(core())));
    assert_eq!(hex::encode(b), RTCP);
}

fn stripped_srtcp() -> Vec<u8> {
    let mut s = h(SRTCP);
    s.truncate(s.len() - 10);
    s
}

#[test]
fn srtcp_without_tag_is_refused() {
    let (mut a, p) = ue_to_core();
    assert!(a
        .handle(rtcp_of(p.ue_side), ue(), &stripped_srtcp())
        .is_empty());
    // With E=0 and no tag: also refused.
    let mut clear = h(RTCP);
    clear.extend_from_slice(&[0, 0, 0, 1]);
    assert!(a.handle(rtcp_of(p.ue_side), ue(), &clear).is_empty());
    assert_eq!(a.stats(p).map(|s| s.dropped), Some(2));
}

#[test]
fn srtcp_without_tag_passes_the_accept_unauth_srtcp_variant() {
    let f = AgwFlaws {
        accept_unauth_srtcp: true,
        ..AgwFlaws::default()
    };
    let (mut a, p) = gw(f, libsrtp_line(), other_line());
    let (_, _, b) = one(a.handle(rtcp_of(p.ue_side), ue(), &stripped_srtcp()));
    assert_eq!(hex::encode(b), RTCP);
}

#[test]
fn rtp_from_core_is_protected_with_the_pcscf_key_as_libsrtp_does() {
    // to_ue = the libsrtp key: the gateway's SRTP must be libsrtp's packet, byte for byte.
    let (mut a, p) = gw(AgwFlaws::default(), other_line(), libsrtp_line());
    let (from, to, b) = one(a.handle(p.core_side, core(), &h(RTP)));
    assert_eq!((from, to), (p.ue_side, ue()));
    assert_eq!(hex::encode(b), SRTP);
}

#[test]
fn rtcp_from_core_is_srtcp_under_the_pcscf_key() {
    let (mut a, p) = gw(AgwFlaws::default(), other_line(), libsrtp_line());
    let (from, to, mut b) = one(a.handle(rtcp_of(p.core_side), core(), &h(RTCP)));
    assert_eq!((from, to), (rtcp_of(p.ue_side), rtcp_of(ue())));
    let mut libsrtp = Session::new(
        Suite::AesCm128HmacSha1_80,
        MasterKey::from_key_salt(&h(LIBSRTP_KEY_SALT), &[]).expect("key"),
        Options::default(),
    )
    .expect("session");
    let o = libsrtp.unprotect_rtcp(&mut b).expect("authenticates");
    assert!(o.encrypted);
    assert_eq!(hex::encode(&b[..o.len]), RTCP);
}

#[test]
fn reuse_ue_key_variant_protects_with_the_ue_key() {
    let f = AgwFlaws {
        reuse_ue_key: true,
        ..AgwFlaws::default()
    };
    // from_ue = libsrtp key: the flawed gateway sends libsrtp's packet (the UE's key).
    let (mut a, p) = gw(f, libsrtp_line(), other_line());
    let (_, _, b) = one(a.handle(p.core_side, core(), &h(RTP)));
    assert_eq!(hex::encode(b), SRTP);
    // The conformant one does not.
    let (mut a, p) = ue_to_core();
    let (_, _, b) = one(a.handle(p.core_side, core(), &h(RTP)));
    assert_ne!(hex::encode(b), SRTP);
}

#[test]
fn null_and_weakened_lines_are_refused() {
    let mut a = Agw::with_certificate(AgwConfig::on(ip(2)), b"x");
    let p = a.allocate().expect("free");
    let null = CryptoAttr::new(1, Suite::NullHmacSha1_80, &OTHER_KEY_SALT);
    let mut no_srtcp_enc = other_line();
    no_srtcp_enc.session_params = vec![crate::mech::sdp::SessionParam::UnencryptedSrtcp];
    let mut no_auth = other_line();
    no_auth.session_params = vec![crate::mech::sdp::SessionParam::UnauthenticatedSrtp];
    for (f, t) in [
        (null.clone(), other_line()),
        (other_line(), null),
        (no_srtcp_enc, other_line()),
        (other_line(), no_auth),
    ] {
        let iq = IqInstruction::Srtp {
            media: 0,
            from_ue: f,
            to_ue: t,
        };
        assert!(matches!(
            a.install(p, &iq, ue(), core()),
            Err(AgwError::Unacceptable { .. })
        ));
    }
    let mut mixed = other_line();
    mixed.suite_name = "AES_CM_128_HMAC_SHA1_32".into();
    let iq = IqInstruction::Srtp {
        media: 0,
        from_ue: libsrtp_line(),
        to_ue: mixed,
    };
    assert!(matches!(
        a.install(p, &iq, ue(), core()),
        Err(AgwError::SuiteMismatch(..))
    ));
}

#[test]
fn nothing_installed_or_garbage_is_dropped_without_panic() {
    let mut a = Agw::with_certificate(AgwConfig::on(ip(2)), b"x");
    let p = a.allocate().expect("free");
    assert!(a.handle(p.ue_side, ue(), &h(SRTP)).is_empty());
    let (mut a, p) = ue_to_core();
    for junk in [&[][..], &[0x80][..], &[0xff; 40][..], &h(SRTP)[..20]] {
        for local in p.all() {
            let _ = a.handle(local, ue(), junk);
        }
    }
    let f = AgwFlaws {
        no_replay_check: true,
        no_auth_check: true,
        reuse_ue_key: true,
        accept_unauth_srtcp: true,
        msrp_no_fingerprint_check: true,
        msrp_null_suite: true,
    };
    let (mut a, p) = gw(f, libsrtp_line(), other_line());
    for junk in [
        &[][..],
        &[0x80][..],
        &[0xff; 40][..],
        &h(SRTP)[..20],
        &[0x81; 12][..],
    ] {
        for local in p.all() {
            let _ = a.handle(local, ue(), junk);
        }
    }
}

/// The fuzz body on mutated libsrtp packets and random bytes, every port and flaw set
/// (deterministic; coverage-guided runs: `cd fuzz && cargo +nightly fuzz run imsagw`).
#[test]
fn fuzz_body_survives_mutated_packets() {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let seeds = [h(SRTP), h(SRTCP), h(RTP), h(RTCP), stripped_srtcp()];
    for i in 0..3000u32 {
        let mut v = seeds[i as usize % seeds.len()].clone();
        for _ in 0..(next() % 4) {
            let pos = (next() as usize) % (v.len() + 1);
            match next() % 3 {
                0 if pos < v.len() => v[pos] ^= next() as u8,
                1 => v.truncate(pos),
                _ => v.insert(pos, next() as u8),
            }
        }
        let mut data = vec![next() as u8];
        data.extend_from_slice(&v);
        fuzz_handle(&data);
    }
    fuzz_handle(&[]);
    fuzz_handle(&[0xff]);
}
