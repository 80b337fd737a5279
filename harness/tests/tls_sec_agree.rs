//! The `tls` sec-agree mechanism (TS 33.203 Annex O, seed 004) between the harness UE and the
//! reference P-CSCF: in memory (roles only: choice, binding, bid-down, integrity-protected,
//! requests outside the connection, flaws) and over loopback sockets (both flows through the
//! TLS edge: TLS first on 5061, and the upgrade of the TCP connection on 5060).

use imsec::lab::{Lab as NetLab, LabOptions};
use imsec::mech::digest::AkaAlgorithm;
use imsec::mech::secagree::header::{parse_value, Mechanism, Mode};
use imsec::mech::sip::SipMessage;
use imsec::net::Wire;
use imsec::roles::pcscf::tls::SecMech;
use imsec::roles::pcscf::{Flaw, Pcscf, PcscfConfig};
use imsec::roles::scscf::{Scscf, ScscfConfig};
use imsec::roles::subscriber::{Subscriber, SubscriberStore};
use imsec::roles::ue::tls::TlsFlow;
use imsec::roles::ue::{Ue, UeConfig};
use std::net::SocketAddr;

#[path = "support/inmem.rs"]
mod inmem;
use inmem::{ip, seeded, K, OPC, P, S, U};

struct Mem {
    ue: Ue,
    pcscf: Pcscf,
    scscf: Scscf,
    at_ue: Vec<Wire>,
}

fn ends(w: &Wire) -> Option<(SocketAddr, SocketAddr)> {
    match w {
        Wire::Udp { local, peer, .. }
        | Wire::Tcp { local, peer, .. }
        | Wire::Tls { local, peer, .. } => Some((*local, *peer)),
        Wire::Ip { .. } => None,
    }
}

/// What was sent from `local` to `peer` arrives at `peer` from `local`.
fn arrive(w: Wire) -> Wire {
    match w {
        Wire::Udp {
            local,
            peer,
            payload,
        } => Wire::Udp {
            local: peer,
            peer: local,
            payload,
        },
        Wire::Tcp {
            local,
            peer,
            payload,
        } => Wire::Tcp {
            local: peer,
            peer: local,
            payload,
        },
        Wire::Tls {
            local,
            peer,
            payload,
        } => Wire::Tls {
            local: peer,
            peer: local,
            payload,
        },
        other => other,
    }
}

impl Mem {
    fn new(flaws: &[Flaw], tune: impl FnOnce(&mut PcscfConfig)) -> Mem {
        let h = |s: &str| imsec::hexarg::decode_fixed::<16>(s).unwrap();
        let mut pc = PcscfConfig::on(ip(P), SocketAddr::new(ip(S), 5060));
        pc.flaws = flaws.iter().copied().collect();
        tune(&mut pc);
        let sub = Subscriber {
            impi: "user@imsec.test".into(),
            impus: vec!["sip:user@imsec.test".into()],
            k: h(K),
            opc: h(OPC),
            amf: [0x80, 0],
            sqn: 0x100,
            algorithm: AkaAlgorithm::AkaV1Md5,
        };
        let ue = Ue::new(
            UeConfig {
                addr: ip(U),
                impi: "user@imsec.test".into(),
                impu: "sip:user@imsec.test".into(),
                realm: "imsec.test".into(),
                k: h(K),
                opc: h(OPC),
                sqn_ms: 0x100,
                pcscf: SocketAddr::new(ip(P), 5060),
                unprotected_port: 5060,
                offers: vec![(
                    imsec::mech::algorithms::IntegAlg::HmacSha1_96,
                    imsec::mech::algorithms::EncAlg::AesCbc,
                )],
                mode: imsec::mech::secagree::ipsec::IpsecMode::UdpEncTunnel,
                encap_port: 4500,
                pcscf_encap_port: 4500,
                expires: 600,
                transport: Default::default(),
            },
            seeded(14),
            seeded(15),
        );
        Mem {
            ue,
            pcscf: Pcscf::new(pc, seeded(11), seeded(12)),
            scscf: Scscf::new(
                ScscfConfig::default(),
                SubscriberStore::new(vec![sub]),
                seeded(13),
            ),
            at_ue: Vec::new(),
        }
    }

    /// Delivers `w` and everything it causes; returns the last SIP message at the UE.
    fn run(&mut self, w: Wire) -> Option<SipMessage> {
        let before = self.at_ue.len();
        let mut queue = vec![w];
        let mut n = 0;
        while let Some(w) = queue.pop() {
            n += 1;
            assert!(n < 100, "message loop");
            let Some((_, to)) = ends(&w) else { continue };
            let w = arrive(w);
            if to.ip() == ip(P) {
                queue.extend(self.pcscf.handle(w, 1000));
            } else if to.ip() == ip(S) {
                if let Wire::Udp {
                    local,
                    peer,
                    payload,
                } = w
                {
                    let req = SipMessage::parse(&payload).unwrap();
                    if req.status().is_none() {
                        let r = self.scscf.handle(&req);
                        queue.push(Wire::Udp {
                            local,
                            peer,
                            payload: r.to_bytes(),
                        });
                    }
                }
            } else if to.ip() == ip(U) {
                self.at_ue.push(w);
            }
        }
        self.at_ue
            .get(before..)?
            .iter()
            .rev()
            .find_map(|w| match w {
                Wire::Udp { payload, .. }
                | Wire::Tcp { payload, .. }
                | Wire::Tls { payload, .. } => SipMessage::parse(payload).ok(),
                Wire::Ip { .. } => None,
            })
    }

    /// `integrity-protected` of the last REGISTER the core received.
    fn core_integrity(&self) -> Option<String> {
        self.scscf
            .received
            .iter()
            .rev()
            .find(|r| r.message.method().as_deref() == Some("REGISTER"))
            .and_then(|r| r.integrity_protected.clone())
    }

    fn core_count(&self) -> usize {
        self.scscf.received.len()
    }

    /// Initial REGISTER and 401; returns the 401.
    fn challenge(&mut self, flow: TlsFlow) -> SipMessage {
        let (_, w) = self.ue.tls_initial_register(flow, false);
        let r = self.run(w).expect("answer to the initial REGISTER");
        assert_eq!(r.status(), Some(401), "{}", r.start);
        self.ue.tls_on_challenge(&r).expect("usable tls challenge");
        r
    }

    fn answer(&mut self, verify: Option<Vec<Mechanism>>) -> (SipMessage, Wire) {
        let (_, w) = self.ue.tls_protected_register(verify, None).unwrap();
        let r = self
            .run(w.clone())
            .expect("answer to the protected REGISTER");
        (r, w)
    }
}

fn server_names(m: &SipMessage) -> Vec<String> {
    m.headers_named("Security-Server")
        .filter_map(|v| parse_value(v, Mode::Lenient).ok())
        .flat_map(|p| p.mechanisms)
        .map(|m| m.name_lc())
        .collect()
}

#[test]
fn tls_first_pending_then_yes_on_reregistration() {
    let mut m = Mem::new(&[], |_| {});
    let r = m.challenge(TlsFlow::First);
    assert_eq!(server_names(&r), ["tls"]);
    assert!(r
        .header("WWW-Authenticate")
        .is_some_and(|w| !w.contains("ck=")));
    // The initial REGISTER over a TLS session not yet bound: tls-pending.
    assert_eq!(m.core_integrity().as_deref(), Some("tls-pending"));
    let (r, w) = m.answer(None);
    assert_eq!(r.status(), Some(200));
    assert!(matches!(w, Wire::Tls { .. }));
    assert_eq!(m.core_integrity().as_deref(), Some("tls-pending"));
    m.ue.tls.registered = true;
    // Over the session bound by that registration: tls-yes.
    let (_, w) = m.ue.tls_reregister().unwrap();
    let r = m.run(w).unwrap();
    assert_eq!(m.core_integrity().as_deref(), Some("tls-yes"));
    m.ue.tls_on_challenge(&r).unwrap();
    let (r, _) = m.answer(None);
    assert_eq!(r.status(), Some(200));
    assert_eq!(m.core_integrity().as_deref(), Some("tls-yes"));
    // A request on the session reaches the core and is answered on it.
    let (_, w) = m.ue.tls_request("OPTIONS", false).unwrap();
    let r = m.run(w).unwrap();
    assert_eq!(r.status(), Some(200));
    assert!(matches!(m.at_ue.last(), Some(Wire::Tls { .. })));
}

#[test]
fn upgrade_flow_no_before_tls_pending_after() {
    let mut m = Mem::new(&[], |_| {});
    let r = m.challenge(TlsFlow::Upgrade);
    assert_eq!(server_names(&r), ["tls"]);
    assert!(matches!(m.at_ue.last(), Some(Wire::Tcp { .. })));
    assert_eq!(m.core_integrity().as_deref(), Some("no"));
    let (r, w) = m.answer(None);
    assert_eq!(r.status(), Some(200), "{}", r.start);
    // The same connection (local, peer), now inside TLS.
    assert_eq!(ends(&w).unwrap().1.port(), 5060);
    assert!(matches!(w, Wire::Tls { .. }));
    assert_eq!(m.core_integrity().as_deref(), Some("tls-pending"));
}

#[test]
fn modified_or_missing_verify_is_494_unless_flawed() {
    for (flaws, want) in [(vec![], 494), (vec![Flaw::TlsNoVerifyCheck], 200)] {
        for verify in [vec![Mechanism::new("tls").with("q", "0.5")], vec![]] {
            let mut m = Mem::new(&flaws, |_| {});
            m.challenge(TlsFlow::First);
            let (r, _) = m.answer(Some(verify.clone()));
            assert_eq!(r.status(), Some(want), "{flaws:?} {verify:?}");
        }
    }
}

#[test]
fn preference_decides_between_ipsec_and_tls() {
    // Default: ipsec-3gpp before tls.
    let mut m = Mem::new(&[], |_| {});
    let (_, w) = m.ue.tls_initial_register(TlsFlow::Upgrade, true);
    let r = m.run(w).unwrap();
    assert_eq!(server_names(&r), ["ipsec-3gpp"]);
    // Configured the other way round.
    let mut m = Mem::new(&[], |c| {
        c.tls.preference = vec![SecMech::Tls, SecMech::Ipsec3gpp]
    });
    let (_, w) = m.ue.tls_initial_register(TlsFlow::Upgrade, true);
    let r = m.run(w).unwrap();
    assert_eq!(server_names(&r), ["tls"]);
    // tls off: a tls-only offer gets no agreement.
    let mut m = Mem::new(&[], |c| c.tls.enabled = false);
    let (_, w) = m.ue.tls_initial_register(TlsFlow::Upgrade, false);
    assert_eq!(m.run(w).unwrap().status(), Some(494));
    // The flawed variant ignores tls offered outside TLS.
    let mut m = Mem::new(&[Flaw::TlsIgnoreChoice], |_| {});
    let (_, w) = m.ue.tls_initial_register(TlsFlow::Upgrade, false);
    assert_eq!(m.run(w).unwrap().status(), Some(494));
}

#[test]
fn requests_outside_the_connection_are_refused_unless_flawed() {
    for (flaws, forwarded) in [(vec![], false), (vec![Flaw::TlsAcceptOutside], true)] {
        let mut m = Mem::new(&flaws, |_| {});
        m.challenge(TlsFlow::First);
        assert_eq!(m.answer(None).0.status(), Some(200));
        let before = m.core_count();
        let (_, w) = m.ue.tls_request("OPTIONS", true).unwrap();
        let r = m.run(w).unwrap();
        assert_eq!(m.core_count() > before, forwarded, "{flaws:?}");
        assert_eq!(r.status(), Some(if forwarded { 200 } else { 403 }));
    }
    // Another TLS connection from the same UE is not the registration's either.
    let mut m = Mem::new(&[], |_| {});
    m.challenge(TlsFlow::First);
    assert_eq!(m.answer(None).0.status(), Some(200));
    let (_, w) = m.ue.tls_request("OPTIONS", false).unwrap();
    let Wire::Tls { peer, payload, .. } = w else {
        panic!("not TLS")
    };
    let other = Wire::Tls {
        local: SocketAddr::new(ip(U), 40000),
        peer,
        payload,
    };
    let before = m.core_count();
    assert_eq!(m.run(other).unwrap().status(), Some(403));
    assert_eq!(m.core_count(), before);
}

#[test]
fn wrong_integrity_flaw_says_yes() {
    let mut m = Mem::new(&[Flaw::TlsWrongIntegrity], |_| {});
    m.challenge(TlsFlow::First);
    m.answer(None);
    assert_eq!(m.core_integrity().as_deref(), Some("yes"));
}

/// Both flows over loopback sockets through the TLS edge of the built-in lab.
#[test]
fn both_flows_register_over_loopback() {
    for flow in [TlsFlow::First, TlsFlow::Upgrade] {
        let mut lab = NetLab::builtin(LabOptions::default()).expect("lab");
        let keys = std::env::temp_dir().join(format!(
            "imsec-tls-agree-{}-{:?}.keys",
            std::process::id(),
            flow
        ));
        let _ = std::fs::remove_file(&keys);
        let k = imsec::net::tls::KeyLogFile::create(&keys).unwrap();
        let setup = lab.tls.as_ref().unwrap().client_setup(Some(k)).unwrap();
        lab.ue_net.set_tls(setup);
        let (_, w) = lab.ue.tls_initial_register(flow, false);
        let (r, _) = lab.transact(&w, |_| None).expect("401");
        lab.ue.tls_on_challenge(&r).expect("tls challenge");
        let (_, w) = lab.ue.tls_protected_register(None, None).unwrap();
        let (r, _) = lab.transact(&w, |_| None).expect("200");
        assert_eq!(r.status(), Some(200), "{flow:?}: {}", r.start);
        assert!(matches!(
            lab.seen.last().map(|s| &s.wire),
            Some(Wire::Tls { .. })
        ));
        let notes = lab.ue_net.tls_notes();
        assert_eq!(notes.len(), 1, "{flow:?}");
        let n = &notes[0];
        assert!(n.established.is_some() && !n.certificate_request);
        assert_eq!(n.upgraded, flow == TlsFlow::Upgrade);
        assert_eq!(
            n.peer.port(),
            if flow == TlsFlow::First { 5061 } else { 5060 }
        );
        lab.stop();
        let text = std::fs::read_to_string(&keys).unwrap_or_default();
        assert!(
            text.lines()
                .any(|l| l.starts_with("CLIENT_HANDSHAKE_TRAFFIC_SECRET ")
                    || l.starts_with("CLIENT_RANDOM ")),
            "no key log lines"
        );
        let _ = std::fs::remove_file(&keys);
    }
}

/// `imsec serve pcscf` with a `tls:` block (certificate generated at start-up, CA written out)
/// is a P-CSCF elsewhere: `imsec run testcases/tls-sec-agree` with an external profile naming
/// its SIPS port, trust anchor and name judges it like the built-in one (the core view comes
/// from the harness S-CSCF it forwards to), and its flawed variant fails the bid-down cases.
#[test]
fn serve_pcscf_with_tls_judged_as_external_sut() {
    let n = std::process::id() % 200 + 20;
    for (flaw, want_fail) in [
        (None, vec![]),
        (
            Some("tls-no-verify-check"),
            vec!["TLS-AGREE-BIDDOWN-01", "TLS-AGREE-BIDDOWN-02"],
        ),
    ] {
        let base = if flaw.is_some() { 60 } else { 50 };
        let ip = format!("127.77.{n}.{base}");
        let ue = format!("127.77.{n}.{}", base + 1);
        let harness = format!("127.77.{n}.{}", base + 2);
        let dir = std::env::temp_dir().join(format!(
            "imsec-tls-agree-serve-{}-{base}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let ca = dir.join("ca.pem");
        let flaws = flaw.map(|f| format!("flaws: [{f}]\n")).unwrap_or_default();
        std::fs::write(
            dir.join("serve.yaml"),
            format!(
                "addr: {ip}\nscscf: {harness}:5060\nmodes: [UDP-enc-tun]\n{flaws}\
                 tls:\n  names: [pcscf.serve.test]\n  ca_out: {}\n",
                ca.display()
            ),
        )
        .unwrap();
        let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_imsec"))
            .args(["serve", "pcscf", "--duration", "60", "--config"])
            .arg(dir.join("serve.yaml"))
            .stdout(std::fs::File::create(dir.join("serve.log")).unwrap())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("imsec serve pcscf");
        let t0 = std::time::Instant::now();
        while !ca.exists() && t0.elapsed() < std::time::Duration::from_secs(10) {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
        std::fs::write(
            dir.join("sut.yaml"),
            format!(
                "name: imsec serve pcscf with tls\ntopology: pcscf\npcscf: {ip}:5060\n\
                 scscf_listen: {harness}:5060\nue_addr: {ue}\nmode: UDP-enc-tun\n\
                 tls:\n  server_name: pcscf.serve.test\n  trust_anchor: ca.pem\n"
            ),
        )
        .unwrap();
        let report = dir.join("report");
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_imsec"))
            .arg("run")
            .arg(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../testcases/tls-sec-agree"),
            )
            .arg("--sut")
            .arg(dir.join("sut.yaml"))
            .arg("--report")
            .arg(&report)
            .output()
            .unwrap();
        let _ = server.kill();
        let _ = server.wait();
        let json: serde_json::Value = serde_json::from_slice(
            &std::fs::read(report.join("report.json"))
                .unwrap_or_else(|e| panic!("no report ({e}): {out:?}")),
        )
        .unwrap();
        let cases = json["cases"].as_array().unwrap();
        assert_eq!(cases.len(), 11);
        for c in cases {
            let id = c["id"].as_str().unwrap();
            let want = if want_fail.contains(&id) {
                "fail"
            } else {
                "pass"
            };
            assert_eq!(c["verdict"], want, "{flaw:?} {id}: {}", c["reason"]);
        }
        if std::env::var_os("IMSEC_KEEP_TEST_FILES").is_none() {
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
}

/// A REGISTER over UDP offering only `tls` gets no agreement: there is no connection to run
/// TLS on (seed 004: TLS first on 5061, or the TCP connection on 5060).
#[test]
fn tls_is_not_chosen_over_udp() {
    let mut m = Mem::new(&[], |_| {});
    let (_, w) = m.ue.tls_initial_register(TlsFlow::Upgrade, false);
    let Wire::Tcp {
        local,
        peer,
        payload,
    } = w
    else {
        panic!("the upgrade flow starts on TCP")
    };
    let r = m
        .run(Wire::Udp {
            local,
            peer,
            payload,
        })
        .unwrap();
    assert_eq!(r.status(), Some(494));
}
