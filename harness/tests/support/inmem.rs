//! Shared set-up of the in-memory role tests (no sockets): the lab's addresses, the
//! subscriber of TS 35.208 test set 1 (public test data), and a deterministic random source.
#![allow(dead_code)]

use imsec::roles::RandSource;
use std::net::IpAddr;

pub const P: [u8; 4] = [127, 0, 0, 2];
pub const S: [u8; 4] = [127, 0, 0, 3];
pub const U: [u8; 4] = [127, 0, 0, 4];
/// TS 35.208 test set 1.
pub const K: &str = "465b5ce8b199b49faa5f0a2ee238a6bc";
pub const OPC: &str = "cd63cb71954a9f4e48a5994e37a02baf";

pub fn ip(a: [u8; 4]) -> IpAddr {
    IpAddr::from(a)
}

/// A xorshift byte source: the same seed gives the same SPIs, nonces and keys.
pub fn seeded(seed: u64) -> RandSource {
    let mut x = seed | 1;
    Box::new(move |b: &mut [u8]| {
        for v in b.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *v = (x >> 24) as u8;
        }
    })
}
