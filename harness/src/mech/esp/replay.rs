//! ESP anti-replay window (RFC 4303 §3.4.3 and Appendix A; Appendix A2 for ESN).
//! TS 33.203 M.6.3 / §6.3: the anti-replay service is enabled on every IMS SA.
//!
//! Receive processing is split in two, as RFC 4303 §3.4.3 requires:
//! 1. [`ReplayWindow::check`] *before* the ICV: rejects duplicates and packets left of the
//!    window, and (ESN) infers the high 32 bits of the sequence number, returning the full
//!    64-bit number the ICV must be computed over (RFC 4303 §2.2.1, A2.2).
//! 2. [`ReplayWindow::update`] *after* the ICV verified: marks the number as received and
//!    moves the right edge. The window is never changed for a packet that failed the ICV.
//!
//! The right edge T is the highest sequence number *authenticated* so far; the window
//! covers T-W+1 ..= T (RFC 4303 §3.4.3). W is configurable from 32 (the minimum RFC 4303
//! requires) to 4096 (default 64, the RFC's recommended default). The bitmap is a fixed
//! 4096-bit ring indexed by `seq mod 4096`, so nothing is allocated per packet.
//!
//! Sequence number 0 is never valid: the sender's counter starts at 0 and the first packet
//! carries 1 (RFC 4303 §3.3.3), and the counter never cycles (a new SA is needed instead),
//! so a received 0 (non-ESN), or a 64-bit 0 (ESN), cannot be a genuine packet.
//!
//! Not implemented: the optional A2.3 re-synchronisation after many consecutive ICV
//! failures (the caller may count failures and tear the SA down instead).

/// Smallest window RFC 4303 §3.4.3 allows.
pub const MIN_WINDOW: u32 = 32;
/// Largest window this implementation supports (size of the bitmap).
pub const MAX_WINDOW: u32 = 4096;
/// RFC 4303 §3.4.3: the default window size SHOULD be 64.
pub const DEFAULT_WINDOW: u32 = 64;

const WORDS: usize = (MAX_WINDOW / 64) as usize;

/// Why a sequence number was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReplayError {
    /// Sequence number 0 is never sent (RFC 4303 §3.3.3).
    #[error("sequence number 0 is never sent (RFC 4303 §3.3.3)")]
    Zero,
    /// Already received inside the window (RFC 4303 §3.4.3).
    #[error("duplicate sequence number {0} (RFC 4303 §3.4.3)")]
    Duplicate(u64),
    /// Older than the left edge of the window (RFC 4303 §3.4.3).
    #[error("sequence number {seq} is left of the window (lowest acceptable {left})")]
    LeftOfWindow { seq: u64, left: u64 },
    /// ESN: the inferred high half would leave the 64-bit space (counter exhausted).
    #[error("extended sequence number space exhausted (RFC 4303 §2.2.1)")]
    Exhausted,
    /// Non-ESN update with a number above 2^32-1.
    #[error("sequence number {0} does not fit 32 bits on a non-ESN SA")]
    NotEsn(u64),
    /// The configured window size is outside 32..=4096.
    #[error("replay window {0} outside {MIN_WINDOW}..={MAX_WINDOW}")]
    WindowSize(u32),
}

/// The receive-side anti-replay state of one SA.
#[derive(Clone, PartialEq, Eq)]
pub struct ReplayWindow {
    size: u32,
    esn: bool,
    /// Right edge T: highest authenticated sequence number (0 = nothing received yet).
    top: u64,
    bits: [u64; WORDS],
}

impl std::fmt::Debug for ReplayWindow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplayWindow")
            .field("size", &self.size)
            .field("esn", &self.esn)
            .field("top", &self.top)
            .finish_non_exhaustive()
    }
}

impl Default for ReplayWindow {
    fn default() -> Self {
        ReplayWindow {
            size: DEFAULT_WINDOW,
            esn: false,
            top: 0,
            bits: [0; WORDS],
        }
    }
}

impl ReplayWindow {
    /// A fresh window of `size` (32..=4096) for a 32-bit (`esn = false`) or ESN SA.
    pub fn new(size: u32, esn: bool) -> Result<ReplayWindow, ReplayError> {
        if !(MIN_WINDOW..=MAX_WINDOW).contains(&size) {
            return Err(ReplayError::WindowSize(size));
        }
        Ok(ReplayWindow {
            size,
            esn,
            ..ReplayWindow::default()
        })
    }

    /// The window size W.
    pub fn size(&self) -> u32 {
        self.size
    }
    /// Whether the SA uses extended sequence numbers.
    pub fn esn(&self) -> bool {
        self.esn
    }
    /// The right edge T (highest authenticated sequence number; 0 before the first).
    pub fn top(&self) -> u64 {
        self.top
    }

    /// RFC 4303 Appendix A2.2: the high 32 bits (Seqh) of a received low half, from the
    /// right edge T = Th || Tl and the window size W. `None` when Seqh would be -1 (before
    /// the start of the sequence space) or 2^32 (exhausted).
    pub fn infer_high(&self, seq_low: u32) -> Option<u32> {
        let tl = self.top as u32;
        let th = (self.top >> 32) as u32;
        let w = self.size;
        // Tl - W + 1 taken modulo 2^32, as A2.2 does.
        let left_low = tl.wrapping_sub(w).wrapping_add(1);
        if tl >= w - 1 {
            // Case A: the window lies within one sequence-number subspace.
            if seq_low >= left_low {
                Some(th)
            } else {
                th.checked_add(1)
            }
        } else if seq_low >= left_low {
            // Case B: the window spans two subspaces; this low half is in the lower one.
            th.checked_sub(1)
        } else {
            Some(th)
        }
    }

    /// The full sequence number for a received 32-bit field: itself (non-ESN) or with the
    /// inferred high half (ESN, A2.2).
    pub fn full_seq(&self, seq_low: u32) -> Result<u64, ReplayError> {
        if !self.esn {
            return Ok(u64::from(seq_low));
        }
        match self.infer_high(seq_low) {
            Some(h) => Ok((u64::from(h) << 32) | u64::from(seq_low)),
            // Below the start of the space: necessarily left of the window.
            None if (self.top as u32) < self.size - 1 && (self.top >> 32) == 0 => {
                Err(ReplayError::LeftOfWindow {
                    seq: u64::from(seq_low),
                    left: self.left_edge(),
                })
            }
            None => Err(ReplayError::Exhausted),
        }
    }

    /// Lowest sequence number inside the window (T-W+1, at least 1).
    pub fn left_edge(&self) -> u64 {
        self.top
            .saturating_sub(u64::from(self.size))
            .saturating_add(1)
            .max(1)
    }

    fn bit(&self, seq: u64) -> bool {
        let i = (seq % u64::from(MAX_WINDOW)) as usize;
        self.bits
            .get(i / 64)
            .is_some_and(|w| w & (1u64 << (i % 64)) != 0)
    }

    fn set(&mut self, seq: u64, on: bool) {
        let i = (seq % u64::from(MAX_WINDOW)) as usize;
        if let Some(w) = self.bits.get_mut(i / 64) {
            if on {
                *w |= 1u64 << (i % 64);
            } else {
                *w &= !(1u64 << (i % 64));
            }
        }
    }

    /// Checks a full sequence number against the window without changing it.
    fn check_full(&self, seq: u64) -> Result<(), ReplayError> {
        if seq == 0 {
            return Err(ReplayError::Zero);
        }
        if seq > self.top {
            return Ok(());
        }
        let left = self.left_edge();
        if seq < left {
            return Err(ReplayError::LeftOfWindow { seq, left });
        }
        if self.bit(seq) {
            return Err(ReplayError::Duplicate(seq));
        }
        Ok(())
    }

    /// Before the ICV (RFC 4303 §3.4.3): refuses duplicates, numbers left of the window and
    /// 0; on success returns the full sequence number (64-bit with ESN) for the ICV.
    pub fn check(&self, seq_low: u32) -> Result<u64, ReplayError> {
        let seq = self.full_seq(seq_low)?;
        self.check_full(seq)?;
        Ok(seq)
    }

    /// After the ICV verified (RFC 4303 §3.4.3): records `seq` (the value [`check`]
    /// returned) and advances the right edge. Re-checks, so a packet that was duplicated
    /// while the first copy was being verified is still refused once.
    ///
    /// [`check`]: ReplayWindow::check
    pub fn update(&mut self, seq: u64) -> Result<(), ReplayError> {
        if !self.esn && seq > u64::from(u32::MAX) {
            return Err(ReplayError::NotEsn(seq));
        }
        self.check_full(seq)?;
        if seq > self.top {
            // Clear the bits of the numbers the right edge moves over (they last held
            // numbers at least 4096 lower, all outside any window).
            let advance = seq - self.top;
            let clear = advance.min(u64::from(MAX_WINDOW));
            for k in 0..clear {
                self.set(seq - k, false);
            }
            self.top = seq;
        }
        self.set(seq, true);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(w: &mut ReplayWindow, low: u32) -> Result<u64, ReplayError> {
        let s = w.check(low)?;
        w.update(s)?;
        Ok(s)
    }

    #[test]
    fn window_size_bounds() {
        assert_eq!(
            ReplayWindow::new(31, false).unwrap_err(),
            ReplayError::WindowSize(31)
        );
        assert!(ReplayWindow::new(32, false).is_ok());
        assert!(ReplayWindow::new(4096, true).is_ok());
        assert_eq!(
            ReplayWindow::new(4097, false).unwrap_err(),
            ReplayError::WindowSize(4097)
        );
        assert_eq!(ReplayWindow::default().size(), 64);
    }

    /// RFC 4303 §3.3.3: the first packet carries 1; 0 is never sent.
    #[test]
    fn zero_is_refused() {
        let w = ReplayWindow::default();
        assert_eq!(w.check(0), Err(ReplayError::Zero));
        assert_eq!(w.check(1), Ok(1));
    }

    /// RFC 4303 §3.4.3: the window is only updated after the ICV; a packet that is only
    /// checked (ICV failed) leaves no trace.
    #[test]
    fn check_alone_does_not_update() {
        let mut w = ReplayWindow::new(32, false).unwrap();
        assert_eq!(w.check(100), Ok(100));
        assert_eq!(w.top(), 0);
        assert_eq!(w.check(5), Ok(5));
        assert_eq!(accept(&mut w, 5), Ok(5));
        assert_eq!(accept(&mut w, 5), Err(ReplayError::Duplicate(5)));
    }

    /// Edges: with T = 100 and W = 32 the window is 69..=100.
    #[test]
    fn window_edges() {
        let mut w = ReplayWindow::new(32, false).unwrap();
        accept(&mut w, 100).unwrap();
        assert_eq!(w.left_edge(), 69);
        assert_eq!(w.check(69), Ok(69));
        assert_eq!(
            w.check(68),
            Err(ReplayError::LeftOfWindow { seq: 68, left: 69 })
        );
        assert_eq!(w.check(100), Err(ReplayError::Duplicate(100)));
        assert_eq!(w.check(101), Ok(101));
        // Jumping by more than the bitmap clears everything that re-enters the window.
        accept(&mut w, 100 + 5000).unwrap();
        assert_eq!(w.check(5100 - 10), Ok(5090));
    }

    #[test]
    fn non_esn_update_rejects_64_bit() {
        let mut w = ReplayWindow::default();
        assert_eq!(w.update(1 << 32), Err(ReplayError::NotEsn(1 << 32)));
    }

    /// RFC 4303 A2.2 both cases, worked by hand from the text.
    #[test]
    fn esn_inference() {
        let mut w = ReplayWindow::new(64, true).unwrap();
        w.update((5u64 << 32) | 100).unwrap();
        // Case A: Tl = 100 >= W-1; left edge low half = 37.
        assert_eq!(w.infer_high(37), Some(5));
        assert_eq!(w.infer_high(36), Some(6));
        let mut w = ReplayWindow::new(64, true).unwrap();
        w.update((5u64 << 32) | 10).unwrap();
        // Case B: Tl = 10 < W-1; Tl-W+1 mod 2^32 = 0xffffffcb.
        assert_eq!(w.infer_high(0xffff_ffcb), Some(4));
        assert_eq!(w.infer_high(0xffff_ffca), Some(5));
        assert_eq!(w.check(0xffff_fff0), Ok((4u64 << 32) | 0xffff_fff0));
    }

    /// A fresh ESN window: low halves near 2^32 would be in subspace -1, i.e. before 1.
    #[test]
    fn esn_fresh_window() {
        let w = ReplayWindow::new(64, true).unwrap();
        assert_eq!(w.check(1), Ok(1));
        assert!(matches!(
            w.check(0xffff_fff0),
            Err(ReplayError::LeftOfWindow { .. })
        ));
    }

    #[test]
    fn esn_wrap_into_next_subspace() {
        let mut w = ReplayWindow::new(64, true).unwrap();
        // Traffic has already reached the end of subspace 0 (update takes full numbers).
        w.update(0xffff_ffe0).unwrap();
        accept(&mut w, 0xffff_fffe).unwrap();
        accept(&mut w, 0xffff_ffff).unwrap();
        assert_eq!(accept(&mut w, 0), Ok(1u64 << 32));
        assert_eq!(accept(&mut w, 1), Ok((1u64 << 32) | 1));
        assert_eq!(
            w.check(0xffff_ffff),
            Err(ReplayError::Duplicate(0xffff_ffff))
        );
        assert_eq!(w.check(0xffff_fff0), Ok(0xffff_fff0));
    }

    #[test]
    fn esn_exhausted() {
        let mut w = ReplayWindow::new(64, true).unwrap();
        w.update(u64::MAX - 1).unwrap();
        // Low half 5 is below the left edge in case A: Seqh would be 2^32.
        assert_eq!(w.check(5), Err(ReplayError::Exhausted));
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    /// The model: RFC 4303 §3.4.3 stated over the set of authenticated numbers.
    fn model(seen: &BTreeSet<u64>, w: u64, seq: u64) -> Result<(), &'static str> {
        let top = seen.last().copied().unwrap_or(0);
        if seq == 0 {
            Err("zero")
        } else if seq > top {
            Ok(())
        } else if seq + w <= top {
            Err("left")
        } else if seen.contains(&seq) {
            Err("dup")
        } else {
            Ok(())
        }
    }

    fn kind(r: &Result<u64, ReplayError>) -> Result<(), &'static str> {
        match r {
            Ok(_) => Ok(()),
            Err(ReplayError::Zero) => Err("zero"),
            Err(ReplayError::Duplicate(_)) => Err("dup"),
            Err(ReplayError::LeftOfWindow { .. }) => Err("left"),
            Err(_) => Err("other"),
        }
    }

    proptest! {
        /// Non-ESN: every decision equals the model's; `icv_ok` false means the packet is
        /// only checked (ICV failure) and must leave the state unchanged.
        #[test]
        fn matches_set_model(
            size in prop::sample::select(vec![32u32, 64, 100, 1024, 4096]),
            ops in prop::collection::vec((0u32..6000, any::<bool>()), 1..300),
        ) {
            let mut w = ReplayWindow::new(size, false).unwrap();
            let mut seen = BTreeSet::new();
            for (seq, icv_ok) in ops {
                let r = w.check(seq);
                prop_assert_eq!(kind(&r), model(&seen, u64::from(size), u64::from(seq)));
                if let (Ok(s), true) = (r, icv_ok) {
                    prop_assert_eq!(w.update(s), Ok(()));
                    seen.insert(s);
                }
                prop_assert_eq!(w.top(), seen.last().copied().unwrap_or(0));
            }
        }

        /// ESN: a sender walking the 64-bit space with jitter smaller than the window; the
        /// receiver must reconstruct every full number from its low half (A2.2).
        #[test]
        fn esn_reconstructs_full_numbers(
            start in (1u64 << 32) - 3000..(1u64 << 32) + 3000,
            steps in prop::collection::vec((1u64..40, 0u64..31), 1..200),
        ) {
            let mut w = ReplayWindow::new(64, true).unwrap();
            let mut seen = BTreeSet::new();
            w.update(start).unwrap();
            seen.insert(start);
            let mut next = start;
            for (adv, back) in steps {
                next += adv;
                // Sometimes deliver an older number that is still inside the window.
                let seq = next.saturating_sub(back).max(1);
                let r = w.check(seq as u32);
                let want = model(&seen, 64, seq);
                prop_assert_eq!(kind(&r), want);
                if let Ok(s) = r {
                    prop_assert_eq!(s, seq);
                    w.update(s).unwrap();
                    seen.insert(s);
                }
            }
        }
    }
}
