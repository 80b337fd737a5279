//! Judging proposals against TS 33.210 Za: the SA payloads of an IKE_SA_INIT or IKE_AUTH
//! message (or any exchange carrying SA) must neither offer nor select an ESP (or IKE)
//! transform set without encryption. Seed 000 (TS 33.210/33.203 excerpt, clause C.2): "IPSec
//! ESP shall be used with both encryption and integrity protection for all SIP signalling
//! traversing inter-security domain boundaries"; the same excerpt: "integrity-only mode is NOT
//! permited". Used by the active Za probe and, passively, by `imsec replay`.

use super::consts::{self, proto};
use super::message::{open, Message, SkKeys};
use super::payloads::Payload;
use super::IkeError;

/// Whether the SA was offered (in a request) or selected (in a response).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Offered,
    Selected,
}

/// One proposal that gives no confidentiality.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NullFinding {
    /// 1 IKE, 3 ESP (RFC 7296 §3.3.1).
    pub protocol: u8,
    pub proposal: u8,
    pub role: Role,
    /// e.g. `ESP: ENCR_NULL, AUTH_HMAC_SHA1_96, No Extended Sequence Numbers`.
    pub description: String,
}

/// Every proposal of every SA payload in `payloads` that has ENCR_NULL /
/// ENCR_NULL_AUTH_AES_GMAC, or (for ESP and IKE) no ENCR transform at all. `response`:
/// whether the message is a response (the proposals are then selections).
pub fn judge_proposals(payloads: &[Payload], response: bool) -> Vec<NullFinding> {
    let role = if response {
        Role::Selected
    } else {
        Role::Offered
    };
    let mut out = Vec::new();
    for p in payloads {
        if let Payload::Sa(props) = p {
            for pr in props {
                let relevant = pr.protocol == proto::ESP || pr.protocol == proto::IKE;
                if relevant && (pr.without_confidentiality()) {
                    out.push(NullFinding {
                        protocol: pr.protocol,
                        proposal: pr.num,
                        role,
                        description: pr.describe(),
                    });
                }
            }
        }
    }
    out
}

/// Parses `bytes` (one IKE message) and judges its proposals; an SK payload is opened when
/// `keys` (the sender's direction) are given, else only the clear payloads are judged.
/// Returns the exchange type with the findings.
pub fn judge_message(
    bytes: &[u8],
    keys: Option<SkKeys<'_>>,
) -> Result<(u8, Vec<NullFinding>), IkeError> {
    let m = Message::parse(bytes)?;
    let response = m.header.is_response();
    let payloads = match (keys, m.payloads.last().map(Payload::kind)) {
        (Some(k), Some(consts::payload::SK)) => open(bytes, k, true)?.payloads,
        _ => m.payloads,
    };
    Ok((m.header.exchange, judge_proposals(&payloads, response)))
}
