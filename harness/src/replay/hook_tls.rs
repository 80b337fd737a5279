//! Passive TLS handshake verdicts (TS 33.203 Annex O, seed 004; issue #7): per TCP flow
//! direction the records are reassembled far enough to read the handshake in clear (up to
//! ChangeCipherSpec; TLS 1.3 encrypts everything after the ServerHello):
//! - `tls_no_null_offered`: a ClientHello offering a null, export or anonymous suite fails;
//! - `tls_no_null_chosen`: a ServerHello choosing one fails;
//! - `tls_no_client_certificate_request`: a CertificateRequest from the server (the
//!   P-CSCF; Annex O has the UE authenticated by IMS AKA, not by a client certificate) fails.
//!
//! TLS records are not decrypted (a key log is only recorded). The segments of a direction
//! are joined by TCP sequence number: retransmitted octets are skipped, a gap ends the
//! analysis of that direction (counted, said in the summary).

use super::hooks::{looks_like_tls, Packet, PassiveHook};
use super::verdicts::Outcome;
use crate::engine::model::Verdict;
use crate::mech::tls::record::next_record;
use crate::mech::tls::server::CertificateRequest;
use crate::mech::tls::{suites, ClientHello, HandshakeBuffer, HandshakeType, ServerHello};
use std::collections::HashMap;
use std::net::SocketAddr;

pub const OFFERED: &str = "tls_no_null_offered";
pub const CHOSEN: &str = "tls_no_null_chosen";
pub const CERT_REQ: &str = "tls_no_client_certificate_request";
const MAX_FLOWS: usize = 4096;
const MAX_BUF: usize = 64 * 1024;
const MAX_FRAMES: usize = 50;

#[derive(Debug, Default)]
struct Dir {
    next_seq: Option<u32>,
    buf: Vec<u8>,
    hs: HandshakeBuffer,
    /// Handshake in clear is over (ChangeCipherSpec, application data, error, gap).
    done: bool,
    /// The TLS version the ServerHello selected (server direction).
    version: Option<u16>,
}

#[derive(Debug, Default)]
struct Finding {
    count: u64,
    frames: Vec<u64>,
    what: Vec<String>,
}

impl Finding {
    fn add(&mut self, frame: u64, what: String) {
        self.count += 1;
        if self.frames.len() < MAX_FRAMES && !self.frames.contains(&frame) {
            self.frames.push(frame);
        }
        if self.what.len() < 5 {
            self.what.push(what);
        }
    }
}

/// The TLS hook.
#[derive(Debug, Default)]
pub struct TlsHook {
    flows: HashMap<(SocketAddr, SocketAddr), Dir>,
    client_hellos: u64,
    server_hellos: u64,
    tls13_server_hellos: u64,
    gaps: u64,
    flows_dropped: u64,
    offered: Finding,
    chosen: Finding,
    cert_req: Finding,
    first_frames: Vec<u64>,
}

fn weak(code: u16) -> bool {
    let f = suites::flags(code);
    f.null || f.export || f.anon
}

impl TlsHook {
    /// Room for one more flow: forgets finished ones when full.
    fn room(&mut self) -> bool {
        if self.flows.len() >= MAX_FLOWS {
            self.flows.retain(|_, d| !d.done);
        }
        self.flows.len() < MAX_FLOWS
    }

    fn message(&mut self, key: (SocketAddr, SocketAddr), typ: u8, body: &[u8], frame: u64) {
        match HandshakeType::from_u8(typ) {
            Some(HandshakeType::ClientHello) => {
                let Ok(ch) = ClientHello::parse(body) else {
                    return;
                };
                self.client_hellos += 1;
                if self.first_frames.len() < MAX_FRAMES {
                    self.first_frames.push(frame);
                }
                let bad: Vec<String> = ch
                    .cipher_suites
                    .iter()
                    .filter(|c| weak(**c))
                    .map(|c| suites::name(*c))
                    .collect();
                if !bad.is_empty() {
                    self.offered.add(
                        frame,
                        format!("frame {frame}: {} -> {}: {}", key.0, key.1, bad.join(", ")),
                    );
                }
            }
            Some(HandshakeType::ServerHello) => {
                let Ok(sh) = ServerHello::parse(body) else {
                    return;
                };
                if sh.is_hello_retry() {
                    return;
                }
                self.server_hellos += 1;
                let v = sh.selected_version().unwrap_or(sh.legacy_version);
                if v >= crate::mech::tls::TLS1_3 {
                    self.tls13_server_hellos += 1;
                }
                if let Some(d) = self.flows.get_mut(&key) {
                    d.version = Some(v);
                }
                if weak(sh.cipher_suite) {
                    self.chosen.add(
                        frame,
                        format!(
                            "frame {frame}: {} chose {}",
                            key.0,
                            suites::name(sh.cipher_suite)
                        ),
                    );
                }
            }
            Some(HandshakeType::CertificateRequest) => {
                let v = self
                    .flows
                    .get(&key)
                    .and_then(|d| d.version)
                    .unwrap_or(crate::mech::tls::TLS1_2);
                if CertificateRequest::parse(body, v).is_ok() {
                    self.cert_req.add(
                        frame,
                        format!("frame {frame}: {} asked {} for a certificate", key.0, key.1),
                    );
                }
            }
            _ => {}
        }
    }

    /// Reads the complete records at the start of the direction's buffer.
    fn drain(&mut self, key: (SocketAddr, SocketAddr), frame: u64) {
        let mut msgs = Vec::new();
        if let Some(d) = self.flows.get_mut(&key) {
            loop {
                let (ct, frag, n) = match next_record(&d.buf) {
                    Ok(Some((r, n))) => (r.content_type(), r.fragment().to_vec(), n),
                    Ok(None) => break,
                    Err(_) => {
                        d.done = true;
                        break;
                    }
                };
                d.buf.drain(..n.min(d.buf.len()));
                match ct {
                    22 => {
                        if d.hs.push(&frag).is_err() {
                            d.done = true;
                            break;
                        }
                        while let Ok(Some(m)) = d.hs.next_message() {
                            msgs.push(m);
                        }
                    }
                    21 => {}
                    _ => {
                        d.done = true;
                        break;
                    }
                }
            }
            if d.done {
                d.buf = Vec::new();
            }
        }
        for m in msgs {
            self.message(key, m.msg_type, &m.body, frame);
        }
    }
}

impl PassiveHook for TlsHook {
    fn wants(&self, p: &Packet<'_>) -> bool {
        p.tcp
            && (self.flows.contains_key(&(p.src, p.dst)) || p.tcp_syn || looks_like_tls(p.payload))
    }

    fn packet(&mut self, p: &Packet<'_>) {
        let key = (p.src, p.dst);
        let Some(seq) = p.tcp_seq else {
            return;
        };
        if !self.flows.contains_key(&key) {
            if p.tcp_syn || !looks_like_tls(p.payload) {
                // Only TLS flows are followed; a SYN says where the stream starts.
                if p.tcp_syn && self.room() {
                    self.flows.insert(
                        key,
                        Dir {
                            next_seq: Some(seq.wrapping_add(1)),
                            ..Dir::default()
                        },
                    );
                }
                return;
            }
            if !self.room() {
                self.flows_dropped += 1;
                return;
            }
            self.flows.insert(key, Dir::default());
        }
        let Some(d) = self.flows.get_mut(&key) else {
            return;
        };
        if d.done || p.payload.is_empty() {
            return;
        }
        let next = d.next_seq.unwrap_or(seq);
        // Offset of the segment from the next expected octet (wrapping, RFC 9293 §3.4).
        let ahead = seq.wrapping_sub(next) as i32;
        let data = if ahead > 0 {
            self.gaps += 1;
            d.done = true;
            d.buf = Vec::new();
            return;
        } else {
            let skip = ahead.unsigned_abs() as usize;
            match p.payload.get(skip..) {
                Some(x) if !x.is_empty() => x,
                _ => return,
            }
        };
        if d.buf.len() + data.len() > MAX_BUF {
            d.done = true;
            d.buf = Vec::new();
            return;
        }
        // A stream that was first seen mid-way must start with a record.
        if d.next_seq.is_none() && d.buf.is_empty() && !looks_like_tls(data) {
            d.done = true;
            return;
        }
        d.buf.extend_from_slice(data);
        d.next_seq = Some(next.wrapping_add(data.len() as u32));
        if d.buf.first().is_some_and(|b| !(20..=23).contains(b)) {
            // A SYN-tracked flow that is not TLS.
            d.done = true;
            d.buf = Vec::new();
            return;
        }
        self.drain(key, p.frame);
    }

    fn finish(&mut self) -> Vec<Outcome> {
        let seen = format!(
            "{} ClientHello(s), {} ServerHello(s) ({} TLS 1.3){}",
            self.client_hellos,
            self.server_hellos,
            self.tls13_server_hellos,
            if self.gaps > 0 {
                format!("; {} direction(s) with a gap not followed", self.gaps)
            } else {
                String::new()
            }
        );
        let judge = |id: &'static str, f: &Finding, n: u64, fail: &str, pass: &str| {
            if f.count > 0 {
                Outcome {
                    id,
                    verdict: Verdict::Fail,
                    summary: format!("{fail}: {}; {seen}", f.what.join("; ")),
                    frames: f.frames.clone(),
                }
            } else if n == 0 {
                Outcome {
                    id,
                    verdict: Verdict::NotApplicable,
                    summary: format!("no TLS handshake of this kind seen; {seen}"),
                    frames: vec![],
                }
            } else {
                Outcome {
                    id,
                    verdict: Verdict::Pass,
                    summary: format!("{pass}; {seen}"),
                    frames: vec![],
                }
            }
        };
        let mut v = vec![
            judge(
                OFFERED,
                &self.offered,
                self.client_hellos,
                "a ClientHello offers null, export or anonymous cipher suites (TS 33.203 Annex O)",
                "no ClientHello offers a null, export or anonymous suite",
            ),
            judge(
                CHOSEN,
                &self.chosen,
                self.server_hellos,
                "a ServerHello chose a null, export or anonymous cipher suite (TS 33.203 Annex O)",
                "no ServerHello chose a null, export or anonymous suite",
            ),
        ];
        let tls12 = self.server_hellos - self.tls13_server_hellos.min(self.server_hellos);
        v.push(if self.cert_req.count == 0 && self.server_hellos > 0 && tls12 == 0 {
            Outcome {
                id: CERT_REQ,
                verdict: Verdict::Inconclusive,
                summary: format!("every handshake is TLS 1.3: a CertificateRequest would be encrypted; {seen}"),
                frames: vec![],
            }
        } else {
            judge(
                CERT_REQ,
                &self.cert_req,
                tls12,
                "the server requested a client certificate (TS 33.203 Annex O: the UE is authenticated by IMS AKA)",
                "no CertificateRequest in the TLS 1.2 (or older) handshakes",
            )
        });
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mech::tls::{ContentType, RecordRepr};

    fn pkt(frame: u64, seq: u32, syn: bool, payload: &[u8]) -> Packet<'_> {
        Packet {
            frame,
            ts_ns: 0,
            src: "192.0.2.1:40000".parse().unwrap(),
            dst: "192.0.2.2:5061".parse().unwrap(),
            tcp: true,
            tcp_seq: Some(seq),
            tcp_syn: syn,
            payload,
        }
    }

    /// A ClientHello offering TLS_RSA_WITH_NULL_SHA256 (0x003b, IANA registry) split over
    /// three segments, the middle one retransmitted, found in the segment that completes it.
    #[test]
    fn client_hello_over_segments_with_retransmission() {
        let ch = ClientHello {
            legacy_version: 0x0303,
            random: [7; 32],
            session_id: vec![],
            cipher_suites: vec![0xc02f, 0x003b],
            compression_methods: vec![0],
            extensions: None,
        };
        let rec = RecordRepr {
            content_type: ContentType::Handshake,
            version: 0x0301,
            fragment: ch.emit(),
        }
        .emit();
        let (a, rest) = rec.split_at(10);
        let (b, c) = rest.split_at(20);
        let mut h = TlsHook::default();
        let isn = 1000u32;
        let mut feed = |p: Packet<'_>| {
            if h.wants(&p) {
                h.packet(&p);
            }
        };
        feed(pkt(1, isn, true, &[]));
        feed(pkt(2, isn + 1, false, a));
        feed(pkt(3, isn + 11, false, b));
        feed(pkt(4, isn + 11, false, b));
        feed(pkt(5, isn + 31, false, c));
        let o = h.finish();
        let off = o.iter().find(|x| x.id == OFFERED).unwrap();
        assert_eq!((off.verdict, off.frames.clone()), (Verdict::Fail, vec![5]));
        assert!(
            off.summary.contains("TLS_RSA_WITH_NULL_SHA256"),
            "{}",
            off.summary
        );
        assert_eq!(h.client_hellos, 1);
    }

    /// A gap (a lost segment) ends the analysis of that direction: nothing is invented.
    #[test]
    fn gap_stops_the_direction() {
        let mut h = TlsHook::default();
        let hdr = [22u8, 3, 1, 0, 60];
        h.packet(&pkt(1, 5, false, &hdr));
        h.packet(&pkt(2, 100, false, &[1u8; 60]));
        assert_eq!((h.gaps, h.client_hellos), (1, 0));
    }

    #[test]
    fn nothing_seen_is_not_applicable() {
        let mut h = TlsHook::default();
        assert!(h
            .finish()
            .iter()
            .all(|o| o.verdict == Verdict::NotApplicable));
    }
}
