//! Deterministic smoke run of the `tls` fuzz target's body (fuzz/fuzz_targets/tls.rs) under
//! plain `cargo test`: 100 000 inputs, random and mutated from real TLS streams (the
//! vectors/tls_handshake.yaml records: a third-party capture and live OpenSSL flights), through
//! every mech::tls parser and the prober's answer classifier. Any panic fails the test. The
//! coverage-guided run is `cd fuzz && cargo +nightly fuzz run tls`.

use imsec::mech::tls::hello::HelloSpec;
use imsec::net::tls_probe::analyse;
use std::path::Path;

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

fn seeds() -> Vec<Vec<u8>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../vectors/tls_handshake.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).unwrap();
    let mut out: Vec<Vec<u8>> = doc["vectors"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|v| hex::decode(v["input"]["stream"].as_str().unwrap()).unwrap())
        .collect();
    assert!(out.len() >= 7);
    // Handshake bodies alone (the parsers are also called on unframed input).
    let extra: Vec<Vec<u8>> = out
        .iter()
        .filter_map(|s| s.get(9..).map(<[u8]>::to_vec))
        .collect();
    out.extend(extra);
    out
}

fn mutate(rng: &mut Rng, seed: &[u8], seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..=rng.below(4) {
        let pos = rng.below(v.len() + 1);
        match rng.below(6) {
            0 if pos < v.len() => v[pos] = rng.next() as u8,
            1 if pos < v.len() => {
                v.remove(pos);
            }
            // Length-like values at any offset.
            2 if pos + 1 < v.len() => {
                let x = [0u8, 1, 2, 0x7f, 0x80, 0xfe, 0xff][rng.below(7)];
                v[pos] = x;
            }
            3 => v.truncate(pos),
            4 if pos < v.len() => v[pos] = v[pos].wrapping_add(1),
            _ => {
                let other = &seeds[rng.below(seeds.len())];
                let cut = rng.below(other.len());
                v.splice(pos..pos, other[cut..].iter().copied());
            }
        }
    }
    v
}

#[test]
fn tls_parsers_survive_100k_inputs() {
    let seeds = seeds();
    let hello = HelloSpec {
        version: 0x0303,
        cipher_suites: vec![0x003b, 0xc02f],
        server_name: None,
        random: [0; 32],
        x25519_share: [0; 32],
    }
    .client_hello();
    let mut rng = Rng(0x7e5_c0de_0000_0001);
    for i in 0..100_000u32 {
        let input = if i % 4 == 0 {
            let len = rng.below(300);
            (0..len).map(|_| rng.next() as u8).collect()
        } else {
            let seed = &seeds[rng.below(seeds.len())];
            mutate(&mut rng, seed, &seeds)
        };
        imsec::mech::tls::fuzz_parsers(&input);
        let _ = analyse(&hello, &input, i % 2 == 0);
    }
}

/// The seeds themselves parse (the smoke run starts from valid input).
#[test]
fn seeds_are_valid_tls() {
    for s in seeds().iter().take(7) {
        let (rec, _) = imsec::mech::tls::record::next_record(s).unwrap().unwrap();
        assert!((20..=23).contains(&rec.content_type()));
    }
}
