//! Receiver-side index estimation (RFC 3711 §3.3.1, Appendix A) and the replay list
//! (RFC 3711 §3.3.2).
//!
//! Both are split as RFC 3711 §3.3 orders: the index is *estimated* and the replay list
//! *checked* before authentication; ROC, s_l and the list are *updated* only after the packet
//! authenticated (§3.3, steps 5 and 6), so a forged packet never moves any state.

/// Smallest replay window (libsrtp refuses fewer than 64; RFC 4568 §6.3.7 WSH minimum 64).
pub const MIN_WINDOW: u32 = 64;
/// Largest replay window (size of the fixed bitmap: no allocation per stream or packet).
pub const MAX_WINDOW: u32 = 4096;
/// Default replay window (libsrtp's default for SRTP and its fixed SRTCP window).
pub const DEFAULT_WINDOW: u32 = 128;

const WORDS: usize = (MAX_WINDOW / 64) as usize;

/// Why the replay list refused an index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReplayError {
    /// The index was already received (RFC 3711 §3.3.2).
    #[error("index {0} already received (RFC 3711 §3.3.2)")]
    Duplicate(u64),
    /// The index is older than the window (RFC 3711 §3.3.2: "too old").
    #[error("index {index} is older than the replay window (lowest acceptable {lowest})")]
    TooOld { index: u64, lowest: u64 },
}

/// RFC 3711 §3.3.2 replay list as a sliding bitmap over packet indices.
#[derive(Clone, PartialEq, Eq)]
pub struct ReplayList {
    size: u32,
    /// Highest authenticated index; `None` before the first packet.
    top: Option<u64>,
    bits: [u64; WORDS],
}

impl std::fmt::Debug for ReplayList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplayList")
            .field("size", &self.size)
            .field("top", &self.top)
            .finish()
    }
}

impl ReplayList {
    /// A list of `size` indices, clamped to `MIN_WINDOW..=MAX_WINDOW`.
    pub fn new(size: u32) -> ReplayList {
        ReplayList {
            size: size.clamp(MIN_WINDOW, MAX_WINDOW),
            top: None,
            bits: [0; WORDS],
        }
    }

    /// The window size in packets.
    pub fn size(&self) -> u32 {
        self.size
    }

    /// Highest authenticated index.
    pub fn top(&self) -> Option<u64> {
        self.top
    }

    fn bit(&self, index: u64) -> bool {
        let b = (index % u64::from(MAX_WINDOW)) as usize;
        self.bits
            .get(b / 64)
            .is_some_and(|w| w >> (b % 64) & 1 == 1)
    }

    fn set(&mut self, index: u64, on: bool) {
        let b = (index % u64::from(MAX_WINDOW)) as usize;
        if let Some(w) = self.bits.get_mut(b / 64) {
            if on {
                *w |= 1 << (b % 64);
            } else {
                *w &= !(1 << (b % 64));
            }
        }
    }

    /// Checks `index` before authentication (RFC 3711 §3.3 step 2); changes nothing.
    pub fn check(&self, index: u64) -> Result<(), ReplayError> {
        let Some(top) = self.top else {
            return Ok(());
        };
        if index > top {
            return Ok(());
        }
        let lowest = top.saturating_sub(u64::from(self.size) - 1);
        if index < lowest {
            return Err(ReplayError::TooOld { index, lowest });
        }
        if self.bit(index) {
            return Err(ReplayError::Duplicate(index));
        }
        Ok(())
    }

    /// Records an authenticated `index` (RFC 3711 §3.3 step 6).
    pub fn update(&mut self, index: u64) {
        match self.top {
            Some(top) if index <= top => {}
            Some(top) => {
                // Clear the slots that the window slides over (at most MAX_WINDOW of them).
                let gap = (index - top).min(u64::from(MAX_WINDOW));
                if gap == u64::from(MAX_WINDOW) {
                    self.bits = [0; WORDS];
                } else {
                    for k in 1..=gap {
                        self.set(top.wrapping_add(k), false);
                    }
                }
                self.top = Some(index);
            }
            None => {
                self.bits = [0; WORDS];
                self.top = Some(index);
            }
        }
        self.set(index, true);
    }
}

/// RFC 3711 §3.3.1 / Appendix A: the receiver's rollover counter and highest sequence
/// number `s_l`, and the index estimate for a received SEQ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RocState {
    pub roc: u32,
    /// `s_l`; `None` until the first packet (then s_l := SEQ, §3.3.1).
    pub s_l: Option<u16>,
}

impl RocState {
    /// The guessed ROC `v` for `seq` (Appendix A) and the 48-bit index `2^16·v + SEQ`.
    /// `None` when the guess would leave the 32-bit ROC space (ROC-1 at ROC 0 is taken as 0,
    /// as libsrtp does: a packet from before the stream began).
    pub fn estimate(&self, seq: u16) -> Option<(u32, u64)> {
        let Some(s_l) = self.s_l else {
            return Some((self.roc, index_of(self.roc, seq)));
        };
        let half = 1u32 << 15;
        let (s, sl) = (u32::from(seq), u32::from(s_l));
        let v = if sl < half {
            if s > sl && s - sl > half {
                // Appendix A: SEQ - s_l > 2^15 → ROC - 1 (a late packet from before a wrap).
                self.roc.checked_sub(1).unwrap_or(self.roc)
            } else {
                self.roc
            }
        } else if sl - half > s {
            // s_l - 2^15 > SEQ → ROC + 1 (the sequence number wrapped).
            self.roc.checked_add(1)?
        } else {
            self.roc
        };
        Some((v, index_of(v, seq)))
    }

    /// Appendix A / §3.3.1: after authentication, advance ROC and s_l.
    pub fn update(&mut self, v: u32, seq: u16) {
        match self.s_l {
            None => {
                self.roc = v;
                self.s_l = Some(seq);
            }
            Some(s_l) => {
                if v > self.roc {
                    self.roc = v;
                    self.s_l = Some(seq);
                } else if v == self.roc && seq > s_l {
                    self.s_l = Some(seq);
                }
            }
        }
    }
}

/// The 48-bit packet index `i = 2^16 · ROC + SEQ` (RFC 3711 §3.3.1).
pub fn index_of(roc: u32, seq: u16) -> u64 {
    (u64::from(roc) << 16) | u64::from(seq)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 3711 Appendix A, case by case.
    #[test]
    fn roc_guess() {
        let st = RocState {
            roc: 5,
            s_l: Some(0xfff0),
        };
        // s_l >= 2^15 and s_l - 2^15 > SEQ: the sequence wrapped.
        assert_eq!(st.estimate(0x0002), Some((6, 6 << 16 | 2)));
        assert_eq!(st.estimate(0xffe0), Some((5, 5 << 16 | 0xffe0)));
        let st = RocState {
            roc: 5,
            s_l: Some(0x0005),
        };
        // s_l < 2^15 and SEQ - s_l > 2^15: a late packet from before the wrap.
        assert_eq!(st.estimate(0xfffe), Some((4, 4 << 16 | 0xfffe)));
        assert_eq!(st.estimate(0x0100), Some((5, 5 << 16 | 0x100)));
        // At ROC 0 there is no ROC-1.
        let st = RocState {
            roc: 0,
            s_l: Some(3),
        };
        assert_eq!(st.estimate(0xfff0), Some((0, 0xfff0)));
    }

    #[test]
    fn roc_update_only_forward() {
        let mut st = RocState::default();
        st.update(0, 0xfffe);
        assert_eq!(st.s_l, Some(0xfffe));
        let (v, _) = st.estimate(1).unwrap();
        st.update(v, 1);
        assert_eq!((st.roc, st.s_l), (1, Some(1)));
        let (v, i) = st.estimate(0xffff).unwrap();
        assert_eq!((v, i), (0, 0xffff));
        st.update(v, 0xffff);
        assert_eq!((st.roc, st.s_l), (1, Some(1)));
    }

    #[test]
    fn replay_list() {
        let mut r = ReplayList::new(64);
        assert!(r.check(1000).is_ok());
        r.update(1000);
        assert_eq!(r.check(1000), Err(ReplayError::Duplicate(1000)));
        assert!(r.check(999).is_ok());
        assert!(r.check(937).is_ok());
        assert_eq!(
            r.check(936),
            Err(ReplayError::TooOld {
                index: 936,
                lowest: 937
            })
        );
        r.update(999);
        assert!(r.check(999).is_err());
        r.update(1000 + 4096 + 5);
        assert!(r.check(1000 + 4096 + 4).is_ok());
        assert!(r.check(1000 + 4096 + 5).is_err());
        // Slots reused by the ring are cleared as the window slides.
        let mut r = ReplayList::new(128);
        for i in 0..10_000u64 {
            assert!(r.check(i).is_ok(), "{i}");
            r.update(i);
            assert!(r.check(i).is_err());
        }
    }
}
