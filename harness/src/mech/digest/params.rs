//! `WWW-Authenticate` / `Authorization` Digest parameter lists (RFC 2617 §3.2.1, §3.2.2;
//! grammar as restated in RFC 7235 §2.1):
//!
//! ```text
//! credentials = auth-scheme 1*SP auth-param *( OWS "," OWS auth-param )
//! auth-param  = token BWS "=" BWS ( token / quoted-string )
//! ```
//!
//! Empty list elements (`a=1,,b=2`) are tolerated as RFC 7230 §7 asks. Parameter names are
//! case-insensitive; values keep their case. Quoted strings lose their quotes and backslash
//! escapes. Every malformed input yields a [`ParamError`], never a panic.

/// Why a header value was rejected. Positions are byte offsets into the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    #[error("empty header value: no auth-scheme")]
    NoScheme,
    #[error("expected a parameter name at byte {0}")]
    ExpectedName(usize),
    #[error("expected '=' after parameter name at byte {0}")]
    ExpectedEquals(usize),
    #[error("expected a token or quoted-string value at byte {0}")]
    ExpectedValue(usize),
    #[error("quoted-string starting at byte {0} is not terminated")]
    UnterminatedQuote(usize),
    #[error("expected ',' between parameters at byte {0}")]
    ExpectedComma(usize),
}

/// A parsed challenge or credentials header value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthParams {
    /// The auth-scheme (`Digest`), as written.
    pub scheme: String,
    /// (name, value) in order; names as written.
    pub params: Vec<(String, String)>,
}

impl AuthParams {
    /// The first value of `name` (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// RFC 7230 §3.2.6 tchar.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn skip_ws(s: &[u8], mut i: usize) -> usize {
    while matches!(s.get(i), Some(b' ' | b'\t' | b'\r' | b'\n')) {
        i += 1;
    }
    i
}

fn token(s: &[u8], mut i: usize) -> usize {
    while s.get(i).copied().is_some_and(is_tchar) {
        i += 1;
    }
    i
}

/// Parses a quoted-string starting at `start` (which holds `"`); returns (value, next index).
fn quoted(s: &[u8], start: usize) -> Result<(String, usize), ParamError> {
    let mut out = Vec::new();
    let mut i = start + 1;
    loop {
        match s.get(i) {
            None => return Err(ParamError::UnterminatedQuote(start)),
            Some(b'"') => return Ok((String::from_utf8_lossy(&out).into_owned(), i + 1)),
            Some(b'\\') => {
                let c = s.get(i + 1).ok_or(ParamError::UnterminatedQuote(start))?;
                out.push(*c);
                i += 2;
            }
            Some(c) => {
                out.push(*c);
                i += 1;
            }
        }
    }
}

/// Parses `Digest name=value, name="value", ...`.
pub fn parse(value: &str) -> Result<AuthParams, ParamError> {
    let s = value.as_bytes();
    let start = skip_ws(s, 0);
    let end = token(s, start);
    if end == start {
        return Err(ParamError::NoScheme);
    }
    let scheme = String::from_utf8_lossy(s.get(start..end).unwrap_or_default()).into_owned();
    let mut params = Vec::new();
    let mut i = skip_ws(s, end);
    loop {
        // Tolerate empty list elements.
        while s.get(i) == Some(&b',') {
            i = skip_ws(s, i + 1);
        }
        if i >= s.len() {
            break;
        }
        let name_end = token(s, i);
        if name_end == i {
            return Err(ParamError::ExpectedName(i));
        }
        let name = String::from_utf8_lossy(s.get(i..name_end).unwrap_or_default()).into_owned();
        i = skip_ws(s, name_end);
        if s.get(i) != Some(&b'=') {
            return Err(ParamError::ExpectedEquals(i));
        }
        i = skip_ws(s, i + 1);
        let (val, next) = if s.get(i) == Some(&b'"') {
            quoted(s, i)?
        } else {
            let e = token(s, i);
            if e == i {
                return Err(ParamError::ExpectedValue(i));
            }
            (
                String::from_utf8_lossy(s.get(i..e).unwrap_or_default()).into_owned(),
                e,
            )
        };
        params.push((name, val));
        i = skip_ws(s, next);
        match s.get(i) {
            None => break,
            Some(b',') => {}
            Some(_) => return Err(ParamError::ExpectedComma(i)),
        }
    }
    Ok(AuthParams { scheme, params })
}

/// Renders `v` as a quoted-string, escaping `"` and `\`.
pub fn quote(v: &str) -> String {
    let mut o = String::with_capacity(v.len() + 2);
    o.push('"');
    for c in v.chars() {
        if c == '"' || c == '\\' {
            o.push('\\');
        }
        o.push(c);
    }
    o.push('"');
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ims_challenge() {
        let p = parse(
            "Digest realm=\"ims.example.net\", nonce=\"I1U8vpY3qJ0h\",\r\n algorithm=AKAv1-MD5,qop=\"auth,auth-int\" ,, ck=\"00\"",
        )
        .unwrap();
        assert_eq!(p.scheme, "Digest");
        assert_eq!(p.get("REALM"), Some("ims.example.net"));
        assert_eq!(p.get("algorithm"), Some("AKAv1-MD5"));
        assert_eq!(p.get("qop"), Some("auth,auth-int"));
        assert_eq!(p.params.len(), 5);
    }

    #[test]
    fn escapes_roundtrip() {
        let v = "a\"b\\c";
        let p = parse(&format!("Digest x={}", quote(v))).unwrap();
        assert_eq!(p.get("x"), Some(v));
    }

    #[test]
    fn rejects() {
        assert_eq!(parse("  "), Err(ParamError::NoScheme));
        assert_eq!(parse("Digest a"), Err(ParamError::ExpectedEquals(8)));
        assert_eq!(parse("Digest a=\"x"), Err(ParamError::UnterminatedQuote(9)));
        assert_eq!(
            parse("Digest a=\"x\\"),
            Err(ParamError::UnterminatedQuote(9))
        );
        assert_eq!(parse("Digest a=b c=d"), Err(ParamError::ExpectedComma(11)));
        assert_eq!(parse("Digest a="), Err(ParamError::ExpectedValue(9)));
        assert_eq!(parse("Digest =b"), Err(ParamError::ExpectedName(7)));
    }
}
