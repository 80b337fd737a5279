//! The relay on loopback: a UE (TLS, its own self-signed certificate) and a core (TCP) peer
//! through a gateway stream.

use super::*;
use crate::roles::ue::call::MsrpIdentity;
use std::net::TcpListener;

fn free_port(ip: &str) -> SocketAddr {
    let l = TcpListener::bind(format!("{ip}:0")).unwrap();
    l.local_addr().unwrap()
}

struct Setup {
    relay: MsrpRelay,
    gw: MsrpIdentity,
    ue: MsrpIdentity,
    ue_side: SocketAddr,
    core_side: SocketAddr,
}

fn setup(no_fingerprint_check: bool, install: bool) -> Setup {
    let gw = MsrpIdentity::generate("agw.imsec.test").unwrap();
    let ue = MsrpIdentity::generate("ue.imsec.test").unwrap();
    let (ue_side, core_side) = (free_port("127.0.0.1"), free_port("127.0.0.1"));
    let table = MsrpTable::default();
    if install {
        table.lock().unwrap().streams.insert(
            ue_side,
            MsrpStream {
                ue_fingerprint: ue.fingerprint.clone(),
            },
        );
    }
    let relay = MsrpRelay::start(RelaySpec {
        identity: gw.tls_identity(),
        table,
        streams: vec![(ue_side, core_side)],
        no_fingerprint_check,
        null_suite: false,
        timeouts: RelayTimeouts {
            handshake: Duration::from_secs(3),
            rendezvous: Duration::from_secs(3),
            idle: Duration::from_secs(5),
        },
    })
    .unwrap();
    Setup {
        relay,
        gw,
        ue,
        ue_side,
        core_side,
    }
}

const SEND: &[u8] = b"MSRP a786hjs2 SEND\r\nTo-Path: msrp://x\r\n-------a786hjs2$\r\n";

fn read_some<R: Read>(r: &mut R) -> Vec<u8> {
    let mut b = vec![0u8; 256];
    match r.read(&mut b) {
        Ok(n) => b.get(..n).unwrap_or_default().to_vec(),
        Err(_) => Vec::new(),
    }
}

/// Both ways through the gateway when the UE presents the certificate it signalled and the
/// gateway's leaf is the one signalled to the UE.
#[test]
fn relays_both_ways_with_the_signalled_certificates() {
    let s = setup(false, true);
    let t = Duration::from_secs(3);
    let c = client::connect(
        s.ue_side,
        &s.ue.tls_identity(),
        Some(&s.gw.fingerprint),
        None,
        t,
    )
    .unwrap();
    let (mut ue, info) = (c.stream, c.info);
    assert_eq!(c.leaf.as_ref(), Some(&s.gw.fingerprint));
    assert!(!info.cipher_suite.is_empty());
    let mut core = TcpStream::connect(s.core_side).unwrap();
    core.set_read_timeout(Some(t)).unwrap();
    ue.sock.set_read_timeout(Some(t)).unwrap();
    ue.write_all(SEND).unwrap();
    ue.flush().unwrap();
    assert_eq!(read_some(&mut core), SEND);
    core.write_all(b"MSRP a786hjs2 200 OK\r\n-------a786hjs2$\r\n")
        .unwrap();
    assert_eq!(
        read_some(&mut ue),
        b"MSRP a786hjs2 200 OK\r\n-------a786hjs2$\r\n"
    );
    assert!(s
        .relay
        .log_lines()
        .iter()
        .any(|l| l.contains("legs paired")));
}

/// A UE expecting another server fingerprint refuses the gateway.
#[test]
fn the_ue_refuses_a_gateway_with_another_fingerprint() {
    let s = setup(false, true);
    let other = MsrpIdentity::generate("agw.imsec.test").unwrap();
    let r = client::connect(
        s.ue_side,
        &s.ue.tls_identity(),
        Some(&other.fingerprint),
        None,
        Duration::from_secs(3),
    );
    assert!(r.is_err());
}

/// Whether octets from a UE presenting `id` reach the core.
fn relayed_with(s: &Setup, id: &MsrpIdentity) -> bool {
    let t = Duration::from_secs(2);
    let Ok(c) = client::connect(
        s.ue_side,
        &id.tls_identity(),
        Some(&s.gw.fingerprint),
        None,
        t,
    ) else {
        return false;
    };
    let mut ue = c.stream;
    let Ok(mut core) = TcpStream::connect(s.core_side) else {
        return false;
    };
    core.set_read_timeout(Some(t)).unwrap();
    // TLS 1.3: the client may finish before the server judged its certificate.
    let _ = ue.write_all(SEND).and_then(|()| ue.flush());
    read_some(&mut core) == SEND
}

#[test]
fn a_certificate_other_than_the_signalled_one_is_refused() {
    let s = setup(false, true);
    let intruder = MsrpIdentity::generate("ue.imsec.test").unwrap();
    assert!(!relayed_with(&s, &intruder));
    assert!(s
        .relay
        .log_lines()
        .iter()
        .any(|l| l.contains("TLS refused")));
    // Control: the signalled certificate still goes through on the same stream.
    assert!(relayed_with(&s, &s.ue));
}

#[test]
fn the_flawed_relay_takes_any_certificate() {
    let s = setup(true, true);
    let intruder = MsrpIdentity::generate("ue.imsec.test").unwrap();
    assert!(relayed_with(&s, &intruder));
}

#[test]
fn nothing_is_relayed_without_an_installed_stream() {
    let s = setup(false, false);
    assert!(!relayed_with(&s, &s.ue));
    assert!(s
        .relay
        .log_lines()
        .iter()
        .any(|l| l.contains("no MSRP stream installed")));
}

#[test]
fn only_sha256_fingerprints_match() {
    let id = MsrpIdentity::generate("ue.imsec.test").unwrap();
    assert!(matches_fingerprint(&id.cert_der, &id.fingerprint));
    let mut other_hash = id.fingerprint.clone();
    other_hash.hash = "sha-1".into();
    assert!(!matches_fingerprint(&id.cert_der, &other_hash));
    let mut flipped = id.fingerprint.clone();
    if let Some(b) = flipped.value.first_mut() {
        *b ^= 1;
    }
    assert!(!matches_fingerprint(&id.cert_der, &flipped));
}
