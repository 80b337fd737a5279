//! Recognising ESP with NULL encryption without keys (RFC 5879, "Heuristics for Detecting
//! ESP-NULL Packets"). Pure.
//!
//! With ealg=null the payload follows the 8-octet ESP header in clear (RFC 2410; no IV), and
//! the trailer (padding, Pad Length, Next Header, RFC 4303 §2.4–§2.6) sits just before an ICV
//! of a length the observer does not know. RFC 5879 §4 tries the ICV lengths in use (12 for
//! HMAC-MD5-96/HMAC-SHA-1-96, 16 for AES-GMAC and HMAC-SHA-256-128, 8 rarely) and accepts a
//! length when the trailer is consistent and the protocol header found at the start of the
//! payload is consistent with the packet (§5: "protocol checks"). imsec requires, for one ICV
//! length:
//! - Pad Length leaves room for the payload, and the padding is the default monotone
//!   sequence 1, 2, 3, … (RFC 4303 §2.4; RFC 5879 §5.2 uses the same check);
//! - Next Header is UDP, TCP, IPv4, IPv6, ICMP, ICMPv6 or 59 (no next header);
//! - UDP: the length field equals the payload length; TCP: the data offset is 5..=15 words
//!   and fits, ports are non-zero; IPv4/IPv6: version and length fields equal the payload
//!   length; ICMP: at least 8 octets; 59: empty payload.
//!
//! Encrypted ESP passes this by chance with a probability far below 2^-16 per ICV length for
//! UDP/IP payloads (16-bit length equality plus the trailer octets). Callers should still
//! judge an SA on several packets (RFC 5879 §4 keeps per-flow state for the same reason).

/// ICV lengths tried, most common first (RFC 5879 §4).
pub const ICV_LENGTHS: [usize; 3] = [12, 16, 8];

/// What the heuristic found in one ESP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NullGuess {
    pub icv_len: usize,
    pub next_header: u8,
    /// Where the clear payload is in the ESP packet (from the SPI on).
    pub payload_start: usize,
    pub payload_end: usize,
}

const ESP_HEADER: usize = 8;

fn be16(b: &[u8], at: usize) -> Option<usize> {
    Some(usize::from(u16::from_be_bytes([
        *b.get(at)?,
        *b.get(at + 1)?,
    ])))
}

fn payload_consistent(nh: u8, p: &[u8]) -> bool {
    match nh {
        17 => p.len() >= 8 && be16(p, 4) == Some(p.len()),
        6 => {
            let off = p.get(12).map_or(0, |b| usize::from(b >> 4) * 4);
            (20..=60).contains(&off)
                && off <= p.len()
                && be16(p, 0).is_some_and(|x| x != 0)
                && be16(p, 2).is_some_and(|x| x != 0)
        }
        4 => p.first().map(|b| b >> 4) == Some(4) && be16(p, 2) == Some(p.len()),
        41 => p.first().map(|b| b >> 4) == Some(6) && be16(p, 4).map(|l| l + 40) == Some(p.len()),
        1 | 58 => p.len() >= 8,
        59 => p.is_empty(),
        _ => false,
    }
}

/// Tries each ICV length on one ESP packet (`esp` starts at the SPI).
pub fn guess_null(esp: &[u8]) -> Option<NullGuess> {
    for icv_len in ICV_LENGTHS {
        let Some(trailer_end) = esp.len().checked_sub(icv_len) else {
            continue;
        };
        if trailer_end < ESP_HEADER + 2 {
            continue;
        }
        let nh = *esp.get(trailer_end - 1)?;
        let pad_len = usize::from(*esp.get(trailer_end - 2)?);
        let Some(payload_end) = (trailer_end - 2).checked_sub(pad_len) else {
            continue;
        };
        if payload_end < ESP_HEADER {
            continue;
        }
        let pad = esp.get(payload_end..trailer_end - 2).unwrap_or(&[]);
        if !pad
            .iter()
            .enumerate()
            .all(|(i, b)| usize::from(*b) == i + 1)
        {
            continue;
        }
        let payload = esp.get(ESP_HEADER..payload_end).unwrap_or(&[]);
        if payload_consistent(nh, payload) {
            return Some(NullGuess {
                icv_len,
                next_header: nh,
                payload_start: ESP_HEADER,
                payload_end,
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn esp_null(payload: &[u8], nh: u8, pad: u8, icv: usize) -> Vec<u8> {
        let mut v = vec![0, 0, 0x10, 0, 0, 0, 0, 1];
        v.extend_from_slice(payload);
        v.extend(1..=pad);
        v.extend_from_slice(&[pad, nh]);
        v.extend(std::iter::repeat_n(0xa5, icv));
        v
    }

    #[test]
    fn finds_udp_tcp_and_icv_length() {
        let udp = [0x13, 0xc4, 0x13, 0xc4, 0, 10, 0, 0, b'h', b'i'];
        let g = guess_null(&esp_null(&udp, 17, 2, 12)).unwrap();
        assert_eq!((g.icv_len, g.next_header, g.payload_end), (12, 17, 18));
        let g = guess_null(&esp_null(&udp, 17, 0, 16)).unwrap();
        assert_eq!(g.icv_len, 16);
        let mut tcp = vec![0u8; 24];
        tcp[..4].copy_from_slice(&[0x13, 0xc4, 0xc3, 0x50]);
        tcp[12] = 5 << 4;
        assert_eq!(
            guess_null(&esp_null(&tcp, 6, 2, 12)).unwrap().next_header,
            6
        );
        assert_eq!(
            guess_null(&esp_null(&[], 59, 2, 12)).unwrap().next_header,
            59
        );
    }

    #[test]
    fn rejects_bad_padding_length_and_noise() {
        let udp = [0x13, 0xc4, 0x13, 0xc4, 0, 11, 0, 0, b'h', b'i'];
        assert_eq!(guess_null(&esp_null(&udp, 17, 2, 12)), None);
        let mut p = esp_null(&[0x13, 0xc4, 0x13, 0xc4, 0, 8, 0, 0], 17, 3, 12);
        let at = p.len() - 12 - 3;
        p[at] = 9; // padding not 1,2,3
        assert_eq!(guess_null(&p), None);
        // Pseudo-random octets (an encrypted payload) are not taken for ESP-NULL.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut hits = 0;
        for n in 0..2000usize {
            let v: Vec<u8> = (0..(40 + n % 200))
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x as u8
                })
                .collect();
            hits += usize::from(guess_null(&v).is_some());
        }
        assert!(hits <= 2, "{hits} false positives");
        assert_eq!(guess_null(&[]), None);
        assert_eq!(guess_null(&[0; 9]), None);
    }
}
