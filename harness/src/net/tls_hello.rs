//! The raw first flight of a TLS server that is not rustls: reading the ClientHello off a
//! socket and writing a ServerHello (RFC 5246 §7.4.1.2, §7.4.1.3; RFC 8446 §5.1 records), for
//! the flawed servers that choose what rustls never would (a null-cipher suite, RFC 5246 A.5;
//! a version below TLS 1.2).

use crate::mech::tls::hello::Extension;
use crate::mech::tls::{record, ContentType, HandshakeBuffer, HandshakeMsg, HandshakeType};
use crate::mech::tls::{RecordRepr, ServerHello};
use std::io::Read;
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// Reads until the first handshake message (the ClientHello) is complete, for at most
/// `within` and 64 KiB; returns the raw octets read (to hand on to rustls) and the message.
pub fn read_client_hello(
    sock: &mut TcpStream,
    within: Duration,
) -> Option<(Vec<u8>, HandshakeMsg)> {
    let end = Instant::now() + within;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let mut rest = &got[..];
        let mut hs = HandshakeBuffer::default();
        while let Ok(Some((rec, used))) = record::next_record(rest) {
            if rec.content_type() == ContentType::Handshake as u8 {
                hs.push(rec.fragment()).ok()?;
            }
            rest = rest.get(used..).unwrap_or(&[]);
        }
        if let Ok(Some(m)) = hs.next_message() {
            return Some((got, m));
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
    }
}

/// One handshake record (record version `version`) holding a handshake message.
pub fn handshake_record(version: u16, t: HandshakeType, body: Vec<u8>) -> Vec<u8> {
    RecordRepr {
        content_type: ContentType::Handshake,
        version,
        fragment: HandshakeMsg {
            msg_type: t as u8,
            body,
        }
        .emit(),
    }
    .emit()
}

/// A ServerHello choosing `version` and `suite` (fresh random, empty session id, no
/// compression, an empty `renegotiation_info`, RFC 5746 §3.6) in a handshake record.
pub fn server_hello_record(version: u16, suite: u16) -> Vec<u8> {
    let mut random = [0u8; 32];
    (crate::roles::os_rand())(&mut random);
    let sh = ServerHello {
        legacy_version: version,
        random,
        session_id: Vec::new(),
        cipher_suite: suite,
        compression_method: 0,
        extensions: vec![Extension::renegotiation_info()],
    };
    handshake_record(version, HandshakeType::ServerHello, sh.emit_body())
}
