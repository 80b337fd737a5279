//! `imsec srtp decrypt` on the third-party SDES-keyed stream in ../shared/captures
//! (gteissier/srtp-decrypt `marseillaise-srtp.pcap`, read in place, never copied): facts from
//! sources.yaml (11888 packets, 10.1.1.1:10000 -> 10.2.2.2:10000, SSRC 0xdeadbeef, PT 8,
//! 160-octet payloads, AES_CM_128_HMAC_SHA1_80, all authenticate with the published key),
//! and the decrypted packets of the 20-packet excerpt compared with libsrtp2's.

#[macro_use]
#[path = "support/srtp_peer.rs"]
mod srtp_peer;

use assert_cmd::Command;
use imsec::capture::srtp::{Decryptor, Outcome, SdesKey};
use imsec::capture::{link, CaptureReader};
use imsec::mech::srtp::{RtpPacket, Suite};
use srtp_peer::{peer, run_peer};
use std::path::{Path, PathBuf};

/// base64("i know all your little secrets"): the key of gteissier/srtp-decrypt's Makefile.
const KEY: &str = "inline:aSBrbm93IGFsbCB5b3VyIGxpdHRsZSBzZWNyZXRz";

fn capture(name: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/captures")
        .join(name);
    if p.is_file() {
        Some(p)
    } else {
        println!(
            "SKIPPED: {} missing (CI has shared/ beside the clone)",
            p.display()
        );
        None
    }
}

fn json(args: &[&str]) -> serde_json::Value {
    let out = Command::cargo_bin("imsec")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn marseillaise_every_packet_authenticates_and_decrypts() {
    let Some(p) = capture("marseillaise-srtp.pcap") else {
        return;
    };
    let v = json(&[
        "srtp",
        "decrypt",
        p.to_str().unwrap(),
        "--sdes",
        KEY,
        "--json",
    ]);
    let s = &v["streams"];
    assert_eq!(s.as_array().unwrap().len(), 1, "{v}");
    let s = &s[0];
    assert_eq!(s["src"], "10.1.1.1:10000");
    assert_eq!(s["dst"], "10.2.2.2:10000");
    assert_eq!(s["ssrc"], "0xdeadbeef");
    assert_eq!(s["kind"], "srtp");
    assert_eq!(s["packets"], 11888);
    assert_eq!(s["accepted"], 11888);
    assert_eq!(s["auth_failed"], 0);
    assert_eq!(s["replayed"], 0);
    assert_eq!(s["suite"], "AES_CM_128_HMAC_SHA1_80");
    assert_eq!(v["not_rtp"], 0);
}

#[test]
fn marseillaise_with_a_changed_key_fails_every_packet() {
    let Some(p) = capture("marseillaise-srtp.pcap") else {
        return;
    };
    // One base64 character changed ('a' -> 'b' in the first position).
    let v = json(&[
        "srtp",
        "decrypt",
        p.to_str().unwrap(),
        "--sdes",
        "inline:bSBrbm93IGFsbCB5b3VyIGxpdHRsZSBzZWNyZXRz",
        "--json",
    ]);
    assert_eq!(v["streams"][0]["auth_failed"], 11888, "{v}");
    assert_eq!(v["streams"][0]["accepted"], 0);
    // The right key among wrong ones is found and reported by position.
    let v = json(&[
        "srtp",
        "decrypt",
        p.to_str().unwrap(),
        "--sdes",
        "inline:bSBrbm93IGFsbCB5b3VyIGxpdHRsZSBzZWNyZXRz",
        "--sdes",
        &format!("a=crypto:1 AES_CM_128_HMAC_SHA1_80 {KEY}"),
        "--json",
    ]);
    assert_eq!(v["streams"][0]["accepted"], 11888, "{v}");
    assert_eq!(v["streams"][0]["key"], 1);
}

#[test]
fn small_excerpt_matches_libsrtp_plaintext() {
    let Some(p) = capture("marseillaise-srtp-SMALL.pcap") else {
        return;
    };
    let peer = peer_or_skip!();
    let key = SdesKey::parse(KEY, Suite::AesCm128HmacSha1_80).unwrap();
    let mut dec = Decryptor::new(vec![key]);
    let mut r = CaptureReader::open(&p).unwrap();
    let (mut srtp, mut plain) = (Vec::new(), Vec::new());
    while let Some(f) = r.next_frame() {
        let l3 = link::network_layer(f.linktype, &f.data).unwrap().to_vec();
        // The UDP payload (IPv4 without options here: 20 + 8 octets of headers).
        srtp.push((false, l3[28..].to_vec()));
        match dec.process(&l3) {
            Outcome::Accepted { plain: p, .. } => plain.push(p),
            other => panic!("frame {}: {other:?}", f.number),
        }
    }
    assert_eq!(plain.len(), 20);
    let key_salt = hex::encode(b"i know all your little secrets");
    let lib = run_peer(
        &peer,
        "unprotect",
        Suite::AesCm128HmacSha1_80,
        &key_salt,
        "",
        &srtp,
    );
    for (mine, theirs) in plain.iter().zip(&lib) {
        let theirs = theirs.as_ref().expect("libsrtp accepts the capture");
        assert_eq!(mine, theirs);
        let rtp = RtpPacket::new_checked(&mine[..]).unwrap();
        assert_eq!(
            (rtp.ssrc(), rtp.payload_type(), rtp.payload().len()),
            (0xdeadbeef, 8, 160)
        );
    }
}

#[test]
fn bad_keys_are_usage_errors() {
    for bad in [
        "inline:AAAA",
        "inline:!!",
        "1 F8_128_HMAC_SHA1_80 inline:aSBrbm93IGFsbCB5b3VyIGxpdHRsZSBzZWNyZXRz",
    ] {
        let out = Command::cargo_bin("imsec")
            .unwrap()
            .args(["srtp", "decrypt", "/nonexistent.pcap", "--sdes", bad])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("--sdes #1"),
            "{bad}"
        );
    }
}
