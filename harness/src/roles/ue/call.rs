//! The UE's side of a call with IMS media security (TS 33.328 §7.1, §7.2.1, §7.3.1): the
//! `mediasec` indications at registration (TS 24.229 §7.2A.7), INVITE/ACK over SA #1, answers
//! with SDP over SA #4, and the SDP offers and answers a UE (or a far end) writes.
//!
//! The SDP builders are pure and shared with the harness S-CSCF, which plays the far end.

use super::{Ue, UeError};
use crate::mech::sdp::offer_answer;
use crate::mech::sdp::{CryptoAttr, Fingerprint, Proto, Sdp};
use crate::mech::secagree::header::Mechanism;
use crate::mech::sip::SipMessage;
use crate::mech::srtp::Suite;
use crate::roles::gm::{SealOpts, Wire};
use std::net::{IpAddr, SocketAddr};

/// A certificate and key for MSRP over TLS (RFC 4975 §14.1: self-signed certificates are
/// allowed, the peer authenticates them by the `a=fingerprint` carried in SDP, RFC 8122 §5).
/// Made with rcgen (ECDSA P-256), as the lab PKI of [`crate::net::tls`] is.
#[derive(Clone)]
pub struct MsrpIdentity {
    /// The certificate, DER.
    pub cert_der: Vec<u8>,
    /// Its private key, PKCS#8 DER.
    pub key_der: Vec<u8>,
    /// `sha-256` of `cert_der` (RFC 8122 §5: the hash of the DER form of the certificate).
    pub fingerprint: Fingerprint,
}

impl std::fmt::Debug for MsrpIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MsrpIdentity")
            .field("fingerprint", &self.fingerprint.emit())
            .finish_non_exhaustive()
    }
}

impl MsrpIdentity {
    /// A fresh self-signed certificate for `name` (a DNS name in subjectAltName).
    pub fn generate(name: &str) -> Result<MsrpIdentity, String> {
        let ck = rcgen::generate_simple_self_signed(vec![name.to_string()])
            .map_err(|e| format!("MSRP certificate: {e}"))?;
        let cert_der = ck.cert.der().to_vec();
        Ok(MsrpIdentity {
            fingerprint: crate::roles::imsagw::fingerprint_of(&cert_der),
            key_der: ck.signing_key.serialize_der(),
            cert_der,
        })
    }

    /// As a [`crate::net::tls::Identity`] (for a rustls client or server config).
    pub fn tls_identity(&self) -> crate::net::tls::Identity {
        use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
        crate::net::tls::Identity {
            chain: vec![CertificateDer::from(self.cert_der.clone())],
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone())),
        }
    }
}

/// The e2ae indications of TS 24.229 §7.2A.7: `sdes-srtp;mediasec` (SRTP keyed by SDES)
/// and `msrp-tls;mediasec` (MSRP over TLS with fingerprints).
pub fn mediasec_list() -> Vec<Mechanism> {
    vec![
        Mechanism::new("sdes-srtp").with_flag("mediasec"),
        Mechanism::new("msrp-tls").with_flag("mediasec"),
    ]
}

/// `IN IP4 a` / `IN IP6 a` (RFC 8866 §5.7).
pub fn conn(addr: IpAddr) -> String {
    match addr {
        IpAddr::V4(a) => format!("IN IP4 {a}"),
        IpAddr::V6(a) => format!("IN IP6 {a}"),
    }
}

fn head(addr: IpAddr, sess: u64) -> String {
    let c = conn(addr);
    format!("v=0\r\no=- {sess} 1 {c}\r\ns=-\r\nc={c}\r\nt=0 0\r\n")
}

/// An audio offer: `proto` (RTP/AVP or RTP/SAVP), PCMU, the given SDES lines, and
/// `a=3ge2ae:<e2ae>` when given (TS 24.229 §7.5: `requested` asks for e2ae).
pub fn audio_offer(
    addr: IpAddr,
    port: u16,
    proto: Proto,
    crypto: &[CryptoAttr],
    e2ae: Option<&str>,
) -> String {
    let mut s = head(addr, u64::from(port));
    s.push_str(&format!(
        "m=audio {port} {} 0\r\na=rtpmap:0 PCMU/8000\r\n",
        proto.as_str()
    ));
    for c in crypto {
        s.push_str(&format!("a=crypto:{}\r\n", c.emit()));
    }
    if let Some(v) = e2ae {
        s.push_str(&format!("a=3ge2ae:{v}\r\n"));
    }
    s
}

/// An MSRP offer (RFC 4975 §8): `TCP/TLS/MSRP` with `fingerprint` (RFC 8122) when `tls`,
/// else `TCP/MSRP` (with `fingerprint` all the same when given: a far end that signals one).
pub fn msrp_offer(
    addr: IpAddr,
    port: u16,
    tls: bool,
    fingerprint: Option<&Fingerprint>,
    e2ae: Option<&str>,
) -> String {
    let mut s = head(addr, u64::from(port));
    let (proto, scheme) = if tls {
        ("TCP/TLS/MSRP", "msrps")
    } else {
        ("TCP/MSRP", "msrp")
    };
    let host = SocketAddr::new(addr, port);
    s.push_str(&format!(
        "m=message {port} {proto} *\r\na=accept-types:text/plain\r\na=path:{scheme}://{host}/s{port};tcp\r\na=setup:actpass\r\n"
    ));
    if let Some(f) = fingerprint {
        s.push_str(&format!("a=fingerprint:{}\r\n", f.emit()));
    }
    if let Some(v) = e2ae {
        s.push_str(&format!("a=3ge2ae:{v}\r\n"));
    }
    s
}

/// How an answerer fills its answer.
pub struct AnswerParams<'a> {
    pub addr: IpAddr,
    pub port: u16,
    /// Its own certificate fingerprint for MSRP over TLS (`None`: none is signalled).
    pub fingerprint: Option<&'a Fingerprint>,
    /// `a=3ge2ae:<v>` added to every media (a party inserting an indication).
    pub e2ae: Option<&'a str>,
}

/// An answer to `offer` (RFC 3264 §6) as a UE or a far end writes it: per media the same
/// type and proto, `port` (+2 per further stream); RTP/SAVP: one SDES line for the first
/// offered line TS 33.328 §5.3 accepts (else the first with a known suite), same tag and
/// suite, the answerer's own key from `key` (RFC 4568 §7.1.2); TCP/TLS/MSRP: its fingerprint;
/// anything else is refused with port 0.
pub fn answer_to(
    offer: &Sdp,
    p: &AnswerParams<'_>,
    mut key: impl FnMut(Suite) -> Vec<u8>,
) -> String {
    let mut s = head(p.addr, u64::from(p.port));
    for (k, md) in offer.media().iter().enumerate() {
        let Some(ml) = md.line() else { continue };
        let port = p.port.wrapping_add((k as u16).wrapping_mul(2));
        let fmts = ml.fmts.join(" ");
        match &ml.proto {
            pr if pr.is_rtp() => {
                s.push_str(&format!("m={} {port} {} {fmts}\r\n", ml.media, pr.as_str()));
                if pr.is_srtp() {
                    let lines: Vec<CryptoAttr> =
                        md.crypto().into_iter().filter_map(Result::ok).collect();
                    let chosen = lines
                        .iter()
                        .find(|c| offer_answer::ims_acceptable(c))
                        .or_else(|| lines.iter().find(|c| c.suite().is_some()));
                    if let Some(c) = chosen {
                        if let Some(suite) = c.suite() {
                            let mut a = CryptoAttr::new(c.tag, suite, &key(suite));
                            a.session_params = c.session_params.clone();
                            s.push_str(&format!("a=crypto:{}\r\n", a.emit()));
                        }
                    }
                }
            }
            Proto::TcpTlsMsrp | Proto::TcpMsrp => {
                let tls = ml.proto == Proto::TcpTlsMsrp;
                let scheme = if tls { "msrps" } else { "msrp" };
                let host = SocketAddr::new(p.addr, port);
                s.push_str(&format!(
                    "m=message {port} {} *\r\na=accept-types:text/plain\r\na=path:{scheme}://{host}/a{port};tcp\r\na=setup:active\r\n",
                    ml.proto.as_str()
                ));
                if let (true, Some(f)) = (tls, p.fingerprint) {
                    s.push_str(&format!("a=fingerprint:{}\r\n", f.emit()));
                }
            }
            other => {
                s.push_str(&format!("m={} 0 {} {fmts}\r\n", ml.media, other.as_str()));
            }
        }
        if let Some(v) = p.e2ae {
            s.push_str(&format!("a=3ge2ae:{v}\r\n"));
        }
    }
    s
}

/// The SDP body of a message, parsed (None: no body or not SDP).
pub fn sdp_of(m: &SipMessage) -> Option<Sdp> {
    let ct = m.header("Content-Type").unwrap_or("application/sdp");
    if m.body.is_empty()
        || !ct
            .trim()
            .to_ascii_lowercase()
            .starts_with("application/sdp")
    {
        return None;
    }
    Sdp::parse(std::str::from_utf8(&m.body).ok()?).ok()
}

/// `msg` with `sdp` as its body (Content-Type application/sdp, Content-Length).
pub fn with_sdp(mut msg: SipMessage, sdp: &str) -> SipMessage {
    msg.set("Content-Type", "application/sdp");
    msg.body = sdp.as_bytes().to_vec();
    msg.with_content_length()
}

impl Ue {
    /// The `mediasec` entries this UE adds to Security-Client (none when `mediasec` is off).
    pub fn mediasec_mechanisms(&self) -> Vec<Mechanism> {
        if self.mediasec {
            mediasec_list()
        } else {
            Vec::new()
        }
    }

    /// The UE's certificate for MSRP over TLS (made on first use; the same for the UE's
    /// life). Its fingerprint is what the UE puts in `a=fingerprint` (TS 33.328 §7.2.1 step 1,
    /// §7.3.1 step 5); a media step uses the certificate and key for the TLS session.
    pub fn msrp_identity(&self) -> Result<&MsrpIdentity, String> {
        if let Some(id) = self.msrp.get() {
            return Ok(id);
        }
        let id = MsrpIdentity::generate("ue.imsec.test")?;
        Ok(self.msrp.get_or_init(|| id))
    }

    /// Fresh random octets from the UE's source (master key||salt, fingerprints).
    pub fn random(&mut self, n: usize) -> Vec<u8> {
        let mut b = vec![0u8; n];
        (self.rand)(&mut b);
        b
    }

    /// A master key||salt for `suite` (RFC 4568 §6.1), fresh from the UE's source.
    pub fn media_key(&mut self, suite: Suite) -> Vec<u8> {
        self.random(suite.master_key_len() + suite.master_salt_len())
    }

    /// An INVITE to `target` carrying `sdp`, over SA #1 of the registration (TS 24.229
    /// §5.1.2A), remembered for retransmission.
    pub fn invite(&mut self, target: &str, sdp: &str) -> Result<(SipMessage, Wire), UeError> {
        let set = self
            .registered_set
            .ok_or_else(|| UeError::Sa("not registered".into()))?;
        let port_uc = self.sa(set, 1)?.sport;
        let (_, port_ps) = self.pcscf_ports(set)?;
        self.cseq += 1;
        let me = SocketAddr::new(self.cfg.addr, port_uc);
        let user = self
            .cfg
            .impu
            .trim_start_matches("sip:")
            .split('@')
            .next()
            .unwrap_or("ue")
            .to_string();
        let msg = SipMessage::request("INVITE", target)
            .with(
                "Via",
                &format!(
                    "{} {me};branch=z9hG4bK{:08x}i",
                    self.cfg.transport.via(),
                    self.cseq
                ),
            )
            .with("Max-Forwards", "70")
            .with("From", &format!("<{}>;tag={}", self.cfg.impu, self.tag))
            .with("To", &format!("<{target}>"))
            .with("Call-ID", &format!("{}-{}", self.call_id, self.cseq))
            .with("CSeq", &format!("{} INVITE", self.cseq))
            .with(
                "Contact",
                &format!("<sip:{user}@{}>", SocketAddr::new(self.cfg.addr, port_uc)),
            );
        let msg = with_sdp(msg, sdp);
        let wire = self.protect(set, port_uc, port_ps, &msg, SealOpts::default())?;
        Ok((msg, wire))
    }

    /// The ACK of a 2xx to `invite` (RFC 3261 §13.2.2.4: a new transaction, same Call-ID,
    /// CSeq number of the INVITE, To with the answerer's tag), over SA #1.
    pub fn ack(
        &mut self,
        invite: &SipMessage,
        resp: &SipMessage,
    ) -> Result<(SipMessage, Wire), UeError> {
        let set = self
            .registered_set
            .ok_or_else(|| UeError::Sa("not registered".into()))?;
        let port_uc = self.sa(set, 1)?.sport;
        let (_, port_ps) = self.pcscf_ports(set)?;
        let target = match &invite.start {
            crate::mech::sip::StartLine::Request { uri, .. } => uri.clone(),
            _ => return Err(UeError::Protect("not an INVITE".into())),
        };
        let n = invite.cseq().map(|(n, _)| n).unwrap_or(self.cseq);
        let msg = SipMessage::request("ACK", &target)
            .with(
                "Via",
                &format!(
                    "{} {};branch=z9hG4bK{n:08x}a",
                    self.cfg.transport.via(),
                    SocketAddr::new(self.cfg.addr, port_uc)
                ),
            )
            .with("Max-Forwards", "70")
            .with("From", invite.header("From").unwrap_or(""))
            .with("To", resp.header("To").unwrap_or(""))
            .with("Call-ID", invite.header("Call-ID").unwrap_or(""))
            .with("CSeq", &format!("{n} ACK"))
            .with_content_length();
        let wire = self.protect(set, port_uc, port_ps, &msg, SealOpts::default())?;
        Ok((msg, wire))
    }

    /// Answers a request that came over SA #3 with `code` and, if given, an SDP body, over
    /// SA #4 (port_us → port_pc), on the transport the request came on.
    pub fn answer_sdp(
        &mut self,
        req: &SipMessage,
        set: u64,
        tcp: bool,
        code: u16,
        sdp: Option<&str>,
    ) -> Result<(SipMessage, Wire), UeError> {
        let sa4 = self.sa(set, 4)?;
        let tag = self.tag.clone();
        let reason = if code == 200 {
            "OK"
        } else {
            "Not Acceptable Here"
        };
        let mut r = SipMessage::response_to(req, code, reason, Some(&tag));
        r.push(
            "Contact",
            &format!("<sip:ue@{}>", SocketAddr::new(sa4.src, sa4.sport)),
        );
        let r = match sdp {
            Some(s) => with_sdp(r, s),
            None => r.with_content_length(),
        };
        let w = if tcp {
            self.protect(set, sa4.sport, sa4.dport, &r, SealOpts::default())?
        } else {
            self.gm
                .seal(
                    set,
                    sa4.sport,
                    sa4.dport,
                    &r.to_bytes(),
                    SealOpts::default(),
                )
                .map_err(|e| UeError::Protect(e.to_string()))?
        };
        Ok((r, w))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    const A: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 4));

    #[test]
    fn offer_parses_with_crypto_and_indication() {
        let c = CryptoAttr::new(1, Suite::AesCm128HmacSha1_80, &[7u8; 30]);
        let text = audio_offer(
            A,
            4000,
            Proto::RtpSavp,
            std::slice::from_ref(&c),
            Some("requested"),
        );
        let sdp = Sdp::parse(&text).unwrap();
        let m = sdp.media();
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].proto(), Some(Proto::RtpSavp));
        assert_eq!(m[0].crypto(), vec![Ok(c)]);
        assert_eq!(m[0].e2ae(), vec![crate::mech::sdp::E2ae::Requested]);
    }

    #[test]
    fn answer_takes_first_acceptable_line_with_own_key() {
        let null = CryptoAttr::new(1, Suite::NullHmacSha1_80, &[1u8; 30]);
        let aes = CryptoAttr::new(2, Suite::AesCm128HmacSha1_32, &[2u8; 30]);
        let offer = Sdp::parse(&audio_offer(A, 4000, Proto::RtpSavp, &[null, aes], None)).unwrap();
        let fp = Fingerprint {
            hash: "sha-256".into(),
            value: vec![0xab; 32],
        };
        let p = AnswerParams {
            addr: A,
            port: 5000,
            fingerprint: Some(&fp),
            e2ae: None,
        };
        let ans = Sdp::parse(&answer_to(&offer, &p, |_| vec![9u8; 30])).unwrap();
        let lines: Vec<CryptoAttr> = ans.media()[0]
            .crypto()
            .into_iter()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].tag, 2);
        assert_eq!(lines[0].suite_name, "AES_CM_128_HMAC_SHA1_32");
        assert_eq!(
            lines[0].keys[0].inline.as_ref().unwrap().key_salt,
            vec![9u8; 30]
        );
        assert_eq!(ans.media()[0].line().unwrap().port, 5000);
    }

    #[test]
    fn msrp_answer_carries_own_fingerprint() {
        let theirs = Fingerprint {
            hash: "sha-256".into(),
            value: vec![1; 32],
        };
        let mine = Fingerprint {
            hash: "sha-256".into(),
            value: vec![2; 32],
        };
        let offer = Sdp::parse(&msrp_offer(A, 2855, true, Some(&theirs), None)).unwrap();
        let p = AnswerParams {
            addr: A,
            port: 2856,
            fingerprint: Some(&mine),
            e2ae: Some("applied"),
        };
        let ans = Sdp::parse(&answer_to(&offer, &p, |_| Vec::new())).unwrap();
        let m = &ans.media()[0];
        assert_eq!(m.proto(), Some(Proto::TcpTlsMsrp));
        assert_eq!(m.fingerprints(), vec![Ok(mine)]);
        assert_eq!(m.e2ae(), vec![crate::mech::sdp::E2ae::Applied]);
    }

    /// RFC 8122 §5: the fingerprint is the hash of the DER certificate; checked against
    /// OpenSSL's `x509 -fingerprint -sha256` (skipped where no `openssl` binary exists).
    #[test]
    fn msrp_fingerprint_matches_openssl() {
        let id = MsrpIdentity::generate("ue.imsec.test").unwrap();
        let f = std::env::temp_dir().join(format!("imsec-msrp-{}.der", std::process::id()));
        std::fs::write(&f, &id.cert_der).unwrap();
        let out = std::process::Command::new("openssl")
            .args([
                "x509",
                "-inform",
                "DER",
                "-noout",
                "-fingerprint",
                "-sha256",
                "-in",
            ])
            .arg(&f)
            .output();
        let _ = std::fs::remove_file(&f);
        let Ok(out) = out else {
            eprintln!("skipped: no openssl binary");
            return;
        };
        assert!(out.status.success(), "{out:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        let hex = text.trim().rsplit('=').next().unwrap().to_string();
        assert_eq!(
            Fingerprint::parse(&format!("sha-256 {hex}")).unwrap(),
            id.fingerprint
        );
        assert_eq!(id.fingerprint.value.len(), 32);
    }

    #[test]
    fn mediasec_entries_are_flagged() {
        let l = mediasec_list();
        assert!(l.iter().all(|m| m.is_mediasec()));
        assert_eq!(
            crate::mech::secagree::header::emit(&l),
            "sdes-srtp;mediasec, msrp-tls;mediasec"
        );
    }
}
