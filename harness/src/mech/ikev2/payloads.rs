//! Typed payload bodies (RFC 7296 §3.3–3.14) and their parse/emit.

use super::consts::payload as pt;
use super::generic::RawPayload;
use super::sa::{self, Proposal};
use super::IkeError;

/// One traffic selector (RFC 7296 §3.13.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrafficSelector {
    pub ts_type: u8,
    pub ip_protocol: u8,
    pub start_port: u16,
    pub end_port: u16,
    pub start_addr: Vec<u8>,
    pub end_addr: Vec<u8>,
}

impl TrafficSelector {
    /// Every IPv4 address, every protocol and port.
    pub fn any_v4() -> TrafficSelector {
        TrafficSelector {
            ts_type: super::consts::ts::IPV4_ADDR_RANGE,
            ip_protocol: 0,
            start_port: 0,
            end_port: 0xffff,
            start_addr: vec![0; 4],
            end_addr: vec![255; 4],
        }
    }
}

/// A payload, typed where imsec needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// SA (§3.3).
    Sa(Vec<Proposal>),
    /// Key Exchange (§3.4).
    Ke { group: u16, data: Vec<u8> },
    /// IDi (`initiator`) or IDr (§3.5).
    Id {
        initiator: bool,
        id_type: u8,
        data: Vec<u8>,
    },
    /// Authentication (§3.8).
    Auth { method: u8, data: Vec<u8> },
    /// Ni / Nr (§3.9).
    Nonce(Vec<u8>),
    /// Notify (§3.10).
    Notify {
        protocol: u8,
        spi: Vec<u8>,
        kind: u16,
        data: Vec<u8>,
    },
    /// Delete (§3.11).
    Delete {
        protocol: u8,
        spi_size: u8,
        spis: Vec<Vec<u8>>,
    },
    /// TSi (`initiator`) or TSr (§3.13).
    Ts {
        initiator: bool,
        selectors: Vec<TrafficSelector>,
    },
    /// Encrypted and Authenticated (§3.14): `inner_first` is the type of the first inner
    /// payload, `body` = IV | ciphertext | ICV.
    Sk { inner_first: u8, body: Vec<u8> },
    /// Anything else, kept as received.
    Other {
        kind: u8,
        critical: bool,
        body: Vec<u8>,
    },
}

fn need(b: &[u8], n: usize, what: &'static str) -> Result<(), IkeError> {
    if b.len() < n {
        return Err(IkeError::Truncated {
            what,
            len: b.len(),
            min: n,
        });
    }
    Ok(())
}

fn be16(b: &[u8], at: usize) -> u16 {
    match b.get(at..at + 2) {
        Some(&[x, y]) => u16::from_be_bytes([x, y]),
        _ => 0,
    }
}

fn parse_ts(body: &[u8], initiator: bool) -> Result<Payload, IkeError> {
    need(body, 4, "TS payload")?;
    let count = body.first().copied().unwrap_or(0);
    let mut rest = body.get(4..).unwrap_or(&[]);
    let mut selectors = Vec::new();
    for _ in 0..count {
        need(rest, 8, "traffic selector")?;
        let len = usize::from(be16(rest, 2));
        if len < 8 || len > rest.len() || (len - 8) % 2 != 0 {
            return Err(IkeError::BadLength {
                what: "traffic selector",
                length: len,
                available: rest.len(),
            });
        }
        let half = (len - 8) / 2;
        selectors.push(TrafficSelector {
            ts_type: rest.first().copied().unwrap_or(0),
            ip_protocol: rest.get(1).copied().unwrap_or(0),
            start_port: be16(rest, 4),
            end_port: be16(rest, 6),
            start_addr: rest.get(8..8 + half).unwrap_or(&[]).to_vec(),
            end_addr: rest.get(8 + half..len).unwrap_or(&[]).to_vec(),
        });
        rest = rest.get(len..).unwrap_or(&[]);
    }
    if !rest.is_empty() {
        return Err(IkeError::Malformed(
            "octets after the last traffic selector",
        ));
    }
    Ok(Payload::Ts {
        initiator,
        selectors,
    })
}

impl Payload {
    /// Types one raw payload. `inner_first` is only used for SK.
    pub fn parse(raw: &RawPayload<'_>, inner_first: u8) -> Result<Payload, IkeError> {
        let b = raw.body;
        Ok(match raw.kind {
            pt::SA => Payload::Sa(sa::parse_sa(b)?),
            pt::KE => {
                need(b, 4, "KE payload")?;
                Payload::Ke {
                    group: be16(b, 0),
                    data: b.get(4..).unwrap_or(&[]).to_vec(),
                }
            }
            pt::IDI | pt::IDR => {
                need(b, 4, "ID payload")?;
                Payload::Id {
                    initiator: raw.kind == pt::IDI,
                    id_type: b.first().copied().unwrap_or(0),
                    data: b.get(4..).unwrap_or(&[]).to_vec(),
                }
            }
            pt::AUTH => {
                need(b, 4, "AUTH payload")?;
                Payload::Auth {
                    method: b.first().copied().unwrap_or(0),
                    data: b.get(4..).unwrap_or(&[]).to_vec(),
                }
            }
            pt::NONCE => {
                // §3.9: between 16 and 256 octets.
                if b.len() < 16 || b.len() > 256 {
                    return Err(IkeError::Malformed("nonce length outside 16..=256"));
                }
                Payload::Nonce(b.to_vec())
            }
            pt::NOTIFY => {
                need(b, 4, "Notify payload")?;
                let spi_size = usize::from(b.get(1).copied().unwrap_or(0));
                let spi = b
                    .get(4..4 + spi_size)
                    .ok_or(IkeError::Malformed("Notify SPI size"))?;
                Payload::Notify {
                    protocol: b.first().copied().unwrap_or(0),
                    spi: spi.to_vec(),
                    kind: be16(b, 2),
                    data: b.get(4 + spi_size..).unwrap_or(&[]).to_vec(),
                }
            }
            pt::DELETE => {
                need(b, 4, "Delete payload")?;
                let spi_size = b.get(1).copied().unwrap_or(0);
                let n = usize::from(be16(b, 2));
                let sz = usize::from(spi_size);
                let list = b.get(4..).unwrap_or(&[]);
                if list.len() != n.saturating_mul(sz) {
                    return Err(IkeError::Malformed("Delete SPI count"));
                }
                Payload::Delete {
                    protocol: b.first().copied().unwrap_or(0),
                    spi_size,
                    spis: if sz == 0 {
                        Vec::new()
                    } else {
                        list.chunks(sz).map(<[u8]>::to_vec).collect()
                    },
                }
            }
            pt::TSI | pt::TSR => parse_ts(b, raw.kind == pt::TSI)?,
            pt::SK => Payload::Sk {
                inner_first,
                body: b.to_vec(),
            },
            k => Payload::Other {
                kind: k,
                critical: raw.critical,
                body: b.to_vec(),
            },
        })
    }

    /// The payload type number.
    pub fn kind(&self) -> u8 {
        match self {
            Payload::Sa(_) => pt::SA,
            Payload::Ke { .. } => pt::KE,
            Payload::Id { initiator, .. } => {
                if *initiator {
                    pt::IDI
                } else {
                    pt::IDR
                }
            }
            Payload::Auth { .. } => pt::AUTH,
            Payload::Nonce(_) => pt::NONCE,
            Payload::Notify { .. } => pt::NOTIFY,
            Payload::Delete { .. } => pt::DELETE,
            Payload::Ts { initiator, .. } => {
                if *initiator {
                    pt::TSI
                } else {
                    pt::TSR
                }
            }
            Payload::Sk { .. } => pt::SK,
            Payload::Other { kind, .. } => *kind,
        }
    }

    /// The body octets (without the generic header).
    pub fn body(&self) -> Result<Vec<u8>, IkeError> {
        let mut b = Vec::new();
        match self {
            Payload::Sa(p) => sa::emit_sa(p, &mut b)?,
            Payload::Ke { group, data } => {
                b.extend_from_slice(&group.to_be_bytes());
                b.extend_from_slice(&[0, 0]);
                b.extend_from_slice(data);
            }
            Payload::Id { id_type, data, .. } => {
                b.extend_from_slice(&[*id_type, 0, 0, 0]);
                b.extend_from_slice(data);
            }
            Payload::Auth { method, data } => {
                b.extend_from_slice(&[*method, 0, 0, 0]);
                b.extend_from_slice(data);
            }
            Payload::Nonce(n) => b.extend_from_slice(n),
            Payload::Notify {
                protocol,
                spi,
                kind,
                data,
            } => {
                b.push(*protocol);
                b.push(u8::try_from(spi.len()).map_err(|_| IkeError::TooLong("Notify SPI"))?);
                b.extend_from_slice(&kind.to_be_bytes());
                b.extend_from_slice(spi);
                b.extend_from_slice(data);
            }
            Payload::Delete {
                protocol,
                spi_size,
                spis,
            } => {
                b.push(*protocol);
                b.push(*spi_size);
                let n = u16::try_from(spis.len()).map_err(|_| IkeError::TooLong("Delete"))?;
                b.extend_from_slice(&n.to_be_bytes());
                for s in spis {
                    b.extend_from_slice(s);
                }
            }
            Payload::Ts { selectors, .. } => {
                let n = u8::try_from(selectors.len()).map_err(|_| IkeError::TooLong("TS"))?;
                b.extend_from_slice(&[n, 0, 0, 0]);
                for s in selectors {
                    let len = u16::try_from(8 + s.start_addr.len() + s.end_addr.len())
                        .map_err(|_| IkeError::TooLong("traffic selector"))?;
                    b.push(s.ts_type);
                    b.push(s.ip_protocol);
                    b.extend_from_slice(&len.to_be_bytes());
                    b.extend_from_slice(&s.start_port.to_be_bytes());
                    b.extend_from_slice(&s.end_port.to_be_bytes());
                    b.extend_from_slice(&s.start_addr);
                    b.extend_from_slice(&s.end_addr);
                }
            }
            Payload::Sk { body, .. } => b.extend_from_slice(body),
            Payload::Other { body, .. } => b.extend_from_slice(body),
        }
        Ok(b)
    }

    fn critical(&self) -> bool {
        matches!(self, Payload::Other { critical: true, .. })
    }
}

/// Emits a payload chain (each payload's Next Payload names the following one; the last
/// names `last_next`, which is 0 except inside... nothing: always 0 here).
pub fn emit_chain(payloads: &[Payload], out: &mut Vec<u8>) -> Result<(), IkeError> {
    for (i, p) in payloads.iter().enumerate() {
        let next = match p {
            Payload::Sk { inner_first, .. } => *inner_first,
            _ => payloads.get(i + 1).map(Payload::kind).unwrap_or(pt::NONE),
        };
        super::generic::emit(next, p.critical(), &p.body()?, out)?;
    }
    Ok(())
}

/// Parses a payload chain starting with type `first` into typed payloads.
pub fn parse_chain(first: u8, bytes: &[u8]) -> Result<Vec<Payload>, IkeError> {
    let raws = super::generic::chain(first, bytes)?;
    let mut out = Vec::with_capacity(raws.len());
    for (i, r) in raws.iter().enumerate() {
        let inner = if r.kind == pt::SK {
            super::generic::sk_inner_first(bytes, i).unwrap_or(0)
        } else {
            0
        };
        out.push(Payload::parse(r, inner)?);
    }
    Ok(out)
}
