//! The group handle: its wake function, the links that have news, dispatch.
//!
//! ```
//! use livehub::Group;
//! let group = Group::new(|| { /* write the loop's eventfd */ });
//! assert_eq!(group.dispatch(), 0); // nothing armed, nothing to run
//! ```

use super::link::GroupLink;
use crate::sync::{current_thread, lock, Arc, Condvar, Mutex, Ordering, ThreadId};

/// What a group calls to wake its loop. It runs on the thread that made the
/// change, with no livehub lock held.
pub type WakeFn = std::sync::Arc<dyn Fn() + Send + Sync>;

/// One event loop's players. Cheap to clone: clones share one group. See
/// the [module docs](super). When the last clone goes, the group closes
/// (see [`close`](Self::close)): nothing could dispatch it any more.
#[derive(Clone)]
pub struct Group {
    handle: Arc<Handle>,
}

/// What the clones of a [`Group`] share; its links hold `Shared` only, so
/// that the links queued in `Shared` never keep a group alive by a cycle.
struct Handle {
    shared: Arc<Shared>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.shared.close();
    }
}

/// What a group's handles, its links and the threads waking it share.
pub(crate) struct Shared {
    state: Mutex<State>,
    cond: Condvar,
}

struct State {
    /// Links signalled since the last dispatch (each once: `in_ready`).
    ready: Vec<Arc<GroupLink>>,
    /// `wake` ran and no dispatch started since.
    woken: bool,
    /// `None` once the group was closed.
    wake: Option<WakeFn>,
    /// Threads inside `wake` right now.
    running: Vec<ThreadId>,
    /// Threads waiting in `close` for `running` to empty.
    blocked: u32,
    /// Wake calls so far.
    wakes: u64,
}

impl Group {
    /// A group whose `wake` runs when one of its players gets news.
    pub fn new(wake: impl Fn() + Send + Sync + 'static) -> Group {
        Group::with_wake(std::sync::Arc::new(wake))
    }

    /// [`new`](Self::new) with a shared wake function.
    pub fn with_wake(wake: WakeFn) -> Group {
        Group {
            handle: Arc::new(Handle {
                shared: Arc::new(Shared {
                    state: Mutex::new(State {
                        ready: Vec::new(),
                        woken: false,
                        wake: Some(wake),
                        running: Vec::new(),
                        blocked: 0,
                        wakes: 0,
                    }),
                    cond: Condvar::new(),
                }),
            }),
        }
    }

    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.handle.shared
    }

    /// Runs, on the calling thread, the notify callback of every player of
    /// the group that got news since it armed; returns how many ran. The
    /// next news after this call starts wakes the group again. No livehub
    /// lock is held while the callbacks run: they may read, re-arm or
    /// release their players, and call `dispatch` again.
    pub fn dispatch(&self) -> usize {
        let shared = self.shared();
        let ready = {
            let mut st = lock(&shared.state);
            st.woken = false;
            for link in &st.ready {
                link.in_ready.store(false, Ordering::Relaxed);
            }
            std::mem::take(&mut st.ready)
        };
        let mut armed = Vec::new();
        let mut ran = 0;
        for link in &ready {
            link.take_armed(&mut armed);
            for n in armed.drain(..) {
                // `queued` false: the player left (or is gone) since it armed.
                if n.queued.swap(false, Ordering::Relaxed) && n.fire() {
                    ran += 1;
                }
            }
            link.give_back(&mut armed);
        }
        // Keep the list's capacity for the next round.
        let mut st = lock(&shared.state);
        if st.ready.is_empty() && st.wake.is_some() {
            let mut ready = ready;
            ready.clear();
            st.ready = ready;
        }
        ran
    }

    /// How many times `wake` ran so far.
    pub fn wakes(&self) -> u64 {
        lock(&self.shared().state).wakes
    }

    /// Stops the wake-ups: when this returns, `wake` is not running on any
    /// other thread and never runs again (called from inside `wake`, it does
    /// not wait for that invocation). Players keep reading and `wait()`
    /// keeps working; their callbacks run only in [`dispatch`](Self::dispatch).
    pub fn close(&self) {
        self.shared().close();
    }

    /// Whether `a` and `b` are the same group.
    pub fn ptr_eq(a: &Group, b: &Group) -> bool {
        Arc::ptr_eq(a.shared(), b.shared())
    }
}

impl Shared {
    /// See [`Group::close`]. Also lets go of the links queued for a
    /// dispatch that will not come.
    fn close(&self) {
        let me = current_thread();
        let mut st = lock(&self.state);
        let old = st.wake.take();
        let ready = std::mem::take(&mut st.ready);
        for link in &ready {
            link.in_ready.store(false, Ordering::Relaxed);
        }
        while st.running.iter().any(|t| *t != me) {
            st.blocked += 1;
            st = self.cond.wait(st).unwrap_or_else(|e| e.into_inner());
            st.blocked -= 1;
        }
        drop(st);
        drop(ready);
        drop(old);
    }

    /// `link` has news: queue it for the next dispatch and, unless the group
    /// was woken since the last dispatch, run `wake`. Call with no livehub
    /// lock held.
    pub(crate) fn signal(&self, link: &Arc<GroupLink>) {
        let me = current_thread();
        let wake = {
            let mut st = lock(&self.state);
            // Closed: nothing will dispatch, so nothing is queued.
            let Some(wake) = st.wake.clone() else { return };
            if !link.in_ready.swap(true, Ordering::Relaxed) {
                st.ready.push(link.clone());
            }
            if st.woken {
                return;
            }
            st.woken = true;
            st.wakes += 1;
            st.running.push(me);
            wake
        };
        // Removes this thread from `running` even if `wake` unwinds.
        struct Done<'a>(&'a Shared, ThreadId);
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
        wake();
    }
}

impl std::fmt::Debug for Group {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Group").finish_non_exhaustive()
    }
}

impl PartialEq for Group {
    fn eq(&self, other: &Group) -> bool {
        Group::ptr_eq(self, other)
    }
}

impl Eq for Group {}
