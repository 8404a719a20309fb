//! What one change of a stream wakes, collected under the stream lock and
//! fired once it is released: single players, and group links.
//!
//! ```
//! use livehub::{Error, Hub};
//! let hub = Hub::new(Default::default());
//! let stream = hub.stream("live/wakeups").unwrap();
//! let mut player = stream.play(Default::default()).unwrap();
//! assert_eq!(player.read().err(), Some(Error::Again)); // on the stream's waiter list
//! // The push takes the list under the stream lock, then fires it.
//! stream.publish().unwrap().push_tag(8, 0, &[0xaf, 1, 0]).unwrap();
//! assert!(player.read().is_ok());
//! ```

use super::link::GroupLink;
use crate::notify::Notifier;
use crate::sync::Arc;

/// Taken waiters, fired after the stream lock is released.
#[derive(Default)]
pub(crate) struct Wakeups {
    /// Players armed on the stream itself (no group, or inside `wait`).
    pub(crate) players: Vec<Arc<Notifier>>,
    /// Group links with an armed player.
    pub(crate) links: Vec<Arc<GroupLink>>,
}

impl Wakeups {
    /// Fires every player, signals every link; keeps the capacity.
    pub(crate) fn fire(&mut self) {
        for n in self.players.drain(..) {
            n.fire();
        }
        for link in self.links.drain(..) {
            GroupLink::signal(&link);
        }
    }

    /// [`fire`](Self::fire) but for `me`: a player that is inside a call
    /// learns the news from that call's result.
    pub(crate) fn fire_except(&mut self, me: &Arc<Notifier>) {
        self.players.retain(|n| !Arc::ptr_eq(n, me));
        self.fire();
    }
}
