//! The input layers composed: a REGISTER fragmented in two IPv4 fragments, each in GTP-U in
//! a VLAN-tagged Ethernet frame; the 401 over TCP (Linux cooked v2) in three segments out of
//! order with a retransmission. The registration must come out whole.

use super::*;
use crate::wire::{ipv4, udp};
use std::net::Ipv4Addr;

const UE: [u8; 4] = [10, 45, 0, 7];
const PCSCF: [u8; 4] = [10, 99, 0, 1];

fn register() -> Vec<u8> {
    b"REGISTER sip:ims.example.net SIP/2.0\r\n\
Via: SIP/2.0/UDP 10.45.0.7:5060;branch=z9hG4bK1\r\n\
From: <sip:alice@ims.example.net>;tag=1\r\n\
To: <sip:alice@ims.example.net>\r\n\
Call-ID: reg-1\r\n\
CSeq: 1 REGISTER\r\n\
Authorization: Digest username=\"alice@ims.example.net\", realm=\"ims.example.net\", nonce=\"\", uri=\"sip:ims.example.net\", response=\"\"\r\n\
Security-Client: ipsec-3gpp;alg=hmac-sha-1-96;ealg=aes-cbc;spi-c=11111111;spi-s=22222222;port-c=5100;port-s=5101\r\n\
Require: sec-agree\r\nProxy-Require: sec-agree\r\n\
Content-Length: 0\r\n\r\n"
        .to_vec()
}

fn challenge() -> Vec<u8> {
    b"SIP/2.0 401 Unauthorized\r\n\
Via: SIP/2.0/UDP 10.45.0.7:5060;branch=z9hG4bK1\r\n\
From: <sip:alice@ims.example.net>;tag=1\r\n\
To: <sip:alice@ims.example.net>;tag=2\r\n\
Call-ID: reg-1\r\n\
CSeq: 1 REGISTER\r\n\
Security-Server: ipsec-3gpp;q=0.1;alg=hmac-sha-1-96;ealg=aes-cbc;spi-c=33333333;spi-s=44444444;port-c=6100;port-s=6101\r\n\
WWW-Authenticate: Digest realm=\"ims.example.net\", nonce=\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\", algorithm=AKAv1-MD5\r\n\
Content-Length: 0\r\n\r\n"
        .to_vec()
}

fn ip4(src: [u8; 4], dst: [u8; 4], proto: u8, ident: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    ipv4::Repr {
        src_addr: Ipv4Addr::from(src),
        dst_addr: Ipv4Addr::from(dst),
        protocol: proto,
        payload_len: payload.len(),
        ttl: 64,
        ident,
        dscp_ecn: 0,
    }
    .emit(&mut v)
    .unwrap();
    v.extend_from_slice(payload);
    v
}

fn udp_dgram(sp: u16, dp: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&sp.to_be_bytes());
    v.extend_from_slice(&dp.to_be_bytes());
    v.extend_from_slice(&((udp::HEADER_LEN + payload.len()) as u16).to_be_bytes());
    v.extend_from_slice(&[0, 0]);
    v.extend_from_slice(payload);
    v
}

fn tcp_seg(sp: u16, dp: u16, seq: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&sp.to_be_bytes());
    v.extend_from_slice(&dp.to_be_bytes());
    v.extend_from_slice(&seq.to_be_bytes());
    v.extend_from_slice(&[0, 0, 0, 0, 5 << 4, flags, 0xff, 0xff, 0, 0, 0, 0]);
    v.extend_from_slice(payload);
    v
}

fn gtpu(inner: &[u8]) -> Vec<u8> {
    let mut v = vec![0x30, 0xff];
    v.extend_from_slice(&(inner.len() as u16).to_be_bytes());
    v.extend_from_slice(&[0, 0, 0, 42]);
    v.extend_from_slice(inner);
    v
}

fn eth_vlan(l3: &[u8]) -> Vec<u8> {
    let mut v = vec![0u8; 12];
    v.extend_from_slice(&[0x81, 0x00, 0, 5, 0x08, 0x00]);
    v.extend_from_slice(l3);
    v
}

fn sll2(l3: &[u8]) -> Vec<u8> {
    let mut v = vec![0x08, 0x00];
    v.extend_from_slice(&[0u8; 18]);
    v.extend_from_slice(l3);
    v
}

fn frame(number: u64, linktype: u32, data: Vec<u8>) -> Frame {
    Frame {
        number,
        ts_ns: number * 1_000_000,
        linktype,
        orig_len: data.len() as u32,
        data,
    }
}

#[test]
fn fragmented_gtpu_register_and_reordered_tcp_challenge() {
    let mut e = Engine::new(Options {
        window: 64,
        ..Options::default()
    });
    // REGISTER: UDP in IPv4, fragmented at 400 octets of IP payload, each fragment in GTP-U.
    let dgram = udp_dgram(5060, 5060, &register());
    let whole = ip4(UE, PCSCF, 17, 77, &dgram);
    let (a, b) = dgram.split_at(400);
    let mut f1 = ip4(UE, PCSCF, 17, 77, a);
    f1[6] = 0x20; // MF
    let mut f2 = ip4(UE, PCSCF, 17, 77, b);
    f2[6..8].copy_from_slice(&((400u16 / 8).to_be_bytes()));
    assert!(whole.len() > f1.len());
    let core = |inner: &[u8]| {
        eth_vlan(&ip4(
            [192, 0, 2, 1],
            [192, 0, 2, 2],
            17,
            1,
            &udp_dgram(2152, 2152, &gtpu(inner)),
        ))
    };
    e.feed(&frame(1, 1, core(&f2)));
    e.feed(&frame(2, 1, core(&f1)));
    // 401 over TCP, three segments: 3rd, 1st, 1st again (retransmission), 2nd.
    let c = challenge();
    let (x, rest) = c.split_at(100);
    let (y, z) = rest.split_at(150);
    let seg = |seq: u32, flags: u8, p: &[u8]| {
        sll2(&ip4(PCSCF, UE, 6, 2, &tcp_seg(5060, 40000, seq, flags, p)))
    };
    e.feed(&frame(3, 276, seg(999, tcp::FLAG_SYN, &[])));
    e.feed(&frame(4, 276, seg(1250, 0, z)));
    e.feed(&frame(5, 276, seg(1000, 0, x)));
    e.feed(&frame(6, 276, seg(1000, 0, x)));
    e.feed(&frame(7, 276, seg(1100, 0, y)));
    let r = e.finish();
    assert_eq!(r.stats.fragments_reassembled, 1);
    assert_eq!(r.stats.gtpu_decapsulated, 2);
    assert_eq!(
        (r.stats.tcp_out_of_order, r.stats.tcp_retransmissions),
        (1, 1)
    );
    assert_eq!(r.stats.sip_messages, 2);
    let g = r.registrations.first().expect("one registration");
    assert_eq!(
        (g.ue.as_str(), g.pcscf.as_str()),
        ("10.45.0.7", "10.99.0.1")
    );
    assert_eq!((g.frames.register, g.frames.challenge), (2, Some(7)));
    let n = g.negotiated.as_ref().unwrap();
    assert_eq!(
        (n.pcscf_spi_c, n.ue_spi_s, n.ealg.as_str()),
        (33333333, 22222222, "aes-cbc")
    );
    let v: std::collections::BTreeMap<_, _> = r
        .checks
        .iter()
        .map(|c| (c.id.as_str(), c.verdict))
        .collect();
    use crate::engine::model::Verdict;
    assert_eq!(v.get("spis_distinct"), Some(&Verdict::Pass));
    assert_eq!(v.get("no_ck_ik_at_ue"), Some(&Verdict::Pass));
    // No keys, no ESP: nothing about the SAs can be judged.
    assert_eq!(v.get("sip_inside_sas"), Some(&Verdict::Inconclusive));
}
