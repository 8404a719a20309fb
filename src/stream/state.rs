//! Everything about a stream that changes, under its lock: the ring, the
//! caches, the publisher, the epochs, the players' records, the waiters.
//! Only the stream module sees it; players and publishers get decisions.

use super::epoch::Epochs;
use super::gop::Headers;
use super::publishing::{Publishing, Wait};
use super::registry::Registry;
use super::stats::{PlayerRow, PlayerState, PublisherState, Rate, StreamStats};
use crate::codec::{self, AudioInfo, VideoInfo};
use crate::config::Config;
use crate::flv::{self, TagInfo};
use crate::notify::WaitList;
use crate::ring::{Entry, Ring, FLAG_VIDEO_FRAME};
use crate::timestamp::Timeline;
use bytes::Bytes;

/// One tag on its way into the ring, classified.
pub(crate) struct NewTag {
    pub tag_type: u8,
    pub timestamp: u32,
    pub data: Bytes,
    pub info: TagInfo,
}

pub(super) struct State {
    pub ring: Ring,
    timeline: Timeline,
    pub publishing: Publishing,
    pub epochs: Epochs,
    /// Removed from its hub: no more publishing or playing.
    pub closed: bool,
    pub headers: Headers,
    has_audio: bool,
    has_video: bool,
    meta_tracks: (Option<bool>, Option<bool>),
    /// Armed waiters, woken by the next change that is news.
    pub waiters: WaitList,
    pub players: Registry,
    /// Since when (clock ms) the stream has had neither an active publisher
    /// nor players; `None` while it has either.
    idle_since: Option<u64>,
    rate: Rate,
    /// Codec parameters from the sequence headers (or, for audio formats
    /// without one, from the first frame).
    video_info: Option<VideoInfo>,
    audio_info: Option<AudioInfo>,
    tags_in: u64,
    bytes_in: u64,
    /// Set by a change players must hear about (a tag, an unpublish, the
    /// end of an epoch); the update path then wakes the waiters.
    pub news: bool,
    /// News other than appended tags (an unpublish, the end of an epoch, a
    /// cut publisher), counted; mirrored lock-free in `Shared::events`.
    pub changes: u64,
}

impl State {
    pub fn new(cfg: &Config, now: u64) -> State {
        State {
            ring: Ring::new(),
            timeline: Timeline::default(),
            publishing: Publishing::new(cfg.republish_wait_ms),
            epochs: Epochs::default(),
            closed: false,
            headers: Headers::default(),
            has_audio: false,
            has_video: false,
            meta_tracks: (None, None),
            waiters: WaitList::default(),
            players: Registry::default(),
            idle_since: Some(now),
            rate: Rate::default(),
            video_info: None,
            audio_info: None,
            tags_in: 0,
            bytes_in: 0,
            news: false,
            changes: 0,
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

    /// Keeps `idle_since` right after a change at clock time `at`: idle
    /// streams count from the moment they became idle.
    pub fn refresh_idle(&mut self, at: u64) {
        if self.publishing.is_active() || !self.players.is_empty() {
            self.idle_since = None;
        } else if self.idle_since.is_none() {
            self.idle_since = Some(at);
        }
    }

    /// Whether the stream has been idle for `idle_ms` at `now`.
    pub fn idle_for(&self, now: u64, idle_ms: u32) -> bool {
        self.idle_since
            .is_some_and(|since| now.saturating_sub(since) >= idle_ms as u64)
    }

    /// Ends the current epoch: players read what was published, then EOF.
    /// A later publisher starts afresh.
    pub fn end_epoch(&mut self, cfg: &Config) {
        self.epochs.end(self.ring.write_seq());
        self.epochs.prune(self.ring.front_seq());
        self.ring.seal();
        // The timeline goes on: ring positions stay ordered by time across
        // epochs, which the window bounds rely on.
        self.publishing.state = super::publishing::PubState::None;
        self.publishing.wait_ms = cfg.republish_wait_ms;
        self.headers = Headers::default();
        self.has_audio = false;
        self.has_video = false;
        self.meta_tracks = (None, None);
        self.video_info = None;
        self.audio_info = None;
        self.rate.clear();
        self.news = true;
        self.changes += 1;
    }

    /// Applies the republish-wait rule at `now`: ends the epoch if the wait
    /// ran out. Returns where the wait stands.
    pub fn republish_wait(&mut self, now: u64, cfg: &Config) -> Wait {
        let wait = self.publishing.wait(now);
        if wait == Wait::Over {
            self.end_epoch(cfg);
        }
        wait
    }

    /// Stores one tag pushed at clock time `now`: caches, GOP, ring,
    /// window bounds.
    pub fn append(&mut self, tag: NewTag, now: u64, cfg: &Config) {
        let NewTag {
            tag_type,
            timestamp,
            data,
            info,
        } = tag;
        let ts = self.timeline.map(timestamp);
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
            self.headers.metadata = Some(entry.clone());
            self.headers.changed();
        } else if flags & flv::FLAG_SEQUENCE_HEADER != 0 {
            if tag_type == flv::TAG_AUDIO {
                self.headers.audio_sh = Some(entry.clone());
                self.audio_info = codec::parse_audio(&entry.data).or(self.audio_info.take());
            } else {
                self.headers.video_sh = Some(entry.clone());
                self.video_info =
                    codec::parse_video_sequence_header(&entry.data).or(self.video_info.take());
            }
            self.headers.changed();
        } else if tag_type == flv::TAG_AUDIO && self.audio_info.is_none() {
            // Formats without a sequence header describe themselves in
            // every frame.
            self.audio_info = codec::parse_audio(&entry.data);
        }
        let keyframe = entry.is_keyframe() && entry.is_video_frame();
        let seq = self.ring.push(entry, now);
        self.tags_in += 1;
        self.bytes_in += size;
        self.rate.count(ts, size);
        self.news = true;

        if keyframe {
            self.headers.start_gop(seq);
        }
        self.headers
            .count(size, cfg.gop_max_frames, cfg.gop_max_bytes);

        // Keep what the lag window and the GOP need, within hard bounds.
        let horizon = ts.saturating_sub(cfg.max_lag_ms as u64);
        let gop_start = self.headers.gop.as_ref().map(|g| g.start);
        let max_bytes = cfg.gop_max_bytes.saturating_mul(2);
        let max_tags = (cfg.gop_max_frames as u64).saturating_mul(2);
        self.ring.evict_while(|end, last_ts, bytes, tags| {
            let over = bytes > max_bytes || tags > max_tags;
            let old = last_ts < horizon && gop_start.map_or(true, |g| end <= g);
            over || old
        });
        if matches!(self.headers.gop, Some(ref g) if g.start < self.ring.front_seq()) {
            self.headers.drop_gop();
        }
        self.epochs.prune(self.ring.front_seq());
    }

    /// The publisher state as stats report it.
    pub fn publisher_state(&self) -> PublisherState {
        match self.publishing.state {
            super::publishing::PubState::None => PublisherState::None,
            super::publishing::PubState::Active { .. } => PublisherState::Active,
            super::publishing::PubState::Waiting { .. } => PublisherState::Waiting,
        }
    }

    /// Counters and cache sizes now.
    pub fn stats(&self) -> StreamStats {
        let publisher = self.publisher_state();
        let gop = self.headers.gop.as_ref();
        StreamStats {
            publisher,
            bitrate_kbps: if publisher == PublisherState::Active {
                self.rate.kbps()
            } else {
                0
            },
            publish_count: self.publishing.count,
            tags_in: self.tags_in,
            bytes_in: self.bytes_in,
            players: self.players.len() as u64,
            players_total: self.players.total,
            retained_tags: self.ring.retained_tags(),
            retained_bytes: self.ring.retained_bytes(),
            gop_tags: gop.map_or(0, |g| g.tags),
            gop_bytes: gop.map_or(0, |g| g.bytes),
            video: self.video_info.clone(),
            audio: self.audio_info.clone(),
        }
    }

    /// One row per attached player, for the JSON snapshot.
    pub fn player_rows(&self) -> Vec<PlayerRow> {
        let write_seq = self.ring.write_seq();
        self.players
            .iter()
            .map(|p| {
                let pos = p.pos();
                PlayerRow {
                    id: p.id(),
                    state: PlayerState::of(p, pos, write_seq),
                    lag_ms: self.lag_ms(pos),
                    delivered: p.delivered(),
                }
            })
            .collect()
    }
}
