//! Deterministic smoke run of the `nonce_auts` fuzz target's body (fuzz/fuzz_targets/) under
//! plain `cargo test`: 200 000 inputs, random and mutated from real seeds, through the Digest
//! AKA nonce, auts and parameter-list parsers. Any panic fails the test. The coverage-guided
//! run is `cd fuzz && cargo +nightly fuzz run nonce_auts`.

use imsec::mech::digest::fuzz_parsers;

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

const SEEDS: &[&str] = &[
    "I1U8vpY3qJ0hiuZNrke/NVXzKLQ1d7m5Sp/6w1Tfr7M=",
    "AAAAAAAAAAAAAAAAAAAAAAMEBQYHCAAAAAECAwQFBgc=",
    "TyA5OS3dS7QxbtShRog=",
    "Digest realm=\"ims.example.net\", nonce=\"I1U8vpY3qJ0hiuZNrke/NVXzKLQ1d7m5Sp/6w1Tfr7M=\", \
     algorithm=AKAv1-MD5, qop=\"auth,auth-int\", ik=\"f769bcd751044604127672711c6d3441\"",
    "Digest username=\"user@ims.example.net\",realm=\"ims.example.net\",uri=\"sip:ims.example.net\",\
     response=\"\",nc=00000001,cnonce=\"0a4f113b\",auts=\"TyA5OS3dS7QxbtShRog=\",qop=auth",
    "Digest a=\"\\\"q\\\\\", ,, b=c",
];

const ALPHABET: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\",\\ \t\r\n;:";

fn mutate(rng: &mut Rng, seed: &[u8], seeds: &[&[u8]]) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..=rng.below(4) {
        let pos = rng.below(v.len() + 1);
        match rng.below(6) {
            0 if pos < v.len() => v[pos] = rng.next() as u8,
            1 if pos < v.len() => {
                v.remove(pos);
            }
            2 => v.insert(pos, ALPHABET[rng.below(ALPHABET.len())]),
            3 => v.truncate(pos),
            4 if pos < v.len() => v[pos] = ALPHABET[rng.below(ALPHABET.len())],
            _ => {
                let other = seeds[rng.below(seeds.len())];
                let cut = rng.below(other.len());
                v.splice(pos..pos, other[cut..].iter().copied());
            }
        }
    }
    v
}

/// Feeds `n` inputs (a quarter random, the rest mutated seeds) to `body`.
fn smoke(seeds: &[&[u8]], n: u32, max_random: usize, body: impl Fn(&[u8])) {
    let mut rng = Rng(0x1d5e_c0de_a4a4_0001);
    for i in 0..n {
        let input = if i % 4 == 0 {
            let len = rng.below(max_random);
            (0..len).map(|_| rng.next() as u8).collect()
        } else {
            let seed = seeds[rng.below(seeds.len())];
            mutate(&mut rng, seed, seeds)
        };
        body(&input);
    }
}

#[test]
fn parsers_survive_200k_inputs() {
    let seeds: Vec<&[u8]> = SEEDS.iter().map(|s| s.as_bytes()).collect();
    smoke(&seeds, 200_000, 64, fuzz_parsers);
}

/// SIP messages and streams (fuzz/fuzz_targets/sip.rs), seeded with real IMS headers.
#[test]
fn sip_codec_survives_100k_inputs() {
    let seeds: &[&[u8]] = &[
        b"REGISTER sip:ims.example.net SIP/2.0\r\nVia: SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK1\r\nl: 0\r\n\r\n",
        b"SIP/2.0 401 Unauthorized\r\nCSeq: 1 REGISTER\r\nWWW-Authenticate: Digest nonce=\"x\", ck=\"00\"\r\nContent-Length: 3\r\n\r\nabc",
        b"\r\n\r\nOPTIONS sip:a SIP/2.0\r\nX: a\r\n b\r\nContent-Length: 0\r\n\r\n",
    ];
    smoke(seeds, 100_000, 256, imsec::mech::sip::fuzz_parsers);
}

/// Security-Client/-Server/-Verify values (fuzz/fuzz_targets/secagree.rs).
#[test]
fn secagree_codec_survives_100k_inputs() {
    let seeds: &[&[u8]] = &[
        b"Security-Client: ipsec-3gpp;prot=esp;mod=trans;spi-c=1196297506;spi-s=1029280162;port-c=50007;port-s=50008;ealg=null;alg=hmac-md5-96",
        b"ipsec-3gpp;q=0.1;alg=hmac-sha-1-96;ealg=aes-cbc;spi-c=106;spi-s=107;port-c=5062;port-s=39005, digest;d-ver=\"0123456789abcdef0123456789abcdef\"",
        b"sdes-srtp;mediasec, msrp-tls;mediasec, tls;q=1.000",
    ];
    smoke(seeds, 100_000, 128, imsec::mech::secagree::fuzz_parsers);
}

/// Inbound ESP at the UE (fuzz/fuzz_targets/gm_open.rs): never panics on any packet.
#[test]
fn inbound_esp_survives_20k_packets() {
    let seeds: &[&[u8]] = &[
        &[
            0, 0, 0x10, 0, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
        ],
        &[
            0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 50, 0, 0, 127, 0, 0, 2, 127, 0, 0, 4, 0, 0, 0x10, 0,
            0, 0, 0, 1,
        ],
        &[0xff],
        &[0, 0, 0, 0, 1, 2, 3],
    ];
    smoke(seeds, 20_000, 200, imsec::roles::gm::fuzz_open);
}

#[test]
fn seeds_parse() {
    use imsec::mech::digest::{decode_auts, params, AkaNonce};
    assert!(AkaNonce::parse(SEEDS[0]).is_ok());
    assert!(decode_auts(SEEDS[2]).is_ok());
    assert_eq!(params::parse(SEEDS[3]).map(|p| p.params.len()), Ok(5));
    assert_eq!(params::parse(SEEDS[4]).map(|p| p.params.len()), Ok(8));
    assert_eq!(
        params::parse(SEEDS[5]).map(|p| p.params),
        Ok(vec![
            ("a".to_string(), "\"q\\".to_string()),
            ("b".to_string(), "c".to_string())
        ])
    );
}
