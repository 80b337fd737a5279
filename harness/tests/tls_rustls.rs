//! The rustls client/server wrappers (net::tls) for the `tls` sec-agree mechanism (TS 33.203
//! Annex O): handshakes over loopback TCP, typed certificate refusals (RFC 5280 validity and
//! path, RFC 6125 name), the key log, and no CertificateRequest from the conformant server.
//!
//! Independent checks: OpenSSL (`openssl verify`) judges every lab certificate the same way
//! webpki does; OpenSSL's own `-keylogfile` of the same session must hold exactly the lines
//! imsec's key log wrote; imsec's raw prober (parsers checked against tshark in
//! vectors/tls_handshake.yaml) sees the rustls server's flight. OpenSSL tests print
//! `SKIPPED: …` without openssl.

use imsec::mech::tls::{suites, TLS1_1, TLS1_2};
use imsec::net::tls::{
    accept, client_config, connect, server_config, CertProblem, ClientOptions, Identity,
    KeyLogFile, ServerOptions, TestPki, TlsFailure, Validity,
};
use imsec::net::tls_probe::{probe, ProbeAnswer, ProbeConfig};
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

const T: Duration = Duration::from_secs(5);
const NAME: &str = "pcscf.ims.example";

fn on_path(prog: &str) -> bool {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(prog).is_file()))
        .unwrap_or(false)
}

fn scratch(tag: &str) -> PathBuf {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let d = std::env::temp_dir().join(format!("imsec-rustls-{tag}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A rustls server for `connections` connections that echoes one line per connection.
fn echo_server(
    id: &Identity,
    o: ServerOptions,
    connections: usize,
) -> (u16, JoinHandle<Vec<Result<String, String>>>) {
    let cfg = server_config(id, &o).unwrap();
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let h = std::thread::spawn(move || {
        let mut out = Vec::new();
        for _ in 0..connections {
            let (sock, _) = l.accept().unwrap();
            out.push(match accept(cfg.clone(), sock, T) {
                Ok((mut s, info)) => {
                    let mut line = String::new();
                    let _ = BufReader::new(&mut s).read_line(&mut line);
                    let _ = s.write_all(line.as_bytes());
                    let _ = s.flush();
                    s.conn.send_close_notify();
                    let _ = s.flush();
                    Ok(format!("{} {}", info.version, line.trim()))
                }
                Err(e) => Err(e.to_string()),
            });
        }
        out
    });
    (port, h)
}

fn client(
    port: u16,
    anchors: &TestPki,
    name: &str,
    o: ClientOptions,
) -> Result<String, TlsFailure> {
    let cfg = client_config(&[anchors.ca_der()], &o).unwrap();
    let sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let (mut s, info) = connect(cfg, name, sock, T)?;
    s.write_all(b"REGISTER sip:ims.example SIP/2.0\n").unwrap();
    s.flush().unwrap();
    let mut line = String::new();
    BufReader::new(&mut s).read_line(&mut line).unwrap();
    Ok(format!("{} {}", info.version, line.trim()))
}

#[test]
fn handshake_and_echo() {
    let pki = TestPki::new("imsec lab CA").unwrap();
    let id = pki.issue(&[NAME], Validity::Current).unwrap();
    let (port, h) = echo_server(&id, ServerOptions::default(), 1);
    let got = client(port, &pki, NAME, ClientOptions::default()).unwrap();
    assert_eq!(got, "TLSv1_3 REGISTER sip:ims.example SIP/2.0");
    assert_eq!(
        h.join().unwrap()[0].as_deref(),
        Ok("TLSv1_3 REGISTER sip:ims.example SIP/2.0")
    );
}

#[test]
fn certificate_problems_are_typed() {
    let pki = TestPki::new("imsec lab CA").unwrap();
    let other = TestPki::new("another CA").unwrap();
    let cases: Vec<(Identity, &str, &TestPki, CertProblem)> = vec![
        (
            pki.issue(&[NAME], Validity::Expired).unwrap(),
            NAME,
            &pki,
            CertProblem::Expired,
        ),
        (
            pki.issue(&[NAME], Validity::NotYetValid).unwrap(),
            NAME,
            &pki,
            CertProblem::NotYetValid,
        ),
        (
            pki.issue(&["other.example"], Validity::Current).unwrap(),
            NAME,
            &pki,
            CertProblem::WrongName,
        ),
        (
            pki.issue(&[NAME], Validity::Current).unwrap(),
            NAME,
            &other,
            CertProblem::UnknownIssuer,
        ),
    ];
    for (id, name, anchors, want) in cases {
        let (port, h) = echo_server(&id, ServerOptions::default(), 1);
        match client(port, anchors, name, ClientOptions::default()) {
            Err(TlsFailure::Certificate(p)) => assert_eq!(p, want),
            other => panic!("expected {want:?}, got {other:?}"),
        }
        // The server saw the client's alert, not a completed session.
        assert!(h.join().unwrap()[0].is_err());
    }
    // The UE-side flaw `no_verify` accepts the expired certificate: the check can fail.
    let id = pki.issue(&[NAME], Validity::Expired).unwrap();
    let (port, h) = echo_server(&id, ServerOptions::default(), 1);
    let o = ClientOptions {
        no_verify: true,
        ..Default::default()
    };
    assert!(client(port, &pki, NAME, o).is_ok());
    assert!(h.join().unwrap()[0].is_ok());
}

/// The conformant rustls server, seen by the raw prober: no CertificateRequest, null suites
/// and TLS 1.1 refused. The flawed `request_client_cert` server sends a CertificateRequest.
#[test]
fn rustls_server_seen_by_the_prober() {
    let pki = TestPki::new("imsec lab CA").unwrap();
    let id = pki.issue(&[NAME], Validity::Current).unwrap();
    let (port, h) = echo_server(&id, ServerOptions::default(), 3);
    let target = format!("127.0.0.1:{port}");
    let modern = suites::parse_list("modern", false).unwrap();
    let r = probe(&ProbeConfig::new(&target, TLS1_2, modern.clone())).unwrap();
    match &r.answer {
        ProbeAnswer::ServerHello(a) => {
            assert_eq!(a.certificate_request, Some(false));
            assert!(!a.flags.weak() && a.suite_offered);
            assert_eq!(a.certificate_count, 2);
        }
        other => panic!("{other:?}"),
    }
    let null = suites::parse_list("null", false).unwrap();
    let r = probe(&ProbeConfig::new(&target, TLS1_2, null)).unwrap();
    assert!(
        matches!(
            r.answer,
            ProbeAnswer::Alert {
                description: 40,
                ..
            }
        ),
        "{r:?}"
    );
    // rustls refuses a TLS 1.1-only hello with handshake_failure (OpenSSL and Kamailio say
    // protocol_version): refused either way.
    let r = probe(&ProbeConfig::new(&target, TLS1_1, modern.clone())).unwrap();
    assert!(
        matches!(r.answer, ProbeAnswer::Alert { level: 2, .. }),
        "{r:?}"
    );
    let _ = h.join();

    let o = ServerOptions {
        request_client_cert: Some(vec![pki.ca_der()]),
        ..Default::default()
    };
    let (port, h) = echo_server(&id, o, 1);
    let r = probe(&ProbeConfig::new(
        &format!("127.0.0.1:{port}"),
        TLS1_2,
        modern,
    ))
    .unwrap();
    match &r.answer {
        ProbeAnswer::ServerHello(a) => assert_eq!(a.certificate_request, Some(true)),
        other => panic!("{other:?}"),
    }
    let _ = h.join();
}

fn lines(path: &std::path::Path) -> BTreeSet<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

/// OpenSSL judges the lab certificates as webpki does.
#[test]
fn openssl_agrees_on_lab_certificates() {
    if !on_path("openssl") {
        return println!("SKIPPED: openssl not installed");
    }
    let dir = scratch("verify");
    let pki = TestPki::new("imsec lab CA").unwrap();
    std::fs::write(dir.join("ca.pem"), pki.ca_pem()).unwrap();
    let cases = [
        (Validity::Current, NAME, ": OK"),
        (Validity::Expired, NAME, "certificate has expired"),
        (Validity::NotYetValid, NAME, "certificate is not yet valid"),
        (Validity::Current, "other.example", "hostname mismatch"),
    ];
    for (validity, name, want) in cases {
        let id = pki.issue(&[name], validity).unwrap();
        let (chain, _) = TestPki::identity_pem(&id);
        let leaf = chain
            .split_inclusive("-----END CERTIFICATE-----\n")
            .next()
            .unwrap();
        std::fs::write(dir.join("leaf.pem"), leaf).unwrap();
        let out = Command::new("openssl")
            .args([
                "verify",
                "-CAfile",
                "ca.pem",
                "-verify_hostname",
                NAME,
                "leaf.pem",
            ])
            .current_dir(&dir)
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            text.contains(want),
            "{validity:?} {name}: want '{want}' in:\n{text}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// imsec's key log (server side) holds exactly the lines OpenSSL's s_client logged for the
/// same TLS 1.3 session, and OpenSSL validated the chain against the lab CA.
#[test]
fn keylog_matches_openssl() {
    if !on_path("openssl") {
        return println!("SKIPPED: openssl not installed");
    }
    let dir = scratch("keylog");
    let pki = TestPki::new("imsec lab CA").unwrap();
    std::fs::write(dir.join("ca.pem"), pki.ca_pem()).unwrap();
    let id = pki.issue(&[NAME], Validity::Current).unwrap();
    let ours = dir.join("imsec.keys");
    let o = ServerOptions {
        keylog: Some(KeyLogFile::create(&ours).unwrap()),
        ..Default::default()
    };
    let (port, h) = echo_server(&id, o, 1);
    let mut c = Command::new("openssl")
        .args([
            "s_client",
            "-connect",
            &format!("127.0.0.1:{port}"),
            "-servername",
            NAME,
        ])
        .args([
            "-CAfile",
            "ca.pem",
            "-verify_return_error",
            "-keylogfile",
            "openssl.keys",
        ])
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    c.stdin
        .take()
        .unwrap()
        .write_all(b"OPTIONS sip:x SIP/2.0\n")
        .unwrap();
    let mut out = String::new();
    c.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    let _ = c.wait();
    let server = h.join().unwrap();
    assert_eq!(
        server[0].as_deref(),
        Ok("TLSv1_3 OPTIONS sip:x SIP/2.0"),
        "{out}"
    );
    assert!(out.contains("Verify return code: 0 (ok)"), "{out}");
    let theirs: BTreeSet<String> = lines(&dir.join("openssl.keys"))
        .into_iter()
        .filter(|l| !l.starts_with('#'))
        .collect();
    let mine = lines(&ours);
    assert_eq!(mine.len(), 5, "{mine:?}");
    assert_eq!(mine, theirs);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn identity_round_trips_through_pem() {
    let pki = TestPki::new("imsec lab CA").unwrap();
    let id = pki.issue(&[NAME, "127.0.0.1"], Validity::Current).unwrap();
    let (chain, key) = TestPki::identity_pem(&id);
    let back = Identity::from_pem(chain.as_bytes(), key.as_bytes()).unwrap();
    assert_eq!(back.chain, id.chain);
    assert!(Identity::from_pem(b"", key.as_bytes()).is_err());
    let anchors = imsec::net::tls::trust_anchors_from_pem(pki.ca_pem().as_bytes()).unwrap();
    assert_eq!(anchors, vec![pki.ca_der()]);
    let _ = Arc::new(back);
}
