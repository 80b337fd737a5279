//! Security agreement for SIP (RFC 3329) as profiled by TS 33.203 Annex H and TS 24.229 §7.2A.7.
//!
//! - [`header`]: the codec for `Security-Client`, `Security-Server` and `Security-Verify`
//!   (RFC 3329 §2.2 grammar), with a strict mode that names every deviation and a lenient mode
//!   for real UEs.
//! - [`ipsec`]: the typed `ipsec-3gpp` entry (TS 33.203 Annex H parameters).
//! - [`qvalue`]: the exact `qvalue` grammar (RFC 3261 §20.10 as used by RFC 3329).
//! - [`compare`]: the semantic comparison used for the bid-down check
//!   (Security-Verify against Security-Server, RFC 3329 §2.3.1; TS 33.203 §7.2).

pub mod compare;
pub mod header;
pub mod ipsec;
pub mod qvalue;

pub use header::{Deviation, Mechanism, Mode, Param, SecHeaderKind};
pub use ipsec::{IpsecMode, IpsecOffer};

/// Fuzz body (fuzz/fuzz_targets/secagree.rs): header value and line parsing in both modes,
/// typed ipsec-3gpp reading, emit/re-parse, and comparison of the list with itself.
pub fn fuzz_parsers(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = header::parse_line(text, Mode::Strict);
    if let Ok(p) = header::parse_value(text, Mode::Lenient) {
        let _ = ipsec::ipsec_offers(&p.mechanisms, Mode::Lenient);
        let emitted = header::emit(&p.mechanisms);
        if let Ok(q) = header::parse_value(&emitted, Mode::Lenient) {
            debug_assert!(
                compare::compare_lists(&p.mechanisms, &q.mechanisms).is_ok(),
                "round trip changed {text:?} -> {emitted:?}: {:?}",
                compare::compare_lists(&p.mechanisms, &q.mechanisms)
            );
        }
    }
    let _ = qvalue::QValue::parse(text);
    let _ = qvalue::QValue::parse_lenient(text);
}
