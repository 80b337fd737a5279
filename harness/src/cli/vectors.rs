//! `imsec vectors [PATH…] [--json]`: the reference-vector gate.

use super::{print_json, UsageError, EXIT_FAIL, EXIT_OK};
use crate::vectors;
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct VectorsArgs {
    /// Vector files or directories (default: vectors/).
    pub paths: Vec<PathBuf>,
    /// Print every outcome as JSON instead of the summary.
    #[arg(long)]
    pub json: bool,
    /// Print a line for every vector, not only failures.
    #[arg(long, short)]
    pub verbose: bool,
}

pub fn run(a: VectorsArgs) -> Result<u8, UsageError> {
    let paths = if a.paths.is_empty() {
        vec![vectors::default_dir()]
    } else {
        a.paths
    };
    let files = vectors::collect_paths(&paths)?;
    if files.is_empty() {
        return Err(UsageError("no vector files found".into()));
    }
    let mut all = Vec::new();
    for f in &files {
        let vf = vectors::load_file(f)?;
        all.extend(vectors::check_file(&vf));
    }
    let failed = all.iter().filter(|o| !o.passed).count();
    let passed = all.len() - failed;
    if a.json {
        print_json(&serde_json::json!({
            "passed": passed,
            "failed": failed,
            "outcomes": all,
        }))?;
    } else {
        for o in &all {
            if !o.passed {
                println!(
                    "FAIL {}::{} ({}): {}",
                    o.family,
                    o.id,
                    o.file,
                    o.message.as_deref().unwrap_or("")
                );
            } else if a.verbose {
                println!("ok   {}::{}", o.family, o.id);
            }
        }
        println!("{passed} passed, {failed} failed");
    }
    Ok(if failed == 0 { EXIT_OK } else { EXIT_FAIL })
}
