//! Decrypting and verifying the ESP packets of a capture against known SAs
//! (`imsec esp decrypt`).
//!
//! Every ESP packet gets exactly one [`Outcome`], in RFC 4303 §3.4 order:
//! 1. SA lookup by SPI and addresses (§3.4.2): no entry → `no_sa`;
//! 2. anti-replay check (§3.4.3) *before* the ICV: duplicate or left of the window →
//!    `replayed`, even when its ICV is also bad;
//! 3. ICV verification and decryption (§3.4.4): failure → `icv_bad` (an SA with an unchecked
//!    ICV skips the verification: see [`SaReport::icv_checked`]);
//! 4. window update only after the ICV verified, then `accepted` (next header 59 is a
//!    dummy packet, §2.6: counted, not written out).
//!
//! A packet whose ESP is malformed after the SA matched (truncated, misaligned, bad
//! padding) is counted as `icv_bad` too, with the reason in [`Outcome::IcvBad`]: the
//! four outcomes are fixed by the JSON format, and such a packet failed verification.
//! UDP on ports other than 4500 is only taken as ESP when its SPI and addresses match an
//! SA (see [`super::classify`]), so it never counts as `no_sa`.

use super::classify::{classify, parse_ip, EspFrame, L4};
use crate::mech::esp::replay::{ReplayError, ReplayWindow};
use crate::mech::esp::{EspError, SaCrypto, NH_IPV4, NH_IPV6};
use crate::wire::{be32, ipv4, ipv6};
use std::net::IpAddr;

/// An address selector of an SA: `*` or one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selector {
    Any,
    Addr(IpAddr),
}

impl Selector {
    fn matches(&self, a: IpAddr) -> bool {
        match self {
            Selector::Any => true,
            Selector::Addr(x) => *x == a,
        }
    }
}

/// One SA to decrypt with.
#[derive(Debug, Clone)]
pub struct SaSpec {
    pub spi: u32,
    /// True for an IPv6 SA (the esp_sa "Protocol" column).
    pub ipv6: bool,
    pub src: Selector,
    pub dst: Selector,
    /// How src/dst are shown in reports (as written in the esp_sa file).
    pub src_label: String,
    pub dst_label: String,
    pub crypto: SaCrypto,
}

/// Per-SA counters (the `sas` entries of the JSON report).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SaReport {
    pub spi: String,
    pub src: String,
    pub dst: String,
    pub packets: u64,
    pub accepted: u64,
    pub replayed: u64,
    pub icv_bad: u64,
    pub dummy: u64,
    /// Whether the SA verifies an ICV ([`SaCrypto::icv_verified`]). Serialized only when
    /// false (`"icv_checked": false`: an SA with an unchecked ICV, e.g. Wireshark's "ANY 96
    /// bit authentication [no checking]", or without integrity), so the JSON of verifying
    /// SAs keeps its field set; `accepted` then means "decrypted", not "authenticated".
    #[serde(skip_serializing_if = "is_true")]
    pub icv_checked: bool,
}

fn is_true(b: &bool) -> bool {
    *b
}

/// The whole report: `{"sas": [...], "no_sa": N}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    pub sas: Vec<SaReport>,
    pub no_sa: u64,
}

/// What happened to one captured packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Not ESP (or UDP on a non-NAT-T port matching no SA).
    NotEsp,
    NoSa {
        spi: u32,
    },
    Replayed {
        sa: usize,
        seq: u32,
        why: ReplayError,
    },
    IcvBad {
        sa: usize,
        seq: u32,
        why: EspError,
    },
    /// Verified. `inner` is the packet to write (None for a dummy packet).
    Accepted {
        sa: usize,
        seq: u32,
        next_header: u8,
        inner: Option<Vec<u8>>,
    },
}

struct State {
    spec: SaSpec,
    window: ReplayWindow,
    report: SaReport,
}

/// Processes packets one by one, keeping per-SA replay windows and counters.
pub struct Decryptor {
    sas: Vec<State>,
    no_sa: u64,
    buf: Vec<u8>,
}

impl Decryptor {
    /// One replay window of `window` packets (32..=4096, RFC 4303 §3.4.3) per SA.
    pub fn new(sas: Vec<SaSpec>, window: u32) -> Result<Decryptor, ReplayError> {
        let mut v = Vec::with_capacity(sas.len());
        for spec in sas {
            let report = SaReport {
                spi: format!("0x{:08x}", spec.spi),
                src: spec.src_label.clone(),
                dst: spec.dst_label.clone(),
                icv_checked: spec.crypto.icv_verified(),
                ..SaReport::default()
            };
            v.push(State {
                window: ReplayWindow::new(window, false)?,
                spec,
                report,
            });
        }
        Ok(Decryptor {
            sas: v,
            no_sa: 0,
            buf: Vec::new(),
        })
    }

    /// The counters so far.
    pub fn report(&self) -> Report {
        Report {
            sas: self.sas.iter().map(|s| s.report.clone()).collect(),
            no_sa: self.no_sa,
        }
    }

    fn find(&self, f: &EspFrame<'_>) -> Option<usize> {
        let spi = f.spi();
        self.sas.iter().position(|s| {
            s.spec.spi == spi
                && s.spec.ipv6 == f.ip.src.is_ipv6()
                && s.spec.src.matches(f.ip.src)
                && s.spec.dst.matches(f.ip.dst)
        })
    }

    /// Processes one IP packet (link layer already removed).
    pub fn process(&mut self, l3: &[u8]) -> Outcome {
        let Ok(ip) = parse_ip(l3) else {
            return Outcome::NotEsp;
        };
        let L4::Esp(f) = classify(ip) else {
            return Outcome::NotEsp;
        };
        let Some(idx) = self.find(&f) else {
            if f.encap.is_none_or(|e| e.nat_t_port) {
                self.no_sa += 1;
                return Outcome::NoSa { spi: f.spi() };
            }
            return Outcome::NotEsp;
        };
        let Some(st) = self.sas.get_mut(idx) else {
            return Outcome::NotEsp;
        };
        st.report.packets += 1;
        let Some(seq) = be32(f.esp, 4) else {
            st.report.icv_bad += 1;
            let why = EspError::Truncated {
                len: f.esp.len(),
                min: 8,
            };
            return Outcome::IcvBad {
                sa: idx,
                seq: 0,
                why,
            };
        };
        let full = match st.window.check(seq) {
            Ok(full) => full,
            Err(why) => {
                st.report.replayed += 1;
                return Outcome::Replayed { sa: idx, seq, why };
            }
        };
        let opened = match st.spec.crypto.open(f.esp, None, &mut self.buf) {
            Ok(o) => o,
            Err(why) => {
                st.report.icv_bad += 1;
                return Outcome::IcvBad { sa: idx, seq, why };
            }
        };
        // The window only moves for authenticated packets (RFC 4303 §3.4.3).
        let _ = st.window.update(full);
        st.report.accepted += 1;
        if opened.is_dummy() {
            st.report.dummy += 1;
            return Outcome::Accepted {
                sa: idx,
                seq,
                next_header: opened.next_header,
                inner: None,
            };
        }
        let payload = self.buf.get(opened.payload.clone()).unwrap_or(&[]);
        Outcome::Accepted {
            sa: idx,
            seq,
            next_header: opened.next_header,
            inner: inner_packet(&f, opened.next_header, payload),
        }
    }
}

/// The packet to write for a verified payload: tunnel mode (next header 4 or 41) carries a
/// whole IP packet (RFC 4303 §3.1.2); transport mode gets a new IP header with the outer
/// addresses and the inner next header (RFC 4303 §3.1.1; outer options, IPv6 extension
/// headers and the RFC 3948 UDP header are not kept). `None` if it cannot be built.
pub fn inner_packet(f: &EspFrame<'_>, next_header: u8, payload: &[u8]) -> Option<Vec<u8>> {
    if next_header == NH_IPV4 || next_header == NH_IPV6 {
        return Some(payload.to_vec());
    }
    let mut out = Vec::with_capacity(payload.len() + 40);
    match (f.ip.src, f.ip.dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => ipv4::Repr {
            src_addr: s,
            dst_addr: d,
            protocol: next_header,
            payload_len: payload.len(),
            ttl: f.ip.ttl,
            ident: 0,
            dscp_ecn: 0,
        }
        .emit(&mut out)
        .ok()?,
        (IpAddr::V6(s), IpAddr::V6(d)) => ipv6::Repr {
            src_addr: s,
            dst_addr: d,
            next_header,
            payload_len: payload.len(),
            hop_limit: f.ip.ttl,
        }
        .emit(&mut out)
        .ok()?,
        _ => return None,
    }
    out.extend_from_slice(payload);
    Some(out)
}
