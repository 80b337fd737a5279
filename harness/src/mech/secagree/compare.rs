//! Semantic comparison of two mechanism lists, for the bid-down check: the P-CSCF compares
//! the `Security-Verify` of the protected REGISTER with the `Security-Server` it sent, and the
//! second `Security-Client` with the first (RFC 3329 §2.3.1; TS 33.203 §7.2; TS 24.229 §5.2.2).
//!
//! "Semantic" means: mechanism and parameter names compare case-insensitively; parameter order
//! does not matter; `q` compares by value (`0.1` = `0.100`); numeric parameters (SPIs, ports)
//! compare as numbers; other unquoted values case-insensitively; quoted values exactly. The order
//! of mechanisms in the list carries no meaning in RFC 3329 (preference is `q`), so the lists
//! compare as multisets. Any other change — a parameter added, removed or altered, a mechanism
//! added or removed — is a difference, and is named.

use super::header::{Mechanism, Param};
use super::qvalue::QValue;

const NUMERIC: [&str; 4] = ["spi-c", "spi-s", "port-c", "port-s"];

fn same_value(name: &str, a: &Param, b: &Param) -> bool {
    match (&a.value, &b.value) {
        (None, None) => true,
        (Some(x), Some(y)) => {
            if name.eq_ignore_ascii_case("q") {
                return match (QValue::parse_lenient(x), QValue::parse_lenient(y)) {
                    (Some(p), Some(q)) => p == q,
                    _ => x == y,
                };
            }
            if NUMERIC.iter().any(|n| n.eq_ignore_ascii_case(name)) {
                if let (Ok(p), Ok(q)) = (x.parse::<u64>(), y.parse::<u64>()) {
                    return p == q;
                }
            }
            if a.quoted || b.quoted {
                a.quoted == b.quoted && x == y
            } else {
                x.eq_ignore_ascii_case(y)
            }
        }
        _ => false,
    }
}

/// The k-th parameter called `name` (case-insensitive), k from 0.
fn nth_param<'a>(m: &'a Mechanism, name: &str, k: usize) -> Option<&'a Param> {
    m.params
        .iter()
        .filter(|p| p.name.eq_ignore_ascii_case(name))
        .nth(k)
}

/// The first difference between two mechanisms, or `None` when they mean the same. A
/// parameter that appears several times (a deviation the lenient parser keeps) is compared
/// occurrence by occurrence.
pub fn mechanism_difference(a: &Mechanism, b: &Mechanism) -> Option<String> {
    if !a.name.eq_ignore_ascii_case(&b.name) {
        return Some(format!("mechanism '{}' vs '{}'", a.name, b.name));
    }
    for (i, p) in a.params.iter().enumerate() {
        let k = a.params[..i]
            .iter()
            .filter(|x| x.name.eq_ignore_ascii_case(&p.name))
            .count();
        match nth_param(b, &p.name, k) {
            None => return Some(format!("{}: parameter '{}' missing", a.name, p.name)),
            Some(q) if !same_value(&p.name, p, q) => {
                return Some(format!(
                    "{}: {}={} vs {}",
                    a.name,
                    p.name,
                    p.value.as_deref().unwrap_or(""),
                    q.value.as_deref().unwrap_or("")
                ))
            }
            _ => {}
        }
    }
    for (i, q) in b.params.iter().enumerate() {
        let k = b.params[..i]
            .iter()
            .filter(|x| x.name.eq_ignore_ascii_case(&q.name))
            .count();
        if nth_param(a, &q.name, k).is_none() {
            return Some(format!("{}: extra parameter '{}'", a.name, q.name));
        }
    }
    None
}

/// Compares `expected` (what was sent) with `got` (what came back). `Err` names the first
/// difference: a mechanism missing from `got`, an extra one, or a changed parameter.
pub fn compare_lists(expected: &[Mechanism], got: &[Mechanism]) -> Result<(), String> {
    let mut unmatched: Vec<&Mechanism> = got.iter().collect();
    for e in expected {
        match unmatched
            .iter()
            .position(|g| mechanism_difference(e, g).is_none())
        {
            Some(i) => {
                unmatched.swap_remove(i);
            }
            None => {
                let near = unmatched
                    .iter()
                    .filter(|g| g.name.eq_ignore_ascii_case(&e.name))
                    .filter_map(|g| mechanism_difference(e, g))
                    .next();
                return Err(match near {
                    Some(d) => format!("changed: {d}"),
                    None => format!("missing: {e}"),
                });
            }
        }
    }
    match unmatched.first() {
        Some(extra) => Err(format!("extra: {extra}")),
        None => Ok(()),
    }
}
