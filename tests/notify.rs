//! Wake-ups: once per arming, callbacks free to call back, releases that
//! race callbacks, and the blocking wait.

mod common;
use common::*;
use livehub::{Callback, Config, Error, Hub, Player};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

fn counter() -> (Arc<AtomicUsize>, Callback) {
    let n = Arc::new(AtomicUsize::new(0));
    let m = n.clone();
    (
        n,
        Arc::new(move || {
            m.fetch_add(1, Ordering::SeqCst);
        }),
    )
}

#[test]
fn fires_at_most_once_per_arming() {
    let hub = Hub::new(Default::default());
    let s = hub.stream("a").unwrap();
    let mut pl = s.play(Default::default()).unwrap();
    let (n, cb) = counter();
    pl.notifier().set_callback(Some(cb));
    let mut p = s.publish().unwrap();
    p.push_tag(AUDIO, 0, &aac(0)).unwrap();
    assert_eq!(n.load(Ordering::SeqCst), 0, "not armed yet");
    drain(&mut pl); // AGAIN arms
    for i in 1..100 {
        p.push_tag(AUDIO, i * 23, &aac(i)).unwrap();
    }
    assert_eq!(
        n.load(Ordering::SeqCst),
        1,
        "100 pushes, one arming, one call"
    );
    drain(&mut pl);
    drain(&mut pl); // arming twice queues once
    p.push_tag(AUDIO, 5000, &aac(100)).unwrap();
    assert_eq!(n.load(Ordering::SeqCst), 2);
    // Removal wakes an armed player too.
    drain(&mut pl);
    hub.remove("a").unwrap();
    assert_eq!(n.load(Ordering::SeqCst), 3);
    assert_eq!(pl.read().err(), Some(Error::Eof));
}

#[test]
fn callback_may_read_its_own_player() {
    let hub = Hub::new(Default::default());
    let s = hub.stream("a").unwrap();
    let player = Arc::new(Mutex::new(None::<Player>));
    let got = Arc::new(AtomicUsize::new(0));
    let (pl2, got2) = (player.clone(), got.clone());
    let mut pl = s.play(Default::default()).unwrap();
    pl.notifier().set_callback(Some(Arc::new(move || {
        // Runs on the publisher's thread, after livehub let go of its locks.
        let mut guard = pl2.lock().unwrap();
        let pl = guard.as_mut().unwrap();
        while pl.read().is_ok() {
            got2.fetch_add(1, Ordering::SeqCst);
        } // ends with AGAIN: re-armed from inside the callback
    })));
    assert_eq!(pl.read().err(), Some(Error::Again));
    *player.lock().unwrap() = Some(pl);
    let mut p = s.publish().unwrap();
    for i in 0..50 {
        p.push_tag(AUDIO, i * 23, &aac(i)).unwrap();
    }
    assert_eq!(got.load(Ordering::SeqCst), 50);
    // The callback can also clear itself.
    let pl = player.lock().unwrap().take().unwrap();
    let n = pl.notifier().clone();
    let n2 = n.clone();
    n.set_callback(Some(Arc::new(move || n2.set_callback(None))));
    drop(pl);
}

#[test]
fn callback_may_release_its_own_player() {
    let hub = Hub::new(Default::default());
    let s = hub.stream("a").unwrap();
    let slot = Arc::new(Mutex::new(None::<Player>));
    let slot2 = slot.clone();
    let mut pl = s.play(Default::default()).unwrap();
    pl.notifier().set_callback(Some(Arc::new(move || {
        drop(slot2.lock().unwrap().take()); // release from inside: no deadlock
    })));
    let _ = pl.read();
    *slot.lock().unwrap() = Some(pl);
    let mut p = s.publish().unwrap();
    p.push_tag(AUDIO, 0, &aac(0)).unwrap();
    assert!(slot.lock().unwrap().is_none());
    assert_eq!(s.player_count(), 0);
}

/// Releases (or clears the callback of) players while another thread keeps
/// firing them: once the release returns, the callback never runs again.
/// Rounds of `race`: under Miri (`make deep-check`), where a test runs 50
/// to 100 times slower, enough to race the callback against its release a
/// few dozen times; natively, enough to hit the narrow windows.
const RACE_ROUNDS: usize = if cfg!(miri) { 40 } else { 2_000 };

fn race(clear_only: bool) {
    let hub = Arc::new(Hub::new(Default::default()));
    let s = hub.stream("race").unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let pusher = {
        let (s, stop) = (s.clone(), stop.clone());
        thread::spawn(move || {
            let mut p = s.publish().unwrap();
            let mut i = 0;
            while !stop.load(Ordering::SeqCst) && i < 2_000_000 {
                p.push_tag(AUDIO, i, &aac(i)).unwrap();
                i += 1;
            }
        })
    };
    let calls = Arc::new(AtomicUsize::new(0));
    for _ in 0..RACE_ROUNDS {
        let released = Arc::new(AtomicBool::new(false));
        let mut pl = s.play(Default::default()).unwrap();
        let (r, c) = (released.clone(), calls.clone());
        pl.notifier().set_callback(Some(Arc::new(move || {
            assert!(
                !r.load(Ordering::SeqCst),
                "callback ran after its release returned"
            );
            c.fetch_add(1, Ordering::SeqCst);
            thread::yield_now();
        })));
        for _ in 0..3 {
            while pl.read().is_ok() {}
            thread::yield_now();
        }
        if clear_only {
            pl.notifier().set_callback(None);
            released.store(true, Ordering::SeqCst);
            while pl.read().is_ok() {}
            thread::yield_now();
        } else {
            drop(pl);
            released.store(true, Ordering::SeqCst);
        }
    }
    stop.store(true, Ordering::SeqCst);
    pusher.join().unwrap();
    assert!(calls.load(Ordering::SeqCst) > 0);
}

#[test]
fn release_racing_a_callback() {
    race(false);
}

#[test]
fn clearing_racing_a_callback() {
    race(true);
}

#[test]
fn blocking_wait() {
    let hub = Arc::new(Hub::new(Config {
        republish_wait_ms: 0,
        ..Default::default()
    }));
    let s = hub.stream("a").unwrap();
    let mut pl = s.play(Default::default()).unwrap();
    assert_eq!(
        pl.wait(Duration::from_millis(0)).err(),
        Some(Error::Timeout)
    );
    assert_eq!(
        pl.wait(Duration::from_millis(20)).err(),
        Some(Error::Timeout)
    );
    let reader = thread::spawn(move || {
        let mut n = 0;
        loop {
            match pl.wait(Duration::from_secs(60)) {
                Ok(()) => {
                    while pl.read().is_ok() {
                        n += 1;
                    }
                }
                Err(Error::Eof) => return n,
                Err(e) => panic!("{e}"),
            }
        }
    });
    let mut p = s.publish().unwrap();
    // 300 tags, 7 s of audio: all within the lag window, so however the
    // threads interleave the reader gets every one.
    for i in 0..300 {
        p.push_tag(AUDIO, i * 23, &aac(i)).unwrap();
    }
    drop(p); // republish wait 0: the reader sees EOF after the data
    assert_eq!(reader.join().unwrap(), 300);
}

#[test]
fn wait_sees_the_republish_wait_run_out_without_tick() {
    let hub = Hub::new(Config {
        republish_wait_ms: 50,
        ..Default::default()
    });
    let s = hub.stream("a").unwrap();
    let mut pl = s.play(Default::default()).unwrap();
    drop(s.publish().unwrap());
    // Real clock: the wait itself notices the deadline.
    assert_eq!(pl.wait(Duration::from_secs(30)).err(), Some(Error::Eof));
}
