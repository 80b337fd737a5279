//! The P-CSCF's choices: which offer of the UE to take (TS 33.203 §7.1/§7.2 leave the choice
//! to the P-CSCF's policy), and which SPIs to allocate (TS 33.203 §7.1, RFC 4303 §2.1).

use crate::mech::algorithms::{check_pair, EncAlg, IntegAlg};
use crate::mech::secagree::ipsec::{IpsecMode, IpsecOffer};

/// The P-CSCF's ordered preference and confidentiality policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlgPolicy {
    /// Pairs in order of preference; the first one the UE offered wins.
    pub preference: Vec<(IntegAlg, EncAlg)>,
    /// TS 33.203 M.6.2: when local policy requires confidentiality, never `ealg=null`.
    pub require_confidentiality: bool,
}

impl Default for AlgPolicy {
    /// AEAD first, then AES-CBC, 3DES, and the integrity-only pairs last.
    fn default() -> Self {
        use EncAlg as E;
        use IntegAlg as I;
        AlgPolicy {
            preference: vec![
                (I::Null, E::AesGcm),
                (I::HmacSha1_96, E::AesCbc),
                (I::HmacMd5_96, E::AesCbc),
                (I::HmacSha1_96, E::DesEde3Cbc),
                (I::HmacMd5_96, E::DesEde3Cbc),
                (I::AesGmac, E::Null),
                (I::HmacSha1_96, E::Null),
                (I::HmacMd5_96, E::Null),
            ],
            require_confidentiality: false,
        }
    }
}

/// Deliberate deviations of the selection (flawed variants only).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SelectFlaws {
    /// Take a null-encryption offer first.
    pub choose_null: bool,
    /// Let the UE's order decide.
    pub ue_order: bool,
    /// Take the first offer even if Annex H forbids its pair.
    pub any_pair: bool,
}

/// Why no offer could be taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectError {
    #[error("the UE offered no ipsec-3gpp entry the P-CSCF could read")]
    NoOffer,
    #[error("no offered alg/ealg pair is acceptable to the P-CSCF policy")]
    NoCommonPair,
    #[error("no offer uses a mode this P-CSCF runs ({0})")]
    NoMode(String),
}

/// Picks the UE offer to answer: the P-CSCF's preference order decides, never the UE's order
/// alone; forbidden pairs (Annex H) and, under a confidentiality policy, `ealg=null` are
/// skipped. With `choose_null` (a flawed variant) the first null-encryption offer wins.
pub fn select_offer<'a>(
    offers: &'a [IpsecOffer],
    policy: &AlgPolicy,
    modes: &[IpsecMode],
    flawed: SelectFlaws,
) -> Result<&'a IpsecOffer, SelectError> {
    let choose_null = flawed.choose_null;
    if offers.is_empty() {
        return Err(SelectError::NoOffer);
    }
    let usable: Vec<&IpsecOffer> = offers.iter().filter(|o| modes.contains(&o.mode)).collect();
    if usable.is_empty() {
        let m: Vec<_> = modes.iter().map(|m| m.token()).collect();
        return Err(SelectError::NoMode(m.join(", ")));
    }
    if flawed.ue_order {
        // Flawed variant: the UE's order decides.
        if let Some(o) = usable.iter().find(|o| check_pair(o.alg, o.ealg).is_ok()) {
            return Ok(o);
        }
    }
    if choose_null {
        if let Some(o) = usable
            .iter()
            .find(|o| o.ealg == EncAlg::Null && check_pair(o.alg, o.ealg).is_ok())
        {
            return Ok(o);
        }
    }
    for (alg, ealg) in &policy.preference {
        if policy.require_confidentiality && *ealg == EncAlg::Null {
            continue;
        }
        if check_pair(*alg, *ealg).is_err() {
            continue;
        }
        if let Some(o) = usable.iter().find(|o| o.alg == *alg && o.ealg == *ealg) {
            return Ok(o);
        }
    }
    if flawed.any_pair {
        // Flawed variant: rather than refusing, takes the UE's first offer whatever it is.
        return usable.first().copied().ok_or(SelectError::NoOffer);
    }
    Err(SelectError::NoCommonPair)
}

/// Allocates the P-CSCF's two inbound SPIs: above 255 (RFC 4303 §2.1), different from each
/// other, from the UE's (TS 33.203 §7.1: both may share a host) and from any live inbound SPI.
/// `draw` supplies random 32-bit values; after 64 unlucky draws a counter takes over.
pub fn allocate_spis(ue_spis: [u32; 2], live: &[u32], mut draw: impl FnMut() -> u32) -> (u32, u32) {
    let mut taken: Vec<u32> = ue_spis.to_vec();
    taken.extend_from_slice(live);
    let mut out = [0u32; 2];
    let mut fallback = 0x1000u32;
    for slot in &mut out {
        let mut tries = 0;
        let v = loop {
            let c = if tries < 64 { draw() } else { fallback };
            tries += 1;
            fallback = fallback.wrapping_add(1).max(0x1000);
            if c > 255 && !taken.contains(&c) {
                break c;
            }
        };
        taken.push(v);
        *slot = v;
    }
    (out[0], out[1])
}
