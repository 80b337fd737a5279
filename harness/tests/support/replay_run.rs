//! Shared by the `imsec replay` tests: where the repository and the shared captures are,
//! whether tshark is there, and a replay run whose JSON report is validated against
//! docs/replay-schema.json.

use assert_cmd::Command;
use serde_json::Value;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// ../shared/captures, or `None` (with the reason printed) when it is not there.
pub fn shared() -> Option<PathBuf> {
    let p = repo().join("../shared/captures");
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!("SKIPPED: {} not present", p.display());
        None
    }
}

pub fn have_tshark() -> bool {
    let ok = std::process::Command::new("tshark")
        .arg("-v")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("SKIPPED: tshark not installed (.ci/install-deps.sh installs it)");
    }
    ok
}

/// Panics unless `v` matches docs/replay-schema.json.
pub fn validate(v: &Value) {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("docs/replay-schema.json")).unwrap(),
    )
    .unwrap();
    let val = jsonschema::draft202012::new(&schema).unwrap();
    let errs: Vec<String> = val.iter_errors(v).map(|e| e.to_string()).collect();
    assert!(
        errs.is_empty(),
        "report does not match the schema: {errs:?}"
    );
}

/// Runs `imsec replay ARGS --json OUT` (exit 0 or 1 expected): (exit code, validated report).
pub fn replay<S: AsRef<OsStr> + std::fmt::Debug>(args: &[S], dir: &Path) -> (i32, Value) {
    let out = dir.join("report.json");
    let o = Command::cargo_bin("imsec")
        .unwrap()
        .arg("replay")
        .args(args)
        .arg("--json")
        .arg(&out)
        .output()
        .unwrap();
    let code = o.status.code().unwrap_or(-1);
    assert!(
        code == 0 || code == 1,
        "{args:?}: exit {code}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    validate(&v);
    (code, v)
}
