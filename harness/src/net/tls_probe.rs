//! A raw TLS ClientHello prober: offers what rustls never would (null-cipher, export and
//! other legacy suites, TLS 1.0/1.1) and reports the server's first answer: a ServerHello with
//! the chosen version and suite (and, up to TLS 1.2, whether a CertificateRequest followed),
//! an alert, a closed connection or silence. TS 33.203 Annex O: the P-CSCF must not request
//! UE certificates; null-cipher suites and versions below the profile's minimum must be
//! refused. The handshake is never completed: the prober stops at ServerHelloDone (TLS ≤ 1.2)
//! or at the ServerHello (TLS 1.3, where everything after it is encrypted).
//!
//! Every wait is bounded: connect and each read have a timeout and the whole exchange has a
//! deadline. [`analyse`] is pure and unit-tested on captured octets.

use crate::mech::tls::hello::HelloSpec;
use crate::mech::tls::server::{parse_certificate, parse_server_hello_done, CertificateRequest};
use crate::mech::tls::{
    record, suites, version_name, Alert, ClientHello, ContentType, HandshakeBuffer, HandshakeType,
    RecordRepr, ServerHello, TLS1_0, TLS1_3,
};
use serde::Serialize;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// What to offer and where.
#[derive(Debug, Clone)]
pub struct ProbeConfig {
    /// `host:port`.
    pub target: String,
    /// TLS1_0 ..= TLS1_3.
    pub version: u16,
    pub suites: Vec<u16>,
    pub server_name: Option<String>,
    pub connect_timeout: Duration,
    /// The whole exchange after connecting.
    pub timeout: Duration,
}

impl ProbeConfig {
    pub fn new(target: &str, version: u16, suites: Vec<u16>) -> ProbeConfig {
        ProbeConfig {
            target: target.to_string(),
            version,
            suites,
            server_name: None,
            connect_timeout: Duration::from_secs(3),
            timeout: Duration::from_secs(3),
        }
    }
}

/// The server's answer to the ClientHello.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "answer", rename_all = "snake_case")]
pub enum ProbeAnswer {
    /// A ServerHello: the server accepted one of the offers (or sent a HelloRetryRequest).
    ServerHello(Accepted),
    /// An alert before any ServerHello.
    Alert {
        level: u8,
        description: u8,
        name: String,
    },
    /// The connection closed (or was reset) before any answer.
    Closed,
    /// Nothing arrived before the deadline.
    Silent,
    /// Octets that are not a TLS record (the first 32, in hex).
    NotTls { first_octets: String, why: String },
}

/// A ServerHello and what followed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Accepted {
    /// Negotiated version (supported_versions or legacy_version), e.g. `TLSv1.2`.
    pub version: String,
    pub version_code: u16,
    /// True when the negotiated version is the one offered.
    pub version_offered: bool,
    /// `0x003b`.
    pub cipher_suite: String,
    pub cipher_suite_name: String,
    pub flags: suites::SuiteFlags,
    /// True when the chosen suite was in the offer (RFC 5246 §7.4.1.3: it must be).
    pub suite_offered: bool,
    pub hello_retry: bool,
    /// Handshake messages seen, in order (`server_hello`, `certificate`, ...).
    pub messages: Vec<String>,
    /// TLS ≤ 1.2: whether a CertificateRequest came before ServerHelloDone; `None` when it
    /// cannot be seen (TLS 1.3 encrypts it) or ServerHelloDone never arrived.
    pub certificate_request: Option<bool>,
    pub certificate_request_detail: Option<CertificateRequest>,
    /// DER end-entity certificate then the chain (TLS ≤ 1.2), hex.
    #[serde(skip)]
    pub certificates: Vec<Vec<u8>>,
    pub certificate_count: usize,
    /// An alert after the ServerHello, if any.
    pub alert_after: Option<Alert>,
}

/// The outcome of one probe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProbeReport {
    pub target: String,
    pub offered_version: String,
    pub offered_suites: Vec<String>,
    #[serde(flatten)]
    pub answer: ProbeAnswer,
    pub elapsed_ms: u64,
}

/// Why no probe could be made (environment, not a verdict).
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("cannot resolve {0}")]
    Resolve(String),
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("I/O with {addr}: {source}")]
    Io {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// Builds the ClientHello for `cfg` with fresh random octets.
pub fn client_hello(cfg: &ProbeConfig) -> ClientHello {
    let mut random = [0u8; 32];
    let mut share = [0u8; 32];
    let mut rand = crate::roles::os_rand();
    rand(&mut random);
    rand(&mut share);
    HelloSpec {
        version: cfg.version,
        cipher_suites: cfg.suites.clone(),
        server_name: cfg.server_name.clone(),
        random,
        x25519_share: share,
    }
    .client_hello()
}

/// The record carrying `hello`: record version 0x0301 as RFC 8446 §5.1 recommends for the
/// first ClientHello (accepted by every server since TLS 1.0).
pub fn hello_record(hello: &ClientHello) -> Vec<u8> {
    RecordRepr {
        content_type: ContentType::Handshake,
        version: TLS1_0,
        fragment: hello.emit(),
    }
    .emit()
}

/// Connects, sends the ClientHello and reads the answer.
pub fn probe(cfg: &ProbeConfig) -> Result<ProbeReport, ProbeError> {
    let addr = cfg
        .target
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .ok_or_else(|| ProbeError::Resolve(cfg.target.clone()))?;
    let start = Instant::now();
    let hello = client_hello(cfg);
    let mut s = TcpStream::connect_timeout(&addr, cfg.connect_timeout)
        .map_err(|source| ProbeError::Connect { addr, source })?;
    let io = |source| ProbeError::Io { addr, source };
    s.set_nodelay(true).map_err(io)?;
    s.write_all(&hello_record(&hello)).map_err(io)?;
    let deadline = Instant::now() + cfg.timeout;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let mut ended = false;
    let mut timed_out = false;
    loop {
        if analyse(&hello, &got, false).1 {
            break;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            timed_out = true;
            break;
        }
        s.set_read_timeout(Some(left)).map_err(io)?;
        match s.read(&mut buf) {
            Ok(0) => {
                ended = true;
                break;
            }
            Ok(n) => got.extend_from_slice(buf.get(..n).unwrap_or(&[])),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                timed_out = true;
                break;
            }
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted
                ) =>
            {
                ended = true;
                break;
            }
            Err(e) => return Err(io(e)),
        }
        if got.len() > 512 * 1024 {
            break;
        }
    }
    let _ = s.shutdown(std::net::Shutdown::Both);
    // A partial answer at the deadline is judged as it stands (an incomplete record is not
    // silence).
    let (answer, _) = analyse(&hello, &got, ended || (timed_out && !got.is_empty()));
    Ok(ProbeReport {
        target: cfg.target.clone(),
        offered_version: version_name(cfg.version),
        offered_suites: cfg.suites.iter().map(|&c| suites::name(c)).collect(),
        answer,
        elapsed_ms: start.elapsed().as_millis() as u64,
    })
}

/// Classifies the octets received so far for the ClientHello `hello`. Returns the answer and
/// whether it is final (no need to read more). With `ended` (EOF/reset) the answer is always
/// final; with nothing received it is `Closed` if ended, else `Silent`.
pub fn analyse(hello: &ClientHello, got: &[u8], ended: bool) -> (ProbeAnswer, bool) {
    let offered_versions = hello.offered_versions().unwrap_or_default();
    let mut rest = got;
    let mut hs = HandshakeBuffer::default();
    let mut acc: Option<Accepted> = None;
    let mut negotiated = 0u16;
    loop {
        let (rec, used) = match record::next_record(rest) {
            Ok(Some(x)) => x,
            Ok(None) => break,
            Err(e) => {
                if let Some(a) = acc {
                    return (ProbeAnswer::ServerHello(a), true);
                }
                return (
                    ProbeAnswer::NotTls {
                        first_octets: hex::encode(got.get(..got.len().min(32)).unwrap_or(&[])),
                        why: e.to_string(),
                    },
                    true,
                );
            }
        };
        rest = rest.get(used..).unwrap_or(&[]);
        let ct = ContentType::from_u8(rec.content_type());
        match ct {
            Some(ContentType::Alert) => {
                let Ok(alert) = Alert::parse(rec.fragment()) else {
                    continue;
                };
                return match acc {
                    Some(mut a) => {
                        a.alert_after = Some(alert);
                        (ProbeAnswer::ServerHello(a), true)
                    }
                    None => (
                        ProbeAnswer::Alert {
                            level: alert.level,
                            description: alert.description,
                            name: alert.name(),
                        },
                        true,
                    ),
                };
            }
            Some(ContentType::Handshake) => {
                if hs.push(rec.fragment()).is_err() {
                    break;
                }
            }
            // ChangeCipherSpec (TLS 1.3 compatibility) or encrypted records: nothing more
            // can be read in clear.
            _ => {
                if let Some(a) = acc {
                    return (ProbeAnswer::ServerHello(a), true);
                }
                continue;
            }
        }
        while let Ok(Some(m)) = hs.next_message() {
            let name = HandshakeType::name(m.msg_type);
            match (HandshakeType::from_u8(m.msg_type), acc.as_mut()) {
                (Some(HandshakeType::ServerHello), None) => {
                    let Ok(sh) = ServerHello::parse(&m.body) else {
                        return (
                            ProbeAnswer::NotTls {
                                first_octets: hex::encode(got.get(..32).unwrap_or(got)),
                                why: "ServerHello does not parse".into(),
                            },
                            true,
                        );
                    };
                    negotiated = sh.selected_version().unwrap_or(sh.legacy_version);
                    let code = sh.cipher_suite;
                    acc = Some(Accepted {
                        version: version_name(negotiated),
                        version_code: negotiated,
                        version_offered: offered_versions.contains(&negotiated),
                        cipher_suite: format!("0x{code:04x}"),
                        cipher_suite_name: suites::name(code),
                        flags: suites::flags(code),
                        suite_offered: hello.cipher_suites.contains(&code),
                        hello_retry: sh.is_hello_retry(),
                        messages: vec![name],
                        certificate_request: None,
                        certificate_request_detail: None,
                        certificates: Vec::new(),
                        certificate_count: 0,
                        alert_after: None,
                    });
                    if negotiated >= TLS1_3 {
                        if let Some(a) = acc {
                            return (ProbeAnswer::ServerHello(a), true);
                        }
                    }
                }
                (Some(t), Some(a)) => {
                    a.messages.push(name);
                    match t {
                        HandshakeType::Certificate => {
                            if let Ok(c) = parse_certificate(&m.body, false) {
                                a.certificate_count = c.len();
                                a.certificates = c;
                            }
                        }
                        HandshakeType::CertificateRequest => {
                            a.certificate_request = Some(true);
                            a.certificate_request_detail =
                                CertificateRequest::parse(&m.body, negotiated).ok();
                        }
                        HandshakeType::ServerHelloDone => {
                            let _ = parse_server_hello_done(&m.body);
                            if a.certificate_request.is_none() {
                                a.certificate_request = Some(false);
                            }
                            if let Some(a) = acc {
                                return (ProbeAnswer::ServerHello(a), true);
                            }
                            break;
                        }
                        _ => {}
                    }
                }
                (_, Some(a)) => a.messages.push(name),
                (_, None) => {}
            }
        }
    }
    match acc {
        Some(a) => (ProbeAnswer::ServerHello(a), ended),
        None if got.is_empty() && ended => (ProbeAnswer::Closed, true),
        None if got.is_empty() => (ProbeAnswer::Silent, false),
        None if ended => (
            ProbeAnswer::NotTls {
                first_octets: hex::encode(got.get(..got.len().min(32)).unwrap_or(&[])),
                why: "the answer ended inside a record".into(),
            },
            true,
        ),
        None => (ProbeAnswer::Silent, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mech::tls::TLS1_2;

    fn hello(suites: Vec<u16>) -> ClientHello {
        HelloSpec {
            version: TLS1_2,
            cipher_suites: suites,
            server_name: None,
            random: [1; 32],
            x25519_share: [2; 32],
        }
        .client_hello()
    }

    #[test]
    fn alerts_silence_and_garbage() {
        let h = hello(vec![0x003b]);
        assert_eq!(analyse(&h, &[], false), (ProbeAnswer::Silent, false));
        assert_eq!(analyse(&h, &[], true), (ProbeAnswer::Closed, true));
        let (a, done) = analyse(&h, &[21, 3, 3, 0, 2, 2, 40], false);
        assert!(done);
        assert_eq!(
            a,
            ProbeAnswer::Alert {
                level: 2,
                description: 40,
                name: "handshake_failure".into()
            }
        );
        assert!(matches!(
            analyse(&h, b"SIP/2.0 400 Bad Request\r\n", false),
            (ProbeAnswer::NotTls { .. }, true)
        ));
        assert!(!analyse(&h, &[21, 3, 3], false).1);
    }

    fn stream(id: &str) -> Vec<u8> {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../vectors/tls_handshake.yaml");
        let doc: serde_yaml_ng::Value =
            serde_yaml_ng::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let v = doc["vectors"]
            .as_sequence()
            .unwrap()
            .iter()
            .find(|v| v["id"].as_str() == Some(id))
            .unwrap();
        hex::decode(v["input"]["stream"].as_str().unwrap()).unwrap()
    }

    /// Real server flights (vectors/tls_handshake.yaml, dissected by tshark) classified.
    #[test]
    fn real_flights() {
        let null = stream("capture-null-sha256-server-flight");
        let (a, done) = analyse(&hello(vec![0x003b, 0x00ff]), &null, false);
        assert!(done);
        let ProbeAnswer::ServerHello(a) = a else {
            panic!("{a:?}")
        };
        assert_eq!(a.cipher_suite_name, "TLS_RSA_WITH_NULL_SHA256");
        assert!(a.flags.null && a.suite_offered && a.version_offered);
        assert_eq!(a.certificate_request, Some(false));
        assert_eq!(
            a.certificates.iter().map(Vec::len).collect::<Vec<_>>(),
            vec![767]
        );
        // The same flight cut inside the Certificate record: not final, no verdict on
        // CertificateRequest yet; on EOF it is final with `None`.
        let (a, done) = analyse(&hello(vec![0x003b]), &null[..200], false);
        assert!(!done && matches!(a, ProbeAnswer::ServerHello(_)));
        let (a, done) = analyse(&hello(vec![0x003b]), &null[..200], true);
        let ProbeAnswer::ServerHello(a) = a else {
            panic!("{a:?}")
        };
        assert!(done && a.certificate_request.is_none());
        // A suite the client did not offer is reported as such.
        let (a, _) = analyse(&hello(vec![0x002f]), &null, false);
        let ProbeAnswer::ServerHello(a) = a else {
            panic!("{a:?}")
        };
        assert!(!a.suite_offered);

        let cr = stream("openssl-tls12-certificate-request");
        let (a, _) = analyse(&hello(vec![0xc02f]), &cr, false);
        let ProbeAnswer::ServerHello(a) = a else {
            panic!("{a:?}")
        };
        assert_eq!(a.certificate_request, Some(true));
        assert_eq!(
            a.certificate_request_detail.map(|d| d.certificate_types),
            Some(vec![1, 2, 64])
        );

        let t13 = stream("openssl-tls13-server-hello");
        let (a, done) = analyse(&hello(vec![0x1302]), &t13, false);
        let ProbeAnswer::ServerHello(a) = a else {
            panic!("{a:?}")
        };
        assert!(done && a.version == "TLSv1.3" && a.certificate_request.is_none());
        // Offered TLS 1.2 only: a TLS 1.3 answer is not the offered version.
        assert!(!a.version_offered);

        let alert = stream("openssl-refuses-null-only");
        let (a, _) = analyse(&hello(vec![0x003b]), &alert, true);
        assert!(matches!(
            a,
            ProbeAnswer::Alert {
                description: 40,
                ..
            }
        ));
    }
}
