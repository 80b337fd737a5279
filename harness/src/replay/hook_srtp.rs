//! SRTP/SRTCP in `imsec replay` (TS 33.328 §7.1 SDES; RFC 3711): with SDES keys from
//! `--sdes FILE` or from `a=crypto` lines of SDP bodies seen in the capture (in clear, or
//! decrypted from ESP), every UDP datagram that looks like RTP version 2 is verified and
//! decrypted with [`crate::capture::srtp::Decryptor`] (per stream: direction, SSRC, SRTP or
//! SRTCP; a stream is bound to the first key that authenticates it). Check `srtp_authentic`:
//! a bound stream with authentication failures or replays fails; pass when streams were
//! bound and all is clean; inconclusive when RTP-like traffic was seen but no key opened it.

use super::verdicts::Outcome;
use crate::capture::srtp::{Decryptor, Outcome as SOut, SdesKey, StreamReport};
use crate::engine::model::Verdict;
use crate::mech::srtp::Suite;
use std::collections::HashSet;
use std::net::SocketAddr;

pub const CHECK: &str = "srtp_authentic";
/// Streams followed (the decryptor keeps one context per stream).
const MAX_STREAMS: usize = 1024;
/// Distinct SDES keys collected from SDP.
const MAX_KEYS: usize = 64;
const MAX_FRAMES: usize = 50;

/// The `srtp` section of the report.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct SrtpSection {
    /// Keys given with `--sdes` and found in SDP (`a=crypto`).
    pub keys_given: usize,
    pub keys_from_sdp: usize,
    pub streams: Vec<StreamReport>,
}

/// SRTP state of a replay.
pub struct SrtpHook {
    dec: Decryptor,
    given: usize,
    from_sdp: Vec<String>,
    fail_frames: Vec<u64>,
    /// UDP flow directions handed to the decryptor (bounded by [`MAX_STREAMS`]).
    flows: HashSet<(SocketAddr, SocketAddr)>,
}

fn rtp_like(b: &[u8]) -> bool {
    b.len() >= 12 && b.first().is_some_and(|x| x & 0xc0 == 0x80)
}

impl SrtpHook {
    pub fn new(keys: Vec<SdesKey>) -> Self {
        SrtpHook {
            given: keys.len(),
            dec: Decryptor::new(keys),
            from_sdp: Vec::new(),
            fail_frames: Vec::new(),
            flows: HashSet::new(),
        }
    }

    /// Takes the `a=crypto` lines of a SIP body (SDP).
    pub fn sdp(&mut self, body: &[u8]) {
        let Ok(text) = std::str::from_utf8(body) else {
            return;
        };
        for l in text.lines() {
            let Some(v) = l.trim().strip_prefix("a=crypto:") else {
                continue;
            };
            if self.from_sdp.len() >= MAX_KEYS || self.from_sdp.iter().any(|x| x == v) {
                continue;
            }
            if let Ok(k) = SdesKey::parse(v, Suite::AesCm128HmacSha1_80) {
                self.from_sdp.push(v.to_string());
                self.dec.add_key(k);
            }
        }
    }

    /// One UDP datagram.
    pub fn udp(&mut self, frame: u64, src: SocketAddr, dst: SocketAddr, payload: &[u8]) {
        if self.dec.key_count() == 0 || !rtp_like(payload) {
            return;
        }
        if !self.flows.contains(&(src, dst)) {
            if self.flows.len() >= MAX_STREAMS || self.dec.report().streams.len() >= MAX_STREAMS {
                return;
            }
            self.flows.insert((src, dst));
        }
        let o = self.dec.process_udp(src, dst, payload);
        let bound = |s: usize| {
            self.dec
                .report()
                .streams
                .get(s)
                .is_some_and(|r| r.key.is_some())
        };
        let bad = match o {
            SOut::AuthFailed { stream } | SOut::Replayed { stream } => bound(stream),
            _ => false,
        };
        if bad && self.fail_frames.len() < MAX_FRAMES {
            self.fail_frames.push(frame);
        }
    }

    /// The report section (`None` when no key was given or found).
    pub fn section(&self) -> Option<SrtpSection> {
        (self.dec.key_count() > 0).then(|| SrtpSection {
            keys_given: self.given,
            keys_from_sdp: self.from_sdp.len(),
            streams: self.dec.report().streams.clone(),
        })
    }

    pub fn finish(&self) -> Outcome {
        let streams = &self.dec.report().streams;
        let bound: Vec<&StreamReport> = streams.iter().filter(|s| s.key.is_some()).collect();
        let accepted: u64 = bound.iter().map(|s| s.accepted).sum();
        // Before a stream is bound its packets count as auth_failed in the decryptor;
        // only failures after binding are judged (the fail frames), replays always.
        let replayed: u64 = bound.iter().map(|s| s.replayed).sum();
        let failed_after = self.fail_frames.len() as u64;
        let (verdict, summary, frames) = if self.dec.key_count() == 0 {
            (
                Verdict::NotApplicable,
                "no SDES key (--sdes, or a=crypto in SDP seen)".to_string(),
                vec![],
            )
        } else if bound.is_empty() {
            (
                Verdict::Inconclusive,
                format!(
                    "{} RTP-like stream(s), none authenticated with the {} key(s)",
                    streams.len(),
                    self.dec.key_count()
                ),
                vec![],
            )
        } else if failed_after > 0 || replayed > 0 {
            (
                Verdict::Fail,
                format!(
                    "SRTP/SRTCP packets failing authentication or replayed on keyed streams (RFC 3711 §3.3): {replayed} replayed, {accepted} accepted"
                ),
                self.fail_frames.clone(),
            )
        } else {
            (
                Verdict::Pass,
                format!(
                    "{} stream(s) keyed, {accepted} packet(s) authenticated, none failed or replayed",
                    bound.len()
                ),
                vec![],
            )
        };
        Outcome {
            id: CHECK,
            verdict,
            summary,
            frames,
        }
    }
}
