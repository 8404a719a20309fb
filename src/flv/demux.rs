//! Incremental FLV demuxer: turns an FLV byte stream, cut into chunks of any
//! size, into whole tags.

use bytes::{Bytes, BytesMut};

use super::{
    FlvError, FILE_HEADER_SIZE, PREV_TAG_SIZE_SIZE, TAG_AUDIO, TAG_HEADER_SIZE, TAG_SCRIPT,
    TAG_VIDEO,
};

/// PreviousTagSize plus the tag header that follows it: the unit the demuxer
/// reads before each tag body.
const TAG_PREFIX_SIZE: usize = PREV_TAG_SIZE_SIZE + TAG_HEADER_SIZE;

/// Largest FLV header DataOffset accepted. Real files use 9; anything beyond
/// this is taken for garbage rather than silently swallowing the stream.
const MAX_DATA_OFFSET: u32 = 9 + 0xFFFF;

/// Filter (encryption) bit of the tag type byte.
const FILTER_BIT: u8 = 0x20;

/// Reserved bits of the tag type byte (always 0 in valid FLV).
const RESERVED_BITS: u8 = 0xC0;

/// One tag out of the demuxer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawTag {
    /// Tag type: [`TAG_AUDIO`], [`TAG_VIDEO`] or [`TAG_SCRIPT`].
    pub tag_type: u8,
    /// Timestamp in ms: the 24-bit field with the extended byte as bits
    /// 24..31.
    pub timestamp: u32,
    /// Tag body (the bytes after the 11-byte tag header).
    pub data: Bytes,
}

/// Where the demuxer is in the byte stream.
#[derive(Debug)]
enum State {
    /// Reading the 9-byte file header into `prefix`.
    FileHeader,
    /// Skipping what a DataOffset above 9 adds to the file header.
    SkipHeaderExtra(u32),
    /// Reading PreviousTagSize and the next tag header into `prefix`.
    TagPrefix,
    /// Collecting a tag body.
    Body {
        tag_type: u8,
        timestamp: u32,
        body: BytesMut,
        remaining: usize,
    },
    /// Discarding the body of a skipped tag.
    SkipBody(u32),
    /// Framing lost: looking for the next tag in `scan` (see
    /// [`Demuxer::resync`]).
    Resync,
    /// The stream was rejected.
    Failed(FlvError),
}

/// Incremental FLV demuxer: feed any chunking of an FLV byte stream and get
/// the same tags, in order.
///
/// The framing is *trusted* when a tag's PreviousTagSize is 11 + the data
/// size of the tag before it (0 before the first tag). Error policy:
/// - **Fatal** — the byte stream is rejected; the feed stops there (tags
///   completed before the error in that feed were delivered) and every later
///   feed returns the same error without consuming anything: a signature other
///   than `"FLV"` ([`FlvError::Signature`]), a version other than 1
///   ([`FlvError::Version`]), a header DataOffset below 9 or above 9 + 65535
///   ([`FlvError::HeaderSize`]; a DataOffset above 9 otherwise just skips the
///   extra bytes), a tag data size above `max_tag_size` with trusted framing
///   ([`FlvError::TooLarge`]).
/// - **One tag skipped** — the feed carries on with the bytes after the tag
///   and returns the error at the end, after every good tag was delivered: a
///   reserved tag type ([`FlvError::ReservedType`]), the filter/encryption
///   bit 0x20 of the type byte ([`FlvError::Filtered`]). Counted by
///   [`Demuxer::tags_skipped`].
/// - **Reported only** — a wrong PreviousTagSize that is still a size (0,
///   or 11 + a data size within `max_tag_size`) followed by a *plausible*
///   tag header gives [`FlvError::PrevTagSize`], and that tag is handled as
///   usual (delivered, or skipped as above): some muxers write wrong sizes.
///   Plausible: type byte 8, 9 or 18 (the filter bit allowed, the reserved
///   bits 0xC0 clear), data size within `max_tag_size`, stream id 0. Counted
///   by [`Demuxer::prev_tag_size_mismatches`].
/// - **Resynchronised** — the framing is lost (garbage between tags, a
///   corrupted data size) when a wrong PreviousTagSize is not a size or is
///   followed by an implausible header, or when a right one is followed by a
///   header with the reserved bits set or with both an unknown type and a
///   non-zero stream id. The demuxer then looks for the next tag: the first
///   position holding a PreviousTagSize of 11 + a size within `max_tag_size`
///   (or 0 before the first tag) and a plausible header, whose body is
///   followed by the PreviousTagSize it implies. The bytes before it are
///   discarded, and every feed that discards some reports
///   [`FlvError::Garbage`]. A false candidate is given up once its
///   PreviousTagSize can be checked, and nothing after it is lost. Garbage
///   that ends between a PreviousTagSize and the next tag header hides that
///   PreviousTagSize, so the tag right after it is lost too; garbage that
///   looks like a tag header right after a good PreviousTagSize is taken for
///   one. While resynchronising, a tag is delivered once its trailing
///   PreviousTagSize arrived, and [`Demuxer::buffered`] stays within one
///   candidate tag plus 19 bytes (the buffer behind it, with bytes already
///   given up, within twice that or that plus 4 KiB). Counted by
///   [`Demuxer::resyncs`] and [`Demuxer::bytes_discarded`].
/// - **Restarted** — a new FLV file header (`"FLV"`, version 1) where a tag
///   should start, after a right PreviousTagSize, starts the byte stream
///   afresh (an encoder restarted on the same connection): no error, the
///   header's track flags replace the old ones, PreviousTagSize0 is
///   expected next. Counted by [`Demuxer::restarts`]. A header there with
///   a bad DataOffset loses the framing.
///
/// A feed returns the fatal error if one happened, otherwise the first
/// non-fatal one. The timestamp is the 24-bit field plus the extended byte as
/// its high 8 bits; the stream id of a known tag type after a right
/// PreviousTagSize is not checked. Each tag body is copied once, into a
/// buffer reserved at its full size (twice while resynchronising).
#[derive(Debug)]
pub struct Demuxer {
    max_tag_size: u32,
    state: State,
    /// File header, or PreviousTagSize + tag header, read so far.
    prefix: [u8; TAG_PREFIX_SIZE],
    prefix_len: usize,
    /// The PreviousTagSize the next tag prefix should carry.
    expected_prev: u32,
    tags_skipped: u64,
    prev_mismatches: u64,
    resyncs: u64,
    bytes_discarded: u64,
    restarts: u64,
    /// While resynchronising: bytes taken from the input that may still
    /// hold tags, from `scan_pos` on.
    scan: Vec<u8>,
    scan_pos: usize,
    header_tracks: Option<(bool, bool)>,
}

fn be24(b: &[u8]) -> u32 {
    b.iter().take(3).fold(0, |acc, &x| acc << 8 | u32::from(x))
}

fn be32(b: &[u8]) -> u32 {
    b.iter().take(4).fold(0, |acc, &x| acc << 8 | u32::from(x))
}

impl Demuxer {
    /// A demuxer expecting the FLV file header first, refusing tags whose data
    /// size exceeds `max_tag_size`.
    pub fn new(max_tag_size: u32) -> Demuxer {
        Demuxer {
            max_tag_size,
            state: State::FileHeader,
            prefix: [0; TAG_PREFIX_SIZE],
            prefix_len: 0,
            expected_prev: 0,
            tags_skipped: 0,
            prev_mismatches: 0,
            resyncs: 0,
            bytes_discarded: 0,
            restarts: 0,
            scan: Vec::new(),
            scan_pos: 0,
            header_tracks: None,
        }
    }

    /// Consumes `input` and calls `out` for each complete tag, in order. The
    /// bytes of an incomplete tag are kept until more arrive. Returns `Ok(())`
    /// or an error as described on [`Demuxer`].
    pub fn feed(&mut self, input: &[u8], mut out: impl FnMut(RawTag)) -> Result<(), FlvError> {
        let mut input = input;
        let mut first_error: Option<FlvError> = None;
        loop {
            if let State::Failed(e) = self.state {
                return Err(e);
            }
            if input.is_empty() {
                break;
            }
            let state = std::mem::replace(&mut self.state, State::TagPrefix);
            self.state = match state {
                State::FileHeader => {
                    if self.fill_prefix(FILE_HEADER_SIZE, &mut input) {
                        self.parse_file_header()
                    } else {
                        State::FileHeader
                    }
                }
                State::SkipHeaderExtra(left) => match skip(left, &mut input) {
                    0 => State::TagPrefix,
                    left => State::SkipHeaderExtra(left),
                },
                State::TagPrefix => {
                    if self.fill_prefix(TAG_PREFIX_SIZE, &mut input) {
                        let (next, error) = self.parse_tag_prefix();
                        if first_error.is_none() {
                            first_error = error;
                        }
                        next
                    } else {
                        State::TagPrefix
                    }
                }
                State::Resync => {
                    let (next, error) = self.resync(&mut input, &mut out);
                    if first_error.is_none() {
                        first_error = error;
                    }
                    next
                }
                State::Body {
                    tag_type,
                    timestamp,
                    mut body,
                    remaining,
                } => {
                    let take = remaining.min(input.len());
                    let (now, rest) = input.split_at(take);
                    body.extend_from_slice(now);
                    input = rest;
                    if take == remaining {
                        out(RawTag {
                            tag_type,
                            timestamp,
                            data: body.freeze(),
                        });
                        State::TagPrefix
                    } else {
                        State::Body {
                            tag_type,
                            timestamp,
                            body,
                            remaining: remaining - take,
                        }
                    }
                }
                State::SkipBody(left) => match skip(left, &mut input) {
                    0 => State::TagPrefix,
                    left => State::SkipBody(left),
                },
                State::Failed(e) => State::Failed(e),
            };
            // A tag with an empty body is complete as soon as its header is.
            if let State::Body {
                tag_type,
                timestamp,
                remaining: 0,
                ..
            } = self.state
            {
                self.state = State::TagPrefix;
                out(RawTag {
                    tag_type,
                    timestamp,
                    data: Bytes::new(),
                });
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Tags dropped because of a reserved type or the filter bit.
    pub fn tags_skipped(&self) -> u64 {
        self.tags_skipped
    }

    /// PreviousTagSize fields that did not match the tag before them (the
    /// tags after them were delivered all the same).
    pub fn prev_tag_size_mismatches(&self) -> u64 {
        self.prev_mismatches
    }

    /// Times the framing was lost and the demuxer searched for the next tag.
    pub fn resyncs(&self) -> u64 {
        self.resyncs
    }

    /// Bytes thrown away while resynchronising.
    pub fn bytes_discarded(&self) -> u64 {
        self.bytes_discarded
    }

    /// New FLV file headers found after a tag (byte stream restarts).
    pub fn restarts(&self) -> u64 {
        self.restarts
    }

    /// Bytes buffered while waiting for the rest of a tag (or of the file
    /// header).
    pub fn buffered(&self) -> usize {
        match &self.state {
            State::FileHeader | State::TagPrefix => self.prefix_len,
            State::Resync => self.scan.len() - self.scan_pos,
            State::Body { body, .. } => body.len(),
            _ => 0,
        }
    }

    /// The audio and video flags of the FLV file header, once it was read.
    pub fn header_tracks(&self) -> Option<(bool, bool)> {
        self.header_tracks
    }

    /// The fatal error that rejected the stream, if any.
    pub fn failed(&self) -> Option<FlvError> {
        match self.state {
            State::Failed(e) => Some(e),
            _ => None,
        }
    }

    /// Moves input bytes into `prefix` until it holds `want` bytes; tells
    /// whether it does.
    fn fill_prefix(&mut self, want: usize, input: &mut &[u8]) -> bool {
        let take = want.saturating_sub(self.prefix_len).min(input.len());
        let (now, rest) = input.split_at(take);
        if let Some(dst) = self.prefix.get_mut(self.prefix_len..self.prefix_len + take) {
            dst.copy_from_slice(now);
        }
        self.prefix_len += take;
        *input = rest;
        self.prefix_len >= want
    }

    fn parse_file_header(&mut self) -> State {
        self.prefix_len = 0;
        let h = &self.prefix;
        if h.get(0..3) != Some(b"FLV") {
            return State::Failed(FlvError::Signature);
        }
        if h.get(3) != Some(&1) {
            return State::Failed(FlvError::Version);
        }
        let flags = h.get(4).copied().unwrap_or(0);
        let offset = be32(h.get(5..9).unwrap_or(&[]));
        if !(FILE_HEADER_SIZE as u32..=MAX_DATA_OFFSET).contains(&offset) {
            return State::Failed(FlvError::HeaderSize);
        }
        self.header_tracks = Some((flags & 0x04 != 0, flags & 0x01 != 0));
        self.expected_prev = 0;
        match offset - FILE_HEADER_SIZE as u32 {
            0 => State::TagPrefix,
            extra => State::SkipHeaderExtra(extra),
        }
    }

    /// Decides what to do with the tag whose prefix was just read; also
    /// returns the error to report for it, if any.
    fn parse_tag_prefix(&mut self) -> (State, Option<FlvError>) {
        let p = &self.prefix;
        let prev = be32(p.get(0..4).unwrap_or(&[]));
        let type_byte = p.get(4).copied().unwrap_or(0);
        let data_size = be24(p.get(5..8).unwrap_or(&[]));
        let low = be24(p.get(8..11).unwrap_or(&[]));
        let ext = u32::from(p.get(11).copied().unwrap_or(0));
        let timestamp = ext << 24 | low;
        let stream_id = be24(p.get(12..15).unwrap_or(&[]));

        if prev == self.expected_prev && p.get(4..8) == Some(b"FLV\x01") {
            return self.restart();
        }
        let mut error = None;
        if prev != self.expected_prev {
            let prev_ok = prev == 0 || self.plausible_prev(prev);
            if !prev_ok || !plausible(&self.prefix, self.max_tag_size) {
                return self.lose_framing();
            }
            self.prev_mismatches += 1;
            error = Some(FlvError::PrevTagSize);
        } else if type_byte & RESERVED_BITS != 0 || (!known_type(type_byte) && stream_id != 0) {
            return self.lose_framing();
        }
        self.prefix_len = 0;
        self.expected_prev = data_size + TAG_HEADER_SIZE as u32;

        if data_size > self.max_tag_size {
            return (State::Failed(FlvError::TooLarge), Some(FlvError::TooLarge));
        }
        let tag_type = type_byte & !FILTER_BIT;
        let skipped = if !matches!(tag_type, TAG_AUDIO | TAG_VIDEO | TAG_SCRIPT) {
            Some(FlvError::ReservedType)
        } else if type_byte & FILTER_BIT != 0 {
            Some(FlvError::Filtered)
        } else {
            None
        };
        if let Some(skipped) = skipped {
            self.tags_skipped += 1;
            let next = match data_size {
                0 => State::TagPrefix,
                n => State::SkipBody(n),
            };
            return (next, error.or(Some(skipped)));
        }
        let size = data_size as usize;
        let next = State::Body {
            tag_type,
            timestamp,
            body: BytesMut::with_capacity(size),
            remaining: size,
        };
        (next, error)
    }

    /// A new FLV file header follows the last tag (an encoder restarted on
    /// the same connection): the byte stream starts afresh. The prefix holds
    /// the 9 header bytes and the first 2 bytes after them.
    fn restart(&mut self) -> (State, Option<FlvError>) {
        let p = &self.prefix;
        let flags = p.get(8).copied().unwrap_or(0);
        let offset = be32(p.get(9..13).unwrap_or(&[]));
        if !(FILE_HEADER_SIZE as u32..=MAX_DATA_OFFSET).contains(&offset) {
            return self.lose_framing();
        }
        self.restarts += 1;
        self.header_tracks = Some((flags & 0x04 != 0, flags & 0x01 != 0));
        self.expected_prev = 0;
        // The 2 bytes read past the header: extra header bytes to skip, or
        // the start of PreviousTagSize0.
        let after = [
            p.get(13).copied().unwrap_or(0),
            p.get(14).copied().unwrap_or(0),
        ];
        let extra = offset - FILE_HEADER_SIZE as u32;
        self.prefix_len = 0;
        match extra {
            0 | 1 => {
                for &b in &after[extra as usize..] {
                    if let Some(slot) = self.prefix.get_mut(self.prefix_len) {
                        *slot = b;
                        self.prefix_len += 1;
                    }
                }
                (State::TagPrefix, None)
            }
            2 => (State::TagPrefix, None),
            extra => (State::SkipHeaderExtra(extra - 2), None),
        }
    }

    /// The framing is lost at the prefix just read: its first byte is
    /// discarded and the rest scanned for the next tag.
    fn lose_framing(&mut self) -> (State, Option<FlvError>) {
        self.scan.clear();
        self.scan
            .extend_from_slice(self.prefix.get(1..).unwrap_or(&[]));
        self.scan_pos = 0;
        self.prefix_len = 0;
        self.bytes_discarded += 1;
        self.resyncs += 1;
        (State::Resync, Some(FlvError::Garbage))
    }

    /// Looks for the next tag after the framing was lost: a position in
    /// `scan` holding a plausible PreviousTagSize + tag header, confirmed by
    /// the PreviousTagSize after its body. Delivers confirmed tags; discards,
    /// one at a time, the bytes that start none. Takes from `input` only
    /// what the current candidate needs, so when `scan` runs out right after
    /// a confirmed tag the normal path takes over. Returns the next state
    /// and the error to report, if any.
    fn resync(
        &mut self,
        input: &mut &[u8],
        out: &mut impl FnMut(RawTag),
    ) -> (State, Option<FlvError>) {
        let discarded = self.bytes_discarded;
        let mut error = None;
        let (next, error) = loop {
            let start = self.scan_pos;
            let avail = self.scan.len() - start;
            if avail < TAG_PREFIX_SIZE {
                if !self.scan_take(TAG_PREFIX_SIZE - avail, input) {
                    break (State::Resync, error);
                }
                continue;
            }
            let window = self.scan.get(start..start + TAG_PREFIX_SIZE).unwrap_or(&[]);
            let prev = be32(window.get(0..4).unwrap_or(&[]));
            if !plausible(window, self.max_tag_size) || !self.plausible_prev(prev) {
                self.discard_one();
                continue;
            }
            let type_byte = window.get(4).copied().unwrap_or(0);
            let size = be24(window.get(5..8).unwrap_or(&[]));
            let low = be24(window.get(8..11).unwrap_or(&[]));
            let timestamp = u32::from(window.get(11).copied().unwrap_or(0)) << 24 | low;
            let need = TAG_PREFIX_SIZE + size as usize + PREV_TAG_SIZE_SIZE;
            if avail < need && !self.scan_take(need - avail, input) {
                break (State::Resync, error);
            }
            let tail_at = start + need - PREV_TAG_SIZE_SIZE;
            let tail = be32(self.scan.get(tail_at..start + need).unwrap_or(&[]));
            if tail != size + TAG_HEADER_SIZE as u32 {
                self.discard_one();
                continue;
            }
            if type_byte & FILTER_BIT != 0 {
                self.tags_skipped += 1;
                error = error.or(Some(FlvError::Filtered));
            } else {
                let body = self
                    .scan
                    .get(start + TAG_PREFIX_SIZE..tail_at)
                    .unwrap_or(&[]);
                out(RawTag {
                    tag_type: type_byte,
                    timestamp,
                    data: Bytes::copy_from_slice(body),
                });
            }
            self.expected_prev = size + TAG_HEADER_SIZE as u32;
            // The next candidate starts with the PreviousTagSize just checked.
            self.scan_pos = tail_at;
            if self.scan.len() == start + need {
                // In step with the input again: the normal path takes over.
                let tail = self.scan.get(tail_at..).unwrap_or(&[]);
                if let Some(dst) = self.prefix.get_mut(..tail.len()) {
                    dst.copy_from_slice(tail);
                }
                self.prefix_len = PREV_TAG_SIZE_SIZE;
                self.scan.clear();
                self.scan_pos = 0;
                break (State::TagPrefix, error);
            }
        };
        // Every feed that throws bytes away says so.
        if self.bytes_discarded > discarded {
            return (next, error.or(Some(FlvError::Garbage)));
        }
        (next, error)
    }

    /// Whether `prev` can be the PreviousTagSize of a tag found by a
    /// resynchronisation: 11 + a data size within the limit, or 0 before
    /// the first tag.
    fn plausible_prev(&self, prev: u32) -> bool {
        let max = self.max_tag_size.saturating_add(TAG_HEADER_SIZE as u32);
        (prev == 0 && self.expected_prev == 0) || (TAG_HEADER_SIZE as u32..=max).contains(&prev)
    }

    /// Moves up to `n` bytes of `input` to `scan`; tells whether all `n`
    /// were there.
    fn scan_take(&mut self, n: usize, input: &mut &[u8]) -> bool {
        let take = n.min(input.len());
        let (now, rest) = input.split_at(take);
        self.scan.extend_from_slice(now);
        *input = rest;
        take == n
    }

    /// Gives up the byte at `scan_pos` as the start of a tag.
    fn discard_one(&mut self) {
        self.scan_pos += 1;
        self.bytes_discarded += 1;
        if self.scan_pos >= 4096 && self.scan_pos * 2 >= self.scan.len() {
            self.scan.drain(..self.scan_pos);
            self.scan_pos = 0;
        }
    }
}

/// Whether a tag type byte names audio, video or script data (the filter
/// bit allowed, the reserved bits clear).
fn known_type(type_byte: u8) -> bool {
    type_byte & RESERVED_BITS == 0
        && matches!(type_byte & !FILTER_BIT, TAG_AUDIO | TAG_VIDEO | TAG_SCRIPT)
}

/// Whether `window` (PreviousTagSize + tag header) holds a plausible tag
/// header: a known type, a data size within `max`, stream id 0.
fn plausible(window: &[u8], max: u32) -> bool {
    let (Some(&type_byte), Some(size), Some(stream_id)) =
        (window.get(4), window.get(5..8), window.get(12..15))
    else {
        return false;
    };
    known_type(type_byte) && be24(size) <= max && stream_id == [0, 0, 0]
}

/// Drops up to `left` bytes from the front of `input`; returns how many are
/// still to drop.
fn skip(left: u32, input: &mut &[u8]) -> u32 {
    let take = input.len().min(left as usize);
    *input = input.get(take..).unwrap_or(&[]);
    left - take as u32
}

#[cfg(test)]
mod tests {
    use super::super::{file_header, prev_tag_size, tag_header, MAX_DATA_SIZE};
    use super::*;

    /// Deterministic xorshift64 generator.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    fn tag(tag_type: u8, timestamp: u32, data: Vec<u8>) -> RawTag {
        RawTag {
            tag_type,
            timestamp,
            data: Bytes::from(data),
        }
    }

    /// Appends one tag with its header and trailing PreviousTagSize.
    fn push_tag(out: &mut Vec<u8>, type_byte: u8, timestamp: u32, body: &[u8]) {
        out.extend_from_slice(&tag_header(type_byte, body.len() as u32, timestamp));
        out.extend_from_slice(body);
        out.extend_from_slice(&prev_tag_size(body.len() as u32));
    }

    fn flv(tags: &[RawTag]) -> Vec<u8> {
        let mut out = file_header(true, true).to_vec();
        for t in tags {
            push_tag(&mut out, t.tag_type, t.timestamp, &t.data);
        }
        out
    }

    fn sample_tags() -> Vec<RawTag> {
        let mut rng = Rng(7);
        let mut noise = |n: usize| (0..n).map(|_| rng.next() as u8).collect::<Vec<u8>>();
        vec![
            tag(
                TAG_SCRIPT,
                0,
                super::super::amf::write::on_metadata(true, true, true),
            ),
            tag(TAG_VIDEO, 0, vec![0x17, 0, 0, 0, 0, 1, 0x64, 0, 0x1F]),
            tag(TAG_AUDIO, 0, vec![0xAF, 0, 0x12, 0x10]),
            tag(
                TAG_VIDEO,
                0,
                [&[0x17, 1, 0, 0, 0][..], &noise(3000)].concat(),
            ),
            tag(TAG_AUDIO, 23, [&[0xAF, 1][..], &noise(200)].concat()),
            tag(TAG_VIDEO, 40, Vec::new()),
            tag(
                TAG_VIDEO,
                0x00FF_FFFF,
                [&[0x27, 1, 0, 0, 0][..], &noise(70_000)].concat(),
            ),
            tag(TAG_VIDEO, 0x0100_0000, vec![0x27, 1, 0, 0, 0]),
            tag(TAG_AUDIO, 0x1234_5678, vec![0xAF, 1, 7]),
            tag(TAG_SCRIPT, u32::MAX, vec![0x05]),
        ]
    }

    /// Feeds `bytes` in the chunks `cut` chooses; returns the tags and the
    /// error of every feed that returned one.
    fn run(
        demux: &mut Demuxer,
        bytes: &[u8],
        mut cut: impl FnMut(usize) -> usize,
    ) -> (Vec<RawTag>, Vec<FlvError>) {
        let mut tags = Vec::new();
        let mut errors = Vec::new();
        let mut rest = bytes;
        while !rest.is_empty() {
            let n = cut(rest.len()).clamp(1, rest.len());
            let (now, later) = rest.split_at(n);
            if let Err(e) = demux.feed(now, |t| tags.push(t)) {
                errors.push(e);
            }
            rest = later;
        }
        (tags, errors)
    }

    fn whole(bytes: &[u8]) -> (Vec<RawTag>, Vec<FlvError>, Demuxer) {
        let mut d = Demuxer::new(MAX_DATA_SIZE);
        let (t, e) = run(&mut d, bytes, |n| n);
        (t, e, d)
    }

    #[test]
    fn any_chunking_gives_the_same_tags() {
        let expected = sample_tags();
        let bytes = flv(&expected);

        let (tags, errors, d) = whole(&bytes);
        assert_eq!(tags, expected);
        assert!(errors.is_empty());
        // Only the final PreviousTagSize is left waiting for a next tag.
        assert_eq!(d.buffered(), 4);
        assert_eq!(d.header_tracks(), Some((true, true)));

        let mut d = Demuxer::new(MAX_DATA_SIZE);
        let (tags, errors) = run(&mut d, &bytes, |_| 1);
        assert_eq!(tags, expected);
        assert!(errors.is_empty());

        for seed in 1..=20u64 {
            let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
            let mut d = Demuxer::new(MAX_DATA_SIZE);
            let max = [3, 17, 300, 5000, 100_000][seed as usize % 5];
            let (tags, errors) = run(&mut d, &bytes, |_| 1 + rng.below(max));
            assert_eq!(tags, expected, "seed {seed}");
            assert!(errors.is_empty(), "seed {seed}");
            assert_eq!(d.tags_skipped(), 0);
            assert_eq!(d.prev_tag_size_mismatches(), 0);
        }
    }

    #[test]
    fn empty_feed_is_a_no_op() {
        let mut d = Demuxer::new(100);
        assert_eq!(d.feed(&[], |_| panic!("no tag")), Ok(()));
        assert_eq!(d.buffered(), 0);
        assert_eq!(d.header_tracks(), None);
    }

    #[test]
    fn framing_round_trips() {
        for (audio, video) in [(false, false), (true, false), (false, true), (true, true)] {
            let mut bytes = file_header(audio, video).to_vec();
            push_tag(&mut bytes, TAG_AUDIO, 0x00AB_CDEF, &[0xAF, 1, 2]);
            push_tag(&mut bytes, TAG_VIDEO, 0xFEDC_BA98, &[0x27, 1, 0, 0, 0, 9]);
            let (tags, errors, d) = whole(&bytes);
            assert!(errors.is_empty());
            assert_eq!(d.header_tracks(), Some((audio, video)));
            assert_eq!(
                tags,
                vec![
                    tag(TAG_AUDIO, 0x00AB_CDEF, vec![0xAF, 1, 2]),
                    tag(TAG_VIDEO, 0xFEDC_BA98, vec![0x27, 1, 0, 0, 0, 9]),
                ]
            );
        }
    }

    #[test]
    fn extended_timestamps() {
        let stamps = [
            0,
            1,
            0x00FF_FFFF,
            0x0100_0000,
            0x0100_0001,
            0x7FFF_FFFF,
            u32::MAX,
        ];
        let expected: Vec<RawTag> = stamps
            .iter()
            .map(|&ts| tag(TAG_AUDIO, ts, vec![0x2F]))
            .collect();
        let (tags, errors, _) = whole(&flv(&expected));
        assert!(errors.is_empty());
        assert_eq!(tags, expected);
        // The extended byte is the high byte, stored after the low 24 bits.
        let mut bytes = file_header(true, false).to_vec();
        bytes.extend_from_slice(&[TAG_AUDIO, 0, 0, 1, 0x22, 0x33, 0x44, 0x11, 9, 9, 9, 0x2F]);
        let (tags, _, _) = whole(&bytes);
        assert_eq!(tags[0].timestamp, 0x1122_3344);
    }

    #[test]
    fn buffered_counts_waiting_bytes() {
        let expected = sample_tags();
        let bytes = flv(&expected);
        let mut d = Demuxer::new(MAX_DATA_SIZE);
        let mut n = 0;
        d.feed(&bytes[..5], |_| n += 1).unwrap();
        assert_eq!(d.buffered(), 5);
        // Header done, PreviousTagSize0 and 3 bytes of the first tag header.
        d.feed(&bytes[5..16], |_| n += 1).unwrap();
        assert_eq!(d.buffered(), 7);
        // Whole first tag prefix plus 10 body bytes.
        d.feed(&bytes[16..9 + 15 + 10], |_| n += 1).unwrap();
        assert_eq!(d.buffered(), 10);
        assert_eq!(n, 0);
        d.feed(&bytes[9 + 15 + 10..], |_| n += 1).unwrap();
        assert_eq!(n, expected.len());
    }

    /// Checks that a fatal error sticks: later feeds fail the same way and
    /// deliver nothing, even with valid input.
    fn assert_sticky(d: &mut Demuxer, e: FlvError) {
        let good = flv(&sample_tags());
        for chunk in [&good[..], &good[9..], &[][..]] {
            assert_eq!(d.feed(chunk, |_| panic!("tag after fatal error")), Err(e));
        }
        assert_eq!(d.failed(), Some(e));
        assert_eq!(d.buffered(), 0);
    }

    #[test]
    fn bad_signature_is_fatal() {
        for bad in [
            &b"FLX\x01\x05\0\0\0\x09"[..],
            b"flv\x01\x05\0\0\0\x09",
            b"\0\0\0\0\0\0\0\0\0",
        ] {
            let mut d = Demuxer::new(MAX_DATA_SIZE);
            assert_eq!(d.feed(bad, |_| {}), Err(FlvError::Signature));
            assert_sticky(&mut d, FlvError::Signature);
        }
        // Byte by byte: the error comes with the ninth byte.
        let mut d = Demuxer::new(MAX_DATA_SIZE);
        let (tags, errors) = run(&mut d, b"GIF89a...\0\0\0\0", |_| 1);
        assert!(tags.is_empty());
        assert_eq!(errors, vec![FlvError::Signature; 5]);
        assert_eq!(d.header_tracks(), None);
    }

    #[test]
    fn bad_version_is_fatal() {
        for version in [0u8, 2, 0xFF] {
            let mut bytes = flv(&sample_tags());
            bytes[3] = version;
            let mut d = Demuxer::new(MAX_DATA_SIZE);
            assert_eq!(d.feed(&bytes, |_| panic!("no tag")), Err(FlvError::Version));
            assert_sticky(&mut d, FlvError::Version);
        }
    }

    #[test]
    fn header_size_below_nine_is_fatal() {
        for offset in [0u32, 8, MAX_DATA_OFFSET + 1, u32::MAX] {
            let mut bytes = flv(&sample_tags());
            bytes[5..9].copy_from_slice(&offset.to_be_bytes());
            let mut d = Demuxer::new(MAX_DATA_SIZE);
            assert_eq!(
                d.feed(&bytes, |_| panic!("no tag")),
                Err(FlvError::HeaderSize)
            );
            assert_sticky(&mut d, FlvError::HeaderSize);
        }
    }

    #[test]
    fn header_extra_bytes_are_skipped() {
        let expected = sample_tags();
        let plain = flv(&expected);
        for extra in [1usize, 4, 1000] {
            let mut bytes = plain[..9].to_vec();
            bytes[5..9].copy_from_slice(&(9 + extra as u32).to_be_bytes());
            bytes.extend(std::iter::repeat(0xEE).take(extra));
            bytes.extend_from_slice(&plain[9..]);
            let (tags, errors, _) = whole(&bytes);
            assert_eq!(tags, expected);
            assert!(errors.is_empty());
            let mut d = Demuxer::new(MAX_DATA_SIZE);
            let (tags, errors) = run(&mut d, &bytes, |_| 1);
            assert_eq!(tags, expected);
            assert!(errors.is_empty());
        }
    }

    #[test]
    fn too_large_is_fatal_after_the_good_tags() {
        let mut bytes = file_header(true, false).to_vec();
        push_tag(&mut bytes, TAG_AUDIO, 0, &[0x2F; 100]); // exactly the limit
        push_tag(&mut bytes, TAG_AUDIO, 1, &[0x2F; 101]);
        push_tag(&mut bytes, TAG_AUDIO, 2, &[0x2F; 10]);
        let mut d = Demuxer::new(100);
        let mut tags = Vec::new();
        assert_eq!(d.feed(&bytes, |t| tags.push(t)), Err(FlvError::TooLarge));
        assert_eq!(tags, vec![tag(TAG_AUDIO, 0, vec![0x2F; 100])]);
        assert_sticky(&mut d, FlvError::TooLarge);

        // In small chunks: the good tag, then the error on the feed that
        // completes the bad header, then the same error forever.
        let mut d = Demuxer::new(100);
        let (tags, errors) = run(&mut d, &bytes, |_| 7);
        assert_eq!(tags.len(), 1);
        assert!(!errors.is_empty());
        assert!(errors.iter().all(|&e| e == FlvError::TooLarge));
    }

    #[test]
    fn reserved_and_filtered_tags_are_skipped() {
        let good = sample_tags();
        for (type_byte, error) in [
            (0u8, FlvError::ReservedType),
            (7, FlvError::ReservedType),
            (15, FlvError::ReservedType),
            (31, FlvError::ReservedType),
            (0x28, FlvError::Filtered),
            (0x29, FlvError::Filtered),
            (0x32, FlvError::Filtered),
        ] {
            for body_len in [0usize, 1, 500] {
                let mut bytes = file_header(true, true).to_vec();
                for t in &good[..3] {
                    push_tag(&mut bytes, t.tag_type, t.timestamp, &t.data);
                }
                push_tag(&mut bytes, type_byte, 5, &vec![0xAB; body_len]);
                for t in &good[3..] {
                    push_tag(&mut bytes, t.tag_type, t.timestamp, &t.data);
                }

                let (tags, errors, d) = whole(&bytes);
                assert_eq!(tags, good, "type {type_byte:#x}");
                assert_eq!(errors, vec![error]);
                assert_eq!(d.tags_skipped(), 1);
                assert_eq!(d.prev_tag_size_mismatches(), 0);

                let mut d = Demuxer::new(MAX_DATA_SIZE);
                let (tags, errors) = run(&mut d, &bytes, |_| 1);
                assert_eq!(tags, good);
                assert_eq!(errors, vec![error]);
                assert_eq!(d.tags_skipped(), 1);

                // The stream goes on: more good tags later are fine.
                let mut more = Vec::new();
                push_tag(&mut more, TAG_AUDIO, 99, &[0x2F]);
                let mut n = 0;
                assert_eq!(d.feed(&more, |_| n += 1), Ok(()));
                assert_eq!(n, 1);
            }
        }
    }

    #[test]
    fn prev_tag_size_mismatch_is_reported_not_skipped() {
        let expected = sample_tags();
        let clean = flv(&expected);
        // The PreviousTagSize after the third tag.
        let mut pos = 9;
        for t in &expected[..3] {
            pos += 4 + 11 + t.data.len();
        }
        let mut bytes = clean.clone();
        bytes[pos + 3] ^= 1;
        let (tags, errors, d) = whole(&bytes);
        assert_eq!(tags, expected);
        assert_eq!(errors, vec![FlvError::PrevTagSize]);
        assert_eq!(d.prev_tag_size_mismatches(), 1);
        assert_eq!(d.tags_skipped(), 0);

        let mut d = Demuxer::new(MAX_DATA_SIZE);
        let (tags, errors) = run(&mut d, &bytes, |_| 3);
        assert_eq!(tags, expected);
        assert_eq!(errors, vec![FlvError::PrevTagSize]);

        // PreviousTagSize0 must be 0.
        let mut bytes = clean.clone();
        bytes[12] = 11;
        let (tags, errors, d) = whole(&bytes);
        assert_eq!(tags, expected);
        assert_eq!(errors, vec![FlvError::PrevTagSize]);
        assert_eq!(d.prev_tag_size_mismatches(), 1);

        // Every size wrong: each one counted, all tags delivered, one error
        // per feed.
        let mut bytes = file_header(false, true).to_vec();
        for t in &expected {
            bytes.extend_from_slice(&tag_header(t.tag_type, t.data.len() as u32, t.timestamp));
            bytes.extend_from_slice(&t.data);
            bytes.extend_from_slice(&prev_tag_size(t.data.len() as u32 + 1));
        }
        let (tags, errors, d) = whole(&bytes);
        assert_eq!(tags, expected);
        assert_eq!(errors, vec![FlvError::PrevTagSize]);
        assert_eq!(d.prev_tag_size_mismatches(), expected.len() as u64 - 1);
    }

    #[test]
    fn skip_after_mismatch_reports_the_first_error() {
        let mut bytes = file_header(true, false).to_vec();
        push_tag(&mut bytes, TAG_AUDIO, 0, &[0x2F]);
        let len = bytes.len();
        bytes[len - 1] = 0; // wrong PreviousTagSize
        push_tag(&mut bytes, 0x29, 1, &[0x2F]); // filtered
        push_tag(&mut bytes, TAG_AUDIO, 2, &[0x2F]);
        let (tags, errors, d) = whole(&bytes);
        assert_eq!(tags.len(), 2);
        assert_eq!(errors, vec![FlvError::PrevTagSize]);
        assert_eq!((d.tags_skipped(), d.prev_tag_size_mismatches()), (1, 1));
    }

    /// Compares tag lists without printing whole bodies.
    fn assert_tags_eq(got: &[RawTag], want: &[RawTag], what: &str) {
        let brief = |t: &[RawTag]| -> Vec<(u8, u32, usize)> {
            t.iter()
                .map(|t| (t.tag_type, t.timestamp, t.data.len()))
                .collect()
        };
        assert_eq!(brief(got), brief(want), "{what}");
        assert!(got == want, "{what}: same shapes, different bodies");
    }

    /// `bytes` fed whole, one byte at a time and in chunks of 1..=97 bytes
    /// give the same tags and counters; returns the tags, the errors of the
    /// whole feed and the demuxer.
    fn every_chunking(bytes: &[u8]) -> (Vec<RawTag>, Vec<FlvError>, Demuxer) {
        let (tags, errors, d) = whole(bytes);
        let counters = |d: &Demuxer| {
            (
                d.tags_skipped(),
                d.prev_tag_size_mismatches(),
                d.resyncs(),
                d.bytes_discarded(),
                d.buffered(),
            )
        };
        let mut ones = Demuxer::new(MAX_DATA_SIZE);
        let (t1, e1) = run(&mut ones, bytes, |_| 1);
        assert_tags_eq(&t1, &tags, "one byte at a time");
        assert_eq!(counters(&ones), counters(&d));
        assert_eq!(e1.is_empty(), errors.is_empty());
        let mut n = 0;
        let mut some = Demuxer::new(MAX_DATA_SIZE);
        let (t2, _) = run(&mut some, bytes, |_| {
            n = n % 97 + 1;
            n
        });
        assert_tags_eq(&t2, &tags, "chunks of 1..=97");
        assert_eq!(counters(&some), counters(&d));
        (tags, errors, d)
    }

    /// The sample tags and a 300-byte trailer: a live stream goes on, which
    /// lets a false candidate found while resynchronising be given up.
    fn tags_with_trailer() -> Vec<RawTag> {
        let mut tags = sample_tags();
        tags.push(tag(TAG_AUDIO, u32::MAX, vec![0xAF; 300]));
        tags
    }

    /// [`tags_with_trailer`] with `garbage` inserted before (or after) the
    /// PreviousTagSize that follows tag `after`.
    fn with_garbage(after: usize, garbage: &[u8], after_prev: bool) -> Vec<u8> {
        let tags = tags_with_trailer();
        let mut bytes = file_header(true, true).to_vec();
        for (i, t) in tags.iter().enumerate() {
            bytes.extend_from_slice(&tag_header(t.tag_type, t.data.len() as u32, t.timestamp));
            bytes.extend_from_slice(&t.data);
            if i == after && !after_prev {
                bytes.extend_from_slice(garbage);
            }
            bytes.extend_from_slice(&prev_tag_size(t.data.len() as u32));
            if i == after && after_prev {
                bytes.extend_from_slice(garbage);
            }
        }
        bytes
    }

    #[test]
    fn garbage_between_tags_is_dropped_and_the_stream_resynchronised() {
        let expected = tags_with_trailer();
        let mut rng = Rng(99);
        let random: Vec<u8> = (0..2000).map(|_| rng.next() as u8).collect();
        let garbages: [&[u8]; 7] = [
            &[0xDE, 0xAD, 0xBE, 0xEF, 0x01],
            &[0xFF; 7],
            &[0; 40],
            // Not a new file header: version 2.
            b"FLV\x02\x05\0\0\0\x09\0\0\0\0",
            &random,
            &[0x55],
            // After a byte that loses the framing: a plausible
            // PreviousTagSize + header (audio, 100 bytes, stream id 0) whose
            // body is not followed by its PreviousTagSize, then a plausible
            // header alone.
            &[
                0xFF, 0, 0, 0, 50, 8, 0, 0, 100, 0, 0, 0, 0, 0, 0, 0, 0xC0, 9, 0, 0, 1, 0, 0, 0, 0,
                0, 0, 0,
            ],
        ];
        for garbage in garbages {
            for after in [0, 3, 5, 6] {
                for after_prev in [false, true] {
                    let bytes = with_garbage(after, garbage, after_prev);
                    let (tags, errors, d) = every_chunking(&bytes);
                    let what = format!(
                        "{} bytes after tag {after}, after_prev {after_prev}",
                        garbage.len()
                    );
                    if after_prev {
                        // The tag right after the garbage may be lost with
                        // the PreviousTagSize the garbage hides.
                        let mut without = expected.clone();
                        without.remove(after + 1);
                        if tags.len() == without.len() {
                            assert_tags_eq(&tags, &without, &what);
                        } else {
                            assert_tags_eq(&tags, &expected, &what);
                        }
                    } else {
                        assert_tags_eq(&tags, &expected, &what);
                    }
                    assert!(!errors.is_empty(), "{what}");
                    assert!(errors.iter().all(|e| !e.is_fatal()), "{what}");
                    assert!(d.resyncs() + d.tags_skipped() >= 1, "{what}");
                    assert_eq!(d.buffered(), 4, "{what}: back in step");
                }
            }
        }
    }

    #[test]
    fn reserved_bits_lose_the_framing() {
        let expected = sample_tags();
        let mut bytes = file_header(true, true).to_vec();
        for (i, t) in expected.iter().enumerate() {
            if i == 4 {
                push_tag(&mut bytes, 0x48, 5, &[0xAB; 30]);
            }
            push_tag(&mut bytes, t.tag_type, t.timestamp, &t.data);
        }
        let (tags, errors, d) = every_chunking(&bytes);
        assert_tags_eq(&tags, &expected, "");
        assert_eq!(errors, vec![FlvError::Garbage]);
        assert_eq!((d.resyncs(), d.tags_skipped()), (1, 0));
        assert_eq!(d.bytes_discarded(), 11 + 30 + 4);
    }

    #[test]
    fn unknown_type_with_stream_id_loses_the_framing() {
        let expected = sample_tags();
        let mut bytes = file_header(true, true).to_vec();
        for (i, t) in expected.iter().enumerate() {
            if i == 2 {
                // Right after a good PreviousTagSize: type 7 claiming 64 KiB,
                // stream id 0x010203, then 20 bytes and a PreviousTagSize.
                let mut h = tag_header(7, 0x00_FF_FF, 0);
                h[8..11].copy_from_slice(&[1, 2, 3]);
                bytes.extend_from_slice(&h);
                bytes.extend_from_slice(&[0x11; 20]);
                bytes.extend_from_slice(&prev_tag_size(20));
            }
            push_tag(&mut bytes, t.tag_type, t.timestamp, &t.data);
        }
        // The framing is lost at once: nothing of the 64 KiB it claims is
        // skipped.
        let (tags, errors, _) = every_chunking(&bytes);
        assert_tags_eq(&tags, &expected, "");
        assert_eq!(errors, vec![FlvError::Garbage]);
    }

    #[test]
    fn known_type_with_stream_id_is_tolerated() {
        let mut bytes = file_header(true, false).to_vec();
        let mut h = tag_header(TAG_AUDIO, 2, 7);
        h[8..11].copy_from_slice(&[0, 0, 1]);
        bytes.extend_from_slice(&h);
        bytes.extend_from_slice(&[0xAF, 1]);
        bytes.extend_from_slice(&prev_tag_size(2));
        let (tags, errors, _) = every_chunking(&bytes);
        assert_eq!(tags, vec![tag(TAG_AUDIO, 7, vec![0xAF, 1])]);
        assert!(errors.is_empty());
    }

    #[test]
    fn a_new_file_header_restarts_the_byte_stream() {
        let first = sample_tags();
        let second = vec![
            tag(TAG_SCRIPT, 0, vec![0x02, 0, 1, b'x']),
            tag(TAG_AUDIO, 0, vec![0xAF, 1, 5]),
        ];
        for extra in [0usize, 1, 2, 3, 50] {
            let mut bytes = flv(&first);
            let mut header = file_header(true, false).to_vec();
            header[5..9].copy_from_slice(&(9 + extra as u32).to_be_bytes());
            bytes.extend_from_slice(&header[..9]);
            bytes.extend(std::iter::repeat(0xEE).take(extra));
            bytes.extend_from_slice(&[0, 0, 0, 0]);
            for t in &second {
                push_tag(&mut bytes, t.tag_type, t.timestamp, &t.data);
            }
            let (tags, errors, d) = every_chunking(&bytes);
            let mut all = first.clone();
            all.extend(second.iter().cloned());
            assert_tags_eq(&tags, &all, &format!("extra {extra}"));
            assert!(errors.is_empty(), "extra {extra}: {errors:?}");
            assert_eq!((d.restarts(), d.resyncs()), (1, 0));
            assert_eq!(d.header_tracks(), Some((true, false)));
        }
        // A bad DataOffset there is not a header: the framing is lost.
        let mut bytes = flv(&first);
        bytes.extend_from_slice(b"FLV\x01\x05\0\0\0\x02\0\0\0\0");
        for t in &second {
            push_tag(&mut bytes, t.tag_type, t.timestamp, &t.data);
        }
        let (tags, errors, d) = every_chunking(&bytes);
        assert_eq!(errors, vec![FlvError::Garbage]);
        assert_eq!(d.restarts(), 0);
        // The first tag after it hides behind a PreviousTagSize of 0.
        assert_eq!(tags.len(), first.len() + 1);
    }

    #[test]
    fn corrupted_data_size_resynchronises() {
        let expected = sample_tags();
        let clean = flv(&expected);
        // The data size of tag 4 (the 200-byte audio frame) claims 150.
        let mut pos = 13;
        for t in &expected[..4] {
            pos += 11 + t.data.len() + 4;
        }
        let mut bytes = clean.clone();
        bytes[pos + 1..pos + 4].copy_from_slice(&[0, 0, 150]);
        let (tags, errors, d) = every_chunking(&bytes);
        // Tag 4 comes out cut short; everything after it is intact.
        assert_eq!(tags.len(), expected.len());
        assert_eq!(tags[4].data, expected[4].data.slice(..150));
        assert_eq!(tags[..4], expected[..4]);
        assert_eq!(tags[5..], expected[5..]);
        assert_eq!(errors, vec![FlvError::Garbage]);
        assert_eq!(d.resyncs(), 1);
    }

    #[test]
    fn filtered_tag_found_by_resync_is_skipped() {
        let expected = sample_tags();
        let mut bytes = file_header(true, true).to_vec();
        for (i, t) in expected.iter().enumerate() {
            bytes.extend_from_slice(&tag_header(t.tag_type, t.data.len() as u32, t.timestamp));
            bytes.extend_from_slice(&t.data);
            if i == 2 {
                // Garbage before the PreviousTagSize, then a filtered tag.
                bytes.extend_from_slice(&[0xEE; 9]);
                bytes.extend_from_slice(&prev_tag_size(t.data.len() as u32));
                push_tag(&mut bytes, 0x29, 3, &[1, 2, 3]);
                bytes.truncate(bytes.len() - 4);
                bytes.extend_from_slice(&prev_tag_size(3));
                continue;
            }
            bytes.extend_from_slice(&prev_tag_size(t.data.len() as u32));
        }
        let (tags, errors, d) = every_chunking(&bytes);
        assert_tags_eq(&tags, &expected, "");
        assert_eq!(errors, vec![FlvError::Garbage]);
        assert_eq!(d.tags_skipped(), 1);
    }

    #[test]
    fn resync_buffers_at_most_one_candidate() {
        // Endless garbage: the demuxer keeps at most a window.
        let mut d = Demuxer::new(MAX_DATA_SIZE);
        let mut rng = Rng(5);
        d.feed(&flv(&sample_tags()[..2]), |_| {}).unwrap();
        let mut max_buffered = 0;
        for _ in 0..200 {
            let chunk: Vec<u8> = (0..1000).map(|_| (rng.next() as u8) | 0xC0).collect();
            assert_ne!(d.feed(&chunk, |_| panic!("no tag in garbage")), Ok(()));
            max_buffered = max_buffered.max(d.buffered());
        }
        assert!(max_buffered < TAG_PREFIX_SIZE, "{max_buffered}");
        // A plausible candidate claiming 1000 bytes is held until its
        // PreviousTagSize can be checked, then given up.
        let mut d = Demuxer::new(MAX_DATA_SIZE);
        let mut bytes = flv(&sample_tags()[..2]);
        bytes.extend_from_slice(&[0xFF; 4]);
        bytes.extend_from_slice(&[0, 0, 0, 50, TAG_AUDIO, 0, 0x03, 0xE8, 0, 0, 0, 0, 0, 0, 0]);
        let mut n = 0;
        let _ = d.feed(&bytes, |_| n += 1);
        assert_eq!(n, 2);
        let _ = d.feed(&[0x77; 999], |_| panic!("not confirmed yet"));
        assert!(
            d.buffered() >= 999 && d.buffered() <= 1000 + 19,
            "{}",
            d.buffered()
        );
        let _ = d.feed(&[0x77; 10], |_| panic!("not a tag"));
        assert!(d.buffered() < 1000 + 19);
        assert!(d.resyncs() >= 1);
    }

    #[test]
    fn garbage_never_panics() {
        let base = flv(&sample_tags());
        let mut rng = Rng(0xDEAD_BEEF);
        for round in 0..300 {
            let mut bytes = base.clone();
            if round % 3 == 0 {
                // Random bytes after a valid header.
                bytes.truncate(13);
                let n = rng.below(4000);
                bytes.extend((0..n).map(|_| rng.next() as u8));
            } else {
                for _ in 0..1 + rng.below(6) {
                    let i = rng.below(bytes.len());
                    bytes[i] = rng.next() as u8;
                }
            }
            let mut d = Demuxer::new(1 << 16);
            let mut max = 1 + rng.below(700);
            let (tags, _) = run(&mut d, &bytes, |_| {
                max = 1 + (max * 7) % 701;
                max
            });
            assert!(tags.iter().all(|t| t.data.len() <= 1 << 16));
            assert!(d.buffered() <= 1 << 16);
        }
    }
}
