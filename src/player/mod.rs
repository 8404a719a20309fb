//! The reading side of a stream: a cursor into the shared ring.
//!
//! A `Player` joins at the newest keyframe of the GOP cache, after the
//! metadata and the sequence headers (or, with nothing cached, at the live
//! edge, waiting for a keyframe). It reads without blocking: a read that finds
//! nothing returns [`Error::Again`] and arms the player's [`Notifier`]. A
//! player that falls out of the retained window, or further behind than
//! `max_lag_ms`, skips forward to the newest keyframe, gets the sequence
//! headers again and counts what it dropped. Output timestamps never go back.
//!
//! ```
//! use livehub::{Hub, Error, flv};
//! let hub = Hub::new(Default::default());
//! let stream = hub.stream("live/join").unwrap();
//! let mut publisher = stream.publish().unwrap();
//! publisher.push_tag(9, 1000, &[0x17, 0, 0, 0, 0, 1, 0x64]).unwrap(); // AVC sequence header
//! publisher.push_tag(9, 1000, &[0x17, 1, 0, 0, 0, 0xAA]).unwrap();    // keyframe
//! publisher.push_tag(9, 1040, &[0x27, 1, 0, 0, 0, 0xBB]).unwrap();    // inter frame
//!
//! let mut late = stream.play(Default::default()).unwrap();
//! let sh = late.read().unwrap();
//! assert_eq!(sh.flags, flv::FLAG_SEQUENCE_HEADER);
//! let key = late.read().unwrap();
//! assert_eq!((key.flags, key.timestamp), (flv::FLAG_KEYFRAME, 0)); // rebased to 0
//! assert_eq!(late.read().unwrap().timestamp, 40);
//! assert_eq!(late.read().err(), Some(Error::Again));
//! ```

mod cursor;
mod output;

pub use crate::ring::TagView;

/// One tag handed out by [`Player::read_shared`]: the same tag as a
/// [`TagView`], but its body is a reference-counted handle on the stream's
/// own storage (no copy), which the caller may keep for as long as it
/// likes. For protocol engines that queue output across calls (the RTMP
/// session chunks queued tags while the socket drains).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedTag {
    /// 8 audio, 9 video, 18 script.
    pub tag_type: u8,
    /// Milliseconds, after the player's timestamp policy.
    pub timestamp: u32,
    /// `flv::FLAG_*` bits.
    pub flags: u32,
    /// The tag body (FLV tag header excluded), shared with every player.
    pub data: bytes::Bytes,
}

use crate::config::{PlayOptions, TimestampMode};
use crate::error::Error;
use crate::notify::{Notifier, Waiter};
use crate::ring::{Entry, Segment};
use crate::stream::{Delivered, PlayerSlot, PlayerState, Stream};
use crate::sync::Arc;
use output::FlvOut;
use std::time::{Duration, Instant};

/// What a player has delivered so far, and where it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlayerStats {
    /// Tags handed out.
    pub tags_out: u64,
    /// Body bytes handed out (FLV framing excluded).
    pub bytes_out: u64,
    /// Tags skipped: by falling behind, or while waiting for a keyframe.
    pub tags_dropped: u64,
    /// How far behind the newest tag the next tag to read is, in ms of
    /// stream time (0 when caught up).
    pub lag_ms: u64,
    /// What the player is doing.
    pub state: PlayerState,
}

/// A reader of one stream. See the [module docs](self).
///
/// The fields are in three groups, each with its own file: the cursor
/// (position, pinned storage, the keyframe wait: `cursor.rs`), the
/// timestamp policy and counters (here), the FLV byte-stream output
/// (`output.rs`).
pub struct Player {
    stream: Stream,
    notifier: Arc<Notifier>,
    /// What the stream arms when this player has nothing to read.
    waiter: Waiter,
    /// A grouped player's wake-up for `wait` (armed on the stream, no
    /// callback: the player's callback runs only in its group's
    /// dispatch), made by its first `wait`.
    wait_waiter: Option<Waiter>,
    /// Inside `wait`.
    waiting: bool,
    /// `Stream::events` as the last slow path saw it.
    seen_events: u64,
    /// The stream's record of this player.
    slot: Arc<PlayerSlot>,
    /// The segment holding `seq`, pinned while this player reads it.
    seg: Option<Arc<Segment>>,
    /// Next ring position to read.
    seq: u64,
    /// Every slot of `seg` before this position is filled (the segment's
    /// fill count as last loaded; 0 after a segment change).
    ready_end: u64,
    /// The stream epoch this player belongs to.
    epoch: u64,
    /// Tags to hand out before the ring (metadata, sequence headers),
    /// shared with the other players that joined at the same point; kept
    /// until the call after the last one is handed out (its view must stay
    /// valid until then).
    prelude: Option<std::sync::Arc<[Entry]>>,
    /// The next prelude tag to hand out.
    prelude_next: usize,
    need_keyframe: bool,
    eof: bool,
    mode: TimestampMode,
    /// Timeline position that maps to output 0 in rebase mode.
    origin: Option<u64>,
    /// Timeline position of the last tag handed out.
    floor: u64,
    wait_ms: u32,
    /// When a wait should look again even without a wake-up (the republish
    /// wait running out), in clock ms from the last slow path.
    recheck_ms: Option<u64>,
    stats: Delivered,
    flv: Option<Box<FlvOut>>,
    /// Set for the length of a call that hands out several tags
    /// (`read_batch`, `read_iov`): a segment or prelude this player lets go
    /// of meanwhile moves to `held`, so that every view of the call stays
    /// valid until the next call (the C API's promise, which the borrow
    /// checker cannot see across the boundary).
    hold: bool,
    /// What the last multi-tag call moved past; dropped at the next call.
    held: Vec<Held>,
}

/// Storage a multi-tag call's views may still point into.
enum Held {
    Segment(Arc<Segment>),
    // Kept for its lifetime only: the views point into it, nothing reads
    // it through here.
    #[allow(dead_code)]
    Prelude(std::sync::Arc<[Entry]>),
}

impl Stream {
    /// Attaches a new player: it will get the metadata, the sequence headers
    /// and the cached GOP first, then the live tags.
    ///
    /// Errors: [`Error::Closed`] once the stream was removed from its hub.
    pub fn play(&self, opts: PlayOptions) -> Result<Player, Error> {
        Player::join(self.clone(), opts)
    }
}

impl Player {
    fn join(stream: Stream, opts: PlayOptions) -> Result<Player, Error> {
        let wait_ms = opts
            .republish_wait_ms
            .unwrap_or(stream.config().republish_wait_ms);
        let joined = stream.join(wait_ms, opts.group.as_ref())?;
        let notifier = Arc::new(Notifier::new());
        let waiter = match joined.link {
            Some(link) => Waiter::Grouped(notifier.clone(), link),
            None => Waiter::Player(notifier.clone()),
        };
        if let Waiter::Player(_) = &waiter {
            notifier.set_home(stream.home(&notifier));
        }
        Ok(Player {
            waiter,
            wait_waiter: None,
            waiting: false,
            seen_events: joined.events,
            notifier,
            slot: joined.slot,
            seg: joined.seg,
            seq: joined.seq,
            ready_end: 0,
            epoch: joined.epoch,
            prelude: joined.prelude,
            prelude_next: 0,
            need_keyframe: true,
            eof: false,
            mode: opts.timestamps,
            origin: joined.origin,
            floor: joined.floor,
            wait_ms,
            recheck_ms: None,
            stats: Delivered::default(),
            flv: None,
            hold: false,
            held: Vec::new(),
            stream,
        })
    }

    /// The stream this player reads.
    pub fn stream(&self) -> &Stream {
        &self.stream
    }

    /// The player's wake-up handle: install a callback on it.
    pub fn notifier(&self) -> &Arc<Notifier> {
        &self.notifier
    }

    /// Counters so far, lag and state (takes the stream lock briefly).
    pub fn stats(&self) -> PlayerStats {
        self.mirror();
        let (lag_ms, state) = self.stream.player_view(&self.slot, self.seq);
        PlayerStats {
            tags_out: self.stats.tags_out,
            bytes_out: self.stats.bytes_out,
            tags_dropped: self.stats.tags_dropped,
            lag_ms,
            state,
        }
    }

    /// The next tag. Errors: [`Error::Again`] (nothing yet; the notifier is
    /// armed), [`Error::Eof`] (the stream ended for this player; sticky).
    pub fn read(&mut self) -> Result<TagView<'_>, Error> {
        self.begin_call();
        if self.steady() {
            return Ok(self.take_steady());
        }
        let src = self.advance()?;
        let (e, timestamp) = self.entry(src)?;
        Ok(e.view(timestamp))
    }

    /// The next tag, as [`read`](Self::read) returns it, with an owning
    /// handle on its body instead of a borrow (one reference count, no
    /// copy). Errors: those of [`read`](Self::read).
    pub fn read_shared(&mut self) -> Result<SharedTag, Error> {
        self.begin_call();
        let src = self.advance()?;
        let (e, timestamp) = self.entry(src)?;
        let view = e.view(timestamp);
        Ok(SharedTag {
            tag_type: view.tag_type,
            timestamp,
            flags: view.flags,
            data: e.data.clone(),
        })
    }

    /// Blocks until a read would not return [`Error::Again`], or `timeout`
    /// passes. Returns `Ok` (something to read), [`Error::Eof`] or
    /// [`Error::Timeout`].
    pub fn wait(&mut self, timeout: Duration) -> Result<(), Error> {
        self.begin_call();
        if let Waiter::Grouped(..) = self.waiter {
            self.wait_waiter
                .get_or_insert_with(|| Waiter::Player(Arc::new(Notifier::new())));
        }
        self.waiting = true;
        let result = self.wait_armed(timeout);
        self.waiting = false;
        result
    }

    /// `wait`'s loop: with `waiting` set, the slow path arms the waiter
    /// that [`wait_notifier`](Self::wait_notifier) blocks on.
    fn wait_armed(&mut self, timeout: Duration) -> Result<(), Error> {
        let deadline = Instant::now().checked_add(timeout);
        loop {
            match self.poll() {
                Err(Error::Again) => {}
                other => return other,
            }
            let mut until = deadline;
            if let Some(ms) = self.recheck_ms {
                let t = Instant::now() + Duration::from_millis(ms);
                until = Some(until.map_or(t, |d| d.min(t)));
            }
            self.wait_notifier().wait_until(until);
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return match self.poll() {
                    Err(Error::Again) => Err(Error::Timeout),
                    other => other,
                };
            }
        }
    }

    /// What `wait` blocks on: the player's notifier, or a grouped player's
    /// own wake-up on the stream.
    fn wait_notifier(&self) -> &Arc<Notifier> {
        match &self.wait_waiter {
            Some(Waiter::Player(n)) => n,
            _ => &self.notifier,
        }
    }

    /// The waiter the slow path arms now.
    pub(super) fn armed_waiter(&self) -> &Waiter {
        match (&self.wait_waiter, self.waiting) {
            (Some(w), true) => w,
            _ => &self.waiter,
        }
    }

    /// The player's group link, if it has a group.
    #[cfg(test)]
    pub(crate) fn group_link(&self) -> Option<&Arc<crate::notify::group::GroupLink>> {
        match &self.waiter {
            Waiter::Grouped(_, link) => Some(link),
            Waiter::Player(_) => None,
        }
    }

    /// Hands up to `max` tags to `f`, in order, in one call: what `max`
    /// calls of [`read`](Self::read) would return, for a fraction of the
    /// cost (a run of tags in the pinned segment is walked in a tight loop).
    /// Stops early when nothing more is there. Returns how many tags `f`
    /// got (at least 1), or the error of [`read`](Self::read) when there
    /// was none; [`Error::InvalidArg`] when `max` is 0.
    ///
    /// Every tag handed out stays in memory until the next call on this
    /// player, whatever the stream does meanwhile: the C API hands the
    /// views out as pointers (`livehub_player_read_batch`).
    ///
    /// ```
    /// use livehub::Hub;
    /// let hub = Hub::new(Default::default());
    /// let stream = hub.stream("live/batch").unwrap();
    /// let mut publisher = stream.publish().unwrap();
    /// let mut player = stream.play(Default::default()).unwrap();
    /// for ts in 0..5 {
    ///     publisher.push_tag(8, ts * 23, &[0xAF, 1, ts as u8]).unwrap(); // AAC frames
    /// }
    /// let mut got = Vec::new();
    /// let n = player.read_batch(16, |tag| got.push((tag.timestamp, tag.data[2]))).unwrap();
    /// assert_eq!(n, 5);
    /// assert_eq!(got, [(0, 0), (23, 1), (46, 2), (69, 3), (92, 4)]);
    /// ```
    pub fn read_batch(
        &mut self,
        max: usize,
        mut f: impl FnMut(TagView<'_>),
    ) -> Result<usize, Error> {
        if max == 0 {
            return Err(Error::InvalidArg);
        }
        self.begin_call();
        self.hold = true;
        let mut n = 0;
        while n < max {
            // One tag the general way: prelude, keyframe wait, the slow
            // path (next segment, skipping, end of stream, arming).
            match self.advance() {
                Ok(src) => {
                    let (e, timestamp) = self.entry(src)?;
                    f(e.view(timestamp));
                    n += 1;
                }
                Err(e) if n == 0 => return Err(e),
                Err(_) => break,
            }
            // Then the run of filled slots after it in the pinned segment.
            n += self.run(max - n, &mut f);
        }
        Ok(n)
    }

    /// The fast path of `read_batch`: up to `max` filled slots of the
    /// pinned segment from `seq` on, with one counter update for the run.
    /// Only once the prelude is out, the keyframe wait is over and the
    /// rebase origin is known; anything else is left to `advance`.
    fn run(&mut self, max: usize, f: &mut impl FnMut(TagView<'_>)) -> usize {
        let Some((seg, origin)) = self.steady_segment() else {
            return 0;
        };
        // Locals, so that the loop keeps them in registers across `f`.
        let (mut seq, mut floor, mut bytes, mode) = (self.seq, self.floor, 0u64, self.mode);
        let end = seq + max as u64;
        while seq < end {
            let Some(e) = seg.get(seq) else { break };
            seq += 1;
            floor = floor.max(e.ts);
            bytes += e.data.len() as u64;
            f(e.view(Self::stamp(mode, floor, origin)));
        }
        let n = seq - self.seq;
        self.seq = seq;
        self.floor = floor;
        self.stats.tags_out += n;
        self.stats.bytes_out += bytes;
        n as usize
    }
}

impl Drop for Player {
    fn drop(&mut self) {
        // After this, the notifier never goes back onto the stream's list.
        self.notifier.leave_home();
        // After this, the callback is not running and never runs again.
        self.notifier.set_callback(None);
        self.stream.leave(&self.slot, &self.waiter);
        if let Some(w) = &self.wait_waiter {
            self.stream.leave_waiter(w);
        }
    }
}

impl std::fmt::Debug for Player {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Player")
            .field("stream", &self.stream.key())
            .field("seq", &self.seq)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}
