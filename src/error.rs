//! The outcomes of core operations that are not plain success.

use std::fmt;

/// Why a core operation did not simply succeed.
///
/// `Again`, `Eof` and `Timeout` are ordinary states of a live stream, not
/// failures; they share this type so that each maps onto exactly one C result
/// code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Error {
    /// Nothing to read yet; a notification is armed.
    Again,
    /// The stream ended for this player (removed, or the republish wait ran out).
    Eof,
    /// `wait` ran out of time.
    Timeout,
    /// An argument is out of range (empty or over-long key, unknown tag type…).
    InvalidArg,
    /// The stream already has a publisher.
    Busy,
    /// No stream under that key.
    NotFound,
    /// The stream was removed, or this publisher was unpublished.
    Closed,
    /// Malformed FLV data: from `push_flv`, one tag was dropped and the
    /// rest of the chunk stored (carry on).
    Flv,
    /// A tag larger than `max_tag_size`.
    TooLarge,
    /// The caller's buffer or iovec array is too small.
    Buffer,
    /// The player stopped reading for longer than `player_idle_timeout_ms`.
    Expired,
    /// `push_flv`: the FLV byte stream is rejected for good (bad
    /// signature, version or header size, or a tag over `max_tag_size`);
    /// every later `push_flv` of that publisher returns it.
    FlvRejected,
}

impl Error {
    /// A short, stable, human-readable description.
    pub fn as_str(self) -> &'static str {
        match self {
            Error::Again => "no data yet, try again",
            Error::Eof => "end of stream",
            Error::Timeout => "timed out",
            Error::InvalidArg => "invalid argument",
            Error::Busy => "stream already has a publisher",
            Error::NotFound => "stream not found",
            Error::Closed => "stream or publisher closed",
            Error::Flv => "malformed FLV data",
            Error::TooLarge => "tag larger than max_tag_size",
            Error::Buffer => "buffer too small",
            Error::Expired => "player expired after not reading",
            Error::FlvRejected => "FLV byte stream rejected",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::error::Error for Error {}
