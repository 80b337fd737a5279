//! `imsec replay --tls-keylog` against OpenSSL and tshark (issue #7): the captures of
//! tools/make_tls_keylog_pcaps.sh (OpenSSL 3 s_server/s_client with `-keylogfile`, a SIP
//! registration as application data) in TLS 1.2 (AES-128-GCM, AES-256-CBC-SHA with
//! encrypt-then-MAC, AES-128-CBC-SHA MAC-then-encrypt, NULL-SHA256) and TLS 1.3
//! (AES-128-GCM, ChaCha20-Poly1305). The expected plaintext is Wireshark's:
//! pcaps/openssl_keylog.expect.json (tools/tls_keylog_expect.py: per SIP message its frame,
//! start line, length and SHA-256 of the octets tshark decrypted). With tshark installed the
//! test also re-reads the captures with tshark and the decrypted output of imsec.
//! A wrong key log gives failed records and no panic.

#[path = "support/replay_run.rs"]
#[allow(dead_code)]
mod replay_run;
#[path = "support/scratch.rs"]
mod scratch;
use replay_run::{have_tshark, replay, repo};
use scratch::Scratch;
use serde_json::Value;
use sha2::Digest;
use std::path::{Path, PathBuf};

fn expect() -> Value {
    let p = repo().join("pcaps/openssl_keylog.expect.json");
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn pcap(name: &str) -> PathBuf {
    repo().join("pcaps").join(name)
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

fn tshark(args: &[&str]) -> String {
    let o = std::process::Command::new("tshark")
        .args(args)
        .output()
        .unwrap();
    assert!(o.status.success(), "tshark {args:?}");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// (frame, start line) of the SIP messages of a message list.
fn frames_of(msgs: &[Value], from: &str, start: &str) -> Vec<u64> {
    msgs.iter()
        .filter(|m| m["from"] == from && m["start_line"].as_str().unwrap().starts_with(start))
        .map(|m| m["frame"].as_u64().unwrap())
        .collect()
}

#[test]
fn openssl_captures_decrypt_as_tshark_does() {
    let e = expect();
    assert!(e["source"].as_str().unwrap().starts_with("tshark"));
    let caps = e["captures"].as_object().unwrap();
    assert_eq!(caps.len(), 6, "six captures expected");
    let tshark_here = have_tshark();
    for (name, c) in caps {
        let dir = Scratch::new(&format!("tls-{name}"));
        let cap = pcap(c["pcap"].as_str().unwrap());
        let kl = pcap(c["keylog"].as_str().unwrap());
        let dec = dir.join("dec.pcapng");
        let (code, v) = replay(
            &[
                s(&cap),
                "--tls-keylog".into(),
                s(&kl),
                "--decrypted".into(),
                s(&dec),
            ],
            &dir,
        );
        let msgs = c["sip"].as_array().unwrap();
        let t = &v["tls"];
        assert_eq!(t["keylog_sessions"], 1, "{name}");
        let conn = &t["connections"][0];
        assert_eq!(conn["keys"], "found", "{name}: {conn}");
        assert_eq!(conn["version"], c["version"], "{name}");
        assert_eq!(conn["records_failed"], 0, "{name}: {conn}");
        assert!(
            conn["records_decrypted"].as_u64().unwrap() >= 4 + 2,
            "{name}"
        );
        let octets: u64 = msgs.iter().map(|m| m["octets"].as_u64().unwrap()).sum();
        assert_eq!(conn["application_data_octets"], octets, "{name}");
        assert_eq!(conn["sip_messages"], msgs.len() as u64, "{name}");
        // The registration over TLS, frame by frame as tshark numbers the SIP messages.
        let regs = v["registrations"].as_array().unwrap();
        assert_eq!(regs.len(), 1, "{name}: {regs:?}");
        let f = &regs[0]["frames"];
        let reg = frames_of(msgs, "client", "REGISTER");
        assert_eq!(f["register"], reg[0], "{name}");
        assert_eq!(f["protected_register"], reg[1], "{name}");
        assert_eq!(
            f["challenge"],
            frames_of(msgs, "server", "SIP/2.0 401")[0],
            "{name}"
        );
        assert_eq!(
            f["final_response"],
            frames_of(msgs, "server", "SIP/2.0 200")[0],
            "{name}"
        );
        assert_eq!(regs[0]["final_status"], 200);
        let verdict = |id: &str| {
            v["checks"]
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["id"] == id)
                .unwrap()["verdict"]
                .clone()
        };
        // TLS_RSA_WITH_NULL_SHA256 (0x003b, IANA) gives no confidentiality (Annex O).
        let null = c["suite"] == 0x003b;
        assert_eq!(
            verdict("tls_no_null_chosen"),
            if null { "fail" } else { "pass" },
            "{name}"
        );
        assert_eq!(code, if null { 1 } else { 0 }, "{name}");
        assert_eq!(verdict("security_verify_matches_server"), "pass", "{name}");
        assert_eq!(verdict("spis_distinct"), "not-applicable", "{name}");
        if !tshark_here {
            continue;
        }
        // tshark still reads the capture as the expectation file says.
        let port = conn["server"]
            .as_str()
            .unwrap()
            .rsplit(':')
            .next()
            .unwrap()
            .to_string();
        let kl_opt = format!("tls.keylog_file:{}", s(&kl));
        let decode = format!("tls.port=={port},sip");
        let seen = tshark(&[
            "-r",
            &s(&cap),
            "-o",
            &kl_opt,
            "-d",
            &decode,
            "-Y",
            "sip",
            "-T",
            "fields",
            "-e",
            "frame.number",
        ]);
        let want: Vec<String> = msgs.iter().map(|m| m["frame"].to_string()).collect();
        assert_eq!(seen.split_whitespace().collect::<Vec<_>>(), want, "{name}");
        // imsec's decrypted output: one TCP segment per SIP message, octet for octet what
        // tshark decrypted.
        let dport = format!("tcp.port=={port},sip");
        let out = tshark(&[
            "-r",
            &s(&dec),
            "-d",
            &dport,
            "-o",
            "tcp.check_checksum:TRUE",
            "-T",
            "fields",
            "-E",
            "separator=|",
            "-e",
            "tcp.payload",
            "-e",
            "tcp.checksum.status",
        ]);
        let rows: Vec<&str> = out.lines().collect();
        assert_eq!(rows.len(), msgs.len(), "{name}: {out}");
        for (row, m) in rows.iter().zip(msgs) {
            let (hexp, status) = row.split_once('|').unwrap();
            let bytes = hex::decode(hexp.replace(':', "")).unwrap();
            assert_eq!(
                hex::encode(sha2::Sha256::digest(&bytes)),
                m["sha256"].as_str().unwrap(),
                "{name}: frame {}",
                m["frame"]
            );
            assert_eq!(status, "1", "{name}: TCP checksum good");
        }
    }
}

/// A key log whose secrets are wrong (every secret octet flipped): the protected records
/// count as failed, nothing is invented, nothing panics; a key log for other sessions
/// leaves the keys `missing`.
#[test]
fn wrong_key_log_counts_failures() {
    let dir = Scratch::new("tls-wrong");
    for name in ["tls12_aes128gcm", "tls13_aes128gcm", "tls12_aes256cbc_sha"] {
        let cap = pcap(&format!("openssl_keylog_{name}.pcapng"));
        let text = std::fs::read_to_string(pcap(&format!("openssl_keylog_{name}.keylog"))).unwrap();
        let flip = |keep_random: bool| -> String {
            text.lines()
                .map(|l| {
                    let w: Vec<&str> = l.split_whitespace().collect();
                    if w.len() != 3 || l.starts_with('#') {
                        return l.to_string();
                    }
                    let f = |h: &str| {
                        let b: Vec<u8> = hex::decode(h).unwrap().iter().map(|x| x ^ 0xff).collect();
                        hex::encode(b)
                    };
                    let cr = if keep_random {
                        w[1].to_string()
                    } else {
                        f(w[1])
                    };
                    format!("{} {cr} {}", w[0], f(w[2]))
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        for (keep, want_keys) in [(true, "found"), (false, "missing")] {
            let kl = dir.join(format!("{name}-{keep}.keylog"));
            std::fs::write(&kl, flip(keep)).unwrap();
            let (_, v) = replay(&[s(&cap), "--tls-keylog".into(), s(&kl)], &dir);
            let conn = &v["tls"]["connections"][0];
            assert_eq!(conn["keys"], want_keys, "{name}: {conn}");
            assert_eq!(conn["records_decrypted"], 0, "{name}: {conn}");
            assert_eq!(conn["sip_messages"], 0, "{name}");
            if keep {
                assert!(
                    conn["records_failed"].as_u64().unwrap() > 0,
                    "{name}: {conn}"
                );
            }
            assert!(v["registrations"].as_array().unwrap().is_empty());
            assert!(!v["warnings"].as_array().unwrap().is_empty(), "{name}");
        }
    }
}

/// Without a key log the handshake checks still run and the connection is listed.
#[test]
fn without_key_log_nothing_is_decrypted() {
    let dir = Scratch::new("tls-none");
    let (_, v) = replay(&[s(&pcap("openssl_keylog_tls12_null_sha256.pcapng"))], &dir);
    let conn = &v["tls"]["connections"][0];
    assert_eq!(conn["keys"], "no-keylog");
    assert_eq!(conn["records_decrypted"], 0);
    assert!(v["tls"].get("keylog_sessions").is_none());
    assert!(v["registrations"].as_array().unwrap().is_empty());
}

/// Smoke run of the record-opening fuzz body (fuzz target `tls`; the coverage-guided run is
/// `cd fuzz && cargo +nightly fuzz run tls`): the protected records of the OpenSSL captures,
/// mutated (bit flips, truncation, extension), and random octets. Any panic fails.
#[test]
fn record_opening_fuzz_smoke() {
    use imsec::mech::tls::record::next_record;
    let mut seeds: Vec<Vec<u8>> = Vec::new();
    for f in std::fs::read_dir(repo().join("pcaps")).unwrap() {
        let p = f.unwrap().path();
        let n = p.file_name().unwrap().to_string_lossy().to_string();
        if !(n.starts_with("openssl_keylog_") && n.ends_with(".pcapng")) {
            continue;
        }
        // Records found anywhere in the file (the capture is small and uncompressed).
        let b = std::fs::read(&p).unwrap();
        for i in 0..b.len() {
            if let Ok(Some((r, _))) = next_record(&b[i..]) {
                if r.content_type() == 23 && r.fragment().len() >= 16 {
                    seeds.push(r.fragment().to_vec());
                }
            }
        }
    }
    assert!(seeds.len() >= 30, "{}", seeds.len());
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for i in 0..3000 {
        let r = next();
        let mut v = if i % 5 == 4 {
            (0..(r % 200)).map(|_| next() as u8).collect()
        } else {
            seeds[(r as usize) % seeds.len()].clone()
        };
        match next() % 4 {
            0 if !v.is_empty() => {
                let p = (next() as usize) % v.len();
                v[p] ^= 1 << (next() % 8);
            }
            1 => v.truncate((next() as usize) % (v.len() + 1)),
            2 => v.extend((0..(next() % 40)).map(|_| next() as u8)),
            _ => {}
        }
        imsec::mech::tls::record_crypto::fuzz_open(&v);
    }
}
