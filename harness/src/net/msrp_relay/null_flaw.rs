//! Flaw `agw-msrp-null-suite`: a gateway whose TLS stack takes a null-cipher suite (RFC 5246
//! A.5 `_WITH_NULL_`) when the UE offers one. rustls has no such suite, so the flawed relay
//! reads the ClientHello itself and, when it offers a TLS ≤ 1.2 null suite, answers with a
//! raw ServerHello choosing it (then closes: what a prober sees of such a server); any other
//! ClientHello goes on to rustls unchanged ([`crate::net::tls::accept_after`]).

use crate::mech::tls::hello::Extension;
use crate::mech::tls::{
    record, suites, ClientHello, ContentType, HandshakeBuffer, HandshakeMsg, HandshakeType,
    RecordRepr, ServerHello, TLS1_2,
};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// What the flawed gateway did with the first flight.
pub enum Handled {
    /// Answered with a null suite; the connection is done.
    NullChosen,
    /// Not a null offer: these octets (the ClientHello) go on to rustls.
    Pass(Vec<u8>),
}

/// Reads the ClientHello (bounded by `within`); answers a null offer itself.
pub fn handle(sock: &mut TcpStream, within: Duration) -> Option<Handled> {
    let end = Instant::now() + within;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let msg = loop {
        let mut rest = &got[..];
        let mut hs = HandshakeBuffer::default();
        while let Ok(Some((rec, used))) = record::next_record(rest) {
            if rec.content_type() == ContentType::Handshake as u8 {
                hs.push(rec.fragment()).ok()?;
            }
            rest = rest.get(used..).unwrap_or(&[]);
        }
        if let Ok(Some(m)) = hs.next_message() {
            break m;
        }
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() || got.len() > 64 * 1024 {
            return None;
        }
        sock.set_read_timeout(Some(left)).ok()?;
        match sock.read(&mut buf) {
            Ok(0) | Err(_) => return None,
            Ok(n) => got.extend_from_slice(buf.get(..n).unwrap_or(&[])),
        }
    };
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
    let mut random = [0u8; 32];
    (crate::roles::os_rand())(&mut random);
    let sh = ServerHello {
        legacy_version: TLS1_2,
        random,
        session_id: Vec::new(),
        cipher_suite: suite,
        compression_method: 0,
        extensions: vec![Extension::renegotiation_info()],
    };
    let rec = RecordRepr {
        content_type: ContentType::Handshake,
        version: TLS1_2,
        fragment: HandshakeMsg {
            msg_type: HandshakeType::ServerHello as u8,
            body: sh.emit_body(),
        }
        .emit(),
    }
    .emit();
    let _ = sock.write_all(&rec);
    let _ = sock.set_read_timeout(Some(Duration::from_secs(1)));
    let mut sink = [0u8; 512];
    let _ = sock.read(&mut sink);
    Some(Handled::NullChosen)
}
