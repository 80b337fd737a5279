//! Every case in testcases/ validates against docs/testcase.schema.json (so the editor schema
//! and the loader cannot drift apart), and the schema rejects what the loader rejects.

use std::path::PathBuf;

fn schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/testcase.schema.json"),
    )
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&v).expect("a valid JSON Schema")
}

fn as_json(yaml: &str) -> serde_json::Value {
    serde_yaml_ng::from_str(yaml).unwrap()
}

#[test]
fn the_catalogue_validates_against_the_schema() {
    let s = schema();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testcases");
    let files = imsec::vectors::collect_paths(&[dir]).unwrap();
    assert!(files.len() >= 20);
    for f in files {
        let v = as_json(&std::fs::read_to_string(&f).unwrap());
        let errors: Vec<String> = s.iter_errors(&v).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{}: {errors:?}", f.display());
        imsec::engine::case::load(&f).expect("the loader accepts it too");
    }
}

#[test]
fn the_schema_rejects_unknown_fields_and_steps() {
    let s = schema();
    let base = "id: X-1\ntitle: t\nrequirement: [{spec: a, clause: b}]\nsteps: [{do: register}]\nexpect: [{check: registered, value: true}]\n";
    assert!(s.is_valid(&as_json(base)));
    for bad in [
        base.replace(
            "steps: [{do: register}]",
            "steps: [{do: register, color: red}]",
        ),
        base.replace("steps: [{do: register}]", "steps: [{do: teleport}]"),
        base.replace("value: true", "value: true, extra: 1"),
        format!("{base}colour: blue\n"),
        base.replace("requirement: [{spec: a, clause: b}]", "requirement: []"),
    ] {
        assert!(!s.is_valid(&as_json(&bad)), "accepted: {bad}");
    }
}
