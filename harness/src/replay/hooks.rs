//! Extension point for passive checks on other protocols seen in a capture: TLS handshakes
//! (null cipher suites offered or chosen, a client certificate requested by the P-CSCF;
//! TS 33.203 Annex O / TS 24.229 §7.2A) and IKEv2 proposals (SWu, Za; TS 33.402, TS 33.210).
//!
//! The decoders (`mech::tls`, `mech::ikev2`) are being written separately. A decoder joins
//! replay by implementing [`PassiveHook`] and being added in [`hooks`]; until then replay
//! only counts the packets it would hand over (`stats.tls_records`, `stats.ike_packets`) and
//! claims no verdict about them.

use super::verdicts::Outcome;
use std::net::SocketAddr;

/// What a hook sees of one packet.
#[derive(Debug, Clone, Copy)]
pub struct Packet<'a> {
    pub frame: u64,
    pub ts_ns: u64,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub tcp: bool,
    /// Transport payload (for TCP: the segment's payload, in capture order).
    pub payload: &'a [u8],
}

/// A passive check on packets replay does not analyse itself.
pub trait PassiveHook {
    /// Whether this hook wants the packet (by ports or content).
    fn wants(&self, p: &Packet<'_>) -> bool;
    /// Takes one packet.
    fn packet(&mut self, p: &Packet<'_>);
    /// Verdicts at the end, in the replay vocabulary (evidence = frame numbers).
    fn finish(&mut self) -> Vec<Outcome>;
}

/// The hooks replay runs (none yet: see the module documentation).
pub fn hooks() -> Vec<Box<dyn PassiveHook>> {
    Vec::new()
}

/// TLS records (content type 20..=23, version 3.x) at the start of a TCP payload.
pub fn looks_like_tls(payload: &[u8]) -> bool {
    matches!(payload, [20..=23, 3, 0..=4, ..])
}
