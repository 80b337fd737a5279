//! `imsec replay` against independent sources:
//! (a) lab captures (pcaps/replay/, tools/make_replay_pcaps.sh): each flawed variant fails the
//!     replay check its flaw breaks, the conformant run passes it; tshark, decrypting with the
//!     esp_sa lines replay exports, finds the same SIP inside ESP;
//! (b) the third-party captures in ../shared/captures: every one is read (frame counts equal
//!     tshark's), reports validate against docs/replay-schema.json, and what can be derived is
//!     derived: the VoWiFi ePDG capture (ESP in ESP) decrypts with the SWu key dump and the
//!     subscriber's K/OPc, and the derived keys equal an independent Milenage in Python
//!     (tools/aka_ref.py) with the RAND tshark reads from the 401; tshark, given those keys,
//!     counts the same ESP and SIP; ESP-NULL inside GTP-U (Amarisoft) read without keys gives
//!     the SIP count of tshark's RFC 5879 heuristic; tcpdump's ESP decrypts with its published key;
//! (c) a malformed-capture corpus and a fuzz smoke run: errors or warnings, never a panic.
//!
//! Tests needing tshark or the shared captures print why and return when those are missing.

#[path = "support/replay_run.rs"]
mod replay_run;
#[path = "support/scratch.rs"]
mod scratch;
use assert_cmd::Command;
use replay_run::{have_tshark, replay, repo, shared, validate};
use scratch::Scratch;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

fn tempdir(tag: &str) -> Scratch {
    Scratch::new(&format!("replay-{tag}"))
}

fn verdicts(v: &Value) -> BTreeMap<String, String> {
    v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                c["verdict"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn check<'a>(v: &'a Value, id: &str) -> &'a Value {
    v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id}"))
}

fn tshark(args: &[&str]) -> String {
    let o = std::process::Command::new("tshark")
        .args(args)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "tshark {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// tshark arguments that load esp_sa lines.
fn esp_sa_opts(lines: &[String]) -> Vec<String> {
    let mut v = vec!["-o".into(), "esp.enable_encryption_decode:TRUE".into()];
    for l in lines {
        v.push("-o".into());
        v.push(format!("uat:esp_sa:{l}"));
    }
    v
}

fn lines_of(p: &Path) -> Vec<String> {
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn a_lab_captures_flawed_fail_conformant_pass() {
    let dir = tempdir("lab");
    let table = [
        ("SA-DUMMY-01", "send-dummy", &["no_dummy_packets"][..]),
        ("AKA-CKIK-01", "leak-ck-ik", &["no_ck_ik_at_ue"]),
        (
            "SEC-AGREE-ALG-01",
            "choose-null",
            &["algorithm_from_offer", "esp_confidentiality"],
        ),
        (
            "HYGIENE-CORE-HEADERS-01",
            "forward-sec-agree",
            &["core_headers_clean"],
        ),
        (
            "HYGIENE-INTEGRITY-01",
            "wrong-integrity-protected",
            &["integrity_protected"],
        ),
        ("ESP-SPI-01", "reuse-ue-spi", &["spis_distinct"]),
        ("SA-SEQ-01", "seq-starts-at-2", &["esp_sequence"]),
        (
            "SA-RESPONSE-01",
            "wrong-sa-reply",
            &["protected_response_on_sa2"],
        ),
        (
            "SEC-AGREE-BIDDOWN-01",
            "accept-modified-verify",
            &["security_verify_matches_server"],
        ),
    ];
    let tshark_ok = have_tshark();
    for (case, flaw, ids) in table {
        let p = repo().join("pcaps/replay");
        let good = p.join(format!("{case}.conformant.pcapng"));
        let bad = p.join(format!("{case}.{flaw}.pcapng"));
        let sa = dir.join(format!("{case}.esp_sa"));
        let (code, g) = replay(
            &[
                good.to_str().unwrap(),
                "--require-confidentiality",
                "--export-esp-sa",
                sa.to_str().unwrap(),
            ],
            &dir,
        );
        let gv = verdicts(&g);
        assert_eq!(code, 0, "{case} conformant: {gv:?}");
        let (code, b) = replay(&[bad.to_str().unwrap(), "--require-confidentiality"], &dir);
        let bv = verdicts(&b);
        assert_eq!(code, 1, "{case} {flaw}");
        for id in ids {
            assert_eq!(
                gv.get(*id).map(String::as_str),
                Some("pass"),
                "{case} conformant {id}: {gv:?}"
            );
            assert_eq!(
                bv.get(*id).map(String::as_str),
                Some("fail"),
                "{case} {flaw} {id}: {bv:?}"
            );
            assert!(
                !check(&b, id)["evidence"].as_array().unwrap().is_empty(),
                "{case} {id}: evidence"
            );
        }
        // Keys came from the core leg's 401 and every ESP packet verified.
        assert_eq!(g["registrations"][0]["keys"], "core-leg401", "{case}");
        for s in g["sas"].as_array().unwrap() {
            assert_eq!(s["packets"], s["accepted"], "{case}: {s}");
        }
        if tshark_ok && g["stats"]["esp_packets"].as_u64() > Some(0) {
            // tshark, with the esp_sa lines replay derived, finds the same SIP inside ESP.
            let mut args = esp_sa_opts(&lines_of(&sa));
            args.extend([
                "-r".into(),
                good.to_str().unwrap().into(),
                "-Y".into(),
                "esp && sip".into(),
            ]);
            let a: Vec<&str> = args.iter().map(String::as_str).collect();
            let n = tshark(&a).lines().count() as u64;
            assert_eq!(
                Some(n),
                g["stats"]["sip_in_esp"].as_u64(),
                "{case}: SIP inside ESP"
            );
        }
    }
}

#[test]
fn b_every_shared_capture_is_read() {
    let Some(dir) = shared() else { return };
    let tshark_ok = have_tshark();
    let tmp = tempdir("shared");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        let ext = p.extension().and_then(|x| x.to_str()).unwrap_or("");
        if ext != "pcap" && ext != "pcapng" {
            continue;
        }
        n += 1;
        let (_, v) = replay(&[p.to_str().unwrap()], &tmp);
        assert!(
            v["warnings"].as_array().unwrap().is_empty(),
            "{}: {}",
            p.display(),
            v["warnings"]
        );
        if tshark_ok {
            let frames = tshark(&[
                "-r",
                p.to_str().unwrap(),
                "-T",
                "fields",
                "-e",
                "frame.number",
            ])
            .lines()
            .count() as u64;
            assert_eq!(
                v["captures"][0]["frames"].as_u64(),
                Some(frames),
                "{}",
                p.display()
            );
        }
    }
    assert!(n >= 10, "only {n} captures found");
}

#[test]
fn b_vowifi_esp_in_esp_keys_from_subscriber() {
    let Some(c) = shared() else { return };
    if !have_tshark() {
        return;
    }
    let tmp = tempdir("vowifi");
    // K and OPc from sources.yaml (the repository's ipsec.secrets "EAP 0x<K><OPc>").
    let sub = tmp.join("sub.yaml");
    std::fs::write(
        &sub,
        "impi: 310210123456787@msg.pc.t-mobile.com\nk: 77777777777777776666666666666666\nopc: 26321ae82e97a5b51128fa6ccedc932d\n",
    )
    .unwrap();
    let cap = c.join("vowifi_tcl_40xl_epdg.pcapng");
    let sa = tmp.join("derived.esp_sa");
    let dec = tmp.join("dec.pcapng");
    let (code, v) = replay(
        &[
            cap.to_str().unwrap(),
            "--keys",
            c.join("vowifi_tcl_40xl_key.txt").to_str().unwrap(),
            "--subscriber",
            sub.to_str().unwrap(),
            "--export-esp-sa",
            sa.to_str().unwrap(),
            "--decrypted",
            dec.to_str().unwrap(),
        ],
        &tmp,
    );
    assert_eq!(code, 1, "this capture has findings");
    let reg = &v["registrations"][0];
    assert_eq!(reg["keys"], "subscriber");
    assert_eq!(reg["final_status"], 200);
    let sas = v["sas"].as_array().unwrap();
    let by_spi = |spi: &str| sas.iter().find(|s| s["spi"] == spi).unwrap();
    // Outer SWu SAs (sources.yaml): every packet opens with one of the dumped keys.
    for spi in ["0xc9ce18b0", "0xcfec5921"] {
        let s = by_spi(spi);
        assert!(s["packets"].as_u64() > Some(30));
        assert_eq!(s["packets"], s["accepted"], "{s}");
    }
    // Inner IMS SAs (P-CSCF spi-s 107 = 0x6b, UE spi-c 0x474e0d22): ICV verified, no failure.
    for spi in ["0x0000006b", "0x474e0d22"] {
        let s = by_spi(spi);
        assert!(s["packets"].as_u64() > Some(5));
        assert_eq!(s["packets"], s["accepted"], "{s}");
        assert!(s.get("icv_checked").is_none());
    }

    // Independent keys: RAND from the 401 nonce as tshark reads it (outer tunnel decrypted
    // with the dump's keys), Milenage in Python (tools/aka_ref.py), Annex I for
    // hmac-sha-1-96/aes-cbc: IK_ESP = IK || 0x00000000, CK_ESP = CK.
    let outer: Vec<String> = [
        ("10.0.60.29", "10.0.60.1", "0xc9ce18b0", "0x13D71EE2729F72928BAC50E8E821BCC2BD62E005B70F219B808126E94E5DF085"),
        ("10.0.60.1", "10.0.60.29", "0xcfec5921", "0x2073F2C2748079DF05424E4DA71687194873D598C77F335D138822114D64444D"),
    ]
    .iter()
    .map(|(s, d, spi, k)| {
        format!("\"IPv4\",\"{s}\",\"{d}\",\"{spi}\",\"AES-CBC [RFC3602]\",\"{k}\",\"ANY 96 bit authentication [no checking]\",\"\"")
    })
    .collect();
    let mut args = esp_sa_opts(&outer);
    args.extend(
        [
            "-r",
            cap.to_str().unwrap(),
            "-Y",
            "sip.Status-Code == 401",
            "-T",
            "fields",
            "-e",
            "sip.WWW-Authenticate",
        ]
        .map(String::from),
    );
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let www = tshark(&a);
    let nonce = www
        .split("nonce=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let py = format!(
        "import sys,base64; sys.path.insert(0,'{}'); from aka_ref import milenage\n\
         r=base64.b64decode('{nonce}')[:16]\n\
         m=milenage(bytes.fromhex('77777777777777776666666666666666'),bytes.fromhex('26321ae82e97a5b51128fa6ccedc932d'),r,bytes(6),bytes(2))\n\
         print(m['f3'].hex(), (m['f4']+bytes(4)).hex())",
        repo().join("tools").display()
    );
    let o = std::process::Command::new("python3")
        .args(["-c", &py])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let ref_keys = String::from_utf8(o.stdout).unwrap();
    let mut it = ref_keys.split_whitespace();
    let (ck_esp, ik_esp) = (
        it.next().unwrap().to_string(),
        it.next().unwrap().to_string(),
    );
    let derived = lines_of(&sa);
    assert_eq!(derived.len(), 4);
    for l in &derived {
        assert!(
            l.contains(&format!("\"0x{ck_esp}\"")) && l.contains(&format!("\"0x{ik_esp}\"")),
            "{l}"
        );
    }
    // tshark with the independent keys: IMS ESP packets inside the tunnel, and the SIP that
    // travelled inside the SWu tunnel but outside the IMS SAs.
    let inner: Vec<String> = [("0x0000006b", "2607:fc20:ba53:1538:0:9:8a73:cc03", "fdad:dabb:ed::2"), ("0x474e0d22", "fdad:dabb:ed::2", "2607:fc20:ba53:1538:0:9:8a73:cc03")]
        .iter()
        .map(|(spi, s, d)| format!("\"IPv6\",\"{s}\",\"{d}\",\"{spi}\",\"AES-CBC [RFC3602]\",\"0x{ck_esp}\",\"HMAC-SHA-1-96 [RFC2404]\",\"0x{ik_esp}\""))
        .collect();
    let mut all = outer.clone();
    all.extend(inner);
    let mut args = esp_sa_opts(&all);
    args.extend(
        [
            "-o",
            "esp.enable_authentication_check:TRUE",
            "-r",
            cap.to_str().unwrap(),
            "-T",
            "fields",
            "-e",
            "frame.number",
            "-e",
            "frame.protocols",
        ]
        .map(String::from),
    );
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let rows: Vec<(u64, String)> = tshark(&a)
        .lines()
        .filter_map(|l| {
            let (n, p) = l.split_once('\t')?;
            Some((n.parse().ok()?, p.to_string()))
        })
        .collect();
    let in_tunnel_ims = rows
        .iter()
        .filter(|(_, p)| p.contains("udpencap:esp:ipv6:esp"))
        .count() as u64;
    let direct_ims = rows
        .iter()
        .filter(|(_, p)| p.starts_with("eth:ethertype:ipv6:esp"))
        .count() as u64;
    let imsec_ims: u64 = ["0x0000006b", "0x474e0d22"]
        .iter()
        .map(|s| by_spi(s)["packets"].as_u64().unwrap())
        .sum();
    let dups: u64 = ["0x0000006b", "0x474e0d22"]
        .iter()
        .map(|s| by_spi(s)["duplicate_views"].as_u64().unwrap())
        .sum();
    assert_eq!(
        (imsec_ims, dups),
        (in_tunnel_ims, direct_ims),
        "IMS ESP in the tunnel / seen again after decapsulation"
    );
    let sip_frames: Vec<u64> = rows
        .iter()
        .filter(|(_, p)| p.contains(":sip"))
        .map(|(n, _)| *n)
        .collect();
    assert_eq!(
        Some(sip_frames.len() as u64),
        v["stats"]["sip_messages"].as_u64()
    );
    // SIP in the tunnel but outside the IMS SAs after the 401: replay's evidence.
    let clear: Vec<u64> = rows
        .iter()
        .filter(|(n, p)| {
            p.contains("udpencap:esp:ipv6:tcp:sip")
                && *n > reg["frames"]["challenge"].as_u64().unwrap()
        })
        .map(|(n, _)| *n)
        .collect();
    let mut found: Vec<u64> = ["sip_inside_sas", "protected_response_on_sa2"]
        .iter()
        .flat_map(|id| {
            check(&v, id)["evidence"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f.as_u64().unwrap())
                .collect::<Vec<_>>()
        })
        .collect();
    found.sort_unstable();
    assert_eq!(found, clear);
    assert_eq!(check(&v, "sip_inside_sas")["verdict"], "fail");
    // P-CSCF SPIs 106/107 are in the IANA range (RFC 4303 §2.1).
    assert_eq!(check(&v, "spis_distinct")["verdict"], "fail");
    assert_eq!(check(&v, "esp_icv")["verdict"], "pass");
    // The decrypted capture holds the inner packets: tshark reads SIP in it without keys.
    let n = tshark(&["-r", dec.to_str().unwrap(), "-Y", "sip"])
        .lines()
        .count() as u64;
    assert_eq!(Some(n), v["stats"]["sip_messages"].as_u64());
}

#[test]
fn b_vowifi_ims_capture_reserved_spis() {
    let Some(c) = shared() else { return };
    let tmp = tempdir("ims");
    let (code, v) = replay(
        &[c.join("vowifi_tcl_40xl_ims.pcapng").to_str().unwrap()],
        &tmp,
    );
    assert_eq!(code, 1);
    // sources.yaml: the 401 (frame 3) carries Security-Server spi-c=106 spi-s=107.
    let s = check(&v, "spis_distinct");
    assert_eq!(
        (s["verdict"].as_str(), s["evidence"].clone()),
        (Some("fail"), serde_json::json!([3]))
    );
    // Captured inside the P-CSCF's IPsec end point: no ESP on the wire, nothing to judge.
    assert_eq!(check(&v, "sip_inside_sas")["verdict"], "inconclusive");
    assert_eq!(v["registrations"][0]["negotiated"]["pcscf_spi_s"], 107);
}

#[test]
fn b_esp_null_in_gtpu_matches_tshark_heuristic() {
    let Some(c) = shared() else { return };
    if !have_tshark() {
        return;
    }
    let tmp = tempdir("amari");
    for f in [
        "amarisoft_VoLTE_poziv.pcap",
        "amarisoft_VoNR_poziv_PJSUA.pcap",
    ] {
        let p = c.join(f);
        let (_, v) = replay(&[p.to_str().unwrap()], &tmp);
        let n = tshark(&[
            "-o",
            "esp.enable_null_encryption_decode_heuristic:TRUE",
            "-r",
            p.to_str().unwrap(),
            "-Y",
            "sip",
            "-T",
            "fields",
            "-e",
            "frame.number",
        ])
        .lines()
        .count() as u64;
        assert_eq!(v["stats"]["sip_messages"].as_u64(), Some(n), "{f}");
        let esp = tshark(&[
            "-r",
            p.to_str().unwrap(),
            "-Y",
            "esp",
            "-T",
            "fields",
            "-e",
            "frame.number",
        ])
        .lines()
        .count() as u64;
        assert_eq!(v["stats"]["esp_packets"].as_u64(), Some(esp), "{f}");
        assert_eq!(
            v["stats"]["esp_null_heuristic"], v["stats"]["esp_packets"],
            "{f}"
        );
        assert!(v["stats"]["gtpu_decapsulated"].as_u64() > Some(0));
        // With a policy requiring confidentiality, ESP-NULL fails.
        let (code, w) = replay(&[p.to_str().unwrap(), "--require-confidentiality"], &tmp);
        assert_eq!(
            (code, check(&w, "esp_confidentiality")["verdict"].as_str()),
            (1, Some("fail"))
        );
    }
}

#[test]
fn b_tcpdump_esp_with_key_file() {
    let Some(c) = shared() else { return };
    let tmp = tempdir("tcpdump");
    let keys = tmp.join("k.txt");
    // sources.yaml: 3DES key of tcpdump's tests/esp1.gdbinit.
    std::fs::write(&keys, "0x12345678@192.1.2.45 3des-cbc-hmac96:0x4043434545464649494a4a4c4c4f4f515152525454575758\n").unwrap();
    let wrong = tmp.join("w.txt");
    std::fs::write(&wrong, "0x12345678@192.1.2.45 3des-cbc-hmac96:0x5043434545464649494a4a4c4c4f4f515152525454575758\n").unwrap();
    for f in ["tcpdump_02-sunrise-sunset-esp.pcap", "tcpdump_espudp1.pcap"] {
        let p = c.join(f);
        let (_, v) = replay(
            &[p.to_str().unwrap(), "--keys", keys.to_str().unwrap()],
            &tmp,
        );
        let s = &v["sas"][0];
        assert_eq!(
            (s["packets"].as_u64(), s["accepted"].as_u64()),
            (Some(8), Some(8)),
            "{f}"
        );
        let (_, v) = replay(
            &[p.to_str().unwrap(), "--keys", wrong.to_str().unwrap()],
            &tmp,
        );
        let s = &v["sas"][0];
        assert_eq!(
            (s["accepted"].as_u64(), s["icv_bad"].as_u64()),
            (Some(0), Some(8)),
            "{f}"
        );
    }
}

fn pcap_header(linktype: u32, snaplen: u32) -> Vec<u8> {
    let mut v = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    v.extend_from_slice(&snaplen.to_le_bytes());
    v.extend_from_slice(&linktype.to_le_bytes());
    v
}

fn record(data: &[u8], incl: u32) -> Vec<u8> {
    let mut v = vec![0u8; 8];
    v.extend_from_slice(&incl.to_le_bytes());
    v.extend_from_slice(&(data.len() as u32).to_le_bytes());
    v.extend_from_slice(data);
    v
}

#[test]
fn c_malformed_corpus_never_panics() {
    let tmp = tempdir("bad");
    let good = std::fs::read(repo().join("pcaps/replay/SA-DUMMY-01.conformant.pcapng")).unwrap();
    let ip = [
        0x45u8, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 0x13, 0xc4, 0x13,
        0xc4, 0, 8, 0, 0,
    ];
    let mut cases: Vec<(&str, Vec<u8>, bool)> = vec![
        ("empty", vec![], false),
        ("garbage", b"this is not a capture at all".to_vec(), false),
        ("header-only", pcap_header(1, 65535), true),
    ];
    cases.push(("truncated-header", good[..30].to_vec(), false));
    for cut in [100usize, 333, good.len() / 2, good.len() - 3] {
        cases.push((
            "truncated-pcapng",
            good[..cut.min(good.len())].to_vec(),
            true,
        ));
    }
    // The length field of the fourth block (an Enhanced Packet Block) says 2 GiB.
    let mut bad_len = good.clone();
    let mut off = 0usize;
    for _ in 0..3 {
        let l = u32::from_le_bytes(good[off + 4..off + 8].try_into().unwrap()) as usize;
        off += l;
    }
    bad_len[off + 4..off + 8].copy_from_slice(&[0xff, 0xff, 0xff, 0x7f]);
    cases.push(("bad-block-length", bad_len, true));
    let mut f = pcap_header(9999, 65535);
    f.extend(record(&ip, ip.len() as u32));
    cases.push(("garbage-linktype", f, true));
    let mut f = pcap_header(101, u32::MAX);
    f.extend(record(&ip, ip.len() as u32));
    f.extend(record(&ip, 0xffff_fff0));
    cases.push(("huge-snaplen-and-record", f, true));
    let mut f = pcap_header(101, 65535);
    let mut frag = ip.to_vec();
    frag[6] = 0x20;
    f.extend(record(&frag, frag.len() as u32));
    f.extend(record(&ip[..10], 10));
    cases.push(("fragment-and-short-ip", f, true));
    for (name, bytes, readable) in cases {
        let p = tmp.join(format!("{name}.cap"));
        std::fs::write(&p, &bytes).unwrap();
        let o = Command::cargo_bin("imsec")
            .unwrap()
            .args(["replay", p.to_str().unwrap(), "--json", "-"])
            .output()
            .unwrap();
        let code = o.status.code();
        let err = String::from_utf8_lossy(&o.stderr);
        if readable {
            assert!(code == Some(0) || code == Some(1), "{name}: {code:?} {err}");
            let v: Value = serde_json::from_slice(&o.stdout).unwrap();
            validate(&v);
        } else {
            assert_eq!(code, Some(2), "{name}: {err}");
            assert_eq!(err.lines().count(), 1, "{name}: {err}");
            assert!(
                err.contains(&format!("{name}.cap")),
                "{name}: the error names the file: {err}"
            );
        }
        if name == "truncated-header" {
            assert!(err.contains("truncated"), "{name}: {err}");
        }
        if name == "truncated-pcapng" || name == "bad-block-length" || name.starts_with("huge") {
            assert!(
                err.contains("warning"),
                "{name}: a partial capture warns: {err}"
            );
        }
        if name == "garbage-linktype" {
            assert!(
                String::from_utf8_lossy(&o.stdout).contains("link type 9999"),
                "{name}"
            );
        }
    }
}

/// xorshift64* (deterministic).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

#[test]
fn c_fuzz_smoke_capture_and_flow_layers() {
    // Seeds: the lab captures and the small shared ones; mutations flip, cut and splice.
    let mut seeds: Vec<Vec<u8>> = std::fs::read_dir(repo().join("pcaps/replay"))
        .unwrap()
        .filter_map(|e| std::fs::read(e.ok()?.path()).ok())
        .collect();
    // The passive hooks' inputs (IKEv2 with keys the fuzz body knows, TLS, SRTP).
    for f in [
        "scapy_ikev2_null.pcap",
        "openssl_tls12_certreq.pcapng",
        "scapy_esp_all.pcap",
    ] {
        seeds.extend(std::fs::read(repo().join("pcaps").join(f)));
    }
    if let Some(c) = shared() {
        for f in [
            "tcpdump_espudp1.pcap",
            "vowifi_tcl_40xl_ims.pcapng",
            "tcpdump_ikev2pI2.pcap",
            "wireshark-notes_tls-null.pcapng",
            "marseillaise-srtp-SMALL.pcap",
        ] {
            if let Ok(b) = std::fs::read(c.join(f)) {
                seeds.push(b);
            }
        }
    }
    let mut rng = Rng(0x1234_5678_9abc_def1);
    for i in 0..3000 {
        let s = &seeds[rng.below(seeds.len())];
        let mut v = s.clone();
        match i % 4 {
            0 => {
                for _ in 0..=rng.below(8) {
                    let at = rng.below(v.len());
                    if let Some(b) = v.get_mut(at) {
                        *b = rng.next() as u8;
                    }
                }
            }
            1 => v.truncate(rng.below(v.len() + 1)),
            2 => {
                let other = &seeds[rng.below(seeds.len())];
                let a = rng.below(v.len());
                let b = rng.below(other.len());
                v.truncate(a);
                v.extend_from_slice(&other[b..]);
            }
            _ => {
                let n = rng.below(200);
                v = (0..n).map(|_| rng.next() as u8).collect();
            }
        }
        imsec::replay::fuzz_capture(&v);
    }
}
