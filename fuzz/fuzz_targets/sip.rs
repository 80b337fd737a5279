//! SIP message and stream framing (RFC 3261 §7, §18.3) on arbitrary bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    imsec::mech::sip::fuzz_parsers(data);
});
