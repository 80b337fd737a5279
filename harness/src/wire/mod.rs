//! Pure IPv4/IPv6/UDP header views (smoltcp `wire` style), shared by ESP tunnel-mode
//! processing (`mech::esp::encap`) and the capture reader: `Packet<T: AsRef<[u8]>>` with
//! `new_checked`, field accessors, and a `Repr` with `parse`/`emit`. No I/O, no panics.

pub mod checksum;
pub mod ipv4;
pub mod ipv6;
pub mod udp;

/// Why a header could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// Fewer octets than the header (or its length field) needs.
    #[error("{what}: truncated ({have} octets, need {need})")]
    Truncated {
        what: &'static str,
        have: usize,
        need: usize,
    },
    /// A field holds a value the format does not allow.
    #[error("{what}: malformed ({why})")]
    Malformed {
        what: &'static str,
        why: &'static str,
    },
}

/// Reads a big-endian u16 at `at`, or `None` past the end.
pub(crate) fn be16(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes([s[0], s[1]]))
}

/// Reads a big-endian u32 at `at`, or `None` past the end.
pub(crate) fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// Fails with [`WireError::Truncated`] unless `b` has at least `need` octets.
pub(crate) fn need(what: &'static str, b: &[u8], need: usize) -> Result<(), WireError> {
    if b.len() < need {
        Err(WireError::Truncated {
            what,
            have: b.len(),
            need,
        })
    } else {
        Ok(())
    }
}
