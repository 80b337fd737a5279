//! Command line: parsing, printing and exit codes. The only layer that does I/O for the user.
//!
//! Exit codes (design.md §1): 0 all good, 1 a check or vector failed, 2 usage, input or
//! environment error. A bad argument gets one line naming it, never a panic.

mod aka;
mod cycle;
mod esp;
mod keys;
mod list;
mod replay;
mod run;
mod selftest;
mod serve;
mod srtp;
mod tls;
mod vectors;
mod za;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Exit code: everything checked passed.
pub const EXIT_OK: u8 = 0;
/// Exit code: a check or a vector failed.
pub const EXIT_FAIL: u8 = 1;
/// Exit code: usage, input or environment error.
pub const EXIT_USAGE: u8 = 2;

#[derive(Parser, Debug)]
#[command(
    name = "imsec",
    version,
    about = "Conformance and security test harness for IMS access and media security",
    long_about = "imsec tests IMS access and media security (3GPP TS 33.203, TS 33.210, TS 33.328): \
                  IMS AKA, sec-agree, IPsec ESP between UE and P-CSCF, TLS, SRTP, NDS/IP Za.\n\
                  Exit codes: 0 all passed, 1 a check or vector failed, 2 usage/input/environment error."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// IMS AKA: Milenage vectors, AUTS resynchronisation, Digest AKAv1/AKAv2 responses.
    #[command(subcommand_required = true)]
    Aka(aka::AkaArgs),
    /// IPsec ESP: decrypt and verify captures with a Wireshark esp_sa table.
    #[command(subcommand_required = true)]
    Esp(esp::EspArgs),
    /// Check every reference vector (vectors/*.yaml) against imsec's implementation.
    Vectors(vectors::VectorsArgs),
    /// Run the catalogue of test cases against a SUT and write reports.
    Run(run::RunArgs),
    /// List the test cases (id, title, requirements).
    List(list::ListArgs),
    /// Run the registration cycle (smoke test of a set-up) against a P-CSCF.
    Cycle(cycle::CycleArgs),
    /// Prove every check can fail: the catalogue against every flawed built-in variant.
    Selftest(selftest::SelftestArgs),
    /// Run a reference network element as a server.
    #[command(subcommand)]
    Serve(serve::ServeCmd),
    /// Expand IMS AKA CK/IK into ESP keys (TS 33.203 Annex I).
    Keys(keys::KeysArgs),
    /// SRTP/SRTCP: verify and decrypt captures with SDES keys.
    #[command(subcommand_required = true)]
    Srtp(srtp::SrtpArgs),
    /// TLS (TS 33.203 Annex O): raw ClientHello probes.
    Tls(tls::TlsArgs),
    /// Passive verdicts from captures: registrations, derived keys, decrypted ESP, checks.
    Replay(replay::ReplayArgs),
    /// NDS/IP Za (TS 33.210): IKEv2 probes of a security gateway.
    Za(za::ZaArgs),
}

/// An error that ends the command with exit code 2 and one line on stderr.
#[derive(Debug)]
pub struct UsageError(pub String);

impl<T: std::fmt::Display> From<T> for UsageError {
    fn from(e: T) -> Self {
        UsageError(e.to_string())
    }
}

/// Parses the command line and runs the command.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => return clap_error(e),
    };
    let r = match cli.command {
        Command::Aka(a) => aka::run(a),
        Command::Esp(a) => esp::run(a),
        Command::Vectors(a) => vectors::run(a),
        Command::Run(a) => run::run(a),
        Command::List(a) => list::run(a),
        Command::Cycle(a) => cycle::run(a),
        Command::Selftest(a) => selftest::run(a),
        Command::Serve(c) => serve::run(c),
        Command::Keys(a) => keys::run(a),
        Command::Srtp(a) => srtp::run(a),
        Command::Replay(a) => replay::run(a),
        Command::Tls(a) => tls::run(a),
        Command::Za(a) => za::run(a),
    };
    match r {
        Ok(code) => ExitCode::from(code),
        Err(UsageError(msg)) => {
            eprintln!("imsec: error: {msg}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// Help and version go to stdout with exit 0; every other clap error becomes one line
/// on stderr with exit 2.
fn clap_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            ExitCode::from(EXIT_OK)
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            ExitCode::from(EXIT_USAGE)
        }
        _ => {
            let text = e.render().to_string();
            let head = text
                .split("\n\nUsage:")
                .next()
                .unwrap_or(&text)
                .split("\n\nFor more information")
                .next()
                .unwrap_or(&text);
            let line = head
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .trim_start_matches("error: ")
                .to_string();
            eprintln!("imsec: error: {line}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// Prints a serializable value as pretty JSON on stdout.
/// A pcapng writer on `path` (for `--out`/`--decrypted`), or `None` without one.
pub(crate) fn pcapng_out(
    path: Option<&std::path::Path>,
    linktype: u16,
) -> Result<
    Option<crate::capture::pcapng::PcapngWriter<std::io::BufWriter<std::fs::File>>>,
    UsageError,
> {
    let Some(p) = path else { return Ok(None) };
    let err = |e: std::io::Error| UsageError(format!("{}: {e}", p.display()));
    let f = std::fs::File::create(p).map_err(err)?;
    crate::capture::pcapng::PcapngWriter::new(std::io::BufWriter::new(f), linktype)
        .map(Some)
        .map_err(err)
}

pub fn print_json<T: serde::Serialize>(v: &T) -> Result<(), UsageError> {
    let s = serde_json::to_string_pretty(v).map_err(|e| UsageError(e.to_string()))?;
    println!("{s}");
    Ok(())
}
