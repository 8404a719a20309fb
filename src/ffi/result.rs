//! `livehub_result`: the outcome of every fallible C call, its codes and
//! their descriptions; and the library version.

use crate::Error;
use std::ffi::c_char;

/// The outcome of a livehub call: `LIVEHUB_OK` (0) or one of the
/// `LIVEHUB_*` codes below. Values are stable and never reused; a newer
/// library may add codes, so treat unknown values as failures
/// (`livehub_result_str()` describes them as "unknown result").
pub type livehub_result = u32;

// The codes are declared `u32` (the same type as `livehub_result`, which is
// an alias) so that cbindgen emits them first in the header, in this order,
// rather than after every struct.

/// Success.
pub const LIVEHUB_OK: u32 = 0;
/// Nothing to read yet; the player's notification is armed (not a failure).
pub const LIVEHUB_AGAIN: u32 = 1;
/// The stream ended for this player (removed, or no new publisher within the
/// republish wait). Sticky: every later read returns it again.
pub const LIVEHUB_EOF: u32 = 2;
/// `livehub_player_wait()` ran out of time.
pub const LIVEHUB_TIMEOUT: u32 = 3;
/// A required pointer argument was NULL; nothing happened.
pub const LIVEHUB_ERR_NULL: u32 = 4;
/// An argument is out of range: empty, over-long or non-UTF-8 key, unknown
/// tag type, bad option value, zero-sized buffer…; nothing happened.
pub const LIVEHUB_ERR_INVALID_ARG: u32 = 5;
/// The stream already has a publisher.
pub const LIVEHUB_ERR_BUSY: u32 = 6;
/// No stream under that key.
pub const LIVEHUB_ERR_NOT_FOUND: u32 = 7;
/// The stream was removed from its hub, or this publisher was unpublished.
pub const LIVEHUB_ERR_CLOSED: u32 = 8;
/// Malformed FLV data; the stream and its players carry on. From
/// `livehub_publisher_push_flv()` it means only that one tag was dropped
/// (counted in `livehub_publisher_stats.tags_skipped`) and the rest of the
/// chunk was stored: carry on.
pub const LIVEHUB_ERR_FLV: u32 = 9;
/// A tag larger than the hub's `max_tag_size`.
pub const LIVEHUB_ERR_TOO_LARGE: u32 = 10;
/// The caller's buffer or iovec array is too small.
pub const LIVEHUB_ERR_BUFFER: u32 = 11;
/// The player stopped reading for longer than `player_idle_timeout_ms`.
pub const LIVEHUB_ERR_EXPIRED: u32 = 12;
/// livehub caught an internal panic (a bug in livehub); the call had no
/// effect or only part of it. Please report it.
pub const LIVEHUB_ERR_PANIC: u32 = 13;
/// `livehub_publisher_push_flv()`: the FLV byte stream is rejected for good
/// (bad signature, version or header size, or a tag over `max_tag_size`);
/// every later `push_flv` on this publisher returns it: close the
/// connection. The stream and its players carry on.
pub const LIVEHUB_ERR_FLV_REJECTED: u32 = 14;
/// `livehub_rtmp_session_feed()`: bad RTMP input (the reason:
/// `livehub_rtmp_session_error()`); the session is closed, close the
/// connection. The stream and its other players carry on.
pub const LIVEHUB_ERR_RTMP: u32 = 15;

/// NUL-terminated descriptions, indexed by code. The core's wording for the
/// codes it produces (checked by the tests).
const DESCRIPTIONS: [&[u8]; 16] = [
    b"ok\0",
    b"no data yet, try again\0",
    b"end of stream\0",
    b"timed out\0",
    b"required pointer argument is NULL\0",
    b"invalid argument\0",
    b"stream already has a publisher\0",
    b"stream not found\0",
    b"stream or publisher closed\0",
    b"malformed FLV data\0",
    b"tag larger than max_tag_size\0",
    b"buffer too small\0",
    b"player expired after not reading\0",
    b"internal panic caught by livehub\0",
    b"FLV byte stream rejected\0",
    b"bad RTMP input, session closed\0",
];

const UNKNOWN: &[u8] = b"unknown result\0";

/// Release version of this library, NUL-terminated.
const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");

/// The code of a core error.
pub(crate) fn from_error(e: Error) -> livehub_result {
    match e {
        Error::Again => LIVEHUB_AGAIN,
        Error::Eof => LIVEHUB_EOF,
        Error::Timeout => LIVEHUB_TIMEOUT,
        Error::InvalidArg => LIVEHUB_ERR_INVALID_ARG,
        Error::Busy => LIVEHUB_ERR_BUSY,
        Error::NotFound => LIVEHUB_ERR_NOT_FOUND,
        Error::Closed => LIVEHUB_ERR_CLOSED,
        Error::Flv => LIVEHUB_ERR_FLV,
        Error::TooLarge => LIVEHUB_ERR_TOO_LARGE,
        Error::Buffer => LIVEHUB_ERR_BUFFER,
        Error::Expired => LIVEHUB_ERR_EXPIRED,
        Error::FlvRejected => LIVEHUB_ERR_FLV_REJECTED,
    }
}

/// The code of a core result: `LIVEHUB_OK` or the error's code.
pub(crate) fn from_result(r: Result<(), Error>) -> livehub_result {
    match r {
        Ok(()) => LIVEHUB_OK,
        Err(e) => from_error(e),
    }
}

/// Returns a short English description of `r`, such as "end of stream".
///
/// Never returns NULL: codes this library does not know give
/// "unknown result" (and a caught internal panic gives "panic").
///
/// Ownership: the string is static: do not free it; it stays valid for the
/// life of the process.
///
/// Threads: any, concurrently.
#[no_mangle]
pub extern "C" fn livehub_result_str(r: livehub_result) -> *const c_char {
    ffi_panic_boundary! {
        let text = DESCRIPTIONS.get(r as usize).copied().unwrap_or(UNKNOWN);
        text.as_ptr().cast()
    }
}

/// Returns the version of the linked library, "MAJOR.MINOR.PATCH" such as
/// "0.2.0" (compare it with `LIVEHUB_VERSION`, the version of this header;
/// a program built against 0.MINOR runs with any 0.x library of the same
/// or a later MINOR). Never returns NULL.
///
/// Ownership: the string is static: do not free it.
///
/// Threads: any, concurrently.
#[no_mangle]
pub extern "C" fn livehub_version() -> *const c_char {
    ffi_panic_boundary! {
        VERSION.as_ptr().cast()
    }
}
