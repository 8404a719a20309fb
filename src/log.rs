//! Optional logging through a callback; livehub prints nothing by itself.
//!
//! ```
//! use livehub::log::{set_logger, Level};
//! use std::sync::{Arc, Mutex};
//! let lines = Arc::new(Mutex::new(Vec::new()));
//! let sink = lines.clone();
//! set_logger(Level::Info, Some(Arc::new(move |_level, msg: &str| sink.lock().unwrap().push(msg.to_owned()))));
//! let hub = livehub::Hub::new(Default::default());
//! let _stream = hub.stream("live/logged").unwrap();
//! assert!(lines.lock().unwrap().iter().any(|l| l.contains("live/logged")));
//! set_logger(Level::Off, None);
//! ```
//!
//! The sink runs on the thread whose call produced the message, never under
//! a livehub lock, so it may call back into livehub.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, RwLock};

/// How much to log. Each level includes the ones above it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Level {
    /// Nothing.
    Off = 0,
    /// Something failed that the caller was not told about through a result.
    Error = 1,
    /// Policies acting: idle publishers cut, players expired, bad input.
    Warn = 2,
    /// Stream life: created, published, unpublished, removed, reaped.
    Info = 3,
    /// Per-player events: joins, skips.
    Debug = 4,
}

impl Level {
    /// The level for a number (out of range: `Debug`).
    pub fn from_u32(v: u32) -> Level {
        match v {
            0 => Level::Off,
            1 => Level::Error,
            2 => Level::Warn,
            3 => Level::Info,
            _ => Level::Debug,
        }
    }
}

/// A log sink: the level of the message and the message.
pub type Sink = Arc<dyn Fn(Level, &str) + Send + Sync>;

static MAX: AtomicU8 = AtomicU8::new(0);
static SINK: RwLock<Option<Sink>> = RwLock::new(None);

/// Sends messages up to `level` to `sink` (`None` or `Level::Off`: none).
/// Process-wide. A message being logged on another thread may still reach
/// the previous sink after this returns.
pub fn set_logger(level: Level, sink: Option<Sink>) {
    let level = if sink.is_some() { level } else { Level::Off };
    let mut guard = SINK.write().unwrap_or_else(|e| e.into_inner());
    *guard = sink;
    MAX.store(level as u8, Ordering::Release);
}

/// Whether a message at `level` would be delivered.
#[inline]
pub fn enabled(level: Level) -> bool {
    level as u8 <= MAX.load(Ordering::Relaxed) && level != Level::Off
}

/// Delivers one message (formatting only when enabled).
pub(crate) fn emit(level: Level, args: std::fmt::Arguments<'_>) {
    if !enabled(level) {
        return;
    }
    let sink = SINK.read().unwrap_or_else(|e| e.into_inner()).clone();
    if let Some(sink) = sink {
        sink(level, &args.to_string());
    }
}

macro_rules! log {
    ($level:ident, $($arg:tt)*) => {
        $crate::log::emit($crate::log::Level::$level, format_args!($($arg)*))
    };
}
pub(crate) use log;
