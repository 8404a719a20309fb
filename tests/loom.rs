//! loom models of the protocols everything else rests on: the shared
//! ownership of a stream, the ring cursor crossing segments while the
//! publisher appends and evicts, one-shot notification against
//! concurrent clearing, and group arming and dispatch. Run with `RUSTFLAGS="--cfg loom" cargo test --test
//! loom --release` (segments hold 2 tags under loom).
#![cfg(loom)]

use livehub::{Config, Error, Group, Hub, PlayOptions, Player};
use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;
use std::time::Duration;

const FOREVER: Duration = Duration::from_secs(u64::MAX);

fn aac(n: u8) -> [u8; 3] {
    [0xaf, 0x01, n]
}

/// Reads until EOF, blocking in `wait`; returns the payload bytes seen.
fn read_to_eof(pl: &mut Player) -> Vec<u8> {
    read_batches_to_eof(pl, 1)
}

/// The same with `read` (`max` = 1) or with `read_batch` of up to `max`.
fn read_batches_to_eof(pl: &mut Player, max: usize) -> Vec<u8> {
    let mut seen = Vec::new();
    loop {
        let got = if max == 1 {
            pl.read().map(|t| seen.push(t.data[2]))
        } else {
            pl.read_batch(max, |t| seen.push(t.data[2]))
                .map(|n| assert!((1..=max).contains(&n)))
        };
        match got {
            Ok(()) => {}
            Err(Error::Again) => match pl.wait(FOREVER) {
                Ok(()) => {}
                Err(Error::Eof) => return seen,
                Err(e) => panic!("wait: {e}"),
            },
            Err(Error::Eof) => return seen,
            Err(e) => panic!("read: {e}"),
        }
    }
}

fn cfg() -> Config {
    Config {
        republish_wait_ms: 0,
        ..Default::default()
    }
}

#[test]
fn stream_freed_once_by_the_last_release() {
    loom::model(|| {
        struct Probe(Arc<AtomicUsize>);
        impl Drop for Probe {
            fn drop(&mut self) {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
        let drops = Arc::new(AtomicUsize::new(0));
        let hub = Hub::new(cfg());
        let s = hub.stream("k").unwrap();
        s.set_userdata(Some(Box::new(Probe(drops.clone()))));
        let p = s.publish().unwrap();
        let pl = s.play(Default::default()).unwrap();
        let t1 = thread::spawn(move || drop(p));
        let t2 = thread::spawn(move || drop(pl));
        drop(s);
        drop(hub);
        t1.join().unwrap();
        t2.join().unwrap();
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn cursor_crosses_segments_while_publisher_appends() {
    loom::model(|| {
        let hub = Hub::new(cfg());
        let s = hub.stream("k").unwrap();
        let mut pl = s.play(Default::default()).unwrap();
        let mut p = s.publish().unwrap();
        let publisher = thread::spawn(move || {
            for n in 0..3 {
                p.push_tag(8, n as u32 * 23, &aac(n)).unwrap();
            }
            // dropping = unpublish; with no republish wait, the end.
        });
        let seen = read_to_eof(&mut pl);
        publisher.join().unwrap();
        assert_eq!(seen, vec![0, 1, 2]);
    });
}

#[test]
fn batch_reads_cross_segments_while_publisher_appends() {
    loom::model(|| {
        let hub = Hub::new(cfg());
        let s = hub.stream("k").unwrap();
        let mut pl = s.play(Default::default()).unwrap();
        let mut p = s.publish().unwrap();
        let publisher = thread::spawn(move || {
            for n in 0..5 {
                p.push_tag(8, n as u32 * 23, &aac(n)).unwrap();
            }
        });
        let seen = read_batches_to_eof(&mut pl, 8);
        publisher.join().unwrap();
        // Three segments of two tags under loom, read in batches of up to
        // eight while they fill: every tag once, in order.
        assert_eq!(seen, vec![0, 1, 2, 3, 4]);
    });
}

#[test]
fn eviction_never_frees_under_a_reader() {
    loom::model(|| {
        // A 1 ms lag window and 1 s steps: every push evicts what it can.
        let hub = Hub::new(Config {
            max_lag_ms: 1,
            ..cfg()
        });
        let s = hub.stream("k").unwrap();
        let mut pl = s.play(Default::default()).unwrap();
        let mut p = s.publish().unwrap();
        let publisher = thread::spawn(move || {
            for n in 0..4 {
                p.push_tag(8, n as u32 * 1000, &aac(n)).unwrap();
            }
        });
        let seen = read_to_eof(&mut pl);
        publisher.join().unwrap();
        // Whatever was skipped, what was read is in order and intact.
        assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
        assert!(seen.iter().all(|&n| n < 4));
    });
}

#[test]
fn callback_never_runs_after_clearing_returns() {
    loom::model(|| {
        let hub = Hub::new(cfg());
        let s = hub.stream("k").unwrap();
        let mut pl = s.play(Default::default()).unwrap();
        let cleared = Arc::new(AtomicBool::new(false));
        let calls = Arc::new(AtomicUsize::new(0));
        let (c2, n2) = (cleared.clone(), calls.clone());
        pl.notifier()
            .set_callback(Some(std::sync::Arc::new(move || {
                assert!(!c2.load(Ordering::SeqCst));
                n2.fetch_add(1, Ordering::SeqCst);
            })));
        assert_eq!(pl.read().err(), Some(Error::Again)); // armed
        let mut p = s.publish().unwrap();
        let publisher = thread::spawn(move || {
            p.push_tag(8, 0, &aac(0)).unwrap();
            p.push_tag(8, 23, &aac(1)).unwrap();
        });
        pl.notifier().set_callback(None);
        cleared.store(true, Ordering::SeqCst);
        publisher.join().unwrap();
        assert!(
            calls.load(Ordering::SeqCst) <= 1,
            "one arming, at most one call"
        );
    });
}

#[test]
fn removal_races_reading_and_publishing() {
    loom::model(|| {
        let hub = Arc::new(Hub::new(Config {
            republish_wait_ms: 60_000,
            ..Default::default()
        }));
        let s = hub.stream("k").unwrap();
        let mut pl = s.play(Default::default()).unwrap();
        let mut p = s.publish().unwrap();
        drop(s);
        let h = hub.clone();
        let remover = thread::spawn(move || h.remove("k").unwrap());
        let publisher = thread::spawn(move || {
            for n in 0..2 {
                match p.push_tag(8, n as u32, &aac(n)) {
                    Ok(()) => {}
                    Err(e) => {
                        assert_eq!(e, Error::Closed);
                        return n;
                    }
                }
            }
            2
        });
        let seen = read_to_eof(&mut pl);
        remover.join().unwrap();
        let pushed = publisher.join().unwrap();
        // Everything stored before the removal is delivered, then EOF.
        assert_eq!(seen.len() as u8, pushed);
    });
}

fn counting_group() -> (Group, Arc<AtomicUsize>) {
    let wakes = Arc::new(AtomicUsize::new(0));
    let w = wakes.clone();
    let group = Group::new(move || {
        w.fetch_add(1, Ordering::SeqCst);
    });
    (group, wakes)
}

fn in_group(g: &Group) -> PlayOptions {
    PlayOptions {
        group: Some(g.clone()),
        ..Default::default()
    }
}

/// A player reads to the live edge (arming into its group without the
/// stream lock) while a push lands: either it reads the new tag, or the
/// push finds it armed and wakes the group. Never neither.
#[test]
fn grouped_arming_never_loses_a_push() {
    loom::model(|| {
        let hub = Hub::new(cfg());
        let s = hub.stream("k").unwrap();
        let (group, wakes) = counting_group();
        let mut pl = s.play(in_group(&group)).unwrap();
        let calls = Arc::new(AtomicUsize::new(0));
        let c = calls.clone();
        pl.notifier()
            .set_callback(Some(std::sync::Arc::new(move || {
                c.fetch_add(1, Ordering::SeqCst);
            })));
        let mut p = s.publish().unwrap();
        p.push_tag(8, 0, &aac(0)).unwrap();
        assert_eq!(pl.read().unwrap().data[2], 0); // pins the segment
        let publisher = thread::spawn(move || {
            p.push_tag(8, 23, &aac(1)).unwrap();
            p
        });
        let mut got = Vec::new();
        loop {
            match pl.read() {
                Ok(t) => got.push(t.data[2]),
                Err(Error::Again) => break,
                Err(e) => panic!("read: {e}"),
            }
        }
        let p = publisher.join().unwrap();
        if got.is_empty() {
            // It armed before the tag was there: the push must have woken
            // the group, and dispatch runs the callback once.
            assert_eq!(wakes.load(Ordering::SeqCst), 1);
            assert_eq!(group.dispatch(), 1);
            assert_eq!(pl.read().unwrap().data[2], 1);
        } else {
            assert_eq!(got, vec![1]);
            assert!(wakes.load(Ordering::SeqCst) <= 1);
        }
        assert!(group.dispatch() <= 1);
        assert!(calls.load(Ordering::SeqCst) <= 1);
        drop(p);
    });
}

/// Dispatch on the loop's thread against pushes and a clearing of the
/// callback on others: a wake per dispatch cycle at most, a callback at
/// most once per arming, and never after the clearing returned.
#[test]
fn dispatch_against_pushes_and_clearing() {
    loom::model(|| {
        let hub = Hub::new(cfg());
        let s = hub.stream("k").unwrap();
        let (group, wakes) = counting_group();
        let mut pl = s.play(in_group(&group)).unwrap();
        let cleared = Arc::new(AtomicBool::new(false));
        let calls = Arc::new(AtomicUsize::new(0));
        let (c2, n2) = (cleared.clone(), calls.clone());
        pl.notifier()
            .set_callback(Some(std::sync::Arc::new(move || {
                assert!(!c2.load(Ordering::SeqCst));
                n2.fetch_add(1, Ordering::SeqCst);
            })));
        assert_eq!(pl.read().err(), Some(Error::Again)); // armed in the group
        let mut p = s.publish().unwrap();
        let publisher = thread::spawn(move || {
            p.push_tag(8, 0, &aac(0)).unwrap();
            p.push_tag(8, 23, &aac(1)).unwrap();
            p
        });
        let g = group.clone();
        let looper = thread::spawn(move || g.dispatch());
        pl.notifier().set_callback(None);
        cleared.store(true, Ordering::SeqCst);
        let ran = looper.join().unwrap();
        let p = publisher.join().unwrap();
        assert!(ran <= 1);
        assert!(calls.load(Ordering::SeqCst) <= 1, "one arming, one call");
        // One arming: one wake, however the pushes and the dispatch fell.
        assert!(wakes.load(Ordering::SeqCst) <= 1);
        drop(p);
    });
}

/// A counting callback for the dozing models.
fn counting_callback() -> (livehub::Callback, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let cb: livehub::Callback = std::sync::Arc::new(move || {
        c.fetch_add(1, Ordering::SeqCst);
    });
    (cb, calls)
}

/// A player with no callback dozes at the live edge (off the waiter list);
/// a callback installed on it from another thread while the publisher
/// pushes runs for that push whenever it was installed before the push
/// began, at most once in any order, and the player reads the tag and
/// arms again with its callback in every order.
#[test]
fn a_callback_installed_on_a_dozing_player_never_misses_a_push() {
    loom::model(|| {
        let hub = Hub::new(cfg());
        let s = hub.stream("k").unwrap();
        let mut p = s.publish().unwrap();
        let mut pl = s.play(Default::default()).unwrap();
        assert_eq!(pl.read().err(), Some(Error::Again)); // dozes
        let (cb, calls) = counting_callback();
        let installed = Arc::new(AtomicBool::new(false));
        let (notifier, i2) = (pl.notifier().clone(), installed.clone());
        let setter = thread::spawn(move || {
            notifier.set_callback(Some(cb));
            i2.store(true, Ordering::SeqCst);
        });
        let before = installed.load(Ordering::SeqCst);
        p.push_tag(8, 0, &aac(0)).unwrap();
        setter.join().unwrap();
        let after_push = calls.load(Ordering::SeqCst);
        assert!(after_push <= 1, "one arming, at most one call");
        if before {
            assert_eq!(after_push, 1, "installed before the push: it ran");
        }
        assert_eq!(pl.read().unwrap().data[2], 0);
        assert_eq!(pl.read().err(), Some(Error::Again)); // armed, with its callback
        p.push_tag(8, 23, &aac(1)).unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), after_push + 1);
    });
}

/// A read reaching the live edge on one thread while another installs the
/// callback: whichever comes first (the read arms with the callback, or
/// dozes and the callback puts it on the list), the next push calls it
/// exactly once.
#[test]
fn reading_to_the_edge_races_installing_the_callback() {
    loom::model(|| {
        let hub = Hub::new(cfg());
        let s = hub.stream("k").unwrap();
        let mut p = s.publish().unwrap();
        let mut pl = s.play(Default::default()).unwrap();
        p.push_tag(8, 0, &aac(0)).unwrap();
        let (cb, calls) = counting_callback();
        let notifier = pl.notifier().clone();
        let reader = thread::spawn(move || {
            assert_eq!(pl.read().unwrap().data[2], 0);
            assert_eq!(pl.read().err(), Some(Error::Again));
            pl
        });
        notifier.set_callback(Some(cb));
        let pl = reader.join().unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 0);
        p.push_tag(8, 23, &aac(1)).unwrap();
        p.push_tag(8, 46, &aac(2)).unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        drop(pl);
    });
}
