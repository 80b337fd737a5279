//! HSS-style subscriber data (TS 33.102 §6.3.2 for SQN; TS 23.003 for IMPI/IMPU).

use crate::mech::digest::AkaAlgorithm;
use crate::mech::milenage::Milenage;

/// One subscriber.
#[derive(Clone)]
pub struct Subscriber {
    /// Private identity (Digest `username`).
    pub impi: String,
    /// Public identities; the first is the default one.
    pub impus: Vec<String>,
    pub k: [u8; 16],
    pub opc: [u8; 16],
    pub amf: [u8; 2],
    /// SQN_HE: the last sequence number the network used (TS 33.102 Annex C, without IND).
    pub sqn: u64,
    /// Digest algorithm the S-CSCF challenges with.
    pub algorithm: AkaAlgorithm,
}

impl std::fmt::Debug for Subscriber {
    /// K and OPc are secrets: never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscriber")
            .field("impi", &self.impi)
            .field("impus", &self.impus)
            .field("k", &"<redacted>")
            .field("opc", &"<redacted>")
            .field("sqn", &self.sqn)
            .finish()
    }
}

impl Subscriber {
    /// The Milenage instance for this subscriber.
    pub fn milenage(&self) -> Milenage {
        Milenage::new(&self.k, &self.opc)
    }
}

/// Subscribers by IMPI, with look-up by IMPU.
#[derive(Debug, Default, Clone)]
pub struct SubscriberStore {
    subs: Vec<Subscriber>,
}

/// The user@host part of a SIP URI in a name-addr (`"x" <sip:a@b;p>;tag=1` → `a@b`).
pub fn uri_identity(name_addr: &str) -> String {
    let inner = match (name_addr.find('<'), name_addr.find('>')) {
        (Some(a), Some(b)) if a < b => &name_addr[a + 1..b],
        _ => name_addr.split(';').next().unwrap_or(name_addr),
    };
    let no_scheme = inner
        .trim()
        .trim_start_matches("sips:")
        .trim_start_matches("sip:")
        .trim_start_matches("tel:");
    no_scheme
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

impl SubscriberStore {
    pub fn new(subs: Vec<Subscriber>) -> Self {
        SubscriberStore { subs }
    }
    /// By private identity (exact, case-insensitive).
    pub fn by_impi(&mut self, impi: &str) -> Option<&mut Subscriber> {
        self.subs
            .iter_mut()
            .find(|s| s.impi.eq_ignore_ascii_case(impi))
    }
    /// By public identity (compared as `user@host`).
    pub fn by_impu(&mut self, impu: &str) -> Option<&mut Subscriber> {
        let want = uri_identity(impu);
        self.subs
            .iter_mut()
            .find(|s| s.impus.iter().any(|u| uri_identity(u) == want))
    }
}
