//! SUT profiles: `builtin` (the reference P-CSCF in this process, on loopback), `builtin:<flaw>`
//! (a flawed variant), or a YAML file describing a real deployment (docs/sut-profile.md):
//!
//! ```yaml
//! name: vendor-x lab P-CSCF
//! topology: pcscf                 # harness = UE + S-CSCF (default); or core
//! pcscf: 192.0.2.10:5060          # unprotected SIP address of the P-CSCF
//! encap_port: 4500                # its UDP encapsulation port (UDP-enc-tun)
//! scscf_listen: 192.0.2.1:5060    # where the harness S-CSCF listens (the P-CSCF's next hop)
//! ue_addr: 192.0.2.1              # the harness UE's address
//! realm: ims.example.net
//! mode: UDP-enc-tun               # or trans (raw sockets: root or CAP_NET_RAW)
//! transport: udp                  # or tcp: SIP over TCP, unprotected and inside the SAs
//! offers: [hmac-sha-1-96/aes-cbc, null/aes-gcm, hmac-sha-1-96/null]
//! confidentiality_required: true  # the P-CSCF's policy forbids ealg=null
//! timeout_ms: 3000
//! subscriber: { k: <hex>, opc: <hex> }   # redacted in reports
//! ```

use super::case::Topology;
use crate::lab::LabOptions;
use crate::mech::algorithms::{check_pair, EncAlg, IntegAlg};
use crate::mech::secagree::ipsec::IpsecMode;
use crate::roles::pcscf::Flaws;
use crate::roles::SipTransport;
use serde::Deserialize;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::time::Duration;

/// Where the P-CSCF under test is.
#[derive(Debug, Clone)]
pub enum SutKind {
    /// The reference P-CSCF in this process, with these flaws.
    Builtin(Flaws),
    /// A P-CSCF elsewhere.
    External {
        pcscf: SocketAddr,
        encap_port: u16,
        scscf_listen: SocketAddr,
        ue_addr: IpAddr,
        realm: String,
    },
    /// A security gateway (Za, TS 33.210): the cases of `engine::za`.
    Seg(super::za::SegSut),
    /// A TLS endpoint (TS 33.203 Annex O): the cases of `engine::tls`.
    Tls(super::tls::TlsSut),
}

/// A resolved SUT profile.
#[derive(Debug, Clone)]
pub struct Sut {
    pub name: String,
    pub topology: Topology,
    pub kind: SutKind,
    pub mode: IpsecMode,
    /// SIP transport of the cases that do not name one.
    pub transport: SipTransport,
    pub offers: Vec<(IntegAlg, EncAlg)>,
    pub confidentiality_required: bool,
    /// The P-CSCF acts as IMS-ALG for e2ae media security (TS 33.328 §7): the media cases
    /// apply, and the harness UE indicates `mediasec` at registration. Builtin: true.
    pub e2ae_media: bool,
    /// An external P-CSCF negotiating the `tls` sec-agree mechanism (profile `tls:` block;
    /// engine::tlsagree). The built-in one always does, with its own lab PKI.
    pub tls_agree: Option<super::tlsagree::profile::TlsAgreeSut>,
    pub timeout: Duration,
    /// The profile as given, for the report (keys redacted there).
    pub raw: serde_json::Value,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Profile {
    name: String,
    #[serde(default = "pcscf_topology")]
    topology: Topology,
    pcscf: SocketAddr,
    #[serde(default = "encap")]
    encap_port: u16,
    scscf_listen: SocketAddr,
    ue_addr: IpAddr,
    #[serde(default = "realm")]
    realm: String,
    #[serde(default = "udp_enc")]
    mode: String,
    #[serde(default)]
    transport: SipTransport,
    #[serde(default)]
    offers: Vec<String>,
    #[serde(default)]
    confidentiality_required: bool,
    #[serde(default)]
    e2ae_media: bool,
    #[serde(default)]
    tls: Option<super::tlsagree::profile::TlsAgreeProfile>,
    #[serde(default = "timeout")]
    timeout_ms: u64,
    #[serde(default)]
    subscriber: Option<serde_yaml_ng::Value>,
}

fn pcscf_topology() -> Topology {
    Topology::Pcscf
}
fn encap() -> u16 {
    crate::mech::esp::encap::NAT_T_PORT
}
fn realm() -> String {
    "imsec.test".into()
}
fn udp_enc() -> String {
    "UDP-enc-tun".into()
}
fn timeout() -> u64 {
    3000
}

fn parse_mode(s: &str) -> Result<IpsecMode, String> {
    match s {
        "UDP-enc-tun" | "udp-enc-tun" => Ok(IpsecMode::UdpEncTunnel),
        "trans" => Ok(IpsecMode::Transport),
        o => Err(format!("mode: '{o}' is not trans or UDP-enc-tun")),
    }
}

fn parse_offers(list: &[String]) -> Result<Vec<(IntegAlg, EncAlg)>, String> {
    if list.is_empty() {
        return Ok(LabOptions::default().offers);
    }
    list.iter()
        .map(|o| {
            let (a, e) = o
                .split_once('/')
                .ok_or_else(|| format!("offers: '{o}' is not alg/ealg"))?;
            let a: IntegAlg = a.parse().map_err(|e| format!("offers: {e}"))?;
            let e: EncAlg = e.parse().map_err(|e| format!("offers: {e}"))?;
            check_pair(a, e).map_err(|e| format!("offers '{o}': {e}"))?;
            Ok((a, e))
        })
        .collect()
}

/// The flaws of a built-in SUT spec `<prefix>` or `<prefix>:<flaw>[,<flaw>…]`; `None` when
/// `spec` is not that built-in. One parser for the P-CSCF, SEG and TLS built-ins.
pub fn builtin_flaws<F: std::str::FromStr<Err = String> + Ord>(
    spec: &str,
    prefix: &str,
) -> Option<Result<std::collections::BTreeSet<F>, String>> {
    let rest = spec.strip_prefix(prefix)?;
    match rest.strip_prefix(':') {
        Some(list) => Some(list.split(',').map(str::parse).collect()),
        None if rest.is_empty() => Some(Ok(Default::default())),
        None => None,
    }
}

/// Resolves `--sut`: `builtin`, `builtin:<flaw>[,<flaw>]`, or a profile file.
pub fn resolve(spec: &str, mode: Option<IpsecMode>) -> Result<Sut, String> {
    if let Some(t) = super::tls::profile::builtin(spec) {
        return Ok(tls_sut(
            spec.into(),
            t?,
            3000,
            serde_json::json!({ "builtin": spec }),
        ));
    }
    if let Some(seg) = super::za::profile::builtin(spec) {
        return Ok(seg_sut(
            spec.into(),
            seg?,
            3000,
            serde_json::json!({ "builtin": spec }),
        ));
    }
    if spec.starts_with("builtin") {
        let flaws: Flaws = builtin_flaws(spec, "builtin")
            .ok_or_else(|| format!("--sut: '{spec}' is neither builtin[:flaw] nor a file"))??;
        let mode = mode.unwrap_or(IpsecMode::UdpEncTunnel);
        return Ok(Sut {
            name: spec.to_string(),
            topology: Topology::Pcscf,
            kind: SutKind::Builtin(flaws),
            mode,
            transport: SipTransport::Udp,
            offers: LabOptions::default().offers,
            // The reference P-CSCF puts every ealg=null pair after every encrypting one
            // (roles/pcscf/policy.rs): whenever the UE offers encryption it gets it, so it is
            // judged as a P-CSCF whose policy requires confidentiality (TS 33.203 M.6.2).
            confidentiality_required: true,
            e2ae_media: true,
            tls_agree: None,
            timeout: Duration::from_millis(3000),
            raw: serde_json::json!({ "builtin": spec, "mode": mode.token() }),
        });
    }
    let path = Path::new(spec);
    let text = std::fs::read_to_string(path).map_err(|e| format!("{spec}: {e}"))?;
    if serde_yaml_ng::from_str::<serde_yaml_ng::Value>(&text)
        .ok()
        .and_then(|v| v.get("kind").and_then(|k| k.as_str().map(|s| s == "seg")))
        .unwrap_or(false)
    {
        let (name, seg, ms, raw) =
            super::za::profile::from_yaml(&text).map_err(|e| format!("{spec}: {e}"))?;
        return Ok(seg_sut(name, seg, ms, raw));
    }
    if super::tls::profile::is_tls_profile(&text) {
        let (name, t, ms, raw) =
            super::tls::profile::from_yaml(&text, path).map_err(|e| format!("{spec}: {e}"))?;
        return Ok(tls_sut(name, t, ms, raw));
    }
    let p: Profile = serde_yaml_ng::from_str(&text).map_err(|e| format!("{spec}: {e}"))?;
    let mut raw: serde_json::Value =
        serde_yaml_ng::from_str(&text).map_err(|e| format!("{spec}: {e}"))?;
    if let Some(obj) = raw.as_object_mut() {
        if obj.contains_key("subscriber") {
            obj.insert("subscriber".into(), serde_json::json!("<redacted>"));
        }
    }
    let _ = p.subscriber;
    let file_mode = parse_mode(&p.mode).map_err(|e| format!("{spec}: {e}"))?;
    Ok(Sut {
        name: p.name,
        topology: p.topology,
        kind: SutKind::External {
            pcscf: p.pcscf,
            encap_port: p.encap_port,
            scscf_listen: p.scscf_listen,
            ue_addr: p.ue_addr,
            realm: p.realm,
        },
        mode: mode.unwrap_or(file_mode),
        transport: p.transport,
        offers: parse_offers(&p.offers).map_err(|e| format!("{spec}: {e}"))?,
        confidentiality_required: p.confidentiality_required,
        e2ae_media: p.e2ae_media,
        tls_agree: p
            .tls
            .as_ref()
            .map(|t| t.resolve(path.parent().unwrap_or(Path::new("."))))
            .transpose()
            .map_err(|e| format!("{spec}: {e}"))?,
        timeout: Duration::from_millis(p.timeout_ms),
        raw,
    })
}

/// A SEG SUT (the P-CSCF fields keep their defaults: no SIP case applies to it).
fn seg_sut(name: String, seg: super::za::SegSut, timeout_ms: u64, raw: serde_json::Value) -> Sut {
    Sut {
        name,
        topology: Topology::Seg,
        kind: SutKind::Seg(seg),
        mode: IpsecMode::UdpEncTunnel,
        transport: SipTransport::Udp,
        offers: Vec::new(),
        confidentiality_required: true,
        e2ae_media: false,
        tls_agree: None,
        timeout: Duration::from_millis(timeout_ms),
        raw,
    }
}

/// A TLS endpoint SUT (the P-CSCF fields keep their defaults: no SIP case applies to it).
fn tls_sut(name: String, t: super::tls::TlsSut, timeout_ms: u64, raw: serde_json::Value) -> Sut {
    Sut {
        name,
        topology: Topology::Tls,
        kind: SutKind::Tls(t),
        mode: IpsecMode::UdpEncTunnel,
        transport: SipTransport::Tcp,
        offers: Vec::new(),
        confidentiality_required: true,
        e2ae_media: false,
        tls_agree: None,
        timeout: Duration::from_millis(timeout_ms),
        raw,
    }
}
