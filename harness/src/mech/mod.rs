//! Pure mechanisms: no I/O, no clock, no global state; randomness is passed in.
//! Each module cites the clause it implements.

pub mod algorithms;
