//! The measured workloads. Each function runs one sample on a fresh hub (or
//! baseline) and returns raw figures; medians and printing are elsewhere.

use super::designs::{Design, LiveMode, LiveReader, Livehub, Scratch};
use super::mem;
use super::workload::{Round, Workload};
use livehub::{flv, Error};
use std::hint::black_box;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Seconds of stream pushed before any reader attaches: longer than every
/// design's window (livehub: 10 s `max_lag_ms` + a GOP; broadcast: 1024
/// slots ≈ 15 s), so the timed rounds run in steady state, evictions
/// included.
pub const WARMUP_S: usize = 16;

fn publish_round<D: Design>(d: &mut D, w: &Workload, round: &Round) {
    for t in &round.tags {
        d.publish(t, w.body(t));
    }
}

/// Headers, then `WARMUP_S` seconds of stream, no reader attached.
fn warm_up<D: Design>(d: &mut D, w: &Workload) {
    for t in &w.headers {
        d.publish(t, w.body(t));
    }
    for r in &w.rounds[..WARMUP_S] {
        publish_round(d, w, r);
    }
}

/// Attaches `n` readers, lets them take their join prelude, and runs one
/// untimed round (which also wakes whatever the prelude reads armed).
/// Returns the readers and the attach time.
fn join<D: Design>(
    d: &mut D,
    w: &Workload,
    n: usize,
    scratch: &mut Scratch,
) -> (Vec<D::Reader>, Duration) {
    let t = Instant::now();
    let mut readers: Vec<D::Reader> = (0..n).map(|_| d.attach()).collect();
    let attach = t.elapsed();
    for r in &mut readers {
        D::drain(r, scratch);
    }
    let warm = &w.rounds[WARMUP_S];
    publish_round(d, w, warm);
    for r in &mut readers {
        D::read_round(r, warm, scratch);
    }
    (readers, attach)
}

/// The timed rounds after warm-up and join.
fn timed(w: &Workload, rounds: usize) -> &[Round] {
    &w.rounds[WARMUP_S + 1..WARMUP_S + 1 + rounds]
}

#[derive(Clone, Copy, Debug, Default)]
pub struct Single {
    /// Median over the run's GOP units (see [`unit_median`]).
    pub publish_ns_per_tag: f64,
    pub delivery_ns_per_tag_per_player: f64,
    /// Plain means over the whole run, for comparison.
    pub publish_mean_ns_per_tag: f64,
    pub delivery_mean_ns_per_tag_per_player: f64,
    pub attach_ns_per_player: f64,
    pub tags: u64,
}

/// Rounds per unit: one 2 s GOP, so every unit carries the same mix (one
/// keyframe, two seconds of inter frames and audio, about two segment
/// evictions).
pub const UNIT_ROUNDS: usize = 2;

/// The cost per tag (and per player) of each unit of [`UNIT_ROUNDS`] rounds,
/// then the median over units: a run on a shared machine is not ruined by
/// one preemption.
pub fn unit_median(took: &[Duration], tags: &[u64], per: u64) -> f64 {
    let units: Vec<f64> = took
        .chunks(UNIT_ROUNDS)
        .zip(tags.chunks(UNIT_ROUNDS))
        .map(|(d, t)| {
            d.iter().sum::<Duration>().as_nanos() as f64 / (t.iter().sum::<u64>() * per) as f64
        })
        .collect();
    super::report::median(&units)
}

/// One publisher and `n` readers on this thread, in rounds of one second of
/// stream: the publisher pushes the round, then every reader reads exactly
/// that round (readers keep up: nothing is skipped, no reader is armed).
pub fn single<D: Design>(mut d: D, w: &Workload, n: usize, rounds: usize) -> Single {
    let mut scratch = Scratch::new();
    warm_up(&mut d, w);
    let (mut readers, attach) = join(&mut d, w, n, &mut scratch);
    let mut publish = Vec::with_capacity(rounds);
    let mut read = Vec::with_capacity(rounds);
    let mut tags = Vec::with_capacity(rounds);
    for round in timed(w, rounds) {
        let t = Instant::now();
        publish_round(&mut d, w, round);
        publish.push(t.elapsed());
        let t = Instant::now();
        for r in &mut readers {
            D::read_round(r, round, &mut scratch);
        }
        read.push(t.elapsed());
        tags.push(round.tags.len() as u64);
    }
    drop(readers);
    let total: u64 = tags.iter().sum();
    let sum = |v: &[Duration]| v.iter().sum::<Duration>().as_nanos() as f64;
    Single {
        publish_ns_per_tag: unit_median(&publish, &tags, 1),
        delivery_ns_per_tag_per_player: unit_median(&read, &tags, n as u64),
        publish_mean_ns_per_tag: sum(&publish) / total as f64,
        delivery_mean_ns_per_tag_per_player: sum(&read) / (total * n as u64) as f64,
        attach_ns_per_player: attach.as_nanos() as f64 / n as f64,
        tags: total,
    }
}

/// Publish cost with the rounds paced: as [`single`], but every round
/// starts `period` after the previous one (the thread spins out the rest),
/// so the publisher finds the same wall-clock gap since its last push
/// whatever N — on a live stream pushes are 15 ms apart anyway. Returns the
/// publish ns per tag.
pub fn publish_paced<D: Design>(
    mut d: D,
    w: &Workload,
    n: usize,
    rounds: usize,
    period: Duration,
) -> f64 {
    let mut scratch = Scratch::new();
    warm_up(&mut d, w);
    let (mut readers, _) = join(&mut d, w, n, &mut scratch);
    let mut publish = Vec::with_capacity(rounds);
    let mut tags = Vec::with_capacity(rounds);
    let mut next = Instant::now() + period;
    for round in timed(w, rounds) {
        while Instant::now() < next {
            std::hint::spin_loop();
        }
        next = Instant::now() + period;
        let t = Instant::now();
        publish_round(&mut d, w, round);
        publish.push(t.elapsed());
        for r in &mut readers {
            D::read_round(r, round, &mut scratch);
        }
        tags.push(round.tags.len() as u64);
    }
    unit_median(&publish, &tags, 1)
}

/// What [`publish_after_gap`] does between rounds instead of N readers.
#[derive(Clone, Copy, Debug)]
pub enum Gap {
    /// Writes one byte per cache line of an unrelated buffer of this many
    /// bytes: the memory N readers' state passes through the caches.
    Sweep(usize),
    /// Spins this many microseconds touching no memory: the time N readers
    /// take, and nothing else.
    Spin(u64),
}

/// A control for what bounds publish flatness: one reader (as N = 1), then,
/// between rounds, after it read, a [`Gap`]. If the publish cost grows with
/// the gap the way it grows with N, the growth is not the push's work.
pub fn publish_after_gap<D: Design>(mut d: D, w: &Workload, rounds: usize, gap: Gap) -> f64 {
    let mut scratch = Scratch::new();
    warm_up(&mut d, w);
    let (mut readers, _) = join(&mut d, w, 1, &mut scratch);
    let mut sweep = vec![1u8; if let Gap::Sweep(b) = gap { b } else { 0 }];
    let mut publish = Vec::with_capacity(rounds);
    let mut tags = Vec::with_capacity(rounds);
    for round in timed(w, rounds) {
        let t = Instant::now();
        publish_round(&mut d, w, round);
        publish.push(t.elapsed());
        for r in &mut readers {
            D::read_round(r, round, &mut scratch);
        }
        match gap {
            Gap::Sweep(_) => {
                for line in sweep.chunks_mut(64) {
                    line[0] = line[0].wrapping_add(1);
                }
                std::hint::black_box(&mut sweep);
            }
            Gap::Spin(us) => {
                let t = Instant::now();
                while t.elapsed() < Duration::from_micros(us) {
                    std::hint::spin_loop();
                }
            }
        }
        tags.push(round.tags.len() as u64);
    }
    unit_median(&publish, &tags, 1)
}

/// Rounds the publisher runs alone before [`publish_idle`] times anything:
/// two windows' worth, so that what the join and the catch-up reads left in
/// the caches is gone and the publisher's own working set (the stream, the
/// ring, the recycled payload memory) is back.
pub const SETTLE_S: usize = 20;

/// The publish cost alone: the players attached (joined and caught up as
/// in [`single`]) but idle; the publisher pushes [`SETTLE_S`] untimed
/// seconds, then the timed rounds. Compared with [`single`], it separates
/// what a push costs from what the readers' work in between (on the same
/// core) does to the caches the push needs. (The idle players all pin the
/// segment they stand in, so one segment's payloads are freed at the end
/// instead of during a push.)
pub fn publish_idle<D: Design>(mut d: D, w: &Workload, n: usize, rounds: usize) -> f64 {
    let mut scratch = Scratch::new();
    warm_up(&mut d, w);
    let (readers, _) = join(&mut d, w, n, &mut scratch);
    let start = WARMUP_S + 1;
    for round in &w.rounds[start..start + SETTLE_S] {
        publish_round(&mut d, w, round);
    }
    let mut publish = Vec::with_capacity(rounds);
    let mut tags = Vec::with_capacity(rounds);
    for round in &w.rounds[start + SETTLE_S..start + SETTLE_S + rounds] {
        let t = Instant::now();
        publish_round(&mut d, w, round);
        publish.push(t.elapsed());
        tags.push(round.tags.len() as u64);
    }
    drop(readers);
    unit_median(&publish, &tags, 1)
}

/// Round progress shared by the publisher and the two reader threads.
struct Gate {
    state: Mutex<GateState>,
    cond: Condvar,
}

#[derive(Default)]
struct GateState {
    published: usize,
    consumed: [usize; 2],
    /// A thread panicked: everyone stops waiting.
    failed: bool,
}

impl Gate {
    fn wait(&self, ready: impl Fn(&GateState) -> bool) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        while !ready(&st) {
            assert!(!st.failed, "another benchmark thread panicked");
            st = self.cond.wait(st).unwrap_or_else(|e| e.into_inner());
        }
    }
    fn update(&self, f: impl FnOnce(&mut GateState)) {
        f(&mut self.state.lock().unwrap_or_else(|e| e.into_inner()));
        self.cond.notify_all();
    }
}

/// Marks the gate failed if its thread unwinds.
struct FailOnPanic<'a>(&'a Gate);

impl Drop for FailOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.update(|st| st.failed = true);
        }
    }
}

#[derive(Clone, Copy, Debug, Default)]
pub struct Threaded {
    /// Median over GOP units, as in [`Single`].
    pub publish_ns_per_tag: f64,
    /// Tags delivered (all readers) per second of wall time.
    pub deliveries_per_s: f64,
    /// Busy time of the reader threads per delivered tag.
    pub reader_ns_per_tag_per_player: f64,
}

/// Publisher on this thread, readers split in two halves on two threads.
/// The publisher runs at most two rounds (2 s of stream) ahead of the
/// slower reader thread, so every design delivers everything (livehub's
/// readers stay within `max_lag_ms`, broadcast receivers within capacity).
/// Waiting is blocking (condition variable), not spinning: there are two
/// cores for three threads.
pub fn threaded<D: Design>(mut d: D, w: &Workload, n: usize, rounds: usize) -> Threaded
where
    D::Reader: Send,
{
    let mut scratch = Scratch::new();
    warm_up(&mut d, w);
    let (mut readers, _) = join(&mut d, w, n, &mut scratch);
    let rounds = timed(w, rounds);
    let tags: u64 = rounds.iter().map(|r| r.tags.len() as u64).sum();
    let gate = Gate {
        state: Mutex::new(GateState::default()),
        cond: Condvar::new(),
    };
    let (a, b) = readers.split_at_mut(n / 2);
    let start = Instant::now();
    let (publish, busy) = std::thread::scope(|s| {
        let handles: Vec<_> = [a, b]
            .into_iter()
            .enumerate()
            .map(|(i, half)| {
                let gate = &gate;
                s.spawn(move || {
                    let _fail = FailOnPanic(gate);
                    let mut scratch = Scratch::new();
                    let mut busy = Duration::ZERO;
                    for (k, round) in rounds.iter().enumerate() {
                        gate.wait(|st| st.published > k);
                        let t = Instant::now();
                        for r in half.iter_mut() {
                            D::read_round(r, round, &mut scratch);
                        }
                        busy += t.elapsed();
                        gate.update(|st| st.consumed[i] = k + 1);
                    }
                    busy
                })
            })
            .collect();
        let _fail = FailOnPanic(&gate);
        let mut publish = Vec::with_capacity(rounds.len());
        for (k, round) in rounds.iter().enumerate() {
            gate.wait(|st| st.consumed[0].min(st.consumed[1]) + 1 >= k);
            let t = Instant::now();
            publish_round(&mut d, w, round);
            publish.push(t.elapsed());
            gate.update(|st| st.published = k + 1);
        }
        let busy: Duration = handles.into_iter().map(|h| h.join().unwrap()).sum();
        (publish, busy)
    });
    let wall = start.elapsed();
    drop(readers);
    let deliveries = tags * n as u64;
    let round_tags: Vec<u64> = rounds.iter().map(|r| r.tags.len() as u64).collect();
    Threaded {
        publish_ns_per_tag: unit_median(&publish, &round_tags, 1),
        deliveries_per_s: deliveries as f64 / wall.as_secs_f64(),
        reader_ns_per_tag_per_player: busy.as_nanos() as f64 / deliveries as f64,
    }
}

// ------------------------------------------------------------- memory

/// What one memory child process measured.
#[derive(Clone, Copy, Debug, Default)]
pub struct MemProbe {
    pub rss_before: i64,
    pub rss_after: i64,
    pub heap_before: i64,
    pub heap_after: i64,
    pub heap_in_flight: i64,
}

impl MemProbe {
    pub fn to_json(self) -> serde_json::Value {
        serde_json::json!({
            "rss_before": self.rss_before,
            "rss_after": self.rss_after,
            "heap_before": self.heap_before,
            "heap_after": self.heap_after,
            "heap_in_flight": self.heap_in_flight,
        })
    }

    pub fn from_json(v: &serde_json::Value) -> Option<MemProbe> {
        let f = |k: &str| v.get(k).and_then(|x| x.as_i64());
        Some(MemProbe {
            rss_before: f("rss_before")?,
            rss_after: f("rss_after")?,
            heap_before: f("heap_before")?,
            heap_after: f("heap_after")?,
            heap_in_flight: f("heap_in_flight")?,
        })
    }
}

/// Rounds published and read after attaching, in a memory probe.
pub const MEM_ROUNDS: usize = 3;

/// In a fresh process: warm up (the stream's window full, the allocator in
/// steady state), read VmRSS and the heap counter, attach `n` readers, run
/// [`MEM_ROUNDS`] rounds (publish, then every reader reads), read them
/// again. `heap_in_flight` is taken after the last round is published and
/// before it is read: one second of stream waiting for every reader.
pub fn memory_probe<D: Design>(mut d: D, w: &Workload, n: usize) -> MemProbe {
    let mut scratch = Scratch::new();
    warm_up(&mut d, w);
    let rss_before = mem::rss_bytes() as i64;
    let heap_before = mem::heap_live();
    // The readers' own structs count too: a server keeps each one in its
    // connection state.
    let mut readers: Vec<D::Reader> = Vec::with_capacity(n);
    readers.extend((0..n).map(|_| d.attach()));
    for r in &mut readers {
        D::drain(r, &mut scratch);
    }
    let mut heap_in_flight = 0;
    for (k, round) in w.rounds[WARMUP_S..WARMUP_S + MEM_ROUNDS].iter().enumerate() {
        publish_round(&mut d, w, round);
        if k + 1 == MEM_ROUNDS {
            heap_in_flight = mem::heap_live();
        }
        for r in &mut readers {
            D::read_round(r, round, &mut scratch);
        }
    }
    let probe = MemProbe {
        rss_before,
        rss_after: mem::rss_bytes() as i64,
        heap_before,
        heap_after: mem::heap_live(),
        heap_in_flight,
    };
    black_box(&readers);
    drop(readers);
    probe
}

// ------------------------------------------------------- notification

#[derive(Clone, Copy, Debug, Default)]
pub struct Notify {
    /// One push while every player is armed (fires every callback); this
    /// and the other figures: medians over the run's cycles.
    pub wake_push_ns: f64,
    pub wake_ns_per_player: f64,
    /// The pushes after it, while nobody is armed.
    pub unarmed_push_ns: f64,
    /// Reading the `k` tags and on to `Again` (which re-arms), per player.
    pub rearm_ns_per_player: f64,
    pub notifications: u64,
    pub armings: u64,
    /// Fewest and most callbacks one player got for one arming.
    pub min_per_arming: u32,
    pub max_per_arming: u32,
}

/// `n` livehub players with a notify callback (counting per player), each
/// read to `Again` (armed); then `cycles` times: push `k` tags (the first
/// wakes everyone, the other `k - 1` find nobody armed), check every player
/// was called exactly once, and let every player read on to `Again` again.
pub fn notify(w: &Workload, n: usize, cycles: usize, k: usize) -> Notify {
    let mut d = Livehub::new(LiveMode::Read);
    let mut scratch = Scratch::new();
    warm_up(&mut d, w);
    let mut players: Vec<LiveReader> = (0..n).map(|_| d.attach()).collect();
    let counts: Arc<Vec<AtomicU32>> = Arc::new((0..n).map(|_| AtomicU32::new(0)).collect());
    for (i, p) in players.iter().enumerate() {
        let counts = counts.clone();
        p.player.notifier().set_callback(Some(Arc::new(move || {
            counts[i].fetch_add(1, Ordering::Relaxed);
        })));
    }
    for p in &mut players {
        Livehub::drain(p, &mut scratch);
    }
    let mut tags = w.rounds[WARMUP_S..].iter().flat_map(|r| r.tags.iter());
    let (mut wake, mut unarmed, mut rearm) = (Vec::new(), Vec::new(), Vec::new());
    let (mut min, mut max) = (u32::MAX, 0);
    let mut seen = vec![0u32; n];
    for _ in 0..cycles {
        let t = tags.next().unwrap();
        let t0 = Instant::now();
        d.publish(t, w.body(t));
        wake.push(t0.elapsed().as_nanos() as f64);
        let t0 = Instant::now();
        for _ in 1..k {
            let t = tags.next().unwrap();
            d.publish(t, w.body(t));
        }
        unarmed.push(t0.elapsed().as_nanos() as f64 / (k - 1) as f64);
        for (i, c) in counts.iter().enumerate() {
            let now = c.load(Ordering::Relaxed);
            min = min.min(now - seen[i]);
            max = max.max(now - seen[i]);
            seen[i] = now;
        }
        let t0 = Instant::now();
        for p in &mut players {
            let got = Livehub::drain(p, &mut scratch);
            assert_eq!(got, k as u64);
        }
        rearm.push(t0.elapsed().as_nanos() as f64 / n as f64);
    }
    let notifications = counts
        .iter()
        .map(|c| c.load(Ordering::Relaxed) as u64)
        .sum();
    drop(players);
    let median = super::report::median;
    Notify {
        wake_push_ns: median(&wake),
        wake_ns_per_player: median(&wake) / n as f64,
        unarmed_push_ns: median(&unarmed),
        rearm_ns_per_player: median(&rearm),
        notifications,
        armings: (cycles * n) as u64,
        min_per_arming: min,
        max_per_arming: max,
    }
}

// ------------------------------------------------------ slow consumer

#[derive(Clone, Debug, Default)]
pub struct Slow {
    pub first_10s_ns_per_tag: f64,
    pub last_10s_ns_per_tag: f64,
    /// `retained_bytes` after each second of stream.
    pub retained: Vec<u64>,
    /// Body bytes of the newest 13 s of stream (10 s `max_lag_ms` + a 2 s
    /// GOP + one 64-tag segment of rounding, ≈ 1 s): the window.
    pub window_bytes: u64,
    pub rss_at_20s: u64,
    pub rss_at_end: u64,
    pub heap_at_20s: i64,
    pub heap_at_end: i64,
    /// Heap freed when the stalled player read again: what it alone kept.
    pub stalled_pinned_bytes: i64,
    /// What the stalled player read, in order, up to the live edge:
    /// (flags, stream-time ms). Timestamps are rebased to its join keyframe
    /// at stream time 0, so they equal stream time.
    pub stalled_tags: Vec<(u32, u32)>,
    pub stalled_dropped: u64,
    pub newest_ts: u32,
}

/// `n` players on the 4 Mbit/s stream for `seconds` of stream time, player
/// 0 stalled from the start (never reads until the end).
pub fn slow(w: &Workload, n: usize, seconds: usize) -> Slow {
    mem::count_heap();
    let mut d = Livehub::new(LiveMode::Read);
    let mut scratch = Scratch::new();
    for t in &w.headers {
        d.publish(t, w.body(t));
    }
    publish_round(&mut d, w, &w.rounds[0]);
    let mut players: Vec<LiveReader> = (0..n).map(|_| d.attach()).collect();
    for p in &mut players[1..] {
        Livehub::drain(p, &mut scratch);
    }
    publish_round(&mut d, w, &w.rounds[1]);
    for p in &mut players[1..] {
        Livehub::read_round(p, &w.rounds[1], &mut scratch);
    }
    let mut out = Slow::default();
    let rounds = &w.rounds[2..2 + seconds];
    let mut took = Vec::with_capacity(seconds);
    for (s, round) in rounds.iter().enumerate() {
        let t = Instant::now();
        publish_round(&mut d, w, round);
        took.push(t.elapsed());
        for p in &mut players[1..] {
            Livehub::read_round(p, round, &mut scratch);
        }
        out.retained.push(d.stream.stats().retained_bytes);
        if s + 1 == 20 {
            out.rss_at_20s = mem::rss_bytes();
            out.heap_at_20s = mem::heap_live();
        }
    }
    out.rss_at_end = mem::rss_bytes();
    out.heap_at_end = mem::heap_live();
    let tags: Vec<u64> = rounds.iter().map(|r| r.tags.len() as u64).collect();
    out.first_10s_ns_per_tag = unit_median(&took[..10], &tags[..10], 1);
    out.last_10s_ns_per_tag = unit_median(&took[seconds - 10..], &tags[seconds - 10..], 1);
    out.window_bytes = w.bytes_in(seconds + 2 - 13..seconds + 2) as u64;
    out.newest_ts = rounds.last().unwrap().tags.last().unwrap().ts;

    let before = mem::heap_live();
    let stalled = &mut players[0].player;
    loop {
        match stalled.read() {
            Ok(t) => out.stalled_tags.push((t.flags, t.timestamp)),
            Err(Error::Again) => break,
            Err(e) => panic!("stalled player: {e:?}"),
        }
    }
    out.stalled_pinned_bytes = before - mem::heap_live();
    out.stalled_dropped = stalled.stats().tags_dropped;
    drop(players);
    mem::stop_counting();
    out
}

/// How the stalled player resumed.
pub struct Resume {
    /// Tags older than `max_lag_ms` handed out before the skip forward.
    pub stale: usize,
    pub stale_from_ms: u32,
    pub stale_until_ms: u32,
    /// What the brief asks: sequence headers first, then a keyframe within
    /// the window, nothing stale.
    pub headers_then_keyframe: bool,
    pub summary: String,
}

fn is_header(flags: u32) -> bool {
    flags & (flv::FLAG_METADATA | flv::FLAG_SEQUENCE_HEADER) != 0
}

fn tag_name(flags: u32) -> &'static str {
    if flags & flv::FLAG_METADATA != 0 {
        "metadata"
    } else if flags & flv::FLAG_SEQUENCE_HEADER != 0 {
        "seq-header"
    } else if flags & flv::FLAG_KEYFRAME != 0 {
        "keyframe"
    } else {
        "frame"
    }
}

pub fn resume(s: &Slow, max_lag_ms: u32) -> Resume {
    let horizon = s.newest_ts.saturating_sub(max_lag_ms);
    let tags = &s.stalled_tags;
    let mut i = 0;
    let mut summary = Vec::new();
    let mut headers_first = 0;
    while i < tags.len() && is_header(tags[i].0) {
        summary.push(format!("{}@{}ms", tag_name(tags[i].0), tags[i].1));
        if tags[i].0 & flv::FLAG_SEQUENCE_HEADER != 0 {
            headers_first += 1;
        }
        i += 1;
    }
    let stale_start = i;
    while i < tags.len() && !is_header(tags[i].0) && tags[i].1 < horizon {
        i += 1;
    }
    let stale = i - stale_start;
    let (stale_from_ms, stale_until_ms) = if stale > 0 {
        summary.push(format!(
            "{} stale tags {}..{}ms (older than max_lag_ms)",
            stale,
            tags[stale_start].1,
            tags[i - 1].1
        ));
        (tags[stale_start].1, tags[i - 1].1)
    } else {
        (0, 0)
    };
    let mut headers_after = 0;
    while stale > 0 && i < tags.len() && is_header(tags[i].0) {
        summary.push(format!("{}@{}ms", tag_name(tags[i].0), tags[i].1));
        headers_after += 1;
        i += 1;
    }
    let first_frame = tags.get(i).copied();
    if let Some((f, ts)) = first_frame {
        summary.push(format!("{}@{}ms", tag_name(f), ts));
    }
    summary.push(format!("... live edge after {} tags", tags.len()));
    let _ = headers_after;
    let headers_then_keyframe = stale == 0
        && headers_first >= 2
        && first_frame.is_some_and(|(f, ts)| f & flv::FLAG_KEYFRAME != 0 && ts >= horizon);
    Resume {
        stale,
        stale_from_ms,
        stale_until_ms,
        headers_then_keyframe,
        summary: summary.join(", "),
    }
}
