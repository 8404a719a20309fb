//! Fuzz target: sequences of API operations (decoded with `arbitrary`) on
//! one hub with a manual clock: get / find / remove streams, publish and
//! unpublish, push tags and FLV bytes (generated or raw), play, every read
//! call, wait, notify callbacks set and cleared, userdata, stats, ticks
//! and clock jumps, and handles dropped in any order, the hub among them.
//!
//! Beyond "no panic":
//! - every result is one the operation can give;
//! - per player: timestamps never go back (modulo 2^32), tags are audio / video /
//!   script, `Eof` is sticky, `wait` returning `Ok` means the next read is
//!   not `Again`, and the bytes of `read_flv` / `read_iov` demux as clean
//!   FLV carrying tags in order;
//! - a rejected FLV byte stream gives its error to every later `push_flv`;
//! - a notify callback never runs after it was cleared or its player
//!   dropped; every stream userdata is dropped exactly once (all handles
//!   are gone at the end of the input).
#![no_main]

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use livehub::TimestampMode;
use livehub::{flv, Config, Error, Hub, ManualClock, PlayOptions, Player, Publisher, Stream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

const KEYS: [&str; 3] = ["live/a", "live/b", "live/c"];
const MAX_TAG: u32 = 4096;

#[derive(Arbitrary, Debug)]
enum Op {
    Stream {
        key: u8,
        userdata: bool,
    },
    Find {
        key: u8,
    },
    Remove {
        key: u8,
    },
    DropStream {
        i: u8,
    },
    SetUserdata {
        i: u8,
        clear: bool,
    },
    Publish {
        i: u8,
    },
    Unpublish {
        i: u8,
    },
    PushTag {
        i: u8,
        kind: u8,
        ts: u32,
        len: u16,
    },
    PushGenerated {
        i: u8,
        tags: u8,
    },
    PushRaw {
        i: u8,
        bytes: Vec<u8>,
    },
    Play {
        i: u8,
        absolute: bool,
        wait: Option<u8>,
        bytes: bool,
    },
    DropPlayer {
        i: u8,
    },
    Read {
        i: u8,
        n: u8,
    },
    ReadBatch {
        i: u8,
        max: u8,
    },
    ReadFlv {
        i: u8,
        cap: u16,
    },
    ReadIov {
        i: u8,
        max: u8,
    },
    Wait {
        i: u8,
    },
    SetCallback {
        i: u8,
    },
    ClearCallback {
        i: u8,
    },
    Stats {
        i: u8,
    },
    Advance {
        ms: u16,
    },
    Tick,
    StatsJson,
    DropHub,
}

/// Whether FLV timestamp `ts` comes at or after `last`: 32-bit timestamps
/// wrap (an absolute timeline that passes 2^32 ms, as its publisher's did),
/// so "after" is modulo 2^32, as a decoder reads it.
fn forward(last: u32, ts: u32) -> bool {
    ts.wrapping_sub(last) < 1 << 31
}

/// Counts stream userdata drops.
struct Probe(Arc<AtomicUsize>);
impl Drop for Probe {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// One player and what it has delivered.
struct Reader {
    player: Player,
    bytes: bool,
    last_ts: Option<u32>,
    ended: bool,
    flv: Vec<u8>,
    /// The callback's "cleared" flag: set when it may never run again.
    cleared: Option<Arc<AtomicBool>>,
}

impl Reader {
    fn tag(&mut self, tag_type: u8, ts: u32) {
        assert!(matches!(tag_type, 8 | 9 | 18), "tag type {tag_type}");
        if let Some(last) = self.last_ts {
            assert!(forward(last, ts), "timestamp went back {last} -> {ts}");
        }
        self.last_ts = Some(ts);
    }

    /// A read-type result: Eof is sticky; only the documented errors.
    fn result(&mut self, r: Result<(), Error>) -> Result<(), Error> {
        if self.ended {
            assert_eq!(r, Err(Error::Eof), "a read after Eof");
        }
        match r {
            Ok(()) => {}
            Err(Error::Eof) => self.ended = true,
            Err(Error::Again | Error::Expired) => {}
            Err(e) => panic!("read: {e:?}"),
        }
        r
    }

    /// One read call of this player's kind (`how` picks among them).
    fn read(&mut self, how: u8, size: usize) -> Result<(), Error> {
        let r = if !self.bytes {
            let mut got = Vec::new();
            let r = if how % 2 == 0 {
                self.player
                    .read()
                    .map(|t| got.push((t.tag_type, t.timestamp, t.data.to_vec())))
            } else {
                let max = size.clamp(1, 64);
                self.player
                    .read_batch(max, |t| {
                        got.push((t.tag_type, t.timestamp, t.data.to_vec()))
                    })
                    .map(|n| assert!(n >= 1 && n <= max && n == got.len()))
            };
            for (ty, ts, data) in got {
                self.tag(ty, ts);
                assert!(data.len() <= MAX_TAG as usize);
            }
            r
        } else if how % 2 == 0 {
            let mut buf = vec![0u8; size.clamp(1, 5000)];
            self.player.read_flv(&mut buf).map(|n| {
                assert!(n >= 1 && n <= buf.len());
                self.flv.extend_from_slice(&buf[..n]);
            })
        } else {
            let max = size.clamp(3, 40);
            let mut slices = 0;
            let flv = &mut self.flv;
            self.player
                .read_iov(max, |s| {
                    assert!(!s.is_empty());
                    slices += 1;
                    flv.extend_from_slice(s);
                })
                .map(|n| assert!(n == slices && n <= max))
        };
        self.result(r)
    }

    /// The byte stream so far is clean FLV: the file header and
    /// PreviousTagSize0, then tags of type 8, 9 or 18 with monotonic
    /// timestamps, each followed by its PreviousTagSize; at EOF it ends on
    /// a tag boundary.
    fn check_flv(&self) {
        let b = &self.flv[..];
        if b.is_empty() {
            return;
        }
        let u24 = |p: &[u8]| u32::from(p[0]) << 16 | u32::from(p[1]) << 8 | u32::from(p[2]);
        let u32be = |p: &[u8]| u32::from_be_bytes([p[0], p[1], p[2], p[3]]);
        if b.len() < 13 {
            assert!(!self.ended, "EOF inside the FLV header");
            return;
        }
        assert!(&b[..4] == b"FLV\x01" && b[4] & !5 == 0, "bad FLV header");
        assert_eq!(
            (u32be(&b[5..9]), u32be(&b[9..13])),
            (9, 0),
            "bad FLV header"
        );
        let mut at = 13;
        let mut last = None;
        while b.len() - at >= 11 {
            let size = u24(&b[at + 1..]) as usize;
            assert!(matches!(b[at], 8 | 9 | 18), "FLV tag type {}", b[at]);
            assert!(size <= MAX_TAG as usize, "FLV tag of {size} bytes");
            assert_eq!(u24(&b[at + 8..]), 0, "FLV StreamID");
            let ts = u24(&b[at + 4..]) | u32::from(b[at + 7]) << 24;
            assert!(last.map_or(true, |l| forward(l, ts)), "FLV timestamps went back");
            last = Some(ts);
            if b.len() - at < 11 + size + 4 {
                break;
            }
            assert_eq!(
                u32be(&b[at + 11 + size..]) as usize,
                size + 11,
                "PreviousTagSize"
            );
            at += 11 + size + 4;
        }
        if self.ended {
            assert_eq!(at, b.len(), "the byte stream ends mid-tag at EOF");
        }
    }
}

/// A publisher and its generated source.
struct Feeder {
    publisher: Publisher,
    n: u32,
    ts: u32,
    header_sent: bool,
}

impl Feeder {
    /// The next generated tag: headers first, then AVC and AAC frames.
    fn next_tag(&mut self) -> (u8, u32, Vec<u8>) {
        let k = self.n;
        self.n += 1;
        match k {
            0 => (
                18,
                0,
                b"\x02\x00\x0aonMetaData\x08\x00\x00\x00\x00\x00\x00\x09".to_vec(),
            ),
            1 => (8, 0, vec![0xaf, 0x00, 0x12, 0x10]),
            2 => (
                9,
                0,
                vec![0x17, 0, 0, 0, 0, 1, 0x4d, 0x40, 0x1f, 0xff, 0xe1, 0, 0],
            ),
            _ if k % 3 == 0 => {
                self.ts += 40;
                let key = k % 30 == 0;
                let mut b = vec![if key { 0x17 } else { 0x27 }, 1, 0, 0, 0, 0, 0, 0, 2];
                b.extend_from_slice(&[if key { 0x65 } else { 0x41 }, k as u8]);
                (9, self.ts, b)
            }
            _ => (8, self.ts + 10, vec![0xaf, 0x01, k as u8, 0x55]),
        }
    }
}

struct World {
    clock: Arc<ManualClock>,
    hub: Option<Hub>,
    streams: Vec<Stream>,
    feeders: Vec<Feeder>,
    readers: Vec<Reader>,
    made: usize,
    drops: Arc<AtomicUsize>,
}

fn pick<T>(v: &mut [T], i: u8) -> Option<&mut T> {
    if v.is_empty() {
        None
    } else {
        let n = v.len();
        v.get_mut(usize::from(i) % n)
    }
}

fn remove_at<T>(v: &mut Vec<T>, i: u8) -> Option<T> {
    if v.is_empty() {
        None
    } else {
        let n = v.len();
        Some(v.swap_remove(usize::from(i) % n))
    }
}

fn push_flv(f: &mut Feeder, bytes: &[u8]) {
    let before = f.publisher.stats().rejected;
    let r = f.publisher.push_flv(bytes);
    if let Some(e) = before {
        assert!(
            r == Err(e) || r == Err(Error::Closed),
            "push_flv after rejection: {r:?}"
        );
    }
    match r {
        Ok(()) | Err(Error::Closed | Error::Flv | Error::TooLarge) => {}
        Err(e) => assert!(
            !matches!(
                e,
                Error::Again
                    | Error::Eof
                    | Error::Timeout
                    | Error::Busy
                    | Error::NotFound
                    | Error::Buffer
                    | Error::Expired
            ),
            "push_flv: {e:?}"
        ),
    }
}

impl World {
    fn apply(&mut self, op: Op) {
        match op {
            Op::Stream { key, userdata } => {
                let Some(hub) = &self.hub else { return };
                let s = hub.stream(KEYS[usize::from(key) % KEYS.len()]).unwrap();
                if userdata {
                    self.made += 1;
                    s.set_userdata(Some(Box::new(Probe(self.drops.clone()))));
                }
                self.streams.push(s);
            }
            Op::Find { key } => {
                let Some(hub) = &self.hub else { return };
                match hub.find(KEYS[usize::from(key) % KEYS.len()]) {
                    Ok(s) => self.streams.push(s),
                    Err(e) => assert_eq!(e, Error::NotFound),
                }
            }
            Op::Remove { key } => {
                let Some(hub) = &self.hub else { return };
                if let Err(e) = hub.remove(KEYS[usize::from(key) % KEYS.len()]) {
                    assert_eq!(e, Error::NotFound);
                }
            }
            Op::DropStream { i } => drop(remove_at(&mut self.streams, i)),
            Op::SetUserdata { i, clear } => {
                if let Some(s) = pick(&mut self.streams, i) {
                    if clear {
                        s.set_userdata(None);
                    } else {
                        self.made += 1;
                        s.set_userdata(Some(Box::new(Probe(self.drops.clone()))));
                    }
                }
            }
            Op::Publish { i } => {
                let Some(s) = pick(&mut self.streams, i) else {
                    return;
                };
                match s.publish() {
                    Ok(publisher) => self.feeders.push(Feeder {
                        publisher,
                        n: 0,
                        ts: 0,
                        header_sent: false,
                    }),
                    Err(e) => assert!(matches!(e, Error::Busy | Error::Closed), "{e:?}"),
                }
            }
            Op::Unpublish { i } => drop(remove_at(&mut self.feeders, i)),
            Op::PushTag { i, kind, ts, len } => {
                let Some(f) = pick(&mut self.feeders, i) else {
                    return;
                };
                let (ty, ts, data) = match kind % 4 {
                    0 => {
                        let (ty, ts, data) = f.next_tag();
                        (ty, ts, data)
                    }
                    1 => (8 + kind % 12, ts, vec![kind; usize::from(len) % 64]),
                    2 => (
                        9,
                        ts,
                        vec![0x17; usize::from(len) % (MAX_TAG as usize + 100)],
                    ),
                    _ => (kind, ts, vec![kind; usize::from(len) % 16]),
                };
                match f.publisher.push_tag(ty, ts, &data) {
                    Ok(()) => {}
                    Err(Error::InvalidArg) => assert!(!matches!(ty, 8 | 9 | 18)),
                    Err(Error::TooLarge) => assert!(data.len() > MAX_TAG as usize),
                    Err(Error::Flv | Error::Closed) => {}
                    Err(e) => panic!("push_tag: {e:?}"),
                }
            }
            Op::PushGenerated { i, tags } => {
                let Some(f) = pick(&mut self.feeders, i) else {
                    return;
                };
                let mut out = Vec::new();
                if !f.header_sent {
                    out.extend_from_slice(&flv::file_header(true, true));
                    f.header_sent = true;
                }
                for _ in 0..tags % 16 {
                    let (ty, ts, data) = f.next_tag();
                    out.extend_from_slice(&flv::tag_header(ty, data.len() as u32, ts));
                    out.extend_from_slice(&data);
                    out.extend_from_slice(&flv::prev_tag_size(data.len() as u32));
                }
                let cut = usize::from(tags) * 7 % (out.len() + 1);
                push_flv(f, &out[..cut]);
                push_flv(f, &out[cut..]);
            }
            Op::PushRaw { i, bytes } => {
                let Some(f) = pick(&mut self.feeders, i) else {
                    return;
                };
                f.header_sent = true;
                push_flv(f, &bytes);
            }
            Op::Play {
                i,
                absolute,
                wait,
                bytes,
            } => {
                let Some(s) = pick(&mut self.streams, i) else {
                    return;
                };
                let opts = PlayOptions {
                    timestamps: if absolute {
                        TimestampMode::Absolute
                    } else {
                        TimestampMode::Rebase
                    },
                    republish_wait_ms: wait.map(u32::from),
                    ..Default::default()
                };
                match s.play(opts) {
                    Ok(player) => self.readers.push(Reader {
                        player,
                        bytes,
                        last_ts: None,
                        ended: false,
                        flv: Vec::new(),
                        cleared: None,
                    }),
                    Err(e) => assert_eq!(e, Error::Closed),
                }
            }
            Op::DropPlayer { i } => {
                if let Some(r) = remove_at(&mut self.readers, i) {
                    r.check_flv();
                    let cleared = r.cleared.clone();
                    drop(r);
                    if let Some(c) = cleared {
                        c.store(true, Ordering::SeqCst);
                    }
                }
            }
            Op::Read { i, n } => {
                let Some(r) = pick(&mut self.readers, i) else {
                    return;
                };
                for k in 0..n % 32 {
                    if r.read(k, usize::from(n) * 13).is_err() {
                        break;
                    }
                }
            }
            Op::ReadBatch { i, max } | Op::ReadIov { i, max } => {
                if let Some(r) = pick(&mut self.readers, i) {
                    let _ = r.read(1, usize::from(max));
                }
            }
            Op::ReadFlv { i, cap } => {
                if let Some(r) = pick(&mut self.readers, i) {
                    let _ = r.read(0, usize::from(cap));
                }
            }
            Op::Wait { i } => {
                let Some(r) = pick(&mut self.readers, i) else {
                    return;
                };
                let w = r.player.wait(Duration::ZERO);
                match w {
                    Ok(()) => {
                        let next = r.read(0, 4096);
                        assert_ne!(next, Err(Error::Again), "wait said Ok, the read said Again");
                    }
                    Err(Error::Timeout) => {
                        let _ = r.result(Ok(()));
                    }
                    Err(Error::Eof | Error::Expired) => {
                        let _ = r.result(w);
                    }
                    Err(e) => panic!("wait: {e:?}"),
                }
            }
            Op::SetCallback { i } => {
                let Some(r) = pick(&mut self.readers, i) else {
                    return;
                };
                let cleared = Arc::new(AtomicBool::new(false));
                let c = cleared.clone();
                r.player
                    .notifier()
                    .set_callback(Some(std::sync::Arc::new(move || {
                        assert!(!c.load(Ordering::SeqCst), "callback after it was cleared");
                    })));
                if let Some(old) = r.cleared.replace(cleared) {
                    old.store(true, Ordering::SeqCst);
                }
            }
            Op::ClearCallback { i } => {
                let Some(r) = pick(&mut self.readers, i) else {
                    return;
                };
                r.player.notifier().set_callback(None);
                if let Some(old) = r.cleared.take() {
                    old.store(true, Ordering::SeqCst);
                }
            }
            Op::Stats { i } => {
                if let Some(s) = pick(&mut self.streams, i) {
                    let _ = s.stats();
                }
                if let Some(f) = pick(&mut self.feeders, i) {
                    let _ = f.publisher.stats();
                }
                if let Some(r) = pick(&mut self.readers, i) {
                    let _ = r.player.stats();
                }
            }
            Op::Advance { ms } => self.clock.advance(u64::from(ms)),
            Op::Tick => {
                if let Some(hub) = &self.hub {
                    hub.tick();
                }
            }
            Op::StatsJson => {
                if let Some(hub) = &self.hub {
                    let _ = hub.stats_json();
                }
            }
            Op::DropHub => self.hub = None,
        }
    }
}

fuzz_target!(|ops: Vec<Op>| {
    let clock = Arc::new(ManualClock::new(1_000));
    let cfg = Config {
        republish_wait_ms: 50,
        idle_stream_ms: 100,
        publisher_idle_timeout_ms: 300,
        player_idle_timeout_ms: 500,
        max_lag_ms: 200,
        gop_max_frames: 20,
        gop_max_bytes: 4_000,
        max_tag_size: MAX_TAG,
        clock: clock.clone(),
    };
    let mut w = World {
        clock,
        hub: Some(Hub::new(cfg)),
        streams: Vec::new(),
        feeders: Vec::new(),
        readers: Vec::new(),
        made: 0,
        drops: Arc::new(AtomicUsize::new(0)),
    };
    for op in ops.into_iter().take(400) {
        w.apply(op);
    }
    // Everything left goes: the readers last, after one more look.
    w.hub = None;
    w.feeders.clear();
    w.streams.clear();
    for mut r in std::mem::take(&mut w.readers) {
        for _ in 0..10_000 {
            if r.read(1, 64).is_err() {
                break;
            }
        }
        r.check_flv();
        drop(r);
    }
    assert_eq!(w.drops.load(Ordering::SeqCst), w.made, "userdata drops");
});
