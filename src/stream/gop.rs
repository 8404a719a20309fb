//! What a joining player gets first: the metadata, the sequence headers and
//! the cached GOP (everything from the newest keyframe).
//!
//! The GOP cache is bounded by `gop_max_frames` and `gop_max_bytes`: a GOP
//! longer than that (or a stream without keyframes) is not cached, and new
//! players start at the live edge, waiting for a keyframe.

use crate::ring::Entry;

/// The cached GOP, with the sequence headers that were current when it
/// started.
pub(super) struct Gop {
    pub start: u64,
    pub audio_sh: Option<Entry>,
    pub video_sh: Option<Entry>,
    pub tags: u64,
    pub bytes: u64,
}

/// The stream's headers and GOP cache.
#[derive(Default)]
pub(super) struct Headers {
    pub metadata: Option<Entry>,
    pub audio_sh: Option<Entry>,
    pub video_sh: Option<Entry>,
    pub gop: Option<Gop>,
    /// What a player joining now gets first, built once and shared by
    /// every joiner until one of its parts changes.
    prelude: Option<std::sync::Arc<[Entry]>>,
}

impl Headers {
    /// A keyframe starts a new GOP at `seq`.
    pub fn start_gop(&mut self, seq: u64) {
        self.gop = Some(Gop {
            start: seq,
            audio_sh: self.audio_sh.clone(),
            video_sh: self.video_sh.clone(),
            tags: 0,
            bytes: 0,
        });
        self.prelude = None;
    }

    /// Counts a stored tag into the GOP; drops a GOP over the bounds.
    pub fn count(&mut self, size: u64, max_frames: u32, max_bytes: u64) {
        if let Some(g) = &mut self.gop {
            g.tags += 1;
            g.bytes += size;
            if g.tags > max_frames as u64 || g.bytes > max_bytes {
                self.drop_gop();
            }
        }
    }

    /// Forgets the GOP (too long, or no longer retained by the ring).
    pub fn drop_gop(&mut self) {
        self.gop = None;
        self.prelude = None;
    }

    /// The metadata or a sequence header changed.
    pub fn changed(&mut self) {
        self.prelude = None;
    }

    /// The tags a player joining now gets before the ring: the metadata and
    /// the sequence headers current at the join point (the cached GOP's, or
    /// the latest at the live edge).
    pub fn join_prelude(&mut self) -> Option<std::sync::Arc<[Entry]>> {
        if self.prelude.is_none() {
            let (audio_sh, video_sh) = match &self.gop {
                Some(g) => (g.audio_sh.clone(), g.video_sh.clone()),
                None => (self.audio_sh.clone(), self.video_sh.clone()),
            };
            let tags: Vec<Entry> = self
                .metadata
                .clone()
                .into_iter()
                .chain(audio_sh)
                .chain(video_sh)
                .collect();
            self.prelude = (!tags.is_empty()).then(|| tags.into());
        }
        self.prelude.clone()
    }

    /// Where a player that fell behind `seq` goes: the newest keyframe
    /// after it with that GOP's sequence headers, or else `live_edge` with
    /// the current ones.
    pub fn skip_target(&self, seq: u64, live_edge: u64) -> (u64, Option<Entry>, Option<Entry>) {
        match &self.gop {
            Some(g) if g.start > seq => (g.start, g.audio_sh.clone(), g.video_sh.clone()),
            _ => (live_edge, self.audio_sh.clone(), self.video_sh.clone()),
        }
    }
}
