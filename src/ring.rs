//! The broadcast ring: one shared, bounded, append-only sequence of tags.
//!
//! Tags live in fixed-size [`Segment`]s of write-once slots. The publisher
//! fills slots in order under the stream lock; a player holds an `Arc` to the
//! segment it is reading and reads filled slots with no lock and no reference
//! count per tag (a slot, once set, never changes). Only when a player
//! crosses into the next segment, or finds nothing new, does it take the
//! stream lock — once per [`SEGMENT_LEN`] tags at most on the steady path.
//!
//! The stream keeps a window of segments: whatever the lag window and the GOP
//! cache need, within hard bounds. Evicting a segment only drops the stream's
//! reference; a player still reading it keeps it alive until it moves on, so
//! nothing is ever freed under a reader, and a stalled player pins at most
//! the one segment it stands in.
//!
//! ```
//! use livehub::{Hub, Error};
//! let hub = Hub::new(Default::default());
//! let stream = hub.stream("live/ring").unwrap();
//! let mut publisher = stream.publish().unwrap();
//! let mut players: Vec<_> = (0..3).map(|_| stream.play(Default::default()).unwrap()).collect();
//! publisher.push_tag(8, 0, &[0x2f, 0xAA]).unwrap(); // stored once, whatever the number of players
//! for p in &mut players {
//!     assert_eq!(p.read().unwrap().data, &[0x2f, 0xAA]);
//!     assert_eq!(p.read().err(), Some(Error::Again));
//! }
//! ```

use crate::sync::{Arc, AtomicBool, AtomicUsize, Ordering};
use bytes::Bytes;
use std::collections::VecDeque;
use std::sync::OnceLock;

/// Tags per segment.
#[cfg(not(loom))]
pub const SEGMENT_LEN: usize = 64;
/// Tags per segment: tiny under loom, so that models cross segments.
#[cfg(loom)]
pub const SEGMENT_LEN: usize = 2;

/// Internal flag: a coded video frame (what a keyframe wait drops).
pub(crate) const FLAG_VIDEO_FRAME: u32 = 1 << 16;
/// The flags a player exposes.
pub(crate) const PUBLIC_FLAGS: u32 = 0xFFFF;

/// A borrowed view of one tag, valid until the next call on its player.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TagView<'a> {
    /// 8 audio, 9 video, 18 script.
    pub tag_type: u8,
    /// Milliseconds, after the player's timestamp policy.
    pub timestamp: u32,
    /// `flv::FLAG_*` bits.
    pub flags: u32,
    /// The tag body (FLV tag header excluded).
    pub data: &'a [u8],
}

/// One tag as stored: the payload is shared by every reader.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub data: Bytes,
    /// Position on the stream's timeline, in ms.
    pub ts: u64,
    pub flags: u32,
    pub tag_type: u8,
}

impl Entry {
    pub fn is_keyframe(&self) -> bool {
        self.flags & crate::flv::FLAG_KEYFRAME != 0
    }
    pub fn is_video_frame(&self) -> bool {
        self.flags & FLAG_VIDEO_FRAME != 0
    }

    /// The view a player hands out, with its output timestamp.
    #[inline]
    pub fn view(&self, timestamp: u32) -> TagView<'_> {
        TagView {
            tag_type: self.tag_type,
            timestamp,
            flags: self.flags & PUBLIC_FLAGS,
            data: &self.data,
        }
    }
}

/// A run of [`SEGMENT_LEN`] write-once slots starting at sequence `base`.
pub(crate) struct Segment {
    base: u64,
    slots: Box<[OnceLock<Entry>]>,
    /// Dropped from the stream's window: a player still holding it has
    /// fallen behind and must skip forward rather than read stale tags.
    evicted: AtomicBool,
    /// Slots filled so far, stored (release) after each slot is set: a
    /// reader that loads it (acquire) may take every slot below it without
    /// looking each one up first.
    filled: AtomicUsize,
    /// No more slots will be filled (mirrors `Meta::sealed`, for readers
    /// that look without the stream lock).
    sealed: AtomicBool,
}

impl Segment {
    fn new(base: u64) -> Segment {
        Segment {
            base,
            slots: (0..SEGMENT_LEN).map(|_| OnceLock::new()).collect(),
            evicted: AtomicBool::new(false),
            filled: AtomicUsize::new(0),
            sealed: AtomicBool::new(false),
        }
    }

    /// Whether the epoch that filled this segment ended: its empty slots
    /// stay empty.
    #[inline]
    pub fn is_sealed(&self) -> bool {
        self.sealed.load(Ordering::Relaxed)
    }

    /// Whether the stream dropped this segment from its window.
    #[inline]
    pub fn is_evicted(&self) -> bool {
        self.evicted.load(Ordering::Relaxed)
    }

    /// The sequence number after the last filled slot: every slot below it
    /// is filled (and stays so).
    #[inline]
    pub fn filled_end(&self) -> u64 {
        self.base + self.filled.load(Ordering::Acquire) as u64
    }

    /// Whether `seq` is one of this segment's slots (written or not).
    #[inline]
    pub fn covers(&self, seq: u64) -> bool {
        seq.checked_sub(self.base)
            .is_some_and(|i| i < self.slots.len() as u64)
    }

    /// The tag at `seq`, if this segment covers `seq` and it was written.
    #[inline]
    pub fn get(&self, seq: u64) -> Option<&Entry> {
        let i = seq.checked_sub(self.base)?;
        self.slots.get(usize::try_from(i).ok()?)?.get()
    }
}

/// Bookkeeping the stream keeps per retained segment.
struct Meta {
    /// Filled slots.
    len: usize,
    /// No more slots will be filled (the epoch ended here).
    sealed: bool,
    bytes: u64,
    last_ts: u64,
    /// Clock ms at which each filled slot was pushed.
    arrived_ms: Vec<u64>,
}

/// The stream's window of segments. Lives under the stream lock.
pub(crate) struct Ring {
    segments: VecDeque<(Arc<Segment>, Meta)>,
    /// Sequence number the next tag gets.
    write_seq: u64,
    bytes: u64,
    tags: u64,
}

impl Ring {
    pub fn new() -> Ring {
        Ring {
            segments: VecDeque::new(),
            write_seq: 0,
            bytes: 0,
            tags: 0,
        }
    }

    pub fn write_seq(&self) -> u64 {
        self.write_seq
    }

    /// Oldest sequence still retained (== `write_seq` when empty).
    pub fn front_seq(&self) -> u64 {
        self.segments
            .front()
            .map_or(self.write_seq, |(s, _)| s.base)
    }

    pub fn retained_bytes(&self) -> u64 {
        self.bytes
    }

    pub fn retained_tags(&self) -> u64 {
        self.tags
    }

    /// Appends a tag pushed at clock time `now_ms`; returns its sequence
    /// number.
    pub fn push(&mut self, entry: Entry, now_ms: u64) -> u64 {
        let need_new = match self.segments.back() {
            None => true,
            Some((_, m)) => m.sealed || m.len == SEGMENT_LEN,
        };
        if need_new {
            self.segments.push_back((
                Arc::new(Segment::new(self.write_seq)),
                Meta {
                    len: 0,
                    sealed: false,
                    bytes: 0,
                    last_ts: entry.ts,
                    arrived_ms: Vec::with_capacity(SEGMENT_LEN),
                },
            ));
        }
        let seq = self.write_seq;
        let size = entry.data.len() as u64;
        let ts = entry.ts;
        if let Some((seg, meta)) = self.segments.back_mut() {
            // The slot is fresh: `set` cannot fail. Ignoring the result keeps
            // this path free of panics.
            if let Some(slot) = seg.slots.get(meta.len) {
                let _ = slot.set(entry);
            }
            seg.filled.store(meta.len + 1, Ordering::Release);
            meta.len += 1;
            meta.arrived_ms.push(now_ms);
            meta.bytes += size;
            meta.last_ts = ts;
        }
        self.write_seq += 1;
        self.bytes += size;
        self.tags += 1;
        seq
    }

    /// Ends the current segment: later tags start a new one.
    pub fn seal(&mut self) {
        if let Some((seg, m)) = self.segments.back_mut() {
            m.sealed = true;
            seg.sealed.store(true, Ordering::Relaxed);
        }
    }

    /// The segment holding (or about to hold) `seq`, if retained.
    pub fn segment_for(&self, seq: u64) -> Option<&Arc<Segment>> {
        let i = self
            .segments
            .partition_point(|(s, _)| s.base <= seq)
            .checked_sub(1)?;
        let (seg, meta) = &self.segments[i];
        let end = if meta.sealed {
            seg.base + meta.len as u64
        } else {
            seg.base + SEGMENT_LEN as u64
        };
        (seq < end).then_some(seg)
    }

    /// The clock time at which the tag at `seq` was pushed, if retained.
    pub fn arrived_ms(&self, seq: u64) -> Option<u64> {
        let i = self
            .segments
            .partition_point(|(s, _)| s.base <= seq)
            .checked_sub(1)?;
        let (seg, meta) = &self.segments[i];
        meta.arrived_ms
            .get(usize::try_from(seq - seg.base).ok()?)
            .copied()
    }

    /// The timeline position of the tag at `seq`, if retained.
    pub fn ts_of(&self, seq: u64) -> Option<u64> {
        self.segment_for(seq)?.get(seq).map(|e| e.ts)
    }

    /// Drops whole segments from the front while `evictable(first_seq_after,
    /// last_ts, bytes, tags)` says so. The newest segment always stays.
    pub fn evict_while(&mut self, mut evictable: impl FnMut(u64, u64, u64, u64) -> bool) {
        while self.segments.len() > 1 {
            let (seg, meta) = &self.segments[0];
            let end = seg.base + meta.len as u64;
            if !evictable(end, meta.last_ts, self.bytes, self.tags) {
                break;
            }
            self.bytes -= meta.bytes;
            self.tags -= meta.len as u64;
            seg.evicted.store(true, Ordering::Relaxed);
            self.segments.pop_front();
        }
    }
}
