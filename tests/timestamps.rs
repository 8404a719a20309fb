//! Per-player output timestamps (policy in `livehub::timestamp`): never
//! going back when the input does (jitter, encoder restart, republish within
//! the wait), continuous over a 32-bit wrap, large forward jumps clamped;
//! rebase starts at 0, absolute keeps the stream timeline.

mod common;
use common::{aac, aac_sh, avc_sh, inter, keyframe, metadata, AUDIO, SCRIPT, VIDEO};

use livehub::timestamp::{Timeline, BACK_TOLERANCE_MS, DISCONTINUITY_STEP_MS, MAX_GAP_MS};
use livehub::{flv, Config, Error, Hub, PlayOptions, Player, Publisher, TimestampMode};
use rand::Rng;

mod flvtools;
use flvtools::rng;

const REBASE: PlayOptions = PlayOptions {
    timestamps: TimestampMode::Rebase,
    republish_wait_ms: None,
    group: None,
};
const ABSOLUTE: PlayOptions = PlayOptions {
    timestamps: TimestampMode::Absolute,
    republish_wait_ms: None,
    group: None,
};

fn hub() -> Hub {
    Hub::new(Config {
        republish_wait_ms: 60_000,
        max_lag_ms: u32::MAX,
        ..Default::default()
    })
}

/// The output timestamps a player can read now (it must still be live).
fn stamps(p: &mut Player) -> Vec<u32> {
    let mut out = Vec::new();
    loop {
        match p.read() {
            Ok(t) => out.push(t.timestamp),
            Err(e) => {
                assert_eq!(e, Error::Again);
                return out;
            }
        }
    }
}

/// Consecutive differences, modulo 2^32 (what a 32-bit FLV timestamp can say).
fn steps(ts: &[u32]) -> Vec<u32> {
    ts.windows(2).map(|w| w[1].wrapping_sub(w[0])).collect()
}

fn never_decreasing(ts: &[u32]) -> bool {
    ts.windows(2).all(|w| w[0] <= w[1])
}

/// Pushes audio frames at the given input timestamps.
fn push_audio(p: &mut Publisher, input: &[u32]) {
    for (i, &ts) in input.iter().enumerate() {
        p.push_tag(AUDIO, ts, &aac(i as u32)).unwrap();
    }
}

#[test]
fn small_steps_back_are_held() {
    let hub = hub();
    let s = hub.stream("ts/jitter").unwrap();
    let mut rebase = s.play(REBASE).unwrap();
    let mut absolute = s.play(ABSOLUTE).unwrap();
    let mut p = s.publish().unwrap();
    let back = BACK_TOLERANCE_MS;
    // Audio a little behind video, a step back of exactly the tolerance,
    // one just within it: held, and no drift once the input moves on.
    let input = [
        1_000,
        1_040,
        1_035,
        1_080,
        1_080 - back,
        1_100 - back,
        1_120,
        1_160,
    ];
    push_audio(&mut p, &input);
    assert_eq!(
        stamps(&mut absolute),
        [1_000, 1_040, 1_040, 1_080, 1_080, 1_080, 1_120, 1_160]
    );
    assert_eq!(stamps(&mut rebase), [0, 40, 40, 80, 80, 80, 120, 160]);
}

#[test]
fn encoder_restart_within_a_publish_goes_on() {
    // Timestamps fall back to 0 with the same publisher (an encoder restart
    // behind a relay): the output carries on 10 ms later.
    let hub = hub();
    let s = hub.stream("ts/restart").unwrap();
    let mut rebase = s.play(REBASE).unwrap();
    let mut absolute = s.play(ABSOLUTE).unwrap();
    let mut p = s.publish().unwrap();
    push_audio(
        &mut p,
        &[
            60_000,
            60_040,
            60_080,
            0,
            40,
            80,
            1_000 + BACK_TOLERANCE_MS,
            1_040,
        ],
    );
    let step = DISCONTINUITY_STEP_MS;
    let a = stamps(&mut absolute);
    assert_eq!(a[..3], [60_000, 60_040, 60_080]);
    assert_eq!(a[3], 60_080 + step);
    assert_eq!(steps(&a[3..6]), [40, 40]);
    // 80 -> 1250 is a forward step within MAX_GAP_MS: kept as it is.
    assert_eq!(a[6], a[5] + 1_170);
    // 1250 -> 1040 goes back by less than the tolerance: held.
    assert_eq!(a[7], a[6]);
    let r = stamps(&mut rebase);
    assert!(never_decreasing(&r) && never_decreasing(&a));
    assert_eq!(steps(&r), steps(&a));
    assert_eq!(r[0], 0);
}

#[test]
fn republish_within_the_wait_goes_on() {
    let hub = hub();
    let s = hub.stream("ts/republish").unwrap();
    let mut rebase = s.play(REBASE).unwrap();
    let mut absolute = s.play(ABSOLUTE).unwrap();
    let mut p = s.publish().unwrap();
    p.push_tag(SCRIPT, 90_000, &metadata()).unwrap();
    p.push_tag(AUDIO, 90_000, &aac_sh()).unwrap();
    p.push_tag(VIDEO, 90_000, &avc_sh(1)).unwrap();
    for n in 0..10 {
        p.push_tag(
            VIDEO,
            90_000 + n * 40,
            &if n == 0 { keyframe(n) } else { inter(n) },
        )
        .unwrap();
    }
    let before_a = stamps(&mut absolute);
    let before_r = stamps(&mut rebase);
    drop(p);
    // The same encoder comes back from 0, then another one from 5 000 000.
    for start in [0u32, 5_000_000] {
        let mut p = s.publish().unwrap();
        p.push_tag(AUDIO, start, &aac_sh()).unwrap();
        p.push_tag(VIDEO, start, &avc_sh(2)).unwrap();
        for n in 0..10 {
            p.push_tag(
                VIDEO,
                start + n * 40,
                &if n == 0 { keyframe(n) } else { inter(n) },
            )
            .unwrap();
        }
    }
    let a: Vec<u32> = before_a
        .iter()
        .copied()
        .chain(stamps(&mut absolute))
        .collect();
    let r: Vec<u32> = before_r
        .iter()
        .copied()
        .chain(stamps(&mut rebase))
        .collect();
    assert_eq!(a.len(), 3 + 10 + 2 * 12);
    assert_eq!(a[0], 90_000, "absolute keeps the publisher's timeline");
    assert_eq!(r[0], 0, "rebase starts at 0");
    assert!(never_decreasing(&a) && never_decreasing(&r), "{a:?}");
    assert_eq!(steps(&a), steps(&r));
    // Each republish is one discontinuity step after the last tag.
    assert_eq!(a[13], a[12] + DISCONTINUITY_STEP_MS);
    assert_eq!(a[25], a[24] + DISCONTINUITY_STEP_MS);
    assert_eq!(a[36], a[25] + 9 * 40);
}

#[test]
fn timestamps_wrap_at_2_pow_32() {
    let hub = hub();
    let s = hub.stream("ts/wrap").unwrap();
    let mut rebase = s.play(REBASE).unwrap();
    let mut absolute = s.play(ABSOLUTE).unwrap();
    let mut p = s.publish().unwrap();
    let input: Vec<u32> = (0..20u32)
        .map(|i| (u32::MAX - 200).wrapping_add(i * 23))
        .collect();
    assert!(input.windows(2).any(|w| w[1] < w[0]), "the input wraps");
    push_audio(&mut p, &input);
    // Rebase: a counter wrap is an ordinary step; nothing goes back.
    let r = stamps(&mut rebase);
    assert_eq!(r, (0..20).map(|i| i * 23).collect::<Vec<u32>>());
    // Absolute: the stream timeline modulo 2^32, wrapping where the input
    // did, by the same steps.
    let a = stamps(&mut absolute);
    assert_eq!(a, input);
    assert!(steps(&a).iter().all(|&d| d == 23));

    // The extended timestamp byte carries bits 24..31 in the byte stream.
    let s = hub.stream("ts/wrap-bytes").unwrap();
    let mut absolute = s.play(ABSOLUTE).unwrap();
    let mut p = s.publish().unwrap();
    push_audio(&mut p, &input);
    let mut bytes = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = absolute.read_flv(&mut buf) {
        bytes.extend_from_slice(&buf[..n]);
    }
    let mut d = flv::Demuxer::new(flv::MAX_DATA_SIZE);
    let mut got = Vec::new();
    d.feed(&bytes, |t| got.push(t.timestamp)).unwrap();
    assert_eq!(got, input);
}

#[test]
fn large_forward_jumps_are_clamped() {
    let hub = hub();
    let s = hub.stream("ts/jump").unwrap();
    let mut rebase = s.play(REBASE).unwrap();
    let mut absolute = s.play(ABSOLUTE).unwrap();
    let mut p = s.publish().unwrap();
    let gap = MAX_GAP_MS;
    push_audio(
        &mut p,
        &[
            0,
            40,
            40 + gap,
            40 + gap + 40,
            3_600_000,
            3_600_040,
            0x7FFF_FFFF,
        ],
    );
    let step = DISCONTINUITY_STEP_MS;
    let r = stamps(&mut rebase);
    // A step of exactly MAX_GAP_MS is kept; an hour or 24 days are not.
    assert_eq!(
        r,
        [
            0,
            40,
            40 + gap,
            80 + gap,
            80 + gap + step,
            120 + gap + step,
            120 + gap + 2 * step
        ]
    );
    assert_eq!(
        stamps(&mut absolute),
        r,
        "the timeline starts at the first input, 0"
    );
}

#[test]
fn rebase_starts_at_zero_and_absolute_keeps_the_timeline_for_late_joiners() {
    let hub = hub();
    let s = hub.stream("ts/late").unwrap();
    let mut p = s.publish().unwrap();
    p.push_tag(SCRIPT, 123_000, &metadata()).unwrap();
    p.push_tag(AUDIO, 123_000, &aac_sh()).unwrap();
    p.push_tag(VIDEO, 123_000, &avc_sh(1)).unwrap();
    for n in 0..60u32 {
        let ts = 123_000 + n * 40;
        p.push_tag(VIDEO, ts, &if n % 25 == 0 { keyframe(n) } else { inter(n) })
            .unwrap();
        p.push_tag(AUDIO, ts + 3, &aac(n)).unwrap();
    }
    // Joining at the keyframe of frame 50: the prelude and the keyframe
    // share the join point.
    let mut rebase = s.play(REBASE).unwrap();
    let mut absolute = s.play(ABSOLUTE).unwrap();
    p.push_tag(VIDEO, 123_000 + 60 * 40, &inter(60)).unwrap();
    let r = stamps(&mut rebase);
    let a = stamps(&mut absolute);
    let join = 123_000 + 50 * 40;
    assert_eq!(r[..4], [0, 0, 0, 0]);
    assert_eq!(a[..4], [join; 4]);
    assert_eq!(r.last(), Some(&(10 * 40)));
    assert_eq!(a.last(), Some(&(join + 10 * 40)));
    assert!(r.iter().zip(&a).all(|(r, a)| a - r == join));

    // An audio-only stream: the joiner starts at the live edge; its first
    // frame is 0, and the sequence header before it too. In absolute mode
    // the sequence header carries the newest position before the join.
    let s = hub.stream("ts/radio").unwrap();
    let mut p = s.publish().unwrap();
    p.push_tag(AUDIO, 7_000, &aac_sh()).unwrap();
    push_audio(&mut p, &[7_000, 7_023, 7_046]);
    let mut rebase = s.play(REBASE).unwrap();
    let mut absolute = s.play(ABSOLUTE).unwrap();
    push_audio(&mut p, &[7_069, 7_092]);
    assert_eq!(stamps(&mut rebase), [0, 0, 23]);
    assert_eq!(stamps(&mut absolute), [7_046, 7_069, 7_092]);
}

/// Seeded random inputs with every kind of jump; players join at random
/// times, half rebase, half absolute. Rebase outputs never decrease; every
/// player's output is the stream timeline shifted by its join point.
#[test]
fn random_inputs_never_go_back() {
    for seed in 0..20u64 {
        let mut r = rng(seed);
        let hub = hub();
        let s = hub.stream("ts/random").unwrap();
        let mut players: Vec<(Player, TimestampMode, Vec<u32>)> = Vec::new();
        let mut p = s.publish().unwrap();
        let mut timeline = Timeline::default();
        let mut line = Vec::new();
        let mut ts: u32 = r.gen();
        for i in 0..400u32 {
            ts = match r.gen_range(0..30) {
                0 => ts.wrapping_sub(r.gen_range(0..=BACK_TOLERANCE_MS)),
                1 => ts.wrapping_sub(r.gen_range(0..1_000_000)),
                2 => ts.wrapping_add(r.gen_range(0..=2 * MAX_GAP_MS)),
                3 => r.gen(),
                _ => ts.wrapping_add(r.gen_range(0..60)),
            };
            if r.gen_range(0..40) == 0 {
                drop(p);
                p = s.publish().unwrap();
            }
            if r.gen_range(0..25) == 0 {
                let mode = if r.gen() {
                    TimestampMode::Rebase
                } else {
                    TimestampMode::Absolute
                };
                let opts = PlayOptions {
                    timestamps: mode,
                    republish_wait_ms: None,
                    group: None,
                };
                players.push((s.play(opts).unwrap(), mode, Vec::new()));
            }
            p.push_tag(AUDIO, ts, &aac(i)).unwrap();
            line.push(timeline.map(ts));
            for (pl, _, out) in &mut players {
                if r.gen_range(0..4) == 0 {
                    out.extend(stamps(pl));
                }
            }
        }
        assert!(players.len() >= 5, "seed {seed}");
        for (pl, mode, out) in &mut players {
            out.extend(stamps(pl));
            // Each player got a suffix of the stream: the timeline shifted
            // by its origin (modulo 2^32).
            let got = out.len();
            let tail = &line[line.len() - got..];
            let shift = tail[0].wrapping_sub(u64::from(out[0])) as u32;
            for (o, t) in out.iter().zip(tail) {
                assert_eq!(o.wrapping_add(shift), *t as u32, "seed {seed} {mode:?}");
            }
            match mode {
                TimestampMode::Rebase => {
                    assert_eq!(out[0], 0, "seed {seed}: rebase starts at 0");
                    assert!(never_decreasing(out), "seed {seed}: {out:?}");
                }
                TimestampMode::Absolute => {
                    assert_eq!(shift, 0, "seed {seed}: absolute is the timeline")
                }
            }
        }
    }
}
