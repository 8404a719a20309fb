//! Property: any chunking of the same FLV bytes gives the same tags — from
//! `flv::Demuxer` and through `Publisher::push_flv` to a player — for the
//! real samples and for seeded synthetic streams, clean or damaged.
//! Deterministic: fixed seeds, no external tool.

mod flvtools;
use flvtools::{rng, sample, SAMPLES};

use livehub::{flv, Config, Error, Hub};
use rand::rngs::StdRng;
use rand::Rng;

/// What a demuxer made of a whole byte stream: the tags, whether any feed
/// reported an error, the fatal error if any, and its counters.
#[derive(Debug, PartialEq, Eq)]
struct Demuxed {
    tags: Vec<(u8, u32, Vec<u8>)>,
    any_error: bool,
    failed: Option<flv::FlvError>,
    counters: [u64; 4],
    buffered: usize,
}

fn demux_in(bytes: &[u8], cuts: &[usize], max_tag_size: u32) -> Demuxed {
    let mut d = flv::Demuxer::new(max_tag_size);
    let mut tags = Vec::new();
    let mut any_error = false;
    let mut at = 0;
    for &end in cuts.iter().chain(std::iter::once(&bytes.len())) {
        let r = d.feed(&bytes[at..end], |t| {
            tags.push((t.tag_type, t.timestamp, t.data.to_vec()))
        });
        any_error |= r.is_err();
        at = end;
    }
    Demuxed {
        tags,
        any_error,
        failed: d.failed(),
        counters: [
            d.tags_skipped(),
            d.prev_tag_size_mismatches(),
            d.resyncs(),
            d.bytes_discarded(),
        ],
        buffered: d.buffered(),
    }
}

/// Cut points (strictly inside, non-decreasing: equal ones make empty
/// feeds) of one random chunking of `len` bytes.
fn random_cuts(r: &mut StdRng, len: usize) -> Vec<usize> {
    let style = r.gen_range(0..6);
    let mut cuts = Vec::new();
    let mut at = 0;
    loop {
        let step = match style {
            0 => 1,
            1 => r.gen_range(1..4),
            2 => r.gen_range(1..40),
            3 => r.gen_range(1..2_000),
            4 => r.gen_range(0..100), // with empty feeds
            _ => {
                if r.gen_bool(0.1) {
                    r.gen_range(1..50_000)
                } else {
                    r.gen_range(1..16)
                }
            }
        };
        at += step;
        if at >= len {
            return cuts;
        }
        cuts.push(at);
    }
}

/// The reference (one feed) equals `rounds` random chunkings and the
/// byte-by-byte one.
fn check_demuxer(what: &str, bytes: &[u8], seed: u64, rounds: usize, max_tag_size: u32) -> Demuxed {
    let whole = demux_in(bytes, &[], max_tag_size);
    let ones: Vec<usize> = (1..bytes.len()).collect();
    assert!(
        demux_in(bytes, &ones, max_tag_size) == whole,
        "{what}: byte by byte"
    );
    let mut r = rng(seed);
    for round in 0..rounds {
        let cuts = random_cuts(&mut r, bytes.len());
        let got = demux_in(bytes, &cuts, max_tag_size);
        if got != whole {
            let brief = |d: &Demuxed| (d.tags.len(), d.any_error, d.failed, d.counters, d.buffered);
            panic!(
                "{what}: round {round} ({} cuts): {:?} vs whole {:?}",
                cuts.len(),
                brief(&got),
                brief(&whole)
            );
        }
    }
    whole
}

/// A tag as a player reads it.
type Read = (u8, u32, u32, Vec<u8>);

/// Pushes `bytes` in the given chunking to a fresh stream and returns what a
/// player attached beforehand reads with `read` (and how many tags it
/// dropped waiting for a keyframe), whether any push failed, and the
/// `read_flv` byte stream of a second player.
fn publish_in(bytes: &[u8], cuts: &[usize], cfg: Config) -> (Vec<Read>, bool, Vec<u8>, u64) {
    let hub = Hub::new(cfg);
    let s = hub.stream("live/chunks").unwrap();
    let mut reader = s.play(Default::default()).unwrap();
    let mut byter = s.play(Default::default()).unwrap();
    let mut p = s.publish().unwrap();
    let mut tags = Vec::new();
    let mut any_error = false;
    let mut flv_out = Vec::new();
    let mut buf = vec![0u8; 1000];
    let mut at = 0;
    for &end in cuts.iter().chain(std::iter::once(&bytes.len())) {
        any_error |= p.push_flv(&bytes[at..end]).is_err();
        at = end;
        loop {
            match reader.read() {
                Ok(t) => tags.push((t.tag_type, t.timestamp, t.flags, t.data.to_vec())),
                Err(e) => {
                    assert_eq!(e, Error::Again);
                    break;
                }
            }
        }
        while let Ok(n) = byter.read_flv(&mut buf) {
            flv_out.extend_from_slice(&buf[..n]);
        }
    }
    (tags, any_error, flv_out, reader.stats().tags_dropped)
}

fn check_publisher(what: &str, bytes: &[u8], seed: u64, rounds: usize, cfg: &Config) {
    let whole = publish_in(bytes, &[], cfg.clone());
    let mut r = rng(seed);
    for round in 0..rounds {
        let cuts = if round == 0 {
            (1..bytes.len()).collect()
        } else {
            random_cuts(&mut r, bytes.len())
        };
        let got = publish_in(bytes, &cuts, cfg.clone());
        assert_eq!(
            got.0.len(),
            whole.0.len(),
            "{what}: round {round}: tag count"
        );
        assert!(got.0 == whole.0, "{what}: round {round}: tags differ");
        assert_eq!(got.1, whole.1, "{what}: round {round}: error seen");
        assert_eq!(got.3, whole.3, "{what}: round {round}: tags dropped");
        // The FLV header's track flags say what the stream carried when the
        // player first read, which depends on the pushes so far: compare
        // everything after it.
        assert_eq!(
            got.2[..4],
            whole.2[..4],
            "{what}: round {round}: FLV header"
        );
        assert!(
            got.2[13..] == whole.2[13..],
            "{what}: round {round}: read_flv bytes differ"
        );
    }
}

#[test]
fn samples_demux_the_same_in_any_chunking() {
    for (i, name) in SAMPLES.iter().enumerate() {
        let bytes = sample(name);
        let d = check_demuxer(name, &bytes, 1_000 + i as u64, 40, flv::MAX_DATA_SIZE);
        assert!(
            d.tags.len() > 100 && !d.any_error && d.counters == [0; 4],
            "{name}"
        );
    }
}

#[test]
fn samples_publish_the_same_in_any_chunking() {
    for (i, name) in SAMPLES.iter().enumerate() {
        let bytes = sample(name);
        let cfg = Config {
            max_lag_ms: u32::MAX,
            ..Default::default()
        };
        check_publisher(name, &bytes, 2_000 + i as u64, 8, &cfg);
    }
}

/// What can go wrong in a synthetic stream.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Damage {
    None,
    /// Reserved types, filtered tags, wrong PreviousTagSizes, garbage,
    /// corrupted data sizes and unclassifiable bodies here and there.
    Some,
    /// As `Some`, then a tag over `max_tag_size` that ends the stream.
    Fatal,
}

/// A tag body the classifier accepts, of the given type.
fn body(r: &mut StdRng, tag_type: u8) -> Vec<u8> {
    let payload = match r.gen_range(0..10) {
        0 => 0,
        1..=7 => r.gen_range(1..300),
        _ => r.gen_range(300..5_000),
    };
    let mut v = match tag_type {
        flv::TAG_AUDIO => vec![0xAF, u8::from(!r.gen_bool(0.05))],
        flv::TAG_VIDEO => {
            let frame = if r.gen_bool(0.1) { 0x17 } else { 0x27 };
            vec![frame, u8::from(!r.gen_bool(0.05)), 0, 0, 0]
        }
        _ => {
            let mut m = vec![0x02, 0, 10];
            m.extend_from_slice(b"onMetaData");
            m
        }
    };
    v.extend((0..payload).map(|_| r.gen::<u8>()));
    v
}

/// A seeded synthetic FLV stream of about `tags` tags: every tag type,
/// empty and large bodies, extended timestamps, jumps back and forward.
fn synthetic(seed: u64, tags: usize, damage: Damage) -> Vec<u8> {
    let mut r = rng(seed);
    let mut out = flv::file_header(true, true).to_vec();
    let mut ts: u32 = r.gen_range(0..3) * 0x00FF_FF00;
    let push = |out: &mut Vec<u8>, type_byte: u8, ts: u32, body: &[u8]| {
        out.extend_from_slice(&flv::tag_header(type_byte, body.len() as u32, ts));
        out.extend_from_slice(body);
        out.extend_from_slice(&flv::prev_tag_size(body.len() as u32));
    };
    for _ in 0..tags {
        ts = match r.gen_range(0..40) {
            0 => ts.wrapping_sub(r.gen_range(0..100_000)),
            1 => ts.wrapping_add(r.gen_range(0..100_000)),
            _ => ts.wrapping_add(r.gen_range(0..50)),
        };
        let tag_type = [
            flv::TAG_AUDIO,
            flv::TAG_VIDEO,
            flv::TAG_VIDEO,
            flv::TAG_SCRIPT,
        ][r.gen_range(0..4)];
        let b = body(&mut r, tag_type);
        if damage == Damage::None || r.gen_range(0..12) != 0 {
            push(&mut out, tag_type, ts, &b);
            continue;
        }
        match r.gen_range(0..7) {
            0 => push(&mut out, [0u8, 7, 15, 31][r.gen_range(0..4)], ts, &b),
            1 => push(&mut out, tag_type | 0x20, ts, &b),
            2 => {
                push(&mut out, tag_type, ts, &b);
                let n = out.len();
                out[n - 1] ^= 1 + r.gen::<u8>() % 255;
            }
            3 => {
                // Garbage before the PreviousTagSize.
                push(&mut out, tag_type, ts, &b);
                let prev = out.split_off(out.len() - 4);
                let garbage: Vec<u8> = (0..r.gen_range(1..100)).map(|_| r.gen()).collect();
                out.extend(garbage);
                out.extend(prev);
            }
            4 => {
                // Garbage after the PreviousTagSize.
                let garbage: Vec<u8> = (0..r.gen_range(1..100)).map(|_| r.gen()).collect();
                out.extend(garbage);
                push(&mut out, tag_type, ts, &b);
            }
            5 => {
                // A data size a little off.
                push(&mut out, tag_type, ts, &b);
                let start = out.len() - 4 - b.len() - 11;
                let size = (b.len() as u32).saturating_sub(r.gen_range(1..10));
                out[start + 1..start + 4].copy_from_slice(&size.to_be_bytes()[1..]);
            }
            _ => push(
                &mut out,
                flv::TAG_VIDEO,
                ts,
                &[0x27, 1][..r.gen_range(0..3)],
            ),
        }
    }
    // A live stream goes on: a last, larger tag lets a resynchronisation
    // give up a false candidate before the end.
    push(&mut out, flv::TAG_AUDIO, ts, &[0xAF; 6_000]);
    if damage == Damage::Fatal {
        push(&mut out, flv::TAG_VIDEO, ts, &vec![0x27; 70_000]);
        push(&mut out, flv::TAG_AUDIO, ts, &[0xAF, 1, 2]);
    }
    out
}

#[test]
fn synthetic_streams_demux_the_same_in_any_chunking() {
    let mut damaged = 0;
    for seed in 0..18u64 {
        let damage = [Damage::None, Damage::Some, Damage::Fatal][seed as usize % 3];
        let bytes = synthetic(seed, 100, damage);
        let what = format!("seed {seed} {damage:?}");
        let d = check_demuxer(&what, &bytes, seed, 15, 65_536);
        match damage {
            Damage::None => assert!(
                !d.any_error && d.counters == [0; 4] && d.tags.len() == 101,
                "{what}"
            ),
            // Garbage right after a good PreviousTagSize may pass for a
            // tag over the limit, which is fatal.
            Damage::Some => assert!(
                d.any_error && d.failed != Some(flv::FlvError::Signature),
                "{what}"
            ),
            Damage::Fatal => assert_eq!(d.failed, Some(flv::FlvError::TooLarge), "{what}"),
        }
        damaged += usize::from(d.counters[2] > 0);
    }
    assert!(
        damaged >= 6,
        "the synthetic damage should make the demuxer resynchronise"
    );
}

#[test]
fn synthetic_streams_publish_the_same_in_any_chunking() {
    // No lag limit: how far behind a player is depends on when it reads.
    let cfg = Config {
        max_tag_size: 65_536,
        max_lag_ms: u32::MAX,
        ..Default::default()
    };
    for seed in 100..109u64 {
        let damage = [Damage::None, Damage::Some, Damage::Fatal][seed as usize % 3];
        let bytes = synthetic(seed, 120, damage);
        check_publisher(&format!("seed {seed} {damage:?}"), &bytes, seed, 6, &cfg);
    }
}

#[test]
fn every_two_way_split_of_a_small_stream() {
    for (seed, damage) in [(7u64, Damage::None), (8, Damage::Some)] {
        let bytes = synthetic(seed, 30, damage);
        let whole = demux_in(&bytes, &[], 65_536);
        for cut in 0..=bytes.len() {
            assert!(
                demux_in(&bytes, &[cut], 65_536) == whole,
                "seed {seed}: split at {cut}"
            );
        }
        // And a few three-way splits.
        let mut r = rng(seed);
        for _ in 0..2_000 {
            let mut cuts = [r.gen_range(0..=bytes.len()), r.gen_range(0..=bytes.len())];
            cuts.sort_unstable();
            assert!(
                demux_in(&bytes, &cuts, 65_536) == whole,
                "seed {seed}: split at {cuts:?}"
            );
        }
    }
}
