//! Gm protection at one end (UE or P-CSCF): the ESP SAs of the registrations it holds, and
//! how SIP rides on them (TS 33.203 §7, Annex M; RFC 4303; RFC 3948).
//!
//! - Transport mode (`mod=trans`): ESP directly in IP (protocol 50), payload = the UDP
//!   segment (Next Header 17) between the protected ports. The edge uses raw IP sockets.
//! - UDP-encapsulated tunnel mode (`mod=UDP-enc-tun`): ESP in UDP between the encapsulation
//!   ports, payload = an inner IP packet (Next Header 4/41) carrying the UDP segment.
//!
//! Inbound processing follows RFC 4303 §3.4: SA look-up by SPI (and destination), the
//! anti-replay check *before* the ICV, ICV and decryption, the window update *after* it, then
//! the inbound selector check of RFC 4301 §5.2 (the inner ports and addresses must be the
//! SA's). Every step can be switched off by a [`GmPolicy`] flag: the flawed variants of the
//! built-in P-CSCF use that, so each check of the catalogue has a SUT it must catch.

use super::stream::Streams;
use super::RandSource;
use crate::mech::esp::encap::{self, Inner, UdpKind};
use crate::mech::esp::replay::{ReplayError, ReplayWindow, DEFAULT_WINDOW};
use crate::mech::esp::saset::{Direction, Mode, SaParams, SaSet};
use crate::mech::esp::{EspError, SaCrypto, SealParams, NH_DUMMY, NH_IPV4, NH_IPV6, NH_UDP};
use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};

/// IP protocol number of TCP (SIP over TCP inside the SAs, see [`super::stream`]).
pub const NH_TCP: u8 = 6;

/// One unit on the wire, as the edges deliver and take it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wire {
    /// A UDP datagram on a bound socket.
    Udp {
        local: SocketAddr,
        peer: SocketAddr,
        payload: Vec<u8>,
    },
    /// A whole IP packet (raw socket, ESP transport mode).
    Ip { packet: Vec<u8> },
    /// One complete SIP message on the TCP connection `local`↔`peer` (plain SIP over TCP,
    /// RFC 3261 §18; the edge frames the stream and opens connections on demand).
    Tcp {
        local: SocketAddr,
        peer: SocketAddr,
        payload: Vec<u8>,
    },
    /// One complete SIP message on the TLS session over the TCP connection `local`↔`peer`
    /// (RFC 3261 §26.2.1; TS 33.203 Annex O). The net edge terminates TLS (handshake,
    /// certificates, records) and frames the plaintext; the roles see only which connection a
    /// message came on and that it was inside TLS. An upgraded connection (TLS started on a
    /// plain TCP connection, seed 004) keeps its `local`/`peer`: its plain messages came as
    /// [`Wire::Tcp`], the ones after the handshake come as `Tls`. An empty `payload` from a
    /// server edge says the TLS session on that connection ended (a SIP message is never
    /// empty); roles bind state to a session, not to addresses that a new connection may reuse.
    Tls {
        local: SocketAddr,
        peer: SocketAddr,
        payload: Vec<u8>,
    },
}

/// Which end this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Ue,
    Pcscf,
}

impl Side {
    fn inbound(self) -> Direction {
        match self {
            Side::Ue => Direction::PcscfToUe,
            Side::Pcscf => Direction::UeToPcscf,
        }
    }
}

/// Receive-side rules. The defaults are the conformant ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GmPolicy {
    /// Anti-replay window size (None: anti-replay off — TS 33.203 M.6.3 requires it on).
    pub replay_window: Option<u32>,
    /// Inbound selector check (RFC 4301 §5.2).
    pub check_selectors: bool,
}

impl Default for GmPolicy {
    fn default() -> Self {
        GmPolicy {
            replay_window: Some(DEFAULT_WINDOW),
            check_selectors: true,
        }
    }
}

/// Options for one outbound packet (the UE role's deviations use them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SealOpts {
    /// Send a dummy packet (Next Header 59, empty payload) instead of the payload.
    pub dummy: bool,
    /// Use this sequence number instead of the next one (replays, left-of-window packets).
    pub seq: Option<u32>,
    /// Put this inner source port in the packet although the SA's selector says otherwise
    /// (a request from a port that has no SA).
    pub inner_sport: Option<u16>,
}

/// Runtime state of one SA.
struct SaRuntime {
    params: SaParams,
    crypto: SaCrypto,
    window: Option<ReplayWindow>,
    /// Last sequence number sent (outbound SAs); the first packet carries 1 (RFC 4303 §3.3.3).
    sent: u32,
}

/// An installed SA set.
struct Installed {
    id: u64,
    sas: Vec<SaRuntime>,
}

/// A protected SIP payload that passed every inbound check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    pub set_id: u64,
    /// Row of the TS 33.203 §7.1 table (1..=4).
    pub sa_index: u8,
    pub spi: u32,
    pub seq: u32,
    /// Inner source and destination (addresses and protected ports).
    pub src: SocketAddr,
    pub dst: SocketAddr,
    /// The UDP payload (a SIP message), empty for a dummy packet.
    pub payload: Vec<u8>,
    /// Next Header 59: a dummy packet (TS 33.203 M.6.2 forbids sending them).
    pub dummy: bool,
    /// Outer peer of a UDP-encapsulated packet (where answers go, NAT-mapped).
    pub outer_peer: Option<SocketAddr>,
    /// Framed from a TCP connection inside the SAs (answers go back on it).
    pub tcp: bool,
}

/// Why an inbound packet was dropped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Drop {
    #[error("not ESP: {0}")]
    NotEsp(String),
    #[error("NAT keep-alive")]
    Keepalive,
    #[error("no SA for SPI 0x{spi:08x}")]
    NoSa { spi: u32 },
    #[error("replay: {0}")]
    Replay(ReplayError),
    #[error("ESP: {0}")]
    Esp(EspError),
    #[error("inner packet: {0}")]
    Inner(String),
    #[error("selector mismatch: inner {got} is not SA #{sa} ({want})")]
    Selector { sa: u8, got: String, want: String },
    /// A TCP segment that passed every check but completed no SIP message (a handshake
    /// segment, an ACK, part of a message): not a drop.
    #[error("TCP segment, no complete SIP message yet")]
    NoMessage,
}

/// The SAs one end holds.
pub struct Gm {
    /// Verify the ICV of inbound packets (false only in the `no-icv-check` flawed variant).
    pub verify_icv: bool,
    side: Side,
    policy: GmPolicy,
    sets: Vec<Installed>,
    next_id: u64,
    rand: RandSource,
    plain: Vec<u8>,
    esp: Vec<u8>,
    /// SIP over TCP inside the SAs.
    streams: Streams,
    /// Packets the TCP stack produced outside a `seal` call (ACKs, data queued while a
    /// connection opened, retransmissions): the role sends them.
    outbox: Vec<Wire>,
    /// SIP messages framed from TCP beyond the one `open` returned.
    inbox: VecDeque<Delivered>,
}

fn crypto_of(p: &SaParams) -> Result<SaCrypto, EspError> {
    SaCrypto::new(p.alg, p.ealg, &p.integ_key, &p.enc_key, p.salt_bytes())
}

impl Gm {
    pub fn new(side: Side, policy: GmPolicy, rand: RandSource) -> Self {
        Gm {
            verify_icv: true,
            side,
            policy,
            sets: Vec::new(),
            next_id: 1,
            rand,
            plain: Vec::with_capacity(2048),
            esp: Vec::with_capacity(2048),
            streams: Streams::new(),
            outbox: Vec::new(),
            inbox: VecDeque::new(),
        }
    }

    /// Installs the four SAs of a set; returns its id.
    pub fn install(&mut self, set: &SaSet) -> Result<u64, Drop> {
        let inbound = self.side.inbound();
        let mut sas = Vec::with_capacity(4);
        for p in set.sas() {
            let crypto = crypto_of(p).map_err(Drop::Esp)?;
            let window = match (p.direction == inbound, self.policy.replay_window) {
                (true, Some(w)) => Some(ReplayWindow::new(w, false).map_err(Drop::Replay)?),
                _ => None,
            };
            sas.push(SaRuntime {
                params: p.clone(),
                crypto,
                window,
                sent: 0,
            });
        }
        // TCP: this end's protected server port accepts connections (port_ps at the
        // P-CSCF from SA #1, port_us at the UE from SA #3; TS 33.203 §7.1).
        let server_sa = match self.side {
            Side::Pcscf => 1,
            Side::Ue => 3,
        };
        for r in sas.iter().filter(|r| r.params.index == server_sa) {
            self.streams
                .listen(SocketAddr::new(r.params.dst, r.params.dport));
        }
        let id = self.next_id;
        self.next_id += 1;
        self.sets.push(Installed { id, sas });
        Ok(id)
    }

    /// Removes a set (re-registration retires the old one, de-registration all).
    pub fn remove(&mut self, id: u64) -> bool {
        let before = self.sets.len();
        self.sets.retain(|s| s.id != id);
        before != self.sets.len()
    }

    /// Ids of the installed sets, oldest first.
    pub fn set_ids(&self) -> Vec<u64> {
        self.sets.iter().map(|s| s.id).collect()
    }

    /// The parameters of every SA of a set.
    pub fn params(&self, id: u64) -> Vec<SaParams> {
        self.sets
            .iter()
            .filter(|s| s.id == id)
            .flat_map(|s| s.sas.iter().map(|r| r.params.clone()))
            .collect()
    }

    /// How many packets were sent on the outbound SA of set `id` with selector `sport → dport`.
    pub fn sent(&self, id: u64, sport: u16, dport: u16) -> Option<u32> {
        self.sets
            .iter()
            .filter(|s| s.id == id)
            .flat_map(|s| s.sas.iter())
            .find(|r| {
                r.params.direction != self.side.inbound()
                    && r.params.sport == sport
                    && r.params.dport == dport
            })
            .map(|r| r.sent)
    }

    /// Every inbound SPI in use (a P-CSCF must not reuse them, TS 33.203 §7.1).
    pub fn inbound_spis(&self) -> Vec<u32> {
        let d = self.side.inbound();
        self.sets
            .iter()
            .flat_map(|s| s.sas.iter())
            .filter(|r| r.params.direction == d)
            .map(|r| r.params.spi)
            .collect()
    }

    /// Seals a SIP payload on the outbound SA of set `id` whose selector is
    /// `sport → dport`, and returns what the edge must send.
    pub fn seal(
        &mut self,
        id: u64,
        sport: u16,
        dport: u16,
        payload: &[u8],
        opts: SealOpts,
    ) -> Result<Wire, Drop> {
        let outbound = match self.side {
            Side::Ue => Direction::UeToPcscf,
            Side::Pcscf => Direction::PcscfToUe,
        };
        let set = self
            .sets
            .iter_mut()
            .find(|s| s.id == id)
            .ok_or(Drop::NoSa { spi: 0 })?;
        let sa = set
            .sas
            .iter_mut()
            .find(|r| {
                r.params.direction == outbound && r.params.sport == sport && r.params.dport == dport
            })
            .ok_or_else(|| Drop::Selector {
                sa: 0,
                got: format!("{sport}->{dport}"),
                want: "an outbound SA".into(),
            })?;
        let p = &sa.params;
        self.plain.clear();
        let mut segment = Vec::with_capacity(payload.len() + 8);
        if !opts.dummy {
            let inner_sport = opts.inner_sport.unwrap_or(sport);
            encap::emit_udp_checksummed(p.src, p.dst, inner_sport, dport, payload, &mut segment)
                .map_err(Drop::Esp)?;
        }
        let next_header = match (opts.dummy, p.mode) {
            (true, _) => NH_DUMMY,
            (false, Mode::Transport) => NH_UDP,
            (false, Mode::UdpEncapTunnel { .. }) => {
                match (p.src, p.dst) {
                    (IpAddr::V4(s), IpAddr::V4(d)) => {
                        encap::emit_ipv4(s, d, NH_UDP, 64, &segment, &mut self.plain)
                    }
                    (IpAddr::V6(s), IpAddr::V6(d)) => {
                        encap::emit_ipv6(s, d, NH_UDP, 64, &segment, &mut self.plain)
                    }
                    _ => Err(EspError::Malformed("mixed address families")),
                }
                .map_err(Drop::Esp)?;
                segment = std::mem::take(&mut self.plain);
                if p.src.is_ipv4() {
                    NH_IPV4
                } else {
                    NH_IPV6
                }
            }
        };
        esp_out(
            sa,
            opts.seq,
            next_header,
            &segment,
            &mut self.rand,
            &mut self.esp,
        )
    }

    /// Queues a SIP message on the TCP connection `sport → dport` inside set `id` (opening
    /// it if needed) and returns the ESP packets to send now. Data waiting for the handshake
    /// leaves later, from [`Gm::take_outbox`].
    pub fn seal_stream(
        &mut self,
        id: u64,
        sport: u16,
        dport: u16,
        payload: &[u8],
    ) -> Result<Vec<Wire>, Drop> {
        let outbound = self.outbound();
        let p = self
            .sets
            .iter()
            .filter(|s| s.id == id)
            .flat_map(|s| s.sas.iter())
            .find(|r| {
                r.params.direction == outbound && r.params.sport == sport && r.params.dport == dport
            })
            .map(|r| r.params.clone())
            .ok_or_else(|| Drop::Selector {
                sa: 0,
                got: format!("{sport}->{dport}"),
                want: "an outbound SA".into(),
            })?;
        self.streams
            .send(
                SocketAddr::new(p.src, sport),
                SocketAddr::new(p.dst, dport),
                payload,
            )
            .map_err(Drop::Inner)?;
        self.pump(None);
        Ok(std::mem::take(&mut self.outbox))
    }

    /// Runs the TCP timers (retransmissions); returns what to send.
    pub fn poll_streams(&mut self) -> Vec<Wire> {
        self.pump(None);
        std::mem::take(&mut self.outbox)
    }

    /// Packets produced by the TCP stack since the last call.
    pub fn take_outbox(&mut self) -> Vec<Wire> {
        std::mem::take(&mut self.outbox)
    }

    /// The next SIP message framed from TCP that `open` did not return.
    pub fn next_delivered(&mut self) -> Option<Delivered> {
        self.inbox.pop_front()
    }

    /// TCP log lines (refused or aborted connections).
    pub fn stream_log(&mut self) -> Vec<String> {
        std::mem::take(&mut self.streams.log)
    }

    fn outbound(&self) -> Direction {
        match self.side {
            Side::Ue => Direction::UeToPcscf,
            Side::Pcscf => Direction::PcscfToUe,
        }
    }

    /// Polls the TCP stack: seals every packet it emits on the outbound SA of its ports
    /// (into the outbox) and queues every complete SIP message as a [`Delivered`].
    /// `arrived`: SPI and sequence number of the ESP packet being processed, if any.
    fn pump(&mut self, arrived: Option<(u32, u32)>) {
        let (packets, messages) = self.streams.poll();
        let outbound = self.outbound();
        let inbound = self.side.inbound();
        for pkt in packets {
            let Ok(Inner::Tunnel {
                src,
                dst,
                protocol: NH_TCP,
                payload: seg,
            }) = encap::parse_inner(
                if pkt.first().map(|b| b >> 4) == Some(6) {
                    NH_IPV6
                } else {
                    NH_IPV4
                },
                &pkt,
            )
            else {
                continue;
            };
            let Some((sp, dp)) = tcp_ports(seg) else {
                continue;
            };
            // The newest set first: a port pair belongs to one live registration.
            let Some(sa) = self
                .sets
                .iter_mut()
                .rev()
                .flat_map(|s| s.sas.iter_mut())
                .find(|r| {
                    let q = &r.params;
                    q.direction == outbound
                        && q.src == src
                        && q.dst == dst
                        && q.sport == sp
                        && q.dport == dp
                })
            else {
                self.streams.log.push(format!(
                    "TCP {src}:{sp} -> {dst}:{dp}: no outbound SA, not sent"
                ));
                continue;
            };
            let (nh, body): (u8, &[u8]) = match sa.params.mode {
                Mode::Transport => (NH_TCP, seg),
                Mode::UdpEncapTunnel { .. } => {
                    (if src.is_ipv4() { NH_IPV4 } else { NH_IPV6 }, &pkt)
                }
            };
            match esp_out(sa, None, nh, body, &mut self.rand, &mut self.esp) {
                Ok(w) => self.outbox.push(w),
                Err(e) => self
                    .streams
                    .log
                    .push(format!("TCP segment not protected: {e}")),
            }
        }
        for m in messages {
            let found = self
                .sets
                .iter()
                .flat_map(|s| s.sas.iter().map(move |r| (s.id, r)))
                .find(|(_, r)| {
                    let q = &r.params;
                    q.direction == inbound
                        && SocketAddr::new(q.src, q.sport) == m.remote
                        && SocketAddr::new(q.dst, q.dport) == m.local
                });
            let Some((set_id, r)) = found else {
                self.streams.log.push(format!(
                    "SIP from {} on a TCP connection with no SA left: dropped",
                    m.remote
                ));
                continue;
            };
            let (spi, seq) = arrived.unwrap_or((r.params.spi, 0));
            self.inbox.push_back(Delivered {
                set_id,
                sa_index: r.params.index,
                spi,
                seq,
                src: m.remote,
                dst: m.local,
                payload: m.payload,
                dummy: false,
                outer_peer: None,
                tcp: true,
            });
        }
    }

    /// Runs every inbound check on a received ESP packet.
    pub fn open(&mut self, wire: &Wire) -> Result<Delivered, Drop> {
        let (outer_dst, esp, outer_peer): (IpAddr, &[u8], Option<SocketAddr>) = match wire {
            Wire::Tcp { .. } => return Err(Drop::NotEsp("plain TCP".into())),
            Wire::Tls { .. } => return Err(Drop::NotEsp("TLS".into())),
            Wire::Udp {
                local,
                peer,
                payload,
            } => match encap::classify_udp(payload).map_err(Drop::Esp)? {
                UdpKind::Esp(e) => (local.ip(), e, Some(*peer)),
                UdpKind::Keepalive => return Err(Drop::Keepalive),
                UdpKind::Ike(_) => return Err(Drop::NotEsp("IKE (non-ESP marker)".into())),
            },
            Wire::Ip { packet } => {
                let nh = match packet.first().map(|b| b >> 4) {
                    Some(4) => NH_IPV4,
                    Some(6) => NH_IPV6,
                    _ => return Err(Drop::NotEsp("not an IP packet".into())),
                };
                match encap::parse_inner(nh, packet).map_err(Drop::Esp)? {
                    Inner::Tunnel {
                        dst,
                        protocol: 50,
                        payload,
                        ..
                    } => (dst, payload, None),
                    Inner::Tunnel { protocol, .. } => {
                        return Err(Drop::NotEsp(format!("IP protocol {protocol}")))
                    }
                    Inner::Transport { .. } => return Err(Drop::NotEsp("no IP header".into())),
                }
            }
        };
        let spi = match esp.get(0..4) {
            Some(b) => u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
            None => return Err(Drop::NotEsp("shorter than an SPI".into())),
        };
        let seq_low = esp
            .get(4..8)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
            .ok_or(Drop::Esp(EspError::Truncated {
                len: esp.len(),
                min: 8,
            }))?;
        let inbound = self.side.inbound();
        let check_selectors = self.policy.check_selectors;
        let (set_id, sa) = self
            .sets
            .iter_mut()
            .flat_map(|s| {
                let id = s.id;
                s.sas.iter_mut().map(move |r| (id, r))
            })
            .find(|(_, r)| {
                r.params.direction == inbound && r.params.spi == spi && r.params.dst == outer_dst
            })
            .ok_or(Drop::NoSa { spi })?;
        let full = match &sa.window {
            Some(w) => w.check(seq_low).map_err(Drop::Replay)?,
            None => u64::from(seq_low),
        };
        sa.crypto.verify_icv = self.verify_icv;
        let opened = sa
            .crypto
            .open(esp, None, &mut self.plain)
            .map_err(Drop::Esp)?;
        if let Some(w) = &mut sa.window {
            w.update(full).map_err(Drop::Replay)?;
        }
        let p = &sa.params;
        let base = Delivered {
            set_id,
            sa_index: p.index,
            spi,
            seq: opened.seq,
            src: SocketAddr::new(p.src, p.sport),
            dst: SocketAddr::new(p.dst, p.dport),
            payload: Vec::new(),
            dummy: false,
            outer_peer,
            tcp: false,
        };
        if opened.is_dummy() {
            return Ok(Delivered {
                dummy: true,
                ..base
            });
        }
        let data = self
            .plain
            .get(opened.payload.clone())
            .ok_or_else(|| Drop::Inner("payload range".into()))?;
        let (isrc, idst, protocol, segment) = match encap::parse_inner(opened.next_header, data) {
            Ok(Inner::Tunnel {
                src,
                dst,
                protocol,
                payload,
            }) => (Some(src), Some(dst), protocol, payload),
            Ok(Inner::Transport { protocol, segment }) => (None, None, protocol, segment),
            Err(e) => return Err(Drop::Inner(e.to_string())),
        };
        if protocol == NH_TCP {
            let (sport, dport) =
                tcp_ports(segment).ok_or_else(|| Drop::Inner("TCP header truncated".into()))?;
            let src = SocketAddr::new(isrc.unwrap_or(p.src), sport);
            let dst = SocketAddr::new(idst.unwrap_or(p.dst), dport);
            if check_selectors && (src != base.src || dst != base.dst) {
                return Err(Drop::Selector {
                    sa: p.index,
                    got: format!("{src}->{dst} (TCP)"),
                    want: format!("{}->{}", base.src, base.dst),
                });
            }
            // The stack wants an IP packet: tunnel mode has one, transport mode gets the SA's
            // addresses back around the segment (the TCP checksum covers them).
            let mut pkt = Vec::with_capacity(segment.len() + 40);
            match (isrc, opened.next_header) {
                (Some(_), _) => pkt.extend_from_slice(data),
                (None, _) => match (p.src, p.dst) {
                    (IpAddr::V4(s), IpAddr::V4(d)) => {
                        encap::emit_ipv4(s, d, NH_TCP, 64, segment, &mut pkt)
                    }
                    (IpAddr::V6(s), IpAddr::V6(d)) => {
                        encap::emit_ipv6(s, d, NH_TCP, 64, segment, &mut pkt)
                    }
                    _ => Err(EspError::Malformed("mixed address families")),
                }
                .map_err(Drop::Esp)?,
            }
            let arrived = (spi, opened.seq);
            self.streams.input(pkt);
            self.pump(Some(arrived));
            return self.inbox.pop_front().ok_or(Drop::NoMessage);
        }
        if protocol != 17 {
            return Err(Drop::Inner(format!(
                "IP protocol {protocol}: not UDP or TCP"
            )));
        }
        let (sport, dport, body) =
            encap::split_udp(segment).map_err(|e| Drop::Inner(e.to_string()))?;
        let src = SocketAddr::new(isrc.unwrap_or(p.src), sport);
        let dst = SocketAddr::new(idst.unwrap_or(p.dst), dport);
        if check_selectors && (src != base.src || dst != base.dst) {
            return Err(Drop::Selector {
                sa: p.index,
                got: format!("{src}->{dst}"),
                want: format!("{}->{}", base.src, base.dst),
            });
        }
        Ok(Delivered {
            src,
            dst,
            payload: body.to_vec(),
            ..base
        })
    }
}

/// Source and destination ports of a TCP segment.
fn tcp_ports(seg: &[u8]) -> Option<(u16, u16)> {
    let b = seg.get(0..4)?;
    // A TCP header is at least 20 octets (RFC 9293 §3.1).
    (seg.len() >= 20).then(|| {
        (
            u16::from_be_bytes([b[0], b[1]]),
            u16::from_be_bytes([b[2], b[3]]),
        )
    })
}

/// ESP-protects `segment` (already the inner packet or upper-layer segment, per `next_header`)
/// on the outbound SA `sa`, and wraps it for the edge (RFC 4303 §3.3).
fn esp_out(
    sa: &mut SaRuntime,
    seq_override: Option<u32>,
    next_header: u8,
    segment: &[u8],
    rand: &mut RandSource,
    esp: &mut Vec<u8>,
) -> Result<Wire, Drop> {
    let p = &sa.params;
    let seq = match seq_override {
        Some(s) => {
            // A sender whose counter jumps ahead keeps counting from there.
            sa.sent = sa.sent.max(s);
            s
        }
        None => {
            sa.sent = sa.sent.checked_add(1).ok_or(Drop::Esp(EspError::Malformed(
                "sequence number space exhausted: a new SA is needed (RFC 4303 §3.3.3)",
            )))?;
            sa.sent
        }
    };
    let sp = SealParams {
        spi: p.spi,
        seq,
        seq_hi: None,
        next_header,
        padding: Default::default(),
    };
    let mut iv = |b: &mut [u8]| rand(b);
    sa.crypto
        .seal(&sp, segment, &mut iv, esp)
        .map_err(Drop::Esp)?;
    match p.encap_ports {
        Some((lp, pp)) => Ok(Wire::Udp {
            local: SocketAddr::new(p.src, lp),
            peer: SocketAddr::new(p.dst, pp),
            payload: esp.clone(),
        }),
        None => {
            let mut pkt = Vec::with_capacity(esp.len() + 40);
            match (p.src, p.dst) {
                (IpAddr::V4(s), IpAddr::V4(d)) => encap::emit_ipv4(s, d, 50, 64, esp, &mut pkt),
                (IpAddr::V6(s), IpAddr::V6(d)) => encap::emit_ipv6(s, d, 50, 64, esp, &mut pkt),
                _ => Err(EspError::Malformed("mixed address families")),
            }
            .map_err(Drop::Esp)?;
            Ok(Wire::Ip { packet: pkt })
        }
    }
}

/// Fuzz body (fuzz/fuzz_targets/gm_open.rs): arbitrary bytes as an ESP-in-UDP datagram and as
/// a raw IP packet, against a UE holding one SA set of every mode; nothing may panic.
pub fn fuzz_open(data: &[u8]) {
    use crate::mech::algorithms::{EncAlg, IntegAlg};
    use crate::mech::esp::saset::{Endpoint, SaSetInput};
    let ue = IpAddr::from([127, 0, 0, 4]);
    let pc = IpAddr::from([127, 0, 0, 2]);
    let mut gm = Gm::new(Side::Ue, GmPolicy::default(), Box::new(|b| b.fill(7)));
    for (mode, alg, ealg) in [
        (Mode::Transport, IntegAlg::HmacSha1_96, EncAlg::AesCbc),
        (
            Mode::UdpEncapTunnel {
                ue_encap_port: 4500,
                pcscf_encap_port: 4500,
            },
            IntegAlg::Null,
            EncAlg::AesGcm,
        ),
    ] {
        let input = SaSetInput {
            ue: Endpoint {
                addr: ue,
                spi_c: 0x1000,
                spi_s: 0x1001,
                port_c: 5100,
                port_s: 5101,
            },
            pcscf: Endpoint {
                addr: pc,
                spi_c: 0x2000,
                spi_s: 0x2001,
                port_c: 5062,
                port_s: 5064,
            },
            alg,
            ealg,
            mode,
            ck: [1; 16],
            ik: [2; 16],
        };
        if let Ok(set) = SaSet::build(&input, &[]) {
            let _ = gm.install(&set);
        }
    }
    let _ = gm.open(&Wire::Udp {
        local: SocketAddr::new(ue, 4500),
        peer: SocketAddr::new(pc, 4500),
        payload: data.to_vec(),
    });
    let _ = gm.open(&Wire::Ip {
        packet: data.to_vec(),
    });
}
