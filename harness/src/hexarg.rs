//! Hex decoding for command-line arguments and vector fields.
//!
//! Every error says what was wrong in one line; the caller prefixes the argument name
//! (clap does so for value parsers).

/// Decodes hex of any even length. Accepts an optional `0x` prefix, upper or lower case,
/// and ignores `:` separators (Wireshark style).
pub fn decode(s: &str) -> Result<Vec<u8>, String> {
    let t = s.trim();
    let t = t
        .strip_prefix("0x")
        .or_else(|| t.strip_prefix("0X"))
        .unwrap_or(t);
    let cleaned: String = t.chars().filter(|c| *c != ':').collect();
    if cleaned.len() % 2 != 0 {
        return Err(format!(
            "odd number of hex digits ({}): hex needs two digits per octet",
            cleaned.len()
        ));
    }
    if let Some((i, c)) = cleaned.char_indices().find(|(_, c)| !c.is_ascii_hexdigit()) {
        return Err(format!("'{c}' at position {i} is not a hex digit"));
    }
    hex::decode(&cleaned).map_err(|e| e.to_string())
}

/// Decodes hex that must be exactly `N` octets.
pub fn decode_fixed<const N: usize>(s: &str) -> Result<[u8; N], String> {
    let v = decode(s)?;
    v.as_slice().try_into().map_err(|_| {
        format!(
            "expected {N} octets ({} hex digits), got {} octets",
            2 * N,
            v.len()
        )
    })
}

/// clap value parser: any even-length hex.
pub fn any(s: &str) -> Result<Vec<u8>, String> {
    decode(s)
}
/// clap value parser: 16 octets (K, OP, OPc, RAND, CK, IK).
pub fn hex16(s: &str) -> Result<[u8; 16], String> {
    decode_fixed::<16>(s)
}
/// clap value parser: 6 octets (SQN).
pub fn hex6(s: &str) -> Result<[u8; 6], String> {
    decode_fixed::<6>(s)
}
/// clap value parser: 2 octets (AMF).
pub fn hex2(s: &str) -> Result<[u8; 2], String> {
    decode_fixed::<2>(s)
}
/// clap value parser: 14 octets (AUTS).
pub fn hex14(s: &str) -> Result<[u8; 14], String> {
    decode_fixed::<14>(s)
}

/// Lower-case hex, the only form imsec prints.
pub fn encode(b: &[u8]) -> String {
    hex::encode(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_prefix_case_and_colons() {
        assert_eq!(decode("0xAbCd").unwrap(), vec![0xab, 0xcd]);
        assert_eq!(decode("ab:cd:ef").unwrap(), vec![0xab, 0xcd, 0xef]);
    }

    #[test]
    fn rejects_odd_and_non_hex() {
        assert!(decode("abc").unwrap_err().contains("odd"));
        assert!(decode("zz").unwrap_err().contains("not a hex digit"));
        assert!(hex16("00").unwrap_err().contains("expected 16 octets"));
    }
}
