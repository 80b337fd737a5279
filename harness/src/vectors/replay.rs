//! Checker for `esp-antireplay` ([`crate::mech::esp::replay`], RFC 4303 §3.4.3, A2.2).
//!
//! Two shapes:
//! - `seqs` (+ optional `icv_ok`): feed the numbers in order; each gets `check`, and
//!   `update` when its ICV is taken as good; `expected.outcomes` lists
//!   accept | duplicate | left-of-window | zero per number.
//! - `top` + `seq_low` (ESN): a window whose right edge is `top`; `expected.seq_high` is the
//!   inferred high half of `seq_low`.

use super::Vector;
use crate::mech::esp::replay::{ReplayError, ReplayWindow};
use serde_yaml_ng::Value;

fn outcome(r: &Result<u64, ReplayError>) -> &'static str {
    match r {
        Ok(_) => "accept",
        Err(ReplayError::Duplicate(_)) => "duplicate",
        Err(ReplayError::LeftOfWindow { .. }) => "left-of-window",
        Err(ReplayError::Zero) => "zero",
        Err(ReplayError::Exhausted) => "exhausted",
        Err(ReplayError::NotEsn(_)) => "not-esn",
        Err(ReplayError::WindowSize(_)) => "window-size",
    }
}

fn u32_list(v: &[Value], what: &str) -> Result<Vec<u32>, String> {
    v.iter()
        .enumerate()
        .map(|(i, x)| {
            x.as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| format!("{what}[{i}] is not a 32-bit unsigned integer"))
        })
        .collect()
}

pub fn check_antireplay(v: &Vector) -> Result<(), String> {
    let inp = v.input();
    let exp = v.expected();
    let window =
        u32::try_from(inp.u64("window")?).map_err(|_| "input.window too large".to_string())?;
    let esn = inp.bool("esn")?;
    let mut w = ReplayWindow::new(window, esn).map_err(|e| format!("input.window: {e}"))?;
    if inp.has("seqs") {
        let seqs = u32_list(inp.list("seqs")?, "input.seqs")?;
        let icv_ok: Vec<bool> = if inp.has("icv_ok") {
            inp.list("icv_ok")?
                .iter()
                .map(|b| b.as_bool().ok_or("input.icv_ok holds a non-boolean"))
                .collect::<Result<_, _>>()?
        } else {
            vec![true; seqs.len()]
        };
        let want = exp.list("outcomes")?;
        if want.len() != seqs.len() || icv_ok.len() != seqs.len() {
            return Err("seqs, icv_ok and outcomes differ in length".into());
        }
        for (i, (seq, ok)) in seqs.iter().zip(&icv_ok).enumerate() {
            let r = w.check(*seq);
            let got = outcome(&r);
            let want_i = want.get(i).and_then(Value::as_str).unwrap_or("?");
            if got != want_i {
                return Err(format!(
                    "seqs[{i}]={seq}: expected {want_i}, got {got} (top {})",
                    w.top()
                ));
            }
            if let (Ok(full), true) = (r, ok) {
                w.update(full)
                    .map_err(|e| format!("seqs[{i}]={seq}: update failed: {e}"))?;
            }
        }
        Ok(())
    } else {
        let top = inp.u64("top")?;
        let seq_low = u32::try_from(inp.u64("seq_low")?)
            .map_err(|_| "input.seq_low does not fit 32 bits".to_string())?;
        w.update(top)
            .map_err(|e| format!("setting the right edge to {top:#x}: {e}"))?;
        let want = exp.u64("seq_high")?;
        match w.infer_high(seq_low) {
            Some(h) if u64::from(h) == want => Ok(()),
            Some(h) => Err(format!("seq_high: expected {want}, got {h}")),
            None => Err(format!("seq_high: expected {want}, got none")),
        }
    }
}
