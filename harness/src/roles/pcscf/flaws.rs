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
    /// `tls` mechanism: does not compare Security-Verify with its Security-Server over the
    /// TLS connection (RFC 3329 §2.3.1; TS 33.203 Annex O keeps the bid-down protection).
    TlsNoVerifyCheck,
    /// `tls` mechanism: forwards requests of a UE registered over TLS that arrive outside its
    /// TLS connection (TS 33.203 O.2.2/O.4: the session is bound to the registration).
    TlsAcceptOutside,
    /// `tls` mechanism: tells the core `integrity-protected="yes"` instead of tls-pending /
    /// tls-yes (TS 24.229 §5.2.2).
    TlsWrongIntegrity,
    /// `tls` mechanism: asks the UE for a certificate (CertificateRequest); seed 004: "The
    /// P-CSCF must not request UE certificates".
    TlsRequestClientCert,
    /// `tls` mechanism: ignores `tls` in a Security-Client received outside TLS (the RFC 3329
    /// flow on 5060), so a UE offering only tls gets no agreement.
    TlsIgnoreChoice,
    /// `tls` mechanism: to a UE offering both ipsec-3gpp and tls, answers `Security-Server:
    /// tls` but then accepts the protected REGISTER only over IPsec SAs (refuses it over TLS).
    TlsMixedChoice,
    /// `tls` mechanism: the SIPS certificate ended its validity years ago (RFC 5280 §6.1.3).
    TlsAgreeExpiredCert,
    /// `tls` mechanism: the SIPS certificate names another host (RFC 6125 §6).
    TlsAgreeWrongNameCert,
    /// IMS Access GW: forwards a replayed SRTP packet from the UE (RFC 3711 §3.3.2).
    AgwNoReplayCheck,
    /// IMS Access GW: forwards SRTP from the UE whose tag does not verify (RFC 3711 §3.3).
    AgwNoAuthCheck,
    /// IMS Access GW: protects media to the UE with the UE's own key instead of the
    /// P-CSCF's (TS 33.328 §7.2.1 step 7, §7.3.1 step 6).
    AgwReuseUeKey,
    /// IMS Access GW: takes SRTCP without an authentication tag (RFC 3711 §3.4).
    AgwAcceptUnauthSrtcp,
    /// IMS Access GW: the MSRP relay accepts any client certificate from the UE, not only
    /// the one whose fingerprint the UE signalled (RFC 4975 §14.2, RFC 8122 §5).
    AgwMsrpNoFingerprintCheck,
    /// IMS Access GW: the MSRP relay takes a null-cipher TLS suite when the UE offers one
    /// (TS 33.328 §5.4.1).
    AgwMsrpNullSuite,
    /// IMS-ALG: keeps RTP/SAVP and the UE's `a=crypto` in SDP towards the core (TS 33.328
    /// §7.2.1 step 3, §7.3.1 step 7 remove them).
    AlgForwardCrypto,
    /// IMS-ALG: answers the originating UE with the UE's own master key as K12 (§7.2.1 step 7
    /// asks for a key the P-CSCF creates).
    AlgReuseUeKey,
    /// IMS-ALG: leaves `a=3ge2ae` indications inserted by another party in place (§7.2.1 and
    /// §7.3.1, last paragraphs).
    AlgKeep3ge2ae,
    /// IMS-ALG: offers the terminating UE a NULL-cipher suite and a line with
    /// UNENCRYPTED_SRTP (§5.3: null encryption should not be used).
    AlgOfferNullSrtp,
    /// IMS-ALG: takes an originating e2ae offer whose only SDES lines do not encrypt (NULL
    /// cipher, UNENCRYPTED_SRTP) instead of refusing it (§5.3).
    AlgAcceptNullSrtp,
    /// IMS-ALG: applies e2ae although the UE did not indicate `mediasec` support at
    /// registration (§7.1.1: only when both indicated).
    AlgIgnoreMediasec,
    /// IMS-ALG: gives its SDES lines towards the UE a key lifetime (§7.2.1 step 8, §7.3.1
    /// step 4: "The optional key lifetime field shall be omitted").
    AlgKeepLifetime,
    /// IMS-ALG: passes MSRP certificate fingerprints through instead of replacing them by the
    /// gateway's (§7.2.1 steps 3/8, §7.3.1 steps 4/7).
    AlgKeepUeFingerprint,
    /// IMS-ALG: terminates SDES offered end to end (RTP/SAVP without `a=3ge2ae:requested`,
    /// or RTP/SAVP from the core) as if e2ae had been asked for (§7.2.1, §7.3.1 NOTE 2).
    AlgTerminateE2e,
    /// IMS-ALG: leaves the MSRP c=/m= and `a=path` of e2ae MSRP streams as the other side
    /// sent them, so the IMS Access GW is not in the MSRP path (§4.2.2, §7.2.1 step 3/8,
    /// §7.3.1 step 4/7; RFC 4975 §8).
    AlgMsrpNoAnchor,
    /// IMS-ALG: signals towards the UE the fingerprint of a certificate other than the one the
    /// IMS Access GW presents in TLS (§7.2.1 step 8, §7.3.1 step 4, §5.4.1).
    AlgWrongGwFingerprint,
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
        Flaw::TlsNoVerifyCheck,
        Flaw::TlsAcceptOutside,
        Flaw::TlsWrongIntegrity,
        Flaw::TlsRequestClientCert,
        Flaw::TlsIgnoreChoice,
        Flaw::TlsMixedChoice,
        Flaw::TlsAgreeExpiredCert,
        Flaw::TlsAgreeWrongNameCert,
        Flaw::AgwNoReplayCheck,
        Flaw::AgwNoAuthCheck,
        Flaw::AgwReuseUeKey,
        Flaw::AgwAcceptUnauthSrtcp,
        Flaw::AgwMsrpNoFingerprintCheck,
        Flaw::AgwMsrpNullSuite,
        Flaw::AlgForwardCrypto,
        Flaw::AlgReuseUeKey,
        Flaw::AlgKeep3ge2ae,
        Flaw::AlgOfferNullSrtp,
        Flaw::AlgAcceptNullSrtp,
        Flaw::AlgIgnoreMediasec,
        Flaw::AlgKeepLifetime,
        Flaw::AlgKeepUeFingerprint,
        Flaw::AlgTerminateE2e,
        Flaw::AlgMsrpNoAnchor,
        Flaw::AlgWrongGwFingerprint,
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
            Flaw::TlsNoVerifyCheck => "tls-no-verify-check",
            Flaw::TlsAcceptOutside => "tls-accept-outside",
            Flaw::TlsWrongIntegrity => "tls-wrong-integrity",
            Flaw::TlsRequestClientCert => "tls-request-client-cert",
            Flaw::TlsIgnoreChoice => "tls-ignore-choice",
            Flaw::TlsMixedChoice => "tls-mixed-choice",
            Flaw::TlsAgreeExpiredCert => "tls-agree-expired-cert",
            Flaw::TlsAgreeWrongNameCert => "tls-agree-wrong-name-cert",
            Flaw::AlgForwardCrypto => "alg-forward-crypto",
            Flaw::AlgReuseUeKey => "alg-reuse-ue-key",
            Flaw::AlgKeep3ge2ae => "alg-keep-3ge2ae",
            Flaw::AlgOfferNullSrtp => "alg-offer-null-srtp",
            Flaw::AlgAcceptNullSrtp => "alg-accept-null-srtp",
            Flaw::AlgIgnoreMediasec => "alg-ignore-mediasec",
            Flaw::AlgKeepLifetime => "alg-keep-lifetime",
            Flaw::AlgKeepUeFingerprint => "alg-keep-ue-fingerprint",
            Flaw::AlgTerminateE2e => "alg-terminate-e2e",
            Flaw::AlgMsrpNoAnchor => "alg-msrp-no-anchor",
            Flaw::AlgWrongGwFingerprint => "alg-wrong-gw-fingerprint",
            Flaw::AgwNoReplayCheck => "agw-no-replay-check",
            Flaw::AgwNoAuthCheck => "agw-no-auth-check",
            Flaw::AgwReuseUeKey => "agw-reuse-ue-key",
            Flaw::AgwAcceptUnauthSrtcp => "agw-accept-unauth-srtcp",
            Flaw::AgwMsrpNoFingerprintCheck => "agw-msrp-no-fingerprint-check",
            Flaw::AgwMsrpNullSuite => "agw-msrp-null-suite",
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
