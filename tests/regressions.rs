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
    assert_eq!(player.wait(Duration::ZERO), Ok(()), "the rest of the tag is there");

    // The stream ends: the rest of the tag first, then EOF for good.
    drop(publisher);
    assert_eq!(player.wait(Duration::ZERO), Ok(()));
    let mut rest = [0u8; 64];
    assert_eq!(player.read_flv(&mut rest), Ok(11 + 6 + 4 - 5));
    assert_eq!(player.wait(Duration::ZERO), Err(Error::Eof));
    assert_eq!(player.read_flv(&mut rest), Err(Error::Eof));
}
