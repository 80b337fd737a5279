//! Streaming pcap / pcapng reader on top of the `pcap-parser` crate.
//!
//! Policy for bad input (never a panic): a file whose header is neither pcap nor pcapng is
//! a [`CaptureError`]; a record that cannot be read later (truncated file, bad block
//! length, record larger than [`MAX_RECORD`]) ends the stream and leaves a warning, so the
//! frames before it are still used. Packets on an unknown pcapng interface are skipped with
//! a warning.

use pcap_parser::pcapng::Block;
use pcap_parser::traits::{PcapNGPacketBlock, PcapReaderIterator};
use pcap_parser::{PcapBlockOwned, PcapError};
use std::io::Read;
use std::path::Path;

/// Initial read buffer (pcap-parser needs one whole record in it).
const INITIAL_BUFFER: usize = 1 << 16;
/// Largest record imsec accepts; larger ones end the stream with a warning.
pub const MAX_RECORD: usize = 1 << 24;
/// At most this many warnings are kept (the count of further ones is added at the end).
const MAX_WARNINGS: usize = 64;

/// A captured packet, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// 1-based packet number, as Wireshark counts frames.
    pub number: u64,
    /// Nanoseconds since the Unix epoch (0 when the format gives no time).
    pub ts_ns: u64,
    /// LINKTYPE_* of the frame.
    pub linktype: u32,
    /// Captured octets.
    pub data: Vec<u8>,
    /// Length on the wire (more than `data.len()` when the snap length cut it).
    pub orig_len: u32,
}

/// The capture could not be opened as pcap or pcapng.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Format { path: String, message: String },
}

#[derive(Debug, Clone, Copy)]
struct Iface {
    linktype: u32,
    /// Time units per second.
    resolution: Option<u64>,
    offset_s: i64,
}

/// Streams the frames of one capture file.
pub struct CaptureReader {
    inner: Box<dyn PcapReaderIterator + Send>,
    pcapng: bool,
    done: bool,
    stalls: u32,
    st: State,
}

/// Everything but the parser, so a block borrowed from the parser can update it.
struct State {
    name: String,
    legacy: Option<(u32, bool)>,
    ifaces: Vec<Iface>,
    warnings: Vec<String>,
    dropped_warnings: usize,
    number: u64,
}

impl std::fmt::Debug for CaptureReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaptureReader")
            .field("name", &self.st.name)
            .field("pcapng", &self.pcapng)
            .field("number", &self.st.number)
            .finish()
    }
}

impl CaptureReader {
    /// Opens a pcap or pcapng file (detected from its first block).
    pub fn open(path: &Path) -> Result<CaptureReader, CaptureError> {
        let name = path.display().to_string();
        let f = std::fs::File::open(path).map_err(|source| CaptureError::Io {
            path: name.clone(),
            source,
        })?;
        Self::from_reader(&name, std::io::BufReader::new(f))
    }

    /// Reads from any byte stream; `name` is used in errors and warnings.
    pub fn from_reader<R: Read + Send + 'static>(
        name: &str,
        r: R,
    ) -> Result<CaptureReader, CaptureError> {
        let fmt_err = |message: String| CaptureError::Format {
            path: name.to_string(),
            message,
        };
        // The magic number, read here so that a known format with a cut header gets a
        // precise message (pcap-parser reports both as an unrecognised header).
        let mut r = r;
        // Up to one buffer is read ahead, so the parser's first read sees all of it.
        let mut head = Vec::with_capacity(INITIAL_BUFFER);
        let _ = std::io::Read::by_ref(&mut r)
            .take(INITIAL_BUFFER as u64)
            .read_to_end(&mut head);
        let known = matches!(
            head.get(..4).unwrap_or(&[]),
            [0x0a, 0x0d, 0x0d, 0x0a]
                | [0xd4, 0xc3, 0xb2, 0xa1]
                | [0xa1, 0xb2, 0xc3, 0xd4]
                | [0x4d, 0x3c, 0xb2, 0xa1]
                | [0xa1, 0xb2, 0x3c, 0x4d]
        );
        let r = std::io::Cursor::new(head).chain(r);
        let inner = match pcap_parser::create_reader(INITIAL_BUFFER, r) {
            Ok(i) => i,
            Err(_) if known => {
                return Err(fmt_err(
                    "truncated or malformed file header (pcap/pcapng magic number present)".into(),
                ))
            }
            Err(PcapError::Eof) => return Err(fmt_err("empty file, not a pcap or pcapng".into())),
            Err(PcapError::Incomplete(_)) => {
                return Err(fmt_err("file too short for a pcap or pcapng header".into()))
            }
            Err(PcapError::ReadError) => return Err(fmt_err("read error".into())),
            Err(_) => {
                return Err(fmt_err(
                    "not a pcap or pcapng file (unrecognised magic number)".into(),
                ))
            }
        };
        let pcapng = pcap_parser::pcapng::parse_sectionheaderblock(inner.data()).is_ok();
        Ok(CaptureReader {
            inner,
            pcapng,
            done: false,
            stalls: 0,
            st: State {
                name: name.to_string(),
                legacy: None,
                ifaces: Vec::new(),
                warnings: Vec::new(),
                dropped_warnings: 0,
                number: 0,
            },
        })
    }

    /// "pcap" or "pcapng".
    pub fn format(&self) -> &'static str {
        if self.pcapng {
            "pcapng"
        } else {
            "pcap"
        }
    }

    /// Warnings so far (each names the file and the packet number).
    pub fn warnings(&self) -> Vec<String> {
        let mut w = self.st.warnings.clone();
        if self.st.dropped_warnings > 0 {
            w.push(format!(
                "{}: {} more warnings not shown",
                self.st.name, self.st.dropped_warnings
            ));
        }
        w
    }

    fn stop(&mut self, msg: String) {
        self.st.warn(msg);
        self.done = true;
    }

    /// The next frame, or `None` at the end (or after a record that could not be read).
    pub fn next_frame(&mut self) -> Option<Frame> {
        while !self.done {
            let step = match self.inner.next() {
                Ok((off, block)) => {
                    let r = Ok(self.st.take(block));
                    self.inner.consume(off);
                    self.stalls = 0;
                    r
                }
                Err(e) => Err(describe(&e)),
            };
            match step {
                Ok(Some(f)) => return Some(f),
                Ok(None) => {}
                Err(Step::Eof) => self.done = true,
                Err(Step::Refill) => self.refill(false),
                Err(Step::Grow) => self.refill(true),
                Err(Step::Truncated) => self.stop(format!(
                    "truncated: the record after packet {} is incomplete",
                    self.st.number
                )),
                Err(Step::Bad(m)) => self.stop(format!(
                    "unreadable record after packet {}: {m}",
                    self.st.number
                )),
            }
        }
        None
    }

    fn refill(&mut self, grow: bool) {
        self.stalls += 1;
        let cap = self.inner.data().len().max(INITIAL_BUFFER);
        if grow || self.stalls > 2 {
            let want = cap.saturating_mul(2);
            if want > MAX_RECORD || !self.inner.grow(want) {
                return self.stop(format!(
                    "record after packet {} is larger than {} octets (bad length field?)",
                    self.st.number, MAX_RECORD
                ));
            }
        }
        if self.stalls > 64 {
            return self.stop(format!("no progress after packet {}", self.st.number));
        }
        if let Err(e) = self.inner.refill() {
            let m = format!("{e:?}");
            self.stop(format!("read error after packet {}: {m}", self.st.number));
        }
    }
}

impl State {
    fn warn(&mut self, msg: String) {
        if self.warnings.len() < MAX_WARNINGS {
            let m = format!("{}: {msg}", self.name);
            self.warnings.push(m);
        } else {
            self.dropped_warnings += 1;
        }
    }

    /// Turns one block into a frame (or records interface/format information).
    fn take(&mut self, block: PcapBlockOwned<'_>) -> Option<Frame> {
        match block {
            PcapBlockOwned::LegacyHeader(h) => {
                self.legacy = Some((h.network.0 as u32, h.is_nanosecond_precision()));
                None
            }
            PcapBlockOwned::Legacy(b) => {
                let (linktype, nano) = self.legacy.unwrap_or((1, false));
                let frac = u64::from(b.ts_usec) * if nano { 1 } else { 1000 };
                self.number += 1;
                Some(Frame {
                    number: self.number,
                    ts_ns: u64::from(b.ts_sec)
                        .saturating_mul(1_000_000_000)
                        .saturating_add(frac),
                    linktype,
                    data: b.data.to_vec(),
                    orig_len: b.origlen,
                })
            }
            PcapBlockOwned::NG(Block::SectionHeader(_)) => {
                self.ifaces.clear();
                None
            }
            PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                self.ifaces.push(Iface {
                    linktype: idb.linktype.0 as u32,
                    resolution: idb.ts_resolution(),
                    offset_s: idb.if_tsoffset,
                });
                None
            }
            PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                self.number += 1;
                let Some(iface) = self.ifaces.get(epb.if_id as usize).copied() else {
                    self.warn(format!(
                        "packet {}: interface {} was never described, skipped",
                        self.number, epb.if_id
                    ));
                    return None;
                };
                let ts = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                Some(Frame {
                    number: self.number,
                    ts_ns: to_ns(ts, iface.resolution, iface.offset_s),
                    linktype: iface.linktype,
                    data: epb.packet_data().to_vec(),
                    orig_len: epb.origlen,
                })
            }
            PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
                self.number += 1;
                let Some(iface) = self.ifaces.first().copied() else {
                    self.warn(format!(
                        "packet {}: simple packet block before any interface, skipped",
                        self.number
                    ));
                    return None;
                };
                Some(Frame {
                    number: self.number,
                    ts_ns: 0,
                    linktype: iface.linktype,
                    data: spb.packet_data().to_vec(),
                    orig_len: spb.origlen,
                })
            }
            PcapBlockOwned::NG(_) => None,
        }
    }
}

impl Iterator for CaptureReader {
    type Item = Frame;
    fn next(&mut self) -> Option<Frame> {
        self.next_frame()
    }
}

enum Step {
    Eof,
    Refill,
    Grow,
    Truncated,
    Bad(String),
}

fn describe(e: &PcapError<&[u8]>) -> Step {
    match e {
        PcapError::Eof => Step::Eof,
        PcapError::Incomplete(_) => Step::Refill,
        PcapError::BufferTooSmall => Step::Grow,
        PcapError::UnexpectedEof => Step::Truncated,
        PcapError::ReadError => Step::Bad("read error".into()),
        PcapError::HeaderNotRecognized => Step::Bad("block header not recognised".into()),
        PcapError::NomError(_, k) | PcapError::OwnedNomError(_, k) => {
            Step::Bad(format!("malformed block ({k:?})"))
        }
    }
}

/// pcapng time (units of 1/resolution s since if_tsoffset) to ns since the epoch; 0 when it
/// does not fit.
fn to_ns(ts: u64, resolution: Option<u64>, offset_s: i64) -> u64 {
    let Some(res) = resolution.filter(|r| *r > 0) else {
        return 0;
    };
    let ns = u128::from(ts) * 1_000_000_000 / u128::from(res);
    let off = i128::from(offset_s) * 1_000_000_000;
    let ns = i128::try_from(ns).unwrap_or(i128::MAX);
    u64::try_from(ns.saturating_add(off)).unwrap_or(0)
}
