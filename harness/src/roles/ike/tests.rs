//! The IKE roles against each other in memory (no sockets): the built-in SEG's policy, PSK
//! authentication both ways, NO_PROPOSAL_CHOSEN keeping the IKE SA, INVALID_KE_PAYLOAD retry,
//! NAT detection and an ENCR_NULL IKE SA (the `null-ike` flaw).

use super::initiator::{Initiator, InitiatorConfig, Next};
use super::proposal::parse_list;
use super::responder::Responder;
use super::seg::{self, SegFlaw, SegFlaws};
use super::session::parse_identity;
use super::Rng;
use crate::mech::ikev2::consts::{encr, notify, proto, ttype};
use std::net::SocketAddr;

fn counter_rng(seed: u8) -> Rng {
    let mut n: u32 = u32::from(seed) << 24;
    Box::new(move |b: &mut [u8]| {
        for x in b.iter_mut() {
            n = n.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            *x = (n >> 16) as u8;
        }
    })
}

const I: &str = "127.0.0.1:40000";
const R: &str = "127.0.0.1:50000";

fn run(
    ike: &[&str],
    child: &[&str],
    flaws: SegFlaws,
    psk: &[u8],
    remote: &str,
) -> (Initiator, Responder) {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let cfg = InitiatorConfig {
        psk: psk.to_vec(),
        local_id: parse_identity("harness.test"),
        ike_proposals: parse_list(&s(ike), proto::IKE).unwrap(),
        child_proposals: parse_list(&s(child), proto::ESP).unwrap(),
        local: I.parse().unwrap(),
        remote: remote.parse().unwrap(),
    };
    let mut i = Initiator::new(cfg, counter_rng(1));
    let mut r = Responder::new(
        seg::responder_policy(&flaws, R.parse().unwrap()),
        counter_rng(2),
    );
    let from: SocketAddr = I.parse().unwrap();
    let mut next = i.start().unwrap();
    for _ in 0..10 {
        match next {
            Next::Send { bytes, .. } => {
                let Some(resp) = r.handle(&bytes, from) else {
                    break;
                };
                next = i.handle(&resp);
            }
            _ => break,
        }
    }
    (i, r)
}

const IKE: [&str; 1] = ["aes128-sha256-modp2048"];

#[test]
fn conformant_child_is_set_up_and_the_ike_sa_deleted() {
    let (i, r) = run(&IKE, &["aes128gcm16"], SegFlaws::new(), seg::BUILTIN_PSK, R);
    let o = &i.outcome;
    assert_eq!(o.problem, None);
    assert_eq!(o.peer_auth_ok, Some(true));
    assert_eq!(r.record.peer_auth_ok, Some(true));
    let c = o.child_selected.as_ref().unwrap();
    assert_eq!(c.of_type(ttype::ENCR).next().unwrap().id, encr::AES_GCM_16);
    assert!(o.deleted && r.record.deleted);
    assert!(!o.natt);
}

#[test]
fn null_only_child_is_refused_with_no_proposal_chosen_and_the_ike_sa_stays() {
    let (i, r) = run(&IKE, &["null-sha1"], SegFlaws::new(), seg::BUILTIN_PSK, R);
    assert!(i.outcome.child_selected.is_none());
    assert_eq!(i.outcome.auth_errors, vec![notify::NO_PROPOSAL_CHOSEN]);
    assert!(i.outcome.ike_sa_established);
    assert_eq!(r.record.child_refused, 1);
    // The flawed SEG accepts it.
    let flawed: SegFlaws = [SegFlaw::AcceptNullEsp].into_iter().collect();
    let (i, _) = run(&IKE, &["null-sha1"], flawed, seg::BUILTIN_PSK, R);
    assert!(i.outcome.child_selected.unwrap().offers_null_encryption());
}

#[test]
fn a_wrong_psk_is_refused_both_ways() {
    let (i, r) = run(&IKE, &["aes128gcm16"], SegFlaws::new(), b"not the psk", R);
    assert_eq!(r.record.peer_auth_ok, Some(false));
    assert_eq!(i.outcome.auth_errors, vec![notify::AUTHENTICATION_FAILED]);
    assert!(!i.outcome.ike_sa_established);
}

#[test]
fn invalid_ke_payload_makes_the_initiator_retry_with_the_asked_group() {
    let (i, _) = run(
        &["aes128-sha256-curve25519", "aes128-sha256-modp2048"],
        &["aes128gcm16"],
        SegFlaws::new(),
        seg::BUILTIN_PSK,
        R,
    );
    assert!(i
        .outcome
        .log
        .iter()
        .any(|l| l.contains("INVALID_KE_PAYLOAD (group 14)")));
    assert!(i.outcome.child_selected.is_some());
}

#[test]
fn groups_19_and_31_work_end_to_end() {
    for g in ["aes128-sha256-ecp256", "aes128-sha256-curve25519"] {
        let (i, _) = run(
            &[g],
            &["aes128-sha256"],
            SegFlaws::new(),
            seg::BUILTIN_PSK,
            R,
        );
        assert!(i.outcome.child_selected.is_some(), "{g}: {:?}", i.outcome);
    }
}

#[test]
fn a_nat_detection_mismatch_moves_ike_to_the_natt_port() {
    // The initiator believes it talks to another address than the one the responder hashes.
    let (i, _) = run(
        &IKE,
        &["aes128gcm16"],
        SegFlaws::new(),
        seg::BUILTIN_PSK,
        "192.0.2.1:500",
    );
    assert!(i.outcome.natt);
    assert!(i.outcome.child_selected.is_some());
}

#[test]
fn the_null_ike_flaw_runs_an_ike_sa_with_encr_null() {
    let flawed: SegFlaws = [SegFlaw::NullIke].into_iter().collect();
    let (i, _) = run(
        &["null-sha256-modp2048", "aes128-sha256-modp2048"],
        &["aes128gcm16"],
        flawed,
        seg::BUILTIN_PSK,
        R,
    );
    assert!(i.outcome.ike_selected.unwrap().offers_null_encryption());
    assert!(i.outcome.child_selected.is_some());
    assert!(i.outcome.deleted);
}

#[test]
fn proposal_strings() {
    let p = super::proposal::parse("aes128-sha256", proto::ESP).unwrap();
    assert_eq!(
        p.describe(),
        "ESP: ENCR_AES_CBC-128, AUTH_HMAC_SHA2_256_128, No Extended Sequence Numbers"
    );
    let p = super::proposal::parse("aes256-sha1-ecp256", proto::IKE).unwrap();
    assert_eq!(
        p.describe(),
        "IKE: ENCR_AES_CBC-256, PRF_HMAC_SHA1, AUTH_HMAC_SHA1_96, 256-bit random ECP group"
    );
    assert!(super::proposal::parse("sha1", proto::ESP).is_err());
    assert!(super::proposal::parse("rot13-sha1", proto::ESP).is_err());
}
