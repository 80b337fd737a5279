//! Codec for the RFC 3329 §2.2 headers:
//!
//! ```text
//! security-client = "Security-Client" HCOLON sec-mechanism *(COMMA sec-mechanism)
//! sec-mechanism   = mechanism-name *(SEMI mech-parameters)
//! mech-parameters = preference / digest-algorithm / digest-qop / digest-verify / extension
//! ```
//!
//! The parser keeps every parameter (known or not) in order, so a list re-emits without loss.
//! Syntax it cannot read is an error in both modes; departures from the grammar that a real
//! UE commits but that leave the meaning clear (upper case, empty list elements, duplicate
//! parameters, q-values outside the grammar) are [`Deviation`]s: errors in [`Mode::Strict`],
//! reported but tolerated in [`Mode::Lenient`].

use super::qvalue::QValue;
use std::fmt;

/// Which of the three headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecHeaderKind {
    Client,
    Server,
    Verify,
}

impl SecHeaderKind {
    /// The header name as RFC 3329 spells it.
    pub fn name(self) -> &'static str {
        match self {
            SecHeaderKind::Client => "Security-Client",
            SecHeaderKind::Server => "Security-Server",
            SecHeaderKind::Verify => "Security-Verify",
        }
    }
    /// Header names are case-insensitive (RFC 3261 §7.3.1).
    pub fn from_name(s: &str) -> Option<Self> {
        [Self::Client, Self::Server, Self::Verify]
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(s.trim()))
    }
}

/// Strict: every deviation is an error. Lenient: deviations are reported, not fatal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    Strict,
    #[default]
    Lenient,
}

/// One `name[=value]` parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    pub name: String,
    /// The value without quotes; `None` for a flag such as `mediasec`.
    pub value: Option<String>,
    /// Whether the value was a quoted-string.
    pub quoted: bool,
}

/// One `sec-mechanism`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mechanism {
    pub name: String,
    pub params: Vec<Param>,
}

impl Mechanism {
    /// A mechanism with no parameters.
    pub fn new(name: &str) -> Self {
        Mechanism {
            name: name.to_string(),
            params: Vec::new(),
        }
    }
    /// Appends `name=value` (builder style).
    pub fn with(mut self, name: &str, value: &str) -> Self {
        self.params.push(Param {
            name: name.to_string(),
            value: Some(value.to_string()),
            quoted: false,
        });
        self
    }
    /// Appends a valueless flag (e.g. `mediasec`).
    pub fn with_flag(mut self, name: &str) -> Self {
        self.params.push(Param {
            name: name.to_string(),
            value: None,
            quoted: false,
        });
        self
    }
    /// First parameter with this name (case-insensitive).
    pub fn param(&self, name: &str) -> Option<&Param> {
        self.params
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
    }
    /// The value of a parameter, if present and valued.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.param(name).and_then(|p| p.value.as_deref())
    }
    /// The preference (`q`), parsed leniently; `None` when absent or unreadable.
    pub fn q(&self) -> Option<QValue> {
        self.value("q").and_then(QValue::parse_lenient)
    }
    /// Whether this entry is about media (TS 24.229 §7.2A.7 `mediasec` flag).
    pub fn is_mediasec(&self) -> bool {
        self.param("mediasec").is_some()
    }
    /// The mechanism name, lower-cased.
    pub fn name_lc(&self) -> String {
        self.name.to_ascii_lowercase()
    }
}

impl fmt::Display for Mechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        for p in &self.params {
            write!(f, ";{}", p.name)?;
            if let Some(v) = &p.value {
                if p.quoted {
                    write!(f, "=\"{v}\"")?;
                } else {
                    write!(f, "={v}")?;
                }
            }
        }
        Ok(())
    }
}

/// A departure from the grammar that leaves the meaning clear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deviation {
    /// Index of the mechanism in the list (0-based), if it concerns one.
    pub mechanism: Option<usize>,
    pub what: String,
}

impl fmt::Display for Deviation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.mechanism {
            Some(i) => write!(f, "mechanism #{}: {}", i + 1, self.what),
            None => f.write_str(&self.what),
        }
    }
}

/// Why a header could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("syntax: {0}")]
    Syntax(String),
    #[error("{}", .0.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("; "))]
    Deviations(Vec<Deviation>),
    #[error("not a security agreement header: '{0}'")]
    NotSecHeader(String),
}

/// A parsed list with the deviations found (always empty in strict mode on success).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub mechanisms: Vec<Mechanism>,
    pub deviations: Vec<Deviation>,
}

/// RFC 3261 §25.1 `token` characters.
pub fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-.!%*_+`'~".contains(c)
}

/// Characters allowed in an unquoted `gen-value` (token or host, incl. IPv6 references).
fn is_value_char(c: char) -> bool {
    is_token_char(c) || "[]:".contains(c)
}

/// Splits on `sep` outside quoted strings; fails on an unterminated quote.
fn split_outside_quotes(s: &str, sep: char) -> Result<Vec<&str>, ParseError> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_q = false;
    let mut esc = false;
    for (i, c) in s.char_indices() {
        if in_q {
            if esc {
                esc = false;
            } else if c == '\\' {
                esc = true;
            } else if c == '"' {
                in_q = false;
            }
        } else if c == '"' {
            in_q = true;
        } else if c == sep {
            out.push(&s[start..i]);
            start = i + c.len_utf8();
        }
    }
    if in_q {
        return Err(ParseError::Syntax("unterminated quoted string".into()));
    }
    out.push(&s[start..]);
    Ok(out)
}

fn parse_param(raw: &str, idx: usize, devs: &mut Vec<Deviation>) -> Result<Param, ParseError> {
    let (name, value) = match raw.split_once('=') {
        Some((n, v)) => (n.trim(), Some(v.trim())),
        None => (raw.trim(), None),
    };
    if name.is_empty() || !name.chars().all(is_token_char) {
        return Err(ParseError::Syntax(format!(
            "mechanism #{}: bad parameter name '{name}'",
            idx + 1
        )));
    }
    let (value, quoted) = match value {
        None => (None, false),
        Some(v) if v.starts_with('"') => {
            if v.len() < 2 || !v.ends_with('"') {
                return Err(ParseError::Syntax(format!(
                    "mechanism #{}: bad quoted value for '{name}'",
                    idx + 1
                )));
            }
            (Some(v[1..v.len() - 1].to_string()), true)
        }
        Some(v) => {
            if v.is_empty() || !v.chars().all(is_value_char) {
                return Err(ParseError::Syntax(format!(
                    "mechanism #{}: bad value '{v}' for '{name}'",
                    idx + 1
                )));
            }
            (Some(v.to_string()), false)
        }
    };
    if name.eq_ignore_ascii_case("q") {
        match value.as_deref() {
            Some(v) if QValue::parse(v).is_some() => {}
            Some(v) if QValue::parse_lenient(v).is_some() => devs.push(Deviation {
                mechanism: Some(idx),
                what: format!("q={v} is outside the qvalue grammar (RFC 3261 §25.1)"),
            }),
            _ => {
                return Err(ParseError::Syntax(format!(
                    "mechanism #{}: q value {:?} is not a qvalue",
                    idx + 1,
                    value
                )))
            }
        }
    }
    if name.eq_ignore_ascii_case("d-ver") {
        let ok = quoted
            && value.as_deref().is_some_and(|v| {
                v.len() == 32
                    && v.chars()
                        .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
            });
        if !ok {
            devs.push(Deviation {
                mechanism: Some(idx),
                what: "d-ver must be a quoted 32-digit lower-case hex string (RFC 3329 §2.2)"
                    .into(),
            });
        }
    }
    Ok(Param {
        name: name.to_string(),
        value,
        quoted,
    })
}

/// Parses a header value (everything after the colon). Folded lines are accepted.
pub fn parse_value(value: &str, mode: Mode) -> Result<Parsed, ParseError> {
    let unfolded: String = value
        .chars()
        .map(|c| if c == '\r' || c == '\n' { ' ' } else { c })
        .collect();
    let mut mechanisms = Vec::new();
    let mut devs = Vec::new();
    for (n, element) in split_outside_quotes(&unfolded, ',')?
        .into_iter()
        .enumerate()
    {
        let element = element.trim();
        if element.is_empty() {
            devs.push(Deviation {
                mechanism: None,
                what: format!("empty list element at position {}", n + 1),
            });
            continue;
        }
        let idx = mechanisms.len();
        let mut parts = split_outside_quotes(element, ';')?.into_iter();
        let name = parts.next().unwrap_or("").trim();
        if name.is_empty() || !name.chars().all(is_token_char) {
            return Err(ParseError::Syntax(format!(
                "mechanism #{}: bad mechanism name '{name}'",
                idx + 1
            )));
        }
        if name.chars().any(|c| c.is_ascii_uppercase()) {
            devs.push(Deviation {
                mechanism: Some(idx),
                what: format!("mechanism name '{name}' is not in lower case"),
            });
        }
        let mut params: Vec<Param> = Vec::new();
        for raw in parts {
            if raw.trim().is_empty() {
                devs.push(Deviation {
                    mechanism: Some(idx),
                    what: "empty parameter".into(),
                });
                continue;
            }
            let p = parse_param(raw, idx, &mut devs)?;
            if params.iter().any(|q| q.name.eq_ignore_ascii_case(&p.name)) {
                devs.push(Deviation {
                    mechanism: Some(idx),
                    what: format!("parameter '{}' appears twice (the first counts)", p.name),
                });
            }
            params.push(p);
        }
        mechanisms.push(Mechanism {
            name: name.to_string(),
            params,
        });
    }
    if mechanisms.is_empty() {
        return Err(ParseError::Syntax("no mechanism in the list".into()));
    }
    if mode == Mode::Strict && !devs.is_empty() {
        return Err(ParseError::Deviations(devs));
    }
    Ok(Parsed {
        mechanisms,
        deviations: devs,
    })
}

/// Parses a whole header line `Security-Client: ...`.
pub fn parse_line(line: &str, mode: Mode) -> Result<(SecHeaderKind, Parsed), ParseError> {
    let (name, value) = line
        .split_once(':')
        .ok_or_else(|| ParseError::NotSecHeader(line.chars().take(40).collect()))?;
    let kind = SecHeaderKind::from_name(name)
        .ok_or_else(|| ParseError::NotSecHeader(name.trim().chars().take(40).collect()))?;
    Ok((kind, parse_value(value, mode)?))
}

/// Emits a list as a header value (`a, b`).
pub fn emit(mechs: &[Mechanism]) -> String {
    mechs
        .iter()
        .map(|m| m.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
