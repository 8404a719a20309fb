//! Hub configuration and the replaceable clock.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// A source of milliseconds for every time-based policy.
///
/// Only differences between readings matter; the value must never go back.
/// Tests use [`ManualClock`]; a server may plug in its own cached clock.
pub trait Clock: Send + Sync {
    /// Milliseconds since an arbitrary, fixed origin.
    fn now_ms(&self) -> u64;
}

/// The default clock: monotonic time since the clock was made.
#[derive(Debug)]
pub struct SystemClock {
    origin: Instant,
}

impl SystemClock {
    /// A clock starting at 0 now.
    pub fn new() -> SystemClock {
        SystemClock {
            origin: Instant::now(),
        }
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        SystemClock::new()
    }
}

impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        self.origin.elapsed().as_millis() as u64
    }
}

/// A clock that moves only when told to.
///
/// ```
/// use livehub::{Clock, ManualClock};
/// let clock = ManualClock::new(1_000);
/// clock.advance(250);
/// assert_eq!(clock.now_ms(), 1_250);
/// ```
#[derive(Debug, Default)]
pub struct ManualClock {
    now: AtomicU64,
}

impl ManualClock {
    /// A clock reading `start_ms`.
    pub fn new(start_ms: u64) -> ManualClock {
        ManualClock {
            now: AtomicU64::new(start_ms),
        }
    }

    /// Moves the clock forward by `ms`.
    pub fn advance(&self, ms: u64) {
        self.now.fetch_add(ms, Ordering::SeqCst);
    }

    /// Sets the clock to `ms` (which must not be earlier than now).
    pub fn set(&self, ms: u64) {
        self.now.fetch_max(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> u64 {
        self.now.load(Ordering::SeqCst)
    }
}

/// Longest stream key accepted, in bytes.
pub const MAX_KEY_LEN: usize = 1024;

/// Policies and bounds of a hub. `Config::default()` gives the documented
/// defaults.
///
/// ```
/// let cfg = livehub::Config { republish_wait_ms: 1_000, ..Default::default() };
/// let hub = livehub::Hub::new(cfg);
/// assert!(hub.find("live/none").is_err());
/// ```
#[derive(Clone)]
pub struct Config {
    /// How long players wait for a new publisher after an unpublish before
    /// they see end of stream.
    pub republish_wait_ms: u32,
    /// A stream with neither publisher nor players is reaped after this long.
    pub idle_stream_ms: u32,
    /// A publisher that pushes nothing for this long is unpublished.
    pub publisher_idle_timeout_ms: u32,
    /// A player with unread data that does not read for this long is expired.
    pub player_idle_timeout_ms: u32,
    /// A player further behind the live edge than this skips to the newest
    /// keyframe.
    pub max_lag_ms: u32,
    /// Bound on the tags cached from the newest keyframe.
    pub gop_max_frames: u32,
    /// Bound on the bytes cached from the newest keyframe.
    pub gop_max_bytes: u64,
    /// Tags with a larger body are refused (`TooLarge`).
    pub max_tag_size: u32,
    /// Where time comes from.
    pub clock: std::sync::Arc<dyn Clock>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            republish_wait_ms: 5_000,
            idle_stream_ms: 3_000,
            publisher_idle_timeout_ms: 20_000,
            player_idle_timeout_ms: 30_000,
            max_lag_ms: 10_000,
            gop_max_frames: 2_500,
            gop_max_bytes: 64 << 20,
            max_tag_size: 0xFF_FFFF,
            clock: std::sync::Arc::new(SystemClock::new()),
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("republish_wait_ms", &self.republish_wait_ms)
            .field("idle_stream_ms", &self.idle_stream_ms)
            .field("publisher_idle_timeout_ms", &self.publisher_idle_timeout_ms)
            .field("player_idle_timeout_ms", &self.player_idle_timeout_ms)
            .field("max_lag_ms", &self.max_lag_ms)
            .field("gop_max_frames", &self.gop_max_frames)
            .field("gop_max_bytes", &self.gop_max_bytes)
            .field("max_tag_size", &self.max_tag_size)
            .finish_non_exhaustive()
    }
}

/// How a player's output timestamps are derived from the stream's timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimestampMode {
    /// The first tag a player receives has timestamp 0.
    #[default]
    Rebase,
    /// The stream's own (corrected, monotonic) timeline.
    Absolute,
}

/// Per-player choices made at `play` time.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PlayOptions {
    /// Timestamp policy.
    pub timestamps: TimestampMode,
    /// Overrides the hub's `republish_wait_ms` for this player.
    pub republish_wait_ms: Option<u32>,
    /// The event loop serving this player: it arms into the group, whose
    /// dispatch runs its notify callback (`None`: woken on the stream).
    pub group: Option<crate::Group>,
}
