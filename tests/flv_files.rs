//! Real FLV files (tests/data/, made by scripts/make_samples.sh with ffmpeg)
//! through `Publisher::push_flv` and back out of `read_flv` / `read_iov`,
//! checked by ffprobe (frame counts), flvmeta (`--check`) and ffmpeg
//! (a clean decode). These tools must be on PATH: a missing one fails the
//! test, it is never skipped.

mod flvtools;
use flvtools::*;

use livehub::timestamp::Timeline;
use livehub::{flv, Error, Hub, Player};

/// Chunkings every sample is pushed with: one byte at a time, then seeded
/// random sizes from tiny to larger than the files.
const CUTS: [Cut; 5] = [
    Cut::Bytes,
    Cut::Random { seed: 1, max: 7 },
    Cut::Random { seed: 2, max: 700 },
    Cut::Random {
        seed: 3,
        max: 5_000,
    },
    Cut::Random {
        seed: 4,
        max: 100_000,
    },
];

/// The stream timeline of a whole input (see `livehub::timestamp`): what
/// the stream makes of each tag's timestamp.
fn timeline(tags: &[Tag]) -> Vec<u64> {
    let mut t = Timeline::default();
    tags.iter().map(|tag| t.map(tag.ts)).collect()
}

/// What a player's output of a whole sample must be: the input's tags, in
/// order, with the same bodies, the same track flags in the FLV header, and
/// the timestamps of the stream timeline (the samples start at 0; where
/// ffmpeg's muxer steps back — its closing end-of-sequence tag — the output
/// stays put).
fn assert_same_tags(name: &str, input: &[u8], output: &[u8]) {
    let (in_tracks, in_tags) = demux(input);
    let (out_tracks, out_tags) = demux(output);
    assert_eq!(out_tracks, in_tracks, "{name}: header track flags");
    assert_eq!(out_tags.len(), in_tags.len(), "{name}: tag count");
    let line = timeline(&in_tags);
    for (i, (a, b)) in in_tags.iter().zip(&out_tags).enumerate() {
        let want = Tag {
            ts: line[i] as u32,
            ..a.clone()
        };
        assert_eq!(&want, b, "{name}: tag {i} differs");
    }
    assert!(
        out_tags.windows(2).all(|w| w[0].ts <= w[1].ts),
        "{name}: output goes back"
    );
}

/// ffprobe's per-stream frame counts of the output equal the original's,
/// and flvmeta finds no error in the output.
fn assert_tools_agree(name: &str, original: &[(String, u64)], output: &[u8], label: &str) {
    let file = TempFile::new(label, output);
    let got = ffprobe_frames(file.path());
    assert_eq!(got, original, "{name} ({label}): ffprobe frame counts");
    assert_flvmeta_clean(file.path(), &format!("{name} ({label})"));
}

fn round_trip(name: &str, expected_streams: &[&str]) {
    let input = sample(name);
    let original = ffprobe_frames(data_path(name).to_str().unwrap());
    let kinds: Vec<&str> = original.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(kinds, expected_streams, "{name}: the sample's streams");
    assert!(
        original.iter().all(|(_, n)| *n > 50),
        "{name}: too few frames: {original:?}"
    );

    let mut reference: Option<Vec<u8>> = None;
    for (i, cut) in CUTS.iter().enumerate() {
        let hub = Hub::new(Default::default());
        let stream = hub.stream("live/sample").unwrap();
        // Both players are attached before the publisher starts.
        let mut by_flv = stream.play(Default::default()).unwrap();
        let mut by_iov = stream.play(Default::default()).unwrap();
        let mut publisher = stream.publish().unwrap();
        let mut flv_sink = Sink::flv(100 + i as u64);
        let mut iov_sink = Sink::iov(200 + i as u64);
        let mut pushes = 0u64;
        push_chunked(&mut publisher, &input, *cut, || {
            // Read now and then while publishing, not only at the end.
            pushes += 1;
            if pushes % 3 == 0 {
                assert_eq!(flv_sink.drain(&mut by_flv), Error::Again);
            }
            if pushes % 5 == 0 {
                assert_eq!(iov_sink.drain(&mut by_iov), Error::Again);
            }
        });
        assert_eq!(flv_sink.drain(&mut by_flv), Error::Again);
        assert_eq!(iov_sink.drain(&mut by_iov), Error::Again);
        for pl in [&by_flv, &by_iov] {
            assert_eq!(pl.stats().tags_dropped, 0, "{name} {cut:?}");
        }

        assert_same_tags(name, &input, &flv_sink.out);
        assert_eq!(
            iov_sink.out, flv_sink.out,
            "{name} {cut:?}: read_iov and read_flv differ"
        );
        match &reference {
            None => {
                assert_tools_agree(name, &original, &flv_sink.out, "read_flv");
                assert_tools_agree(name, &original, &iov_sink.out, "read_iov");
                reference = Some(flv_sink.out);
            }
            // Any chunking gives the very same bytes, which the tools
            // already checked.
            Some(r) => assert!(
                r == &flv_sink.out,
                "{name} {cut:?}: output differs from the 1-byte run"
            ),
        }
    }
}

#[test]
fn av_sample_round_trips() {
    round_trip("av.flv", &["video", "audio"]);
}

#[test]
fn video_sample_round_trips() {
    round_trip("video.flv", &["video"]);
}

#[test]
fn audio_sample_round_trips() {
    round_trip("audio.flv", &["audio"]);
}

/// The tags a player joining after the first `complete` input tags must
/// get: metadata, the sequence headers (audio first), then the input from
/// the newest keyframe among them — or, without video, from the live edge —
/// with timestamps rebased: the join point (that keyframe, or the first tag
/// after the live edge) is 0, and so are the tags before it.
fn expected_join(input: &[Tag], complete: usize) -> Vec<Tag> {
    let meta = input
        .iter()
        .find(|t| t.flags() & flv::FLAG_METADATA != 0)
        .expect("metadata");
    let sh = |ty: u8| {
        input
            .iter()
            .find(|t| t.tag_type == ty && t.flags() & flv::FLAG_SEQUENCE_HEADER != 0)
    };
    let key = input[..complete]
        .iter()
        .rposition(|t| t.tag_type == flv::TAG_VIDEO && t.flags() & flv::FLAG_KEYFRAME != 0);
    let line = timeline(input);
    let (from, origin) = match key {
        Some(k) => (k, line[k]),
        None => (complete, line[complete]),
    };
    let mut out = vec![Tag {
        ts: 0,
        ..meta.clone()
    }];
    out.extend(sh(flv::TAG_AUDIO).map(|t| Tag { ts: 0, ..t.clone() }));
    out.extend(sh(flv::TAG_VIDEO).map(|t| Tag { ts: 0, ..t.clone() }));
    out.extend((from..input.len()).map(|i| Tag {
        ts: (line[i] - origin) as u32,
        ..input[i].clone()
    }));
    out
}

fn late_join(name: &str) {
    let input = sample(name);
    let (_, in_tags) = demux(&input);
    let has_video = in_tags.iter().any(|t| t.tag_type == flv::TAG_VIDEO);
    let has_audio = in_tags.iter().any(|t| t.tag_type == flv::TAG_AUDIO);
    let mut missed_start = 0;
    // Cut points anywhere, including mid-tag; each run its own chunking.
    for (i, cut_at) in [
        input.len() / 2,
        input.len() / 3 + 17,
        input.len() * 3 / 4 + 1,
    ]
    .into_iter()
    .enumerate()
    {
        let hub = Hub::new(Default::default());
        let stream = hub.stream("live/late").unwrap();
        let mut publisher = stream.publish().unwrap();
        let cut = Cut::Random {
            seed: 40 + i as u64,
            max: 300 + 900 * i,
        };
        push_chunked(&mut publisher, &input[..cut_at], cut, || {});

        let mut complete = flv::Demuxer::new(flv::MAX_DATA_SIZE);
        let mut done = 0;
        complete.feed(&input[..cut_at], |_| done += 1).unwrap();
        let expected = expected_join(&in_tags, done);
        missed_start += usize::from(expected.len() < in_tags.len());

        let mut by_flv: Player = stream.play(Default::default()).unwrap();
        let mut by_iov = stream.play(Default::default()).unwrap();
        let mut flv_sink = Sink::flv(300 + i as u64);
        let mut iov_sink = Sink::iov(400 + i as u64);
        push_chunked(&mut publisher, &input[cut_at..], cut, || {});
        assert_eq!(flv_sink.drain(&mut by_flv), Error::Again);
        assert_eq!(iov_sink.drain(&mut by_iov), Error::Again);
        assert_eq!(
            iov_sink.out, flv_sink.out,
            "{name}: read_iov and read_flv differ"
        );

        let (tracks, tags) = demux(&flv_sink.out);
        assert_eq!(tracks, (has_audio, has_video), "{name}: header track flags");
        // Metadata, sequence headers, then a keyframe (video) or audio frames.
        assert_ne!(
            tags[0].flags() & flv::FLAG_METADATA,
            0,
            "{name}: metadata first"
        );
        let headers = usize::from(has_audio) + usize::from(has_video);
        for t in &tags[1..1 + headers] {
            assert_ne!(
                t.flags() & flv::FLAG_SEQUENCE_HEADER,
                0,
                "{name}: sequence headers next"
            );
        }
        if has_audio {
            assert_eq!(tags[1].tag_type, flv::TAG_AUDIO);
        }
        let first = &tags[1 + headers];
        if has_video {
            assert_eq!(
                first.tag_type,
                flv::TAG_VIDEO,
                "{name}: the GOP starts with video"
            );
            assert_ne!(
                first.flags() & flv::FLAG_KEYFRAME,
                0,
                "{name}: ... with a keyframe"
            );
        } else {
            assert_eq!(first.flags(), 0, "{name}: a coded audio frame");
        }
        assert_eq!(first.ts, 0, "{name}: rebased to the first frame");
        assert!(
            tags[..1 + headers].iter().all(|t| t.ts == 0),
            "{name}: rebased to the join point"
        );
        assert!(
            tags.windows(2).all(|w| w[0].ts <= w[1].ts),
            "{name}: timestamps go back"
        );
        assert_eq!(
            tags.len(),
            expected.len(),
            "{name}: tag count after the join"
        );
        for (j, (a, b)) in expected.iter().zip(&tags).enumerate() {
            assert_eq!(a, b, "{name}: joined tag {j} differs");
        }

        for (label, bytes) in [
            ("late-read_flv", &flv_sink.out),
            ("late-read_iov", &iov_sink.out),
        ] {
            let file = TempFile::new(label, bytes);
            let printed = ffmpeg_decode(file.path());
            assert!(
                printed.is_empty(),
                "{name} ({label}): ffmpeg printed:\n{printed}"
            );
            assert_flvmeta_clean(file.path(), &format!("{name} ({label})"));
        }
    }
    assert!(
        missed_start >= 2,
        "{name}: most joins should miss the start of the file"
    );
}

#[test]
fn late_joiner_av() {
    late_join("av.flv");
}

#[test]
fn late_joiner_video() {
    late_join("video.flv");
}

#[test]
fn late_joiner_audio() {
    late_join("audio.flv");
}

/// The checks above can fail: a damaged output is caught by each tool.
#[test]
fn the_tools_catch_damage() {
    let input = sample("av.flv");
    let original = ffprobe_frames(data_path("av.flv").to_str().unwrap());
    // Drop one video frame: ffprobe counts one frame less.
    let (_, tags) = demux(&input);
    let drop_at = tags
        .iter()
        .rposition(|t| t.tag_type == flv::TAG_VIDEO && t.data[..2] == [0x27, 1])
        .unwrap();
    let mut fewer = flv::file_header(true, true).to_vec();
    for (_, t) in tags.iter().enumerate().filter(|&(i, _)| i != drop_at) {
        fewer.extend_from_slice(&flv::tag_header(t.tag_type, t.data.len() as u32, t.ts));
        fewer.extend_from_slice(&t.data);
        fewer.extend_from_slice(&flv::prev_tag_size(t.data.len() as u32));
    }
    let file = TempFile::new("fewer", &fewer);
    assert_ne!(ffprobe_frames(file.path()), original);
    // A truncated file: flvmeta reports an error.
    let file = TempFile::new("truncated", &input[..input.len() - 100]);
    let check = flvmeta_check(file.path());
    assert!(check.errors > 0 && check.exit_code != Some(0), "{check:?}");
    // A damaged frame: ffmpeg complains while decoding.
    let mut damaged = input.clone();
    let mid = damaged.len() / 2;
    for b in &mut damaged[mid..mid + 64] {
        *b = 0xFF;
    }
    let file = TempFile::new("damaged", &damaged);
    assert!(!ffmpeg_decode(file.path()).is_empty());
}
