//! What players receive: join order, fan-out, skipping, timestamps, FLV bytes.

mod common;
use common::*;
use livehub::{flv, Config, Error, Hub, ManualClock, PlayOptions, TimestampMode};
use std::sync::Arc;

fn hub() -> Hub {
    Hub::new(Config::default())
}

#[test]
fn every_player_gets_every_tag_in_order() {
    let hub = hub();
    let s = hub.stream("live/a").unwrap();
    let mut players: Vec<_> = (0..5)
        .map(|_| s.play(Default::default()).unwrap())
        .collect();
    let mut p = s.publish().unwrap();
    start(&mut p, 0);
    push_av(&mut p, 0, 100, 25, 0);
    for pl in &mut players {
        let (tags, last) = drain(pl);
        assert_eq!(last, Error::Again);
        assert_eq!(tags.len(), 3 + 200);
        assert_eq!(tags[0].flags, flv::FLAG_METADATA);
        // @setDataFrame is stripped: the body starts with the onMetaData string.
        assert_eq!(
            &tags[0].data[..13],
            &[0x02, 0, 10, b'o', b'n', b'M', b'e', b't', b'a', b'D', b'a', b't', b'a']
        );
        let frames: Vec<u32> = tags
            .iter()
            .filter(|t| t.tag_type == VIDEO)
            .filter_map(frame_no)
            .collect();
        assert_eq!(frames, (0..100).collect::<Vec<_>>());
        assert!(tags.windows(2).all(|w| w[0].ts <= w[1].ts));
    }
}

#[test]
fn late_joiner_gets_metadata_headers_then_keyframe() {
    let hub = hub();
    let s = hub.stream("live/a").unwrap();
    let mut p = s.publish().unwrap();
    start(&mut p, 1000);
    let t = push_av(&mut p, 1000, 37, 25, 0); // second GOP starts at frame 25
    let mut late = s.play(Default::default()).unwrap();
    let (tags, _) = drain(&mut late);
    assert_eq!(tags[0].flags, flv::FLAG_METADATA);
    assert_eq!(
        (tags[1].tag_type, tags[1].flags),
        (AUDIO, flv::FLAG_SEQUENCE_HEADER)
    );
    assert_eq!(
        (tags[2].tag_type, tags[2].flags),
        (VIDEO, flv::FLAG_SEQUENCE_HEADER)
    );
    assert_eq!(tags[3].flags, flv::FLAG_KEYFRAME);
    assert_eq!(frame_no(&tags[3]), Some(25));
    assert!(
        tags[..4].iter().all(|t| t.ts == 0),
        "rebased: the join point is 0"
    );
    assert_eq!(tags.len(), 3 + 2 * 12);
    push_av(&mut p, t, 1, 25, 37);
    let (more, _) = drain(&mut late);
    assert_eq!(frame_no(&more[0]), Some(37));
    assert_eq!(more[0].ts, 12 * 40);
}

#[test]
fn joiner_before_any_keyframe_waits_for_one() {
    let hub = hub();
    let s = hub.stream("live/a").unwrap();
    let mut p = s.publish().unwrap();
    start(&mut p, 0);
    p.push_tag(VIDEO, 0, &inter(1)).unwrap(); // no keyframe cached
    let mut pl = s.play(Default::default()).unwrap();
    p.push_tag(VIDEO, 40, &inter(2)).unwrap();
    p.push_tag(AUDIO, 45, &aac(2)).unwrap();
    p.push_tag(VIDEO, 80, &keyframe(3)).unwrap();
    let (tags, _) = drain(&mut pl);
    let kinds: Vec<_> = tags.iter().map(|t| (t.tag_type, frame_no(t))).collect();
    assert_eq!(kinds[3..], [(AUDIO, Some(2)), (VIDEO, Some(3))]);
    assert_eq!(pl.stats().tags_dropped, 1);
}

#[test]
fn audio_only_joins_at_live_edge() {
    let hub = hub();
    let s = hub.stream("radio/a").unwrap();
    let mut p = s.publish().unwrap();
    p.push_tag(AUDIO, 0, &aac_sh()).unwrap();
    for i in 0..500 {
        p.push_tag(AUDIO, i * 23, &aac(i)).unwrap();
    }
    let mut pl = s.play(Default::default()).unwrap();
    let (tags, _) = drain(&mut pl);
    assert_eq!(tags.len(), 1, "only the sequence header: no backlog");
    p.push_tag(AUDIO, 500 * 23, &aac(500)).unwrap();
    p.push_tag(AUDIO, 501 * 23, &aac(501)).unwrap();
    let (tags, _) = drain(&mut pl);
    assert_eq!(frame_no(&tags[0]), Some(500));
    // Rebased: the first tag read is 0, whatever came before the join.
    assert_eq!((tags[0].ts, tags[1].ts), (0, 23));
}

#[test]
fn stalled_player_skips_to_newest_keyframe_and_counts() {
    let hub = hub();
    let s = hub.stream("live/a").unwrap();
    let mut p = s.publish().unwrap();
    start(&mut p, 0);
    let mut slow = s.play(Default::default()).unwrap();
    let mut fast = s.play(Default::default()).unwrap();
    // 60 s of stream at 25 fps, GOP 2 s: far beyond the 10 s lag window.
    let mut t = 0;
    for g in 0..30 {
        t = push_av(&mut p, t, 50, 50, g * 50);
        drain(&mut fast);
    }
    let (tags, _) = drain(&mut slow);
    // Its segment fell out of the window: it reads nothing stale, but jumps
    // straight to the newest keyframe with the sequence headers first.
    let jump = tags
        .iter()
        .position(|t| t.flags == flv::FLAG_KEYFRAME)
        .unwrap()
        - 2;
    assert_eq!(
        (tags[jump].tag_type, tags[jump].flags),
        (AUDIO, flv::FLAG_SEQUENCE_HEADER)
    );
    assert_eq!(
        (tags[jump + 1].tag_type, tags[jump + 1].flags),
        (VIDEO, flv::FLAG_SEQUENCE_HEADER)
    );
    assert!(
        tags[..jump].iter().all(|t| frame_no(t).is_none()),
        "no stale frame before the jump"
    );
    assert!(frame_no(&tags[jump + 2]).unwrap() >= 29 * 50 - 50);
    let st = slow.stats();
    assert!(st.tags_dropped > 2500, "dropped {}", st.tags_dropped);
    assert_eq!(st.tags_out, tags.len() as u64);
    assert!(tags.windows(2).all(|w| w[0].ts <= w[1].ts));
    assert_eq!(fast.stats().tags_dropped, 0);
}

#[test]
fn memory_is_bounded_without_keyframes() {
    let cfg = Config {
        gop_max_frames: 100,
        gop_max_bytes: 1 << 20,
        ..Default::default()
    };
    let hub = Hub::new(cfg);
    let s = hub.stream("live/nokey").unwrap();
    let mut p = s.publish().unwrap();
    let _stalled = s.play(Default::default()).unwrap();
    let body = vec![0x27u8; 1000];
    // Timestamps stand still: only the hard bounds can trim.
    for _ in 0..10_000 {
        p.push_tag(VIDEO, 0, &body).unwrap();
    }
    let mut late = s.play(Default::default()).unwrap();
    let (tags, _) = drain(&mut late);
    assert!(
        tags.is_empty(),
        "no keyframe: a joiner starts at the live edge"
    );
    let retained = s.stats().retained_tags;
    assert!(retained <= 200 + 64, "{retained}");
}

#[test]
fn timestamps_absolute_and_monotonic_across_republish() {
    let cfg = Config {
        republish_wait_ms: 60_000,
        ..Default::default()
    };
    let hub = Hub::new(cfg);
    let s = hub.stream("live/a").unwrap();
    let opts = PlayOptions {
        timestamps: TimestampMode::Absolute,
        ..Default::default()
    };
    let mut abs = s.play(opts).unwrap();
    let mut rebased = s.play(Default::default()).unwrap();
    let mut p = s.publish().unwrap();
    start(&mut p, 90_000);
    push_av(&mut p, 90_000, 10, 25, 0);
    drop(p);
    let mut p = s.publish().unwrap(); // the encoder restarts at 0
    start(&mut p, 0);
    push_av(&mut p, 0, 10, 25, 0);
    let (a, last) = drain(&mut abs);
    assert_eq!(last, Error::Again, "still within the republish wait");
    assert_eq!(a[0].ts, 90_000);
    assert!(a.windows(2).all(|w| w[0].ts <= w[1].ts));
    let (r, _) = drain(&mut rebased);
    assert_eq!(r[0].ts, 0);
    assert!(r.windows(2).all(|w| w[0].ts <= w[1].ts));
    // The new publisher's headers come before its first frame.
    let second = r
        .iter()
        .rposition(|t| t.flags == flv::FLAG_SEQUENCE_HEADER && t.tag_type == VIDEO)
        .unwrap();
    assert!(second > 3);
    assert_eq!(r[second + 1].flags, flv::FLAG_KEYFRAME);
}

fn flv_bytes_by_read_flv(pl: &mut livehub::Player, chunk: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; chunk];
    loop {
        match pl.read_flv(&mut buf) {
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(_) => return out,
        }
    }
}

fn flv_bytes_by_read_iov(pl: &mut livehub::Player, max: usize) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let mut batch = Vec::new();
        match pl.read_iov(max, |s| batch.extend_from_slice(s)) {
            Ok(n) => {
                assert!(n <= max && n > 0);
                out.extend_from_slice(&batch);
            }
            Err(_) => return out,
        }
    }
}

#[test]
fn read_flv_and_read_iov_produce_the_same_valid_byte_stream() {
    let hub = hub();
    let s = hub.stream("live/a").unwrap();
    let mut readers: Vec<_> = (0..6)
        .map(|_| s.play(Default::default()).unwrap())
        .collect();
    let mut p = s.publish().unwrap();
    start(&mut p, 0);
    push_av(&mut p, 0, 60, 25, 0);
    let mut outs = Vec::new();
    for (i, pl) in readers.iter_mut().enumerate() {
        outs.push(match i {
            0 => flv_bytes_by_read_flv(pl, 1),
            1 => flv_bytes_by_read_flv(pl, 7),
            2 => flv_bytes_by_read_flv(pl, 65536),
            3 => flv_bytes_by_read_iov(pl, 3),
            4 => flv_bytes_by_read_iov(pl, 64),
            _ => flv_bytes_by_read_iov(pl, 1024),
        });
    }
    for o in &outs[1..] {
        assert_eq!(o, &outs[0]);
    }
    // Demux what we produced: the same tags come back.
    let bytes = &outs[0];
    assert_eq!(&bytes[..13], &flv::file_header(true, true));
    let mut d = flv::Demuxer::new(0xFF_FFFF);
    let mut tags = Vec::new();
    d.feed(bytes, |t| tags.push(t)).unwrap();
    assert_eq!(tags.len(), 3 + 120);
    assert_eq!(d.prev_tag_size_mismatches(), 0);
    assert_eq!(tags[3].data, keyframe(0));
}

#[test]
fn mixing_read_flv_and_read_iov_keeps_the_byte_stream_whole() {
    let hub = hub();
    let s = hub.stream("live/a").unwrap();
    let mut a = s.play(Default::default()).unwrap();
    let mut b = s.play(Default::default()).unwrap();
    let mut p = s.publish().unwrap();
    start(&mut p, 0);
    push_av(&mut p, 0, 30, 25, 0);
    let whole = flv_bytes_by_read_flv(&mut a, 4096);
    let mut mixed = Vec::new();
    let mut buf = [0u8; 5];
    for round in 0.. {
        let r = if round % 2 == 0 {
            b.read_flv(&mut buf)
                .map(|n| mixed.extend_from_slice(&buf[..n]))
        } else {
            b.read_iov(5, |sl| mixed.extend_from_slice(sl)).map(|_| ())
        };
        if r.is_err() {
            break;
        }
    }
    assert_eq!(mixed, whole);
}

#[test]
fn bad_arguments_leave_the_stream_intact() {
    let hub = hub();
    assert_eq!(hub.stream("").err(), Some(Error::InvalidArg));
    assert_eq!(hub.stream(&"x".repeat(2000)).err(), Some(Error::InvalidArg));
    let s = hub.stream("live/a").unwrap();
    let mut pl = s.play(Default::default()).unwrap();
    let mut p = s.publish().unwrap();
    assert_eq!(p.push_tag(7, 0, &[1, 2]).err(), Some(Error::InvalidArg));
    assert_eq!(p.push_tag(VIDEO, 0, &[]).err(), Some(Error::Flv));
    p.push_tag(AUDIO, 0, &aac(1)).unwrap();
    let mut buf = [0u8; 0];
    assert_eq!(pl.read_flv(&mut buf).err(), Some(Error::InvalidArg));
    assert_eq!(pl.read_iov(2, |_| {}).err(), Some(Error::Buffer));
    let (tags, _) = drain(&mut pl);
    assert_eq!(tags.len(), 1);
    let small = Hub::new(Config {
        max_tag_size: 10,
        ..Default::default()
    });
    let s2 = small.stream("x").unwrap();
    let mut p2 = s2.publish().unwrap();
    assert_eq!(
        p2.push_tag(AUDIO, 0, &[0xaf; 11]).err(),
        Some(Error::TooLarge)
    );
}

#[test]
fn republish_wait_then_eof_by_tick() {
    let clock = Arc::new(ManualClock::new(0));
    let cfg = Config {
        republish_wait_ms: 5_000,
        clock: clock.clone(),
        ..Default::default()
    };
    let hub = Hub::new(cfg);
    let s = hub.stream("live/a").unwrap();
    let mut pl = s.play(Default::default()).unwrap();
    let mut p = s.publish().unwrap();
    start(&mut p, 0);
    drop(p);
    let (tags, last) = drain(&mut pl);
    assert_eq!((tags.len(), last), (3, Error::Again));
    clock.advance(4_999);
    hub.tick();
    assert_eq!(pl.read().err(), Some(Error::Again));
    clock.advance(1);
    hub.tick();
    assert_eq!(pl.read().err(), Some(Error::Eof));
    assert_eq!(pl.read().err(), Some(Error::Eof), "EOF is sticky");
    // The stream can be published again; a new player gets the new epoch only.
    let mut p = s.publish().unwrap();
    let mut fresh = s.play(Default::default()).unwrap();
    p.push_tag(AUDIO, 0, &aac(9)).unwrap();
    assert_eq!(frame_no(&drain(&mut fresh).0[0]), Some(9));
    assert_eq!(pl.read().err(), Some(Error::Eof));
}

#[test]
fn play_option_shortens_the_republish_wait() {
    let clock = Arc::new(ManualClock::new(0));
    let hub = Hub::new(Config {
        clock: clock.clone(),
        ..Default::default()
    });
    let s = hub.stream("live/a").unwrap();
    let mut quick = s
        .play(PlayOptions {
            republish_wait_ms: Some(100),
            ..Default::default()
        })
        .unwrap();
    let mut patient = s.play(Default::default()).unwrap();
    drop(s.publish().unwrap());
    clock.advance(100);
    assert_eq!(quick.read().err(), Some(Error::Eof));
    assert_eq!(patient.read().err(), Some(Error::Again));
}

#[test]
fn player_that_skips_before_its_first_read_still_gets_the_metadata() {
    // Attached before the publisher sent anything, then left behind.
    let hub = hub();
    let s = hub.stream("live/early").unwrap();
    let mut early = s.play(Default::default()).unwrap();
    let mut p = s.publish().unwrap();
    start(&mut p, 0);
    let mut t = 0;
    for g in 0..15 {
        t = push_av(&mut p, t, 50, 50, g * 50);
    }
    let (tags, _) = drain(&mut early);
    let kinds: Vec<_> = tags.iter().take(4).map(|t| (t.tag_type, t.flags)).collect();
    assert_eq!(
        kinds,
        [
            (SCRIPT, flv::FLAG_METADATA),
            (AUDIO, flv::FLAG_SEQUENCE_HEADER),
            (VIDEO, flv::FLAG_SEQUENCE_HEADER),
            (VIDEO, flv::FLAG_KEYFRAME),
        ]
    );
    assert!(early.stats().tags_dropped > 0);
}
