//! `livehub_stream`: one live stream, its publisher slot and its userdata.

use super::config::{livehub_play_options, play_options_from_c};
use super::handle::{
    arc_or_null, check_non_null, free_arc, retain_arc, to_box_ptr, write_out, Castable,
    OwnershipArc,
};
use super::player::{livehub_player, PlayerHandle};
use super::publisher::livehub_publisher;
use super::result::{from_error, livehub_result, LIVEHUB_OK};
use crate::Stream;
use std::ffi::c_void;

/// One live stream: at most one publisher at a time, any number of players,
/// the cached metadata, sequence headers and GOP, and an optional userdata.
///
/// Ownership: shared and reference counted. Every `livehub_stream *` the
/// caller holds is one owning reference, obtained from
/// `livehub_hub_stream()`, `livehub_hub_find()` or
/// `livehub_stream_retain()` and given back with
/// `livehub_stream_release()`. The hub, each publisher and each player
/// hold references of their own, so the stream's memory goes only when the
/// last of all these goes, whatever their order or thread.
///
/// Threads: any, concurrently.
pub struct livehub_stream {
    _private: [u8; 0],
}

impl Castable for livehub_stream {
    type Ownership = OwnershipArc;
    type RustType = crate::stream::Shared;
}

/// Adds a reference to `s` and returns `s`.
///
/// Ownership: the caller owns the new reference and releases it with its
/// own `livehub_stream_release()`; the one it passed in stays its own too.
///
/// Threads: any, concurrently.
///
/// Returns `s`; NULL `s` gives NULL (and adds nothing).
#[no_mangle]
pub extern "C" fn livehub_stream_retain(s: *mut livehub_stream) -> *mut livehub_stream {
    ffi_panic_boundary! {
        // SAFETY: the caller passes NULL or a stream it holds a reference to.
        unsafe { retain_arc(s) }
    }
}

/// Drops one reference to `s`; NULL does nothing. This does not unpublish
/// or remove anything: the stream stays in its hub (until removed, or
/// reaped by `livehub_hub_tick()` once idle). If this was the last
/// reference of all (hub entry, publisher and players included), the
/// stream is freed and its userdata's `drop` runs inside this call, on this
/// thread.
///
/// Ownership: consumes the caller's reference.
///
/// Threads: any, concurrently.
///
/// Returns nothing; NULL `s`: does nothing.
#[no_mangle]
pub extern "C" fn livehub_stream_release(s: *mut livehub_stream) {
    ffi_panic_boundary! {
        // SAFETY: the caller passes NULL or a stream reference it gives up.
        unsafe { free_arc(s) }
    }
}

/// Becomes the publisher of `s` and writes the new publisher to
/// `*pub_out`. Players attached before or after see its tags.
///
/// Ownership: `s` is borrowed (the publisher keeps its own reference to the
/// stream). On success the caller owns the publisher and must release it
/// with `livehub_publisher_release()`, which is the unpublish.
///
/// Threads: any, concurrently: of two racing publishers, one gets
/// LIVEHUB_ERR_BUSY.
///
/// Returns LIVEHUB_OK; LIVEHUB_ERR_BUSY while another publisher is active;
/// LIVEHUB_ERR_CLOSED if the stream was removed from its hub (or its hub
/// released); LIVEHUB_ERR_NULL if `s` or `pub_out` is NULL;
/// LIVEHUB_ERR_PANIC.
#[no_mangle]
pub extern "C" fn livehub_stream_publish(
    s: *mut livehub_stream,
    pub_out: *mut *mut livehub_publisher,
) -> livehub_result {
    ffi_panic_boundary! {
        check_non_null!(s, pub_out);
        let stream = Stream::from_shared(arc_or_null!(s));
        match stream.publish() {
            Ok(publisher) => {
                // SAFETY: `pub_out` is non-NULL (checked) and valid for
                // writing a pointer (caller's contract).
                unsafe { write_out(pub_out, to_box_ptr::<livehub_publisher>(publisher)) };
                LIVEHUB_OK
            }
            Err(e) => from_error(e),
        }
    }
}

/// Attaches a new player to `s` and writes it to `*player_out`. The player
/// starts with the metadata, the audio and video sequence headers and the
/// cached GOP from its newest keyframe (or, with nothing cached, at the
/// live edge), then follows the live tags.
///
/// A player may attach before any publisher (a player that arrives first
/// is common). The republish wait only starts once a publisher has left,
/// so such a player waits for a first publisher as long as it stays
/// attached: bound that wait yourself (a deadline on your connection, or
/// `livehub_player_wait()`'s timeout) if the stream may never come.
///
/// Ownership: `s` and `opts` are borrowed (NULL `opts`: the defaults of
/// `livehub_play_options_init()`); the player keeps its own reference to
/// the stream. On success the caller owns the player and must release it
/// with `livehub_player_release()`.
///
/// Threads: any, concurrently.
///
/// Returns LIVEHUB_OK; LIVEHUB_ERR_CLOSED if the stream was removed from
/// its hub (or its hub released); LIVEHUB_ERR_INVALID_ARG if
/// `opts->struct_size` is too small (not filled by
/// `livehub_play_options_init()`) or `opts->timestamp_mode` is unknown;
/// LIVEHUB_ERR_NULL if `s` or `player_out` is NULL; LIVEHUB_ERR_PANIC.
#[no_mangle]
pub extern "C" fn livehub_stream_play(
    s: *mut livehub_stream,
    opts: *const livehub_play_options,
    player_out: *mut *mut livehub_player,
) -> livehub_result {
    ffi_panic_boundary! {
        check_non_null!(s, player_out);
        // SAFETY: the caller passes NULL or a struct filled by
        // `livehub_play_options_init()`, readable for its `struct_size`.
        let opts = match unsafe { play_options_from_c(opts) } {
            Ok(o) => o,
            Err(code) => return code,
        };
        let stream = Stream::from_shared(arc_or_null!(s));
        match stream.play(opts) {
            Ok(player) => {
                let handle = PlayerHandle::new(player);
                // SAFETY: `player_out` is non-NULL (checked) and valid for
                // writing a pointer (caller's contract).
                unsafe { write_out(player_out, to_box_ptr::<livehub_player>(handle)) };
                LIVEHUB_OK
            }
            Err(e) => from_error(e),
        }
    }
}

/// A C userdata stored in a stream, with its destructor.
struct UserData {
    ptr: *mut c_void,
    drop: Option<unsafe extern "C" fn(userdata: *mut c_void)>,
}

// SAFETY: livehub never dereferences `ptr`; it only hands it back through
// `livehub_stream_userdata()` (from any thread) and passes it to `drop`
// once, on whichever thread releases the last stream reference or replaces
// the userdata. `livehub_stream_set_userdata()` documents that the caller
// accepts exactly this, which is all `Send` and `Sync` allow.
unsafe impl Send for UserData {}
// SAFETY: as for `Send`; `&UserData` only gives out a copy of the pointer.
unsafe impl Sync for UserData {}

impl Drop for UserData {
    fn drop(&mut self) {
        if let Some(drop) = self.drop {
            // SAFETY: the caller gave `drop` for this `ptr`, to be called
            // once when livehub lets go of it, from any thread; this is that
            // one call (a `UserData` is dropped once, by the core, outside
            // its locks).
            unsafe { drop(self.ptr) };
        }
    }
}

/// Attaches `userdata` to `s`, replacing the previous one. NULL `userdata`
/// clears it (and then `drop` is ignored).
///
/// Ownership: `s` is borrowed. livehub keeps `userdata` without ever
/// dereferencing it and, if `drop` is not NULL, calls `drop(userdata)`
/// exactly once when it lets go of it: when the userdata is replaced or
/// cleared (inside this call, on this thread, after livehub released its
/// locks), or when the last reference to the stream goes (on the thread
/// that released it: this may be a hub, stream, publisher or player
/// release, or a `livehub_hub_tick()` that reaps the stream). `drop` runs
/// with no livehub lock held.
///
/// Threads: any, concurrently. `userdata` may be read and dropped from any
/// thread that calls into livehub.
///
/// Returns LIVEHUB_OK; LIVEHUB_ERR_NULL if `s` is NULL (then `drop` is not
/// called); LIVEHUB_ERR_PANIC (the userdata was handed over all the same:
/// `drop` runs exactly once, inside this call or later).
#[no_mangle]
pub extern "C" fn livehub_stream_set_userdata(
    s: *mut livehub_stream,
    userdata: *mut c_void,
    drop: Option<unsafe extern "C" fn(userdata: *mut c_void)>,
) -> livehub_result {
    ffi_panic_boundary! {
        let stream = Stream::from_shared(arc_or_null!(s));
        let value: Option<Box<dyn std::any::Any + Send + Sync>> = if userdata.is_null() {
            None
        } else {
            Some(Box::new(UserData { ptr: userdata, drop }))
        };
        stream.set_userdata(value);
        LIVEHUB_OK
    }
}

/// Returns the userdata last attached to `s` with
/// `livehub_stream_set_userdata()`, or NULL if there is none or `s` is
/// NULL.
///
/// Ownership: `s` is borrowed. The pointer stays the caller's business:
/// livehub may call its `drop` as soon as another thread replaces the
/// userdata or releases the last stream reference.
///
/// Threads: any, concurrently.
#[no_mangle]
pub extern "C" fn livehub_stream_userdata(s: *const livehub_stream) -> *mut c_void {
    ffi_panic_boundary! {
        // SAFETY: the caller passes NULL or a stream it holds a reference to.
        let stream = match unsafe { super::handle::try_clone_arc(s) } {
            Some(shared) => Stream::from_shared(shared),
            None => return std::ptr::null_mut(),
        };
        stream.with_userdata(|value| {
            value
                .and_then(|v| v.downcast_ref::<UserData>())
                .map_or(std::ptr::null_mut(), |u| u.ptr)
        })
    }
}

/// Fills `*stats_out` with a snapshot of the stream: publisher state,
/// counters, cache sizes, bitrate and the codec parameters parsed from the
/// sequence headers.
///
/// Set `stats_out->struct_size = sizeof(livehub_stream_stats)` first:
/// livehub writes only what fits in it (see `livehub_stream_stats`).
///
/// Ownership: `s` is borrowed; `*stats_out` is caller memory, written only
/// on LIVEHUB_OK.
///
/// Threads: any, concurrently (takes the stream's lock briefly).
///
/// Returns LIVEHUB_OK; LIVEHUB_ERR_NULL if `s` or `stats_out` is NULL;
/// LIVEHUB_ERR_INVALID_ARG if `stats_out->struct_size` is smaller than 4;
/// LIVEHUB_ERR_PANIC.
#[no_mangle]
pub extern "C" fn livehub_stream_get_stats(
    s: *const livehub_stream,
    stats_out: *mut super::stats::livehub_stream_stats,
) -> livehub_result {
    ffi_panic_boundary! {
        check_non_null!(s, stats_out);
        let stream = Stream::from_shared(arc_or_null!(s));
        let stats = super::stats::livehub_stream_stats::from_core(&stream.stats());
        // SAFETY: `stats_out` is non-NULL (checked) and, by the caller's
        // contract, a `livehub_stream_stats` valid for its `struct_size`.
        if unsafe { super::stats::write_prefix(stats_out, &stats) } {
            LIVEHUB_OK
        } else {
            super::result::LIVEHUB_ERR_INVALID_ARG
        }
    }
}
