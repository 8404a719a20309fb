//! RTMP chunk streams: the incremental [`Decoder`] that turns any split of
//! the received bytes back into messages, and the writers that cut a
//! message into chunks.
//!
//! ```
//! use livehub::rtmp::chunk::{self, Decoder, Limits};
//! let mut wire = Vec::new();
//! chunk::write_message(&mut wire, 3, 1000, 20, 0, &[7u8; 300], 128);
//! let mut dec = Decoder::new(Limits::default());
//! let mut input = &wire[..];
//! let msg = dec.next(&mut input).unwrap().unwrap();
//! assert_eq!((msg.timestamp, msg.type_id, msg.payload.len()), (1000, 20, 300));
//! assert!(input.is_empty());
//! ```
//!
//! The decoder consumes input as it goes: a partial header waits in an
//! 18-byte stash, payload bytes go straight into the message being
//! assembled on their chunk stream. Memory is bounded by [`Limits`]:
//! message size, number of chunk streams, and the partial message bytes
//! buffered over all chunk streams.

use super::error::RtmpError;
use bytes::{Bytes, BytesMut};

/// The chunk size both sides start with.
pub const DEFAULT_CHUNK_SIZE: usize = 128;
/// Largest chunk size the protocol allows (31 bits).
pub const MAX_CHUNK_SIZE: u32 = 0x7FFF_FFFF;
const EXT_TS: u32 = 0xFF_FFFF;

/// One reassembled message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The chunk stream it came on.
    pub csid: u32,
    /// Absolute timestamp (ms), deltas applied.
    pub timestamp: u32,
    /// Message type id (1..6 control, 8 audio, 9 video, 15..20 data and
    /// commands, 22 aggregate).
    pub type_id: u8,
    /// Message stream id.
    pub stream_id: u32,
    /// The message body.
    pub payload: Bytes,
}

/// Bounds on what one peer can make the decoder hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest message accepted (the length field allows 16 MiB - 1).
    pub max_message_size: usize,
    /// Most chunk streams with state at once.
    pub max_chunk_streams: usize,
    /// Most partial-message bytes held over all chunk streams.
    pub max_buffered: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_size: 0xFF_FFFF,
            max_chunk_streams: 64,
            max_buffered: 0xFF_FFFF + (1 << 20),
        }
    }
}

#[derive(Debug)]
struct ChunkStream {
    csid: u32,
    timestamp: u32,
    /// The last timestamp field of a type 0/1/2 header, added by a type 3
    /// header that starts a new message (what ffmpeg and nginx-rtmp do).
    delta: u32,
    length: u32,
    type_id: u8,
    stream_id: u32,
    /// The last header had an extended timestamp: type 3 chunks carry one.
    ext: bool,
    /// Mid-message: `buf` holds the bytes so far.
    active: bool,
    buf: BytesMut,
}

/// The incremental chunk stream decoder. See the [module docs](self).
#[derive(Debug)]
pub struct Decoder {
    limits: Limits,
    chunk_size: usize,
    streams: Vec<ChunkStream>,
    hdr: [u8; 18],
    hdr_len: usize,
    /// The chunk stream whose payload bytes come next, and how many.
    cur: Option<usize>,
    chunk_left: usize,
    buffered: usize,
}

impl Decoder {
    /// A decoder at the default chunk size (128).
    pub fn new(limits: Limits) -> Decoder {
        Decoder {
            limits,
            chunk_size: DEFAULT_CHUNK_SIZE,
            streams: Vec::new(),
            hdr: [0; 18],
            hdr_len: 0,
            cur: None,
            chunk_left: 0,
            buffered: 0,
        }
    }

    /// Applies the peer's Set Chunk Size to the chunks after it.
    /// Errors: [`RtmpError::BadChunkSize`] for 0 or a value over 2^31 - 1.
    pub fn set_chunk_size(&mut self, size: u32) -> Result<(), RtmpError> {
        if size == 0 || size > MAX_CHUNK_SIZE {
            return Err(RtmpError::BadChunkSize);
        }
        self.chunk_size = size as usize;
        Ok(())
    }

    /// The peer's chunk size.
    pub fn chunk_size(&self) -> usize {
        self.chunk_size
    }

    /// The peer's Abort Message: drops the partial message of `csid`.
    pub fn abort(&mut self, csid: u32) {
        if let Some(s) = self.streams.iter_mut().find(|s| s.csid == csid) {
            if s.active && self.cur.is_none() {
                self.buffered -= s.buf.len();
                s.buf.clear();
                s.active = false;
            }
        }
    }

    /// Partial-message bytes held now.
    pub fn buffered(&self) -> usize {
        self.buffered
    }

    /// Consumes bytes from the front of `input` (advancing it) until a
    /// message is complete (returned) or `input` is used up (`None`).
    /// Errors: [`RtmpError::UnknownChunkStream`],
    /// [`RtmpError::MessageTooLarge`]; after an error the decoder's state is
    /// unspecified and the session must end.
    pub fn next(&mut self, input: &mut &[u8]) -> Result<Option<Message>, RtmpError> {
        loop {
            if let Some(idx) = self.cur {
                let n = self.chunk_left.min(input.len());
                if self.buffered + n > self.limits.max_buffered {
                    return Err(RtmpError::MessageTooLarge);
                }
                let s = &mut self.streams[idx];
                s.buf.extend_from_slice(&input[..n]);
                *input = &input[n..];
                self.buffered += n;
                self.chunk_left -= n;
                if self.chunk_left > 0 {
                    return Ok(None);
                }
                self.cur = None;
                if s.buf.len() == s.length as usize {
                    return Ok(Some(self.finish(idx)));
                }
                continue;
            }
            if input.is_empty() {
                return Ok(None);
            }
            // Fill the header stash up to what the bytes so far say it needs.
            loop {
                let need = self.header_len()?;
                if self.hdr_len == need {
                    break;
                }
                let n = (need - self.hdr_len).min(input.len());
                self.hdr[self.hdr_len..self.hdr_len + n].copy_from_slice(&input[..n]);
                self.hdr_len += n;
                *input = &input[n..];
                if self.hdr_len < need {
                    return Ok(None);
                }
            }
            self.hdr_len = 0;
            if let Some(msg) = self.apply_header()? {
                return Ok(Some(msg));
            }
        }
    }

    /// How long the stashed header is, as far as its bytes so far tell.
    fn header_len(&self) -> Result<usize, RtmpError> {
        let h = &self.hdr[..self.hdr_len];
        let Some(&b0) = h.first() else { return Ok(1) };
        let basic = match b0 & 0x3f {
            0 => 2,
            1 => 3,
            _ => 1,
        };
        let fmt = b0 >> 6;
        let base = basic + [11, 7, 3, 0][usize::from(fmt)];
        if h.len() < base {
            return Ok(base);
        }
        let ext = if fmt < 3 {
            u32::from_be_bytes([0, h[basic], h[basic + 1], h[basic + 2]]) == EXT_TS
        } else {
            let csid = Self::csid(h);
            self.streams
                .iter()
                .find(|s| s.csid == csid)
                .ok_or(RtmpError::UnknownChunkStream)?
                .ext
        };
        Ok(base + if ext { 4 } else { 0 })
    }

    fn csid(h: &[u8]) -> u32 {
        match h[0] & 0x3f {
            0 => 64 + u32::from(h[1]),
            1 => 64 + u32::from(h[1]) + 256 * u32::from(h[2]),
            n => u32::from(n),
        }
    }

    /// Applies a complete header: returns a zero-length message at once,
    /// else sets up the payload read.
    fn apply_header(&mut self) -> Result<Option<Message>, RtmpError> {
        let h = self.hdr;
        let fmt = h[0] >> 6;
        let csid = Self::csid(&h);
        let basic = match h[0] & 0x3f {
            0 => 2,
            1 => 3,
            _ => 1,
        };
        let idx = match self.streams.iter().position(|s| s.csid == csid) {
            Some(i) => i,
            None if fmt == 0 => {
                if self.streams.len() >= self.limits.max_chunk_streams {
                    return Err(RtmpError::UnknownChunkStream);
                }
                self.streams.push(ChunkStream {
                    csid,
                    timestamp: 0,
                    delta: 0,
                    length: 0,
                    type_id: 0,
                    stream_id: 0,
                    ext: false,
                    active: false,
                    buf: BytesMut::new(),
                });
                self.streams.len() - 1
            }
            None => return Err(RtmpError::UnknownChunkStream),
        };
        let s = &mut self.streams[idx];
        let m = &h[basic..];
        let be24 = |b: &[u8]| u32::from_be_bytes([0, b[0], b[1], b[2]]);
        if fmt < 3 {
            // A new header while a message is mid-way: that message is
            // abandoned (as an Abort would).
            if s.active {
                self.buffered -= s.buf.len();
                s.buf.clear();
                s.active = false;
            }
            let mut ts = be24(m);
            s.ext = ts == EXT_TS;
            let mh = [11, 7, 3][usize::from(fmt)];
            if s.ext {
                ts = u32::from_be_bytes([m[mh], m[mh + 1], m[mh + 2], m[mh + 3]]);
            }
            if fmt <= 1 {
                s.length = be24(&m[3..]);
                s.type_id = m[6];
            }
            if fmt == 0 {
                s.stream_id = u32::from_le_bytes([m[7], m[8], m[9], m[10]]);
                s.timestamp = ts;
            } else {
                s.timestamp = s.timestamp.wrapping_add(ts);
            }
            s.delta = ts;
        } else if !s.active {
            let delta = if s.ext {
                u32::from_be_bytes([m[0], m[1], m[2], m[3]])
            } else {
                s.delta
            };
            s.timestamp = s.timestamp.wrapping_add(delta);
        }
        if !s.active {
            if s.length as usize > self.limits.max_message_size {
                return Err(RtmpError::MessageTooLarge);
            }
            s.active = true;
            s.buf = BytesMut::with_capacity((s.length as usize).min(64 << 10));
            if s.length == 0 {
                return Ok(Some(self.finish(idx)));
            }
        }
        let left = s.length as usize - s.buf.len();
        self.chunk_left = left.min(self.chunk_size);
        self.cur = Some(idx);
        Ok(None)
    }

    fn finish(&mut self, idx: usize) -> Message {
        let s = &mut self.streams[idx];
        s.active = false;
        let payload = std::mem::take(&mut s.buf).freeze();
        self.buffered -= payload.len();
        Message {
            csid: s.csid,
            timestamp: s.timestamp,
            type_id: s.type_id,
            stream_id: s.stream_id,
            payload,
        }
    }
}

/// Appends a chunk basic header (format `fmt`, chunk stream `csid` in
/// 2..=65599).
pub fn write_basic_header(out: &mut Vec<u8>, fmt: u8, csid: u32) {
    match csid {
        2..=63 => out.push(fmt << 6 | csid as u8),
        64..=319 => out.extend_from_slice(&[fmt << 6, (csid - 64) as u8]),
        _ => {
            let c = csid.clamp(320, 65599) - 64;
            out.extend_from_slice(&[fmt << 6 | 1, c as u8, (c >> 8) as u8]);
        }
    }
}

/// Appends the type 0 header of a message (basic header, 11-byte message
/// header, extended timestamp when `timestamp` ≥ 0xFFFFFF).
pub fn write_type0_header(
    out: &mut Vec<u8>,
    csid: u32,
    timestamp: u32,
    type_id: u8,
    stream_id: u32,
    length: usize,
) {
    write_basic_header(out, 0, csid);
    let ts = timestamp.min(EXT_TS);
    out.extend_from_slice(&ts.to_be_bytes()[1..]);
    out.extend_from_slice(&(length as u32).to_be_bytes()[1..]);
    out.push(type_id);
    out.extend_from_slice(&stream_id.to_le_bytes());
    if timestamp >= EXT_TS {
        out.extend_from_slice(&timestamp.to_be_bytes());
    }
}

/// Appends the header of a continuation chunk (type 3, plus the extended
/// timestamp when the message has one).
pub fn write_type3_header(out: &mut Vec<u8>, csid: u32, timestamp: u32) {
    write_basic_header(out, 3, csid);
    if timestamp >= EXT_TS {
        out.extend_from_slice(&timestamp.to_be_bytes());
    }
}

/// Appends a whole message cut into chunks of `chunk_size`.
pub fn write_message(
    out: &mut Vec<u8>,
    csid: u32,
    timestamp: u32,
    type_id: u8,
    stream_id: u32,
    payload: &[u8],
    chunk_size: usize,
) {
    write_type0_header(out, csid, timestamp, type_id, stream_id, payload.len());
    let mut chunks = payload.chunks(chunk_size.max(1));
    if let Some(first) = chunks.next() {
        out.extend_from_slice(first);
    }
    for c in chunks {
        write_type3_header(out, csid, timestamp);
        out.extend_from_slice(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(dec: &mut Decoder, mut input: &[u8]) -> Vec<Message> {
        let mut out = Vec::new();
        while let Some(m) = dec.next(&mut input).unwrap() {
            out.push(m);
        }
        assert!(input.is_empty());
        out
    }

    #[test]
    fn headers_of_every_type_and_csid_width() {
        let mut w = Vec::new();
        // Type 0 on csid 3, then a type 1 (delta 10, new length), a type 2
        // (delta 5), a type 3 starting a message (delta 5 again).
        write_message(&mut w, 3, 100, 20, 1, b"abc", 128);
        write_basic_header(&mut w, 1, 3);
        w.extend_from_slice(&[0, 0, 10, 0, 0, 2, 8]);
        w.extend_from_slice(b"de");
        write_basic_header(&mut w, 2, 3);
        w.extend_from_slice(&[0, 0, 5]);
        w.extend_from_slice(b"fg");
        write_basic_header(&mut w, 3, 3);
        w.extend_from_slice(b"hi");
        write_message(&mut w, 300, 1, 9, 1, &[1; 300], 128);
        write_message(&mut w, 40000, 0x0100_0000, 8, 1, &[2; 300], 128);
        let mut dec = Decoder::new(Limits::default());
        let m = decode_all(&mut dec, &w);
        let got: Vec<_> = m
            .iter()
            .map(|m| (m.csid, m.timestamp, m.type_id, m.payload.len()))
            .collect();
        assert_eq!(
            got,
            [
                (3, 100, 20, 3),
                (3, 110, 8, 2),
                (3, 115, 8, 2),
                (3, 120, 8, 2),
                (300, 1, 9, 300),
                (40000, 0x0100_0000, 8, 300)
            ]
        );
    }

    #[test]
    fn unknown_chunk_stream_and_limits() {
        let mut dec = Decoder::new(Limits::default());
        assert_eq!(
            dec.next(&mut &[0xC5][..]),
            Err(RtmpError::UnknownChunkStream)
        );
        let mut w = Vec::new();
        write_type0_header(&mut w, 4, 0, 9, 1, 100);
        let mut dec = Decoder::new(Limits {
            max_message_size: 99,
            ..Limits::default()
        });
        assert_eq!(dec.next(&mut &w[..]), Err(RtmpError::MessageTooLarge));
        assert_eq!(dec.set_chunk_size(0), Err(RtmpError::BadChunkSize));
        assert_eq!(dec.set_chunk_size(1 << 31), Err(RtmpError::BadChunkSize));
    }
}
