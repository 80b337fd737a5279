//! TLS record, handshake, hello, certificate, CertificateRequest and alert parsers
//! (RFC 5246 §6.2.1/§7.4, RFC 8446 §4–§6) on arbitrary octets.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    imsec::mech::tls::fuzz_parsers(data);
});
