//! State an established IKE SA carries (RFC 7296 §2.14): SPIs, suite, keys, nonces and the
//! IKE_SA_INIT messages the AUTH payloads sign (§2.15).

use crate::mech::ikev2::consts::{auth, ttype};
use crate::mech::ikev2::crypto::{self, Encr, IkeSuite, Integ, Prf, SaKeys};
use crate::mech::ikev2::header::{HeaderRepr, VERSION_2_0};
use crate::mech::ikev2::{open, seal, IkeError, Payload, Proposal, SkKeys};

/// The transforms of an IKE proposal as a suite imsec can run.
pub fn suite_of(p: &Proposal) -> Result<IkeSuite, IkeError> {
    let one = |t: u8, what: &str| {
        p.of_type(t)
            .next()
            .cloned()
            .ok_or_else(|| IkeError::Unsupported(format!("IKE proposal without {what}")))
    };
    let e = one(ttype::ENCR, "ENCR")?;
    Ok(IkeSuite {
        encr: Encr::from_transform(e.id, e.key_len)?,
        integ: Integ::from_id(one(ttype::INTEG, "INTEG")?.id)?,
        prf: Prf::from_id(one(ttype::PRF, "PRF")?.id)?,
        dh: one(ttype::DH, "D-H")?.id,
    })
}

/// An IKE SA after IKE_SA_INIT.
#[derive(Debug, Clone)]
pub struct IkeSa {
    pub spi_i: u64,
    pub spi_r: u64,
    pub suite: IkeSuite,
    pub keys: SaKeys,
    pub ni: Vec<u8>,
    pub nr: Vec<u8>,
    pub init_request: Vec<u8>,
    pub init_response: Vec<u8>,
    /// Whether this end is the original initiator.
    pub we_initiated: bool,
}

impl IkeSa {
    /// Derives the keys from the shared secret (§2.14).
    #[allow(clippy::too_many_arguments)]
    pub fn derive(
        suite: IkeSuite,
        g_ir: &[u8],
        spi_i: u64,
        spi_r: u64,
        ni: Vec<u8>,
        nr: Vec<u8>,
        init_request: Vec<u8>,
        init_response: Vec<u8>,
        we_initiated: bool,
    ) -> Result<IkeSa, IkeError> {
        let seed = crypto::skeyseed(suite.prf, &ni, &nr, g_ir);
        let keys = crypto::sa_keys(&suite, &seed, &ni, &nr, spi_i, spi_r)?;
        Ok(IkeSa {
            spi_i,
            spi_r,
            suite,
            keys,
            ni,
            nr,
            init_request,
            init_response,
            we_initiated,
        })
    }

    fn out_keys(&self) -> SkKeys<'_> {
        let (ek, ak) = if self.we_initiated {
            (&self.keys.ei, &self.keys.ai)
        } else {
            (&self.keys.er, &self.keys.ar)
        };
        SkKeys {
            encr: self.suite.encr,
            integ: self.suite.integ,
            ek,
            ak,
        }
    }
    fn in_keys(&self) -> SkKeys<'_> {
        let (ek, ak) = if self.we_initiated {
            (&self.keys.er, &self.keys.ar)
        } else {
            (&self.keys.ei, &self.keys.ai)
        };
        SkKeys {
            encr: self.suite.encr,
            integ: self.suite.integ,
            ek,
            ak,
        }
    }

    /// Seals a message of ours (§3.14). `iv` from the caller's RNG.
    pub fn seal(
        &self,
        exchange: u8,
        response: bool,
        message_id: u32,
        inner: &[Payload],
        iv: &[u8],
    ) -> Result<Vec<u8>, IkeError> {
        let mut flags = 0;
        if self.we_initiated {
            flags |= crate::mech::ikev2::consts::flags::INITIATOR;
        }
        if response {
            flags |= crate::mech::ikev2::consts::flags::RESPONSE;
        }
        let h = HeaderRepr {
            spi_i: self.spi_i,
            spi_r: self.spi_r,
            next_payload: 0,
            version: VERSION_2_0,
            exchange,
            flags,
            message_id,
            length: 0,
        };
        seal(h, inner, self.out_keys(), iv)
    }

    /// Verifies and opens a message from the peer.
    pub fn open(&self, bytes: &[u8]) -> Result<(HeaderRepr, Vec<Payload>), IkeError> {
        let o = open(bytes, self.in_keys(), true)?;
        Ok((o.header, o.payloads))
    }

    pub fn iv_len(&self) -> usize {
        self.suite.encr.iv_len()
    }

    /// Our shared-key AUTH payload data over our IKE_SA_INIT message (§2.15).
    pub fn our_auth(&self, psk: &[u8], id_body: &[u8]) -> Vec<u8> {
        if self.we_initiated {
            crypto::psk_auth(
                self.suite.prf,
                psk,
                &self.init_request,
                &self.nr,
                &self.keys.pi,
                id_body,
            )
        } else {
            crypto::psk_auth(
                self.suite.prf,
                psk,
                &self.init_response,
                &self.ni,
                &self.keys.pr,
                id_body,
            )
        }
    }

    /// Whether the peer's AUTH (method, data) verifies with `psk` for its ID payload body.
    pub fn peer_auth_ok(&self, psk: &[u8], id_body: &[u8], method: u8, data: &[u8]) -> bool {
        if method != auth::SHARED_KEY_MIC {
            return false;
        }
        let want = if self.we_initiated {
            crypto::psk_auth(
                self.suite.prf,
                psk,
                &self.init_response,
                &self.ni,
                &self.keys.pr,
                id_body,
            )
        } else {
            crypto::psk_auth(
                self.suite.prf,
                psk,
                &self.init_request,
                &self.nr,
                &self.keys.pi,
                id_body,
            )
        };
        subtle::ConstantTimeEq::ct_eq(want.as_slice(), data).into()
    }
}

/// The ID payload body (type, 3 reserved octets, data) an AUTH signs (§2.15 RestOfIDPayload).
pub fn id_body(id_type: u8, data: &[u8]) -> Vec<u8> {
    let mut b = vec![id_type, 0, 0, 0];
    b.extend_from_slice(data);
    b
}

/// An identity as written in profiles: an IPv4/IPv6 address, else an FQDN (`@` prefix
/// optional, as strongSwan writes it).
pub fn parse_identity(s: &str) -> (u8, Vec<u8>) {
    use crate::mech::ikev2::consts::id;
    match s.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(a)) => (id::IPV4_ADDR, a.octets().to_vec()),
        Ok(std::net::IpAddr::V6(a)) => (id::IPV6_ADDR, a.octets().to_vec()),
        Err(_) => (id::FQDN, s.trim_start_matches('@').as_bytes().to_vec()),
    }
}
