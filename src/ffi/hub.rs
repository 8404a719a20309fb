//! `livehub_hub`: the registry of streams, by key.

use super::config::{config_from_c, livehub_config};
use super::handle::{
    arc_or_null, check_non_null, free_arc, retain_arc, to_arc_ptr, write_out, Castable,
    OwnershipArc,
};
use super::result::{from_error, from_result, livehub_result, LIVEHUB_ERR_INVALID_ARG, LIVEHUB_OK};
use super::stream::livehub_stream;
use crate::config::MAX_KEY_LEN;
use crate::Hub;
use std::ffi::{c_char, CStr};

/// Longest stream key accepted, in bytes (not counting the NUL).
pub const LIVEHUB_MAX_KEY_LEN: usize = 1024;
const _: () = assert!(LIVEHUB_MAX_KEY_LEN == MAX_KEY_LEN);

/// A registry of live streams by key ("app/stream", any UTF-8 of 1 to
/// LIVEHUB_MAX_KEY_LEN bytes).
///
/// Ownership: shared and reference counted. Every `livehub_hub *` the
/// caller holds is one owning reference: `livehub_hub_new()` gives the
/// first, `livehub_hub_retain()` adds one, `livehub_hub_release()` drops
/// one. When the last reference goes, every stream still in the hub is
/// closed (its publisher gets LIVEHUB_ERR_CLOSED, its players
/// LIVEHUB_EOF after what was published); the streams themselves live on
/// while stream, publisher or player handles refer to them.
///
/// Threads: any, concurrently.
pub struct livehub_hub {
    _private: [u8; 0],
}

impl Castable for livehub_hub {
    type Ownership = OwnershipArc;
    type RustType = crate::hub::Shared;
}

/// The key behind a C string argument.
///
/// # Safety
/// `key` is NULL or points at a NUL-terminated string that stays unchanged
/// during the call.
unsafe fn key_str<'a>(key: *const c_char) -> Result<&'a str, livehub_result> {
    if key.is_null() {
        return Err(super::result::LIVEHUB_ERR_NULL);
    }
    // SAFETY: non-NULL and NUL-terminated, unchanged while we use it (this
    // function's contract, which every caller documents to C).
    let bytes = unsafe { CStr::from_ptr(key) };
    bytes.to_str().map_err(|_| LIVEHUB_ERR_INVALID_ARG)
}

/// Looks a stream up with `lookup` and writes a new reference to it to
/// `*stream_out`: the common body of `livehub_hub_stream` and
/// `livehub_hub_find`.
///
/// # Safety
/// `key` is non-NULL and NUL-terminated, unchanged during the call;
/// `stream_out` is non-NULL and valid for writing a pointer.
unsafe fn stream_by_key(
    key: *const c_char,
    stream_out: *mut *mut livehub_stream,
    lookup: impl FnOnce(&str) -> Result<crate::Stream, crate::Error>,
) -> livehub_result {
    // SAFETY: `key` is a NUL-terminated string (this function's contract).
    let key = match unsafe { key_str(key) } {
        Ok(k) => k,
        Err(code) => return code,
    };
    match lookup(key) {
        Ok(stream) => {
            // SAFETY: `stream_out` is non-NULL and writable (contract).
            unsafe {
                write_out(
                    stream_out,
                    to_arc_ptr::<livehub_stream>(stream.into_shared()),
                )
            };
            LIVEHUB_OK
        }
        Err(e) => from_error(e),
    }
}

/// Creates a hub with the policies in `*cfg` (NULL: the defaults) and
/// writes it to `*hub_out`.
///
/// Ownership: `cfg` is borrowed for the call (only `cfg->clock_userdata` is
/// kept, see `livehub_config`). On success the caller owns one reference
/// to the new hub and must give it back with `livehub_hub_release()`.
///
/// Threads: any.
///
/// Returns LIVEHUB_OK; LIVEHUB_ERR_NULL if `hub_out` is NULL;
/// LIVEHUB_ERR_INVALID_ARG if `cfg->struct_size` is too small (the struct
/// was not filled by `livehub_config_init()`) or `cfg->max_tag_size`
/// exceeds LIVEHUB_MAX_TAG_SIZE; LIVEHUB_ERR_PANIC.
#[no_mangle]
pub extern "C" fn livehub_hub_new(
    cfg: *const livehub_config,
    hub_out: *mut *mut livehub_hub,
) -> livehub_result {
    ffi_panic_boundary! {
        check_non_null!(hub_out);
        // SAFETY: the caller passes NULL or a struct filled by
        // `livehub_config_init()` of its header, readable for `struct_size`.
        let cfg = match unsafe { config_from_c(cfg) } {
            Ok(cfg) => cfg,
            Err(code) => return code,
        };
        let hub = to_arc_ptr::<livehub_hub>(Hub::new(cfg).into_shared());
        // SAFETY: `hub_out` is non-NULL (checked) and, by the caller's
        // contract, valid for writing a pointer.
        unsafe { write_out(hub_out, hub) };
        LIVEHUB_OK
    }
}

/// Applies the hub's time-based policies now: publishers silent for
/// `publisher_idle_timeout_ms` are cut (they get LIVEHUB_ERR_CLOSED),
/// republish waits that ran out end their streams, players that stopped
/// reading for `player_idle_timeout_ms` expire, and streams idle for
/// `idle_stream_ms` are reaped (removed as by `livehub_hub_remove()`).
/// A server calls it from its own timer, say every 100 to 1000 ms; livehub
/// starts no thread and has no timer of its own. The callbacks this
/// triggers (notify, and the userdata drop of a reaped stream nobody else
/// holds) run inside this call, on this thread.
///
/// Ownership: `hub` is borrowed.
///
/// Threads: any, concurrently.
///
/// Returns LIVEHUB_OK; LIVEHUB_ERR_NULL if `hub` is NULL; LIVEHUB_ERR_PANIC.
#[no_mangle]
pub extern "C" fn livehub_hub_tick(hub: *mut livehub_hub) -> livehub_result {
    ffi_panic_boundary! {
        let hub = Hub::from_shared(arc_or_null!(hub));
        hub.tick();
        LIVEHUB_OK
    }
}

/// Adds a reference to `hub` and returns `hub`.
///
/// Ownership: the caller owns the new reference and releases it with its
/// own `livehub_hub_release()`; the one it passed in stays its own too.
///
/// Threads: any, concurrently.
///
/// Returns `hub`; NULL `hub` gives NULL (and adds nothing).
#[no_mangle]
pub extern "C" fn livehub_hub_retain(hub: *mut livehub_hub) -> *mut livehub_hub {
    ffi_panic_boundary! {
        // SAFETY: the caller passes NULL or a hub it holds a reference to.
        unsafe { retain_arc(hub) }
    }
}

/// Drops one reference to `hub`; NULL does nothing. Dropping the last one
/// closes every stream still in the hub (see `livehub_hub`); players are
/// notified from inside this call, on this thread, and stream userdata
/// whose last handle this was is dropped here too.
///
/// Ownership: consumes the caller's reference: do not use this pointer
/// again unless you hold another reference.
///
/// Threads: any, concurrently.
///
/// Returns nothing; NULL `hub`: does nothing.
#[no_mangle]
pub extern "C" fn livehub_hub_release(hub: *mut livehub_hub) {
    ffi_panic_boundary! {
        // SAFETY: the caller passes NULL or a hub reference it gives up.
        unsafe { free_arc(hub) }
    }
}

/// Gets the stream under `key`, creating it if there is none, and writes a
/// new reference to it to `*stream_out`.
///
/// Ownership: `hub` and `key` are borrowed. On success the caller owns the
/// new stream reference and must release it with
/// `livehub_stream_release()`; the hub keeps its own until the stream is
/// removed.
///
/// Threads: any, concurrently: two threads asking for the same key get the
/// same stream.
///
/// Returns LIVEHUB_OK; LIVEHUB_ERR_NULL if `hub`, `key` or `stream_out` is
/// NULL; LIVEHUB_ERR_INVALID_ARG if `key` is empty, longer than
/// LIVEHUB_MAX_KEY_LEN bytes or not UTF-8; LIVEHUB_ERR_PANIC.
#[no_mangle]
pub extern "C" fn livehub_hub_stream(
    hub: *mut livehub_hub,
    key: *const c_char,
    stream_out: *mut *mut livehub_stream,
) -> livehub_result {
    ffi_panic_boundary! {
        check_non_null!(hub, key, stream_out);
        let hub = Hub::from_shared(arc_or_null!(hub));
        // SAFETY: `key` is non-NULL (checked) and NUL-terminated, and
        // `stream_out` non-NULL (checked) and writable (caller's contract).
        unsafe { stream_by_key(key, stream_out, |k| hub.stream(k)) }
    }
}

/// Finds the stream under `key` (without creating one) and writes a new
/// reference to it to `*stream_out`.
///
/// Ownership: as for `livehub_hub_stream()`: on success the caller must
/// release the stream with `livehub_stream_release()`.
///
/// Threads: any, concurrently.
///
/// Returns LIVEHUB_OK; LIVEHUB_ERR_NOT_FOUND if no stream is mounted under
/// `key`; LIVEHUB_ERR_NULL if `hub`, `key` or `stream_out` is NULL;
/// LIVEHUB_ERR_INVALID_ARG for a bad key (see `livehub_hub_stream()`);
/// LIVEHUB_ERR_PANIC.
#[no_mangle]
pub extern "C" fn livehub_hub_find(
    hub: *mut livehub_hub,
    key: *const c_char,
    stream_out: *mut *mut livehub_stream,
) -> livehub_result {
    ffi_panic_boundary! {
        check_non_null!(hub, key, stream_out);
        let hub = Hub::from_shared(arc_or_null!(hub));
        // SAFETY: as in `livehub_hub_stream()`.
        unsafe { stream_by_key(key, stream_out, |k| hub.find(k)) }
    }
}

/// Unmounts `key` and closes its stream: the publisher gets
/// LIVEHUB_ERR_CLOSED, players read what was already published and then
/// get LIVEHUB_EOF, `livehub_stream_play()` and `livehub_stream_publish()`
/// on it return LIVEHUB_ERR_CLOSED. Nothing is freed while handles to the
/// stream exist. The key is free at once for a new, independent stream.
/// Waiting players are notified from inside this call, on this thread.
///
/// Ownership: `hub` and `key` are borrowed; stream handles the caller holds
/// stay valid and must still be released.
///
/// Threads: any, concurrently.
///
/// Returns LIVEHUB_OK; LIVEHUB_ERR_NOT_FOUND if no stream is mounted under
/// `key`; LIVEHUB_ERR_NULL if `hub` or `key` is NULL;
/// LIVEHUB_ERR_INVALID_ARG for a bad key (see `livehub_hub_stream()`);
/// LIVEHUB_ERR_PANIC.
#[no_mangle]
pub extern "C" fn livehub_hub_remove(hub: *mut livehub_hub, key: *const c_char) -> livehub_result {
    ffi_panic_boundary! {
        check_non_null!(hub, key);
        let hub = Hub::from_shared(arc_or_null!(hub));
        // SAFETY: the caller passes a NUL-terminated string (checked non-NULL).
        let key = match unsafe { key_str(key) } {
            Ok(k) => k,
            Err(code) => return code,
        };
        from_result(hub.remove(key))
    }
}

/// Writes a JSON snapshot of the hub — every mounted stream with its
/// counters, codec parameters and players — into `buf[0..cap]`,
/// NUL-terminated, and its length (without the NUL) to `*len_out`. The
/// schema is in docs/stats.md; a server can return it from its HTTP API
/// as it is.
///
/// Ownership: `hub` is borrowed; `buf` and `*len_out` are caller memory.
/// `buf` is written only on LIVEHUB_OK.
///
/// Threads: any, concurrently.
///
/// Returns LIVEHUB_OK; LIVEHUB_ERR_BUFFER if the JSON and its NUL do not
/// fit in `cap` bytes: then, as the one exception to "outputs only on
/// success", `*len_out` receives the length needed (call again with a
/// buffer of at least `*len_out + 1` bytes; the hub may have grown
/// meanwhile); LIVEHUB_ERR_NULL if `hub` or `len_out` is NULL, or `buf` is
/// NULL with `cap` > 0; LIVEHUB_ERR_PANIC.
#[no_mangle]
pub extern "C" fn livehub_hub_stats_json(
    hub: *mut livehub_hub,
    buf: *mut c_char,
    cap: usize,
    len_out: *mut usize,
) -> livehub_result {
    ffi_panic_boundary! {
        check_non_null!(hub, len_out);
        if buf.is_null() && cap > 0 {
            return super::result::LIVEHUB_ERR_NULL;
        }
        let hub = Hub::from_shared(arc_or_null!(hub));
        let json = hub.stats_json();
        let len = json.len();
        if len >= cap {
            // SAFETY: `len_out` is non-NULL (checked) and writable (contract).
            unsafe { write_out(len_out, len) };
            return super::result::LIVEHUB_ERR_BUFFER;
        }
        // SAFETY: `buf` is non-NULL (cap > len >= 0) and writable for `cap`
        // bytes (contract); we write `len + 1 <= cap` bytes from our own
        // string, which cannot overlap caller memory.
        unsafe {
            std::ptr::copy_nonoverlapping(json.as_ptr(), buf.cast::<u8>(), len);
            buf.add(len).write(0);
            write_out(len_out, len);
        }
        LIVEHUB_OK
    }
}
