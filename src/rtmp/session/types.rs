//! What a session tells its server and what the server tells it: the
//! settings, the publish/play requests and events, the answers, the pump
//! states and the counters.

use crate::rtmp::chunk::Limits;

/// Session settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtmpConfig {
    /// Decoder bounds (message size, chunk streams, buffered bytes).
    pub limits: Limits,
    /// The chunk size the session sends with (announced right after
    /// `connect`): 4096.
    pub chunk_size: u32,
    /// The Window Acknowledgement Size announced to the client: 2,500,000.
    pub window_ack_size: u32,
    /// The Set Peer Bandwidth announced to the client: 2,500,000.
    pub peer_bandwidth: u32,
    /// Most `createStream` streams at once: 8.
    pub max_streams: usize,
    /// Most media messages queued for output before [`pump`] stops
    /// taking tags from the player: 16 (56 bytes each, the bodies shared).
    ///
    /// [`pump`]: ServerSession::pump
    pub max_queued_tags: usize,
    /// Media messages kept while a publish request waits for its answer
    /// (delivered on accept, dropped on reject): at most this many…: 1024.
    pub max_pending_messages: usize,
    /// …and this many bytes: 4 MiB. Past either bound what was kept is
    /// dropped (and counted) and keeping starts over.
    pub max_pending_bytes: usize,
    /// Seed of the handshake's random bytes.
    pub seed: u64,
}

impl Default for RtmpConfig {
    fn default() -> Self {
        RtmpConfig {
            limits: Limits::default(),
            chunk_size: 4096,
            window_ack_size: 2_500_000,
            peer_bandwidth: 2_500_000,
            max_streams: 8,
            max_queued_tags: 16,
            max_pending_messages: 1024,
            max_pending_bytes: 4 << 20,
            seed: 0x5eed_1234_abcd,
        }
    }
}

/// Names a pending publish or play request.
pub type RequestId = u64;

/// A publish or play request, waiting for the server's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// What to pass to `accept_*` or `reject`.
    pub id: RequestId,
    /// The message stream the client made with `createStream`.
    pub stream_id: u32,
    /// The application from `connect` (`live` in `rtmp://host/live/cam1`),
    /// query string removed.
    pub app: String,
    /// The stream name from `publish`/`play`, query string removed.
    pub name: String,
    /// The livehub key: `app/name` (`live/cam1`, the stream HTTP-FLV serves
    /// as `/live/cam1.flv`).
    pub key: String,
    /// The query string (after `?`, without it) of the stream name, or if
    /// it has none, of the app; empty when neither has one.
    pub query: String,
    /// `publish`: the type (`live`, `record`, `append`); `play`: empty.
    pub publish_type: String,
    /// `play`: start (-2 live or recorded, -1 live, ≥ 0 recorded from
    /// there), as sent (default -2). livehub streams are live: any start
    /// plays the live stream.
    pub start: f64,
    /// `play`: duration as sent (default -1).
    pub duration: f64,
    /// `play`: reset as sent (default true).
    pub reset: bool,
}

/// What the server learns from a session.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// `connect` was answered with success (informational).
    Connect {
        /// The application, query removed.
        app: String,
        /// The tcUrl as sent, if any.
        tc_url: Option<String>,
    },
    /// A publish request: answer with `accept_publish` or `reject`.
    Publish(Request),
    /// A play request: answer with `accept_play` or `reject`.
    Play(Request),
    /// A pending request went away (deleteStream or closeStream before the
    /// answer); answering it now gets [`RtmpError::Stale`].
    Cancelled(RequestId),
}

/// Why the server refuses a request; each is answered with the status
/// clients expect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reject {
    /// The stream has a publisher (publish: `NetStream.Publish.BadName`).
    Busy,
    /// No such stream (play: `NetStream.Play.StreamNotFound`).
    NotFound,
    /// Not allowed (publish: `NetStream.Publish.Denied`, play:
    /// `NetStream.Play.Failed`).
    Denied,
}

/// What [`ServerSession::pump`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pump {
    /// Nothing is playing.
    Idle,
    /// The player is at the live edge: its notifier is armed.
    Waiting,
    /// The output queue is full: write, then pump again.
    Full,
    /// The stream ended for this player (UnpublishNotify and StreamEOF
    /// are queued); the player was released.
    Ended,
}

/// Counters of one session.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionStats {
    /// Bytes fed in.
    pub bytes_in: u64,
    /// Bytes reported written.
    pub bytes_out: u64,
    /// Messages received.
    pub messages_in: u64,
    /// Media messages pushed to the publisher.
    pub media_in: u64,
    /// Media messages dropped: not publishing (yet), or refused by the
    /// stream (bad tag).
    pub media_dropped: u64,
    /// Tags queued for the player.
    pub tags_out: u64,
    /// The last Acknowledgement sequence number the client sent.
    pub peer_acked: u32,
    /// The client's chunk size.
    pub peer_chunk_size: u32,
}
