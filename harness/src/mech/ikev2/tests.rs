//! Unit tests of the IKEv2 wire format and judgement. The layout examples come from
//! shared/reference/vectors/ikev2.yaml, whose layout was checked there by parsing it back with
//! scapy's IKEv2 layer (transforms (1,12,128) (2,2) (3,2) (4,14); notify type 14).

use super::consts::{encr, exchange, notify, proto, ttype};
use super::crypto::{Encr, Integ};
use super::header::{HeaderRepr, VERSION_2_0};
use super::*;

const INIT_REQ: &str = "01020304050607080000000000000000212022080000000000000178220000300000002c010100040300000c0100000c800e008003000008020000020300000803000002000000080400000e28000108000e00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000024000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const NPC_RESP: &str = "01020304050607080000000000000000292022200000000000000024000000080000000e";

#[test]
fn parses_the_scapy_checked_ike_sa_init_layout() {
    let b = hex::decode(INIT_REQ).unwrap();
    let m = Message::parse(&b).unwrap();
    assert_eq!(m.header.exchange, exchange::IKE_SA_INIT);
    assert_eq!(m.header.length as usize, b.len());
    let sa = m.sa().unwrap();
    assert_eq!(sa.len(), 1);
    let t: Vec<(u8, u16, Option<u16>)> = sa[0]
        .transforms
        .iter()
        .map(|t| (t.ttype, t.id, t.key_len))
        .collect();
    assert_eq!(
        t,
        vec![
            (1, 12, Some(128)),
            (2, 2, None),
            (3, 2, None),
            (4, 14, None)
        ]
    );
    let (g, data) = m.ke().unwrap();
    assert_eq!((g, data.len()), (14, 256));
    assert_eq!(m.nonce().unwrap().len(), 32);
    // Emitting the parsed message gives the same octets back.
    assert_eq!(m.emit().unwrap(), b);
}

#[test]
fn parses_the_scapy_checked_no_proposal_chosen() {
    let b = hex::decode(NPC_RESP).unwrap();
    let m = Message::parse(&b).unwrap();
    assert!(m.header.is_response());
    assert_eq!(m.error_notifies(), vec![notify::NO_PROPOSAL_CHOSEN]);
}

#[test]
fn truncations_and_bit_flips_never_panic() {
    for hx in [INIT_REQ, NPC_RESP] {
        let b = hex::decode(hx).unwrap();
        for n in 0..b.len() {
            let _ = Message::parse(&b[..n]);
        }
        for i in 0..b.len() {
            for bit in [0x01u8, 0x80, 0xff] {
                let mut c = b.clone();
                c[i] ^= bit;
                let _ = Message::parse(&c);
                let k = SkKeys {
                    encr: Encr::AesCbc { key_bits: 128 },
                    integ: Integ::HmacSha1_96,
                    ek: &[0; 16],
                    ak: &[0; 20],
                };
                let _ = open(&c, k, false);
            }
        }
    }
    assert!(Message::parse(&[]).is_err());
}

#[test]
fn a_length_beyond_the_datagram_is_refused() {
    let mut b = hex::decode(NPC_RESP).unwrap();
    b[27] = b[27].wrapping_add(1);
    assert!(matches!(
        Message::parse(&b),
        Err(IkeError::BadLength { .. })
    ));
}

fn header() -> HeaderRepr {
    HeaderRepr {
        spi_i: 1,
        spi_r: 2,
        next_payload: 0,
        version: VERSION_2_0,
        exchange: exchange::IKE_AUTH,
        flags: 0x08,
        message_id: 1,
        length: 0,
    }
}

#[test]
fn seal_and_open_round_trip_and_a_flipped_bit_is_caught() {
    for (encr, integ, ek, ak, iv) in [
        (
            Encr::AesCbc { key_bits: 128 },
            Integ::HmacSha1_96,
            vec![7u8; 16],
            vec![9u8; 20],
            vec![1u8; 16],
        ),
        (
            Encr::AesCbc { key_bits: 256 },
            Integ::HmacSha256_128,
            vec![7u8; 32],
            vec![9u8; 32],
            vec![2u8; 16],
        ),
        (
            Encr::Null,
            Integ::HmacSha256_128,
            vec![],
            vec![9u8; 32],
            vec![],
        ),
    ] {
        let k = SkKeys {
            encr,
            integ,
            ek: &ek,
            ak: &ak,
        };
        let inner = vec![
            Payload::Notify {
                protocol: 0,
                spi: vec![],
                kind: notify::NO_PROPOSAL_CHOSEN,
                data: vec![],
            },
            Payload::Delete {
                protocol: proto::IKE,
                spi_size: 0,
                spis: vec![],
            },
        ];
        let sealed = seal(header(), &inner, k, &iv).unwrap();
        let o = open(&sealed, k, true).unwrap();
        assert_eq!(o.payloads, inner);
        let mut bad = sealed.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert_eq!(open(&bad, k, true), Err(IkeError::IcvMismatch));
        assert!(!open(&bad, k, false).unwrap().icv_ok);
    }
}

#[test]
fn judge_finds_null_offers_and_selections() {
    let null = Proposal {
        num: 1,
        protocol: proto::ESP,
        spi: vec![1, 2, 3, 4],
        transforms: vec![
            Transform::new(ttype::ENCR, encr::NULL),
            Transform::new(ttype::INTEG, 2),
            Transform::new(ttype::ESN, 0),
        ],
    };
    let gmac = Proposal {
        num: 2,
        protocol: proto::ESP,
        spi: vec![1, 2, 3, 4],
        transforms: vec![
            Transform::with_key_len(ttype::ENCR, encr::NULL_AUTH_AES_GMAC, 128),
            Transform::new(ttype::ESN, 0),
        ],
    };
    let aes = Proposal {
        num: 3,
        protocol: proto::ESP,
        spi: vec![1, 2, 3, 4],
        transforms: vec![
            Transform::with_key_len(ttype::ENCR, encr::AES_GCM_16, 128),
            Transform::new(ttype::ESN, 0),
        ],
    };
    let f = judge_proposals(&[Payload::Sa(vec![null.clone(), gmac, aes.clone()])], false);
    assert_eq!(f.iter().map(|x| x.proposal).collect::<Vec<_>>(), vec![1, 2]);
    assert!(f.iter().all(|x| x.role == judge::Role::Offered));
    let f = judge_proposals(&[Payload::Sa(vec![null])], true);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].role, judge::Role::Selected);
    assert!(judge_proposals(&[Payload::Sa(vec![aes])], true).is_empty());
    // judge_message on a clear IKE_SA_INIT with ENCR_AES_CBC: nothing.
    let (x, f) = judge_message(&hex::decode(INIT_REQ).unwrap(), None).unwrap();
    assert_eq!(x, exchange::IKE_SA_INIT);
    assert!(f.is_empty());
}

#[test]
fn dh_refuses_degenerate_peer_values() {
    let a = [0x3cu8; 32];
    assert!(dh::shared(14, &a, &[0u8; 256]).is_err());
    let mut one = [0u8; 256];
    one[255] = 1;
    assert!(dh::shared(14, &a, &one).is_err());
    assert!(dh::shared(14, &a, &[0u8; 10]).is_err());
    assert!(dh::shared(19, &a, &[0u8; 64]).is_err());
    assert!(dh::shared(31, &a, &[0u8; 32]).is_err());
    assert!(dh::shared(99, &a, &[0u8; 32]).is_err());
}
