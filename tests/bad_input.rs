//! Every kind of bad publisher input: its result code, and an already
//! attached player that keeps receiving what is pushed after it. The policy
//! per case is documented on `Publisher::push_flv`.

mod common;
use common::{aac, aac_sh, avc_sh, frame_no, inter, keyframe, metadata, AUDIO, SCRIPT, VIDEO};

use livehub::{flv, Config, Error, Hub, Player, Publisher, Stream};

/// FLV tag bytes: header, body, PreviousTagSize.
fn tag(tag_type: u8, ts: u32, body: &[u8]) -> Vec<u8> {
    let mut v = flv::tag_header(tag_type, body.len() as u32, ts).to_vec();
    v.extend_from_slice(body);
    v.extend_from_slice(&flv::prev_tag_size(body.len() as u32));
    v
}

/// The FLV file header and PreviousTagSize0.
fn header() -> Vec<u8> {
    flv::file_header(true, true).to_vec()
}

/// Metadata, both sequence headers and a keyframe with its audio frame.
fn intro() -> Vec<u8> {
    let mut v = header();
    v.extend(tag(SCRIPT, 0, &metadata()));
    v.extend(tag(AUDIO, 0, &aac_sh()));
    v.extend(tag(VIDEO, 0, &avc_sh(1)));
    v.extend(tag(VIDEO, 0, &keyframe(0)));
    v.extend(tag(AUDIO, 0, &aac(0)));
    v
}

/// Frames `from..to` (video then audio, 40 ms apart) as FLV tag bytes.
fn frames(from: u32, to: u32) -> Vec<u8> {
    let mut v = Vec::new();
    for n in from..to {
        v.extend(tag(VIDEO, n * 40, &inter(n)));
        v.extend(tag(AUDIO, n * 40, &aac(n)));
    }
    v
}

/// A stream with a player attached and a publisher that already pushed the
/// intro, which the player has read.
struct Fixture {
    _hub: Hub,
    stream: Stream,
    player: Player,
    publisher: Publisher,
}

fn fixture(cfg: Config) -> Fixture {
    let hub = Hub::new(Config {
        republish_wait_ms: 60_000,
        ..cfg
    });
    let stream = hub.stream("live/bad").unwrap();
    let player = stream.play(Default::default()).unwrap();
    let mut publisher = stream.publish().unwrap();
    publisher.push_flv(&intro()).unwrap();
    let mut f = Fixture {
        _hub: hub,
        stream,
        player,
        publisher,
    };
    let got = f.read_all();
    assert_eq!(got.len(), 5);
    assert_eq!(frame_no(&got[3]), Some(0));
    f
}

/// A tag as read: (type, frame number if any).
type Got = (u8, Option<u32>);

impl Fixture {
    /// Everything the player can read now; it must still be live.
    fn read_all(&mut self) -> Vec<common::Got> {
        let (tags, last) = common::drain(&mut self.player);
        assert_eq!(last, Error::Again, "the player must still be live");
        tags
    }

    /// The (type, frame number) of what the player can read now.
    fn read_frames(&mut self) -> Vec<Got> {
        self.read_all()
            .iter()
            .map(|t| (t.tag_type, frame_no(t)))
            .collect()
    }

    /// Pushes frames `from..to` with `push_tag`: always possible, whatever
    /// happened to the byte stream.
    fn push_tags(&mut self, from: u32, to: u32) {
        for n in from..to {
            self.publisher.push_tag(VIDEO, n * 40, &inter(n)).unwrap();
            self.publisher.push_tag(AUDIO, n * 40, &aac(n)).unwrap();
        }
    }

    /// After a fatal push_flv error: the byte stream stays rejected,
    /// push_tag still works, and a new publisher's byte stream goes through;
    /// the player receives all of it.
    fn check_rejected_then_recovery(&mut self, reason: flv::FlvError, next: u32) {
        let code = Error::FlvRejected;
        assert_eq!(
            self.publisher.push_flv(&frames(next, next + 1)),
            Err(code),
            "sticky"
        );
        assert_eq!(
            self.publisher.push_flv(&intro()),
            Err(code),
            "sticky, even with a new header"
        );
        assert_eq!(
            self.read_frames(),
            vec![],
            "nothing from a rejected byte stream"
        );
        assert_eq!(self.publisher.stats().rejected, Some(code));
        assert_eq!(self.publisher.stats().reject_reason, Some(reason));
        self.push_tags(next, next + 2);
        assert_eq!(self.read_frames(), expect(next, next + 2));
        assert_eq!(
            self.stream.stats().publisher,
            livehub::PublisherState::Active
        );
        // The server drops the bad connection; the encoder reconnects.
        assert_eq!(self.stream.publish().err(), Some(Error::Busy));
        self.republish();
        let mut again = intro();
        again.extend(frames(next + 2, next + 4));
        self.publisher.push_flv(&again).unwrap();
        let got = self.read_frames();
        // The new publisher's metadata, sequence headers and keyframe, then
        // its frames.
        assert_eq!(got.len(), 5 + 4);
        assert_eq!(got[3], (VIDEO, Some(0)));
        assert_eq!(got[5..], expect(next + 2, next + 4)[..]);
    }

    /// Unpublishes and publishes again (within the republish wait: the
    /// player stays).
    fn republish(&mut self) {
        // A stand-in publisher of a throwaway stream, so that the old one
        // can be dropped before the new one is made.
        let hub = Hub::new(Default::default());
        let stand_in = hub.stream("stand-in").unwrap().publish().unwrap();
        drop(std::mem::replace(&mut self.publisher, stand_in));
        self.publisher = self.stream.publish().unwrap();
    }
}

/// What the player reads for frames `from..to`.
fn expect(from: u32, to: u32) -> Vec<Got> {
    (from..to)
        .flat_map(|n| [(VIDEO, Some(n)), (AUDIO, Some(n))])
        .collect()
}

/// A publisher whose first bytes are `bad` (a broken file header): fatal.
fn bad_file_header(bad: &[u8], reason: flv::FlvError) {
    let mut f = fixture(Config::default());
    // A new publisher, whose byte stream starts with the bad header; the
    // player was attached all along.
    f.republish();
    let mut bytes = bad.to_vec();
    bytes.extend(frames(1, 3));
    assert_eq!(f.publisher.push_flv(&bytes), Err(Error::FlvRejected));
    f.check_rejected_then_recovery(reason, 1);
}

#[test]
fn bad_signature_rejects_the_byte_stream() {
    bad_file_header(b"FLX\x01\x05\0\0\0\x09\0\0\0\0", flv::FlvError::Signature);
    bad_file_header(b"GET / HTTP/1.1\r\n\r\n", flv::FlvError::Signature);
}

#[test]
fn bad_version_rejects_the_byte_stream() {
    bad_file_header(b"FLV\x02\x05\0\0\0\x09\0\0\0\0", flv::FlvError::Version);
    bad_file_header(b"FLV\x00\x05\0\0\0\x09\0\0\0\0", flv::FlvError::Version);
}

#[test]
fn bad_header_size_rejects_the_byte_stream() {
    bad_file_header(b"FLV\x01\x05\0\0\0\x08\0\0\0\0", flv::FlvError::HeaderSize);
    bad_file_header(
        b"FLV\x01\x05\xff\xff\xff\xff\0\0\0\0",
        flv::FlvError::HeaderSize,
    );
}

#[test]
fn header_size_above_nine_is_fine() {
    let mut f = fixture(Config::default());
    f.republish();
    let mut bytes = b"FLV\x01\x05\0\0\0\x0c\xee\xee\xee\0\0\0\0".to_vec();
    bytes.extend(frames(1, 3));
    assert_eq!(f.publisher.push_flv(&bytes), Ok(()));
    assert_eq!(f.read_frames(), expect(1, 3));
}

#[test]
fn tag_over_max_tag_size_rejects_the_byte_stream() {
    let mut f = fixture(Config {
        max_tag_size: 1_000,
        ..Default::default()
    });
    let mut bytes = frames(1, 2);
    let mut big = inter(99);
    big.resize(1_001, 0xAB);
    bytes.extend(tag(VIDEO, 80, &big));
    bytes.extend(frames(2, 3));
    assert_eq!(f.publisher.push_flv(&bytes), Err(Error::FlvRejected));
    // The good tags before it in the same push were stored.
    assert_eq!(f.read_frames(), expect(1, 2));
    f.check_rejected_then_recovery(flv::FlvError::TooLarge, 3);
}

#[test]
fn tag_of_exactly_max_tag_size_is_fine() {
    let mut f = fixture(Config {
        max_tag_size: 1_000,
        ..Default::default()
    });
    let mut big = inter(1);
    big.resize(1_000, 0xAB);
    assert_eq!(f.publisher.push_flv(&tag(VIDEO, 40, &big)), Ok(()));
    let got = f.read_all();
    assert_eq!((got.len(), got[0].data.len()), (1, 1_000));
}

#[test]
fn prev_tag_size_mismatch_is_reported_and_the_tag_kept() {
    let mut f = fixture(Config::default());
    let mut bytes = frames(1, 2);
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01; // the PreviousTagSize after frame 1's audio tag
    bytes.extend(frames(2, 4));
    assert_eq!(f.publisher.push_flv(&bytes), Err(Error::Flv));
    assert_eq!(f.read_frames(), expect(1, 4), "no tag lost");
    // The byte stream goes on.
    assert_eq!(f.publisher.push_flv(&frames(4, 6)), Ok(()));
    assert_eq!(f.read_frames(), expect(4, 6));
}

/// A tag the demuxer skips: `type_byte` with a body, between good frames.
fn skipped_tag(type_byte: u8) {
    let mut f = fixture(Config::default());
    let mut bytes = frames(1, 2);
    bytes.extend(tag(type_byte, 40, &keyframe(77)));
    bytes.extend(frames(2, 3));
    assert_eq!(
        f.publisher.push_flv(&bytes),
        Err(Error::Flv),
        "type {type_byte:#x}"
    );
    assert_eq!(f.read_frames(), expect(1, 3), "only that tag is gone");
    // The publisher's stats tell "skipped, carry on" from "rejected".
    let st = f.publisher.stats();
    assert_eq!(st.rejected, None);
    // A tag with a plausible header is skipped as a tag; a type byte that
    // cannot start a tag at all is dropped as garbage.
    assert!(st.tags_skipped == 1 || st.bytes_discarded > 0, "{st:?}");
    assert_eq!(st.tags_in, 5 + 4);
    assert_eq!(f.publisher.push_flv(&frames(3, 4)), Ok(()));
    assert_eq!(f.read_frames(), expect(3, 4));
}

#[test]
fn reserved_tag_type_skips_the_tag() {
    for t in [0u8, 1, 7, 10, 15, 17, 19, 31, 0x48, 0x89] {
        skipped_tag(t);
    }
}

#[test]
fn filter_bit_skips_the_tag() {
    for t in [0x28u8, 0x29, 0x32] {
        skipped_tag(t);
    }
}

#[test]
fn truncated_payload_waits_for_the_rest() {
    let mut f = fixture(Config::default());
    let bytes = frames(1, 3);
    let first_tag = 11 + inter(1).len() + 4;
    // Everything up to the middle of frame 1's video body.
    let cut = 11 + 4;
    assert_eq!(f.publisher.push_flv(&bytes[..cut]), Ok(()));
    assert_eq!(f.read_frames(), vec![], "nothing until the tag is whole");
    assert_eq!(f.player.read().err(), Some(Error::Again));
    // The rest of that tag and half of the next header.
    assert_eq!(f.publisher.push_flv(&bytes[cut..first_tag + 5]), Ok(()));
    assert_eq!(f.read_frames(), vec![(VIDEO, Some(1))]);
    assert_eq!(f.publisher.push_flv(&bytes[first_tag + 5..]), Ok(()));
    assert_eq!(f.read_frames(), expect(1, 3)[1..]);
}

/// Good frames 1..2, `garbage`, then frames 2..5, as FLV bytes. The garbage
/// goes right before the PreviousTagSize of frame 1's audio tag, or, with
/// `after_prev`, right after it.
fn with_garbage(garbage: &[u8], after_prev: bool) -> Vec<u8> {
    let mut bytes = frames(1, 2);
    let prev = bytes.split_off(bytes.len() - 4);
    if after_prev {
        bytes.extend(prev);
        bytes.extend_from_slice(garbage);
    } else {
        bytes.extend_from_slice(garbage);
        bytes.extend(prev);
    }
    bytes.extend(frames(2, 5));
    bytes
}

fn garbages() -> Vec<Vec<u8>> {
    let mut noise = 0x1234_5678u32;
    let random: Vec<u8> = (0..333)
        .map(|_| {
            noise ^= noise << 13;
            noise ^= noise >> 17;
            noise ^= noise << 5;
            noise as u8
        })
        .collect();
    vec![
        b"\xde\xad\xbe\xef\x01".to_vec(),
        random,
        vec![0; 40],
        vec![0xFF; 7],
        b"FLV".to_vec(),
        vec![0x55],
    ]
}

#[test]
fn garbage_between_tags_is_dropped() {
    // Before a PreviousTagSize: every good tag gets through.
    for garbage in garbages() {
        let mut f = fixture(Config::default());
        assert_eq!(
            f.publisher.push_flv(&with_garbage(&garbage, false)),
            Err(Error::Flv),
            "{garbage:02x?}"
        );
        assert_eq!(f.read_frames(), expect(1, 5), "{garbage:02x?}");
        assert_eq!(
            f.publisher.push_flv(&frames(5, 7)),
            Ok(()),
            "resynchronised"
        );
        assert_eq!(f.read_frames(), expect(5, 7));
    }
}

#[test]
fn garbage_after_a_prev_tag_size_costs_at_most_the_next_tag() {
    // The garbage hides the PreviousTagSize of the tag after it, which is
    // then lost unless the bytes in its place look like a size.
    let mut lost = 0;
    for garbage in garbages() {
        let mut f = fixture(Config::default());
        assert_eq!(
            f.publisher.push_flv(&with_garbage(&garbage, true)),
            Err(Error::Flv),
            "{garbage:02x?}"
        );
        let got = f.read_frames();
        let all = expect(1, 5);
        let mut without_next = all.clone();
        without_next.remove(2);
        assert!(got == all || got == without_next, "{garbage:02x?}: {got:?}");
        lost += usize::from(got != all);
        assert_eq!(
            f.publisher.push_flv(&frames(5, 7)),
            Ok(()),
            "resynchronised"
        );
        assert_eq!(f.read_frames(), expect(5, 7));
    }
    assert!(lost >= 1, "the policy says the next tag is usually lost");
}

#[test]
fn garbage_across_pushes_is_dropped() {
    // One byte per push: the result codes spread over the pushes, the tags
    // do not change.
    let mut f = fixture(Config::default());
    let bytes = with_garbage(&[0x55; 50], false);
    let errors: Vec<Error> = bytes
        .chunks(1)
        .filter_map(|b| f.publisher.push_flv(b).err())
        .collect();
    assert!(
        !errors.is_empty() && errors.iter().all(|&e| e == Error::Flv),
        "{errors:?}"
    );
    assert_eq!(f.read_frames(), expect(1, 5));
}

#[test]
fn a_new_file_header_restarts_the_byte_stream() {
    // Not bad input: an encoder restarted on the same connection sends a
    // new header, and its stream goes on to the players.
    let mut f = fixture(Config::default());
    let mut bytes = frames(1, 2);
    bytes.extend(intro());
    bytes.extend(frames(2, 4));
    assert_eq!(f.publisher.push_flv(&bytes), Ok(()));
    let got = f.read_frames();
    assert_eq!(got[..2], expect(1, 2)[..]);
    assert_eq!(got.len(), 2 + 5 + 4);
    assert_eq!(got[got.len() - 4..], expect(2, 4)[..]);
}

#[test]
fn video_tag_too_short_to_classify_is_skipped() {
    for body in [&[][..], &[0x17], &[0x17, 1, 0, 0], &[0x27, 1]] {
        let mut f = fixture(Config::default());
        let mut bytes = frames(1, 2);
        bytes.extend(tag(VIDEO, 40, body));
        bytes.extend(frames(2, 3));
        assert_eq!(
            f.publisher.push_flv(&bytes),
            Err(Error::Flv),
            "body {body:02x?}"
        );
        assert_eq!(f.read_frames(), expect(1, 3));
        assert_eq!(f.publisher.push_flv(&frames(3, 4)), Ok(()));
        assert_eq!(f.read_frames(), expect(3, 4));
    }
}

#[test]
fn push_tag_unknown_type_is_invalid_arg() {
    let mut f = fixture(Config::default());
    for t in [0u8, 7, 10, 17, 19, 0x28, 0xFF] {
        assert_eq!(
            f.publisher.push_tag(t, 40, &keyframe(1)),
            Err(Error::InvalidArg),
            "type {t}"
        );
    }
    f.push_tags(1, 3);
    assert_eq!(f.read_frames(), expect(1, 3));
}

#[test]
fn push_tag_oversize_is_too_large() {
    let mut f = fixture(Config {
        max_tag_size: 100,
        ..Default::default()
    });
    let mut big = inter(1);
    big.resize(101, 0);
    assert_eq!(f.publisher.push_tag(VIDEO, 40, &big), Err(Error::TooLarge));
    assert_eq!(
        f.publisher.push_bytes(VIDEO, 40, big.into()),
        Err(Error::TooLarge)
    );
    f.push_tags(1, 3);
    assert_eq!(f.read_frames(), expect(1, 3));
}

#[test]
fn push_tag_too_short_is_flv() {
    let mut f = fixture(Config::default());
    for (t, body) in [
        (VIDEO, &[][..]),
        (VIDEO, &[0x17, 1, 0]),
        (AUDIO, &[]),
        (AUDIO, &[0xAF]),
    ] {
        assert_eq!(
            f.publisher.push_tag(t, 40, body),
            Err(Error::Flv),
            "{t} {body:02x?}"
        );
    }
    f.push_tags(1, 3);
    assert_eq!(f.read_frames(), expect(1, 3));
}
