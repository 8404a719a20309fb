//! The stream's record of its players: what it may see of each one
//! (position, counters, end, expiry) without touching the player itself.
//!
//! A player mirrors its position and counters into its [`PlayerSlot`] on
//! its slow path (at least once per ring segment, and whenever it catches
//! up), not per tag; stats and the stall check read the mirror.

use crate::sync::{Arc, AtomicBool, AtomicU64, AtomicUsize, Ordering};

/// One player, as its stream sees it. Shared between the player and the
/// stream's registry.
pub(crate) struct PlayerSlot {
    /// Per-stream player number, for stats.
    id: u64,
    /// Index in the registry (written under the stream lock).
    index: AtomicUsize,
    /// Mirrors written by the player with relaxed stores.
    pos: AtomicU64,
    tags_out: AtomicU64,
    bytes_out: AtomicU64,
    tags_dropped: AtomicU64,
    /// Clock ms of the player's last slow path: it was reading then.
    seen_ms: AtomicU64,
    /// The player saw the end of its stream.
    ended: AtomicBool,
    /// Set by the stall check: the player's reads fail with `Expired`.
    expired: AtomicBool,
}

/// What a player has handed out so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Delivered {
    pub tags_out: u64,
    pub bytes_out: u64,
    pub tags_dropped: u64,
}

impl PlayerSlot {
    fn new(id: u64, pos: u64, now: u64) -> PlayerSlot {
        PlayerSlot {
            id,
            index: AtomicUsize::new(0),
            pos: AtomicU64::new(pos),
            tags_out: AtomicU64::new(0),
            bytes_out: AtomicU64::new(0),
            tags_dropped: AtomicU64::new(0),
            seen_ms: AtomicU64::new(now),
            ended: AtomicBool::new(false),
            expired: AtomicBool::new(false),
        }
    }

    /// The player's number in its stream.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The player publishes where it is and what it handed out.
    pub fn mirror(&self, pos: u64, d: &Delivered) {
        self.pos.store(pos, Ordering::Relaxed);
        self.tags_out.store(d.tags_out, Ordering::Relaxed);
        self.bytes_out.store(d.bytes_out, Ordering::Relaxed);
        self.tags_dropped.store(d.tags_dropped, Ordering::Relaxed);
    }

    /// The player is in a call at `now` (its slow path).
    pub fn seen(&self, now: u64) {
        self.seen_ms.store(now, Ordering::Relaxed);
    }

    /// The player saw the end of its stream.
    pub fn set_ended(&self) {
        self.ended.store(true, Ordering::Relaxed);
    }

    /// Whether the stall check expired this player.
    #[inline]
    pub fn is_expired(&self) -> bool {
        self.expired.load(Ordering::Relaxed)
    }

    pub(super) fn pos(&self) -> u64 {
        self.pos.load(Ordering::Relaxed)
    }

    pub(super) fn delivered(&self) -> Delivered {
        Delivered {
            tags_out: self.tags_out.load(Ordering::Relaxed),
            bytes_out: self.bytes_out.load(Ordering::Relaxed),
            tags_dropped: self.tags_dropped.load(Ordering::Relaxed),
        }
    }

    pub(super) fn is_ended(&self) -> bool {
        self.ended.load(Ordering::Relaxed)
    }
}

/// Every attached player of a stream. Lives under the stream lock.
#[derive(Default)]
pub(super) struct Registry {
    slots: Vec<Arc<PlayerSlot>>,
    /// Players attached since the stream was created.
    pub total: u64,
}

impl Registry {
    /// Adds a player at `pos`; returns its slot.
    pub fn add(&mut self, pos: u64, now: u64) -> Arc<PlayerSlot> {
        self.total += 1;
        let slot = Arc::new(PlayerSlot::new(self.total, pos, now));
        slot.index.store(self.slots.len(), Ordering::Relaxed);
        self.slots.push(slot.clone());
        slot
    }

    /// Removes a player.
    pub fn remove(&mut self, slot: &PlayerSlot) {
        let i = slot.index.load(Ordering::Relaxed);
        if self.slots.get(i).is_some_and(|p| std::ptr::eq(&**p, slot)) {
            self.slots.swap_remove(i);
            if let Some(moved) = self.slots.get(i) {
                moved.index.store(i, Ordering::Relaxed);
            }
        }
    }

    /// Players attached now: the one count of them.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<PlayerSlot>> {
        self.slots.iter()
    }

    /// The stall check: expires every player that has had unread data for
    /// `timeout_ms` without reading, counting from the later of its last
    /// read and the arrival of the first tag it has not read
    /// (`arrived_ms(pos)`). Returns how many it expired.
    pub fn expire_stalled(
        &self,
        now: u64,
        timeout_ms: u32,
        write_seq: u64,
        arrived_ms: impl Fn(u64) -> Option<u64>,
    ) -> usize {
        let mut expired = 0;
        for p in &self.slots {
            let pos = p.pos();
            if pos >= write_seq || p.is_expired() || p.is_ended() {
                continue;
            }
            let seen = p.seen_ms.load(Ordering::Relaxed);
            let since = arrived_ms(pos).map_or(seen, |a| a.max(seen));
            if now.saturating_sub(since) >= timeout_ms as u64 {
                p.expired.store(true, Ordering::Relaxed);
                expired += 1;
            }
        }
        expired
    }
}
