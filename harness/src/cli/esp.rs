//! `imsec esp decrypt CAPTURE --esp-sa FILE [--out OUT.pcapng] [--window N] [--json]`:
//! decrypts and verifies every ESP packet of a capture (plain or RFC 3948 UDP-encapsulated,
//! transport or tunnel mode) with the SAs of a Wireshark `esp_sa` table.
//!
//! An SA whose authentication column is Wireshark's "ANY 64/96/128 bit authentication [no
//! checking]" (integrity key unknown) skips its ICV: its packets that decrypt are `accepted`
//! and its JSON entry carries `"icv_checked": false` (entries of SAs that verify an ICV do not
//! have the field). Outcomes and their order are in [`crate::capture::decrypt`]. Exit 0 after a complete
//! report (whatever the outcomes), 2 when the capture or the esp_sa file cannot be read
//! (one line naming the file, and the line for esp_sa). Warnings (truncated capture,
//! packets failing for reasons other than the ICV) go to stderr.

use super::{print_json, UsageError, EXIT_OK};
use crate::capture::decrypt::{Decryptor, Outcome, Report, SaSpec, Selector};
use crate::capture::{link, CaptureReader};
use crate::mech::esp::replay::DEFAULT_WINDOW;
use crate::mech::esp::uat::{self, IpFamily};
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
pub struct EspArgs {
    #[command(subcommand)]
    pub cmd: EspCmd,
}

#[derive(Subcommand, Debug)]
pub enum EspCmd {
    /// Decrypt and verify the ESP packets of a pcap/pcapng with a Wireshark esp_sa table.
    ///
    /// Each ESP packet is counted once per SA as accepted, replayed or icv_bad (or no_sa).
    /// An SA whose authentication is "ANY 64/96/128 bit authentication [no checking]"
    /// (integrity key unknown) skips the ICV: packets that decrypt count as accepted, and
    /// the SA's JSON entry has "icv_checked": false (so do SAs with NULL authentication
    /// and CBC encryption, which have no ICV). AES-GMAC SAs use the imsec name
    /// "AES-GMAC [RFC4543]" with key = key || 4-octet salt.
    Decrypt(DecryptArgs),
}

#[derive(Args, Debug)]
pub struct DecryptArgs {
    /// Capture file (pcap or pcapng).
    pub capture: PathBuf,
    /// Wireshark esp_sa UAT file (one SA per line; "ANY n bit authentication [no checking]"
    /// skips the ICV).
    #[arg(long = "esp-sa", value_name = "FILE")]
    pub esp_sa: PathBuf,
    /// Write the decrypted inner packets here (pcapng, raw IP link type).
    #[arg(long, value_name = "DECRYPTED.pcapng")]
    pub out: Option<PathBuf>,
    /// Anti-replay window size (RFC 4303 §3.4.3; 32..=4096).
    #[arg(long, default_value_t = DEFAULT_WINDOW)]
    pub window: u32,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: EspArgs) -> Result<u8, UsageError> {
    match a.cmd {
        EspCmd::Decrypt(d) => decrypt(d),
    }
}

/// Reads the esp_sa table into SA specs; errors name the file and line.
pub fn load_esp_sa(path: &Path) -> Result<Vec<SaSpec>, UsageError> {
    let name = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| UsageError(format!("{name}: {e}")))?;
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let t = raw.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let sa = uat::parse_line(t, line_no).map_err(|e| UsageError(format!("{name}: {e}")))?;
        let bad = |m: String| UsageError(format!("{name}: line {line_no}: {m}"));
        let crypto = sa.crypto().map_err(|e| bad(e.to_string()))?;
        let sel = |s: &str| -> Result<Selector, UsageError> {
            let s = s.trim();
            if s.is_empty() || s == "*" {
                return Ok(Selector::Any);
            }
            s.parse()
                .map(Selector::Addr)
                .map_err(|_| bad(format!("address '{s}' is neither an IP address nor '*'")))
        };
        out.push(SaSpec {
            spi: sa.spi,
            ipv6: sa.family == IpFamily::V6,
            src: sel(&sa.src)?,
            dst: sel(&sa.dst)?,
            src_label: sa.src.clone(),
            dst_label: sa.dst.clone(),
            crypto,
        });
    }
    Ok(out)
}

fn decrypt(a: DecryptArgs) -> Result<u8, UsageError> {
    let sas = load_esp_sa(&a.esp_sa)?;
    let mut dec =
        Decryptor::new(sas, a.window).map_err(|e| UsageError(format!("--window: {e}")))?;
    let mut reader = CaptureReader::open(&a.capture)?;
    let mut writer = super::pcapng_out(a.out.as_deref(), link::LINKTYPE_RAW as u16)?;
    let cap = a.capture.display().to_string();
    while let Some(frame) = reader.next_frame() {
        let Ok(l3) = link::network_layer(frame.linktype, &frame.data) else {
            continue;
        };
        match dec.process(l3) {
            Outcome::Accepted {
                sa,
                seq,
                inner: Some(pkt),
                ..
            } => {
                if let Some(w) = writer.as_mut() {
                    let spi = dec
                        .report()
                        .sas
                        .get(sa)
                        .map(|s| s.spi.clone())
                        .unwrap_or_default();
                    let c = format!(
                        "imsec: decrypted from frame {}, SPI {spi}, seq {seq}",
                        frame.number
                    );
                    w.write_packet(frame.ts_ns, &pkt, Some(&c))
                        .map_err(|e| UsageError(format!("writing --out: {e}")))?;
                }
            }
            Outcome::IcvBad { seq, why, .. }
                if !matches!(why, crate::mech::esp::EspError::IcvBad) =>
            {
                eprintln!(
                    "imsec: warning: {cap}: frame {}: seq {seq}: {why}",
                    frame.number
                );
            }
            _ => {}
        }
    }
    for w in reader.warnings() {
        eprintln!("imsec: warning: {w}");
    }
    if let Some(w) = writer {
        w.finish()
            .map_err(|e| UsageError(format!("writing --out: {e}")))?;
    }
    let report = dec.report();
    if a.json {
        print_json(&report)?;
    } else {
        print_table(&report);
    }
    Ok(EXIT_OK)
}

fn print_table(r: &Report) {
    println!(
        "{:<12} {:<28} {:<28} {:>7} {:>8} {:>8} {:>7} {:>5}",
        "SPI", "SRC", "DST", "PACKETS", "ACCEPTED", "REPLAYED", "ICV_BAD", "DUMMY"
    );
    for s in &r.sas {
        println!(
            "{:<12} {:<28} {:<28} {:>7} {:>8} {:>8} {:>7} {:>5}",
            s.spi, s.src, s.dst, s.packets, s.accepted, s.replayed, s.icv_bad, s.dummy
        );
    }
    println!("no SA: {} ESP packets", r.no_sa);
    for s in r.sas.iter().filter(|s| !s.icv_checked) {
        println!("SA {}: ICV not checked (accepted = decrypted)", s.spi);
    }
}
