//! Za mode (`imsec replay --za`, TS 33.210; issue #10): the capture is taken between security
//! domains, where seed 000 (TS 33.210 excerpt, clause C.2) requires "IPSec ESP ... with both
//! encryption and integrity protection for all SIP signalling traversing inter-security
//! domain boundaries" and states that "integrity-only mode is NOT permited". Two checks:
//! - `za_esp_encrypted`: every ESP flow gives confidentiality. With keys, an SA whose
//!   encryption is NULL fails; without keys the RFC 5879 heuristic decides (a flow whose
//!   packets mostly parse as ESP-NULL fails). Pass when ESP was seen and none is null.
//! - `za_no_sip_in_clear`: SIP seen outside ESP between the domains fails.

use super::sas::{Crypto, SaTable};
use super::verdicts::Outcome;
use crate::engine::model::Verdict;
use crate::mech::algorithms::EncAlg;
use std::net::IpAddr;

pub const ESP_CHECK: &str = "za_esp_encrypted";
pub const SIP_CHECK: &str = "za_no_sip_in_clear";
const MAX_FRAMES: usize = 50;

/// An ESP flow without keys (SPI, addresses) and what the heuristic made of it.
#[derive(Debug, Clone)]
pub struct EspFlow {
    pub spi: u32,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub packets: u64,
    pub null_heuristic: u64,
    pub first_frame: u64,
}

/// A keyed SA that carried packets: SPI, whether its encryption is NULL, first frame.
pub type KeyedSa = (u32, bool, Option<u64>);

/// The keyed SAs that saw packets.
pub fn keyed_sas(sas: &SaTable) -> Vec<KeyedSa> {
    sas.iter()
        .filter(|s| s.report.packets > 0)
        .filter_map(|s| match &s.crypto {
            Crypto::Ims(c) => Some((s.spi, c.enc_alg() == EncAlg::Null, s.first_frame)),
            Crypto::Tunnel { .. } => Some((s.spi, false, s.first_frame)),
            Crypto::Retired => None,
        })
        .collect()
}

/// SIP seen in clear.
#[derive(Debug, Default)]
pub struct ZaState {
    sip: u64,
    clear: u64,
    clear_frames: Vec<u64>,
}

impl ZaState {
    /// One SIP message; `in_esp`: it travelled inside ESP (an IMS SA, an outer tunnel opened
    /// with `--keys`, or ESP-NULL read by the heuristic, which `za_esp_encrypted` judges).
    pub fn sip(&mut self, frame: u64, in_esp: bool) {
        self.sip += 1;
        if !in_esp {
            self.clear += 1;
            if self.clear_frames.len() < MAX_FRAMES && !self.clear_frames.contains(&frame) {
                self.clear_frames.push(frame);
            }
        }
    }

    /// The Za verdicts.
    pub fn finish(&self, mut flows: Vec<EspFlow>, keyed: Vec<KeyedSa>, esp: u64) -> Vec<Outcome> {
        flows.sort_by_key(|f| f.first_frame);
        let mut null: Vec<String> = Vec::new();
        let mut frames = Vec::new();
        for f in &flows {
            if f.null_heuristic * 2 > f.packets {
                null.push(format!(
                    "SPI 0x{:08x} {} -> {}: {} of {} packets read as ESP-NULL (RFC 5879 heuristic, no keys)",
                    f.spi, f.src, f.dst, f.null_heuristic, f.packets
                ));
                frames.push(f.first_frame);
            }
        }
        for (spi, is_null, first) in &keyed {
            if *is_null {
                null.push(format!("SPI 0x{spi:08x}: keyed SA with NULL encryption"));
                frames.extend(*first);
            }
        }
        frames.sort_unstable();
        frames.dedup();
        frames.truncate(MAX_FRAMES);
        let esp_out = if esp == 0 {
            Outcome {
                id: ESP_CHECK,
                verdict: Verdict::NotApplicable,
                summary: "no ESP in the capture".into(),
                frames: vec![],
            }
        } else if !null.is_empty() {
            Outcome {
                id: ESP_CHECK,
                verdict: Verdict::Fail,
                summary: format!(
                    "integrity-only ESP between security domains (TS 33.210 Za, seed 000: encryption and integrity required): {}",
                    null.join("; ")
                ),
                frames,
            }
        } else {
            Outcome {
                id: ESP_CHECK,
                verdict: Verdict::Pass,
                summary: format!(
                    "{esp} ESP packet(s) in {} flow(s) without keys (none reads as ESP-NULL) and {} keyed SA(s) with encryption",
                    flows.len(),
                    keyed.len()
                ),
                frames: vec![],
            }
        };
        let sip_out = if self.clear > 0 {
            Outcome {
                id: SIP_CHECK,
                verdict: Verdict::Fail,
                summary: format!(
                    "{} of {} SIP message(s) in clear between security domains (TS 33.210 Za, seed 000: SIP crosses domains inside ESP)",
                    self.clear, self.sip
                ),
                frames: self.clear_frames.clone(),
            }
        } else if esp == 0 && self.sip == 0 {
            Outcome {
                id: SIP_CHECK,
                verdict: Verdict::NotApplicable,
                summary: "neither SIP nor ESP in the capture".into(),
                frames: vec![],
            }
        } else {
            Outcome {
                id: SIP_CHECK,
                verdict: Verdict::Pass,
                summary: format!(
                    "no SIP in clear ({} SIP message(s) seen inside ESP, {esp} ESP packet(s); SIP in ESP without keys is unseen)",
                    self.sip
                ),
                frames: vec![],
            }
        };
        vec![esp_out, sip_out]
    }
}
