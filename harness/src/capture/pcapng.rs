//! A small pcapng writer (draft-ietf-opsawg-pcapng: Section Header, Interface Description
//! and Enhanced Packet Blocks, little-endian, nanosecond timestamps).

use std::io::{self, Write};

const SHB: u32 = 0x0a0d_0d0a;
const IDB: u32 = 0x0000_0001;
const EPB: u32 = 0x0000_0006;
const BYTE_ORDER_MAGIC: u32 = 0x1a2b_3c4d;
const OPT_END: u16 = 0;
const OPT_COMMENT: u16 = 1;
const OPT_SHB_USERAPPL: u16 = 4;
const OPT_IF_TSRESOL: u16 = 9;

/// Writes one section with one interface of a fixed link type.
pub struct PcapngWriter<W: Write> {
    out: W,
}

fn pad4(n: usize) -> usize {
    (4 - n % 4) % 4
}

fn option(buf: &mut Vec<u8>, code: u16, value: &[u8]) {
    // Option values longer than 65535 octets are cut (only comments could be).
    let v = value.get(..value.len().min(0xffff)).unwrap_or(&[]);
    buf.extend_from_slice(&code.to_le_bytes());
    buf.extend_from_slice(&(v.len() as u16).to_le_bytes());
    buf.extend_from_slice(v);
    buf.resize(buf.len() + pad4(v.len()), 0);
}

impl<W: Write> PcapngWriter<W> {
    /// Writes the section header (with `shb_userappl` = imsec and its version) and one
    /// interface of `linktype` with nanosecond resolution.
    pub fn new(mut out: W, linktype: u16) -> io::Result<Self> {
        let mut body = Vec::new();
        body.extend_from_slice(&BYTE_ORDER_MAGIC.to_le_bytes());
        body.extend_from_slice(&1u16.to_le_bytes());
        body.extend_from_slice(&0u16.to_le_bytes());
        body.extend_from_slice(&(-1i64).to_le_bytes());
        let appl = format!("imsec {}", env!("CARGO_PKG_VERSION"));
        option(&mut body, OPT_SHB_USERAPPL, appl.as_bytes());
        option(&mut body, OPT_END, &[]);
        write_block(&mut out, SHB, &body)?;
        let mut idb = Vec::new();
        idb.extend_from_slice(&linktype.to_le_bytes());
        idb.extend_from_slice(&0u16.to_le_bytes());
        idb.extend_from_slice(&0u32.to_le_bytes()); // snaplen: no limit
        option(&mut idb, OPT_IF_TSRESOL, &[9]);
        option(&mut idb, OPT_END, &[]);
        write_block(&mut out, IDB, &idb)?;
        Ok(PcapngWriter { out })
    }

    /// Writes one packet with a time in ns since the epoch and an optional comment.
    pub fn write_packet(
        &mut self,
        ts_ns: u64,
        data: &[u8],
        comment: Option<&str>,
    ) -> io::Result<()> {
        let len = u32::try_from(data.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "packet over 4 GiB"))?;
        let mut b = Vec::with_capacity(data.len() + 64);
        b.extend_from_slice(&0u32.to_le_bytes()); // interface 0
        b.extend_from_slice(&((ts_ns >> 32) as u32).to_le_bytes());
        b.extend_from_slice(&(ts_ns as u32).to_le_bytes());
        b.extend_from_slice(&len.to_le_bytes());
        b.extend_from_slice(&len.to_le_bytes());
        b.extend_from_slice(data);
        b.resize(b.len() + pad4(data.len()), 0);
        if let Some(c) = comment {
            option(&mut b, OPT_COMMENT, c.as_bytes());
            option(&mut b, OPT_END, &[]);
        }
        write_block(&mut self.out, EPB, &b)
    }

    /// Flushes and returns the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

fn write_block<W: Write>(out: &mut W, kind: u32, body: &[u8]) -> io::Result<()> {
    let total = u32::try_from(body.len() + 12)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "block over 4 GiB"))?;
    out.write_all(&kind.to_le_bytes())?;
    out.write_all(&total.to_le_bytes())?;
    out.write_all(body)?;
    out.write_all(&total.to_le_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::CaptureReader;

    #[test]
    fn written_file_reads_back_with_pcap_parser() {
        let mut w = PcapngWriter::new(Vec::new(), 101).unwrap();
        w.write_packet(1_700_000_000_123_456_789, &[0x45, 1, 2], Some("hi"))
            .unwrap();
        w.write_packet(5, &[0x60; 41], None).unwrap();
        let bytes = w.finish().unwrap();
        let mut r = CaptureReader::from_reader("mem", std::io::Cursor::new(bytes)).unwrap();
        let a = r.next_frame().unwrap();
        assert_eq!(
            (a.linktype, a.ts_ns, a.data.as_slice()),
            (101, 1_700_000_000_123_456_789, &[0x45, 1, 2][..])
        );
        let b = r.next_frame().unwrap();
        assert_eq!((b.number, b.data.len()), (2, 41));
        assert!(r.next_frame().is_none());
        assert!(r.warnings().is_empty(), "{:?}", r.warnings());
    }
}
