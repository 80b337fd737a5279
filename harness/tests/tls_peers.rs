//! imsec's raw TLS prober (net::tls_probe, `imsec tls probe`) against real TLS servers on
//! loopback: OpenSSL `s_server` and Kamailio 5.6 with the tls module (labs/kamailio-tls/).
//! TS 33.203 Annex O: null-cipher suites and versions below the profile's minimum must be
//! refused, and the P-CSCF must not request a client certificate. Each server profile below is
//! either conformant (the check passes) or deliberately flawed (the check must fail), so every
//! expectation can fail. What is judged is what the server put on the wire.
//!
//! Servers are started on free loopback ports and stopped by PID (kill on drop), every wait
//! is bounded. Skipped (`SKIPPED: …`, test passes) when openssl, kamailio or its tls module
//! is missing. Root is not needed.

use imsec::mech::tls::{suites, TLS1_1, TLS1_2, TLS1_3};
use imsec::net::tls_probe::{probe, ProbeAnswer, ProbeConfig, ProbeReport};
use std::collections::BTreeMap;
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn skip(why: &str) {
    println!("SKIPPED: {why}");
}

fn on_path(prog: &str) -> bool {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(prog).is_file()))
        .unwrap_or(false)
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A server process killed (by its PID) and reaped when dropped, with its scratch directory.
struct Server {
    child: Child,
    dir: PathBuf,
    port: u16,
}

impl Drop for Server {
    /// Kamailio forks worker processes that outlive a SIGKILLed main process: each server runs
    /// in a process group of its own, which gets SIGTERM (Kamailio's orderly shutdown), then,
    /// after at most 5 s, SIGKILL.
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let signal = |sig: &str| {
            let _ = Command::new("kill")
                .args([sig, "--", &group])
                .stderr(Stdio::null())
                .status();
        };
        signal("-TERM");
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        signal("-KILL");
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn openssl(dir: &Path, args: &[&str]) {
    let st = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(st.success(), "openssl {args:?} failed");
}

/// A scratch directory with an RSA lab CA (`ca.pem`) and a server certificate for `cn`
/// (`cert.pem`, `key.pem`; subjectAltName DNS:`cn`) it signed, all made by openssl.
fn scratch(tag: &str, cn: &str) -> PathBuf {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("imsec-tls-{tag}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let ca = [
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
    ];
    let ca_out = [
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-subj",
        "/CN=imsec test CA",
    ];
    openssl(&dir, &[&ca[..], &ca_out[..]].concat());
    let subj = format!("/CN={cn}");
    let req = ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem"];
    openssl(
        &dir,
        &[&req[..], &["-out", "leaf.csr", "-subj", &subj][..]].concat(),
    );
    std::fs::write(
        dir.join("leaf.ext"),
        format!(
            "subjectAltName=DNS:{cn}\nbasicConstraints=CA:FALSE\n\
             keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n"
        ),
    )
    .unwrap();
    let sign = [
        "x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
    ];
    let sign_out = [
        "-CAcreateserial",
        "-days",
        "2",
        "-out",
        "cert.pem",
        "-extfile",
        "leaf.ext",
    ];
    openssl(&dir, &[&sign[..], &sign_out[..]].concat());
    dir
}

/// Waits until the port accepts connections (5 s at most), else panics with the log.
fn wait_ready(port: u16, log: &Path) {
    let end = Instant::now() + Duration::from_secs(5);
    while Instant::now() < end {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!(
        "server on port {port} not ready after 5 s; log:\n{}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
}

fn openssl_server(args: &[&str]) -> Server {
    openssl_server_named("localhost", args)
}

fn openssl_server_named(cn: &str, args: &[&str]) -> Server {
    let dir = scratch("openssl", cn);
    let port = free_port();
    let log = dir.join("server.log");
    let child = Command::new("openssl")
        .args([
            "s_server", "-quiet", "-cert", "cert.pem", "-key", "key.pem", "-accept",
        ])
        .arg(format!("127.0.0.1:{port}"))
        .args(args)
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .process_group(0)
        .spawn()
        .unwrap();
    let s = Server { child, dir, port };
    wait_ready(port, &log);
    s
}

fn kamailio_tls_module() -> bool {
    let mut dirs = vec![PathBuf::from("/usr/lib/kamailio/modules")];
    if let Ok(rd) = std::fs::read_dir("/usr/lib") {
        dirs.extend(rd.flatten().map(|e| e.path().join("kamailio/modules")));
    }
    dirs.iter().any(|d| d.join("tls.so").is_file())
}

/// Kamailio with labs/kamailio-tls/kamailio.cfg and the given tls profile, copied next to a
/// fresh certificate (the tls module resolves relative paths against the cfg's directory).
fn kamailio_server(profile: &str) -> Server {
    let dir = scratch("kamailio", "pcscf.ims.example");
    let lab = repo().join("labs/kamailio-tls");
    for f in ["kamailio.cfg", profile] {
        std::fs::copy(lab.join(f), dir.join(f)).unwrap();
    }
    let port = free_port();
    let log = dir.join("kamailio.log");
    let child = Command::new("kamailio")
        .args(["-DD", "-E", "-m", "64", "-M", "8", "-f"])
        .arg(dir.join("kamailio.cfg"))
        .arg("-Y")
        .arg(&dir)
        .args(["-A", &format!("TLS_PORT={port}")])
        .args(["-A", &format!("TLS_CFG=\"{profile}\"")])
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .process_group(0)
        .spawn()
        .unwrap();
    let s = Server { child, dir, port };
    wait_ready(port, &log);
    s
}

fn run_probe(port: u16, version: u16, set: &str) -> ProbeReport {
    let codes = suites::parse_list(set, version >= TLS1_3).unwrap();
    let cfg = ProbeConfig::new(&format!("127.0.0.1:{port}"), version, codes);
    probe(&cfg).unwrap()
}

fn accepted(r: &ProbeReport) -> &imsec::net::tls_probe::Accepted {
    match &r.answer {
        ProbeAnswer::ServerHello(a) => a,
        other => panic!("expected a ServerHello, got {other:?}"),
    }
}

fn refused_with(r: &ProbeReport, description: u8) {
    match &r.answer {
        ProbeAnswer::Alert {
            level: 2,
            description: d,
            ..
        } if *d == description => {}
        other => panic!("expected fatal alert {description}, got {other:?}"),
    }
}

/// The registry's IANA names agree with OpenSSL's table (`openssl ciphers -V -stdname`) for
/// every code both know.
#[test]
fn suite_names_match_openssl() {
    if !on_path("openssl") {
        return skip("openssl not installed");
    }
    let out = Command::new("openssl")
        .args([
            "ciphers",
            "-V",
            "-stdname",
            "ALL:COMPLEMENTOFALL:eNULL:@SECLEVEL=0",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let mut compared = 0;
    for line in text.lines() {
        // "          0x13,0x02 - TLS_AES_256_GCM_SHA384 - TLS_AES_256_GCM_SHA384 TLSv1.3 ..."
        let mut parts = line.split(" - ");
        let (Some(code), Some(name)) = (parts.next(), parts.next()) else {
            continue;
        };
        let hex: String = code.trim().replace("0x", "").replace(',', "");
        let Ok(code) = u16::from_str_radix(&hex, 16) else {
            continue;
        };
        if let Some(s) = suites::by_code(code) {
            assert_eq!(s.name, name.trim(), "code 0x{code:04x}");
            compared += 1;
        }
    }
    assert!(compared >= 40, "only {compared} suites compared:\n{text}");
}

/// Flawed peer: `openssl s_server -cipher 'NULL-SHA256:NULL-SHA:@SECLEVEL=0'` accepts a
/// null-only offer; the prober must report the null suite it chose.
#[test]
fn openssl_null_server_accepts_null() {
    if !on_path("openssl") {
        return skip("openssl not installed");
    }
    let s = openssl_server(&["-tls1_2", "-cipher", "NULL-SHA256:NULL-SHA:@SECLEVEL=0"]);
    let r = run_probe(s.port, TLS1_2, "null");
    let a = accepted(&r);
    assert!(a.flags.null, "{a:?}");
    assert!(a.suite_offered && a.version_offered);
    assert_eq!(a.version_code, TLS1_2);
    assert_eq!(a.certificate_request, Some(false));
    assert_eq!(a.certificate_count, 1);
}

/// Conformant peer: OpenSSL's default suites refuse a null-only offer (handshake_failure) and
/// `-tls1_2` refuses TLS 1.1 (protocol_version); a modern offer is accepted.
#[test]
fn openssl_default_server_refuses_null_and_old_versions() {
    if !on_path("openssl") {
        return skip("openssl not installed");
    }
    let s = openssl_server(&["-tls1_2"]);
    refused_with(&run_probe(s.port, TLS1_2, "null"), 40);
    refused_with(&run_probe(s.port, TLS1_1, "modern"), 70);
    let a = run_probe(s.port, TLS1_2, "modern");
    assert!(!accepted(&a).flags.weak());
}

/// Kamailio's conformant profile (TLSv1.2+): null-only and TLS 1.1 refused, TLS 1.2 and 1.3
/// accepted, no CertificateRequest.
#[test]
fn kamailio_conformant_profile() {
    if !on_path("kamailio") || !on_path("openssl") {
        return skip("kamailio or openssl not installed");
    }
    if !kamailio_tls_module() {
        return skip("kamailio-tls-modules not installed (apt-get install kamailio-tls-modules)");
    }
    let s = kamailio_server("tls-conformant.cfg");
    refused_with(&run_probe(s.port, TLS1_2, "null"), 40);
    refused_with(&run_probe(s.port, TLS1_1, "modern"), 70);
    let r = run_probe(s.port, TLS1_2, "modern");
    let a = accepted(&r);
    assert!(!a.flags.weak() && a.suite_offered);
    assert_eq!(a.certificate_request, Some(false));
    let r = run_probe(s.port, TLS1_3, "modern");
    assert_eq!(accepted(&r).version_code, TLS1_3);
}

/// Kamailio's weak profile accepts TLS_RSA_WITH_NULL_SHA256: the null-cipher check fails it.
#[test]
fn kamailio_weak_profile_accepts_null() {
    if !on_path("kamailio") || !on_path("openssl") {
        return skip("kamailio or openssl not installed");
    }
    if !kamailio_tls_module() {
        return skip("kamailio-tls-modules not installed (apt-get install kamailio-tls-modules)");
    }
    let s = kamailio_server("tls-weak.cfg");
    let r = run_probe(s.port, TLS1_2, "null");
    let a = accepted(&r);
    assert_eq!(a.cipher_suite_name, "TLS_RSA_WITH_NULL_SHA256");
    assert!(a.flags.null);
}

/// Kamailio with `verify_certificate = yes` sends a CertificateRequest (Annex O forbids it);
/// `imsec tls probe --expect no-certificate-request` exits 1 against it.
#[test]
fn kamailio_certificate_request_is_seen() {
    if !on_path("kamailio") || !on_path("openssl") {
        return skip("kamailio or openssl not installed");
    }
    if !kamailio_tls_module() {
        return skip("kamailio-tls-modules not installed (apt-get install kamailio-tls-modules)");
    }
    let s = kamailio_server("tls-certreq.cfg");
    let r = run_probe(s.port, TLS1_2, "modern");
    let a = accepted(&r);
    assert_eq!(a.certificate_request, Some(true));
    let cr = a
        .certificate_request_detail
        .as_ref()
        .expect("parsed CertificateRequest");
    assert!(!cr.certificate_types.is_empty());
    let out = Command::new(env!("CARGO_BIN_EXE_imsec"))
        .args(["tls", "probe", &format!("127.0.0.1:{}", s.port)])
        .args([
            "--suites",
            "modern",
            "--expect",
            "no-certificate-request",
            "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["answer"], "server_hello");
    assert_eq!(v["certificate_request"], true);
}

/// The catalogue's TLS cases (`imsec run testcases/tls`) against a `kind: tls` profile for
/// the server in `s`; returns (exit code, case id → verdict).
fn run_catalogue(s: &Server, name: &str) -> (Option<i32>, BTreeMap<String, String>) {
    let profile = s.dir.join("sut.yaml");
    std::fs::write(
        &profile,
        format!(
            "kind: tls\nname: {name}\ntarget: 127.0.0.1:{}\nserver_name: pcscf.ims.example\n\
             trust_anchor: ca.pem\nmin_version: \"1.2\"\ntimeout_ms: 3000\n",
            s.port
        ),
    )
    .unwrap();
    let report = s.dir.join("report");
    let out = Command::new(env!("CARGO_BIN_EXE_imsec"))
        .arg("run")
        .arg(repo().join("testcases/tls"))
        .arg("--sut")
        .arg(&profile)
        .arg("--report")
        .arg(&report)
        .output()
        .unwrap();
    let text = std::fs::read(report.join("report.json"))
        .unwrap_or_else(|e| panic!("no report.json ({e}): {out:?}"));
    let json: serde_json::Value = serde_json::from_slice(&text).unwrap();
    let verdicts = json["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                c["verdict"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (out.status.code(), verdicts)
}

fn verdict(v: &BTreeMap<String, String>, id: &str) -> String {
    v.get(id)
        .cloned()
        .unwrap_or_else(|| panic!("no {id} in {v:?}"))
}

/// `imsec run testcases/tls` judges Kamailio: the conformant profile passes every TLS case,
/// the weak one fails the null-cipher case, the certreq one the CertificateRequest case.
#[test]
fn kamailio_judged_by_the_catalogue() {
    if !on_path("kamailio") || !on_path("openssl") {
        return skip("kamailio or openssl not installed");
    }
    if !kamailio_tls_module() {
        return skip("kamailio-tls-modules not installed (apt-get install kamailio-tls-modules)");
    }
    let s = kamailio_server("tls-conformant.cfg");
    let (code, v) = run_catalogue(&s, "Kamailio conformant");
    assert_eq!(v.len(), 5, "{v:?}");
    assert!(v.values().all(|x| x == "pass"), "{v:?}");
    assert_eq!(code, Some(0));
    drop(s);

    let s = kamailio_server("tls-weak.cfg");
    let (code, v) = run_catalogue(&s, "Kamailio weak");
    assert_eq!(code, Some(1));
    assert_eq!(verdict(&v, "TLS-NULL-01"), "fail");
    // Its suites (NULL-SHA256, NULL-SHA, AES128-SHA: RSA key transport) are none rustls
    // offers, so the certificate step cannot complete: inconclusive, never a pass.
    assert_eq!(verdict(&v, "TLS-CERT-01"), "inconclusive");
    assert_eq!(verdict(&v, "TLS-VERSION-01"), "pass");
    drop(s);

    let s = kamailio_server("tls-certreq.cfg");
    let (_, v) = run_catalogue(&s, "Kamailio certreq");
    assert_eq!(verdict(&v, "TLS-CERTREQ-01"), "fail");
    assert_eq!(verdict(&v, "TLS-NULL-01"), "pass");
}

/// Kamailio has no sec-agree `tls` mechanism: its profile (`sec_agree_tls: false`) makes every
/// case of `testcases/tls-sec-agree` not-applicable, saying why, and the run exits 0.
#[test]
fn kamailio_tls_sec_agree_cases_not_applicable() {
    if !on_path("kamailio") || !on_path("openssl") {
        return skip("kamailio or openssl not installed");
    }
    if !kamailio_tls_module() {
        return skip("kamailio-tls-modules not installed (apt-get install kamailio-tls-modules)");
    }
    let s = kamailio_server("tls-conformant.cfg");
    let profile = s.dir.join("sut-agree.yaml");
    std::fs::write(
        &profile,
        format!(
            "kind: tls\nname: Kamailio TLS\ntarget: 127.0.0.1:{}\nserver_name: pcscf.ims.example\n\
             trust_anchor: ca.pem\nsec_agree_tls: false\ntimeout_ms: 3000\n",
            s.port
        ),
    )
    .unwrap();
    let report = s.dir.join("report-agree");
    let out = Command::new(env!("CARGO_BIN_EXE_imsec"))
        .arg("run")
        .arg(repo().join("testcases/tls-sec-agree"))
        .arg("--sut")
        .arg(&profile)
        .arg("--report")
        .arg(&report)
        .output()
        .unwrap();
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(report.join("report.json")).unwrap()).unwrap();
    let cases = json["cases"].as_array().unwrap();
    assert!(!cases.is_empty());
    for c in cases {
        assert_eq!(c["verdict"], "not-applicable", "{c}");
        assert!(
            c["reason"]
                .as_str()
                .unwrap_or("")
                .contains("sec_agree_tls: false"),
            "{c}"
        );
    }
    assert_eq!(out.status.code(), Some(0), "{out:?}");
}

/// `openssl s_server -cipher NULL-SHA256:NULL-SHA:ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0`
/// fails TLS-NULL-01 under `imsec run` (the ECDHE suite serves the control step and rustls).
#[test]
fn openssl_null_server_judged_by_the_catalogue() {
    if !on_path("openssl") {
        return skip("openssl not installed");
    }
    let s = openssl_server_named(
        "pcscf.ims.example",
        &[
            "-tls1_2",
            "-cipher",
            "NULL-SHA256:NULL-SHA:ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0",
        ],
    );
    let (code, v) = run_catalogue(&s, "openssl s_server with null suites");
    assert_eq!(code, Some(1));
    assert_eq!(verdict(&v, "TLS-NULL-01"), "fail");
    assert_eq!(verdict(&v, "TLS-CERT-01"), "pass");
    assert_eq!(verdict(&v, "TLS-CERTREQ-01"), "pass");
}
