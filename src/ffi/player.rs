//! `livehub_player`: a reader of one stream.
//!
//! # Aliasing: why this module touches single fields only
//!
//! A `livehub_player *` is a `Box<PlayerHandle>`. The owning thread uses it
//! through `read`, `read_flv`, `read_iov` and `wait`, which need `&mut` to
//! the core [`Player`]. But two functions may run on one thread while the
//! player's notify callback, on another thread, is inside one of those
//! reads: `livehub_player_set_notify()` and `livehub_player_release()`. If
//! they made a reference to the whole `PlayerHandle` (or to its `player`
//! field), it would alias the reader's `&mut Player`, which is undefined
//! behaviour even if no byte were ever written through it.
//!
//! So the handle keeps, next to the `Player`, its own clone of the player's
//! `Arc<Notifier>`, and:
//!
//! - `set_notify` and `release` reach only the `notifier` field, through
//!   raw-pointer field projection (`addr_of!((*p).notifier)`), which creates
//!   no reference to anything else; the `Notifier` is designed for shared
//!   use (`&Notifier`) from any thread.
//! - `read`, `read_flv`, `read_iov` and `wait` create `&mut` to the `player`
//!   field only (`addr_of_mut!((*p).player)`), never to the whole handle.
//! - `release` first clears the callback through the `notifier` field.
//!   [`Notifier::set_callback`] returns only once a callback running on
//!   another thread has finished (and no later one can start), so when it
//!   returns no other thread holds any reference into the handle, and only
//!   then is the `Box` taken back and dropped.
//!
//! `set_notify` and `release` must not overlap each other or any other call
//! on the same player made by the owning thread (the one-thread-at-a-time
//! rule); only the callback may be running elsewhere.

use super::handle::{check_non_null, take_box, try_raw, write_out, Castable, OwnershipBox};
use super::result::{from_error, from_result, livehub_result, LIVEHUB_ERR_NULL, LIVEHUB_OK};
use super::tag::{livehub_iovec, livehub_tag};
use crate::{Callback, Notifier, Player};
use std::ffi::c_void;
use std::ptr::{addr_of, addr_of_mut};
use std::sync::Arc;
use std::time::Duration;

/// A reader of one stream, from `livehub_stream_play()`.
///
/// Ownership: single owner: the caller holds it until
/// `livehub_player_release()`. It keeps its stream alive: after an
/// unpublish, a removal or the hub's release it still reads what was
/// published, then gets LIVEHUB_EOF.
///
/// Threads: one thread at a time (calls may move between threads but must
/// not overlap), except that `livehub_player_set_notify()` and
/// `livehub_player_release()` may run while the player's notify callback
/// runs on another thread, even if that callback is reading this player.
pub struct livehub_player {
    _private: [u8; 0],
}

impl Castable for livehub_player {
    type Ownership = OwnershipBox;
    type RustType = PlayerHandle;
}

/// What a `livehub_player *` points at. See the module docs for which
/// function may touch which field.
pub(crate) struct PlayerHandle {
    /// The player's notifier (a clone of `player.notifier()`): shared, used
    /// by `set_notify` and `release` from any thread.
    notifier: Arc<Notifier>,
    /// Used only by the thread that currently owns the player.
    player: Player,
}

impl PlayerHandle {
    pub(crate) fn new(player: Player) -> PlayerHandle {
        PlayerHandle {
            notifier: player.notifier().clone(),
            player,
        }
    }
}

/// The core player of a handle given up by its owner (its notify
/// registration lives in the notifier and moves with it).
pub(crate) fn into_player(handle: PlayerHandle) -> Player {
    handle.player
}

/// The notifier of a player handle, without touching its `player` field.
///
/// # Safety
/// `handle` is a non-NULL live player handle, not released during `'a`.
unsafe fn notifier_of<'a>(handle: *mut PlayerHandle) -> &'a Notifier {
    // SAFETY: `handle` points at a live `PlayerHandle` (contract).
    // `addr_of!` projects to the `notifier` field without creating a
    // reference to the handle or to its `player` field, which another
    // thread's callback may be borrowing mutably; the `Arc<Notifier>` field
    // itself is never mutated while the handle lives, so a shared reference
    // to it (and to the `Notifier` it owns) is sound for `'a`.
    unsafe { &*addr_of!((*handle).notifier) }
}

/// The core player of a handle, mutably borrowed.
///
/// # Safety
/// `handle` is a non-NULL live player handle, and during `'a` no other
/// reference to its `player` field exists (the one-thread-at-a-time rule).
unsafe fn player_of<'a>(handle: *mut PlayerHandle) -> &'a mut Player {
    // SAFETY: `handle` points at a live `PlayerHandle` (contract).
    // `addr_of_mut!` projects to the `player` field without a reference to
    // the whole handle, so a concurrent `set_notify`/`release` holding `&`
    // to the `notifier` field is not aliased; exclusivity of `player` is the
    // caller's one-thread-at-a-time contract.
    unsafe { &mut *addr_of_mut!((*handle).player) }
}

/// Borrows the core player behind a required player argument, or returns
/// `LIVEHUB_ERR_NULL` from the enclosing function.
macro_rules! try_player {
    ($pl:expr) => {
        match try_raw($pl) {
            // SAFETY: non-NULL; the caller passes a live player and does not
            // use it from another thread during this call.
            Some(handle) => unsafe { player_of(handle) },
            None => return LIVEHUB_ERR_NULL,
        }
    };
}

/// Reads the next tag into `*tag_out`, without blocking.
///
/// On LIVEHUB_OK, `*tag_out` is a borrowed view: `tag_out->data` points at
/// bytes owned by livehub and shared with the other players; they stay
/// valid and unchanged until the next call on this player (including its
/// release), whatever happens to the stream, publisher or hub meanwhile.
///
/// Ownership: `pl` is borrowed; `*tag_out` is written only on LIVEHUB_OK.
///
/// Threads: one at a time per player; may be called from the player's own
/// notify callback.
///
/// Returns LIVEHUB_OK; LIVEHUB_AGAIN when nothing is there yet (this arms
/// the notify callback, called once when that changes); LIVEHUB_EOF when
/// the stream ended for this player (sticky); LIVEHUB_ERR_EXPIRED if the
/// player stopped reading for longer than `player_idle_timeout_ms`;
/// LIVEHUB_ERR_NULL if `pl` or `tag_out` is NULL; LIVEHUB_ERR_PANIC.
#[no_mangle]
pub extern "C" fn livehub_player_read(
    pl: *mut livehub_player,
    tag_out: *mut livehub_tag,
) -> livehub_result {
    ffi_panic_boundary! {
        check_non_null!(pl, tag_out);
        let player = try_player!(pl);
        match player.read() {
            Ok(view) => {
                // The view borrows bytes that the player keeps alive (the
                // ring segment it has pinned, or the tag it holds) until its
                // next read: that is what makes the C pointer valid until
                // the next call on this player.
                let tag = livehub_tag::from_view(&view);
                // SAFETY: `tag_out` is non-NULL (checked) and valid for
                // writing a `livehub_tag` (caller's contract).
                unsafe { write_out(tag_out, tag) };
                LIVEHUB_OK
            }
            Err(e) => from_error(e),
        }
    }
}

/// Reads up to `cap` tags at once into `tags[0..n]` and writes `n` (1 to
/// `cap`) to `*count_out`, without blocking: what `n` calls of
/// `livehub_player_read()` would return, for a fraction of the cost per
/// tag. Returns what is there now; it does not wait for `cap` tags. A call
/// that stops short of `cap` because it reached the live edge has armed the
/// notify callback, as LIVEHUB_AGAIN does: no extra call is needed to wait.
///
/// Ownership: `pl` is borrowed; `tags` is the caller's array, of which only
/// the first `n` entries are written. Every `tags[i].data` is a borrowed
/// view as for `livehub_player_read()`: all `n` stay valid and unchanged
/// until the next call on this player (including its release), whatever
/// happens to the stream, publisher or hub meanwhile.
///
/// Threads: one at a time per player; may be called from the player's own
/// notify callback.
///
/// Returns LIVEHUB_OK; LIVEHUB_AGAIN, LIVEHUB_EOF, LIVEHUB_ERR_EXPIRED as
/// for `livehub_player_read()` when there was no tag at all (LIVEHUB_AGAIN
/// arms the notify callback); LIVEHUB_ERR_INVALID_ARG if `cap` is 0;
/// LIVEHUB_ERR_NULL if `pl`, `tags` or `count_out` is NULL;
/// LIVEHUB_ERR_PANIC. On failure neither `tags` nor `*count_out` is
/// written.
#[no_mangle]
pub extern "C" fn livehub_player_read_batch(
    pl: *mut livehub_player,
    tags: *mut livehub_tag,
    cap: usize,
    count_out: *mut usize,
) -> livehub_result {
    ffi_panic_boundary! {
        check_non_null!(pl, tags, count_out);
        let player = try_player!(pl);
        let mut count = 0usize;
        let result = player.read_batch(cap, |view| {
            // The core hands out at most `cap` tags; never go past it.
            if count < cap {
                // SAFETY: `tags` is non-NULL (checked) and the caller's
                // array has `cap` writable entries, so entry `count` is in
                // bounds. The view's bytes live until the next call on this
                // player (the core holds whatever the call moved past).
                unsafe { tags.add(count).write(livehub_tag::from_view(&view)) };
                count += 1;
            }
        });
        match result {
            Ok(_) => {
                // SAFETY: `count_out` is non-NULL (checked) and valid for
                // writing a `size_t` (caller's contract).
                unsafe { write_out(count_out, count) };
                LIVEHUB_OK
            }
            Err(e) => from_error(e),
        }
    }
}

/// Copies the next bytes of the player's HTTP-FLV byte stream into
/// `buf[0..cap]` and writes their count to `*written_out`. The first call
/// starts with the 9-byte FLV header (audio/video flags from what the
/// stream carries) and PreviousTagSize0; then every tag comes as its
/// 11-byte tag header, body and PreviousTagSize. A call may stop in the
/// middle of a tag; the next one continues it. Does not block.
///
/// Ownership: `pl` and `buf` are borrowed; livehub only writes `buf`.
/// `*written_out` (> 0) is written only on LIVEHUB_OK.
///
/// Threads: one at a time per player.
///
/// Returns LIVEHUB_OK; LIVEHUB_AGAIN, LIVEHUB_EOF, LIVEHUB_ERR_EXPIRED as
/// for `livehub_player_read()` when not a single byte could be written;
/// LIVEHUB_ERR_INVALID_ARG if `cap` is 0; LIVEHUB_ERR_NULL if `pl` or
/// `written_out` is NULL, or `buf` is NULL with `cap` > 0;
/// LIVEHUB_ERR_PANIC.
#[no_mangle]
pub extern "C" fn livehub_player_read_flv(
    pl: *mut livehub_player,
    buf: *mut u8,
    cap: usize,
    written_out: *mut usize,
) -> livehub_result {
    ffi_panic_boundary! {
        check_non_null!(pl, written_out);
        if buf.is_null() && cap > 0 {
            return LIVEHUB_ERR_NULL;
        }
        // No real buffer is larger (`from_raw_parts_mut` forbids it).
        let cap = cap.min(isize::MAX as usize);
        let out: &mut [u8] = if cap == 0 {
            &mut []
        } else {
            // SAFETY: `buf` is non-NULL (checked) and the caller's contract
            // makes it valid for writes of `cap` bytes that nothing else
            // touches during the call; `u8` needs no alignment. The core
            // only writes into this slice, so uninitialised caller memory is
            // never read.
            unsafe { std::slice::from_raw_parts_mut(buf, cap) }
        };
        let player = try_player!(pl);
        match player.read_flv(out) {
            Ok(n) => {
                // SAFETY: `written_out` is non-NULL (checked) and valid for
                // writing a `size_t` (caller's contract).
                unsafe { write_out(written_out, n) };
                LIVEHUB_OK
            }
            Err(e) => from_error(e),
        }
    }
}

/// Zero-copy variant of `livehub_player_read_flv()`, for `writev()`: fills
/// `iov[0..n]` with pieces of the same HTTP-FLV byte stream, in order, and
/// writes `n` (1 to `iov_cap`) to `*iov_count_out`. Tag bodies are not
/// copied: the pieces point into livehub's shared storage. Does not block.
/// A call that stops short of `iov_cap` because it reached the live edge
/// has armed the notify callback, as LIVEHUB_AGAIN does.
///
/// Ownership: `pl` is borrowed; `iov` is the caller's array, of which only
/// the first `n` entries are written. The memory the entries point at is
/// owned by livehub and stays valid and unchanged until the next call on
/// this player (including its release); never write through `iov_base`.
/// Once written out (fully or partly), call again for what follows; a
/// partial `writev()` must be finished from the same entries before that.
///
/// Threads: one at a time per player.
///
/// Returns LIVEHUB_OK; LIVEHUB_AGAIN, LIVEHUB_EOF, LIVEHUB_ERR_EXPIRED as
/// for `livehub_player_read()` when there is nothing to return;
/// LIVEHUB_ERR_BUFFER if `iov_cap` < 3; LIVEHUB_ERR_NULL if `pl` or
/// `iov_count_out` is NULL, or `iov` is NULL with `iov_cap` > 0;
/// LIVEHUB_ERR_PANIC. On failure neither `iov` nor `*iov_count_out` is
/// written.
#[no_mangle]
pub extern "C" fn livehub_player_read_iov(
    pl: *mut livehub_player,
    iov: *mut livehub_iovec,
    iov_cap: usize,
    iov_count_out: *mut usize,
) -> livehub_result {
    ffi_panic_boundary! {
        check_non_null!(pl, iov_count_out);
        if iov.is_null() && iov_cap > 0 {
            return LIVEHUB_ERR_NULL;
        }
        let player = try_player!(pl);
        let mut count = 0usize;
        let result = player.read_iov(iov_cap, |piece| {
            // The core emits at most `iov_cap` pieces; never go past it.
            if count < iov_cap {
                // SAFETY: `iov` is non-NULL here (`iov_cap` > `count` >= 0)
                // and the caller's array has `iov_cap` writable entries, so
                // entry `count` is in bounds. The piece's bytes live until
                // the next call on this player (the core's guarantee).
                unsafe { iov.add(count).write(livehub_iovec::from_slice(piece)) };
                count += 1;
            }
        });
        match result {
            Ok(_) => {
                // SAFETY: `iov_count_out` is non-NULL (checked) and valid
                // for writing a `size_t` (caller's contract).
                unsafe { write_out(iov_count_out, count) };
                LIVEHUB_OK
            }
            Err(e) => from_error(e),
        }
    }
}

/// Blocks the calling thread until a read would not return LIVEHUB_AGAIN,
/// or until `timeout_ms` milliseconds have passed (0: just check).
///
/// For thread-per-connection servers. It blocks: never call it from a
/// notify callback, nor on the thread of a single-threaded event loop or
/// coroutine scheduler (use `livehub_player_set_notify()` there).
///
/// Ownership: `pl` is borrowed.
///
/// Threads: one at a time per player.
///
/// Returns LIVEHUB_OK when something can be read; LIVEHUB_EOF when the
/// stream ended for this player; LIVEHUB_TIMEOUT when the time ran out;
/// LIVEHUB_ERR_EXPIRED as for `livehub_player_read()`; LIVEHUB_ERR_NULL if
/// `pl` is NULL; LIVEHUB_ERR_PANIC.
#[no_mangle]
pub extern "C" fn livehub_player_wait(pl: *mut livehub_player, timeout_ms: u32) -> livehub_result {
    ffi_panic_boundary! {
        let player = try_player!(pl);
        from_result(player.wait(Duration::from_millis(u64::from(timeout_ms))))
    }
}

/// A notify callback: called with its userdata when a player has
/// something to read again (see `livehub_player_set_notify()`).
pub type livehub_notify_fn = Option<unsafe extern "C" fn(userdata: *mut c_void)>;

/// Releases a notify registration's userdata (see
/// `livehub_player_set_notify_with_release()`).
pub type livehub_release_fn = Option<unsafe extern "C" fn(userdata: *mut c_void)>;

/// A C notify callback with its userdata, and what releases the userdata
/// when livehub lets go of the registration. Shared (in an `Arc`) by the
/// player's notifier and any invocation running, so `release` runs once,
/// when the last of them lets go: after every running invocation returned.
struct CNotify {
    notify: unsafe extern "C" fn(userdata: *mut c_void),
    userdata: *mut c_void,
    release: Option<unsafe extern "C" fn(userdata: *mut c_void)>,
}

// SAFETY: the caller of `livehub_player_set_notify()` promises (documented
// there) that `notify(userdata)` may be called from any thread that calls
// into livehub, possibly while other threads use livehub; livehub never
// dereferences `userdata` itself.
unsafe impl Send for CNotify {}
// SAFETY: as for `Send`: `&CNotify` only allows making that call.
unsafe impl Sync for CNotify {}

impl CNotify {
    fn call(&self) {
        // SAFETY: a non-NULL function pointer given with `userdata` under
        // the contract stated on `livehub_player_set_notify()`.
        unsafe { (self.notify)(self.userdata) }
    }

    /// The callback a notifier holds for this registration.
    fn into_callback(self) -> Callback {
        Arc::new(move || self.call())
    }
}

impl Drop for CNotify {
    fn drop(&mut self) {
        if let Some(release) = self.release {
            // SAFETY: the caller gave `release` for this `userdata`, to be
            // called once when livehub lets go of the registration, from
            // any thread that calls into livehub
            // (`livehub_player_set_notify_with_release()`); a `CNotify` is
            // dropped once, after the last invocation of `notify` returned.
            unsafe { release(self.userdata) }
        }
    }
}

/// Installs `registration` (`None`: clears) on the player behind `pl`;
/// `LIVEHUB_ERR_NULL` for NULL, before any registration is made (so a
/// failed call never releases the caller's userdata).
fn set_registration(
    pl: *mut livehub_player,
    registration: impl FnOnce() -> Option<CNotify>,
) -> livehub_result {
    let Some(handle) = try_raw(pl) else {
        return LIVEHUB_ERR_NULL;
    };
    // SAFETY: non-NULL; the caller passes a live player that no
    // `livehub_player_release()` frees during this call. Only the
    // `notifier` field is touched (see the module docs).
    let notifier = unsafe { notifier_of(handle) };
    notifier.set_callback(registration().map(CNotify::into_callback));
    LIVEHUB_OK
}

/// Sets (or with `notify` NULL clears) the callback that tells the server
/// a player has something to read again.
///
/// A read that returns LIVEHUB_AGAIN arms the player; the next change of
/// the stream (a tag, an unpublish, the end of the stream) then calls
/// `notify(userdata)` once; read until LIVEHUB_AGAIN to arm it again. The
/// call happens on the thread that made the change (a publisher push, a
/// release, `livehub_hub_tick()`, `livehub_hub_remove()`, …) after livehub
/// released its locks, so the callback may call livehub. It may read or
/// release its own player only when no other call on that player is in
/// progress: note that a call on the player itself can fire the callback
/// (a read that finds the republish wait over wakes every waiting player).
/// Servers typically just wake their own event loop or coroutine from it.
/// It must not call `livehub_player_wait()`.
///
/// When this returns, the previous callback is not running on any other
/// thread and will never be called again (called from inside the callback
/// itself, that running invocation simply continues).
///
/// A player with no callback (and no thread in `livehub_player_wait()`)
/// that reads to LIVEHUB_AGAIN costs the stream's changes nothing: it
/// stays off the stream's waiter list. Setting a callback on it takes the
/// stream's lock briefly. If the stream has not changed since that read,
/// `notify` runs for the next change. If it has, that change used up the
/// arming while there was no callback to call, and the player has
/// something to read: `notify` runs for the first change after it next
/// reads to LIVEHUB_AGAIN. Set the callback before the first read to be
/// told of every change.
///
/// Ownership: `pl` is borrowed; `userdata` is never dereferenced or freed
/// by livehub, only passed to `notify`.
///
/// Threads: by the player's owner, or by any thread while the callback runs
/// on another one; never overlapping `livehub_player_release()` of the same
/// player. `notify` may be called from any thread that calls into livehub.
///
/// Returns LIVEHUB_OK; LIVEHUB_ERR_NULL if `pl` is NULL; LIVEHUB_ERR_PANIC.
#[no_mangle]
pub extern "C" fn livehub_player_set_notify(
    pl: *mut livehub_player,
    notify: Option<unsafe extern "C" fn(userdata: *mut c_void)>,
    userdata: *mut c_void,
) -> livehub_result {
    ffi_panic_boundary! {
        set_registration(pl, || {
            notify.map(|notify| CNotify {
                notify,
                userdata,
                release: None,
            })
        })
    }
}

/// `livehub_player_set_notify()`, with a function that releases
/// `userdata`: livehub calls `release(userdata)` exactly once, when this
/// registration is replaced (by another `set_notify` call of either kind)
/// or cleared, or when the player is released — after any invocation of
/// `notify` with this registration has returned, never while one runs.
/// It runs on the thread that replaced, cleared or released, or, when
/// that happens from inside the callback, on the callback's thread right
/// after the callback returns. So a server can hand its connection object
/// (a reference count, a C++ `shared_ptr`) to livehub and stop tracking
/// callback lifetimes by hand.
///
/// Everything `livehub_player_set_notify()` says about when `notify` is
/// called holds. With `notify` NULL this clears the registration (the
/// previous one's `release` runs) and registers nothing: `userdata` and
/// `release` are ignored. `release` may be NULL (then this is
/// `livehub_player_set_notify()`).
///
/// Ownership: `pl` is borrowed; on LIVEHUB_OK with `notify` non-NULL,
/// livehub holds `userdata` until it calls `release(userdata)`. On
/// LIVEHUB_ERR_NULL nothing is registered and `release` is not called; on
/// LIVEHUB_ERR_PANIC (a bug in livehub) `userdata` was handed over all
/// the same: `release` runs exactly once, inside this call or later.
///
/// Threads: as `livehub_player_set_notify()`; `release` may be called on
/// any thread that calls into livehub (see above), never concurrently
/// with `notify` for the same registration.
///
/// Returns LIVEHUB_OK; LIVEHUB_ERR_NULL if `pl` is NULL; LIVEHUB_ERR_PANIC.
#[no_mangle]
pub extern "C" fn livehub_player_set_notify_with_release(
    pl: *mut livehub_player,
    notify: livehub_notify_fn,
    userdata: *mut c_void,
    release: livehub_release_fn,
) -> livehub_result {
    ffi_panic_boundary! {
        set_registration(pl, || {
            notify.map(|notify| CNotify {
                notify,
                userdata,
                release,
            })
        })
    }
}

/// Detaches and frees the player; NULL does nothing. After it returns the
/// player's notify callback is not running on another thread and is never
/// called again. Releasing the last player of a removed stream may free
/// the stream (and run its userdata's `drop`) on this thread.
///
/// Ownership: consumes `pl`: do not use it, nor tag views or iovecs it
/// returned, again.
///
/// A registration made with `livehub_player_set_notify_with_release()` is
/// released here (its `release` runs on this thread, or — when called from
/// inside the callback — right after the callback returns).
///
/// Threads: the player's owner, possibly while the callback runs on another
/// thread (this waits for it to finish), or the callback itself when no
/// other call on the player is in progress. Never overlapping
/// `livehub_player_set_notify()`.
///
/// Returns nothing; NULL `pl`: does nothing.
#[no_mangle]
pub extern "C" fn livehub_player_release(pl: *mut livehub_player) {
    ffi_panic_boundary! {
        let Some(handle) = try_raw(pl) else {
            return;
        };
        // First stop the callback, touching only the `notifier` field: when
        // this returns, no other thread is inside the callback (and so none
        // is using this player through it), and none will be.
        // SAFETY: non-NULL live player, freed only below, after this borrow
        // ends. Run inside its own panic boundary so that the player is
        // freed below even if this panicked (a bug): a panic there cannot
        // unwind past the borrow, which ends either way.
        super::panic::catch_panic(|| unsafe { notifier_of(handle) }.set_callback(None));
        // SAFETY: the caller gives up `pl`, no other call on it overlaps
        // this one, and the callback can no longer reach it (above, or in
        // the player's drop, which clears it again): no reference into the
        // handle exists any more.
        drop(unsafe { take_box(pl) });
    }
}

/// Fills `*stats_out` with the player's counters, lag and state.
///
/// Set `stats_out->struct_size = sizeof(livehub_player_stats)` first:
/// livehub writes only what fits in it.
///
/// Ownership: `pl` is borrowed; `*stats_out` is caller memory, written only
/// on LIVEHUB_OK.
///
/// Threads: one at a time per player, like reads (takes the stream's lock
/// briefly).
///
/// Returns LIVEHUB_OK; LIVEHUB_ERR_NULL if `pl` or `stats_out` is NULL;
/// LIVEHUB_ERR_INVALID_ARG if `stats_out->struct_size` is smaller than 4;
/// LIVEHUB_ERR_PANIC.
#[no_mangle]
pub extern "C" fn livehub_player_get_stats(
    pl: *mut livehub_player,
    stats_out: *mut super::stats::livehub_player_stats,
) -> livehub_result {
    ffi_panic_boundary! {
        check_non_null!(pl, stats_out);
        let player = try_player!(pl);
        let stats = super::stats::livehub_player_stats::from_core(&player.stats());
        // SAFETY: `stats_out` is non-NULL (checked) and, by the caller's
        // contract, a `livehub_player_stats` valid for its `struct_size`.
        if unsafe { super::stats::write_prefix(stats_out, &stats) } {
            LIVEHUB_OK
        } else {
            super::result::LIVEHUB_ERR_INVALID_ARG
        }
    }
}
