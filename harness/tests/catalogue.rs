//! The whole catalogue (testcases/) against the built-in reference P-CSCF, one named test per
//! case (libtest-mimic), so CI gates on it: every case must pass (or not apply).

use imsec::engine::{case, model::Verdict, runner, sut};
use libtest_mimic::{Arguments, Failed, Trial};
use std::path::PathBuf;

fn main() {
    let args = Arguments::from_args();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testcases");
    let cases = match case::load_all(&[dir]) {
        Ok(c) => c,
        Err(e) => {
            let msg = e.to_string();
            let t = Trial::test("catalogue::<load>", move || Err(Failed::from(msg)));
            libtest_mimic::run(&args, vec![t]).exit();
        }
    };
    let trials = cases
        .into_iter()
        .map(|c| {
            Trial::test(format!("{}::{}", c.area, c.id), move || {
                // Za cases run against the built-in security gateway (engine::za).
                let spec = if c.applies_to.topology.contains(&case::Topology::Seg) {
                    "builtin:seg"
                } else if c.applies_to.topology.contains(&case::Topology::Tls) {
                    // TLS endpoint cases run against the built-in TLS endpoint (engine::tls).
                    "builtin:tls"
                } else {
                    "builtin"
                };
                let s = sut::resolve(spec, None).map_err(Failed::from)?;
                let r = runner::run_case(&c, &s, false, None);
                match r.verdict {
                    Verdict::Pass | Verdict::NotApplicable => Ok(()),
                    v => Err(Failed::from(format!(
                        "{}: {}",
                        v.as_str(),
                        r.reason.unwrap_or_default()
                    ))),
                }
            })
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}
