//! Checkers for `ims-key-expansion` (TS 33.203 Annex I, [`crate::mech::keys`]) and
//! `hmac-96` (RFC 2202 cases with the RFC 2403/2404 96-bit truncation).

use super::{expect_hex, Vector};
use crate::mech::algorithms::{EncAlg, IntegAlg, PairError};
use crate::mech::keys::{self, KeyError};
use crate::vectors::Expectation;
use hmac::{Hmac, KeyInit, Mac};

/// The kebab-case name of a pair error, as the vector files spell it.
fn pair_error_name(e: &PairError) -> &'static str {
    match e {
        PairError::NullNull => "null-null",
        PairError::NullIntegWithoutAead => "null-integ-without-aead",
        PairError::AeadWithSeparateInteg => "aead-with-separate-integ",
        PairError::GmacWithEncryption => "gmac-with-encryption",
    }
}

/// `ims-key-expansion`: input `ck`, `ik`, `alg`, `ealg`; expected `ik_esp`, `ck_esp` and
/// `salt` (only when the pair has one), or `error` for `result: invalid`.
pub fn check_ims_key_expansion(v: &Vector) -> Result<(), String> {
    let inp = v.input();
    let exp = v.expected();
    let ck = inp.hex_n::<16>("ck")?;
    let ik = inp.hex_n::<16>("ik")?;
    let alg: IntegAlg = inp.parsed("alg")?;
    let ealg: EncAlg = inp.parsed("ealg")?;
    match (keys::expand(&ck, &ik, alg, ealg), v.result) {
        (Ok(k), Expectation::Valid) => {
            expect_hex(&exp, "ik_esp", &k.ik_esp)?;
            expect_hex(&exp, "ck_esp", &k.ck_esp)?;
            match (exp.has("salt"), k.salt) {
                (true, Some(s)) => expect_hex(&exp, "salt", &s),
                (false, None) => Ok(()),
                (true, None) => Err("salt: expected one, imsec produced none".into()),
                (false, Some(s)) => Err(format!(
                    "salt: none expected, imsec produced {}",
                    hex::encode(s)
                )),
            }
        }
        (Ok(_), Expectation::Invalid) => Err(format!(
            "alg={alg} ealg={ealg} must be refused, imsec expanded keys"
        )),
        (Err(e), Expectation::Valid) => Err(format!("unexpected error: {e}")),
        (Err(KeyError::Pair(p)), Expectation::Invalid) => match exp.opt_str("error")? {
            Some(want) if want != pair_error_name(&p) => Err(format!(
                "error: expected '{want}', got '{}'",
                pair_error_name(&p)
            )),
            _ => Ok(()),
        },
        (Err(e), Expectation::Invalid) => Err(format!("refused for the wrong reason: {e}")),
    }
}

fn hmac_full<M: Mac + KeyInit>(key: &[u8], data: &[u8]) -> Result<Vec<u8>, String> {
    let mut m = <M as KeyInit>::new_from_slice(key).map_err(|e| e.to_string())?;
    m.update(data);
    Ok(m.finalize().into_bytes().to_vec())
}

/// `hmac-96`: input `alg` (hmac-md5-96 | hmac-sha-1-96), `key`, `data`; expected `hmac`
/// (full output) and `icv` (first 12 octets, RFC 2403 §3 / RFC 2404 §3).
pub fn check_hmac96(v: &Vector) -> Result<(), String> {
    let inp = v.input();
    let exp = v.expected();
    let alg: IntegAlg = inp.parsed("alg")?;
    let key = inp.hex("key")?;
    let data = inp.hex("data")?;
    let full = match alg {
        IntegAlg::HmacMd5_96 => hmac_full::<Hmac<md5::Md5>>(&key, &data)?,
        IntegAlg::HmacSha1_96 => hmac_full::<Hmac<sha1::Sha1>>(&key, &data)?,
        other => return Err(format!("input.alg: {other} is not an HMAC-96 algorithm")),
    };
    expect_hex(&exp, "hmac", &full)?;
    let icv = full
        .get(..12)
        .ok_or_else(|| "HMAC output shorter than 96 bits".to_string())?;
    expect_hex(&exp, "icv", icv)
}
