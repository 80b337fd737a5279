//! The IMS Access GW (roles::imsagw) on arbitrary datagrams: every port of an installed SRTP
//! stream, conformant and with every gateway flaw (the flawed paths decrypt by hand).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    imsec::roles::imsagw::fuzz_handle(data);
});
