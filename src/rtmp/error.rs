//! Why an RTMP session ended, or why a call on it was refused.

use std::fmt;

/// A session error. Every variant of input (`HandshakeVersion` to
/// `Closed`) ends the session for good: the server closes that
/// connection, and nothing else is affected (the stream and its other
/// players carry on). The numeric values (`code()`) are stable and are
/// the C API's `LIVEHUB_RTMP_ERR_*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RtmpError {
    /// C0 is not 3 (6, encrypted RTMPE, included).
    HandshakeVersion,
    /// A Set Chunk Size of 0 or with the top bit set.
    BadChunkSize,
    /// A message longer than `max_message_size`, or more partial message
    /// bytes buffered than the session allows.
    MessageTooLarge,
    /// A chunk header of type 1, 2 or 3 on a chunk stream that never had a
    /// type 0 header, or more chunk streams open than the session allows.
    UnknownChunkStream,
    /// A command (or protocol control message) that cannot be decoded:
    /// malformed AMF0, a control message of the wrong size.
    Malformed,
    /// A command out of order: anything before `connect`, a second
    /// `connect`, `publish`/`play` on a stream id `createStream` did not
    /// give, a second publish or play on one stream id, too many streams.
    OutOfOrder,
    /// The session was closed (by an earlier error or by [`close`]); it
    /// takes no more input.
    ///
    /// [`close`]: super::ServerSession::close
    Closed,
    /// `accept_*`/`reject` for a request that is no longer pending (the
    /// client deleted the stream or closed meanwhile, or it was already
    /// answered). The session carries on.
    Stale,
}

impl RtmpError {
    /// The stable numeric code (the C API's `LIVEHUB_RTMP_ERR_*`).
    pub fn code(self) -> u32 {
        match self {
            RtmpError::HandshakeVersion => 1,
            RtmpError::BadChunkSize => 2,
            RtmpError::MessageTooLarge => 3,
            RtmpError::UnknownChunkStream => 4,
            RtmpError::Malformed => 5,
            RtmpError::OutOfOrder => 6,
            RtmpError::Closed => 7,
            RtmpError::Stale => 8,
        }
    }

    /// A short, stable description.
    pub fn as_str(self) -> &'static str {
        match self {
            RtmpError::HandshakeVersion => "rtmp: unsupported handshake version",
            RtmpError::BadChunkSize => "rtmp: invalid chunk size",
            RtmpError::MessageTooLarge => "rtmp: message over the size limit",
            RtmpError::UnknownChunkStream => "rtmp: unknown chunk stream",
            RtmpError::Malformed => "rtmp: malformed command or control message",
            RtmpError::OutOfOrder => "rtmp: command out of order",
            RtmpError::Closed => "rtmp: session closed",
            RtmpError::Stale => "rtmp: request no longer pending",
        }
    }
}

impl fmt::Display for RtmpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::error::Error for RtmpError {}
