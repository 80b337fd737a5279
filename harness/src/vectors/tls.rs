//! Checker for `vectors/tls_handshake.yaml`: TLS record streams from a third-party capture and
//! from live OpenSSL sessions, with the fields tshark dissected (tools/gen_tls_vectors.py).
//! imsec's record, handshake, hello, certificate, CertificateRequest and alert parsers
//! (mech::tls; RFC 5246 §6.2.1/§7.4, RFC 8446 §4) must find the same fields, and a parsed
//! ClientHello must re-emit the exact octets it was parsed from.

use super::{expect_str, Vector};
use crate::mech::tls::server::{parse_certificate, CertificateRequest};
use crate::mech::tls::{
    record, Alert, ClientHello, ContentType, HandshakeBuffer, HandshakeType, ServerHello,
};

fn join<T: ToString>(v: impl IntoIterator<Item = T>) -> String {
    v.into_iter()
        .map(|x| x.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

fn hex16s(v: &[u16]) -> String {
    join(v.iter().map(|c| format!("{c:04x}")))
}

/// Checks one `tls-handshake` vector.
pub fn check(v: &Vector) -> Result<(), String> {
    let i = v.input();
    let stream = i.hex("stream")?;
    let client = match i.str("direction")?.as_str() {
        "client" => true,
        "server" => false,
        other => {
            return Err(format!(
                "input.direction: '{other}' is not client or server"
            ))
        }
    };
    let exp = v.expected();

    let mut rest = &stream[..];
    let (mut types, mut versions) = (Vec::new(), Vec::new());
    let mut hs = HandshakeBuffer::default();
    let mut alert = None;
    while !rest.is_empty() {
        let (rec, used) = record::next_record(rest)
            .map_err(|e| format!("record: {e}"))?
            .ok_or_else(|| format!("record: {} octets left, incomplete", rest.len()))?;
        types.push(rec.content_type());
        versions.push(format!("{:04x}", rec.version()));
        let ct = ContentType::from_u8(rec.content_type());
        // Handshake records in clear: up to the first ChangeCipherSpec (after it, TLS 1.3
        // records are encrypted).
        if ct == Some(ContentType::Handshake) && !types.contains(&20) {
            hs.push(rec.fragment()).map_err(|e| e.to_string())?;
        }
        if ct == Some(ContentType::Alert) {
            alert = Some(Alert::parse(rec.fragment()).map_err(|e| e.to_string())?);
        }
        rest = rest.get(used..).unwrap_or(&[]);
    }
    expect_str(&exp, "record_types", &join(&types))?;
    expect_str(&exp, "record_versions", &versions.join(","))?;

    let mut msgs = Vec::new();
    while let Some(m) = hs.next_message().map_err(|e| e.to_string())? {
        msgs.push(m);
    }
    if !hs.is_empty() {
        return Err("a partial handshake message is left over".into());
    }
    let got_types = join(msgs.iter().map(|m| m.msg_type));
    match exp.opt_str("handshake_types")? {
        Some(_) => expect_str(&exp, "handshake_types", &got_types)?,
        None if !msgs.is_empty() => {
            return Err(format!("unexpected handshake messages {got_types}"))
        }
        None => {}
    }

    let mut negotiated = 0u16;
    for m in &msgs {
        match HandshakeType::from_u8(m.msg_type) {
            Some(HandshakeType::ClientHello) => {
                if !client {
                    return Err("a ClientHello in a server stream".into());
                }
                let ch = ClientHello::parse(&m.body).map_err(|e| format!("client_hello: {e}"))?;
                expect_str(&exp, "hello_version", &format!("{:04x}", ch.legacy_version))?;
                expect_str(&exp, "random", &hex::encode(ch.random))?;
                expect_str(&exp, "session_id", &hex::encode(&ch.session_id))?;
                expect_str(&exp, "cipher_suites", &hex16s(&ch.cipher_suites))?;
                let ext_types: Vec<u16> = ch.extensions.iter().flatten().map(|e| e.typ).collect();
                expect_str(&exp, "extension_types", &join(ext_types))?;
                if exp.has("supported_versions") {
                    let offered = ch.offered_versions().map_err(|e| e.to_string())?;
                    expect_str(&exp, "supported_versions", &hex16s(&offered))?;
                }
                let sni = ch.server_name().map_err(|e| e.to_string())?;
                if exp.has("server_name") || sni.is_some() {
                    expect_str(&exp, "server_name", sni.as_deref().unwrap_or(""))?;
                }
                if ch.emit() != m.emit() {
                    return Err("the parsed ClientHello does not re-emit its own octets".into());
                }
            }
            Some(HandshakeType::ServerHello) => {
                let sh = ServerHello::parse(&m.body).map_err(|e| format!("server_hello: {e}"))?;
                expect_str(&exp, "hello_version", &format!("{:04x}", sh.legacy_version))?;
                expect_str(&exp, "random", &hex::encode(sh.random))?;
                expect_str(&exp, "session_id", &hex::encode(&sh.session_id))?;
                expect_str(&exp, "cipher_suites", &format!("{:04x}", sh.cipher_suite))?;
                expect_str(&exp, "extension_types", &join(sh.extension_types()))?;
                negotiated = sh.selected_version().map_err(|e| e.to_string())?;
                if exp.has("supported_versions") {
                    expect_str(&exp, "supported_versions", &format!("{negotiated:04x}"))?;
                }
            }
            Some(HandshakeType::Certificate) => {
                let certs = parse_certificate(&m.body, false).map_err(|e| e.to_string())?;
                expect_str(
                    &exp,
                    "certificate_lengths",
                    &join(certs.iter().map(Vec::len)),
                )?;
            }
            Some(HandshakeType::CertificateRequest) => {
                let cr = CertificateRequest::parse(&m.body, negotiated)
                    .map_err(|e| format!("certificate_request: {e}"))?;
                expect_str(
                    &exp,
                    "certificate_request_types",
                    &join(cr.certificate_types),
                )?;
            }
            _ => {}
        }
    }
    match (alert, exp.has("alert")) {
        (Some(a), _) => expect_str(&exp, "alert", &format!("{},{}", a.level, a.description))?,
        (None, true) => return Err("expected an alert, found none".into()),
        (None, false) => {}
    }
    Ok(())
}
