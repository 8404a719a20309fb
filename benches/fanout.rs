//! Fan-out benchmark: livehub side by side with an SRS-shaped baseline (a
//! queue per player, a wrapper allocated per player per message) and with
//! `tokio::sync::broadcast`, on a 4 Mbit/s FLV stream (see
//! `support/workload.rs`), for 1 to 10,000 players.
//!
//! `cargo bench --bench fanout` (= `make bench`) measures everything, each
//! figure the median of `LIVEHUB_BENCH_RUNS` runs (default 5), prints one
//! JSON line per measurement, then the tables, the ratios and the targets.
//! Without `--bench` (as `cargo test --all-targets` runs it) it runs a small
//! smoke workload once. PERFORMANCE.md explains the method and the figures.
//!
//! Scenarios:
//! 1. single-threaded fan-out: publish ns per tag, delivery ns per tag per
//!    player (livehub through `read`, `read_iov` and `read_flv`);
//! 2. threaded: publisher on one thread, the players split over two others;
//! 3. notification: 10,000 armed players, cost of the waking push,
//!    coalescing counted;
//! 4. slow consumer: 1,000 players, one stalled, 60 s of stream;
//! 5. memory per attached player (VmRSS, in fresh child processes).

mod support;

use support::designs::{Broadcast, LiveMode, Livehub, SrsLocal, SrsThreaded};
use support::mem;
use support::report::{emit, fmt, fmt_int, fmt_ratio, median, round, stat, Table};
use support::scenarios::Gap;
use support::scenarios::{
    self, MemProbe, Notify, Single, Slow, Threaded, MEM_ROUNDS, SETTLE_S, WARMUP_S,
};
use support::workload::{self, Workload};

use serde_json::json;
use std::collections::BTreeMap;
use std::time::Instant;

#[global_allocator]
static ALLOC: mem::CountingAlloc = mem::CountingAlloc;

/// What a run measures.
struct Plan {
    full: bool,
    runs: usize,
    players: Vec<usize>,
    threaded_players: Vec<usize>,
    notify_players: usize,
    notify_cycles: usize,
    notify_k: usize,
    slow_players: usize,
    slow_seconds: usize,
    memory_players: Vec<usize>,
}

impl Plan {
    fn new(full: bool, runs: usize) -> Plan {
        if full {
            Plan {
                full,
                runs,
                players: vec![1, 100, 1_000, 10_000],
                threaded_players: vec![100, 1_000, 10_000],
                notify_players: 10_000,
                notify_cycles: 5,
                notify_k: 10,
                slow_players: 1_000,
                slow_seconds: 60,
                memory_players: vec![1, 100, 1_000, 10_000],
            }
        } else {
            Plan {
                full,
                runs,
                players: vec![1, 100],
                threaded_players: vec![100],
                notify_players: 100,
                notify_cycles: 2,
                notify_k: 10,
                slow_players: 20,
                slow_seconds: 20,
                memory_players: vec![100],
            }
        }
    }

    /// Timed rounds (seconds of stream) per sample: about the same work
    /// whatever `n`, at least 10 GOP units (20 rounds).
    fn rounds(&self, n: usize) -> usize {
        if !self.full {
            return 2;
        }
        match n {
            0..=1 => 120,
            2..=100 => 60,
            101..=1_000 => 30,
            _ => 20,
        }
    }
}

/// The single-threaded variants, in table order.
const SINGLE: [(&str, &str); 6] = [
    ("livehub", "read"),
    ("livehub", "read_iov"),
    ("livehub", "read_flv"),
    ("srs-shaped", "pop"),
    ("tokio-broadcast", "try_recv"),
    ("livehub", "read_batch"),
];
/// Index of `read_batch` in [`SINGLE`].
const BATCH: usize = 5;

/// The threaded variants: (design, delivery).
const THREADED: [(&str, &str); 4] = [
    ("livehub", "read"),
    ("srs-shaped", "pop"),
    ("tokio-broadcast", "try_recv"),
    ("livehub", "read_batch"),
];

/// Memory probe variants: (name passed to the child, design, delivery,
/// index of its 0-player control).
const MEMORY: [(&str, &str, &str, usize); 6] = [
    ("livehub-read", "livehub", "read", 0),
    ("livehub-batch", "livehub", "read_batch", 0),
    ("livehub-iov", "livehub", "read_iov", 0),
    ("livehub-flv", "livehub", "read_flv", 0),
    ("srs", "srs-shaped", "pop", 1),
    ("tokio", "tokio-broadcast", "try_recv", 2),
];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--memory-child") {
        memory_child(&args[1..]);
        return;
    }
    let full = args.iter().any(|a| a == "--bench");
    let runs = std::env::var("LIVEHUB_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&r: &usize| r > 0)
        .unwrap_or(if full { 5 } else { 1 });
    let plan = Plan::new(full, runs);
    let started = Instant::now();
    let max_rounds = plan
        .players
        .iter()
        .map(|&n| plan.rounds(n))
        .max()
        .unwrap_or(0);
    let w = Workload::new((WARMUP_S + 1 + SETTLE_S + max_rounds).max(plan.slow_seconds + 2) + 1);

    machine(&plan, &w);
    let phase = |name: &str| {
        eprintln!(
            "[fanout] {name} done at {:.1} s",
            started.elapsed().as_secs_f64()
        )
    };
    let single = run_single(&plan, &w);
    phase("single-thread fan-out");
    let threaded = run_threaded(&plan, &w);
    phase("threaded fan-out");
    let notify = run_notify(&plan, &w);
    phase("notification");
    let slow = run_slow(&plan, &w);
    phase("slow consumer");
    let memory = run_memory(&plan);
    phase("memory");

    println!();
    println!(
        "== livehub fan-out benchmark: 4 Mbit/s FLV (25 fps, 100 KB keyframe every 2 s, 17.7 KB inter frames, 43 AAC frames/s; {:.1} tags/s), medians of {} runs{}",
        (w.rounds[0].tags.len() + w.rounds[1].tags.len()) as f64 / 2.0,
        plan.runs,
        if plan.full { "" } else { " [SMOKE RUN: tiny workload, debug-grade figures]" }
    );
    print_single(&plan, &single);
    print_threaded(&plan, &threaded);
    print_notify(&plan, &notify);
    print_slow(&plan, &slow);
    print_memory(&plan, &memory);
    print_targets(&plan, &single, &memory);
    println!(
        "\nbench wall time (this process): {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

// -------------------------------------------------------------- machine

fn machine(plan: &Plan, w: &Workload) {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|v| v.trim_start_matches([' ', '\t', ':']).to_string())
            })
        })
        .unwrap_or_else(|| "unknown".into());
    let rustc =
        std::process::Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
            .arg("-V")
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_else(|| "unknown".into());
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let nproc = std::thread::available_parallelism().map_or(0, |n| n.get());
    emit(json!({
        "bench": "fanout", "scenario": "machine", "nproc": nproc, "cpu": cpu, "rustc": rustc,
        "loadavg": load.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
        "runs": plan.runs, "mode": if plan.full { "bench" } else { "smoke" },
        "stream": {
            "tags_per_s": (w.rounds[0].tags.len() + w.rounds[1].tags.len()) as f64 / 2.0,
            "body_bytes_per_s": (w.rounds[0].body_bytes + w.rounds[1].body_bytes) / 2,
            "keyframe_bytes": workload::KEYFRAME_BYTES, "inter_bytes": workload::INTER_BYTES,
            "audio_bytes": workload::AUDIO_BYTES, "gop_frames": workload::GOP_FRAMES,
        },
    }));
}

// ------------------------------------------------------ single-threaded

type SingleResults = BTreeMap<(usize, usize), Vec<Single>>;

/// Variant indices past `SINGLE` in [`SingleResults`]: publish with the
/// players attached but idle (only `publish_ns_per_tag` is set).
const IDLE_LIVEHUB: usize = 10;
const IDLE_BROADCAST: usize = 11;
/// Past those: the N = 1 controls with a gap between rounds ([`GAPS`];
/// stored under players = 1).
const GAP: usize = 20;
/// Publish with the rounds paced [`PACE`] apart, readers on `read_batch`
/// and on `read`.
const PACED_BATCH: usize = 12;
const PACED_READ: usize = 13;
const PACE: std::time::Duration = std::time::Duration::from_millis(10);
const GAPS: [(&str, Gap); 4] = [
    ("4 MB written", Gap::Sweep(4 << 20)),
    ("0.2 ms spin", Gap::Spin(200)),
    ("2 ms spin", Gap::Spin(2_000)),
    ("4 ms spin", Gap::Spin(4_000)),
];

fn run_single(plan: &Plan, w: &Workload) -> SingleResults {
    let mut res: SingleResults = BTreeMap::new();
    for run in 0..plan.runs {
        for &n in &plan.players {
            let rounds = plan.rounds(n);
            for (v, p) in [
                (
                    IDLE_LIVEHUB,
                    scenarios::publish_idle(Livehub::new(LiveMode::Read), w, n, rounds),
                ),
                (
                    IDLE_BROADCAST,
                    scenarios::publish_idle(Broadcast::new(), w, n, rounds),
                ),
            ] {
                res.entry((n, v)).or_default().push(Single {
                    publish_ns_per_tag: p,
                    ..Default::default()
                });
            }
            for (v, mode) in [(PACED_BATCH, LiveMode::Batch), (PACED_READ, LiveMode::Read)] {
                let p = scenarios::publish_paced(Livehub::new(mode), w, n, rounds, PACE);
                res.entry((n, v)).or_default().push(Single {
                    publish_ns_per_tag: p,
                    ..Default::default()
                });
            }
            if n == 1 {
                for (k, &(_, gap)) in GAPS.iter().enumerate() {
                    let p =
                        scenarios::publish_after_gap(Livehub::new(LiveMode::Batch), w, rounds, gap);
                    res.entry((1, GAP + k)).or_default().push(Single {
                        publish_ns_per_tag: p,
                        ..Default::default()
                    });
                }
            }
            // Rotate the order each run so no design always follows the same one.
            for k in 0..SINGLE.len() {
                let v = (k + run) % SINGLE.len();
                let s = match v {
                    0 => scenarios::single(Livehub::new(LiveMode::Read), w, n, rounds),
                    1 => scenarios::single(Livehub::new(LiveMode::Iov), w, n, rounds),
                    2 => scenarios::single(Livehub::new(LiveMode::Flv), w, n, rounds),
                    3 => scenarios::single(SrsLocal::new(), w, n, rounds),
                    4 => scenarios::single(Broadcast::new(), w, n, rounds),
                    _ => scenarios::single(Livehub::new(LiveMode::Batch), w, n, rounds),
                };
                res.entry((n, v)).or_default().push(s);
            }
        }
    }
    for (&(n, v), samples) in &res {
        if v >= GAP {
            let publish: Vec<f64> = samples.iter().map(|s| s.publish_ns_per_tag).collect();
            emit(json!({
                "bench": "fanout", "scenario": "single_thread_publish_after_gap",
                "design": "livehub", "delivery": "read_batch", "players": n,
                "gap": GAPS[v - GAP].0,
                "runs": samples.len(), "publish_ns_per_tag": stat(&publish, 1),
            }));
            continue;
        }
        if v == PACED_BATCH || v == PACED_READ {
            let publish: Vec<f64> = samples.iter().map(|s| s.publish_ns_per_tag).collect();
            emit(json!({
                "bench": "fanout", "scenario": "single_thread_publish_paced",
                "design": "livehub", "delivery": if v == PACED_BATCH { "read_batch" } else { "read" },
                "players": n, "period_ms": PACE.as_millis() as u64,
                "runs": samples.len(), "publish_ns_per_tag": stat(&publish, 1),
            }));
            continue;
        }
        if v >= IDLE_LIVEHUB {
            let publish: Vec<f64> = samples.iter().map(|s| s.publish_ns_per_tag).collect();
            emit(json!({
                "bench": "fanout", "scenario": "single_thread_publish_players_idle",
                "design": if v == IDLE_LIVEHUB { "livehub" } else { "tokio-broadcast" },
                "players": n, "runs": samples.len(), "publish_ns_per_tag": stat(&publish, 1),
            }));
            continue;
        }
        let (design, delivery) = SINGLE[v];
        let publish: Vec<f64> = samples.iter().map(|s| s.publish_ns_per_tag).collect();
        let delivery_ns: Vec<f64> = samples
            .iter()
            .map(|s| s.delivery_ns_per_tag_per_player)
            .collect();
        let attach: Vec<f64> = samples.iter().map(|s| s.attach_ns_per_player).collect();
        emit(json!({
            "bench": "fanout", "scenario": "single_thread", "design": design, "delivery": delivery,
            "players": n, "runs": samples.len(), "timed_tags": samples[0].tags,
            "publish_ns_per_tag": stat(&publish, 1),
            "delivery_ns_per_tag_per_player": stat(&delivery_ns, 2),
            "publish_mean_ns_per_tag": stat(&samples.iter().map(|s| s.publish_mean_ns_per_tag).collect::<Vec<_>>(), 1),
            "delivery_mean_ns_per_tag_per_player": stat(&samples.iter().map(|s| s.delivery_mean_ns_per_tag_per_player).collect::<Vec<_>>(), 2),
            "attach_ns_per_player": stat(&attach, 1),
        }));
    }
    res
}

fn single_median(res: &SingleResults, n: usize, v: usize, f: impl Fn(&Single) -> f64) -> f64 {
    res.get(&(n, v))
        .map_or(f64::NAN, |s| median(&s.iter().map(f).collect::<Vec<_>>()))
}

fn print_single(plan: &Plan, res: &SingleResults) {
    let publish = |n, v| single_median(res, n, v, |s| s.publish_ns_per_tag);
    let delivery = |n, v| single_median(res, n, v, |s| s.delivery_ns_per_tag_per_player);
    println!("\n-- Single thread: publish ns per tag (publisher and all players on one thread; players read between rounds)");
    let mut t = Table::new(&[
        "players",
        "livehub",
        "srs-shaped",
        "tokio-bcast",
        "srs/livehub",
        "tokio/livehub",
        "livehub vs N=1",
        "batch: livehub",
        "vs N=1",
        "idle: livehub",
        "vs N=1",
        "tokio",
        "paced: batch",
        "vs N=1",
        "read",
        "vs N=1",
    ]);
    let base = publish(1, 0);
    let paced_base = publish(1, PACED_BATCH);
    let paced_read_base = publish(1, PACED_READ);
    let batch_base = publish(1, BATCH);
    let idle_base = publish(1, IDLE_LIVEHUB);
    for &n in &plan.players {
        let (l, s, b) = (publish(n, 0), publish(n, 3), publish(n, 4));
        let batch = publish(n, BATCH);
        let idle = publish(n, IDLE_LIVEHUB);
        t.row(vec![
            fmt_int(n),
            fmt(l),
            fmt(s),
            fmt(b),
            fmt_ratio(s / l),
            fmt_ratio(b / l),
            fmt_ratio(l / base),
            fmt(batch),
            fmt_ratio(batch / batch_base),
            fmt(idle),
            fmt_ratio(idle / idle_base),
            fmt(publish(n, IDLE_BROADCAST)),
            fmt(publish(n, PACED_BATCH)),
            fmt_ratio(publish(n, PACED_BATCH) / paced_base),
            fmt(publish(n, PACED_READ)),
            fmt_ratio(publish(n, PACED_READ) / paced_read_base),
        ]);
    }
    t.print();
    println!("   livehub: the players read with read() between rounds; batch: with read_batch() ({} tags per call).", support::designs::BATCH_TAGS);
    let gaps: Vec<String> = GAPS
        .iter()
        .enumerate()
        .map(|(k, (name, _))| format!("{name} {}", fmt(publish(1, GAP + k))))
        .collect();
    println!(
        "   control: 1 player (read_batch), and between rounds, instead of more players: {} ns/tag",
        gaps.join(", ")
    );
    println!(
        "   (N read_batch players take about N x 68 x delivery ns per round: ~0.2 ms at 1,000, ~1.7 ms at 10,000)"
    );
    println!("   idle: the same pushes with the players attached but not reading, after {SETTLE_S} s of stream pushed alone: the publisher's own cost, caches undisturbed.");
    println!("   paced: rounds start {} ms apart whatever N (players read_batch, or read), so every N gives the publisher the same wall-clock gap since its last push, as a live stream does (15 ms between tags).", PACE.as_millis());
    println!("\n-- Single thread: delivery ns per tag per player (and publish+delivery per tag per player, \"total\")");
    let mut t = Table::new(&[
        "players",
        "read",
        "read_batch",
        "read_iov",
        "read_flv",
        "srs-shaped",
        "tokio-bcast",
        "srs/read",
        "srs/batch",
        "tokio/batch",
        "total: batch",
        "srs-shaped",
        "tokio",
    ]);
    for &n in &plan.players {
        let (r, rb, i, f, s, b) = (
            delivery(n, 0),
            delivery(n, BATCH),
            delivery(n, 1),
            delivery(n, 2),
            delivery(n, 3),
            delivery(n, 4),
        );
        let total = |v| delivery(n, v) + publish(n, v) / n as f64;
        t.row(vec![
            fmt_int(n),
            fmt(r),
            fmt(rb),
            fmt(i),
            fmt(f),
            fmt(s),
            fmt(b),
            fmt_ratio(s / r),
            fmt_ratio(s / rb),
            fmt_ratio(b / rb),
            fmt(total(BATCH)),
            fmt(total(3)),
            fmt(total(4)),
        ]);
    }
    t.print();
    println!("   read_flv copies every body into a {} KiB buffer (≈7.4 KB per tag on this stream): a memory-bandwidth figure.", support::designs::FLV_BUF / 1024);
}

// ------------------------------------------------------------- threaded

type ThreadedResults = BTreeMap<(usize, usize), Vec<Threaded>>;

fn run_threaded(plan: &Plan, w: &Workload) -> ThreadedResults {
    let mut res: ThreadedResults = BTreeMap::new();
    for run in 0..plan.runs {
        for &n in &plan.threaded_players {
            let rounds = plan.rounds(n);
            for k in 0..THREADED.len() {
                let v = (k + run) % THREADED.len();
                let s = match v {
                    0 => scenarios::threaded(Livehub::new(LiveMode::Read), w, n, rounds),
                    1 => scenarios::threaded(SrsThreaded::new(), w, n, rounds),
                    2 => scenarios::threaded(Broadcast::new(), w, n, rounds),
                    _ => scenarios::threaded(Livehub::new(LiveMode::Batch), w, n, rounds),
                };
                res.entry((n, v)).or_default().push(s);
            }
        }
    }
    for (&(n, v), samples) in &res {
        let publish: Vec<f64> = samples.iter().map(|s| s.publish_ns_per_tag).collect();
        let rate: Vec<f64> = samples.iter().map(|s| s.deliveries_per_s).collect();
        let busy: Vec<f64> = samples
            .iter()
            .map(|s| s.reader_ns_per_tag_per_player)
            .collect();
        emit(json!({
            "bench": "fanout", "scenario": "threaded", "design": THREADED[v].0,
            "delivery": THREADED[v].1,
            "players": n, "runs": samples.len(), "threads": "1 publisher + 2 readers",
            "publish_ns_per_tag": stat(&publish, 1),
            "deliveries_per_s": stat(&rate, 0),
            "reader_busy_ns_per_tag_per_player": stat(&busy, 2),
        }));
    }
    res
}

fn print_threaded(plan: &Plan, res: &ThreadedResults) {
    println!("\n-- Threaded: publisher on one thread, players split over two reader threads (publisher at most 2 s of stream ahead)");
    let mut t = Table::new(&[
        "players",
        "design",
        "delivery",
        "publish ns/tag",
        "deliveries/s",
        "reader busy ns/tag/player",
        "throughput vs livehub",
    ]);
    for &n in &plan.threaded_players {
        let m = |v: usize, f: fn(&Threaded) -> f64| {
            res.get(&(n, v))
                .map_or(f64::NAN, |s| median(&s.iter().map(f).collect::<Vec<_>>()))
        };
        let base = m(0, |s| s.deliveries_per_s);
        for (v, (name, delivery)) in THREADED.iter().enumerate() {
            let rate = m(v, |s| s.deliveries_per_s);
            t.row(vec![
                fmt_int(n),
                name.to_string(),
                delivery.to_string(),
                fmt(m(v, |s| s.publish_ns_per_tag)),
                format!("{:.1} M", rate / 1e6),
                fmt(m(v, |s| s.reader_ns_per_tag_per_player)),
                fmt_ratio(rate / base),
            ]);
        }
    }
    t.print();
}

// --------------------------------------------------------- notification

fn run_notify(plan: &Plan, w: &Workload) -> Vec<Notify> {
    let samples: Vec<Notify> = (0..plan.runs)
        .map(|_| scenarios::notify(w, plan.notify_players, plan.notify_cycles, plan.notify_k))
        .collect();
    let f = |g: fn(&Notify) -> f64| samples.iter().map(g).collect::<Vec<_>>();
    let notifications: u64 = samples.iter().map(|s| s.notifications).sum();
    let armings: u64 = samples.iter().map(|s| s.armings).sum();
    emit(json!({
        "bench": "fanout", "scenario": "notify", "design": "livehub", "players": plan.notify_players,
        "runs": samples.len(), "armings_per_run": plan.notify_cycles, "tags_per_arming": plan.notify_k,
        "wake_push_ns": stat(&f(|s| s.wake_push_ns), 0),
        "wake_ns_per_armed_player": stat(&f(|s| s.wake_ns_per_player), 1),
        "unarmed_push_ns_per_tag": stat(&f(|s| s.unarmed_push_ns), 1),
        "read_and_rearm_ns_per_player": stat(&f(|s| s.rearm_ns_per_player), 1),
        "notifications": notifications, "armings": armings,
        "min_per_arming": samples.iter().map(|s| s.min_per_arming).min(),
        "max_per_arming": samples.iter().map(|s| s.max_per_arming).max(),
    }));
    samples
}

fn print_notify(plan: &Plan, s: &[Notify]) {
    let m = |g: fn(&Notify) -> f64| median(&s.iter().map(g).collect::<Vec<_>>());
    let notifications: u64 = s.iter().map(|x| x.notifications).sum();
    let armings: u64 = s.iter().map(|x| x.armings).sum();
    let (min, max) = (
        s.iter().map(|x| x.min_per_arming).min().unwrap_or(0),
        s.iter().map(|x| x.max_per_arming).max().unwrap_or(0),
    );
    println!("\n-- Notification: {} livehub players armed (read to AGAIN, callback set), {} tags pushed per arming", fmt_int(plan.notify_players), plan.notify_k);
    println!("   push that wakes all of them:   {} ns ({} ns per armed player, callbacks run on the publisher's thread)", fmt(m(|x| x.wake_push_ns)), fmt(m(|x| x.wake_ns_per_player)));
    println!(
        "   the {} pushes after it:          {} ns per push (nobody armed any more)",
        plan.notify_k - 1,
        fmt(m(|x| x.unarmed_push_ns))
    );
    println!(
        "   read {} tags + AGAIN (re-arm):  {} ns per player",
        plan.notify_k,
        fmt(m(|x| x.rearm_ns_per_player))
    );
    println!(
        "   coalescing: {} callbacks for {} armings ({} tags pushed each); per player per arming: min {}, max {} -> {}",
        notifications, armings, plan.notify_k, min, max,
        if notifications == armings && min == 1 && max == 1 { "exactly once per arming" } else { "NOT exactly once" }
    );
}

// -------------------------------------------------------- slow consumer

const MAX_LAG_MS: u32 = 10_000;

fn run_slow(plan: &Plan, w: &Workload) -> Vec<Slow> {
    let samples: Vec<Slow> = (0..plan.runs)
        .map(|_| scenarios::slow(w, plan.slow_players, plan.slow_seconds))
        .collect();
    let f = |g: fn(&Slow) -> f64| samples.iter().map(g).collect::<Vec<_>>();
    let s = &samples[0];
    let r = scenarios::resume(s, MAX_LAG_MS);
    emit(json!({
        "bench": "fanout", "scenario": "slow_consumer", "design": "livehub", "players": plan.slow_players,
        "stalled_players": 1, "stream_seconds": plan.slow_seconds, "runs": samples.len(),
        "publish_ns_per_tag_first_10s": stat(&f(|s| s.first_10s_ns_per_tag), 1),
        "publish_ns_per_tag_last_10s": stat(&f(|s| s.last_10s_ns_per_tag), 1),
        "last_over_first": stat(&f(|s| s.last_10s_ns_per_tag / s.first_10s_ns_per_tag), 3),
        "retained_bytes_max": samples.iter().map(|s| s.retained.iter().copied().max().unwrap_or(0)).max(),
        "retained_bytes_per_second_run0": s.retained,
        "window_bytes": s.window_bytes,
        "rss_at_20s": s.rss_at_20s, "rss_at_end": s.rss_at_end,
        "heap_at_20s": s.heap_at_20s, "heap_at_end": s.heap_at_end,
        "stalled_pinned_bytes": stat(&f(|s| s.stalled_pinned_bytes as f64), 0),
        "stalled_tags_dropped": s.stalled_dropped,
        "stalled_tags_read": s.stalled_tags.len(),
        "stalled_stale_tags": r.stale,
        "stalled_resumed_with_headers_then_keyframe": r.headers_then_keyframe,
        "stalled_resume": r.summary,
    }));
    samples
}

fn print_slow(plan: &Plan, s: &[Slow]) {
    let m = |g: fn(&Slow) -> f64| median(&s.iter().map(g).collect::<Vec<_>>());
    let s0 = &s[0];
    let max_retained = s
        .iter()
        .map(|x| x.retained.iter().copied().max().unwrap_or(0))
        .max()
        .unwrap_or(0);
    let bytes_per_s = 500_000.0;
    println!(
        "\n-- Slow consumer: {} livehub players, one stalled (never reads until the end), {} s of 4 Mbit/s stream pushed without sleeping",
        fmt_int(plan.slow_players), plan.slow_seconds
    );
    println!(
        "   publish ns/tag: first 10 s {}, last 10 s {}, last/first {} -> {}",
        fmt(m(|x| x.first_10s_ns_per_tag)),
        fmt(m(|x| x.last_10s_ns_per_tag)),
        fmt_ratio(m(|x| x.last_10s_ns_per_tag / x.first_10s_ns_per_tag)),
        if m(|x| x.last_10s_ns_per_tag / x.first_10s_ns_per_tag) <= 1.25 {
            "flat"
        } else {
            "NOT flat (> 1.25x)"
        }
    );
    let pick = |sec: usize| s0.retained.get(sec - 1).copied().unwrap_or(0);
    let mut marks = String::new();
    for sec in [10, 20, 30, 40, 50, 60] {
        if sec <= s0.retained.len() {
            marks.push_str(&format!(
                "{} s: {:.2} MB ({:.1} s), ",
                sec,
                pick(sec) as f64 / 1e6,
                pick(sec) as f64 / bytes_per_s
            ));
        }
    }
    println!("   ring retained_bytes: {}", marks.trim_end_matches(", "));
    println!(
        "   max retained {:.2} MB ({:.1} s of stream) vs window (10 s max_lag + 2 s GOP + 1 segment) {:.2} MB -> {}",
        max_retained as f64 / 1e6, max_retained as f64 / bytes_per_s, s0.window_bytes as f64 / 1e6,
        if max_retained <= s0.window_bytes { "within the window" } else { "OVER the window" }
    );
    println!(
        "   whole bench process: RSS {:.1} MB at 20 s, {:.1} MB at {} s; heap allocated since this scenario began {:.2} MB at 20 s, {:.2} MB at {} s",
        s0.rss_at_20s as f64 / 1e6, s0.rss_at_end as f64 / 1e6, plan.slow_seconds,
        s0.heap_at_20s as f64 / 1e6, s0.heap_at_end as f64 / 1e6, plan.slow_seconds
    );
    let r = scenarios::resume(s0, MAX_LAG_MS);
    println!("   stalled player reads at the end: {}", r.summary);
    println!(
        "   stalled player: tags_dropped = {}, {} tags read; {}",
        s0.stalled_dropped,
        s0.stalled_tags.len(),
        if r.headers_then_keyframe {
            "resumed with sequence headers, then a keyframe inside the window".to_string()
        } else {
            format!(
                "did NOT resume with sequence headers then a keyframe: it first got {} stale tags ({}..{} ms of stream time) from the segment it had pinned",
                r.stale, r.stale_from_ms, r.stale_until_ms
            )
        }
    );
    println!(
        "   heap freed when the stalled player read again (what it alone kept alive): {:.0} KB",
        m(|x| x.stalled_pinned_bytes as f64) / 1e3
    );
}

// --------------------------------------------------------------- memory

/// Per player, per variant: (rss, heap at rest, heap in flight) samples.
type MemoryResults = BTreeMap<(usize, usize), Vec<[f64; 3]>>;

fn spawn_probe(variant: &str, n: usize) -> MemProbe {
    let exe = std::env::current_exe().expect("current_exe");
    let out = std::process::Command::new(exe)
        .args(["--memory-child", variant, &n.to_string()])
        .output()
        .expect("spawning the memory probe");
    assert!(
        out.status.success(),
        "memory probe {variant} {n} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().last().unwrap_or_default();
    let v: serde_json::Value = serde_json::from_str(line).expect("memory probe output");
    MemProbe::from_json(&v).expect("memory probe fields")
}

fn run_memory(plan: &Plan) -> MemoryResults {
    let mut res: MemoryResults = BTreeMap::new();
    for _ in 0..plan.runs {
        // The same script with no player attached: what the stream alone
        // changes between the two readings.
        let controls = [
            spawn_probe("livehub-read", 0),
            spawn_probe("srs", 0),
            spawn_probe("tokio", 0),
        ];
        for &n in &plan.memory_players {
            for (v, &(name, _, _, control)) in MEMORY.iter().enumerate() {
                let c = controls[control];
                let p = spawn_probe(name, n);
                let per = |after: i64, before: i64, c_after: i64, c_before: i64| {
                    ((after - before) - (c_after - c_before)) as f64 / n as f64
                };
                res.entry((n, v)).or_default().push([
                    per(p.rss_after, p.rss_before, c.rss_after, c.rss_before),
                    per(p.heap_after, p.heap_before, c.heap_after, c.heap_before),
                    per(
                        p.heap_in_flight,
                        p.heap_before,
                        c.heap_in_flight,
                        c.heap_before,
                    ),
                ]);
            }
        }
    }
    for (&(n, v), samples) in &res {
        let (_, design, delivery, _) = MEMORY[v];
        let col = |i: usize| samples.iter().map(|s| s[i]).collect::<Vec<_>>();
        emit(json!({
            "bench": "fanout", "scenario": "memory", "design": design, "delivery": delivery,
            "players": n, "runs": samples.len(), "method": "fresh process; VmRSS before attaching and after attach + catch-up + rounds, minus the same script with 0 players; / players",
            "rss_resolution_bytes_per_player": round(4096.0 / n as f64, 1),
            "rss_bytes_per_player": stat(&col(0), 1),
            "heap_bytes_per_player_at_rest": stat(&col(1), 1),
            "heap_bytes_per_player_one_second_unread": stat(&col(2), 1),
        }));
    }
    res
}

fn memory_median(res: &MemoryResults, n: usize, v: usize, i: usize) -> f64 {
    res.get(&(n, v)).map_or(f64::NAN, |s| {
        median(&s.iter().map(|x| x[i]).collect::<Vec<_>>())
    })
}

fn print_memory(plan: &Plan, res: &MemoryResults) {
    println!(
        "\n-- Memory per attached player (fresh process each; VmRSS after attaching + {} rounds minus before, minus a 0-player control; heap = bytes allocated and not freed)",
        MEM_ROUNDS
    );
    let mut t = Table::new(&[
        "players",
        "design",
        "delivery",
        "RSS B/player",
        "heap B/player",
        "heap, 1 s unread",
        "RSS resolution",
    ]);
    for &n in &plan.memory_players {
        for (v, (_, design, delivery, _)) in MEMORY.iter().enumerate() {
            t.row(vec![
                fmt_int(n),
                design.to_string(),
                delivery.to_string(),
                fmt(memory_median(res, n, v, 0)),
                fmt(memory_median(res, n, v, 1)),
                fmt(memory_median(res, n, v, 2)),
                format!("±{}", fmt(4096.0 / n as f64)),
            ]);
        }
    }
    t.print();
}

/// Runs in the child: `--memory-child VARIANT N`.
fn memory_child(args: &[String]) {
    mem::count_heap();
    let variant = args.first().map(String::as_str).unwrap_or("livehub-read");
    let n: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let w = Workload::new(WARMUP_S + MEM_ROUNDS + 1);
    let p = match variant {
        "livehub-read" => scenarios::memory_probe(Livehub::new(LiveMode::Read), &w, n),
        "livehub-batch" => scenarios::memory_probe(Livehub::new(LiveMode::Batch), &w, n),
        "livehub-iov" => scenarios::memory_probe(Livehub::new(LiveMode::Iov), &w, n),
        "livehub-flv" => scenarios::memory_probe(Livehub::new(LiveMode::Flv), &w, n),
        "srs" => scenarios::memory_probe(SrsLocal::new(), &w, n),
        "tokio" => scenarios::memory_probe(Broadcast::new(), &w, n),
        other => panic!("unknown memory variant {other}"),
    };
    println!("{}", p.to_json());
}

// -------------------------------------------------------------- targets

fn print_targets(plan: &Plan, single: &SingleResults, memory: &MemoryResults) {
    let big = *plan.players.last().unwrap();
    let mid = if plan.players.contains(&1_000) {
        1_000
    } else {
        big
    };
    let publish = |n, v| single_median(single, n, v, |s| s.publish_ns_per_tag);
    let delivery = |n, v| single_median(single, n, v, |s| s.delivery_ns_per_tag_per_player);
    println!(
        "\n-- Ratios (median of the baseline / median of livehub; > 1 means livehub is cheaper)"
    );
    let pub_srs = publish(big, 3) / publish(big, 0);
    let pub_tokio = publish(big, 4) / publish(big, 0);
    let del_srs = delivery(mid, 3) / delivery(mid, 0);
    let del_tokio = delivery(mid, 4) / delivery(mid, 0);
    let del_srs_batch = delivery(mid, 3) / delivery(mid, BATCH);
    let del_tokio_batch = delivery(mid, 4) / delivery(mid, BATCH);
    println!(
        "   publish at N={}:   livehub vs srs-shaped {}, livehub vs tokio broadcast {}",
        fmt_int(big),
        fmt_ratio(pub_srs),
        fmt_ratio(pub_tokio)
    );
    println!(
        "   delivery at N={} (read): livehub vs srs-shaped {}, livehub vs tokio broadcast {}",
        fmt_int(mid),
        fmt_ratio(del_srs),
        fmt_ratio(del_tokio)
    );
    println!(
        "   delivery at N={} (read_batch): livehub vs srs-shaped {}, livehub vs tokio broadcast {}",
        fmt_int(mid),
        fmt_ratio(del_srs_batch),
        fmt_ratio(del_tokio_batch)
    );
    emit(json!({
        "bench": "fanout", "scenario": "ratios", "runs": plan.runs,
        "publish_players": big, "publish_srs_over_livehub": round(pub_srs, 2), "publish_tokio_over_livehub": round(pub_tokio, 2),
        "delivery_players": mid, "delivery_srs_over_livehub": round(del_srs, 2), "delivery_tokio_over_livehub": round(del_tokio, 2),
        "delivery_srs_over_livehub_batch": round(del_srs_batch, 2), "delivery_tokio_over_livehub_batch": round(del_tokio_batch, 2),
    }));

    println!("\n-- Targets (DESIGN.md \"Performance targets\" and the benchmark issue)");
    if !plan.full {
        println!("   SMOKE RUN (no --bench: tiny workload, possibly a debug build): the verdicts below mean nothing.");
    }
    let worst_read = plan
        .players
        .iter()
        .map(|&n| delivery(n, 0))
        .fold(f64::NAN, f64::max);
    let rss_big = memory_median(memory, *plan.memory_players.last().unwrap(), 0, 0);
    let verdict = |ok: bool| if ok { "MET" } else { "NOT MET" };
    let worst_batch = plan
        .players
        .iter()
        .map(|&n| delivery(n, BATCH))
        .fold(f64::NAN, f64::max);
    let flatness = |label: String, v: usize| {
        let ratio = publish(big, v) / publish(1, v);
        (
            label,
            format!(
                "{:.2}x ({} vs {} ns)",
                ratio,
                fmt(publish(big, v)),
                fmt(publish(1, v))
            ),
            ratio <= 1.5,
        )
    };
    let paced = |how: &str| {
        format!(
            "  (the same, rounds paced {} ms apart, players {how})",
            PACE.as_millis()
        )
    };
    let rows = [
        flatness(
            format!(
                "publish ns/tag at N={} within 1.5x of N=1 (players read)",
                fmt_int(big)
            ),
            0,
        ),
        flatness("  (the same, players read_batch)".into(), BATCH),
        flatness(paced("read_batch"), PACED_BATCH),
        flatness(paced("read"), PACED_READ),
        flatness(
            "  (the same, players idle: the push alone)".into(),
            IDLE_LIVEHUB,
        ),
        (
            format!(
                "publish at N={} >= 100x cheaper than srs-shaped",
                fmt_int(big)
            ),
            fmt_ratio(pub_srs),
            pub_srs >= 100.0,
        ),
        (
            "delivery via read <= 10 ns/tag/player (worst N)".to_string(),
            format!("{} ns", fmt(worst_read)),
            worst_read <= 10.0,
        ),
        (
            "  (the same via read_batch)".to_string(),
            format!("{} ns", fmt(worst_batch)),
            worst_batch <= 10.0,
        ),
        (
            format!(
                "delivery at N={} >= 3x cheaper than srs-shaped (read)",
                fmt_int(mid)
            ),
            fmt_ratio(del_srs),
            del_srs >= 3.0,
        ),
        (
            "  (the same via read_batch)".to_string(),
            fmt_ratio(del_srs_batch),
            del_srs_batch >= 3.0,
        ),
        (
            format!(
                "RSS per attached player <= 512 B (N={}, read)",
                fmt_int(*plan.memory_players.last().unwrap())
            ),
            format!("{} B", fmt(rss_big)),
            rss_big <= 512.0,
        ),
    ];
    let mut t = Table::new(&["target", "measured", "verdict"]);
    for (name, got, ok) in &rows {
        t.row(vec![name.clone(), got.clone(), verdict(*ok).to_string()]);
    }
    t.print();
    emit(json!({
        "bench": "fanout", "scenario": "targets", "runs": plan.runs,
        "targets": rows.iter().map(|(n, g, ok)| json!({"target": n, "measured": g, "met": ok})).collect::<Vec<_>>(),
    }));
}
