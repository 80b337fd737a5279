//! UMTS AKA (3GPP TS 33.102 §6.3) as used by IMS AKA (TS 33.203 §6.1), with Milenage
//! (TS 35.206) as f1..f5*.
//!
//! - Network side: [`generate_vector`] builds an authentication vector (§6.3.2) from a given
//!   RAND (randomness is the caller's job, so this stays pure).
//! - UE side: [`ue_authenticate`] checks AUTN (§6.3.3) and yields RES/CK/IK, or a typed
//!   failure: [`AkaFailure::MacFailure`] or [`AkaFailure::SyncFailure`] carrying AUTS.
//! - Network side: [`network_resync`] recovers SQN_MS from AUTS and verifies MAC-S (§6.3.5).
//!
//! **Simplification (documented deviation):** TS 33.102 Annex C lets the USIM keep an array of
//! SEQ values indexed by IND and accept out-of-order SQNs. This module models freshness as
//! "SQN > SQN_MS" (SQN as a 48-bit unsigned integer, SQN_MS the highest accepted one), plus the
//! optional Annex C.2.2 limit "SQN − SQN_MS ≤ Δ". That is the strictest conforming policy and is
//! what a harness UE needs; array schemes can be layered on top by the caller.

use super::milenage::Milenage;
use subtle::ConstantTimeEq;

/// AMF used for MAC-S when building AUTS (TS 33.102 §6.3.3: "dummy" AMF of all zeros).
pub const RESYNC_AMF: [u8; 2] = [0, 0];

/// AUTN = SQN ⊕ AK ‖ AMF ‖ MAC-A (TS 33.102 §6.3.2), 16 octets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Autn {
    pub sqn_xor_ak: [u8; 6],
    pub amf: [u8; 2],
    pub mac_a: [u8; 8],
}

impl Autn {
    /// Splits the 16 octets of AUTN.
    pub fn from_bytes(b: &[u8; 16]) -> Self {
        let mut a = Autn {
            sqn_xor_ak: [0; 6],
            amf: [0; 2],
            mac_a: [0; 8],
        };
        a.sqn_xor_ak.copy_from_slice(&b[0..6]);
        a.amf.copy_from_slice(&b[6..8]);
        a.mac_a.copy_from_slice(&b[8..16]);
        a
    }

    /// The 16 octets on the wire.
    pub fn to_bytes(&self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[0..6].copy_from_slice(&self.sqn_xor_ak);
        b[6..8].copy_from_slice(&self.amf);
        b[8..16].copy_from_slice(&self.mac_a);
        b
    }
}

/// AUTS = SQN_MS ⊕ AK* ‖ MAC-S (TS 33.102 §6.3.3), 14 octets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Auts {
    pub sqn_ms_xor_ak_star: [u8; 6],
    pub mac_s: [u8; 8],
}

impl Auts {
    /// Splits the 14 octets of AUTS.
    pub fn from_bytes(b: &[u8; 14]) -> Self {
        let mut a = Auts {
            sqn_ms_xor_ak_star: [0; 6],
            mac_s: [0; 8],
        };
        a.sqn_ms_xor_ak_star.copy_from_slice(&b[0..6]);
        a.mac_s.copy_from_slice(&b[6..14]);
        a
    }

    /// The 14 octets on the wire.
    pub fn to_bytes(&self) -> [u8; 14] {
        let mut b = [0u8; 14];
        b[0..6].copy_from_slice(&self.sqn_ms_xor_ak_star);
        b[6..14].copy_from_slice(&self.mac_s);
        b
    }
}

/// An authentication vector (TS 33.102 §6.3.2), plus the intermediate values a harness
/// wants to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthVector {
    pub rand: [u8; 16],
    pub xres: [u8; 8],
    pub ck: [u8; 16],
    pub ik: [u8; 16],
    pub ak: [u8; 6],
    pub mac_a: [u8; 8],
    pub autn: Autn,
}

fn xor6(a: &[u8; 6], b: &[u8; 6]) -> [u8; 6] {
    let mut o = [0u8; 6];
    for (i, v) in o.iter_mut().enumerate() {
        *v = a[i] ^ b[i];
    }
    o
}

/// 48-bit SQN as an integer (TS 33.102 Annex C compares SQNs as numbers).
pub fn sqn_to_u64(sqn: &[u8; 6]) -> u64 {
    sqn.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b))
}

/// The low 48 bits of `v` as a 6-octet SQN.
pub fn sqn_from_u64(v: u64) -> [u8; 6] {
    let b = v.to_be_bytes();
    [b[2], b[3], b[4], b[5], b[6], b[7]]
}

/// Network side: builds the authentication vector for SQN, AMF and the given RAND
/// (TS 33.102 §6.3.2, Figure 7).
pub fn generate_vector(m: &Milenage, sqn: &[u8; 6], amf: &[u8; 2], rand: &[u8; 16]) -> AuthVector {
    let mac_a = m.f1(rand, sqn, amf);
    let o = m.f2345(rand);
    AuthVector {
        rand: *rand,
        xres: o.res,
        ck: o.ck,
        ik: o.ik,
        ak: o.ak,
        mac_a,
        autn: Autn {
            sqn_xor_ak: xor6(sqn, &o.ak),
            amf: *amf,
            mac_a,
        },
    }
}

/// The UE's sequence-number state and freshness policy (see the module note on Annex C).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SqnPolicy {
    /// SQN_MS: the highest SQN the UE has accepted so far.
    pub sqn_ms: [u8; 6],
    /// Optional Annex C.2.2 limit Δ: reject when SQN − SQN_MS > Δ.
    pub delta: Option<u64>,
}

/// What the UE derives from an acceptable challenge (TS 33.102 §6.3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UeSuccess {
    pub res: [u8; 8],
    pub ck: [u8; 16],
    pub ik: [u8; 16],
    /// The SQN recovered from AUTN; the caller stores it as the new SQN_MS.
    pub sqn: [u8; 6],
}

/// Why the UE rejects a challenge (TS 33.102 §6.3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AkaFailure {
    /// XMAC ≠ MAC: "user authentication reject" with cause MAC failure.
    #[error("MAC failure: XMAC-A does not match MAC-A in AUTN")]
    MacFailure,
    /// SQN not in the acceptable range: "synchronisation failure" carrying AUTS.
    #[error("synchronisation failure: SQN not fresh (AUTS {})", crate::hexarg::encode(&auts.to_bytes()))]
    SyncFailure { auts: Auts },
}

/// UE side AUTS for the UE's SQN_MS (TS 33.102 §6.3.3):
/// AUTS = SQN_MS ⊕ f5*(RAND) ‖ f1*(SQN_MS, RAND, AMF = 0x0000).
pub fn compute_auts(m: &Milenage, rand: &[u8; 16], sqn_ms: &[u8; 6]) -> Auts {
    Auts {
        sqn_ms_xor_ak_star: xor6(sqn_ms, &m.f5star(rand)),
        mac_s: m.f1star(rand, sqn_ms, &RESYNC_AMF),
    }
}

/// UE side: checks AUTN for RAND (TS 33.102 §6.3.3). The MAC is checked first (a MAC failure
/// wins over a sequence problem, as in Figure 8), in constant time.
pub fn ue_authenticate(
    m: &Milenage,
    rand: &[u8; 16],
    autn: &Autn,
    policy: &SqnPolicy,
) -> Result<UeSuccess, AkaFailure> {
    let o = m.f2345(rand);
    let sqn = xor6(&autn.sqn_xor_ak, &o.ak);
    let xmac = m.f1(rand, &sqn, &autn.amf);
    if !bool::from(xmac.ct_eq(&autn.mac_a)) {
        return Err(AkaFailure::MacFailure);
    }
    let (s, s_ms) = (sqn_to_u64(&sqn), sqn_to_u64(&policy.sqn_ms));
    let fresh = s > s_ms && policy.delta.is_none_or(|d| s - s_ms <= d);
    if !fresh {
        return Err(AkaFailure::SyncFailure {
            auts: compute_auts(m, rand, &policy.sqn_ms),
        });
    }
    Ok(UeSuccess {
        res: o.res,
        ck: o.ck,
        ik: o.ik,
        sqn,
    })
}

/// Result of the network-side resynchronisation check (TS 33.102 §6.3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resync {
    /// SQN_MS = (SQN_MS ⊕ AK*) ⊕ f5*(RAND). Meaningful only when `mac_s_ok`.
    pub sqn_ms: [u8; 6],
    /// Whether MAC-S = f1*(SQN_MS, RAND, AMF = 0x0000) verified (constant-time compare).
    pub mac_s_ok: bool,
}

/// Network side (HE/AuC): recovers SQN_MS from AUTS and verifies MAC-S (TS 33.102 §6.3.5).
pub fn network_resync(m: &Milenage, rand: &[u8; 16], auts: &Auts) -> Resync {
    let sqn_ms = xor6(&auts.sqn_ms_xor_ak_star, &m.f5star(rand));
    let xmac_s = m.f1star(rand, &sqn_ms, &RESYNC_AMF);
    Resync {
        sqn_ms,
        mac_s_ok: bool::from(xmac_s.ct_eq(&auts.mac_s)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h<const N: usize>(s: &str) -> [u8; N] {
        crate::hexarg::decode_fixed::<N>(s).unwrap()
    }

    fn set1() -> (Milenage, [u8; 16]) {
        (
            Milenage::new(
                &h("465b5ce8b199b49faa5f0a2ee238a6bc"),
                &h("cd63cb71954a9f4e48a5994e37a02baf"),
            ),
            h("23553cbe9637a89d218ae64dae47bf35"),
        )
    }

    #[test]
    fn sqn_integer_roundtrip() {
        assert_eq!(sqn_to_u64(&h("ff9bb4d0b607")), 0xff9b_b4d0_b607);
        assert_eq!(sqn_from_u64(0x0001_0000_0000_0001), h::<6>("000000000001"));
    }

    /// UE then network: a sync failure's AUTS resynchronises to the UE's SQN_MS.
    #[test]
    fn sync_failure_roundtrip() {
        let (m, rand) = set1();
        let av = generate_vector(&m, &h("000000000010"), &h("8000"), &rand);
        let pol = SqnPolicy {
            sqn_ms: h("000000000020"),
            delta: None,
        };
        let Err(AkaFailure::SyncFailure { auts }) = ue_authenticate(&m, &rand, &av.autn, &pol)
        else {
            panic!("expected a sync failure");
        };
        // TS 35.208 set 1 f5* = 451e8beca43b, so SQN_MS ⊕ AK* is known independently.
        assert_eq!(auts.sqn_ms_xor_ak_star, h::<6>("451e8beca41b"));
        let r = network_resync(&m, &rand, &auts);
        assert!(r.mac_s_ok);
        assert_eq!(r.sqn_ms, h::<6>("000000000020"));
    }
}
