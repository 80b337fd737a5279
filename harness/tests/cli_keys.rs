//! `imsec keys`: TS 33.203 Annex I expansion through the binary.
//! Expected values come from tools/gen_ims_keys.py (Python hashlib/hmac), not from imsec.

use assert_cmd::Command;

// TS 35.208 §4.3 test set 1 CK (f3) and IK (f4).
const CK: &str = "b40ba9a3c58b2a05bbf0d987b21bf8cb";
const IK: &str = "f769bcd751044604127672711c6d3441";

fn imsec() -> Command {
    Command::cargo_bin("imsec").expect("binary built")
}

fn keys_json(alg: &str, ealg: &str) -> serde_json::Value {
    let out = imsec()
        .args([
            "keys", "--ik", IK, "--ck", CK, "--alg", alg, "--ealg", ealg, "--json",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

#[test]
fn sha1_96_with_aes_cbc() {
    let v = keys_json("hmac-sha-1-96", "aes-cbc");
    assert_eq!(v["ik_esp"], "f769bcd751044604127672711c6d344100000000");
    assert_eq!(v["ck_esp"], CK);
    assert!(v.get("salt").is_none());
}

#[test]
fn md5_96_with_3des() {
    let v = keys_json("hmac-md5-96", "des-ede3-cbc");
    assert_eq!(v["ik_esp"], IK);
    assert_eq!(
        v["ck_esp"],
        "b40ba9a3c58b2a05bbf0d987b21bf8cbb40ba9a3c58b2a05"
    );
}

#[test]
fn aes_gcm_salt_and_keymat() {
    let v = keys_json("null", "aes-gcm");
    assert_eq!(v["ik_esp"], "");
    assert_eq!(v["ck_esp"], CK);
    assert_eq!(v["salt"], "89273db6");
    assert_eq!(v["salt_kind"], "aes-gcm");
    assert_eq!(v["keymat"], "b40ba9a3c58b2a05bbf0d987b21bf8cb89273db6");
}

#[test]
fn aes_gmac_salt() {
    let v = keys_json("aes-gmac", "null");
    assert_eq!(v["ik_esp"], IK);
    assert_eq!(v["ck_esp"], "");
    assert_eq!(v["salt"], "dbc2b1c2");
    assert_eq!(v["keymat"], "f769bcd751044604127672711c6d3441dbc2b1c2");
}

#[test]
fn ealg_defaults_to_null_and_text_output() {
    imsec()
        .args(["keys", "--ik", IK, "--ck", CK, "--alg", "hmac-md5-96"])
        .assert()
        .code(0)
        .stdout(format!("ik_esp: {IK}\nck_esp: \n"));
}

fn one_line_error(args: &[&str], needle: &str) {
    let out = imsec().args(args).output().expect("runs");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.contains(needle), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn forbidden_pairs_exit_2() {
    one_line_error(
        &[
            "keys", "--ik", IK, "--ck", CK, "--alg", "null", "--ealg", "null",
        ],
        "neither integrity nor confidentiality",
    );
    one_line_error(
        &[
            "keys", "--ik", IK, "--ck", CK, "--alg", "null", "--ealg", "aes-cbc",
        ],
        "aes-gcm",
    );
    one_line_error(
        &[
            "keys", "--ik", IK, "--ck", CK, "--alg", "aes-gmac", "--ealg", "aes-cbc",
        ],
        "integrity-only",
    );
}

#[test]
fn unknown_algorithm_exit_2() {
    one_line_error(
        &["keys", "--ik", IK, "--ck", CK, "--alg", "hmac-sha-256"],
        "hmac-sha-256",
    );
    one_line_error(
        &[
            "keys",
            "--ik",
            IK,
            "--ck",
            CK,
            "--alg",
            "hmac-md5-96",
            "--ealg",
            "rc4",
        ],
        "rc4",
    );
}

#[test]
fn bad_hex_exit_2() {
    one_line_error(
        &["keys", "--ik", "00", "--ck", CK, "--alg", "hmac-md5-96"],
        "--ik",
    );
    one_line_error(
        &["keys", "--ik", IK, "--ck", "zz", "--alg", "hmac-md5-96"],
        "--ck",
    );
}
