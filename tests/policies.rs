//! Lifecycle policies driven by `Hub::tick` and an injected clock:
//! republish, idle publishers, stalled players, reaping, stats, logging.

mod common;
use common::*;
use livehub::{Config, Error, Hub, ManualClock, PlayerState, PublisherState};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

fn hub_with(clock: &Arc<ManualClock>) -> Hub {
    Hub::new(Config {
        clock: clock.clone(),
        ..Default::default()
    })
}

#[test]
fn republish_within_the_wait_continues_the_stream() {
    let clock = Arc::new(ManualClock::new(0));
    let hub = hub_with(&clock);
    let s = hub.stream("live/a").unwrap();
    let mut pl = s.play(Default::default()).unwrap();
    let mut p = s.publish().unwrap();
    start(&mut p, 50_000);
    push_av(&mut p, 50_000, 30, 25, 0);
    drop(p);
    clock.advance(4_000);
    hub.tick();
    let (first, last) = drain(&mut pl);
    assert_eq!(last, Error::Again);
    // A new publisher (an encoder restarted at 0, same headers) within 5 s.
    let mut p = s.publish().unwrap();
    start(&mut p, 0);
    push_av(&mut p, 0, 10, 25, 0);
    clock.advance(10_000);
    hub.tick();
    let (second, last) = drain(&mut pl);
    assert_eq!(last, Error::Again, "publishing again: no EOF");
    let all: Vec<_> = first.iter().chain(&second).collect();
    assert!(
        all.windows(2).all(|w| w[0].ts <= w[1].ts),
        "timestamps never go back"
    );
    // Its sequence headers come before its first frame, although identical.
    assert_eq!(second[0].flags, livehub::flv::FLAG_METADATA);
    assert_eq!(
        (second[1].tag_type, second[1].flags),
        (AUDIO, livehub::flv::FLAG_SEQUENCE_HEADER)
    );
    assert_eq!(
        (second[2].tag_type, second[2].flags),
        (VIDEO, livehub::flv::FLAG_SEQUENCE_HEADER)
    );
    assert_eq!(second[3].flags, livehub::flv::FLAG_KEYFRAME);
}

#[test]
fn republish_after_the_wait_is_a_new_stream() {
    let clock = Arc::new(ManualClock::new(0));
    let hub = hub_with(&clock);
    let s = hub.stream("live/a").unwrap();
    let mut pl = s.play(Default::default()).unwrap();
    let mut p = s.publish().unwrap();
    start(&mut p, 0);
    drop(p);
    clock.advance(5_000);
    hub.tick();
    assert_eq!(drain(&mut pl).1, Error::Eof);
    let mut p = s.publish().unwrap();
    start(&mut p, 0);
    assert_eq!(pl.read().err(), Some(Error::Eof));
    assert_eq!(s.stats().publish_count, 2);
}

#[test]
fn idle_publisher_is_cut_and_the_stream_taken_over() {
    let clock = Arc::new(ManualClock::new(0));
    let hub = hub_with(&clock);
    let s = hub.stream("live/a").unwrap();
    let mut dead = s.publish().unwrap();
    start(&mut dead, 0);
    clock.advance(19_999);
    hub.tick();
    assert_eq!(s.publish().err(), Some(Error::Busy));
    clock.advance(1);
    hub.tick();
    assert_ne!(s.stats().publisher, PublisherState::Active);
    assert_eq!(dead.push_tag(AUDIO, 1, &aac(1)).err(), Some(Error::Closed));
    let mut fresh = s.publish().unwrap();
    fresh.push_tag(AUDIO, 1, &aac(1)).unwrap();
    drop(dead); // releasing the cut publisher leaves the new one alone
    assert_eq!(s.stats().publisher, PublisherState::Active);
}

#[test]
fn idle_publisher_is_taken_over_without_a_tick() {
    let clock = Arc::new(ManualClock::new(0));
    let hub = hub_with(&clock);
    let s = hub.stream("live/a").unwrap();
    let mut dead = s.publish().unwrap();
    clock.advance(20_000);
    let _fresh = s.publish().unwrap();
    assert_eq!(dead.push_tag(AUDIO, 1, &aac(1)).err(), Some(Error::Closed));
}

#[test]
fn stalled_player_expires_and_caught_up_player_does_not() {
    let clock = Arc::new(ManualClock::new(0));
    let hub = hub_with(&clock);
    let s = hub.stream("live/a").unwrap();
    let mut stalled = s.play(Default::default()).unwrap();
    let mut waiting = s.play(Default::default()).unwrap();
    let mut p = s.publish().unwrap();
    start(&mut p, 0);
    let mut t = 0;
    for _ in 0..40 {
        t = push_av(&mut p, t, 25, 25, t / 40);
        drain(&mut waiting);
        clock.advance(1_000);
        hub.tick();
    }
    assert_eq!(stalled.read().err(), Some(Error::Expired));
    assert_eq!(stalled.read().err(), Some(Error::Expired));
    assert_eq!(stalled.stats().state, PlayerState::Expired);
    assert_ne!(waiting.stats().state, PlayerState::Expired);
    // Nobody publishing, a caught-up player idles as long as it likes.
    drop(p);
    let mut idle = s.play(Default::default()).unwrap();
    drain(&mut idle);
    for _ in 0..100 {
        clock.advance(1_000);
        hub.tick();
    }
    assert_ne!(idle.read().err(), Some(Error::Expired));
}

#[test]
fn idle_streams_are_reaped_and_userdata_dropped_on_the_reaping_thread() {
    struct Probe(Arc<Mutex<Vec<String>>>);
    impl Drop for Probe {
        fn drop(&mut self) {
            let name = std::thread::current().name().unwrap_or("?").to_owned();
            self.0.lock().unwrap().push(name);
        }
    }
    let clock = Arc::new(ManualClock::new(0));
    let hub = Arc::new(hub_with(&clock));
    let drops = Arc::new(Mutex::new(Vec::new()));
    let s = hub.stream("live/gone").unwrap();
    s.set_userdata(Some(Box::new(Probe(drops.clone()))));
    let kept = hub.stream("live/kept").unwrap();
    let _player = kept.play(Default::default()).unwrap();
    let p = s.publish().unwrap();
    drop(p); // no publisher, no players: idle from the next tick
    drop(s);
    for _ in 0..3 {
        hub.tick();
        clock.advance(1_000);
    }
    assert!(hub.find("live/gone").is_ok(), "idle for 2 s only");
    let h = hub.clone();
    std::thread::Builder::new()
        .name("reaper".into())
        .spawn(move || h.tick())
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(hub.find("live/gone").err(), Some(Error::NotFound));
    assert_eq!(*drops.lock().unwrap(), vec!["reaper".to_owned()]);
    assert!(
        hub.find("live/kept").is_ok(),
        "a stream with a player stays"
    );
}

#[test]
fn reaped_stream_handles_stay_valid() {
    let clock = Arc::new(ManualClock::new(0));
    let hub = hub_with(&clock);
    let s = hub.stream("live/x").unwrap();
    for _ in 0..4 {
        clock.advance(1_000);
        hub.tick();
    }
    assert_eq!(hub.find("live/x").err(), Some(Error::NotFound));
    assert_eq!(s.publish().err(), Some(Error::Closed));
    assert_eq!(s.key(), "live/x");
}

#[test]
fn stats_json_parses_and_has_the_documented_fields() {
    let hub = Hub::new(Config::default());
    let s = hub.stream("live/\"quoted\"").unwrap();
    let mut pl = s.play(Default::default()).unwrap();
    let mut p = s.publish().unwrap();
    start(&mut p, 0);
    push_av(&mut p, 0, 150, 25, 0); // 6 s: within the lag window
    drain(&mut pl);
    let json = hub.stats_json();
    let v: serde_json::Value =
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
    let st = &v["streams"][0];
    assert_eq!(st["key"].as_str(), Some("live/\"quoted\""));
    assert_eq!(st["publisher"].as_str(), Some("publishing"));
    assert_eq!(st["tags_in"].as_u64(), Some(303));
    assert_eq!(st["players"].as_u64(), Some(1));
    assert!(st["bitrate_kbps"].as_u64().unwrap() > 0);
    assert_eq!(st["player_list"][0]["state"].as_str(), Some("live"));
    assert_eq!(st["player_list"][0]["tags_out"].as_u64(), Some(303));
    for k in [
        "publish_count",
        "bytes_in",
        "players_total",
        "gop_tags",
        "gop_bytes",
        "retained_tags",
        "retained_bytes",
    ] {
        assert!(st[k].as_u64().is_some(), "{k}");
    }
    assert!(st["video"].is_object() && st["audio"].is_object());
}

#[test]
fn logging_goes_to_the_callback_only() {
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let count = Arc::new(AtomicUsize::new(0));
    let (l, c) = (lines.clone(), count.clone());
    livehub::log::set_logger(
        livehub::log::Level::Info,
        Some(Arc::new(move |_, m: &str| {
            c.fetch_add(1, Ordering::SeqCst);
            l.lock().unwrap().push(m.to_owned());
        })),
    );
    let hub = Hub::new(Config::default());
    let s = hub.stream("live/logging-test").unwrap();
    drop(s.publish().unwrap());
    hub.remove("live/logging-test").unwrap();
    livehub::log::set_logger(livehub::log::Level::Off, None);
    let lines = lines.lock().unwrap();
    for want in ["created", "published", "closed"] {
        assert!(
            lines
                .iter()
                .any(|l| l.contains("live/logging-test") && l.contains(want)),
            "{want}: {lines:?}"
        );
    }
}

#[test]
fn codec_info_of_the_ffmpeg_sample() {
    // tests/data/av.flv: made by scripts/make_samples.sh with ffmpeg
    // (libx264 320x240, AAC 44.1 kHz stereo).
    let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/av.flv")).unwrap();
    let hub = Hub::new(Config::default());
    let s = hub.stream("live/sample").unwrap();
    let mut p = s.publish().unwrap();
    p.push_flv(&bytes).unwrap();
    let st = s.stats();
    let v = st.video.expect("video info");
    assert_eq!((v.codec, v.width, v.height), ("h264", Some(320), Some(240)));
    let a = st.audio.expect("audio info");
    assert_eq!(
        (a.codec, a.sample_rate, a.channels),
        ("aac", Some(44_100), Some(2))
    );
    let json: serde_json::Value = serde_json::from_str(&hub.stats_json()).unwrap();
    let js = &json["streams"][0];
    assert_eq!(js["video"]["codec"], "h264");
    assert_eq!(
        (
            js["video"]["width"].as_u64(),
            js["video"]["height"].as_u64()
        ),
        (Some(320), Some(240))
    );
    assert_eq!(js["audio"]["codec"], "aac");
    assert_eq!(js["audio"]["sample_rate"].as_u64(), Some(44_100));
    assert!(st.bitrate_kbps > 0);
}

// Timers count from their event, not from the first tick that notices it:
// a server that ticks rarely still sees each policy act at the first tick
// after its deadline. Every test below ticks as seldom as it can.

fn hub_idle(clock: &Arc<ManualClock>) -> Hub {
    Hub::new(Config {
        clock: clock.clone(),
        idle_stream_ms: 3_000,
        ..Default::default()
    })
}

#[test]
fn a_stream_never_used_is_reaped_by_the_first_tick_after_idle_stream_ms() {
    let clock = Arc::new(ManualClock::new(1_000));
    let hub = hub_idle(&clock);
    drop(hub.stream("live/a").unwrap()); // created at 1,000, never used
    clock.set(3_999);
    hub.tick(); // 2,999 ms idle: kept
    assert_eq!(hub.len(), 1);
    clock.set(4_000);
    hub.tick(); // 3,000 ms since creation: one tick reaps it
    assert_eq!(hub.find("live/a").err(), Some(Error::NotFound));
}

#[test]
fn a_stream_is_idle_from_the_moment_the_last_one_left() {
    let clock = Arc::new(ManualClock::new(0));
    let hub = hub_idle(&clock);
    let s = hub.stream("live/a").unwrap();
    let pl = s.play(Default::default()).unwrap();
    let p = s.publish().unwrap();
    hub.tick(); // busy: nothing happens
    clock.set(10_000);
    drop(p); // at 10,000: the player is still there
    clock.set(20_000);
    drop(pl); // at 20,000 the last one leaves
    drop(s);
    clock.set(22_999);
    hub.tick();
    assert_eq!(hub.len(), 1, "2,999 ms idle");
    // The first tick 3,000 ms after the last one left reaps it, though
    // the previous tick saw it busy.
    clock.set(23_000);
    hub.tick();
    assert_eq!(hub.len(), 0);
}

#[test]
fn a_stall_counts_from_the_players_last_read_not_from_a_tick() {
    let clock = Arc::new(ManualClock::new(0));
    let hub = Hub::new(Config {
        clock: clock.clone(),
        player_idle_timeout_ms: 30_000,
        publisher_idle_timeout_ms: 1_000_000,
        ..Default::default()
    });
    let s = hub.stream("live/a").unwrap();
    let mut reader = s.play(Default::default()).unwrap();
    let mut p = s.publish().unwrap();
    start(&mut p, 0);
    hub.tick(); // at 0
                // The reader keeps up for 10 s, then stops; nobody ticks meanwhile.
    let mut t = 0;
    for _ in 0..10 {
        clock.advance(1_000);
        t = push_av(&mut p, t, 25, 25, t / 40);
        assert_eq!(drain(&mut reader).1, Error::Again);
    }
    // Data keeps arriving that it never reads.
    clock.set(11_000);
    push_av(&mut p, t, 25, 25, t / 40);
    // Its stall began at 11,000 (the first tag it did not read arrived);
    // one tick at 40,999 leaves it, one at 41,000 expires it.
    clock.set(40_999);
    hub.tick();
    assert_ne!(reader.stats().state, PlayerState::Expired);
    clock.set(41_000);
    hub.tick();
    assert_eq!(reader.read().err(), Some(Error::Expired));
}

#[test]
fn a_silent_publisher_and_its_republish_wait_end_in_one_late_tick() {
    let clock = Arc::new(ManualClock::new(0));
    let hub = Hub::new(Config {
        clock: clock.clone(),
        publisher_idle_timeout_ms: 20_000,
        republish_wait_ms: 5_000,
        player_idle_timeout_ms: 1_000_000,
        ..Default::default()
    });
    let s = hub.stream("live/a").unwrap();
    let mut pl = s.play(Default::default()).unwrap();
    let mut p = s.publish().unwrap();
    clock.set(1_000);
    start(&mut p, 0); // last push at 1,000
    assert_eq!(drain(&mut pl).1, Error::Again);
    // Silent since 1,000: cut at 21,000, the wait over at 26,000. The
    // first tick comes at 26,000 and does both.
    clock.set(26_000);
    hub.tick();
    assert_eq!(s.stats().publisher, PublisherState::None);
    assert_eq!(pl.read().err(), Some(Error::Eof));
    assert_eq!(p.push_tag(AUDIO, 1, &aac(1)).err(), Some(Error::Closed));
}
