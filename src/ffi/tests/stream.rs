//! `livehub_stream`: its userdata and the userdata's drop.

use super::*;

#[test]
fn userdata_is_dropped_once_when_the_last_reference_goes() {
    let hub = new_hub();
    let s = get_stream(hub, "live/ud");
    assert!(livehub_stream_userdata(s).is_null());

    let first = AtomicUsize::new(0);
    let second = AtomicUsize::new(0);
    assert_eq!(
        livehub_stream_set_userdata(s, ud(&first), Some(count_call)),
        LIVEHUB_OK
    );
    assert_eq!(livehub_stream_userdata(s), ud(&first));
    // Replacing drops the old one, here and now.
    assert_eq!(
        livehub_stream_set_userdata(s, ud(&second), Some(count_call)),
        LIVEHUB_OK
    );
    assert_eq!(first.load(Ordering::SeqCst), 1);
    assert_eq!(livehub_stream_userdata(s), ud(&second));
    // Another handle to the same stream sees it.
    let other = get_stream(hub, "live/ud");
    assert_eq!(livehub_stream_userdata(other), ud(&second));
    livehub_stream_release(other);

    // A player outlives the hub and our stream reference.
    let pl = play(s);
    livehub_hub_release(hub);
    livehub_stream_release(s);
    assert_eq!(second.load(Ordering::SeqCst), 0);
    assert_eq!(read(pl), Err(LIVEHUB_EOF));
    livehub_player_release(pl); // the last reference
    assert_eq!(second.load(Ordering::SeqCst), 1);
    assert_eq!(first.load(Ordering::SeqCst), 1);
}

#[test]
fn userdata_can_be_cleared_and_needs_no_drop() {
    let hub = new_hub();
    let s = get_stream(hub, "live/ud2");
    let counter = AtomicUsize::new(0);
    assert_eq!(
        livehub_stream_set_userdata(s, ud(&counter), Some(count_call)),
        LIVEHUB_OK
    );
    assert_eq!(
        livehub_stream_set_userdata(s, null_mut(), Some(count_call)),
        LIVEHUB_OK
    );
    assert_eq!(counter.load(Ordering::SeqCst), 1);
    assert!(livehub_stream_userdata(s).is_null());
    // No drop function: nothing is called.
    assert_eq!(
        livehub_stream_set_userdata(s, ud(&counter), None),
        LIVEHUB_OK
    );
    assert_eq!(livehub_stream_userdata(s), ud(&counter));
    livehub_stream_release(s);
    livehub_hub_release(hub);
    assert_eq!(counter.load(Ordering::SeqCst), 1);
}
