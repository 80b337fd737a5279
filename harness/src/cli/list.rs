//! `imsec list`: the catalogue, one line per case with the requirements it checks.

use super::{print_json, UsageError, EXIT_OK};
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct ListArgs {
    /// Case files or directories (default: testcases/).
    pub cases: Vec<PathBuf>,
    #[arg(long)]
    pub filter: Option<String>,
    #[arg(long)]
    pub tag: Vec<String>,
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: ListArgs) -> Result<u8, UsageError> {
    let cases = super::run::select(&a.cases, a.filter.as_deref(), &a.tag)?;
    if a.json {
        let v: Vec<_> = cases
            .iter()
            .map(|c| {
                serde_json::json!({
                    "id": c.id, "title": c.title, "area": c.area, "tags": c.tags,
                    "requirements": c.requirement, "file": c.file.display().to_string(),
                })
            })
            .collect();
        print_json(&v)?;
    } else {
        for c in &cases {
            let reqs: Vec<String> = c.requirement.iter().map(|r| r.reference()).collect();
            println!("{:<28} {}  [{}]", c.id, c.title, reqs.join("; "));
        }
    }
    Ok(EXIT_OK)
}
