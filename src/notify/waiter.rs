//! The arm / take / fire protocol of a stream's waiter list.
//!
//! - *Arm* ([`WaitList::arm`], under the stream lock): a [`Waiter`] goes on
//!   the list unless it is on it already.
//! - *Take* ([`WaitList::take`], under the same lock): the whole list moves
//!   into a [`Wakeups`] and every waiter is marked as off the list.
//! - *Fire* ([`Wakeups::fire`], after the lock is released): each waiter's
//!   wake-up runs once.
//!
//! A push costs O(entries on the list). Today every entry is one player;
//! an entry that stands for many players (a group of them) keeps the cost
//! independent of the number of players.

use super::Notifier;
use crate::sync::{Arc, Ordering};

/// What a stream's waiter list holds: something to wake once the stream
/// changes.
#[derive(Clone)]
pub(crate) enum Waiter {
    /// One player's wake-up.
    Player(Arc<Notifier>),
}

impl Waiter {
    /// Marks this waiter as on a list; false if it already was.
    #[inline]
    fn try_queue(&self) -> bool {
        match self {
            Waiter::Player(n) => {
                n.arm();
                !n.queued.swap(true, Ordering::Relaxed)
            }
        }
    }

    /// Marks this waiter as off its list; returns whether it was on one.
    #[inline]
    fn dequeue(&self) -> bool {
        match self {
            Waiter::Player(n) => n.queued.swap(false, Ordering::Relaxed),
        }
    }

    /// Runs the wake-up. Must be called with no livehub lock held.
    #[inline]
    fn fire(&self) {
        match self {
            Waiter::Player(n) => n.fire(),
        }
    }

    /// Whether two waiters are the same.
    #[inline]
    fn same(&self, other: &Waiter) -> bool {
        match (self, other) {
            (Waiter::Player(a), Waiter::Player(b)) => Arc::ptr_eq(a, b),
        }
    }
}

/// A stream's armed waiters. Lives under the stream lock.
#[derive(Default)]
pub(crate) struct WaitList {
    list: Vec<Waiter>,
}

impl WaitList {
    /// Arms `w`: clears its signal and queues it, once.
    #[inline]
    pub fn arm(&mut self, w: &Waiter) {
        if w.try_queue() {
            self.list.push(w.clone());
        }
    }

    /// Takes `w` off the list (a player going away).
    pub fn remove(&mut self, w: &Waiter) {
        if w.dequeue() {
            self.list.retain(|x| !x.same(w));
        }
    }

    /// Moves every waiter into `into` (which must be empty: it is fired
    /// after every take), marking them as off the list. The two vectors
    /// swap, so neither allocates in the steady state.
    #[inline]
    pub fn take(&mut self, into: &mut Wakeups) {
        debug_assert!(into.list.is_empty());
        std::mem::swap(&mut self.list, &mut into.list);
        for w in &into.list {
            w.dequeue();
        }
    }
}

/// Waiters taken from a stream, to fire once its lock is released.
#[derive(Default)]
pub(crate) struct Wakeups {
    list: Vec<Waiter>,
}

impl Wakeups {
    /// Fires every waiter taken, emptying the list (its capacity is kept).
    #[inline]
    pub fn fire(&mut self) {
        for w in self.list.drain(..) {
            w.fire();
        }
    }

    /// Fires every waiter but `me`, the caller's own, which is inside a
    /// call and learns the news from that call's result (firing a player's
    /// callback there would run it inside a call on the same player).
    pub fn fire_except(&mut self, me: &Waiter) {
        for w in self.list.drain(..) {
            if !w.same(me) {
                w.fire();
            }
        }
    }
}
