//! The plain `#[repr(C)]` statistics views and their copy-out helper.

use super::result::{from_error, livehub_result, LIVEHUB_OK};
use crate::{PlayerState, PlayerStats, PublisherState, PublisherStats, StreamStats};
use std::ffi::c_char;

/// `livehub_stream_stats.publisher_state`: no publisher.
pub const LIVEHUB_PUBLISHER_NONE: u32 = 0;
/// `livehub_stream_stats.publisher_state`: a publisher is pushing.
pub const LIVEHUB_PUBLISHER_ACTIVE: u32 = 1;
/// `livehub_stream_stats.publisher_state`: the publisher left; players
/// wait up to the republish wait for a new one.
pub const LIVEHUB_PUBLISHER_WAITING: u32 = 2;

/// `livehub_player_stats.state`: caught up, waiting for the next tag.
pub const LIVEHUB_PLAYER_LIVE: u32 = 0;
/// `livehub_player_stats.state`: has tags it has not read yet.
pub const LIVEHUB_PLAYER_BEHIND: u32 = 1;
/// `livehub_player_stats.state`: saw the end of its stream.
pub const LIVEHUB_PLAYER_ENDED: u32 = 2;
/// `livehub_player_stats.state`: expired after not reading for
/// `player_idle_timeout_ms`.
pub const LIVEHUB_PLAYER_EXPIRED: u32 = 3;

/// A snapshot of a stream, filled by `livehub_stream_get_stats()`.
///
/// Set `struct_size` to `sizeof(livehub_stream_stats)` before the call:
/// livehub writes only the fields that fit in it, so a program built
/// against an older, shorter struct keeps working with a newer library.
/// Text fields are NUL-terminated, empty when unknown (truncated to fit);
/// numbers are 0 when unknown.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct livehub_stream_stats {
    /// Set by the caller: the size of the struct it passes.
    pub struct_size: u32,
    /// LIVEHUB_PUBLISHER_NONE, _ACTIVE or _WAITING.
    pub publisher_state: u32,
    /// Publishers accepted so far.
    pub publish_count: u64,
    /// Tags stored so far.
    pub tags_in: u64,
    /// Tag body bytes stored so far.
    pub bytes_in: u64,
    /// Body bitrate over the last 5 s of stream time, while publishing.
    pub bitrate_kbps: u64,
    /// Players attached now.
    pub players: u64,
    /// Players attached since the stream was created.
    pub players_total: u64,
    /// Tags in the GOP cache (from the newest keyframe).
    pub gop_tags: u64,
    /// Bytes in the GOP cache.
    pub gop_bytes: u64,
    /// Tags retained by the stream's ring.
    pub retained_tags: u64,
    /// Bytes retained by the stream's ring.
    pub retained_bytes: u64,
    /// "h264", "hevc", "av1", "vp9", "vp8"; empty if unknown.
    pub video_codec: [c_char; 16],
    /// e.g. "High", "Main 10".
    pub video_profile: [c_char; 32],
    /// e.g. "3.1".
    pub video_level: [c_char; 8],
    /// Coded picture size after cropping.
    pub width: u32,
    pub height: u32,
    /// "aac", "mp3", "opus", "pcm", …; empty if unknown.
    pub audio_codec: [c_char; 16],
    /// e.g. "LC", "HE-AAC".
    pub audio_profile: [c_char; 16],
    /// Hz.
    pub sample_rate: u32,
    pub channels: u32,
}

/// A snapshot of a player, filled by `livehub_player_get_stats()`. Set
/// `struct_size` as for `livehub_stream_stats`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct livehub_player_stats {
    /// Set by the caller: the size of the struct it passes.
    pub struct_size: u32,
    /// LIVEHUB_PLAYER_LIVE, _BEHIND, _ENDED or _EXPIRED.
    pub state: u32,
    /// Tags handed out.
    pub tags_out: u64,
    /// Tag body bytes handed out (FLV framing excluded).
    pub bytes_out: u64,
    /// Tags skipped by falling behind or waiting for a keyframe.
    pub tags_dropped: u64,
    /// How far the next tag to read is behind the newest, in ms.
    pub lag_ms: u64,
}

/// A publisher's counters, filled by `livehub_publisher_get_stats()`. Set
/// `struct_size` as for `livehub_stream_stats`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct livehub_publisher_stats {
    /// Set by the caller: the size of the struct it passes.
    pub struct_size: u32,
    /// LIVEHUB_OK while the FLV byte stream is accepted; once it was
    /// rejected (bad header, tag over `max_tag_size`), the code every later
    /// `livehub_publisher_push_flv()` returns: drop the connection.
    pub rejected: livehub_result,
    /// Tags stored in the stream.
    pub tags_in: u64,
    /// Tag body bytes stored.
    pub bytes_in: u64,
    /// Tags refused or skipped (unknown or reserved type, encrypted, too
    /// short to classify, too large, garbage).
    pub tags_skipped: u64,
    /// PreviousTagSize fields that did not match (those tags were kept).
    pub prev_tag_size_mismatches: u64,
    /// Garbage bytes dropped while resynchronising on the next tag.
    pub bytes_discarded: u64,
    /// Bytes of an incomplete tag waiting for the rest.
    pub bytes_buffered: u64,
}

impl livehub_publisher_stats {
    pub(crate) fn from_core(s: &PublisherStats) -> livehub_publisher_stats {
        livehub_publisher_stats {
            struct_size: std::mem::size_of::<livehub_publisher_stats>() as u32,
            rejected: s.rejected.map_or(LIVEHUB_OK, from_error),
            tags_in: s.tags_in,
            bytes_in: s.bytes_in,
            tags_skipped: s.tags_skipped,
            prev_tag_size_mismatches: s.prev_tag_size_mismatches,
            bytes_discarded: s.bytes_discarded,
            bytes_buffered: s.bytes_buffered,
        }
    }
}

/// Copies `s` into a C text field, truncated at a character boundary and
/// NUL-terminated.
fn text<const N: usize>(s: Option<&str>) -> [c_char; N] {
    let mut out = [0 as c_char; N];
    let s = s.unwrap_or("");
    let mut end = s.len().min(N - 1);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    for (o, b) in out.iter_mut().zip(&s.as_bytes()[..end]) {
        *o = *b as c_char;
    }
    out
}

impl livehub_stream_stats {
    pub(crate) fn from_core(s: &StreamStats) -> livehub_stream_stats {
        let v = s.video.clone().unwrap_or_default();
        let a = s.audio.clone().unwrap_or_default();
        let present = |c: &'static str| (!c.is_empty()).then_some(c);
        livehub_stream_stats {
            struct_size: std::mem::size_of::<livehub_stream_stats>() as u32,
            publisher_state: match s.publisher {
                PublisherState::None => LIVEHUB_PUBLISHER_NONE,
                PublisherState::Active => LIVEHUB_PUBLISHER_ACTIVE,
                PublisherState::Waiting => LIVEHUB_PUBLISHER_WAITING,
            },
            publish_count: s.publish_count,
            tags_in: s.tags_in,
            bytes_in: s.bytes_in,
            bitrate_kbps: s.bitrate_kbps,
            players: s.players,
            players_total: s.players_total,
            gop_tags: s.gop_tags,
            gop_bytes: s.gop_bytes,
            retained_tags: s.retained_tags,
            retained_bytes: s.retained_bytes,
            video_codec: text(s.video.as_ref().and_then(|v| present(v.codec))),
            video_profile: text(v.profile.as_deref()),
            video_level: text(v.level.as_deref()),
            width: v.width.unwrap_or(0),
            height: v.height.unwrap_or(0),
            audio_codec: text(s.audio.as_ref().and_then(|a| present(a.codec))),
            audio_profile: text(a.profile.as_deref()),
            sample_rate: a.sample_rate.unwrap_or(0),
            channels: a.channels.unwrap_or(0),
        }
    }
}

impl livehub_player_stats {
    pub(crate) fn from_core(s: &PlayerStats) -> livehub_player_stats {
        livehub_player_stats {
            struct_size: std::mem::size_of::<livehub_player_stats>() as u32,
            state: match s.state {
                PlayerState::Live => LIVEHUB_PLAYER_LIVE,
                PlayerState::Behind => LIVEHUB_PLAYER_BEHIND,
                PlayerState::Ended => LIVEHUB_PLAYER_ENDED,
                PlayerState::Expired => LIVEHUB_PLAYER_EXPIRED,
            },
            tags_out: s.tags_out,
            bytes_out: s.bytes_out,
            tags_dropped: s.tags_dropped,
            lag_ms: s.lag_ms,
        }
    }
}

/// Writes the prefix of `value` that fits in the caller's `struct_size`
/// (read from `out` first), keeping the caller's `struct_size`. Returns
/// false if `struct_size` is too small to hold even `struct_size` itself.
///
/// # Safety
/// `out` is non-NULL, aligned for `T`, and valid for reads and writes of
/// the `struct_size` bytes its first `u32` field declares.
pub(crate) unsafe fn write_prefix<T: Copy>(out: *mut T, value: &T) -> bool {
    // SAFETY: `out` is valid for at least its own `struct_size` field, the
    // first field of every stats struct (contract).
    let declared = unsafe { out.cast::<u32>().read() } as usize;
    if declared < std::mem::size_of::<u32>() {
        return false;
    }
    let n = declared.min(std::mem::size_of::<T>());
    let src = (value as *const T).cast::<u8>();
    // SAFETY: `src` is a live `T`, readable for `n <= size_of::<T>()` bytes;
    // `out` is writable for `declared >= n` bytes (contract); the regions
    // are distinct (one is ours, on the stack). Bytes 0..4 (struct_size)
    // are rewritten with the caller's own value right after.
    unsafe {
        std::ptr::copy_nonoverlapping(src, out.cast::<u8>(), n);
        out.cast::<u32>().write(declared as u32);
    }
    true
}
