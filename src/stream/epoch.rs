//! Epochs: a stream's life between two ends.
//!
//! An epoch ends when the republish wait runs out or the stream is removed;
//! a later publisher starts the next one. A player belongs to the epoch it
//! joined: it reads up to that epoch's end in the ring, then sees EOF.

use std::collections::VecDeque;

/// The current epoch and where the recent ones ended.
#[derive(Default)]
pub(super) struct Epochs {
    current: u64,
    /// `(epoch, end_seq)` of ended epochs whose end is still in the window;
    /// consecutive epochs that ended at the same place share one entry (the
    /// latest).
    ends: VecDeque<(u64, u64)>,
}

impl Epochs {
    pub fn current(&self) -> u64 {
        self.current
    }

    /// Ends the current epoch at ring position `end`.
    pub fn end(&mut self, end: u64) {
        if self.ends.back().is_some_and(|&(_, e)| e == end) {
            self.ends.pop_back();
        }
        self.ends.push_back((self.current, end));
        self.current += 1;
    }

    /// Where epoch `epoch` ended, if it did and that is still retained.
    /// Ends never decrease, and entries dropped by merging had the same end
    /// as the entry that replaced them, so the first entry at or after
    /// `epoch` is its end.
    pub fn end_of(&self, epoch: u64) -> Option<u64> {
        self.ends
            .iter()
            .find(|&&(e, _)| e >= epoch)
            .map(|&(_, end)| end)
    }

    /// Forgets ends before `front`, the oldest retained position: a player
    /// there is out of the window anyway, which ends its stream by itself.
    pub fn prune(&mut self, front: u64) {
        while self.ends.front().is_some_and(|&(_, e)| e < front) {
            self.ends.pop_front();
        }
    }
}
