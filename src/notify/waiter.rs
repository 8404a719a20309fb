//! The arm / take / fire protocol of a stream's waiter list.
//!
//! - *Arm* ([`WaitList::arm`], under the stream lock): a [`Waiter`] goes on
//!   the list unless it is on it already.
//! - *Take* ([`WaitList::take`], under the same lock): the whole list moves
//!   into a [`Wakeups`] and every waiter is marked as off the list.
//! - *Fire* ([`Wakeups::fire`], after the lock is released): each waiter's
//!   wake-up runs once.
//!
//! A player of a [`Group`](crate::Group) never goes on the list: it arms
//! into its group's [`GroupLink`] on this stream, which the stream keeps
//! for as long as that group has players here. *Take* also takes each link
//! that a player armed into since the last take, and *fire* signals those
//! links' groups. A push costs O(single players armed + groups with
//! players on the stream), never O(grouped players).

use super::group::{Group, GroupLink};
use super::Notifier;
use crate::sync::{fence, Arc, Ordering};

/// What a stream's waiter list holds: something to wake once the stream
/// changes.
#[derive(Clone)]
pub(crate) enum Waiter {
    /// One player's wake-up.
    Player(Arc<Notifier>),
    /// A grouped player's wake-up, and its group's link on the stream:
    /// arming puts it in the link, never on the list.
    Grouped(Arc<Notifier>, Arc<GroupLink>),
}

impl Waiter {
    /// Marks this waiter as on a list at take count `takes`; false if it
    /// already was, or if it dozes (see [`Notifier`]) unless `must`.
    #[inline]
    fn try_queue(&self, takes: u64, must: bool) -> bool {
        match self {
            Waiter::Player(n) => n.arm(takes, must) && !n.queued.swap(true, Ordering::Relaxed),
            Waiter::Grouped(n, link) => {
                link.arm(n);
                false
            }
        }
    }

    /// Marks this waiter as off its list; returns whether it was on one.
    #[inline]
    fn dequeue(&self) -> bool {
        match self {
            Waiter::Player(n) => n.queued.swap(false, Ordering::Relaxed),
            // Never on the list (see `try_queue`).
            Waiter::Grouped(..) => false,
        }
    }

    /// Runs the wake-up. Must be called with no livehub lock held.
    #[inline]
    fn fire(&self) {
        match self {
            Waiter::Player(n) => {
                n.fire();
            }
            // Never on the list; its callback runs in its group's dispatch.
            Waiter::Grouped(..) => {}
        }
    }

    /// Whether this waiter is on a list now.
    #[inline]
    fn is_queued(&self) -> bool {
        match self {
            Waiter::Player(n) => n.queued.load(Ordering::Relaxed),
            Waiter::Grouped(..) => false,
        }
    }

    /// Whether two waiters are the same.
    #[inline]
    fn same(&self, other: &Waiter) -> bool {
        match (self, other) {
            (Waiter::Player(a), Waiter::Player(b)) => Arc::ptr_eq(a, b),
            (Waiter::Grouped(a, _), Waiter::Grouped(b, _)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

/// A stream's armed waiters. Lives under the stream lock.
#[derive(Default)]
pub(crate) struct WaitList {
    /// Armed waiters; an entry that is no longer queued is stale (its
    /// player left) and is dropped by the next take.
    list: Vec<Waiter>,
    /// Stale entries in `list`: compacted away once they are half of it,
    /// so players leaving cost O(1) each, not a scan of the list each.
    stale: usize,
    /// One link per group with players on this stream, and how many.
    links: Vec<(Arc<GroupLink>, usize)>,
    /// Takes so far: how a dozing notifier tells whether news came since
    /// it dozed off.
    takes: u64,
}

impl WaitList {
    /// Arms `w`: clears its signal and queues it, once. A player's
    /// notifier with no callback dozes instead, off the list, unless
    /// `must` (a blocking `wait` sleeps on it).
    #[inline]
    pub fn arm(&mut self, w: &Waiter, must: bool) {
        if w.try_queue(self.takes, must) {
            self.list.push(w.clone());
        }
    }

    /// Takes so far.
    pub fn takes(&self) -> u64 {
        self.takes
    }

    /// Waiters on the list now, stale ones included (tests).
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Takes `w` off the list (a player going away); a grouped player
    /// also leaves its link, which goes with its group's last player here.
    pub fn remove(&mut self, w: &Waiter) {
        if w.dequeue() {
            self.stale += 1;
            if self.stale * 2 > self.list.len() {
                self.list.retain(Waiter::is_queued);
                self.stale = 0;
            }
        }
        if let Waiter::Grouped(n, link) = w {
            link.disarm(n);
            if let Some(i) = self.links.iter().position(|(l, _)| Arc::ptr_eq(l, link)) {
                self.links[i].1 -= 1;
                if self.links[i].1 == 0 {
                    self.links.swap_remove(i);
                }
            }
        }
    }

    /// The link of `group` on this stream, made with its first player here.
    pub fn link(&mut self, group: &Group) -> Arc<GroupLink> {
        if let Some((link, n)) = self.links.iter_mut().find(|(l, _)| l.is_of(group)) {
            *n += 1;
            return link.clone();
        }
        let link = Arc::new(GroupLink::new(group));
        self.links.push((link.clone(), 1));
        link
    }

    /// Moves every waiter into `into` (which must be empty: it is fired
    /// after every take), marking them as off the list, and the links some
    /// player armed into since the last take. The vectors swap, so neither
    /// allocates in the steady state. Call after the change is stored: the
    /// fence pairs with the one in [`GroupLink::arm`].
    #[inline]
    pub fn take(&mut self, into: &mut Wakeups) {
        debug_assert!(into.list.is_empty() && into.links.is_empty());
        self.takes += 1;
        std::mem::swap(&mut self.list, &mut into.list);
        // Stale entries (players gone since they armed) are not fired.
        into.list.retain(Waiter::dequeue);
        self.stale = 0;
        if !self.links.is_empty() {
            fence(Ordering::SeqCst);
            for (link, _) in &self.links {
                if link.take_pending() {
                    into.links.push(link.clone());
                }
            }
        }
    }
}

/// Waiters taken from a stream, to fire once its lock is released.
#[derive(Default)]
pub(crate) struct Wakeups {
    list: Vec<Waiter>,
    links: Vec<Arc<GroupLink>>,
}

impl Wakeups {
    /// Fires every waiter taken, emptying the list (its capacity is kept).
    #[inline]
    pub fn fire(&mut self) {
        for w in self.list.drain(..) {
            w.fire();
        }
        self.signal_groups();
    }

    /// Hands each link taken to its group (which wakes, at most once per
    /// dispatch).
    fn signal_groups(&mut self) {
        for link in self.links.drain(..) {
            GroupLink::signal(&link);
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
        // A grouped caller's own callback runs in its group's dispatch,
        // not inside this call: its link is signalled like the others.
        self.signal_groups();
    }
}
