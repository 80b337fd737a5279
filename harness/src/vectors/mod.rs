//! Reference vectors (Wycheproof style), shared by `imsec vectors` and `cargo test`.
//!
//! A vector file is YAML:
//!
//! ```yaml
//! family: milenage            # selects the checker in `families`
//! description: ...
//! source: ...                 # default source for vectors that do not name their own
//! vectors:
//!   - id: TS35.208-set-1      # unique within the file
//!     source: 3GPP TS 35.208 4.3.1   # where the expected values come from (never imsec)
//!     comment: ...
//!     flags: [ ... ]
//!     result: valid           # or invalid: the mechanism must reject the input
//!     input:    { k: "...", ... }
//!     expected: { f1: "...", ... }
//! ```
//!
//! Unknown fields are errors, so a typo cannot silently skip a check.

mod aka;
mod esp;
mod esp_scapy;
mod families;
mod fields;
mod ikev2;
mod keys;
mod replay;
mod srtp;
mod tls;

pub use fields::{expect_hex, expect_str, Fields};

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Whether the mechanism must accept (`valid`) or reject (`invalid`) the vector's input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Expectation {
    #[default]
    Valid,
    Invalid,
}

/// One vector.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vector {
    pub id: String,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub flags: Vec<String>,
    #[serde(default)]
    pub result: Expectation,
    #[serde(default)]
    pub input: BTreeMap<String, serde_yaml_ng::Value>,
    #[serde(default)]
    pub expected: BTreeMap<String, serde_yaml_ng::Value>,
}

impl Vector {
    /// The inputs, with typed accessors that name the field on error.
    pub fn input(&self) -> Fields<'_> {
        Fields::new("input", &self.input)
    }
    /// The expected outputs.
    pub fn expected(&self) -> Fields<'_> {
        Fields::new("expected", &self.expected)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    family: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    notes: Option<serde_yaml_ng::Value>,
    vectors: Vec<Vector>,
}

/// A loaded vector file.
#[derive(Debug, Clone)]
pub struct VectorFile {
    pub path: PathBuf,
    pub family: String,
    pub description: Option<String>,
    pub vectors: Vec<Vector>,
}

/// Errors loading vector files: always name the file (and line where YAML knows it).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: String, message: String },
}

/// Loads one vector file; every vector must carry a `source` (its own or the file's).
pub fn load_file(path: &Path) -> Result<VectorFile, LoadError> {
    let p = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| LoadError::Io {
        path: p.clone(),
        source,
    })?;
    let raw: RawFile = serde_yaml_ng::from_str(&text).map_err(|e| LoadError::Parse {
        path: p.clone(),
        message: e.to_string(),
    })?;
    let _ = raw.notes;
    let mut seen = std::collections::HashSet::new();
    let mut vectors = raw.vectors;
    for v in &mut vectors {
        if !seen.insert(v.id.clone()) {
            return Err(LoadError::Parse {
                path: p.clone(),
                message: format!("duplicate vector id '{}'", v.id),
            });
        }
        if v.source.is_none() {
            v.source = raw.source.clone();
        }
        if v.source.as_deref().map(str::trim).unwrap_or("").is_empty() {
            return Err(LoadError::Parse {
                path: p.clone(),
                message: format!(
                    "vector '{}' has no source: every expected value must say where it came from",
                    v.id
                ),
            });
        }
    }
    Ok(VectorFile {
        path: path.to_path_buf(),
        family: raw.family,
        description: raw.description,
        vectors,
    })
}

/// Expands files and directories (recursively, `*.yaml`/`*.yml`) into a sorted file list.
pub fn collect_paths(paths: &[PathBuf]) -> Result<Vec<PathBuf>, LoadError> {
    let mut out = Vec::new();
    for p in paths {
        collect_into(p, &mut out)?;
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn collect_into(p: &Path, out: &mut Vec<PathBuf>) -> Result<(), LoadError> {
    let meta = std::fs::metadata(p).map_err(|source| LoadError::Io {
        path: p.display().to_string(),
        source,
    })?;
    if meta.is_dir() {
        let rd = std::fs::read_dir(p).map_err(|source| LoadError::Io {
            path: p.display().to_string(),
            source,
        })?;
        for e in rd.flatten() {
            let path = e.path();
            if path.is_dir() {
                collect_into(&path, out)?;
            } else if matches!(
                path.extension().and_then(|x| x.to_str()),
                Some("yaml") | Some("yml")
            ) {
                out.push(path);
            }
        }
    } else {
        out.push(p.to_path_buf());
    }
    Ok(())
}

/// The default vector directory: `./vectors` when it exists, else the one in the source tree.
pub fn default_dir() -> PathBuf {
    let local = PathBuf::from("vectors");
    if local.is_dir() {
        return local;
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../vectors")
}

/// Checks one vector against imsec's implementation of its family.
/// `Err` carries a one-line explanation naming the field that differed.
pub fn check(family: &str, v: &Vector) -> Result<(), String> {
    families::check(family, v)
}

/// Result of checking one vector.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Outcome {
    pub file: String,
    pub family: String,
    pub id: String,
    pub source: String,
    pub passed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Checks every vector of a file.
pub fn check_file(f: &VectorFile) -> Vec<Outcome> {
    f.vectors
        .iter()
        .map(|v| {
            let r = check(&f.family, v);
            Outcome {
                file: f.path.display().to_string(),
                family: f.family.clone(),
                id: v.id.clone(),
                source: v.source.clone().unwrap_or_default(),
                passed: r.is_ok(),
                message: r.err(),
            }
        })
        .collect()
}
