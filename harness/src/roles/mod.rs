//! Harness roles, sans-I/O: each role takes messages in and returns messages out, so the same
//! code runs over loopback, raw sockets, or in a unit test. Transports live in the edges.
//!
//! - [`subscriber`]: the HSS-style subscriber store (IMPI, IMPU, K, OPc, AMF, SQN).
//! - [`scscf`]: S-CSCF emulation (TS 24.229 §5.4.1, TS 33.203 §6.1): challenges REGISTERs
//!   with IMS AKA, verifies responses, resynchronises, registers, and records what it received
//!   so checks can judge what the P-CSCF forwarded.

pub mod scscf;
pub mod subscriber;
