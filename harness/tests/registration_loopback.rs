//! Registration through the reference P-CSCF over real sockets: every alg/ealg pair in
//! UDP-encapsulated tunnel mode on loopback, and (as root) transport mode over raw ESP sockets
//! inside a network namespace this test creates and removes.

use imsec::lab::{scenario, Lab, LabOptions};
use imsec::mech::algorithms::{check_pair, EncAlg, IntegAlg};
use imsec::mech::secagree::ipsec::IpsecMode;
use std::process::Command;

fn pairs() -> Vec<(IntegAlg, EncAlg)> {
    let mut v = Vec::new();
    for a in IntegAlg::ALL {
        for e in EncAlg::ALL {
            if check_pair(a, e).is_ok() {
                v.push((a, e));
            }
        }
    }
    v
}

#[test]
fn every_pair_over_udp_encapsulation_on_loopback() {
    for pair in pairs() {
        let mut lab = Lab::builtin(LabOptions {
            offers: vec![pair],
            mode: IpsecMode::UdpEncTunnel,
            ..LabOptions::default()
        })
        .expect("lab on loopback");
        let steps = scenario::registration_cycle(&mut lab);
        assert_eq!(steps.len(), 5, "{pair:?}: {steps:#?}");
        for s in &steps {
            assert!(s.ok, "{pair:?}: {}: {}", s.name, s.detail);
        }
    }
}

/// SIP over TCP: the unprotected phase on a real TCP connection, then TCP connections inside
/// the SAs (the userspace stack under ESP), for every pair.
#[test]
fn every_pair_over_tcp_on_loopback() {
    for pair in pairs() {
        let mut lab = Lab::builtin(LabOptions {
            offers: vec![pair],
            mode: IpsecMode::UdpEncTunnel,
            transport: imsec::roles::SipTransport::Tcp,
            ..LabOptions::default()
        })
        .expect("lab on loopback");
        let steps = scenario::registration_cycle(&mut lab);
        assert_eq!(steps.len(), 5, "{pair:?}: {steps:#?}");
        for s in &steps {
            assert!(s.ok, "{pair:?}: {}: {}", s.name, s.detail);
        }
        assert!(
            steps[0].detail.contains("401 over TCP") && steps[1].detail.contains("200 over TCP"),
            "{pair:?}: {steps:#?}"
        );
        assert!(
            lab.seen
                .iter()
                .any(|s| matches!(s.wire, imsec::net::Wire::Tcp { .. })),
            "no plain TCP unit logged"
        );
        assert!(
            lab.seen
                .iter()
                .any(|s| s.delivered.as_ref().is_some_and(|d| d.tcp)),
            "no SIP framed from TCP inside the SAs"
        );
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// A network namespace that is removed when dropped.
struct Netns(String);

impl Netns {
    fn create() -> Option<Netns> {
        let name = format!("imsec-reg-{}", std::process::id());
        let ok = Command::new("ip")
            .args(["netns", "add", &name])
            .status()
            .ok()?
            .success();
        if !ok {
            return None;
        }
        let ns = Netns(name);
        let up = Command::new("ip")
            .args(["netns", "exec", &ns.0, "ip", "link", "set", "lo", "up"])
            .status()
            .ok()?
            .success();
        up.then_some(ns)
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

#[test]
fn every_pair_in_transport_mode_over_raw_sockets_in_a_namespace() {
    if !is_root() {
        println!("SKIPPED: transport mode needs raw IP sockets (root or CAP_NET_RAW); not root");
        return;
    }
    let Some(ns) = Netns::create() else {
        println!("SKIPPED: could not create a network namespace (ip netns add failed)");
        return;
    };
    let exe = env!("CARGO_BIN_EXE_imsec");
    for ((a, e), transport) in pairs().into_iter().flat_map(|p| [(p, "udp"), (p, "tcp")]) {
        let out = Command::new("ip")
            .args([
                "netns",
                "exec",
                &ns.0,
                exe,
                "cycle",
                "--mode",
                "trans",
                "--transport",
            ])
            .arg(transport)
            .arg("--offer")
            .arg(format!("{a}/{e}"))
            .output()
            .expect("ip netns exec");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{a}/{e}: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(text.contains("5 passed, 0 failed"), "{a}/{e}: {text}");
        assert!(
            text.contains(" trans "),
            "{a}/{e}: not transport mode: {text}"
        );
        assert!(
            text.contains(&format!("200 over {}", transport.to_uppercase())),
            "{a}/{e}: not over {transport}: {text}"
        );
    }
}
