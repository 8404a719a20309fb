//! `livehub_publisher`: the single writer of a stream.

use super::handle::{free_box, mut_or_null, Castable, OwnershipBox};
use super::result::{
    from_result, livehub_result, LIVEHUB_ERR_INVALID_ARG, LIVEHUB_ERR_NULL, LIVEHUB_ERR_TOO_LARGE,
};
use crate::Publisher;

/// The publisher of a stream, from `livehub_stream_publish()`.
///
/// Ownership: single owner: the caller holds it until
/// `livehub_publisher_release()`, which is the unpublish (graceful or
/// abrupt alike). It keeps its stream alive.
///
/// Threads: one thread at a time: calls may move between threads but must
/// not overlap.
pub struct livehub_publisher {
    _private: [u8; 0],
}

impl Castable for livehub_publisher {
    type Ownership = OwnershipBox;
    type RustType = Publisher;
}

/// The caller's bytes as a slice: NULL is allowed for an empty input only.
///
/// # Safety
/// `data` is NULL or valid for reads of `size` bytes that stay unchanged
/// for `'a`.
unsafe fn input<'a>(
    data: *const u8,
    size: usize,
    too_big: livehub_result,
) -> Result<&'a [u8], livehub_result> {
    if size == 0 {
        return Ok(&[]);
    }
    if data.is_null() {
        return Err(LIVEHUB_ERR_NULL);
    }
    if size > isize::MAX as usize {
        // No real buffer is this large; `from_raw_parts` forbids it.
        return Err(too_big);
    }
    // SAFETY: non-NULL, `size` readable and unchanged bytes (this
    // function's contract), `size` within `isize::MAX`, and `u8` has no
    // alignment or validity requirement beyond being initialised memory.
    Ok(unsafe { std::slice::from_raw_parts(data, size) })
}

/// Pushes one tag of type `type` (LIVEHUB_TAG_AUDIO, _VIDEO or _SCRIPT)
/// with timestamp `timestamp` (ms) and body `data[0..size]` (the FLV tag
/// header excluded). The body is copied once, into storage shared by every
/// player; the cost does not depend on the number of players. Waiting
/// players are notified from inside this call, on this thread, after
/// livehub released its locks.
///
/// Ownership: `p` and `data` are borrowed for the call.
///
/// Threads: one at a time per publisher.
///
/// Returns LIVEHUB_OK; LIVEHUB_ERR_NULL if `p` is NULL, or `data` is NULL
/// with `size` > 0; LIVEHUB_ERR_INVALID_ARG for an unknown tag type;
/// LIVEHUB_ERR_TOO_LARGE if `size` exceeds the hub's `max_tag_size`;
/// LIVEHUB_ERR_FLV for a body too short to classify (an empty audio or
/// video body, for instance); LIVEHUB_ERR_CLOSED once the stream was
/// removed (or reaped, or its hub released) or this publisher was cut for
/// being silent longer than `publisher_idle_timeout_ms`;
/// LIVEHUB_ERR_PANIC. On any error nothing is stored and the stream and
/// its players carry on.
#[no_mangle]
pub extern "C" fn livehub_publisher_push_tag(
    p: *mut livehub_publisher,
    r#type: u8,
    timestamp: u32,
    data: *const u8,
    size: usize,
) -> livehub_result {
    ffi_panic_boundary! {
        if p.is_null() {
            return LIVEHUB_ERR_NULL;
        }
        // SAFETY: the caller passes `size` readable bytes at `data`, or NULL
        // with size 0.
        let body = match unsafe { input(data, size, LIVEHUB_ERR_TOO_LARGE) } {
            Ok(b) => b,
            Err(code) => return code,
        };
        let publisher: &mut Publisher = mut_or_null!(p);
        from_result(publisher.push_tag(r#type, timestamp, body))
    }
}

/// Pushes the next bytes `bytes[0..size]` of a raw FLV byte stream (the
/// 9-byte FLV header and PreviousTagSize0 first), in any chunking: bytes of
/// an incomplete tag are kept until the rest arrives, so any split of the
/// input gives the same tags. Waiting players are notified from inside this
/// call, on this thread.
///
/// Ownership: `p` and `bytes` are borrowed for the call (incomplete data is
/// copied).
///
/// Threads: one at a time per publisher.
///
/// Returns LIVEHUB_OK (also when the bytes only completed part of a tag);
/// LIVEHUB_ERR_NULL if `p` is NULL, or `bytes` is NULL with `size` > 0;
/// LIVEHUB_ERR_FLV_REJECTED when the byte stream is rejected for good: a
/// bad FLV header (signature, version, header size) or a tag over
/// `max_tag_size` (the tags before it are stored); every later call on
/// this publisher returns it too: close the connection;
/// LIVEHUB_ERR_FLV when one tag of the chunk was skipped (reserved type,
/// encrypted, too short to classify, garbage before the next tag) or a
/// PreviousTagSize did not match (that tag is stored): the other tags of
/// the chunk are stored, carry on; LIVEHUB_ERR_INVALID_ARG if `size`
/// exceeds PTRDIFF_MAX; LIVEHUB_ERR_CLOSED as for
/// `livehub_publisher_push_tag()`; LIVEHUB_ERR_PANIC.
#[no_mangle]
pub extern "C" fn livehub_publisher_push_flv(
    p: *mut livehub_publisher,
    bytes: *const u8,
    size: usize,
) -> livehub_result {
    ffi_panic_boundary! {
        if p.is_null() {
            return LIVEHUB_ERR_NULL;
        }
        // SAFETY: the caller passes `size` readable bytes at `bytes`, or
        // NULL with size 0.
        let input = match unsafe { input(bytes, size, LIVEHUB_ERR_INVALID_ARG) } {
            Ok(b) => b,
            Err(code) => return code,
        };
        let publisher: &mut Publisher = mut_or_null!(p);
        from_result(publisher.push_flv(input))
    }
}

/// Fills `*stats_out` with the publisher's counters and tells whether its
/// FLV byte stream was rejected (`stats_out->rejected` != LIVEHUB_OK): a
/// `livehub_publisher_push_flv()` result of LIVEHUB_ERR_FLV means either
/// "one tag skipped, carry on" or "byte stream rejected"; this says which.
///
/// Set `stats_out->struct_size = sizeof(livehub_publisher_stats)` first:
/// livehub writes only what fits in it.
///
/// Ownership: `p` is borrowed; `*stats_out` is caller memory, written only
/// on LIVEHUB_OK.
///
/// Threads: one at a time per publisher, like pushes.
///
/// Returns LIVEHUB_OK; LIVEHUB_ERR_NULL if `p` or `stats_out` is NULL;
/// LIVEHUB_ERR_INVALID_ARG if `stats_out->struct_size` is smaller than 4;
/// LIVEHUB_ERR_PANIC.
#[no_mangle]
pub extern "C" fn livehub_publisher_get_stats(
    p: *mut livehub_publisher,
    stats_out: *mut super::stats::livehub_publisher_stats,
) -> livehub_result {
    ffi_panic_boundary! {
        super::handle::check_non_null!(p, stats_out);
        let publisher: &mut Publisher = mut_or_null!(p);
        let stats = super::stats::livehub_publisher_stats::from_core(&publisher.stats());
        // SAFETY: `stats_out` is non-NULL (checked) and, by the caller's
        // contract, a `livehub_publisher_stats` valid for its `struct_size`.
        if unsafe { super::stats::write_prefix(stats_out, &stats) } {
            super::result::LIVEHUB_OK
        } else {
            super::result::LIVEHUB_ERR_INVALID_ARG
        }
    }
}

/// Unpublishes and frees the publisher; NULL does nothing. Players keep
/// reading what was published, then wait up to `republish_wait_ms` for a
/// new publisher before they get LIVEHUB_EOF. Waiting players are notified
/// from inside this call, on this thread.
///
/// Ownership: consumes `p`: do not use it again.
///
/// Threads: any, but not overlapping another call on `p`.
///
/// Returns nothing; NULL `p`: does nothing.
#[no_mangle]
pub extern "C" fn livehub_publisher_release(p: *mut livehub_publisher) {
    ffi_panic_boundary! {
        // SAFETY: the caller passes NULL or the publisher it owns, gives it
        // up, and no other call on it is running.
        unsafe { free_box(p) }
    }
}
