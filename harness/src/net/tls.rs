//! TLS client and server over `TcpStream` on rustls 0.23 (ring provider), for the `tls`
//! sec-agree mechanism between UE and P-CSCF (TS 33.203 Annex O; RFC 3329 §2.2 mechanism
//! `tls`): server-only authentication (the P-CSCF must not request UE certificates), server
//! certificates validated against configured trust anchors and the expected name (RFC 5280
//! §6 path validation, RFC 6125 name matching, both by webpki), and an SSLKEYLOGFILE
//! ("NSS key log format") writer so every harness TLS session can be opened in Wireshark.
//!
//! rustls offers no null-cipher, export or pre-1.2 suites at all: the raw prober
//! ([`super::tls_probe`]) covers what a real server may wrongly accept.
//!
//! Certificates for the lab are made by [`TestPki`] (rcgen): a CA and end-entity certificates
//! signed by it, current, expired or not yet valid, for any name.

use crate::mech::sdp::Fingerprint;
use crate::roles::imsagw::fingerprint_of;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::{
    CertificateError, ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore,
    ServerConfig, ServerConnection, SignatureScheme, StreamOwned,
};
use std::io::Write;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Why a TLS configuration could not be built (environment or input, not a verdict).
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    #[error("certificate generation: {0}")]
    Rcgen(#[from] rcgen::Error),
    #[error("rustls configuration: {0}")]
    Rustls(#[from] rustls::Error),
    #[error("PEM: {0}")]
    Pem(String),
    #[error("key log file {path}: {source}")]
    KeyLog {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Why a server certificate was refused (RFC 5280 §6.1.3 validity, §6.1 path to a trust
/// anchor; RFC 6125 §6 name). Typed from rustls/webpki's `CertificateError`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CertProblem {
    Expired,
    NotYetValid,
    WrongName,
    UnknownIssuer,
    BadSignature,
    Other(String),
}

impl CertProblem {
    pub(crate) fn from_rustls(e: &CertificateError) -> CertProblem {
        match e {
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                CertProblem::Expired
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                CertProblem::NotYetValid
            }
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                CertProblem::WrongName
            }
            CertificateError::UnknownIssuer => CertProblem::UnknownIssuer,
            CertificateError::BadSignature => CertProblem::BadSignature,
            other => CertProblem::Other(format!("{other:?}")),
        }
    }
}

/// Why a handshake did not complete.
#[derive(Debug, thiserror::Error)]
pub enum TlsFailure {
    /// This side refused the peer's certificate.
    #[error("certificate refused: {0:?}")]
    Certificate(CertProblem),
    /// The peer sent a fatal alert.
    #[error("peer alert: {0}")]
    PeerAlert(String),
    #[error("TLS: {0}")]
    Protocol(String),
    #[error("handshake not complete after {0:?}")]
    Timeout(Duration),
    #[error("I/O: {0}")]
    Io(std::io::Error),
}

fn failure(e: std::io::Error) -> TlsFailure {
    let Some(inner) = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) else {
        return match e.kind() {
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
                TlsFailure::Timeout(Duration::ZERO)
            }
            _ => TlsFailure::Io(e),
        };
    };
    match inner {
        rustls::Error::InvalidCertificate(c) => {
            TlsFailure::Certificate(CertProblem::from_rustls(c))
        }
        rustls::Error::AlertReceived(a) => TlsFailure::PeerAlert(format!("{a:?}")),
        other => TlsFailure::Protocol(other.to_string()),
    }
}

/// A certificate chain and its private key.
pub struct Identity {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
}

impl Clone for Identity {
    fn clone(&self) -> Self {
        Identity {
            chain: self.chain.clone(),
            key: self.key.clone_key(),
        }
    }
}

impl Identity {
    /// Loads a PEM certificate chain (end-entity first) and a PEM private key.
    pub fn from_pem(chain_pem: &[u8], key_pem: &[u8]) -> Result<Identity, TlsSetupError> {
        let chain = CertificateDer::pem_slice_iter(chain_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| TlsSetupError::Pem(e.to_string()))?;
        if chain.is_empty() {
            return Err(TlsSetupError::Pem("no CERTIFICATE block".into()));
        }
        let key = PrivateKeyDer::from_pem_slice(key_pem)
            .map_err(|e| TlsSetupError::Pem(e.to_string()))?;
        Ok(Identity { chain, key })
    }
}

/// Loads trust anchors from PEM (one or more CERTIFICATE blocks).
pub fn trust_anchors_from_pem(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, TlsSetupError> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsSetupError::Pem(e.to_string()))?;
    if certs.is_empty() {
        return Err(TlsSetupError::Pem("no CERTIFICATE block".into()));
    }
    Ok(certs)
}

/// The validity period of an issued certificate, relative to the current year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    /// From last year to two years ahead.
    Current,
    /// Ended years ago (flaw `tls-expired-cert`).
    Expired,
    /// Starts years from now.
    NotYetValid,
}

/// A lab certificate authority (ECDSA P-256) issuing server certificates.
pub struct TestPki {
    ca_key: rcgen::KeyPair,
    ca_params: rcgen::CertificateParams,
    ca_cert: rcgen::Certificate,
}

fn this_year() -> i32 {
    use chrono::Datelike;
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.year())
        .unwrap_or(2026)
}

impl TestPki {
    /// A fresh CA named `cn`.
    pub fn new(cn: &str) -> Result<TestPki, TlsSetupError> {
        let ca_key = rcgen::KeyPair::generate()?;
        let mut p = rcgen::CertificateParams::default();
        p.distinguished_name = rcgen::DistinguishedName::new();
        p.distinguished_name.push(rcgen::DnType::CommonName, cn);
        p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        p.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
        ];
        let y = this_year();
        p.not_before = rcgen::date_time_ymd(y - 20, 1, 1);
        p.not_after = rcgen::date_time_ymd(y + 20, 1, 1);
        let ca_cert = p.self_signed(&ca_key)?;
        Ok(TestPki {
            ca_key,
            ca_params: p,
            ca_cert,
        })
    }

    /// The CA certificate (the trust anchor).
    pub fn ca_der(&self) -> CertificateDer<'static> {
        self.ca_cert.der().clone()
    }

    /// The CA certificate in PEM.
    pub fn ca_pem(&self) -> String {
        self.ca_cert.pem()
    }

    /// A server certificate for `names` (DNS names or IP literals, as subjectAltName), signed
    /// by this CA, with the chain [end-entity, CA].
    pub fn issue(&self, names: &[&str], validity: Validity) -> Result<Identity, TlsSetupError> {
        let key = rcgen::KeyPair::generate()?;
        let mut p =
            rcgen::CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())?;
        p.distinguished_name = rcgen::DistinguishedName::new();
        p.distinguished_name.push(
            rcgen::DnType::CommonName,
            names.first().copied().unwrap_or("imsec"),
        );
        p.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        p.use_authority_key_identifier_extension = true;
        let y = this_year();
        let (from, to) = match validity {
            Validity::Current => (y - 1, y + 2),
            Validity::Expired => (y - 6, y - 4),
            Validity::NotYetValid => (y + 4, y + 6),
        };
        p.not_before = rcgen::date_time_ymd(from, 1, 1);
        p.not_after = rcgen::date_time_ymd(to, 1, 1);
        let issuer = rcgen::Issuer::from_params(&self.ca_params, &self.ca_key);
        let cert = p.signed_by(&key, &issuer)?;
        Ok(Identity {
            chain: vec![cert.der().clone(), self.ca_der()],
            key: PrivateKeyDer::try_from(key.serialize_der())
                .map_err(|e| TlsSetupError::Pem(e.to_string()))?,
        })
    }

    /// PEM of an identity's chain and key (for OpenSSL or a config file).
    pub fn identity_pem(id: &Identity) -> (String, String) {
        let chain = id
            .chain
            .iter()
            .map(|c| pem_block("CERTIFICATE", c.as_ref()))
            .collect::<String>();
        let key = pem_block("PRIVATE KEY", id.key.secret_der());
        (chain, key)
    }
}

fn pem_block(label: &str, der: &[u8]) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// Writes the secrets of every session of a config to one file in the NSS key log format
/// (`LABEL <client_random hex> <secret hex>`), what Wireshark's `tls.keylog_file` reads.
#[derive(Debug)]
pub struct KeyLogFile {
    path: PathBuf,
    file: Mutex<std::fs::File>,
}

impl KeyLogFile {
    /// Creates (or appends to) `path`.
    pub fn create(path: &Path) -> Result<Arc<KeyLogFile>, TlsSetupError> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|source| TlsSetupError::KeyLog {
                path: path.to_path_buf(),
                source,
            })?;
        Ok(Arc::new(KeyLogFile {
            path: path.to_path_buf(),
            file: Mutex::new(file),
        }))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl rustls::KeyLog for KeyLogFile {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        let line = format!(
            "{label} {} {}\n",
            hex::encode(client_random),
            hex::encode(secret)
        );
        if let Ok(mut f) = self.file.lock() {
            let _ = f.write_all(line.as_bytes());
        }
    }

    fn will_log(&self, _label: &str) -> bool {
        true
    }
}

/// The key log file of a case, next to its pcapng (`<dir>/<id>.keys`).
pub fn case_keylog_path(dir: &Path, case_id: &str) -> PathBuf {
    dir.join(format!("{case_id}.keys"))
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

static TLS13_ONLY: &[&rustls::SupportedProtocolVersion] = &[&rustls::version::TLS13];

fn versions(min_tls13: bool) -> &'static [&'static rustls::SupportedProtocolVersion] {
    if min_tls13 {
        TLS13_ONLY
    } else {
        rustls::ALL_VERSIONS
    }
}

/// Server options.
#[derive(Debug, Clone, Default)]
pub struct ServerOptions {
    /// Only TLS 1.3 (else TLS 1.2 and 1.3: rustls has nothing older).
    pub tls13_only: bool,
    /// Flaw `tls-cert-request`: send a CertificateRequest (client certificate optional)
    /// naming these CAs. Annex O forbids it; the reference P-CSCF never sets it.
    pub request_client_cert: Option<Vec<CertificateDer<'static>>>,
    pub keylog: Option<Arc<KeyLogFile>>,
}

/// A rustls server config for `id`.
pub fn server_config(id: &Identity, o: &ServerOptions) -> Result<Arc<ServerConfig>, TlsSetupError> {
    let b = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(versions(o.tls13_only))?;
    let b = match &o.request_client_cert {
        None => b.with_no_client_auth(),
        Some(cas) => {
            let mut roots = RootCertStore::empty();
            for c in cas {
                roots.add(c.clone())?;
            }
            let v = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
                .allow_unauthenticated()
                .build()
                .map_err(|e| TlsSetupError::Pem(e.to_string()))?;
            b.with_client_cert_verifier(v)
        }
    };
    let mut cfg = b.with_single_cert(id.chain.clone(), id.key.clone_key())?;
    if let Some(k) = &o.keylog {
        cfg.key_log = k.clone();
    }
    Ok(Arc::new(cfg))
}

/// Client options.
#[derive(Debug, Clone, Default)]
pub struct ClientOptions {
    pub tls13_only: bool,
    /// Flaw (UE side): accept any server certificate. Never set by a conformant UE.
    pub no_verify: bool,
    pub keylog: Option<Arc<KeyLogFile>>,
}

/// A rustls client config trusting `anchors` (RFC 5280 trust anchors).
pub fn client_config(
    anchors: &[CertificateDer<'static>],
    o: &ClientOptions,
) -> Result<Arc<ClientConfig>, TlsSetupError> {
    let mut roots = RootCertStore::empty();
    for c in anchors {
        roots.add(c.clone())?;
    }
    let b = ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(versions(o.tls13_only))?;
    let mut cfg = b.with_root_certificates(roots).with_no_client_auth();
    if o.no_verify {
        // The `no_verify` flaw: every certificate accepted, signatures still checked.
        cfg.dangerous()
            .set_certificate_verifier(Arc::new(LeafCapture::new(provider(), None)));
    }
    if let Some(k) = &o.keylog {
        cfg.key_log = k.clone();
    }
    Ok(Arc::new(cfg))
}

/// The handshake signature checks every verifier of ours makes with a provider's
/// algorithms (RFC 8446 §4.4.3 CertificateVerify, RFC 5246 §7.4.8): the certificate may be
/// accepted for any reason, the peer still proves possession of its key. Shared by the
/// [`ServerCertVerifier`] and `ClientCertVerifier` impls.
#[derive(Debug, Clone)]
pub struct SignatureChecks(pub Arc<rustls::crypto::CryptoProvider>);

impl SignatureChecks {
    /// A TLS 1.2 signature over `message` by `cert`'s key.
    pub fn tls12(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    /// A TLS 1.3 signature over `message` by `cert`'s key.
    pub fn tls13(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    /// The signature schemes the provider verifies.
    pub fn schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Whether `der` has the fingerprint `expected` (RFC 8122 §5: the hash of the DER
/// certificate; only `sha-256` is computed, any other hash function never matches).
pub fn matches_fingerprint(der: &[u8], expected: &Fingerprint) -> bool {
    expected.hash.eq_ignore_ascii_case("sha-256") && fingerprint_of(der).value == expected.value
}

/// A server certificate verifier that keeps the leaf the server sent and accepts it without
/// a CA path: any leaf (`require` `None`: the `no_verify` flaw, or a probe that only looks
/// at the certificate), or only a leaf whose fingerprint is `require` (RFC 4975 §14.1,
/// RFC 8122 §5: a self-signed certificate authenticated by the SDP `a=fingerprint`).
/// Handshake signatures are still checked ([`SignatureChecks`]). The leaf is kept before
/// the verdict, so a refused or later-failing server still shows its certificate.
#[derive(Debug)]
pub struct LeafCapture {
    sigs: SignatureChecks,
    require: Option<Fingerprint>,
    leaf: Mutex<Option<Vec<u8>>>,
}

impl LeafCapture {
    pub fn new(
        provider: Arc<rustls::crypto::CryptoProvider>,
        require: Option<Fingerprint>,
    ) -> Self {
        Self {
            sigs: SignatureChecks(provider),
            require,
            leaf: Mutex::new(None),
        }
    }

    /// The DER of the last leaf certificate a server sent.
    pub fn leaf(&self) -> Option<Vec<u8>> {
        self.leaf.lock().ok().and_then(|g| g.clone())
    }
}

impl ServerCertVerifier for LeafCapture {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Ok(mut g) = self.leaf.lock() {
            *g = Some(end_entity.as_ref().to_vec());
        }
        let ok = self
            .require
            .as_ref()
            .is_none_or(|f| matches_fingerprint(end_entity.as_ref(), f));
        if ok {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.sigs.tls12(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.sigs.tls13(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.sigs.schemes()
    }
}

/// Facts about a completed handshake.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SessionInfo {
    pub version: String,
    pub cipher_suite: String,
}

fn drive<C, S>(conn: &mut C, sock: &mut TcpStream, timeout: Duration) -> Result<(), TlsFailure>
where
    C: std::ops::DerefMut<Target = rustls::ConnectionCommon<S>>,
    S: rustls::SideData,
{
    let end = Instant::now() + timeout;
    while conn.is_handshaking() {
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(TlsFailure::Timeout(timeout));
        }
        sock.set_read_timeout(Some(left)).map_err(TlsFailure::Io)?;
        sock.set_write_timeout(Some(left)).map_err(TlsFailure::Io)?;
        match conn.complete_io(sock) {
            Ok((0, 0)) if conn.is_handshaking() => {
                return Err(TlsFailure::Io(std::io::ErrorKind::UnexpectedEof.into()))
            }
            Ok(_) => {}
            Err(e) => {
                return Err(match failure(e) {
                    TlsFailure::Timeout(_) => TlsFailure::Timeout(timeout),
                    f => f,
                })
            }
        }
    }
    // Flush what the last flight left (the client Finished, session tickets).
    while conn.wants_write() {
        conn.write_tls(sock).map_err(TlsFailure::Io)?;
    }
    Ok(())
}

fn info<S: rustls::SideData>(c: &rustls::ConnectionCommon<S>) -> SessionInfo {
    SessionInfo::of(c.protocol_version(), c.negotiated_cipher_suite())
}

impl SessionInfo {
    /// The facts as rustls names them (`{:?}` of the version and the suite; empty when the
    /// handshake has not settled them).
    pub fn of(
        version: Option<rustls::ProtocolVersion>,
        suite: Option<rustls::SupportedCipherSuite>,
    ) -> Self {
        SessionInfo {
            version: version.map(|v| format!("{v:?}")).unwrap_or_default(),
            cipher_suite: suite
                .map(|s| format!("{:?}", s.suite()))
                .unwrap_or_default(),
        }
    }
}

/// A client session over TCP.
pub type ClientStream = StreamOwned<ClientConnection, TcpStream>;
/// A server session over TCP.
pub type ServerStream = StreamOwned<ServerConnection, TcpStream>;

/// Runs the client handshake on `sock` towards `server_name` (a DNS name or IP literal),
/// within `timeout`.
pub fn connect(
    cfg: Arc<ClientConfig>,
    server_name: &str,
    mut sock: TcpStream,
    timeout: Duration,
) -> Result<(ClientStream, SessionInfo), TlsFailure> {
    let name = ServerName::try_from(server_name.to_string())
        .map_err(|e| TlsFailure::Protocol(format!("server name '{server_name}': {e}")))?;
    let mut conn =
        ClientConnection::new(cfg, name).map_err(|e| TlsFailure::Protocol(e.to_string()))?;
    drive(&mut conn, &mut sock, timeout)?;
    let i = info(&conn);
    Ok((StreamOwned::new(conn, sock), i))
}

/// Runs the server handshake on an accepted `sock` within `timeout`.
pub fn accept(
    cfg: Arc<ServerConfig>,
    mut sock: TcpStream,
    timeout: Duration,
) -> Result<(ServerStream, SessionInfo), TlsFailure> {
    let mut conn = ServerConnection::new(cfg).map_err(|e| TlsFailure::Protocol(e.to_string()))?;
    drive(&mut conn, &mut sock, timeout)?;
    let i = info(&conn);
    Ok((StreamOwned::new(conn, sock), i))
}

/// Runs the server handshake on `sock` when the first `already` octets (a ClientHello the
/// caller read to decide how to answer) were taken off it.
pub fn accept_after(
    cfg: Arc<ServerConfig>,
    already: &[u8],
    mut sock: TcpStream,
    timeout: Duration,
) -> Result<(ServerStream, SessionInfo), TlsFailure> {
    let mut conn = ServerConnection::new(cfg).map_err(|e| TlsFailure::Protocol(e.to_string()))?;
    let mut rest = already;
    while !rest.is_empty() {
        conn.read_tls(&mut rest).map_err(TlsFailure::Io)?;
        if let Err(e) = conn.process_new_packets() {
            let _ = conn.write_tls(&mut sock);
            return Err(failure(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                e,
            )));
        }
    }
    drive(&mut conn, &mut sock, timeout)?;
    let i = info(&conn);
    Ok((StreamOwned::new(conn, sock), i))
}
