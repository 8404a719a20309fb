//! `livehub_group`: one event loop's players, woken once per loop.
//!
//! A `livehub_group *` is a `Box<Group>`; the group's shared state lives on
//! while players of the group exist, so releasing the handle never leaves
//! a player dangling. The wake function and its userdata belong to the
//! caller: [`Group::close`] (run by `livehub_group_release()`) returns only
//! once no other thread is inside `wake`, after which it is never called.

use super::handle::{
    check_non_null, free_box, to_box_ptr, try_raw, write_out, Castable, OwnershipBox,
};
use super::result::{livehub_result, LIVEHUB_ERR_NULL, LIVEHUB_OK};
use crate::group::WakeFn;
use crate::Group;
use std::ffi::c_void;

/// A group of players served by one event-loop thread, from
/// `livehub_group_new()`: its players arm into it, a change of any of
/// their streams calls its `wake` once, and `livehub_group_dispatch()` on
/// the loop's thread runs their notify callbacks there.
///
/// Ownership: single owner: the caller holds it until
/// `livehub_group_release()`. Players created with `opts.group` set to it
/// do not need it to outlive them.
///
/// Threads: any, concurrently (`livehub_group_release()` excepted: nothing
/// else may use the handle once it is called).
pub struct livehub_group {
    _private: [u8; 0],
}

impl Castable for livehub_group {
    type Ownership = OwnershipBox;
    type RustType = Group;
}

/// Borrows the group behind `g`; `None` for NULL.
///
/// # Safety
/// `g` is NULL or a live group handle that no `livehub_group_release()`
/// frees during `'a`.
pub(crate) unsafe fn group_ref<'a>(g: *mut livehub_group) -> Option<&'a Group> {
    // SAFETY: a non-NULL `g` points at a live `Group` (contract); groups
    // are shared from any thread through `&Group`.
    try_raw(g).map(|p| unsafe { &*p })
}

/// A group's wake-up: `wake(userdata)` tells the loop to call
/// `livehub_group_dispatch()`. It runs on the thread that changed a stream
/// (a push, a release, `livehub_hub_tick()`, `livehub_hub_remove()`, …)
/// after livehub released its locks, at most once between two dispatches.
/// It should only signal the loop (write an eventfd, post an event); it
/// must not call `livehub_group_release()` on its own group from another
/// thread's wake, nor `livehub_player_wait()`.
pub type livehub_group_wake_fn = Option<unsafe extern "C" fn(userdata: *mut c_void)>;

/// The C wake function and its userdata.
struct CWake {
    wake: unsafe extern "C" fn(userdata: *mut c_void),
    userdata: *mut c_void,
}

// SAFETY: livehub only passes `userdata` back to `wake`; the caller of
// `livehub_group_new()` accepts (its contract) that `wake` runs on any
// thread that calls into livehub.
unsafe impl Send for CWake {}
// SAFETY: as above; livehub never dereferences `userdata`.
unsafe impl Sync for CWake {}

impl CWake {
    fn call(&self) {
        // SAFETY: `wake` is the caller's function, valid with `userdata`
        // from any thread until `livehub_group_release()` returns
        // (contract of `livehub_group_new()`); `Group::close` guarantees
        // no call starts or runs after that.
        unsafe { (self.wake)(self.userdata) }
    }
}

/// Creates a group whose players are woken through `wake(userdata)`, and
/// writes it to `*group_out`. Create one per event-loop thread; pass it as
/// `livehub_play_options.group` to `livehub_stream_play()` for each player
/// that loop serves (of any stream).
///
/// Ownership: the caller owns the new group and releases it with
/// `livehub_group_release()`. `userdata` is never dereferenced or freed by
/// livehub, only passed to `wake`; it must stay valid until
/// `livehub_group_release()` returns. `wake` may be NULL: the loop then
/// calls `livehub_group_dispatch()` on its own schedule.
///
/// Threads: any, concurrently. `wake` runs on any thread that calls into
/// livehub (see `livehub_group_wake_fn`).
///
/// Returns LIVEHUB_OK; LIVEHUB_ERR_NULL if `group_out` is NULL;
/// LIVEHUB_ERR_PANIC.
#[no_mangle]
pub extern "C" fn livehub_group_new(
    wake: livehub_group_wake_fn,
    userdata: *mut c_void,
    group_out: *mut *mut livehub_group,
) -> livehub_result {
    ffi_panic_boundary! {
        check_non_null!(group_out);
        let wake: WakeFn = match wake {
            Some(wake) => {
                let c = CWake { wake, userdata };
                std::sync::Arc::new(move || c.call())
            }
            None => std::sync::Arc::new(|| {}),
        };
        let group = to_box_ptr::<livehub_group>(Group::with_wake(wake));
        // SAFETY: `group_out` is non-NULL (checked) and valid for writing a
        // pointer (caller's contract).
        unsafe { write_out(group_out, group) };
        LIVEHUB_OK
    }
}

/// Runs, on the calling thread, the notify callback of every player of
/// `g` that got news since it armed (a read that returned LIVEHUB_AGAIN,
/// or a batch or iovec read that reached the live edge), and writes how
/// many ran to `*fired_out`. Call it from the loop `wake` woke; the next
/// news after this call starts wakes the group again, so a loop that calls
/// it once per wake-up misses nothing.
///
/// The callbacks run with no livehub lock held: each may read (and so
/// re-arm) or release its own player, or set another callback. Each
/// arming gives at most one call; after `livehub_player_set_notify(pl,
/// NULL, …)` or `livehub_player_release(pl)` returns, `pl`'s callback is
/// not called again.
///
/// Ownership: `g` is borrowed; `fired_out` may be NULL.
///
/// Threads: any, concurrently (normally the loop's own thread); never
/// overlapping `livehub_group_release()` of `g`.
///
/// Returns LIVEHUB_OK; LIVEHUB_ERR_NULL if `g` is NULL; LIVEHUB_ERR_PANIC.
#[no_mangle]
pub extern "C" fn livehub_group_dispatch(
    g: *mut livehub_group,
    fired_out: *mut usize,
) -> livehub_result {
    ffi_panic_boundary! {
        // SAFETY: the caller passes NULL (handled) or a live group that no
        // `livehub_group_release()` frees during this call.
        let Some(group) = (unsafe { group_ref(g) }) else {
            return LIVEHUB_ERR_NULL;
        };
        let fired = group.dispatch();
        if !fired_out.is_null() {
            // SAFETY: non-NULL and valid for writing a `size_t` (caller's
            // contract).
            unsafe { write_out(fired_out, fired) };
        }
        LIVEHUB_OK
    }
}

/// Releases the group handle; NULL does nothing. When it returns, `wake`
/// is not running on any other thread and is never called again, so its
/// userdata may be freed. The group's players keep working: they read,
/// `livehub_player_wait()` wakes them, only their notify callbacks no
/// longer run (nothing dispatches them). Release a loop's players before
/// or after its group, in any order.
///
/// Ownership: consumes `g`: do not use it again.
///
/// Threads: any, but not while another call on `g` is in progress (a
/// `wake` running on another thread is waited for). From inside `wake`,
/// it does not wait for that running call.
///
/// Returns nothing; NULL `g`: does nothing.
#[no_mangle]
pub extern "C" fn livehub_group_release(g: *mut livehub_group) {
    ffi_panic_boundary! {
        // SAFETY: the caller passes NULL (handled) or a live group, not
        // used again after this call.
        if let Some(group) = unsafe { group_ref(g) } {
            group.close();
        }
        // SAFETY: as above; `close` returned, so no wake runs from here on.
        unsafe { free_box(g) };
    }
}
