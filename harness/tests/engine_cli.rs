//! `imsec run` end to end: reports and per-case captures that tshark opens with the emitted
//! esp_sa lines; and the error paths (broken YAML, unknown field, unreachable or silent SUT,
//! unknown flaw) that must give a clear message and exit code 2.

#[path = "support/scratch.rs"]
mod scratch;
use scratch::Scratch;
use std::path::Path;
use std::process::Command;

fn imsec() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_imsec"));
    c.current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    c
}

fn tempdir(tag: &str) -> Scratch {
    Scratch::new(&format!("engine-{tag}"))
}

fn tshark_checks(report: &Path, case: &str) {
    let pcap = report.join(format!("{case}.pcapng"));
    let esp_sa = report.join(format!("{case}.esp_sa"));
    assert!(
        pcap.is_file() && esp_sa.is_file(),
        "per-case files missing in {}",
        report.display()
    );
    let cfg = report.join("wsconfig");
    std::fs::create_dir_all(&cfg).unwrap();
    std::fs::copy(&esp_sa, cfg.join("esp_sa")).unwrap();
    let out = Command::new("tshark")
        .env("WIRESHARK_CONFIG_DIR", &cfg)
        .arg("-r")
        .arg(&pcap)
        .args(["-o", "esp.enable_encryption_decode:TRUE"])
        .args(["-o", "esp.enable_authentication_check:TRUE"])
        .args(["-Y", "esp"])
        .args([
            "-T",
            "fields",
            "-e",
            "frame.number",
            "-e",
            "esp.spi",
            "-e",
            "esp.icv_good",
        ])
        .args(["-e", "sip.Method", "-e", "sip.Status-Code"])
        .output()
        .expect("tshark");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    // register (2 protected messages), options (2), re-register (4), options (2), deregister (2)
    assert!(lines.len() >= 10, "too few ESP packets:\n{text}");
    for l in &lines {
        let c: Vec<&str> = l.split('\t').collect();
        assert_eq!(
            c.get(2).copied(),
            Some("1"),
            "ICV not good in tshark: {l}\n{text}"
        );
        let sip =
            c.get(3).is_some_and(|s| !s.is_empty()) || c.get(4).is_some_and(|s| !s.is_empty());
        assert!(sip, "tshark found no SIP inside: {l}");
    }
}

fn have_tshark() -> bool {
    Command::new("tshark").arg("--version").output().is_ok()
}

#[test]
fn reports_and_a_capture_tshark_decrypts_udp_encapsulated() {
    if !have_tshark() {
        println!("SKIPPED: tshark not installed (.ci/install-deps.sh installs it)");
        return;
    }
    let dir = tempdir("udp");
    let out = imsec()
        .args(["run", "--filter", "AKA-REGISTRATION-01", "--report"])
        .arg(&dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("1 passed, 0 failed"), "{stdout}");
    for f in ["junit.xml", "report.json", "report.html"] {
        assert!(dir.join(f).is_file(), "{f} missing");
    }
    // Keys are in the esp_sa file (the Wireshark secrets) but not in the reports.
    let json = std::fs::read_to_string(dir.join("report.json")).unwrap();
    let sa = std::fs::read_to_string(dir.join("AKA-REGISTRATION-01.esp_sa")).unwrap();
    let key = sa
        .lines()
        .find(|l| l.starts_with('"'))
        .and_then(|l| l.split("\",\"").nth(5))
        .map(|k| k.trim_start_matches("0x").to_string())
        .unwrap();
    assert!(key.len() >= 32, "{sa}");
    assert!(
        !json.contains(&key),
        "a session key leaked into report.json"
    );
    tshark_checks(&dir, "AKA-REGISTRATION-01");
}

#[test]
fn a_capture_tshark_decrypts_in_transport_mode() {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    if !root || !have_tshark() {
        println!("SKIPPED: needs root (raw ESP sockets in a namespace) and tshark");
        return;
    }
    let ns = format!("imsec-eng-{}", std::process::id());
    assert!(Command::new("ip")
        .args(["netns", "add", &ns])
        .status()
        .unwrap()
        .success());
    let _ = Command::new("ip")
        .args(["netns", "exec", &ns, "ip", "link", "set", "lo", "up"])
        .status();
    let dir = tempdir("trans");
    let out = Command::new("ip")
        .args(["netns", "exec", &ns, env!("CARGO_BIN_EXE_imsec")])
        .args(["run", "--mode", "trans", "--filter", "AKA-REGISTRATION-01"])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/../testcases"))
        .arg("--report")
        .arg(&dir)
        .output()
        .unwrap();
    let _ = Command::new("ip").args(["netns", "del", &ns]).status();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    tshark_checks(&dir, "AKA-REGISTRATION-01");
}

fn expect_usage_error(args: &[&str], needles: &[&str]) {
    let out = imsec().args(args).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert_eq!(err.trim().lines().count(), 1, "one line expected: {err}");
    for n in needles {
        assert!(err.contains(n), "{args:?}: '{n}' not in: {err}");
    }
}

#[test]
fn broken_yaml_and_unknown_fields_name_file_line_and_field() {
    let dir = tempdir("yaml");
    let broken = dir.join("broken");
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::write(
        broken.join("BROKEN.yaml"),
        "id: X\ntitle: t\nrequirement: [ {spec: a, clause: b}\nsteps: []\n",
    )
    .unwrap();
    expect_usage_error(&["run", broken.to_str().unwrap()], &["BROKEN.yaml", "line"]);
    let unknown = dir.join("unknown");
    std::fs::create_dir_all(&unknown).unwrap();
    std::fs::write(
        unknown.join("UNKNOWN.yaml"),
        "id: X\ntitle: t\nrequirement: [{spec: a, clause: b}]\nsteps:\n  - { do: register, color: red }\nexpect:\n  - { check: registered, value: true }\n",
    )
    .unwrap();
    expect_usage_error(
        &["run", unknown.to_str().unwrap()],
        &["UNKNOWN.yaml", "color", "line 5"],
    );
    let badstep = dir.join("badstep");
    std::fs::create_dir_all(&badstep).unwrap();
    std::fs::write(
        badstep.join("BADSTEP.yaml"),
        "id: X\ntitle: t\nrequirement: [{spec: a, clause: b}]\nsteps:\n  - { do: register }\nexpect:\n  - { check: response, step: nowhere, status: \"200\" }\n",
    )
    .unwrap();
    expect_usage_error(
        &["list", badstep.to_str().unwrap()],
        &["BADSTEP.yaml", "expect[0].step", "nowhere"],
    );
}

#[test]
fn unreachable_silent_and_unknown_suts_are_environment_errors() {
    let dir = tempdir("sut");
    let dead = dir.join("dead.yaml");
    std::fs::write(
        &dead,
        "name: dead\npcscf: 127.0.0.1:1\nscscf_listen: 127.0.0.77:5060\nue_addr: 127.0.0.78\ntimeout_ms: 300\n",
    )
    .unwrap();
    expect_usage_error(&["run", "--sut", dead.to_str().unwrap()], &["unreachable"]);
    // A socket that reads and never answers.
    let hole = std::net::UdpSocket::bind("127.0.0.79:0").unwrap();
    let silent = dir.join("silent.yaml");
    std::fs::write(
        &silent,
        format!(
            "name: silent\npcscf: {}\nscscf_listen: 127.0.0.77:5060\nue_addr: 127.0.0.78\ntimeout_ms: 300\n",
            hole.local_addr().unwrap()
        ),
    )
    .unwrap();
    expect_usage_error(
        &["run", "--sut", silent.to_str().unwrap()],
        &["did not answer"],
    );
    drop(hole);
    expect_usage_error(&["run", "--sut", "builtin:nonsense"], &["unknown flaw"]);
    expect_usage_error(
        &["run", "--sut", "/nonexistent/profile.yaml"],
        &["profile.yaml"],
    );
    let typo = dir.join("typo.yaml");
    std::fs::write(&typo, "name: x\npcscf: 127.0.0.1:5060\nscscf_listen: 127.0.0.1:5061\nue_addr: 127.0.0.1\nsubscribr: {}\n").unwrap();
    expect_usage_error(&["run", "--sut", typo.to_str().unwrap()], &["subscribr"]);
}

/// SIP over TCP inside the SAs, seen from outside: tshark decrypts every ESP packet of the
/// TCP case with the emitted `esp_sa` lines, finds every ICV good, finds TCP inside (not UDP),
/// and dissects the SIP messages carried by it (REGISTERs, OPTIONS and their 200s).
#[test]
fn tcp_inside_the_sas_decrypts_in_tshark() {
    if !have_tshark() {
        println!("SKIPPED: tshark not installed (.ci/install-deps.sh installs it)");
        return;
    }
    let dir = tempdir("tcp");
    let out = imsec()
        .args(["run", "--filter", "TCP-REGISTRATION-01", "--report"])
        .arg(&dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("1 passed, 0 failed"), "{stdout}");
    let case = "TCP-REGISTRATION-01";
    let cfg = dir.join("wsconfig");
    std::fs::create_dir_all(&cfg).unwrap();
    std::fs::copy(dir.join(format!("{case}.esp_sa")), cfg.join("esp_sa")).unwrap();
    let out = Command::new("tshark")
        .env("WIRESHARK_CONFIG_DIR", &cfg)
        .arg("-r")
        .arg(dir.join(format!("{case}.pcapng")))
        .args(["-o", "esp.enable_encryption_decode:TRUE"])
        .args(["-o", "esp.enable_authentication_check:TRUE"])
        .args(["-Y", "esp", "-T", "fields"])
        .args([
            "-e",
            "esp.icv_good",
            "-e",
            "tcp.srcport",
            "-e",
            "udp.srcport",
        ])
        .args(["-e", "sip.Method", "-e", "sip.Status-Code"])
        .output()
        .expect("tshark");
    let text = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split('\t').collect()).collect();
    assert!(rows.len() >= 20, "too few ESP packets:\n{text}");
    let mut sip = 0;
    for r in &rows {
        assert_eq!(r.first().copied(), Some("1"), "ICV not good: {r:?}\n{text}");
        assert!(
            r.get(1).is_some_and(|s| !s.is_empty()),
            "no TCP inside: {r:?}"
        );
        // udp.srcport lists the outer ESP-in-UDP port only (one value: no inner UDP).
        assert!(
            r.get(2).is_some_and(|s| !s.contains(',')),
            "inner UDP: {r:?}"
        );
        if r.get(3).is_some_and(|s| !s.is_empty()) || r.get(4).is_some_and(|s| !s.is_empty()) {
            sip += 1;
        }
    }
    // REGISTER+200, OPTIONS+200, REGISTER+401+REGISTER+200, OPTIONS+200, REGISTER+200.
    assert!(sip >= 12, "tshark found {sip} SIP messages in TCP:\n{text}");
}
