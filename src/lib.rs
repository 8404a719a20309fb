//! # livehub
//!
//! Lifetime-safe fan-out of live FLV streams: one publisher, many players,
//! for C and C++ servers (through the C ABI in `include/livehub.h`) and for
//! Rust.
//!
//! Every handle — the hub's entry, a publisher, a player — is an owning
//! reference: nothing shared is freed while any of them refers to it,
//! whatever the order or thread of the releases. An unpublish or a removal is
//! a state change players observe ([`Error::Eof`]), never a free.
//!
//! ```
//! use livehub::{Hub, Error};
//! let hub = Hub::new(Default::default());
//! let stream = hub.stream("live/demo").unwrap();
//! let mut publisher = stream.publish().unwrap();
//! let mut first = stream.play(Default::default()).unwrap();
//! let mut second = stream.play(Default::default()).unwrap();
//! publisher.push_tag(8, 0, &[0xaf, 0x01, 0x21]).unwrap();
//! drop(publisher);           // the publisher stops
//! drop(stream);
//! hub.remove("live/demo").unwrap();
//! drop(first);               // the first player leaves
//! // The second player still reads safely: its data, then end of stream.
//! assert_eq!(second.read().unwrap().data, &[0xaf, 0x01, 0x21]);
//! assert_eq!(second.read().err(), Some(Error::Eof));
//! ```
//!
//! livehub starts no thread: callbacks run on threads that call into it, and
//! time-based policies run during calls and [`Hub::tick`].

#![deny(unsafe_code)]

pub mod codec;
pub mod config;
pub mod error;
#[cfg(test)]
mod fault;
/// The C ABI (`include/livehub.h`): the only module allowed `unsafe`.
#[cfg(not(loom))]
#[allow(unsafe_code)]
mod ffi;
pub mod flv;
pub mod hub;
mod json;
pub mod log;
pub mod notify;
pub mod player;
pub mod publisher;
mod ring;
pub mod rtmp;
pub mod stream;
pub(crate) mod sync;
pub mod timestamp;

pub use config::{Clock, Config, ManualClock, PlayOptions, SystemClock, TimestampMode};
pub use error::Error;
pub use hub::Hub;
pub use notify::group::{self, Group};
pub use notify::{Callback, Notifier};
pub use player::{Player, PlayerStats, SharedTag, TagView};
pub use publisher::{Publisher, PublisherStats};
pub use stream::{PlayerState, PublisherState, Stream, StreamStats};
