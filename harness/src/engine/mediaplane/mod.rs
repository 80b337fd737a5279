//! The media plane through the IMS Access GW (TS 33.328 §6.2.1.1, §7.2.1/§7.3.1 step 9;
//! RFC 3711): the `media` step and its `media` checks.
//!
//! After a call was set up (the `call`/`incoming_call` steps), the step reads the SDP the
//! harness saw on both sides ([`plan`]), binds a UE-side SRTP peer and a core-side RTP peer
//! on the addresses that SDP names ([`crate::lab::media`]), and sends:
//! 1. `packets` SRTP packets and one SRTCP packet UE → gateway (protected with the UE's key),
//!    recording what the core receives;
//! 2. `packets` RTP packets and one RTCP packet core → gateway, recording what the UE receives
//!    and whether it authenticates with the P-CSCF's key (and not with the UE's own);
//! 3. with `deviation`, one deviant packet UE → gateway (`replay`: the first SRTP packet of
//!    1 again; `tamper`: a fresh SRTP packet with one ciphertext bit flipped; `srtcp_no_tag`:
//!    a fresh SRTCP packet without its authentication tag), a silence window at the core, then
//!    a conformant control packet that must reach the core (without it the case is
//!    inconclusive: silence is never a pass).
//!
//! Checks (`check: media`, `rule:`): `forwarded` (the core got exactly the UE's RTP payloads
//! and RTCP), `rekeyed` (the UE got the core's payloads under the P-CSCF's key, none under its
//! own), `deviant_dropped` (the deviant packet did not reach the core, the control did).
//!
//! With `msrp:` the step relays MSRP over TLS instead ([`msrp`]), judged by the rules
//! `msrp_relayed`, `msrp_foreign_cert_refused` and `msrp_null_refused`.

pub mod msrp;
pub mod plan;
mod run;

pub use run::run;

use super::checks::Observations;
use super::model::{CheckResult, Evidence, Verdict};
use serde::Deserialize;

/// `do: media`.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct MediaStep {
    #[serde(default)]
    pub id: Option<String>,
    /// Conformant packets each way (1..=100).
    #[serde(default = "five")]
    pub packets: u16,
    /// One deviant packet UE → gateway, then a control.
    #[serde(default)]
    pub deviation: Option<Deviation>,
    /// MSRP over TLS through the gateway instead of SRTP ([`msrp`]).
    #[serde(default)]
    pub msrp: Option<MsrpOptions>,
}

/// `msrp:` of a `media` step.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct MsrpOptions {
    /// First a UE presenting a self-signed certificate other than the one it signalled.
    #[serde(default)]
    pub wrong_cert: bool,
    /// Raw ClientHellos offering only null-cipher suites to the gateway's TLS address.
    #[serde(default)]
    pub null_suites: bool,
}

fn five() -> u16 {
    5
}

/// What the deviant packet is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Deviation {
    /// The first SRTP packet again, byte for byte (RFC 3711 §3.3.2).
    Replay,
    /// A fresh SRTP packet with one ciphertext bit flipped (RFC 3711 §3.3 step 5).
    Tamper,
    /// A fresh SRTCP packet without its authentication tag (RFC 3711 §3.4).
    SrtcpNoTag,
}

impl Deviation {
    pub fn name(self) -> &'static str {
        match self {
            Deviation::Replay => "replayed SRTP packet",
            Deviation::Tamper => "tampered SRTP packet",
            Deviation::SrtcpNoTag => "SRTCP packet without tag",
        }
    }
}

/// `check: media`.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct MediaExpect {
    /// The `media` step judged.
    pub step: String,
    pub rule: Rule,
}

/// What a `media` check demands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// UE → core: the core got the UE's RTP payloads and RTCP, decrypted and unaltered.
    Forwarded,
    /// Core → UE: SRTP/SRTCP under the P-CSCF's key, none under the UE's own key.
    Rekeyed,
    /// The deviant packet did not reach the core; the control did.
    DeviantDropped,
    /// MSRP: TLS with the signalled certificates (gateway's leaf = the SDP fingerprint),
    /// SENDs relayed both ways unaltered.
    MsrpRelayed,
    /// MSRP: a UE certificate other than the signalled one is refused (nothing relayed);
    /// the signalled one is relayed.
    MsrpForeignCertRefused,
    /// MSRP: no null-cipher suite negotiated with the gateway; the conformant session works.
    MsrpNullRefused,
}

/// What one packet sent to the UE turned into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AtUe {
    /// Authenticated with the P-CSCF's key; the plain payload (RTP payload or RTCP body).
    PcscfKey(Vec<u8>),
    /// Authenticated with the UE's own key only.
    UeKey,
    /// Authenticated with neither.
    Neither(String),
}

/// What the step observed.
#[derive(Debug, Clone, Default)]
pub struct MediaRecord {
    /// The stream (keys left out), for evidence.
    pub plan: String,
    /// RTP payloads the UE sent (before protection), and the RTCP body (after the header).
    pub ue_payloads: Vec<Vec<u8>>,
    pub ue_rtcp: Vec<u8>,
    /// RTP payloads and RTCP bodies the core received (plain).
    pub core_rtp: Vec<Vec<u8>>,
    pub core_rtcp: Vec<Vec<u8>>,
    /// What the core sent (RTP payloads, RTCP body).
    pub core_payloads: Vec<Vec<u8>>,
    pub core_rtcp_sent: Vec<u8>,
    /// What reached the UE: SRTP and SRTCP, each opened or not.
    pub ue_rtp: Vec<AtUe>,
    pub ue_srtcp: Vec<AtUe>,
    /// The deviation, if any: what reached the core in its silence window, and whether the
    /// control arrived afterwards.
    pub deviation: Option<Deviation>,
    pub deviant_at_core: usize,
    pub control_at_core: bool,
    /// The P-CSCF signalled the UE's own key back to it: the gateway cannot be told apart
    /// from one that reuses the UE's key (the signalling is judged by the MEDIA-ORIG/TERM
    /// cases; this check judges the gateway against what was signalled, and says so).
    pub same_keys: bool,
    /// What an MSRP step observed.
    pub msrp: Option<msrp::MsrpRecord>,
}

fn result(verdict: Verdict, summary: String) -> CheckResult {
    CheckResult {
        check: "media".into(),
        verdict,
        evidence: Evidence {
            summary,
            events: Vec::new(),
        },
        requirements: Vec::new(),
    }
}

/// Judges a `media` check over the record of its step.
pub fn evaluate(e: &MediaExpect, o: &Observations<'_>) -> CheckResult {
    if o.core.is_none() {
        return result(
            Verdict::NotApplicable,
            "needs the core view (the harness plays the far end's media)".into(),
        );
    }
    let Some(st) = o.steps.iter().find(|s| s.id == e.step) else {
        return result(
            Verdict::Inconclusive,
            format!("step '{}' did not run", e.step),
        );
    };
    let Some(r) = st.media.as_deref() else {
        return result(
            Verdict::Inconclusive,
            format!(
                "step '{}' recorded no media{}",
                e.step,
                st.problem
                    .as_ref()
                    .map(|p| format!(": {p}"))
                    .unwrap_or_default()
            ),
        );
    };
    judge(e.rule, r)
}

/// The rule over a record (separate from [`evaluate`] so it can be tested alone).
pub fn judge(rule: Rule, r: &MediaRecord) -> CheckResult {
    match rule {
        Rule::MsrpRelayed | Rule::MsrpForeignCertRefused | Rule::MsrpNullRefused => {
            let (v, why) = msrp::judge(rule, r.msrp.as_ref());
            result(v, format!("{why} [{}]", r.plan))
        }
        Rule::Forwarded => {
            let n = r.ue_payloads.len();
            let same = r
                .core_rtp
                .iter()
                .filter(|p| r.ue_payloads.contains(p))
                .count();
            let altered = r.core_rtp.len() - same;
            let rtcp_ok = r.core_rtcp.contains(&r.ue_rtcp);
            if altered > 0 {
                return result(
                    Verdict::Fail,
                    format!(
                        "{altered} RTP packet(s) reached the core with a payload the UE never sent \
                         (not decrypted with the UE's key?) [{}]",
                        r.plan
                    ),
                );
            }
            if same < n || !rtcp_ok {
                return result(
                    Verdict::Fail,
                    format!(
                        "the core got {same} of the UE's {n} RTP payloads and {} its RTCP: the \
                         gateway must decrypt and pass on what the UE sends (TS 33.328 §7.2.1 \
                         step 9) [{}]",
                        if rtcp_ok { "" } else { "not" },
                        r.plan
                    ),
                );
            }
            result(
                Verdict::Pass,
                format!(
                    "the core got the UE's {n} RTP payloads and its RTCP in clear [{}]",
                    r.plan
                ),
            )
        }
        Rule::Rekeyed => {
            let all: Vec<&AtUe> = r.ue_rtp.iter().chain(&r.ue_srtcp).collect();
            let own = all.iter().filter(|a| matches!(a, AtUe::UeKey)).count();
            if own > 0 {
                return result(
                    Verdict::Fail,
                    format!(
                        "{own} packet(s) to the UE were protected with the UE's own key, not the \
                         P-CSCF's (TS 33.328 §7.2.1 step 7, §7.3.1 step 6) [{}]",
                        r.plan
                    ),
                );
            }
            if let Some(AtUe::Neither(why)) =
                all.iter().find(|a| matches!(a, AtUe::Neither(_))).copied()
            {
                return result(
                    Verdict::Fail,
                    format!(
                        "a packet to the UE authenticated with neither key ({why}) [{}]",
                        r.plan
                    ),
                );
            }
            let got: Vec<&Vec<u8>> = r
                .ue_rtp
                .iter()
                .filter_map(|a| match a {
                    AtUe::PcscfKey(p) => Some(p),
                    _ => None,
                })
                .collect();
            if got.is_empty() && r.ue_srtcp.is_empty() {
                return result(
                    Verdict::Inconclusive,
                    format!("nothing the core sent reached the UE [{}]", r.plan),
                );
            }
            let wrong = got.iter().filter(|p| !r.core_payloads.contains(p)).count();
            let rtcp_ok = r
                .ue_srtcp
                .iter()
                .any(|a| matches!(a, AtUe::PcscfKey(b) if *b == r.core_rtcp_sent));
            if wrong > 0 || got.len() < r.core_payloads.len() || !rtcp_ok {
                return result(
                    Verdict::Fail,
                    format!(
                        "the UE got {} of the core's {} RTP payloads under the P-CSCF's key \
                         ({wrong} altered) and {} its RTCP as SRTCP [{}]",
                        got.len() - wrong,
                        r.core_payloads.len(),
                        if rtcp_ok { "" } else { "not" },
                        r.plan
                    ),
                );
            }
            let note = if r.same_keys {
                " (but the P-CSCF signalled the UE's own key back to it: a signalling fault, \
                 judged by the SDP cases)"
            } else {
                ""
            };
            result(
                Verdict::Pass,
                format!(
                    "the UE got the core's {} RTP payloads and its RTCP, each authenticated with \
                     the P-CSCF's key and none with the UE's own{note} [{}]",
                    got.len(),
                    r.plan
                ),
            )
        }
        Rule::DeviantDropped => {
            let Some(d) = r.deviation else {
                return result(
                    Verdict::Error,
                    "the step sent no deviant packet (set `deviation:`)".into(),
                );
            };
            if r.deviant_at_core > 0 {
                return result(
                    Verdict::Fail,
                    format!(
                        "the {} reached the core ({} packet(s) in the silence window) [{}]",
                        d.name(),
                        r.deviant_at_core,
                        r.plan
                    ),
                );
            }
            if !r.control_at_core {
                return result(
                    Verdict::Inconclusive,
                    format!(
                        "the {} did not reach the core, but neither did the conformant control \
                         packet after it: silence proves nothing [{}]",
                        d.name(),
                        r.plan
                    ),
                );
            }
            result(
                Verdict::Pass,
                format!(
                    "the {} was dropped; the control packet after it reached the core [{}]",
                    d.name(),
                    r.plan
                ),
            )
        }
    }
}

#[cfg(test)]
mod tests;
