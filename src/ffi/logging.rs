//! `livehub_set_log_callback`: livehub's only way to say something; it
//! never prints to stdout or stderr by itself.

use super::result::{livehub_result, LIVEHUB_ERR_INVALID_ARG, LIVEHUB_OK};
use crate::log::{set_logger, Level};
use std::ffi::{c_char, c_void, CString};
use std::sync::Arc;

/// Log level: nothing.
pub const LIVEHUB_LOG_OFF: u32 = 0;
/// Log level: errors nobody was told about through a result.
pub const LIVEHUB_LOG_ERROR: u32 = 1;
/// Log level: policies acting (idle publishers cut, players expired) and
/// bad input.
pub const LIVEHUB_LOG_WARN: u32 = 2;
/// Log level: stream life (created, published, closed, reaped).
pub const LIVEHUB_LOG_INFO: u32 = 3;
/// Log level: per-player events (skips).
pub const LIVEHUB_LOG_DEBUG: u32 = 4;

/// A log callback: `level` is a LIVEHUB_LOG_* value, `message` a
/// NUL-terminated UTF-8 line without a trailing newline, valid during the
/// call only.
pub type livehub_log_fn =
    Option<extern "C" fn(userdata: *mut c_void, level: u32, message: *const c_char)>;

/// The C callback and its userdata, as a core log sink.
struct CSink {
    callback: extern "C" fn(*mut c_void, u32, *const c_char),
    userdata: *mut c_void,
}

impl CSink {
    fn emit(&self, level: Level, message: &str) {
        // Stream keys come from C strings and livehub's own text has no
        // NUL, but replace one rather than drop the line.
        let line = CString::new(message.replace('\0', " ")).unwrap_or_default();
        (self.callback)(self.userdata, level as u32, line.as_ptr());
    }
}

// SAFETY: `livehub_set_log_callback` documents that the callback may be
// called from any thread that calls into livehub, concurrently, with this
// userdata: the caller promises the pair is safe to use that way. livehub
// itself never dereferences `userdata`.
unsafe impl Send for CSink {}
// SAFETY: as above: concurrent calls are part of the documented contract.
unsafe impl Sync for CSink {}

/// Sends livehub's log messages up to `level` (LIVEHUB_LOG_*) to
/// `callback(userdata, level, message)`; `callback` NULL or level
/// LIVEHUB_LOG_OFF turns logging off. Process-wide: the last call wins.
///
/// The callback runs on whichever thread's call into livehub produced the
/// message (livehub has no threads), possibly on several threads at once,
/// never while livehub holds a lock: it may call livehub. A message being
/// logged concurrently may still reach the previous callback after this
/// returns, so keep the old `userdata` valid until your threads are
/// quiet, or for the life of the process.
///
/// Ownership: `userdata` is borrowed for as long as the callback is set.
///
/// Threads: any.
///
/// Returns LIVEHUB_OK; LIVEHUB_ERR_INVALID_ARG if `level` is above
/// LIVEHUB_LOG_DEBUG; LIVEHUB_ERR_PANIC.
#[no_mangle]
pub extern "C" fn livehub_set_log_callback(
    level: u32,
    callback: livehub_log_fn,
    userdata: *mut c_void,
) -> livehub_result {
    ffi_panic_boundary! {
        let level = match level {
            LIVEHUB_LOG_OFF => Level::Off,
            LIVEHUB_LOG_ERROR => Level::Error,
            LIVEHUB_LOG_WARN => Level::Warn,
            LIVEHUB_LOG_INFO => Level::Info,
            LIVEHUB_LOG_DEBUG => Level::Debug,
            _ => return LIVEHUB_ERR_INVALID_ARG,
        };
        let sink = callback.map(|callback| {
            let c = CSink { callback, userdata };
            Arc::new(move |level: Level, message: &str| c.emit(level, message)) as crate::log::Sink
        });
        set_logger(level, sink);
        LIVEHUB_OK
    }
}
