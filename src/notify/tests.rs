//! Dozing: a player with no callback and nobody in `wait` costs a push
//! nothing, and a callback installed later sees exactly the news it would
//! have seen had the player been on the waiter list all along.

use crate::{Hub, Player, Publisher, Stream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn aac(n: u8) -> [u8; 3] {
    [0xaf, 1, n]
}

/// A stream with a publisher and `n` players that read to the live edge
/// (each read ends in `Again`), none with a callback.
fn at_the_edge(n: usize) -> (Hub, Stream, Publisher, Vec<Player>) {
    let hub = Hub::new(Default::default());
    let stream = hub.stream("live/doze").unwrap();
    let mut publisher = stream.publish().unwrap();
    publisher.push_tag(8, 0, &aac(0)).unwrap();
    let mut players: Vec<Player> = (0..n)
        .map(|_| stream.play(Default::default()).unwrap())
        .collect();
    for p in &mut players {
        while p.read().is_ok() {}
    }
    (hub, stream, publisher, players)
}

/// Installs a callback counting its calls (the group tests use it too).
pub(super) fn count_calls(p: &Player) -> Arc<AtomicUsize> {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    p.notifier().set_callback(Some(Arc::new(move || {
        c.fetch_add(1, Ordering::SeqCst);
    })));
    calls
}

#[test]
fn players_without_a_callback_cost_a_push_nothing() {
    let (_hub, stream, mut publisher, mut players) = at_the_edge(10_000);
    assert_eq!(stream.waiting_len(), 0, "no player on the waiter list");
    assert!(players.iter().all(|p| p.notifier().is_dozing()));
    publisher.push_tag(8, 23, &aac(1)).unwrap();
    // Nothing was fired, and every player still reads the new tag.
    for p in &mut players {
        assert_eq!(p.read().unwrap().data, aac(1));
        assert!(p.read().is_err());
    }
    assert_eq!(stream.waiting_len(), 0);
}

#[test]
fn a_callback_installed_at_the_edge_runs_on_the_next_news() {
    let (_hub, stream, mut publisher, players) = at_the_edge(1);
    let calls = count_calls(&players[0]);
    assert_eq!(stream.waiting_len(), 1, "the callback put it on the list");
    assert!(!players[0].notifier().is_dozing());
    publisher.push_tag(8, 23, &aac(1)).unwrap();
    publisher.push_tag(8, 46, &aac(2)).unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 1, "once per arming");
}

#[test]
fn news_before_the_callback_is_not_replayed() {
    // On the list, the push would have fired the player with no callback
    // to run and taken it off: the callback waits for the player's next
    // arming, as it always did.
    let (_hub, stream, mut publisher, mut players) = at_the_edge(1);
    publisher.push_tag(8, 23, &aac(1)).unwrap();
    let calls = count_calls(&players[0]);
    assert_eq!(stream.waiting_len(), 0);
    publisher.push_tag(8, 46, &aac(2)).unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    while players[0].read().is_ok() {}
    publisher.push_tag(8, 69, &aac(3)).unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[test]
fn the_end_of_the_stream_reaches_a_callback_installed_late() {
    let (_hub, _stream, publisher, players) = at_the_edge(1);
    let calls = count_calls(&players[0]);
    drop(publisher); // unpublish; the republish wait is news too
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[test]
fn wait_wakes_a_player_with_no_callback() {
    let (_hub, stream, mut publisher, mut players) = at_the_edge(1);
    let mut p = players.pop().unwrap();
    let reader = std::thread::spawn(move || {
        p.wait(Duration::from_secs(60)).unwrap();
        p.read().unwrap().data.to_vec()
    });
    // The reader is on the list once it blocks (bounded: 60 s).
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while stream.waiting_len() == 0 {
        assert!(std::time::Instant::now() < deadline, "wait never armed");
        std::thread::yield_now();
    }
    publisher.push_tag(8, 23, &aac(1)).unwrap();
    assert_eq!(reader.join().unwrap(), aac(1));
}

#[test]
fn a_released_players_notifier_stays_off_the_list() {
    let (_hub, stream, mut publisher, mut players) = at_the_edge(1);
    let notifier = players[0].notifier().clone();
    players.clear();
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    notifier.set_callback(Some(Arc::new(move || {
        c.fetch_add(1, Ordering::SeqCst);
    })));
    assert_eq!(stream.waiting_len(), 0);
    publisher.push_tag(8, 23, &aac(1)).unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    // The notifier no longer holds the stream or itself.
    assert_eq!(Arc::strong_count(&notifier), 1);
}
