//! The HTTP-FLV byte-stream outputs of a player: `read_flv` (copied into a
//! buffer, may stop mid-tag) and `read_iov` (slices pointing at the shared
//! payloads, for `writev`). Both frame each tag as the FLV file format does:
//! the 9-byte file header and PreviousTagSize0 first, then per tag its
//! 11-byte header, body and PreviousTagSize.

use super::cursor::Src;
use super::{Held, Player};
use crate::error::Error;
use crate::flv;
use bytes::Bytes;

/// State of the FLV byte-stream output; allocated on first use.
#[derive(Default)]
pub(super) struct FlvOut {
    header_done: bool,
    /// A tag `read_flv` has started but not finished.
    pending: Option<Pending>,
    /// `read_iov`: FLV headers and PreviousTagSizes of the current batch.
    scratch: Vec<u8>,
    /// `read_iov`: bodies of the current batch that are not in the ring
    /// (prelude tags, the rest of a tag `read_flv` started): shared, not
    /// copied.
    bodies: Vec<Bytes>,
    /// `read_iov`: the slices of the batch being built. Needed only inside
    /// the call (they are resolved and handed out before it returns), so
    /// the buffer is the calling thread's (`PIECES`), lent for the call:
    /// an event loop's thousands of players share one.
    pieces: Vec<Piece>,
}

std::thread_local! {
    /// The `pieces` buffer of this thread's `read_iov` calls (empty while a
    /// call has it: a nested call on another player simply makes its own).
    static PIECES: std::cell::Cell<Vec<Piece>> = const { std::cell::Cell::new(Vec::new()) };
}

/// One slice of a `read_iov` batch, resolved once the batch is complete
/// (`scratch` may grow while it is being built).
#[derive(Clone, Copy)]
enum Piece {
    /// `scratch[a..b]`.
    Scratch(u32, u32),
    /// `bodies[i]`.
    Body(u32),
    /// The body of ring tag `seq`, in the pinned segment or a held one:
    /// no reference count per tag.
    Ring(u64),
}

/// One serialized tag: `head` (file header on the first, then the 11-byte
/// tag header), the body, and the PreviousTagSize.
struct Pending {
    head: [u8; 24],
    head_len: usize,
    body: Bytes,
    tail: [u8; 4],
    off: usize,
}

impl Pending {
    fn len(&self) -> usize {
        self.head_len + self.body.len() + 4
    }

    /// Copies as much as fits from `off`; returns the count.
    fn copy_to(&mut self, out: &mut [u8]) -> usize {
        let mut n = 0;
        let parts: [&[u8]; 3] = [&self.head[..self.head_len], &self.body, &self.tail];
        let mut start = 0;
        for part in parts {
            let end = start + part.len();
            if self.off < end && n < out.len() {
                let from = self.off - start;
                let k = (part.len() - from).min(out.len() - n);
                out[n..n + k].copy_from_slice(&part[from..from + k]);
                n += k;
                self.off += k;
            }
            start = end;
        }
        n
    }
}

/// Entries a `read_iov` buffer keeps whatever its batches were.
const KEEP_MIN: usize = 64;

/// Empties `v` for the next batch. A buffer far larger than the batch just
/// written (a join burst: the whole GOP at once; a player that fell behind)
/// shrinks to twice that batch: every player keeps its own buffers between
/// calls, so what one large batch grew would otherwise stay for the life of
/// the player (at 2,000 players of a 2-second GOP, megabytes of a server's
/// memory). A steady player's batches are alike and never reallocate.
fn reset_vec<T>(v: &mut Vec<T>) {
    let used = v.len();
    v.clear();
    if v.capacity() > KEEP_MIN && v.capacity() > 4 * used {
        v.shrink_to(KEEP_MIN.max(2 * used));
    }
}

impl FlvOut {
    /// Empties the batch buffers (the previous batch's slices are no longer
    /// valid: this is the next call), trimming what a large batch grew.
    fn reset(&mut self) {
        reset_vec(&mut self.scratch);
        reset_vec(&mut self.bodies);
    }

    /// Borrows this thread's `pieces` buffer for a `read_iov` call.
    fn lend_pieces(&mut self) {
        // `try_with`: during the thread's own exit (a call from a
        // thread-local destructor) a fresh buffer serves.
        self.pieces = PIECES.try_with(std::cell::Cell::take).unwrap_or_default();
        self.pieces.clear();
    }

    /// Gives the `pieces` buffer back to the thread.
    fn return_pieces(&mut self) {
        let pieces = std::mem::take(&mut self.pieces);
        let _ = PIECES.try_with(|p| p.set(pieces));
    }

    /// Bytes the batch buffers hold on to between calls.
    #[cfg(test)]
    pub(super) fn retained_bytes(&self) -> usize {
        self.scratch.capacity()
            + self.bodies.capacity() * std::mem::size_of::<Bytes>()
            + self.pieces.capacity() * std::mem::size_of::<Piece>()
    }

    fn push_bytes(&mut self, bytes: &[u8]) {
        self.scratch.extend_from_slice(bytes);
    }

    /// Closes the open scratch run and adds a body piece.
    fn push_body(&mut self, body: Bytes, run_start: &mut usize) {
        if body.is_empty() {
            return;
        }
        self.close_run(run_start);
        self.bodies.push(body);
        self.pieces.push(Piece::Body(self.bodies.len() as u32 - 1));
    }

    /// Closes the open scratch run and adds a piece pointing at a ring
    /// tag's body.
    fn push_ring(&mut self, seq: u64, run_start: &mut usize) {
        self.close_run(run_start);
        self.pieces.push(Piece::Ring(seq));
    }

    /// Ends the scratch run that started at `run_start`, if not empty.
    /// (A batch is bounded by its slice count, so offsets fit in `u32`.)
    fn close_run(&mut self, run_start: &mut usize) {
        if *run_start < self.scratch.len() {
            self.pieces
                .push(Piece::Scratch(*run_start as u32, self.scratch.len() as u32));
        }
        *run_start = self.scratch.len();
    }

    /// Adds what is left of `p` to the batch.
    fn push_pending(&mut self, p: Pending, run_start: &mut usize) {
        let head_end = p.head_len;
        let body_end = head_end + p.body.len();
        if p.off < head_end {
            self.push_bytes(&p.head[p.off..head_end]);
        }
        if p.off < body_end {
            let from = p.off.saturating_sub(head_end);
            self.push_body(p.body.slice(from..), run_start);
        }
        let from = p.off.saturating_sub(body_end);
        self.push_bytes(&p.tail[from..]);
    }
}

impl Player {
    /// Fills `buf` with the next bytes of the HTTP-FLV byte stream (FLV
    /// header and PreviousTagSize0 first, then tag header, body and
    /// PreviousTagSize per tag). May stop mid-tag; the next call continues.
    /// Returns the count written (> 0), or the error of [`read`](Self::read)
    /// when nothing could be written. [`Error::InvalidArg`] for an empty
    /// buffer.
    pub fn read_flv(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        if buf.is_empty() {
            return Err(Error::InvalidArg);
        }
        self.begin_call();
        let mut n = 0;
        while n < buf.len() {
            let mut pending = match self.flv.as_mut().and_then(|o| o.pending.take()) {
                Some(p) => p,
                None => match self.next_pending() {
                    Ok(p) => p,
                    Err(e) if n == 0 => return Err(e),
                    Err(_) => break,
                },
            };
            n += pending.copy_to(&mut buf[n..]);
            if pending.off < pending.len() {
                self.flv_out().pending = Some(pending);
            }
        }
        Ok(n)
    }

    /// The HTTP-FLV byte stream as at most `max_slices` slices, passed to
    /// `emit` in order, without copying tag bodies. The slices stay valid
    /// until the next call on this player. Returns the slice count, or the
    /// error of [`read`](Self::read) when there is nothing;
    /// [`Error::Buffer`] when `max_slices < 3`.
    pub fn read_iov(
        &mut self,
        max_slices: usize,
        mut emit: impl FnMut(&[u8]),
    ) -> Result<usize, Error> {
        if max_slices < 3 {
            return Err(Error::Buffer);
        }
        self.begin_call();
        self.hold = true;
        let mut out = self.flv.take().unwrap_or_default();
        out.reset();
        out.lend_pieces();
        let mut run = 0;
        let mut result = Ok(());
        if let Some(p) = out.pending.take() {
            out.push_pending(p, &mut run);
        }
        // Room for [tail+header][body] and the final [tail].
        while out.pieces.len() + 3 <= max_slices {
            let src = match self.advance() {
                Ok(src) => src,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            };
            if !out.header_done {
                let (audio, video) = self.stream.tracks();
                out.push_bytes(&flv::file_header(audio, video));
                out.header_done = true;
            }
            let size = match src {
                Src::Ring {
                    seq,
                    ts,
                    tag_type,
                    size,
                } => {
                    out.push_bytes(&flv::tag_header(tag_type, size, ts));
                    if size > 0 {
                        out.push_ring(seq, &mut run);
                    }
                    size
                }
                Src::Prelude(..) => {
                    let Ok((e, ts)) = self.entry(src) else { break };
                    let size = e.data.len() as u32;
                    out.push_bytes(&flv::tag_header(e.tag_type, size, ts));
                    out.push_body(e.data.clone(), &mut run);
                    size
                }
            };
            out.push_bytes(&flv::prev_tag_size(size));
        }
        out.close_run(&mut run);
        // The slices point into the heap buffers of `out` (which stay where
        // they are when `out` moves back into the player), the ring and the
        // held storage: all valid until the next call.
        for piece in &out.pieces {
            match *piece {
                Piece::Scratch(a, b) => emit(&out.scratch[a as usize..b as usize]),
                Piece::Body(i) => emit(&out.bodies[i as usize]),
                Piece::Ring(seq) => emit(self.ring_body(seq)),
            }
        }
        let count = out.pieces.len();
        out.return_pieces();
        self.flv = Some(out);
        if count == 0 {
            return result.map(|()| 0);
        }
        Ok(count)
    }

    /// The body of ring tag `seq` handed out by this call: in the pinned
    /// segment or one the call moved past (held until the next call).
    fn ring_body(&self, seq: u64) -> &[u8] {
        let held = self.held.iter().filter_map(|h| match h {
            Held::Segment(s) => Some(&**s),
            Held::Prelude(_) => None,
        });
        self.seg
            .as_deref()
            .into_iter()
            .chain(held)
            .find_map(|s| s.get(seq))
            .map_or(&[], |e| &e.data)
    }

    fn flv_out(&mut self) -> &mut FlvOut {
        self.flv.get_or_insert_with(Default::default)
    }

    /// Whether `read_flv` cut a tag and has the rest of it to give.
    pub(super) fn flv_pending(&self) -> bool {
        self.flv.as_ref().is_some_and(|o| o.pending.is_some())
    }

    /// Serializes the next tag for the byte-stream outputs.
    fn next_pending(&mut self) -> Result<Pending, Error> {
        let src = self.advance()?;
        let (tag_type, body, ts) = self
            .entry(src)
            .map(|(e, ts)| (e.tag_type, e.data.clone(), ts))?;
        let mut head = [0u8; 24];
        let mut head_len = 0;
        if !self.flv.as_ref().is_some_and(|o| o.header_done) {
            let (audio, video) = self.stream.tracks();
            head[..13].copy_from_slice(&flv::file_header(audio, video));
            head_len = 13;
            self.flv_out().header_done = true;
        }
        let size = body.len() as u32;
        head[head_len..head_len + 11].copy_from_slice(&flv::tag_header(tag_type, size, ts));
        Ok(Pending {
            head,
            head_len: head_len + 11,
            body,
            tail: flv::prev_tag_size(size),
            off: 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::{Config, Hub, Player, Publisher};

    /// A publisher and `players` players of one stream, then `n` AAC
    /// frames pushed (the players were there from the start: they get
    /// all). The hub is returned too: dropping it closes the stream.
    fn audio_stream(players: usize, n: u32) -> (Hub, Publisher, Vec<Player>) {
        let hub = Hub::new(Config::default());
        let stream = hub.stream("live/iov").unwrap();
        let mut publisher = stream.publish().unwrap();
        let players = (0..players)
            .map(|_| stream.play(Default::default()).unwrap())
            .collect();
        for ts in 0..n {
            publisher
                .push_tag(8, ts * 23, &[0xAF, 1, ts as u8])
                .unwrap();
        }
        (hub, publisher, players)
    }

    /// A player that got a large batch (its join burst) and then reads a
    /// tag or two per call keeps buffers sized for the small batches, not
    /// for the burst; the slice list is not the player's at all.
    #[test]
    fn read_iov_buffers_shrink_after_a_large_batch() {
        let (_hub, mut publisher, mut players) = audio_stream(1, 400);
        let player = &mut players[0];
        let mut slices = 0;
        let n = player.read_iov(1024, |_| slices += 1).unwrap();
        assert_eq!(n, slices);
        assert!(n > 700, "one large batch: {n} slices");
        let after_burst = player.flv.as_ref().unwrap().retained_bytes();
        assert!(
            after_burst > 4 * 1024,
            "the burst grew the buffers: {after_burst} B"
        );
        for round in 0..4u32 {
            let ts = (400 + round) * 23;
            publisher.push_tag(8, ts, &[0xAF, 1, 0]).unwrap();
            assert_eq!(player.read_iov(1024, |_| ()).unwrap(), 3); // header, body, tail
        }
        let steady = player.flv.as_ref().unwrap().retained_bytes();
        assert!(
            steady <= 512,
            "after small batches the buffers are small again: {steady} B (burst: {after_burst} B)"
        );
    }

    /// `emit` may call `read_iov` of another player on the same thread
    /// (the calls share the thread's slice buffer by lending it): both get
    /// the whole byte stream.
    #[test]
    fn read_iov_inside_another_players_emit() {
        let (_hub, _publisher, mut players) = audio_stream(2, 10);
        let (mut inner, mut outer) = (players.pop().unwrap(), players.pop().unwrap());
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let mut nested = 0;
        let n = outer
            .read_iov(1024, |slice| {
                a.extend_from_slice(slice);
                if nested == 0 {
                    nested = inner.read_iov(1024, |s| b.extend_from_slice(s)).unwrap();
                }
            })
            .unwrap();
        assert!(n > 10 && nested == n, "{n} and {nested} slices");
        assert_eq!(a, b, "the same FLV bytes");
        assert_eq!(&a[..3], b"FLV");
    }
}
