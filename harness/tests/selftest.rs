//! `imsec selftest`: every flawed built-in variant fails exactly the cases that name it, and
//! the conformant reference passes everything (the matrix of the security-checks issue).

use std::process::Command;

#[test]
fn every_flaw_is_caught_by_its_cases_and_nothing_else() {
    let out = Command::new(env!("CARGO_BIN_EXE_imsec"))
        .args(["selftest", "--jobs", "12"])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .expect("imsec selftest");
    let text = String::from_utf8_lossy(&out.stdout);
    println!("{text}");
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains(", 0 failed"), "{text}");
    assert!(!text.contains("PROBLEM"), "{text}");
}
