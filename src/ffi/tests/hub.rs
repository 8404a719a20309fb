//! `livehub_hub` and handle lifetimes: retain/release counts, removal.

use super::*;

#[test]
fn retain_and_release_count_references() {
    let hub = new_hub();
    assert_eq!(strong(hub), 1);
    assert_eq!(livehub_hub_retain(hub), hub);
    assert_eq!(livehub_hub_retain(hub), hub);
    assert_eq!(strong(hub), 3);
    livehub_hub_release(hub);
    livehub_hub_release(hub);
    assert_eq!(strong(hub), 1);

    let s = get_stream(hub, "live/rc");
    assert_eq!(strong(s), 2); // the hub's and ours
    let again = get_stream(hub, "live/rc");
    assert_eq!(again, s);
    assert_eq!(strong(s), 3);
    let mut found = null_mut();
    assert_eq!(
        livehub_hub_find(hub, key("live/rc").as_ptr(), &mut found),
        LIVEHUB_OK
    );
    assert_eq!(found, s);
    assert_eq!(strong(s), 4);
    assert_eq!(livehub_stream_retain(s), s);
    assert_eq!(strong(s), 5);
    let p = publish(s);
    let pl = play(s);
    assert_eq!(strong(s), 7);
    livehub_player_release(pl);
    livehub_publisher_release(p);
    for _ in 0..3 {
        livehub_stream_release(s);
    }
    assert_eq!(strong(s), 2);

    // The hub's last release unmounts; our reference stays valid.
    let hub2 = livehub_hub_retain(hub);
    livehub_hub_release(hub);
    assert_eq!(livehub_hub_tick(hub2), LIVEHUB_OK);
    livehub_hub_release(hub2);
    assert_eq!(strong(s), 1);
    let mut late = sentinel();
    assert_eq!(
        livehub_stream_play(s, null(), &mut late),
        LIVEHUB_ERR_CLOSED
    );
    assert_eq!(late, sentinel());
    livehub_stream_release(s);
}

#[test]
fn removal_closes_the_publisher_and_ends_players() {
    let hub = new_hub();
    let s = get_stream(hub, "live/rm");
    let p = publish(s);
    let a = play(s);
    let b = play(s);
    push_av(p);
    assert!(read(a).is_ok());

    assert_eq!(livehub_hub_remove(hub, key("live/rm").as_ptr()), LIVEHUB_OK);
    assert_eq!(push(p, LIVEHUB_TAG_AUDIO, 60, AAC_RAW), LIVEHUB_ERR_CLOSED);
    let mut out = sentinel();
    assert_eq!(
        livehub_hub_find(hub, key("live/rm").as_ptr(), &mut out),
        LIVEHUB_ERR_NOT_FOUND
    );
    let mut pub_out: *mut livehub_publisher = sentinel();
    assert_eq!(livehub_stream_publish(s, &mut pub_out), LIVEHUB_ERR_CLOSED);
    assert_eq!(pub_out, sentinel());
    let mut pl_out = sentinel();
    assert_eq!(
        livehub_stream_play(s, null(), &mut pl_out),
        LIVEHUB_ERR_CLOSED
    );
    assert_eq!(pl_out, sentinel());

    // Players drain what was published, then EOF (sticky).
    let mut n = 0;
    while read(a).is_ok() {
        n += 1;
    }
    assert_eq!(n, 4);
    assert_eq!(read(a), Err(LIVEHUB_EOF));
    assert_eq!(livehub_player_wait(a, 0), LIVEHUB_EOF);
    // The SRS #4143 order: the publisher and the first player leave, the
    // second keeps reading safely.
    livehub_publisher_release(p);
    livehub_player_release(a);
    livehub_stream_release(s);
    let (bytes, r) = drain_flv(b, 7);
    assert_eq!(r, LIVEHUB_EOF);
    assert_eq!(&bytes[..3], b"FLV");

    // The key is free for a new, independent stream.
    let fresh = get_stream(hub, "live/rm");
    let fp = publish(fresh);
    livehub_publisher_release(fp);
    livehub_stream_release(fresh);
    livehub_player_release(b);
    livehub_hub_release(hub);
}
