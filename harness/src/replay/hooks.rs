//! Extension point for passive checks on other protocols seen in a capture: IKEv2 proposals
//! (Za, SWu; TS 33.210, TS 33.402; [`super::hook_ike`]) and TLS handshakes (null cipher
//! suites offered or chosen, a client certificate requested by the P-CSCF; TS 33.203 Annex O;
//! [`super::hook_tls`]).
//!
//! A decoder joins replay by implementing [`PassiveHook`] and being added in [`hooks`]. The
//! engine hands every UDP datagram and TCP segment (also those found inside decrypted ESP) to
//! each hook that [`PassiveHook::wants`] it, and adds the hook's [`PassiveHook::finish`]
//! outcomes to the report's checks.

use super::hook_ike::{IkeHook, IkeKey};
use super::hook_tls::TlsHook;
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
    /// TCP sequence number of the segment's first payload octet (`None` for UDP).
    pub tcp_seq: Option<u32>,
    /// TCP SYN flag (the next sequence number starts one after it).
    pub tcp_syn: bool,
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
    /// Warnings for the report (keys that did not open a message, flows given up, ...).
    fn warnings(&self) -> Vec<String> {
        Vec::new()
    }
}

/// What the hooks are given.
#[derive(Debug, Clone, Default)]
pub struct HookConfig {
    /// IKEv2 SA keys (`--ike-keys`).
    pub ike_keys: Vec<IkeKey>,
    /// TLS key log (`--tls-keylog`).
    pub tls_keylog: Option<super::keys::TlsKeyLog>,
}

/// The hooks replay runs. The TLS hook is held by the engine itself
/// ([`tls_hook`]): what it decrypts flows back into the SIP analysis.
pub fn hooks(cfg: &HookConfig) -> Vec<Box<dyn PassiveHook>> {
    vec![Box::new(IkeHook::new(cfg.ike_keys.clone()))]
}

/// The TLS hook (handshake verdicts; record decryption with a key log).
pub fn tls_hook(cfg: &HookConfig) -> TlsHook {
    TlsHook::new(cfg.tls_keylog.clone())
}

/// TLS records (content type 20..=23, version 3.x) at the start of a TCP payload.
pub fn looks_like_tls(payload: &[u8]) -> bool {
    matches!(payload, [20..=23, 3, 0..=4, ..])
}
