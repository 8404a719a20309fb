//! One-shot wake-ups for players.
//!
//! A player *arms* its [`Notifier`] when a read finds nothing (the stream puts
//! it on its waiter list, at most once). Whoever next changes the stream — a
//! push, an unpublish, a removal, a tick — takes the whole list under the
//! stream lock, lets the lock go, and only then *fires* each notifier: the
//! callback runs with no livehub lock held, so it may call back into livehub,
//! even read its own player. Firing dequeues, so a notifier fires at most once
//! per arming however many tags arrive before its player reads again.
//!
//! ```
//! use livehub::{Hub, Error};
//! use std::sync::{Arc, atomic::{AtomicUsize, Ordering}};
//! let hub = Hub::new(Default::default());
//! let stream = hub.stream("live/a").unwrap();
//! let mut player = stream.play(Default::default()).unwrap();
//! let fired = Arc::new(AtomicUsize::new(0));
//! let f = fired.clone();
//! player.notifier().set_callback(Some(Arc::new(move || { f.fetch_add(1, Ordering::SeqCst); })));
//! assert_eq!(player.read().err(), Some(Error::Again)); // arms
//! let mut publisher = stream.publish().unwrap();
//! publisher.push_tag(8, 0, &[0x2f, 1, 2]).unwrap();     // fires
//! publisher.push_tag(8, 23, &[0x2f, 1, 2]).unwrap();    // not armed: no second call
//! assert_eq!(fired.load(Ordering::SeqCst), 1);
//! ```

use crate::sync::{
    current_thread, lock, AtomicBool, AtomicU64, AtomicUsize, Condvar, Mutex, Ordering, ThreadId,
};
use std::time::Instant;

/// A notification callback. It runs on whichever thread changed the stream,
/// after every livehub lock is released.
pub type Callback = std::sync::Arc<dyn Fn() + Send + Sync>;

/// The shared half of a player: its wake-up, and what the stream may see of
/// it (position, counters, expiry) without touching the player itself.
/// Shared between the player, the stream (its player registry and waiter
/// list) and whoever fires it.
pub struct Notifier {
    /// On the stream's waiter list. Read and written only under the stream
    /// lock; atomic so the notifier can be shared.
    pub(crate) queued: AtomicBool,
    /// Index in the stream's player registry (under the stream lock).
    pub(crate) slot: AtomicUsize,
    /// Mirrors of the player's position and counters, written by the player
    /// with plain relaxed stores, read by stats and the stall check.
    pub(crate) pos: AtomicU64,
    pub(crate) tags_out: AtomicU64,
    pub(crate) bytes_out: AtomicU64,
    pub(crate) tags_dropped: AtomicU64,
    /// The player saw the end of its stream.
    pub(crate) ended: AtomicBool,
    /// Set by the stall check: the player's reads fail with `Expired`.
    pub(crate) expired: AtomicBool,
    /// Stall check bookkeeping (under the stream lock): the position seen
    /// and since when it has not moved while data was waiting.
    pub(crate) stall_pos: AtomicU64,
    pub(crate) stall_since: AtomicU64,
    /// Per-stream player number, for stats.
    pub(crate) id: u64,
    state: Mutex<State>,
    cond: Condvar,
}

#[derive(Default)]
struct State {
    /// Set by `fire`, cleared by `arm`: what a blocking `wait` waits for.
    signaled: bool,
    callback: Option<Callback>,
    /// Threads inside the callback right now.
    running: Vec<ThreadId>,
    /// Threads blocked in `wait_until` or `set_callback`: only then is the
    /// condition variable worth a wake-up (a system call).
    blocked: u32,
}

impl Notifier {
    pub(crate) fn new(id: u64, pos: u64, now: u64) -> Notifier {
        Notifier {
            queued: AtomicBool::new(false),
            slot: AtomicUsize::new(0),
            pos: AtomicU64::new(pos),
            tags_out: AtomicU64::new(0),
            bytes_out: AtomicU64::new(0),
            tags_dropped: AtomicU64::new(0),
            ended: AtomicBool::new(false),
            expired: AtomicBool::new(false),
            stall_pos: AtomicU64::new(pos),
            stall_since: AtomicU64::new(now),
            id,
            state: Mutex::new(State::default()),
            cond: Condvar::new(),
        }
    }

    /// Installs (or with `None` removes) the callback.
    ///
    /// When this returns, the previous callback is not running on any other
    /// thread and will never be called again. Called from inside the callback
    /// itself, it does not wait for that (its own) invocation.
    pub fn set_callback(&self, callback: Option<Callback>) {
        let me = current_thread();
        let mut st = lock(&self.state);
        let old = std::mem::replace(&mut st.callback, callback);
        while st.running.iter().any(|t| *t != me) {
            st.blocked += 1;
            st = self.cond.wait(st).unwrap_or_else(|e| e.into_inner());
            st.blocked -= 1;
        }
        drop(st);
        drop(old);
    }

    /// Clears the signal before the notifier goes on a waiter list.
    pub(crate) fn arm(&self) {
        lock(&self.state).signaled = false;
    }

    /// Signals waiters and runs the callback, if any; returns whether a
    /// callback ran. Must be called with no livehub lock held.
    pub(crate) fn fire(&self) -> bool {
        let me = current_thread();
        let callback = {
            let mut st = lock(&self.state);
            st.signaled = true;
            if st.blocked > 0 {
                self.cond.notify_all();
            }
            match st.callback.clone() {
                Some(cb) => {
                    st.running.push(me);
                    cb
                }
                None => return false,
            }
        };
        // Removes this thread from `running` even if the callback unwinds.
        struct Done<'a>(&'a Notifier, ThreadId);
        impl Drop for Done<'_> {
            fn drop(&mut self) {
                let mut st = lock(&self.0.state);
                if let Some(i) = st.running.iter().position(|t| *t == self.1) {
                    st.running.swap_remove(i);
                }
                if st.blocked > 0 {
                    self.0.cond.notify_all();
                }
            }
        }
        let _done = Done(self, me);
        callback();
        true
    }

    /// Blocks until fired or until `deadline` (`None`: no deadline). Returns
    /// whether it was fired.
    pub(crate) fn wait_until(&self, deadline: Option<Instant>) -> bool {
        let mut st = lock(&self.state);
        loop {
            if st.signaled {
                return true;
            }
            st.blocked += 1;
            match deadline {
                None => st = self.cond.wait(st).unwrap_or_else(|e| e.into_inner()),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        st.blocked -= 1;
                        return false;
                    }
                    st = self
                        .cond
                        .wait_timeout(st, d - now)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
            }
            st.blocked -= 1;
        }
    }
}

/// Marks a list taken from a stream as no longer queued. Call under the
/// stream lock, right after taking it.
pub(crate) fn dequeue_all(list: &[crate::sync::Arc<Notifier>]) {
    for n in list {
        n.queued.store(false, Ordering::Relaxed);
    }
}
