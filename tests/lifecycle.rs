//! Lifetimes: every handle owns, every release order is safe, userdata is
//! dropped exactly once by whoever lets the last handle go.

mod common;
use common::*;
use livehub::{Config, Error, Hub, Player, PublisherState};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;

/// Userdata that records how often and on which thread it was dropped.
struct Probe {
    drops: Arc<AtomicUsize>,
    thread: Arc<Mutex<Option<String>>>,
}
impl Drop for Probe {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
        *self.thread.lock().unwrap() = thread::current().name().map(str::to_owned);
    }
}

#[allow(dead_code)] // held only to be dropped
enum Handle {
    Hub(Hub),
    Stream(livehub::Stream),
    Publisher(livehub::Publisher),
    Player(Player),
}

fn permutations(n: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return vec![vec![]];
    }
    let mut out = Vec::new();
    for p in permutations(n - 1) {
        for i in 0..=p.len() {
            let mut q = p.clone();
            q.insert(i, n - 1);
            out.push(q);
        }
    }
    out
}

#[test]
fn srs_4143_second_player_survives_everything_else_going() {
    let hub = Hub::new(Config {
        republish_wait_ms: 0,
        ..Default::default()
    });
    let s = hub.stream("live/livestream").unwrap();
    let mut first = s.play(Default::default()).unwrap();
    let mut second = s.play(Default::default()).unwrap();
    let mut p = s.publish().unwrap();
    start(&mut p, 0);
    push_av(&mut p, 0, 30, 25, 0);
    drain(&mut first);
    drop(p); // the encoder stops
    assert_eq!(drain(&mut first).1, Error::Eof);
    drop(first); // the first player leaves
    drop(s);
    drop(hub); // the server tears the stream down
               // The second player resumes: everything published, then end of stream.
    let (tags, last) = drain(&mut second);
    assert_eq!((tags.len(), last), (63, Error::Eof));
}

#[test]
fn every_release_order_on_different_threads() {
    let orders = permutations(5);
    assert_eq!(orders.len(), 120);
    for order in orders {
        let drops = Arc::new(AtomicUsize::new(0));
        let dropped_on = Arc::new(Mutex::new(None));
        let hub = Hub::new(Config {
            republish_wait_ms: 0,
            ..Default::default()
        });
        let s = hub.stream("live/x").unwrap();
        s.set_userdata(Some(Box::new(Probe {
            drops: drops.clone(),
            thread: dropped_on.clone(),
        })));
        let a = s.play(Default::default()).unwrap();
        let b = s.play(Default::default()).unwrap();
        let mut p = s.publish().unwrap();
        start(&mut p, 0);
        push_av(&mut p, 0, 10, 5, 0);
        let mut handles: Vec<Option<Handle>> = vec![
            Some(Handle::Hub(hub)),
            Some(Handle::Stream(s)),
            Some(Handle::Publisher(p)),
            Some(Handle::Player(a)),
            Some(Handle::Player(b)),
        ];
        for (step, &i) in order.iter().enumerate() {
            let h = handles[i].take().unwrap();
            assert_eq!(
                drops.load(Ordering::SeqCst),
                0,
                "dropped early, order {order:?}"
            );
            let (tx, rx) = mpsc::channel();
            // Surviving players keep reading on their own threads meanwhile.
            let readers: Vec<_> = handles
                .iter_mut()
                .enumerate()
                .filter_map(|(slot, h)| match h.take() {
                    Some(Handle::Player(mut pl)) => Some(thread::spawn(move || {
                        let (_, last) = drain(&mut pl);
                        assert!(matches!(last, Error::Again | Error::Eof));
                        (slot, Handle::Player(pl))
                    })),
                    other => {
                        *h = other;
                        None
                    }
                })
                .collect();
            thread::Builder::new()
                .name(format!("release-{step}"))
                .spawn(move || {
                    drop(h);
                    tx.send(()).unwrap();
                })
                .unwrap()
                .join()
                .unwrap();
            rx.recv().unwrap();
            for r in readers {
                let (slot, back) = r.join().unwrap();
                handles[slot] = Some(back);
            }
        }
        assert_eq!(drops.load(Ordering::SeqCst), 1, "order {order:?}");
        assert_eq!(
            dropped_on.lock().unwrap().as_deref(),
            Some("release-4"),
            "order {order:?}"
        );
    }
}

#[test]
fn userdata_replacement_drops_the_old_value_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    let t = Arc::new(Mutex::new(None));
    let hub = Hub::new(Default::default());
    let s = hub.stream("a").unwrap();
    s.set_userdata(Some(Box::new(Probe {
        drops: drops.clone(),
        thread: t.clone(),
    })));
    s.set_userdata(Some(Box::new(7u32)));
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    assert_eq!(
        s.with_userdata(|u| u.and_then(|u| u.downcast_ref::<u32>()).copied()),
        Some(7)
    );
    drop(s);
    drop(hub);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn remove_with_attached_handles() {
    let hub = Hub::new(Default::default());
    let s = hub.stream("live/r").unwrap();
    let mut pl = s.play(Default::default()).unwrap();
    let mut p = s.publish().unwrap();
    start(&mut p, 0);
    hub.remove("live/r").unwrap();
    assert_eq!(hub.remove("live/r").err(), Some(Error::NotFound));
    assert_eq!(p.push_tag(AUDIO, 1, &aac(1)).err(), Some(Error::Closed));
    assert_eq!(s.play(Default::default()).err(), Some(Error::Closed));
    assert_eq!(s.publish().err(), Some(Error::Closed));
    let (tags, last) = drain(&mut pl);
    assert_eq!((tags.len(), last), (3, Error::Eof));
    // The key is free at once, for an independent stream.
    let s2 = hub.stream("live/r").unwrap();
    let mut p2 = s2.publish().unwrap();
    let mut pl2 = s2.play(Default::default()).unwrap();
    p2.push_tag(AUDIO, 0, &aac(2)).unwrap();
    assert_eq!(frame_no(&drain(&mut pl2).0[0]), Some(2));
    assert_eq!(pl.read().err(), Some(Error::Eof));
}

#[test]
fn second_publisher_is_busy_until_the_first_goes() {
    let hub = Hub::new(Default::default());
    let s = hub.stream("a").unwrap();
    let p = s.publish().unwrap();
    assert_eq!(s.publish().err(), Some(Error::Busy));
    assert_eq!(s.stats().publisher, PublisherState::Active);
    drop(p);
    assert_ne!(s.stats().publisher, PublisherState::Active);
    let _p2 = s.publish().unwrap();
    assert_eq!(s.stats().publish_count, 2);
}

#[test]
fn many_threads_hammering_one_stream() {
    // Publishers come and go, players join, read and leave, the key is
    // removed and recreated: bounded, seeded, no sleeps.
    use rand::{rngs::StdRng, Rng, SeedableRng};
    let hub = Arc::new(Hub::new(Config {
        republish_wait_ms: 0,
        ..Default::default()
    }));
    let workers: Vec<_> = (0..6u64)
        .map(|w| {
            let hub = hub.clone();
            thread::spawn(move || {
                let mut rng = StdRng::seed_from_u64(w);
                let mut players: Vec<Player> = Vec::new();
                for i in 0..2_000u32 {
                    let s = hub.stream("live/hot").unwrap();
                    match rng.gen_range(0..10) {
                        0 => {
                            if let Ok(mut p) = s.publish() {
                                // The key may be removed meanwhile: pushes
                                // then fail with Closed, nothing else.
                                for k in 0..rng.gen_range(1..60u32) {
                                    let body = if k % 10 == 0 { keyframe(k) } else { inter(k) };
                                    match p.push_tag(VIDEO, i + k * 40, &body) {
                                        Ok(()) => {}
                                        Err(e) => {
                                            assert_eq!(e, Error::Closed);
                                            break;
                                        }
                                    }
                                }
                            }
                        }
                        1 | 2 => {
                            if let Ok(pl) = s.play(Default::default()) {
                                players.push(pl);
                            }
                        }
                        3 => {
                            let _ = hub.remove("live/hot");
                        }
                        4 if !players.is_empty() => {
                            let k = rng.gen_range(0..players.len());
                            players.swap_remove(k);
                        }
                        _ => {
                            for pl in &mut players {
                                let _ = pl.read();
                                let mut buf = [0u8; 100];
                                let _ = pl.read_flv(&mut buf);
                                let _ = pl.read_iov(8, |_| {});
                            }
                        }
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
}
