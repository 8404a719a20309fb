//! The AMF commands of a session: connect, createStream, publish, play,
//! the NetStream calls, and the replies clients expect to each of them.
//! (A second `impl ServerSession`, beside the state machine in `mod.rs`.)

use super::{Event, Kept, NetStream, Request, Role, ServerSession};
use crate::rtmp::amf0::{self, Value};
use crate::rtmp::chunk::Message;
use crate::rtmp::command::{self, csid, msg, Encoding};
use crate::rtmp::error::RtmpError;

impl ServerSession {
    pub(super) fn on_command(
        &mut self,
        m: &Message,
        body: &[u8],
        enc: Encoding,
    ) -> Result<(), RtmpError> {
        let values = match amf0::decode_all(body) {
            Ok(v) => v,
            Err(_) if enc == Encoding::Amf3 => {
                // AMF3 values inside: refuse the call, keep the session.
                let name = amf0::decode_first(body).map_err(|_| RtmpError::Malformed)?;
                let name_len = match &name {
                    Value::String(s) => 3 + s.len(),
                    _ => return Err(RtmpError::Malformed),
                };
                let txn = body
                    .get(name_len..)
                    .and_then(|b| amf0::decode_first(b).ok())
                    .and_then(|v| v.as_f64())
                    .ok_or(RtmpError::Malformed)?;
                self.call_failed(enc, txn, "AMF3 values are not supported");
                return Ok(());
            }
            Err(_) => return Err(RtmpError::Malformed),
        };
        let name = values
            .first()
            .and_then(Value::as_str)
            .ok_or(RtmpError::Malformed)?;
        let txn = values.get(1).and_then(Value::as_f64).unwrap_or(0.0);
        if name == "connect" {
            return self.on_connect(&values, txn, enc);
        }
        if !self.connected {
            return Err(RtmpError::OutOfOrder);
        }
        let arg = |i: usize| values.get(i);
        let chunk = self.out_chunk;
        match name {
            "createStream" => {
                if self.streams.len() >= self.cfg.max_streams {
                    return Err(RtmpError::OutOfOrder);
                }
                let id = self.next_stream_id;
                self.next_stream_id += 1;
                self.streams.push(NetStream {
                    id,
                    role: Role::Idle,
                });
                command::result(
                    self.out.raw(),
                    enc,
                    chunk,
                    "_result",
                    txn,
                    &Value::Number(f64::from(id)),
                );
            }
            "releaseStream" | "FCPublish" | "FCUnpublish" | "getStreamLength" => {
                if txn != 0.0 {
                    let v = if name == "getStreamLength" {
                        Value::Number(0.0)
                    } else {
                        Value::Undefined
                    };
                    command::result(self.out.raw(), enc, chunk, "_result", txn, &v);
                }
            }
            "publish" => {
                let stream_name = arg(3).and_then(Value::as_str).unwrap_or("");
                let kind = arg(4).and_then(Value::as_str).unwrap_or("live").to_owned();
                self.on_request(m.stream_id, stream_name, enc, true, |r| {
                    r.publish_type = kind;
                })?;
            }
            "play" => {
                let stream_name = arg(3).and_then(Value::as_str).unwrap_or("");
                let start = arg(4).and_then(Value::as_f64).unwrap_or(-2.0);
                let duration = arg(5).and_then(Value::as_f64).unwrap_or(-1.0);
                let reset = arg(6)
                    .and_then(|v| v.as_bool().or(v.as_f64().map(|n| n != 0.0)))
                    .unwrap_or(true);
                self.on_request(m.stream_id, stream_name, enc, false, |r| {
                    r.start = start;
                    r.duration = duration;
                    r.reset = reset;
                })?;
            }
            "deleteStream" => {
                let id = arg(3).and_then(Value::as_f64).unwrap_or(-1.0);
                if let Some(i) = self.streams.iter().position(|s| f64::from(s.id) == id) {
                    let ns = self.streams.remove(i);
                    self.end_role(ns.role);
                }
            }
            "closeStream" => {
                if let Some(ns) = self.streams.iter_mut().find(|s| s.id == m.stream_id) {
                    let role = std::mem::replace(&mut ns.role, Role::Idle);
                    self.end_role(role);
                }
            }
            // pause, seek, receiveAudio/Video, _checkbw, …: accepted
            // silently when no answer is expected; refused otherwise.
            _ if txn == 0.0 => {}
            "_checkbw" | "_result" | "_error" => {}
            _ => self.call_failed(enc, txn, "Unsupported call"),
        }
        Ok(())
    }

    pub(super) fn call_failed(&mut self, enc: Encoding, txn: f64, why: &str) {
        let info = Value::Object(
            command::status_object("error", "NetConnection.Call.Failed", why)
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
        );
        command::result(self.out.raw(), enc, self.out_chunk, "_error", txn, &info);
    }

    pub(super) fn end_role(&mut self, role: Role) {
        match role {
            Role::PendingPublish(id, kept) => {
                self.stats.media_dropped += kept.messages.len() as u64;
                self.events.push_back(Event::Cancelled(id))
            }
            Role::PendingPlay(id, _) => self.events.push_back(Event::Cancelled(id)),
            // Dropping the publisher unpublishes; dropping the player leaves.
            Role::Publishing(_) | Role::Playing(_) | Role::Idle => {}
        }
    }

    pub(super) fn on_connect(
        &mut self,
        values: &[Value],
        txn: f64,
        enc: Encoding,
    ) -> Result<(), RtmpError> {
        if self.connected {
            return Err(RtmpError::OutOfOrder);
        }
        let obj = values.get(2);
        let field = |k: &str| obj.and_then(|o| o.get(k)).and_then(Value::as_str);
        let raw_app = field("app").unwrap_or("");
        let (app, query) = split_query(raw_app);
        let tc_url = field("tcUrl").map(str::to_owned);
        let tc_query = tc_url.as_deref().map_or("", |u| split_query(u).1);
        self.app = app.trim_matches('/').to_owned();
        self.app_query = if query.is_empty() { tc_query } else { query }.to_owned();
        let object_encoding = obj
            .and_then(|o| o.get("objectEncoding"))
            .and_then(Value::as_f64)
            .unwrap_or(0.0);
        self.connected = true;
        let chunk = self.out_chunk;
        let out = self.out.raw();
        command::control(
            out,
            msg::WINDOW_ACK_SIZE,
            &self.cfg.window_ack_size.to_be_bytes(),
            chunk,
        );
        let mut bw = self.cfg.peer_bandwidth.to_be_bytes().to_vec();
        bw.push(2); // dynamic
        command::control(out, msg::SET_PEER_BANDWIDTH, &bw, chunk);
        let new_chunk = self.cfg.chunk_size.clamp(128, 0xFF_FFFF);
        command::control(out, msg::SET_CHUNK_SIZE, &new_chunk.to_be_bytes(), chunk);
        self.out_chunk = new_chunk as usize;
        let chunk = self.out_chunk;
        command::command(out, enc, csid::COMMAND, 0, chunk, |b| {
            amf0::write_string(b, "_result");
            amf0::write_number(b, txn);
            amf0::write_object(
                b,
                &[
                    ("fmsVer", Value::String("FMS/3,0,1,123".into())),
                    ("capabilities", Value::Number(31.0)),
                    ("mode", Value::Number(1.0)),
                ],
            );
            let mut info = command::status_object(
                "status",
                "NetConnection.Connect.Success",
                "Connection succeeded.",
            );
            info.push(("objectEncoding", Value::Number(object_encoding)));
            amf0::write_object(b, &info);
        });
        self.events.push_back(Event::Connect {
            app: self.app.clone(),
            tc_url,
        });
        Ok(())
    }

    pub(super) fn on_request(
        &mut self,
        stream_id: u32,
        stream_name: &str,
        enc: Encoding,
        publish: bool,
        fill: impl FnOnce(&mut Request),
    ) -> Result<(), RtmpError> {
        let id = self.next_request;
        let chunk = self.out_chunk;
        let ns = self
            .streams
            .iter_mut()
            .find(|s| s.id == stream_id)
            .ok_or(RtmpError::OutOfOrder)?;
        if !matches!(ns.role, Role::Idle) {
            return Err(RtmpError::OutOfOrder);
        }
        let (name, name_query) = split_query(stream_name);
        let name = name.trim_matches('/');
        let mut req = Request {
            id,
            stream_id,
            app: self.app.clone(),
            name: name.to_owned(),
            key: if self.app.is_empty() {
                name.to_owned()
            } else {
                format!("{}/{}", self.app, name)
            },
            query: if name_query.is_empty() {
                self.app_query.clone()
            } else {
                name_query.to_owned()
            },
            publish_type: String::new(),
            start: -2.0,
            duration: -1.0,
            reset: true,
        };
        fill(&mut req);
        if name.is_empty() || req.key.len() > crate::config::MAX_KEY_LEN {
            let code = if publish {
                "NetStream.Publish.BadName"
            } else {
                "NetStream.Play.StreamNotFound"
            };
            command::on_status(
                self.out.raw(),
                enc,
                stream_id,
                chunk,
                "error",
                code,
                "Invalid stream name",
            );
            return Ok(());
        }
        self.next_request += 1;
        if publish {
            ns.role = Role::PendingPublish(id, Kept::default());
            self.events.push_back(Event::Publish(req));
        } else {
            ns.role = Role::PendingPlay(id, enc);
            self.events.push_back(Event::Play(req));
        }
        Ok(())
    }
}

/// `("live", "a=1")` from `"live?a=1"`.
fn split_query(s: &str) -> (&str, &str) {
    match s.split_once('?') {
        Some((a, q)) => (a, q),
        None => (s, ""),
    }
}
