//! The built-in reference security gateway (TS 33.210 Za) and its flawed variants.
//!
//! Conformant: ESP child SAs only with encryption and integrity (seed 000, clause C.2 of the
//! TS 33.210/33.203 excerpt: "IPSec ESP shall be used with both encryption and integrity
//! protection for all SIP signalling traversing inter-security domain boundaries"), an IKE SA
//! never with ENCR_NULL; as responder it refuses a null-only child with NO_PROPOSAL_CHOSEN
//! (RFC 7296 §2.7, §3.10.1); as initiator it offers only conformant proposals.

use super::proposal::parse_list;
use super::responder::ResponderPolicy;
use crate::mech::ikev2::consts::proto;
use crate::mech::ikev2::Proposal;
use std::collections::BTreeSet;
use std::net::SocketAddr;

/// A deliberate defect of the built-in SEG (`builtin:seg:<name>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SegFlaw {
    /// As responder: accepts (and prefers) ENCR_NULL children.
    AcceptNullEsp,
    /// As initiator: offers an ENCR_NULL child proposal first.
    OfferNullEsp,
    /// Offers (as initiator) and prefers (as responder) ENCR_NULL for the IKE SA itself.
    NullIke,
}

impl SegFlaw {
    pub const ALL: [SegFlaw; 3] = [
        SegFlaw::AcceptNullEsp,
        SegFlaw::OfferNullEsp,
        SegFlaw::NullIke,
    ];
    pub fn name(self) -> &'static str {
        match self {
            SegFlaw::AcceptNullEsp => "accept-null-esp",
            SegFlaw::OfferNullEsp => "offer-null-esp",
            SegFlaw::NullIke => "null-ike",
        }
    }
}

impl std::str::FromStr for SegFlaw {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        SegFlaw::ALL
            .iter()
            .copied()
            .find(|f| f.name() == s)
            .ok_or_else(|| {
                format!(
                    "unknown SEG flaw '{s}' (known: {})",
                    SegFlaw::ALL.map(|f| f.name()).join(", ")
                )
            })
    }
}

pub type SegFlaws = BTreeSet<SegFlaw>;

/// The built-in SEG's pre-shared key and identity (the harness uses them as its peer's).
pub const BUILTIN_PSK: &[u8] = b"imsec-za-builtin-psk";
pub const BUILTIN_ID: &str = "seg.imsec.test";

fn list(v: &[&str], protocol: u8) -> Vec<Proposal> {
    let owned: Vec<String> = v.iter().map(|s| s.to_string()).collect();
    // The literals below are valid proposal strings.
    parse_list(&owned, protocol).unwrap_or_default()
}

/// Conformant IKE proposals (strongest first).
pub fn conformant_ike() -> Vec<Proposal> {
    list(
        &[
            "aes256-sha256-modp2048",
            "aes128-sha256-modp2048",
            "aes128-sha256-curve25519",
            "aes128-sha256-ecp256",
            "aes128-sha1-modp2048",
        ],
        proto::IKE,
    )
}

/// Conformant ESP proposals.
pub fn conformant_esp() -> Vec<Proposal> {
    list(
        &[
            "aes128gcm16",
            "aes256gcm16",
            "aes128-sha256",
            "aes256-sha256",
            "aes128-sha1",
        ],
        proto::ESP,
    )
}

fn null_esp() -> Vec<Proposal> {
    list(&["null-sha1", "null-sha256", "aes128gmac"], proto::ESP)
}

fn null_ike() -> Vec<Proposal> {
    list(&["null-sha256-modp2048", "null-sha1-modp2048"], proto::IKE)
}

/// The SEG's responder policy with its flaws.
pub fn responder_policy(flaws: &SegFlaws, local: SocketAddr) -> ResponderPolicy {
    let mut ike = conformant_ike();
    if flaws.contains(&SegFlaw::NullIke) {
        let mut n = null_ike();
        n.extend(ike);
        ike = n;
    }
    let mut esp = conformant_esp();
    if flaws.contains(&SegFlaw::AcceptNullEsp) {
        let mut n = null_esp();
        n.extend(esp);
        esp = n;
    }
    ResponderPolicy {
        psk: BUILTIN_PSK.to_vec(),
        local_id: super::session::parse_identity(BUILTIN_ID),
        ike_accept: ike,
        child_accept: esp,
        local,
    }
}

/// What the SEG offers as initiator: (IKE proposals, child proposals).
pub fn initiator_offers(flaws: &SegFlaws) -> (Vec<Proposal>, Vec<Proposal>) {
    let mut ike = conformant_ike();
    if flaws.contains(&SegFlaw::NullIke) {
        let mut n = null_ike();
        n.extend(ike);
        ike = n;
    }
    let mut esp = conformant_esp();
    if flaws.contains(&SegFlaw::OfferNullEsp) {
        let mut n = null_esp();
        n.extend(esp);
        esp = n;
    }
    renumber(&mut ike);
    renumber(&mut esp);
    (ike, esp)
}

/// Numbers proposals 1, 2, ... (RFC 7296 §3.3.1).
pub fn renumber(v: &mut [Proposal]) {
    for (i, p) in v.iter_mut().enumerate() {
        p.num = u8::try_from(i + 1).unwrap_or(u8::MAX);
    }
}
