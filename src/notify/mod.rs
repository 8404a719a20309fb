//! One-shot wake-ups: arming, and firing once the locks are released.
//!
//! A player *arms* when a read finds nothing: the stream puts the player's
//! `Waiter` on its `WaitList`, at most once. Whoever next gives the
//! players news — a push, an unpublish, a removal, a tick — takes the whole
//! list under the stream lock into a `Wakeups`, lets the lock go, and only
//! then *fires* it: a callback runs with no livehub lock held, so it may
//! call back into livehub, even read its own player. Taking the list
//! dequeues, so a waiter fires at most once per arming however many tags
//! arrive before its player reads again.
//!
//! ```
//! use livehub::{Hub, Error};
//! use std::sync::{Arc, atomic::{AtomicUsize, Ordering}};
//! let hub = Hub::new(Default::default());
//! let stream = hub.stream("live/a").unwrap();
//! let mut player = stream.play(Default::default()).unwrap();
//! let fired = Arc::new(AtomicUsize::new(0));
//! let f = fired.clone();
//! player.notifier().set_callback(Some(Arc::new(move || { f.fetch_add(1, Ordering::SeqCst); })));
//! assert_eq!(player.read().err(), Some(Error::Again)); // arms
//! let mut publisher = stream.publish().unwrap();
//! publisher.push_tag(8, 0, &[0x2f, 1, 2]).unwrap();     // fires
//! publisher.push_tag(8, 23, &[0x2f, 1, 2]).unwrap();    // not armed: no second call
//! assert_eq!(fired.load(Ordering::SeqCst), 1);
//! ```
//!
//! The files: [`wake`](self) holds [`Notifier`], one player's wake-up (its
//! callback and the signal `wait` blocks on); `waiter` holds what a
//! stream's waiter list is made of and the arm/take/fire protocol;
//! [`group`] the player groups (one wake-up per event loop).

pub mod group;
#[cfg(test)]
mod tests;
mod waiter;
mod wake;

pub(crate) use waiter::{WaitList, Waiter, Wakeups};
pub(crate) use wake::Home;
pub use wake::{Callback, Notifier};
