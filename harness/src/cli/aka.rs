//! `imsec aka vector|resync|digest`: IMS AKA helpers (TS 33.102 §6.3 with Milenage,
//! RFC 3310 / RFC 4169 Digest AKA).

use super::{print_json, UsageError, EXIT_FAIL, EXIT_OK};
use crate::hexarg;
use crate::mech::aka::{self, Auts};
use crate::mech::digest::{self, AkaAlgorithm, AkaNonce, DigestInput, Qop};
use crate::mech::milenage::Milenage;
use clap::{Args, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct AkaArgs {
    #[command(subcommand)]
    pub cmd: AkaCmd,
}

#[derive(Subcommand, Debug)]
pub enum AkaCmd {
    /// Network side: Milenage authentication vector (RAND, XRES, CK, IK, AK, AUTN) for K, OP/OPc,
    /// SQN, AMF and a given RAND (TS 33.102 §6.3.2).
    Vector(VectorArgs),
    /// Network side: recover SQN_MS from AUTS and verify MAC-S (TS 33.102 §6.3.5).
    /// Exit code 1 when MAC-S does not verify (the output is still printed).
    Resync(ResyncArgs),
    /// Digest response for AKAv1-MD5 (RFC 3310) or AKAv2-MD5 (RFC 4169), RFC 2617 computation.
    Digest(DigestArgs),
}

/// The subscriber: K and exactly one of OP or OPc.
#[derive(Args, Debug)]
#[group(required = true, multiple = false)]
pub struct OpArgs {
    /// Operator variant OP (32 hex digits); OPc is derived as OP ⊕ E_K(OP).
    #[arg(long, value_parser = hexarg::hex16)]
    pub op: Option<[u8; 16]>,
    /// OPc (32 hex digits).
    #[arg(long, value_parser = hexarg::hex16)]
    pub opc: Option<[u8; 16]>,
}

impl OpArgs {
    fn milenage(&self, k: &[u8; 16]) -> Result<Milenage, UsageError> {
        match (&self.op, &self.opc) {
            (Some(op), _) => Ok(Milenage::with_op(k, op)),
            (None, Some(opc)) => Ok(Milenage::new(k, opc)),
            (None, None) => Err(UsageError("one of --op or --opc is required".into())),
        }
    }
}

#[derive(Args, Debug)]
pub struct VectorArgs {
    /// Subscriber key K (32 hex digits).
    #[arg(long, value_parser = hexarg::hex16)]
    pub k: [u8; 16],
    #[command(flatten)]
    pub op: OpArgs,
    /// RAND (32 hex digits).
    #[arg(long, value_parser = hexarg::hex16)]
    pub rand: [u8; 16],
    /// SQN (12 hex digits).
    #[arg(long, value_parser = hexarg::hex6)]
    pub sqn: [u8; 6],
    /// AMF (4 hex digits).
    #[arg(long, value_parser = hexarg::hex2)]
    pub amf: [u8; 2],
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct ResyncArgs {
    /// Subscriber key K (32 hex digits).
    #[arg(long, value_parser = hexarg::hex16)]
    pub k: [u8; 16],
    #[command(flatten)]
    pub op: OpArgs,
    /// RAND of the challenge the UE rejected (32 hex digits).
    #[arg(long, value_parser = hexarg::hex16)]
    pub rand: [u8; 16],
    /// AUTS from the UE (28 hex digits).
    #[arg(long, value_parser = hexarg::hex14)]
    pub auts: [u8; 14],
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Digest AKA algorithm names (case-insensitive).
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AlgArg {
    #[value(name = "AKAv1-MD5")]
    AkaV1Md5,
    #[value(name = "AKAv2-MD5")]
    AkaV2Md5,
}

/// RFC 2617 qop values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum QopArg {
    #[value(name = "auth")]
    Auth,
    #[value(name = "auth-int")]
    AuthInt,
}

/// Hex of any length as one argument value (a bare `Vec<u8>` would make clap take many values).
#[derive(Debug, Clone)]
pub struct HexBytes(pub Vec<u8>);

fn hex_bytes(s: &str) -> Result<HexBytes, String> {
    hexarg::any(s).map(HexBytes)
}

/// clap value parser: `nc` is exactly 8 hex digits (RFC 2617 §3.2.2).
fn nc8(s: &str) -> Result<String, String> {
    if s.len() == 8 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(s.to_string())
    } else {
        Err("nc must be exactly 8 hex digits".into())
    }
}

#[derive(Args, Debug)]
pub struct DigestArgs {
    /// RES as hex (the AKA response). An empty value ("") means a synchronisation failure:
    /// the response is computed with an empty password (RFC 3310 §3.4), for either algorithm.
    #[arg(long, value_parser = hex_bytes)]
    pub res: HexBytes,
    /// Digest username (the IMPI).
    #[arg(long)]
    pub username: String,
    /// Digest realm.
    #[arg(long)]
    pub realm: String,
    /// The nonce exactly as the server sent it (base64 of RAND ‖ AUTN ‖ data).
    #[arg(long)]
    pub nonce: String,
    /// SIP method, e.g. REGISTER.
    #[arg(long)]
    pub method: String,
    /// Digest-uri, e.g. sip:ims.example.net.
    #[arg(long)]
    pub uri: String,
    /// AKAv1-MD5 (password = RES) or AKAv2-MD5 (password from RES, IK, CK; needs --ik, --ck).
    #[arg(long, value_enum, ignore_case = true, default_value = "AKAv1-MD5")]
    pub algorithm: AlgArg,
    /// IK (32 hex digits), for AKAv2-MD5.
    #[arg(long, value_parser = hexarg::hex16)]
    pub ik: Option<[u8; 16]>,
    /// CK (32 hex digits), for AKAv2-MD5.
    #[arg(long, value_parser = hexarg::hex16)]
    pub ck: Option<[u8; 16]>,
    /// qop; without it the RFC 2069-compatible response is computed.
    #[arg(long, value_enum, requires_all = ["nc", "cnonce"])]
    pub qop: Option<QopArg>,
    /// Nonce count (8 hex digits), with --qop.
    #[arg(long, value_parser = nc8, requires = "qop")]
    pub nc: Option<String>,
    /// Client nonce, with --qop.
    #[arg(long, requires = "qop")]
    pub cnonce: Option<String>,
    /// File holding the message body, for --qop auth-int (default: empty body).
    #[arg(long, requires = "qop")]
    pub body_file: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Prints `name: value` lines with the values aligned.
fn print_text(rows: &[(&str, String)]) {
    let w = rows.iter().map(|(n, _)| n.len()).max().unwrap_or(0) + 1;
    for (n, v) in rows {
        println!("{:<w$} {v}", format!("{n}:"));
    }
}

#[derive(serde::Serialize)]
struct VectorOut {
    opc: String,
    mac_a: String,
    mac_s: String,
    res: String,
    ck: String,
    ik: String,
    ak: String,
    ak_star: String,
    autn: String,
    /// The Digest AKA nonce base64(RAND ‖ AUTN) (RFC 3310 §3.2).
    nonce: String,
}

fn run_vector(a: VectorArgs) -> Result<u8, UsageError> {
    let m = a.op.milenage(&a.k)?;
    let av = aka::generate_vector(&m, &a.sqn, &a.amf, &a.rand);
    let h = hexarg::encode;
    let o = VectorOut {
        opc: h(&m.opc()),
        mac_a: h(&av.mac_a),
        mac_s: h(&m.f1star(&a.rand, &a.sqn, &a.amf)),
        res: h(&av.xres),
        ck: h(&av.ck),
        ik: h(&av.ik),
        ak: h(&av.ak),
        ak_star: h(&m.f5star(&a.rand)),
        autn: h(&av.autn.to_bytes()),
        nonce: AkaNonce {
            rand: a.rand,
            autn: av.autn.to_bytes(),
            server_data: Vec::new(),
        }
        .encode(),
    };
    if a.json {
        print_json(&o)?;
    } else {
        print_text(&[
            ("opc", o.opc),
            ("mac_a", o.mac_a),
            ("mac_s", o.mac_s),
            ("res", o.res),
            ("ck", o.ck),
            ("ik", o.ik),
            ("ak", o.ak),
            ("ak_star", o.ak_star),
            ("autn", o.autn),
            ("nonce", o.nonce),
        ]);
    }
    Ok(EXIT_OK)
}

fn run_resync(a: ResyncArgs) -> Result<u8, UsageError> {
    let m = a.op.milenage(&a.k)?;
    let r = aka::network_resync(&m, &a.rand, &Auts::from_bytes(&a.auts));
    let sqn_ms = hexarg::encode(&r.sqn_ms);
    if a.json {
        print_json(&serde_json::json!({ "sqn_ms": sqn_ms, "mac_s_ok": r.mac_s_ok }))?;
    } else {
        print_text(&[("sqn_ms", sqn_ms), ("mac_s_ok", r.mac_s_ok.to_string())]);
    }
    Ok(if r.mac_s_ok { EXIT_OK } else { EXIT_FAIL })
}

#[derive(serde::Serialize)]
struct DigestOut {
    algorithm: &'static str,
    response: String,
    ha1: String,
    ha2: String,
    /// The Digest password as text, for AKAv2 (the base64 PRF output); absent for AKAv1.
    #[serde(skip_serializing_if = "Option::is_none")]
    password: Option<String>,
    resync: bool,
}

fn run_digest(a: DigestArgs) -> Result<u8, UsageError> {
    let alg = match a.algorithm {
        AlgArg::AkaV1Md5 => AkaAlgorithm::AkaV1Md5,
        AlgArg::AkaV2Md5 => AkaAlgorithm::AkaV2Md5,
    };
    let resync = a.res.0.is_empty();
    let password = if resync {
        digest::resync_password()
    } else {
        digest::password(alg, &a.res.0, a.ik.as_ref(), a.ck.as_ref()).ok_or_else(|| {
            UsageError(
                "--algorithm AKAv2-MD5 needs --ik and --ck (IK and CK, 32 hex digits each)".into(),
            )
        })?
    };
    let body = match (&a.body_file, a.qop) {
        (Some(p), Some(QopArg::AuthInt)) => {
            std::fs::read(p).map_err(|e| UsageError(format!("--body-file {}: {e}", p.display())))?
        }
        (Some(_), _) => {
            return Err(UsageError(
                "--body-file applies only to --qop auth-int".into(),
            ))
        }
        (None, _) => Vec::new(),
    };
    let nc = a.nc.as_deref().unwrap_or_default();
    let cnonce = a.cnonce.as_deref().unwrap_or_default();
    let qop = match a.qop {
        None => Qop::None,
        Some(QopArg::Auth) => Qop::Auth { nc, cnonce },
        Some(QopArg::AuthInt) => Qop::AuthInt {
            nc,
            cnonce,
            body: &body,
        },
    };
    let d = digest::response(
        &password,
        &DigestInput {
            username: &a.username,
            realm: &a.realm,
            nonce: &a.nonce,
            method: &a.method,
            uri: &a.uri,
            qop,
        },
    );
    let o = DigestOut {
        algorithm: alg.name(),
        response: d.response,
        ha1: d.ha1,
        ha2: d.ha2,
        password: (alg == AkaAlgorithm::AkaV2Md5 && !resync)
            .then(|| String::from_utf8_lossy(&password).into_owned()),
        resync,
    };
    if a.json {
        print_json(&o)?;
    } else {
        let mut rows = vec![
            ("algorithm", o.algorithm.to_string()),
            ("response", o.response),
            ("ha1", o.ha1),
            ("ha2", o.ha2),
        ];
        if let Some(p) = o.password {
            rows.push(("password", p));
        }
        rows.push(("resync", o.resync.to_string()));
        print_text(&rows);
    }
    Ok(EXIT_OK)
}

pub fn run(a: AkaArgs) -> Result<u8, UsageError> {
    match a.cmd {
        AkaCmd::Vector(v) => run_vector(v),
        AkaCmd::Resync(r) => run_resync(r),
        AkaCmd::Digest(d) => run_digest(d),
    }
}
