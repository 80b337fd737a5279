//! Typed access to a vector's `input`/`expected` maps, with errors that name the field.

use serde_yaml_ng::Value;
use std::collections::BTreeMap;

/// A view of one map of a vector.
pub struct Fields<'a> {
    which: &'static str,
    map: &'a BTreeMap<String, Value>,
}

impl<'a> Fields<'a> {
    pub(super) fn new(which: &'static str, map: &'a BTreeMap<String, Value>) -> Self {
        Fields { which, map }
    }

    /// True when the field is present.
    pub fn has(&self, name: &str) -> bool {
        self.map.contains_key(name)
    }

    fn get(&self, name: &str) -> Result<&'a Value, String> {
        self.map
            .get(name)
            .ok_or_else(|| format!("{}.{name} is missing", self.which))
    }

    /// A string field (numbers are rendered as their decimal text).
    pub fn str(&self, name: &str) -> Result<String, String> {
        match self.get(name)? {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            Value::Null => Ok(String::new()),
            _ => Err(format!("{}.{name} is not a string", self.which)),
        }
    }

    /// A string field parsed with `FromStr` (algorithm names and the like).
    pub fn parsed<T: std::str::FromStr>(&self, name: &str) -> Result<T, String>
    where
        T::Err: std::fmt::Display,
    {
        self.str(name)?
            .parse()
            .map_err(|e| format!("{}.{name}: {e}", self.which))
    }

    /// An optional string field.
    pub fn opt_str(&self, name: &str) -> Result<Option<String>, String> {
        if self.has(name) {
            self.str(name).map(Some)
        } else {
            Ok(None)
        }
    }

    /// A hex field of any length (empty string allowed).
    pub fn hex(&self, name: &str) -> Result<Vec<u8>, String> {
        let s = self.str(name)?;
        crate::hexarg::decode(&s).map_err(|e| format!("{}.{name}: {e}", self.which))
    }

    /// An optional hex field.
    pub fn opt_hex(&self, name: &str) -> Result<Option<Vec<u8>>, String> {
        if self.has(name) {
            self.hex(name).map(Some)
        } else {
            Ok(None)
        }
    }

    /// A hex field of exactly `N` octets.
    pub fn hex_n<const N: usize>(&self, name: &str) -> Result<[u8; N], String> {
        let s = self.str(name)?;
        crate::hexarg::decode_fixed::<N>(&s).map_err(|e| format!("{}.{name}: {e}", self.which))
    }

    /// An unsigned integer field (decimal, or a string with `0x` hex).
    pub fn u64(&self, name: &str) -> Result<u64, String> {
        match self.get(name)? {
            Value::Number(n) => n
                .as_u64()
                .ok_or_else(|| format!("{}.{name} is not an unsigned integer", self.which)),
            Value::String(s) => {
                let t = s.trim();
                let r = if let Some(h) = t.strip_prefix("0x") {
                    u64::from_str_radix(h, 16)
                } else {
                    t.parse()
                };
                r.map_err(|_| format!("{}.{name}: '{s}' is not an unsigned integer", self.which))
            }
            _ => Err(format!("{}.{name} is not an unsigned integer", self.which)),
        }
    }

    /// A boolean field.
    pub fn bool(&self, name: &str) -> Result<bool, String> {
        match self.get(name)? {
            Value::Bool(b) => Ok(*b),
            _ => Err(format!("{}.{name} is not a boolean", self.which)),
        }
    }

    /// A list field.
    pub fn list(&self, name: &str) -> Result<&'a Vec<Value>, String> {
        match self.get(name)? {
            Value::Sequence(s) => Ok(s),
            _ => Err(format!("{}.{name} is not a list", self.which)),
        }
    }

    /// The raw value.
    pub fn value(&self, name: &str) -> Result<&'a Value, String> {
        self.get(name)
    }
}

/// Compares an expected hex field with what imsec computed; the error names the field.
pub fn expect_hex(exp: &Fields<'_>, name: &str, actual: &[u8]) -> Result<(), String> {
    let want = exp.hex(name)?;
    if want == actual {
        Ok(())
    } else {
        Err(format!(
            "{name}: expected {}, got {}",
            hex::encode(want),
            hex::encode(actual)
        ))
    }
}

/// Compares an expected string field.
pub fn expect_str(exp: &Fields<'_>, name: &str, actual: &str) -> Result<(), String> {
    let want = exp.str(name)?;
    if want == actual {
        Ok(())
    } else {
        Err(format!("{name}: expected '{want}', got '{actual}'"))
    }
}
