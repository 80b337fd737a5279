//! Checker for `vectors/esp_scapy.yaml`: ESP packets sealed by scapy's
//! `SecurityAssociation` (tools/gen_esp_vectors.py) for every TS 33.203 Annex H alg × ealg
//! pair, transport mode and RFC 3948 UDP-encapsulated tunnel mode, IPv4 and IPv6.
//!
//! For each vector imsec must (1) seal the same payload with the same keys, SPI, sequence
//! number and IV into exactly scapy's ESP octets (RFC 4303 §2 layout, §2.4 default
//! padding), (2) open scapy's ESP packet back to the payload and next header, and (3) find
//! that ESP packet, with its SPI and UDP ports, in scapy's complete IP packet through the
//! capture parser (RFC 3948 §2.2 classification).

use super::{expect_hex, Vector};
use crate::capture::classify::{classify, parse_ip, L4};
use crate::mech::algorithms::{EncAlg, IntegAlg};
use crate::mech::esp::{FixedIv, Padding, SaCrypto, SealParams, NH_IPV4, NH_IPV6};

/// Checks one `esp_scapy` vector.
pub fn check(v: &Vector) -> Result<(), String> {
    let i = v.input();
    let alg: IntegAlg = i.parsed("alg")?;
    let ealg: EncAlg = i.parsed("ealg")?;
    let mode = i.str("mode")?;
    let encap = i.str("encap")?;
    let spi = u32::try_from(i.u64("spi")?).map_err(|_| "input.spi: over 32 bits".to_string())?;
    let seq = u32::try_from(i.u64("seq")?).map_err(|_| "input.seq: over 32 bits".to_string())?;
    let inner = i.hex("inner_packet")?;
    let sa = SaCrypto::new(
        alg,
        ealg,
        &i.hex("integ_key")?,
        &i.hex("enc_key")?,
        &i.hex("salt")?,
    )
    .map_err(|e| format!("SaCrypto::new: {e}"))?;

    // The protected payload: the upper layer in transport mode, the whole inner packet in
    // tunnel mode (RFC 4303 §3.1).
    let ip = parse_ip(&inner).map_err(|e| format!("input.inner_packet: {e}"))?;
    let (payload, next_header) = match mode.as_str() {
        "transport" => (ip.payload.to_vec(), ip.protocol),
        "tunnel" => {
            let nh = if ip.src.is_ipv4() { NH_IPV4 } else { NH_IPV6 };
            (inner.clone(), nh)
        }
        other => return Err(format!("input.mode: '{other}' is not transport or tunnel")),
    };

    let params = SealParams {
        spi,
        seq,
        seq_hi: None,
        next_header,
        padding: Padding::default(),
    };
    let mut sealed = Vec::new();
    sa.seal(&params, &payload, &mut FixedIv(i.hex("iv")?), &mut sealed)
        .map_err(|e| format!("seal: {e}"))?;
    let exp = v.expected();
    expect_hex(&exp, "esp", &sealed)?;

    let want_esp = exp.hex("esp")?;
    let mut out = Vec::new();
    let opened = sa
        .open(&want_esp, None, &mut out)
        .map_err(|e| format!("open(expected.esp): {e}"))?;
    let got = out.get(opened.payload.clone()).unwrap_or(&[]);
    if got != payload.as_slice() || opened.next_header != next_header || opened.seq != seq {
        return Err(format!(
            "open(expected.esp): payload/next header/seq differ (nh {} seq {})",
            opened.next_header, opened.seq
        ));
    }

    let packet = exp.hex("packet")?;
    let outer = parse_ip(&packet).map_err(|e| format!("expected.packet: {e}"))?;
    let L4::Esp(frame) = classify(outer) else {
        return Err("expected.packet: capture parser found no ESP".into());
    };
    if frame.esp != want_esp.as_slice() || frame.spi() != spi {
        return Err(
            "expected.packet: ESP found by the capture parser differs from expected.esp".into(),
        );
    }
    match (encap.as_str(), frame.encap) {
        ("none", None) => Ok(()),
        ("udp-4500", Some(e)) if e.nat_t_port && e.src_port == 4500 && e.dst_port == 4500 => Ok(()),
        (want, got) => Err(format!(
            "expected.packet: encapsulation {got:?}, vector says {want}"
        )),
    }
}
