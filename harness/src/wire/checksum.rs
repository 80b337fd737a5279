//! The Internet checksum (RFC 1071) and the IPv4/IPv6 pseudo headers (RFC 768, RFC 8200 §8.1).

use std::net::IpAddr;

/// One's-complement sum of 16-bit big-endian words (odd tail padded with zero), not folded.
pub fn sum(data: &[u8]) -> u32 {
    let mut acc: u64 = 0;
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        acc += u64::from(u16::from_be_bytes([c[0], c[1]]));
    }
    if let [last] = chunks.remainder() {
        acc += u64::from(u16::from_be_bytes([*last, 0]));
    }
    fold64(acc)
}

fn fold64(mut acc: u64) -> u32 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    acc as u32
}

/// Folds partial sums and complements: the value to put in a checksum field.
pub fn finish(parts: &[u32]) -> u16 {
    let acc: u64 = parts.iter().map(|p| u64::from(*p)).sum();
    !(fold64(acc) as u16)
}

/// Sum of the pseudo header for an upper-layer protocol over IPv4 or IPv6.
/// Mixed address families give the IPv4 form of the first and the IPv6 form of the second,
/// which never verifies; callers keep families equal.
pub fn pseudo_header(src: IpAddr, dst: IpAddr, protocol: u8, length: u32) -> u32 {
    let mut acc = 0u64;
    for a in [src, dst] {
        acc += u64::from(match a {
            IpAddr::V4(v) => sum(&v.octets()),
            IpAddr::V6(v) => sum(&v.octets()),
        });
    }
    acc += u64::from(protocol);
    acc += u64::from(length >> 16) + u64::from(length & 0xffff);
    fold64(acc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_example() {
        // RFC 1071 §3 example: words 0001 f203 f4f5 f6f7 sum to 0xddf2 (before complement).
        let d = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(sum(&d), 0xddf2);
        assert_eq!(finish(&[sum(&d)]), !0xddf2);
    }
}
