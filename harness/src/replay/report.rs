//! The replay report (`imsec replay --json`), schema `imsec-replay/1`, documented in
//! docs/replay-schema.md with a JSON Schema in docs/replay-schema.json.

use super::registration::{Negotiated, RegFrames, RegKind};
use super::sas::KeySource;
use crate::capture::decrypt::SaReport;
use crate::engine::model::Verdict;
use serde::Serialize;
use std::collections::BTreeMap;

/// Schema identifier; bump on any incompatible change.
pub const SCHEMA: &str = "imsec-replay/1";

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema: &'static str,
    pub captures: Vec<CaptureInfo>,
    pub keys: KeysInfo,
    pub stats: Stats,
    pub registrations: Vec<RegReport>,
    /// Registrations beyond the ones listed (the list is capped).
    pub registrations_not_listed: u64,
    pub sas: Vec<SaOut>,
    /// SAs of finished registrations beyond the listed ones (bounded memory).
    pub sas_not_listed: u64,
    /// ESP packets that matched no SA (the `no_sa` of `imsec esp decrypt`).
    pub no_sa: u64,
    pub esp_without_keys: Vec<UnknownSpi>,
    /// SRTP/SRTCP streams (present when an SDES key was given or found in SDP).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub srtp: Option<super::hook_srtp::SrtpSection>,
    /// TLS connections and record decryption (present with a key log or a TLS connection).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<super::hook_tls::TlsSection>,
    pub checks: Vec<CheckOut>,
    /// What replay read but does not decrypt or judge yet.
    pub not_covered: Vec<String>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CaptureInfo {
    pub path: String,
    pub format: String,
    pub frames: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct KeysInfo {
    pub subscribers: usize,
    pub esp_sa_lines: usize,
    pub tunnel_sas: usize,
    pub ike_key_lines: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_keylog_secrets: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sdes_file_lines: Option<usize>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Stats {
    pub frames: u64,
    pub not_ip: u64,
    pub link_unsupported: u64,
    pub ip_malformed: u64,
    pub fragments_reassembled: u64,
    pub fragments_dropped: u64,
    pub gtpu_decapsulated: u64,
    pub esp_packets: u64,
    pub esp_decrypted: u64,
    pub esp_null_heuristic: u64,
    pub esp_duplicate_views: u64,
    pub sip_messages: u64,
    pub sip_in_esp: u64,
    pub tcp_retransmissions: u64,
    pub tcp_out_of_order: u64,
    pub tcp_gaps: u64,
    pub tcp_flows_evicted: u64,
    pub ike_packets: u64,
    pub tls_records: u64,
}

/// One SA: the `imsec esp decrypt` counters plus where it came from.
#[derive(Debug, Clone, Serialize)]
pub struct SaOut {
    #[serde(flatten)]
    pub counts: SaReport,
    pub source: KeySource,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registration: Option<usize>,
    /// Row of the TS 33.203 §7.1 table (1..=4) for IMS SAs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<u8>,
    pub duplicate_views: u64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub replayed_frames: Vec<u64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub icv_bad_frames: Vec<u64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dummy_frames: Vec<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UnknownSpi {
    pub spi: String,
    pub src: String,
    pub dst: String,
    pub packets: u64,
    /// Packets the RFC 5879 heuristic read as ESP-NULL.
    pub null_heuristic: u64,
    pub first_frame: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct RegReport {
    pub id: usize,
    pub kind: RegKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<usize>,
    pub ue: String,
    pub pcscf: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub impi: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub impu: Option<String>,
    pub frames: RegFrames,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub negotiated: Option<Negotiated>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub final_status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keys: Option<KeySource>,
    /// Indexes into `sas`.
    pub sas: Vec<usize>,
    pub esp_packets: u64,
    pub checks: BTreeMap<String, Verdict>,
    /// Ladder rows and check results for `--report` (the first registrations only; not in
    /// replay.json).
    #[serde(skip)]
    pub trace: Option<super::run_report::RegTrace>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckOut {
    pub id: String,
    pub verdict: Verdict,
    pub summary: String,
    /// Frame numbers (1-based, as Wireshark numbers them) of the first capture.
    pub evidence: Vec<u64>,
    /// How many registrations (or UEs, SPIs) got each verdict.
    pub counts: BTreeMap<String, u64>,
}
