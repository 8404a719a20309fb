//! Wake-up benchmark through the C ABI: what an event-loop server pays.
//!
//! Every call goes through the `extern "C"` functions of
//! `include/livehub.h` (see `ffi.rs`), with players as C servers run them:
//! a notify callback set, reading each round to the live edge (so every
//! player is armed when the next push comes), in one group or in none. The
//! stream is the fan-out bench's 4 Mbit/s FLV workload, pushed in rounds of
//! one second of stream (about 68 tags).
//!
//! Rows, each the median of `LIVEHUB_BENCH_RUNS` samples (default 5):
//! 1. publish ns per tag at 1 to 100,000 players: armed in one group;
//!    armed without a group (each callback runs on the publisher's thread);
//!    at the live edge with no callback and no group (nothing to wake);
//!    the unarmed control (players read exactly the round and stop one tag
//!    short of the edge, so no push wakes anyone); the SRS-shaped queue.
//! 2. delivery ns per tag per player at 1,000 players through
//!    `livehub_player_read`, `_read_batch` and `_read_iov`, armed in one
//!    group, against the SRS-shaped pop + free.
//! 3. wake-ups: wake calls per group per round (counted), dispatch ns per
//!    round and per player callback.
//! 4. threaded: a publisher thread and two loop threads with a group each
//!    (wake signals the loop, which dispatches and reads its players).
//!
//! `cargo bench --bench cabi` (part of `make bench`) measures; without
//! `--bench` (as `cargo test --all-targets` runs it) one small sample.
//! `LIVEHUB_CABI_PLAYERS="100000"` narrows table 1 to those counts.

// The fan-out bench's support modules; this bench uses some of them.
#[allow(dead_code)]
#[path = "../support/mod.rs"]
mod support;

mod ffi;

use ffi::{Group, Player, Stream, AGAIN, EMPTY_IOV, EMPTY_TAG, OK};
use serde_json::json;
use std::ffi::c_void;
use std::hint::black_box;
use std::ptr::null_mut;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};
use support::designs::SrsLocal;
use support::report::{emit, fmt, fmt_int, fmt_ratio, median, stat, Table};
use support::scenarios::{self, unit_median, WARMUP_S};
use support::workload::{Round, Workload};

/// Notify callbacks run so far (all players share the counter: a server's
/// callback marks its connection ready, about as cheap).
static NOTIFIED: AtomicU64 = AtomicU64::new(0);
/// Group wake calls so far.
static WAKES: AtomicU64 = AtomicU64::new(0);

extern "C" fn count_notify(_: *mut c_void) {
    NOTIFIED.fetch_add(1, Ordering::Relaxed);
}

extern "C" fn count_wake(_: *mut c_void) {
    WAKES.fetch_add(1, Ordering::Relaxed);
}

/// How the players wait.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Arm {
    /// Read to the edge, armed in one group.
    Grouped,
    /// Read to the edge, armed on the stream (callback on the pusher).
    Single,
    /// Read to the edge with no callback and no group (a server that
    /// polls its players): nothing to wake.
    NoCallback,
    /// Control: read exactly each round, never armed.
    Unarmed,
}

impl Arm {
    fn name(self) -> &'static str {
        match self {
            Arm::Grouped => "armed, one group",
            Arm::Single => "armed, no group",
            Arm::NoCallback => "at the edge, no callback",
            Arm::Unarmed => "unarmed (control)",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    Read,
    Batch,
    Iov,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Read => "read",
            Mode::Batch => "read_batch",
            Mode::Iov => "read_iov",
        }
    }
}

const BATCH: usize = 64;
const IOV: usize = 65;

#[derive(Clone, Copy, Default, Debug)]
struct Sample {
    publish_ns: f64,
    delivery_ns: f64,
    /// Per round: dispatch time, callbacks run, group wakes.
    dispatch_ns: f64,
    callbacks: f64,
    wakes: f64,
}

fn push_round(p: &mut ffi::Publisher, w: &Workload, r: &Round) {
    for t in &r.tags {
        p.push(t.tag_type, t.ts, w.body(t));
    }
}

/// Reads until AGAIN; returns the bytes (bodies, or the FLV bytes for
/// `read_iov`) and the tags or slices.
fn read_to_edge(pl: &mut Player, mode: Mode) -> usize {
    let mut bytes = 0;
    match mode {
        Mode::Read => {
            let mut t = EMPTY_TAG;
            loop {
                match pl.read(&mut t) {
                    OK => {
                        black_box(t.data);
                        black_box((t.timestamp, t.tag_type));
                        bytes += t.size;
                    }
                    AGAIN => return bytes,
                    r => panic!("read: {r}"),
                }
            }
        }
        Mode::Batch => {
            let mut tags = [EMPTY_TAG; BATCH];
            loop {
                let mut n = 0;
                match pl.read_batch(&mut tags, &mut n) {
                    OK => {
                        for t in &tags[..n] {
                            black_box(t.data);
                            black_box((t.timestamp, t.tag_type));
                            bytes += t.size;
                        }
                        // Short of `cap`: the live edge, armed already.
                        if n < BATCH {
                            return bytes;
                        }
                    }
                    AGAIN => return bytes,
                    r => panic!("read_batch: {r}"),
                }
            }
        }
        Mode::Iov => {
            let mut iov = [EMPTY_IOV; IOV];
            loop {
                let mut n = 0;
                match pl.read_iov(&mut iov, &mut n) {
                    OK => {
                        for v in &iov[..n] {
                            black_box(v.base);
                            bytes += v.len;
                        }
                    }
                    AGAIN => return bytes,
                    r => panic!("read_iov: {r}"),
                }
            }
        }
    }
}

/// Reads exactly the tags of `round` (the unarmed control).
fn read_exactly(pl: &mut Player, mode: Mode, round: &Round) -> usize {
    let mut bytes = 0;
    let mut left = round.tags.len();
    match mode {
        Mode::Read => {
            let mut t = EMPTY_TAG;
            for _ in 0..left {
                assert_eq!(pl.read(&mut t), OK);
                black_box(t.data);
                black_box((t.timestamp, t.tag_type));
                bytes += t.size;
            }
        }
        Mode::Batch => {
            let mut tags = [EMPTY_TAG; BATCH];
            while left > 0 {
                let mut n = 0;
                assert_eq!(pl.read_batch(&mut tags[..left.min(BATCH)], &mut n), OK);
                for t in &tags[..n] {
                    black_box(t.data);
                    black_box((t.timestamp, t.tag_type));
                    bytes += t.size;
                }
                left -= n;
            }
        }
        Mode::Iov => {
            let mut iov = [EMPTY_IOV; IOV];
            while left > 0 {
                let k = left.min(IOV / 2);
                let mut n = 0;
                assert_eq!(pl.read_iov(&mut iov[..2 * k + 1], &mut n), OK);
                for v in &iov[..n] {
                    black_box(v.base);
                    bytes += v.len;
                }
                left -= k;
            }
        }
    }
    bytes
}

/// Rounds of the paced variant start this far apart whatever N (the thread
/// spins out the rest), longer than 100,000 players take to read a round:
/// every N gives the publisher the same wall-clock gap since its last push.
const PACE: Duration = Duration::from_millis(250);
/// Timed rounds of the paced variant (at most).
const PACED_ROUNDS: usize = 8;

/// One sample: `n` players on one thread, `rounds` timed rounds, each
/// round started `pace` after the previous one if set.
fn single(
    w: &Workload,
    n: usize,
    arm: Arm,
    mode: Mode,
    rounds: usize,
    pace: Option<Duration>,
) -> Sample {
    let s = Stream::new("bench/cabi");
    let mut p = s.publish();
    for t in &w.headers {
        p.push(t.tag_type, t.ts, w.body(t));
    }
    for r in &w.rounds[..WARMUP_S] {
        push_round(&mut p, w, r);
    }
    let group = (arm == Arm::Grouped).then(|| Group::new(count_wake, null_mut()));
    let mut players: Vec<Player> = (0..n)
        .map(|_| {
            let notify = (arm != Arm::NoCallback).then_some(count_notify as ffi::Callback);
            s.play(group.as_ref(), notify, null_mut())
        })
        .collect();
    for pl in &mut players {
        read_to_edge(pl, mode); // the join prelude; arms
    }
    let expect = |r: &Round| match mode {
        Mode::Iov => r.flv_bytes,
        _ => r.body_bytes,
    };
    let mut publish = Vec::with_capacity(rounds);
    let mut read = Vec::with_capacity(rounds);
    let mut tags = Vec::with_capacity(rounds);
    let (mut dispatch, mut calls, mut wakes) = (Vec::new(), Vec::new(), Vec::new());
    // One untimed round, then the timed ones.
    let mut next = Instant::now();
    for (i, round) in w.rounds[WARMUP_S..WARMUP_S + 1 + rounds].iter().enumerate() {
        if let Some(pace) = pace {
            while Instant::now() < next {
                std::hint::spin_loop();
            }
            next = Instant::now() + pace;
        }
        let (w0, c0) = (
            WAKES.load(Ordering::Relaxed),
            NOTIFIED.load(Ordering::Relaxed),
        );
        let t = Instant::now();
        push_round(&mut p, w, round);
        let pt = t.elapsed();
        let t = Instant::now();
        let fired = group.as_ref().map_or(0, Group::dispatch);
        let dt = t.elapsed();
        let t = Instant::now();
        for pl in &mut players {
            let got = match arm {
                Arm::Unarmed => read_exactly(pl, mode, round),
                _ => read_to_edge(pl, mode),
            };
            assert_eq!(got, expect(round), "{arm:?} {mode:?}: a round read short");
        }
        let rt = t.elapsed();
        if i == 0 {
            continue;
        }
        publish.push(pt);
        read.push(rt);
        tags.push(round.tags.len() as u64);
        dispatch.push(dt.as_nanos() as f64);
        calls.push((NOTIFIED.load(Ordering::Relaxed) - c0) as f64);
        wakes.push((WAKES.load(Ordering::Relaxed) - w0) as f64);
        if arm == Arm::Grouped {
            assert_eq!(fired, n, "every armed player had news");
        }
    }
    drop(players);
    drop(group);
    Sample {
        publish_ns: unit_median(&publish, &tags, 1),
        delivery_ns: unit_median(&read, &tags, n as u64),
        dispatch_ns: median(&dispatch),
        callbacks: median(&calls),
        wakes: median(&wakes),
    }
}

// ------------------------------------------------------------- threaded

/// A loop thread's wake-up: what an eventfd is to a real server.
#[derive(Default)]
struct LoopSignal {
    pending: Mutex<bool>,
    cond: Condvar,
    wakes: AtomicU64,
    dispatches: AtomicU64,
}

extern "C" fn loop_wake(ud: *mut c_void) {
    // SAFETY: `ud` is the `LoopSignal` of this group, which outlives the
    // group (`threaded` drops the group before the signal).
    let sig = unsafe { &*(ud as *const LoopSignal) };
    sig.wakes.fetch_add(1, Ordering::Relaxed);
    *sig.pending.lock().unwrap() = true;
    sig.cond.notify_one();
}

#[derive(Clone, Copy, Default, Debug)]
struct ThreadedSample {
    publish_ns: f64,
    round_ns_per_tag_per_player: f64,
    wakes_per_group_per_round: f64,
    /// Wakes over dispatch cycles: at most 1 (one wake per cycle).
    wakes_per_dispatch: f64,
}

/// A publisher thread (this one) and two loop threads with a group each,
/// `n / 2` players each, reading with `read_batch`.
fn threaded(w: &Workload, n: usize, rounds: usize) -> ThreadedSample {
    let s = Arc::new(Stream::new("bench/cabi-threaded"));
    let mut p = s.publish();
    for t in &w.headers {
        p.push(t.tag_type, t.ts, w.body(t));
    }
    for r in &w.rounds[..WARMUP_S] {
        push_round(&mut p, w, r);
    }
    let delivered = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut loops = Vec::new();
    for _ in 0..2 {
        let sig = Arc::new(LoopSignal::default());
        let group = Arc::new(Group::new(
            loop_wake,
            Arc::as_ptr(&sig) as *const c_void as *mut c_void,
        ));
        let mut players: Vec<Player> = (0..n / 2)
            .map(|_| s.play(Some(&group), Some(count_notify), null_mut()))
            .collect();
        for pl in &mut players {
            read_to_edge(pl, Mode::Batch);
        }
        let (sig2, group2, delivered, stop) =
            (sig.clone(), group.clone(), delivered.clone(), stop.clone());
        let t = std::thread::spawn(move || {
            loop {
                {
                    let mut pending = sig2.pending.lock().unwrap();
                    while !*pending && !stop.load(Ordering::Relaxed) {
                        pending = sig2
                            .cond
                            .wait_timeout(pending, Duration::from_millis(50))
                            .unwrap()
                            .0;
                    }
                    *pending = false;
                }
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                sig2.dispatches.fetch_add(1, Ordering::Relaxed);
                group2.dispatch();
                let mut bytes = 0;
                for pl in &mut players {
                    bytes += read_to_edge(pl, Mode::Batch);
                }
                delivered.fetch_add(bytes as u64, Ordering::Relaxed);
            }
            drop(players);
        });
        loops.push((sig, group, t));
    }
    let per_player: u64 = (n / 2 * 2) as u64;
    let (mut publish, mut whole, mut tags) = (Vec::new(), Vec::new(), Vec::new());
    let mut wakes = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(600);
    for (i, round) in w.rounds[WARMUP_S..WARMUP_S + 1 + rounds].iter().enumerate() {
        let target = delivered.load(Ordering::Relaxed) + round.body_bytes as u64 * per_player;
        let w0: u64 = loops
            .iter()
            .map(|l| l.0.wakes.load(Ordering::Relaxed))
            .sum();
        let t = Instant::now();
        push_round(&mut p, w, round);
        let pt = t.elapsed();
        while delivered.load(Ordering::Relaxed) < target {
            assert!(
                Instant::now() < deadline,
                "threaded: loops stopped delivering"
            );
            std::thread::yield_now();
        }
        let rt = t.elapsed();
        let w1: u64 = loops
            .iter()
            .map(|l| l.0.wakes.load(Ordering::Relaxed))
            .sum();
        if i == 0 {
            continue;
        }
        publish.push(pt);
        whole.push(rt);
        tags.push(round.tags.len() as u64);
        wakes.push((w1 - w0) as f64 / 2.0);
    }
    stop.store(true, Ordering::Relaxed);
    let total_wakes: u64 = loops
        .iter()
        .map(|l| l.0.wakes.load(Ordering::Relaxed))
        .sum();
    let total_dispatches: u64 = loops
        .iter()
        .map(|l| l.0.dispatches.load(Ordering::Relaxed))
        .sum();
    for (sig, group, t) in loops {
        sig.cond.notify_one();
        t.join().unwrap();
        drop(group);
        drop(sig);
    }
    ThreadedSample {
        publish_ns: unit_median(&publish, &tags, 1),
        round_ns_per_tag_per_player: unit_median(&whole, &tags, per_player),
        wakes_per_group_per_round: median(&wakes),
        wakes_per_dispatch: total_wakes as f64 / total_dispatches.max(1) as f64,
    }
}

// ----------------------------------------------------------------- main

struct Plan {
    full: bool,
    runs: usize,
    players: Vec<usize>,
    delivery_players: usize,
    threaded_players: Vec<usize>,
}

impl Plan {
    fn rounds(&self, n: usize) -> usize {
        match (self.full, n) {
            (false, _) => 2,
            (true, 0..=1_000) => 20,
            (true, 1_001..=10_000) => 10,
            (true, _) => 4,
        }
    }
}

fn med(samples: &[Sample], f: impl Fn(&Sample) -> f64) -> f64 {
    median(&samples.iter().map(f).collect::<Vec<_>>())
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let runs = std::env::var("LIVEHUB_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&r: &usize| r > 0)
        .unwrap_or(if full { 5 } else { 1 });
    let plan = if full {
        Plan {
            full,
            runs,
            players: vec![1, 1_000, 10_000, 100_000],
            delivery_players: 1_000,
            threaded_players: vec![1_000, 10_000],
        }
    } else {
        Plan {
            full,
            runs: 1,
            players: vec![1, 100],
            delivery_players: 100,
            threaded_players: vec![100],
        }
    };
    // LIVEHUB_CABI_PLAYERS="100000": only these player counts in table 1
    // (to profile one row).
    let mut plan = plan;
    if let Ok(v) = std::env::var("LIVEHUB_CABI_PLAYERS") {
        plan.players = v
            .split_whitespace()
            .filter_map(|n| n.parse().ok())
            .collect();
    }
    let w = Workload::new(WARMUP_S + 1 + plan.rounds(1) + 1);
    println!(
        "cabi bench: {} runs per figure, players {:?}, through the C ABI",
        plan.runs, plan.players
    );

    // 1. Publish flatness (read_batch readers) and the SRS-shaped queue.
    let arms = [Arm::Grouped, Arm::Single, Arm::NoCallback, Arm::Unarmed];
    let mut flat = Table::new(&[
        "players",
        "armed, one group",
        "armed, no group",
        "at the edge, no callback",
        "unarmed (control)",
        "srs-shaped",
        "group vs 1 player",
        "srs / group",
        "wakes/round",
        "group, paced",
        "vs 1 player",
    ]);
    let mut base = None;
    let mut paced_base = None;
    let mut ratios = Vec::new();
    for &n in &plan.players {
        let rounds = plan.rounds(n);
        let mut cells = vec![fmt_int(n)];
        let mut pub_ns = Vec::new();
        let mut group_wakes = 0.0;
        for arm in arms {
            let samples: Vec<Sample> = (0..plan.runs)
                .map(|_| single(&w, n, arm, Mode::Batch, rounds, None))
                .collect();
            let p = med(&samples, |s| s.publish_ns);
            emit(json!({
                "scenario": "cabi-publish", "players": n, "arm": arm.name(), "delivery": "read_batch",
                "publish_ns_per_tag": stat(&samples.iter().map(|s| s.publish_ns).collect::<Vec<_>>(), 1),
                "delivery_ns_per_tag_per_player": med(&samples, |s| s.delivery_ns),
                "wakes_per_round": med(&samples, |s| s.wakes),
                "callbacks_per_round": med(&samples, |s| s.callbacks),
            }));
            if arm == Arm::Grouped {
                group_wakes = med(&samples, |s| s.wakes);
            }
            pub_ns.push(p);
            cells.push(fmt(p));
        }
        let srs: Vec<f64> = (0..plan.runs)
            .map(|_| scenarios::single(SrsLocal::new(), &w, n, rounds).publish_ns_per_tag)
            .collect();
        let srs = median(&srs);
        emit(
            json!({"scenario": "cabi-publish", "players": n, "design": "srs-shaped", "publish_ns_per_tag": srs}),
        );
        let paced: Vec<f64> = (0..plan.runs)
            .map(|_| {
                let r = rounds.min(PACED_ROUNDS);
                single(&w, n, Arm::Grouped, Mode::Batch, r, Some(PACE)).publish_ns
            })
            .collect();
        let paced = median(&paced);
        emit(
            json!({"scenario": "cabi-publish-paced", "players": n, "arm": Arm::Grouped.name(),
            "pace_ms": PACE.as_millis() as u64, "publish_ns_per_tag": paced}),
        );
        let b = *base.get_or_insert(pub_ns[0]);
        let pb: f64 = *paced_base.get_or_insert(paced);
        cells.push(fmt(srs));
        cells.push(fmt_ratio(pub_ns[0] / b));
        cells.push(fmt_ratio(srs / pub_ns[0]));
        cells.push(fmt(group_wakes));
        cells.push(fmt(paced));
        cells.push(fmt_ratio(paced / pb));
        ratios.push((n, pub_ns[0] / b, paced / pb, srs / pub_ns[0], group_wakes));
        flat.row(cells);
    }
    println!(
        "\n1. publish ns per tag (players read to the live edge with read_batch; callbacks set)"
    );
    flat.print();
    println!(
        "   armed: every player reads to the live edge each round (re-arming); the group is dispatched\n   \
         between the push and the reads. at the edge, no callback: read to the live edge, no callback, no\n   \
         group (nothing to wake: the player stays off the waiter list).\n   \
         unarmed (control): players read exactly the round, no wake-up.\n   \
         paced: the grouped variant with rounds {} ms apart, whatever N.",
        PACE.as_millis()
    );

    // 2. Delivery at `delivery_players`, armed in one group.
    let n = plan.delivery_players;
    let rounds = plan.rounds(n);
    let srs: Vec<f64> = (0..plan.runs)
        .map(|_| scenarios::single(SrsLocal::new(), &w, n, rounds).delivery_ns_per_tag_per_player)
        .collect();
    let srs = median(&srs);
    let mut delivery = Table::new(&[
        "delivery",
        "ns/tag/player",
        "srs-shaped pop+free",
        "srs / livehub",
    ]);
    let mut delivery_ratios: Vec<(&str, f64, f64)> = Vec::new();
    let mut wake = Table::new(&[
        "delivery",
        "wakes/group/round",
        "dispatch ns/round",
        "ns per callback",
    ]);
    for mode in [Mode::Read, Mode::Batch, Mode::Iov] {
        let samples: Vec<Sample> = (0..plan.runs)
            .map(|_| single(&w, n, Arm::Grouped, mode, rounds, None))
            .collect();
        let d = med(&samples, |s| s.delivery_ns);
        emit(json!({
            "scenario": "cabi-delivery", "players": n, "delivery": mode.name(),
            "delivery_ns_per_tag_per_player": stat(&samples.iter().map(|s| s.delivery_ns).collect::<Vec<_>>(), 2),
            "srs_pop_ns": srs,
            "dispatch_ns_per_round": med(&samples, |s| s.dispatch_ns),
            "wakes_per_round": med(&samples, |s| s.wakes),
        }));
        delivery.row(vec![
            mode.name().into(),
            fmt(d),
            fmt(srs),
            fmt_ratio(srs / d),
        ]);
        match mode {
            Mode::Read => delivery_ratios.push(("read", srs / d, 1.0)),
            Mode::Batch => delivery_ratios.push(("read_batch", srs / d, 3.0)),
            Mode::Iov => {}
        }
        let disp = med(&samples, |s| s.dispatch_ns);
        wake.row(vec![
            mode.name().into(),
            fmt(med(&samples, |s| s.wakes)),
            fmt(disp),
            fmt(disp / n as f64),
        ]);
    }
    println!(
        "\n2. delivery at {} players, armed in one group, through the C ABI",
        fmt_int(n)
    );
    delivery.print();
    println!(
        "\n3. wake-ups at {} players in one group (one wake per group per round is the target)",
        fmt_int(n)
    );
    wake.print();

    // 4. Threaded: two loop groups.
    let mut th = Table::new(&[
        "players",
        "publish ns/tag",
        "round ns/tag/player",
        "wakes/group/round",
        "wakes/dispatch",
    ]);
    for &n in &plan.threaded_players {
        let rounds = plan.rounds(n);
        let samples: Vec<ThreadedSample> =
            (0..plan.runs).map(|_| threaded(&w, n, rounds)).collect();
        let m = |f: fn(&ThreadedSample) -> f64| median(&samples.iter().map(f).collect::<Vec<_>>());
        emit(json!({
            "scenario": "cabi-threaded", "players": n, "groups": 2,
            "publish_ns_per_tag": m(|s| s.publish_ns),
            "round_ns_per_tag_per_player": m(|s| s.round_ns_per_tag_per_player),
            "wakes_per_group_per_round": m(|s| s.wakes_per_group_per_round),
            "wakes_per_dispatch": m(|s| s.wakes_per_dispatch),
        }));
        th.row(vec![
            fmt_int(n),
            fmt(m(|s| s.publish_ns)),
            fmt(m(|s| s.round_ns_per_tag_per_player)),
            fmt(m(|s| s.wakes_per_group_per_round)),
            fmt(m(|s| s.wakes_per_dispatch)),
        ]);
    }
    println!(
        "\n4. threaded: publisher thread + 2 loop threads, one group each (read_batch; \
         a loop that catches up mid-round is woken again: one wake per dispatch cycle)"
    );
    th.print();

    println!("\n-- Targets (issue: player groups)");
    let mut t = Table::new(&["target", "back to back", "paced", ""]);
    for &(n, flat, paced, srs, wakes) in &ratios {
        let bound = match n {
            10_000 => 1.5,
            100_000 => 2.0,
            _ => continue,
        };
        t.row(vec![
            format!(
                "publish, one group, {} players <= {bound}x 1 player",
                fmt_int(n)
            ),
            fmt_ratio(flat),
            fmt_ratio(paced),
            match (flat <= bound, paced <= bound) {
                (true, _) => "MET",
                (false, true) => "MET paced only",
                (false, false) => "NOT MET",
            }
            .into(),
        ]);
        if n == 10_000 {
            t.row(vec![
                "publish, one group, 10,000 players >= 300x cheaper than srs-shaped".into(),
                fmt_ratio(srs),
                String::new(),
                verdict(srs >= 300.0).into(),
            ]);
        }
        t.row(vec![
            format!("one wake per group per round, {} players", fmt_int(n)),
            fmt(wakes),
            String::new(),
            verdict(wakes <= 1.0).into(),
        ]);
    }
    for (name, ratio, bound) in &delivery_ratios {
        t.row(vec![
            format!(
                "{name} at {} players: srs-shaped pop / livehub >= {bound}x",
                fmt_int(n)
            ),
            fmt_ratio(*ratio),
            String::new(),
            verdict(ratio >= bound).into(),
        ]);
    }
    t.print();
}

fn verdict(met: bool) -> &'static str {
    if met {
        "MET"
    } else {
        "NOT MET"
    }
}
