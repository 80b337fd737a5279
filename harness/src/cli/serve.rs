//! `imsec serve pcscf [--config FILE]`: the reference P-CSCF with its embedded S-CSCF as a
//! standalone server, so a real UE or another tool can register against it.

use super::UsageError;
use crate::mech::algorithms::{EncAlg, IntegAlg};
use crate::mech::digest::AkaAlgorithm;
use crate::mech::milenage::opc_from_op;
use crate::mech::secagree::ipsec::IpsecMode;
use crate::net::node::spawn;
use crate::roles::os_rand;
use crate::roles::pcscf::{AlgPolicy, Flaw, Pcscf, PcscfConfig};
use crate::roles::scscf::{Scscf, ScscfConfig};
use crate::roles::subscriber::{Subscriber, SubscriberStore};
use clap::{Args, Subcommand};
use serde::Deserialize;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(Subcommand, Debug)]
pub enum ServeCmd {
    /// Run the reference P-CSCF (and its embedded S-CSCF).
    Pcscf(ServeArgs),
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// YAML configuration (see docs/serve-pcscf.md); defaults to loopback and the TS 35.208
    /// set-1 test subscriber.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Stop after this many seconds (default: run until killed).
    #[arg(long)]
    pub duration: Option<u64>,
}

/// The config file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeConfig {
    #[serde(default = "default_addr")]
    pub addr: IpAddr,
    #[serde(default = "p5060")]
    pub unprotected_port: u16,
    #[serde(default = "p5062")]
    pub port_pc: u16,
    #[serde(default = "p5064")]
    pub port_ps: u16,
    #[serde(default = "p4500")]
    pub encap_port: u16,
    #[serde(default = "p6060")]
    pub core_port: u16,
    /// Port of the embedded S-CSCF (on `addr`).
    #[serde(default = "p6061")]
    pub scscf_port: u16,
    /// Forward to this S-CSCF instead of running the embedded one (e.g. imsec's harness).
    #[serde(default)]
    pub scscf: Option<SocketAddr>,
    #[serde(default = "default_realm")]
    pub realm: String,
    /// `trans` and/or `UDP-enc-tun`.
    #[serde(default = "default_modes")]
    pub modes: Vec<String>,
    /// Ordered `alg/ealg` pairs, e.g. `hmac-sha-1-96/aes-cbc`.
    #[serde(default)]
    pub preference: Vec<String>,
    #[serde(default)]
    pub require_confidentiality: bool,
    /// Flaws (for building a flawed P-CSCF to test a checker against).
    #[serde(default)]
    pub flaws: Vec<String>,
    #[serde(default = "default_subs")]
    pub subscribers: Vec<SubscriberConfig>,
    /// The `tls` sec-agree mechanism (TS 33.203 Annex O); absent: not offered.
    #[serde(default)]
    pub tls: Option<ServeTls>,
}

/// The P-CSCF's TLS side: a certificate loaded from `cert`/`key`, or generated at start-up by
/// a fresh CA for `names` (default: the address), whose certificate goes to `ca_out` for the
/// UE to trust.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeTls {
    #[serde(default = "p5061")]
    pub sips_port: u16,
    #[serde(default)]
    pub cert: Option<PathBuf>,
    #[serde(default)]
    pub key: Option<PathBuf>,
    #[serde(default)]
    pub names: Vec<String>,
    #[serde(default)]
    pub ca_out: Option<PathBuf>,
}

fn p5061() -> u16 {
    5061
}

/// The edge's TLS set-up for `c` (TS 33.203 Annex O: server-only authentication).
fn tls_setup(
    c: &ServeConfig,
    t: &ServeTls,
    flaws: &crate::roles::pcscf::Flaws,
) -> Result<crate::net::tcp_tls::TlsSetup, String> {
    if let (Some(cert), Some(key)) = (&t.cert, &t.key) {
        let chain = std::fs::read(cert).map_err(|e| format!("tls.cert {}: {e}", cert.display()))?;
        let key = std::fs::read(key).map_err(|e| format!("tls.key {}: {e}", key.display()))?;
        return crate::lab::tls::loaded(&chain, &key, flaws);
    }
    let addr = c.addr.to_string();
    let names: Vec<&str> = if t.names.is_empty() {
        vec![addr.as_str()]
    } else {
        t.names.iter().map(String::as_str).collect()
    };
    let (setup, _, ca_pem) = crate::lab::tls::generated(&names, flaws)?;
    if let Some(out) = &t.ca_out {
        std::fs::write(out, ca_pem).map_err(|e| format!("tls.ca_out {}: {e}", out.display()))?;
    }
    Ok(setup)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscriberConfig {
    pub impi: String,
    pub impus: Vec<String>,
    pub k: String,
    #[serde(default)]
    pub op: Option<String>,
    #[serde(default)]
    pub opc: Option<String>,
    #[serde(default = "default_amf")]
    pub amf: String,
    #[serde(default)]
    pub sqn: u64,
    #[serde(default)]
    pub akav2: bool,
}

fn default_addr() -> IpAddr {
    IpAddr::from([127, 0, 0, 1])
}
fn p5060() -> u16 {
    5060
}
fn p5062() -> u16 {
    5062
}
fn p5064() -> u16 {
    5064
}
fn p4500() -> u16 {
    4500
}
fn p6060() -> u16 {
    6060
}
fn p6061() -> u16 {
    6061
}
fn default_realm() -> String {
    "imsec.test".into()
}
fn default_amf() -> String {
    "8000".into()
}
fn default_modes() -> Vec<String> {
    vec!["trans".into(), "UDP-enc-tun".into()]
}
fn default_subs() -> Vec<SubscriberConfig> {
    vec![SubscriberConfig {
        impi: "user@imsec.test".into(),
        impus: vec!["sip:user@imsec.test".into()],
        k: crate::hexarg::encode(&crate::lab::DEFAULT_K),
        op: None,
        opc: Some(crate::hexarg::encode(&crate::lab::DEFAULT_OPC)),
        amf: default_amf(),
        sqn: 0x20,
        akav2: false,
    }]
}

fn subscriber(s: &SubscriberConfig) -> Result<Subscriber, String> {
    let k = crate::hexarg::decode_fixed::<16>(&s.k).map_err(|e| format!("{}: k: {e}", s.impi))?;
    let opc = match (&s.op, &s.opc) {
        (Some(op), None) => opc_from_op(
            &k,
            &crate::hexarg::decode_fixed::<16>(op).map_err(|e| format!("{}: op: {e}", s.impi))?,
        ),
        (None, Some(opc)) => {
            crate::hexarg::decode_fixed::<16>(opc).map_err(|e| format!("{}: opc: {e}", s.impi))?
        }
        _ => return Err(format!("{}: give exactly one of op and opc", s.impi)),
    };
    let amf =
        crate::hexarg::decode_fixed::<2>(&s.amf).map_err(|e| format!("{}: amf: {e}", s.impi))?;
    Ok(Subscriber {
        impi: s.impi.clone(),
        impus: s.impus.clone(),
        k,
        opc,
        amf,
        sqn: s.sqn,
        algorithm: if s.akav2 {
            AkaAlgorithm::AkaV2Md5
        } else {
            AkaAlgorithm::AkaV1Md5
        },
    })
}

/// Turns a config into the P-CSCF and S-CSCF configurations.
pub fn build(c: &ServeConfig) -> Result<(PcscfConfig, SubscriberStore, SocketAddr), String> {
    let scscf_addr = c.scscf.unwrap_or(SocketAddr::new(c.addr, c.scscf_port));
    let mut p = PcscfConfig::on(c.addr, scscf_addr);
    p.unprotected_port = c.unprotected_port;
    p.port_pc = c.port_pc;
    p.port_ps = c.port_ps;
    p.encap_port = c.encap_port;
    p.core_port = c.core_port;
    p.modes = c
        .modes
        .iter()
        .map(|m| match m.as_str() {
            "trans" => Ok(IpsecMode::Transport),
            "UDP-enc-tun" => Ok(IpsecMode::UdpEncTunnel),
            o => Err(format!("modes: '{o}' is not trans or UDP-enc-tun")),
        })
        .collect::<Result<_, _>>()?;
    if !c.preference.is_empty() {
        let mut pref = Vec::new();
        for s in &c.preference {
            let (a, e) = s
                .split_once('/')
                .ok_or_else(|| format!("preference: '{s}' is not alg/ealg"))?;
            let a: IntegAlg = a.parse().map_err(|e| format!("preference: {e}"))?;
            let e: EncAlg = e.parse().map_err(|e| format!("preference: {e}"))?;
            crate::mech::algorithms::check_pair(a, e)
                .map_err(|e| format!("preference '{s}': {e}"))?;
            pref.push((a, e));
        }
        p.policy = AlgPolicy {
            preference: pref,
            require_confidentiality: c.require_confidentiality,
        };
    } else {
        p.policy.require_confidentiality = c.require_confidentiality;
    }
    for f in &c.flaws {
        p.flaws.insert(f.parse::<Flaw>()?);
    }
    p.tls.enabled = c.tls.is_some();
    if let Some(t) = &c.tls {
        p.tls.sips_port = t.sips_port;
    }
    let subs = c
        .subscribers
        .iter()
        .map(subscriber)
        .collect::<Result<Vec<_>, _>>()?;
    Ok((p, SubscriberStore::new(subs), scscf_addr))
}

pub fn run(cmd: ServeCmd) -> Result<u8, UsageError> {
    let ServeCmd::Pcscf(a) = cmd;
    let cfg: ServeConfig = match &a.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| UsageError(format!("{}: {e}", path.display())))?;
            serde_yaml_ng::from_str(&text)
                .map_err(|e| UsageError(format!("{}: {e}", path.display())))?
        }
        None => serde_yaml_ng::from_str("{}").map_err(|e| UsageError(e.to_string()))?,
    };
    let (pcfg, store, scscf_addr) = build(&cfg).map_err(UsageError)?;
    let scscf = Scscf::new(
        ScscfConfig {
            realm: cfg.realm.clone(),
            ..ScscfConfig::default()
        },
        store,
        os_rand(),
    );
    let mut scscf = match cfg.scscf {
        Some(_) => None,
        None => Some(spawn(scscf, &[scscf_addr], &[]).map_err(|e| UsageError(e.to_string()))?),
    };
    let pcscf = Pcscf::new(pcfg.clone(), os_rand(), os_rand());
    let raw = if pcfg.modes.contains(&IpsecMode::Transport) {
        vec![pcfg.addr]
    } else {
        vec![]
    };
    let binds = pcscf.udp_bindings();
    // SIP over TCP on the unprotected port too (RFC 3261 §18.2.1); inside the SAs the
    // P-CSCF's own TCP stack accepts on port-s.
    let tcp = [SocketAddr::new(pcfg.addr, pcfg.unprotected_port)];
    let mut set = crate::net::sockets::SocketSet::new();
    if let Some(t) = &cfg.tls {
        set.set_tls(tls_setup(&cfg, t, &pcfg.flaws).map_err(UsageError)?);
        if let Some(a) = pcscf.tls_listen() {
            set.listen_tls(a).map_err(|e| UsageError(e.to_string()))?;
        }
    }
    // The gateway's MSRP relay (TLS towards the UE, TCP towards the core): net::msrp_relay.
    let _msrp_relay = match pcscf.agw.relay_spec() {
        Some(spec) => Some(
            crate::net::msrp_relay::MsrpRelay::start(spec)
                .map_err(|e| UsageError(e.to_string()))?,
        ),
        None => None,
    };
    let mut pcscf = crate::net::node::spawn_prepared(pcscf, set, &binds, &raw, &tcp)
        .map_err(|e| UsageError(e.to_string()))?;
    eprintln!(
        "imsec P-CSCF on {} (unprotected {} UDP+TCP, port-c {}, port-s {}, encap {}), S-CSCF on {}",
        pcfg.addr, pcfg.unprotected_port, pcfg.port_pc, pcfg.port_ps, pcfg.encap_port, scscf_addr
    );
    let start = Instant::now();
    let mut shown = 0;
    loop {
        std::thread::sleep(Duration::from_millis(100));
        if let Ok(g) = pcscf.node.lock() {
            for line in g.log.iter().skip(shown) {
                println!("{line}");
            }
            shown = g.log.len();
        }
        if a.duration
            .is_some_and(|d| start.elapsed() >= Duration::from_secs(d))
        {
            break;
        }
    }
    pcscf.stop();
    if let Some(s) = &mut scscf {
        s.stop();
    }
    Ok(super::EXIT_OK)
}
