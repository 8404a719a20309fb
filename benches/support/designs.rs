//! The three fan-out designs measured side by side, behind one interface.
//!
//! - [`Livehub`]: the library under test. The publisher stores each tag once
//!   in the stream's ring; a player is a cursor. Read through
//!   `Player::read` (borrowed view), `Player::read_batch` (the same views,
//!   up to [`BATCH_TAGS`] per call), `Player::read_iov` (HTTP-FLV slices,
//!   bodies not copied) or `Player::read_flv` (HTTP-FLV bytes copied into a
//!   buffer).
//! - [`SrsShaped`]: a queue per player, a wrapper allocated per player per
//!   message. The payload is copied once into a shared, reference-counted
//!   message; for every consumer the publisher allocates a small wrapper
//!   (`Box<MsgRef>`: a clone of the shared reference plus that consumer's
//!   own timestamp) and pushes it into the consumer's own `VecDeque`; each
//!   consumer pops from its queue and frees the wrapper. Single-threaded, the
//!   queues sit in `Rc<RefCell<…>>`; threaded, in `Arc<Mutex<…>>` (one lock
//!   per queue, taken by the publisher per message and by the reader once per
//!   batch).
//! - [`Broadcast`]: `tokio::sync::broadcast`, capacity
//!   [`BROADCAST_CAPACITY`] (the retained window of livehub for this stream
//!   is about 12 s ≈ 820 tags), receivers polled with `try_recv`. Each
//!   receive clones the message (a `Bytes` reference-count increment) and
//!   drops it after use.
//!
//! Every design copies each payload exactly once, keeps the metadata, the
//! sequence headers and the current GOP for late joiners (livehub does that
//! itself; the baselines with a small cache like real servers built on them),
//! gives each reader its own rebased timestamps, and hands every tag to every
//! reader, whose pointer goes through `black_box`.

use super::workload::{Round, SrcTag, AUDIO, SCRIPT, VIDEO};
use bytes::Bytes;
use livehub::{Config, Error, Hub, Player, Publisher, Stream};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::hint::black_box;
use std::rc::Rc;
use std::sync::{Arc, Mutex};

/// Per-thread scratch a reader may use (the `read_flv` output buffer).
pub struct Scratch {
    pub buf: Vec<u8>,
}

/// The `read_flv` buffer: what a server hands to one socket write.
pub const FLV_BUF: usize = 64 * 1024;
/// `read_iov`: at most this many tags per call (65 slices), as a server
/// would size its `writev`.
pub const IOV_TAGS: usize = 32;
/// `read_batch`: at most this many tags per call, as a server would size
/// its `livehub_tag` array.
pub const BATCH_TAGS: usize = 64;

impl Scratch {
    pub fn new() -> Scratch {
        Scratch {
            buf: vec![0; FLV_BUF],
        }
    }
}

pub trait Design {
    type Reader;
    /// Stores one tag (copying `body` once) and hands it to every reader.
    fn publish(&mut self, tag: &SrcTag, body: &[u8]);
    /// A new reader, joining like a new HTTP-FLV player.
    fn attach(&mut self) -> Self::Reader;
    /// Untimed: reads whatever is there for `r` (its join prelude). Returns
    /// the count of tags.
    fn drain(r: &mut Self::Reader, scratch: &mut Scratch) -> u64;
    /// Reads exactly the tags of `round`, all of them already published,
    /// touching every payload pointer. Panics if anything is missing.
    fn read_round(r: &mut Self::Reader, round: &Round, scratch: &mut Scratch);
}

// ---------------------------------------------------------------- livehub

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiveMode {
    Read,
    Batch,
    Iov,
    Flv,
}

pub struct Livehub {
    _hub: Hub,
    pub stream: Stream,
    pub publisher: Publisher,
    mode: LiveMode,
}

pub struct LiveReader {
    pub player: Player,
    mode: LiveMode,
}

impl Livehub {
    pub fn new(mode: LiveMode) -> Livehub {
        Livehub::with_config(mode, Config::default())
    }

    pub fn with_config(mode: LiveMode, cfg: Config) -> Livehub {
        let hub = Hub::new(cfg);
        let stream = hub.stream("bench/fanout").unwrap();
        let publisher = stream.publish().unwrap();
        Livehub {
            _hub: hub,
            stream,
            publisher,
            mode,
        }
    }
}

impl Design for Livehub {
    type Reader = LiveReader;

    #[inline]
    fn publish(&mut self, tag: &SrcTag, body: &[u8]) {
        self.publisher.push_tag(tag.tag_type, tag.ts, body).unwrap();
    }

    fn attach(&mut self) -> LiveReader {
        LiveReader {
            player: self.stream.play(Default::default()).unwrap(),
            mode: self.mode,
        }
    }

    fn drain(r: &mut LiveReader, scratch: &mut Scratch) -> u64 {
        let mut n = 0;
        loop {
            let res = match r.mode {
                LiveMode::Read => r.player.read().map(|t| {
                    black_box(t.data.as_ptr());
                }),
                LiveMode::Batch => r
                    .player
                    .read_batch(BATCH_TAGS, |t| {
                        black_box(t.data.as_ptr());
                    })
                    .map(drop),
                LiveMode::Iov => r
                    .player
                    .read_iov(64, |s| {
                        black_box(s.as_ptr());
                    })
                    .map(drop),
                LiveMode::Flv => r.player.read_flv(&mut scratch.buf).map(drop),
            };
            match res {
                Ok(()) => n += 1,
                Err(Error::Again) => return n,
                Err(e) => panic!("livehub drain: {e:?}"),
            }
        }
    }

    #[inline]
    fn read_round(r: &mut LiveReader, round: &Round, scratch: &mut Scratch) {
        match r.mode {
            LiveMode::Read => {
                let mut bytes = 0;
                for _ in 0..round.tags.len() {
                    let t = r.player.read().unwrap();
                    black_box(t.data.as_ptr());
                    black_box((t.timestamp, t.tag_type));
                    bytes += t.data.len();
                }
                assert_eq!(bytes, round.body_bytes);
            }
            LiveMode::Batch => {
                let mut left = round.tags.len();
                let mut bytes = 0;
                while left > 0 {
                    left -= r
                        .player
                        .read_batch(left.min(BATCH_TAGS), |t| {
                            black_box(t.data.as_ptr());
                            black_box((t.timestamp, t.tag_type));
                            bytes += t.data.len();
                        })
                        .unwrap();
                }
                assert_eq!(bytes, round.body_bytes);
            }
            LiveMode::Iov => {
                let mut left = round.tags.len();
                let mut bytes = 0;
                while left > 0 {
                    let k = left.min(IOV_TAGS);
                    r.player
                        .read_iov(2 * k + 1, |s| {
                            black_box(s.as_ptr());
                            bytes += s.len();
                        })
                        .unwrap();
                    left -= k;
                }
                assert_eq!(bytes, round.flv_bytes);
            }
            LiveMode::Flv => {
                let mut left = round.flv_bytes;
                while left > 0 {
                    let cap = left.min(scratch.buf.len());
                    let n = r.player.read_flv(&mut scratch.buf[..cap]).unwrap();
                    black_box(scratch.buf.as_ptr());
                    left -= n;
                }
            }
        }
    }
}

// ------------------------------------------------- shared by the baselines

pub const FLAG_KEY: u8 = 1;
pub const FLAG_HEADER: u8 = 2;
pub const FLAG_META: u8 = 4;

/// What a server reads off the first bytes of a tag body.
#[inline]
pub fn classify(tag_type: u8, body: &[u8]) -> u8 {
    match tag_type {
        VIDEO if body.get(1) == Some(&0) => FLAG_HEADER,
        VIDEO if body.first().is_some_and(|b| b >> 4 == 1) => FLAG_KEY,
        AUDIO if body.first().is_some_and(|b| b >> 4 == 10) && body.get(1) == Some(&0) => {
            FLAG_HEADER
        }
        SCRIPT => FLAG_META,
        _ => 0,
    }
}

/// Metadata, sequence headers and the current GOP, for late joiners.
struct JoinCache<M> {
    meta: Option<M>,
    audio_header: Option<M>,
    video_header: Option<M>,
    gop: Vec<M>,
}

/// Same bound as livehub's `gop_max_frames`.
const GOP_MAX: usize = 2_500;

impl<M: Clone> JoinCache<M> {
    fn new() -> Self {
        JoinCache {
            meta: None,
            audio_header: None,
            video_header: None,
            gop: Vec::new(),
        }
    }

    #[inline]
    fn update(&mut self, msg: &M, tag_type: u8, flags: u8) {
        if flags & FLAG_META != 0 {
            self.meta = Some(msg.clone());
        } else if flags & FLAG_HEADER != 0 {
            if tag_type == AUDIO {
                self.audio_header = Some(msg.clone());
            } else {
                self.video_header = Some(msg.clone());
            }
        } else {
            if (flags & FLAG_KEY != 0 && tag_type == VIDEO) || self.gop.len() >= GOP_MAX {
                self.gop.clear();
            }
            self.gop.push(msg.clone());
        }
    }

    fn dump(&self) -> impl Iterator<Item = &M> {
        self.meta
            .iter()
            .chain(self.audio_header.iter())
            .chain(self.video_header.iter())
            .chain(self.gop.iter())
    }
}

// ---------------------------------------------------------- SRS-shaped

/// The message, stored once: payload copy plus what the source knows.
pub struct SharedMsg {
    pub payload: Box<[u8]>,
    pub ts: u32,
    pub tag_type: u8,
    pub flags: u8,
}

/// The per-consumer, per-message wrapper.
pub struct MsgRef {
    pub msg: Arc<SharedMsg>,
    pub timestamp: u32,
}

/// A consumer's own queue.
pub struct Queue {
    msgs: VecDeque<Box<MsgRef>>,
    origin: Option<u32>,
    /// Stream time spanned by the queued audio/video frames (sequence
    /// headers and metadata carry old timestamps and do not count).
    start_ts: Option<u32>,
    end_ts: u32,
    pub dropped: u64,
}

/// A queue spanning more than this much stream time is cleared (a consumer
/// that fell behind starts again from what comes next), like livehub's
/// `max_lag_ms`.
const QUEUE_MAX_MS: u32 = 10_000;

impl Queue {
    fn new() -> Queue {
        Queue {
            msgs: VecDeque::new(),
            origin: None,
            start_ts: None,
            end_ts: 0,
            dropped: 0,
        }
    }

    #[inline]
    fn enqueue(&mut self, msg: &Arc<SharedMsg>) {
        let origin = *self.origin.get_or_insert(msg.ts);
        self.msgs.push_back(Box::new(MsgRef {
            msg: Arc::clone(msg),
            timestamp: msg.ts.wrapping_sub(origin),
        }));
        if msg.flags & (FLAG_HEADER | FLAG_META) == 0 {
            let start = *self.start_ts.get_or_insert(msg.ts);
            self.end_ts = msg.ts;
            if self.end_ts.wrapping_sub(start) > QUEUE_MAX_MS {
                self.dropped += self.msgs.len() as u64;
                self.msgs.clear();
                self.start_ts = None;
            }
        }
    }

    /// Takes the oldest message; the queue's span now starts there (what
    /// an SRS-style queue does when it hands out messages).
    #[inline]
    fn pop(&mut self) -> Option<Box<MsgRef>> {
        let m = self.msgs.pop_front()?;
        if m.msg.flags & (FLAG_HEADER | FLAG_META) == 0 {
            self.start_ts = Some(m.msg.ts);
        }
        Some(m)
    }
}

/// Where a consumer's queue lives: shared with the source.
pub trait QueueCell: Clone {
    fn wrap(q: Queue) -> Self;
    fn with<R>(&self, f: impl FnOnce(&mut Queue) -> R) -> R;
}

impl QueueCell for Rc<RefCell<Queue>> {
    fn wrap(q: Queue) -> Self {
        Rc::new(RefCell::new(q))
    }
    #[inline]
    fn with<R>(&self, f: impl FnOnce(&mut Queue) -> R) -> R {
        f(&mut self.borrow_mut())
    }
}

impl QueueCell for Arc<Mutex<Queue>> {
    fn wrap(q: Queue) -> Self {
        Arc::new(Mutex::new(q))
    }
    #[inline]
    fn with<R>(&self, f: impl FnOnce(&mut Queue) -> R) -> R {
        f(&mut self.lock().unwrap())
    }
}

pub struct SrsShaped<C> {
    consumers: Vec<C>,
    cache: JoinCache<Arc<SharedMsg>>,
}

/// Single-threaded (as in a coroutine server).
pub type SrsLocal = SrsShaped<Rc<RefCell<Queue>>>;
/// Publisher and consumers on different threads.
pub type SrsThreaded = SrsShaped<Arc<Mutex<Queue>>>;

impl<C: QueueCell> SrsShaped<C> {
    pub fn new() -> Self {
        SrsShaped {
            consumers: Vec::new(),
            cache: JoinCache::new(),
        }
    }
}

impl<C: QueueCell> Design for SrsShaped<C> {
    type Reader = C;

    #[inline]
    fn publish(&mut self, tag: &SrcTag, body: &[u8]) {
        let flags = classify(tag.tag_type, body);
        let msg = Arc::new(SharedMsg {
            payload: body.into(),
            ts: tag.ts,
            tag_type: tag.tag_type,
            flags,
        });
        self.cache.update(&msg, tag.tag_type, flags);
        for c in &self.consumers {
            c.with(|q| q.enqueue(&msg));
        }
    }

    fn attach(&mut self) -> C {
        let mut q = Queue::new();
        for m in self.cache.dump() {
            q.enqueue(m);
        }
        let c = C::wrap(q);
        self.consumers.push(c.clone());
        c
    }

    fn drain(r: &mut C, _: &mut Scratch) -> u64 {
        r.with(|q| {
            let mut n = 0;
            while let Some(m) = q.pop() {
                black_box(m.msg.payload.as_ptr());
                n += 1;
            }
            n
        })
    }

    #[inline]
    fn read_round(r: &mut C, round: &Round, _: &mut Scratch) {
        let bytes = r.with(|q| {
            let mut bytes = 0;
            for _ in 0..round.tags.len() {
                let m = q.pop().expect("srs-shaped: message missing");
                black_box(m.msg.payload.as_ptr());
                black_box((m.timestamp, m.msg.tag_type));
                bytes += m.msg.payload.len();
            }
            bytes
        });
        assert_eq!(bytes, round.body_bytes);
    }
}

// ------------------------------------------------------ tokio broadcast

/// Capacity of the broadcast channel: a power of two near livehub's window
/// for this stream (10 s `max_lag_ms` + a 2 s GOP + segment rounding ≈ 820
/// tags).
pub const BROADCAST_CAPACITY: usize = 1024;

#[derive(Clone)]
pub struct BTag {
    pub data: Bytes,
    pub ts: u32,
    pub tag_type: u8,
    /// As in [`SharedMsg`].
    #[allow(dead_code)]
    pub flags: u8,
}

pub struct Broadcast {
    tx: tokio::sync::broadcast::Sender<BTag>,
    cache: JoinCache<BTag>,
}

pub struct BReader {
    rx: tokio::sync::broadcast::Receiver<BTag>,
    /// The join prelude (cached tags), last first.
    prelude: Vec<BTag>,
    origin: Option<u32>,
}

impl Broadcast {
    pub fn new() -> Broadcast {
        let (tx, _) = tokio::sync::broadcast::channel(BROADCAST_CAPACITY);
        Broadcast {
            tx,
            cache: JoinCache::new(),
        }
    }
}

impl Design for Broadcast {
    type Reader = BReader;

    #[inline]
    fn publish(&mut self, tag: &SrcTag, body: &[u8]) {
        let flags = classify(tag.tag_type, body);
        let t = BTag {
            data: Bytes::copy_from_slice(body),
            ts: tag.ts,
            tag_type: tag.tag_type,
            flags,
        };
        self.cache.update(&t, tag.tag_type, flags);
        // Err only when nobody is subscribed: the value is dropped then.
        let _ = self.tx.send(t);
    }

    fn attach(&mut self) -> BReader {
        let mut prelude: Vec<BTag> = self.cache.dump().cloned().collect();
        prelude.reverse();
        BReader {
            rx: self.tx.subscribe(),
            prelude,
            origin: None,
        }
    }

    fn drain(r: &mut BReader, _: &mut Scratch) -> u64 {
        let mut n = 0;
        while let Some(t) = r.prelude.pop() {
            r.origin.get_or_insert(t.ts);
            black_box(t.data.as_ptr());
            n += 1;
        }
        r.prelude = Vec::new();
        while let Ok(t) = r.rx.try_recv() {
            r.origin.get_or_insert(t.ts);
            black_box(t.data.as_ptr());
            n += 1;
        }
        n
    }

    #[inline]
    fn read_round(r: &mut BReader, round: &Round, _: &mut Scratch) {
        let mut bytes = 0;
        for _ in 0..round.tags.len() {
            let t = r.rx.try_recv().expect("broadcast: message missing");
            let origin = *r.origin.get_or_insert(t.ts);
            black_box(t.data.as_ptr());
            black_box((t.ts.wrapping_sub(origin), t.tag_type));
            bytes += t.data.len();
        }
        assert_eq!(bytes, round.body_bytes);
    }
}
