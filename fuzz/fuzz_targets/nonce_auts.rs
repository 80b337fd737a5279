//! Digest AKA text parsers on arbitrary input: nonce (RFC 3310 §3.2), auts (§3.4) and
//! WWW-Authenticate / Authorization parameter lists (RFC 2617 §3.2). They must return an
//! error, never panic; what they accept must survive a round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    imsec::mech::digest::fuzz_parsers(data);
});
