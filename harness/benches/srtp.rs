//! SRTP throughput, AES_CM_128_HMAC_SHA1_80, 160- and 1200-octet payloads (12-octet RTP
//! header on top): imsec's `protect` and `unprotect` under criterion, then, in the same run,
//! packets per second of imsec and of libsrtp2 (tools/srtp_peer.c `bench` mode, built here
//! with `cc -O2 ... $(pkg-config --cflags --libs libsrtp2)`) timed the same way: N packets
//! protected, then the same N unprotected, one core.
//!
//! Run: `cargo bench --bench srtp -- --warm-up-time 1 --measurement-time 3`

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use imsec::mech::srtp::{MasterKey, Options, Session, Suite};
use std::hint::black_box;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const PAYLOADS: [usize; 2] = [160, 1200];
const KEY_SALT: &str = "e1f97a0d3e018be0d64fa32c06de41390ec675ad498afeebb6960b3aabe6";
const SUITE: Suite = Suite::AesCm128HmacSha1_80;
const CHUNK: usize = 4096;

fn session() -> Session {
    let ks = hex::decode(KEY_SALT).unwrap();
    Session::new(
        SUITE,
        MasterKey::from_key_salt(&ks, &[]).unwrap(),
        Options::default(),
    )
    .unwrap()
}

fn rtp(payload: usize) -> Vec<u8> {
    let mut p = vec![0x80, 0x08, 0, 0, 0, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef];
    p.resize(12 + payload, 0xab);
    p
}

fn set_seq(p: &mut [u8], i: u64) {
    p[2] = (i >> 8) as u8;
    p[3] = i as u8;
}

/// Protects `n` packets into `store` (each slot `len + overhead` octets) with `tx`.
fn protect_chunk(tx: &mut Session, plain: &[u8], store: &mut [u8], first: u64, n: usize) {
    let slot = plain.len() + tx.rtp_overhead();
    for k in 0..n {
        let b = &mut store[k * slot..(k + 1) * slot];
        b[..plain.len()].copy_from_slice(plain);
        set_seq(b, first + k as u64);
        tx.protect(b, plain.len()).unwrap();
    }
}

/// Time to unprotect `iters` packets (protected untimed, chunk by chunk).
fn time_unprotect(payload: usize, iters: u64) -> Duration {
    let mut tx = session();
    let mut rx = session();
    let plain = rtp(payload);
    let slot = plain.len() + tx.rtp_overhead();
    let mut store = vec![0u8; CHUNK * slot];
    let mut done = 0u64;
    let mut spent = Duration::ZERO;
    while done < iters {
        let n = (iters - done).min(CHUNK as u64) as usize;
        protect_chunk(&mut tx, &plain, &mut store, done, n);
        let t = Instant::now();
        for k in 0..n {
            let o = rx.unprotect(&mut store[k * slot..(k + 1) * slot]).unwrap();
            black_box(o);
        }
        spent += t.elapsed();
        done += n as u64;
    }
    spent
}

fn time_protect(payload: usize, iters: u64) -> Duration {
    let mut tx = session();
    let plain = rtp(payload);
    let mut buf = vec![0u8; plain.len() + tx.rtp_overhead()];
    let t = Instant::now();
    for i in 0..iters {
        buf[..plain.len()].copy_from_slice(&plain);
        set_seq(&mut buf, i);
        black_box(tx.protect(&mut buf, plain.len()).unwrap());
    }
    t.elapsed()
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("srtp/AES_CM_128_HMAC_SHA1_80");
    for n in PAYLOADS {
        g.throughput(Throughput::Bytes(n as u64));
        g.bench_with_input(BenchmarkId::new("protect", n), &n, |b, &n| {
            b.iter_custom(|iters| time_protect(n, iters))
        });
        g.bench_with_input(BenchmarkId::new("unprotect", n), &n, |b, &n| {
            b.iter_custom(|iters| time_unprotect(n, iters))
        });
    }
    g.finish();
    side_by_side();
}

/// Packets per second of imsec and libsrtp2, same packets, same count, same process order.
fn side_by_side() {
    const N: u64 = 300_000;
    let peer = build_peer();
    println!("\nSRTP packets/s, {SUITE}, one core, {N} packets each (higher is better):");
    println!(
        "{:>8} {:>14} {:>14} {:>16} {:>16}",
        "payload", "imsec protect", "imsec unprot.", "libsrtp2 protect", "libsrtp2 unprot."
    );
    for n in PAYLOADS {
        let p = N as f64 / time_protect(n, N).as_secs_f64();
        let u = N as f64 / time_unprotect(n, N).as_secs_f64();
        let lib = match &peer {
            Ok(bin) => Command::new(bin)
                .args([
                    "bench",
                    SUITE.name(),
                    KEY_SALT,
                    &(12 + n).to_string(),
                    &N.to_string(),
                ])
                .output()
                .ok()
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
                .unwrap_or_default(),
            Err(why) => format!("SKIPPED: {why}"),
        };
        let field = |k: &str| {
            lib.split_whitespace()
                .find_map(|w| w.strip_prefix(k))
                .unwrap_or("-")
                .to_string()
        };
        println!(
            "{:>8} {:>14.0} {:>14.0} {:>16} {:>16}",
            n,
            p,
            u,
            field("protect_pps="),
            field("unprotect_pps=")
        );
        if peer.is_err() {
            println!("libsrtp2: {lib}");
        }
    }
}

fn build_peer() -> Result<std::path::PathBuf, String> {
    let flags = Command::new("pkg-config")
        .args(["--cflags", "--libs", "libsrtp2"])
        .output()
        .map_err(|e| format!("pkg-config: {e}"))?;
    if !flags.status.success() {
        return Err("libsrtp2 not installed (Debian: libsrtp2-dev)".into());
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tools/srtp_peer.c");
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("srtp_peer_bench");
    let st = Command::new("cc")
        .args(["-O2", "-o"])
        .arg(&out)
        .arg(&src)
        .args(String::from_utf8_lossy(&flags.stdout).split_whitespace())
        .status()
        .map_err(|e| format!("cc: {e}"))?;
    if !st.success() {
        return Err("building tools/srtp_peer.c failed".into());
    }
    Ok(out)
}

criterion_group!(benches, bench);
criterion_main!(benches);
