//! S-CSCF emulation for IMS registration (TS 24.229 §5.4.1; TS 33.203 §6.1; RFC 3310).
//!
//! - A REGISTER that does not answer a pending challenge (and is not a de-registration the
//!   P-CSCF marked `integrity-protected="yes"`) is challenged: 401 with
//!   `WWW-Authenticate: Digest realm, nonce=base64(RAND‖AUTN), algorithm, qop="auth", ck, ik`
//!   (TS 24.229 §5.4.1.2.1: the S-CSCF adds `ck` and `ik` for the P-CSCF). Every REGISTER that
//!   opens a new registration period is challenged, because new SAs need new keys (TS 33.203
//!   §7.4).
//! - A REGISTER answering the challenge: with `auts`, resynchronise (TS 33.102 §6.3.5; RFC 3310
//!   §3.4) and challenge again, or 403 when MAC-S is wrong; otherwise check the Digest
//!   response against XRES: 200 (with Service-Route, P-Associated-URI, Path echoed) or 403.
//! - Every request received is recorded with what the checks need (the `integrity-protected`
//!   value, whether sec-agree headers were forwarded).

use super::subscriber::{uri_identity, SubscriberStore};
use crate::mech::aka::{generate_vector, network_resync, sqn_from_u64, sqn_to_u64, Auts};
use crate::mech::digest::{self, params, AkaAlgorithm, AkaNonce, DigestInput, Qop};
use crate::mech::sip::SipMessage;
use std::collections::HashMap;

pub use super::RandSource;

/// A challenge waiting for its answer.
#[derive(Clone)]
struct Pending {
    nonce: String,
    rand: [u8; 16],
    xres: [u8; 8],
    ck: [u8; 16],
    ik: [u8; 16],
}

/// What the S-CSCF saw in one request (for the checks).
#[derive(Debug, Clone)]
pub struct Received {
    pub message: SipMessage,
    /// `integrity-protected` parameter of Authorization, if any (TS 24.229 §7.2A.1).
    pub integrity_protected: Option<String>,
    /// Security-Client/-Server/-Verify headers that reached the core (should be none).
    pub sec_agree_headers: Vec<String>,
    /// `sec-agree` option tags left in Require/Proxy-Require (should be none).
    pub sec_agree_tags: bool,
}

/// Outcome of one REGISTER, for logs and checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegisterOutcome {
    Challenged,
    Resynchronised,
    Registered { expires: u32 },
    Deregistered,
    Rejected { code: u16, why: String },
}

/// S-CSCF configuration.
#[derive(Debug, Clone)]
pub struct ScscfConfig {
    /// Host part for Service-Route.
    pub host: String,
    /// Digest realm.
    pub realm: String,
    /// Registration expiry granted when the UE asks for more.
    pub max_expires: u32,
}

impl Default for ScscfConfig {
    fn default() -> Self {
        ScscfConfig {
            host: "scscf.imsec.test".into(),
            realm: "imsec.test".into(),
            max_expires: 600_000,
        }
    }
}

/// The S-CSCF role.
pub struct Scscf {
    cfg: ScscfConfig,
    store: SubscriberStore,
    rand: RandSource,
    pending: HashMap<String, Pending>,
    registered: HashMap<String, u32>,
    /// Every request received, in order.
    pub received: Vec<Received>,
    /// Every REGISTER outcome, in order (IMPI, outcome).
    pub outcomes: Vec<(String, RegisterOutcome)>,
    /// Every request and the response sent, with when (set by the network edge).
    pub exchanges: Vec<Exchange>,
    /// How it answers an INVITE as the far end of a call.
    pub call: FarEnd,
}

/// The far end of a UE's call, as the S-CSCF plays it (TS 33.328 §7.2.1 steps 4–6: the
/// terminating network answers the offer; the harness answers at once with 200 and SDP).
#[derive(Debug, Clone)]
pub struct FarEnd {
    /// Its media address in the SDP answer (RTP port 30000, MSRP 30002).
    pub media_addr: std::net::IpAddr,
    /// `a=3ge2ae:<v>` added to every media of the answer (an indication inserted by another
    /// party, TS 33.328 §7.2.1 last paragraph).
    pub e2ae: Option<String>,
    /// Its MSRP-over-TLS certificate (RFC 4975 §14.1): its `sha-256` fingerprint goes in
    /// answers to TCP/TLS/MSRP (RFC 8122 §5) and in the offers the core sends for the far
    /// end; a media step uses the certificate and key. `None`: no fingerprint is signalled.
    pub identity: Option<crate::roles::ue::call::MsrpIdentity>,
}

impl Default for FarEnd {
    fn default() -> Self {
        FarEnd {
            media_addr: std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
            e2ae: None,
            identity: None,
        }
    }
}

/// One request/response at the S-CSCF, timestamped by the edge that ran it.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub at: std::time::Instant,
    pub request: SipMessage,
    pub response: SipMessage,
}

fn expires_of(req: &SipMessage) -> Option<u32> {
    let from_contact = req.header("Contact").and_then(|c| {
        c.split(';').skip(1).find_map(|p| {
            let (k, v) = p.split_once('=')?;
            k.trim()
                .eq_ignore_ascii_case("expires")
                .then(|| v.trim().parse().ok())?
        })
    });
    from_contact.or_else(|| req.header("Expires").and_then(|v| v.trim().parse().ok()))
}

impl Scscf {
    pub fn new(cfg: ScscfConfig, store: SubscriberStore, rand: RandSource) -> Self {
        Scscf {
            cfg,
            store,
            rand,
            pending: HashMap::new(),
            registered: HashMap::new(),
            received: Vec::new(),
            outcomes: Vec::new(),
            exchanges: Vec::new(),
            call: FarEnd::default(),
        }
    }

    /// Whether an IMPI is registered now.
    pub fn is_registered(&self, impi: &str) -> bool {
        self.registered.contains_key(&impi.to_ascii_lowercase())
    }

    /// The subscriber store (e.g. to read SQN after a resynchronisation).
    pub fn store(&mut self) -> &mut SubscriberStore {
        &mut self.store
    }

    fn tag(&mut self) -> String {
        let mut b = [0u8; 6];
        (self.rand)(&mut b);
        hex::encode(b)
    }

    /// Handles one request from the P-CSCF and returns the response to send back.
    pub fn handle(&mut self, req: &SipMessage) -> SipMessage {
        let auth = req
            .header("Authorization")
            .and_then(|a| params::parse(a).ok());
        let mut sec = Vec::new();
        for name in ["Security-Client", "Security-Server", "Security-Verify"] {
            sec.extend(req.headers_named(name).map(|v| format!("{name}: {v}")));
        }
        self.received.push(Received {
            message: req.clone(),
            integrity_protected: auth
                .as_ref()
                .and_then(|a| a.get("integrity-protected").map(str::to_string)),
            sec_agree_headers: sec,
            sec_agree_tags: req.has_option_tag("Require", "sec-agree")
                || req.has_option_tag("Proxy-Require", "sec-agree"),
        });
        if req.status().is_some() {
            return SipMessage::response_to(req, 400, "Unexpected Response", None)
                .with_content_length();
        }
        match req.method().as_deref() {
            Some("REGISTER") => {}
            // The far end of a UE's requests: answered so the harness can see they arrived.
            Some("OPTIONS") | Some("MESSAGE") => {
                let tag = self.tag();
                return SipMessage::response_to(req, 200, "OK", Some(&tag)).with_content_length();
            }
            Some("INVITE") => return self.answer_invite(req),
            // RFC 3261 §17.1.1.3: an ACK gets no response (the edge sends none).
            Some("ACK") => return SipMessage::response_to(req, 200, "OK", None),
            Some("BYE") => {
                return SipMessage::response_to(req, 200, "OK", None).with_content_length()
            }
            _ => {
                return SipMessage::response_to(req, 501, "Not Implemented", None)
                    .with_content_length()
            }
        }
        let (resp, impi, outcome) = self.register(req, auth.as_ref());
        self.outcomes.push((impi, outcome));
        resp.with_content_length()
    }

    /// Answers an INVITE as the far end: 200 with an SDP answer (RFC 3264 §6) from
    /// `self.call`, its own keys for SRTP offered end to end; 488 without a usable offer.
    fn answer_invite(&mut self, req: &SipMessage) -> SipMessage {
        use crate::roles::ue::call::{answer_to, sdp_of, with_sdp, AnswerParams};
        let tag = self.tag();
        let Some(offer) = sdp_of(req) else {
            return SipMessage::response_to(req, 488, "Not Acceptable Here", Some(&tag))
                .with_content_length();
        };
        let fe = self.call.clone();
        let p = AnswerParams {
            addr: fe.media_addr,
            port: 30000,
            fingerprint: fe.identity.as_ref().map(|i| &i.fingerprint),
            e2ae: fe.e2ae.as_deref(),
        };
        let rand = &mut self.rand;
        let sdp = answer_to(&offer, &p, |suite| {
            let mut k = vec![0u8; suite.master_key_len() + suite.master_salt_len()];
            rand(&mut k);
            k
        });
        let mut r = SipMessage::response_to(req, 200, "OK", Some(&tag));
        r.push("Contact", &format!("<sip:far@{}>", self.cfg.host));
        with_sdp(r, &sdp)
    }

    fn register(
        &mut self,
        req: &SipMessage,
        auth: Option<&params::AuthParams>,
    ) -> (SipMessage, String, RegisterOutcome) {
        let tag = self.tag();
        let reject = |code: u16, reason: &str, why: String, impi: String| {
            (
                SipMessage::response_to(req, code, reason, Some(&tag)),
                impi,
                RegisterOutcome::Rejected { code, why },
            )
        };
        let to = req.header("To").unwrap_or("").to_string();
        let username = auth.and_then(|a| a.get("username")).map(str::to_string);
        let impi = match username.clone() {
            Some(u) if !u.is_empty() => u,
            _ => match self.store.by_impu(&to) {
                Some(s) => s.impi.clone(),
                None => uri_identity(&to),
            },
        };
        let key = impi.to_ascii_lowercase();
        let Some(sub) = self.store.by_impi(&impi).cloned() else {
            return reject(403, "Forbidden", format!("unknown IMPI '{impi}'"), impi);
        };
        let expires = expires_of(req).unwrap_or(3600).min(self.cfg.max_expires);
        let ip = auth.and_then(|a| a.get("integrity-protected"));
        // De-registration over the SAs needs no new challenge (TS 24.229 §5.4.1.4).
        if expires == 0 && ip.is_some_and(|v| v.eq_ignore_ascii_case("yes")) {
            self.registered.remove(&key);
            self.pending.remove(&key);
            let mut r = SipMessage::response_to(req, 200, "OK", Some(&tag));
            if let Some(c) = req.header("Contact") {
                r.push("Contact", c);
            }
            return (r, impi, RegisterOutcome::Deregistered);
        }
        let pending = self.pending.get(&key).cloned();
        let answer_nonce = auth.and_then(|a| a.get("nonce")).unwrap_or("");
        let answering = pending
            .as_ref()
            .filter(|p| !answer_nonce.is_empty() && p.nonce == answer_nonce);
        let Some(p) = answering.cloned() else {
            return self.challenge(req, &impi, &tag, RegisterOutcome::Challenged);
        };
        let auth = auth.cloned().unwrap_or(params::AuthParams {
            scheme: String::new(),
            params: Vec::new(),
        });
        if let Some(auts_b64) = auth.get("auts") {
            self.pending.remove(&key);
            let auts = match digest::decode_auts(auts_b64) {
                Ok(a) => Auts::from_bytes(&a),
                Err(e) => return reject(403, "Forbidden", format!("bad auts: {e}"), impi),
            };
            let r = network_resync(&sub.milenage(), &p.rand, &auts);
            if !r.mac_s_ok {
                return reject(403, "Forbidden", "AUTS with a wrong MAC-S".into(), impi);
            }
            if let Some(s) = self.store.by_impi(&impi) {
                s.sqn = sqn_to_u64(&r.sqn_ms);
            }
            return self.challenge(req, &impi, &tag, RegisterOutcome::Resynchronised);
        }
        let qop = match auth.get("qop") {
            None => Qop::None,
            Some(q) if q.eq_ignore_ascii_case("auth") => Qop::Auth {
                nc: auth.get("nc").unwrap_or(""),
                cnonce: auth.get("cnonce").unwrap_or(""),
            },
            Some(q) if q.eq_ignore_ascii_case("auth-int") => Qop::AuthInt {
                nc: auth.get("nc").unwrap_or(""),
                cnonce: auth.get("cnonce").unwrap_or(""),
                body: &req.body,
            },
            Some(q) => {
                return reject(403, "Forbidden", format!("unsupported qop '{q}'"), impi);
            }
        };
        let pw =
            digest::password(sub.algorithm, &p.xres, Some(&p.ik), Some(&p.ck)).unwrap_or_default();
        let uri = auth.get("uri").unwrap_or("");
        let want = digest::response(
            &pw,
            &DigestInput {
                username: auth.get("username").unwrap_or(""),
                realm: auth.get("realm").unwrap_or(""),
                nonce: &p.nonce,
                method: "REGISTER",
                uri,
                qop,
            },
        );
        let got = auth.get("response").unwrap_or("");
        self.pending.remove(&key);
        if !want.response.eq_ignore_ascii_case(got) {
            return reject(403, "Forbidden", "wrong Digest response".into(), impi);
        }
        self.registered.insert(key, expires);
        let mut r = SipMessage::response_to(req, 200, "OK", Some(&tag));
        for path in req.headers_named("Path") {
            r.push("Path", path);
        }
        r.push("Service-Route", &format!("<sip:orig@{};lr>", self.cfg.host));
        r.push(
            "P-Associated-URI",
            &sub.impus
                .iter()
                .map(|u| format!("<{u}>"))
                .collect::<Vec<_>>()
                .join(", "),
        );
        if let Some(c) = req.header("Contact") {
            let base = c.split(";expires=").next().unwrap_or(c);
            r.push("Contact", &format!("{base};expires={expires}"));
        }
        let outcome = if expires == 0 {
            self.registered.remove(&impi.to_ascii_lowercase());
            RegisterOutcome::Deregistered
        } else {
            RegisterOutcome::Registered { expires }
        };
        (r, impi, outcome)
    }

    fn challenge(
        &mut self,
        req: &SipMessage,
        impi: &str,
        tag: &str,
        outcome: RegisterOutcome,
    ) -> (SipMessage, String, RegisterOutcome) {
        let Some(sub) = self.store.by_impi(impi) else {
            let r = SipMessage::response_to(req, 403, "Forbidden", Some(tag));
            return (
                r,
                impi.to_string(),
                RegisterOutcome::Rejected {
                    code: 403,
                    why: "unknown IMPI".into(),
                },
            );
        };
        sub.sqn = sub.sqn.wrapping_add(1) & 0xffff_ffff_ffff;
        let sqn = sqn_from_u64(sub.sqn);
        let (m, amf, algorithm) = (sub.milenage(), sub.amf, sub.algorithm);
        let mut rand = [0u8; 16];
        (self.rand)(&mut rand);
        let av = generate_vector(&m, &sqn, &amf, &rand);
        let nonce = AkaNonce {
            rand,
            autn: av.autn.to_bytes(),
            server_data: Vec::new(),
        }
        .encode();
        let alg = match algorithm {
            AkaAlgorithm::AkaV1Md5 => "AKAv1-MD5",
            AkaAlgorithm::AkaV2Md5 => "AKAv2-MD5",
        };
        let www = format!(
            "Digest realm=\"{}\", nonce=\"{}\", algorithm={}, qop=\"auth\", ck=\"{}\", ik=\"{}\"",
            self.cfg.realm,
            nonce,
            alg,
            hex::encode(av.ck),
            hex::encode(av.ik)
        );
        self.pending.insert(
            impi.to_ascii_lowercase(),
            Pending {
                nonce,
                rand,
                xres: av.xres,
                ck: av.ck,
                ik: av.ik,
            },
        );
        let r = SipMessage::response_to(req, 401, "Unauthorized", Some(tag))
            .with("WWW-Authenticate", &www);
        (r, impi.to_string(), outcome)
    }
}
