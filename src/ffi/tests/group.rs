//! `livehub_group`: one wake per group, callbacks only in dispatch, the
//! options field, NULL handling, release.

use super::*;

fn play_in(s: *mut livehub_stream, g: *mut livehub_group) -> *mut livehub_player {
    let mut opts = livehub_play_options {
        struct_size: 0,
        timestamp_mode: 0,
        republish_wait_ms: 0,
        group: null_mut(),
    };
    livehub_play_options_init_v2(&mut opts);
    opts.group = g;
    let mut pl = null_mut();
    assert_eq!(livehub_stream_play(s, &opts, &mut pl), LIVEHUB_OK);
    pl
}

#[test]
fn null_arguments() {
    let wakes = AtomicUsize::new(0);
    assert_eq!(
        livehub_group_new(Some(count_call), ud(&wakes), null_mut()),
        LIVEHUB_ERR_NULL
    );
    let mut fired = 7usize;
    assert_eq!(
        livehub_group_dispatch(null_mut(), &mut fired),
        LIVEHUB_ERR_NULL
    );
    assert_eq!(fired, 7, "outputs are written only on LIVEHUB_OK");
    livehub_group_release(null_mut());
    // A group without a wake function: the loop dispatches on its own.
    let mut g = null_mut();
    assert_eq!(livehub_group_new(None, null_mut(), &mut g), LIVEHUB_OK);
    assert_eq!(livehub_group_dispatch(g, null_mut()), LIVEHUB_OK);
    livehub_group_release(g);
}

#[test]
fn one_wake_for_many_players_and_callbacks_in_dispatch() {
    let hub = new_hub();
    let s = get_stream(hub, "live/group");
    let wakes = AtomicUsize::new(0);
    let mut g = null_mut();
    assert_eq!(
        livehub_group_new(Some(count_call), ud(&wakes), &mut g),
        LIVEHUB_OK
    );
    let calls = AtomicUsize::new(0);
    let players: Vec<_> = (0..100).map(|_| play_in(s, g)).collect();
    for &pl in &players {
        assert_eq!(
            livehub_player_set_notify(pl, Some(count_call), ud(&calls)),
            LIVEHUB_OK
        );
        assert_eq!(read(pl), Err(LIVEHUB_AGAIN)); // arms into the group
    }
    let p = publish(s);
    assert_eq!(push(p, LIVEHUB_TAG_AUDIO, 0, AAC_RAW), LIVEHUB_OK);
    assert_eq!(push(p, LIVEHUB_TAG_AUDIO, 20, AAC_RAW), LIVEHUB_OK);
    assert_eq!(
        wakes.load(Ordering::SeqCst),
        1,
        "one wake for 100 armed players"
    );
    assert_eq!(
        calls.load(Ordering::SeqCst),
        0,
        "no callback on the publisher"
    );
    let mut fired = 0;
    assert_eq!(livehub_group_dispatch(g, &mut fired), LIVEHUB_OK);
    assert_eq!(fired, 100);
    assert_eq!(calls.load(Ordering::SeqCst), 100);
    assert_eq!(livehub_group_dispatch(g, &mut fired), LIVEHUB_OK);
    assert_eq!(fired, 0, "at most once per arming");
    // Released before its players: they read on, no wake runs again.
    livehub_group_release(g);
    for &pl in &players {
        assert!(read(pl).is_ok());
    }
    assert_eq!(push(p, LIVEHUB_TAG_AUDIO, 40, AAC_RAW), LIVEHUB_OK);
    assert_eq!(wakes.load(Ordering::SeqCst), 1);
    for pl in players {
        livehub_player_release(pl);
    }
    livehub_publisher_release(p);
    livehub_stream_release(s);
    livehub_hub_release(hub);
}

#[test]
fn a_shorter_options_struct_has_no_group() {
    // A caller built against the first version (12 bytes): `group` is
    // not read, the player is woken on the stream as before.
    let hub = new_hub();
    let s = get_stream(hub, "live/v1-opts");
    let mut opts = livehub_play_options {
        struct_size: 0,
        timestamp_mode: 0,
        republish_wait_ms: 0,
        group: 8usize as *mut livehub_group, // past the caller's struct
    };
    livehub_play_options_init(&mut opts);
    assert_eq!(opts.struct_size, 12);
    let mut pl = null_mut();
    assert_eq!(livehub_stream_play(s, &opts, &mut pl), LIVEHUB_OK);
    let calls = AtomicUsize::new(0);
    assert_eq!(
        livehub_player_set_notify(pl, Some(count_call), ud(&calls)),
        LIVEHUB_OK
    );
    assert_eq!(read(pl), Err(LIVEHUB_AGAIN));
    let p = publish(s);
    assert_eq!(push(p, LIVEHUB_TAG_AUDIO, 0, AAC_RAW), LIVEHUB_OK);
    assert_eq!(calls.load(Ordering::SeqCst), 1, "woken by the push itself");
    livehub_player_release(pl);
    livehub_publisher_release(p);
    livehub_stream_release(s);
    livehub_hub_release(hub);
}
