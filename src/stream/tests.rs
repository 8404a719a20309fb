//! The stream's decisions for a reader (`State::step`), tested on the
//! state alone: no player, no publisher, no FFI.

use super::publishing::PubState;
use super::state::{NewTag, State};
use super::step::{At, Next};
use crate::config::Config;
use crate::flv;
use crate::notify::{Notifier, Waiter};
use crate::sync::{Arc, Ordering};
use bytes::Bytes;

const AAC_SH: &[u8] = &[0xaf, 0x00, 0x12, 0x10];
const AVC_SH: &[u8] = &[0x17, 0x00, 0, 0, 0, 0x01, 0x64];
const KEY: &[u8] = &[0x17, 0x01, 0, 0, 0, 0xAA];
const INTER: &[u8] = &[0x27, 0x01, 0, 0, 0, 0xBB];

fn push(st: &mut State, cfg: &Config, tag_type: u8, ts: u32, body: &[u8]) {
    let info = flv::classify(tag_type, body).unwrap();
    let tag = NewTag {
        tag_type,
        timestamp: ts,
        data: Bytes::copy_from_slice(body),
        info,
    };
    st.append(tag, 0, cfg);
}

fn at(seq: u64, epoch: u64, wait_ms: u32) -> At<'static> {
    At {
        seq,
        epoch,
        wait_ms,
        seg: None,
        has_prelude: false,
        pending_metadata: false,
        fresh: false,
        waiting: false,
    }
}

fn waiter() -> (Arc<Notifier>, Waiter) {
    let n = Arc::new(Notifier::new());
    (n.clone(), Waiter::Player(n))
}

#[test]
fn at_the_live_edge_a_reader_waits_armed_then_reads() {
    let cfg = Config::default();
    let mut st = State::new(&cfg, 0);
    let (n, w) = waiter();
    let step = st.step(&at(0, 0, 5_000), 0, &cfg, &w);
    assert_eq!(step.next, Next::Wait { recheck_ms: None });
    assert!(n.queued.load(Ordering::Relaxed), "armed on the waiter list");
    push(&mut st, &cfg, flv::TAG_AUDIO, 0, AAC_SH);
    assert!(std::mem::take(&mut st.news), "a tag is news");
    let step = st.step(&at(0, 0, 5_000), 0, &cfg, &w);
    assert_eq!(step.next, Next::Read);
    assert!(matches!(step.seg, Some(Some(_))), "a segment to pin");
    assert!(step.skip.is_none());
}

#[test]
fn too_far_behind_a_reader_skips_to_the_newest_keyframe_with_its_headers() {
    let cfg = Config {
        max_lag_ms: 1_000,
        ..Default::default()
    };
    let mut st = State::new(&cfg, 0);
    push(&mut st, &cfg, flv::TAG_AUDIO, 0, AAC_SH);
    push(&mut st, &cfg, flv::TAG_VIDEO, 0, AVC_SH);
    push(&mut st, &cfg, flv::TAG_VIDEO, 0, KEY); // seq 2
    for i in 1..50 {
        push(&mut st, &cfg, flv::TAG_VIDEO, i * 40, INTER);
    }
    push(&mut st, &cfg, flv::TAG_VIDEO, 2_000, KEY); // seq 52: the newest GOP
    push(&mut st, &cfg, flv::TAG_VIDEO, 2_040, INTER);
    let (_n, w) = waiter();
    let step = st.step(&at(3, 0, 5_000), 0, &cfg, &w);
    let skip = step.skip.expect("2 s behind with max_lag_ms 1000");
    assert_eq!((skip.to, skip.dropped), (52, 49));
    assert!(skip.audio_sh.is_some() && skip.video_sh.is_some());
    assert!(skip.metadata.is_none(), "not fresh: no metadata");
    assert_eq!(step.next, Next::Read);
    // Within the lag: no skip.
    let step = st.step(&at(40, 0, 5_000), 0, &cfg, &w);
    assert!(step.skip.is_none());
}

#[test]
fn a_reader_of_an_ended_epoch_reads_to_its_end_then_ends() {
    let cfg = Config::default();
    let mut st = State::new(&cfg, 0);
    push(&mut st, &cfg, flv::TAG_AUDIO, 0, AAC_SH);
    push(&mut st, &cfg, flv::TAG_AUDIO, 23, AAC_SH);
    st.end_epoch(&cfg);
    assert_eq!(st.epochs.current(), 1);
    let (_n, w) = waiter();
    assert_eq!(st.step(&at(1, 0, 5_000), 0, &cfg, &w).next, Next::Read);
    let step = st.step(&at(2, 0, 5_000), 0, &cfg, &w);
    assert_eq!(step.next, Next::End);
    assert!(matches!(step.seg, Some(None)), "lets go of its segment");
}

#[test]
fn the_republish_wait_is_applied_at_the_edge_with_each_readers_own_wait() {
    let cfg = Config {
        republish_wait_ms: 5_000,
        ..Default::default()
    };
    let mut st = State::new(&cfg, 0);
    let id = st.publishing.begin(0);
    push(&mut st, &cfg, flv::TAG_AUDIO, 0, AAC_SH);
    assert!(st.publishing.leave(id, 1_000));
    let (_n, w) = waiter();
    // 2 s into the wait: look again in 3 s (or in 1 s for a reader that
    // asked for 3 s); a reader that asked for 1 s is done.
    let step = st.step(&at(1, 0, 5_000), 3_000, &cfg, &w);
    assert_eq!(
        step.next,
        Next::Wait {
            recheck_ms: Some(3_000)
        }
    );
    let step = st.step(&at(1, 0, 3_000), 3_000, &cfg, &w);
    assert_eq!(
        step.next,
        Next::Wait {
            recheck_ms: Some(1_000)
        }
    );
    assert_eq!(st.step(&at(1, 0, 1_000), 3_000, &cfg, &w).next, Next::End);
    assert_eq!(st.epochs.current(), 0, "one reader's wait ends no epoch");
    // The stream's wait runs out: the epoch ends, news for every waiter.
    st.news = false;
    assert_eq!(st.step(&at(1, 0, 5_000), 6_000, &cfg, &w).next, Next::End);
    assert_eq!(st.epochs.current(), 1);
    assert_eq!(st.publishing.state, PubState::None);
    assert!(st.news);
}
