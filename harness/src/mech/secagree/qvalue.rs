//! `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )` (RFC 3261 §25.1, used by
//! RFC 3329 §2.2 `preference`). Values are kept in thousandths so that `0.1` and `0.100`
//! compare equal and `0.05` differs from `0.5` (a bug seen in a real proxy).

/// A q-value in thousandths (0..=1000).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QValue(pub u16);

impl QValue {
    /// Parses with the exact grammar; `None` for anything else.
    pub fn parse(s: &str) -> Option<QValue> {
        let b = s.as_bytes();
        let (&first, rest) = b.split_first()?;
        if first != b'0' && first != b'1' {
            return None;
        }
        let frac: &[u8] = match rest.split_first() {
            None => &[],
            Some((b'.', f)) => f,
            Some(_) => return None,
        };
        if frac.len() > 3 || !frac.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let mut thousandths: u16 = 0;
        for i in 0..3 {
            let d = frac.get(i).map_or(0, |c| u16::from(c - b'0'));
            thousandths = thousandths * 10 + d;
        }
        if first == b'1' {
            if thousandths != 0 {
                return None;
            }
            return Some(QValue(1000));
        }
        Some(QValue(thousandths))
    }

    /// Lenient parse: any decimal in [0, 1] with up to 3 fraction digits after trimming
    /// (e.g. `.5`, `0.5000`); used for real UEs and reported as a deviation in strict mode.
    pub fn parse_lenient(s: &str) -> Option<QValue> {
        if let Some(q) = Self::parse(s) {
            return Some(q);
        }
        let v: f64 = s.trim().parse().ok()?;
        if !(0.0..=1.0).contains(&v) {
            return None;
        }
        Some(QValue((v * 1000.0).round() as u16))
    }
}

impl std::fmt::Display for QValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0 >= 1000 {
            return f.write_str("1");
        }
        let s = format!("0.{:03}", self.0);
        let t = s.trim_end_matches('0');
        f.write_str(if t.ends_with('.') { "0" } else { t })
    }
}

#[cfg(test)]
mod tests {
    use super::QValue;

    /// The valid/invalid lists are the grammar's own boundary cases (RFC 3261 §25.1).
    #[test]
    fn grammar_boundaries() {
        for (s, v) in [
            ("0", 0),
            ("0.", 0),
            ("0.1", 100),
            ("0.123", 123),
            ("0.05", 50),
            ("1", 1000),
            ("1.0", 1000),
            ("1.000", 1000),
        ] {
            assert_eq!(QValue::parse(s), Some(QValue(v)), "{s}");
        }
        for s in [
            "1.1", "0.1234", "2", ".5", "-0", "", "0.a", "00", "1.0001", "0,5",
        ] {
            assert_eq!(QValue::parse(s), None, "{s}");
        }
        assert_ne!(QValue::parse("0.05"), QValue::parse("0.5"));
    }

    #[test]
    fn display_is_shortest() {
        assert_eq!(QValue(100).to_string(), "0.1");
        assert_eq!(QValue(1000).to_string(), "1");
        assert_eq!(QValue(0).to_string(), "0");
        assert_eq!(QValue(123).to_string(), "0.123");
    }
}
