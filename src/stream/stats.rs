//! What a stream reports: [`StreamStats`], the states of its publisher and
//! players, the bitrate meter, and the stream's object in the hub's JSON
//! snapshot (written from the same snapshot as [`StreamStats`], so each
//! field is computed once).

use super::registry::{Delivered, PlayerSlot};
use crate::codec::{AudioInfo, VideoInfo};
use crate::json;
use std::collections::VecDeque;

/// Seconds of stream time the bitrate is averaged over.
pub const RATE_WINDOW_S: u64 = 5;

/// What a stream's publisher is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PublisherState {
    /// No publisher, and no republish wait running.
    #[default]
    None,
    /// A publisher is attached and pushing.
    Active,
    /// The publisher left; players wait for a new one.
    Waiting,
}

impl PublisherState {
    /// Name as in the JSON stats: `"none"`, `"publishing"`, `"waiting"`.
    pub fn as_str(self) -> &'static str {
        match self {
            PublisherState::None => "none",
            PublisherState::Active => "publishing",
            PublisherState::Waiting => "waiting",
        }
    }
}

/// A snapshot of a stream's counters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StreamStats {
    /// What the publisher is doing.
    pub publisher: PublisherState,
    /// Average body bitrate over the last few seconds of stream time, while
    /// a publisher is active (0 otherwise).
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
    pub(crate) fn of(p: &PlayerSlot, pos: u64, write_seq: u64) -> PlayerState {
        if p.is_expired() {
            PlayerState::Expired
        } else if p.is_ended() {
            PlayerState::Ended
        } else if pos >= write_seq {
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

/// One row of a stream's player list.
pub(super) struct PlayerRow {
    pub id: u64,
    pub state: PlayerState,
    pub lag_ms: u64,
    pub delivered: Delivered,
}

/// Body bytes per second of stream time, for the last few seconds.
#[derive(Default)]
pub(super) struct Rate {
    secs: VecDeque<(u64, u64)>,
}

impl Rate {
    pub fn count(&mut self, ts: u64, size: u64) {
        let sec = ts / 1000;
        match self.secs.back_mut() {
            Some((s, b)) if *s == sec => *b += size,
            _ => self.secs.push_back((sec, size)),
        }
        while self
            .secs
            .front()
            .is_some_and(|&(s, _)| s + RATE_WINDOW_S < sec)
        {
            self.secs.pop_front();
        }
    }

    pub fn clear(&mut self) {
        self.secs.clear();
    }

    /// Average body bitrate over the last [`RATE_WINDOW_S`] whole seconds
    /// of stream time, in kbit/s.
    pub fn kbps(&self) -> u64 {
        let Some(&(newest, _)) = self.secs.back() else {
            return 0;
        };
        let bytes: u64 = self
            .secs
            .iter()
            .filter(|&&(sec, _)| sec < newest && sec + RATE_WINDOW_S >= newest)
            .map(|&(_, b)| b)
            .sum();
        bytes * 8 / RATE_WINDOW_S / 1000
    }
}

/// Appends the stream's JSON object (schema in `docs/stats.md`).
pub(super) fn write_json(out: &mut String, key: &str, s: &StreamStats, players: &[PlayerRow]) {
    out.push('{');
    json::key(out, "key");
    json::string(out, key);
    out.push(',');
    json::opt_str(out, "publisher", Some(s.publisher.as_str()));
    json::num(out, "publish_count", s.publish_count);
    json::num(out, "tags_in", s.tags_in);
    json::num(out, "bytes_in", s.bytes_in);
    json::num(out, "bitrate_kbps", s.bitrate_kbps);
    json::num(out, "players", s.players);
    json::num(out, "players_total", s.players_total);
    json::num(out, "gop_tags", s.gop_tags);
    json::num(out, "gop_bytes", s.gop_bytes);
    json::num(out, "retained_tags", s.retained_tags);
    json::num(out, "retained_bytes", s.retained_bytes);
    json::key(out, "video");
    match &s.video {
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
    match &s.audio {
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
    json::key(out, "player_list");
    out.push('[');
    for p in players {
        out.push('{');
        json::num(out, "id", p.id);
        json::opt_str(out, "state", Some(p.state.as_str()));
        json::num(out, "lag_ms", p.lag_ms);
        json::num(out, "tags_out", p.delivered.tags_out);
        json::num(out, "bytes_out", p.delivered.bytes_out);
        json::num(out, "tags_dropped", p.delivered.tags_dropped);
        json::close(out, '}');
        out.push(',');
    }
    json::close(out, ']');
    json::close(out, '}');
}
