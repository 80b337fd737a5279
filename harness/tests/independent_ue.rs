//! A UE that is not imsec (tools/scapy_ue.py: scapy ESP, Python Milenage and Digest)
//! registers against `imsec serve pcscf` in transport mode over raw sockets, inside a network
//! namespace this test creates and removes.

use std::process::{Command, Stdio};
use std::time::Duration;

fn skip(why: &str) {
    println!("SKIPPED: {why}");
}

struct Netns(String);
impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

#[test]
fn scapy_ue_registers_in_transport_mode() {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    if !root {
        return skip("needs root for raw ESP sockets and a network namespace");
    }
    let py = Command::new("python3")
        .args(["-c", "import scapy, cryptography, yaml"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !py {
        return skip("python3 with scapy, cryptography and PyYAML is missing (.ci/install-deps.sh installs them)");
    }
    let name = format!("imsec-ue-{}", std::process::id());
    if !Command::new("ip")
        .args(["netns", "add", &name])
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
    {
        return skip("ip netns add failed");
    }
    let ns = Netns(name);
    let _ = Command::new("ip")
        .args(["netns", "exec", &ns.0, "ip", "link", "set", "lo", "up"])
        .status();
    let dir = std::env::temp_dir().join(format!("imsec-ue-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("serve.yaml");
    std::fs::write(&cfg, "addr: 127.0.0.1\nmodes: [trans]\n").unwrap();
    let mut server = Command::new("ip")
        .args([
            "netns",
            "exec",
            &ns.0,
            env!("CARGO_BIN_EXE_imsec"),
            "serve",
            "pcscf",
        ])
        .arg("--config")
        .arg(&cfg)
        .args(["--duration", "20"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("imsec serve pcscf");
    std::thread::sleep(Duration::from_millis(700));
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../tools/scapy_ue.py");
    let out = Command::new("ip")
        .args(["netns", "exec", &ns.0, "timeout", "30", "python3", script])
        .args(["--ue", "127.0.0.5", "--pcscf", "127.0.0.1"])
        .args(["--k", "465b5ce8b199b49faa5f0a2ee238a6bc"])
        .args(["--opc", "cd63cb71954a9f4e48a5994e37a02baf"])
        .output()
        .expect("python3");
    let _ = server.kill();
    let log = server
        .wait_with_output()
        .map(|o| o.stdout)
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("REGISTERED"),
        "scapy UE:\n{text}{}\nP-CSCF log:\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&log)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
