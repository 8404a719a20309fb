//! One group's players on one stream.
//!
//! The stream keeps one [`GroupLink`] per group that has players on it, for
//! as long as it has; every such player holds it too. A player that finds
//! nothing to read arms into the link ([`GroupLink::arm`]) without the
//! stream lock. Whoever next changes the stream checks, under the stream
//! lock, each link's `pending` flag ([`GroupLink::take_pending`]) and, after
//! the lock is released, signals the links it took to their groups: the
//! publisher's cost is one flag per group, not one wake-up per player.
//!
//! No wake-up is lost to the race "the player saw nothing, a push lands,
//! the player arms": the push stores its tag, issues a `SeqCst` fence, then
//! reads `pending`; the player stores `pending`, issues a `SeqCst` fence,
//! then looks again for news (the next slot, the stream's event count). One
//! of them sees the other's write: either the publisher takes the link, or
//! the player sees the news and reads on.
//!
//! ```
//! use livehub::{Error, Group, Hub, PlayOptions};
//! let hub = Hub::new(Default::default());
//! let stream = hub.stream("live/link").unwrap();
//! let group = Group::new(|| {});
//! let opts = PlayOptions { group: Some(group.clone()), ..Default::default() };
//! let mut player = stream.play(opts).unwrap();          // links the group to the stream
//! player.notifier().set_callback(Some(std::sync::Arc::new(|| {})));
//! assert_eq!(player.read().err(), Some(Error::Again));  // arms into the link
//! stream.publish().unwrap().push_tag(8, 0, &[0xaf, 1, 0]).unwrap();
//! assert_eq!(group.dispatch(), 1);
//! ```

use super::handle::{Group, Shared};
use crate::notify::Notifier;
use crate::sync::{fence, lock, Arc, AtomicBool, Mutex, Ordering};

/// One group's players on one stream. See the [module docs](self).
pub(crate) struct GroupLink {
    group: Arc<Shared>,
    /// Some player armed since the stream last took this link.
    pending: AtomicBool,
    /// On the group's ready list (under the group's lock).
    pub(super) in_ready: AtomicBool,
    armed: Mutex<Armed>,
}

#[derive(Default)]
struct Armed {
    /// Armed players; an entry whose `queued` flag is false is stale (its
    /// player left) and is skipped.
    list: Vec<Arc<Notifier>>,
    /// How many entries at the front of `list` armed before the stream's
    /// last change that took this link: those have news for the next
    /// dispatch; the ones behind them armed later and wait for the next
    /// change.
    news: usize,
    /// Stale entries in `list`, to compact it before it grows past twice
    /// its live size.
    stale: usize,
}

impl GroupLink {
    pub(crate) fn new(group: &Group) -> GroupLink {
        GroupLink {
            group: group.shared().clone(),
            pending: AtomicBool::new(false),
            in_ready: AtomicBool::new(false),
            armed: Mutex::new(Armed::default()),
        }
    }

    /// Whether this link belongs to `group`.
    pub(crate) fn is_of(&self, group: &Group) -> bool {
        Arc::ptr_eq(&self.group, group.shared())
    }

    /// Arms `n` (once: `Notifier::queued`) and marks the link pending, then
    /// fences. The caller must look for news once more after this returns
    /// and read on if there is some (the module docs say why).
    pub(crate) fn arm(&self, n: &Arc<Notifier>) {
        {
            let mut armed = lock(&self.armed);
            if !n.queued.swap(true, Ordering::Relaxed) {
                armed.list.push(n.clone());
            }
        }
        self.pending.store(true, Ordering::SeqCst);
        fence(Ordering::SeqCst);
    }

    /// The stream's side, under its lock, after the change was stored and a
    /// `SeqCst` fence: whether some player armed since the last time (the
    /// link then goes to [`signal`](Self::signal) once the lock is released).
    /// The players armed until now are the ones with news: a dispatch
    /// calls them, and not those that arm after this.
    #[inline]
    pub(crate) fn take_pending(&self) -> bool {
        if !(self.pending.load(Ordering::Relaxed) && self.pending.swap(false, Ordering::SeqCst)) {
            return false;
        }
        let mut armed = lock(&self.armed);
        armed.news = armed.list.len();
        true
    }

    /// Hands `link` to its group: queued for its next dispatch, and the
    /// group woken unless it already was. No livehub lock may be held.
    pub(crate) fn signal(link: &Arc<GroupLink>) {
        link.group.signal(link);
    }

    /// A player leaves: if it is armed here its entry goes stale (skipped by
    /// dispatch); stale entries are compacted away once they are half the
    /// list, so a churn of players costs O(1) each.
    pub(crate) fn disarm(&self, n: &Notifier) {
        let mut armed = lock(&self.armed);
        if !n.queued.swap(false, Ordering::Relaxed) {
            return;
        }
        armed.stale += 1;
        if armed.stale * 2 > armed.list.len() {
            let (news, mut kept_news, mut i) = (armed.news, 0, 0);
            armed.list.retain(|n| {
                let keep = n.queued.load(Ordering::Relaxed);
                kept_news += usize::from(keep && i < news);
                i += 1;
                keep
            });
            armed.news = kept_news;
            armed.stale = 0;
        }
    }

    /// Dispatch: moves the armed players that have news into `out`
    /// (empty); those that armed after the last change stay armed.
    pub(super) fn take_armed(&self, out: &mut Vec<Arc<Notifier>>) {
        let mut armed = lock(&self.armed);
        let news = std::mem::take(&mut armed.news).min(armed.list.len());
        if news == armed.list.len() {
            std::mem::swap(&mut armed.list, out);
            armed.stale = 0;
        } else {
            out.extend(armed.list.drain(..news));
            armed.stale = armed
                .list
                .iter()
                .filter(|n| !n.queued.load(Ordering::Relaxed))
                .count();
        }
    }

    /// Dispatch: gives the emptied list's capacity back, unless players
    /// armed meanwhile.
    pub(super) fn give_back(&self, out: &mut Vec<Arc<Notifier>>) {
        let mut armed = lock(&self.armed);
        if armed.list.is_empty() && armed.list.capacity() < out.capacity() {
            std::mem::swap(&mut armed.list, out);
        }
    }
}

#[cfg(test)]
impl GroupLink {
    /// Entries in the armed list, stale ones included.
    pub(crate) fn armed_len(&self) -> usize {
        lock(&self.armed).list.len()
    }
}
