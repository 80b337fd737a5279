//! Deterministic smoke run of the `ikev2` fuzz target's body (fuzz/fuzz_targets/ikev2.rs)
//! under plain `cargo test`: random and mutated IKEv2 messages through the parsers, the SK
//! opener, the Za judgement and the initiator/responder roles. Any panic fails the test. The
//! coverage-guided run is `cd fuzz && cargo +nightly fuzz run ikev2`.

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

/// Real messages: every `message:` of vectors/ikev2.yaml (tcpdump's IKE_AUTH and a sealed
/// NO_PROPOSAL_CHOSEN) plus an IKE_SA_INIT request and a NO_PROPOSAL_CHOSEN response from
/// shared/reference/vectors/ikev2.yaml (layout checked there with scapy).
fn seeds() -> Vec<Vec<u8>> {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../vectors/ikev2.yaml"),
    )
    .unwrap();
    let mut out: Vec<Vec<u8>> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("message: "))
        .map(|h| hex::decode(h.trim()).unwrap())
        .collect();
    assert_eq!(out.len(), 2);
    out.push(
        hex::decode("01020304050607080000000000000000292022200000000000000024000000080000000e")
            .unwrap(),
    );
    // IKE_SA_INIT request header + SA(ENCR_AES_CBC-128, PRF_HMAC_SHA1, AUTH_HMAC_SHA1_96,
    // MODP-2048) + KE(group 14, 256 octets) + Ni(32 octets).
    let mut init = hex::decode(
        "010203040506070800000000000000002120220800000000000001782200003000\
         00002c010100040300000c0100000c800e008003000008020000020300000803000002000000080400000e\
         28000108000e0000",
    )
    .unwrap();
    init.extend(std::iter::repeat_n(0x5a, 256));
    init.extend_from_slice(&hex::decode("00000024").unwrap());
    init.extend(0u8..32);
    out.push(init);
    out
}

fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..=rng.below(4) {
        let pos = rng.below(v.len() + 1);
        match rng.below(5) {
            0 if pos < v.len() => v[pos] = rng.next() as u8,
            1 if pos < v.len() => {
                v.remove(pos);
            }
            2 => v.insert(pos, rng.next() as u8),
            3 => v.truncate(pos),
            _ if pos + 1 < v.len() => v[pos] ^= 1 << rng.below(8),
            _ => {}
        }
    }
    v
}

#[test]
fn seeds_are_what_they_claim() {
    let s = seeds();
    for m in &s {
        imsec::mech::ikev2::Message::parse(m).unwrap();
    }
}

#[test]
fn ikev2_parsers_survive_50k_inputs() {
    let seeds = seeds();
    let mut rng = Rng(0x1d5e_c0de_1ce2_0001);
    for i in 0..50_000u32 {
        let input = if i % 4 == 0 {
            (0..rng.below(300)).map(|_| rng.next() as u8).collect()
        } else {
            let k = rng.below(seeds.len());
            mutate(&mut rng, &seeds[k])
        };
        imsec::mech::ikev2::fuzz_parsers(&input);
        // The roles do D-H on plausible input: fewer of them.
        if i % 100 == 0 {
            imsec::roles::ike::fuzz_roles(&input);
        }
    }
}
