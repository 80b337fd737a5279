//! `imsec` binary: all logic lives in the library (`imsec::cli`).
fn main() -> std::process::ExitCode {
    imsec::cli::main()
}
