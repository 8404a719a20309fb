//! A minimal RTMP client, sans IO: it writes what an encoder or player
//! sends (handshake, commands, media) and reads what a server answers.
//! For tests, the fuzz seeds and tools; not a full client (no retries, no
//! bandwidth checks).
//!
//! ```
//! use livehub::rtmp::{client::{self, TestClient}, RtmpConfig, ServerSession};
//! let mut server = ServerSession::new(RtmpConfig::default());
//! let mut c = TestClient::new();
//! server.feed(&c.hello()).unwrap();
//! c.receive(&client::drain(&mut server));
//! assert_eq!(c.handshake_ok(), Some(true));
//! server.feed(&c.connect("live")).unwrap();
//! c.receive(&client::drain(&mut server));
//! assert_eq!(c.statuses(), ["NetConnection.Connect.Success"]);
//! ```

use super::amf0::{self, Value};
use super::chunk::{self, Decoder, Limits, Message};
use super::command::{csid, msg};
use super::handshake::{self, HANDSHAKE_SIZE};
use super::session::ServerSession;

/// Everything `server` has queued, written out.
pub fn drain(server: &mut ServerSession) -> Vec<u8> {
    let mut out = Vec::new();
    while server.pending_output() > 0 {
        let mut n = 0;
        server.output(64, |s| {
            out.extend_from_slice(s);
            n += s.len();
        });
        server.consume(n);
    }
    out
}

/// The client. See the [module docs](self).
pub struct TestClient {
    c0c1: Vec<u8>,
    s: Vec<u8>,
    /// C2, sent with the next message.
    c2: Option<Vec<u8>>,
    handshake_ok: Option<bool>,
    dec: Decoder,
    chunk_size: usize,
    txn: f64,
    /// Every message received, in order.
    pub messages: Vec<Message>,
}

impl Default for TestClient {
    fn default() -> Self {
        Self::new()
    }
}

impl TestClient {
    /// A client that sends the digest handshake (as ffmpeg does).
    pub fn new() -> TestClient {
        TestClient {
            c0c1: handshake::client_c0c1(true, 42),
            s: Vec::new(),
            c2: None,
            handshake_ok: None,
            dec: Decoder::new(Limits::default()),
            chunk_size: chunk::DEFAULT_CHUNK_SIZE,
            txn: 0.0,
            messages: Vec::new(),
        }
    }

    /// A client that sends the simple handshake.
    pub fn simple() -> TestClient {
        TestClient {
            c0c1: handshake::client_c0c1(false, 42),
            ..TestClient::new()
        }
    }

    /// C0+C1.
    pub fn hello(&self) -> Vec<u8> {
        self.c0c1.clone()
    }

    /// Whether S2 answered C1 correctly (once S0+S1+S2 are in).
    pub fn handshake_ok(&self) -> Option<bool> {
        self.handshake_ok
    }

    /// Reads server bytes: S0+S1+S2 first, then messages (Set Chunk Size
    /// applied). Panics on a malformed server stream (it is a test tool).
    pub fn receive(&mut self, mut bytes: &[u8]) {
        if self.handshake_ok.is_none() {
            let n = (1 + 2 * HANDSHAKE_SIZE - self.s.len()).min(bytes.len());
            self.s.extend_from_slice(&bytes[..n]);
            bytes = &bytes[n..];
            if self.s.len() < 1 + 2 * HANDSHAKE_SIZE {
                return;
            }
            let ok = self.s[0] == 3
                && handshake::s2_is_valid(&self.c0c1[1..], &self.s[1 + HANDSHAKE_SIZE..]);
            self.handshake_ok = Some(ok);
            self.c2 = Some(self.s[1..1 + HANDSHAKE_SIZE].to_vec());
        }
        while let Some(m) = self.dec.next(&mut bytes).expect("server chunk stream") {
            if m.type_id == msg::SET_CHUNK_SIZE {
                let v =
                    u32::from_be_bytes([m.payload[0], m.payload[1], m.payload[2], m.payload[3]]);
                self.dec.set_chunk_size(v).expect("server chunk size");
            }
            self.messages.push(m);
        }
    }

    /// The `code` of every status the server sent (`onStatus` and
    /// `_result`/`_error` info objects), in order.
    pub fn statuses(&self) -> Vec<String> {
        self.commands()
            .iter()
            .filter_map(|v| {
                v.iter()
                    .find_map(|x| x.get("code")?.as_str().map(str::to_owned))
            })
            .collect()
    }

    /// Every command received, decoded.
    pub fn commands(&self) -> Vec<Vec<Value>> {
        self.messages
            .iter()
            .filter_map(|m| match m.type_id {
                msg::COMMAND_AMF0 => amf0::decode_all(&m.payload).ok(),
                msg::COMMAND_AMF3 => amf0::decode_all(m.payload.get(1..)?).ok(),
                _ => None,
            })
            .collect()
    }

    /// Audio, video and data messages received.
    pub fn media(&self) -> Vec<&Message> {
        self.messages
            .iter()
            .filter(|m| matches!(m.type_id, msg::AUDIO | msg::VIDEO | msg::DATA_AMF0))
            .collect()
    }

    fn start(&mut self) -> Vec<u8> {
        self.c2.take().unwrap_or_default()
    }

    /// Any message, chunked at the client's chunk size.
    pub fn message(
        &mut self,
        cs: u32,
        ts: u32,
        type_id: u8,
        stream_id: u32,
        body: &[u8],
    ) -> Vec<u8> {
        let mut out = self.start();
        chunk::write_message(&mut out, cs, ts, type_id, stream_id, body, self.chunk_size);
        out
    }

    /// A command `name(txn, args…)`; the transaction number is counted.
    pub fn command(&mut self, stream_id: u32, name: &str, args: &[Value]) -> Vec<u8> {
        self.txn += 1.0;
        let mut b = Vec::new();
        amf0::write_string(&mut b, name);
        amf0::write_number(&mut b, self.txn);
        for a in args {
            amf0::write_value(&mut b, a);
        }
        self.message(csid::COMMAND, 0, msg::COMMAND_AMF0, stream_id, &b)
    }

    /// Set Chunk Size (applies to everything sent after it).
    pub fn set_chunk_size(&mut self, size: u32) -> Vec<u8> {
        let out = self.message(
            csid::CONTROL,
            0,
            msg::SET_CHUNK_SIZE,
            0,
            &size.to_be_bytes(),
        );
        self.chunk_size = size as usize;
        out
    }

    /// `connect` to `app`.
    pub fn connect(&mut self, app: &str) -> Vec<u8> {
        let obj = Value::Object(vec![
            ("app".into(), Value::String(app.into())),
            (
                "flashVer".into(),
                Value::String("FMLE/3.0 (compatible; FMSc/1.0)".into()),
            ),
            (
                "tcUrl".into(),
                Value::String(format!("rtmp://127.0.0.1/{app}")),
            ),
        ]);
        self.command(0, "connect", &[obj])
    }

    /// `createStream` (the server's first stream is 1).
    pub fn create_stream(&mut self) -> Vec<u8> {
        self.command(0, "createStream", &[Value::Null])
    }

    /// `releaseStream`, `FCPublish`, `publish(name, "live")` on `stream_id`.
    pub fn publish(&mut self, stream_id: u32, name: &str) -> Vec<u8> {
        let n = Value::String(name.into());
        let mut out = self.command(0, "releaseStream", &[Value::Null, n.clone()]);
        out.extend(self.command(0, "FCPublish", &[Value::Null, n.clone()]));
        self.txn = -1.0; // publish and play go with transaction 0
        out.extend(self.command(
            stream_id,
            "publish",
            &[Value::Null, n, Value::String("live".into())],
        ));
        out
    }

    /// `play(name, -2)` on `stream_id`.
    pub fn play(&mut self, stream_id: u32, name: &str) -> Vec<u8> {
        self.txn = -1.0;
        self.command(
            stream_id,
            "play",
            &[Value::Null, Value::String(name.into()), Value::Number(-2.0)],
        )
    }

    /// `deleteStream(stream_id)`.
    pub fn delete_stream(&mut self, stream_id: u32) -> Vec<u8> {
        self.txn = -1.0;
        self.command(
            0,
            "deleteStream",
            &[Value::Null, Value::Number(f64::from(stream_id))],
        )
    }

    /// A media message (8 audio, 9 video, 18 data) on `stream_id`.
    pub fn media_message(&mut self, stream_id: u32, type_id: u8, ts: u32, body: &[u8]) -> Vec<u8> {
        let cs = match type_id {
            msg::AUDIO => csid::AUDIO,
            msg::VIDEO => csid::VIDEO,
            _ => csid::STREAM,
        };
        self.message(cs, ts, type_id, stream_id, body)
    }
}
