//! Builds and drives tools/srtp_peer.c (libsrtp2), shared by tests/srtp_libsrtp.rs and
//! tests/srtp_decrypt.rs.
#![allow(dead_code)]

use imsec::mech::srtp::Suite;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

pub const KEY_SALT: &str = "e1f97a0d3e018be0d64fa32c06de41390ec675ad498afeebb6960b3aabe6";

/// Builds tools/srtp_peer.c once; `Err` carries the reason to skip.
pub fn peer() -> Result<PathBuf, String> {
    static PEER: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    PEER.get_or_init(|| {
        let flags = Command::new("pkg-config")
            .args(["--cflags", "--libs", "libsrtp2"])
            .output()
            .map_err(|e| format!("pkg-config not runnable: {e}"))?;
        if !flags.status.success() {
            return Err("libsrtp2 not installed (Debian: libsrtp2-dev)".into());
        }
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tools/srtp_peer.c");
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("srtp_peer");
        let mut cmd = Command::new("cc");
        cmd.args(["-O2", "-o"]).arg(&out).arg(&src);
        cmd.args(String::from_utf8_lossy(&flags.stdout).split_whitespace());
        let st = cmd.output().map_err(|e| format!("cc not runnable: {e}"))?;
        if !st.status.success() {
            return Err(format!(
                "building srtp_peer failed: {}",
                String::from_utf8_lossy(&st.stderr)
            ));
        }
        Ok(out)
    })
    .clone()
}

macro_rules! peer_or_skip {
    () => {
        match peer() {
            Ok(p) => p,
            Err(why) => {
                println!("SKIPPED: {why}");
                return;
            }
        }
    };
}

/// Runs the peer on lines `(is_rtcp, packet)`; one output per line (`Err(status)` for ERR).
pub fn run_peer(
    peer: &Path,
    mode: &str,
    suite: Suite,
    key_salt: &str,
    mki: &str,
    pkts: &[(bool, Vec<u8>)],
) -> Vec<Result<Vec<u8>, String>> {
    let mut cmd = Command::new(peer);
    cmd.args([mode, suite.name(), key_salt]);
    if !mki.is_empty() {
        cmd.arg(mki);
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("srtp_peer starts");
    let mut input = String::new();
    for (rtcp, p) in pkts {
        input.push_str(if *rtcp { "rtcp " } else { "rtp " });
        input.push_str(&hex::encode(p));
        input.push('\n');
    }
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("srtp_peer runs");
    writer.join().unwrap().unwrap();
    assert!(out.status.success(), "srtp_peer exited with {}", out.status);
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| match l.strip_prefix("ERR ") {
            Some(e) => Err(e.to_string()),
            None => Ok(hex::decode(l).unwrap()),
        })
        .collect()
}
