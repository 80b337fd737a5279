//! The SA table of a replay: SAs from an `esp_sa` file, outer tunnels from a key dump, and
//! IMS SA sets derived from the registrations seen. Each ESP packet gets one outcome in the
//! RFC 4303 §3.4 order of [`crate::capture::decrypt`] (SA look-up, anti-replay before the
//! ICV, ICV and decryption, window update only after verification), with the same per-SA
//! counters ([`SaReport`], the `sas` entries of `imsec esp decrypt --json`).
//!
//! Vantage points: one capture can hold the same ESP packet twice, e.g. inside the SWu tunnel
//! and again after the ePDG decapsulated it. Anti-replay windows are therefore kept per
//! decapsulation depth, and a packet whose exact octets were already seen at another depth
//! shortly before is counted once (`duplicate_views`), not as a replay.

use super::tunnel::{self, TunnelCipher};
use crate::capture::decrypt::SaReport;
use crate::mech::esp::replay::ReplayWindow;
use crate::mech::esp::{EspError, SaCrypto};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::IpAddr;

/// Evidence frames kept per SA and outcome.
const MAX_EVIDENCE: usize = 32;
/// Packets remembered for duplicate-view detection.
const RECENT: usize = 4096;
/// Retired SAs kept for the report; beyond, they are only counted in [`SaTable::retired_totals`].
const MAX_LISTED: usize = 4096;

/// Where an SA's keys came from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeySource {
    EspSaFile,
    KeysFile,
    /// ck/ik in the 401 on the core leg (S-CSCF to P-CSCF).
    CoreLeg401,
    /// ck/ik in a 401 that reached the UE (a leak, but usable).
    UeLeg401,
    /// Milenage with the subscriber file and the 401's RAND (AUTN MAC verified).
    Subscriber,
}

pub enum Crypto {
    Ims(Box<SaCrypto>),
    /// The SA's registration ended: no more packets are matched to it.
    Retired,
    Tunnel {
        candidates: Vec<TunnelCipher>,
        chosen: Option<usize>,
        icv_len: usize,
    },
}

/// One SA.
pub struct SaEntry {
    pub spi: u32,
    pub src: Option<IpAddr>,
    pub dst: Option<IpAddr>,
    pub ipv6: Option<bool>,
    pub crypto: Crypto,
    pub source: KeySource,
    /// Registration and §7.1 row, for derived IMS SAs.
    pub reg: Option<(usize, u8)>,
    /// Wireshark esp_sa line (for `--export-esp-sa`).
    pub uat_line: Option<String>,
    windows: HashMap<u8, ReplayWindow>,
    pub report: SaReport,
    pub replayed_frames: Vec<u64>,
    pub icv_bad_frames: Vec<u64>,
    pub dummy_frames: Vec<u64>,
    pub first_frame: Option<u64>,
    pub duplicate_views: u64,
}

impl SaEntry {
    pub fn new(
        spi: u32,
        src: Option<IpAddr>,
        dst: Option<IpAddr>,
        crypto: Crypto,
        source: KeySource,
    ) -> Self {
        let label = |a: Option<IpAddr>| a.map_or("*".to_string(), |a| a.to_string());
        let icv_checked = match &crypto {
            Crypto::Ims(c) => c.icv_verified(),
            Crypto::Tunnel { .. } | Crypto::Retired => false,
        };
        SaEntry {
            spi,
            report: SaReport {
                spi: format!("0x{spi:08x}"),
                src: label(src),
                dst: label(dst),
                icv_checked,
                ..SaReport::default()
            },
            src,
            dst,
            ipv6: src.or(dst).map(|a| a.is_ipv6()),
            crypto,
            source,
            reg: None,
            uat_line: None,
            windows: HashMap::new(),
            replayed_frames: Vec::new(),
            icv_bad_frames: Vec::new(),
            dummy_frames: Vec::new(),
            first_frame: None,
            duplicate_views: 0,
        }
    }

    fn matches(&self, spi: u32, src: IpAddr, dst: IpAddr) -> bool {
        self.spi == spi
            && self.src.is_none_or(|a| a == src)
            && self.dst.is_none_or(|a| a == dst)
            && self.ipv6.is_none_or(|v6| v6 == dst.is_ipv6())
    }
}

/// The outcome of one ESP packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EspOutcome {
    NoSa,
    /// Seen at another depth already (same octets).
    DuplicateView,
    Replayed {
        sa: usize,
        seq: u32,
    },
    IcvBad {
        sa: usize,
        seq: u32,
        why: EspError,
    },
    Accepted {
        sa: usize,
        seq: u32,
        next_header: u8,
        /// Range of the payload in the table's buffer ([`SaTable::payload`]).
        payload: std::ops::Range<usize>,
    },
}

fn push_capped(v: &mut Vec<u64>, f: u64) {
    if v.len() < MAX_EVIDENCE {
        v.push(f);
    }
}

/// FNV-1a over the packet (duplicate-view detection only; not a security function).
fn fnv(b: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for x in b {
        h ^= u64::from(*x);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// All SAs and the per-packet state. Memory stays bounded: SAs of finished registrations are
/// retired ([`SaTable::retire`]) and, beyond [`MAX_LISTED`], folded into totals.
pub struct SaTable {
    sas: BTreeMap<usize, SaEntry>,
    next: usize,
    /// Counters of retired SAs no longer listed.
    pub retired_totals: SaReport,
    pub retired_not_listed: u64,
    by_spi: HashMap<u32, Vec<usize>>,
    window: u32,
    buf: Vec<u8>,
    recent: HashMap<u64, u8>,
    recent_order: VecDeque<u64>,
    pub no_sa: u64,
}

impl SaTable {
    pub fn new(window: u32) -> Self {
        SaTable {
            sas: BTreeMap::new(),
            next: 0,
            retired_totals: SaReport::default(),
            retired_not_listed: 0,
            by_spi: HashMap::new(),
            window,
            buf: Vec::new(),
            recent: HashMap::new(),
            recent_order: VecDeque::new(),
            no_sa: 0,
        }
    }

    /// Adds an SA; a later SA with the same SPI and addresses takes precedence.
    pub fn add(&mut self, sa: SaEntry) -> usize {
        let i = self.next;
        self.next += 1;
        self.by_spi.entry(sa.spi).or_default().insert(0, i);
        self.sas.insert(i, sa);
        i
    }

    /// One SA.
    pub fn get(&self, i: usize) -> Option<&SaEntry> {
        self.sas.get(&i)
    }

    /// The SAs still listed, in the order they were added.
    pub fn iter(&self) -> impl Iterator<Item = &SaEntry> {
        self.sas.values()
    }

    /// Stops matching packets to these SAs (their registration ended) and frees their state.
    pub fn retire(&mut self, ids: &[usize]) {
        for i in ids {
            let Some(sa) = self.sas.get_mut(i) else {
                continue;
            };
            if let Some(v) = self.by_spi.get_mut(&sa.spi) {
                v.retain(|x| x != i);
                if v.is_empty() {
                    self.by_spi.remove(&sa.spi);
                }
            }
            sa.crypto = Crypto::Retired;
            sa.windows = HashMap::new();
            if self.sas.len() > MAX_LISTED {
                if let Some(sa) = self.sas.remove(i) {
                    let t = &mut self.retired_totals;
                    t.packets += sa.report.packets;
                    t.accepted += sa.report.accepted;
                    t.replayed += sa.report.replayed;
                    t.icv_bad += sa.report.icv_bad;
                    t.dummy += sa.report.dummy;
                    self.retired_not_listed += 1;
                }
            }
        }
    }

    /// The SA for a packet, if any.
    pub fn find(&self, spi: u32, src: IpAddr, dst: IpAddr) -> Option<usize> {
        self.by_spi
            .get(&spi)?
            .iter()
            .copied()
            .find(|i| self.sas.get(i).is_some_and(|s| s.matches(spi, src, dst)))
    }

    /// The decrypted payload of the last accepted packet.
    pub fn payload(&self, r: std::ops::Range<usize>) -> &[u8] {
        self.buf.get(r).unwrap_or(&[])
    }

    fn seen_at_other_depth(&mut self, esp: &[u8], depth: u8) -> bool {
        let h = fnv(esp);
        match self.recent.get(&h) {
            Some(d) if *d != depth => return true,
            Some(_) => return false,
            None => {}
        }
        self.recent.insert(h, depth);
        self.recent_order.push_back(h);
        if self.recent_order.len() > RECENT {
            if let Some(old) = self.recent_order.pop_front() {
                self.recent.remove(&old);
            }
        }
        false
    }

    /// Processes one ESP packet (`esp` from the SPI on).
    pub fn process(
        &mut self,
        esp: &[u8],
        src: IpAddr,
        dst: IpAddr,
        depth: u8,
        frame: u64,
    ) -> EspOutcome {
        let spi = crate::wire::be32(esp, 0).unwrap_or(0);
        let Some(idx) = self.find(spi, src, dst) else {
            self.no_sa += 1;
            return EspOutcome::NoSa;
        };
        if self.seen_at_other_depth(esp, depth) {
            if let Some(sa) = self.sas.get_mut(&idx) {
                sa.duplicate_views += 1;
            }
            return EspOutcome::DuplicateView;
        }
        let window = self.window;
        let Some(sa) = self.sas.get_mut(&idx) else {
            return EspOutcome::NoSa;
        };
        sa.report.packets += 1;
        sa.first_frame.get_or_insert(frame);
        let Some(seq) = crate::wire::be32(esp, 4) else {
            sa.report.icv_bad += 1;
            push_capped(&mut sa.icv_bad_frames, frame);
            let why = EspError::Truncated {
                len: esp.len(),
                min: 8,
            };
            return EspOutcome::IcvBad {
                sa: idx,
                seq: 0,
                why,
            };
        };
        let w = match sa.windows.entry(depth) {
            std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => {
                match ReplayWindow::new(window, false) {
                    Ok(w) => v.insert(w),
                    Err(_) => return EspOutcome::NoSa,
                }
            }
        };
        let full = match w.check(seq) {
            Ok(f) => f,
            Err(_) => {
                sa.report.replayed += 1;
                push_capped(&mut sa.replayed_frames, frame);
                return EspOutcome::Replayed { sa: idx, seq };
            }
        };
        let opened = match &mut sa.crypto {
            Crypto::Retired => Err(EspError::Truncated { len: 0, min: 0 }),
            Crypto::Ims(c) => c
                .open(esp, None, &mut self.buf)
                .map(|o| (o.next_header, o.payload.clone())),
            Crypto::Tunnel {
                candidates,
                chosen,
                icv_len,
            } => {
                let order: Vec<usize> = match chosen {
                    Some(c) => vec![*c],
                    None => (0..candidates.len()).collect(),
                };
                let mut r = Err(EspError::Truncated {
                    len: esp.len(),
                    min: 0,
                });
                for i in order {
                    let Some(c) = candidates.get(i) else { continue };
                    if let Ok(o) = tunnel::open(c, *icv_len, esp, &mut self.buf) {
                        let version = self.buf.get(o.payload.start).map(|b| b >> 4);
                        let plausible = matches!(
                            (o.next_header, version),
                            (4, Some(4)) | (41, Some(6)) | (59, _) | (6, _) | (17, _)
                        );
                        if plausible {
                            *chosen = Some(i);
                            r = Ok((o.next_header, o.payload));
                            break;
                        }
                    }
                }
                r
            }
        };
        match opened {
            Ok((nh, payload)) => {
                let _ = w.update(full);
                sa.report.accepted += 1;
                if nh == crate::mech::esp::NH_DUMMY {
                    sa.report.dummy += 1;
                    push_capped(&mut sa.dummy_frames, frame);
                }
                EspOutcome::Accepted {
                    sa: idx,
                    seq,
                    next_header: nh,
                    payload,
                }
            }
            Err(why) => {
                sa.report.icv_bad += 1;
                push_capped(&mut sa.icv_bad_frames, frame);
                EspOutcome::IcvBad { sa: idx, seq, why }
            }
        }
    }
}
