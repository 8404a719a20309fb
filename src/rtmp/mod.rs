//! RTMP in and out, sans IO: a server session that takes the bytes a
//! client sent and gives back the bytes to send it, with publish and play
//! requests as events the server answers when it is ready.
//!
//! The server owns the socket and the event loop; the session owns the
//! protocol state and the queued output. Publishing feeds a livehub
//! [`Publisher`](crate::Publisher); playing drains a livehub
//! [`Player`](crate::Player) into RTMP chunks whose payload slices are the
//! stream's shared tag bodies (no copy per player).
//!
//! ```
//! use livehub::rtmp::{client, Event, ServerSession, RtmpConfig};
//! use livehub::Hub;
//! let hub = Hub::new(Default::default());
//! let mut server = ServerSession::new(RtmpConfig::default());
//! let mut c = client::TestClient::new();
//! // Handshake and connect("live"), createStream, publish("cam1").
//! server.feed(&c.hello()).unwrap();
//! c.receive(&client::drain(&mut server));
//! server.feed(&c.connect("live")).unwrap();
//! server.feed(&c.create_stream()).unwrap();
//! server.feed(&c.publish(1, "cam1?token=abc")).unwrap();
//! assert!(matches!(server.next_event(), Some(Event::Connect { .. })));
//! let Some(Event::Publish(req)) = server.next_event() else { panic!() };
//! assert_eq!((req.key.as_str(), req.query.as_str()), ("live/cam1", "token=abc"));
//! // The server answers when it likes (an auth hook may take seconds).
//! let publisher = hub.stream(&req.key).unwrap().publish().unwrap();
//! server.accept_publish(req.id, publisher).unwrap();
//! c.receive(&client::drain(&mut server));
//! assert!(c.statuses().contains(&"NetStream.Publish.Start".to_string()));
//! ```
//!
//! Modules: [`handshake`], [`chunk`] (demux and mux), [`amf0`],
//! [`command`] (what the session writes), [`session`] (the state
//! machine), [`client`] (a minimal client for tests and tools).

pub mod amf0;
pub mod chunk;
pub mod client;
pub mod command;
mod error;
pub mod handshake;
mod output;
pub mod session;
pub mod sha256;

pub use chunk::Limits;
pub use error::RtmpError;
pub use session::{
    Event, Pump, Reject, Request, RequestId, RtmpConfig, ServerSession, SessionStats,
};
