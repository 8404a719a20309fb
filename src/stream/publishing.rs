//! The publisher side of a stream's state, and the republish-wait rule.
//!
//! At most one publisher is active. When it leaves (or is cut for
//! silence), players wait `wait_ms` for a new one; when the wait runs out
//! the epoch ends. [`Publishing::wait`] is the one place that rule is
//! computed: the stream applies it on every call that can observe it
//! (publish, play, a player's slow path, tick).

use crate::error::Error;

/// What a stream knows about its publisher.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PubState {
    /// Never published in this epoch, or the epoch ended.
    None,
    /// Publisher `id` is pushing; it last pushed at `last_push_ms`.
    Active { id: u64, last_push_ms: u64 },
    /// The publisher left at `since_ms`; players wait for a new one.
    Waiting { since_ms: u64 },
}

/// Where the republish wait stands at some moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Wait {
    /// No wait running (a publisher is active, or none ever left).
    None,
    /// Running: `waited` ms so far, `remaining` ms to go (> 0).
    Running { waited: u64, remaining: u64 },
    /// Ran out: the epoch must end.
    Over,
}

pub(super) struct Publishing {
    pub state: PubState,
    next_id: u64,
    /// Publishers accepted so far.
    pub count: u64,
    /// The republish wait of this epoch: the config's, or longer if a
    /// player asked for longer.
    pub wait_ms: u32,
}

impl Publishing {
    pub fn new(wait_ms: u32) -> Publishing {
        Publishing {
            state: PubState::None,
            next_id: 1,
            count: 0,
            wait_ms,
        }
    }

    pub fn is_active(&self) -> bool {
        matches!(self.state, PubState::Active { .. })
    }

    /// The republish-wait rule.
    pub fn wait(&self, now: u64) -> Wait {
        match self.state {
            PubState::Waiting { since_ms } => {
                let waited = now.saturating_sub(since_ms);
                match (self.wait_ms as u64).checked_sub(waited) {
                    Some(remaining) if remaining > 0 => Wait::Running { waited, remaining },
                    _ => Wait::Over,
                }
            }
            _ => Wait::None,
        }
    }

    /// Cuts an active publisher silent for `timeout_ms` or more. Its wait
    /// counts from the moment it became silent for that long, not from
    /// now. Returns that moment if it did.
    pub fn cut_if_silent(&mut self, now: u64, timeout_ms: u32) -> Option<u64> {
        match self.state {
            PubState::Active { last_push_ms, .. }
                if now.saturating_sub(last_push_ms) >= timeout_ms as u64 =>
            {
                let since_ms = last_push_ms.saturating_add(timeout_ms as u64).min(now);
                self.state = PubState::Waiting { since_ms };
                Some(since_ms)
            }
            _ => None,
        }
    }

    /// Makes a new publisher active (the caller checked that none is).
    pub fn begin(&mut self, now: u64) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.count += 1;
        self.state = PubState::Active {
            id,
            last_push_ms: now,
        };
        id
    }

    /// Publisher `id` pushes at `now`: refreshes its liveness.
    /// [`Error::Closed`] if it is no longer the active one.
    pub fn refresh(&mut self, id: u64, now: u64) -> Result<(), Error> {
        match &mut self.state {
            PubState::Active {
                id: active,
                last_push_ms,
            } if *active == id => {
                *last_push_ms = now;
                Ok(())
            }
            _ => Err(Error::Closed),
        }
    }

    /// Publisher `id` leaves at `now`; returns whether it was the active one.
    pub fn leave(&mut self, id: u64, now: u64) -> bool {
        if matches!(self.state, PubState::Active { id: a, .. } if a == id) {
            self.state = PubState::Waiting { since_ms: now };
            true
        } else {
            false
        }
    }
}
