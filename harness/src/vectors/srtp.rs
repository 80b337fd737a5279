//! Checkers for the SRTP families (RFC 3711):
//! - `srtp-kdf` (vectors/srtp_kdf.yaml): the AES-CM PRF of §4.3 for one label, index and rate;
//! - `srtp-aes-cm` (vectors/srtp_keystream.yaml): the §4.1.1 keystream, block by block (B.2);
//! - `srtp` (vectors/srtp.yaml): whole SRTP/SRTCP packets. A valid vector must protect to the
//!   expected bytes (sender ROC / SRTCP index set as given) and unprotect back to the plain
//!   packet; an invalid one must be refused by unprotect with the named error.

use super::{expect_hex, Expectation, Vector};
use crate::mech::srtp::{self, kdf, MasterKey, Options, Session, SrtpError, Suite};

pub fn check_kdf(v: &Vector) -> Result<(), String> {
    let i = v.input();
    let mk = i.hex("master_key")?;
    let ms = i.hex("master_salt")?;
    let kdr = i.u64("kdr")?;
    let index = i.u64("index")?;
    let label = u8::try_from(i.u64("label")?).map_err(|_| "label out of range".to_string())?;
    let n = usize::try_from(i.u64("length")?).map_err(|_| "length out of range".to_string())?;
    let valid = kdf::valid_kdr(kdr) && label <= 5 && n <= 4096;
    if v.result == Expectation::Invalid {
        // The rate must be refused wherever imsec takes one.
        let r = srtp::derive_keys(&mk, &ms, kdr, index);
        let s = Session::new(
            Suite::AesCm128HmacSha1_80,
            MasterKey::new(&mk, &ms),
            Options {
                kdr,
                ..Options::default()
            },
        );
        return match (valid, r, s) {
            (false, Err(_), Err(_)) => Ok(()),
            _ => Err("an invalid derivation input was accepted".into()),
        };
    }
    if !valid {
        return Err("input refused: kdr, label or length out of range".into());
    }
    let m = kdf::master_cipher(&mk).ok_or("master_key must be 16 octets")?;
    let salt: [u8; kdf::SALT_LEN] = ms
        .as_slice()
        .try_into()
        .map_err(|_| "master_salt must be 14 octets".to_string())?;
    let mut out = vec![0u8; n];
    kdf::derive(&m, &salt, label, kdf::r_of(index, kdr), &mut out);
    expect_hex(&v.expected(), "output", &out)
}

pub fn check_aes_cm(v: &Vector) -> Result<(), String> {
    let i = v.input();
    let key = i.hex("session_key")?;
    let salt = i.hex("session_salt")?;
    let ssrc = u32::try_from(i.u64("ssrc")?).map_err(|_| "ssrc out of range".to_string())?;
    let index = i.u64("index")?;
    let exp = v.expected();
    let blocks = exp.value("blocks")?;
    let map = blocks
        .as_mapping()
        .ok_or("expected.blocks must map block numbers (hex) to 16-octet blocks")?;
    let mut last = 0usize;
    let mut want = Vec::new();
    for (k, val) in map {
        let kb = k.as_str().ok_or("block number must be a hex string")?;
        let b = usize::from_str_radix(kb, 16).map_err(|e| format!("block {kb}: {e}"))?;
        let hexv = val.as_str().ok_or("block value must be a hex string")?;
        let bytes = hex::decode(hexv).map_err(|e| format!("block {kb}: {e}"))?;
        last = last.max(b);
        want.push((kb.to_string(), b, bytes));
    }
    let mut ks = vec![0u8; (last + 1) * 16];
    srtp::aes_cm_keystream(&key, &salt, ssrc, index, &mut ks).map_err(|e| e.to_string())?;
    for (name, b, bytes) in want {
        let got = ks.get(b * 16..b * 16 + 16).unwrap_or(&[]);
        if got != bytes.as_slice() {
            return Err(format!(
                "block {name}: expected {}, got {}",
                hex::encode(bytes),
                hex::encode(got)
            ));
        }
    }
    Ok(())
}

fn session(v: &Vector) -> Result<Session, String> {
    let i = v.input();
    let suite: Suite = i.parsed("suite")?;
    let mki = i.opt_hex("mki")?.unwrap_or_default();
    let key = MasterKey {
        key: i.hex("master_key")?,
        salt: i.hex("master_salt")?,
        mki,
    };
    let opts = Options {
        unencrypted_srtcp: i.has("unencrypted_srtcp") && i.bool("unencrypted_srtcp")?,
        ..Options::default()
    };
    Session::new(suite, key, opts).map_err(|e| format!("building the session: {e}"))
}

fn kind_matches(kind: &str, e: &SrtpError) -> Result<bool, String> {
    Ok(match kind {
        "any" => true,
        "auth" => matches!(e, SrtpError::AuthFailed),
        "mki" => matches!(e, SrtpError::UnknownMki),
        "unencrypted" => matches!(e, SrtpError::UnencryptedRtcp),
        "truncated" => matches!(e, SrtpError::Truncated { .. } | SrtpError::Packet(_)),
        other => return Err(format!("expected.error: unknown kind '{other}'")),
    })
}

pub fn check_packet(v: &Vector) -> Result<(), String> {
    let i = v.input();
    let kind = i.str("kind")?;
    let rtcp = match kind.as_str() {
        "rtp" => false,
        "rtcp" => true,
        other => return Err(format!("input.kind: '{other}' is neither rtp nor rtcp")),
    };
    let roc = u32::try_from(if i.has("roc") { i.u64("roc")? } else { 0 })
        .map_err(|_| "roc out of range".to_string())?;
    let srtcp_index = u32::try_from(if i.has("srtcp_index") {
        i.u64("srtcp_index")?
    } else {
        0
    })
    .map_err(|_| "srtcp_index out of range".to_string())?;
    let mut protected = i.hex("protected")?;
    let ssrc = match (rtcp, protected.get(4..8), protected.get(8..12)) {
        (true, Some(s), _) | (false, _, Some(s)) => u32::from_be_bytes([s[0], s[1], s[2], s[3]]),
        _ => 0,
    };
    let mut rx = session(v)?;
    rx.set_rx_roc(ssrc, roc);
    let opened = if rtcp {
        rx.unprotect_rtcp(&mut protected).map(|o| o.len)
    } else {
        rx.unprotect(&mut protected).map(|o| o.len)
    };
    let exp = v.expected();
    if v.result == Expectation::Invalid {
        let want = exp.str("error")?;
        return match opened {
            Ok(_) => Err("unprotect accepted a packet that must be refused".into()),
            Err(e) if kind_matches(&want, &e)? => Ok(()),
            Err(e) => Err(format!("expected a '{want}' refusal, got: {e}")),
        };
    }
    let n = opened.map_err(|e| format!("unprotect refused a valid packet: {e}"))?;
    let plain = exp.hex("plain")?;
    expect_hex(&exp, "plain", protected.get(..n).unwrap_or(&[]))?;
    // Sender side: the same plain packet must protect to the same bytes.
    let mut tx = session(v)?;
    tx.set_tx_roc(ssrc, roc);
    tx.set_tx_rtcp_index(ssrc, srtcp_index);
    let mut out = plain.clone();
    let r = if rtcp {
        tx.protect_rtcp_vec(&mut out)
    } else {
        tx.protect_vec(&mut out)
    };
    r.map_err(|e| format!("protect failed: {e}"))?;
    expect_hex(&v.input(), "protected", &out).map_err(|e| format!("protect: {e}"))
}
