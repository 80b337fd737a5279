//! The IMS Access GW (roles::imsagw) between two libsrtp2 endpoints (an independent SRTP
//! implementation, tools/srtp_peer.c): libsrtp protects as the UE with the UE's key, the
//! gateway must hand the core exactly libsrtp's plain packets; the gateway protects what the
//! core sends, and libsrtp must open it with the P-CSCF's key and refuse it with the UE's
//! (TS 33.328 §7.2.1 steps 7 and 9). Traffic crosses a sequence-number wrap (ROC 0 -> 1).
//! Without libsrtp2 the tests print `SKIPPED: <reason>`.

#[macro_use]
#[path = "support/srtp_peer.rs"]
mod srtp_peer;

use imsec::mech::sdp::CryptoAttr;
use imsec::mech::srtp::{RtpRepr, Suite};
use imsec::roles::gm::Wire;
use imsec::roles::imsagw::{rtcp_of, Agw, AgwConfig, StreamPorts};
use imsec::roles::imsalg::IqInstruction;
use srtp_peer::{peer, run_peer, KEY_SALT};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// The other key of the stream (not libsrtp's test key).
const OTHER: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d";

fn traffic(ssrc: u32) -> Vec<(bool, Vec<u8>)> {
    let mut v = Vec::new();
    for k in 0..24u32 {
        let mut p = Vec::new();
        RtpRepr {
            payload_type: 0,
            seq: (0xfff4 + k) as u16,
            timestamp: 160 * k,
            ssrc,
            ..Default::default()
        }
        .emit(&mut p);
        p.extend((0..160).map(|i| (i as u8) ^ (k as u8)));
        v.push((false, p));
        if k % 6 == 0 {
            let mut r = vec![0x80, 0xc8, 0x00, 0x06];
            r.extend(ssrc.to_be_bytes());
            r.extend((0..20).map(|i| i as u8 + k as u8));
            v.push((true, r));
        }
    }
    v
}

/// A gateway with one stream: `from_ue` keyed with `ue`, `to_ue` with `pcscf`.
fn gateway(suite: Suite, ue: &str, pcscf: &str) -> (Agw, StreamPorts, SocketAddr, SocketAddr) {
    let ip = |d| IpAddr::V4(Ipv4Addr::new(127, 0, 0, d));
    let mut gw = Agw::with_certificate(AgwConfig::on(ip(2)), b"cert");
    let ports = gw.allocate().expect("free stream");
    let line = |k: &str| CryptoAttr::new(1, suite, &hex::decode(k).expect("hex"));
    let (ue_at, core_at) = (SocketAddr::new(ip(4), 20000), SocketAddr::new(ip(3), 30000));
    let iq = IqInstruction::Srtp {
        media: 0,
        from_ue: line(ue),
        to_ue: line(pcscf),
    };
    gw.install(ports, &iq, ue_at, core_at).expect("installed");
    (gw, ports, ue_at, core_at)
}

fn relay(gw: &mut Agw, local: SocketAddr, peer: SocketAddr, p: &[u8]) -> Option<Vec<u8>> {
    match gw.handle(local, peer, p).as_slice() {
        [Wire::Udp { payload, .. }] => Some(payload.clone()),
        _ => None,
    }
}

fn ue_to_core(suite: Suite) {
    let peer = peer_or_skip!();
    let plain = traffic(0x1111_2222);
    let prot = run_peer(&peer, "protect", suite, KEY_SALT, "", &plain);
    let (mut gw, ports, ue_at, _) = gateway(suite, KEY_SALT, OTHER);
    for ((rtcp, p), c) in plain.iter().zip(&prot) {
        let c = c.clone().expect("libsrtp protects");
        let local = if *rtcp {
            rtcp_of(ports.ue_side)
        } else {
            ports.ue_side
        };
        let out = relay(&mut gw, local, ue_at, &c);
        assert_eq!(
            out.as_ref(),
            Some(p),
            "{suite}: the core gets libsrtp's plain packet"
        );
        // The same packet again is a replay (RFC 3711 §3.3.2).
        assert_eq!(
            relay(&mut gw, local, ue_at, &c),
            None,
            "{suite}: replay dropped"
        );
    }
}

fn core_to_ue(suite: Suite) {
    let peer = peer_or_skip!();
    let plain = traffic(0x3333_4444);
    let (mut gw, ports, _, core_at) = gateway(suite, OTHER, KEY_SALT);
    let mut prot = Vec::new();
    for (rtcp, p) in &plain {
        let local = if *rtcp {
            rtcp_of(ports.core_side)
        } else {
            ports.core_side
        };
        let c = relay(&mut gw, local, core_at, p).expect("the gateway protects");
        prot.push((*rtcp, c));
    }
    // libsrtp with the P-CSCF's key (to_ue) opens every packet ...
    let out = run_peer(&peer, "unprotect", suite, KEY_SALT, "", &prot);
    for ((_, p), o) in plain.iter().zip(&out) {
        assert_eq!(
            o.as_ref().ok(),
            Some(p),
            "{suite}: libsrtp opens the gateway's packet"
        );
    }
    // ... and with the UE's own key (from_ue) none (libsrtp status 7: auth_fail).
    let out = run_peer(&peer, "unprotect", suite, OTHER, "", &prot);
    assert!(
        out.iter().all(|o| o.is_err()),
        "{suite}: nothing opens with the UE's key"
    );
}

#[test]
fn libsrtp_ue_through_gateway_to_core_sha1_80() {
    ue_to_core(Suite::AesCm128HmacSha1_80);
}
#[test]
fn libsrtp_ue_through_gateway_to_core_sha1_32() {
    ue_to_core(Suite::AesCm128HmacSha1_32);
}
#[test]
fn core_through_gateway_to_libsrtp_ue_sha1_80() {
    core_to_ue(Suite::AesCm128HmacSha1_80);
}
#[test]
fn core_through_gateway_to_libsrtp_ue_sha1_32() {
    core_to_ue(Suite::AesCm128HmacSha1_32);
}
