//! Unit tests of SRTP behaviour. Byte-exact expected values live in vectors/srtp_*.yaml
//! (RFC 3711 Appendix B, libsrtp); these tests exercise state: round trips, tampering,
//! replay, ROC wrap, KDR, MKI, lifetime and the SRTCP E flag.

use super::*;

const KEY: [u8; 16] = [
    0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0, 0xd6, 0x4f, 0xa3, 0x2c, 0x06, 0xde, 0x41, 0x39,
];
const SALT: [u8; 14] = [
    0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a, 0xfe, 0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6,
];

fn rtp(seq: u16, payload_len: usize) -> Vec<u8> {
    let mut b = Vec::new();
    RtpRepr {
        payload_type: 8,
        seq,
        timestamp: u32::from(seq) * 160,
        ssrc: 0xdeadbeef,
        ..Default::default()
    }
    .emit(&mut b);
    b.extend((0..payload_len).map(|i| i as u8));
    b
}

fn rtcp() -> Vec<u8> {
    let mut b = vec![0x81, 0xc8, 0x00, 0x0b, 0xde, 0xad, 0xbe, 0xef];
    b.extend([0xab; 40]);
    b
}

fn pair(suite: Suite, opts: Options) -> (Session, Session) {
    let k = MasterKey::new(&KEY, &SALT);
    (
        Session::new(suite, k.clone(), opts).unwrap(),
        Session::new(suite, k, opts).unwrap(),
    )
}

#[test]
fn round_trip_every_suite_and_sizes() {
    for suite in Suite::ALL {
        let (mut tx, mut rx) = pair(suite, Options::default());
        for (seq, len) in [(1u16, 0usize), (2, 1), (3, 160), (4, 1200)] {
            let plain = rtp(seq, len);
            let mut p = plain.clone();
            tx.protect_vec(&mut p).unwrap();
            assert_eq!(p.len(), plain.len() + suite.rtp_tag_len());
            assert_eq!(p[..12], plain[..12], "header stays in clear");
            if suite.encrypts() && len > 0 {
                assert_ne!(p[12..plain.len()], plain[12..]);
            } else {
                assert_eq!(p[12..plain.len()], plain[12..]);
            }
            let o = rx.unprotect(&mut p).unwrap();
            assert_eq!(&p[..o.len], &plain[..], "{suite} {len}");
        }
        let plain = rtcp();
        let mut p = plain.clone();
        tx.protect_rtcp_vec(&mut p).unwrap();
        assert_eq!(p.len(), plain.len() + 4 + 10);
        let o = rx.unprotect_rtcp(&mut p).unwrap();
        assert_eq!(o.encrypted, suite.encrypts());
        assert_eq!(o.index, 0, "RFC 3711 §3.4: the first SRTCP index is 0");
        assert_eq!(&p[..o.len], &plain[..]);
    }
}

#[test]
fn every_flipped_bit_is_refused_and_changes_nothing() {
    let (mut tx, mut rx) = pair(Suite::AesCm128HmacSha1_32, Options::default());
    let mut p = rtp(10, 20);
    tx.protect_vec(&mut p).unwrap();
    for bit in 0..p.len() * 8 {
        let mut t = p.clone();
        t[bit / 8] ^= 1 << (bit % 8);
        assert!(rx.unprotect(&mut t).is_err(), "bit {bit}");
    }
    let mut ok = p.clone();
    assert!(rx.unprotect(&mut ok).is_ok());
    let mut again = p.clone();
    assert!(matches!(
        rx.unprotect(&mut again),
        Err(SrtpError::Replay(replay::ReplayError::Duplicate(10)))
    ));
    let mut c = rtcp();
    tx.protect_rtcp_vec(&mut c).unwrap();
    for bit in 0..c.len() * 8 {
        let mut t = c.clone();
        t[bit / 8] ^= 1 << (bit % 8);
        assert!(rx.unprotect_rtcp(&mut t).is_err(), "rtcp bit {bit}");
    }
    let mut ok = c.clone();
    assert!(rx.unprotect_rtcp(&mut ok).is_ok());
    let mut again = c.clone();
    assert!(rx.unprotect_rtcp(&mut again).is_err(), "SRTCP replay");
}

#[test]
fn roc_wraps_on_both_sides_and_reordering_is_accepted() {
    let (mut tx, mut rx) = pair(Suite::AesCm128HmacSha1_80, Options::default());
    let mut pkts = Vec::new();
    for k in 0..40u32 {
        let seq = (0xfff0u32 + k) as u16;
        let mut p = rtp(seq, 30);
        tx.protect_vec(&mut p).unwrap();
        pkts.push(p);
    }
    // Deliver with a local swap across the wrap: 0xffff after 0x0000.
    pkts.swap(15, 16);
    for p in &mut pkts {
        let o = rx.unprotect(p).unwrap();
        assert_eq!(o.roc, if o.seq >= 0xfff0 { 0 } else { 1 });
    }
    // A receiver that assumed ROC 0 across the wrap would fail: check the tag covers ROC.
    let (mut tx2, mut rx2) = pair(Suite::AesCm128HmacSha1_80, Options::default());
    tx2.set_tx_roc(0xdeadbeef, 1);
    let mut p = rtp(5, 10);
    tx2.protect_vec(&mut p).unwrap();
    assert_eq!(rx2.unprotect(&mut p.clone()), Err(SrtpError::AuthFailed));
    rx2.set_rx_roc(0xdeadbeef, 1);
    assert_eq!(rx2.unprotect(&mut p).unwrap().index, (1 << 16) | 5);
}

#[test]
fn replay_window_too_old() {
    let (mut tx, mut rx) = pair(Suite::AesCm128HmacSha1_80, Options::default());
    let mut old = rtp(1, 4);
    tx.protect_vec(&mut old).unwrap();
    let mut new = rtp(1 + 128, 4);
    tx.protect_vec(&mut new).unwrap();
    rx.unprotect(&mut new).unwrap();
    assert!(matches!(
        rx.unprotect(&mut old),
        Err(SrtpError::Replay(replay::ReplayError::TooOld { .. }))
    ));
}

#[test]
fn kdr_rekeys_at_the_boundary() {
    let opts = Options {
        kdr: 4,
        ..Options::default()
    };
    let (mut tx, mut rx) = pair(Suite::AesCm128HmacSha1_80, opts);
    let (mut tx0, _) = pair(Suite::AesCm128HmacSha1_80, Options::default());
    for seq in 0..12u16 {
        let mut a = rtp(seq, 16);
        let mut b = a.clone();
        tx.protect_vec(&mut a).unwrap();
        tx0.protect_vec(&mut b).unwrap();
        // Indices 0..3 share r = 0 with kdr 0; from index 4 on, the keys differ.
        assert_eq!(a == b, seq < 4, "seq {seq}");
        let plain = rtp(seq, 16);
        let o = rx.unprotect(&mut a).unwrap();
        assert_eq!(&a[..o.len], &plain[..]);
    }
    assert!(Session::new(
        Suite::AesCm128HmacSha1_80,
        MasterKey::new(&KEY, &SALT),
        Options {
            kdr: 3,
            ..Options::default()
        }
    )
    .is_err());
}

#[test]
fn mki_selects_the_key() {
    let k1 = MasterKey {
        key: KEY.to_vec(),
        salt: SALT.to_vec(),
        mki: vec![0, 0, 0, 1],
    };
    let k2 = MasterKey {
        key: vec![0x55; 16],
        salt: vec![0x66; 14],
        mki: vec![0, 0, 0, 2],
    };
    let mut tx = Session::with_keys(
        Suite::AesCm128HmacSha1_80,
        vec![k1.clone(), k2.clone()],
        Options::default(),
    )
    .unwrap();
    let mut rx =
        Session::with_keys(Suite::AesCm128HmacSha1_80, vec![k2, k1], Options::default()).unwrap();
    let mut p = rtp(1, 8);
    tx.protect_vec(&mut p).unwrap();
    assert_eq!(p[p.len() - 14..p.len() - 10], [0, 0, 0, 1]);
    assert_eq!(rx.unprotect(&mut p).unwrap().key, 1);
    assert!(tx.set_active_key(1));
    let mut p = rtp(2, 8);
    tx.protect_vec(&mut p).unwrap();
    assert_eq!(rx.unprotect(&mut p).unwrap().key, 0);
    let mut p = rtp(3, 8);
    tx.protect_vec(&mut p).unwrap();
    let n = p.len();
    p[n - 11] = 9;
    assert_eq!(rx.unprotect(&mut p), Err(SrtpError::UnknownMki));
}

#[test]
fn lifetime_is_enforced() {
    let opts = Options {
        lifetime: Some(2),
        ..Options::default()
    };
    let (mut tx, _) = pair(Suite::AesCm128HmacSha1_80, opts);
    tx.protect_vec(&mut rtp(1, 1)).unwrap();
    tx.protect_vec(&mut rtp(2, 1)).unwrap();
    assert_eq!(
        tx.protect_vec(&mut rtp(3, 1)),
        Err(SrtpError::KeyLifetime(2))
    );
}

#[test]
fn unencrypted_srtcp_is_refused_unless_negotiated() {
    let clear = Options {
        unencrypted_srtcp: true,
        ..Options::default()
    };
    let (mut tx, mut rx_clear) = pair(Suite::AesCm128HmacSha1_80, clear);
    let (_, mut rx) = pair(Suite::AesCm128HmacSha1_80, Options::default());
    let plain = rtcp();
    let mut p = plain.clone();
    tx.protect_rtcp_vec(&mut p).unwrap();
    assert_eq!(&p[..plain.len()], &plain[..], "E=0: body in clear");
    assert_eq!(
        rx.unprotect_rtcp(&mut p.clone()),
        Err(SrtpError::UnencryptedRtcp)
    );
    assert!(!rx_clear.unprotect_rtcp(&mut p).unwrap().encrypted);
}

#[test]
fn srtcp_accepts_any_start_index_and_stops_at_2_31() {
    let (mut tx, mut rx) = pair(Suite::AesCm128HmacSha1_80, Options::default());
    tx.set_tx_rtcp_index(0xdeadbeef, 0x7fff_fffe);
    for want in [0x7fff_fffe, 0x7fff_ffff] {
        let mut p = rtcp();
        tx.protect_rtcp_vec(&mut p).unwrap();
        assert_eq!(rx.unprotect_rtcp(&mut p).unwrap().index, want);
    }
    assert_eq!(
        tx.protect_rtcp_vec(&mut rtcp()),
        Err(SrtpError::IndexExhausted)
    );
}

#[test]
fn truncated_and_short_buffers() {
    let (mut tx, mut rx) = pair(Suite::AesCm128HmacSha1_80, Options::default());
    for n in 0..22 {
        let mut b = vec![0x80; n];
        assert!(rx.unprotect(&mut b).is_err());
        assert!(rx.unprotect_rtcp(&mut b).is_err());
    }
    let mut buf = rtp(1, 4);
    let n = buf.len();
    assert!(matches!(
        tx.protect(&mut buf, n),
        Err(SrtpError::BufferTooSmall { .. })
    ));
    assert!(matches!(
        tx.protect(&mut buf, n + 1),
        Err(SrtpError::BufferTooSmall { .. })
    ));
}

#[test]
fn unauthenticated_srtp_has_no_tag() {
    let opts = Options {
        unauthenticated_srtp: true,
        ..Options::default()
    };
    let (mut tx, mut rx) = pair(Suite::AesCm128HmacSha1_80, opts);
    let plain = rtp(1, 10);
    let mut p = plain.clone();
    tx.protect_vec(&mut p).unwrap();
    assert_eq!(p.len(), plain.len());
    let o = rx.unprotect(&mut p).unwrap();
    assert_eq!(&p[..o.len], &plain[..]);
}

#[test]
fn fuzz_body_survives_seeds() {
    let (mut tx, _) = pair(Suite::AesCm128HmacSha1_80, Options::default());
    let mut p = rtp(1, 10);
    tx.protect_vec(&mut p).unwrap();
    for n in 0..p.len() {
        fuzz_unprotect(&p[..n]);
    }
    fuzz_unprotect(&[0x9f; 100]);
    fuzz_unprotect(&[0xbf, 0xff, 0xff, 0xff]);
}
