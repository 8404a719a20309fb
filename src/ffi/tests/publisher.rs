//! `livehub_publisher`: `push_flv` and its result codes, the publisher stats.

use super::*;
use crate::ffi::stats::*;

#[test]
fn push_flv_through_the_c_api() {
    let hub = new_hub();
    let s = get_stream(hub, "live/flvin");
    let p = publish(s);
    let pl = play(s);
    let mut flv = vec![b'F', b'L', b'V', 1, 5, 0, 0, 0, 9, 0, 0, 0, 0];
    flv.extend_from_slice(&[8, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0x2f, 0x01, 0, 0, 0, 13]);
    for chunk in flv.chunks(3) {
        assert_eq!(
            livehub_publisher_push_flv(p, chunk.as_ptr(), chunk.len()),
            LIVEHUB_OK
        );
    }
    assert_eq!(livehub_publisher_push_flv(p, null(), 0), LIVEHUB_OK);
    assert_eq!(read(pl).unwrap().3, vec![0x2f, 0x01]);

    let bad_hub = new_hub();
    let bs = get_stream(bad_hub, "live/bad");
    let bp = publish(bs);
    assert_eq!(
        livehub_publisher_push_flv(bp, b"NOTFLV!!!!!!!".as_ptr(), 13),
        LIVEHUB_ERR_FLV_REJECTED
    );

    livehub_publisher_release(bp);
    livehub_stream_release(bs);
    livehub_hub_release(bad_hub);
    livehub_player_release(pl);
    livehub_publisher_release(p);
    livehub_stream_release(s);
    livehub_hub_release(hub);
}

#[test]
fn publisher_stats_tell_skipped_from_rejected() {
    let hub = new_hub();
    let s = get_stream(hub, "live/pubstats");
    let p = publish(s);
    // SAFETY: all-zero bytes are a valid value of this plain C struct.
    let mut st: livehub_publisher_stats = unsafe { std::mem::zeroed() };
    st.struct_size = std::mem::size_of::<livehub_publisher_stats>() as u32;
    assert_eq!(push(p, 7, 0, AAC_RAW), LIVEHUB_ERR_INVALID_ARG);
    assert_eq!(push(p, LIVEHUB_TAG_AUDIO, 0, AAC_RAW), LIVEHUB_OK);
    assert_eq!(livehub_publisher_get_stats(p, &mut st), LIVEHUB_OK);
    assert_eq!(
        (st.rejected, st.tags_in, st.tags_skipped),
        (LIVEHUB_OK, 1, 1)
    );
    let bad = b"FLX\x01\x05\x00\x00\x00\x09\x00\x00\x00\x00";
    assert_eq!(
        livehub_publisher_push_flv(p, bad.as_ptr(), bad.len()),
        LIVEHUB_ERR_FLV_REJECTED
    );
    assert_eq!(livehub_publisher_get_stats(p, &mut st), LIVEHUB_OK);
    assert_eq!(st.rejected, LIVEHUB_ERR_FLV_REJECTED);
    assert_eq!(
        livehub_publisher_get_stats(null_mut(), &mut st),
        LIVEHUB_ERR_NULL
    );
    assert_eq!(livehub_publisher_get_stats(p, null_mut()), LIVEHUB_ERR_NULL);
    livehub_publisher_release(p);
    livehub_stream_release(s);
    livehub_hub_release(hub);
}

#[test]
fn push_flv_tells_a_dropped_tag_from_a_dead_byte_stream() {
    let hub = new_hub();
    let s = get_stream(hub, "live/flv-codes");
    let p = publish(s);
    let pl = play(s);
    // SAFETY: all-zero bytes are a valid value of this plain C struct.
    let mut st: livehub_publisher_stats = unsafe { std::mem::zeroed() };
    st.struct_size = std::mem::size_of::<livehub_publisher_stats>() as u32;
    let header = b"FLV\x01\x05\0\0\0\x09\0\0\0\0";
    let good = [8, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0x2f, 0x01, 0, 0, 0, 13];
    // A tag of reserved type 7 (2 bytes of body) between two good ones.
    let reserved = [7, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0xEE, 0xEE, 0, 0, 0, 13];
    let mut bytes = header.to_vec();
    bytes.extend_from_slice(&good);
    bytes.extend_from_slice(&reserved);
    bytes.extend_from_slice(&good);
    assert_eq!(
        livehub_publisher_push_flv(p, bytes.as_ptr(), bytes.len()),
        LIVEHUB_ERR_FLV,
        "one tag dropped: carry on"
    );
    assert_eq!(livehub_publisher_get_stats(p, &mut st), LIVEHUB_OK);
    assert_eq!(
        (st.rejected, st.tags_in, st.tags_skipped),
        (LIVEHUB_OK, 2, 1)
    );
    assert_eq!(
        livehub_publisher_push_flv(p, good.as_ptr(), good.len()),
        LIVEHUB_OK
    );
    assert_eq!(read(pl).map(|t| t.3), Ok(vec![0x2f, 0x01]));
    assert_eq!(read(pl).map(|t| t.3), Ok(vec![0x2f, 0x01]));
    assert_eq!(read(pl).map(|t| t.3), Ok(vec![0x2f, 0x01]));
    assert_eq!(read(pl), Err(LIVEHUB_AGAIN));
    // A second publisher whose byte stream has a bad version: dead for good.
    livehub_publisher_release(p);
    let p = publish(s);
    let bad = b"FLV\x02\x05\0\0\0\x09\0\0\0\0";
    for _ in 0..2 {
        assert_eq!(
            livehub_publisher_push_flv(p, bad.as_ptr(), bad.len()),
            LIVEHUB_ERR_FLV_REJECTED
        );
        assert_eq!(
            livehub_publisher_push_flv(p, good.as_ptr(), good.len()),
            LIVEHUB_ERR_FLV_REJECTED,
            "sticky"
        );
    }
    assert_eq!(livehub_publisher_get_stats(p, &mut st), LIVEHUB_OK);
    assert_eq!(st.rejected, LIVEHUB_ERR_FLV_REJECTED);
    livehub_player_release(pl);
    livehub_publisher_release(p);
    livehub_stream_release(s);
    livehub_hub_release(hub);
}
