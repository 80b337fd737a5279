//! IKEv2 roles for the TS 33.210 Za probe, sans-I/O: [`initiator::Initiator`],
//! [`responder::Responder`] and the built-in reference security gateway [`seg`] with its
//! flawed variants. The driver with sockets and timeouts lives in `engine::za`.

pub mod initiator;
pub mod proposal;
pub mod responder;
pub mod seg;
pub mod session;
#[cfg(test)]
mod tests;

/// Randomness handed to a role (SPIs, nonces, D-H private values, IVs).
pub type Rng = Box<dyn FnMut(&mut [u8]) + Send>;

/// An RNG from the operating system (getrandom); a failure leaves zeros, which the roles
/// survive (SPIs are forced non-zero) but which no real run will see.
pub fn os_rng() -> Rng {
    Box::new(|b: &mut [u8]| {
        let _ = getrandom::fill(b);
    })
}

/// Fuzz body: a responder (the built-in SEG's policy) and an initiator that has sent its
/// IKE_SA_INIT request, fed arbitrary datagrams; neither may panic.
pub fn fuzz_roles(data: &[u8]) {
    let local: std::net::SocketAddr = ([127, 0, 0, 1], 500).into();
    let mut r = responder::Responder::new(
        seg::responder_policy(&seg::SegFlaws::new(), local),
        Box::new(|b: &mut [u8]| b.fill(7)),
    );
    let _ = r.handle(data, local);
    let cfg = initiator::InitiatorConfig {
        psk: b"k".to_vec(),
        local_id: session::parse_identity("a.test"),
        // Curve25519 first: a cheap D-H for the start() every input pays.
        ike_proposals: proposal::parse_list(&["aes128-sha256-curve25519".to_string()], 1)
            .unwrap_or_default(),
        child_proposals: seg::conformant_esp(),
        local,
        remote: local,
    };
    let mut i = initiator::Initiator::new(cfg, Box::new(|b: &mut [u8]| b.fill(9)));
    if i.start().is_ok() {
        let _ = i.handle(data);
    }
}
