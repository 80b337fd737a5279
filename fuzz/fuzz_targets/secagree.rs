//! Security-Client/-Server/-Verify codec (RFC 3329 §2.2, TS 33.203 Annex H) on arbitrary text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    imsec::mech::secagree::fuzz_parsers(data);
});
