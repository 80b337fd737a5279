//! Deterministic smoke runs of the `sdp` and `srtp` fuzz targets' bodies
//! (fuzz/fuzz_targets/) under plain `cargo test`: inputs mutated from real seeds plus random
//! ones. Any panic (including a failed SDP or crypto-attribute round trip, which the bodies
//! check in debug builds) fails the test. Coverage-guided runs:
//! `cd fuzz && cargo +nightly fuzz run sdp` / `... run srtp`.

use imsec::mech::srtp::{MasterKey, Options, RtpRepr, Session, Suite};

/// xorshift64* (deterministic, no dependency).
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

fn smoke(seeds: &[Vec<u8>], alphabet: &[u8], n: u32, body: impl Fn(&[u8])) {
    let mut rng = Rng(0x5d9_5e55_1011_0001);
    for i in 0..n {
        let input: Vec<u8> = if i % 5 == 0 {
            (0..rng.below(96)).map(|_| rng.next() as u8).collect()
        } else {
            let mut v = seeds[rng.below(seeds.len())].clone();
            for _ in 0..=rng.below(4) {
                let pos = rng.below(v.len() + 1);
                match rng.below(5) {
                    0 if pos < v.len() => v[pos] = rng.next() as u8,
                    1 if pos < v.len() => {
                        v.remove(pos);
                    }
                    2 => v.insert(pos, alphabet[rng.below(alphabet.len())]),
                    3 => v.truncate(pos),
                    _ if pos < v.len() => v[pos] = alphabet[rng.below(alphabet.len())],
                    _ => {}
                }
            }
            v
        };
        body(&input);
    }
}

#[test]
fn sdp_and_crypto_attribute_parsers_survive_60k_inputs() {
    let seeds: Vec<Vec<u8>> = [
        "v=0\r\no=- 1 1 IN IP6 2001:db8::1\r\ns=-\r\nt=0 0\r\nm=audio 49170 RTP/SAVP 0 8\r\n\
         a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:aSBrbm93IGFsbCB5b3VyIGxpdHRsZSBzZWNyZXRz|2^20|1:4\r\n\
         a=3ge2ae:requested\r\nm=message 7 TCP/TLS/MSRP *\r\na=path:msrps://a:1/x;tcp\r\n\
         a=fingerprint:SHA-256 4A:AD\r\na=setup:actpass\r\n",
        "1 AES_CM_128_HMAC_SHA1_32 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4;inline:aSBrbm93IGFsbCB5b3VyIGxpdHRsZSBzZWNyZXRz|2:4 KDR=10 WSH=128 UNENCRYPTED_SRTCP",
        "v=0\nm=audio 1 RTP/AVP 0\nx=y",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    smoke(
        &seeds,
        b"=:|;^ \r\n0123456789aAzZ+/_-acmvso",
        60_000,
        imsec::mech::sdp::fuzz_parsers,
    );
}

#[test]
fn srtp_receive_path_survives_30k_packets() {
    // Seeds: real protected packets (RTP with CSRC and extension, RTCP) and short ones.
    let key = MasterKey::new(&[7; 16], &[9; 14]);
    let mut tx = Session::new(Suite::AesCm128HmacSha1_80, key, Options::default()).unwrap();
    let mut rtp = Vec::new();
    RtpRepr {
        payload_type: 0,
        seq: 1,
        ssrc: 5,
        csrcs: vec![1],
        extension: Some((0xbede, vec![1, 2, 3, 4])),
        ..Default::default()
    }
    .emit(&mut rtp);
    rtp.extend([0u8; 20]);
    tx.protect_vec(&mut rtp).unwrap();
    let mut rtcp = vec![0x80, 0xc8, 0, 1, 0, 0, 0, 5];
    rtcp.extend([1u8; 16]);
    tx.protect_rtcp_vec(&mut rtcp).unwrap();
    let seeds = vec![rtp, rtcp, vec![0x80; 12], vec![0x9f; 40]];
    smoke(
        &seeds,
        &[0x80, 0x90, 0xc8, 0xff, 0],
        30_000,
        imsec::mech::srtp::fuzz_unprotect,
    );
}
