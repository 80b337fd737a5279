//! Checkers for `milenage`, `rijndael` (TS 35.206/35.208, [`crate::mech::milenage`]), `aka`
//! (TS 33.102 §6.3, [`crate::mech::aka`]) and `digest-aka` (RFC 3310/4169/2617,
//! [`crate::mech::digest`]).

use super::{expect_hex, expect_str, Expectation, Fields, Vector};
use crate::mech::aka::{self, AkaFailure, Autn, Auts, SqnPolicy};
use crate::mech::digest::{self, AkaAlgorithm, AkaNonce, AutsError, DigestInput, NonceError, Qop};
use crate::mech::milenage::{self, Milenage};

/// K with OP or OPc, whichever the vector gives (OP wins when both are present).
fn subscriber(inp: &Fields<'_>) -> Result<Milenage, String> {
    let k = inp.hex_n::<16>("k")?;
    if inp.has("op") {
        Ok(Milenage::with_op(&k, &inp.hex_n::<16>("op")?))
    } else {
        Ok(Milenage::new(&k, &inp.hex_n::<16>("opc")?))
    }
}

/// `milenage`: input k, rand, sqn, amf, op|opc; expected (opc), f1, f1star, f2..f5, f5star.
pub fn check_milenage(v: &Vector) -> Result<(), String> {
    let (inp, exp) = (v.input(), v.expected());
    let m = subscriber(&inp)?;
    let rand = inp.hex_n::<16>("rand")?;
    let (sqn, amf) = (inp.hex_n::<6>("sqn")?, inp.hex_n::<2>("amf")?);
    if exp.has("opc") {
        expect_hex(&exp, "opc", &m.opc())?;
    }
    let (f1, f1s) = m.f1_f1star(&rand, &sqn, &amf);
    let o = m.f2345(&rand);
    expect_hex(&exp, "f1", &f1)?;
    expect_hex(&exp, "f1star", &f1s)?;
    expect_hex(&exp, "f2", &o.res)?;
    expect_hex(&exp, "f3", &o.ck)?;
    expect_hex(&exp, "f4", &o.ik)?;
    expect_hex(&exp, "f5", &o.ak)?;
    expect_hex(&exp, "f5star", &m.f5star(&rand))
}

/// `rijndael`: input k, pt; expected ct.
pub fn check_rijndael(v: &Vector) -> Result<(), String> {
    let (inp, exp) = (v.input(), v.expected());
    let ct = milenage::rijndael_encrypt(&inp.hex_n::<16>("k")?, &inp.hex_n::<16>("pt")?);
    expect_hex(&exp, "ct", &ct)
}

/// `aka`: input.operation = generate | verify | resync.
pub fn check_aka(v: &Vector) -> Result<(), String> {
    let (inp, exp) = (v.input(), v.expected());
    let m = subscriber(&inp)?;
    let rand = inp.hex_n::<16>("rand")?;
    match inp.str("operation")?.as_str() {
        "generate" => {
            let av =
                aka::generate_vector(&m, &inp.hex_n::<6>("sqn")?, &inp.hex_n::<2>("amf")?, &rand);
            expect_hex(&exp, "autn", &av.autn.to_bytes())?;
            expect_hex(&exp, "xres", &av.xres)?;
            expect_hex(&exp, "ck", &av.ck)?;
            expect_hex(&exp, "ik", &av.ik)?;
            expect_hex(&exp, "ak", &av.ak)?;
            expect_hex(&exp, "mac_a", &av.mac_a)
        }
        "verify" => {
            let autn = Autn::from_bytes(&inp.hex_n::<16>("autn")?);
            let policy = SqnPolicy {
                sqn_ms: inp.hex_n::<6>("sqn_ms")?,
                delta: if inp.has("delta") {
                    Some(inp.u64("delta")?)
                } else {
                    None
                },
            };
            match (aka::ue_authenticate(&m, &rand, &autn, &policy), v.result) {
                (Ok(ok), Expectation::Valid) => {
                    expect_hex(&exp, "res", &ok.res)?;
                    expect_hex(&exp, "ck", &ok.ck)?;
                    expect_hex(&exp, "ik", &ok.ik)?;
                    expect_hex(&exp, "sqn", &ok.sqn)
                }
                (Ok(_), Expectation::Invalid) => {
                    Err("the UE accepted an AUTN it must reject".into())
                }
                (Err(e), Expectation::Valid) => Err(format!("unexpected rejection: {e}")),
                (Err(AkaFailure::MacFailure), Expectation::Invalid) => {
                    expect_str(&exp, "failure", "mac")
                }
                (Err(AkaFailure::SyncFailure { auts }), Expectation::Invalid) => {
                    expect_str(&exp, "failure", "sync")?;
                    expect_hex(&exp, "auts", &auts.to_bytes())
                }
            }
        }
        "resync" => {
            let auts = Auts::from_bytes(&inp.hex_n::<14>("auts")?);
            let r = aka::network_resync(&m, &rand, &auts);
            expect_hex(&exp, "sqn_ms", &r.sqn_ms)?;
            let want = exp.bool("mac_s_ok")?;
            if r.mac_s_ok != want {
                return Err(format!("mac_s_ok: expected {want}, got {}", r.mac_s_ok));
            }
            if r.mac_s_ok != (v.result == Expectation::Valid) {
                return Err("result must be valid exactly when mac_s_ok is true".into());
            }
            Ok(())
        }
        other => Err(format!("input.operation: unknown '{other}'")),
    }
}

fn nonce_error_name(e: &NonceError) -> &'static str {
    match e {
        NonceError::Base64(_) => "base64",
        NonceError::TooShort(_) => "too-short",
    }
}

fn auts_error_name(e: &AutsError) -> &'static str {
    match e {
        AutsError::Base64(_) => "base64",
        AutsError::Length(_) => "length",
    }
}

/// Compares an expected error name for `result: invalid` vectors.
fn invalid<T>(v: &Vector, r: Result<T, &'static str>) -> Result<(), String> {
    match r {
        Ok(_) => Err("accepted an input that must be rejected".into()),
        Err(name) => expect_str(&v.expected(), "error", name),
    }
}

/// `digest-aka`: input.operation = response | nonce | auts | auts-parse.
pub fn check_digest_aka(v: &Vector) -> Result<(), String> {
    let (inp, exp) = (v.input(), v.expected());
    match inp.str("operation")?.as_str() {
        "response" => check_response(v),
        "nonce" => {
            let r = AkaNonce::parse(&inp.str("nonce")?);
            if v.result == Expectation::Invalid {
                return invalid(v, r.map_err(|e| nonce_error_name(&e)));
            }
            let n = r.map_err(|e| format!("unexpected rejection: {e}"))?;
            expect_hex(&exp, "rand", &n.rand)?;
            expect_hex(&exp, "autn", &n.autn)?;
            expect_hex(&exp, "server_data", &n.server_data)?;
            // Building the nonce back gives the same text.
            expect_str(&inp, "nonce", &n.encode())
        }
        "auts" => {
            let a = inp.hex_n::<14>("auts")?;
            let text = digest::encode_auts(&a);
            expect_str(&exp, "auts_b64", &text)?;
            match digest::decode_auts(&text) {
                Ok(back) if back == a => Ok(()),
                other => Err(format!("auts does not decode back: {other:?}")),
            }
        }
        "auts-parse" => {
            let r = digest::decode_auts(&inp.str("auts_b64")?);
            if v.result == Expectation::Invalid {
                return invalid(v, r.map_err(|e| auts_error_name(&e)));
            }
            let a = r.map_err(|e| format!("unexpected rejection: {e}"))?;
            expect_hex(&exp, "auts", &a)
        }
        other => Err(format!("input.operation: unknown '{other}'")),
    }
}

fn check_response(v: &Vector) -> Result<(), String> {
    let (inp, exp) = (v.input(), v.expected());
    let alg_s = inp.str("algorithm")?;
    let alg =
        AkaAlgorithm::from_token(&alg_s).ok_or(format!("input.algorithm: unknown '{alg_s}'"))?;
    let res = inp.hex("res")?;
    let ik = inp.opt_hex("ik")?.map(|b| fixed16("ik", &b)).transpose()?;
    let ck = inp.opt_hex("ck")?.map(|b| fixed16("ck", &b)).transpose()?;
    let resync = inp.has("resync") && inp.bool("resync")?;
    let password = if resync {
        digest::resync_password()
    } else {
        digest::password(alg, &res, ik.as_ref(), ck.as_ref())
            .ok_or("input: AKAv2 needs ik and ck")?
    };
    if exp.has("password") {
        expect_str(&exp, "password", &String::from_utf8_lossy(&password))?;
    }
    let (username, realm, nonce) = (inp.str("username")?, inp.str("realm")?, inp.str("nonce")?);
    let (method, uri) = (inp.str("method")?, inp.str("uri")?);
    let (nc, cnonce) = (
        inp.opt_str("nc")?.unwrap_or_default(),
        inp.opt_str("cnonce")?.unwrap_or_default(),
    );
    let body = inp.opt_str("body")?.unwrap_or_default();
    let qop = match inp.opt_str("qop")?.as_deref() {
        None => Qop::None,
        Some("auth") => Qop::Auth {
            nc: &nc,
            cnonce: &cnonce,
        },
        Some("auth-int") => Qop::AuthInt {
            nc: &nc,
            cnonce: &cnonce,
            body: body.as_bytes(),
        },
        Some(o) => return Err(format!("input.qop: unknown '{o}'")),
    };
    let out = digest::response(
        &password,
        &DigestInput {
            username: &username,
            realm: &realm,
            nonce: &nonce,
            method: &method,
            uri: &uri,
            qop,
        },
    );
    expect_str(&exp, "ha1", &out.ha1)?;
    if exp.has("ha2") {
        expect_str(&exp, "ha2", &out.ha2)?;
    }
    expect_str(&exp, "response", &out.response)?;
    if exp.has("rand") {
        let n = AkaNonce::parse(&nonce).map_err(|e| format!("input.nonce: {e}"))?;
        expect_hex(&exp, "rand", &n.rand)?;
        expect_hex(&exp, "autn", &n.autn)?;
    }
    Ok(())
}

fn fixed16(name: &str, b: &[u8]) -> Result<[u8; 16], String> {
    <[u8; 16]>::try_from(b).map_err(|_| format!("input.{name}: expected 16 octets"))
}
