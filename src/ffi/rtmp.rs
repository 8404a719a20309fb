//! `livehub_rtmp_session`: one RTMP connection, server side, sans IO
//! (the C face of [`crate::rtmp::ServerSession`]).

use super::handle::{
    check_non_null, free_box, mut_or_null, take_box, to_box_ptr, try_mut, write_out, Castable,
    OwnershipBox,
};
use super::player::livehub_player;
use super::publisher::livehub_publisher;
use super::result::{
    livehub_result, LIVEHUB_AGAIN, LIVEHUB_ERR_CLOSED, LIVEHUB_ERR_INVALID_ARG,
    LIVEHUB_ERR_NOT_FOUND, LIVEHUB_ERR_NULL, LIVEHUB_ERR_RTMP, LIVEHUB_OK,
};
use super::tag::livehub_iovec;
use crate::rtmp::{Event, Limits, Pump, Reject, RtmpConfig, RtmpError, ServerSession};
use std::ffi::{c_char, CString};

/// `livehub_rtmp_session_error()`: no error.
pub const LIVEHUB_RTMP_OK: u32 = 0;
/// C0 was not 3 (6, encrypted RTMPE, included): not an RTMP client.
pub const LIVEHUB_RTMP_ERR_HANDSHAKE_VERSION: u32 = 1;
/// A Set Chunk Size of 0 or over 2^31 - 1.
pub const LIVEHUB_RTMP_ERR_BAD_CHUNK_SIZE: u32 = 2;
/// A message over `max_message_size`, or more partial-message bytes
/// buffered than the session allows.
pub const LIVEHUB_RTMP_ERR_MESSAGE_TOO_LARGE: u32 = 3;
/// A chunk header referring to a chunk stream that never had a full
/// header, or too many chunk streams.
pub const LIVEHUB_RTMP_ERR_UNKNOWN_CHUNK_STREAM: u32 = 4;
/// Malformed AMF0 in a command, or a control message of the wrong size.
pub const LIVEHUB_RTMP_ERR_MALFORMED: u32 = 5;
/// A command out of order (anything before connect, a second connect,
/// publish/play on a stream id createStream did not give, a second
/// publish or play on one stream id, too many streams).
pub const LIVEHUB_RTMP_ERR_OUT_OF_ORDER: u32 = 6;
/// The session was closed by `livehub_rtmp_session_close()`.
pub const LIVEHUB_RTMP_ERR_CLOSED: u32 = 7;

/// Event kind: `connect` was answered (informational; `app`, `tc_url`).
pub const LIVEHUB_RTMP_EVENT_CONNECT: u32 = 1;
/// Event kind: a publish request; answer with
/// `livehub_rtmp_session_accept_publish()` or `_reject()`.
pub const LIVEHUB_RTMP_EVENT_PUBLISH: u32 = 2;
/// Event kind: a play request; answer with
/// `livehub_rtmp_session_accept_play()` or `_reject()`.
pub const LIVEHUB_RTMP_EVENT_PLAY: u32 = 3;
/// Event kind: a pending request went away (the client deleted or closed
/// its stream); answering it now gives LIVEHUB_ERR_NOT_FOUND.
pub const LIVEHUB_RTMP_EVENT_CANCELLED: u32 = 4;

/// Refusal: the stream has a publisher (publish: NetStream.Publish.BadName).
pub const LIVEHUB_RTMP_REJECT_BUSY: u32 = 1;
/// Refusal: no such stream (play: NetStream.Play.StreamNotFound).
pub const LIVEHUB_RTMP_REJECT_NOT_FOUND: u32 = 2;
/// Refusal: not allowed (NetStream.Publish.Denied / NetStream.Play.Failed).
pub const LIVEHUB_RTMP_REJECT_DENIED: u32 = 3;

/// `livehub_rtmp_session_pump()`: nothing is playing.
pub const LIVEHUB_RTMP_PUMP_IDLE: u32 = 0;
/// `livehub_rtmp_session_pump()`: the player is at the live edge; its
/// notify callback is armed.
pub const LIVEHUB_RTMP_PUMP_WAITING: u32 = 1;
/// `livehub_rtmp_session_pump()`: the output queue is full; write, then
/// pump again.
pub const LIVEHUB_RTMP_PUMP_FULL: u32 = 2;
/// `livehub_rtmp_session_pump()`: the stream ended for this player (the
/// client was told); the player was released.
pub const LIVEHUB_RTMP_PUMP_ENDED: u32 = 3;

/// Settings of an RTMP session, read by `livehub_rtmp_session_new()`.
///
/// Fill it with `livehub_rtmp_config_init()` first, then change what you
/// need. Only read during the call.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct livehub_rtmp_config {
    /// Size of this struct as the caller knows it; set by
    /// `livehub_rtmp_config_init()`.
    pub struct_size: u32,
    /// The chunk size the session sends with, 128..16777215. Default 4096.
    pub chunk_size: u32,
    /// The Window Acknowledgement Size announced. Default 2500000.
    pub window_ack_size: u32,
    /// The Set Peer Bandwidth announced. Default 2500000.
    pub peer_bandwidth: u32,
    /// Longest message accepted, at most 16777215. Default 16777215.
    pub max_message_size: u32,
    /// Most media messages queued for output (56 bytes each; the payloads
    /// are the stream's, shared). Default 16.
    pub max_queued_tags: u32,
    /// Most bytes of media kept while a publish waits for its answer.
    /// Default 4194304.
    pub max_pending_bytes: u32,
}

/// One RTMP connection, server side, from `livehub_rtmp_session_new()`:
/// the server feeds it the bytes it receives, writes the bytes it hands
/// out, and answers its events.
///
/// Ownership: single owner, until `livehub_rtmp_session_release()`, which
/// also releases the publisher or player it was given (an unpublish, a
/// player leaving).
///
/// Threads: one thread at a time: calls may move between threads but must
/// not overlap.
pub struct livehub_rtmp_session {
    _private: [u8; 0],
}

/// What a `livehub_rtmp_session` points at: the session and the strings
/// of the last event handed out.
pub(crate) struct SessionBox {
    session: ServerSession,
    strings: [CString; 6],
}

impl Castable for livehub_rtmp_session {
    type Ownership = OwnershipBox;
    type RustType = SessionBox;
}

/// One event from `livehub_rtmp_session_next_event()`. The strings are
/// never NULL ("" when absent) and belong to the session: valid until the
/// next `livehub_rtmp_session_next_event()` or the release.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct livehub_rtmp_event {
    /// LIVEHUB_RTMP_EVENT_CONNECT, _PUBLISH, _PLAY or _CANCELLED.
    pub kind: u32,
    /// PUBLISH/PLAY: the message stream id the client created.
    pub stream_id: u32,
    /// PUBLISH/PLAY/CANCELLED: what to pass to accept or reject.
    pub request_id: u64,
    /// The livehub key, `app/name` ("live/cam1" for
    /// rtmp://host/live/cam1: the stream HTTP-FLV serves as
    /// /live/cam1.flv).
    pub key: *const c_char,
    /// The application from connect, query removed.
    pub app: *const c_char,
    /// The stream name, query removed.
    pub name: *const c_char,
    /// The query string (without '?') of the stream name, or of the app
    /// when the name has none (tokens for an auth hook).
    pub query: *const c_char,
    /// PUBLISH: "live", "record" or "append"; CONNECT: the tcUrl.
    pub detail: *const c_char,
    /// PLAY: start as sent (-2 live or recorded, -1 live, >= 0 from
    /// there; livehub streams are live: every start plays the live edge).
    pub start: f64,
    /// PLAY: duration as sent (-1 when absent).
    pub duration: f64,
    /// PLAY: reset as sent (1 when absent).
    pub reset: u32,
}

/// Borrows the session behind a required `const` session argument, or
/// returns `LIVEHUB_ERR_NULL` from the enclosing function. A session is
/// single-owner and used by one thread at a time, so no other reference
/// to it exists during the call; the borrow is only ever read.
macro_rules! session_or_null {
    ($ptr:expr) => {{
        // SAFETY: every exported function documents that its session
        // argument is NULL or a live session used by one thread at a time.
        match unsafe { try_mut($ptr.cast_mut()) } {
            Some(b) => &*b,
            None => return LIVEHUB_ERR_NULL,
        }
    }};
}

fn rtmp_config_defaults() -> livehub_rtmp_config {
    let d = RtmpConfig::default();
    livehub_rtmp_config {
        struct_size: size_of::<livehub_rtmp_config>() as u32,
        chunk_size: d.chunk_size,
        window_ack_size: d.window_ack_size,
        peer_bandwidth: d.peer_bandwidth,
        max_message_size: d.limits.max_message_size as u32,
        max_queued_tags: d.max_queued_tags as u32,
        max_pending_bytes: d.max_pending_bytes as u32,
    }
}

/// Fills `cfg` with the defaults and sets `struct_size`.
///
/// Ownership: `cfg` is the caller's; written, not kept.
///
/// Threads: any, concurrently.
///
/// Returns nothing; a NULL `cfg` is ignored.
#[no_mangle]
pub extern "C" fn livehub_rtmp_config_init(cfg: *mut livehub_rtmp_config) {
    ffi_panic_boundary! {
        if !cfg.is_null() {
            // SAFETY: the caller passes NULL or a pointer valid for writing
            // one `livehub_rtmp_config`.
            unsafe { write_out(cfg, rtmp_config_defaults()) };
        }
    }
}

/// Makes a session waiting for the client's handshake.
///
/// Ownership: `cfg` is read during the call only (NULL: the defaults);
/// `*session_out` is the caller's, to release with
/// `livehub_rtmp_session_release()`.
///
/// Threads: any, concurrently.
///
/// Returns LIVEHUB_OK; LIVEHUB_ERR_NULL if `session_out` is NULL;
/// LIVEHUB_ERR_INVALID_ARG if `cfg->struct_size` is below this version's
/// struct (not initialised with `livehub_rtmp_config_init()`), or a
/// `chunk_size` outside 128..16777215, a `max_message_size` over 16777215,
/// a `max_queued_tags` of 0; LIVEHUB_ERR_PANIC.
#[no_mangle]
pub extern "C" fn livehub_rtmp_session_new(
    cfg: *const livehub_rtmp_config,
    session_out: *mut *mut livehub_rtmp_session,
) -> livehub_result {
    ffi_panic_boundary! {
        check_non_null!(session_out);
        let mut c = rtmp_config_defaults();
        if !cfg.is_null() {
            // SAFETY: non-NULL and aligned: readable for at least the 4
            // bytes of `struct_size`, the first field (contract).
            let size = unsafe { cfg.cast::<u32>().read() } as usize;
            if size < size_of::<livehub_rtmp_config>() {
                return LIVEHUB_ERR_INVALID_ARG;
            }
            // SAFETY: `struct_size` says the caller's struct holds every
            // field of this version; all bit patterns are valid u32s.
            c = unsafe { cfg.read() };
        }
        if !(128..=0xFF_FFFF).contains(&c.chunk_size) || c.max_message_size > 0xFF_FFFF || c.max_queued_tags == 0 {
            return LIVEHUB_ERR_INVALID_ARG;
        }
        let d = RtmpConfig::default();
        let cfg = RtmpConfig {
            limits: Limits {
                max_message_size: c.max_message_size as usize,
                max_buffered: c.max_message_size as usize + (1 << 20),
                ..d.limits
            },
            chunk_size: c.chunk_size,
            window_ack_size: c.window_ack_size,
            peer_bandwidth: c.peer_bandwidth,
            max_queued_tags: c.max_queued_tags as usize,
            max_pending_bytes: c.max_pending_bytes as usize,
            seed: session_out as usize as u64 ^ d.seed,
            ..d
        };
        let boxed = SessionBox {
            session: ServerSession::new(cfg),
            strings: Default::default(),
        };
        // SAFETY: checked non-NULL above; the caller passes a writable
        // pointer.
        unsafe { write_out(session_out, to_box_ptr::<livehub_rtmp_session>(boxed)) };
        LIVEHUB_OK
    }
}

/// Releases the session and the publisher or player it holds (an
/// unpublish, a player leaving); pending requests are dropped.
///
/// Ownership: consumes `s`.
///
/// Threads: the session's thread (not overlapping another call on it).
///
/// Returns nothing; NULL is a no-op.
#[no_mangle]
pub extern "C" fn livehub_rtmp_session_release(s: *mut livehub_rtmp_session) {
    ffi_panic_boundary! {
        // SAFETY: `s` is NULL or a live session given up by the caller.
        unsafe { free_box(s) }
    }
}

/// Feeds the bytes received from the client, `bytes[0..size]`: every
/// byte is consumed (any split of the byte stream gives the same result);
/// replies are queued for `livehub_rtmp_session_output()`, requests for
/// `livehub_rtmp_session_next_event()`. Media of an accepted publish goes
/// to its publisher (waiting players are notified from inside this call).
///
/// Ownership: `s` and `bytes` are borrowed for the call.
///
/// Threads: the session's thread.
///
/// Returns LIVEHUB_OK; LIVEHUB_ERR_NULL if `s` is NULL, or `bytes` is NULL
/// with `size` > 0; LIVEHUB_ERR_RTMP for bad input (the reason:
/// `livehub_rtmp_session_error()`): the session is closed, its publisher
/// and player released, close the connection (the stream and its other
/// players carry on); LIVEHUB_ERR_CLOSED if the session was closed before;
/// LIVEHUB_ERR_PANIC.
#[no_mangle]
pub extern "C" fn livehub_rtmp_session_feed(
    s: *mut livehub_rtmp_session,
    bytes: *const u8,
    size: usize,
) -> livehub_result {
    ffi_panic_boundary! {
        if s.is_null() || (bytes.is_null() && size > 0) {
            return LIVEHUB_ERR_NULL;
        }
        let input: &[u8] = if size == 0 {
            &[]
        } else {
            if size > isize::MAX as usize {
                return LIVEHUB_ERR_INVALID_ARG;
            }
            // SAFETY: non-NULL, `size` readable bytes unchanged during the
            // call (contract), within isize::MAX.
            unsafe { std::slice::from_raw_parts(bytes, size) }
        };
        let b: &mut SessionBox = mut_or_null!(s);
        match b.session.feed(input) {
            Ok(()) => LIVEHUB_OK,
            Err(RtmpError::Closed) => LIVEHUB_ERR_CLOSED,
            Err(_) => LIVEHUB_ERR_RTMP,
        }
    }
}

/// Why the session was closed: writes a LIVEHUB_RTMP_ERR_* code, or
/// LIVEHUB_RTMP_OK (0) while it is open, to `*code_out`.
///
/// Ownership: `s` is borrowed.
///
/// Threads: the session's thread.
///
/// Returns LIVEHUB_OK; LIVEHUB_ERR_NULL if `s` or `code_out` is NULL;
/// LIVEHUB_ERR_PANIC.
#[no_mangle]
pub extern "C" fn livehub_rtmp_session_error(
    s: *const livehub_rtmp_session,
    code_out: *mut u32,
) -> livehub_result {
    ffi_panic_boundary! {
        check_non_null!(code_out);
        let b: &SessionBox = session_or_null!(s);
        let code = b.session.error().map_or(LIVEHUB_RTMP_OK, RtmpError::code);
        // SAFETY: checked non-NULL; the caller passes a writable pointer.
        unsafe { write_out(code_out, code) };
        LIVEHUB_OK
    }
}

/// Closes the session: its publisher and player are released, pending
/// requests dropped; later feeds return LIVEHUB_ERR_CLOSED. Output already
/// queued stays available.
///
/// Ownership: `s` is borrowed.
///
/// Threads: the session's thread.
///
/// Returns LIVEHUB_OK; LIVEHUB_ERR_NULL if `s` is NULL; LIVEHUB_ERR_PANIC.
#[no_mangle]
pub extern "C" fn livehub_rtmp_session_close(s: *mut livehub_rtmp_session) -> livehub_result {
    ffi_panic_boundary! {
        let b: &mut SessionBox = mut_or_null!(s);
        b.session.close();
        LIVEHUB_OK
    }
}

/// Hands out the bytes to send, as up to `iov_cap` iovecs for `writev()`
/// (media payloads point straight at the stream's shared tag bodies: no
/// copy per player). Then report what was written with
/// `livehub_rtmp_session_consume()`.
///
/// Ownership: `s` is borrowed; the iovecs point into memory the session
/// keeps until the next call on it other than
/// `livehub_rtmp_session_output()`, `_pending()` or `_error()`: never
/// write through them or free them.
///
/// Threads: the session's thread.
///
/// Returns LIVEHUB_OK with `*iov_count_out` set (0: nothing to send);
/// LIVEHUB_ERR_NULL if `s`, `iov` or `iov_count_out` is NULL;
/// LIVEHUB_ERR_INVALID_ARG if `iov_cap` is 0; LIVEHUB_ERR_PANIC.
#[no_mangle]
pub extern "C" fn livehub_rtmp_session_output(
    s: *const livehub_rtmp_session,
    iov: *mut livehub_iovec,
    iov_cap: usize,
    iov_count_out: *mut usize,
) -> livehub_result {
    ffi_panic_boundary! {
        check_non_null!(iov, iov_count_out);
        if iov_cap == 0 {
            return LIVEHUB_ERR_INVALID_ARG;
        }
        let b: &SessionBox = session_or_null!(s);
        let mut n = 0;
        b.session.output(iov_cap, |slice| {
            // SAFETY: `iov` is valid for `iov_cap` writes (contract) and
            // `output` hands out at most `iov_cap` slices.
            unsafe { iov.add(n).write(livehub_iovec::from_slice(slice)) };
            n += 1;
        });
        // SAFETY: checked non-NULL; the caller passes a writable pointer.
        unsafe { write_out(iov_count_out, n) };
        LIVEHUB_OK
    }
}

/// Writes the number of bytes queued for sending (what
/// `livehub_rtmp_session_output()` would hand out with iovecs enough) to
/// `*bytes_out`.
///
/// Ownership: `s` is borrowed.
///
/// Threads: the session's thread.
///
/// Returns LIVEHUB_OK; LIVEHUB_ERR_NULL if `s` or `bytes_out` is NULL;
/// LIVEHUB_ERR_PANIC.
#[no_mangle]
pub extern "C" fn livehub_rtmp_session_pending(
    s: *const livehub_rtmp_session,
    bytes_out: *mut usize,
) -> livehub_result {
    ffi_panic_boundary! {
        check_non_null!(bytes_out);
        let b: &SessionBox = session_or_null!(s);
        // SAFETY: checked non-NULL; the caller passes a writable pointer.
        unsafe { write_out(bytes_out, b.session.pending_output()) };
        LIVEHUB_OK
    }
}

/// Reports that the first `n` bytes handed out by
/// `livehub_rtmp_session_output()` were written (what `writev()`
/// returned). The iovecs handed out before are invalid after this call.
///
/// Ownership: `s` is borrowed.
///
/// Threads: the session's thread.
///
/// Returns LIVEHUB_OK; LIVEHUB_ERR_NULL if `s` is NULL;
/// LIVEHUB_ERR_INVALID_ARG if `n` exceeds the bytes pending
/// (`livehub_rtmp_session_pending()`)
/// (nothing is consumed); LIVEHUB_ERR_PANIC.
#[no_mangle]
pub extern "C" fn livehub_rtmp_session_consume(
    s: *mut livehub_rtmp_session,
    n: usize,
) -> livehub_result {
    ffi_panic_boundary! {
        let b: &mut SessionBox = mut_or_null!(s);
        if n > b.session.pending_output() {
            return LIVEHUB_ERR_INVALID_ARG;
        }
        b.session.consume(n);
        LIVEHUB_OK
    }
}

fn cstring(s: &str) -> CString {
    CString::new(s.replace('\0', "")).unwrap_or_default()
}

/// Takes the next event, if any, into `*event_out`.
///
/// Ownership: `s` is borrowed; the strings of `*event_out` belong to the
/// session, valid until the next call of this function or the release.
///
/// Threads: the session's thread.
///
/// Returns LIVEHUB_OK (an event was written); LIVEHUB_AGAIN (none
/// pending); LIVEHUB_ERR_NULL if `s` or `event_out` is NULL;
/// LIVEHUB_ERR_PANIC.
#[no_mangle]
pub extern "C" fn livehub_rtmp_session_next_event(
    s: *mut livehub_rtmp_session,
    event_out: *mut livehub_rtmp_event,
) -> livehub_result {
    ffi_panic_boundary! {
        check_non_null!(event_out);
        let b: &mut SessionBox = mut_or_null!(s);
        let Some(ev) = b.session.next_event() else {
            return LIVEHUB_AGAIN;
        };
        let (kind, req, detail, id) = match &ev {
            Event::Connect { app, tc_url } => {
                (LIVEHUB_RTMP_EVENT_CONNECT, None, (app.as_str(), tc_url.as_deref().unwrap_or("")), 0)
            }
            Event::Publish(r) => (LIVEHUB_RTMP_EVENT_PUBLISH, Some(r), (r.app.as_str(), r.publish_type.as_str()), r.id),
            Event::Play(r) => (LIVEHUB_RTMP_EVENT_PLAY, Some(r), (r.app.as_str(), ""), r.id),
            Event::Cancelled(id) => (LIVEHUB_RTMP_EVENT_CANCELLED, None, ("", ""), *id),
        };
        b.strings = [
            cstring(req.map_or("", |r| r.key.as_str())),
            cstring(detail.0),
            cstring(req.map_or("", |r| r.name.as_str())),
            cstring(req.map_or("", |r| r.query.as_str())),
            cstring(detail.1),
            CString::default(),
        ];
        let event = livehub_rtmp_event {
            kind,
            stream_id: req.map_or(0, |r| r.stream_id),
            request_id: id,
            key: b.strings[0].as_ptr(),
            app: b.strings[1].as_ptr(),
            name: b.strings[2].as_ptr(),
            query: b.strings[3].as_ptr(),
            detail: b.strings[4].as_ptr(),
            start: req.map_or(-2.0, |r| r.start),
            duration: req.map_or(-1.0, |r| r.duration),
            reset: u32::from(req.map_or(true, |r| r.reset)),
        };
        // SAFETY: checked non-NULL; the caller passes a writable pointer.
        unsafe { write_out(event_out, event) };
        LIVEHUB_OK
    }
}

fn answer_code(r: Result<(), RtmpError>) -> livehub_result {
    match r {
        Ok(()) => LIVEHUB_OK,
        Err(RtmpError::Stale) => LIVEHUB_ERR_NOT_FOUND,
        Err(_) => LIVEHUB_ERR_CLOSED,
    }
}

/// Answers publish request `request_id` with `pub` (usually from
/// `livehub_stream_publish()` on the event's key): the client gets
/// NetStream.Publish.Start; the media it sent meanwhile and everything
/// after goes to `pub`.
///
/// Ownership: consumes `pub` on every return but LIVEHUB_ERR_NULL (on a
/// failure it is released: an immediate unpublish); `s` is borrowed.
///
/// Threads: the session's thread.
///
/// Returns LIVEHUB_OK; LIVEHUB_ERR_NULL if `s` or `pub` is NULL (nothing
/// consumed); LIVEHUB_ERR_NOT_FOUND if the request is no longer pending
/// (cancelled, already answered, never made); LIVEHUB_ERR_CLOSED if the
/// session is closed; LIVEHUB_ERR_PANIC.
#[no_mangle]
pub extern "C" fn livehub_rtmp_session_accept_publish(
    s: *mut livehub_rtmp_session,
    request_id: u64,
    r#pub: *mut livehub_publisher,
) -> livehub_result {
    ffi_panic_boundary! {
        check_non_null!(s, r#pub);
        // SAFETY: `pub` is a live publisher the caller gives up (contract).
        let Some(publisher) = (unsafe { take_box(r#pub) }) else {
            return LIVEHUB_ERR_NULL;
        };
        let b: &mut SessionBox = mut_or_null!(s);
        answer_code(b.session.accept_publish(request_id, *publisher))
    }
}

/// Answers play request `request_id` with `pl` (usually from
/// `livehub_stream_play()` on the event's key, its notify callback set
/// first): the client gets StreamBegin, NetStream.Play.Reset and .Start;
/// then call `livehub_rtmp_session_pump()`.
///
/// Ownership: consumes `pl` on every return but LIVEHUB_ERR_NULL (on a
/// failure it is released); `s` is borrowed. The notify registration of
/// `pl` moves with it: the callback keeps being called (then call
/// `livehub_rtmp_session_pump()`) until the session releases the player,
/// and must not touch `pl` any more: after this call `pl` is gone.
///
/// Threads: the session's thread.
///
/// Returns LIVEHUB_OK; LIVEHUB_ERR_NULL if `s` or `pl` is NULL (nothing
/// consumed); LIVEHUB_ERR_NOT_FOUND if the request is no longer pending;
/// LIVEHUB_ERR_CLOSED if the session is closed; LIVEHUB_ERR_PANIC.
#[no_mangle]
pub extern "C" fn livehub_rtmp_session_accept_play(
    s: *mut livehub_rtmp_session,
    request_id: u64,
    pl: *mut livehub_player,
) -> livehub_result {
    ffi_panic_boundary! {
        check_non_null!(s, pl);
        // SAFETY: `pl` is a live player the caller gives up (contract).
        let Some(player) = (unsafe { take_box(pl) }) else {
            return LIVEHUB_ERR_NULL;
        };
        let b: &mut SessionBox = mut_or_null!(s);
        answer_code(b.session.accept_play(request_id, super::player::into_player(*player)))
    }
}

/// Refuses request `request_id`; `why` (LIVEHUB_RTMP_REJECT_BUSY,
/// _NOT_FOUND or _DENIED) picks the status the client gets.
///
/// Ownership: `s` is borrowed.
///
/// Threads: the session's thread.
///
/// Returns LIVEHUB_OK; LIVEHUB_ERR_NULL if `s` is NULL;
/// LIVEHUB_ERR_INVALID_ARG for an unknown `why`; LIVEHUB_ERR_NOT_FOUND if
/// the request is no longer pending; LIVEHUB_ERR_CLOSED if the session is
/// closed; LIVEHUB_ERR_PANIC.
#[no_mangle]
pub extern "C" fn livehub_rtmp_session_reject(
    s: *mut livehub_rtmp_session,
    request_id: u64,
    why: u32,
) -> livehub_result {
    ffi_panic_boundary! {
        let b: &mut SessionBox = mut_or_null!(s);
        let why = match why {
            LIVEHUB_RTMP_REJECT_BUSY => Reject::Busy,
            LIVEHUB_RTMP_REJECT_NOT_FOUND => Reject::NotFound,
            LIVEHUB_RTMP_REJECT_DENIED => Reject::Denied,
            _ => return LIVEHUB_ERR_INVALID_ARG,
        };
        answer_code(b.session.reject(request_id, why))
    }
}

/// Moves the player's tags into the output (at most `max_queued_tags`
/// media messages queued; their payloads are not copied). Call it after
/// accepting a play, from the player's notify callback's wake-up, and
/// after writes freed room.
///
/// Ownership: `s` is borrowed.
///
/// Threads: the session's thread.
///
/// Returns LIVEHUB_OK with `*state_out` (NULL allowed) set to
/// LIVEHUB_RTMP_PUMP_IDLE, _WAITING (notify armed), _FULL (write first) or
/// _ENDED (stream over; the client was told, the player released);
/// LIVEHUB_ERR_NULL if `s` is NULL; LIVEHUB_ERR_CLOSED if the session is
/// closed; LIVEHUB_ERR_PANIC.
#[no_mangle]
pub extern "C" fn livehub_rtmp_session_pump(
    s: *mut livehub_rtmp_session,
    state_out: *mut u32,
) -> livehub_result {
    ffi_panic_boundary! {
        let b: &mut SessionBox = mut_or_null!(s);
        let state = match b.session.pump() {
            Ok(Pump::Idle) => LIVEHUB_RTMP_PUMP_IDLE,
            Ok(Pump::Waiting) => LIVEHUB_RTMP_PUMP_WAITING,
            Ok(Pump::Full) => LIVEHUB_RTMP_PUMP_FULL,
            Ok(Pump::Ended) => LIVEHUB_RTMP_PUMP_ENDED,
            Err(_) => return LIVEHUB_ERR_CLOSED,
        };
        if !state_out.is_null() {
            // SAFETY: non-NULL; the caller passes a writable pointer.
            unsafe { write_out(state_out, state) };
        }
        LIVEHUB_OK
    }
}

/// A short English description of a LIVEHUB_RTMP_ERR_* code.
///
/// Ownership: the string is static: do not free it.
///
/// Threads: any, concurrently.
///
/// Returns the description, never NULL ("unknown" for codes this library
/// does not know, "ok" for 0).
#[no_mangle]
pub extern "C" fn livehub_rtmp_error_str(code: u32) -> *const c_char {
    ffi_panic_boundary! {
        let text: &'static [u8] = match code {
            LIVEHUB_RTMP_OK => b"ok\0",
            LIVEHUB_RTMP_ERR_HANDSHAKE_VERSION => b"rtmp: unsupported handshake version\0",
            LIVEHUB_RTMP_ERR_BAD_CHUNK_SIZE => b"rtmp: invalid chunk size\0",
            LIVEHUB_RTMP_ERR_MESSAGE_TOO_LARGE => b"rtmp: message over the size limit\0",
            LIVEHUB_RTMP_ERR_UNKNOWN_CHUNK_STREAM => b"rtmp: unknown chunk stream\0",
            LIVEHUB_RTMP_ERR_MALFORMED => b"rtmp: malformed command or control message\0",
            LIVEHUB_RTMP_ERR_OUT_OF_ORDER => b"rtmp: command out of order\0",
            LIVEHUB_RTMP_ERR_CLOSED => b"rtmp: session closed\0",
            _ => b"unknown\0",
        };
        text.as_ptr().cast()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_match_the_core() {
        for e in [
            RtmpError::HandshakeVersion,
            RtmpError::BadChunkSize,
            RtmpError::MessageTooLarge,
            RtmpError::UnknownChunkStream,
            RtmpError::Malformed,
            RtmpError::OutOfOrder,
            RtmpError::Closed,
        ] {
            // SAFETY: static NUL-terminated strings.
            let s = unsafe { std::ffi::CStr::from_ptr(livehub_rtmp_error_str(e.code())) };
            assert_eq!(s.to_str().unwrap(), e.as_str());
        }
        assert!(matches!(LIVEHUB_ERR_NULL, 4));
    }
}
