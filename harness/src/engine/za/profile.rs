//! SEG SUT profiles: `builtin:seg`, `builtin:seg:<flaw>[,<flaw>]`, or a YAML file with
//! `kind: seg` (docs/sut-profile.md, "Security gateway"):
//!
//! ```yaml
//! kind: seg
//! name: strongSwan SEG (lab)
//! seg: 10.77.0.2                 # the SEG (IKE on ike_port, NAT-T on natt_port)
//! harness: 10.77.0.1             # the harness: initiator source, responder address
//! psk: za-lab-secret             # redacted in reports
//! harness_id: harness.za.test    # IDi / IDr of the harness
//! initiate_command: swanctl --initiate --child za --uri unix:///run/x/charon.vici
//! timeout_ms: 8000
//! ```

use crate::roles::ike::seg::SegFlaws;
use serde::Deserialize;
use std::net::{IpAddr, SocketAddr};

/// Where the SEG under test is and how to talk to it.
#[derive(Debug, Clone)]
pub enum SegTarget {
    /// The built-in reference SEG, in this process, on loopback.
    Builtin(SegFlaws),
    External {
        seg: SocketAddr,
        natt_port: u16,
        harness: IpAddr,
        harness_ike_port: u16,
        harness_natt_port: u16,
        /// Run (through `sh -c`) to make the SEG initiate towards the harness.
        initiate_command: Option<String>,
    },
}

/// A SEG SUT.
#[derive(Debug, Clone)]
pub struct SegSut {
    pub target: SegTarget,
    pub psk: Vec<u8>,
    pub harness_id: String,
    /// IKE proposals the harness offers unless a step names its own.
    pub ike_proposals: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[allow(dead_code)]
    kind: String,
    name: String,
    seg: IpAddr,
    #[serde(default = "p500")]
    ike_port: u16,
    #[serde(default = "p4500")]
    natt_port: u16,
    harness: IpAddr,
    #[serde(default = "p500")]
    harness_ike_port: u16,
    #[serde(default = "p4500")]
    harness_natt_port: u16,
    psk: String,
    #[serde(default = "hid")]
    harness_id: String,
    #[serde(default)]
    ike_proposals: Vec<String>,
    #[serde(default)]
    initiate_command: Option<String>,
    #[serde(default = "tmo")]
    timeout_ms: u64,
}

fn p500() -> u16 {
    500
}
fn p4500() -> u16 {
    4500
}
fn hid() -> String {
    "harness.imsec.test".into()
}
fn tmo() -> u64 {
    8000
}

/// Default IKE proposals of the harness.
pub fn default_ike() -> Vec<String> {
    vec![
        "aes128-sha256-modp2048".into(),
        "aes128-sha256-curve25519".into(),
        "aes128-sha256-ecp256".into(),
        "aes128-sha1-modp2048".into(),
    ]
}

/// `builtin:seg[:flaw,...]` → the built-in SEG, or `None` when `spec` is not one.
pub fn builtin(spec: &str) -> Option<Result<SegSut, String>> {
    let flaws: SegFlaws = match crate::engine::sut::builtin_flaws(spec, "builtin:seg")? {
        Ok(f) => f,
        Err(e) => return Some(Err(e)),
    };
    Some(Ok(SegSut {
        target: SegTarget::Builtin(flaws),
        psk: crate::roles::ike::seg::BUILTIN_PSK.to_vec(),
        harness_id: hid(),
        ike_proposals: default_ike(),
    }))
}

/// A `kind: seg` profile file: (name, SUT, timeout ms, the profile for the report with the
/// PSK redacted).
pub fn from_yaml(text: &str) -> Result<(String, SegSut, u64, serde_json::Value), String> {
    let f: File = serde_yaml_ng::from_str(text).map_err(|e| e.to_string())?;
    for p in &f.ike_proposals {
        crate::roles::ike::proposal::parse(p, crate::mech::ikev2::consts::proto::IKE)?;
    }
    let mut raw: serde_json::Value = serde_yaml_ng::from_str(text).map_err(|e| e.to_string())?;
    if let Some(o) = raw.as_object_mut() {
        o.insert("psk".into(), serde_json::json!("<redacted>"));
    }
    Ok((
        f.name,
        SegSut {
            target: SegTarget::External {
                seg: SocketAddr::new(f.seg, f.ike_port),
                natt_port: f.natt_port,
                harness: f.harness,
                harness_ike_port: f.harness_ike_port,
                harness_natt_port: f.harness_natt_port,
                initiate_command: f.initiate_command,
            },
            psk: f.psk.into_bytes(),
            harness_id: f.harness_id,
            ike_proposals: if f.ike_proposals.is_empty() {
                default_ike()
            } else {
                f.ike_proposals
            },
        },
        f.timeout_ms,
        raw,
    ))
}
