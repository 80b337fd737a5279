//! ESP throughput: `seal` (protect) and `open` (verify + decrypt) per Annex H configuration and
//! packet size, next to the raw cost of the same cipher + MAC called directly (the limit).
//!
//! Run: `cargo bench --bench esp -- --warm-up-time 1 --measurement-time 2`

use aes::Aes128;
use aes_gcm::{AeadInOut, Aes128Gcm};
use cipher::{Array, BlockModeDecrypt, InnerIvInit, KeyInit};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use hmac::{Hmac, Mac};
use imsec::mech::algorithms::{EncAlg, IntegAlg};
use imsec::mech::esp::{CounterIv, Padding, SaCrypto, SealParams, NH_UDP};
use std::hint::black_box;

const SIZES: [usize; 3] = [64, 200, 1400];
const IK: [u8; 20] = [0x11; 20];
const EK: [u8; 16] = [0x22; 16];
const SALT: [u8; 4] = [1, 2, 3, 4];

type HmacSha1 = Hmac<sha1::Sha1>;

fn configs() -> Vec<(&'static str, SaCrypto)> {
    vec![
        (
            "aes-cbc+hmac-sha-1-96",
            SaCrypto::new(IntegAlg::HmacSha1_96, EncAlg::AesCbc, &IK, &EK, &[]).unwrap(),
        ),
        (
            "aes-gcm",
            SaCrypto::new(IntegAlg::Null, EncAlg::AesGcm, &[], &EK, &SALT).unwrap(),
        ),
        (
            "null+hmac-sha-1-96",
            SaCrypto::new(IntegAlg::HmacSha1_96, EncAlg::Null, &IK, &[], &[]).unwrap(),
        ),
    ]
}

/// The cipher + MAC work that `open` must do on a packet, with the keyed state precomputed
/// once as imsec does, but without any ESP parsing, copying or trailer handling.
struct Raw {
    mac: HmacSha1,
    aes: Aes128,
    gcm: Aes128Gcm,
}

impl Raw {
    fn new() -> Raw {
        Raw {
            mac: <HmacSha1 as KeyInit>::new_from_slice(&IK).unwrap(),
            aes: Aes128::new_from_slice(&EK).unwrap(),
            gcm: Aes128Gcm::new_from_slice(&EK).unwrap(),
        }
    }

    fn run(&self, name: &str, body: std::ops::Range<usize>, buf: &mut [u8]) {
        let mac_end = buf.len() - 12;
        match name {
            "aes-cbc+hmac-sha-1-96" => {
                let mut m = self.mac.clone();
                m.update(&buf[..mac_end]);
                black_box(m.finalize());
                let iv = [0u8; 16];
                let mut d = cbc::Decryptor::<&Aes128>::inner_iv_slice_init(&self.aes, &iv).unwrap();
                let (blocks, _) = Array::slice_as_chunks_mut(&mut buf[body]);
                d.decrypt_blocks(blocks);
            }
            "aes-gcm" => {
                let nonce = [0u8; 12];
                let tag = self
                    .gcm
                    .encrypt_inout_detached((&nonce).into(), &[0u8; 8], (&mut buf[body]).into())
                    .unwrap();
                black_box(tag);
            }
            _ => {
                let mut m = self.mac.clone();
                m.update(&buf[..mac_end]);
                black_box(m.finalize());
            }
        }
    }
}

fn bench(c: &mut Criterion) {
    let raw = Raw::new();
    for (name, sa) in configs() {
        let mut g = c.benchmark_group(name);
        for n in SIZES {
            let payload = vec![0x5a; n];
            let params = SealParams {
                spi: 0x1000,
                seq: 1,
                seq_hi: None,
                next_header: NH_UDP,
                padding: Padding::default(),
            };
            let mut iv = CounterIv(1);
            let mut pkt = Vec::with_capacity(n + 64);
            sa.seal(&params, &payload, &mut iv, &mut pkt).unwrap();
            let body = 8 + sa.iv_len()..pkt.len() - sa.icv_len();
            g.throughput(Throughput::Bytes(n as u64));
            let mut out = Vec::with_capacity(n + 64);
            g.bench_with_input(BenchmarkId::new("protect", n), &n, |b, _| {
                b.iter(|| {
                    sa.seal(&params, black_box(&payload), &mut iv, &mut out)
                        .unwrap()
                })
            });
            g.bench_with_input(BenchmarkId::new("verify+decrypt", n), &n, |b, _| {
                b.iter(|| black_box(sa.open(black_box(&pkt), None, &mut out).unwrap()))
            });
            let mut scratch = pkt.clone();
            g.bench_with_input(BenchmarkId::new("raw-cipher+mac", n), &n, |b, _| {
                b.iter(|| raw.run(name, body.clone(), black_box(&mut scratch)))
            });
        }
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
