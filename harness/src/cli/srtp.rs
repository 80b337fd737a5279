//! `imsec srtp decrypt CAPTURE --sdes KEY [--sdes KEY ...] [--suite SUITE] [--out OUT.pcapng]
//! [--json]`: verifies and decrypts every SRTP/SRTCP packet of a capture with SDES keys
//! (RFC 4568 inline keys, RFC 3711 processing), with counts per stream. Like `imsec esp
//! decrypt`: exit 0 after a complete report whatever the outcomes, 2 when the capture or a
//! key cannot be read.

use super::{print_json, UsageError, EXIT_OK};
use crate::capture::srtp::{Decryptor, Outcome, Report, SdesKey};
use crate::capture::{link, CaptureReader};
use crate::mech::srtp::Suite;
use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct SrtpArgs {
    #[command(subcommand)]
    pub cmd: SrtpCmd,
}

#[derive(Subcommand, Debug)]
pub enum SrtpCmd {
    /// Verify and decrypt the SRTP/SRTCP packets of a pcap/pcapng with SDES keys.
    ///
    /// Each stream (UDP flow direction, SSRC, SRTP or SRTCP) is bound to the first key that
    /// authenticates one of its packets; every packet counts as accepted, auth_failed,
    /// replayed or malformed.
    Decrypt(DecryptArgs),
}

#[derive(Args, Debug)]
pub struct DecryptArgs {
    /// Capture file (pcap or pcapng).
    pub capture: PathBuf,
    /// SDES key: 'inline:<base64 key||salt>[|lifetime][|MKI:len]' (suite from --suite), or a
    /// whole crypto attribute '[a=crypto:]1 AES_CM_128_HMAC_SHA1_80 inline:...'. Repeatable.
    #[arg(long = "sdes", value_name = "KEY", required = true)]
    pub sdes: Vec<String>,
    /// Suite for 'inline:' keys.
    #[arg(long, default_value = "AES_CM_128_HMAC_SHA1_80")]
    pub suite: Suite,
    /// Write the decrypted RTP/RTCP payloads here (pcapng; one UDP payload per packet,
    /// LINKTYPE_USER0 (147)).
    #[arg(long, value_name = "DECRYPTED.pcapng")]
    pub out: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: SrtpArgs) -> Result<u8, UsageError> {
    match a.cmd {
        SrtpCmd::Decrypt(d) => decrypt(d),
    }
}

fn decrypt(a: DecryptArgs) -> Result<u8, UsageError> {
    let mut keys = Vec::new();
    for (i, k) in a.sdes.iter().enumerate() {
        keys.push(
            SdesKey::parse(k, a.suite)
                .map_err(|e| UsageError(format!("--sdes #{}: {e}", i + 1)))?,
        );
    }
    let mut dec = Decryptor::new(keys);
    let mut reader = CaptureReader::open(&a.capture)?;
    let mut writer = super::pcapng_out(a.out.as_deref(), 147)?;
    while let Some(frame) = reader.next_frame() {
        let Ok(l3) = link::network_layer(frame.linktype, &frame.data) else {
            continue;
        };
        if let Outcome::Accepted { plain, .. } = dec.process(l3) {
            if let Some(w) = writer.as_mut() {
                let c = format!("imsec: decrypted from frame {}", frame.number);
                w.write_packet(frame.ts_ns, &plain, Some(&c))
                    .map_err(|e| UsageError(format!("writing --out: {e}")))?;
            }
        }
    }
    for w in reader.warnings() {
        eprintln!("imsec: warning: {w}");
    }
    if let Some(w) = writer {
        w.finish()
            .map_err(|e| UsageError(format!("writing --out: {e}")))?;
    }
    if a.json {
        print_json(dec.report())?;
    } else {
        print_table(dec.report());
    }
    Ok(EXIT_OK)
}

fn print_table(r: &Report) {
    println!(
        "{:<6} {:<24} {:<24} {:<10} {:>7} {:>8} {:>11} {:>8} {:>9} {:>4}",
        "KIND",
        "SRC",
        "DST",
        "SSRC",
        "PACKETS",
        "ACCEPTED",
        "AUTH_FAILED",
        "REPLAYED",
        "MALFORMED",
        "KEY"
    );
    for s in &r.streams {
        println!(
            "{:<6} {:<24} {:<24} {:<10} {:>7} {:>8} {:>11} {:>8} {:>9} {:>4}",
            s.kind,
            s.src,
            s.dst,
            s.ssrc,
            s.packets,
            s.accepted,
            s.auth_failed,
            s.replayed,
            s.malformed,
            s.key.map_or("-".to_string(), |k| (k + 1).to_string())
        );
    }
    println!("not RTP: {} packets", r.not_rtp);
}
