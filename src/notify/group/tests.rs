//! The group protocol through the core API: one wake per group per
//! dispatch cycle, callbacks only in dispatch, and every guarantee of a
//! player's callback kept there.

use crate::notify::tests::count_calls;
use crate::{Config, Error, Group, Hub, PlayOptions, Player, Stream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn counting_group() -> (Group, Arc<AtomicUsize>) {
    let wakes = Arc::new(AtomicUsize::new(0));
    let w = wakes.clone();
    let group = Group::new(move || {
        w.fetch_add(1, Ordering::SeqCst);
    });
    (group, wakes)
}

fn grouped(stream: &Stream, g: &Group) -> Player {
    stream
        .play(PlayOptions {
            group: Some(g.clone()),
            ..Default::default()
        })
        .unwrap()
}

fn aac(n: u8) -> [u8; 3] {
    [0xaf, 1, n]
}

fn drain(p: &mut Player) -> usize {
    let mut n = 0;
    while p.read().is_ok() {
        n += 1;
    }
    n
}

#[test]
fn one_wake_per_dispatch_cycle_whatever_the_players() {
    let hub = Hub::new(Config::default());
    let s = hub.stream("g/one").unwrap();
    let (g, wakes) = counting_group();
    let mut players: Vec<Player> = (0..50).map(|_| grouped(&s, &g)).collect();
    let calls: Vec<_> = players.iter().map(count_calls).collect();
    for p in &mut players {
        assert_eq!(p.read().err(), Some(Error::Again));
    }
    let mut publisher = s.publish().unwrap();
    for round in 0..3u8 {
        for k in 0..4 {
            publisher
                .push_tag(8, (round * 4 + k) as u32, &aac(k))
                .unwrap();
        }
        assert_eq!(wakes.load(Ordering::SeqCst), round as usize + 1);
        // Nothing ran on the publisher's thread.
        assert!(calls
            .iter()
            .all(|c| c.load(Ordering::SeqCst) == round as usize));
        assert_eq!(g.dispatch(), 50);
        assert_eq!(g.dispatch(), 0, "at most once per arming");
        for p in &mut players {
            assert_eq!(drain(p), 4);
        }
    }
    assert_eq!(g.wakes(), 3);
}

#[test]
fn only_players_with_news_run() {
    let hub = Hub::new(Config::default());
    let (a, b) = (hub.stream("g/a").unwrap(), hub.stream("g/b").unwrap());
    let (g, wakes) = counting_group();
    let mut pa = grouped(&a, &g);
    let mut pb = grouped(&b, &g);
    let (ca, cb) = (count_calls(&pa), count_calls(&pb));
    assert_eq!(pa.read().err(), Some(Error::Again));
    assert_eq!(pb.read().err(), Some(Error::Again));
    a.publish().unwrap().push_tag(8, 0, &aac(0)).unwrap();
    assert_eq!(wakes.load(Ordering::SeqCst), 1);
    assert_eq!(g.dispatch(), 1);
    assert_eq!(
        (ca.load(Ordering::SeqCst), cb.load(Ordering::SeqCst)),
        (1, 0)
    );
    // The unpublish above (the publisher was a temporary) was news for
    // `pa` only if it had re-armed: it had not.
    assert_eq!(g.dispatch(), 0);
    assert!(pa.read().is_ok());
    let _ = pb;
}

#[test]
fn news_after_dispatch_started_wakes_again() {
    let hub = Hub::new(Config::default());
    let s = hub.stream("g/again").unwrap();
    let (g, wakes) = counting_group();
    let mut p = grouped(&s, &g);
    let publisher = Arc::new(Mutex::new(s.publish().unwrap()));
    // The callback reads to the edge (re-arming), then a push lands while
    // the dispatch is still running: the group is woken a second time.
    let pl = Arc::new(Mutex::new(None::<Player>));
    let (pl2, pub2) = (pl.clone(), publisher.clone());
    p.notifier().set_callback(Some(Arc::new(move || {
        let mut guard = pl2.lock().unwrap();
        let p = guard.as_mut().unwrap();
        while p.read().is_ok() {}
        let mut pb = pub2.lock().unwrap();
        if pb.stats().tags_in < 2 {
            pb.push_tag(8, 10, &aac(1)).unwrap();
        }
    })));
    assert_eq!(p.read().err(), Some(Error::Again));
    *pl.lock().unwrap() = Some(p);
    publisher.lock().unwrap().push_tag(8, 0, &aac(0)).unwrap();
    assert_eq!(wakes.load(Ordering::SeqCst), 1);
    assert_eq!(g.dispatch(), 1);
    assert_eq!(wakes.load(Ordering::SeqCst), 2);
    assert_eq!(g.dispatch(), 1);
    assert_eq!(wakes.load(Ordering::SeqCst), 2);
    drop(pl.lock().unwrap().take());
}

#[test]
fn a_callback_may_release_its_player() {
    let hub = Hub::new(Config::default());
    let s = hub.stream("g/release").unwrap();
    let (g, _) = counting_group();
    let slot = Arc::new(Mutex::new(None::<Player>));
    let p = grouped(&s, &g);
    let s2 = slot.clone();
    p.notifier().set_callback(Some(Arc::new(move || {
        drop(s2.lock().unwrap().take());
    })));
    let mut p = p;
    assert_eq!(p.read().err(), Some(Error::Again));
    *slot.lock().unwrap() = Some(p);
    s.publish().unwrap().push_tag(8, 0, &aac(0)).unwrap();
    assert_eq!(g.dispatch(), 1);
    assert!(slot.lock().unwrap().is_none());
    assert_eq!(s.player_count(), 0);
}

#[test]
fn cleared_or_released_players_never_run() {
    let hub = Hub::new(Config::default());
    let s = hub.stream("g/clear").unwrap();
    let (g, wakes) = counting_group();
    let mut cleared = grouped(&s, &g);
    let mut released = grouped(&s, &g);
    let (cc, _) = (count_calls(&cleared), count_calls(&released));
    assert_eq!(cleared.read().err(), Some(Error::Again));
    assert_eq!(released.read().err(), Some(Error::Again));
    cleared.notifier().set_callback(None);
    drop(released);
    s.publish().unwrap().push_tag(8, 0, &aac(0)).unwrap();
    assert_eq!(
        wakes.load(Ordering::SeqCst),
        1,
        "the cleared player was armed"
    );
    assert_eq!(g.dispatch(), 0);
    assert_eq!(cc.load(Ordering::SeqCst), 0);
}

#[test]
fn released_players_do_not_pile_up_in_a_quiet_stream() {
    let hub = Hub::new(Config::default());
    let s = hub.stream("g/churn").unwrap();
    let (g, _) = counting_group();
    let keep = grouped(&s, &g);
    let _c = count_calls(&keep);
    for _ in 0..10_000 {
        let mut p = grouped(&s, &g);
        let _ = count_calls(&p);
        assert_eq!(p.read().err(), Some(Error::Again));
        drop(p);
    }
    let link = keep.group_link().unwrap();
    assert!(link.armed_len() <= 2, "{}", link.armed_len());
}

#[test]
fn wait_works_for_a_grouped_player() {
    let hub = Hub::new(Config::default());
    let s = hub.stream("g/wait").unwrap();
    let (g, wakes) = counting_group();
    let mut p = grouped(&s, &g);
    let calls = count_calls(&p);
    let mut publisher = s.publish().unwrap();
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        publisher.push_tag(8, 0, &aac(0)).unwrap();
        publisher
    });
    assert_eq!(p.wait(Duration::from_secs(30)), Ok(()));
    assert!(p.read().is_ok());
    let _publisher = t.join().unwrap();
    // Waiting is not a read: the group was not armed, nothing to dispatch.
    assert_eq!(wakes.load(Ordering::SeqCst), 0);
    assert_eq!(g.dispatch(), 0);
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[test]
fn the_end_of_the_stream_is_news() {
    let hub = Hub::new(Config {
        republish_wait_ms: 0,
        ..Default::default()
    });
    let s = hub.stream("g/end").unwrap();
    let (g, wakes) = counting_group();
    let mut p = grouped(&s, &g);
    let calls = count_calls(&p);
    let publisher = s.publish().unwrap();
    assert_eq!(p.read().err(), Some(Error::Again));
    drop(publisher);
    assert_eq!(wakes.load(Ordering::SeqCst), 1);
    assert_eq!(g.dispatch(), 1);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(p.read().err(), Some(Error::Eof));
}

#[test]
fn closed_group_never_wakes_but_players_read_on() {
    let hub = Hub::new(Config::default());
    let s = hub.stream("g/closed").unwrap();
    let (g, wakes) = counting_group();
    let mut p = grouped(&s, &g);
    let _c = count_calls(&p);
    assert_eq!(p.read().err(), Some(Error::Again));
    g.close();
    s.publish().unwrap().push_tag(8, 0, &aac(0)).unwrap();
    assert_eq!(wakes.load(Ordering::SeqCst), 0);
    assert!(p.read().is_ok());
}

#[test]
fn many_grouped_players_on_four_groups_cost_a_push_four_wakes() {
    let hub = Hub::new(Config::default());
    let s = hub.stream("g/many").unwrap();
    let groups: Vec<_> = (0..4).map(|_| counting_group()).collect();
    let mut players: Vec<Player> = (0..100_000)
        .map(|i| grouped(&s, &groups[i % 4].0))
        .collect();
    let cb: crate::Callback = Arc::new(|| {});
    for p in &mut players {
        p.notifier().set_callback(Some(cb.clone()));
        assert_eq!(p.read().err(), Some(Error::Again));
    }
    s.publish().unwrap().push_tag(8, 0, &aac(0)).unwrap();
    let wakes: usize = groups.iter().map(|(_, w)| w.load(Ordering::SeqCst)).sum();
    assert_eq!(wakes, 4);
    let fired: usize = groups.iter().map(|(g, _)| g.dispatch()).sum();
    assert_eq!(fired, 100_000);
}

/// The players fall far behind a publisher that pushes everything and
/// leaves: they read segment after segment, the last one sealed before
/// they get there, and must see the end there rather than arm.
#[test]
fn a_loop_thread_follows_a_fast_publisher() {
    use std::sync::mpsc;
    let hub = Hub::new(Config {
        republish_wait_ms: 0,
        ..Default::default()
    });
    let s = hub.stream("g/loop").unwrap();
    let (tx, rx) = mpsc::channel::<()>();
    let tx = Mutex::new(tx);
    let g = Group::new(move || {
        let _ = tx.lock().unwrap().send(());
    });
    type Slot = Arc<Mutex<Option<(Player, u64)>>>;
    let slots: Vec<Slot> = (0..100).map(|_| Arc::new(Mutex::new(None))).collect();
    let done = Arc::new(AtomicUsize::new(0));
    for slot in &slots {
        let mut p = grouped(&s, &g);
        let (sl, d) = (slot.clone(), done.clone());
        p.notifier().set_callback(Some(Arc::new(move || {
            let mut guard = sl.lock().unwrap();
            let Some((p, n)) = guard.as_mut() else { return };
            loop {
                match p.read() {
                    Ok(_) => *n += 1,
                    Err(Error::Again) => return,
                    Err(Error::Eof) => break,
                    Err(e) => panic!("{e}"),
                }
            }
            assert_eq!(*n, 2000);
            *guard = None;
            d.fetch_add(1, Ordering::SeqCst);
        })));
        assert_eq!(p.read().err(), Some(Error::Again));
        *slot.lock().unwrap() = Some((p, 0));
    }
    let mut publisher = s.publish().unwrap();
    let t = std::thread::spawn(move || {
        for i in 0..2000u32 {
            publisher.push_tag(8, i, &aac(i as u8)).unwrap();
        }
    });
    while done.load(Ordering::SeqCst) < 100 {
        rx.recv_timeout(Duration::from_secs(30))
            .expect("every change woken, the end included");
        g.dispatch();
    }
    t.join().unwrap();
}

#[test]
fn a_player_that_armed_after_the_news_waits_for_the_next() {
    let hub = Hub::new(Config::default());
    let s = hub.stream("g/later").unwrap();
    let (g, wakes) = counting_group();
    let mut early = grouped(&s, &g);
    let mut late = grouped(&s, &g);
    let (early_calls, late_calls) = (count_calls(&early), count_calls(&late));
    let mut publisher = s.publish().unwrap();
    publisher.push_tag(8, 0, &aac(0)).unwrap();
    assert_eq!(drain(&mut early), 1);
    publisher.push_tag(8, 23, &aac(1)).unwrap(); // news for `early` only
    assert_eq!(wakes.load(Ordering::SeqCst), 1);
    // `late` arms after the news, before the loop dispatches.
    assert_eq!(drain(&mut late), 2);
    assert_eq!(g.dispatch(), 1);
    assert_eq!(early_calls.load(Ordering::SeqCst), 1);
    assert_eq!(
        late_calls.load(Ordering::SeqCst),
        0,
        "no news since it armed"
    );
    // The next change is news for `late`; `early` has not armed again.
    publisher.push_tag(8, 46, &aac(2)).unwrap();
    assert_eq!(wakes.load(Ordering::SeqCst), 2);
    assert_eq!(g.dispatch(), 1);
    assert_eq!(late_calls.load(Ordering::SeqCst), 1);
    assert_eq!(early_calls.load(Ordering::SeqCst), 1);
}
