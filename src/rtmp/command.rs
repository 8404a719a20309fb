//! The messages the session writes: protocol control messages, user
//! control events, and the AMF0 command replies clients wait for.

use super::amf0::{self, Value};
use super::chunk;

/// Message type ids.
pub mod msg {
    /// Set Chunk Size.
    pub const SET_CHUNK_SIZE: u8 = 1;
    /// Abort Message.
    pub const ABORT: u8 = 2;
    /// Acknowledgement.
    pub const ACK: u8 = 3;
    /// User Control Message.
    pub const USER_CONTROL: u8 = 4;
    /// Window Acknowledgement Size.
    pub const WINDOW_ACK_SIZE: u8 = 5;
    /// Set Peer Bandwidth.
    pub const SET_PEER_BANDWIDTH: u8 = 6;
    /// Audio.
    pub const AUDIO: u8 = 8;
    /// Video.
    pub const VIDEO: u8 = 9;
    /// Data message, AMF3 (a leading 0 byte, then AMF0 in practice).
    pub const DATA_AMF3: u8 = 15;
    /// Command, AMF3 (a leading 0 byte, then AMF0 or AMF3 values).
    pub const COMMAND_AMF3: u8 = 17;
    /// Data message, AMF0 (`@setDataFrame`, `onMetaData`…).
    pub const DATA_AMF0: u8 = 18;
    /// Command, AMF0.
    pub const COMMAND_AMF0: u8 = 20;
    /// Aggregate: FLV tags back to back.
    pub const AGGREGATE: u8 = 22;
}

/// User control event types.
pub mod user {
    /// StreamBegin.
    pub const STREAM_BEGIN: u16 = 0;
    /// StreamEOF.
    pub const STREAM_EOF: u16 = 1;
    /// SetBufferLength.
    pub const SET_BUFFER_LENGTH: u16 = 3;
    /// StreamIsRecorded.
    pub const STREAM_IS_RECORDED: u16 = 4;
    /// PingRequest.
    pub const PING_REQUEST: u16 = 6;
    /// PingResponse.
    pub const PING_RESPONSE: u16 = 7;
}

/// Chunk stream ids the session sends on.
pub mod csid {
    /// Protocol control and user control messages.
    pub const CONTROL: u32 = 2;
    /// NetConnection command replies.
    pub const COMMAND: u32 = 3;
    /// NetStream status and data messages.
    pub const STREAM: u32 = 5;
    /// Audio.
    pub const AUDIO: u32 = 6;
    /// Video.
    pub const VIDEO: u32 = 7;
}

/// Appends a protocol control message (on chunk stream 2, stream 0).
pub fn control(out: &mut Vec<u8>, type_id: u8, body: &[u8], chunk_size: usize) {
    chunk::write_message(out, csid::CONTROL, 0, type_id, 0, body, chunk_size);
}

/// Appends a user control event with a 4-byte argument.
pub fn user_control(out: &mut Vec<u8>, event: u16, arg: u32, chunk_size: usize) {
    let mut b = [0u8; 6];
    b[..2].copy_from_slice(&event.to_be_bytes());
    b[2..].copy_from_slice(&arg.to_be_bytes());
    control(out, msg::USER_CONTROL, &b, chunk_size);
}

/// How a command is framed: plain AMF0 (type 20) or inside an AMF3
/// command (type 17, a leading 0 byte), answered in kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Type 20.
    Amf0,
    /// Type 17.
    Amf3,
}

/// Appends a command message whose AMF0 body `body` writes.
pub fn command(
    out: &mut Vec<u8>,
    enc: Encoding,
    csid: u32,
    stream_id: u32,
    chunk_size: usize,
    body: impl FnOnce(&mut Vec<u8>),
) {
    let mut b = Vec::with_capacity(256);
    let type_id = match enc {
        Encoding::Amf0 => msg::COMMAND_AMF0,
        Encoding::Amf3 => {
            b.push(0);
            msg::COMMAND_AMF3
        }
    };
    body(&mut b);
    chunk::write_message(out, csid, 0, type_id, stream_id, &b, chunk_size);
}

/// The info object of an `onStatus` or `_result`.
pub fn status_object(level: &str, code: &str, description: &str) -> Vec<(&'static str, Value)> {
    vec![
        ("level", Value::String(level.into())),
        ("code", Value::String(code.into())),
        ("description", Value::String(description.into())),
    ]
}

/// Appends `onStatus(0, null, {level, code, description})` on a NetStream.
pub fn on_status(
    out: &mut Vec<u8>,
    enc: Encoding,
    stream_id: u32,
    chunk_size: usize,
    level: &str,
    code: &str,
    description: &str,
) {
    command(out, enc, csid::STREAM, stream_id, chunk_size, |b| {
        amf0::write_string(b, "onStatus");
        amf0::write_number(b, 0.0);
        amf0::write_null(b);
        amf0::write_object(b, &status_object(level, code, description));
    });
}

/// Appends `_result(txn, null, value)` (or `_error`).
pub fn result(
    out: &mut Vec<u8>,
    enc: Encoding,
    chunk_size: usize,
    name: &str,
    txn: f64,
    value: &Value,
) {
    command(out, enc, csid::COMMAND, 0, chunk_size, |b| {
        amf0::write_string(b, name);
        amf0::write_number(b, txn);
        amf0::write_null(b);
        amf0::write_value(b, value);
    });
}
