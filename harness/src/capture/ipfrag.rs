//! IPv4 and IPv6 fragment reassembly for captures (RFC 791 §3.2, RFC 8200 §4.5), bounded:
//! at most [`MAX_PENDING`] datagrams in progress, each at most [`MAX_DATAGRAM`] octets, and
//! dropped [`TIMEOUT_NS`] of *capture* time after their first fragment (Linux's
//! `ipfrag_time` default is 30 s). Overlapping fragments drop the datagram (RFC 5722 for
//! IPv6; imsec applies the same rule to IPv4 so that no overlap trick changes what it sees).
//!
//! The reassembled datagram is returned as a fresh IP packet: IPv4 with the first
//! fragment's header fields (options dropped), IPv6 with a plain 40-octet header whose next
//! header is the fragment header's (extension headers before the fragment header dropped).
//! Pure: no I/O, no clock (times come from the capture).

use crate::wire::{be16, be32, ipv4, ipv6};
use std::collections::HashMap;
use std::net::IpAddr;

/// Datagrams in progress at once; the oldest is dropped for a new one beyond this.
pub const MAX_PENDING: usize = 1024;
/// Largest reassembled payload (the IPv4/IPv6 length fields cannot say more).
pub const MAX_DATAGRAM: usize = 65_535;
/// A datagram not complete this long after its first fragment is dropped.
pub const TIMEOUT_NS: u64 = 30_000_000_000;

/// Where a fragment belongs and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fragment<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub ident: u32,
    /// Upper-layer protocol (IPv4 protocol / the fragment header's next header).
    pub protocol: u8,
    pub offset: usize,
    pub more: bool,
    pub ttl: u8,
    pub data: &'a [u8],
}

/// The fragment fields of `l3`, or `None` when it is not a fragment (or unreadable).
pub fn fragment_of(l3: &[u8]) -> Option<Fragment<'_>> {
    match l3.first()? >> 4 {
        4 => {
            let p = ipv4::Packet::new_checked(l3).ok()?;
            if !p.is_fragment() {
                return None;
            }
            let hl = p.header_len();
            let end = hl.checked_add(p.payload().len())?;
            Some(Fragment {
                src: p.src_addr().into(),
                dst: p.dst_addr().into(),
                ident: u32::from(p.ident()),
                protocol: p.protocol(),
                offset: p.frag_offset(),
                more: p.more_frags(),
                ttl: p.ttl(),
                data: l3.get(hl..end)?,
            })
        }
        6 => {
            let p = ipv6::Packet::new_checked(l3).ok()?;
            let end = ipv6::HEADER_LEN.checked_add(p.payload().len())?;
            let payload = l3.get(ipv6::HEADER_LEN..end)?;
            let mut nh = p.next_header();
            let mut off = 0usize;
            for _ in 0..16 {
                match nh {
                    ipv6::NH_HOP_BY_HOP | ipv6::NH_ROUTING | ipv6::NH_DEST_OPTS => {
                        let l = (usize::from(*payload.get(off + 1)?) + 1) * 8;
                        nh = *payload.get(off)?;
                        off = off.checked_add(l)?;
                    }
                    ipv6::NH_FRAGMENT => {
                        let fo = be16(payload, off + 2)?;
                        return Some(Fragment {
                            src: p.src_addr().into(),
                            dst: p.dst_addr().into(),
                            ident: be32(payload, off + 4)?,
                            protocol: *payload.get(off)?,
                            offset: usize::from(fo & 0xfff8),
                            more: fo & 1 == 1,
                            ttl: p.hop_limit(),
                            data: payload.get(off + 8..)?,
                        });
                    }
                    _ => return None,
                }
            }
            None
        }
        _ => None,
    }
}

type Key = (IpAddr, IpAddr, u32, u8);

struct Pending {
    first_ts: u64,
    ttl: u8,
    /// (offset, data), in arrival order.
    pieces: Vec<(usize, Vec<u8>)>,
    total: Option<usize>,
    bytes: usize,
}

/// What [`Reassembler::push`] did with a fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pushed {
    /// Kept; the datagram is not complete yet.
    Held,
    /// The last missing fragment: the whole datagram as an IP packet.
    Complete(Vec<u8>),
    /// The datagram was dropped (overlap, too large, inconsistent end).
    Dropped(&'static str),
}

/// Fragments in progress.
#[derive(Default)]
pub struct Reassembler {
    pending: HashMap<Key, Pending>,
    /// Datagrams dropped (timeout, overlap, size, eviction).
    pub dropped: u64,
    /// Datagrams reassembled.
    pub reassembled: u64,
}

impl Reassembler {
    pub fn new() -> Self {
        Self::default()
    }

    /// Datagrams in progress.
    pub fn in_progress(&self) -> usize {
        self.pending.len()
    }

    /// Drops datagrams older than [`TIMEOUT_NS`] at capture time `now_ns`.
    pub fn expire(&mut self, now_ns: u64) {
        let before = self.pending.len();
        self.pending
            .retain(|_, p| now_ns.saturating_sub(p.first_ts) <= TIMEOUT_NS);
        self.dropped += (before - self.pending.len()) as u64;
    }

    /// Adds one fragment seen at `ts_ns`.
    pub fn push(&mut self, f: &Fragment<'_>, ts_ns: u64) -> Pushed {
        let key = (f.src, f.dst, f.ident, f.protocol);
        if !self.pending.contains_key(&key) && self.pending.len() >= MAX_PENDING {
            if let Some(oldest) = self
                .pending
                .iter()
                .min_by_key(|(_, p)| p.first_ts)
                .map(|(k, _)| *k)
            {
                self.pending.remove(&oldest);
                self.dropped += 1;
            }
        }
        let p = self.pending.entry(key).or_insert_with(|| Pending {
            first_ts: ts_ns,
            ttl: f.ttl,
            pieces: Vec::new(),
            total: None,
            bytes: 0,
        });
        let end = f.offset.saturating_add(f.data.len());
        let why = if end > MAX_DATAGRAM {
            Some("reassembled datagram would exceed 65535 octets")
        } else if p
            .pieces
            .iter()
            .any(|(o, d)| f.offset < o + d.len() && *o < end)
        {
            Some("overlapping fragments (RFC 5722)")
        } else if !f.more && p.total.is_some_and(|t| t != end) {
            Some("two different last fragments")
        } else if p.total.is_some_and(|t| end > t) || (!f.more && p.bytes > end) {
            Some("fragment beyond the end of the datagram")
        } else {
            None
        };
        if let Some(why) = why {
            self.pending.remove(&key);
            self.dropped += 1;
            return Pushed::Dropped(why);
        }
        if f.offset == 0 {
            p.ttl = f.ttl;
        }
        if !f.more {
            p.total = Some(end);
        }
        p.pieces.push((f.offset, f.data.to_vec()));
        p.bytes += f.data.len();
        if p.total != Some(p.bytes) {
            return Pushed::Held;
        }
        let Some(mut p) = self.pending.remove(&key) else {
            return Pushed::Held;
        };
        p.pieces.sort_by_key(|(o, _)| *o);
        let mut data = Vec::with_capacity(p.bytes);
        for (_, d) in &p.pieces {
            data.extend_from_slice(d);
        }
        let mut out = Vec::with_capacity(data.len() + 40);
        let ok = match (f.src, f.dst) {
            (IpAddr::V4(s), IpAddr::V4(d)) => ipv4::Repr {
                src_addr: s,
                dst_addr: d,
                protocol: f.protocol,
                payload_len: data.len(),
                ttl: p.ttl,
                ident: f.ident as u16,
                dscp_ecn: 0,
            }
            .emit(&mut out)
            .is_ok(),
            (IpAddr::V6(s), IpAddr::V6(d)) => ipv6::Repr {
                src_addr: s,
                dst_addr: d,
                next_header: f.protocol,
                payload_len: data.len(),
                hop_limit: p.ttl,
            }
            .emit(&mut out)
            .is_ok(),
            _ => false,
        };
        if !ok {
            self.dropped += 1;
            return Pushed::Dropped("cannot build the reassembled header");
        }
        out.extend_from_slice(&data);
        self.reassembled += 1;
        Pushed::Complete(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn v4_frag(ident: u16, offset: usize, more: bool, data: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        ipv4::Repr {
            src_addr: Ipv4Addr::new(10, 0, 0, 1),
            dst_addr: Ipv4Addr::new(10, 0, 0, 2),
            protocol: 17,
            payload_len: data.len(),
            ttl: 64,
            ident,
            dscp_ecn: 0,
        }
        .emit(&mut v)
        .unwrap();
        let fo = (offset / 8) as u16 | if more { 0x2000 } else { 0 };
        v[6..8].copy_from_slice(&fo.to_be_bytes());
        v.extend_from_slice(data);
        v
    }

    fn v6_frag(ident: u32, offset: usize, more: bool, data: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        ipv6::Repr {
            src_addr: Ipv6Addr::LOCALHOST,
            dst_addr: Ipv6Addr::LOCALHOST,
            next_header: ipv6::NH_FRAGMENT,
            payload_len: data.len() + 8,
            hop_limit: 9,
        }
        .emit(&mut v)
        .unwrap();
        let fo = offset as u16 | u16::from(more);
        v.extend_from_slice(&[17, 0]);
        v.extend_from_slice(&fo.to_be_bytes());
        v.extend_from_slice(&ident.to_be_bytes());
        v.extend_from_slice(data);
        v
    }

    #[test]
    fn out_of_order_v4_and_v6() {
        let mut r = Reassembler::new();
        let a = v4_frag(5, 8, false, b"world");
        let b = v4_frag(5, 0, true, b"hello, w");
        assert_eq!(r.push(&fragment_of(&a).unwrap(), 0), Pushed::Held);
        let Pushed::Complete(p) = r.push(&fragment_of(&b).unwrap(), 1) else {
            panic!()
        };
        assert_eq!(&p[20..], b"hello, wworld");
        assert_eq!(p[9], 17);
        assert!(fragment_of(&p).is_none());
        let a = v6_frag(77, 0, true, b"01234567");
        let b = v6_frag(77, 8, false, b"89");
        assert_eq!(r.push(&fragment_of(&a).unwrap(), 0), Pushed::Held);
        let Pushed::Complete(p) = r.push(&fragment_of(&b).unwrap(), 0) else {
            panic!()
        };
        assert_eq!((p[6], &p[40..]), (17, &b"0123456789"[..]));
    }

    #[test]
    fn overlap_timeout_and_bounds() {
        let mut r = Reassembler::new();
        let a = v4_frag(1, 0, true, b"abcdefgh");
        let b = v4_frag(1, 0, true, b"xy");
        r.push(&fragment_of(&a).unwrap(), 0);
        assert!(matches!(
            r.push(&fragment_of(&b).unwrap(), 0),
            Pushed::Dropped(_)
        ));
        r.push(&fragment_of(&a).unwrap(), 0);
        r.expire(TIMEOUT_NS + 1);
        assert_eq!(r.in_progress(), 0);
        let big = v4_frag(2, 65_528, false, b"0123456789");
        assert!(matches!(
            r.push(&fragment_of(&big).unwrap(), 0),
            Pushed::Dropped(_)
        ));
        for i in 0..(MAX_PENDING as u16 + 10) {
            r.push(&fragment_of(&v4_frag(i, 0, true, b"abcdefgh")).unwrap(), 0);
        }
        assert_eq!(r.in_progress(), MAX_PENDING);
    }
}
