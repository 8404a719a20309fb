//! Notification: the notify callback, its release function, blocking waits.

use super::*;

#[test]
fn notify_fires_once_per_arming_and_can_be_cleared() {
    let hub = new_hub();
    let s = get_stream(hub, "live/notify");
    let p = publish(s);
    let pl = play(s);
    let fired = AtomicUsize::new(0);
    assert_eq!(
        livehub_player_set_notify(pl, Some(count_call), ud(&fired)),
        LIVEHUB_OK
    );
    assert_eq!(read(pl), Err(LIVEHUB_AGAIN)); // arms
    assert_eq!(push(p, LIVEHUB_TAG_AUDIO, 0, AAC_RAW), LIVEHUB_OK);
    assert_eq!(push(p, LIVEHUB_TAG_AUDIO, 20, AAC_RAW), LIVEHUB_OK);
    assert_eq!(fired.load(Ordering::SeqCst), 1);
    while read(pl).is_ok() {}
    assert_eq!(livehub_player_set_notify(pl, None, null_mut()), LIVEHUB_OK);
    assert_eq!(push(p, LIVEHUB_TAG_AUDIO, 40, AAC_RAW), LIVEHUB_OK);
    assert_eq!(fired.load(Ordering::SeqCst), 1);
    livehub_player_release(pl);
    livehub_publisher_release(p);
    livehub_stream_release(s);
    livehub_hub_release(hub);
}

#[test]
fn notify_set_after_the_read_reports_the_next_change() {
    // A player read to LIVEHUB_AGAIN with no callback (it costs pushes
    // nothing). A change before the callback is set uses up that arming;
    // with no change in between, the callback runs for the next one.
    let hub = new_hub();
    let s = get_stream(hub, "live/late");
    let p = publish(s);
    let pl = play(s);
    let fired = AtomicUsize::new(0);
    assert_eq!(read(pl), Err(LIVEHUB_AGAIN));
    assert_eq!(push(p, LIVEHUB_TAG_AUDIO, 0, AAC_RAW), LIVEHUB_OK);
    // News before the callback was set is not reported ...
    assert_eq!(
        livehub_player_set_notify(pl, Some(count_call), ud(&fired)),
        LIVEHUB_OK
    );
    assert_eq!(push(p, LIVEHUB_TAG_AUDIO, 20, AAC_RAW), LIVEHUB_OK);
    assert_eq!(fired.load(Ordering::SeqCst), 0);
    // ... the player reads it, and the next arming has its callback.
    assert_eq!(read(pl).map(|t| t.1), Ok(0));
    assert_eq!(read(pl).map(|t| t.1), Ok(20));
    assert_eq!(read(pl), Err(LIVEHUB_AGAIN));
    assert_eq!(livehub_player_set_notify(pl, None, null_mut()), LIVEHUB_OK);
    assert_eq!(read(pl), Err(LIVEHUB_AGAIN)); // dozes again
    assert_eq!(
        livehub_player_set_notify(pl, Some(count_call), ud(&fired)),
        LIVEHUB_OK
    );
    livehub_publisher_release(p); // unpublish: a change
    assert_eq!(fired.load(Ordering::SeqCst), 1);
    assert_eq!(read(pl), Err(LIVEHUB_AGAIN)); // within the republish wait
    livehub_player_release(pl);
    livehub_stream_release(s);
    livehub_hub_release(hub);
}

/// Shared with `slow_callback`.
struct Slow {
    entered: AtomicBool,
    finished: AtomicBool,
}

unsafe extern "C" fn slow_callback(userdata: *mut c_void) {
    // SAFETY: the test passes a `Slow` that outlives the player.
    let slow = unsafe { &*(userdata as *const Slow) };
    slow.entered.store(true, Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(100));
    slow.finished.store(true, Ordering::SeqCst);
}

/// A raw pointer that may cross threads in a test.
#[derive(Clone, Copy)]
struct SendPtr<T>(*mut T);
// SAFETY: the tests only move handles whose types allow the use made of
// them on the other thread (hub/stream: any thread; publisher: one thread).
unsafe impl<T> Send for SendPtr<T> {}

#[test]
fn release_waits_for_a_callback_running_on_another_thread() {
    for clear_only in [true, false] {
        let hub = new_hub();
        let s = get_stream(hub, "live/race");
        let p = SendPtr(publish(s));
        let pl = play(s);
        let slow = Slow {
            entered: AtomicBool::new(false),
            finished: AtomicBool::new(false),
        };
        let slow_ptr = &slow as *const Slow as *mut c_void;
        assert_eq!(
            livehub_player_set_notify(pl, Some(slow_callback), slow_ptr),
            LIVEHUB_OK
        );
        assert_eq!(read(pl), Err(LIVEHUB_AGAIN));
        let pusher = std::thread::spawn(move || {
            let p = p;
            assert_eq!(push(p.0, LIVEHUB_TAG_AUDIO, 0, AAC_RAW), LIVEHUB_OK);
            livehub_publisher_release(p.0);
        });
        while !slow.entered.load(Ordering::SeqCst) {
            std::thread::yield_now();
        }
        if clear_only {
            assert_eq!(livehub_player_set_notify(pl, None, null_mut()), LIVEHUB_OK);
            assert!(slow.finished.load(Ordering::SeqCst));
            livehub_player_release(pl);
        } else {
            livehub_player_release(pl);
            assert!(slow.finished.load(Ordering::SeqCst));
        }
        pusher.join().unwrap();
        livehub_stream_release(s);
        livehub_hub_release(hub);
    }
}

#[test]
fn wait_blocks_until_data_or_timeout() {
    let hub = new_hub();
    let s = get_stream(hub, "live/wait");
    let p = SendPtr(publish(s));
    let pl = play(s);
    assert_eq!(livehub_player_wait(pl, 0), LIVEHUB_TIMEOUT);
    assert_eq!(livehub_player_wait(pl, 20), LIVEHUB_TIMEOUT);
    let pusher = std::thread::spawn(move || {
        let p = p;
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(push(p.0, LIVEHUB_TAG_AUDIO, 0, AAC_RAW), LIVEHUB_OK);
        p
    });
    assert_eq!(livehub_player_wait(pl, 10_000), LIVEHUB_OK);
    assert_eq!(read(pl).unwrap().3, AAC_RAW);
    let p = pusher.join().unwrap();
    livehub_publisher_release(p.0);
    assert_eq!(
        livehub_hub_remove(hub, key("live/wait").as_ptr()),
        LIVEHUB_OK
    );
    assert_eq!(livehub_player_wait(pl, 10_000), LIVEHUB_EOF);
    livehub_player_release(pl);
    livehub_stream_release(s);
    livehub_hub_release(hub);
}

/// A notify registration's userdata for the release tests: counts the
/// calls of `reg_notify` and `reg_release`, and whether a release ever ran
/// while a notify did.
#[derive(Default)]
struct Reg {
    notified: AtomicUsize,
    released: AtomicUsize,
    in_notify: AtomicBool,
    released_in_notify: AtomicBool,
    /// The player, for a callback that clears its own registration.
    player: std::sync::atomic::AtomicPtr<livehub_player>,
}

fn reg_ud(r: &Reg) -> *mut c_void {
    r as *const Reg as *mut c_void
}

unsafe extern "C" fn reg_notify(userdata: *mut c_void) {
    // SAFETY: the tests pass a `Reg` that outlives every registration.
    let r = unsafe { &*(userdata as *const Reg) };
    r.in_notify.store(true, Ordering::SeqCst);
    r.notified.fetch_add(1, Ordering::SeqCst);
    let pl = r.player.load(Ordering::SeqCst);
    if !pl.is_null() {
        // Clears its own registration from inside the callback: the
        // release must wait until this call returns.
        assert_eq!(livehub_player_set_notify(pl, None, null_mut()), LIVEHUB_OK);
        assert_eq!(r.released.load(Ordering::SeqCst), 0);
    }
    r.in_notify.store(false, Ordering::SeqCst);
}

unsafe extern "C" fn reg_release(userdata: *mut c_void) {
    // SAFETY: as for `reg_notify`.
    let r = unsafe { &*(userdata as *const Reg) };
    if r.in_notify.load(Ordering::SeqCst) {
        r.released_in_notify.store(true, Ordering::SeqCst);
    }
    r.released.fetch_add(1, Ordering::SeqCst);
}

fn counts(r: &Reg) -> (usize, usize) {
    (
        r.notified.load(Ordering::SeqCst),
        r.released.load(Ordering::SeqCst),
    )
}

#[test]
fn notify_release_runs_once_when_replaced_cleared_or_released() {
    let hub = new_hub();
    let s = get_stream(hub, "live/release");
    let p = publish(s);
    let pl = play(s);
    let (a, b, c, d) = (
        Reg::default(),
        Reg::default(),
        Reg::default(),
        Reg::default(),
    );
    let set = |r: &Reg| {
        livehub_player_set_notify_with_release(pl, Some(reg_notify), reg_ud(r), Some(reg_release))
    };
    // NULL player: nothing registered, nothing released.
    assert_eq!(
        livehub_player_set_notify_with_release(
            null_mut(),
            Some(reg_notify),
            reg_ud(&a),
            Some(reg_release)
        ),
        LIVEHUB_ERR_NULL
    );
    assert_eq!(counts(&a), (0, 0));

    assert_eq!(set(&a), LIVEHUB_OK);
    assert_eq!(read(pl), Err(LIVEHUB_AGAIN)); // arms
    assert_eq!(push(p, LIVEHUB_TAG_AUDIO, 0, AAC_RAW), LIVEHUB_OK);
    assert_eq!(counts(&a), (1, 0), "called, still registered");
    // Replaced by another registration: `a` released once.
    assert_eq!(set(&b), LIVEHUB_OK);
    assert_eq!(counts(&a), (1, 1));
    // Replaced through the old function: `b` released once.
    let fired = AtomicUsize::new(0);
    assert_eq!(
        livehub_player_set_notify(pl, Some(count_call), ud(&fired)),
        LIVEHUB_OK
    );
    assert_eq!(counts(&b), (0, 1));
    // Cleared: released once; a NULL `notify` ignores its userdata.
    assert_eq!(set(&c), LIVEHUB_OK);
    assert_eq!(
        livehub_player_set_notify_with_release(pl, None, reg_ud(&d), Some(reg_release)),
        LIVEHUB_OK
    );
    assert_eq!(counts(&c), (0, 1));
    assert_eq!(counts(&d), (0, 0));
    // A registration with no release function is fine.
    assert_eq!(
        livehub_player_set_notify_with_release(pl, Some(reg_notify), reg_ud(&d), None),
        LIVEHUB_OK
    );
    // The player released: released once.
    assert_eq!(set(&a), LIVEHUB_OK);
    livehub_player_release(pl);
    assert_eq!(counts(&a), (1, 2));
    for r in [&a, &b, &c, &d] {
        assert!(!r.released_in_notify.load(Ordering::SeqCst));
    }
    assert_eq!(counts(&d), (0, 0));
    livehub_publisher_release(p);
    livehub_stream_release(s);
    livehub_hub_release(hub);
}

#[test]
fn notify_release_waits_for_the_callback_that_clears_it() {
    let hub = new_hub();
    let s = get_stream(hub, "live/release-inside");
    let p = publish(s);
    let pl = play(s);
    let r = Reg::default();
    r.player.store(pl, Ordering::SeqCst);
    assert_eq!(
        livehub_player_set_notify_with_release(pl, Some(reg_notify), reg_ud(&r), Some(reg_release)),
        LIVEHUB_OK
    );
    assert_eq!(read(pl), Err(LIVEHUB_AGAIN));
    // The push runs the callback, which clears its own registration: the
    // release runs once, right after the callback returned.
    assert_eq!(push(p, LIVEHUB_TAG_AUDIO, 0, AAC_RAW), LIVEHUB_OK);
    assert_eq!(counts(&r), (1, 1));
    assert!(!r.released_in_notify.load(Ordering::SeqCst));
    livehub_player_release(pl);
    assert_eq!(counts(&r), (1, 1), "not twice");
    livehub_publisher_release(p);
    livehub_stream_release(s);
    livehub_hub_release(hub);
}

#[test]
fn notify_release_runs_once_even_when_setting_it_panics() {
    let hub = new_hub();
    let s = get_stream(hub, "live/release-panic");
    let pl = play(s);
    let (a, b) = (Reg::default(), Reg::default());
    assert_eq!(
        livehub_player_set_notify_with_release(pl, Some(reg_notify), reg_ud(&a), Some(reg_release)),
        LIVEHUB_OK
    );
    // The registration's own lock panics (a bug, injected): LIVEHUB_ERR_PANIC,
    // and `b`, handed over all the same, is released exactly once.
    crate::fault::panic_at_lock(1);
    assert_eq!(
        livehub_player_set_notify_with_release(pl, Some(reg_notify), reg_ud(&b), Some(reg_release)),
        LIVEHUB_ERR_PANIC
    );
    assert!(crate::fault::fired());
    livehub_player_release(pl);
    assert_eq!(counts(&b).1, 1);
    assert_eq!(counts(&a).1, 1);
    livehub_stream_release(s);
    livehub_hub_release(hub);
}
