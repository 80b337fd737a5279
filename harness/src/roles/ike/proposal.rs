//! Proposal strings in the strongSwan manner (`aes128-sha256-modp2048`, `aes128gcm16`,
//! `null-sha1`) to RFC 7296 §3.3 proposals, for case files and SUT profiles.

use crate::mech::ikev2::consts::{dh, encr, integ, prf, proto, ttype};
use crate::mech::ikev2::{Proposal, Transform};

/// Parses one proposal for `protocol` (IKE or ESP). IKE proposals get a PRF from the
/// integrity algorithm unless one is named (`prfsha256`); ESP proposals get "no ESN" unless
/// `esn` is named (RFC 7296 §3.3.3: ESN is mandatory for ESP).
pub fn parse(s: &str, protocol: u8) -> Result<Proposal, String> {
    let mut t: Vec<Transform> = Vec::new();
    let mut prf_seen = false;
    let mut esn_seen = false;
    let mut implied_prf: Option<u16> = None;
    for tok in s.split('-').map(str::trim).filter(|x| !x.is_empty()) {
        let tok = tok.to_ascii_lowercase();
        match tok.as_str() {
            "null" => t.push(Transform::new(ttype::ENCR, encr::NULL)),
            "aes128" => t.push(Transform::with_key_len(ttype::ENCR, encr::AES_CBC, 128)),
            "aes256" => t.push(Transform::with_key_len(ttype::ENCR, encr::AES_CBC, 256)),
            "aes128gcm16" => t.push(Transform::with_key_len(ttype::ENCR, encr::AES_GCM_16, 128)),
            "aes256gcm16" => t.push(Transform::with_key_len(ttype::ENCR, encr::AES_GCM_16, 256)),
            "aes128gmac" => t.push(Transform::with_key_len(
                ttype::ENCR,
                encr::NULL_AUTH_AES_GMAC,
                128,
            )),
            "sha1" => {
                t.push(Transform::new(ttype::INTEG, integ::HMAC_SHA1_96));
                implied_prf.get_or_insert(prf::HMAC_SHA1);
            }
            "sha256" => {
                t.push(Transform::new(ttype::INTEG, integ::HMAC_SHA2_256_128));
                implied_prf.get_or_insert(prf::HMAC_SHA2_256);
            }
            "prfsha1" => {
                prf_seen = true;
                t.push(Transform::new(ttype::PRF, prf::HMAC_SHA1));
            }
            "prfsha256" => {
                prf_seen = true;
                t.push(Transform::new(ttype::PRF, prf::HMAC_SHA2_256));
            }
            "modp2048" => t.push(Transform::new(ttype::DH, dh::MODP_2048)),
            "modp1024" => t.push(Transform::new(ttype::DH, dh::MODP_1024)),
            "ecp256" => t.push(Transform::new(ttype::DH, dh::ECP_256)),
            "curve25519" | "x25519" => t.push(Transform::new(ttype::DH, dh::CURVE25519)),
            "esn" => {
                esn_seen = true;
                t.push(Transform::new(ttype::ESN, 1));
            }
            "noesn" => {
                esn_seen = true;
                t.push(Transform::new(ttype::ESN, 0));
            }
            o => return Err(format!("proposal '{s}': unknown algorithm '{o}'")),
        }
    }
    if !t.iter().any(|x| x.ttype == ttype::ENCR) {
        return Err(format!(
            "proposal '{s}': no encryption algorithm (use 'null' for ENCR_NULL)"
        ));
    }
    match protocol {
        proto::IKE => {
            if !prf_seen {
                let p = implied_prf.unwrap_or(prf::HMAC_SHA2_256);
                t.push(Transform::new(ttype::PRF, p));
            }
            if !t.iter().any(|x| x.ttype == ttype::DH) {
                t.push(Transform::new(ttype::DH, dh::MODP_2048));
            }
        }
        _ => {
            if !esn_seen {
                t.push(Transform::new(ttype::ESN, 0));
            }
        }
    }
    t.sort_by_key(|x| x.ttype);
    Ok(Proposal {
        num: 1,
        protocol,
        spi: Vec::new(),
        transforms: t,
    })
}

/// Parses a list, numbering the proposals 1, 2, ... (RFC 7296 §3.3.1).
pub fn parse_list(list: &[String], protocol: u8) -> Result<Vec<Proposal>, String> {
    let mut out = Vec::new();
    for (i, s) in list.iter().enumerate() {
        let mut p = parse(s, protocol)?;
        p.num = u8::try_from(i + 1).map_err(|_| "more than 255 proposals".to_string())?;
        out.push(p);
    }
    Ok(out)
}

/// Whether `offered` contains exactly the transforms of `wanted` for each type `wanted`
/// names (one transform per type in `wanted`; the offer may list alternatives).
pub fn offer_matches(offered: &Proposal, wanted: &Proposal) -> bool {
    offered.protocol == wanted.protocol
        && wanted.transforms.iter().all(|w| {
            offered
                .transforms
                .iter()
                .any(|o| o.ttype == w.ttype && o.id == w.id && o.key_len == w.key_len)
        })
        && [ttype::ENCR, ttype::INTEG, ttype::PRF, ttype::DH]
            .iter()
            .all(|ty| {
                wanted.of_type(*ty).next().is_some()
                    || offered
                        .of_type(*ty)
                        .all(|o| o.ttype == ttype::INTEG && o.id == integ::NONE)
            })
}

/// The selection of `wanted` out of `offered`: the responder's one-transform-per-type answer
/// carrying the offer's number and the given SPI (RFC 7296 §2.7, §3.3.1).
pub fn select(offered: &Proposal, wanted: &Proposal, spi: Vec<u8>) -> Proposal {
    Proposal {
        num: offered.num,
        protocol: offered.protocol,
        spi,
        transforms: wanted.transforms.clone(),
    }
}
