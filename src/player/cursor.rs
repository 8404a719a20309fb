//! The player's cursor: where it is in the ring, what it has pinned, the
//! keyframe wait, and its timestamp policy.
//!
//! The fast path reads filled slots of the pinned segment with no lock.
//! Everything else — the next segment, nothing new, falling behind, the end
//! of the stream — is the slow path: [`Player::refill`] asks the stream
//! what to do ([`Stream::step`](crate::stream::Stream)) and applies the
//! answer.

use super::{Held, Player};
use crate::config::TimestampMode;
use crate::error::Error;
use crate::flv;
use crate::log::log;
use crate::notify::Waiter;
use crate::ring::{Entry, Segment, TagView};
use crate::stream::{At, Next, Skip};
use crate::sync::Arc;

/// Where the tag handed out by `advance` lives.
#[derive(Clone, Copy)]
pub(super) enum Src {
    /// `prelude[i]`, with its output timestamp.
    Prelude(usize, u32),
    /// The ring slot `seq` of the pinned segment, with its output
    /// timestamp, its type and body size (so that framing it needs no
    /// second look at the slot).
    Ring {
        seq: u64,
        ts: u32,
        tag_type: u8,
        size: u32,
    },
}

impl Player {
    /// Whether the next tag is a filled slot of the pinned segment and
    /// nothing else needs doing first (no prelude, no keyframe wait, origin
    /// known, not ended or expired): then `take_steady` hands it out.
    ///
    /// Whether the slot is filled comes from the segment's fill count,
    /// loaded only when the player has read every slot it last saw filled
    /// (`ready_end`): the tag itself is then the one slot lookup.
    #[inline]
    pub(super) fn steady(&mut self) -> bool {
        if self.eof || self.slot.is_expired() {
            return false;
        }
        let known = self.ready_end;
        let Some(end) = self.steady_segment().map(|(s, _)| {
            if self.seq < known {
                known
            } else {
                s.filled_end()
            }
        }) else {
            return false;
        };
        self.ready_end = end;
        self.seq < end
    }

    /// The pinned segment and the rebase origin, when the next tags can be
    /// taken straight from the segment: the prelude is out, the keyframe
    /// wait is over, the origin is known and the segment still in the
    /// window.
    #[inline]
    pub(super) fn steady_segment(&self) -> Option<(&Segment, u64)> {
        if self.need_keyframe || self.prelude_pending() {
            return None;
        }
        Some((self.live_segment()?, self.origin?))
    }

    /// The output timestamp of timeline position `t` (>= `origin`).
    #[inline]
    pub(super) fn stamp(mode: TimestampMode, t: u64, origin: u64) -> u32 {
        match mode {
            TimestampMode::Rebase => t.saturating_sub(origin) as u32,
            TimestampMode::Absolute => t as u32,
        }
    }

    /// The steady path of `read`, once `steady` said yes (on this thread,
    /// with nothing in between, so the slot is there: slots never empty).
    #[inline]
    pub(super) fn take_steady(&mut self) -> TagView<'_> {
        let seq = self.seq;
        let origin = self.origin.unwrap_or(0);
        let Some(e) = self.seg.as_deref().and_then(|s| s.get(seq)) else {
            debug_assert!(false, "steady() saw this slot filled");
            return TagView {
                tag_type: 0,
                timestamp: 0,
                flags: 0,
                data: &[],
            };
        };
        self.seq = seq + 1;
        self.floor = self.floor.max(e.ts);
        self.stats.tags_out += 1;
        self.stats.bytes_out += e.data.len() as u64;
        e.view(Self::stamp(self.mode, self.floor, origin))
    }

    /// The tag `advance` handed out, with its output timestamp. (`advance`
    /// only reports a tag it found where `src` says, so the `Again` branch
    /// is never taken.)
    pub(super) fn entry(&self, src: Src) -> Result<(&Entry, u32), Error> {
        let (entry, ts) = match src {
            Src::Prelude(i, ts) => (self.prelude.as_deref().and_then(|p| p.get(i)), ts),
            Src::Ring { seq, ts, .. } => (self.seg.as_deref().and_then(|s| s.get(seq)), ts),
        };
        entry.map(|e| (e, ts)).ok_or(Error::Again)
    }

    /// Every public call starts here: what the previous call handed out
    /// may be let go of now.
    #[inline]
    pub(super) fn begin_call(&mut self) {
        if self.hold {
            self.hold = false;
            self.held.clear();
        }
        if self.prelude.is_some() && !self.prelude_pending() {
            self.prelude = None;
        }
    }

    /// Moves the player to `seg`; during a multi-tag call the one it
    /// leaves is held until the next call.
    pub(super) fn set_segment(&mut self, seg: Option<Arc<Segment>>) {
        self.ready_end = 0;
        let old = std::mem::replace(&mut self.seg, seg);
        if let (true, Some(old)) = (self.hold, old) {
            self.held.push(Held::Segment(old));
        }
    }

    /// The same for the prelude.
    pub(super) fn set_prelude(&mut self, prelude: Option<std::sync::Arc<[Entry]>>) {
        let old = std::mem::replace(&mut self.prelude, prelude);
        if let (true, Some(old)) = (self.hold, old) {
            self.held.push(Held::Prelude(old));
        }
    }

    /// Whether prelude tags remain to be handed out.
    #[inline]
    pub(super) fn prelude_pending(&self) -> bool {
        self.prelude
            .as_deref()
            .is_some_and(|p| self.prelude_next < p.len())
    }

    /// The body size of the next prelude tag, if any.
    #[inline]
    fn next_prelude_len(&self) -> Option<usize> {
        self.prelude
            .as_deref()?
            .get(self.prelude_next)
            .map(|e| e.data.len())
    }

    /// The pinned segment, unless the stream evicted it (then this player
    /// fell out of the window and the slow path moves it on).
    #[inline]
    pub(super) fn live_segment(&self) -> Option<&Segment> {
        self.seg.as_deref().filter(|s| !s.is_evicted())
    }

    /// Metadata and sequence headers go out at the current position; before
    /// the first ring tag has fixed the rebase origin, that is 0.
    fn prelude_ts(&self) -> u32 {
        match (self.mode, self.origin) {
            (TimestampMode::Absolute, _) => self.floor as u32,
            (TimestampMode::Rebase, Some(origin)) => self.floor.saturating_sub(origin) as u32,
            (TimestampMode::Rebase, None) => 0,
        }
    }

    fn out_ts(&mut self, ts: u64) -> u32 {
        let t = ts.max(self.floor);
        self.floor = t;
        let origin = *self.origin.get_or_insert(t);
        Self::stamp(self.mode, t, origin)
    }

    /// Moves to the next tag to hand out.
    pub(super) fn advance(&mut self) -> Result<Src, Error> {
        self.check_open()?;
        loop {
            if let Some(len) = self.next_prelude_len() {
                let i = self.prelude_next;
                self.prelude_next += 1;
                let ts = self.prelude_ts();
                self.count(len);
                return Ok(Src::Prelude(i, ts));
            }
            // The fast path: a filled slot of the pinned segment.
            let found = self.live_segment().and_then(|s| s.get(self.seq)).map(|e| {
                let key = e.is_keyframe();
                (e.ts, e.data.len(), e.tag_type, e.is_video_frame(), key)
            });
            match found {
                Some((ts, len, tag_type, video_frame, key)) => {
                    let seq = self.seq;
                    self.seq += 1;
                    if video_frame && self.need_keyframe {
                        if !key {
                            self.stats.tags_dropped += 1;
                            continue;
                        }
                        self.need_keyframe = false;
                    }
                    let ts = self.out_ts(ts);
                    self.count(len);
                    return Ok(Src::Ring {
                        seq,
                        ts,
                        tag_type,
                        size: len as u32,
                    });
                }
                None => {
                    if self.arm_at_edge() {
                        return Err(Error::Again);
                    }
                    self.refill()?
                }
            }
        }
    }

    /// A grouped player at the live edge of its segment arms into its
    /// group without the stream lock, when nothing but the next tag can be
    /// news for it: the segment still in the window and not sealed, no
    /// change but appended tags since the slow path last looked
    /// (`seen_events`), no republish-wait deadline to keep. After arming it
    /// looks again for the next tag and for a change (see
    /// [`GroupLink::arm`](crate::notify::group::GroupLink)): if either came
    /// meanwhile it takes the slow path instead (the arming then costs at
    /// most one spurious callback). Returns whether it armed.
    fn arm_at_edge(&mut self) -> bool {
        let Waiter::Grouped(n, link) = &self.waiter else {
            return false;
        };
        if self.waiting || self.recheck_ms.is_some() {
            return false;
        }
        let Some(seg) = self.live_segment() else {
            return false;
        };
        // A segment sealed before the last slow path is not a change since
        // then: look at the segment itself. One sealed later comes with a
        // change, which the look after arming sees.
        if !seg.covers(self.seq) || seg.is_sealed() || self.stream.events() != self.seen_events {
            return false;
        }
        link.arm(n);
        if seg.get(self.seq).is_some() || self.stream.events() != self.seen_events {
            return false;
        }
        self.mirror();
        true
    }

    /// Counts one tag handed out.
    #[inline]
    fn count(&mut self, len: usize) {
        self.stats.tags_out += 1;
        self.stats.bytes_out += len as u64;
    }

    /// Copies position and counters where the stream's stats and stall
    /// check can see them. Done on the slow path, which every player takes
    /// at least once per segment and whenever it catches up, not per tag:
    /// what others see lags by less than one segment.
    pub(super) fn mirror(&self) {
        self.slot.mirror(self.seq, &self.stats);
    }

    /// `Eof` once ended; `Expired` once the stall check expired this player
    /// (it then lets go of what it pinned).
    #[inline]
    fn check_open(&mut self) -> Result<(), Error> {
        if self.eof {
            return Err(Error::Eof);
        }
        if self.slot.is_expired() {
            self.set_segment(None);
            self.set_prelude(None);
            return Err(Error::Expired);
        }
        Ok(())
    }

    /// Whether a read would find something, without consuming anything a
    /// read would hand out. The rest of a tag `read_flv` cut comes first,
    /// even after the end; video frames before the first keyframe are
    /// skipped here as a read would skip them.
    pub(super) fn poll(&mut self) -> Result<(), Error> {
        if self.flv_pending() {
            return Ok(());
        }
        self.check_open()?;
        loop {
            if self.prelude_pending() {
                return Ok(());
            }
            let next = self
                .live_segment()
                .and_then(|s| s.get(self.seq))
                .map(|e| e.is_video_frame() && !e.is_keyframe());
            match next {
                Some(true) if self.need_keyframe => {
                    self.seq += 1;
                    self.stats.tags_dropped += 1;
                    continue;
                }
                Some(_) => return Ok(()),
                None => {}
            }
            self.refill()?;
        }
    }

    /// The slow path: asks the stream what to do from here (end of stream,
    /// falling behind, the next segment, or waiting, armed) and does it.
    /// `Ok` means something can be read now.
    fn refill(&mut self) -> Result<(), Error> {
        self.mirror();
        let now = self.stream.now();
        self.slot.seen(now);
        let pending_metadata = self.prelude.as_deref().is_some_and(|p| {
            p.get(self.prelude_next..)
                .is_some_and(|rest| rest.iter().any(|e| e.flags & flv::FLAG_METADATA != 0))
        });
        let at = At {
            seq: self.seq,
            epoch: self.epoch,
            wait_ms: self.wait_ms,
            seg: self.seg.as_ref(),
            has_prelude: self.prelude_pending(),
            pending_metadata,
            fresh: self.stats.tags_out == 0,
            waiting: self.waiting,
        };
        let step = self.stream.step(&at, self.armed_waiter(), now);
        self.seen_events = step.events;
        if let Some(skip) = step.skip {
            self.skip_to(skip);
        }
        if let Some(seg) = step.seg {
            self.set_segment(seg);
        }
        match step.next {
            Next::Read => Ok(()),
            Next::Wait { recheck_ms } => {
                self.recheck_ms = recheck_ms;
                Err(Error::Again)
            }
            Next::End => {
                self.eof = true;
                self.set_segment(None);
                self.slot.set_ended();
                Err(Error::Eof)
            }
        }
    }

    /// Applies a skip: the new position, the keyframe wait, and a prelude
    /// of the metadata not handed out yet (or, for a player that has read
    /// nothing, the stream's) and the sequence headers current there.
    fn skip_to(&mut self, skip: Skip) {
        let Skip {
            to,
            dropped,
            metadata,
            audio_sh,
            video_sh,
        } = skip;
        self.stats.tags_dropped += dropped;
        self.seq = to;
        self.need_keyframe = true;
        let pending_metadata = self.prelude.as_deref().and_then(|p| {
            p.get(self.prelude_next..)?
                .iter()
                .find(|e| e.flags & flv::FLAG_METADATA != 0)
                .cloned()
        });
        let tags: Vec<Entry> = pending_metadata
            .or(metadata)
            .into_iter()
            .chain(audio_sh)
            .chain(video_sh)
            .collect();
        self.set_prelude((!tags.is_empty()).then(|| tags.into()));
        self.prelude_next = 0;
        if dropped > 0 && crate::log::enabled(crate::log::Level::Debug) {
            log!(
                Debug,
                "stream {}: player {} fell behind, skipped {} tags",
                self.stream.key(),
                self.slot.id(),
                dropped
            );
        }
    }
}
