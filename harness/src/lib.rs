//! imsec: conformance and security test harness for IMS access and media security.
//!
//! Layers (data flows one way, see ARCHITECTURE.md):
//! - [`hexarg`]: hex decoding with errors that name the argument or field.
//! - [`wire`]: zero-copy IPv4/IPv6/UDP header views, below every mechanism that reads packets.
//! - [`mech`]: pure, I/O-free mechanisms (Milenage, AKA, HTTP Digest AKA, key expansion, ...).
//! - [`vectors`]: the reference-vector loader and checker (`imsec vectors`, `cargo test`).
//! - [`cli`]: the command line, the only place that prints or exits.
#![forbid(unsafe_code)]

pub mod capture;
pub mod cli;
pub mod engine;
pub mod hexarg;
pub mod lab;
pub mod mech;
pub mod net;
pub mod replay;
pub mod roles;
pub mod vectors;
pub mod wire;
