//! A live stream: one publisher at a time, many players, shared tag storage.
//!
//! A [`Stream`] is a handle: cloning it is cheap, and the hub's entry,
//! every publisher and every player hold one, so the stream (its ring,
//! caches and userdata) lives exactly as long as the last of them.
//! Unpublishing and removal are state changes the players observe; they
//! never free anything.
//!
//! ```
//! use livehub::{Hub, Error};
//! let hub = Hub::new(Default::default());
//! let stream = hub.stream("live/cam1").unwrap();
//! let publisher = stream.publish().unwrap();
//! assert_eq!(stream.publish().err(), Some(Error::Busy)); // one publisher at a time
//! drop(publisher);                                        // = unpublish
//! let _again = stream.publish().unwrap();
//! ```
//!
//! The stream owns every rule about itself. Publishers and players never
//! touch its state: they ask it to do things (begin publishing, store
//! tags, attach a player) and ask it for decisions (`step`: what a reader
//! at some position does next). Every change goes through one path,
//! `Stream::update`: lock, change, take the waiters if the change is
//! news, unlock, fire.
//!
//! Files: `state` (what changes, under the lock), `step` (the reader's
//! decision), `publishing` (the publisher and the republish wait), `gop`
//! (headers and the GOP cache), `epoch`, `registry` (the players' records
//! and the stall check), `stats` (stats, JSON).

mod epoch;
mod gop;
mod publishing;
mod registry;
mod state;
mod stats;
mod step;
#[cfg(test)]
mod tests;

pub(crate) use registry::{Delivered, PlayerSlot};
pub(crate) use state::NewTag;
pub use stats::{PlayerState, PublisherState, StreamStats, RATE_WINDOW_S};
pub(crate) use step::{At, Next, Skip, Step};

use crate::config::Config;
use crate::error::Error;
use crate::log::log;
use crate::notify::group::{Group, GroupLink};
use crate::notify::{Home, Notifier, WaitList, Waiter, Wakeups};
use crate::ring::{Entry, Segment};
use crate::sync::{lock, Arc, AtomicU64, Mutex, Ordering, WeakRef};
use state::State;
use std::any::Any;

/// One live stream: a cheap, clonable handle. See the [module docs](self).
#[derive(Clone)]
pub struct Stream {
    shared: Arc<Shared>,
}

/// What every handle of one stream shares.
pub(crate) struct Shared {
    key: String,
    cfg: std::sync::Arc<Config>,
    state: Mutex<State>,
    userdata: Mutex<Option<Box<dyn Any + Send + Sync>>>,
    /// `State::changes`, readable without the lock: a grouped player at
    /// the live edge arms without the lock only while this is what it saw
    /// on its last slow path.
    events: AtomicU64,
}

/// What a player gets when it joins.
pub(crate) struct Joined {
    pub slot: Arc<PlayerSlot>,
    pub seq: u64,
    pub epoch: u64,
    pub seg: Option<Arc<Segment>>,
    pub prelude: Option<std::sync::Arc<[Entry]>>,
    /// Timeline position of the join keyframe (output 0 in rebase mode),
    /// unknown when joining at the live edge.
    pub origin: Option<u64>,
    /// Where the player's timestamps start.
    pub floor: u64,
    /// Its group's link on this stream, if it has a group.
    pub link: Option<Arc<GroupLink>>,
    /// `State::changes` at the join.
    pub events: u64,
}

impl Stream {
    pub(crate) fn new(key: String, cfg: std::sync::Arc<Config>) -> Stream {
        let now = cfg.clock.now_ms();
        Stream {
            shared: Arc::new(Shared {
                key,
                state: Mutex::new(State::new(&cfg, now)),
                cfg,
                userdata: Mutex::new(None),
                events: AtomicU64::new(0),
            }),
        }
    }

    /// The shared value behind this handle (the C handle's pointee).
    #[cfg(not(loom))]
    pub(crate) fn into_shared(self) -> Arc<Shared> {
        self.shared
    }

    /// A handle to a shared value (from a C handle).
    #[cfg(not(loom))]
    pub(crate) fn from_shared(shared: Arc<Shared>) -> Stream {
        Stream { shared }
    }

    /// Whether two handles are of the same stream.
    pub fn ptr_eq(a: &Stream, b: &Stream) -> bool {
        Arc::ptr_eq(&a.shared, &b.shared)
    }

    /// Changes other than appended tags so far (see `State::changes`).
    #[inline]
    pub(crate) fn events(&self) -> u64 {
        self.shared.events.load(Ordering::Relaxed)
    }

    /// The key the stream was created under.
    pub fn key(&self) -> &str {
        &self.shared.key
    }

    pub(crate) fn config(&self) -> &Config {
        &self.shared.cfg
    }

    pub(crate) fn now(&self) -> u64 {
        self.shared.cfg.clock.now_ms()
    }

    /// Players attached right now.
    pub fn player_count(&self) -> usize {
        lock(&self.shared.state).players.len()
    }

    /// The one way the stream changes: locks it, runs `f`, takes the
    /// waiters if `f` gave players news, unlocks, then fires them (all but
    /// `except`, the caller's own waiter). `wake` is the caller's reusable
    /// buffer; it is empty again when this returns.
    fn update<R>(
        &self,
        wake: &mut Wakeups,
        except: Option<&Waiter>,
        f: impl FnOnce(&mut State, &Config) -> R,
    ) -> R {
        let r = {
            let mut st = lock(&self.shared.state);
            let r = f(&mut st, &self.shared.cfg);
            if std::mem::take(&mut st.news) {
                // Before the take: its fence publishes this to players
                // arming without the lock.
                if self.shared.events.load(Ordering::Relaxed) != st.changes {
                    self.shared.events.store(st.changes, Ordering::Relaxed);
                }
                st.waiters.take(wake);
            }
            r
        };
        match except {
            Some(me) => wake.fire_except(me),
            None => wake.fire(),
        }
        r
    }

    /// Makes the caller the stream's publisher; returns its id.
    ///
    /// Errors: [`Error::Busy`] while another publisher is active (and not
    /// silent past its timeout: a dead encoder is cut here, so it never
    /// keeps a stream busy), [`Error::Closed`] once the stream was removed.
    pub(crate) fn begin_publish(&self) -> Result<u64, Error> {
        let now = self.now();
        let result = self.update(&mut Wakeups::default(), None, |st, cfg| {
            if st.closed {
                return Err(Error::Closed);
            }
            if st.publishing.is_active()
                && st
                    .publishing
                    .cut_if_silent(now, cfg.publisher_idle_timeout_ms)
                    .is_none()
            {
                return Err(Error::Busy);
            }
            st.republish_wait(now, cfg);
            let id = st.publishing.begin(now);
            st.refresh_idle(now);
            Ok(id)
        });
        if result.is_ok() {
            log!(Info, "stream {}: published", self.key());
        }
        result
    }

    /// Stores `tags` for publisher `id`, pushed now, and wakes the waiting
    /// players. [`Error::Closed`] (nothing stored) if `id` is no longer the
    /// active publisher.
    pub(crate) fn push(
        &self,
        id: u64,
        wake: &mut Wakeups,
        tags: impl IntoIterator<Item = NewTag>,
    ) -> Result<(), Error> {
        let now = self.now();
        self.update(wake, None, |st, cfg| {
            st.publishing.refresh(id, now)?;
            for tag in tags {
                st.append(tag, now, cfg);
            }
            Ok(())
        })
    }

    /// Publisher `id` leaves: players wait for a new one (or end now if the
    /// wait is 0).
    pub(crate) fn unpublish(&self, id: u64, wake: &mut Wakeups) {
        let now = self.now();
        self.update(wake, None, |st, cfg| {
            if st.publishing.leave(id, now) {
                st.news = true;
                st.changes += 1;
                st.republish_wait(now, cfg);
                st.refresh_idle(now);
            }
        });
    }

    /// Attaches a player that waits `wait_ms` for a republish: where it
    /// starts, and its record. [`Error::Closed`] once the stream was
    /// removed.
    pub(crate) fn join(&self, wait_ms: u32, group: Option<&Group>) -> Result<Joined, Error> {
        let now = self.now();
        self.update(&mut Wakeups::default(), None, |st, cfg| {
            if st.closed {
                return Err(Error::Closed);
            }
            // A stream whose republish wait ran out ends here, so this
            // player starts with the next publisher rather than the old
            // tail.
            st.republish_wait(now, cfg);
            st.publishing.wait_ms = st.publishing.wait_ms.max(wait_ms);
            let gop_start = st.headers.gop.as_ref().map(|g| g.start);
            let seq = gop_start.unwrap_or(st.ring.write_seq());
            // Joining at a keyframe: that keyframe is 0. At the live edge:
            // the first ring tag will be (origin stays unknown till then).
            let origin = gop_start.and_then(|s| st.ring.ts_of(s));
            let floor = origin.or_else(|| st.last_ts()).unwrap_or(0);
            let slot = st.players.add(seq, now);
            st.refresh_idle(now);
            Ok(Joined {
                slot,
                seq,
                epoch: st.epochs.current(),
                seg: st.ring.segment_for(seq).cloned(),
                prelude: st.headers.join_prelude(),
                origin,
                floor,
                link: group.map(|g| st.waiters.link(g)),
                events: st.changes,
            })
        })
    }

    /// A player leaves.
    pub(crate) fn leave(&self, slot: &PlayerSlot, waiter: &Waiter) {
        let now = self.now();
        let mut st = lock(&self.shared.state);
        st.waiters.remove(waiter);
        st.players.remove(slot);
        st.refresh_idle(now);
    }

    /// How `notifier` (a player's, not grouped) gets back onto this
    /// stream's waiter list from a doze (see [`Notifier`]): under the
    /// lock. It holds neither the stream nor the notifier alive.
    pub(crate) fn home(&self, notifier: &Arc<Notifier>) -> Home {
        let shared = WeakRef::new(&self.shared);
        let notifier = WeakRef::new(notifier);
        std::sync::Arc::new(move |f: &mut dyn FnMut(&mut WaitList, &Waiter)| {
            let (Some(shared), Some(n)) = (shared.get(), notifier.get()) else {
                return;
            };
            let waiter = Waiter::Player(n);
            f(&mut lock(&shared.state).waiters, &waiter);
        })
    }

    /// Waiters on the stream's list now (tests).
    #[cfg(test)]
    pub(crate) fn waiting_len(&self) -> usize {
        lock(&self.shared.state).waiters.len()
    }

    /// A grouped player's `wait` waiter goes off the list.
    pub(crate) fn leave_waiter(&self, waiter: &Waiter) {
        lock(&self.shared.state).waiters.remove(waiter);
    }

    /// The decision for the reader at `at` at clock time `now` (see
    /// [`step`]); arms `waiter`
    /// when there is nothing to read. Wakes the other waiters if the
    /// decision ended the epoch.
    pub(crate) fn step(&self, at: &At<'_>, waiter: &Waiter, now: u64) -> Step {
        self.update(&mut Wakeups::default(), Some(waiter), |st, cfg| {
            st.step(at, now, cfg, waiter)
        })
    }

    /// The (audio, video) flags of the FLV file header a player sends.
    pub(crate) fn tracks(&self) -> (bool, bool) {
        lock(&self.shared.state).tracks()
    }

    /// The lag and state of a player at `seq`.
    pub(crate) fn player_view(&self, slot: &PlayerSlot, seq: u64) -> (u64, PlayerState) {
        let st = lock(&self.shared.state);
        (
            st.lag_ms(seq),
            PlayerState::of(slot, seq, st.ring.write_seq()),
        )
    }

    /// Removes the stream from service: the publisher gets
    /// [`Error::Closed`], players read what was already published and then
    /// see [`Error::Eof`]. Memory stays until the last handle goes.
    pub(crate) fn close(&self) {
        let closed = self.update(&mut Wakeups::default(), None, |st, cfg| {
            if st.closed {
                return false;
            }
            st.closed = true;
            st.end_epoch(cfg);
            true
        });
        if closed {
            log!(Info, "stream {}: closed", self.key());
        }
    }

    /// Applies the time-based policies at `now`: an idle publisher is cut,
    /// a republish wait that ran out ends the stream, stalled players
    /// expire. Each timer counts from its event (the last push, the
    /// unpublish, the player's last read or the arrival of what it has not
    /// read, the moment the stream became idle), so one tick after a
    /// deadline acts however long ago the previous tick was. Returns
    /// whether the stream has had neither publisher nor players for
    /// `idle_stream_ms` (the hub then reaps it).
    pub(crate) fn tick(&self, now: u64) -> bool {
        let (cut, expired, reap) = self.update(&mut Wakeups::default(), None, |st, cfg| {
            let cut = st
                .publishing
                .cut_if_silent(now, cfg.publisher_idle_timeout_ms);
            if let Some(since) = cut {
                st.news = true;
                st.changes += 1;
                st.refresh_idle(since);
            }
            st.republish_wait(now, cfg);
            let ring = &st.ring;
            let expired = st.players.expire_stalled(
                now,
                cfg.player_idle_timeout_ms,
                ring.write_seq(),
                |seq| ring.arrived_ms(seq),
            );
            (cut.is_some(), expired, st.idle_for(now, cfg.idle_stream_ms))
        });
        let cfg = self.config();
        if cut {
            log!(
                Warn,
                "stream {}: publisher silent for {} ms, unpublished",
                self.key(),
                cfg.publisher_idle_timeout_ms
            );
        }
        if expired > 0 {
            log!(
                Warn,
                "stream {}: {} player(s) expired after not reading for {} ms",
                self.key(),
                expired,
                cfg.player_idle_timeout_ms
            );
        }
        reap
    }

    /// Attaches (or with `None` clears) an application value. The previous
    /// value, if any, is dropped on this thread before this returns; the
    /// last value is dropped when the last handle to the stream goes.
    pub fn set_userdata(&self, value: Option<Box<dyn Any + Send + Sync>>) {
        let old = std::mem::replace(&mut *lock(&self.shared.userdata), value);
        drop(old);
    }

    /// Runs `f` with the application value (under the userdata lock: do not
    /// call `set_userdata` from `f`).
    pub fn with_userdata<R>(&self, f: impl FnOnce(Option<&(dyn Any + Send + Sync)>) -> R) -> R {
        let guard = lock(&self.shared.userdata);
        f(guard.as_deref())
    }

    /// Counters and cache sizes now.
    pub fn stats(&self) -> StreamStats {
        lock(&self.shared.state).stats()
    }

    /// Appends this stream's JSON object (see `docs/stats.md`), from one
    /// snapshot taken under the lock.
    pub(crate) fn write_json(&self, out: &mut String) {
        let (s, rows) = {
            let st = lock(&self.shared.state);
            (st.stats(), st.player_rows())
        };
        stats::write_json(out, self.key(), &s, &rows);
    }

    /// Whether the stream was removed from its hub.
    pub fn is_closed(&self) -> bool {
        lock(&self.shared.state).closed
    }
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stream")
            .field("key", &self.key())
            .finish_non_exhaustive()
    }
}
