//! A player's wake-up: a callback run at most once per arming, and the
//! signal `Player::wait` blocks on.

use super::{WaitList, Waiter};
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
///
/// A player's notifier with no callback, armed by a read that found
/// nothing while nobody blocks in `wait`, *dozes*: it stays off the
/// stream's waiter list, so a push costs it nothing. It remembers the
/// stream's take count at that read; a callback installed later puts it
/// on the list, under the stream lock, if no news came since (had it been
/// on the list, that news would have fired it with no callback to run and
/// taken it off: the same end state). So a callback sees exactly the
/// news it would see had the notifier been on the list all along.
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
    /// Dozing (see [`Notifier`]): the stream's take count at the read that
    /// armed it. Set and taken under the stream lock; cleared when the
    /// player leaves.
    dozing: Option<u64>,
    /// The way back onto the stream's waiter list; `None` for a notifier
    /// with no stream (or whose player left): it never dozes.
    home: Option<Home>,
}

/// Runs its argument under the lock of the stream a player's notifier arms
/// on, with that stream's waiter list and the player's waiter (if both are
/// still alive: it keeps neither). Made by the stream when the player
/// joins; dropped when it leaves.
pub(crate) type Home = std::sync::Arc<dyn Fn(&mut dyn FnMut(&mut WaitList, &Waiter)) + Send + Sync>;

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
    ///
    /// Installing a callback on a dozing player's notifier (it read to the
    /// live edge with none) takes the stream's lock briefly. The callback
    /// runs for the next change if the stream did not change since that
    /// read; if it did, that change used up the arming while there was no
    /// callback to call, and the callback runs for the first change after
    /// the player next reads to the edge.
    pub fn set_callback(&self, callback: Option<Callback>) {
        let me = current_thread();
        let old = self.install(callback);
        let mut st = lock(&self.state);
        while st.running.iter().any(|t| *t != me) {
            st.blocked += 1;
            st = self.cond.wait(st).unwrap_or_else(|e| e.into_inner());
            st.blocked -= 1;
        }
        drop(st);
        drop(old);
    }

    /// Swaps the callback in; returns the old one. A dozing notifier given
    /// a callback goes on its stream's list, if no news came since it
    /// dozed off: the swap then happens under the stream lock, so that no
    /// read or push comes between it and that check.
    fn install(&self, callback: Option<Callback>) -> Option<Callback> {
        let home = {
            let mut st = lock(&self.state);
            match (&callback, st.dozing, &st.home) {
                (Some(_), Some(_), Some(home)) => home.clone(),
                // Not dozing: a read that arms from now on sees the
                // callback (it arms under this lock too).
                _ => return std::mem::replace(&mut st.callback, callback),
            }
        };
        let mut callback = callback;
        let mut old = None;
        home(&mut |list, waiter| {
            let dozing = {
                let mut st = lock(&self.state);
                old = std::mem::replace(&mut st.callback, callback.take());
                st.dozing.take()
            };
            if dozing == Some(list.takes()) {
                list.arm(waiter, true);
            }
        });
        match callback {
            // The stream is gone: nothing to go back on.
            Some(cb) => lock(&self.state).callback.replace(cb),
            None => old,
        }
    }

    /// Clears the signal before the notifier goes on a waiter list, at the
    /// stream's take count `takes`. Returns false if it dozes instead (no
    /// callback, not `must` arm for a blocking `wait`, a home to return
    /// to): then it stays off the list.
    pub(crate) fn arm(&self, takes: u64, must: bool) -> bool {
        let mut st = lock(&self.state);
        st.signaled = false;
        if !must && st.callback.is_none() && st.home.is_some() {
            st.dozing = Some(takes);
            return false;
        }
        st.dozing = None;
        true
    }

    /// Gives the notifier its way back onto its stream's list (at join).
    pub(crate) fn set_home(&self, home: Home) {
        lock(&self.state).home = Some(home);
    }

    /// Its player leaves: it never dozes or goes back on a list again.
    pub(crate) fn leave_home(&self) {
        let home = {
            let mut st = lock(&self.state);
            st.dozing = None;
            st.home.take()
        };
        drop(home);
    }

    /// Whether it dozes now (tests).
    #[cfg(test)]
    pub(crate) fn is_dozing(&self) -> bool {
        lock(&self.state).dozing.is_some()
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
