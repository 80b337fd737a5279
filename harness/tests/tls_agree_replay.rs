//! Replay of TLS-AGREE captures (TS 33.203 Annex O; TS 24.229 §5.2.2): the lab writes the
//! case's pcapng and `<case>.keys`; `imsec replay --tls-keylog` decrypts the SIP inside TLS,
//! and the `integrity_protected` checks expect what the chosen mechanism (`tls`) implies:
//! `tls-pending` on a new TLS session, `tls-yes` on a re-registration over the bound one, `no`
//! for an initial REGISTER sent before TLS (5060 flow). The expected values come from the
//! specification as the P-CSCF tests state them, not from the P-CSCF: the flawed variant that
//! says "yes" must fail the replay.

use std::path::{Path, PathBuf};
use std::process::Command;

fn imsec(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_imsec"))
        .args(args)
        .output()
        .expect("imsec runs")
}

fn case(id: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testcases/tls-sec-agree")
        .join(format!("{id}.yaml"))
}

/// Runs `id` against `sut` with a report directory, replays its capture with its key log,
/// and returns the replay's JSON.
fn run_and_replay(id: &str, sut: &str, dir: &Path) -> serde_json::Value {
    let d = dir.to_str().unwrap();
    let out = imsec(&[
        "run",
        "--sut",
        sut,
        "--report",
        d,
        case(id).to_str().unwrap(),
    ]);
    assert!(
        dir.join(format!("{id}.pcapng")).exists(),
        "no capture: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let keys = dir.join(format!("{id}.keys"));
    assert!(keys.exists(), "no key log");
    let json = dir.join(format!("{id}.replay.json"));
    let out = imsec(&[
        "replay",
        dir.join(format!("{id}.pcapng")).to_str().unwrap(),
        "--tls-keylog",
        keys.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&json).unwrap_or_else(|_| {
        panic!(
            "replay wrote no JSON: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    serde_json::from_str(&text).unwrap()
}

/// Each registration's verdict of `check`.
fn per_registration(v: &serde_json::Value, check: &str) -> Vec<String> {
    v["registrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["checks"][check].as_str().unwrap_or("absent").to_string())
        .collect()
}

fn summary(v: &serde_json::Value, check: &str) -> String {
    v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == check)
        .map(|c| c["summary"].as_str().unwrap_or("").to_string())
        .unwrap_or_default()
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("imsec-tls-replay-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// TLS first, then a re-registration over the bound session: tls-pending then tls-yes.
#[test]
fn tls_first_and_reregistration_replay_as_tls_pending_then_tls_yes() {
    let d = tmp("integrity02");
    let v = run_and_replay("TLS-AGREE-INTEGRITY-02", "builtin", &d);
    assert_eq!(v["registrations"].as_array().unwrap().len(), 2, "{v}");
    assert_eq!(
        per_registration(&v, "integrity_protected"),
        ["pass", "pass"],
        "{}",
        summary(&v, "integrity_protected")
    );
    assert_eq!(
        per_registration(&v, "integrity_protected_initial"),
        ["pass", "pass"]
    );
    let _ = std::fs::remove_dir_all(&d);
}

/// The 5060 flow: the initial REGISTER before TLS is `no`, the answer over TLS tls-pending.
#[test]
fn upgrade_flow_replays_as_no_then_tls_pending() {
    let d = tmp("upgrade01");
    let v = run_and_replay("TLS-AGREE-UPGRADE-01", "builtin", &d);
    assert_eq!(per_registration(&v, "integrity_protected"), ["pass"]);
    assert_eq!(
        per_registration(&v, "integrity_protected_initial"),
        ["pass"]
    );
    assert!(summary(&v, "integrity_protected").contains("tls-pending"));
    assert!(summary(&v, "integrity_protected_initial").contains("\"no\""));
    let _ = std::fs::remove_dir_all(&d);
}

/// The flawed P-CSCF that says "yes" over TLS fails the replay's check.
#[test]
fn wrong_integrity_flaw_fails_the_replay() {
    let d = tmp("wrong");
    let v = run_and_replay("TLS-AGREE-INTEGRITY-01", "builtin:tls-wrong-integrity", &d);
    assert_eq!(per_registration(&v, "integrity_protected"), ["fail"], "{v}");
    assert!(summary(&v, "integrity_protected").contains("tls-pending"));
    let _ = std::fs::remove_dir_all(&d);
}
