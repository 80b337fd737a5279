//! TLS record, handshake, hello, certificate, CertificateRequest and alert parsers
//! (RFC 5246 §6.2.1/§7.4, RFC 8446 §4–§6), and record opening with known secrets
//! (RFC 5246 §6.2.3, RFC 8446 §5.2; `imsec replay --tls-keylog`) on arbitrary octets.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    imsec::mech::tls::fuzz_parsers(data);
    imsec::mech::tls::record_crypto::fuzz_open(data);
});
