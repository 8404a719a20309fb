//! The stream's timeline: publisher timestamps made continuous and monotonic.
//!
//! Encoders restart, publishers come back with timestamps from zero, 32-bit
//! millisecond counters wrap, and interleaved audio can be a few milliseconds
//! behind video. Players need one timeline that never goes back. The stream
//! maps every incoming timestamp onto such a timeline once, at publish time,
//! so each player only subtracts its own base.
//!
//! Policy (deliberately close to the "full" jitter correction servers use):
//! - steps are measured from the highest input seen so far, with 32-bit
//!   wrapping arithmetic, so a counter wrap is an ordinary small step;
//! - a step back of at most [`BACK_TOLERANCE_MS`] (audio a little behind
//!   video, say) keeps the input's relation to the timeline but is clamped
//!   so the timeline never goes back; it does not move the reference, so
//!   interleaving never accumulates into drift;
//! - a larger step back, or a step forward of more than [`MAX_GAP_MS`], is a
//!   discontinuity: the timeline continues [`DISCONTINUITY_STEP_MS`] after
//!   the previous tag and follows the new input from there.
//!
//! The timeline is a `u64` of milliseconds that starts at the first input
//! timestamp the stream ever receives and goes on across unpublish,
//! republish and the end of a republish wait.
//!
//! What a player sees ([`TimestampMode`](crate::TimestampMode), chosen at
//! `play` time), as the 32-bit FLV timestamp:
//! - **Rebase** (the default): the timeline minus the player's join point,
//!   so the first tag a player receives is 0. The join point is the keyframe
//!   the player starts at or, when it joins at the live edge (audio only,
//!   nothing cached yet, or attached before the first tag), the first tag it
//!   receives from the ring. The tags handed out before it (metadata,
//!   sequence headers) are 0 too.
//! - **Absolute**: the timeline itself, modulo 2^32 — the publisher's own
//!   timestamps as long as they only step forward, so it wraps exactly where
//!   the input wrapped. Metadata and sequence headers handed out on joining
//!   carry the position the player joined at.
//!
//! Either way a player's output never goes back (modulo 2^32): jitter is
//! held, restarts and republishes within the wait continue
//! [`DISCONTINUITY_STEP_MS`] after the last tag, and a forward jump beyond
//! [`MAX_GAP_MS`] is clamped to that step; `tests/timestamps.rs` checks each
//! of these.

/// Backward steps up to this size are jitter, not a discontinuity.
pub const BACK_TOLERANCE_MS: u32 = 250;
/// Forward steps beyond this are treated as a discontinuity.
pub const MAX_GAP_MS: u32 = 10_000;
/// The step the timeline takes over a discontinuity.
pub const DISCONTINUITY_STEP_MS: u32 = 10;

/// Maps input timestamps onto a continuous, monotonic timeline.
///
/// ```
/// use livehub::timestamp::Timeline;
/// let mut t = Timeline::default();
/// assert_eq!(t.map(1_000), 1_000);
/// assert_eq!(t.map(1_040), 1_040);
/// assert_eq!(t.map(1_023), 1_040);      // audio slightly behind: held
/// assert_eq!(t.map(1_046), 1_046);      // no drift afterwards
/// assert_eq!(t.map(0), 1_056);          // publisher restarted at 0
/// assert_eq!(t.map(40), 1_096);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Timeline {
    state: Option<State>,
}

#[derive(Debug, Clone)]
struct State {
    /// Highest input seen since the last discontinuity (raw 32-bit).
    hi_in: u32,
    /// `hi_in` unwrapped: it only grows.
    hi_ext: i64,
    /// Timeline position = unwrapped input + `offset`.
    offset: i64,
    /// Last position handed out.
    last_out: u64,
}

impl Timeline {
    /// Maps one input timestamp; the result never decreases.
    pub fn map(&mut self, input: u32) -> u64 {
        let Some(st) = &mut self.state else {
            self.state = Some(State {
                hi_in: input,
                hi_ext: input as i64,
                offset: 0,
                last_out: input as u64,
            });
            return input as u64;
        };
        let step = input.wrapping_sub(st.hi_in) as i32;
        let candidate = if (0..=MAX_GAP_MS as i32).contains(&step) {
            st.hi_in = input;
            st.hi_ext += step as i64;
            st.hi_ext + st.offset
        } else if step < 0 && step.unsigned_abs() <= BACK_TOLERANCE_MS {
            st.hi_ext + step as i64 + st.offset
        } else {
            // Discontinuity: restart the reference at this input, just
            // after the last position.
            let out = st.last_out as i64 + DISCONTINUITY_STEP_MS as i64;
            st.hi_in = input;
            st.offset = out - st.hi_ext;
            out
        };
        let out = (candidate.max(0) as u64).max(st.last_out);
        st.last_out = out;
        out
    }

    /// Forgets the history: the next input starts the timeline afresh.
    pub fn reset(&mut self) {
        self.state = None;
    }

    /// The timeline position of the latest mapped tag.
    pub fn last(&self) -> Option<u64> {
        self.state.as_ref().map(|s| s.last_out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steady_input_is_unchanged() {
        let mut t = Timeline::default();
        for i in 0..100u32 {
            assert_eq!(t.map(5_000 + i * 40), 5_000 + i as u64 * 40);
        }
    }

    #[test]
    fn jitter_never_goes_back() {
        let mut t = Timeline::default();
        assert_eq!(t.map(100), 100);
        assert_eq!(t.map(95), 100);
        assert_eq!(t.map(120), 120);
    }

    #[test]
    fn late_audio_does_not_drift() {
        // Video every 40 ms; each audio frame (every 23 ms) arrives 30 ms
        // late. After 60 s the timeline is where the input is.
        let mut t = Timeline::default();
        let mut out = 0;
        let (mut v, mut a) = (0u32, 0u32);
        while v <= 60_000 {
            out = t.map(v);
            while a + 30 <= v {
                let o = t.map(a);
                assert!(o >= a as u64 && o <= a as u64 + 30 + 40);
                a += 23;
            }
            v += 40;
        }
        assert_eq!(out, 60_000);
    }

    #[test]
    fn big_jumps_are_discontinuities() {
        let mut t = Timeline::default();
        t.map(60_000);
        assert_eq!(t.map(0), 60_010);
        assert_eq!(t.map(40), 60_050);
        assert_eq!(t.map(1_000_000), 60_060);
        assert_eq!(t.map(1_000_040), 60_100);
    }

    #[test]
    fn wrap_is_a_small_step() {
        let mut t = Timeline::default();
        let a = t.map(u32::MAX - 20);
        let b = t.map(19);
        assert_eq!(b - a, 40);
    }
}
