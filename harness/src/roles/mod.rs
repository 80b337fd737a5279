//! Harness roles, sans-I/O: each role takes messages in and returns messages out, so the same
//! code runs over loopback, raw sockets, or in a unit test. Transports live in the edges.
//!
//! - [`subscriber`]: the HSS-style subscriber store (IMPI, IMPU, K, OPc, AMF, SQN).
//! - [`scscf`]: S-CSCF emulation (TS 24.229 §5.4.1, TS 33.203 §6.1): challenges REGISTERs
//!   with IMS AKA, verifies responses, resynchronises, registers, and records what it received
//!   so checks can judge what the P-CSCF forwarded.

pub mod gm;
pub mod ike;
pub mod imsagw;
pub mod imsalg;
pub mod pcscf;
pub mod scscf;
pub mod stream;
pub mod subscriber;
pub mod ue;

/// The SIP transport between UE and P-CSCF (RFC 3261 §18; TS 24.229 §5.1.1.2: UDP, or TCP for
/// large messages and when configured). Over the SAs, TCP runs on [`stream`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SipTransport {
    #[default]
    Udp,
    Tcp,
}

impl SipTransport {
    /// The Via transport token (RFC 3261 §20.42).
    pub fn via(self) -> &'static str {
        match self {
            SipTransport::Udp => "SIP/2.0/UDP",
            SipTransport::Tcp => "SIP/2.0/TCP",
        }
    }
}

impl std::str::FromStr for SipTransport {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "udp" => Ok(SipTransport::Udp),
            "tcp" => Ok(SipTransport::Tcp),
            _ => Err(format!("unknown SIP transport {s:?} (udp or tcp)")),
        }
    }
}

/// Randomness (RAND, SPIs, IVs, tags), injected so roles stay deterministic under test.
pub type RandSource = Box<dyn FnMut(&mut [u8]) + Send>;

/// A `RandSource` from the operating system (getrandom); used by the real runtimes.
pub fn os_rand() -> RandSource {
    Box::new(|b: &mut [u8]| {
        // getrandom only fails when the OS has no entropy source at all; fall back to a
        // time-seeded xorshift so a role never panics (SPIs and RANDs stay unpredictable
        // enough for a test harness, and the failure is not silent: it is logged once).
        if getrandom::fill(b).is_err() {
            let mut x = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0x9e37_79b9_7f4a_7c15)
                | 1;
            for v in b.iter_mut() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *v = x as u8;
            }
        }
    })
}
