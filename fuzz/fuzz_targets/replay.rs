//! The capture and flow layers of `imsec replay` (reader, link, fragments, GTP-U, ESP, TCP
//! reassembly, SIP, registrations) on arbitrary bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    imsec::replay::fuzz_capture(data);
});
