//! Fuzz target: bytes as a pcap/pcapng file through the capture reader, link layers,
//! IPv4/IPv6/UDP parsing, ESP classification and `imsec esp decrypt`'s decryptor.
//! Also feeds the same bytes directly as an IP packet. Nothing may panic.
#![no_main]

use imsec::capture::classify::{classify, parse_ip};
use imsec::capture::decrypt::{Decryptor, SaSpec, Selector};
use imsec::capture::{link, CaptureReader};
use imsec::mech::algorithms::{EncAlg, IntegAlg};
use imsec::mech::esp::{SaCrypto, UncheckedIcv};
use libfuzzer_sys::fuzz_target;

fn decryptor() -> Option<Decryptor> {
    let crypto = SaCrypto::new(
        IntegAlg::HmacSha1_96,
        EncAlg::AesCbc,
        &[7; 20],
        &[9; 16],
        &[],
    )
    .ok()?;
    // An SA with an unchecked ICV: every packet with its SPI reaches decryption and the
    // trailer parser, as with esp_sa "ANY 96 bit authentication [no checking]".
    let unchecked =
        SaCrypto::new_unchecked_icv(EncAlg::DesEde3Cbc, &[5; 24], &[], UncheckedIcv::Bits96)
            .ok()?;
    let sa = |spi: u32, crypto: SaCrypto| SaSpec {
        spi,
        ipv6: false,
        src: Selector::Any,
        dst: Selector::Any,
        src_label: "*".into(),
        dst_label: "*".into(),
        crypto,
    };
    Decryptor::new(vec![sa(0x1000, crypto), sa(0x1001, unchecked)], 64).ok()
}

fuzz_target!(|data: &[u8]| {
    let Some(mut dec) = decryptor() else { return };
    let _ = dec.process(data);
    if let Ok(ip) = parse_ip(data) {
        let _ = classify(ip);
    }
    let Ok(mut r) = CaptureReader::from_reader("fuzz", std::io::Cursor::new(data.to_vec())) else {
        return;
    };
    let mut n = 0;
    while let Some(f) = r.next_frame() {
        if let Ok(l3) = link::network_layer(f.linktype, &f.data) {
            let _ = dec.process(l3);
        }
        n += 1;
        if n > 10_000 {
            break;
        }
    }
    let _ = r.warnings();
    let _ = dec.report();
});
