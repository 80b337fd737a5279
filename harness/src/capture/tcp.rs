//! TCP for captures: a header view (RFC 9293 §3.1) and SIP stream reassembly per direction
//! (RFC 3261 §18.3 framing): several messages per segment, one message over many segments,
//! retransmissions and overlaps (the bytes already delivered win), out-of-order segments
//! (held until the gap fills), a capture that starts mid-stream (resynchronised on the next
//! SIP start line). Bounded: [`MAX_OOO_BYTES`] held out of order per direction and
//! [`MAX_UNFRAMED`] of unframed data; past either bound the gap is skipped with a count.
//!
//! [`FlowTable`] keys the streams by 5-tuple (both directions separately) and evicts the
//! least recently used one beyond [`MAX_FLOWS`] or after [`IDLE_NS`] of capture time.

use crate::mech::sip::{SipMessage, StreamFramer};
use crate::wire::{be16, be32};
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;

/// Out-of-order octets held per direction.
pub const MAX_OOO_BYTES: usize = 256 * 1024;
/// Unframed octets buffered per direction before the data is declared not SIP.
pub const MAX_UNFRAMED: usize = 256 * 1024;
/// Streams tracked at once.
pub const MAX_FLOWS: usize = 8192;
/// A stream idle this long (capture time) is forgotten.
pub const IDLE_NS: u64 = 600_000_000_000;

pub const FLAG_FIN: u8 = 0x01;
pub const FLAG_SYN: u8 = 0x02;
pub const FLAG_RST: u8 = 0x04;

/// A TCP segment header view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub flags: u8,
    pub payload: &'a [u8],
}

/// Parses a TCP segment (`None` when shorter than its data offset says).
pub fn parse_segment(b: &[u8]) -> Option<Segment<'_>> {
    let off = usize::from(b.get(12)? >> 4) * 4;
    if off < 20 {
        return None;
    }
    Some(Segment {
        src_port: be16(b, 0)?,
        dst_port: be16(b, 2)?,
        seq: be32(b, 4)?,
        flags: *b.get(13)?,
        payload: b.get(off..)?,
    })
}

/// Builds an IP packet holding one TCP segment (RFC 9293 §3.1: 20-octet header, ACK|PSH,
/// window 65535, valid checksum over the RFC 768/RFC 8200 §8.1 pseudo header) for a decrypted
/// output capture; `None` for mixed address families or a payload too long for one packet.
pub fn emit_segment(src: SocketAddr, dst: SocketAddr, seq: u32, payload: &[u8]) -> Option<Vec<u8>> {
    use crate::wire::{checksum, ipv4, ipv6};
    use std::net::IpAddr;
    let len = 20usize.checked_add(payload.len())?;
    let mut t = Vec::with_capacity(len);
    t.extend_from_slice(&src.port().to_be_bytes());
    t.extend_from_slice(&dst.port().to_be_bytes());
    t.extend_from_slice(&seq.to_be_bytes());
    t.extend_from_slice(&[0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0]);
    t.extend_from_slice(payload);
    let ph = checksum::pseudo_header(src.ip(), dst.ip(), 6, u32::try_from(len).ok()?);
    let c = checksum::finish(&[ph, checksum::sum(&t)]);
    t.get_mut(16..18)?.copy_from_slice(&c.to_be_bytes());
    let mut out = Vec::with_capacity(len + 40);
    match (src.ip(), dst.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => ipv4::Repr {
            src_addr: s,
            dst_addr: d,
            protocol: 6,
            payload_len: len,
            ttl: 64,
            ident: 0,
            dscp_ecn: 0,
        }
        .emit(&mut out)
        .ok()?,
        (IpAddr::V6(s), IpAddr::V6(d)) => ipv6::Repr {
            src_addr: s,
            dst_addr: d,
            next_header: 6,
            payload_len: len,
            hop_limit: 64,
        }
        .emit(&mut out)
        .ok()?,
        _ => return None,
    }
    out.extend_from_slice(&t);
    Some(out)
}

/// Counters of one direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamStats {
    pub retransmitted: u64,
    pub out_of_order: u64,
    /// Gaps skipped (bounds exceeded or data that is not SIP).
    pub gaps: u64,
}

/// One direction of a TCP connection, framed into SIP messages.
#[derive(Debug)]
pub struct SipStream {
    next: Option<u32>,
    ooo: BTreeMap<u32, Vec<u8>>,
    ooo_bytes: usize,
    framer: StreamFramer,
    /// Waiting for a start line (capture began mid-message, or after a gap).
    resync: bool,
    pub stats: StreamStats,
}

impl Default for SipStream {
    fn default() -> Self {
        SipStream {
            next: None,
            ooo: BTreeMap::new(),
            ooo_bytes: 0,
            framer: StreamFramer::with_limit(MAX_UNFRAMED),
            resync: false,
            stats: StreamStats::default(),
        }
    }
}

impl SipStream {
    pub fn new() -> Self {
        Self::default()
    }

    /// Octets held (buffered or out of order).
    pub fn held(&self) -> usize {
        self.framer.pending() + self.ooo_bytes
    }

    /// Adds a segment; complete messages are appended to `out`.
    pub fn segment(&mut self, seq: u32, flags: u8, data: &[u8], out: &mut Vec<SipMessage>) {
        if flags & FLAG_SYN != 0 {
            self.next = Some(seq.wrapping_add(1));
            self.framer.clear();
            self.ooo.clear();
            self.ooo_bytes = 0;
            self.resync = false;
            return;
        }
        if data.is_empty() {
            return;
        }
        let next = *self.next.get_or_insert_with(|| {
            // Joined mid-stream: what comes first may be the tail of a message.
            self.resync = true;
            seq
        });
        let delta = seq.wrapping_sub(next) as i32;
        if delta < 0 {
            let skip = delta.unsigned_abs() as usize;
            if skip >= data.len() {
                self.stats.retransmitted += 1;
                return;
            }
            self.deliver(data.get(skip..).unwrap_or(&[]), out);
        } else if delta > 0 {
            self.stats.out_of_order += 1;
            if self.ooo_bytes + data.len() > MAX_OOO_BYTES {
                // Give up on the gap: continue from the earliest held segment.
                self.stats.gaps += 1;
                self.framer.clear();
                self.resync = true;
                if let Some((&s, _)) = self.ooo.iter().next() {
                    self.next = Some(s);
                    self.drain_ooo(out);
                }
                if self.ooo_bytes + data.len() > MAX_OOO_BYTES {
                    self.ooo.clear();
                    self.ooo_bytes = 0;
                    self.next = Some(seq);
                    self.deliver(data, out);
                    return;
                }
            }
            let e = self.ooo.entry(seq).or_default();
            if e.len() < data.len() {
                self.ooo_bytes = self.ooo_bytes + data.len() - e.len();
                *e = data.to_vec();
            }
            return;
        } else {
            self.deliver(data, out);
        }
        self.drain_ooo(out);
    }

    fn drain_ooo(&mut self, out: &mut Vec<SipMessage>) {
        while let Some(next) = self.next {
            let Some((&s, _)) = self
                .ooo
                .iter()
                .find(|(&s, _)| (s.wrapping_sub(next) as i32) <= 0)
            else {
                break;
            };
            let Some(d) = self.ooo.remove(&s) else { break };
            self.ooo_bytes = self.ooo_bytes.saturating_sub(d.len());
            let skip = next.wrapping_sub(s) as usize;
            if skip < d.len() {
                self.deliver(d.get(skip..).unwrap_or(&[]), out);
            } else {
                self.stats.retransmitted += 1;
            }
        }
    }

    /// In-order bytes: advance `next`, frame messages (mech::sip's framer; after data that is
    /// not SIP the line is skipped and framing resumes at the next start line).
    fn deliver(&mut self, data: &[u8], out: &mut Vec<SipMessage>) {
        self.next = self.next.map(|n| n.wrapping_add(data.len() as u32));
        self.framer.push(data);
        loop {
            if self.resync {
                if !self.framer.resync() {
                    return;
                }
                self.resync = false;
            }
            match self.framer.next_message() {
                Ok(Some(m)) => out.push(m),
                Ok(None) => return,
                Err(_) => {
                    self.stats.gaps += 1;
                    self.framer.skip_line();
                    self.resync = true;
                }
            }
        }
    }
}

/// A direction of a TCP connection.
pub type FlowKey = (SocketAddr, SocketAddr);

struct Entry {
    last_ns: u64,
    stream: SipStream,
}

/// SIP streams by direction, bounded.
#[derive(Default)]
pub struct FlowTable {
    flows: HashMap<FlowKey, Entry>,
    /// Streams evicted (table full or idle).
    pub evicted: u64,
    /// Totals over every stream, including evicted ones.
    pub stats: StreamStats,
}

impl FlowTable {
    pub fn new() -> Self {
        Self::default()
    }

    /// Streams tracked now.
    pub fn len(&self) -> usize {
        self.flows.len()
    }

    /// Whether the direction `key` is tracked.
    pub fn contains(&self, key: &FlowKey) -> bool {
        self.flows.contains_key(key)
    }

    pub fn is_empty(&self) -> bool {
        self.flows.is_empty()
    }

    /// Forgets streams idle for [`IDLE_NS`].
    pub fn expire(&mut self, now_ns: u64) {
        let before = self.flows.len();
        let mut stats = self.stats;
        self.flows.retain(|_, e| {
            let keep = now_ns.saturating_sub(e.last_ns) <= IDLE_NS;
            if !keep {
                add(&mut stats, &e.stream.stats);
            }
            keep
        });
        self.stats = stats;
        self.evicted += (before - self.flows.len()) as u64;
    }

    /// Feeds one segment of the direction `key`; complete SIP messages go to `out`.
    pub fn segment(
        &mut self,
        key: FlowKey,
        seg: &Segment<'_>,
        now_ns: u64,
        out: &mut Vec<SipMessage>,
    ) {
        if !self.flows.contains_key(&key) {
            if seg.payload.is_empty() && seg.flags & FLAG_SYN == 0 {
                return;
            }
            if self.flows.len() >= MAX_FLOWS {
                if let Some(k) = self
                    .flows
                    .iter()
                    .min_by_key(|(_, e)| e.last_ns)
                    .map(|(k, _)| *k)
                {
                    if let Some(e) = self.flows.remove(&k) {
                        add(&mut self.stats, &e.stream.stats);
                    }
                    self.evicted += 1;
                }
            }
        }
        let e = self.flows.entry(key).or_insert_with(|| Entry {
            last_ns: now_ns,
            stream: SipStream::new(),
        });
        e.last_ns = now_ns;
        e.stream.segment(seg.seq, seg.flags, seg.payload, out);
        if seg.flags & (FLAG_FIN | FLAG_RST) != 0 {
            if let Some(e) = self.flows.remove(&key) {
                add(&mut self.stats, &e.stream.stats);
            }
        }
    }

    /// Totals including the streams still open.
    pub fn total_stats(&self) -> StreamStats {
        let mut s = self.stats;
        for e in self.flows.values() {
            add(&mut s, &e.stream.stats);
        }
        s
    }
}

fn add(a: &mut StreamStats, b: &StreamStats) {
    a.retransmitted += b.retransmitted;
    a.out_of_order += b.out_of_order;
    a.gaps += b.gaps;
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &[u8] = b"OPTIONS sip:a SIP/2.0\r\nCall-ID: 1\r\nContent-Length: 0\r\n\r\n";
    const B: &[u8] = b"SIP/2.0 200 OK\r\nCall-ID: 2\r\nContent-Length: 3\r\n\r\nabc";

    fn run(segs: &[(u32, &[u8])]) -> (Vec<String>, StreamStats) {
        let mut s = SipStream::new();
        let mut out = Vec::new();
        s.segment(999, FLAG_SYN, &[], &mut out);
        for (seq, d) in segs {
            s.segment(*seq, 0, d, &mut out);
        }
        (
            out.iter()
                .map(|m| m.call_id().unwrap().to_string())
                .collect(),
            s.stats,
        )
    }

    #[test]
    fn two_per_segment_split_retransmitted_out_of_order() {
        let mut both = A.to_vec();
        both.extend_from_slice(B);
        assert_eq!(run(&[(1000, &both)]).0, ["1", "2"]);
        let (x, y) = both.split_at(30);
        let n = 1000 + 30;
        let (ids, st) = run(&[(n, y), (1000, x), (1000, x), (n, y)]);
        assert_eq!(ids, ["1", "2"]);
        assert_eq!((st.out_of_order, st.retransmitted), (1, 2));
        // Overlap: a retransmission that also carries new bytes.
        let (ids, _) = run(&[(1000, x), (1010, &both[10..])]);
        assert_eq!(ids, ["1", "2"]);
    }

    #[test]
    fn mid_stream_start_resynchronises() {
        let mut s = SipStream::new();
        let mut out = Vec::new();
        let mut d = b"tail of a body\r\nmore\r\n".to_vec();
        d.extend_from_slice(B);
        s.segment(5, 0, &d, &mut out);
        assert_eq!(out.len(), 1);
        s.segment(5 + d.len() as u32, 0, b"\x00\x01garbage\r\n", &mut out);
        s.segment(5 + d.len() as u32 + 11, 0, A, &mut out);
        assert_eq!(out.len(), 2, "{:?}", s.stats);
    }

    #[test]
    fn bounded() {
        let mut s = SipStream::new();
        let mut out = Vec::new();
        s.segment(0, FLAG_SYN, &[], &mut out);
        let chunk = vec![b'x'; 60_000];
        for i in 0..20u32 {
            s.segment(100_000 + i * 60_000, 0, &chunk, &mut out);
        }
        assert!(s.held() <= MAX_OOO_BYTES + MAX_UNFRAMED);
        let mut t = FlowTable::new();
        for p in 0..(MAX_FLOWS as u16 + 5) {
            let k = (
                SocketAddr::from(([1, 1, 1, 1], p)),
                SocketAddr::from(([2, 2, 2, 2], 5060)),
            );
            let seg = Segment {
                src_port: p,
                dst_port: 5060,
                seq: 1,
                flags: 0,
                payload: b"x",
            };
            t.segment(k, &seg, u64::from(p), &mut out);
        }
        assert_eq!(t.len(), MAX_FLOWS);
        assert_eq!(t.evicted, 5);
    }
}
