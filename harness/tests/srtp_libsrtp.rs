//! SRTP/SRTCP interoperability with libsrtp2 (an independent implementation), both
//! directions, for AES_CM_128_HMAC_SHA1_80, _32 and the NULL cipher, with MKI, across a
//! sequence-number wrap (ROC 0 -> 1), and with replayed and tampered packets.
//!
//! The peer is tools/srtp_peer.c, built here with
//! `cc -O2 tools/srtp_peer.c $(pkg-config --cflags --libs libsrtp2)` (Debian `libsrtp2-dev`,
//! installed by .ci/install-deps.sh). Without libsrtp2 the tests print `SKIPPED: <reason>`.

#[macro_use]
#[path = "support/srtp_peer.rs"]
mod srtp_peer;

use imsec::mech::srtp::{MasterKey, Options, RtpRepr, Session, SrtpError, Suite};
use srtp_peer::{peer, run_peer, KEY_SALT};

fn session(suite: Suite, mki: &[u8]) -> Session {
    let ks = hex::decode(KEY_SALT).unwrap();
    Session::new(
        suite,
        MasterKey::from_key_salt(&ks, mki).unwrap(),
        Options::default(),
    )
    .unwrap()
}

/// RTP packets across the sequence-number wrap (ROC 0 -> 1), 160 and 1200 octet payloads,
/// and RTCP sender reports, interleaved.
fn traffic() -> Vec<(bool, Vec<u8>)> {
    let mut v = Vec::new();
    for k in 0..48u32 {
        let seq = (0xffe8 + k) as u16;
        let mut p = Vec::new();
        RtpRepr {
            marker: k == 0,
            payload_type: 8,
            seq,
            timestamp: 1000 + 160 * k,
            ssrc: 0x1234_5678,
            ..Default::default()
        }
        .emit(&mut p);
        let len = if k % 3 == 0 { 1200 } else { 160 };
        p.extend((0..len).map(|i| (i as u8) ^ (k as u8)));
        v.push((false, p));
        if k % 8 == 0 {
            let mut r = vec![0x80, 0xc8, 0x00, 0x06, 0x12, 0x34, 0x56, 0x78];
            r.extend((0..20).map(|i| i as u8 + k as u8));
            v.push((true, r));
        }
    }
    v
}

fn check_libsrtp_to_imsec(suite: Suite, mki: &str) {
    let peer = peer_or_skip!();
    let plain = traffic();
    let prot = run_peer(&peer, "protect", suite, KEY_SALT, mki, &plain);
    assert_eq!(prot.len(), plain.len());
    let mut rx = session(suite, &hex::decode(mki).unwrap());
    for ((rtcp, p), c) in plain.iter().zip(&prot) {
        let mut c = c.clone().expect("libsrtp protects");
        let orig = c.clone();
        let n = if *rtcp {
            let o = rx.unprotect_rtcp(&mut c).unwrap();
            assert!(o.index >= 1, "libsrtp starts SRTCP at index 1");
            o.len
        } else {
            rx.unprotect(&mut c).unwrap().len
        };
        assert_eq!(&c[..n], &p[..], "{suite}");
        // The same packet again is a replay (RFC 3711 §3.3.2).
        let mut again = orig.clone();
        let r = if *rtcp {
            rx.unprotect_rtcp(&mut again).map(|_| ())
        } else {
            rx.unprotect(&mut again).map(|_| ())
        };
        assert!(matches!(r, Err(SrtpError::Replay(_))), "{suite}: {r:?}");
    }
}

fn check_imsec_to_libsrtp(suite: Suite, mki: &str) {
    let peer = peer_or_skip!();
    let plain = traffic();
    let mut tx = session(suite, &hex::decode(mki).unwrap());
    let mut prot = Vec::new();
    for (rtcp, p) in &plain {
        let mut c = p.clone();
        if *rtcp {
            tx.protect_rtcp_vec(&mut c).unwrap();
        } else {
            tx.protect_vec(&mut c).unwrap();
        }
        prot.push((*rtcp, c));
    }
    // Then a replay of the first RTP packet after the wrap, and a tampered copy of another.
    let replay = prot.iter().rfind(|(r, _)| !r).unwrap().clone();
    let mut tampered = prot.get(3).unwrap().clone();
    let n = tampered.1.len();
    tampered.1[n / 2] ^= 0x01;
    let mut input = prot.clone();
    input.push(replay);
    input.push(tampered);
    let out = run_peer(&peer, "unprotect", suite, KEY_SALT, mki, &input);
    assert_eq!(out.len(), input.len());
    for ((_, p), o) in plain.iter().zip(&out) {
        assert_eq!(
            o.as_ref().expect("libsrtp accepts imsec's packet"),
            p,
            "{suite}"
        );
    }
    // libsrtp status 9 = srtp_err_status_replay_fail, 7 = srtp_err_status_auth_fail.
    assert_eq!(out[plain.len()], Err("9".to_string()), "replay refused");
    assert!(
        matches!(
            out[plain.len() + 1].as_ref().map_err(String::as_str),
            Err("7") | Err("9")
        ),
        "tampered packet refused: {:?}",
        out[plain.len() + 1]
    );
}

#[test]
fn libsrtp_to_imsec_sha1_80() {
    check_libsrtp_to_imsec(Suite::AesCm128HmacSha1_80, "");
}
#[test]
fn libsrtp_to_imsec_sha1_32() {
    check_libsrtp_to_imsec(Suite::AesCm128HmacSha1_32, "");
}
#[test]
fn libsrtp_to_imsec_null_sha1_80() {
    check_libsrtp_to_imsec(Suite::NullHmacSha1_80, "");
}
#[test]
fn libsrtp_to_imsec_mki() {
    check_libsrtp_to_imsec(Suite::AesCm128HmacSha1_80, "00000001");
}
#[test]
fn imsec_to_libsrtp_sha1_80() {
    check_imsec_to_libsrtp(Suite::AesCm128HmacSha1_80, "");
}
#[test]
fn imsec_to_libsrtp_sha1_32() {
    check_imsec_to_libsrtp(Suite::AesCm128HmacSha1_32, "");
}
#[test]
fn imsec_to_libsrtp_null_sha1_80() {
    check_imsec_to_libsrtp(Suite::NullHmacSha1_80, "");
}
#[test]
fn imsec_to_libsrtp_mki() {
    check_imsec_to_libsrtp(Suite::AesCm128HmacSha1_80, "0a0b");
}

/// A receiver with another key refuses libsrtp's packets (the test can fail).
#[test]
fn wrong_key_is_refused() {
    let peer = peer_or_skip!();
    let plain = traffic();
    let prot = run_peer(
        &peer,
        "protect",
        Suite::AesCm128HmacSha1_80,
        KEY_SALT,
        "",
        &plain,
    );
    let mut rx = Session::new(
        Suite::AesCm128HmacSha1_80,
        MasterKey::new(&[1; 16], &[2; 14]),
        Options::default(),
    )
    .unwrap();
    for ((rtcp, _), c) in plain.iter().zip(prot) {
        let mut c = c.unwrap();
        let r = if *rtcp {
            rx.unprotect_rtcp(&mut c).map(|_| ())
        } else {
            rx.unprotect(&mut c).map(|_| ())
        };
        assert_eq!(r, Err(SrtpError::AuthFailed));
    }
}
