//! A panic injected inside the core (`crate::fault`) at every lock a
//! scenario of C calls takes, in turn: the call it hits returns
//! LIVEHUB_ERR_PANIC (a `void` one just returns), no panic unwinds into C,
//! every later call returns one of its documented codes, and the hub keeps
//! working: new and old keys can be published, played and read, and every
//! stream userdata is still dropped exactly once.

use super::config::*;
use super::hub::*;
use super::player::*;
use super::publisher::*;
use super::result::*;
use super::stats::*;
use super::stream::*;
use super::tag::*;
use crate::fault;
use std::ffi::{c_char, c_void, CString};
use std::ptr::{null, null_mut};
use std::sync::atomic::{AtomicUsize, Ordering};

const AAC_SH: &[u8] = &[0xaf, 0x00, 0x12, 0x10];
const AAC_RAW: &[u8] = &[0xaf, 0x01, 0x21, 0x22];
const AVC_SH: &[u8] = &[0x17, 0x00, 0, 0, 0, 0x01, 0x64];
const AVC_KEY: &[u8] = &[0x17, 0x01, 0, 0, 0, 0xAA];
/// An FLV file header, PreviousTagSize0 and one AAC frame at 40 ms.
const FLV: &[u8] = &[
    b'F', b'L', b'V', 1, 5, 0, 0, 0, 9, 0, 0, 0, 0, //
    8, 0, 0, 4, 0, 0, 40, 0, 0, 0, 0, 0xaf, 0x01, 0x33, 0x44, 0, 0, 0, 15,
];

/// An all-zero C struct (what a C caller's `= {0}` gives).
macro_rules! zeroed {
    ($t:ty) => {{
        // SAFETY: every type used here is a plain `repr(C)` struct of
        // integers, arrays, raw pointers and `Option<fn>`, for which all
        // zero bits are a valid value.
        let v: $t = unsafe { std::mem::zeroed() };
        v
    }};
}

/// Drops of the scenario's stream userdata (one counter per run).
extern "C" fn count_drop(userdata: *mut c_void) {
    // SAFETY: the scenario passes a pointer to an `AtomicUsize` that
    // outlives the hub and every handle of the run.
    let n = unsafe { &*userdata.cast::<AtomicUsize>() };
    n.fetch_add(1, Ordering::SeqCst);
}

extern "C" fn count_notify(userdata: *mut c_void) {
    // SAFETY: as for `count_drop`.
    let n = unsafe { &*userdata.cast::<AtomicUsize>() };
    n.fetch_add(1, Ordering::SeqCst);
}

/// The results of one run, step by step, and when the armed panic fired.
struct Run {
    results: Vec<(&'static str, livehub_result)>,
    fired_at: Option<usize>,
}

impl Run {
    /// Records a call's result: always one its doc lists (or PANIC, or
    /// NULL when an earlier failure left an input NULL).
    fn step(&mut self, what: &'static str, got: livehub_result, documented: &[livehub_result]) {
        assert!(
            documented.contains(&got) || got == LIVEHUB_ERR_PANIC || got == LIVEHUB_ERR_NULL,
            "{what}: {got} is not a documented result"
        );
        self.void(what, got);
    }

    /// Records a call (or a `void` one as OK) and whether the panic fired
    /// in it.
    fn void(&mut self, what: &'static str, got: livehub_result) {
        if self.fired_at.is_none() && fault::fired() {
            self.fired_at = Some(self.results.len());
        }
        self.results.push((what, got));
    }
}

/// A scenario a server goes through: create, attach, publish, push tags
/// and FLV bytes, read every way, stats, tick, unpublish, remove, release.
fn scenario(hub: *mut livehub_hub, drops: &AtomicUsize, notified: &AtomicUsize) -> Run {
    use LIVEHUB_AGAIN as AGAIN;
    use LIVEHUB_OK as OK;
    let mut run = Run {
        results: Vec::new(),
        fired_at: None,
    };
    let key = CString::new("live/fault").unwrap();
    let (mut s, mut p, mut pl1, mut pl2) = (null_mut(), null_mut(), null_mut(), null_mut());
    run.step(
        "hub_stream",
        livehub_hub_stream(hub, key.as_ptr(), &mut s),
        &[OK],
    );
    let ud = (drops as *const AtomicUsize).cast_mut().cast::<c_void>();
    let set = livehub_stream_set_userdata(s, ud, Some(count_drop));
    run.step("set_userdata", set, &[OK]);
    run.step("play", livehub_stream_play(s, null(), &mut pl1), &[OK]);
    run.step("publish", livehub_stream_publish(s, &mut p), &[OK]);
    let nd = (notified as *const AtomicUsize).cast_mut().cast::<c_void>();
    run.step(
        "set_notify",
        livehub_player_set_notify(pl1, Some(count_notify), nd),
        &[OK],
    );
    let mut tag = zeroed!(livehub_tag);
    run.step("read (armed)", livehub_player_read(pl1, &mut tag), &[AGAIN]);
    for (what, ty, body) in [
        ("push aac sh", LIVEHUB_TAG_AUDIO, AAC_SH),
        ("push avc sh", LIVEHUB_TAG_VIDEO, AVC_SH),
        ("push key", LIVEHUB_TAG_VIDEO, AVC_KEY),
        ("push aac", LIVEHUB_TAG_AUDIO, AAC_RAW),
    ] {
        let r = livehub_publisher_push_tag(p, ty, 0, body.as_ptr(), body.len());
        run.step(what, r, &[OK, LIVEHUB_ERR_CLOSED]);
    }
    let r = livehub_publisher_push_flv(p, FLV.as_ptr(), FLV.len());
    run.step("push_flv", r, &[OK, LIVEHUB_ERR_CLOSED]);
    run.step("play 2", livehub_stream_play(s, null(), &mut pl2), &[OK]);
    let mut tags = [zeroed!(livehub_tag); 8];
    let mut n = 0;
    let r = livehub_player_read_batch(pl1, tags.as_mut_ptr(), tags.len(), &mut n);
    run.step("read_batch", r, &[OK, AGAIN]);
    let mut buf = [0u8; 64];
    let r = livehub_player_read_flv(pl2, buf.as_mut_ptr(), buf.len(), &mut n);
    run.step("read_flv", r, &[OK, AGAIN]);
    let mut iov = [livehub_iovec {
        iov_base: null_mut(),
        iov_len: 0,
    }; 8];
    let r = livehub_player_read_iov(pl2, iov.as_mut_ptr(), iov.len(), &mut n);
    run.step("read_iov", r, &[OK, AGAIN]);
    run.step("wait", livehub_player_wait(pl1, 0), &[OK, LIVEHUB_TIMEOUT]);
    let mut sst = livehub_stream_stats {
        struct_size: std::mem::size_of::<livehub_stream_stats>() as u32,
        ..zeroed!(livehub_stream_stats)
    };
    run.step("stream stats", livehub_stream_get_stats(s, &mut sst), &[OK]);
    let mut pst = livehub_publisher_stats {
        struct_size: std::mem::size_of::<livehub_publisher_stats>() as u32,
        ..zeroed!(livehub_publisher_stats)
    };
    run.step(
        "publisher stats",
        livehub_publisher_get_stats(p, &mut pst),
        &[OK],
    );
    let mut plst = livehub_player_stats {
        struct_size: std::mem::size_of::<livehub_player_stats>() as u32,
        ..zeroed!(livehub_player_stats)
    };
    run.step(
        "player stats",
        livehub_player_get_stats(pl1, &mut plst),
        &[OK],
    );
    let mut json = vec![0 as c_char; 4096];
    let r = livehub_hub_stats_json(hub, json.as_mut_ptr(), json.len(), &mut n);
    run.step("stats_json", r, &[OK, LIVEHUB_ERR_BUFFER]);
    run.step("tick", livehub_hub_tick(hub), &[OK]);
    let mut found = null_mut();
    let r = livehub_hub_find(hub, key.as_ptr(), &mut found);
    run.step("find", r, &[OK, LIVEHUB_ERR_NOT_FOUND]);
    livehub_stream_release(found);
    run.void("stream release (found)", OK);
    livehub_publisher_release(p);
    run.void("unpublish", OK);
    let r = livehub_hub_remove(hub, key.as_ptr());
    run.step("remove", r, &[OK, LIVEHUB_ERR_NOT_FOUND]);
    for (what, pl) in [("drain 1", pl1), ("drain 2", pl2)] {
        let mut last = OK;
        for _ in 0..64 {
            last = livehub_player_read(pl, &mut tag);
            if last != OK {
                break;
            }
        }
        // A lost wake-up or a half-done removal may leave a player
        // waiting (AGAIN) after a panic, never anything undocumented.
        run.step(what, last, &[LIVEHUB_EOF, AGAIN]);
    }
    livehub_player_release(pl1);
    run.void("release 1", OK);
    livehub_player_release(pl2);
    run.void("release 2", OK);
    livehub_stream_release(s);
    run.void("stream release", OK);
    run
}

/// The hub still does its job: a stream (`k`, new or not) is published,
/// played and read.
fn still_works(hub: *mut livehub_hub, k: &str) {
    let key = CString::new(k).unwrap();
    let (mut s, mut p, mut pl) = (null_mut(), null_mut(), null_mut());
    assert_eq!(livehub_hub_stream(hub, key.as_ptr(), &mut s), LIVEHUB_OK);
    assert_eq!(livehub_stream_play(s, null(), &mut pl), LIVEHUB_OK);
    assert_eq!(
        livehub_stream_publish(s, &mut p),
        LIVEHUB_OK,
        "{k}: publish"
    );
    let r = livehub_publisher_push_tag(p, LIVEHUB_TAG_AUDIO, 0, AAC_SH.as_ptr(), AAC_SH.len());
    assert_eq!(r, LIVEHUB_OK);
    let mut tag = zeroed!(livehub_tag);
    assert_eq!(livehub_player_read(pl, &mut tag), LIVEHUB_OK);
    assert_eq!(tag.size, AAC_SH.len());
    livehub_player_release(pl);
    livehub_publisher_release(p);
    livehub_stream_release(s);
}

fn new_hub() -> *mut livehub_hub {
    let mut cfg = zeroed!(livehub_config);
    livehub_config_init(&mut cfg);
    cfg.republish_wait_ms = 0;
    let mut hub = null_mut();
    assert_eq!(livehub_hub_new(&cfg, &mut hub), LIVEHUB_OK);
    hub
}

#[test]
fn an_injected_panic_at_any_lock_becomes_err_panic_and_the_hub_carries_on() {
    // The run without a fault: the reference, and the number of locks.
    let (drops, notified) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let hub = new_hub();
    fault::panic_at_lock(0);
    let before = fault::locks_taken();
    let clean = scenario(hub, &drops, &notified);
    let locks = fault::locks_taken() - before;
    livehub_hub_release(hub);
    assert!(clean.fired_at.is_none());
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    assert!(notified.load(Ordering::SeqCst) >= 1);
    assert!(locks > 20, "the scenario takes {locks} locks");

    let mut panics_returned = 0;
    for n in 1..=locks {
        let (drops, notified) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let hub = new_hub();
        fault::panic_at_lock(n);
        let run = scenario(hub, &drops, &notified);
        fault::panic_at_lock(0);
        let at = run
            .fired_at
            .unwrap_or_else(|| panic!("lock {n} of {locks}: the injected panic never fired"));
        // Everything before the fault went exactly as without it.
        assert_eq!(run.results[..at], clean.results[..at], "lock {n}");
        // The call it hit said so (a void function has no code to say it).
        let (what, code) = run.results[at];
        assert!(
            code == LIVEHUB_ERR_PANIC || what.contains("release") || what == "unpublish",
            "lock {n}: {what} returned {code} after a panic inside it"
        );
        panics_returned += usize::from(code == LIVEHUB_ERR_PANIC);
        // The hub carries on: the same key and a new one work end to end.
        still_works(hub, "live/fault");
        still_works(hub, "live/after");
        livehub_hub_release(hub);
        // Handed over (any result but ERR_NULL, PANIC included), the
        // userdata is dropped exactly once.
        let handed = run
            .results
            .iter()
            .any(|&(w, c)| w == "set_userdata" && c != LIVEHUB_ERR_NULL);
        assert_eq!(
            drops.load(Ordering::SeqCst),
            usize::from(handed),
            "lock {n}: userdata drops"
        );
    }
    assert!(panics_returned > 0);
}
