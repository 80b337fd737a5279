//! GTP-U decapsulation (TS 29.281 §5): core-network captures (S1-U, N3, S5/S8) carry the UE's
//! IP packets as G-PDUs on UDP port 2152.
//!
//! Header (§5.1): flags (version 3 bits = 1, PT = 1, E, S, PN), message type (255 = G-PDU),
//! length (octets after the first 8), TEID. When any of E/S/PN is set, 4 more octets follow
//! (sequence number, N-PDU number, next extension header type); extension headers (§5.2)
//! are chained by their last octet, each with its length in 4-octet units in its first octet.

use crate::wire::be16;

/// UDP port of GTP-U (TS 29.281 §4.4.2.3).
pub const GTPU_PORT: u16 = 2152;
/// Message type of a G-PDU (TS 29.281 §6.1).
pub const MSG_G_PDU: u8 = 255;

/// Why a GTP-U datagram yields no inner packet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GtpError {
    #[error("GTP-U: truncated header")]
    Truncated,
    #[error("GTP-U: version {0} is not 1")]
    Version(u8),
    #[error("GTP-U: message type {0} is not a G-PDU")]
    NotGpdu(u8),
    #[error("GTP-U: extension header chain is malformed")]
    BadExtension,
}

/// The T-PDU (inner IP packet) of a G-PDU, with its TEID.
pub fn decapsulate(udp_payload: &[u8]) -> Result<(u32, &[u8]), GtpError> {
    let flags = *udp_payload.first().ok_or(GtpError::Truncated)?;
    let version = flags >> 5;
    if version != 1 || flags & 0x10 == 0 {
        return Err(GtpError::Version(version));
    }
    let mtype = *udp_payload.get(1).ok_or(GtpError::Truncated)?;
    if mtype != MSG_G_PDU {
        return Err(GtpError::NotGpdu(mtype));
    }
    let len = usize::from(be16(udp_payload, 2).ok_or(GtpError::Truncated)?);
    let teid = crate::wire::be32(udp_payload, 4).ok_or(GtpError::Truncated)?;
    let end = 8usize.saturating_add(len).min(udp_payload.len());
    let mut off = 8usize;
    if flags & 0x07 != 0 {
        let mut next = *udp_payload.get(11).ok_or(GtpError::Truncated)?;
        off = 12;
        // At most 16 extension headers: a loop in the chain cannot spin.
        for _ in 0..16 {
            if next == 0 {
                break;
            }
            let units = usize::from(*udp_payload.get(off).ok_or(GtpError::BadExtension)?);
            if units == 0 {
                return Err(GtpError::BadExtension);
            }
            let ext_end = off.checked_add(units * 4).ok_or(GtpError::BadExtension)?;
            next = *udp_payload
                .get(ext_end.wrapping_sub(1))
                .ok_or(GtpError::BadExtension)?;
            off = ext_end;
        }
        if next != 0 {
            return Err(GtpError::BadExtension);
        }
    }
    let inner = udp_payload.get(off..end).ok_or(GtpError::Truncated)?;
    Ok((teid, inner))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_extension_headers() {
        // 0x30: version 1, PT 1, no optional fields; length 2; TEID 7.
        let g = [0x30, 0xff, 0, 2, 0, 0, 0, 7, 0x45, 0x00];
        assert_eq!(decapsulate(&g).unwrap(), (7, &[0x45, 0x00][..]));
        // 0x34: E set; seq 0, N-PDU 0, next ext 0x85 (PDU session container), one 4-octet ext.
        let g = [
            0x34, 0xff, 0, 10, 0, 0, 0, 9, 0, 0, 0, 0x85, 1, 0x10, 0x05, 0, 0x60, 0x01,
        ];
        assert_eq!(decapsulate(&g).unwrap(), (9, &[0x60, 0x01][..]));
        assert_eq!(decapsulate(&g[..13]), Err(GtpError::BadExtension));
        assert_eq!(decapsulate(&[0x30, 1, 0, 0]), Err(GtpError::NotGpdu(1)));
        assert!(decapsulate(&[]).is_err());
        assert!(decapsulate(&[0x50, 0xff, 0, 0, 0, 0, 0, 0]).is_err());
    }
}
