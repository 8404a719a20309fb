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

use crate::config::{PlayOptions, TimestampMode};
use crate::error::Error;
use crate::flv;
use crate::group::{GroupLink, Wakeups};
use crate::log::log;
use crate::notify::Notifier;
use crate::ring::{Entry, Segment, PUBLIC_FLAGS};
use crate::stream::{PlayerState, State, Stream};
use crate::sync::{lock, Arc, Ordering};
use bytes::Bytes;
use std::time::{Duration, Instant};

/// A borrowed view of one tag, valid until the next call on its player.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TagView<'a> {
    /// 8 audio, 9 video, 18 script.
    pub tag_type: u8,
    /// Milliseconds, after the player's timestamp policy.
    pub timestamp: u32,
    /// `flv::FLAG_*` bits.
    pub flags: u32,
    /// The tag body (FLV tag header excluded).
    pub data: &'a [u8],
}

impl Entry {
    /// The view a player hands out, with its output timestamp.
    #[inline]
    fn view(&self, timestamp: u32) -> TagView<'_> {
        TagView {
            tag_type: self.tag_type,
            timestamp,
            flags: self.flags & PUBLIC_FLAGS,
            data: &self.data,
        }
    }
}

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

/// Counters kept by the player itself.
#[derive(Debug, Clone, Copy, Default)]
struct Counters {
    tags_out: u64,
    bytes_out: u64,
    tags_dropped: u64,
}

/// Where the tag handed out by `advance` lives.
#[derive(Clone, Copy)]
enum Src {
    /// `self.prelude[i]`, with its output timestamp.
    Prelude(usize, u32),
    /// The ring slot `seq` of `self.seg`, with its output timestamp.
    Ring(u64, u32),
}

/// A reader of one stream. See the [module docs](self).
pub struct Player {
    stream: Arc<Stream>,
    notifier: Arc<Notifier>,
    /// The player's group on this stream: it arms there, and its callback
    /// runs in the group's dispatch.
    link: Option<Arc<GroupLink>>,
    /// A grouped player's wake-up for `wait` (armed on the stream, no
    /// callback), made by its first `wait`.
    wait_notifier: Option<Arc<Notifier>>,
    /// Inside `wait`: a grouped player arms `wait_notifier` on the stream.
    waiting: bool,
    /// `Stream::events` as the last slow path saw it, under the lock.
    seen_events: u64,
    /// The segment holding `seq`, pinned while this player reads it.
    seg: Option<Arc<Segment>>,
    /// Next ring position to read.
    seq: u64,
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
    stats: Counters,
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

/// State of the FLV byte-stream output; allocated on first use.
#[derive(Default)]
struct FlvOut {
    header_done: bool,
    /// A tag `read_flv` has started but not finished.
    pending: Option<Pending>,
    /// `read_iov`: FLV headers and PreviousTagSizes of the current batch.
    scratch: Vec<u8>,
    /// `read_iov`: bodies of the current batch that are not in the ring
    /// (prelude tags, the rest of a tag `read_flv` started): shared, not
    /// copied.
    bodies: Vec<Bytes>,
    pieces: Vec<Piece>,
}

/// One slice of a `read_iov` batch, resolved once the batch is complete
/// (`scratch` may grow while it is being built).
#[derive(Clone, Copy)]
enum Piece {
    /// `scratch[a..b]`.
    Scratch(u32, u32),
    /// `bodies[i]`.
    Body(u32),
    /// The body of ring tag `seq`, in the pinned segment or a held one:
    /// no reference count per tag.
    Ring(u64),
}

/// One serialized tag: `head` (file header on the first, then the 11-byte
/// tag header), the body, and the PreviousTagSize.
struct Pending {
    head: [u8; 24],
    head_len: usize,
    body: Bytes,
    tail: [u8; 4],
    off: usize,
}

impl Pending {
    fn len(&self) -> usize {
        self.head_len + self.body.len() + 4
    }

    /// Copies as much as fits from `off`; returns the count.
    fn copy_to(&mut self, out: &mut [u8]) -> usize {
        let mut n = 0;
        let parts: [&[u8]; 3] = [&self.head[..self.head_len], &self.body, &self.tail];
        let mut start = 0;
        for part in parts {
            let end = start + part.len();
            if self.off < end && n < out.len() {
                let from = self.off - start;
                let k = (part.len() - from).min(out.len() - n);
                out[n..n + k].copy_from_slice(&part[from..from + k]);
                n += k;
                self.off += k;
            }
            start = end;
        }
        n
    }
}

impl FlvOut {
    fn push_bytes(&mut self, bytes: &[u8]) {
        self.scratch.extend_from_slice(bytes);
    }

    /// Closes the open scratch run and adds a body piece.
    fn push_body(&mut self, body: Bytes, run_start: &mut usize) {
        if body.is_empty() {
            return;
        }
        self.close_run(run_start);
        self.bodies.push(body);
        self.pieces.push(Piece::Body(self.bodies.len() as u32 - 1));
    }

    /// Closes the open scratch run and adds a piece pointing at a ring
    /// tag's body.
    fn push_ring(&mut self, seq: u64, run_start: &mut usize) {
        self.close_run(run_start);
        self.pieces.push(Piece::Ring(seq));
    }

    /// Ends the scratch run that started at `run_start`, if not empty.
    /// (A batch is bounded by its slice count, so offsets fit in `u32`.)
    fn close_run(&mut self, run_start: &mut usize) {
        if *run_start < self.scratch.len() {
            self.pieces
                .push(Piece::Scratch(*run_start as u32, self.scratch.len() as u32));
        }
        *run_start = self.scratch.len();
    }

    /// Adds what is left of `p` to the batch.
    fn push_pending(&mut self, p: Pending, run_start: &mut usize) {
        let head_end = p.head_len;
        let body_end = head_end + p.body.len();
        if p.off < head_end {
            self.push_bytes(&p.head[p.off..head_end]);
        }
        if p.off < body_end {
            let from = p.off.saturating_sub(head_end);
            self.push_body(p.body.slice(from..), run_start);
        }
        let from = p.off.saturating_sub(body_end);
        self.push_bytes(&p.tail[from..]);
    }
}

impl Player {
    pub(crate) fn join(stream: Arc<Stream>, opts: PlayOptions) -> Result<Player, Error> {
        let cfg = stream.cfg.clone();
        let wait_ms = opts.republish_wait_ms.unwrap_or(cfg.republish_wait_ms);
        let now = stream.now();
        let mut fire = Wakeups::default();
        let player = {
            let mut st = lock(&stream.state);
            if st.closed {
                return Err(Error::Closed);
            }
            // A stream whose republish wait ran out ends here, so this player
            // starts with the next publisher rather than the old tail.
            if st.expire_wait(now, &cfg) {
                stream.take_news(&mut st, &mut fire);
            }
            st.wait_ms = st.wait_ms.max(wait_ms);
            st.players_total += 1;
            let id = st.players_total;
            let seq = st.gop.as_ref().map_or(st.ring.write_seq(), |g| g.start);
            // Joining at a keyframe: that keyframe is 0. At the live edge:
            // the first ring tag will be (origin stays unknown till then).
            let join_ts = st.gop.as_ref().and_then(|g| st.ring.ts_of(g.start));
            let floor = join_ts.or_else(|| st.last_ts()).unwrap_or(0);
            let notifier = Arc::new(Notifier::new(id, seq, now));
            st.register(&notifier);
            let prelude = st.join_prelude();
            let link = opts.group.as_ref().map(|g| st.link_group(g));
            Player {
                seg: st.ring.segment_for(seq).cloned(),
                epoch: st.epoch,
                stream: stream.clone(),
                notifier,
                link,
                wait_notifier: None,
                waiting: false,
                seen_events: stream.events(),
                seq,
                prelude,
                prelude_next: 0,
                need_keyframe: true,
                eof: false,
                mode: opts.timestamps,
                origin: join_ts,
                floor,
                wait_ms,
                recheck_ms: None,
                stats: Counters::default(),
                flv: None,
                hold: false,
                held: Vec::new(),
            }
        };
        stream.player_joined();
        fire.fire();
        Ok(player)
    }

    /// The stream this player reads.
    pub fn stream(&self) -> &Arc<Stream> {
        &self.stream
    }

    /// The player's group link, if it has a group.
    #[cfg(test)]
    pub(crate) fn group_link(&self) -> Option<&Arc<GroupLink>> {
        self.link.as_ref()
    }

    /// The player's wake-up handle: install a callback on it.
    pub fn notifier(&self) -> &Arc<Notifier> {
        &self.notifier
    }

    /// Counters so far, lag and state (takes the stream lock briefly).
    pub fn stats(&self) -> PlayerStats {
        self.mirror();
        let st = lock(&self.stream.state);
        let lag_ms = st.lag_ms(self.seq);
        PlayerStats {
            tags_out: self.stats.tags_out,
            bytes_out: self.stats.bytes_out,
            tags_dropped: self.stats.tags_dropped,
            lag_ms,
            state: PlayerState::of(&self.notifier, st.ring.write_seq()),
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

    /// Whether the next tag is a filled slot of the pinned segment and
    /// nothing else needs doing first (no prelude, no keyframe wait, origin
    /// known, not ended or expired): then `take_steady` hands it out.
    #[inline]
    fn steady(&self) -> bool {
        !self.eof
            && !self.notifier.expired.load(Ordering::Relaxed)
            && self
                .steady_segment()
                .is_some_and(|(s, _)| s.get(self.seq).is_some())
    }

    /// The pinned segment and the rebase origin, when the next tags can be
    /// taken straight from the segment: the prelude is out, the keyframe
    /// wait is over, the origin is known and the segment still in the
    /// window.
    #[inline]
    fn steady_segment(&self) -> Option<(&Segment, u64)> {
        if self.need_keyframe || self.prelude_pending() {
            return None;
        }
        Some((self.live_segment()?, self.origin?))
    }

    /// The output timestamp of timeline position `t` (>= `origin`).
    #[inline]
    fn stamp(mode: TimestampMode, t: u64, origin: u64) -> u32 {
        match mode {
            TimestampMode::Rebase => t.saturating_sub(origin) as u32,
            TimestampMode::Absolute => t as u32,
        }
    }

    /// The steady path of `read`, once `steady` said yes (on this thread,
    /// with nothing in between, so the slot is there: slots never empty).
    #[inline]
    fn take_steady(&mut self) -> TagView<'_> {
        let seq = self.seq;
        let origin = self.origin.unwrap_or(0);
        let Some(e) = self.seg.as_deref().and_then(|s| s.get(seq)) else {
            debug_assert!(false, "steady() saw this slot filled");
            return TagView {
                tag_type: 0,
                timestamp: 0,
                flags: 0,
                data: &[],
            };
        };
        self.seq = seq + 1;
        self.floor = self.floor.max(e.ts);
        self.stats.tags_out += 1;
        self.stats.bytes_out += e.data.len() as u64;
        e.view(Self::stamp(self.mode, self.floor, origin))
    }

    /// The tag `advance` handed out, with its output timestamp. (`advance`
    /// only reports a tag it found where `src` says, so the `Again` branch
    /// is never taken.)
    fn entry(&self, src: Src) -> Result<(&Entry, u32), Error> {
        let (entry, ts) = match src {
            Src::Prelude(i, ts) => (self.prelude.as_deref().and_then(|p| p.get(i)), ts),
            Src::Ring(seq, ts) => (self.seg.as_deref().and_then(|s| s.get(seq)), ts),
        };
        entry.map(|e| (e, ts)).ok_or(Error::Again)
    }

    /// Blocks until a read would not return [`Error::Again`], or `timeout`
    /// passes. Returns `Ok` (something to read), [`Error::Eof`] or
    /// [`Error::Timeout`].
    pub fn wait(&mut self, timeout: Duration) -> Result<(), Error> {
        self.begin_call();
        self.waiting = true;
        let result = self.wait_armed(timeout);
        self.waiting = false;
        result
    }

    /// `wait`'s loop; `self.waiting` is set, so the slow path arms the
    /// notifier [`wait_handle`](Self::wait_handle) blocks on.
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
            self.wait_handle().wait_until(until);
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return match self.poll() {
                    Err(Error::Again) => Err(Error::Timeout),
                    other => other,
                };
            }
        }
    }

    /// What `wait` blocks on: the player's notifier, or for a grouped
    /// player (whose notifier fires only in its group's dispatch) its own
    /// wake-up on the stream.
    fn wait_handle(&mut self) -> Arc<Notifier> {
        if self.link.is_none() {
            return self.notifier.clone();
        }
        let (id, pos) = (self.notifier.id, self.seq);
        let now = self.stream.now();
        self.wait_notifier
            .get_or_insert_with(|| Arc::new(Notifier::new(id, pos, now)))
            .clone()
    }

    /// Fills `buf` with the next bytes of the HTTP-FLV byte stream (FLV
    /// header and PreviousTagSize0 first, then tag header, body and
    /// PreviousTagSize per tag). May stop mid-tag; the next call continues.
    /// Returns the count written (> 0), or the error of [`read`](Self::read)
    /// when nothing could be written. [`Error::InvalidArg`] for an empty
    /// buffer.
    pub fn read_flv(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        if buf.is_empty() {
            return Err(Error::InvalidArg);
        }
        self.begin_call();
        let mut n = 0;
        while n < buf.len() {
            let mut pending = match self.flv.as_mut().and_then(|o| o.pending.take()) {
                Some(p) => p,
                None => match self.next_pending() {
                    Ok(p) => p,
                    Err(e) if n == 0 => return Err(e),
                    Err(_) => break,
                },
            };
            n += pending.copy_to(&mut buf[n..]);
            if pending.off < pending.len() {
                self.flv_out().pending = Some(pending);
            }
        }
        Ok(n)
    }

    /// The HTTP-FLV byte stream as at most `max_slices` slices, passed to
    /// `emit` in order, without copying tag bodies. The slices stay valid
    /// until the next call on this player. Returns the slice count, or the
    /// error of [`read`](Self::read) when there is nothing;
    /// [`Error::Buffer`] when `max_slices < 3`.
    pub fn read_iov(
        &mut self,
        max_slices: usize,
        mut emit: impl FnMut(&[u8]),
    ) -> Result<usize, Error> {
        if max_slices < 3 {
            return Err(Error::Buffer);
        }
        self.begin_call();
        self.hold = true;
        let mut out = self.flv.take().unwrap_or_default();
        out.scratch.clear();
        out.bodies.clear();
        out.pieces.clear();
        let mut run = 0;
        let mut result = Ok(());
        if let Some(p) = out.pending.take() {
            out.push_pending(p, &mut run);
        }
        // Room for [tail+header][body] and the final [tail].
        while out.pieces.len() + 3 <= max_slices {
            let src = match self.advance() {
                Ok(src) => src,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            };
            if !out.header_done {
                let (audio, video) = lock(&self.stream.state).tracks();
                out.push_bytes(&flv::file_header(audio, video));
                out.header_done = true;
            }
            let Ok((e, ts)) = self.entry(src) else { break };
            let size = e.data.len() as u32;
            out.push_bytes(&flv::tag_header(e.tag_type, size, ts));
            match src {
                Src::Ring(seq, _) if size > 0 => out.push_ring(seq, &mut run),
                Src::Ring(..) => {}
                Src::Prelude(..) => out.push_body(e.data.clone(), &mut run),
            }
            out.push_bytes(&flv::prev_tag_size(size));
        }
        out.close_run(&mut run);
        // The slices point into the heap buffers of `out` (which stay where
        // they are when `out` moves back into the player), the ring and the
        // held storage: all valid until the next call.
        for piece in &out.pieces {
            match *piece {
                Piece::Scratch(a, b) => emit(&out.scratch[a as usize..b as usize]),
                Piece::Body(i) => emit(&out.bodies[i as usize]),
                Piece::Ring(seq) => emit(self.ring_body(seq)),
            }
        }
        let count = out.pieces.len();
        self.flv = Some(out);
        if count == 0 {
            return result.map(|()| 0);
        }
        Ok(count)
    }

    /// The body of ring tag `seq` handed out by this call: in the pinned
    /// segment or one the call moved past (held until the next call).
    fn ring_body(&self, seq: u64) -> &[u8] {
        let held = self.held.iter().filter_map(|h| match h {
            Held::Segment(s) => Some(&**s),
            Held::Prelude(_) => None,
        });
        self.seg
            .as_deref()
            .into_iter()
            .chain(held)
            .find_map(|s| s.get(seq))
            .map_or(&[], |e| &e.data)
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

    /// Every public call starts here: what the previous call handed out
    /// may be let go of now.
    #[inline]
    fn begin_call(&mut self) {
        if self.hold {
            self.hold = false;
            self.held.clear();
        }
        if self.prelude.is_some() && !self.prelude_pending() {
            self.prelude = None;
        }
    }

    /// Moves the player to `seg`; during a multi-tag call the one it
    /// leaves is held until the next call.
    fn set_segment(&mut self, seg: Option<Arc<Segment>>) {
        let old = std::mem::replace(&mut self.seg, seg);
        if let (true, Some(old)) = (self.hold, old) {
            self.held.push(Held::Segment(old));
        }
    }

    /// The same for the prelude.
    fn set_prelude(&mut self, prelude: Option<std::sync::Arc<[Entry]>>) {
        let old = std::mem::replace(&mut self.prelude, prelude);
        if let (true, Some(old)) = (self.hold, old) {
            self.held.push(Held::Prelude(old));
        }
    }

    fn flv_out(&mut self) -> &mut FlvOut {
        self.flv.get_or_insert_with(Default::default)
    }

    /// Serializes the next tag for the byte-stream outputs.
    fn next_pending(&mut self) -> Result<Pending, Error> {
        let src = self.advance()?;
        let (tag_type, body, ts) = self
            .entry(src)
            .map(|(e, ts)| (e.tag_type, e.data.clone(), ts))?;
        let mut head = [0u8; 24];
        let mut head_len = 0;
        if !self.flv.as_ref().is_some_and(|o| o.header_done) {
            let (audio, video) = lock(&self.stream.state).tracks();
            head[..13].copy_from_slice(&flv::file_header(audio, video));
            head_len = 13;
            self.flv_out().header_done = true;
        }
        let size = body.len() as u32;
        head[head_len..head_len + 11].copy_from_slice(&flv::tag_header(tag_type, size, ts));
        Ok(Pending {
            head,
            head_len: head_len + 11,
            body,
            tail: flv::prev_tag_size(size),
            off: 0,
        })
    }

    /// Whether prelude tags remain to be handed out.
    #[inline]
    fn prelude_pending(&self) -> bool {
        self.prelude
            .as_deref()
            .is_some_and(|p| self.prelude_next < p.len())
    }

    /// The body size of the next prelude tag, if any.
    #[inline]
    fn next_prelude_len(&self) -> Option<usize> {
        self.prelude
            .as_deref()?
            .get(self.prelude_next)
            .map(|e| e.data.len())
    }

    /// The pinned segment, unless the stream evicted it (then this player
    /// fell out of the window and the slow path moves it on).
    #[inline]
    fn live_segment(&self) -> Option<&Segment> {
        self.seg.as_deref().filter(|s| !s.is_evicted())
    }

    /// Metadata and sequence headers go out at the current position; before
    /// the first ring tag has fixed the rebase origin, that is 0.
    fn prelude_ts(&self) -> u32 {
        match (self.mode, self.origin) {
            (TimestampMode::Absolute, _) => self.floor as u32,
            (TimestampMode::Rebase, Some(origin)) => self.floor.saturating_sub(origin) as u32,
            (TimestampMode::Rebase, None) => 0,
        }
    }

    fn out_ts(&mut self, ts: u64) -> u32 {
        let t = ts.max(self.floor);
        self.floor = t;
        let origin = *self.origin.get_or_insert(t);
        Self::stamp(self.mode, t, origin)
    }

    /// Moves to the next tag to hand out.
    fn advance(&mut self) -> Result<Src, Error> {
        self.check_open()?;
        loop {
            if let Some(len) = self.next_prelude_len() {
                let i = self.prelude_next;
                self.prelude_next += 1;
                let ts = self.prelude_ts();
                self.count(len);
                return Ok(Src::Prelude(i, ts));
            }
            // The fast path: a filled slot of the pinned segment.
            let mut found = None;
            if let Some(e) = self.live_segment().and_then(|s| s.get(self.seq)) {
                found = Some((e.ts, e.data.len(), e.is_video_frame(), e.is_keyframe()));
            }
            match found {
                Some((ts, len, video_frame, key)) => {
                    let seq = self.seq;
                    self.seq += 1;
                    if video_frame && self.need_keyframe {
                        if !key {
                            self.stats.tags_dropped += 1;
                            continue;
                        }
                        self.need_keyframe = false;
                    }
                    let ts = self.out_ts(ts);
                    self.count(len);
                    return Ok(Src::Ring(seq, ts));
                }
                None => {
                    if self.arm_at_edge() {
                        return Err(Error::Again);
                    }
                    self.refill()?
                }
            }
        }
    }

    /// A grouped player at the live edge of its segment arms into its
    /// group without the stream lock, when nothing but the next tag can be
    /// news for it: the segment still in the window and open, no change
    /// but appended tags since the slow path last looked (`seen_events`),
    /// no republish-wait deadline to keep. After arming it looks again for
    /// the next tag and for a change (see [`GroupLink::arm`]): if either
    /// came meanwhile it takes the slow path instead (the arming then costs
    /// at most one spurious callback). Returns whether it armed.
    fn arm_at_edge(&mut self) -> bool {
        let Some(link) = &self.link else { return false };
        if self.waiting || self.recheck_ms.is_some() {
            return false;
        }
        let Some(seg) = self.live_segment() else {
            return false;
        };
        // A segment sealed before the last slow path is not a change since
        // then: look at the segment itself. One sealed later comes with a
        // change (`Stream::take_news`), which the look after arming sees.
        if !seg.covers(self.seq) || seg.is_sealed() || self.stream.events() != self.seen_events {
            return false;
        }
        link.arm(&self.notifier);
        let news = seg.get(self.seq).is_some() || self.stream.events() != self.seen_events;
        if news {
            return false;
        }
        self.mirror();
        true
    }

    /// Counts one tag handed out.
    #[inline]
    fn count(&mut self, len: usize) {
        self.stats.tags_out += 1;
        self.stats.bytes_out += len as u64;
    }

    /// Copies position and counters where the stream's stats and stall
    /// check can see them. Done on the slow path, which every player takes
    /// at least once per segment and whenever it catches up, not per tag:
    /// what others see lags by less than one segment.
    fn mirror(&self) {
        let n = &self.notifier;
        n.pos.store(self.seq, Ordering::Relaxed);
        n.tags_out.store(self.stats.tags_out, Ordering::Relaxed);
        n.bytes_out.store(self.stats.bytes_out, Ordering::Relaxed);
        n.tags_dropped
            .store(self.stats.tags_dropped, Ordering::Relaxed);
    }

    /// `Eof` once ended; `Expired` once the stall check expired this player
    /// (it then lets go of what it pinned).
    #[inline]
    fn check_open(&mut self) -> Result<(), Error> {
        if self.eof {
            return Err(Error::Eof);
        }
        if self.notifier.expired.load(Ordering::Relaxed) {
            self.set_segment(None);
            self.set_prelude(None);
            return Err(Error::Expired);
        }
        Ok(())
    }

    /// Whether a read would find something, without consuming it.
    fn poll(&mut self) -> Result<(), Error> {
        self.check_open()?;
        loop {
            if self.prelude_pending()
                || self
                    .live_segment()
                    .is_some_and(|s| s.get(self.seq).is_some())
            {
                return Ok(());
            }
            self.refill()?;
        }
    }

    /// The slow path, under the stream lock: end of stream, falling behind,
    /// the next segment, or arming the notifier. `Ok` means something can be
    /// read now.
    fn refill(&mut self) -> Result<(), Error> {
        let stream = self.stream.clone();
        let mut fire = Wakeups::default();
        let dropped = self.stats.tags_dropped;
        let result = {
            let mut st = lock(&stream.state);
            self.refill_locked(&mut st, &stream, &mut fire)
        };
        // This player is reading: it learns the news from this call's
        // result. Firing its own callback here would run it inside a call
        // on the same player.
        fire.fire_except(&self.notifier);
        if self.stats.tags_dropped != dropped && crate::log::enabled(crate::log::Level::Debug) {
            log!(
                Debug,
                "stream {}: player {} fell behind, skipped {} tags",
                stream.key(),
                self.notifier.id,
                self.stats.tags_dropped - dropped
            );
        }
        result
    }

    fn refill_locked(
        &mut self,
        st: &mut State,
        stream: &Stream,
        fire: &mut Wakeups,
    ) -> Result<(), Error> {
        self.mirror();
        self.seen_events = stream.events();
        let write_seq = st.ring.write_seq();
        let now = stream.now();
        // How long this player still waits for a republish, if it waits.
        let mut wait_left = None;
        if self.epoch == st.epoch && self.seq >= write_seq {
            if let Some(remaining) = st.wait_remaining(now) {
                let waited = (st.wait_ms as u64).saturating_sub(remaining);
                if remaining == 0 {
                    st.end_epoch(&stream.cfg);
                    stream.take_news(st, fire);
                } else if waited >= self.wait_ms as u64 {
                    // This player asked for a shorter wait than the stream's.
                    return Err(self.end());
                } else {
                    wait_left = Some(remaining.min(self.wait_ms as u64 - waited));
                }
            }
        }
        let front = st.ring.front_seq();
        if self.epoch != st.epoch {
            let end = st.end_of(self.epoch).unwrap_or(self.seq);
            if self.seq >= end || self.seq < front {
                return Err(self.end());
            }
        } else if self.seq < front {
            self.skip_forward(st);
        } else if self.seq < write_seq {
            let lag = st.lag_ms(self.seq);
            let newer_key = st.gop.as_ref().is_some_and(|g| g.start > self.seq);
            if lag > stream.cfg.max_lag_ms as u64 && newer_key {
                self.skip_forward(st);
            }
        }
        match st.ring.segment_for(self.seq) {
            Some(seg) => {
                if !self.seg.as_ref().is_some_and(|s| Arc::ptr_eq(s, seg)) {
                    let seg = seg.clone();
                    self.set_segment(Some(seg));
                }
            }
            None => self.set_segment(None),
        }
        if self.prelude_pending() || (self.seq < write_seq && self.seg.is_some()) {
            return Ok(());
        }
        // Nothing to read: arm. A grouped player arms into its group (the
        // stream lock held here orders it with the next change), or inside
        // `wait` its own wake-up on the stream.
        self.recheck_ms = wait_left;
        let n = match (&self.link, self.waiting) {
            (Some(link), false) => {
                link.arm(&self.notifier);
                return Err(Error::Again);
            }
            (Some(_), true) => self.wait_handle(),
            (None, _) => self.notifier.clone(),
        };
        n.arm();
        if !n.queued.swap(true, Ordering::Relaxed) {
            st.waiters.push(n);
        }
        Err(Error::Again)
    }

    /// The stream is over for this player: EOF from now on.
    fn end(&mut self) -> Error {
        self.eof = true;
        self.set_segment(None);
        self.notifier.ended.store(true, Ordering::Relaxed);
        Error::Eof
    }

    /// Skips to the newest keyframe (or the live edge), with the sequence
    /// headers again.
    fn skip_forward(&mut self, st: &State) {
        let (target, audio_sh, video_sh) = match &st.gop {
            Some(g) if g.start > self.seq => (g.start, g.audio_sh.clone(), g.video_sh.clone()),
            _ => (
                st.ring.write_seq(),
                st.audio_sh.clone(),
                st.video_sh.clone(),
            ),
        };
        self.stats.tags_dropped += target.saturating_sub(self.seq);
        self.seq = target;
        self.set_segment(None);
        self.need_keyframe = true;
        // Metadata not handed out yet stays first in line, and a player
        // that has read nothing at all gets the stream's current metadata
        // (it may have joined before the publisher sent any); sequence
        // headers are the current ones.
        let pending_metadata = self.prelude.as_deref().and_then(|p| {
            p.get(self.prelude_next..)?
                .iter()
                .find(|e| e.flags & flv::FLAG_METADATA != 0)
                .cloned()
        });
        let metadata = pending_metadata.or_else(|| {
            (self.stats.tags_out == 0)
                .then(|| st.metadata.clone())
                .flatten()
        });
        let tags: Vec<Entry> = metadata
            .into_iter()
            .chain(audio_sh)
            .chain(video_sh)
            .collect();
        self.set_prelude((!tags.is_empty()).then(|| tags.into()));
        self.prelude_next = 0;
    }
}

impl Drop for Player {
    fn drop(&mut self) {
        // After this, the callback is not running and never runs again.
        self.notifier.set_callback(None);
        if let Some(link) = &self.link {
            link.disarm(&self.notifier);
        }
        {
            let mut st = lock(&self.stream.state);
            let on_stream = match &self.link {
                None => Some(&self.notifier),
                Some(_) => self.wait_notifier.as_ref(),
            };
            if let Some(me) = on_stream.filter(|n| n.queued.swap(false, Ordering::Relaxed)) {
                st.waiters.retain(|n| !Arc::ptr_eq(n, me));
            }
            if let Some(link) = &self.link {
                st.unlink_group(link);
            }
            st.unregister(&self.notifier);
        }
        self.stream.player_left();
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
