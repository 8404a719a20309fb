//! The session's outgoing bytes: a queue of frames the server writes as
//! iovecs, then reports how many bytes went out.
//!
//! Two kinds of frame. Control messages and command replies are small and
//! are chunked into a session-owned buffer. A media message is one
//! [`Frame::Media`]: its type 0 header, prepared once for the tag, and the
//! tag body itself — a shared handle on the stream's storage, never
//! copied. Its slices are the header, the first `chunk_size` bytes of the
//! body, then a continuation header and the next piece of the body, and so
//! on. A continuation header is one byte from a static table (type 3 and
//! the chunk stream id), followed, for timestamps past 24 bits, by the
//! extended timestamp's 4 bytes that the type 0 header already holds: one
//! body, any number of players, no copy, nothing stored per chunk.
//!
//! Memory per queued frame is `size_of::<Frame>()` (56 bytes on 64-bit)
//! plus,
//! for raw frames, the chunked bytes; the session bounds how many media
//! frames it queues (`RtmpConfig::max_queued_tags`).

use bytes::Bytes;
use std::collections::VecDeque;

/// A prepared chunk header (basic + message header + extended timestamp).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Head {
    bytes: [u8; 18],
    len: u8,
}

impl Head {
    pub(crate) fn new(v: &[u8]) -> Head {
        let mut bytes = [0u8; 18];
        bytes[..v.len()].copy_from_slice(v);
        Head {
            bytes,
            len: v.len() as u8,
        }
    }

    fn as_slice(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

/// Type 3 basic headers (format 3, chunk stream id 0..63).
static TYPE3: [u8; 64] = {
    let mut t = [0u8; 64];
    let mut i = 0;
    while i < 64 {
        t[i] = 0xC0 | i as u8;
        i += 1;
    }
    t
};

/// A type 0 header with a one-byte basic header and an extended timestamp.
const HEAD_EXT_LEN: u8 = 16;

#[derive(Debug)]
pub(crate) enum Frame {
    /// Bytes chunked already.
    Raw(Bytes),
    /// One media message on chunk stream `csid` (2..=63: one-byte basic
    /// headers).
    Media {
        head: Head,
        csid: u8,
        chunk: u32,
        body: Bytes,
    },
}

impl Frame {
    fn len(&self) -> usize {
        match self {
            Frame::Raw(b) => b.len(),
            Frame::Media {
                head, body, chunk, ..
            } => {
                let chunks = body.len().div_ceil(*chunk as usize).max(1);
                let cont = if head.len == HEAD_EXT_LEN { 5 } else { 1 };
                usize::from(head.len) + body.len() + (chunks - 1) * cont
            }
        }
    }

    /// Calls `f` with the frame's slices from byte `skip` on; stops when
    /// `f` returns false. Returns false when it was stopped.
    fn slices<'a>(&'a self, mut skip: usize, f: &mut impl FnMut(&'a [u8]) -> bool) -> bool {
        let mut emit = |s: &'a [u8]| -> bool {
            if skip >= s.len() {
                skip -= s.len();
                return true;
            }
            let s = &s[skip..];
            skip = 0;
            s.is_empty() || f(s)
        };
        match self {
            Frame::Raw(b) => emit(b),
            Frame::Media {
                head,
                csid,
                body,
                chunk,
            } => {
                let mut pieces = body.chunks(*chunk as usize);
                let head = head.as_slice();
                if !emit(head) {
                    return false;
                }
                if let Some(first) = pieces.next() {
                    if !emit(first) {
                        return false;
                    }
                }
                let basic = &TYPE3[usize::from(*csid & 63)..][..1];
                let ext = head.get(12..usize::from(HEAD_EXT_LEN)).unwrap_or(&[]);
                for p in pieces {
                    if !emit(basic) || !emit(ext) || !emit(p) {
                        return false;
                    }
                }
                true
            }
        }
    }
}

/// The queue. See the [module docs](self).
#[derive(Debug, Default)]
pub(crate) struct Output {
    frames: VecDeque<Frame>,
    /// Bytes of the front frame already written.
    off: usize,
    /// Control and command bytes not yet made a frame.
    raw: Vec<u8>,
    /// Bytes queued (frames + raw), minus `off`.
    queued: usize,
    media: usize,
}

impl Output {
    /// Where control messages and commands are written; call
    /// [`seal`](Self::seal) before the next media frame or read.
    pub(crate) fn raw(&mut self) -> &mut Vec<u8> {
        &mut self.raw
    }

    /// Turns the raw bytes written so far into a frame.
    pub(crate) fn seal(&mut self) {
        if !self.raw.is_empty() {
            let b = Bytes::from(std::mem::take(&mut self.raw));
            self.queued += b.len();
            self.frames.push_back(Frame::Raw(b));
        }
    }

    /// Queues a media message: `head` is its type 0 header with a one-byte
    /// basic header for chunk stream `csid` (2..=63), with the extended
    /// timestamp when there is one.
    pub(crate) fn push_media(&mut self, head: Head, csid: u8, body: Bytes, chunk: u32) {
        self.seal();
        debug_assert!((2..64).contains(&csid));
        let f = Frame::Media {
            head,
            csid,
            body,
            chunk: chunk.max(1),
        };
        self.queued += f.len();
        self.media += 1;
        self.frames.push_back(f);
    }

    /// Queued bytes not yet written.
    pub(crate) fn len(&self) -> usize {
        self.queued + self.raw.len()
    }

    /// Media frames queued (written ones excluded).
    pub(crate) fn media_frames(&self) -> usize {
        self.media
    }

    /// Up to `max` slices of what is to be written, in order.
    pub(crate) fn slices<'a>(&'a self, max: usize, f: &mut impl FnMut(&'a [u8])) -> usize {
        let mut n = 0;
        let mut each = |s: &'a [u8]| {
            if n == max {
                return false;
            }
            f(s);
            n += 1;
            true
        };
        let mut skip = self.off;
        for fr in &self.frames {
            if !fr.slices(skip, &mut each) {
                break;
            }
            skip = 0;
        }
        n
    }

    /// `n` bytes of the front were written. Returns how many of them
    /// were queued (`n` capped at [`len`](Self::len)).
    pub(crate) fn consume(&mut self, mut n: usize) -> usize {
        let mut done = 0;
        while n > 0 {
            let Some(front) = self.frames.front() else {
                break;
            };
            let left = front.len() - self.off;
            if n < left {
                self.off += n;
                self.queued -= n;
                done += n;
                break;
            }
            if matches!(front, Frame::Media { .. }) {
                self.media -= 1;
            }
            self.frames.pop_front();
            self.off = 0;
            self.queued -= left;
            done += left;
            n -= left;
        }
        done
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtmp::chunk;

    #[test]
    fn media_frames_match_write_message_at_any_write_size() {
        let body = Bytes::from((0..1000u32).map(|i| i as u8).collect::<Vec<_>>());
        for (ts, chunk_size) in [(5u32, 128usize), (0x0100_0000, 300), (7, 1000), (7, 4096)] {
            let mut expect = Vec::new();
            chunk::write_message(&mut expect, 6, ts, 9, 1, &body, chunk_size);
            let mut head = Vec::new();
            chunk::write_type0_header(&mut head, 6, ts, 9, 1, body.len());
            for step in [1usize, 7, 129, 5000] {
                let mut out = Output::default();
                out.raw().extend_from_slice(b"ctl");
                out.push_media(Head::new(&head), 6, body.clone(), chunk_size as u32);
                let mut got = Vec::new();
                while out.len() > 0 {
                    let mut buf = Vec::new();
                    out.slices(3, &mut |s| buf.extend_from_slice(s));
                    let n = step.min(buf.len());
                    got.extend_from_slice(&buf[..n]);
                    assert_eq!(out.consume(n), n);
                }
                assert_eq!(&got[..3], b"ctl");
                assert_eq!(&got[3..], &expect[..]);
                assert_eq!(out.media_frames(), 0);
            }
            assert_eq!(std::mem::size_of::<Frame>(), 56);
        }
    }
}
