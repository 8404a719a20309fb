//! `livehub_player`: reads (one tag, batches, FLV bytes, iovecs) and the views they hand out.

use super::*;
use crate::ffi::stats::*;

#[test]
fn publish_play_read_round_trip() {
    let hub = new_hub();
    let s = get_stream(hub, "live/rt");
    let early = play(s);
    assert_eq!(read(early), Err(LIVEHUB_AGAIN));
    let p = publish(s);
    push_av(p);

    let expected = vec![
        (
            LIVEHUB_TAG_AUDIO,
            0,
            LIVEHUB_TAG_FLAG_SEQUENCE_HEADER,
            AAC_SH.to_vec(),
        ),
        (
            LIVEHUB_TAG_VIDEO,
            0,
            LIVEHUB_TAG_FLAG_SEQUENCE_HEADER,
            AVC_SH.to_vec(),
        ),
        (
            LIVEHUB_TAG_VIDEO,
            0,
            LIVEHUB_TAG_FLAG_KEYFRAME,
            AVC_KEY.to_vec(),
        ),
        (LIVEHUB_TAG_AUDIO, 20, 0, AAC_RAW.to_vec()),
        (LIVEHUB_TAG_VIDEO, 40, 0, AVC_INTER.to_vec()),
    ];
    for want in &expected {
        assert_eq!(&read(early).unwrap(), want);
    }
    assert_eq!(read(early), Err(LIVEHUB_AGAIN));

    // A late joiner: sequence headers, then the GOP from the keyframe.
    let late = play(s);
    let mut got = Vec::new();
    while let Ok(t) = read(late) {
        got.push((t.0, t.2, t.3));
    }
    assert_eq!(got[0].1, LIVEHUB_TAG_FLAG_SEQUENCE_HEADER);
    assert_eq!(got[1].1, LIVEHUB_TAG_FLAG_SEQUENCE_HEADER);
    assert_eq!(
        got[2],
        (
            LIVEHUB_TAG_VIDEO,
            LIVEHUB_TAG_FLAG_KEYFRAME,
            AVC_KEY.to_vec()
        )
    );
    assert_eq!(got.len(), 5);

    // A second publisher is refused.
    let mut second = sentinel();
    assert_eq!(livehub_stream_publish(s, &mut second), LIVEHUB_ERR_BUSY);
    assert_eq!(second, sentinel());

    // Bad input leaves everything intact.
    assert_eq!(
        livehub_publisher_push_tag(p, LIVEHUB_TAG_AUDIO, 60, null(), 0),
        LIVEHUB_ERR_FLV
    );
    assert_eq!(push(p, 7, 60, AAC_RAW), LIVEHUB_ERR_INVALID_ARG);
    assert_eq!(push(p, LIVEHUB_TAG_AUDIO, 60, AAC_RAW), LIVEHUB_OK);
    assert_eq!(read(early).unwrap().3, AAC_RAW);

    // Unpublish then a new publisher.
    livehub_publisher_release(p);
    let p2 = publish(s);
    livehub_publisher_release(p2);

    livehub_player_release(early);
    livehub_player_release(late);
    livehub_stream_release(s);
    livehub_hub_release(hub);
}

#[test]
fn empty_views_never_point_at_null() {
    let view = TagView {
        tag_type: 18,
        timestamp: 5,
        flags: 0,
        data: &[],
    };
    let tag = livehub_tag::from_view(&view);
    assert!(!tag.data.is_null());
    assert_eq!(tag.size, 0);
    assert_eq!((tag.r#type, tag.timestamp), (18, 5));
}

#[test]
fn read_flv_and_read_iov_give_the_same_flv_byte_stream() {
    let hub = new_hub();
    let s = get_stream(hub, "live/bytes");
    let by_flv_big = play(s);
    let by_flv_small = play(s);
    let by_iov = play(s);
    let by_iov_min = play(s);
    let p = publish(s);
    push_av(p);

    let (big, r) = drain_flv(by_flv_big, 4096);
    assert_eq!(r, LIVEHUB_AGAIN);
    assert_eq!(&big[..3], b"FLV");
    assert_eq!(big[3], 1);
    assert_eq!(big[4], 5); // audio + video
    assert_eq!(&big[5..13], &[0, 0, 0, 9, 0, 0, 0, 0]);
    assert_eq!(big[13], LIVEHUB_TAG_AUDIO); // first tag header
    let bodies: usize = [AAC_SH, AVC_SH, AVC_KEY, AAC_RAW, AVC_INTER]
        .iter()
        .map(|b| b.len())
        .sum();
    assert_eq!(big.len(), 13 + 5 * (11 + 4) + bodies);

    let (small, r) = drain_flv(by_flv_small, 5);
    assert_eq!(r, LIVEHUB_AGAIN);
    assert_eq!(small, big);

    let (iov, r) = drain_iov(by_iov, 64);
    assert_eq!(r, LIVEHUB_AGAIN);
    assert_eq!(iov, big);
    let (iov_min, r) = drain_iov(by_iov_min, 3);
    assert_eq!(r, LIVEHUB_AGAIN);
    assert_eq!(iov_min, big);

    // Argument errors.
    let mut n = usize::MAX;
    let mut buf = [0u8; 4];
    assert_eq!(
        livehub_player_read_flv(by_flv_big, buf.as_mut_ptr(), 0, &mut n),
        LIVEHUB_ERR_INVALID_ARG
    );
    assert_eq!(
        livehub_player_read_flv(by_flv_big, null_mut(), 0, &mut n),
        LIVEHUB_ERR_INVALID_ARG
    );
    let mut iov2 = [livehub_iovec {
        iov_base: sentinel(),
        iov_len: 0,
    }; 2];
    assert_eq!(
        livehub_player_read_iov(by_iov, iov2.as_mut_ptr(), 2, &mut n),
        LIVEHUB_ERR_BUFFER
    );
    assert_eq!(
        livehub_player_read_iov(by_iov, null_mut(), 0, &mut n),
        LIVEHUB_ERR_BUFFER
    );
    assert_eq!(n, usize::MAX);
    assert!(iov2.iter().all(|v| v.iov_base == sentinel()));

    for pl in [by_flv_big, by_flv_small, by_iov, by_iov_min] {
        livehub_player_release(pl);
    }
    livehub_publisher_release(p);
    livehub_stream_release(s);
    livehub_hub_release(hub);
}

/// A video frame whose body names its number (for the batch tests).
fn numbered_frame(i: u32) -> Vec<u8> {
    let mut body = vec![if i % 25 == 0 { 0x17 } else { 0x27 }, 1, 0, 0, 0];
    body.extend_from_slice(&i.to_be_bytes());
    body.resize(64, 0xEE);
    body
}

#[test]
fn batch_views_outlive_the_segments_they_came_from() {
    let hub = new_hub();
    let s = get_stream(hub, "live/hold");
    let p = publish(s);
    let batch_pl = play(s);
    let iov_pl = play(s);
    assert_eq!(push(p, LIVEHUB_TAG_VIDEO, 0, AVC_SH), LIVEHUB_OK);
    for i in 0..200 {
        let r = push(p, LIVEHUB_TAG_VIDEO, i * 40, &numbered_frame(i));
        assert_eq!(r, LIVEHUB_OK);
    }
    // One call each, across three 64-tag segments.
    let mut tags = vec![empty_tag(); 160];
    let mut n = 0;
    let r = livehub_player_read_batch(batch_pl, tags.as_mut_ptr(), 150, &mut n);
    assert_eq!((r, n), (LIVEHUB_OK, 150));
    assert!(
        is_untouched(&tags[150]),
        "nothing past the count is written"
    );
    let blank = livehub_iovec {
        iov_base: sentinel(),
        iov_len: 0,
    };
    let mut iov = vec![blank; 300];
    let mut slices = 0;
    let r = livehub_player_read_iov(iov_pl, iov.as_mut_ptr(), 300, &mut slices);
    assert_eq!(r, LIVEHUB_OK);
    // 80 s more: the window moves far past those segments, and the stream
    // lets go of them while the views are still out.
    for i in 200..2200 {
        let r = push(p, LIVEHUB_TAG_VIDEO, i * 40, &numbered_frame(i));
        assert_eq!(r, LIVEHUB_OK);
    }
    // SAFETY: all-zero bytes are a valid value of this plain C struct.
    let mut st: livehub_stream_stats = unsafe { std::mem::zeroed() };
    st.struct_size = std::mem::size_of::<livehub_stream_stats>() as u32;
    assert_eq!(livehub_stream_get_stats(s, &mut st), LIVEHUB_OK);
    assert!(st.retained_tags < 2000, "segments were evicted");
    // Every view still shows its own bytes (ASan in `make test` would
    // report any freed one).
    for (k, tag) in tags[..150].iter().enumerate() {
        // SAFETY: views are valid until the next call on `batch_pl`.
        let body = unsafe { std::slice::from_raw_parts(tag.data, tag.size) };
        if k == 0 {
            assert_eq!(body, AVC_SH);
        } else {
            assert_eq!(body, numbered_frame(k as u32 - 1), "tag {k}");
            assert_eq!(tag.timestamp, (k as u32 - 1) * 40);
        }
    }
    let mut bytes = Vec::new();
    for v in &iov[..slices] {
        // SAFETY: valid until the next call on `iov_pl`.
        bytes.extend_from_slice(unsafe {
            std::slice::from_raw_parts(v.iov_base as *const u8, v.iov_len)
        });
    }
    // The FLV header (its track flags are the stream's business), then
    // the tags.
    assert_eq!(&bytes[..3], b"FLV");
    let mut want = bytes[..13].to_vec();
    let bodies = std::iter::once(AVC_SH.to_vec()).chain((0..200).map(numbered_frame));
    for (k, body) in bodies.enumerate() {
        let ts = (k as u32).saturating_sub(1) * 40;
        want.extend_from_slice(&crate::flv::tag_header(
            LIVEHUB_TAG_VIDEO,
            body.len() as u32,
            ts,
        ));
        want.extend_from_slice(&body);
        want.extend_from_slice(&crate::flv::prev_tag_size(body.len() as u32));
    }
    assert!(bytes.len() > 100 * 64, "read_iov crossed segments too");
    assert!(bytes == want[..bytes.len()], "read_iov bytes differ");
    // The next call lets go; the players go on at their positions.
    let r = livehub_player_read_batch(batch_pl, tags.as_mut_ptr(), 1, &mut n);
    assert_eq!((r, n), (LIVEHUB_OK, 1));
    assert_eq!(
        livehub_player_read_batch(batch_pl, tags.as_mut_ptr(), 0, &mut n),
        LIVEHUB_ERR_INVALID_ARG
    );
    assert_eq!(
        livehub_player_read_batch(batch_pl, null_mut(), 1, &mut n),
        LIVEHUB_ERR_NULL
    );
    assert_eq!(
        livehub_player_read_batch(batch_pl, tags.as_mut_ptr(), 1, null_mut()),
        LIVEHUB_ERR_NULL
    );
    assert_eq!(
        livehub_player_read_batch(null_mut(), tags.as_mut_ptr(), 1, &mut n),
        LIVEHUB_ERR_NULL
    );
    for pl in [batch_pl, iov_pl] {
        livehub_player_release(pl);
    }
    livehub_publisher_release(p);
    livehub_stream_release(s);
    livehub_hub_release(hub);
}
