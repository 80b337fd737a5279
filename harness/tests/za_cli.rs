//! The Za probe through the command line against the built-in security gateway and its flaws:
//! `imsec za probe` exit codes and output, `imsec run --sut builtin:seg[:flaw] testcases/za`
//! verdicts, a P-CSCF case being not applicable to a SEG, and the SEG profile loader.

#[path = "support/scratch.rs"]
mod scratch;
use assert_cmd::Command;
use scratch::Scratch;
use std::path::{Path, PathBuf};

fn imsec() -> Command {
    Command::cargo_bin("imsec").unwrap()
}

fn testcases(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testcases")
        .join(sub)
}

#[test]
fn probe_builtin_refuses_null_and_the_flawed_one_accepts_it() {
    let out = imsec()
        .args([
            "za",
            "probe",
            "--peer",
            "builtin:seg",
            "--child",
            "null-sha1",
        ])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("NO_PROPOSAL_CHOSEN"), "{text}");
    let out = imsec()
        .args([
            "za",
            "probe",
            "--peer",
            "builtin:seg:accept-null-esp",
            "--child",
            "null-sha1",
            "--json",
        ])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["without_encryption"], true);
    assert!(v["child_selected"].as_str().unwrap().contains("ENCR_NULL"));
}

#[test]
fn probe_of_a_silent_peer_is_an_environment_error() {
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = sock.local_addr().unwrap().to_string();
    imsec()
        .args([
            "za",
            "probe",
            "--peer",
            &addr,
            "--psk",
            "x",
            "--local",
            "127.0.0.1",
            "--timeout-ms",
            "1200",
        ])
        .assert()
        .code(2);
    imsec()
        .args([
            "za",
            "probe",
            "--peer",
            "builtin:seg",
            "--child",
            "rot13-sha1",
        ])
        .assert()
        .code(2);
}

#[test]
fn run_against_the_builtin_seg_and_a_flaw() {
    let dir = tempdir();
    imsec()
        .args(["run", "--sut", "builtin:seg", "--report"])
        .arg(dir.join("ok"))
        .arg(testcases("za"))
        .assert()
        .code(0);
    imsec()
        .args(["run", "--sut", "builtin:seg:offer-null-esp", "--report"])
        .arg(dir.join("flawed"))
        .arg(testcases("za"))
        .assert()
        .code(1);
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("flawed/report.json")).unwrap())
            .unwrap();
    let failed: Vec<&str> = r["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["verdict"] == "fail")
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(failed, vec!["ZA-RESPONDER-CHILD-01"]);
    // A P-CSCF case against a SEG does not apply, with the reason.
    imsec()
        .args(["run", "--sut", "builtin:seg", "--report"])
        .arg(dir.join("na"))
        .arg(testcases("aka/AKA-CKIK-01.yaml"))
        .assert()
        .code(0);
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("na/report.json")).unwrap())
            .unwrap();
    assert_eq!(r["cases"][0]["verdict"], "not-applicable");
    assert!(r["cases"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("security gateway"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn seg_profiles_load_and_redact_the_psk() {
    let dir = tempdir();
    let p = dir.join("seg.yaml");
    std::fs::write(
        &p,
        "kind: seg\nname: lab SEG\nseg: 192.0.2.7\nharness: 192.0.2.1\npsk: s3cret\n",
    )
    .unwrap();
    let s = imsec::engine::sut::resolve(p.to_str().unwrap(), None).unwrap();
    assert_eq!(s.topology, imsec::engine::case::Topology::Seg);
    assert_eq!(s.raw["psk"], "<redacted>");
    std::fs::write(
        &p,
        "kind: seg\nname: x\nseg: 192.0.2.7\nharness: 192.0.2.1\npsk: s\nbogus: 1\n",
    )
    .unwrap();
    let e = imsec::engine::sut::resolve(p.to_str().unwrap(), None).unwrap_err();
    assert!(e.contains("bogus"), "{e}");
    assert!(imsec::engine::sut::resolve("builtin:seg:nope", None).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

fn tempdir() -> Scratch {
    Scratch::new("za-cli")
}
