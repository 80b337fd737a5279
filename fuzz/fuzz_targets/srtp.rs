//! SRTP/SRTCP (RFC 3711) receive and send paths on arbitrary packets: RTP/RTCP views,
//! unprotect with and without MKI, for every suite.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    imsec::mech::srtp::fuzz_unprotect(data);
});
