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

fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
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
                let other = SEEDS[rng.below(SEEDS.len())].as_bytes();
                let cut = rng.below(other.len());
                v.splice(pos..pos, other[cut..].iter().copied());
            }
        }
    }
    v
}

#[test]
fn parsers_survive_200k_inputs() {
    let mut rng = Rng(0x1d5e_c0de_a4a4_0001);
    for i in 0..200_000u32 {
        let input = if i % 4 == 0 {
            let len = rng.below(64);
            (0..len).map(|_| rng.next() as u8).collect()
        } else {
            let seed = SEEDS[rng.below(SEEDS.len())].as_bytes();
            mutate(&mut rng, seed)
        };
        fuzz_parsers(&input);
    }
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
