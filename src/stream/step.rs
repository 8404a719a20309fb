//! The stream's decision for a reader: what a cursor at position P does
//! next — read on, skip forward to a keyframe, wait, or end.
//!
//! A player asks on its slow path (the next segment, nothing new, falling
//! behind); the fast path reads filled slots of its pinned segment with no
//! lock and no question. Every rule a reader is subject to is here: the end
//! of its epoch, the republish wait (with the player's own shorter one),
//! the retained window and `max_lag_ms`, and arming its waiter when there
//! is nothing to read.

use super::publishing::Wait;
use super::state::State;
use crate::config::Config;
use crate::notify::Waiter;
use crate::ring::{Entry, Segment};
use crate::sync::Arc;

/// Where a reader stands, as the stream needs to know it to decide.
pub(crate) struct At<'a> {
    /// Next ring position to read.
    pub seq: u64,
    /// The epoch it joined.
    pub epoch: u64,
    /// The republish wait it asked for.
    pub wait_ms: u32,
    /// The segment it has pinned.
    pub seg: Option<&'a Arc<Segment>>,
    /// It has prelude tags left to hand out.
    pub has_prelude: bool,
    /// Among them, metadata (kept first if it skips).
    pub pending_metadata: bool,
    /// It has handed out nothing yet (a skip then brings the stream's
    /// current metadata).
    pub fresh: bool,
    /// It blocks in `wait` if it finds nothing: its waiter goes on the
    /// list even with no callback (it does not doze).
    pub waiting: bool,
}

/// What the reader does next.
pub(crate) struct Step {
    /// It fell behind: it moves forward first.
    pub skip: Option<Skip>,
    /// The segment to pin from now on (`None`: keep the one it has).
    pub seg: Option<Option<Arc<Segment>>>,
    pub next: Next,
    /// `State::changes` when the decision was made.
    pub events: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    /// Something can be read now.
    Read,
    /// Nothing yet: its waiter is armed. Look again after `recheck_ms`
    /// even without a wake-up (a republish wait running out).
    Wait { recheck_ms: Option<u64> },
    /// The stream is over for this reader.
    End,
}

/// A move forward past tags the reader will never get.
pub(crate) struct Skip {
    /// The new position: the newest keyframe, or the live edge.
    pub to: u64,
    /// Tags jumped over.
    pub dropped: u64,
    /// The stream's metadata, for a reader that has handed out nothing.
    pub metadata: Option<Entry>,
    /// The sequence headers current at `to`.
    pub audio_sh: Option<Entry>,
    pub video_sh: Option<Entry>,
}

impl Skip {
    /// Whether the reader has headers to hand out after this skip.
    fn brings_headers(&self) -> bool {
        self.metadata.is_some() || self.audio_sh.is_some() || self.video_sh.is_some()
    }
}

impl State {
    /// Decides for the reader at `at`, at clock time `now`; arms `waiter`
    /// when there is nothing to read.
    pub(super) fn step(&mut self, at: &At<'_>, now: u64, cfg: &Config, waiter: &Waiter) -> Step {
        let end = Step {
            skip: None,
            seg: Some(None),
            next: Next::End,
            events: self.changes,
        };
        let write_seq = self.ring.write_seq();
        // How long this reader still waits for a republish, if it waits.
        let mut wait_left = None;
        if at.epoch == self.epochs.current() && at.seq >= write_seq {
            if let Wait::Running { waited, remaining } = self.republish_wait(now, cfg) {
                if waited >= at.wait_ms as u64 {
                    // This reader asked for a shorter wait than the stream's.
                    return end;
                }
                wait_left = Some(remaining.min(at.wait_ms as u64 - waited));
            }
        }
        let front = self.ring.front_seq();
        let mut skip = None;
        if at.epoch != self.epochs.current() {
            let epoch_end = self.epochs.end_of(at.epoch).unwrap_or(at.seq);
            if at.seq >= epoch_end || at.seq < front {
                return end;
            }
        } else if at.seq < front {
            skip = Some(self.skip(at));
        } else if at.seq < write_seq {
            let lag = self.lag_ms(at.seq);
            let newer_key = self.headers.gop.as_ref().is_some_and(|g| g.start > at.seq);
            if lag > cfg.max_lag_ms as u64 && newer_key {
                skip = Some(self.skip(at));
            }
        }
        let seq = skip.as_ref().map_or(at.seq, |s| s.to);
        let seg = self.ring.segment_for(seq);
        let same = match (seg, at.seg) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        };
        let has_prelude = match &skip {
            Some(s) => at.pending_metadata || s.brings_headers(),
            None => at.has_prelude,
        };
        let next = if has_prelude || (seq < write_seq && seg.is_some()) {
            Next::Read
        } else {
            self.waiters.arm(waiter, at.waiting);
            Next::Wait {
                recheck_ms: wait_left,
            }
        };
        Step {
            seg: (!same).then(|| seg.cloned()),
            skip,
            next,
            events: self.changes,
        }
    }

    /// Where a reader that fell behind goes: the newest keyframe (or the
    /// live edge), with the sequence headers again.
    fn skip(&self, at: &At<'_>) -> Skip {
        let (to, audio_sh, video_sh) = self.headers.skip_target(at.seq, self.ring.write_seq());
        Skip {
            to,
            dropped: to.saturating_sub(at.seq),
            metadata: if at.fresh {
                self.headers.metadata.clone()
            } else {
                None
            },
            audio_sh,
            video_sh,
        }
    }
}
