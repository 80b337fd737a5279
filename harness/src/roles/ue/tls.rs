//! The `tls` sec-agree mechanism of the harness UE (TS 33.203 Annex O; RFC 3329; seed 004),
//! sans-I/O like the rest of the UE.
//!
//! Two flows (seed 004): [`TlsFlow::First`] opens TLS to the P-CSCF's SIPS port before any
//! SIP; [`TlsFlow::Upgrade`] registers over plain TCP on 5060 and, after the 401 with
//! `Security-Server: tls`, switches that same TCP connection to TLS. Either way the UE says
//! `Wire::Tls` on the connection and the net edge runs the handshake (validating the
//! P-CSCF's certificate against the configured trust anchor and name, RFC 5280 / RFC 6125,
//! writing the session keys to the key log). The UE never presents a certificate.

use super::{Ue, UeError};
use crate::mech::digest::params;
use crate::mech::secagree::header::{emit, Mechanism};
use crate::mech::sip::SipMessage;
use crate::roles::gm::Wire;
use std::net::SocketAddr;

/// The RFC 3329 mechanism name.
pub const TLS: &str = "tls";

/// How the UE reaches TLS (seed 004).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TlsFlow {
    /// TLS to the SIPS port before any SIP.
    First,
    /// Plain TCP on the unprotected port, TLS on the same connection after the 401.
    Upgrade,
}

/// The UE's `tls` settings and state.
#[derive(Debug, Clone)]
pub struct UeTls {
    /// The P-CSCF's SIPS port ("TLS first").
    pub sips_port: u16,
    /// The UE's local TCP port for its TLS connection.
    pub local_port: u16,
    /// The connection (local, P-CSCF) the agreement runs on.
    pub conn: Option<(SocketAddr, SocketAddr)>,
    /// Whether that connection runs TLS already.
    pub secure: bool,
    /// The Security-Client sent in the initial REGISTER.
    pub client_sent: Vec<Mechanism>,
    challenge: Option<TlsChallenge>,
    /// Registered over the TLS connection.
    pub registered: bool,
}

impl Default for UeTls {
    fn default() -> Self {
        UeTls {
            sips_port: 5061,
            local_port: 5061,
            conn: None,
            secure: false,
            client_sent: Vec::new(),
            challenge: None,
            registered: false,
        }
    }
}

#[derive(Debug, Clone)]
struct TlsChallenge {
    challenge: params::AuthParams,
    server: Vec<Mechanism>,
    res: [u8; 8],
    ck: [u8; 16],
    ik: [u8; 16],
}

impl Ue {
    fn tls_wire(&self, payload: Vec<u8>) -> Result<Wire, UeError> {
        let (local, peer) = self
            .tls
            .conn
            .ok_or_else(|| UeError::Sa("no TLS connection".into()))?;
        Ok(if self.tls.secure {
            Wire::Tls {
                local,
                peer,
                payload,
            }
        } else {
            Wire::Tcp {
                local,
                peer,
                payload,
            }
        })
    }

    fn tls_register_base(&mut self, expires: u32) -> SipMessage {
        let (local, _) = self.tls.conn.unwrap_or((
            SocketAddr::new(self.cfg.addr, self.tls.local_port),
            self.cfg.pcscf,
        ));
        let proto = if self.tls.secure { "TLS" } else { "TCP" };
        let mut msg = self.base_register(expires);
        // RFC 3261 §8.1.1.7: a branch unique across space and time (a P-CSCF keeps final
        // responses by branch to answer retransmissions).
        let branch = self.tls_branch();
        msg.set("Via", &format!("SIP/2.0/{proto} {local};branch={branch}"));
        let user = self
            .cfg
            .impu
            .trim_start_matches("sip:")
            .split('@')
            .next()
            .unwrap_or("ue")
            .to_string();
        msg.set(
            "Contact",
            &format!("<sip:{user}@{local};transport=tls>;expires={expires}"),
        );
        msg
    }

    fn tls_branch(&mut self) -> String {
        let mut b = [0u8; 8];
        (self.rand)(&mut b);
        format!("z9hG4bK{}t", hex::encode(b))
    }

    fn tls_empty_auth(&self) -> String {
        format!(
            "Digest username=\"{}\", realm=\"{}\", nonce=\"\", uri=\"sip:{}\", response=\"\"",
            self.cfg.impi, self.cfg.realm, self.cfg.realm
        )
    }

    /// The initial REGISTER offering `tls` (first, and the ipsec-3gpp entries after it when
    /// `with_ipsec`), on a new connection per `flow` (TS 24.229 §5.1.1.2; RFC 3329 §2.3.1).
    pub fn tls_initial_register(&mut self, flow: TlsFlow, with_ipsec: bool) -> (SipMessage, Wire) {
        let local = SocketAddr::new(self.cfg.addr, self.tls.local_port);
        let peer = match flow {
            TlsFlow::First => SocketAddr::new(self.cfg.pcscf.ip(), self.tls.sips_port),
            TlsFlow::Upgrade => self.cfg.pcscf,
        };
        self.tls.conn = Some((local, peer));
        self.tls.secure = flow == TlsFlow::First;
        self.tls.registered = false;
        let mut client = vec![Mechanism::new(TLS)];
        if with_ipsec {
            client.extend(super::offer_mechanisms(&self.cfg, &self.ports));
        }
        self.tls.client_sent = client.clone();
        self.tls_register_with(client)
    }

    fn tls_register_with(&mut self, client: Vec<Mechanism>) -> (SipMessage, Wire) {
        let expires = self.cfg.expires;
        let auth = self.tls_empty_auth();
        let msg = self
            .tls_register_base(expires)
            .with("Authorization", &auth)
            .with("Security-Client", &emit(&client))
            .with_content_length();
        let wire = self.tls_wire(msg.to_bytes()).unwrap_or(Wire::Tcp {
            local: SocketAddr::new(self.cfg.addr, self.tls.local_port),
            peer: self.cfg.pcscf,
            payload: msg.to_bytes(),
        });
        self.last = Some((None, msg.clone(), wire.clone()));
        (msg, wire)
    }

    /// Re-registration over the bound TLS connection (TS 24.229 §5.1.1.4): Security-Client
    /// again, answered by a new challenge.
    pub fn tls_reregister(&mut self) -> Result<(SipMessage, Wire), UeError> {
        if !self.tls.registered || !self.tls.secure {
            return Err(UeError::Sa("not registered over TLS".into()));
        }
        let client = self.tls.client_sent.clone();
        Ok(self.tls_register_with(client))
    }

    /// The 401: AKA (TS 33.102 §6.3) and the P-CSCF's Security-Server, which must name `tls`
    /// for this flow to go on. Returns the Security-Server list.
    pub fn tls_on_challenge(&mut self, resp: &SipMessage) -> Result<Vec<Mechanism>, UeError> {
        let (ch, ok, server) = self.authenticate_401(resp)?;
        if !server.iter().any(|m| m.name.eq_ignore_ascii_case(TLS)) {
            return Err(UeError::Server("no `tls` in Security-Server".into()));
        }
        self.tls.challenge = Some(TlsChallenge {
            challenge: ch,
            server: server.clone(),
            res: ok.res,
            ck: ok.ck,
            ik: ok.ik,
        });
        Ok(server)
    }

    /// The REGISTER answering the challenge, on the TLS session of the agreement's connection
    /// (starting TLS on it in the upgrade flow), with Security-Verify = the Security-Server
    /// received (RFC 3329 §2.3.1) unless `verify`/`client` replace them (`Some(vec![])`:
    /// omit the header).
    pub fn tls_protected_register(
        &mut self,
        verify: Option<Vec<Mechanism>>,
        client: Option<Vec<Mechanism>>,
    ) -> Result<(SipMessage, Wire), UeError> {
        let c = self
            .tls
            .challenge
            .clone()
            .ok_or_else(|| UeError::Sa("no challenge".into()))?;
        self.tls.secure = true;
        let expires = self.cfg.expires;
        let mut msg = self.tls_register_base(expires);
        let auth = self.authorization(&c.challenge, &c.res, &c.ik, &c.ck);
        msg.push("Authorization", &auth);
        let client = client.unwrap_or_else(|| self.tls.client_sent.clone());
        if !client.is_empty() {
            msg.push("Security-Client", &emit(&client));
        }
        let verify = verify.unwrap_or(c.server);
        if !verify.is_empty() {
            msg.push("Security-Verify", &emit(&verify));
        }
        let msg = msg.with_content_length();
        let wire = self.tls_wire(msg.to_bytes())?;
        self.last = Some((None, msg.clone(), wire.clone()));
        Ok((msg, wire))
    }

    /// The Security-Server of the last challenge (to tamper Security-Verify from).
    pub fn tls_server_list(&self) -> Option<Vec<Mechanism>> {
        self.tls.challenge.as_ref().map(|c| c.server.clone())
    }

    /// A request (OPTIONS, MESSAGE) on the TLS session, or with `outside` in clear over UDP
    /// from the UE's unprotected port to the P-CSCF's (outside the TLS connection).
    pub fn tls_request(
        &mut self,
        method: &str,
        outside: bool,
    ) -> Result<(SipMessage, Wire), UeError> {
        self.cseq += 1;
        let (via, local) = if outside {
            let l = SocketAddr::new(self.cfg.addr, self.cfg.unprotected_port);
            (format!("SIP/2.0/UDP {l};rport"), l)
        } else {
            let (l, _) = self
                .tls
                .conn
                .ok_or_else(|| UeError::Sa("no TLS connection".into()))?;
            (format!("SIP/2.0/TLS {l}"), l)
        };
        let branch = self.tls_branch();
        let msg = SipMessage::request(method, &format!("sip:{}", self.cfg.realm))
            .with("Via", &format!("{via};branch={branch}"))
            .with("Max-Forwards", "70")
            .with("From", &format!("<{}>;tag={}", self.cfg.impu, self.tag))
            .with("To", &format!("<sip:service@{}>", self.cfg.realm))
            .with("Call-ID", &format!("{}-{}", self.call_id, self.cseq))
            .with("CSeq", &format!("{} {method}", self.cseq))
            .with_content_length();
        let wire = if outside {
            Wire::Udp {
                local,
                peer: self.cfg.pcscf,
                payload: msg.to_bytes(),
            }
        } else {
            self.tls_wire(msg.to_bytes())?
        };
        self.last = Some((None, msg.clone(), wire.clone()));
        Ok((msg, wire))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mech::secagree::ipsec::IpsecMode;
    use crate::roles::ue::UeConfig;
    use crate::roles::SipTransport;

    fn ue() -> Ue {
        let mut n = 0u8;
        let rand = move |b: &mut [u8]| {
            for x in b.iter_mut() {
                n = n.wrapping_add(37);
                *x = n;
            }
        };
        Ue::new(
            UeConfig {
                addr: "127.0.0.4".parse().unwrap(),
                impi: "user@imsec.test".into(),
                impu: "sip:user@imsec.test".into(),
                realm: "imsec.test".into(),
                k: [0; 16],
                opc: [0; 16],
                sqn_ms: 0,
                pcscf: "127.0.0.2:5060".parse().unwrap(),
                unprotected_port: 5060,
                offers: vec![(
                    crate::mech::algorithms::IntegAlg::HmacSha1_96,
                    crate::mech::algorithms::EncAlg::AesCbc,
                )],
                mode: IpsecMode::UdpEncTunnel,
                encap_port: 4500,
                pcscf_encap_port: 4500,
                expires: 600,
                transport: SipTransport::Udp,
            },
            Box::new(rand),
            Box::new(rand),
        )
    }

    /// TLS first goes to the SIPS port inside TLS; the upgrade flow starts in clear on 5060.
    #[test]
    fn flows_pick_port_and_wire() {
        let mut u = ue();
        let (m, w) = u.tls_initial_register(TlsFlow::First, false);
        assert!(matches!(w, Wire::Tls { peer, .. } if peer.port() == 5061));
        assert_eq!(m.header("Security-Client"), Some("tls"));
        assert!(m.header("Via").unwrap().starts_with("SIP/2.0/TLS "));
        let (m, w) = u.tls_initial_register(TlsFlow::Upgrade, true);
        assert!(matches!(w, Wire::Tcp { peer, .. } if peer.port() == 5060));
        let sc = m.header("Security-Client").unwrap();
        assert!(sc.starts_with("tls, ipsec-3gpp;"), "{sc}");
    }

    /// A challenge without `tls` in Security-Server is refused by the UE.
    #[test]
    fn challenge_without_tls_is_unusable() {
        let mut u = ue();
        let _ = u.tls_initial_register(TlsFlow::Upgrade, false);
        let r = SipMessage::parse(
            b"SIP/2.0 401 Unauthorized\r\nVia: SIP/2.0/TCP x;branch=z9hG4bK1\r\nWWW-Authenticate: Digest realm=\"imsec.test\", nonce=\"\"\r\nContent-Length: 0\r\n\r\n",
        )
        .unwrap();
        assert!(u.tls_on_challenge(&r).is_err());
        assert!(u.tls_protected_register(None, None).is_err());
    }
}
