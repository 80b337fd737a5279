//! Unit tests of seal/open. Known-answer packets from RFCs and independent implementations
//! are in `vectors/esp*.yaml`; these tests cover properties (round trip, tamper detection,
//! refusals) and cross-check the GMAC composition against the `aes-gcm` crate.

use super::*;
use crate::mech::algorithms::{EncAlg, IntegAlg, PairError};

fn keys(ia: IntegAlg, ea: EncAlg) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let ik = match ia {
        IntegAlg::HmacMd5_96 | IntegAlg::AesGmac => (1..=16).collect(),
        IntegAlg::HmacSha1_96 => (1..=20).collect(),
        IntegAlg::Null => vec![],
    };
    let ek = match ea {
        EncAlg::Null => vec![],
        EncAlg::DesEde3Cbc => (0x40..0x58).collect(),
        EncAlg::AesCbc | EncAlg::AesGcm => (0x60..0x70).collect(),
    };
    let salt = if ia == IntegAlg::AesGmac || ea == EncAlg::AesGcm {
        vec![0xca, 0xfe, 0xba, 0xbe]
    } else {
        vec![]
    };
    (ik, ek, salt)
}

fn annex_h_pairs() -> Vec<(IntegAlg, EncAlg)> {
    let mut v = Vec::new();
    for ia in IntegAlg::ALL {
        for ea in EncAlg::ALL {
            if crate::mech::algorithms::check_pair(ia, ea).is_ok() {
                v.push((ia, ea));
            }
        }
    }
    v
}

fn sa(ia: IntegAlg, ea: EncAlg) -> SaCrypto {
    let (ik, ek, salt) = keys(ia, ea);
    SaCrypto::new(ia, ea, &ik, &ek, &salt).unwrap()
}

fn params(seq_hi: Option<u32>) -> SealParams {
    SealParams {
        spi: 0x1234_5678,
        seq: 7,
        seq_hi,
        next_header: NH_UDP,
        padding: Padding::default(),
    }
}

#[test]
fn round_trip_every_annex_h_pair() {
    let pairs = annex_h_pairs();
    assert_eq!(pairs.len(), 8, "{pairs:?}");
    let mut pkt = Vec::new();
    let mut out = Vec::new();
    for (ia, ea) in pairs {
        let s = sa(ia, ea);
        for hi in [None, Some(3)] {
            for len in [0usize, 1, 13, 14, 15, 16, 17, 64, 200] {
                let payload: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
                let mut iv = CounterIv(0x0102_0304_0506_0708);
                s.seal(&params(hi), &payload, &mut iv, &mut pkt).unwrap();
                assert_eq!(pkt.len(), s.sealed_len(len), "{ia} {ea} {len}");
                let body = pkt.len() - HEADER_LEN - s.iv_len() - s.icv_len();
                assert_eq!(body % s.align(), 0);
                let o = s.open(&pkt, hi, &mut out).unwrap();
                assert_eq!(&out[o.payload.clone()], &payload[..], "{ia} {ea} {len}");
                assert_eq!((o.spi, o.seq, o.next_header), (0x1234_5678, 7, NH_UDP));
                let mut inplace = pkt.clone();
                let o2 = s.open_in_place(&mut inplace, hi).unwrap();
                assert_eq!(&inplace[o2.payload.clone()], &payload[..]);
                // The ESN high bits are covered by the ICV: a different guess must fail.
                let wrong = match hi {
                    None => Some(0),
                    Some(h) => Some(h + 1),
                };
                if ia != IntegAlg::Null || ea == EncAlg::AesGcm {
                    assert_eq!(s.open(&pkt, wrong, &mut out), Err(EspError::IcvBad));
                    assert!(out.is_empty());
                }
            }
        }
    }
}

#[test]
fn any_bit_flip_is_rejected() {
    let mut pkt = Vec::new();
    let mut out = Vec::new();
    for (ia, ea) in annex_h_pairs() {
        let s = sa(ia, ea);
        s.seal(&params(None), b"INVITE sip:x", &mut CounterIv(1), &mut pkt)
            .unwrap();
        for i in 0..pkt.len() {
            let mut bad = pkt.clone();
            bad[i] ^= 0x01;
            assert_eq!(
                s.open(&bad, None, &mut out),
                Err(EspError::IcvBad),
                "{ia}/{ea} byte {i}"
            );
        }
    }
}

#[test]
fn truncated_and_misaligned() {
    let s = sa(IntegAlg::HmacSha1_96, EncAlg::AesCbc);
    let mut pkt = Vec::new();
    s.seal(&params(None), b"abc", &mut CounterIv(1), &mut pkt)
        .unwrap();
    let mut out = Vec::new();
    for n in 0..8 + 16 + 2 + 12 {
        assert!(matches!(
            s.open(&pkt[..n], None, &mut out),
            Err(EspError::Truncated { .. })
        ));
    }
    // Cutting one octet leaves a body that is not a multiple of 16.
    assert!(matches!(
        s.open(&pkt[..pkt.len() - 1], None, &mut out),
        Err(EspError::Misaligned { align: 16, .. })
    ));
}

#[test]
fn padding_checked_after_decryption() {
    let s = sa(IntegAlg::HmacSha1_96, EncAlg::AesCbc);
    let mut pkt = Vec::new();
    let mut out = Vec::new();
    let p = SealParams {
        padding: Padding {
            extra: 16,
            fill: PadFill::Byte(0),
        },
        ..params(None)
    };
    s.seal(&p, b"abc", &mut CounterIv(1), &mut pkt).unwrap();
    assert_eq!(pkt.len(), s.sealed_len(3) + 16);
    assert_eq!(
        s.open(&pkt, None, &mut out),
        Err(EspError::BadPadding {
            index: 0,
            found: 0,
            expected: 1
        })
    );
    let mut lax = s.clone();
    lax.verify_padding = false;
    let o = lax.open(&pkt, None, &mut out).unwrap();
    assert_eq!(&out[o.payload], b"abc");
    assert_eq!(o.padding.len(), 11 + 16);
    // Extra padding that breaks alignment is refused on seal.
    let p = SealParams {
        padding: Padding {
            extra: 3,
            fill: PadFill::Monotone,
        },
        ..params(None)
    };
    assert!(matches!(
        s.seal(&p, b"abc", &mut CounterIv(1), &mut pkt),
        Err(EspError::PaddingNotPossible { .. })
    ));
}

#[test]
fn dummy_packets_are_reported() {
    let s = sa(IntegAlg::HmacSha1_96, EncAlg::Null);
    let mut pkt = Vec::new();
    let mut out = Vec::new();
    let p = SealParams {
        next_header: NH_DUMMY,
        ..params(None)
    };
    s.seal(&p, &[], &mut CounterIv(0), &mut pkt).unwrap();
    let o = s.open(&pkt, None, &mut out).unwrap();
    assert!(o.is_dummy());
    assert!(o.payload.is_empty());
}

#[test]
fn refusals() {
    assert_eq!(
        SaCrypto::new(IntegAlg::Null, EncAlg::Null, &[], &[], &[]).unwrap_err(),
        EspError::Pair(PairError::NullNull)
    );
    assert_eq!(
        SaCrypto::new_lenient(IntegAlg::Null, EncAlg::Null, &[], &[], &[]).unwrap_err(),
        EspError::Pair(PairError::NullNull)
    );
    assert!(SaCrypto::new(IntegAlg::Null, EncAlg::AesCbc, &[], &[0; 16], &[]).is_err());
    assert!(SaCrypto::new_lenient(IntegAlg::Null, EncAlg::AesCbc, &[], &[0; 16], &[]).is_ok());
    assert!(matches!(
        SaCrypto::new(IntegAlg::HmacSha1_96, EncAlg::Null, &[0; 16], &[], &[]),
        Err(EspError::KeyLength { expected: 20, .. })
    ));
    assert!(matches!(
        SaCrypto::new(IntegAlg::Null, EncAlg::AesGcm, &[], &[0; 16], &[]),
        Err(EspError::KeyLength { expected: 4, .. })
    ));
    assert!(SaCrypto::new(IntegAlg::HmacSha1_96, EncAlg::Null, &[0; 20], &[], &[1]).is_err());
    let dbg = format!("{:?}", sa(IntegAlg::HmacSha1_96, EncAlg::AesCbc));
    assert!(!dbg.contains("0102"), "{dbg}");
}

/// RFC 4543 §3: AES-GMAC equals AES-GCM with an empty plaintext, nonce salt || IV and the
/// whole packet (SPI .. Next Header; with ESN, SPI || seq-hi || seq || ...) as AAD.
/// Cross-checked against the `aes-gcm` crate's GCM (not used by our GMAC composition).
#[test]
fn gmac_matches_gcm_with_empty_plaintext() {
    use aes_gcm::{AeadInOut, Aes128Gcm, KeyInit};
    let (ik, _, salt) = keys(IntegAlg::AesGmac, EncAlg::Null);
    let s = sa(IntegAlg::AesGmac, EncAlg::Null);
    let gcm = Aes128Gcm::new_from_slice(&ik).unwrap();
    let mut pkt = Vec::new();
    for hi in [None, Some(0xdead_beef)] {
        for len in [0usize, 3, 4, 5, 30, 100] {
            let payload = vec![0x5a; len];
            s.seal(&params(hi), &payload, &mut CounterIv(9), &mut pkt)
                .unwrap();
            let (data, icv) = pkt.split_at(pkt.len() - 16);
            let mut aad = data[..4].to_vec();
            if let Some(h) = hi {
                aad.extend_from_slice(&h.to_be_bytes());
            }
            aad.extend_from_slice(&data[4..]);
            let mut nonce = salt.clone();
            nonce.extend_from_slice(&data[8..16]);
            let tag = gcm
                .encrypt_inout_detached(
                    nonce.as_slice().try_into().unwrap(),
                    &aad,
                    (&mut [][..]).into(),
                )
                .unwrap();
            assert_eq!(icv, &tag[..], "len {len} hi {hi:?}");
        }
    }
}

#[test]
fn no_panic_on_garbage() {
    let mut out = Vec::new();
    for (ia, ea) in annex_h_pairs() {
        let s = sa(ia, ea);
        for len in 0..80 {
            let junk: Vec<u8> = (0..len).map(|i| (i * 31 + len) as u8).collect();
            let _ = s.open(&junk, None, &mut out);
            let _ = s.open(&junk, Some(1), &mut out);
            let mut j = junk.clone();
            let _ = s.open_in_place(&mut j, None);
        }
    }
}
