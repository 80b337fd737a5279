//! Inbound ESP processing of a UE (RFC 4303 §3.4, RFC 3948) on arbitrary packets.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    imsec::roles::gm::fuzz_open(data);
});
