//! imsec against a real P-CSCF: Kamailio 5.6 (Debian `kamailio kamailio-ims-modules`) on this
//! host, configured by `labs/kamailio-host/pcscf.cfg`, started by `labs/kamailio-host/run.sh`
//! in a private network namespace. Only the unprotected phase of the registration (TS 33.203
//! §6.1/§7; TS 24.229 §5.2.2): REGISTER → Kamailio → imsec's S-CSCF → 401 with ck/ik →
//! Kamailio → 401 with Security-Server at imsec's UE. The protected phase needs kernel ESP
//! (the VM lab).
//!
//! Skipped (printed `SKIPPED: …`, test passes) without root or without Kamailio and its IMS
//! modules. Every expectation below is about what Kamailio put on the wire, as seen by the
//! harness UE and S-CSCF; nothing is compared with a value the harness produced itself.

use std::path::{Path, PathBuf};
use std::process::Command;

fn skip(why: &str) {
    println!("SKIPPED: {why}");
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|e| e == "0"))
        })
        .unwrap_or(false)
}

fn on_path(prog: &str) -> bool {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(prog).is_file()))
        .unwrap_or(false)
}

/// Kamailio's module directory holds ims_ipsec_pcscf.so (Debian: /usr/lib/<triplet>/kamailio).
fn have_ims_modules() -> bool {
    let mut dirs = vec![PathBuf::from("/usr/lib/kamailio/modules")];
    if let Ok(rd) = std::fs::read_dir("/usr/lib") {
        dirs.extend(rd.flatten().map(|e| e.path().join("kamailio/modules")));
    }
    dirs.iter().any(|d| d.join("ims_ipsec_pcscf.so").is_file())
}

/// The steps of `imsec cycle --json` in run.sh's output (the JSON object is printed as is,
/// between run.sh's own lines).
fn steps(out: &str) -> Vec<serde_json::Value> {
    let start = out.lines().position(|l| l == "{");
    let end = out.lines().position(|l| l == "}");
    let (Some(s), Some(e)) = (start, end) else {
        panic!("no JSON object from imsec in run.sh's output:\n{out}");
    };
    let json: Vec<&str> = out.lines().skip(s).take(e + 1 - s).collect();
    let v: serde_json::Value = serde_json::from_str(&json.join("\n"))
        .unwrap_or_else(|e| panic!("imsec's JSON does not parse ({e}):\n{out}"));
    v["steps"].as_array().cloned().unwrap_or_default()
}

fn step<'a>(steps: &'a [serde_json::Value], prefix: &str) -> &'a serde_json::Value {
    steps
        .iter()
        .find(|s| s["name"].as_str().is_some_and(|n| n.starts_with(prefix)))
        .unwrap_or_else(|| panic!("no step '{prefix}…' in {steps:#?}"))
}

#[test]
fn kamailio_pcscf_unprotected_phase() {
    if !is_root() {
        return skip("needs root (xfrm netlink socket, network namespace)");
    }
    if !on_path("kamailio") {
        return skip("kamailio not installed (apt-get install kamailio kamailio-ims-modules)");
    }
    if !have_ims_modules() {
        return skip(
            "kamailio-ims-modules not installed (apt-get install -y kamailio-ims-modules)",
        );
    }
    if !on_path("unshare") || !on_path("ip") {
        return skip(
            "unshare (util-linux) or ip (iproute2) missing: run.sh needs a network namespace",
        );
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../labs/kamailio-host/run.sh");
    let out = Command::new(&script)
        .arg("--json")
        .env("IMSEC", env!("CARGO_BIN_EXE_imsec"))
        .output()
        .expect("run labs/kamailio-host/run.sh");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{text}");
    assert_ne!(
        out.status.code(),
        Some(2),
        "the lab did not come up (run.sh exit 2):\n{text}"
    );
    let steps = steps(&text);

    // The UE got a 401 (TS 33.203 §6.1: the challenge travels unprotected) …
    let s = step(&steps, "initial REGISTER answered with 401");
    assert_eq!(s["ok"], true, "{s}");
    // … with Security-Server (TS 33.203 §7.2) …
    let s = step(&steps, "Security-Server present");
    assert_eq!(s["ok"], true, "{s}");
    let server = s["detail"].as_str().unwrap_or("");
    // … which is ims_ipsec_pcscf's choice: it takes the LAST mechanism of the first
    // Security-Client header (the harness UE lists aes-cbc, aes-gcm/null, then
    // hmac-sha-1-96/null) and always announces transport mode (FINDINGS.md, K-2).
    assert!(
        server.starts_with("ipsec-3gpp;") && server.contains(";alg=hmac-sha-1-96;ealg=null"),
        "Security-Server: {server}"
    );
    assert!(server.contains(";mod=trans;"), "Security-Server: {server}");
    // ck/ik: Kamailio's module does not remove them; pcscf.cfg does (TS 33.203 §7.2,
    // TS 24.229 §5.2.2.1), so the step is recorded and passes (FINDINGS.md, K-1).
    let s = step(&steps, "ck/ik removed from the 401");
    assert_eq!(s["ok"], true, "{s}");
    let www = s["detail"].as_str().unwrap_or("");
    assert!(
        www.contains("algorithm=AKAv1-MD5")
            && imsec::mech::digest::params::parse(www.trim_start_matches("WWW-Authenticate: "))
                .map(|p| p.get("ck").is_none() && p.get("ik").is_none())
                .unwrap_or(false),
        "{www}"
    );
    // The core never sees sec-agree (TS 24.229 §5.2.2.1) and the REGISTER is marked
    // integrity-protected="no" (TS 24.229 §7.2A.1; done by pcscf.cfg).
    let s = step(&steps, "REGISTER forwarded to the core without sec-agree");
    assert_eq!(s["ok"], true, "{s}");
    assert_eq!(
        s["detail"].as_str(),
        Some("integrity-protected=Some(\"no\")"),
        "{s}"
    );
    // The UE can use the challenge: AUTN verifies and the chosen pair is one it offered.
    let s = step(&steps, "challenge usable by the UE");
    assert_eq!(s["ok"], true, "{s}");
    assert!(steps.iter().all(|s| s["ok"] == true), "{steps:#?}");
    assert_eq!(out.status.code(), Some(0), "{text}");
}
