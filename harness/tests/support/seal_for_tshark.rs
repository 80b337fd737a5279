//! Builds a pcapng of ESP packets sealed by imsec (every Annex H alg × ealg pair, transport
//! and UDP-encapsulated tunnel mode, IPv4 and IPv6) and the esp_sa lines for tshark.
//! AES-GMAC SAs are left out: Wireshark has no AES-GMAC ESP entry to check them with.

use imsec::capture::link::LINKTYPE_RAW;
use imsec::capture::pcapng::PcapngWriter;
use imsec::mech::algorithms::{check_pair, EncAlg, IntegAlg};
use imsec::mech::esp::uat::{IpFamily, UatSa};
use imsec::mech::esp::{FixedIv, Padding, SaCrypto, SealParams, NH_IPV4, NH_IPV6, NH_UDP};
use imsec::wire::{ipv4, ipv6, udp};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

fn ip_packet(src: IpAddr, dst: IpAddr, proto: u8, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => ipv4::Repr {
            src_addr: s,
            dst_addr: d,
            protocol: proto,
            payload_len: payload.len(),
            ttl: 64,
            ident: 1,
            dscp_ecn: 0,
        }
        .emit(&mut v)
        .unwrap(),
        (IpAddr::V6(s), IpAddr::V6(d)) => ipv6::Repr {
            src_addr: s,
            dst_addr: d,
            next_header: proto,
            payload_len: payload.len(),
            hop_limit: 64,
        }
        .emit(&mut v)
        .unwrap(),
        _ => unreachable!("same family"),
    }
    v.extend_from_slice(payload);
    v
}

fn udp_seg(src: IpAddr, dst: IpAddr, sp: u16, dp: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    udp::Repr {
        src_port: sp,
        dst_port: dp,
    }
    .emit(src, dst, payload, &mut v)
    .unwrap();
    v
}

fn key(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// Writes the capture; returns (pcapng path, esp_sa text, [(label, inner UDP payload)]).
pub fn write(dir: &Path) -> (PathBuf, String, Vec<(String, Vec<u8>)>) {
    let path = dir.join("imsec_sealed.pcapng");
    let mut w = PcapngWriter::new(Vec::new(), LINKTYPE_RAW as u16).unwrap();
    let mut uat = String::new();
    let mut expected = Vec::new();
    let mut spi = 0x5000u32;
    for v6 in [false, true] {
        for tunnel in [false, true] {
            for integ in IntegAlg::ALL {
                for enc in EncAlg::ALL {
                    if check_pair(integ, enc).is_err() || integ == IntegAlg::AesGmac {
                        continue;
                    }
                    spi += 1;
                    let ik = key(
                        match integ {
                            IntegAlg::HmacMd5_96 => 16,
                            IntegAlg::HmacSha1_96 => 20,
                            _ => 0,
                        },
                        1,
                    );
                    let ek = key(
                        match enc {
                            EncAlg::DesEde3Cbc => 24,
                            EncAlg::AesCbc | EncAlg::AesGcm => 16,
                            _ => 0,
                        },
                        2,
                    );
                    let salt = if enc == EncAlg::AesGcm {
                        key(4, 3)
                    } else {
                        vec![]
                    };
                    let sa = SaCrypto::new(integ, enc, &ik, &ek, &salt).unwrap();
                    let (s, d): (IpAddr, IpAddr) = if v6 {
                        (
                            "2001:db8::10".parse().unwrap(),
                            "2001:db8::20".parse().unwrap(),
                        )
                    } else {
                        ("192.0.2.10".parse().unwrap(), "192.0.2.20".parse().unwrap())
                    };
                    let label = format!(
                        "{integ}/{enc}/{}/{}",
                        if tunnel { "tunnel" } else { "transport" },
                        if v6 { "v6" } else { "v4" }
                    );
                    let text = format!("imsec sealed {label}").into_bytes();
                    let seg = udp_seg(s, d, 5060, 5062, &text);
                    let (payload, nh) = if tunnel {
                        (
                            ip_packet(s, d, NH_UDP, &seg),
                            if v6 { NH_IPV6 } else { NH_IPV4 },
                        )
                    } else {
                        (seg, NH_UDP)
                    };
                    let mut esp = Vec::new();
                    let params = SealParams {
                        spi,
                        seq: 7,
                        seq_hi: None,
                        next_header: nh,
                        padding: Padding::default(),
                    };
                    sa.seal(
                        &params,
                        &payload,
                        &mut FixedIv(key(sa.iv_len(), 9)),
                        &mut esp,
                    )
                    .unwrap();
                    let pkt = if tunnel {
                        let u = udp_seg(s, d, 4500, 4500, &esp);
                        ip_packet(s, d, NH_UDP, &u)
                    } else {
                        ip_packet(s, d, 50, &esp)
                    };
                    w.write_packet(u64::from(spi) * 1_000_000, &pkt, None)
                        .unwrap();
                    let mut enc_key = ek.clone();
                    enc_key.extend_from_slice(&salt);
                    uat.push_str(
                        &UatSa {
                            family: if v6 { IpFamily::V6 } else { IpFamily::V4 },
                            src: s.to_string(),
                            dst: d.to_string(),
                            spi,
                            enc,
                            enc_key,
                            integ,
                            integ_key: ik,
                            unchecked_icv: None,
                        }
                        .to_line(),
                    );
                    uat.push('\n');
                    expected.push((label, text));
                }
            }
        }
    }
    std::fs::write(&path, w.finish().unwrap()).unwrap();
    (path, uat, expected)
}
