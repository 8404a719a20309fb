//! Argument checks of every function: NULL pointers, keys, oversized lengths.

use super::*;

#[test]
fn null_arguments_give_err_null_and_change_nothing() {
    let hub = new_hub();
    let k = key("live/null");
    let s = get_stream(hub, "live/null");
    let p = publish(s);
    let pl = play(s);
    push_av(p);

    // Hub.
    assert_eq!(livehub_hub_new(null(), null_mut()), LIVEHUB_ERR_NULL);
    assert_eq!(livehub_hub_tick(null_mut()), LIVEHUB_ERR_NULL);
    assert!(livehub_hub_retain(null_mut()).is_null());
    livehub_hub_release(null_mut());
    let mut out = sentinel();
    assert_eq!(
        livehub_hub_stream(null_mut(), k.as_ptr(), &mut out),
        LIVEHUB_ERR_NULL
    );
    assert_eq!(livehub_hub_stream(hub, null(), &mut out), LIVEHUB_ERR_NULL);
    assert_eq!(
        livehub_hub_stream(hub, k.as_ptr(), null_mut()),
        LIVEHUB_ERR_NULL
    );
    assert_eq!(
        livehub_hub_find(null_mut(), k.as_ptr(), &mut out),
        LIVEHUB_ERR_NULL
    );
    assert_eq!(livehub_hub_find(hub, null(), &mut out), LIVEHUB_ERR_NULL);
    assert_eq!(
        livehub_hub_find(hub, k.as_ptr(), null_mut()),
        LIVEHUB_ERR_NULL
    );
    assert_eq!(out, sentinel());
    assert_eq!(livehub_hub_remove(null_mut(), k.as_ptr()), LIVEHUB_ERR_NULL);
    assert_eq!(livehub_hub_remove(hub, null()), LIVEHUB_ERR_NULL);

    // Stream.
    assert!(livehub_stream_retain(null_mut()).is_null());
    livehub_stream_release(null_mut());
    let mut pub_out = sentinel();
    assert_eq!(
        livehub_stream_publish(null_mut(), &mut pub_out),
        LIVEHUB_ERR_NULL
    );
    assert_eq!(livehub_stream_publish(s, null_mut()), LIVEHUB_ERR_NULL);
    assert_eq!(pub_out, sentinel());
    let mut pl_out = sentinel();
    assert_eq!(
        livehub_stream_play(null_mut(), null(), &mut pl_out),
        LIVEHUB_ERR_NULL
    );
    assert_eq!(livehub_stream_play(s, null(), null_mut()), LIVEHUB_ERR_NULL);
    assert_eq!(pl_out, sentinel());
    let drops = AtomicUsize::new(0);
    assert_eq!(
        livehub_stream_set_userdata(null_mut(), ud(&drops), Some(count_call)),
        LIVEHUB_ERR_NULL
    );
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    assert!(livehub_stream_userdata(null()).is_null());

    // Publisher.
    assert_eq!(
        push(null_mut(), LIVEHUB_TAG_AUDIO, 0, AAC_RAW),
        LIVEHUB_ERR_NULL
    );
    assert_eq!(
        livehub_publisher_push_tag(p, LIVEHUB_TAG_AUDIO, 0, null(), 3),
        LIVEHUB_ERR_NULL
    );
    assert_eq!(
        livehub_publisher_push_flv(null_mut(), b"FLV".as_ptr(), 3),
        LIVEHUB_ERR_NULL
    );
    assert_eq!(livehub_publisher_push_flv(p, null(), 3), LIVEHUB_ERR_NULL);
    livehub_publisher_release(null_mut());

    // Player: a failed call consumes nothing.
    let mut tag = empty_tag();
    assert_eq!(livehub_player_read(null_mut(), &mut tag), LIVEHUB_ERR_NULL);
    assert!(is_untouched(&tag));
    assert_eq!(livehub_player_read(pl, null_mut()), LIVEHUB_ERR_NULL);
    let mut buf = [0u8; 64];
    let mut n = usize::MAX;
    assert_eq!(
        livehub_player_read_flv(null_mut(), buf.as_mut_ptr(), 64, &mut n),
        LIVEHUB_ERR_NULL
    );
    assert_eq!(
        livehub_player_read_flv(pl, null_mut(), 64, &mut n),
        LIVEHUB_ERR_NULL
    );
    assert_eq!(
        livehub_player_read_flv(pl, buf.as_mut_ptr(), 64, null_mut()),
        LIVEHUB_ERR_NULL
    );
    let mut iov = [livehub_iovec {
        iov_base: sentinel(),
        iov_len: 0,
    }; 8];
    assert_eq!(
        livehub_player_read_iov(null_mut(), iov.as_mut_ptr(), 8, &mut n),
        LIVEHUB_ERR_NULL
    );
    assert_eq!(
        livehub_player_read_iov(pl, null_mut(), 8, &mut n),
        LIVEHUB_ERR_NULL
    );
    assert_eq!(
        livehub_player_read_iov(pl, iov.as_mut_ptr(), 8, null_mut()),
        LIVEHUB_ERR_NULL
    );
    assert_eq!(n, usize::MAX);
    assert!(iov.iter().all(|v| v.iov_base == sentinel()));
    assert_eq!(livehub_player_wait(null_mut(), 0), LIVEHUB_ERR_NULL);
    assert_eq!(
        livehub_player_set_notify(null_mut(), Some(count_call), null_mut()),
        LIVEHUB_ERR_NULL
    );
    livehub_player_release(null_mut());

    // Nothing was consumed: the player still starts at the beginning.
    let (t, _, flags, body) = read(pl).unwrap();
    assert_eq!(
        (t, flags, body.as_slice()),
        (LIVEHUB_TAG_AUDIO, LIVEHUB_TAG_FLAG_SEQUENCE_HEADER, AAC_SH)
    );

    livehub_player_release(pl);
    livehub_publisher_release(p);
    livehub_stream_release(s);
    livehub_hub_release(hub);
}

#[test]
fn keys_must_be_valid_utf8_of_bounded_length() {
    let hub = new_hub();
    let mut out = sentinel();
    let empty = key("");
    assert_eq!(
        livehub_hub_stream(hub, empty.as_ptr(), &mut out),
        LIVEHUB_ERR_INVALID_ARG
    );
    let bad_utf8: &[u8] = b"live/\xff\xfe\0";
    assert_eq!(
        livehub_hub_stream(hub, bad_utf8.as_ptr().cast(), &mut out),
        LIVEHUB_ERR_INVALID_ARG
    );
    assert_eq!(
        livehub_hub_find(hub, bad_utf8.as_ptr().cast(), &mut out),
        LIVEHUB_ERR_INVALID_ARG
    );
    assert_eq!(
        livehub_hub_remove(hub, bad_utf8.as_ptr().cast()),
        LIVEHUB_ERR_INVALID_ARG
    );
    let too_long = key(&"k".repeat(LIVEHUB_MAX_KEY_LEN + 1));
    assert_eq!(
        livehub_hub_stream(hub, too_long.as_ptr(), &mut out),
        LIVEHUB_ERR_INVALID_ARG
    );
    assert_eq!(out, sentinel());

    let longest = key(&"k".repeat(LIVEHUB_MAX_KEY_LEN));
    assert_eq!(
        livehub_hub_stream(hub, longest.as_ptr(), &mut out),
        LIVEHUB_OK
    );
    livehub_stream_release(out);
    let unicode = key("live/caméra-1");
    assert_eq!(
        livehub_hub_stream(hub, unicode.as_ptr(), &mut out),
        LIVEHUB_OK
    );
    livehub_stream_release(out);
    let absent = key("live/absent");
    assert_eq!(
        livehub_hub_find(hub, absent.as_ptr(), &mut out),
        LIVEHUB_ERR_NOT_FOUND
    );
    assert_eq!(
        livehub_hub_remove(hub, absent.as_ptr()),
        LIVEHUB_ERR_NOT_FOUND
    );
    livehub_hub_release(hub);
}

#[test]
fn oversized_lengths_are_refused_without_reading() {
    let hub = new_hub();
    let s = get_stream(hub, "live/huge");
    let p = publish(s);
    let data = [0u8; 4];
    assert_eq!(
        livehub_publisher_push_tag(p, LIVEHUB_TAG_AUDIO, 0, data.as_ptr(), usize::MAX),
        LIVEHUB_ERR_TOO_LARGE
    );
    assert_eq!(
        livehub_publisher_push_flv(p, data.as_ptr(), usize::MAX),
        LIVEHUB_ERR_INVALID_ARG
    );
    livehub_publisher_release(p);
    livehub_stream_release(s);
    livehub_hub_release(hub);
}
