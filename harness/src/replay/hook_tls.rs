//! Passive TLS verdicts (TS 33.203 Annex O, seed 004; issue #7) and, with a key log, record
//! decryption. Per TCP flow direction the records are reassembled:
//! - `tls_no_null_offered`: a ClientHello offering a null, export or anonymous suite fails;
//! - `tls_no_null_chosen`: a ServerHello choosing one fails;
//! - `tls_no_client_certificate_request`: a CertificateRequest from the server (the
//!   P-CSCF; Annex O has the UE authenticated by IMS AKA, not by a client certificate) fails.
//!   Up to TLS 1.2 it travels in clear; in TLS 1.3 it is read when the key log opens the
//!   server's encrypted handshake flight (a TLS 1.3 handshake whose flight was not read
//!   cannot pass the check).
//!
//! With a key log ([`TlsKeyLog`], `--tls-keylog`) the connection's record keys follow from
//! the client random of the ClientHello and the suite of the ServerHello
//! ([`crate::mech::tls::record_crypto`]): TLS 1.2 records after each side's
//! ChangeCipherSpec (RFC 5246 §7.1), TLS 1.3 records after the ServerHello with the
//! handshake traffic secrets, then the application traffic secrets (RFC 8446 §7.3; the switch
//! is found by trial: the first record the handshake keys do not open must open with the
//! application keys). Decrypted application data is framed as SIP (RFC 3261 §18.3) and
//! handed back to replay ([`TlsHook::take_sip`]); counts per connection go to the report's
//! `tls` section. Not covered: TLS 1.3 KeyUpdate and 0-RTT early data (those records count
//! as failed), renegotiation.
//!
//! The segments of a direction are joined by TCP sequence number: retransmitted octets are
//! skipped, a gap ends the analysis of that direction (counted, said in the summary).

use super::hooks::{looks_like_tls, Packet, PassiveHook};
use super::keys::TlsKeyLog;
use super::verdicts::Outcome;
use crate::engine::model::Verdict;
use crate::mech::sip::{SipMessage, StreamFramer};
use crate::mech::tls::record::next_record;
use crate::mech::tls::record_crypto::{RecordOpener, SuiteSpec, Writer};
use crate::mech::tls::server::CertificateRequest;
use crate::mech::tls::{suites, ClientHello, HandshakeBuffer, HandshakeType, ServerHello};
use serde::Serialize;
use std::collections::HashMap;
use std::net::SocketAddr;

pub const OFFERED: &str = "tls_no_null_offered";
pub const CHOSEN: &str = "tls_no_null_chosen";
pub const CERT_REQ: &str = "tls_no_client_certificate_request";
const MAX_FLOWS: usize = 4096;
const MAX_BUF: usize = 64 * 1024;
const MAX_FRAMES: usize = 50;
/// Connections listed in the report's `tls` section.
const MAX_CONNS: usize = 1024;
/// Unframed SIP octets held per decrypted direction.
const MAX_SIP_UNFRAMED: usize = 64 * 1024;
/// `encrypt_then_mac` extension (RFC 7366 §2).
const EXT_ETM: u16 = 22;

/// One TLS connection in the report (`tls.connections[]`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct TlsConn {
    pub client: String,
    pub server: String,
    /// Frame of the ClientHello.
    pub first_frame: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suite: Option<String>,
    /// `found`, `missing` (no key log line for the client random), `unsupported` (suite not
    /// decryptable), `no-keylog` (none given), or `none` (no ServerHello seen).
    pub keys: &'static str,
    pub records_decrypted: u64,
    pub records_failed: u64,
    pub application_data_octets: u64,
    pub sip_messages: u64,
}

/// The report's `tls` section.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TlsSection {
    /// Sessions (client randoms) in the key log, when one was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keylog_sessions: Option<usize>,
    pub records_decrypted: u64,
    pub records_failed: u64,
    pub connections: Vec<TlsConn>,
    pub connections_not_listed: u64,
}

#[derive(Debug, Default)]
struct Dir {
    next_seq: Option<u32>,
    buf: Vec<u8>,
    hs: HandshakeBuffer,
    /// Nothing more is read from this direction (error, gap, encrypted without keys).
    done: bool,
    /// The TLS version the ServerHello selected (server direction).
    version: Option<u16>,
    /// The direction of a ClientHello: its random and whether it offered encrypt-then-MAC.
    client_random: Option<[u8; 32]>,
    etm_offered: bool,
    /// This direction carries the server's records.
    server: bool,
    /// Record keys (waiting for ChangeCipherSpec in TLS 1.2, or active).
    opener: Option<RecordOpener>,
    /// TLS 1.3: the application traffic keys that follow the handshake keys.
    next13: Option<RecordOpener>,
    /// Records are protected now.
    encrypted: bool,
    /// Index into the connection list.
    conn: Option<usize>,
    framer: Option<StreamFramer>,
    resync: bool,
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
    keylog: Option<TlsKeyLog>,
    client_hellos: u64,
    server_hellos: u64,
    tls13_server_hellos: u64,
    /// TLS 1.3 handshakes whose encrypted server flight was read up to its Finished.
    tls13_flights_read: u64,
    gaps: u64,
    flows_dropped: u64,
    offered: Finding,
    chosen: Finding,
    cert_req: Finding,
    first_frames: Vec<u64>,
    conns: Vec<TlsConn>,
    conns_not_listed: u64,
    records_decrypted: u64,
    records_failed: u64,
    /// SIP messages framed out of decrypted application data, not yet taken.
    sip_out: Vec<(SocketAddr, SocketAddr, SipMessage)>,
}

fn weak(code: u16) -> bool {
    let f = suites::flags(code);
    f.null || f.export || f.anon
}

fn rev(k: (SocketAddr, SocketAddr)) -> (SocketAddr, SocketAddr) {
    (k.1, k.0)
}

impl TlsHook {
    /// A hook that decrypts with this key log (`None`: handshake verdicts only).
    pub fn new(keylog: Option<TlsKeyLog>) -> TlsHook {
        TlsHook {
            keylog,
            ..TlsHook::default()
        }
    }

    /// SIP messages decrypted since the last call: (source, destination, message).
    pub fn take_sip(&mut self) -> Vec<(SocketAddr, SocketAddr, SipMessage)> {
        std::mem::take(&mut self.sip_out)
    }

    /// The report section (`None` without key log and without any TLS connection).
    pub fn section(&self) -> Option<TlsSection> {
        if self.keylog.is_none() && self.conns.is_empty() && self.conns_not_listed == 0 {
            return None;
        }
        Some(TlsSection {
            keylog_sessions: self.keylog.as_ref().map(|k| k.sessions.len()),
            records_decrypted: self.records_decrypted,
            records_failed: self.records_failed,
            connections: self.conns.clone(),
            connections_not_listed: self.conns_not_listed,
        })
    }

    /// Room for one more flow: forgets finished ones when full.
    fn room(&mut self) -> bool {
        if self.flows.len() >= MAX_FLOWS {
            self.flows.retain(|_, d| !d.done);
        }
        self.flows.len() < MAX_FLOWS
    }

    fn conn_mut(&mut self, key: (SocketAddr, SocketAddr)) -> Option<&mut TlsConn> {
        let i = self.flows.get(&key)?.conn?;
        self.conns.get_mut(i)
    }

    fn client_hello(&mut self, key: (SocketAddr, SocketAddr), ch: &ClientHello, frame: u64) {
        let conn = if self.conns.len() < MAX_CONNS {
            self.conns.push(TlsConn {
                client: key.0.to_string(),
                server: key.1.to_string(),
                first_frame: frame,
                keys: "none",
                ..TlsConn::default()
            });
            Some(self.conns.len() - 1)
        } else {
            self.conns_not_listed += 1;
            None
        };
        if let Some(d) = self.flows.get_mut(&key) {
            // A second ClientHello after a HelloRetryRequest keeps its connection.
            if d.client_random.is_none() || d.client_random != Some(ch.random) {
                d.conn = conn;
            } else if conn.is_some() {
                self.conns.pop();
            }
            d.client_random = Some(ch.random);
            d.etm_offered = ch
                .extensions
                .as_ref()
                .is_some_and(|e| e.iter().any(|x| x.typ == EXT_ETM));
        }
    }

    /// Keys for both directions once the ServerHello names the suite.
    fn server_hello(&mut self, key: (SocketAddr, SocketAddr), sh: &ServerHello, version: u16) {
        let ckey = rev(key);
        let (cr, etm_offered, conn) = match self.flows.get(&ckey) {
            Some(c) => (c.client_random, c.etm_offered, c.conn),
            None => (None, false, None),
        };
        if let Some(d) = self.flows.get_mut(&key) {
            d.server = true;
            d.version = Some(version);
            d.conn = conn;
        }
        if let Some(d) = self.flows.get_mut(&ckey) {
            d.version = Some(version);
        }
        if let Some(c) = self.conn_mut(key) {
            c.version = Some(crate::mech::tls::version_name(version));
            c.suite = Some(suites::name(sh.cipher_suite));
        }
        let Some(kl) = self.keylog.as_ref() else {
            if let Some(c) = self.conn_mut(key) {
                c.keys = "no-keylog";
            }
            return;
        };
        let secrets = cr.and_then(|r| kl.sessions.get(&r));
        let spec = SuiteSpec::of(sh.cipher_suite);
        let tls13 = version >= crate::mech::tls::TLS1_3;
        let etm = etm_offered && sh.extensions.iter().any(|x| x.typ == EXT_ETM);
        let openers = match (cr, secrets, &spec) {
            (Some(cr), Some(s), Ok(spec)) if !tls13 => s.master.as_ref().and_then(|m| {
                let c = RecordOpener::tls12(*spec, m, &cr, &sh.random, Writer::Client, etm);
                let v = RecordOpener::tls12(*spec, m, &cr, &sh.random, Writer::Server, etm);
                Some(((c.ok()?, None), (v.ok()?, None)))
            }),
            (Some(_), Some(s), Ok(spec)) => {
                let o = |x: &Option<Vec<u8>>| {
                    x.as_ref().and_then(|x| RecordOpener::tls13(*spec, x).ok())
                };
                match (o(&s.client_handshake), o(&s.server_handshake)) {
                    (Some(c), Some(v)) => {
                        Some(((c, o(&s.client_traffic0)), (v, o(&s.server_traffic0))))
                    }
                    _ => None,
                }
            }
            _ => None,
        };
        let status = match (&spec, &openers) {
            (_, Some(_)) => "found",
            (Err(_), None) => "unsupported",
            _ => "missing",
        };
        if let Some(c) = self.conn_mut(key) {
            c.keys = status;
        }
        let Some(((c, cn), (v, vn))) = openers else {
            return;
        };
        for (k, o, n) in [(key, v, vn), (ckey, c, cn)] {
            if let Some(d) = self.flows.get_mut(&k) {
                d.opener = Some(o);
                d.next13 = n;
                // TLS 1.3: everything after the ServerHello is protected (§5.1, §2).
                d.encrypted = tls13;
            } else if tls13 && self.room() {
                // The client has not sent a segment since its ClientHello direction was
                // created under another key: nothing to attach to yet.
                self.flows.insert(
                    k,
                    Dir {
                        opener: Some(o),
                        next13: n,
                        encrypted: true,
                        conn,
                        ..Dir::default()
                    },
                );
            }
        }
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
                self.client_hello(key, &ch, frame);
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
                self.server_hello(key, &sh, v);
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
            Some(HandshakeType::Finished) => {
                // The server's Finished in TLS 1.3 ends the encrypted flight (§4.4.4): its
                // CertificateRequest, if any, has been read.
                if let Some(d) = self.flows.get(&key) {
                    if d.server
                        && d.encrypted
                        && d.version.is_some_and(|v| v >= crate::mech::tls::TLS1_3)
                    {
                        self.tls13_flights_read += 1;
                    }
                }
            }
            _ => {}
        }
    }

    /// Decrypted application data of a direction: framed as SIP.
    fn app_data(&mut self, key: (SocketAddr, SocketAddr), data: &[u8]) {
        let Some(d) = self.flows.get_mut(&key) else {
            return;
        };
        let f = d
            .framer
            .get_or_insert_with(|| StreamFramer::with_limit(MAX_SIP_UNFRAMED));
        f.push(data);
        let mut n = 0u64;
        loop {
            if d.resync {
                if !f.resync() {
                    break;
                }
                d.resync = false;
            }
            match f.next_message() {
                Ok(Some(m)) => {
                    n += 1;
                    self.sip_out.push((key.0, key.1, m));
                }
                Ok(None) => break,
                Err(_) => {
                    f.skip_line();
                    d.resync = true;
                }
            }
        }
        if let Some(c) = self.conn_mut(key) {
            c.application_data_octets += data.len() as u64;
            c.sip_messages += n;
        }
    }

    /// Opens one protected record of a direction; TLS 1.3 switches from the handshake to the
    /// application keys when only those open it.
    fn open(
        &mut self,
        key: (SocketAddr, SocketAddr),
        ct: u8,
        ver: u16,
        frag: &[u8],
    ) -> Option<(u8, Vec<u8>)> {
        let d = self.flows.get_mut(&key)?;
        let o = d.opener.as_mut()?;
        let r = match o.open(ct, ver, frag) {
            Ok(x) => Some(x),
            Err(_) => match d.next13.take() {
                Some(mut n) => match n.open(ct, ver, frag) {
                    Ok(x) => {
                        d.opener = Some(n);
                        Some(x)
                    }
                    Err(_) => {
                        d.next13 = Some(n);
                        None
                    }
                },
                None => None,
            },
        };
        let ok = r.is_some();
        if ok {
            self.records_decrypted += 1;
        } else {
            self.records_failed += 1;
        }
        if let Some(c) = self.conn_mut(key) {
            if ok {
                c.records_decrypted += 1;
            } else {
                c.records_failed += 1;
            }
        }
        r
    }

    /// Reads the complete records at the start of the direction's buffer.
    fn drain(&mut self, key: (SocketAddr, SocketAddr), frame: u64) {
        loop {
            let Some(d) = self.flows.get_mut(&key) else {
                return;
            };
            if d.done {
                d.buf = Vec::new();
                return;
            }
            let (ct, ver, frag, n) = match next_record(&d.buf) {
                Ok(Some((r, n))) => (r.content_type(), r.version(), r.fragment().to_vec(), n),
                Ok(None) => return,
                Err(_) => {
                    d.done = true;
                    continue;
                }
            };
            d.buf.drain(..n.min(d.buf.len()));
            let tls13 =
                d.version.is_some_and(|v| v >= crate::mech::tls::TLS1_3) || d.next13.is_some();
            // TLS 1.3 protects only records of outer type application_data (§5.2); TLS 1.2
            // everything after ChangeCipherSpec.
            let protected = d.encrypted && (!tls13 || ct == 23);
            let (ct, frag) = if protected {
                match self.open(key, ct, ver, &frag) {
                    Some(x) => x,
                    None => continue,
                }
            } else {
                (ct, frag)
            };
            let Some(d) = self.flows.get_mut(&key) else {
                return;
            };
            let mut msgs = Vec::new();
            match ct {
                22 => {
                    if d.hs.push(&frag).is_err() {
                        if d.opener.is_none() {
                            d.done = true;
                        }
                        continue;
                    }
                    while let Ok(Some(m)) = d.hs.next_message() {
                        msgs.push(m);
                    }
                }
                21 => {}
                20 => {
                    if d.opener.is_some() && !tls13 {
                        d.encrypted = true;
                    } else if d.opener.is_none() {
                        // No keys: the rest is encrypted.
                        d.done = true;
                    }
                }
                23 if protected => {
                    self.app_data(key, &frag);
                }
                _ => d.done = true,
            }
            for m in msgs {
                self.message(key, m.msg_type, &m.body, frame);
            }
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

    fn warnings(&self) -> Vec<String> {
        let mut w = Vec::new();
        if self.keylog.is_some() {
            let missing = self.conns.iter().filter(|c| c.keys == "missing").count();
            if missing > 0 {
                w.push(format!(
                    "TLS: {missing} connection(s) without a key log line for their client random"
                ));
            }
            if self.records_failed > 0 {
                w.push(format!(
                    "TLS: {} record(s) did not open with the key log's secrets",
                    self.records_failed
                ));
            }
        }
        w
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
        let visible = tls12 + self.tls13_flights_read.min(self.tls13_server_hellos);
        v.push(if self.cert_req.count == 0 && self.server_hellos > 0 && visible == 0 {
            Outcome {
                id: CERT_REQ,
                verdict: Verdict::Inconclusive,
                summary: format!("every handshake is TLS 1.3 and none was decrypted: a CertificateRequest would be encrypted; {seen}"),
                frames: vec![],
            }
        } else {
            judge(
                CERT_REQ,
                &self.cert_req,
                visible,
                "the server requested a client certificate (TS 33.203 Annex O: the UE is authenticated by IMS AKA)",
                if self.tls13_flights_read > 0 {
                    "no CertificateRequest in the TLS 1.2 handshakes or the decrypted TLS 1.3 flights"
                } else {
                    "no CertificateRequest in the TLS 1.2 (or older) handshakes"
                },
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
