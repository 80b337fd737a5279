//! Flawed variants of the reference P-CSCF (`builtin:<flaw>`): each breaks exactly one rule,
//! so that each security check of the catalogue has a SUT it must fail.

use std::collections::BTreeSet;
use std::str::FromStr;

/// One deliberate defect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum Flaw {
    /// Forwards `ck`/`ik` to the UE in the 401 (TS 33.203 §7.2: the P-CSCF removes them).
    LeakCkIk,
    /// Does not compare Security-Verify with its Security-Server (RFC 3329 §2.3.1).
    AcceptModifiedVerify,
    /// Does not compare the second Security-Client with the first (TS 24.229 §5.2.2).
    IgnoreSecurityClientChange,
    /// Chooses `ealg=null` although the UE offered encryption and policy requires it.
    ChooseNull,
    /// Uses the UE's SPIs as its own (TS 33.203 §7.1; seed 001: reflection).
    ReuseUeSpi,
    /// Anti-replay off (TS 33.203 M.6.3 requires it on every SA).
    NoReplayWindow,
    /// Accepts packets whose ICV does not verify (RFC 4303 §3.4.4); prefers HMAC-protected
    /// pairs, since an AEAD cannot skip its tag check.
    NoIcvCheck,
    /// Accepts SIP without ESP on its protected ports from a registered UE.
    AcceptUnprotected,
    /// Sends responses on the SA for requests to the UE (port_pc → port_us).
    WrongSaReply,
    /// Sends a dummy packet (Next Header 59) after each protected message (M.6.2 forbids it).
    SendDummy,
    /// Forwards Security-Client/-Verify and the sec-agree option tags to the core.
    ForwardSecAgree,
    /// Sends the final 200 of a de-registration without protection.
    UnprotectedDeregister200,
    /// Accepts requests on the SAs from a port that has no SA (no inbound selector check).
    NoSelectorCheck,
    /// Re-registration keeps the old SAs alive (TS 33.203 §7.4 retires them).
    KeepOldSas,
    /// Sends requests to the UE on the SA for responses (port_ps → port_uc) instead of SA #3.
    WrongSaRequest,
    /// Tells the core `integrity-protected="no"` for a REGISTER received over the SAs.
    WrongIntegrityProtected,
    /// Accepts the REGISTER answering the challenge in clear on its protected port.
    AcceptUnprotectedRegister,
    /// Takes the UE's first usable offer instead of deciding by its own preference.
    PreferUeOrder,
    /// Keeps the temporary SAs after the authentication failed (and answers over them).
    KeepTemporarySas,
    /// Starts each SA's sequence numbers at 2 instead of 1 (RFC 4303 §3.3.3). A variant that
    /// repeated numbers would also break every other case, since the conformant harness UE
    /// drops repeats; this one breaks only the rule its check judges.
    SeqStartsAt2,
    /// Forwards the REGISTER carrying AUTS without the `auts` parameter.
    DropAuts,
    /// Answers a new initial REGISTER with the challenge it cached from the previous one.
    CacheChallenge,
    /// Answers offers of pairs Annex H forbids (null+null, alg=null without aes-gcm) with a
    /// challenge naming them, instead of refusing.
    AcceptForbiddenPair,
}

impl Flaw {
    /// Every flaw (a slice, so that adding one touches only this list and `name`).
    pub const ALL: &'static [Flaw] = &[
        Flaw::LeakCkIk,
        Flaw::AcceptModifiedVerify,
        Flaw::IgnoreSecurityClientChange,
        Flaw::ChooseNull,
        Flaw::ReuseUeSpi,
        Flaw::NoReplayWindow,
        Flaw::NoIcvCheck,
        Flaw::AcceptUnprotected,
        Flaw::WrongSaReply,
        Flaw::SendDummy,
        Flaw::ForwardSecAgree,
        Flaw::UnprotectedDeregister200,
        Flaw::NoSelectorCheck,
        Flaw::KeepOldSas,
        Flaw::WrongSaRequest,
        Flaw::WrongIntegrityProtected,
        Flaw::AcceptUnprotectedRegister,
        Flaw::PreferUeOrder,
        Flaw::AcceptForbiddenPair,
        Flaw::KeepTemporarySas,
        Flaw::SeqStartsAt2,
        Flaw::DropAuts,
        Flaw::CacheChallenge,
    ];

    /// The name used in `builtin:<flaw>`.
    pub fn name(self) -> &'static str {
        match self {
            Flaw::LeakCkIk => "leak-ck-ik",
            Flaw::AcceptModifiedVerify => "accept-modified-verify",
            Flaw::IgnoreSecurityClientChange => "ignore-security-client-change",
            Flaw::ChooseNull => "choose-null",
            Flaw::ReuseUeSpi => "reuse-ue-spi",
            Flaw::NoReplayWindow => "no-replay-window",
            Flaw::NoIcvCheck => "no-icv-check",
            Flaw::AcceptUnprotected => "accept-unprotected",
            Flaw::WrongSaReply => "wrong-sa-reply",
            Flaw::SendDummy => "send-dummy",
            Flaw::ForwardSecAgree => "forward-sec-agree",
            Flaw::UnprotectedDeregister200 => "unprotected-dereg-200",
            Flaw::NoSelectorCheck => "no-selector-check",
            Flaw::KeepOldSas => "keep-old-sas",
            Flaw::WrongSaRequest => "wrong-sa-request",
            Flaw::WrongIntegrityProtected => "wrong-integrity-protected",
            Flaw::AcceptUnprotectedRegister => "accept-unprotected-register",
            Flaw::PreferUeOrder => "prefer-ue-order",
            Flaw::AcceptForbiddenPair => "accept-forbidden-pair",
            Flaw::KeepTemporarySas => "keep-temporary-sas",
            Flaw::SeqStartsAt2 => "seq-starts-at-2",
            Flaw::DropAuts => "drop-auts",
            Flaw::CacheChallenge => "cache-challenge",
        }
    }
}

impl FromStr for Flaw {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Flaw::ALL
            .iter()
            .copied()
            .find(|f| f.name() == s)
            .ok_or_else(|| {
                format!(
                    "unknown flaw '{s}' (known: {})",
                    Flaw::ALL
                        .iter()
                        .map(|f| f.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
    }
}

/// The flaws a variant has (empty: the conformant reference).
pub type Flaws = BTreeSet<Flaw>;
