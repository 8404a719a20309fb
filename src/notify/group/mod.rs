//! Player groups: one wake-up per event loop, not one per player.
//!
//! A [`Group`] stands for one event-loop thread of a server and the players
//! it serves. A player created with [`PlayOptions::group`] arms into its
//! group instead of onto its stream: when a change of the stream (a push,
//! an unpublish, the end, a tick) gives news to any armed player of the
//! group, the group's `wake` runs once — at most once until the next
//! [`Group::dispatch`] — on the thread that made the change, after every
//! livehub lock is released. The loop then calls [`Group::dispatch`] on its
//! own thread, which runs the notify callback of every player of the group
//! that has news, there. The publisher's work per push is one flag per group
//! with players on the stream, whatever the number of players.
//!
//! ```
//! use livehub::{Error, Group, Hub, PlayOptions};
//! use std::sync::{Arc, atomic::{AtomicUsize, Ordering}};
//! let hub = Hub::new(Default::default());
//! let stream = hub.stream("live/loop").unwrap();
//! let wakes = Arc::new(AtomicUsize::new(0));
//! let w = wakes.clone();
//! // A server's wake writes its loop's eventfd; here it counts.
//! let group = Group::new(move || { w.fetch_add(1, Ordering::SeqCst); });
//! let opts = PlayOptions { group: Some(group.clone()), ..Default::default() };
//! let mut players: Vec<_> = (0..3).map(|_| stream.play(opts.clone()).unwrap()).collect();
//! for p in &mut players {
//!     p.notifier().set_callback(Some(Arc::new(|| {})));
//!     assert_eq!(p.read().err(), Some(Error::Again)); // armed, in the group
//! }
//! let mut publisher = stream.publish().unwrap();
//! publisher.push_tag(8, 0, &[0xaf, 1, 0]).unwrap();   // one wake for three players
//! publisher.push_tag(8, 23, &[0xaf, 1, 1]).unwrap();  // not dispatched yet: no wake
//! assert_eq!(wakes.load(Ordering::SeqCst), 1);
//! assert_eq!(group.dispatch(), 3);                     // on the loop: three callbacks
//! assert_eq!(group.dispatch(), 0);
//! ```
//!
//! [`PlayOptions::group`]: crate::PlayOptions::group

mod handle;
mod link;
#[cfg(test)]
mod tests;

pub use handle::{Group, WakeFn};
pub(crate) use link::GroupLink;
