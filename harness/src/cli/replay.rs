//! `imsec replay CAPTURE… [--subscriber F] [--esp-sa F] [--keys F] [--tls-keylog F] [--json OUT]
//! [--report DIR] [--decrypted OUT.pcapng] [--export-esp-sa OUT]`: passive verdicts from
//! captures (see [`crate::replay`]). Exit 0 when no check fails, 1 when one fails, 2 when an
//! input cannot be read at all (a capture that is only partly readable gives its frames and a
//! warning).

use super::{UsageError, EXIT_FAIL, EXIT_OK};
use crate::capture::{link, CaptureReader};
use crate::engine::model::Verdict;
use crate::mech::esp::replay::DEFAULT_WINDOW;
use crate::replay::report::{KeysInfo, Report};
use crate::replay::verdicts::Policy;
use crate::replay::{keys, Engine, Options};
use clap::Args;
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
pub struct ReplayArgs {
    /// Capture files (pcap or pcapng), read in order as one trace.
    #[arg(required = true)]
    pub captures: Vec<PathBuf>,
    /// Subscriber credentials (YAML: impi, k, op or opc; one mapping or a list): CK/IK follow
    /// from Milenage and the 401's RAND/AUTN.
    #[arg(long, value_name = "FILE")]
    pub subscriber: Option<PathBuf>,
    /// Wireshark esp_sa table (known SAs).
    #[arg(long = "esp-sa", value_name = "FILE")]
    pub esp_sa: Option<PathBuf>,
    /// Key dump for outer tunnels (strongSwan-style lines, tcpdump -E secrets).
    #[arg(long, value_name = "FILE")]
    pub keys: Option<PathBuf>,
    /// TLS key log (NSS SSLKEYLOGFILE format): TLS 1.2/1.3 records are decrypted and the SIP
    /// inside joins the analysis.
    #[arg(long = "tls-keylog", value_name = "FILE")]
    pub tls_keylog: Option<PathBuf>,
    /// SDES keys, one a line: `inline:<base64 key||salt>` (AES_CM_128_HMAC_SHA1_80) or an
    /// a=crypto value; SRTP/SRTCP is verified and decrypted with them (and with a=crypto
    /// keys found in SDP).
    #[arg(long, value_name = "FILE")]
    pub sdes: Option<PathBuf>,
    /// Write the JSON report here ('-' for stdout).
    #[arg(long, value_name = "OUT")]
    pub json: Option<PathBuf>,
    /// Write replay.json and the engine's reports (report.html with ladder diagrams,
    /// junit.xml, report.json) into this directory.
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
    /// Write the decrypted inner packets here (pcapng, raw IP).
    #[arg(long, value_name = "OUT.pcapng")]
    pub decrypted: Option<PathBuf>,
    /// Write Wireshark esp_sa lines for every SA derived from a registration.
    #[arg(long = "export-esp-sa", value_name = "OUT")]
    pub export_esp_sa: Option<PathBuf>,
    /// Anti-replay window (RFC 4303 §3.4.3; 32..=4096).
    #[arg(long, default_value_t = DEFAULT_WINDOW)]
    pub window: u32,
    /// Policy: ESP without encryption (ealg=null) fails.
    #[arg(long = "require-confidentiality")]
    pub require_confidentiality: bool,
    /// IKEv2 SA keys to open encrypted IKE payloads: tcpdump `-E` lines (`ikev2 I|R SPIi
    /// SPIr integ:0xKEY encr:0xKEY`) or Wireshark ikev2_decryption_table lines (strongSwan
    /// save-keys).
    #[arg(long = "ike-keys", value_name = "FILE")]
    pub ike_keys: Option<PathBuf>,
    /// The capture is between security domains (Za, TS 33.210): integrity-only ESP and SIP
    /// in clear fail.
    #[arg(long)]
    pub za: bool,
    /// Keep keys (CK/IK, ...) in the --report files instead of redacting them.
    #[arg(long = "reveal-keys")]
    pub reveal_keys: bool,
}

fn read(p: &Path) -> Result<String, UsageError> {
    std::fs::read_to_string(p).map_err(|e| UsageError(format!("{}: {e}", p.display())))
}

/// Reads the key inputs into replay options.
pub fn options(a: &ReplayArgs) -> Result<Options, UsageError> {
    crate::mech::esp::replay::ReplayWindow::new(a.window, false)
        .map_err(|e| UsageError(format!("--window: {e}")))?;
    let mut o = Options {
        window: a.window,
        policy: Policy {
            require_confidentiality: a.require_confidentiality,
        },
        collect_decrypted: a.decrypted.is_some(),
        ..Options::default()
    };
    let mut info = KeysInfo::default();
    if let Some(p) = &a.subscriber {
        o.subscribers = keys::parse_subscribers(&read(p)?)
            .map_err(|m| UsageError(format!("{}: {m}", p.display())))?;
        info.subscribers = o.subscribers.len();
    }
    if let Some(p) = &a.esp_sa {
        o.esp_sa = super::esp::load_esp_sa(p)?;
        info.esp_sa_lines = o.esp_sa.len();
    }
    if let Some(p) = &a.keys {
        let kf = keys::parse_keys_file(&read(p)?)
            .map_err(|m| UsageError(format!("{}: {m}", p.display())))?;
        for n in &kf.ignored {
            eprintln!(
                "imsec: warning: {}: line {n} not understood, ignored",
                p.display()
            );
        }
        // The IKE SA keys of the same dump open the IKE_AUTH/CREATE_CHILD_SA messages too.
        o.hooks
            .ike_keys
            .extend(crate::replay::hook_ike::parse_ike_keys(&read(p)?).0);
        info.tunnel_sas = kf.tunnels.len();
        info.ike_key_lines = kf.ike_lines;
        o.tunnels = kf.tunnels;
    }
    if let Some(p) = &a.ike_keys {
        let (k, bad) = crate::replay::hook_ike::parse_ike_keys(&read(p)?);
        for n in &bad {
            eprintln!(
                "imsec: warning: {}: line {n} not understood, ignored",
                p.display()
            );
        }
        if k.is_empty() {
            return Err(UsageError(format!("{}: no IKEv2 key line", p.display())));
        }
        info.ike_key_lines += k.len();
        o.hooks.ike_keys.extend(k);
    }
    o.za = a.za;
    if let Some(p) = &a.tls_keylog {
        let text = read(p)?;
        info.tls_keylog_secrets = Some(keys::count_tls_secrets(&text));
        let (kl, bad) = keys::TlsKeyLog::parse(&text);
        for n in &bad {
            eprintln!(
                "imsec: warning: {}: line {n} not understood, ignored",
                p.display()
            );
        }
        o.hooks.tls_keylog = Some(kl);
    }
    if let Some(p) = &a.sdes {
        let text = read(p)?;
        for (i, l) in text.lines().enumerate() {
            let l = l.trim();
            if l.is_empty() || l.starts_with('#') {
                continue;
            }
            let k = crate::capture::srtp::SdesKey::parse(
                l,
                crate::mech::srtp::Suite::AesCm128HmacSha1_80,
            )
            .map_err(|m| UsageError(format!("{}: line {}: {m}", p.display(), i + 1)))?;
            o.sdes.push(k);
        }
        info.sdes_file_lines = Some(o.sdes.len());
    }
    o.keys_info = info;
    Ok(o)
}

/// Runs a replay over the captures; the engine and the esp_sa lines it derived.
pub fn replay(a: &ReplayArgs, opts: Options) -> Result<(Report, Vec<String>), UsageError> {
    let mut engine = Engine::new(opts);
    let mut writer = super::pcapng_out(a.decrypted.as_deref(), link::LINKTYPE_RAW as u16)?;
    for path in &a.captures {
        let mut r = CaptureReader::open(path)?;
        while let Some(f) = r.next_frame() {
            engine.feed(&f);
            if let Some(w) = writer.as_mut() {
                for (ts, pkt, c) in engine.take_decrypted() {
                    w.write_packet(ts, &pkt, Some(&c))
                        .map_err(|e| UsageError(format!("writing --decrypted: {e}")))?;
                }
            }
        }
        let warnings = r.warnings();
        for w in &warnings {
            eprintln!("imsec: warning: {w}");
        }
        engine.end_capture(&path.display().to_string(), r.format(), warnings);
    }
    if let Some(w) = writer {
        w.finish()
            .map_err(|e| UsageError(format!("writing --decrypted: {e}")))?;
    }
    let lines = engine.esp_sa_lines();
    Ok((engine.finish(), lines))
}

pub fn run(a: ReplayArgs) -> Result<u8, UsageError> {
    let opts = options(&a)?;
    let (report, lines) = replay(&a, opts)?;
    let json = serde_json::to_string_pretty(&report).map_err(|e| UsageError(e.to_string()))?;
    match &a.json {
        Some(p) if p.as_os_str() == "-" => println!("{json}"),
        Some(p) => {
            std::fs::write(p, &json).map_err(|e| UsageError(format!("{}: {e}", p.display())))?
        }
        None => {}
    }
    if let Some(d) = &a.report {
        std::fs::create_dir_all(d).map_err(|e| UsageError(format!("{}: {e}", d.display())))?;
        std::fs::write(d.join("replay.json"), &json)
            .map_err(|e| UsageError(format!("{}: {e}", d.display())))?;
        let run = crate::replay::run_report::run_report(
            &report,
            a.reveal_keys,
            super::run::rfc3339(std::time::SystemTime::now()),
        );
        crate::engine::report::write_all(&run, d)
            .map_err(|e| UsageError(format!("{}: {e}", d.display())))?;
    }
    if let Some(p) = &a.export_esp_sa {
        let mut text = String::from("# Wireshark esp_sa lines derived by imsec replay\n");
        for l in &lines {
            text.push_str(l);
            text.push('\n');
        }
        std::fs::write(p, text).map_err(|e| UsageError(format!("{}: {e}", p.display())))?;
    }
    if a.json.as_ref().is_none_or(|p| p.as_os_str() != "-") {
        print_summary(&report);
    }
    let failed = report.checks.iter().any(|c| c.verdict == Verdict::Fail);
    Ok(if failed { EXIT_FAIL } else { EXIT_OK })
}

/// The summary for people; a closed stdout (`| head`) ends it quietly.
fn print_summary(r: &Report) {
    use std::io::Write as _;
    let text = summary(r);
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

fn summary(r: &Report) -> String {
    use std::fmt::Write as _;
    let mut o = String::new();
    for c in &r.captures {
        let _ = writeln!(o, "{} ({}): {} frames", c.path, c.format, c.frames);
    }
    let s = &r.stats;
    let _ = writeln!(
        o,
        "ESP: {} packets, {} decrypted, {} read as ESP-NULL without keys, {} without SA",
        s.esp_packets, s.esp_decrypted, s.esp_null_heuristic, r.no_sa
    );
    let _ = writeln!(
        o,
        "SIP: {} messages ({} inside ESP)",
        s.sip_messages, s.sip_in_esp
    );
    if let Some(t) = &r.tls {
        let _ = writeln!(
            o,
            "TLS: {} connection(s), {} record(s) decrypted, {} failed",
            t.connections.len() as u64 + t.connections_not_listed,
            t.records_decrypted,
            t.records_failed
        );
    }
    let _ = writeln!(
        o,
        "registrations: {}",
        r.registrations.len() as u64 + r.registrations_not_listed
    );
    for g in r.registrations.iter().take(20) {
        let n = g.negotiated.as_ref().map_or("no SA set".to_string(), |n| {
            format!(
                "{}/{} {} SPIs P-CSCF {}/{} UE {}/{}",
                n.alg, n.ealg, n.mode, n.pcscf_spi_c, n.pcscf_spi_s, n.ue_spi_c, n.ue_spi_s
            )
        });
        let _ = writeln!(
            o,
            "  #{} {:?} {} -> {} frame {}: {n}; final {}; keys {}",
            g.id,
            g.kind,
            g.ue,
            g.pcscf,
            g.frames.register,
            g.final_status.map_or("-".into(), |c| c.to_string()),
            g.keys.as_ref().map_or("none".into(), |k| format!("{k:?}"))
        );
    }
    if r.registrations.len() > 20 {
        let _ = writeln!(
            o,
            "  ... {} more (see the JSON report)",
            r.registrations.len() - 20
        );
    }
    if !r.sas.is_empty() && r.sas.len() <= 40 {
        let _ = writeln!(
            o,
            "{:<12} {:<28} {:<28} {:>7} {:>8} {:>8} {:>7} {:>5}",
            "SPI", "SRC", "DST", "PACKETS", "ACCEPTED", "REPLAYED", "ICV_BAD", "DUMMY"
        );
        for x in &r.sas {
            let c = &x.counts;
            let _ = writeln!(
                o,
                "{:<12} {:<28} {:<28} {:>7} {:>8} {:>8} {:>7} {:>5}",
                c.spi, c.src, c.dst, c.packets, c.accepted, c.replayed, c.icv_bad, c.dummy
            );
        }
    }
    if let Some(sr) = &r.srtp {
        for x in sr.streams.iter().take(20) {
            let _ = writeln!(
                o,
                "{} {} -> {} SSRC {}: {} packets, {} accepted, {} auth failed, {} replayed",
                x.kind, x.src, x.dst, x.ssrc, x.packets, x.accepted, x.auth_failed, x.replayed
            );
        }
    }
    let _ = writeln!(o, "checks:");
    for c in &r.checks {
        let ev = if c.evidence.is_empty() {
            String::new()
        } else {
            format!(" [frames {:?}]", c.evidence)
        };
        let _ = writeln!(
            o,
            "  {:<34} {:<15} {}{ev}",
            c.id,
            c.verdict.as_str(),
            c.summary
        );
    }
    for n in &r.not_covered {
        let _ = writeln!(o, "not covered: {n}");
    }
    o
}
