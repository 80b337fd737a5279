//! Raw ESP sockets (IP protocol 50): IPv4 and IPv6 round trips inside a network namespace
//! this test creates (root), and the message a user without the privilege gets.

use imsec::net::raw::RawEsp;
use std::net::IpAddr;
use std::process::Command;
use std::time::Duration;

fn root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Runs this test binary's `child` mode inside a fresh namespace with `addrs` on lo.
fn in_namespace(test: &str, addrs: &[&str]) -> bool {
    let ns = format!("imsec-raw-{}-{test}", std::process::id());
    if !Command::new("ip")
        .args(["netns", "add", &ns])
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
    {
        return false;
    }
    let ip = |args: &[&str]| {
        Command::new("ip")
            .args(["netns", "exec", &ns, "ip"])
            .args(args)
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    };
    let mut ok = ip(&["link", "set", "lo", "up"]);
    for a in addrs {
        ok &= ip(&["addr", "add", a, "dev", "lo", "nodad"]);
    }
    let exe = std::env::current_exe().unwrap();
    let out = Command::new("ip")
        .args(["netns", "exec", &ns])
        .arg(exe)
        .args([test, "--exact", "--nocapture"])
        .env("IMSEC_RAW_CHILD", "1")
        .output()
        .unwrap();
    let _ = Command::new("ip").args(["netns", "del", &ns]).status();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(ok, "namespace set-up failed");
    assert!(
        out.status.success() && text.contains("CHILD OK"),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    true
}

fn round_trip(a: IpAddr, b: IpAddr) {
    use imsec::mech::esp::encap::{emit_ipv4, emit_ipv6};
    let (sa, sb) = (RawEsp::open(a).unwrap(), RawEsp::open(b).unwrap());
    let esp = [0x00, 0x00, 0x12, 0x34, 0, 0, 0, 1, 0xde, 0xad, 0xbe, 0xef];
    let mut pkt = Vec::new();
    match (a, b) {
        (IpAddr::V4(x), IpAddr::V4(y)) => emit_ipv4(x, y, 50, 64, &esp, &mut pkt).unwrap(),
        (IpAddr::V6(x), IpAddr::V6(y)) => emit_ipv6(x, y, 50, 64, &esp, &mut pkt).unwrap(),
        _ => unreachable!(),
    }
    sa.send(&pkt).unwrap();
    let got = sb.recv(Duration::from_secs(2)).unwrap().expect("a packet");
    let view = imsec::capture::classify::parse_ip(&got).unwrap();
    assert_eq!((view.src, view.dst, view.protocol), (a, b, 50));
    assert_eq!(view.payload, &esp);
    println!("CHILD OK");
}

#[test]
fn ipv4_round_trip() {
    if std::env::var("IMSEC_RAW_CHILD").is_ok() {
        return round_trip("10.9.0.2".parse().unwrap(), "10.9.0.4".parse().unwrap());
    }
    if !root() {
        println!("SKIPPED: raw sockets and namespaces need root");
        return;
    }
    assert!(in_namespace(
        "ipv4_round_trip",
        &["10.9.0.2/24", "10.9.0.4/24"]
    ));
}

#[test]
fn ipv6_round_trip() {
    if std::env::var("IMSEC_RAW_CHILD").is_ok() {
        return round_trip("fd00::2".parse().unwrap(), "fd00::4".parse().unwrap());
    }
    if !root() {
        println!("SKIPPED: raw sockets and namespaces need root");
        return;
    }
    assert!(in_namespace(
        "ipv6_round_trip",
        &["fd00::2/64", "fd00::4/64"]
    ));
}

#[test]
fn without_privilege_the_error_says_what_is_needed() {
    if std::env::var("IMSEC_RAW_CHILD").is_ok() {
        return;
    }
    if !root() {
        // Already unprivileged: run it directly.
        let out = Command::new(env!("CARGO_BIN_EXE_imsec"))
            .args(["cycle", "--mode", "trans"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains("CAP_NET_RAW"), "{err}");
        return;
    }
    let has_setpriv = Command::new("setpriv").arg("--version").output().is_ok();
    if !has_setpriv {
        println!("SKIPPED: setpriv (util-linux) missing to drop privileges");
        return;
    }
    let out = Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
            "--bounding-set=-all",
        ])
        .arg(env!("CARGO_BIN_EXE_imsec"))
        .args(["cycle", "--mode", "trans"])
        .current_dir("/")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("root or CAP_NET_RAW"), "{err}");
    assert!(err.contains("UDP-encapsulated"), "{err}");
}
