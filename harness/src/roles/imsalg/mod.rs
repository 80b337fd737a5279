//! P-CSCF as IMS-ALG for e2ae media security (TS 33.328 §7.1, §7.2.1, §7.3.1): the SDP
//! rewriting, pure (no I/O, keys come from the caller), step by step as the clauses number
//! them. Wired into the reference P-CSCF by `roles/pcscf/media.rs`.
//!
//! Originating (§7.2.1), per call:
//! 1. [`originating_offer`] takes the UE's offer (steps 1–3) and returns the offer towards
//!    the S-CSCF plus an [`OrigSession`] remembering, per media, the selected SDES line (K11)
//!    or the UE's certificate fingerprint;
//! 2. [`originating_answer`] takes the answer from the S-CSCF (steps 6–8) and returns the
//!    answer to the UE and the [`IqInstruction`]s for the IMS Access GW (step 7).
//!
//! Terminating (§7.3.1): [`terminating_offer`] (steps 3–4), then [`terminating_answer`]
//! (steps 5–7).
//!
//! Everywhere, an `a=3ge2ae` indication that another party inserted is removed (§7.2.1 and
//! §7.3.1, last paragraphs): in SDP arriving from the core and in the UE's answer; the UE's
//! own `requested` in its offer is consumed in step 3.
//!
//! Choices where the text leaves room (also stated at each step):
//! - the SDES line selected in §7.2.1 step 3 is the first one offered that
//!   [`offer_answer::ims_acceptable`] takes (TS 33.328 §5.2/§5.3: encrypting suite, SRTCP
//!   authenticated); if none is, the stream cannot get e2ae security and the offer is refused
//!   ([`AlgError::NoAcceptableCrypto`], a 488 for the caller);
//! - in §7.2.1 step 3 the MSRP transport is changed to TCP/MSRP (the clause says "may");
//! - the terminating offer (§7.3.1 step 4) carries one SDES line per suite in
//!   [`OFFERED_SUITES`], tags 1.., each with its own key from the caller;
//! - `a=3ge2ae:applied` is added to the terminating offer only (§7.3.1 step 4 "an indication
//!   that e2ae security is offered by the network"); the originating answer has none (NOTE 3
//!   of §7.2.1: the UE deduces e2ae from registration and its own request).

#[cfg(test)]
mod tests;

use crate::mech::sdp::offer_answer::{self, AnswerError};
use crate::mech::sdp::{CryptoAttr, E2ae, Fingerprint, Proto, Sdp, SdpError};
use crate::mech::secagree::header::Mechanism;
use crate::mech::srtp::Suite;

/// Suites the P-CSCF offers towards a terminating UE, in preference order.
pub const OFFERED_SUITES: [Suite; 2] = [Suite::AesCm128HmacSha1_80, Suite::AesCm128HmacSha1_32];

/// Which e2ae indications both sides gave at registration (TS 33.328 §7.1.1, §7.1.2; stage 3:
/// `sdes-srtp;mediasec` and `msrp-tls;mediasec` in Security-Client and Security-Server,
/// TS 24.229 §7.2A.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct E2aeSupport {
    /// UE and network indicated e2ae security for RTP.
    pub rtp: bool,
    /// UE and network indicated e2ae security for MSRP.
    pub msrp: bool,
}

impl E2aeSupport {
    /// From the UE's Security-Client and the P-CSCF's Security-Server mechanisms: a kind is
    /// supported when both list it with the `mediasec` flag.
    pub fn from_registration(client: &[Mechanism], server: &[Mechanism]) -> E2aeSupport {
        let has = |l: &[Mechanism], name: &str| {
            l.iter()
                .any(|m| m.is_mediasec() && m.name.eq_ignore_ascii_case(name))
        };
        E2aeSupport {
            rtp: has(client, "sdes-srtp") && has(server, "sdes-srtp"),
            msrp: has(client, "msrp-tls") && has(server, "msrp-tls"),
        }
    }
}

/// Why the IMS-ALG cannot process an SDP body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlgError {
    #[error("{0}")]
    Sdp(#[from] SdpError),
    #[error("media {media}: e2ae requested but no offered a=crypto line is acceptable (TS 33.328 §5.2/§5.3)")]
    NoAcceptableCrypto { media: usize },
    #[error("media {media}: SDES answer: {why}")]
    Answer { media: usize, why: AnswerError },
    #[error("the answer has {answer} media descriptions, the offer {offer} (RFC 3264 §6)")]
    MediaCount { offer: usize, answer: usize },
    #[error("media {media}: the UE's answer carries no certificate fingerprint (RFC 4975 §14.1)")]
    NoFingerprint { media: usize },
}

/// What the P-CSCF sends the IMS Access GW over Iq for one media stream (TS 33.328
/// §6.2.1.3): the two SDES lines of an SRTP stream, or the UE's fingerprint of an MSRP one.
/// Key lifetimes are the RFC 3711 defaults (no `|lifetime` in either line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IqInstruction {
    Srtp {
        media: usize,
        /// The UE's line (K11 originating, K22 terminating): check and decrypt what the UE sends.
        from_ue: CryptoAttr,
        /// The P-CSCF's line (K12 originating, K21 terminating): protect what goes to the UE.
        to_ue: CryptoAttr,
    },
    Msrp {
        media: usize,
        /// The UE's certificate fingerprint the gateway's TLS session must match.
        ue_fingerprint: Fingerprint,
        /// The MSRP URIs of the two legs (RFC 4975 §6). Empty from this module: the P-CSCF
        /// fills them when it anchors the stream at the gateway (`roles/pcscf/media.rs`).
        paths: MsrpPaths,
    },
}

/// The `a=path` URIs of an MSRP stream anchored at the IMS Access GW (RFC 4975 §6, §8.2): what
/// the UE and the core signalled, and the gateway's own URI on each leg as the P-CSCF wrote
/// it into the SDP (the relay uses them for To-Path/From-Path, RFC 4975 §7.1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MsrpPaths {
    /// The UE's `a=path` URIs (as the UE sent them).
    pub ue: Vec<String>,
    /// The core's `a=path` URIs (as the core sent them).
    pub core: Vec<String>,
    /// The gateway's URI towards the UE (`msrps://<ue_side>/<session-id>;tcp`).
    pub gw_ue: String,
    /// The gateway's URI towards the core (`msrp://<core_side>/<session-id>;tcp`).
    pub gw_core: String,
}

/// Per-media state kept between offer and answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaPlan {
    /// Not e2ae: passes as TS 23.228 says (only foreign e2ae indications are removed).
    Untouched,
    /// e2ae SRTP. Originating: `ue` is the selected UE line (K11). Terminating: `offered` are
    /// the P-CSCF's lines (K21).
    Srtp {
        ue: Option<CryptoAttr>,
        offered: Vec<CryptoAttr>,
    },
    /// e2ae MSRP over TLS. `ue_fingerprint` (originating, from the offer), `tcp_offered`
    /// (terminating: the core offered TCP/MSRP).
    Msrp {
        ue_fingerprint: Option<Fingerprint>,
        tcp_offered: bool,
    },
}

/// State of an originating call between offer and answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrigSession {
    pub media: Vec<MediaPlan>,
}

/// State of a terminating call between offer and answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermSession {
    pub media: Vec<MediaPlan>,
}

fn crypto_lines(sdp: &Sdp, m: usize) -> Vec<CryptoAttr> {
    sdp.media()
        .get(m)
        .map(|md| md.crypto().into_iter().filter_map(Result::ok).collect())
        .unwrap_or_default()
}

fn has_e2ae(sdp: &Sdp, m: usize, which: &E2ae) -> bool {
    sdp.media()
        .get(m)
        .is_some_and(|md| md.e2ae().contains(which))
}

/// Removes every `a=3ge2ae` of every media description and the session level.
fn strip_e2ae(sdp: &mut Sdp) -> Result<(), AlgError> {
    sdp.remove_session_attrs("3ge2ae");
    for m in 0..sdp.media().len() {
        sdp.remove_attrs(m, "3ge2ae")?;
    }
    Ok(())
}

/// TS 33.328 §7.2.1 steps 1–3: the UE's offer in, the offer towards the S-CSCF out.
pub fn originating_offer(
    offer: &Sdp,
    support: E2aeSupport,
) -> Result<(Sdp, OrigSession), AlgError> {
    let mut out = offer.clone();
    let mut plans = Vec::new();
    for (m, md) in offer.media().iter().enumerate() {
        let proto = md.proto();
        let requested = has_e2ae(offer, m, &E2ae::Requested);
        let plan = match proto {
            // Step 2: an SRTP stream with "e2ae-security requested by UE", and the P-CSCF
            // indicated support at registration.
            Some(p) if p.is_srtp() && requested && support.rtp => {
                // Step 3: select one SDES line, remove all of them and the indication,
                // change the transport from SRTP to RTP.
                let offered = crypto_lines(offer, m);
                let chosen = offered
                    .iter()
                    .find(|c| offer_answer::ims_acceptable(c))
                    .cloned()
                    .ok_or(AlgError::NoAcceptableCrypto { media: m })?;
                out.remove_attrs(m, "crypto")?;
                out.set_proto(
                    m,
                    if p == Proto::RtpSavpf {
                        Proto::RtpAvpf
                    } else {
                        Proto::RtpAvp
                    },
                )?;
                MediaPlan::Srtp {
                    ue: Some(chosen),
                    offered: Vec::new(),
                }
            }
            // Step 2: MSRP offered over TLS gets e2ae by default, indication or not.
            Some(Proto::TcpTlsMsrp) => {
                // Step 3: store the UE's fingerprint, remove it, TCP/TLS/MSRP -> TCP/MSRP.
                let fp = md.fingerprints().into_iter().find_map(Result::ok);
                out.remove_attrs(m, "fingerprint")?;
                out.set_proto(m, Proto::TcpMsrp)?;
                MediaPlan::Msrp {
                    ue_fingerprint: fp,
                    tcp_offered: false,
                }
            }
            // Not requested, or no support: TS 23.228 handling (no media security by the ALG).
            _ => MediaPlan::Untouched,
        };
        plans.push(plan);
    }
    // Step 3 ("removes ... the indication") for e2ae streams, and the rule that no
    // indication inserted by another party reaches the core.
    strip_e2ae(&mut out)?;
    Ok((out, OrigSession { media: plans }))
}

/// TS 33.328 §7.2.1 steps 6–8: the answer from the S-CSCF in, the answer to the UE and the
/// Iq instructions out. `key_salt(suite)` gives a fresh master key||salt (K12) per stream;
/// `gw_fingerprint` is the IMS Access GW's certificate fingerprint.
pub fn originating_answer(
    session: &OrigSession,
    answer: &Sdp,
    mut key_salt: impl FnMut(Suite) -> Vec<u8>,
    gw_fingerprint: &Fingerprint,
) -> Result<(Sdp, Vec<IqInstruction>), AlgError> {
    let n = answer.media().len();
    if n != session.media.len() {
        return Err(AlgError::MediaCount {
            offer: session.media.len(),
            answer: n,
        });
    }
    let mut out = answer.clone();
    // Indications inserted by another party are removed.
    strip_e2ae(&mut out)?;
    let mut iq = Vec::new();
    for (m, plan) in session.media.iter().enumerate() {
        let rejected = answer
            .media()
            .get(m)
            .and_then(|md| md.line())
            .is_some_and(|l| l.port == 0);
        match plan {
            MediaPlan::Srtp { ue: Some(ue), .. } if !rejected => {
                // Step 7: one SDES line with the P-CSCF's key K12, same tag and suite as the
                // line selected in step 3 (RFC 4568 §7.1.2), no lifetime.
                let suite = ue
                    .suite()
                    .ok_or(AlgError::NoAcceptableCrypto { media: m })?;
                let mut mine = CryptoAttr::new(ue.tag, suite, &key_salt(suite));
                mine.session_params = ue.session_params.clone();
                // Step 8: RTP -> SRTP, include the created line (and nothing the core sent).
                out.remove_attrs(m, "crypto")?;
                let avpf = answer.media().get(m).and_then(|md| md.proto()) == Some(Proto::RtpAvpf);
                out.set_proto(
                    m,
                    if avpf {
                        Proto::RtpSavpf
                    } else {
                        Proto::RtpSavp
                    },
                )?;
                out.add_attr(m, &format!("crypto:{}", mine.emit()))?;
                iq.push(IqInstruction::Srtp {
                    media: m,
                    from_ue: ue.clone(),
                    to_ue: mine,
                });
            }
            MediaPlan::Msrp { ue_fingerprint, .. } if !rejected => {
                // Step 7: the UE's fingerprint to the gateway.
                let fp = ue_fingerprint
                    .clone()
                    .ok_or(AlgError::NoFingerprint { media: m })?;
                // Step 8: TCP/MSRP -> TCP/TLS/MSRP, the gateway's fingerprint.
                out.remove_attrs(m, "fingerprint")?;
                out.set_proto(m, Proto::TcpTlsMsrp)?;
                out.add_attr(m, &format!("fingerprint:{}", gw_fingerprint.emit()))?;
                iq.push(IqInstruction::Msrp {
                    media: m,
                    ue_fingerprint: fp,
                    paths: MsrpPaths::default(),
                });
            }
            _ => {}
        }
    }
    Ok((out, iq))
}

/// TS 33.328 §7.3.1 steps 3–4: the offer from the S-CSCF in, the offer to the UE out.
/// `key_salt(suite)` gives a fresh master key||salt (K21) per offered line.
pub fn terminating_offer(
    offer: &Sdp,
    support: E2aeSupport,
    mut key_salt: impl FnMut(Suite) -> Vec<u8>,
    gw_fingerprint: &Fingerprint,
) -> Result<(Sdp, TermSession), AlgError> {
    let mut out = offer.clone();
    // Indications inserted by another party are removed before anything is added.
    strip_e2ae(&mut out)?;
    let mut plans = Vec::new();
    for (m, md) in offer.media().iter().enumerate() {
        let plan = match md.proto() {
            // Step 3: an RTP stream (an SRTP offer is e2e, NOTE 2: left alone) and both sides
            // indicated e2ae for RTP.
            Some(p @ (Proto::RtpAvp | Proto::RtpAvpf)) if support.rtp => {
                // Step 4: RTP -> SRTP, SDES lines with K21, the e2ae indication.
                out.remove_attrs(m, "crypto")?;
                out.set_proto(
                    m,
                    if p == Proto::RtpAvpf {
                        Proto::RtpSavpf
                    } else {
                        Proto::RtpSavp
                    },
                )?;
                let mut offered = Vec::new();
                for (k, suite) in OFFERED_SUITES.into_iter().enumerate() {
                    let c = CryptoAttr::new(k as u32 + 1, suite, &key_salt(suite));
                    out.add_attr(m, &format!("crypto:{}", c.emit()))?;
                    offered.push(c);
                }
                out.add_attr(m, "3ge2ae:applied")?;
                MediaPlan::Srtp { ue: None, offered }
            }
            // Step 3: MSRP and both sides indicated e2ae for MSRP.
            Some(p @ (Proto::TcpMsrp | Proto::TcpTlsMsrp)) if support.msrp => {
                // Step 4: TCP/TLS/MSRP, the core's fingerprints out, the gateway's in, and the
                // e2ae indication.
                out.remove_attrs(m, "fingerprint")?;
                out.set_proto(m, Proto::TcpTlsMsrp)?;
                out.add_attr(m, &format!("fingerprint:{}", gw_fingerprint.emit()))?;
                out.add_attr(m, "3ge2ae:applied")?;
                MediaPlan::Msrp {
                    ue_fingerprint: None,
                    tcp_offered: p == Proto::TcpMsrp,
                }
            }
            _ => MediaPlan::Untouched,
        };
        plans.push(plan);
    }
    Ok((out, TermSession { media: plans }))
}

/// TS 33.328 §7.3.1 steps 5–7: the UE's answer in, the answer towards the S-CSCF and the Iq
/// instructions out.
pub fn terminating_answer(
    session: &TermSession,
    answer: &Sdp,
) -> Result<(Sdp, Vec<IqInstruction>), AlgError> {
    let n = answer.media().len();
    if n != session.media.len() {
        return Err(AlgError::MediaCount {
            offer: session.media.len(),
            answer: n,
        });
    }
    let mut out = answer.clone();
    // No e2ae indication from the UE's side goes to the core.
    strip_e2ae(&mut out)?;
    let mut iq = Vec::new();
    for (m, plan) in session.media.iter().enumerate() {
        let md = answer.media();
        let Some(md) = md.get(m) else { continue };
        let rejected = md.line().is_some_and(|l| l.port == 0);
        match plan {
            MediaPlan::Srtp { offered, .. } if !rejected => {
                // Step 5: the UE answers with one of the offered lines, its own key K22.
                let lines = offer_answer::parse_all(&md.crypto())
                    .map_err(|why| AlgError::Answer { media: m, why })?;
                let (ue, mine) = offer_answer::check_answer(offered, &lines)
                    .map_err(|why| AlgError::Answer { media: m, why })?;
                // Step 6: both lines to the gateway.
                iq.push(IqInstruction::Srtp {
                    media: m,
                    from_ue: ue.clone(),
                    to_ue: mine.clone(),
                });
                // Step 7: SRTP -> RTP, the SDES line removed.
                out.remove_attrs(m, "crypto")?;
                let savpf = md.proto() == Some(Proto::RtpSavpf);
                out.set_proto(m, if savpf { Proto::RtpAvpf } else { Proto::RtpAvp })?;
            }
            MediaPlan::Msrp { tcp_offered, .. } if !rejected => {
                // Step 5/6: the UE's fingerprint to the gateway.
                let fp = md
                    .fingerprints()
                    .into_iter()
                    .find_map(Result::ok)
                    .ok_or(AlgError::NoFingerprint { media: m })?;
                iq.push(IqInstruction::Msrp {
                    media: m,
                    ue_fingerprint: fp,
                    paths: MsrpPaths::default(),
                });
                // Step 7: TCP/TLS/MSRP -> TCP/MSRP if the core offered TCP/MSRP; the UE's
                // fingerprint removed.
                out.remove_attrs(m, "fingerprint")?;
                if *tcp_offered {
                    out.set_proto(m, Proto::TcpMsrp)?;
                }
            }
            _ => {}
        }
    }
    Ok((out, iq))
}
