//! `read_batch` and `read_iov` hand out exactly what `read` does, whatever
//! happens to the stream in between: joins with a prelude, keyframe waits,
//! segment crossings, falling behind, republish, end of stream.

mod common;
use common::*;
use livehub::{flv, Config, Error, Hub, ManualClock, PlayOptions, Player, TimestampMode};
use std::sync::Arc;

/// xorshift64*: deterministic and good enough to vary a script.
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

fn got(t: livehub::TagView<'_>) -> Got {
    Got {
        tag_type: t.tag_type,
        ts: t.timestamp,
        flags: t.flags,
        data: t.data.to_vec(),
    }
}

/// Reads with `read_batch` in batches of random size until AGAIN or EOF.
fn drain_batch(p: &mut Player, rng: &mut Rng) -> (Vec<Got>, Error) {
    let mut out = Vec::new();
    for _ in 0..1_000_000 {
        let max = 1 + rng.below(100) as usize;
        let before = out.len();
        match p.read_batch(max, |t| out.push(got(t))) {
            Ok(n) => {
                assert_eq!(n, out.len() - before, "the count is what f got");
                assert!((1..=max).contains(&n), "{n} tags for max {max}");
            }
            Err(e) => {
                assert_eq!(out.len(), before, "an error hands out nothing");
                return (out, e);
            }
        }
    }
    panic!("drain_batch did not end");
}

/// Reads with `read_iov` in batches of random slice counts; the bytes.
fn drain_iov(p: &mut Player, rng: &mut Rng) -> (Vec<u8>, Error) {
    let mut out = Vec::new();
    for _ in 0..1_000_000 {
        let max = 3 + rng.below(200) as usize;
        match p.read_iov(max, |s| out.extend_from_slice(s)) {
            Ok(n) => assert!((1..=max).contains(&n)),
            Err(e) => return (out, e),
        }
    }
    panic!("drain_iov did not end");
}

/// The same tags as an HTTP-FLV byte stream, built from `read`'s output.
fn flv_of(tags: &[Got], with_header: bool) -> Vec<u8> {
    let mut v = Vec::new();
    if with_header {
        v.extend_from_slice(&flv::file_header(true, true));
    }
    for t in tags {
        let size = t.data.len() as u32;
        v.extend_from_slice(&flv::tag_header(t.tag_type, size, t.ts));
        v.extend_from_slice(&t.data);
        v.extend_from_slice(&flv::prev_tag_size(size));
    }
    v
}

/// One seeded script: a publisher pushing A/V with a varying GOP, with
/// republishes (inside and after the wait) and long pauses of the readers;
/// three players of each timestamp mode read the same thing the three ways.
fn script(seed: u64) -> (usize, usize) {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let clock = Arc::new(ManualClock::new(0));
    let hub = Hub::new(Config {
        clock: clock.clone(),
        republish_wait_ms: 2_000,
        max_lag_ms: 3_000,
        // Not reaped while nobody plays yet.
        idle_stream_ms: 1 << 30,
        ..Config::default()
    });
    let s = hub.stream("live/batch").unwrap();
    let mut publisher = Some(s.publish().unwrap());
    start(publisher.as_mut().unwrap(), 0);
    let mut t = 0;
    let mut n = 0;
    let mut players: Vec<[Player; 3]> = Vec::new();
    // Per group: whether the FLV header went out, and tags read.
    let mut seen: Vec<(bool, usize)> = Vec::new();
    // (end-of-stream results, reads by players that had skipped)
    let mut ended = (0, 0);
    for step in 0..60 {
        // Players join at random points (before any keyframe, mid-GOP...).
        if step % 10 == rng.below(3) && players.len() < 6 {
            let mode = if players.len() % 2 == 0 {
                TimestampMode::Rebase
            } else {
                TimestampMode::Absolute
            };
            let opts = PlayOptions {
                timestamps: mode,
                ..Default::default()
            };
            players.push([0, 1, 2].map(|_| s.play(opts.clone()).unwrap()));
            seen.push((false, 0));
        }
        match rng.below(10) {
            // Unpublish; the next publisher comes within the wait or after.
            0 if publisher.is_some() => {
                publisher = None;
                if rng.below(2) == 0 {
                    clock.advance(2_500);
                    hub.tick();
                }
            }
            _ => {
                let p = publisher.get_or_insert_with(|| {
                    let mut p = s.publish().unwrap();
                    start(&mut p, t);
                    p
                });
                let frames = 1 + rng.below(120) as u32;
                let gop = 10 + rng.below(60) as u32;
                t = push_av(p, t, frames, gop, n);
                if rng.below(2) == 0 {
                    // A late audio frame: players clamp it to their floor.
                    p.push_tag(AUDIO, t.saturating_sub(100), &aac(n)).unwrap();
                }
                n += frames;
                clock.advance(frames as u64 * 40);
            }
        }
        // Readers read now or fall behind (all three of a kind together).
        for (k, [a, b, c]) in players.iter_mut().enumerate() {
            if rng.below(4) == 0 {
                continue;
            }
            let (ta, ea) = drain(a);
            let (tb, eb) = drain_batch(b, &mut rng);
            let (bytes, ec) = drain_iov(c, &mut rng);
            assert_eq!(
                ta, tb,
                "seed {seed} step {step}: read_batch differs from read"
            );
            assert_eq!(ea, eb, "seed {seed} step {step}");
            // The first bytes carry the FLV header.
            let first = !seen[k].0 && !ta.is_empty();
            seen[k].0 |= first;
            let want = flv_of(&ta, first);
            assert_eq!(bytes, want, "seed {seed} step {step}: read_iov differs");
            assert_eq!(ea, ec, "seed {seed} step {step}");
            let (sa, sb, sc) = (a.stats(), b.stats(), c.stats());
            assert_eq!(sa, sb, "seed {seed} step {step}: stats");
            assert_eq!(sa, sc, "seed {seed} step {step}: stats");
            seen[k].1 += ta.len();
            if ea == Error::Eof {
                ended.0 += 1;
            }
            ended.1 += (sa.tags_dropped > 0) as usize;
        }
    }
    // Something real happened in every script.
    let read: usize = seen.iter().map(|s| s.1).sum();
    assert!(
        read > 500,
        "seed {seed}: {read} tags read: too few to mean anything"
    );
    ended
}

#[test]
fn batch_and_iov_reads_equal_single_reads_over_seeded_scripts() {
    let (mut ended, mut skipped) = (0, 0);
    for seed in 0..40 {
        let (e, s) = script(seed);
        ended += e;
        skipped += s;
    }
    // The scripts reached the paths they are meant to compare.
    assert!(ended > 0, "no script saw an end of stream");
    assert!(skipped > 0, "no player fell behind");
}

#[test]
fn read_batch_crosses_segments_and_stops_at_max() {
    let hub = Hub::new(Default::default());
    let s = hub.stream("live/cross").unwrap();
    let mut p = s.publish().unwrap();
    let mut pl = s.play(Default::default()).unwrap();
    start(&mut p, 0);
    push_av(&mut p, 0, 100, 50, 0); // 203 tags: several 64-tag segments
    let mut all = Vec::new();
    assert_eq!(pl.read_batch(150, |t| all.push(got(t))).unwrap(), 150);
    assert_eq!(pl.read_batch(1000, |t| all.push(got(t))).unwrap(), 53);
    assert_eq!(
        pl.read_batch(1000, |_| panic!("nothing left")),
        Err(Error::Again)
    );
    assert_eq!(
        pl.read_batch(0, |_| panic!("max 0")),
        Err(Error::InvalidArg)
    );
    assert_eq!(all.len(), 203);
    assert_eq!(all[0].flags, flv::FLAG_METADATA);
    let frames: Vec<u32> = all.iter().filter_map(frame_no).collect();
    let want: Vec<u32> = (0..100).flat_map(|i| [i, i]).collect();
    assert_eq!(frames, want, "every frame once, in order");
    let st = pl.stats();
    assert_eq!(st.tags_out, 203);
    assert_eq!(
        st.bytes_out,
        all.iter().map(|g| g.data.len() as u64).sum::<u64>()
    );
    // AGAIN armed the notifier: the next push wakes it.
    let woke = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let w = woke.clone();
    pl.notifier().set_callback(Some(Arc::new(move || {
        w.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    })));
    p.push_tag(AUDIO, 4_000, &aac(1000)).unwrap();
    assert_eq!(woke.load(std::sync::atomic::Ordering::SeqCst), 1);
    drop(p);
}

#[test]
fn read_batch_reports_eof_and_expiry_like_read() {
    let clock = Arc::new(ManualClock::new(0));
    let hub = Hub::new(Config {
        clock: clock.clone(),
        republish_wait_ms: 1_000,
        player_idle_timeout_ms: 5_000,
        ..Config::default()
    });
    let s = hub.stream("live/end").unwrap();
    let mut p = s.publish().unwrap();
    start(&mut p, 0);
    push_av(&mut p, 0, 10, 50, 0);
    let mut reader = s.play(Default::default()).unwrap();
    assert_eq!(reader.read_batch(100, |_| {}).unwrap(), 23);
    drop(p);
    clock.advance(1_500);
    hub.tick();
    assert_eq!(reader.read_batch(100, |_| {}), Err(Error::Eof));
    assert_eq!(reader.read_batch(100, |_| {}), Err(Error::Eof), "sticky");
    // The idle player never read while data waited: expired by the tick.
    let s2 = hub.stream("live/idle").unwrap();
    let mut p2 = s2.publish().unwrap();
    start(&mut p2, 0);
    let mut stalled = s2.play(Default::default()).unwrap();
    push_av(&mut p2, 0, 10, 50, 0);
    for _ in 0..4 {
        clock.advance(2_000);
        hub.tick();
    }
    assert_eq!(stalled.read_batch(100, |_| {}), Err(Error::Expired));
}

#[test]
fn a_batch_that_reaches_the_live_edge_arms_the_notifier() {
    let hub = Hub::new(Default::default());
    let s = hub.stream("live/arm").unwrap();
    let mut p = s.publish().unwrap();
    start(&mut p, 0);
    push_av(&mut p, 0, 10, 50, 0);
    let mut batch = s.play(Default::default()).unwrap();
    let mut iov = s.play(Default::default()).unwrap();
    let mut full = s.play(Default::default()).unwrap();
    // Short of max: the live edge was reached, so both are armed. `full`
    // stops at max with the edge not reached: not armed.
    assert_eq!(batch.read_batch(100, |_| {}).unwrap(), 23);
    assert!(iov.read_iov(1000, |_| {}).unwrap() > 0);
    assert_eq!(full.read_batch(5, |_| {}).unwrap(), 5);
    let woke: Vec<Arc<std::sync::atomic::AtomicUsize>> =
        (0..3).map(|_| Default::default()).collect();
    for (pl, w) in [&batch, &iov, &full].into_iter().zip(&woke) {
        let w = w.clone();
        pl.notifier().set_callback(Some(Arc::new(move || {
            w.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        })));
    }
    p.push_tag(AUDIO, 500, &aac(99)).unwrap();
    let counts: Vec<usize> = woke
        .iter()
        .map(|w| w.load(std::sync::atomic::Ordering::SeqCst))
        .collect();
    assert_eq!(counts, [1, 1, 0]);
}
