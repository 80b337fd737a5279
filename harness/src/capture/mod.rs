//! Capture input and output (an edge module: it reads and writes files).
//!
//! - [`reader`]: streams pcap and pcapng files with the `pcap-parser` crate; every record
//!   becomes a [`reader::Frame`]. A malformed or truncated file never panics: the header
//!   must parse (else [`CaptureError`]), a bad record later ends the stream with a warning.
//! - [`link`]: strips the link layer (Ethernet with 802.1Q/802.1ad tags, Linux cooked v1/v2,
//!   raw IP, BSD null/loopback) down to the IP packet.
//! - [`wire`]: pure IPv4/IPv6/UDP header views in the smoltcp `wire` style.
//! - [`classify`]: finds ESP in an IP packet, plain (protocol 50) or UDP-encapsulated
//!   (RFC 3948 §2.2 classification).
//! - [`pcapng`]: a small pcapng writer for decrypted output.
//! - [`ipfrag`]: bounded IPv4/IPv6 fragment reassembly; [`tcp`]: SIP over TCP stream
//!   reassembly and the flow table; [`gtpu`]: GTP-U decapsulation (core captures).

pub mod classify;
pub mod decrypt;
pub mod gtpu;
pub mod ipfrag;
pub mod link;
pub mod pcapng;
pub mod reader;
pub mod srtp;
pub mod tcp;

pub use classify::{classify, EspFrame, IpView, L4};
pub use reader::{CaptureError, CaptureReader, Frame};
