//! Every reference vector as its own named test (`<file>::<id>`), via libtest-mimic.
//! Uses the same loader and checkers as `imsec vectors`.

use libtest_mimic::{Arguments, Failed, Trial};
use std::path::PathBuf;

fn main() {
    let args = Arguments::from_args();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../vectors");
    let mut trials = Vec::new();
    let files = imsec::vectors::collect_paths(&[dir]).expect("vectors/ is readable");
    for path in files {
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("?")
            .to_string();
        match imsec::vectors::load_file(&path) {
            Ok(f) => {
                for v in f.vectors.clone() {
                    let family = f.family.clone();
                    trials.push(Trial::test(format!("{stem}::{}", v.id), move || {
                        imsec::vectors::check(&family, &v).map_err(Failed::from)
                    }));
                }
            }
            Err(e) => {
                let msg = e.to_string();
                trials.push(Trial::test(format!("{stem}::<load>"), move || {
                    Err(Failed::from(msg))
                }));
            }
        }
    }
    libtest_mimic::run(&args, trials).exit();
}
