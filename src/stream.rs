//! A live stream: one publisher at a time, many players, shared tag storage.
//!
//! A `Stream` is always handled through an `Arc`: the hub's entry, every
//! publisher and every player hold one, so the stream (its ring, caches and
//! userdata) lives exactly as long as the last of them. Unpublishing and
//! removal are state changes the players observe; they never free anything.
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

use crate::codec::{self, AudioInfo, VideoInfo};
use crate::config::{Config, PlayOptions};
use crate::error::Error;
use crate::flv::{self, TagInfo};
use crate::group::{Group, GroupLink, Wakeups};
use crate::log::log;
use crate::notify::{dequeue_all, Notifier};
use crate::player::Player;
use crate::publisher::Publisher;
use crate::ring::{Entry, Ring, FLAG_VIDEO_FRAME};
use crate::sync::{lock, Arc, AtomicU64, AtomicUsize, Mutex, Ordering};
use crate::timestamp::Timeline;
use bytes::Bytes;
use std::any::Any;
use std::collections::VecDeque;

/// Seconds of stream time the bitrate is averaged over.
pub const RATE_WINDOW_S: u64 = 5;

/// What a stream knows about its publisher.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PubState {
    /// Never published in this epoch, or the epoch ended.
    None,
    /// Publisher `id` is pushing; it last pushed at `last_push_ms`.
    Active { id: u64, last_push_ms: u64 },
    /// The publisher left at `since_ms`; players wait for a new one.
    Waiting { since_ms: u64 },
}

/// The cached GOP: everything from the newest keyframe, with the sequence
/// headers that were current when it started.
pub(crate) struct Gop {
    pub start: u64,
    pub audio_sh: Option<Entry>,
    pub video_sh: Option<Entry>,
    tags: u64,
    bytes: u64,
}

/// Everything that changes, under the stream lock.
pub(crate) struct State {
    pub ring: Ring,
    timeline: Timeline,
    pub publisher: PubState,
    next_publisher_id: u64,
    /// Incremented when the stream ends (republish wait over, or removal);
    /// players of an older epoch read up to its end, then see EOF.
    pub epoch: u64,
    /// `(epoch, end_seq)` of ended epochs whose end is still in the window;
    /// consecutive epochs that ended at the same place share one entry (the
    /// latest). See [`State::end_of`].
    epoch_ends: VecDeque<(u64, u64)>,
    /// Removed from its hub: no more publishing or playing.
    pub closed: bool,
    pub metadata: Option<Entry>,
    pub audio_sh: Option<Entry>,
    pub video_sh: Option<Entry>,
    pub gop: Option<Gop>,
    has_audio: bool,
    has_video: bool,
    meta_tracks: (Option<bool>, Option<bool>),
    /// Armed notifiers, fired by the next change.
    pub waiters: Vec<Arc<Notifier>>,
    /// One link per group with players on this stream, and how many: every
    /// change that takes the waiters takes the links with armed players.
    links: Vec<(Arc<GroupLink>, usize)>,
    /// The shared half of every attached player (for stats and the stall
    /// check); each knows its index (`Notifier::slot`).
    pub players: Vec<Arc<Notifier>>,
    /// Since when the stream has had neither publisher nor players.
    idle_since: Option<u64>,
    /// Body bytes per second of stream time, for the last few seconds.
    rate: VecDeque<(u64, u64)>,
    /// Codec parameters from the sequence headers (or, for audio formats
    /// without one, from the first frame).
    video_info: Option<VideoInfo>,
    audio_info: Option<AudioInfo>,
    /// What a player joining now gets first (metadata, audio and video
    /// sequence headers), built once and shared by every joiner until one
    /// of them changes.
    prelude: Option<std::sync::Arc<[Entry]>>,
    /// The republish wait of this epoch: the config's, or longer if a
    /// player asked for longer.
    pub wait_ms: u32,
    pub publish_count: u64,
    pub tags_in: u64,
    pub bytes_in: u64,
    pub players_total: u64,
}

impl State {
    fn new(cfg: &Config) -> State {
        State {
            ring: Ring::new(),
            timeline: Timeline::default(),
            publisher: PubState::None,
            next_publisher_id: 1,
            epoch: 0,
            epoch_ends: VecDeque::new(),
            closed: false,
            metadata: None,
            audio_sh: None,
            video_sh: None,
            gop: None,
            has_audio: false,
            has_video: false,
            meta_tracks: (None, None),
            waiters: Vec::new(),
            links: Vec::new(),
            players: Vec::new(),
            idle_since: None,
            rate: VecDeque::new(),
            video_info: None,
            audio_info: None,
            prelude: None,
            wait_ms: cfg.republish_wait_ms,
            publish_count: 0,
            tags_in: 0,
            bytes_in: 0,
            players_total: 0,
        }
    }

    /// The (audio, video) flags of the FLV file header a player gets: what
    /// the metadata declares, or both when it declares neither (a player
    /// that reads early must not be told a track is missing just because
    /// its first tag has not arrived yet); a track already seen is always
    /// declared.
    pub fn tracks(&self) -> (bool, bool) {
        match self.meta_tracks {
            (None, None) => (true, true),
            (a, v) => (
                self.has_audio || a == Some(true),
                self.has_video || v == Some(true),
            ),
        }
    }

    /// The tags a player joining now gets before the ring: the metadata and
    /// the sequence headers current at the join point (the cached GOP's, or
    /// the latest at the live edge).
    pub fn join_prelude(&mut self) -> Option<std::sync::Arc<[Entry]>> {
        if self.prelude.is_none() {
            let (audio_sh, video_sh) = match &self.gop {
                Some(g) => (g.audio_sh.clone(), g.video_sh.clone()),
                None => (self.audio_sh.clone(), self.video_sh.clone()),
            };
            let tags: Vec<Entry> = self
                .metadata
                .clone()
                .into_iter()
                .chain(audio_sh)
                .chain(video_sh)
                .collect();
            self.prelude = (!tags.is_empty()).then(|| tags.into());
        }
        self.prelude.clone()
    }

    /// Adds a player to the registry.
    pub fn register(&mut self, n: &Arc<Notifier>) {
        n.slot.store(self.players.len(), Ordering::Relaxed);
        self.players.push(n.clone());
    }

    /// Removes a player from the registry.
    pub fn unregister(&mut self, n: &Arc<Notifier>) {
        let i = n.slot.load(Ordering::Relaxed);
        if self.players.get(i).is_some_and(|p| Arc::ptr_eq(p, n)) {
            self.players.swap_remove(i);
            if let Some(moved) = self.players.get(i) {
                moved.slot.store(i, Ordering::Relaxed);
            }
        }
    }

    /// Average body bitrate over the last [`RATE_WINDOW_S`] whole seconds
    /// of stream time, in kbit/s.
    pub fn bitrate_kbps(&self) -> u64 {
        let Some(&(newest, _)) = self.rate.back() else {
            return 0;
        };
        let bytes: u64 = self
            .rate
            .iter()
            .filter(|&&(sec, _)| sec < newest && sec + RATE_WINDOW_S >= newest)
            .map(|&(_, b)| b)
            .sum();
        bytes * 8 / RATE_WINDOW_S / 1000
    }

    fn count_rate(&mut self, ts: u64, size: u64) {
        let sec = ts / 1000;
        match self.rate.back_mut() {
            Some((s, b)) if *s == sec => *b += size,
            _ => self.rate.push_back((sec, size)),
        }
        while self
            .rate
            .front()
            .is_some_and(|&(s, _)| s + RATE_WINDOW_S < sec)
        {
            self.rate.pop_front();
        }
    }

    /// Appends `"video":{…}|null,"audio":{…}|null,`.
    fn write_codec_json(&self, out: &mut String) {
        use crate::json;
        json::key(out, "video");
        match &self.video_info {
            Some(v) => {
                out.push('{');
                json::opt_str(out, "codec", Some(v.codec));
                json::opt_str(out, "profile", v.profile.as_deref());
                json::opt_str(out, "level", v.level.as_deref());
                json::opt_num(out, "width", v.width.map(u64::from));
                json::opt_num(out, "height", v.height.map(u64::from));
                json::close(out, '}');
            }
            None => out.push_str("null"),
        }
        out.push(',');
        json::key(out, "audio");
        match &self.audio_info {
            Some(a) => {
                out.push('{');
                json::opt_str(out, "codec", Some(a.codec));
                json::opt_str(out, "profile", a.profile.as_deref());
                json::opt_num(out, "sample_rate", a.sample_rate.map(u64::from));
                json::opt_num(out, "channels", a.channels.map(u64::from));
                json::close(out, '}');
            }
            None => out.push_str("null"),
        }
        out.push(',');
    }

    /// How far the tag at `seq` is behind the newest, in ms of stream time
    /// (0 when `seq` is not retained or is the live edge).
    pub fn lag_ms(&self, seq: u64) -> u64 {
        self.last_ts()
            .zip(self.ring.ts_of(seq))
            .map_or(0, |(newest, at)| newest.saturating_sub(at))
    }

    /// Timeline position of the newest tag.
    pub fn last_ts(&self) -> Option<u64> {
        self.timeline.last()
    }

    /// Moves the armed notifiers into `out` (empty), and the group links
    /// some player armed into since the last time, to be fired once the
    /// lock is released. Call after the change is stored: the fence pairs
    /// with the one in [`GroupLink::arm`].
    pub fn take_waiters(&mut self, out: &mut Wakeups) {
        std::mem::swap(&mut self.waiters, &mut out.players);
        dequeue_all(&out.players);
        if !self.links.is_empty() {
            crate::sync::fence(Ordering::SeqCst);
            for (link, _) in &self.links {
                if link.take_pending() {
                    out.links.push(link.clone());
                }
            }
        }
    }

    /// The link of `group` on this stream, created with its first player.
    pub(crate) fn link_group(&mut self, group: &Group) -> Arc<GroupLink> {
        if let Some((link, n)) = self.links.iter_mut().find(|(l, _)| l.is_of(group)) {
            *n += 1;
            return link.clone();
        }
        let link = Arc::new(GroupLink::new(group));
        self.links.push((link.clone(), 1));
        link
    }

    /// A player of `link` left; the link goes with its last player.
    pub(crate) fn unlink_group(&mut self, link: &Arc<GroupLink>) {
        if let Some(i) = self.links.iter().position(|(l, _)| Arc::ptr_eq(l, link)) {
            self.links[i].1 -= 1;
            if self.links[i].1 == 0 {
                self.links.swap_remove(i);
            }
        }
    }

    /// Ends the current epoch: players read what was published, then EOF.
    /// A later publisher starts afresh.
    pub fn end_epoch(&mut self, cfg: &Config) {
        let end = self.ring.write_seq();
        if self.epoch_ends.back().is_some_and(|&(_, e)| e == end) {
            self.epoch_ends.pop_back();
        }
        self.epoch_ends.push_back((self.epoch, end));
        self.prune_epoch_ends();
        self.epoch += 1;
        self.ring.seal();
        // The timeline goes on: ring positions stay ordered by time across
        // epochs, which the window bounds rely on.
        self.publisher = PubState::None;
        self.metadata = None;
        self.audio_sh = None;
        self.video_sh = None;
        self.gop = None;
        self.has_audio = false;
        self.has_video = false;
        self.meta_tracks = (None, None);
        self.video_info = None;
        self.audio_info = None;
        self.prelude = None;
        self.rate.clear();
        self.wait_ms = cfg.republish_wait_ms;
    }

    /// Where epoch `epoch` ended, if it did and that is still retained.
    /// Ends never decrease, and entries dropped by merging had the same end
    /// as the entry that replaced them, so the first entry at or after
    /// `epoch` is its end.
    pub fn end_of(&self, epoch: u64) -> Option<u64> {
        self.epoch_ends
            .iter()
            .find(|&&(e, _)| e >= epoch)
            .map(|&(_, end)| end)
    }

    /// Forgets ends before the window: a player there is out of the window
    /// anyway, which ends its stream by itself.
    fn prune_epoch_ends(&mut self) {
        let front = self.ring.front_seq();
        while self.epoch_ends.front().is_some_and(|&(_, e)| e < front) {
            self.epoch_ends.pop_front();
        }
    }

    /// Ends the epoch if the publisher left at least `wait_ms` ago.
    /// Returns whether it did.
    pub fn expire_wait(&mut self, now: u64, cfg: &Config) -> bool {
        match self.publisher {
            PubState::Waiting { since_ms }
                if now.saturating_sub(since_ms) >= self.wait_ms as u64 =>
            {
                self.end_epoch(cfg);
                true
            }
            _ => false,
        }
    }

    /// Milliseconds until the republish wait runs out, if one is running.
    pub fn wait_remaining(&self, now: u64) -> Option<u64> {
        match self.publisher {
            PubState::Waiting { since_ms } => {
                Some((since_ms + self.wait_ms as u64).saturating_sub(now))
            }
            _ => None,
        }
    }

    /// Stores one tag: caches, GOP, ring, window bounds.
    pub fn append(&mut self, tag_type: u8, ts: u32, data: Bytes, info: TagInfo, cfg: &Config) {
        let ts = self.timeline.map(ts);
        let mut flags = info.flags;
        if info.video_frame {
            flags |= FLAG_VIDEO_FRAME;
        }
        let size = data.len() as u64;
        let entry = Entry {
            data,
            ts,
            flags,
            tag_type,
        };
        match tag_type {
            flv::TAG_AUDIO => self.has_audio = true,
            flv::TAG_VIDEO => self.has_video = true,
            _ => {}
        }
        if flags & flv::FLAG_METADATA != 0 {
            self.meta_tracks = flv::metadata_tracks(&entry.data);
            self.metadata = Some(entry.clone());
        } else if flags & flv::FLAG_SEQUENCE_HEADER != 0 {
            if tag_type == flv::TAG_AUDIO {
                self.audio_sh = Some(entry.clone());
                self.audio_info = codec::parse_audio(&entry.data).or(self.audio_info.take());
            } else {
                self.video_sh = Some(entry.clone());
                self.video_info =
                    codec::parse_video_sequence_header(&entry.data).or(self.video_info.take());
            }
        } else if tag_type == flv::TAG_AUDIO && self.audio_info.is_none() {
            // Formats without a sequence header describe themselves in
            // every frame.
            self.audio_info = codec::parse_audio(&entry.data);
        }
        let keyframe = entry.is_keyframe() && entry.is_video_frame();
        if keyframe || flags & (flv::FLAG_METADATA | flv::FLAG_SEQUENCE_HEADER) != 0 {
            self.prelude = None;
        }
        let seq = self.ring.push(entry);
        self.tags_in += 1;
        self.bytes_in += size;
        self.count_rate(ts, size);

        if keyframe {
            self.gop = Some(Gop {
                start: seq,
                audio_sh: self.audio_sh.clone(),
                video_sh: self.video_sh.clone(),
                tags: 0,
                bytes: 0,
            });
        }
        if let Some(g) = &mut self.gop {
            g.tags += 1;
            g.bytes += size;
            if g.tags > cfg.gop_max_frames as u64 || g.bytes > cfg.gop_max_bytes {
                // A GOP this long is not worth caching (or has no end): new
                // players start at the live edge and wait for a keyframe.
                self.gop = None;
                self.prelude = None;
            }
        }

        // Keep what the lag window and the GOP need, within hard bounds.
        let horizon = ts.saturating_sub(cfg.max_lag_ms as u64);
        let gop_start = self.gop.as_ref().map(|g| g.start);
        let max_bytes = cfg.gop_max_bytes.saturating_mul(2);
        let max_tags = (cfg.gop_max_frames as u64).saturating_mul(2);
        self.ring.evict_while(|end, last_ts, bytes, tags| {
            let over = bytes > max_bytes || tags > max_tags;
            let old = last_ts < horizon && gop_start.map_or(true, |g| end <= g);
            over || old
        });
        if matches!(self.gop, Some(ref g) if g.start < self.ring.front_seq()) {
            self.gop = None;
            self.prelude = None;
        }
        self.prune_epoch_ends();
    }
}

/// A snapshot of a stream's counters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StreamStats {
    /// A publisher is attached now.
    pub publishing: bool,
    /// The publisher left and players wait for a new one.
    pub waiting: bool,
    /// Average body bitrate over the last few seconds of stream time.
    pub bitrate_kbps: u64,
    /// Publishers accepted so far.
    pub publish_count: u64,
    /// Tags and body bytes stored so far.
    pub tags_in: u64,
    pub bytes_in: u64,
    /// Players attached now, and ever.
    pub players: u64,
    pub players_total: u64,
    /// What the ring retains now (whole segments).
    pub retained_tags: u64,
    pub retained_bytes: u64,
    /// The cached GOP, from the newest keyframe (0 when none is cached).
    pub gop_tags: u64,
    pub gop_bytes: u64,
    /// Codec parameters, once known.
    pub video: Option<VideoInfo>,
    pub audio: Option<AudioInfo>,
}

/// What a player is doing, as the stream sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlayerState {
    /// Caught up with the live edge (waiting for the next tag).
    Live,
    /// Has tags it has not read yet.
    Behind,
    /// Saw the end of its stream.
    Ended,
    /// Stopped reading for longer than `player_idle_timeout_ms`.
    Expired,
}

impl PlayerState {
    pub(crate) fn of(n: &Notifier, write_seq: u64) -> PlayerState {
        if n.expired.load(Ordering::Relaxed) {
            PlayerState::Expired
        } else if n.ended.load(Ordering::Relaxed) {
            PlayerState::Ended
        } else if n.pos.load(Ordering::Relaxed) >= write_seq {
            PlayerState::Live
        } else {
            PlayerState::Behind
        }
    }

    /// Lower-case name, as in the JSON stats.
    pub fn as_str(self) -> &'static str {
        match self {
            PlayerState::Live => "live",
            PlayerState::Behind => "behind",
            PlayerState::Ended => "ended",
            PlayerState::Expired => "expired",
        }
    }
}

/// One live stream. See the [module docs](self).
pub struct Stream {
    key: String,
    pub(crate) cfg: std::sync::Arc<Config>,
    pub(crate) state: Mutex<State>,
    userdata: Mutex<Option<Box<dyn Any + Send + Sync>>>,
    players: AtomicUsize,
    /// Changes other than appended tags (unpublish, end, removal, a cut
    /// publisher), counted under the state lock: a grouped player at the
    /// live edge of a segment may arm without the lock only while this is
    /// what it saw last under the lock.
    events: AtomicU64,
}

impl Stream {
    pub(crate) fn new(key: String, cfg: std::sync::Arc<Config>) -> Stream {
        Stream {
            key,
            state: Mutex::new(State::new(&cfg)),
            cfg,
            userdata: Mutex::new(None),
            players: AtomicUsize::new(0),
            events: AtomicU64::new(0),
        }
    }

    /// The key the stream was created under.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Players attached right now.
    pub fn player_count(&self) -> usize {
        self.players.load(Ordering::Relaxed)
    }

    /// A change other than appended tags: counts it, then takes the
    /// waiters. Call under the state lock `st`.
    pub(crate) fn take_news(&self, st: &mut State, out: &mut Wakeups) {
        self.events.fetch_add(1, Ordering::Relaxed);
        st.take_waiters(out);
    }

    /// The count of [`take_news`](Self::take_news) changes so far.
    #[inline]
    pub(crate) fn events(&self) -> u64 {
        self.events.load(Ordering::Relaxed)
    }

    pub(crate) fn player_joined(&self) {
        self.players.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn player_left(&self) {
        self.players.fetch_sub(1, Ordering::Relaxed);
    }

    pub(crate) fn now(&self) -> u64 {
        self.cfg.clock.now_ms()
    }

    /// Becomes the stream's publisher.
    ///
    /// Errors: [`Error::Busy`] while another publisher is active,
    /// [`Error::Closed`] once the stream was removed from its hub.
    #[cfg(not(loom))]
    pub fn publish(self: &Arc<Self>) -> Result<Publisher, Error> {
        publish(self)
    }

    /// Attaches a new player: it will get the metadata, the sequence headers
    /// and the cached GOP first, then the live tags.
    ///
    /// Errors: [`Error::Closed`] once the stream was removed from its hub.
    #[cfg(not(loom))]
    pub fn play(self: &Arc<Self>, opts: PlayOptions) -> Result<Player, Error> {
        play(self, opts)
    }

    /// Removes the stream from service: the publisher gets
    /// [`Error::Closed`], players read what was already published and then
    /// see [`Error::Eof`]. Memory stays until the last handle goes.
    pub(crate) fn close(&self) {
        let mut fire = Wakeups::default();
        {
            let mut st = lock(&self.state);
            if st.closed {
                return;
            }
            st.closed = true;
            st.end_epoch(&self.cfg);
            self.take_news(&mut st, &mut fire);
        }
        fire.fire();
        log!(Info, "stream {}: closed", self.key);
    }

    /// Applies the time-based policies now: an idle publisher is cut, a
    /// republish wait that ran out ends the stream, stalled players expire.
    /// Returns whether the stream has had neither publisher nor players for
    /// `idle_stream_ms` (the hub then reaps it).
    pub(crate) fn tick(&self, now: u64) -> bool {
        let cfg = &self.cfg;
        let mut fire = Wakeups::default();
        let mut cut_publisher = false;
        let mut expired = 0usize;
        let reap = {
            let mut st = lock(&self.state);
            if let PubState::Active { last_push_ms, .. } = st.publisher {
                if now.saturating_sub(last_push_ms) >= cfg.publisher_idle_timeout_ms as u64 {
                    st.publisher = PubState::Waiting { since_ms: now };
                    cut_publisher = true;
                }
            }
            let ended = st.expire_wait(now, cfg);
            let write_seq = st.ring.write_seq();
            for n in &st.players {
                let pos = n.pos.load(Ordering::Relaxed);
                if pos >= write_seq
                    || n.expired.load(Ordering::Relaxed)
                    || n.ended.load(Ordering::Relaxed)
                    || pos != n.stall_pos.load(Ordering::Relaxed)
                {
                    n.stall_pos.store(pos, Ordering::Relaxed);
                    n.stall_since.store(now, Ordering::Relaxed);
                } else if now.saturating_sub(n.stall_since.load(Ordering::Relaxed))
                    >= cfg.player_idle_timeout_ms as u64
                {
                    n.expired.store(true, Ordering::Relaxed);
                    expired += 1;
                }
            }
            if cut_publisher || ended {
                self.take_news(&mut st, &mut fire);
            }
            let idle = !matches!(st.publisher, PubState::Active { .. }) && st.players.is_empty();
            match (idle, st.idle_since) {
                (false, _) => {
                    st.idle_since = None;
                    false
                }
                (true, None) => {
                    st.idle_since = Some(now);
                    cfg.idle_stream_ms == 0
                }
                (true, Some(since)) => now.saturating_sub(since) >= cfg.idle_stream_ms as u64,
            }
        };
        fire.fire();
        if cut_publisher {
            log!(
                Warn,
                "stream {}: publisher silent for {} ms, unpublished",
                self.key,
                cfg.publisher_idle_timeout_ms
            );
        }
        if expired > 0 {
            log!(
                Warn,
                "stream {}: {} player(s) expired after not reading for {} ms",
                self.key,
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
        let old = std::mem::replace(&mut *lock(&self.userdata), value);
        drop(old);
    }

    /// Runs `f` with the application value (under the userdata lock: do not
    /// call `set_userdata` from `f`).
    pub fn with_userdata<R>(&self, f: impl FnOnce(Option<&(dyn Any + Send + Sync)>) -> R) -> R {
        let guard = lock(&self.userdata);
        f(guard.as_deref())
    }

    /// Counters and cache sizes now.
    pub fn stats(&self) -> StreamStats {
        let st = lock(&self.state);
        StreamStats {
            publishing: matches!(st.publisher, PubState::Active { .. }),
            waiting: matches!(st.publisher, PubState::Waiting { .. }),
            bitrate_kbps: if matches!(st.publisher, PubState::Active { .. }) {
                st.bitrate_kbps()
            } else {
                0
            },
            publish_count: st.publish_count,
            tags_in: st.tags_in,
            bytes_in: st.bytes_in,
            players: self.player_count() as u64,
            players_total: st.players_total,
            retained_tags: st.ring.retained_tags(),
            retained_bytes: st.ring.retained_bytes(),
            gop_tags: st.gop.as_ref().map_or(0, |g| g.tags),
            gop_bytes: st.gop.as_ref().map_or(0, |g| g.bytes),
            video: st.video_info.clone(),
            audio: st.audio_info.clone(),
        }
    }

    /// Appends this stream's JSON object (see `docs/stats.md`).
    pub(crate) fn write_json(&self, out: &mut String) {
        use crate::json;
        let st = lock(&self.state);
        out.push('{');
        json::key(out, "key");
        json::string(out, &self.key);
        out.push(',');
        let publisher = match st.publisher {
            PubState::None => "none",
            PubState::Active { .. } => "publishing",
            PubState::Waiting { .. } => "waiting",
        };
        json::opt_str(out, "publisher", Some(publisher));
        json::num(out, "publish_count", st.publish_count);
        json::num(out, "tags_in", st.tags_in);
        json::num(out, "bytes_in", st.bytes_in);
        let active = matches!(st.publisher, PubState::Active { .. });
        json::num(
            out,
            "bitrate_kbps",
            if active { st.bitrate_kbps() } else { 0 },
        );
        json::num(out, "players", st.players.len() as u64);
        json::num(out, "players_total", st.players_total);
        json::num(out, "gop_tags", st.gop.as_ref().map_or(0, |g| g.tags));
        json::num(out, "gop_bytes", st.gop.as_ref().map_or(0, |g| g.bytes));
        json::num(out, "retained_tags", st.ring.retained_tags());
        json::num(out, "retained_bytes", st.ring.retained_bytes());
        st.write_codec_json(out);
        json::key(out, "player_list");
        out.push('[');
        let write_seq = st.ring.write_seq();
        for n in &st.players {
            let pos = n.pos.load(Ordering::Relaxed);
            out.push('{');
            json::num(out, "id", n.id);
            let state = PlayerState::of(n, write_seq);
            json::opt_str(out, "state", Some(state.as_str()));
            json::num(out, "lag_ms", st.lag_ms(pos));
            json::num(out, "tags_out", n.tags_out.load(Ordering::Relaxed));
            json::num(out, "bytes_out", n.bytes_out.load(Ordering::Relaxed));
            json::num(out, "tags_dropped", n.tags_dropped.load(Ordering::Relaxed));
            json::close(out, '}');
            out.push(',');
        }
        json::close(out, ']');
        json::close(out, '}');
    }

    /// Whether the stream was removed from its hub.
    pub fn is_closed(&self) -> bool {
        lock(&self.state).closed
    }
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stream")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// [`Stream::publish`] as a function: the form that also exists in loom
/// builds, whose `Arc` cannot be a method receiver.
pub fn publish(stream: &Arc<Stream>) -> Result<Publisher, Error> {
    let now = stream.now();
    let mut fire = Wakeups::default();
    let result = {
        let mut st = lock(&stream.state);
        if st.closed {
            Err(Error::Closed)
        } else if matches!(st.publisher, PubState::Active { last_push_ms, .. }
            if now.saturating_sub(last_push_ms) < stream.cfg.publisher_idle_timeout_ms as u64)
        {
            Err(Error::Busy)
        } else {
            // An active publisher silent past its timeout is cut here too,
            // so a dead encoder never keeps a stream busy.
            if matches!(st.publisher, PubState::Active { .. }) {
                st.publisher = PubState::Waiting { since_ms: now };
            }
            if st.expire_wait(now, &stream.cfg) {
                stream.take_news(&mut st, &mut fire);
            }
            let id = st.next_publisher_id;
            st.next_publisher_id += 1;
            st.publish_count += 1;
            st.publisher = PubState::Active {
                id,
                last_push_ms: now,
            };
            Ok(id)
        }
    };
    fire.fire();
    if result.is_ok() {
        log!(Info, "stream {}: published", stream.key);
    }
    result.map(|id| Publisher::new(stream.clone(), id))
}

/// [`Stream::play`] as a function (see [`publish`]).
pub fn play(stream: &Arc<Stream>, opts: PlayOptions) -> Result<Player, Error> {
    Player::join(stream.clone(), opts)
}
