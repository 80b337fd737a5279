//! Flaw `agw-msrp-null-suite`: a gateway whose TLS stack takes a null-cipher suite (RFC 5246
//! A.5 `_WITH_NULL_`) when the UE offers one. rustls has no such suite, so the flawed relay
//! reads the ClientHello itself and, when it offers a TLS ≤ 1.2 null suite, answers with a
//! raw ServerHello choosing it (then closes: what a prober sees of such a server); any other
//! ClientHello goes on to rustls unchanged ([`crate::net::tls::accept_after`]).

use crate::mech::tls::{suites, ClientHello, HandshakeType, TLS1_2};
use crate::net::tls_hello::{read_client_hello, server_hello_record};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// What the flawed gateway did with the first flight.
pub enum Handled {
    /// Answered with a null suite; the connection is done.
    NullChosen,
    /// Not a null offer: these octets (the ClientHello) go on to rustls.
    Pass(Vec<u8>),
}

/// Reads the ClientHello (bounded by `within`); answers a null offer itself.
pub fn handle(sock: &mut TcpStream, within: Duration) -> Option<Handled> {
    let (got, msg) = read_client_hello(sock, within)?;
    let null = (msg.msg_type == HandshakeType::ClientHello as u8)
        .then(|| ClientHello::parse(&msg.body).ok())
        .flatten()
        .and_then(|ch| {
            ch.cipher_suites
                .iter()
                .copied()
                .find(|c| !suites::is_tls13(*c) && suites::flags(*c).null)
        });
    let Some(suite) = null else {
        return Some(Handled::Pass(got));
    };
    let rec = server_hello_record(TLS1_2, suite);
    let _ = sock.write_all(&rec);
    let _ = sock.set_read_timeout(Some(Duration::from_secs(1)));
    let mut sink = [0u8; 512];
    let _ = sock.read(&mut sink);
    Some(Handled::NullChosen)
}
