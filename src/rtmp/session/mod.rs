//! The server side of one RTMP connection, sans IO.
//!
//! [`ServerSession::feed`] consumes every byte received (handshake, then
//! chunks); what the session has to say is queued and handed out by
//! [`ServerSession::output`] as slices for `writev`, the count written
//! going back through [`ServerSession::consume`]. Publish and play
//! requests come out of [`ServerSession::next_event`] and are answered
//! whenever the server is ready ([`accept_publish`], [`accept_play`],
//! [`reject`]); the connection, the stream and the answer may come in any
//! order. A playing session's tags are moved from its livehub player into
//! the output by [`ServerSession::pump`], which the server calls when the
//! player's notifier fires (and after each write).
//!
//! [`accept_publish`]: ServerSession::accept_publish
//! [`accept_play`]: ServerSession::accept_play
//! [`reject`]: ServerSession::reject
//!
//! What the session owns: the handshake and chunk decoder state (bounded
//! by [`Limits`](super::Limits)), the output queue (at most
//! [`RtmpConfig::max_queued_tags`] media frames of 56 bytes each,
//! whose bodies are the stream's shared buffers, plus command replies),
//! the media a publish sent before its answer (bounded by
//! [`RtmpConfig::max_pending_messages`] and `max_pending_bytes`), and the
//! publisher or player the server handed it. Dropping the session
//! releases them: an unpublish, a player leaving.

use super::amf0;
use super::chunk::{self, Decoder, Message};
use super::command::{self, csid, msg, user, Encoding};
use super::error::RtmpError;
use super::handshake::Handshake;
use super::output::{Head, Output};
use crate::error::Error;
use crate::player::Player;
use crate::publisher::Publisher;
use std::collections::VecDeque;

mod commands;
mod types;

pub use types::{Event, Pump, Reject, Request, RequestId, RtmpConfig, SessionStats};

struct Playing {
    player: Player,
    stream_id: u32,
    enc: Encoding,
}

enum Role {
    Idle,
    PendingPublish(RequestId, Kept),
    Publishing(Box<Publisher>),
    PendingPlay(RequestId, Encoding),
    Playing(Box<Playing>),
}

/// Media received while a publish waits for its answer.
#[derive(Default)]
struct Kept {
    messages: Vec<Message>,
    bytes: usize,
}

struct NetStream {
    id: u32,
    role: Role,
}

/// One RTMP connection, server side. See the [module docs](self).
///
/// ```
/// use livehub::rtmp::{ServerSession, RtmpConfig, RtmpError};
/// let mut s = ServerSession::new(RtmpConfig::default());
/// // A client speaking another protocol (here: HTTP) is refused at once.
/// assert_eq!(s.feed(b"GET / HTTP/1.1\r\n"), Err(RtmpError::HandshakeVersion));
/// assert_eq!(s.feed(b"more"), Err(RtmpError::Closed));
/// ```
pub struct ServerSession {
    cfg: RtmpConfig,
    handshake: Option<Handshake>,
    dec: Decoder,
    out: Output,
    /// Our chunk size once announced.
    out_chunk: usize,
    error: Option<RtmpError>,
    connected: bool,
    app: String,
    app_query: String,
    streams: Vec<NetStream>,
    next_stream_id: u32,
    events: VecDeque<Event>,
    next_request: RequestId,
    /// Our acknowledgement window (the client's Window Ack Size), 0: none.
    ack_window: u32,
    acked_at: u64,
    stats: SessionStats,
}

impl ServerSession {
    /// A session waiting for C0.
    pub fn new(cfg: RtmpConfig) -> ServerSession {
        ServerSession {
            handshake: Some(Handshake::new(cfg.seed)),
            dec: Decoder::new(cfg.limits),
            out: Output::default(),
            out_chunk: chunk::DEFAULT_CHUNK_SIZE,
            error: None,
            connected: false,
            app: String::new(),
            app_query: String::new(),
            streams: Vec::new(),
            next_stream_id: 1,
            events: VecDeque::new(),
            next_request: 1,
            ack_window: 0,
            acked_at: 0,
            stats: SessionStats {
                peer_chunk_size: chunk::DEFAULT_CHUNK_SIZE as u32,
                ..SessionStats::default()
            },
            cfg,
        }
    }

    /// Consumes all of `input` (any split of the byte stream gives the
    /// same result), queueing replies and events. Errors: every
    /// [`RtmpError`] but `Stale`; the first one closes the session (its
    /// publisher and player are released, later calls get
    /// [`RtmpError::Closed`]) and the server should close the connection.
    pub fn feed(&mut self, mut input: &[u8]) -> Result<(), RtmpError> {
        if self.error.is_some() {
            return Err(RtmpError::Closed);
        }
        self.stats.bytes_in += input.len() as u64;
        let r = self.feed_inner(&mut input);
        self.out.seal();
        r.map_err(|e| self.fail(e))
    }

    fn fail(&mut self, e: RtmpError) -> RtmpError {
        self.error = Some(e);
        self.streams.clear();
        e
    }

    fn feed_inner(&mut self, input: &mut &[u8]) -> Result<(), RtmpError> {
        if let Some(hs) = self.handshake.as_mut() {
            if !hs.consume(input, self.out.raw())? {
                return Ok(());
            }
            self.handshake = None;
        }
        while let Some(m) = self.dec.next(input)? {
            self.stats.messages_in += 1;
            self.on_message(m)?;
        }
        if self.ack_window > 0 && self.stats.bytes_in - self.acked_at >= u64::from(self.ack_window)
        {
            self.acked_at = self.stats.bytes_in;
            let seq = (self.stats.bytes_in as u32).to_be_bytes();
            command::control(self.out.raw(), msg::ACK, &seq, self.out_chunk);
        }
        Ok(())
    }

    /// The error that closed the session, if any.
    pub fn error(&self) -> Option<RtmpError> {
        self.error
    }

    /// Closes the session: its publisher and player are released; later
    /// `feed` calls get [`RtmpError::Closed`]. Queued output stays.
    pub fn close(&mut self) {
        if self.error.is_none() {
            self.fail(RtmpError::Closed);
        }
    }

    /// Whether the handshake is over.
    pub fn is_handshake_done(&self) -> bool {
        self.handshake.is_none()
    }

    /// The next event, if any.
    pub fn next_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Bytes queued for writing.
    pub fn pending_output(&self) -> usize {
        self.out.len()
    }

    /// Up to `max` slices of the queued output, in order, passed to `f`
    /// (for `writev`). They stay valid until the next `&mut` call. Returns
    /// the slice count.
    pub fn output<'a>(&'a self, max: usize, mut f: impl FnMut(&'a [u8])) -> usize {
        self.out.slices(max, &mut f)
    }

    /// `n` bytes of the output were written; returns how many were queued
    /// (`n` capped at [`pending_output`](Self::pending_output)).
    pub fn consume(&mut self, n: usize) -> usize {
        let n = self.out.consume(n);
        self.stats.bytes_out += n as u64;
        n
    }

    /// Writes as much of the output as `w` takes in one vectored write
    /// (up to 64 slices). Convenience for blocking servers and tests.
    pub fn write_to(&mut self, w: &mut impl std::io::Write) -> std::io::Result<usize> {
        let mut slices = Vec::with_capacity(64);
        self.output(64, |s| slices.push(std::io::IoSlice::new(s)));
        if slices.is_empty() {
            return Ok(0);
        }
        let n = w.write_vectored(&slices)?;
        drop(slices);
        Ok(self.consume(n))
    }

    /// The player of the stream being played, to install its notifier.
    pub fn player(&self) -> Option<&Player> {
        self.streams.iter().find_map(|s| match &s.role {
            Role::Playing(p) => Some(&p.player),
            _ => None,
        })
    }

    /// The same, mutable (for [`Player::wait`] in blocking servers).
    pub fn player_mut(&mut self) -> Option<&mut Player> {
        self.streams.iter_mut().find_map(|s| match &mut s.role {
            Role::Playing(p) => Some(&mut p.player),
            _ => None,
        })
    }

    /// Whether a publisher is attached.
    pub fn is_publishing(&self) -> bool {
        self.streams
            .iter()
            .any(|s| matches!(s.role, Role::Publishing(_)))
    }

    /// Counters so far.
    pub fn stats(&self) -> SessionStats {
        self.stats
    }

    /// Answers publish request `id` with `publisher` (made by the server,
    /// usually `hub.stream(&req.key)?.publish()?`): the client gets
    /// `NetStream.Publish.Start` and its media goes to the publisher.
    /// Errors: [`RtmpError::Stale`] when the request is no longer pending
    /// (the publisher is dropped: unpublished at once),
    /// [`RtmpError::Closed`].
    pub fn accept_publish(&mut self, id: RequestId, publisher: Publisher) -> Result<(), RtmpError> {
        self.check_open()?;
        let chunk = self.out_chunk;
        let ns = self
            .streams
            .iter_mut()
            .find(|s| matches!(s.role, Role::PendingPublish(r, _) if r == id))
            .ok_or(RtmpError::Stale)?;
        let kept = match std::mem::replace(&mut ns.role, Role::Publishing(Box::new(publisher))) {
            Role::PendingPublish(_, kept) => kept,
            _ => Kept::default(),
        };
        let sid = ns.id;
        let out = self.out.raw();
        command::user_control(out, user::STREAM_BEGIN, sid, chunk);
        command::on_status(
            out,
            Encoding::Amf0,
            sid,
            chunk,
            "status",
            "NetStream.Publish.Start",
            "Start publishing",
        );
        for m in kept.messages {
            self.on_media(m);
        }
        self.out.seal();
        Ok(())
    }

    /// Answers play request `id` with `player` (made by the server,
    /// usually `hub.stream(&req.key)?.play(opts)?`): the client gets
    /// StreamBegin, `NetStream.Play.Reset` (when it asked for a reset),
    /// `NetStream.Play.Start` and `|RtmpSampleAccess`; [`pump`](Self::pump)
    /// then sends the player's tags. Errors: [`RtmpError::Stale`] (the
    /// player is dropped), [`RtmpError::Closed`].
    pub fn accept_play(&mut self, id: RequestId, player: Player) -> Result<(), RtmpError> {
        self.check_open()?;
        let chunk = self.out_chunk;
        let (ns, enc) = self
            .streams
            .iter_mut()
            .find_map(|s| {
                match s.role {
                    Role::PendingPlay(r, enc) if r == id => Some(enc),
                    _ => None,
                }
                .map(|e| (s, e))
            })
            .ok_or(RtmpError::Stale)?;
        let sid = ns.id;
        ns.role = Role::Playing(Box::new(Playing {
            player,
            stream_id: sid,
            enc,
        }));
        let out = self.out.raw();
        command::user_control(out, user::STREAM_BEGIN, sid, chunk);
        command::on_status(
            out,
            enc,
            sid,
            chunk,
            "status",
            "NetStream.Play.Reset",
            "Playing and resetting",
        );
        command::on_status(
            out,
            enc,
            sid,
            chunk,
            "status",
            "NetStream.Play.Start",
            "Start live",
        );
        let mut b = Vec::with_capacity(32);
        amf0::write_string(&mut b, "|RtmpSampleAccess");
        amf0::write_bool(&mut b, true);
        amf0::write_bool(&mut b, true);
        chunk::write_message(out, csid::STREAM, 0, msg::DATA_AMF0, sid, &b, chunk);
        self.out.seal();
        Ok(())
    }

    /// Refuses request `id` with the status `why` stands for. Errors:
    /// [`RtmpError::Stale`], [`RtmpError::Closed`].
    pub fn reject(&mut self, id: RequestId, why: Reject) -> Result<(), RtmpError> {
        self.check_open()?;
        let chunk = self.out_chunk;
        let ns = self
            .streams
            .iter_mut()
            .find(|s| match s.role {
                Role::PendingPublish(r, _) | Role::PendingPlay(r, _) => r == id,
                _ => false,
            })
            .ok_or(RtmpError::Stale)?;
        let (enc, code, desc) = match (&ns.role, why) {
            (Role::PendingPublish(..), Reject::Denied) => (
                Encoding::Amf0,
                "NetStream.Publish.Denied",
                "Publishing denied",
            ),
            (Role::PendingPublish(..), _) => (
                Encoding::Amf0,
                "NetStream.Publish.BadName",
                "Stream already publishing",
            ),
            (Role::PendingPlay(_, enc), Reject::NotFound) => {
                (*enc, "NetStream.Play.StreamNotFound", "No such stream")
            }
            (Role::PendingPlay(_, enc), _) => (*enc, "NetStream.Play.Failed", "Playing denied"),
            _ => return Err(RtmpError::Stale),
        };
        if let Role::PendingPublish(_, kept) = std::mem::replace(&mut ns.role, Role::Idle) {
            self.stats.media_dropped += kept.messages.len() as u64;
        }
        let sid = ns.id;
        command::on_status(self.out.raw(), enc, sid, chunk, "error", code, desc);
        self.out.seal();
        Ok(())
    }

    /// Moves the player's tags into the output, at most
    /// [`RtmpConfig::max_queued_tags`] media messages queued. Call it
    /// after accepting a play, when the player's notifier fires, and after
    /// writes freed room. Errors: [`RtmpError::Closed`].
    pub fn pump(&mut self) -> Result<Pump, RtmpError> {
        self.check_open()?;
        let max = self.cfg.max_queued_tags.max(1);
        let chunk = self.out_chunk as u32;
        let Some(ns) = self
            .streams
            .iter_mut()
            .find(|s| matches!(s.role, Role::Playing(_)))
        else {
            return Ok(Pump::Idle);
        };
        let Role::Playing(p) = &mut ns.role else {
            return Ok(Pump::Idle);
        };
        let mut head = Vec::with_capacity(18);
        loop {
            if self.out.media_frames() >= max {
                return Ok(Pump::Full);
            }
            match p.player.read_shared() {
                Ok(tag) => {
                    let cs = match tag.tag_type {
                        msg::AUDIO => csid::AUDIO,
                        msg::VIDEO => csid::VIDEO,
                        _ => csid::STREAM,
                    };
                    head.clear();
                    chunk::write_type0_header(
                        &mut head,
                        cs,
                        tag.timestamp,
                        tag.tag_type,
                        p.stream_id,
                        tag.data.len(),
                    );
                    self.out
                        .push_media(Head::new(&head), cs as u8, tag.data, chunk);
                    self.stats.tags_out += 1;
                }
                Err(Error::Again) => return Ok(Pump::Waiting),
                Err(_) => {
                    // Eof or Expired: the stream is over for this player.
                    let (sid, enc) = (p.stream_id, p.enc);
                    ns.role = Role::Idle;
                    let out = self.out.raw();
                    command::on_status(
                        out,
                        enc,
                        sid,
                        chunk as usize,
                        "status",
                        "NetStream.Play.UnpublishNotify",
                        "Stream ended",
                    );
                    command::user_control(out, user::STREAM_EOF, sid, chunk as usize);
                    self.out.seal();
                    return Ok(Pump::Ended);
                }
            }
        }
    }

    fn check_open(&self) -> Result<(), RtmpError> {
        match self.error {
            Some(_) => Err(RtmpError::Closed),
            None => Ok(()),
        }
    }

    fn on_message(&mut self, m: Message) -> Result<(), RtmpError> {
        let p = &m.payload[..];
        let be32 = |p: &[u8]| -> Result<u32, RtmpError> {
            p.get(..4)
                .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
                .ok_or(RtmpError::Malformed)
        };
        match m.type_id {
            msg::SET_CHUNK_SIZE => {
                let size = be32(p)?;
                self.dec.set_chunk_size(size)?;
                self.stats.peer_chunk_size = size;
            }
            msg::ABORT => self.dec.abort(be32(p)?),
            msg::ACK => self.stats.peer_acked = be32(p)?,
            msg::WINDOW_ACK_SIZE => self.ack_window = be32(p)?,
            msg::SET_PEER_BANDWIDTH => {
                be32(p)?;
            }
            msg::USER_CONTROL => {
                let ev = p.get(..2).ok_or(RtmpError::Malformed)?;
                if u16::from_be_bytes([ev[0], ev[1]]) == user::PING_REQUEST {
                    let t = be32(&p[2..])?;
                    let mut b = [0u8; 6];
                    b[..2].copy_from_slice(&user::PING_RESPONSE.to_be_bytes());
                    b[2..].copy_from_slice(&t.to_be_bytes());
                    command::control(self.out.raw(), msg::USER_CONTROL, &b, self.out_chunk);
                }
            }
            msg::COMMAND_AMF0 => self.on_command(&m, p, Encoding::Amf0)?,
            msg::COMMAND_AMF3 => match p.split_first() {
                Some((0, rest)) => self.on_command(&m, rest, Encoding::Amf3)?,
                _ => return Err(RtmpError::Malformed),
            },
            msg::AUDIO | msg::VIDEO | msg::DATA_AMF0 | msg::DATA_AMF3 | msg::AGGREGATE => {
                self.on_media(m)
            }
            // Shared objects and unknown types: ignored.
            _ => {}
        }
        Ok(())
    }

    fn on_media(&mut self, m: Message) {
        let role = self
            .streams
            .iter_mut()
            .find(|s| s.id == m.stream_id)
            .map(|s| &mut s.role);
        let publisher = match role {
            Some(Role::Publishing(p)) => p,
            Some(Role::PendingPublish(_, kept)) => {
                if kept.messages.len() >= self.cfg.max_pending_messages
                    || kept.bytes + m.payload.len() > self.cfg.max_pending_bytes
                {
                    self.stats.media_dropped += kept.messages.len() as u64;
                    *kept = Kept::default();
                }
                kept.bytes += m.payload.len();
                kept.messages.push(m);
                return;
            }
            _ => {
                self.stats.media_dropped += 1;
                return;
            }
        };
        let mut closed = false;
        let mut push =
            |t: u8, ts: u32, body: bytes::Bytes, stats: &mut SessionStats| match publisher
                .push_bytes(t, ts, body)
            {
                Ok(()) => stats.media_in += 1,
                Err(Error::Closed) => {
                    closed = true;
                    stats.media_dropped += 1
                }
                Err(_) => stats.media_dropped += 1,
            };
        match m.type_id {
            msg::DATA_AMF3 => {
                if m.payload.len() > 1 {
                    push(
                        msg::DATA_AMF0,
                        m.timestamp,
                        m.payload.slice(1..),
                        &mut self.stats,
                    );
                }
            }
            msg::AGGREGATE => {
                // FLV tags back to back: 11-byte header, body, 4-byte size;
                // timestamps relative to the first one's.
                let b = &m.payload;
                let mut pos = 0;
                let mut first = None;
                while pos + 11 <= b.len() {
                    let t = b[pos] & 0x1f;
                    let len = u32::from_be_bytes([0, b[pos + 1], b[pos + 2], b[pos + 3]]) as usize;
                    let ts = u32::from_be_bytes([b[pos + 7], b[pos + 4], b[pos + 5], b[pos + 6]]);
                    let end = pos + 11 + len;
                    if end > b.len() {
                        self.stats.media_dropped += 1;
                        break;
                    }
                    let base = *first.get_or_insert(ts);
                    let out_ts = m.timestamp.wrapping_add(ts.wrapping_sub(base));
                    push(t, out_ts, b.slice(pos + 11..end), &mut self.stats);
                    pos = end + 4;
                }
            }
            t => push(t, m.timestamp, m.payload, &mut self.stats),
        }
        if closed {
            // The stream was removed: this publish is over.
            let chunk = self.out_chunk;
            if let Some(ns) = self.streams.iter_mut().find(|s| s.id == m.stream_id) {
                ns.role = Role::Idle;
            }
            command::on_status(
                self.out.raw(),
                Encoding::Amf0,
                m.stream_id,
                chunk,
                "status",
                "NetStream.Unpublish.Success",
                "Stream closed",
            );
        }
    }
}

impl std::fmt::Debug for ServerSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerSession")
            .field("handshake_done", &self.is_handshake_done())
            .field("app", &self.app)
            .field("error", &self.error)
            .field("pending_output", &self.out.len())
            .finish_non_exhaustive()
    }
}
