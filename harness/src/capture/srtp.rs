//! Verifying and decrypting the SRTP/SRTCP streams of a capture with SDES keys
//! (`imsec srtp decrypt`).
//!
//! Every UDP datagram whose payload looks like RTP version 2 is taken as SRTP, or as SRTCP
//! when its second octet is 192..=223 (RFC 5761 §4). A stream is one direction of a UDP
//! flow and one SSRC, SRTP and SRTCP apart. A new stream is bound to the first key (in the
//! order given) that authenticates one of its packets; until then its packets count as
//! `auth_failed`. Each stream has its own cryptographic context (RFC 3711 §3.2.3), so ROC,
//! replay list and SRTCP index are per stream. Outcomes per packet: `accepted`,
//! `auth_failed`, `replayed`, `malformed` (too short, MKI unknown, E=0 on an encrypting
//! session, ...).

use super::classify::parse_ip;
use crate::mech::sdp::CryptoAttr;
use crate::mech::srtp::{self, MasterKey, Options, Session, SrtpError, Suite};
use crate::wire::udp;
use std::net::SocketAddr;

/// One SDES key to try.
#[derive(Debug, Clone)]
pub struct SdesKey {
    pub suite: Suite,
    pub keys: Vec<MasterKey>,
    pub opts: Options,
}

impl SdesKey {
    /// From `inline:<key||salt>[|lifetime][|MKI:len]` with `suite`, or a whole crypto
    /// attribute value (`[a=crypto:]<tag> <suite> inline:...`), which names its own suite.
    pub fn parse(text: &str, suite: Suite) -> Result<SdesKey, String> {
        let t = text.trim();
        let attr = if t.starts_with("inline:") {
            CryptoAttr::parse(&format!("1 {} {t}", suite.name()))?
        } else {
            CryptoAttr::parse(t.strip_prefix("a=crypto:").unwrap_or(t))?
        };
        let (suite, keys, opts) = attr.srtp_params()?;
        Ok(SdesKey { suite, keys, opts })
    }

    fn session(&self) -> Result<Session, SrtpError> {
        Session::with_keys(self.suite, self.keys.clone(), self.opts)
    }
}

/// Per-stream counters (the `streams` entries of the JSON report).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct StreamReport {
    pub src: String,
    pub dst: String,
    pub ssrc: String,
    /// `srtp` or `srtcp`.
    pub kind: &'static str,
    pub packets: u64,
    pub accepted: u64,
    pub auth_failed: u64,
    pub replayed: u64,
    pub malformed: u64,
    /// Index of the `--sdes` key that authenticated the stream.
    pub key: Option<usize>,
    /// Suite of that key.
    pub suite: Option<String>,
    /// Highest ROC seen (SRTP) or highest SRTCP index (SRTCP).
    pub last_roc_or_index: Option<u64>,
}

/// The whole report.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    pub streams: Vec<StreamReport>,
    /// UDP datagrams that are not RTP version 2, and non-UDP IP packets.
    pub not_rtp: u64,
}

/// What happened to one packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Authenticated and decrypted: the plain RTP/RTCP packet.
    Accepted {
        stream: usize,
        plain: Vec<u8>,
    },
    AuthFailed {
        stream: usize,
    },
    Replayed {
        stream: usize,
    },
    Malformed {
        stream: usize,
        why: String,
    },
    NotRtp,
}

struct Stream {
    key: (SocketAddr, SocketAddr, u32, bool),
    session: Option<Session>,
}

/// Streams and their contexts across a capture.
pub struct Decryptor {
    keys: Vec<SdesKey>,
    streams: Vec<Stream>,
    report: Report,
}

impl Decryptor {
    pub fn new(keys: Vec<SdesKey>) -> Decryptor {
        Decryptor {
            keys,
            streams: Vec::new(),
            report: Report::default(),
        }
    }

    pub fn report(&self) -> &Report {
        &self.report
    }

    /// Adds a key to try on streams not bound yet (e.g. an `a=crypto` seen later in SDP).
    pub fn add_key(&mut self, k: SdesKey) {
        self.keys.push(k);
    }

    /// Number of keys to try.
    pub fn key_count(&self) -> usize {
        self.keys.len()
    }

    /// Processes one IP packet (after the link layer).
    pub fn process(&mut self, l3: &[u8]) -> Outcome {
        let Ok(ip) = parse_ip(l3) else {
            self.report.not_rtp += 1;
            return Outcome::NotRtp;
        };
        if ip.protocol != super::classify::PROTO_UDP || ip.fragment {
            self.report.not_rtp += 1;
            return Outcome::NotRtp;
        }
        let Ok(u) = udp::Packet::new_checked(ip.payload) else {
            self.report.not_rtp += 1;
            return Outcome::NotRtp;
        };
        let src = SocketAddr::new(ip.src, u.src_port());
        let dst = SocketAddr::new(ip.dst, u.dst_port());
        self.process_udp(src, dst, u.payload())
    }

    /// Processes one UDP payload from `src` to `dst`.
    pub fn process_udp(&mut self, src: SocketAddr, dst: SocketAddr, data: &[u8]) -> Outcome {
        let rtcp = srtp::looks_like_rtcp(data);
        let ssrc = if rtcp {
            srtp::RtcpPacket::new_checked(data).map(|p| p.ssrc())
        } else {
            srtp::RtpPacket::new_checked(data).map(|p| p.ssrc())
        };
        let Ok(ssrc) = ssrc else {
            self.report.not_rtp += 1;
            return Outcome::NotRtp;
        };
        let key = (src, dst, ssrc, rtcp);
        let idx = match self.streams.iter().position(|s| s.key == key) {
            Some(i) => i,
            None => {
                self.streams.push(Stream { key, session: None });
                self.report.streams.push(StreamReport {
                    src: fmt_addr(src),
                    dst: fmt_addr(dst),
                    ssrc: format!("{ssrc:#010x}"),
                    kind: if rtcp { "srtcp" } else { "srtp" },
                    ..StreamReport::default()
                });
                self.streams.len() - 1
            }
        };
        let data = data.to_vec();
        let outcome = self.open(idx, data, rtcp);
        if let Some(r) = self.report.streams.get_mut(idx) {
            r.packets += 1;
            match &outcome {
                Outcome::Accepted { .. } => r.accepted += 1,
                Outcome::AuthFailed { .. } => r.auth_failed += 1,
                Outcome::Replayed { .. } => r.replayed += 1,
                Outcome::Malformed { .. } => r.malformed += 1,
                Outcome::NotRtp => {}
            }
        }
        outcome
    }

    fn open(&mut self, stream: usize, data: Vec<u8>, rtcp: bool) -> Outcome {
        let Some(st) = self.streams.get_mut(stream) else {
            return Outcome::NotRtp;
        };
        let run = |s: &mut Session, buf: &mut Vec<u8>| -> Result<(usize, u64), SrtpError> {
            if rtcp {
                s.unprotect_rtcp(buf).map(|o| (o.len, u64::from(o.index)))
            } else {
                s.unprotect(buf).map(|o| (o.len, u64::from(o.roc)))
            }
        };
        let classify = |e: SrtpError| match e {
            SrtpError::AuthFailed => Outcome::AuthFailed { stream },
            SrtpError::Replay(_) => Outcome::Replayed { stream },
            other => Outcome::Malformed {
                stream,
                why: other.to_string(),
            },
        };
        if let Some(s) = st.session.as_mut() {
            let mut buf = data;
            return match run(s, &mut buf) {
                Ok((n, roc)) => {
                    buf.truncate(n);
                    if let Some(r) = self.report.streams.get_mut(stream) {
                        r.last_roc_or_index = Some(r.last_roc_or_index.unwrap_or(0).max(roc));
                    }
                    Outcome::Accepted { stream, plain: buf }
                }
                Err(e) => classify(e),
            };
        }
        // Unbound stream: the first key that authenticates this packet wins.
        let mut last_err = SrtpError::AuthFailed;
        for (k, key) in self.keys.iter().enumerate() {
            let Ok(mut s) = key.session() else { continue };
            let mut buf = data.clone();
            match run(&mut s, &mut buf) {
                Ok((n, roc)) => {
                    buf.truncate(n);
                    st.session = Some(s);
                    if let Some(r) = self.report.streams.get_mut(stream) {
                        r.key = Some(k);
                        r.suite = Some(key.suite.name().to_string());
                        r.last_roc_or_index = Some(roc);
                    }
                    return Outcome::Accepted { stream, plain: buf };
                }
                Err(SrtpError::AuthFailed) => {}
                Err(e) => last_err = e,
            }
        }
        classify(last_err)
    }
}

/// `addr:port`, IPv6 in brackets.
fn fmt_addr(a: SocketAddr) -> String {
    a.to_string()
}
