//! Edges to the network: UDP sockets (plain SIP and ESP-in-UDP, no privileges needed) and raw
//! IP sockets for ESP transport mode (protocol 50; needs root or CAP_NET_RAW). Every wait has
//! a timeout. Roles never see a socket: they take and return [`Wire`]s.

pub mod msrp_relay;
pub mod node;
pub mod raw;
pub mod sockets;
pub mod tcp;
pub mod tcp_tls;
pub mod tls;
pub mod tls_edge;
pub mod tls_hello;
pub mod tls_probe;

pub use crate::roles::gm::Wire;

/// Why the network edge failed.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    #[error("cannot bind {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("no socket bound at {0} to send from")]
    NotBound(std::net::SocketAddr),
    #[error("send to {to} failed: {source}")]
    Send { to: String, source: std::io::Error },
    #[error(
        "raw IP sockets for ESP (protocol 50) need root or CAP_NET_RAW: {0}. \
         Run as root, grant CAP_NET_RAW (setcap cap_net_raw+ep), or use UDP-encapsulated \
         tunnel mode, which needs no privileges"
    )]
    RawPermission(std::io::Error),
    #[error("raw socket: {0}")]
    Raw(std::io::Error),
}
