//! A player's wake-up: a callback run at most once per arming, and the
//! signal `Player::wait` blocks on.

use crate::sync::{current_thread, lock, AtomicBool, Condvar, Mutex, ThreadId};
use std::time::Instant;

/// A notification callback. It runs on whichever thread changed the stream,
/// after every livehub lock is released.
pub type Callback = std::sync::Arc<dyn Fn() + Send + Sync>;

/// A player's one-shot wake-up: its callback, and the signal a blocking
/// `wait` sleeps on. Nothing else: what the stream sees of a player
/// (position, counters, expiry) is the stream's own record of it.
///
/// Shared between the player, the waiter list it is armed on, and whoever
/// fires it.
pub struct Notifier {
    /// On a waiter list ([`WaitList`](super::WaitList)). Read and written
    /// only under the lock of the list's stream; atomic so the notifier can
    /// be shared.
    pub(crate) queued: AtomicBool,
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
    pub(crate) fn new() -> Notifier {
        Notifier {
            queued: AtomicBool::new(false),
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
