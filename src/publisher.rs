//! The publishing side of a stream.
//!
//! A `Publisher` is the stream's single writer. Each push stores the tag once
//! in the stream's ring (O(1) whatever the number of players) and wakes the
//! players that were waiting, after the stream lock is released. Dropping the
//! publisher is the unpublish, graceful or abrupt alike.
//!
//! ```
//! use livehub::Hub;
//! let hub = Hub::new(Default::default());
//! let stream = hub.stream("live/flv").unwrap();
//! let mut publisher = stream.publish().unwrap();
//! let mut player = stream.play(Default::default()).unwrap();
//! // An FLV byte stream, in any chunking: header, PreviousTagSize0, one audio tag.
//! let mut flv = vec![b'F', b'L', b'V', 1, 5, 0, 0, 0, 9, 0, 0, 0, 0];
//! flv.extend_from_slice(&[8, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0x2f, 0x01, 0, 0, 0, 13]);
//! for chunk in flv.chunks(5) {
//!     publisher.push_flv(chunk).unwrap();
//! }
//! assert_eq!(player.read().unwrap().data, &[0x2f, 0x01]);
//! ```

use crate::error::Error;
use crate::flv::{self, Demuxer, FlvError, RawTag};
use crate::notify::Wakeups;
use crate::stream::{NewTag, Stream};
use bytes::Bytes;

/// What a publisher has pushed, and what its FLV input cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PublisherStats {
    /// Tags stored in the stream.
    pub tags_in: u64,
    /// Tag body bytes stored.
    pub bytes_in: u64,
    /// Tags dropped: refused by `push_tag`, or skipped by `push_flv` (bad
    /// type, encrypted, too short, lost in garbage) — one for every tag a
    /// call reported with [`Error::Flv`] (or `TooLarge`/`InvalidArg` from
    /// `push_tag`).
    pub tags_skipped: u64,
    /// PreviousTagSize fields that did not match (the tags were kept).
    pub prev_tag_size_mismatches: u64,
    /// Bytes of garbage dropped while resynchronising.
    pub bytes_discarded: u64,
    /// Bytes of an incomplete tag waiting for the rest.
    pub bytes_buffered: u64,
    /// The FLV byte stream was rejected: every later `push_flv` fails with
    /// this error, [`Error::FlvRejected`] (`push_tag` still works).
    pub rejected: Option<Error>,
    /// Why, when it was rejected.
    pub reject_reason: Option<FlvError>,
}

/// The single writer of a stream. See the [module docs](self).
pub struct Publisher {
    stream: Stream,
    id: u64,
    stats: PublisherStats,
    demuxer: Option<Demuxer>,
    /// Tags demuxed from one `push_flv` call, stored under one lock.
    batch: Vec<RawTag>,
    /// Waiters taken from the stream, fired after the lock is released
    /// (kept between pushes: no allocation per push).
    wake: Wakeups,
}

/// The result code of a demuxer error: a fatal one rejects the byte
/// stream ([`Error::FlvRejected`]), any other cost one tag
/// ([`Error::Flv`]).
fn flv_error(e: FlvError) -> Error {
    if e.is_fatal() {
        Error::FlvRejected
    } else {
        Error::Flv
    }
}

/// The result code of a tag that failed to classify.
fn tag_error(e: FlvError) -> Error {
    match e {
        FlvError::TooLarge => Error::TooLarge,
        _ => Error::Flv,
    }
}

impl Stream {
    /// Becomes the stream's publisher.
    ///
    /// Errors: [`Error::Busy`] while another publisher is active,
    /// [`Error::Closed`] once the stream was removed from its hub.
    pub fn publish(&self) -> Result<Publisher, Error> {
        let id = self.begin_publish()?;
        Ok(Publisher {
            stream: self.clone(),
            id,
            stats: PublisherStats::default(),
            demuxer: None,
            batch: Vec::new(),
            wake: Wakeups::default(),
        })
    }
}

impl Publisher {
    /// The stream this publisher feeds.
    pub fn stream(&self) -> &Stream {
        &self.stream
    }

    /// Pushes one tag; `data` is the tag body (FLV tag header excluded) and
    /// is copied once.
    ///
    /// Errors: [`Error::InvalidArg`] for a tag type other than 8, 9 or 18,
    /// [`Error::TooLarge`] over `max_tag_size`, [`Error::Flv`] for a body too
    /// short to classify, [`Error::Closed`] once this publisher was
    /// unpublished or the stream removed. On error nothing is stored and the
    /// stream and its players carry on.
    pub fn push_tag(&mut self, tag_type: u8, timestamp: u32, data: &[u8]) -> Result<(), Error> {
        // Checked before the copy, so an oversize tag costs nothing.
        self.check_size(data.len())?;
        self.push_checked(tag_type, timestamp, Bytes::copy_from_slice(data))
    }

    /// [`push_tag`](Self::push_tag) without the copy, for payloads already
    /// in a `Bytes`.
    pub fn push_bytes(&mut self, tag_type: u8, timestamp: u32, data: Bytes) -> Result<(), Error> {
        self.check_size(data.len())?;
        self.push_checked(tag_type, timestamp, data)
    }

    /// Classifies and stores one tag whose size was checked.
    fn push_checked(&mut self, tag_type: u8, timestamp: u32, data: Bytes) -> Result<(), Error> {
        let (data, info) = match classify(tag_type, data) {
            Ok(ok) => ok,
            Err(e) => {
                self.stats.tags_skipped += 1;
                return Err(match e {
                    FlvError::ReservedType => Error::InvalidArg,
                    other => tag_error(other),
                });
            }
        };
        let size = data.len() as u64;
        let tag = NewTag {
            tag_type,
            timestamp,
            data,
            info,
        };
        self.stream.push(self.id, &mut self.wake, Some(tag))?;
        self.stats.tags_in += 1;
        self.stats.bytes_in += size;
        Ok(())
    }

    /// Pushes a raw FLV byte stream (file header first), in any chunking:
    /// bytes of an incomplete tag are kept until the rest arrives, and every
    /// chunking of the same bytes stores the same tags.
    ///
    /// Bad input never ends the stream: whatever the result, the tags of
    /// this call that could be read are stored, and attached players keep
    /// receiving what is pushed next. Policy per case (details on
    /// [`flv::Demuxer`]):
    ///
    /// | Input | Result | Policy |
    /// |---|---|---|
    /// | signature other than `"FLV"` | [`Error::FlvRejected`] | byte stream rejected |
    /// | version other than 1 | [`Error::FlvRejected`] | byte stream rejected |
    /// | header DataOffset below 9 or above 9 + 65535 | [`Error::FlvRejected`] | byte stream rejected (one in between: the extra bytes are skipped) |
    /// | tag data size over `max_tag_size` | [`Error::FlvRejected`] | byte stream rejected, after storing the tags before it |
    /// | PreviousTagSize mismatch (still a size, header plausible) | [`Error::Flv`] | reported only: the tag is stored |
    /// | reserved tag type (not 8, 9, 18) | [`Error::Flv`] | that tag skipped |
    /// | filter (encryption) bit 0x20 set | [`Error::Flv`] | that tag skipped |
    /// | body too short to classify (e.g. AVC under 5 bytes, empty audio) | [`Error::Flv`] | that tag skipped |
    /// | garbage between tags (framing lost) | [`Error::Flv`] | garbage dropped, resynchronised on the next tag; garbage right after a PreviousTagSize also costs the tag after it |
    /// | truncated tag | `Ok(())` | buffered until the rest arrives |
    /// | a new file header after a tag (encoder restart) | `Ok(())` | byte stream restarted |
    ///
    /// So the result code alone tells a server what to do:
    /// [`Error::FlvRejected`] means the byte stream is dead (close the
    /// connection), [`Error::Flv`] that one tag was dropped and the rest
    /// stored (carry on; [`PublisherStats::tags_skipped`] counts them).
    ///
    /// A rejection is sticky: every later `push_flv` of this publisher
    /// returns [`Error::FlvRejected`] and stores nothing, while
    /// [`push_tag`](Self::push_tag) still works. A server should drop the
    /// connection; the publisher that replaces it starts a new byte stream.
    /// The other errors are returned by the call in which they are detected
    /// (with several in one call, the first); the next calls succeed again.
    /// [`Error::Closed`] once this publisher was unpublished or the stream
    /// removed (nothing is stored).
    pub fn push_flv(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let max = self.stream.config().max_tag_size;
        let demuxer = self.demuxer.get_or_insert_with(|| Demuxer::new(max));
        let batch = &mut self.batch;
        let demuxed = demuxer.feed(bytes, |tag| batch.push(tag));
        let mut first_error = demuxed.err().map(flv_error);
        if self.batch.is_empty() {
            // Nothing to store, but a closed stream says so at once (and
            // bytes of a tag still coming count as the publisher's activity).
            self.stream
                .push(self.id, &mut self.wake, std::iter::empty())?;
            return first_error.map_or(Ok(()), Err);
        }
        // Classified as the stream stores them, under its lock: the batch
        // costs one lock whatever its length.
        let stats = &mut self.stats;
        let first = &mut first_error;
        let tags = self
            .batch
            .drain(..)
            .filter_map(|tag| match classify(tag.tag_type, tag.data) {
                Ok((data, info)) => {
                    stats.tags_in += 1;
                    stats.bytes_in += data.len() as u64;
                    Some(NewTag {
                        tag_type: tag.tag_type,
                        timestamp: tag.timestamp,
                        data,
                        info,
                    })
                }
                Err(e) => {
                    stats.tags_skipped += 1;
                    first.get_or_insert(tag_error(e));
                    None
                }
            });
        let pushed = self.stream.push(self.id, &mut self.wake, tags);
        self.batch.clear();
        pushed?;
        first_error.map_or(Ok(()), Err)
    }

    /// Counters so far, and whether the FLV byte stream was rejected.
    pub fn stats(&self) -> PublisherStats {
        let mut s = self.stats;
        if let Some(d) = &self.demuxer {
            s.tags_skipped += d.tags_skipped();
            s.prev_tag_size_mismatches = d.prev_tag_size_mismatches();
            s.bytes_discarded = d.bytes_discarded();
            s.bytes_buffered = d.buffered() as u64;
            s.rejected = d.failed().map(flv_error);
            s.reject_reason = d.failed();
        }
        s
    }

    fn check_size(&mut self, len: usize) -> Result<(), Error> {
        if len > self.stream.config().max_tag_size as usize {
            self.stats.tags_skipped += 1;
            Err(Error::TooLarge)
        } else {
            Ok(())
        }
    }
}

/// Classifies a tag and strips a leading `@setDataFrame` from metadata.
fn classify(tag_type: u8, data: Bytes) -> Result<(Bytes, flv::TagInfo), FlvError> {
    let info = flv::classify(tag_type, &data)?;
    let data = if info.flags & flv::FLAG_METADATA != 0 {
        flv::strip_set_data_frame(&data).unwrap_or(data)
    } else {
        data
    };
    Ok((data, info))
}

impl Drop for Publisher {
    /// The unpublish: players wait `republish_wait_ms` for a new publisher,
    /// then see end of stream.
    fn drop(&mut self) {
        self.stream.unpublish(self.id, &mut self.wake);
    }
}

impl std::fmt::Debug for Publisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Publisher")
            .field("stream", &self.stream.key())
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}
