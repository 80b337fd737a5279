//! Test cases: one YAML file per case under `testcases/<area>/`. A case is a test purpose in
//! the ETSI/TDL manner plus executable steps:
//!
//! ```yaml
//! id: SEC-AGREE-BIDDOWN-01
//! title: A protected REGISTER with a modified Security-Verify is rejected
//! requirement:
//!   - { spec: RFC 3329, clause: "2.3.1", text: the server compares Security-Verify with its list }
//! applies_to: { topology: [pcscf, core], mechanism: ipsec-3gpp }
//! tags: [bid-down]
//! steps:
//!   - { id: challenge, do: initial_register }
//!   - { id: modified, do: protected_register, verify: { set: { alg: hmac-md5-96 } } }
//! expect:
//!   - { check: response, step: modified, status: 4xx }
//!   - { check: registered, value: false }
//! ```
//!
//! Unknown fields are errors; errors name the file, the line and the field (docs/testcases.md,
//! JSON Schema in docs/testcase.schema.json).

use super::model::Requirement;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Who the harness plays (design.md §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Topology {
    /// Harness = UE + S-CSCF around a P-CSCF (the default).
    Pcscf,
    /// Harness = UE only, SUT = a whole IMS core.
    Core,
    /// Harness = the peer security gateway over Za (TS 33.210), SUT = a SEG (engine::za).
    Seg,
    /// Harness = the UE's TLS client, SUT = a TLS endpoint (engine::tls; TS 33.203 Annex O).
    Tls,
}

/// Which SUTs a case applies to (PICS-like).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppliesTo {
    #[serde(default = "both_topologies")]
    pub topology: Vec<Topology>,
    #[serde(default = "ipsec")]
    pub mechanism: String,
    /// ESP modes (`trans`, `UDP-enc-tun`); empty = any.
    #[serde(default)]
    pub modes: Vec<String>,
    /// The case needs the core view (what the P-CSCF forwarded): not applicable on `core`.
    #[serde(default)]
    pub needs_core_view: bool,
    /// The case needs a P-CSCF acting as IMS-ALG for e2ae media security (TS 33.328): not
    /// applicable to a SUT profile without `e2ae_media: true`.
    #[serde(default)]
    pub e2ae_media: bool,
}

impl Default for AppliesTo {
    fn default() -> Self {
        AppliesTo {
            topology: both_topologies(),
            mechanism: ipsec(),
            modes: Vec::new(),
            needs_core_view: false,
            e2ae_media: false,
        }
    }
}

fn both_topologies() -> Vec<Topology> {
    vec![Topology::Pcscf, Topology::Core]
}
fn ipsec() -> String {
    "ipsec-3gpp".into()
}

/// How to alter a sec-agree header the UE sends.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct HeaderTamper {
    /// Leave the header out.
    #[serde(default)]
    pub omit: bool,
    /// Set parameters of the first mechanism (`{alg: hmac-md5-96}`, `{q: "0.5"}`).
    #[serde(default)]
    pub set: BTreeMap<String, String>,
    /// Remove parameters of the first mechanism.
    #[serde(default)]
    pub remove: Vec<String>,
    /// Drop the first mechanism of the list.
    #[serde(default)]
    pub drop_first: bool,
    /// Append a mechanism given as header text (e.g. `digest;q=0.9`).
    #[serde(default)]
    pub append: Option<String>,
    /// Replace the whole value by this text.
    #[serde(default)]
    pub replace: Option<String>,
    /// Change these parameters of the first mechanism to a different valid value, whatever
    /// the P-CSCF chose (alg, ealg, mod, prot, q, spi-c, spi-s, port-c, port-s).
    #[serde(default)]
    pub alter: Vec<String>,
}

/// ESP-level deviations of a request.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct EspTamper {
    /// Flip a bit of the ICV.
    #[serde(default)]
    pub bad_icv: bool,
    /// Send a dummy packet (Next Header 59) instead.
    #[serde(default)]
    pub dummy: bool,
    /// Use this sequence number.
    #[serde(default)]
    pub seq: Option<u32>,
}

/// One action of the harness roles.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(tag = "do", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// A conformant registration (initial REGISTER, 401, protected REGISTER, 200).
    Register {
        #[serde(default)]
        id: Option<String>,
    },
    /// The initial REGISTER; on a usable 401 the UE sets up the temporary SAs. With
    /// `offers` (`alg/ealg` list, forbidden pairs allowed), the UE offers exactly those and the
    /// step only records the answer (a rejection is then not a problem).
    InitialRegister {
        #[serde(default)]
        id: Option<String>,
        #[serde(default)]
        offers: Option<Vec<String>>,
    },
    /// The REGISTER answering the challenge, with optional deviations.
    ProtectedRegister {
        #[serde(default)]
        id: Option<String>,
        #[serde(default)]
        verify: Option<HeaderTamper>,
        #[serde(default)]
        client: Option<HeaderTamper>,
        /// Send it in clear to the P-CSCF's protected server port.
        #[serde(default)]
        unprotected: bool,
        #[serde(default)]
        wrong_response: bool,
    },
    /// A request (OPTIONS by default) over the registration's SA #1.
    Request {
        #[serde(default)]
        id: Option<String>,
        #[serde(default = "options")]
        method: String,
        #[serde(default)]
        esp: Option<EspTamper>,
        /// Send it in clear to the protected server port instead.
        #[serde(default)]
        unprotected: bool,
        /// Send it over the SA but from a port that has no SA (inner source port).
        #[serde(default)]
        from_port: Option<u16>,
        /// `previous`: over the SAs a re-registration replaced (which must be retired);
        /// `temporary`: over the SAs of the last challenge.
        #[serde(default)]
        over: Option<String>,
    },
    /// Re-send, byte for byte, the first packet the UE sent in step `of`.
    Replay {
        #[serde(default)]
        id: Option<String>,
        of: String,
    },
    /// Send back to the P-CSCF the last ESP packet the UE received from it.
    Reflect {
        #[serde(default)]
        id: Option<String>,
    },
    /// Initial REGISTER with the USIM's SQN `ahead` of the network's: the UE answers the stale
    /// challenge with AUTS (TS 33.102 §6.3.5, RFC 3310 §3.4) and records the next answer.
    ResyncRegister {
        #[serde(default)]
        id: Option<String>,
        #[serde(default = "ahead")]
        ahead: u64,
    },
    /// Re-registration with new SAs (TS 33.203 §7.4).
    Reregister {
        #[serde(default)]
        id: Option<String>,
    },
    /// De-registration (Expires 0) over the SAs.
    Deregister {
        #[serde(default)]
        id: Option<String>,
    },
    /// The S-CSCF sends a request to the UE through the P-CSCF; the UE answers it.
    CoreRequest {
        #[serde(default)]
        id: Option<String>,
        #[serde(default = "message")]
        method: String,
    },
    /// Za: the harness initiates IKEv2 towards the SEG with these child proposals.
    IkeInitiate(super::za::InitiateStep),
    /// Za: the SEG initiates; the harness answers as a conformant responder.
    IkeRespond(super::za::RespondStep),
    /// TLS endpoint: one raw ClientHello (engine::tls).
    TlsProbe(super::tls::ProbeStep),
    /// TLS endpoint: a full rustls handshake validating the certificate (engine::tls).
    TlsConnect(super::tls::ConnectStep),
    /// `tls` sec-agree: REGISTER offering tls, TLS first or upgrade (engine::tlsagree).
    TlsRegister(super::tlsagree::RegisterStep),
    /// `tls` sec-agree: the answer to the challenge over TLS (engine::tlsagree).
    TlsProtectedRegister(super::tlsagree::ProtectedStep),
    /// `tls` sec-agree: a request over the TLS session or outside it (engine::tlsagree).
    TlsRequest(super::tlsagree::RequestStep),
    /// `tls` sec-agree: a re-registration over the TLS session (engine::tlsagree).
    TlsReregister(super::tlsagree::ReregisterStep),
    /// An originating call through the IMS-ALG (engine::call).
    Call(super::call::CallStep),
    /// A terminating call through the IMS-ALG (engine::call).
    IncomingCall(super::call::IncomingCallStep),
    /// The UE's `mediasec` indication for the registrations that follow (engine::call).
    MediaProfile(super::call::MediaProfileStep),
    /// Media through the IMS Access GW after a call (engine::mediaplane).
    Media(super::mediaplane::MediaStep),
}

fn ahead() -> u64 {
    100_000
}

fn options() -> String {
    "OPTIONS".into()
}
fn message() -> String {
    "MESSAGE".into()
}

impl Action {
    /// The step id (given, or `step<N>`).
    pub fn id(&self) -> Option<&str> {
        match self {
            Action::Register { id }
            | Action::InitialRegister { id, .. }
            | Action::ProtectedRegister { id, .. }
            | Action::Request { id, .. }
            | Action::Replay { id, .. }
            | Action::Reflect { id }
            | Action::ResyncRegister { id, .. }
            | Action::Reregister { id }
            | Action::Deregister { id }
            | Action::CoreRequest { id, .. } => id.as_deref(),
            Action::IkeInitiate(s) => s.id.as_deref(),
            Action::IkeRespond(s) => s.id.as_deref(),
            Action::TlsProbe(s) => s.id.as_deref(),
            Action::TlsConnect(s) => s.id.as_deref(),
            Action::TlsRegister(s) => s.id.as_deref(),
            Action::TlsProtectedRegister(s) => s.id.as_deref(),
            Action::TlsRequest(s) => s.id.as_deref(),
            Action::TlsReregister(s) => s.id.as_deref(),
            Action::Call(s) => s.id.as_deref(),
            Action::IncomingCall(s) => s.id.as_deref(),
            Action::MediaProfile(s) => s.id.as_deref(),
            Action::Media(s) => s.id.as_deref(),
        }
    }
    /// The `do:` name.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Register { .. } => "register",
            Action::InitialRegister { .. } => "initial_register",
            Action::ProtectedRegister { .. } => "protected_register",
            Action::Request { .. } => "request",
            Action::Replay { .. } => "replay",
            Action::Reflect { .. } => "reflect",
            Action::ResyncRegister { .. } => "resync_register",
            Action::Reregister { .. } => "reregister",
            Action::Deregister { .. } => "deregister",
            Action::CoreRequest { .. } => "core_request",
            Action::IkeInitiate(_) => "ike_initiate",
            Action::IkeRespond(_) => "ike_respond",
            Action::TlsProbe(_) => "tls_probe",
            Action::TlsConnect(_) => "tls_connect",
            Action::TlsRegister(_) => "tls_register",
            Action::TlsProtectedRegister(_) => "tls_protected_register",
            Action::TlsRequest(_) => "tls_request",
            Action::TlsReregister(_) => "tls_reregister",
            Action::Call(_) => "call",
            Action::IncomingCall(_) => "incoming_call",
            Action::MediaProfile(_) => "media_profile",
            Action::Media(_) => "media",
        }
    }
}

/// An expectation that decides the verdict.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(tag = "check", rename_all = "snake_case", deny_unknown_fields)]
pub enum Expect {
    /// The final response the UE got to step `step`: `status` is a code (`494`), a class
    /// (`4xx`, `2xx`), `reject` (any final ≥ 300 but a 401/407 challenge) or `none` (no
    /// response: silence).
    Response {
        step: String,
        status: String,
        /// Whether it must have arrived over ESP.
        #[serde(default)]
        protected: Option<bool>,
        /// Row of the TS 33.203 §7.1 table it must have arrived on.
        #[serde(default)]
        sa: Option<u8>,
        /// The transport it must have arrived on (`tcp`: on the request's TCP connection,
        /// inside the SAs when protected; RFC 3261 §18.2.2).
        #[serde(default)]
        transport: Option<crate::roles::SipTransport>,
    },
    /// Whether the core (S-CSCF) holds the registration at the end.
    Registered { value: bool },
    /// How many requests the core received during step `step`.
    CoreReceived { step: String, count: usize },
    /// No 401 reaching the UE carries `ck`/`ik` (TS 33.203 §7.2).
    NoCkIkAtUe,
    /// Nothing forwarded to the core carries Security-* headers or the sec-agree tag.
    CoreHeadersClean,
    /// `integrity-protected` the core saw on the REGISTER of step `step`.
    IntegrityProtected { step: String, value: String },
    /// The P-CSCF's SPIs: above 255, distinct from each other and from the UE's.
    SpisDistinct,
    /// The pair the P-CSCF chose was one the UE offered; with `confidentiality`, not null.
    AlgorithmFromOffer {
        #[serde(default)]
        confidentiality: bool,
    },
    /// No dummy packets (Next Header 59) reached the UE (TS 33.203 M.6.2).
    NoDummyPackets,
    /// ESP sequence numbers from the P-CSCF start at 1 and increase, per SA.
    EspSequence,
    /// The request of `core_request` step `step` reached the UE on SA #3.
    RequestOnSa3 { step: String },
    /// Every challenge that reached the UE carries a nonce not seen before.
    NoncesFresh,
    /// The P-CSCF chose the same alg/ealg in the challenges of both steps (its own preference
    /// decides, not the order of the UE's offer).
    SameChoice { steps: Vec<String> },
    /// Za: the SEG refused the child SA of step `step` with NO_PROPOSAL_CHOSEN.
    IkeChildRefused { step: String },
    /// Za: the child SA the SEG selected in step `step` has encryption.
    IkeChildNotNull { step: String },
    /// Za: no IKE SA proposal the SEG selected or offered lacks encryption.
    IkeSaNotNull,
    /// Za: no child proposal the SEG offered (as initiator, step `step`) lacks encryption.
    SegOffersNoNull { step: String },
    /// TLS: the endpoint answered the probe of step `step` without a ServerHello.
    TlsRefused { step: String },
    /// TLS: no CertificateRequest followed the ServerHello of probe step `step`.
    TlsNoCertificateRequest { step: String },
    /// TLS: the certificate of connect step `step` validated (trust anchor, validity, name).
    TlsCertificateValid { step: String },
    /// `tls` sec-agree: the 401 to the REGISTER of `step` offering tls names `tls` in
    /// Security-Server (engine::tlsagree).
    TlsAgreeOffered { step: String },
    /// `tls` sec-agree: the final response of `step` came on the TLS session.
    TlsAgreeOverTls { step: String },
    /// `tls` sec-agree: the TLS sessions of `step` had no CertificateRequest.
    TlsAgreeNoCertificateRequest { step: String },
    /// `tls` sec-agree: the mechanism in the 401's Security-Server of `step` was offered by
    /// the UE and is the one the protected REGISTER then succeeded over.
    TlsAgreeChosenHonoured { step: String },
    /// `tls` sec-agree: the P-CSCF's certificate in the TLS sessions of `step` validated
    /// (trust anchor, validity, name; RFC 5280, RFC 6125).
    TlsAgreeCertificateValid { step: String },
    /// The SDP the core received in a call step (engine::call).
    SdpAtCore(super::call::checks::SdpExpect),
    /// The SDP the UE received in a call step (engine::call).
    SdpAtUe(super::call::checks::SdpExpect),
    /// What went through the IMS Access GW in a `media` step (engine::mediaplane).
    Media(super::mediaplane::MediaExpect),
}

impl Expect {
    /// The `check:` name.
    pub fn name(&self) -> &'static str {
        match self {
            Expect::Response { .. } => "response",
            Expect::Registered { .. } => "registered",
            Expect::CoreReceived { .. } => "core_received",
            Expect::NoCkIkAtUe => "no_ck_ik_at_ue",
            Expect::CoreHeadersClean => "core_headers_clean",
            Expect::IntegrityProtected { .. } => "integrity_protected",
            Expect::SpisDistinct => "spis_distinct",
            Expect::AlgorithmFromOffer { .. } => "algorithm_from_offer",
            Expect::NoDummyPackets => "no_dummy_packets",
            Expect::EspSequence => "esp_sequence",
            Expect::RequestOnSa3 { .. } => "request_on_sa3",
            Expect::SameChoice { .. } => "same_choice",
            Expect::NoncesFresh => "nonces_fresh",
            Expect::IkeChildRefused { .. } => "ike_child_refused",
            Expect::IkeChildNotNull { .. } => "ike_child_not_null",
            Expect::IkeSaNotNull => "ike_sa_not_null",
            Expect::SegOffersNoNull { .. } => "seg_offers_no_null",
            Expect::TlsRefused { .. } => "tls_refused",
            Expect::TlsNoCertificateRequest { .. } => "tls_no_certificate_request",
            Expect::TlsCertificateValid { .. } => "tls_certificate_valid",
            Expect::TlsAgreeOffered { .. } => "tls_agree_offered",
            Expect::TlsAgreeOverTls { .. } => "tls_agree_over_tls",
            Expect::TlsAgreeNoCertificateRequest { .. } => "tls_agree_no_certificate_request",
            Expect::TlsAgreeChosenHonoured { .. } => "tls_agree_chosen_honoured",
            Expect::TlsAgreeCertificateValid { .. } => "tls_agree_certificate_valid",
            Expect::SdpAtCore(_) => "sdp_at_core",
            Expect::SdpAtUe(_) => "sdp_at_ue",
            Expect::Media(_) => "media",
        }
    }
    /// Whether judging it needs the core view (what the P-CSCF forwarded).
    pub fn needs_core(&self) -> bool {
        matches!(
            self,
            Expect::Registered { .. }
                | Expect::CoreReceived { .. }
                | Expect::CoreHeadersClean
                | Expect::IntegrityProtected { .. }
                | Expect::RequestOnSa3 { .. }
                | Expect::SdpAtCore(_)
                | Expect::Media(_)
        )
    }
}

/// A case as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub id: String,
    pub title: String,
    pub requirement: Vec<Requirement>,
    #[serde(default)]
    pub applies_to: AppliesTo,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Per-step timeout in milliseconds (default: the SUT profile's).
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    /// SIP transport for this case (`udp` or `tcp`; default: the SUT profile's). Over TCP
    /// the UE talks SIP on TCP in the unprotected phase and on TCP connections inside the SAs.
    #[serde(default)]
    pub transport: Option<crate::roles::SipTransport>,
    /// How long to listen for an answer that must not come (silence), in ms (default 1000).
    #[serde(default)]
    pub silence_ms: Option<u64>,
    /// Flawed variants of the built-in P-CSCF (`builtin:<flaw>`) that this case must fail:
    /// the proof that its checks can fail (`imsec selftest`).
    #[serde(default)]
    pub proven_by: Vec<String>,
    pub steps: Vec<Action>,
    pub expect: Vec<Expect>,
    /// Filled by the loader.
    #[serde(skip)]
    pub file: PathBuf,
    #[serde(skip)]
    pub area: String,
}

/// Why the catalogue could not be loaded (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

/// Loads and validates one case file.
pub fn load(path: &Path) -> Result<Case, CaseError> {
    let p = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| CaseError::Io {
        path: p.clone(),
        source,
    })?;
    let mut case: Case = serde_yaml_ng::from_str(&text).map_err(|e| CaseError::Invalid {
        path: p.clone(),
        message: e.to_string(),
    })?;
    let invalid = |message: String| CaseError::Invalid {
        path: p.clone(),
        message,
    };
    if case.requirement.is_empty() {
        return Err(invalid(
            "requirement: a case must cite at least one requirement".into(),
        ));
    }
    if case.steps.is_empty() || case.expect.is_empty() {
        return Err(invalid("steps and expect must not be empty".into()));
    }
    let mut ids = Vec::new();
    for (i, s) in case.steps.iter().enumerate() {
        let id = s
            .id()
            .map(str::to_string)
            .unwrap_or(format!("step{}", i + 1));
        if ids.contains(&id) {
            return Err(invalid(format!("steps[{i}].id: '{id}' is used twice")));
        }
        if let Action::IkeInitiate(z) = s {
            z.validate()
                .map_err(|m| invalid(format!("steps[{i}]: {m}")))?;
        }
        if let Action::TlsProbe(t) = s {
            t.validate()
                .map_err(|m| invalid(format!("steps[{i}]: {m}")))?;
        }
        if let Action::Call(c) = s {
            c.validate()
                .map_err(|m| invalid(format!("steps[{i}]: {m}")))?;
        }
        if let Action::Replay { of, .. } = s {
            if !ids.contains(of) {
                return Err(invalid(format!(
                    "steps[{i}].of: no earlier step '{of}' to replay"
                )));
            }
        }
        ids.push(id);
    }
    for (i, e) in case.expect.iter().enumerate() {
        if let Expect::SameChoice { steps } = e {
            if steps.len() != 2 {
                return Err(invalid(format!(
                    "expect[{i}].steps: name exactly two steps"
                )));
            }
            if let Some(s) = steps.iter().find(|s| !ids.contains(s)) {
                return Err(invalid(format!("expect[{i}].steps: no step '{s}'")));
            }
        }
        let step = match e {
            Expect::Response { step, status, .. } => {
                parse_status(status).map_err(|m| invalid(format!("expect[{i}].status: {m}")))?;
                Some(step)
            }
            Expect::CoreReceived { step, .. }
            | Expect::IntegrityProtected { step, .. }
            | Expect::RequestOnSa3 { step }
            | Expect::IkeChildRefused { step }
            | Expect::IkeChildNotNull { step }
            | Expect::SegOffersNoNull { step }
            | Expect::TlsRefused { step }
            | Expect::TlsNoCertificateRequest { step }
            | Expect::TlsCertificateValid { step }
            | Expect::TlsAgreeOffered { step }
            | Expect::TlsAgreeOverTls { step }
            | Expect::TlsAgreeNoCertificateRequest { step }
            | Expect::TlsAgreeChosenHonoured { step }
            | Expect::TlsAgreeCertificateValid { step } => Some(step),
            Expect::SdpAtCore(x) | Expect::SdpAtUe(x) => Some(&x.step),
            Expect::Media(x) => Some(&x.step),
            _ => None,
        };
        if let Some(s) = step {
            if !ids.contains(s) {
                return Err(invalid(format!("expect[{i}].step: no step '{s}'")));
            }
        }
    }
    case.file = path.to_path_buf();
    case.area = path
        .parent()
        .and_then(|d| d.file_name())
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_string();
    Ok(case)
}

/// The step ids of a case, in order.
pub fn step_ids(case: &Case) -> Vec<String> {
    case.steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            s.id()
                .map(str::to_string)
                .unwrap_or(format!("step{}", i + 1))
        })
        .collect()
}

/// A status expectation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusExpect {
    Code(u16),
    Class(u16),
    /// Any final response ≥ 300.
    Reject,
    /// No final response.
    None,
}

/// Parses `494`, `4xx`, `reject`, `none`.
pub fn parse_status(s: &str) -> Result<StatusExpect, String> {
    let t = s.trim().to_ascii_lowercase();
    match t.as_str() {
        "none" => return Ok(StatusExpect::None),
        "reject" => return Ok(StatusExpect::Reject),
        _ => {}
    }
    if let Some(c) = t.strip_suffix("xx") {
        if let Ok(d) = c.parse::<u16>() {
            if (1..=6).contains(&d) {
                return Ok(StatusExpect::Class(d));
            }
        }
    }
    match t.parse::<u16>() {
        Ok(c) if (100..=699).contains(&c) => Ok(StatusExpect::Code(c)),
        _ => Err(format!(
            "'{s}' is not a status code, a class like 4xx, 'reject' or 'none'"
        )),
    }
}

/// Loads every case under the given files/dirs (recursively, `*.yaml`), sorted by path.
/// Duplicate ids across files are errors.
pub fn load_all(paths: &[PathBuf]) -> Result<Vec<Case>, CaseError> {
    let files = crate::vectors::collect_paths(paths).map_err(|e| CaseError::Invalid {
        path: paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
        message: e.to_string(),
    })?;
    let mut cases: Vec<Case> = Vec::new();
    for f in files {
        let c = load(&f)?;
        if let Some(other) = cases.iter().find(|o| o.id == c.id) {
            return Err(CaseError::Invalid {
                path: f.display().to_string(),
                message: format!("id '{}' is also used by {}", c.id, other.file.display()),
            });
        }
        cases.push(c);
    }
    Ok(cases)
}

/// The default catalogue directory: `./testcases` when present, else the source tree's.
pub fn default_dir() -> PathBuf {
    let local = PathBuf::from("testcases");
    if local.is_dir() {
        return local;
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testcases")
}
