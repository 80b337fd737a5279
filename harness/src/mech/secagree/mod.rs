//! Security agreement for SIP (RFC 3329) as profiled by TS 33.203 Annex H and TS 24.229 §7.2A.7.
//!
//! - [`header`]: the codec for `Security-Client`, `Security-Server` and `Security-Verify`
//!   (RFC 3329 §2.2 grammar), with a strict mode that names every deviation and a lenient mode
//!   for real UEs.
//! - [`ipsec`]: the typed `ipsec-3gpp` entry (TS 33.203 Annex H parameters).
//! - [`qvalue`]: the exact `qvalue` grammar (RFC 3261 §20.10 as used by RFC 3329).
//! - [`compare`]: the semantic comparison used for the bid-down check
//!   (Security-Verify against Security-Server, RFC 3329 §2.3.1; TS 33.203 §7.2).

pub mod compare;
pub mod header;
pub mod ipsec;
pub mod qvalue;

pub use header::{Deviation, Mechanism, Mode, Param, SecHeaderKind};
pub use ipsec::{IpsecMode, IpsecOffer};
