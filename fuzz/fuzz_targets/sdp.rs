//! SDP (RFC 8866) codec and media-security attributes (RFC 4568 a=crypto, a=3ge2ae,
//! a=fingerprint, a=setup, a=path) on arbitrary text; parsed SDP must re-emit byte-identically.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    imsec::mech::sdp::fuzz_parsers(data);
});
