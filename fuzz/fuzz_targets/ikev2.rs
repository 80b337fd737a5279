//! IKEv2 messages (RFC 7296 §3): header, payload chain, SA/proposals/transforms, SK open, the
//! Za proposal judgement, and the initiator/responder roles, on arbitrary datagrams.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    imsec::mech::ikev2::fuzz_parsers(data);
    imsec::roles::ike::fuzz_roles(data);
});
