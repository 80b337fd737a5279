//! Pure mechanisms: no I/O, no clock, no global state; randomness is passed in.
//! Each module cites the clause it implements.

pub mod aka;
pub mod algorithms;
pub mod digest;
pub mod esp;
pub mod ikev2;
pub mod kdf;
pub mod keys;
pub mod milenage;
pub mod sdp;
pub mod secagree;
pub mod sip;
pub mod srtp;
pub mod tls;
