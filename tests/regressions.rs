//! Bugs the C-ABI stress test (tests/stress/stress.c) found, each pinned by
//! a deterministic test of the core.

use livehub::{Config, Error, Hub};
use std::time::Duration;

/// `read_flv` may stop in the middle of a tag and keep the rest for the
/// next call. `wait` must then say there is something to read (a read
/// would not return `Again`), and a stream that ended meanwhile must still
/// deliver that rest before `Eof`, so that `Eof`, once seen, is sticky.
#[test]
fn wait_sees_the_rest_of_a_tag_read_flv_cut() {
    let hub = Hub::new(Config {
        republish_wait_ms: 0,
        ..Default::default()
    });
    let stream = hub.stream("live/cut").unwrap();
    let mut player = stream.play(Default::default()).unwrap();
    let mut publisher = stream.publish().unwrap();
    publisher.push_tag(8, 0, &[0xaf, 0x01, 1, 2, 3, 4]).unwrap();

    // Header (13) and the first 5 bytes of the tag header.
    let mut buf = [0u8; 18];
    assert_eq!(player.read_flv(&mut buf), Ok(18));
    assert_eq!(
        player.wait(Duration::ZERO),
        Ok(()),
        "the rest of the tag is there"
    );

    // The stream ends: the rest of the tag first, then EOF for good.
    drop(publisher);
    assert_eq!(player.wait(Duration::ZERO), Ok(()));
    let mut rest = [0u8; 64];
    assert_eq!(player.read_flv(&mut rest), Ok(11 + 6 + 4 - 5));
    assert_eq!(player.wait(Duration::ZERO), Err(Error::Eof));
    assert_eq!(player.read_flv(&mut rest), Err(Error::Eof));
}

/// A player that joined before the first keyframe skips video frames until
/// one comes. `wait` must not report those frames as something to read
/// (the read would skip them and return `Again`: a thread-per-connection
/// server would spin instead of sleeping).
#[test]
fn wait_sleeps_through_frames_before_the_first_keyframe() {
    let hub = Hub::new(Default::default());
    let stream = hub.stream("live/nokey").unwrap();
    let mut player = stream.play(Default::default()).unwrap();
    let mut publisher = stream.publish().unwrap();
    for ts in 0..3 {
        publisher
            .push_tag(9, ts * 40, &[0x27, 1, 0, 0, 0, 0x41])
            .unwrap();
    }
    assert_eq!(player.wait(Duration::ZERO), Err(Error::Timeout));
    assert_eq!(player.read().err(), Some(Error::Again));
    assert_eq!(player.stats().tags_dropped, 3);

    publisher
        .push_tag(9, 120, &[0x17, 1, 0, 0, 0, 0x65])
        .unwrap();
    assert_eq!(player.wait(Duration::ZERO), Ok(()));
    let tag = player.read().unwrap();
    assert_eq!((tag.timestamp, tag.data[0]), (0, 0x17));
}

/// `push_flv` on a removed stream says `Closed` even when its bytes
/// complete no tag (the file header alone, part of a tag), as `push_tag`
/// does: a server learns at once that its publisher is gone.
#[test]
fn push_flv_on_a_removed_stream_is_closed_without_a_whole_tag() {
    let hub = Hub::new(Default::default());
    let stream = hub.stream("live/gone").unwrap();
    let mut publisher = stream.publish().unwrap();
    hub.remove("live/gone").unwrap();
    assert_eq!(
        publisher.push_flv(b"FLV\x01\x05\0\0\0\x09\0\0\0\0"),
        Err(Error::Closed)
    );
    assert_eq!(publisher.push_flv(&[8, 0, 0]), Err(Error::Closed));
    assert_eq!(publisher.push_flv(&[]), Err(Error::Closed));
}
