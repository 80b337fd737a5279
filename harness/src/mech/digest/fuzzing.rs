//! Shared body of the `nonce_auts` fuzz target (fuzz/) and of tests/fuzz_smoke.rs.
//!
//! Feeds one input to every Digest AKA text parser. The parsers must not panic; this oracle
//! panics (on purpose, for the fuzzer) only when an accepted value fails its round trip.

use super::{decode_auts, encode_auts, params, AkaNonce};

/// Runs the nonce, auts and parameter-list parsers on `data` (lossy UTF-8) and checks that
/// whatever they accept re-encodes to something that parses to the same value.
pub fn fuzz_parsers(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(n) = AkaNonce::parse(&text) {
        assert_eq!(
            AkaNonce::parse(&n.encode()).as_ref(),
            Ok(&n),
            "nonce round trip"
        );
    }
    if let Ok(a) = decode_auts(&text) {
        assert_eq!(decode_auts(&encode_auts(&a)), Ok(a), "auts round trip");
    }
    if let Ok(p) = params::parse(&text) {
        let rebuilt = format!(
            "{} {}",
            p.scheme,
            p.params
                .iter()
                .map(|(k, v)| format!("{k}={}", params::quote(v)))
                .collect::<Vec<_>>()
                .join(", ")
        );
        assert_eq!(
            params::parse(&rebuilt).as_ref(),
            Ok(&p),
            "params round trip"
        );
        // Values found in a challenge go to the nonce/auts parsers too.
        for (_, v) in &p.params {
            let _ = AkaNonce::parse(v);
            let _ = decode_auts(v);
        }
    }
}
