//! `imsec keys --ik HEX --ck HEX --alg NAME [--ealg NAME] [--json]`: TS 33.203 Annex I key
//! expansion of the IMS AKA CK/IK into the ESP keys of the negotiated algorithms.

use super::{print_json, UsageError, EXIT_OK};
use crate::hexarg;
use crate::mech::algorithms::{EncAlg, IntegAlg};
use crate::mech::keys::{self, EspKeys, SaltKind};
use clap::Args;

#[derive(Args, Debug)]
pub struct KeysArgs {
    /// IK_IM: the 128-bit AKA integrity key (32 hex digits).
    #[arg(long, value_parser = hexarg::hex16)]
    pub ik: [u8; 16],
    /// CK_IM: the 128-bit AKA cipher key (32 hex digits).
    #[arg(long, value_parser = hexarg::hex16)]
    pub ck: [u8; 16],
    /// Integrity algorithm (sec-agree `alg`): hmac-md5-96, hmac-sha-1-96, aes-gmac, null.
    #[arg(long)]
    pub alg: IntegAlg,
    /// Encryption algorithm (sec-agree `ealg`): null, des-ede3-cbc, aes-cbc, aes-gcm.
    /// Absent `ealg` means null in sec-agree, and here.
    #[arg(long, default_value = "null")]
    pub ealg: EncAlg,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(serde::Serialize)]
struct Output<'a> {
    alg: &'a str,
    ealg: &'a str,
    ik_esp: String,
    ck_esp: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    salt: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    salt_kind: Option<SaltKind>,
    /// Key || salt as RFC 4106/4543 implementations (Linux xfrm) take it.
    #[serde(skip_serializing_if = "Option::is_none")]
    keymat: Option<String>,
}

fn output(a: &KeysArgs, k: &EspKeys) -> Output<'static> {
    let salt_kind = EspKeys::salt_kind(a.alg, a.ealg).filter(|_| k.salt.is_some());
    let keymat = match salt_kind {
        Some(SaltKind::AesGmac) => Some(hexarg::encode(&k.integ_keymat(a.alg))),
        Some(SaltKind::AesGcm) => Some(hexarg::encode(&k.enc_keymat(a.ealg))),
        None => None,
    };
    Output {
        alg: a.alg.name(),
        ealg: a.ealg.name(),
        ik_esp: hexarg::encode(&k.ik_esp),
        ck_esp: hexarg::encode(&k.ck_esp),
        salt: k.salt.map(|s| hexarg::encode(&s)),
        salt_kind,
        keymat,
    }
}

pub fn run(a: KeysArgs) -> Result<u8, UsageError> {
    let k = keys::expand(&a.ck, &a.ik, a.alg, a.ealg)?;
    let o = output(&a, &k);
    if a.json {
        print_json(&o)?;
    } else {
        println!("ik_esp: {}", o.ik_esp);
        println!("ck_esp: {}", o.ck_esp);
        if let Some(s) = &o.salt {
            println!("salt:   {s}");
        }
        if let Some(m) = &o.keymat {
            println!("keymat: {m}");
        }
    }
    Ok(EXIT_OK)
}
