//! SIP over TLS at the edge (net::tls_edge; RFC 3261 §18, TS 33.203 Annex O "TLS first"):
//! a UE-side edge opens a TLS connection to a P-CSCF-side edge listening on loopback, SIP
//! messages are framed across and inside TLS records both ways on the same connection, a
//! certificate for another name is refused with a typed reason, and an unframeable stream
//! is closed. The framing is the same StreamFramer the TCP edge uses (tested there against
//! real captures); what is new here is the TLS session around it.

use imsec::net::tls::{
    client_config, server_config, CertProblem, ClientOptions, ServerOptions, TestPki, Validity,
};
use imsec::net::tls_edge::{TlsEdge, TlsEvent};
use std::net::SocketAddr;
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

const NAME: &str = "pcscf.ims.example";

fn register(n: u32, body: &str) -> Vec<u8> {
    format!(
        "REGISTER sip:ims.example SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1;branch=z9hG4bK{n}\r\n\
         Security-Client: tls;q=0.5\r\nCSeq: {n} REGISTER\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The next event that is not `Established`, within 5 s.
fn next(rx: &Receiver<TlsEvent>, established: &mut Vec<TlsEvent>) -> TlsEvent {
    let end = Instant::now() + Duration::from_secs(5);
    loop {
        let left = end.saturating_duration_since(Instant::now());
        let e = rx.recv_timeout(left).expect("an event within 5 s");
        if matches!(e, TlsEvent::Established { .. }) {
            established.push(e);
        } else {
            return e;
        }
    }
}

fn any() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

#[test]
fn sip_both_ways_on_one_tls_connection() {
    let pki = TestPki::new("imsec lab CA").unwrap();
    let id = pki.issue(&[NAME], Validity::Current).unwrap();
    let (ptx, prx) = channel();
    let mut pcscf = TlsEdge::new(ptx);
    let listen = pcscf
        .listen(
            any(),
            server_config(&id, &ServerOptions::default()).unwrap(),
        )
        .unwrap();
    let (utx, urx) = channel();
    let ue = TlsEdge::new(utx);
    let ccfg = client_config(&[pki.ca_der()], &ClientOptions::default()).unwrap();
    let big = "x".repeat(40_000); // several TLS records
    let mut two = register(1, "");
    two.extend(register(2, &big));
    let ue_local = ue.send(any(), listen, &two, Some((&ccfg, NAME))).unwrap();
    let mut est = Vec::new();
    for (n, body_len) in [(1u32, 0usize), (2, 40_000)] {
        match next(&prx, &mut est) {
            TlsEvent::Message { peer, payload, .. } => {
                assert_eq!(peer, ue_local);
                assert_eq!(payload, register(n, &"x".repeat(body_len)));
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(est
        .iter()
        .any(|e| matches!(e, TlsEvent::Established { info, .. } if info.version == "TLSv1_3")));
    // The answer goes back on the same connection (RFC 3261 §18.2.2), no client config needed.
    let answer =
        b"SIP/2.0 401 Unauthorized\r\nSecurity-Server: tls;q=0.5\r\nContent-Length: 0\r\n\r\n";
    assert!(pcscf.is_connected(listen, ue_local));
    pcscf.send(listen, ue_local, answer, None).unwrap();
    match next(&urx, &mut est) {
        TlsEvent::Message { payload, local, .. } => {
            assert_eq!(payload, answer.to_vec());
            assert_eq!(local, ue_local);
        }
        other => panic!("{other:?}"),
    }
    // Without a connection and without a client config there is nothing to send on.
    assert!(pcscf
        .send(listen, "127.0.0.1:9".parse().unwrap(), answer, None)
        .is_err());
}

#[test]
fn wrong_name_is_refused_with_its_reason() {
    let pki = TestPki::new("imsec lab CA").unwrap();
    let id = pki.issue(&["other.example"], Validity::Current).unwrap();
    let (ptx, _prx) = channel();
    let mut pcscf = TlsEdge::new(ptx);
    let listen = pcscf
        .listen(
            any(),
            server_config(&id, &ServerOptions::default()).unwrap(),
        )
        .unwrap();
    let (utx, urx) = channel();
    let ue = TlsEdge::new(utx);
    let ccfg = client_config(&[pki.ca_der()], &ClientOptions::default()).unwrap();
    ue.send(any(), listen, &register(1, ""), Some((&ccfg, NAME)))
        .unwrap();
    let mut est = Vec::new();
    match next(&urx, &mut est) {
        TlsEvent::Failed { certificate, .. } => {
            assert_eq!(certificate, Some(CertProblem::WrongName))
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(next(&urx, &mut est), TlsEvent::Closed { .. }));
    assert!(est.is_empty());
}

#[test]
fn unframeable_stream_is_closed() {
    let pki = TestPki::new("imsec lab CA").unwrap();
    let id = pki.issue(&[NAME], Validity::Current).unwrap();
    let (ptx, prx) = channel();
    let mut pcscf = TlsEdge::new(ptx);
    let listen = pcscf
        .listen(
            any(),
            server_config(&id, &ServerOptions::default()).unwrap(),
        )
        .unwrap();
    let (utx, urx) = channel();
    let ue = TlsEdge::new(utx);
    let ccfg = client_config(&[pki.ca_der()], &ClientOptions::default()).unwrap();
    let junk = b"REGISTER sip:x SIP/2.0\r\nContent-Length: banana\r\n\r\n";
    let local = ue.send(any(), listen, junk, Some((&ccfg, NAME))).unwrap();
    let mut est = Vec::new();
    match next(&prx, &mut est) {
        TlsEvent::Closed { peer, .. } => assert_eq!(peer, local),
        other => panic!("{other:?}"),
    }
    // The UE side sees the close too.
    assert!(matches!(next(&urx, &mut est), TlsEvent::Closed { .. }));
}
