//! Dispatch from a vector file's `family` to the checker that runs imsec's implementation.
//! Each checker lives next to the others below `vectors/`, one file per family group.

use super::Vector;

/// Runs imsec's implementation on one vector of `family`.
pub fn check(family: &str, v: &Vector) -> Result<(), String> {
    match family {
        other => Err(format!("unknown vector family '{other}' (id {})", v.id)),
    }
}
