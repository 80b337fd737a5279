//! Runs a sans-I/O role on a [`SocketSet`] in a thread of its own, until stopped. The role sits
//! behind a mutex so the harness (checks, logs) can look at its state while it runs.

use super::sockets::SocketSet;
use super::{NetError, Wire};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// A role that turns what it receives into what it sends.
pub trait Node: Send + 'static {
    fn handle(&mut self, w: Wire, now: u64) -> Vec<Wire>;
    /// Called when nothing arrived for a while (timers, e.g. TCP retransmissions).
    fn tick(&mut self) -> Vec<Wire> {
        Vec::new()
    }
}

impl Node for crate::roles::pcscf::Pcscf {
    fn handle(&mut self, w: Wire, now: u64) -> Vec<Wire> {
        crate::roles::pcscf::Pcscf::handle(self, w, now)
    }
    fn tick(&mut self) -> Vec<Wire> {
        crate::roles::pcscf::Pcscf::tick(self)
    }
}

/// The S-CSCF answers every request it gets on its socket.
impl Node for crate::roles::scscf::Scscf {
    fn handle(&mut self, w: Wire, _now: u64) -> Vec<Wire> {
        let Wire::Udp {
            local,
            peer,
            payload,
        } = w
        else {
            return Vec::new();
        };
        match crate::mech::sip::SipMessage::parse(&payload) {
            // RFC 3261 §17.1.1.3: an ACK to a 2xx is answered by nothing.
            Ok(req) if req.method().as_deref() == Some("ACK") => Vec::new(),
            Ok(req) if req.status().is_none() => {
                let r = crate::roles::scscf::Scscf::handle(self, &req);
                self.exchanges.push(crate::roles::scscf::Exchange {
                    at: std::time::Instant::now(),
                    request: req,
                    response: r.clone(),
                });
                vec![Wire::Udp {
                    local,
                    peer,
                    payload: r.to_bytes(),
                }]
            }
            _ => Vec::new(),
        }
    }
}

/// A running node.
pub struct Running<N: Node> {
    pub node: Arc<Mutex<N>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    /// Send errors (the node goes on; they are reported at the end).
    pub errors: Arc<Mutex<Vec<String>>>,
}

/// Seconds since the Unix epoch (the roles' clock).
pub fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Binds `udp` (and raw ESP sockets on `raw`) and runs `node` until [`Running::stop`].
pub fn spawn<N: Node>(node: N, udp: &[SocketAddr], raw: &[IpAddr]) -> Result<Running<N>, NetError> {
    spawn_with(node, udp, raw, &[])
}

/// [`spawn`], also accepting SIP over TCP on `tcp`.
pub fn spawn_with<N: Node>(
    node: N,
    udp: &[SocketAddr],
    raw: &[IpAddr],
    tcp: &[SocketAddr],
) -> Result<Running<N>, NetError> {
    spawn_prepared(node, SocketSet::new(), udp, raw, tcp)
}

/// [`spawn_with`] on a socket set the caller prepared (e.g. with TLS set up and listening).
pub fn spawn_prepared<N: Node>(
    node: N,
    mut set: SocketSet,
    udp: &[SocketAddr],
    raw: &[IpAddr],
    tcp: &[SocketAddr],
) -> Result<Running<N>, NetError> {
    for a in tcp {
        set.listen_tcp(*a)?;
    }
    for a in udp {
        set.bind_udp(*a)?;
    }
    for a in raw {
        set.bind_raw(*a)?;
    }
    Ok(spawn_on(node, set))
}

/// Runs `node` on a socket set the caller prepared (e.g. with TLS listeners).
pub fn spawn_on<N: Node>(node: N, set: SocketSet) -> Running<N> {
    let node = Arc::new(Mutex::new(node));
    let stop = Arc::new(AtomicBool::new(false));
    let errors = Arc::new(Mutex::new(Vec::new()));
    let (n, s, e) = (node.clone(), stop.clone(), errors.clone());
    let thread = std::thread::spawn(move || {
        let mut set = set;
        while !s.load(Ordering::Relaxed) {
            let got = set.recv(Duration::from_millis(50));
            let out = match (n.lock(), got) {
                (Ok(mut g), Some(w)) => g.handle(w, now_secs()),
                (Ok(mut g), None) => g.tick(),
                (Err(_), _) => return,
            };
            for o in out {
                if let Err(err) = set.send(&o) {
                    if let Ok(mut v) = e.lock() {
                        v.push(err.to_string());
                    }
                }
            }
        }
        set.shutdown();
    });
    Running {
        node,
        stop,
        thread: Some(thread),
        errors,
    }
}

impl<N: Node> Running<N> {
    /// Stops the node and waits for its thread.
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl<N: Node> Drop for Running<N> {
    fn drop(&mut self) {
        self.stop();
    }
}
