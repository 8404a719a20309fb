//! The registry of live streams, by key.
//!
//! ```
//! use livehub::{Hub, Error};
//! let hub = Hub::new(Default::default());
//! let a = hub.stream("live/a").unwrap();                    // get or create
//! assert!(livehub::Stream::ptr_eq(&a, &hub.find("live/a").unwrap()));
//! hub.remove("live/a").unwrap();                            // unmount: a is closed, not freed
//! assert_eq!(a.publish().err(), Some(Error::Closed));
//! assert_eq!(hub.find("live/a").err(), Some(Error::NotFound));
//! let fresh = hub.stream("live/a").unwrap();                // a new, independent stream
//! assert!(!livehub::Stream::ptr_eq(&a, &fresh));
//! ```

use crate::config::{Config, MAX_KEY_LEN};
use crate::error::Error;
use crate::log::log;
use crate::stream::Stream;
use crate::sync::{lock, Arc, Mutex};
use std::collections::HashMap;

/// A registry of streams: a cheap, clonable handle. Dropping the last
/// handle closes every stream still in it (publishers get
/// [`Error::Closed`], players end after what was published); the streams
/// themselves live on while handles to them do.
#[derive(Clone)]
pub struct Hub {
    shared: Arc<Shared>,
}

/// What every handle of one hub shares.
pub(crate) struct Shared {
    cfg: std::sync::Arc<Config>,
    streams: Mutex<HashMap<String, Stream>>,
}

fn check_key(key: &str) -> Result<(), Error> {
    if key.is_empty() || key.len() > MAX_KEY_LEN {
        Err(Error::InvalidArg)
    } else {
        Ok(())
    }
}

impl Hub {
    /// A hub with these policies.
    pub fn new(cfg: Config) -> Hub {
        Hub {
            shared: Arc::new(Shared {
                cfg: std::sync::Arc::new(cfg),
                streams: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The shared value behind this handle (the C handle's pointee).
    #[cfg(not(loom))]
    pub(crate) fn into_shared(self) -> Arc<Shared> {
        self.shared
    }

    /// A handle to a shared value (from a C handle).
    #[cfg(not(loom))]
    pub(crate) fn from_shared(shared: Arc<Shared>) -> Hub {
        Hub { shared }
    }

    /// The hub's configuration.
    pub fn config(&self) -> &Config {
        &self.shared.cfg
    }

    fn streams(&self) -> crate::sync::MutexGuard<'_, HashMap<String, Stream>> {
        lock(&self.shared.streams)
    }

    fn snapshot(&self) -> Vec<Stream> {
        self.streams().values().cloned().collect()
    }

    /// The stream under `key`, created if there is none.
    /// Errors: [`Error::InvalidArg`] for an empty key or one over
    /// [`MAX_KEY_LEN`] bytes.
    pub fn stream(&self, key: &str) -> Result<Stream, Error> {
        check_key(key)?;
        let mut map = self.streams();
        if let Some(s) = map.get(key) {
            return Ok(s.clone());
        }
        let s = Stream::new(key.to_owned(), self.shared.cfg.clone());
        map.insert(key.to_owned(), s.clone());
        drop(map);
        log!(Info, "stream {key}: created");
        Ok(s)
    }

    /// The stream under `key`. Errors: [`Error::NotFound`],
    /// [`Error::InvalidArg`] as for [`stream`](Self::stream).
    pub fn find(&self, key: &str) -> Result<Stream, Error> {
        check_key(key)?;
        self.streams().get(key).cloned().ok_or(Error::NotFound)
    }

    /// Unmounts `key` and closes its stream: the publisher gets
    /// [`Error::Closed`], players read what was published, then see
    /// [`Error::Eof`]. The key is free for a new stream at once.
    /// Errors: [`Error::NotFound`], [`Error::InvalidArg`].
    pub fn remove(&self, key: &str) -> Result<(), Error> {
        check_key(key)?;
        let removed = self.streams().remove(key);
        match removed {
            Some(s) => {
                s.close();
                Ok(())
            }
            None => Err(Error::NotFound),
        }
    }

    /// Applies the time-based policies now: idle publishers are cut,
    /// republish waits that ran out end their streams, stalled players
    /// expire, and streams idle for `idle_stream_ms` are reaped (removed as
    /// by [`remove`](Self::remove)). Callbacks it triggers — including the
    /// userdata drop of a reaped stream nobody else holds — run on this
    /// thread.
    pub fn tick(&self) {
        let now = self.shared.cfg.clock.now_ms();
        for s in self.snapshot() {
            if s.tick(now) {
                let reaped = {
                    let mut map = self.streams();
                    match map.get(s.key()) {
                        Some(m) if Stream::ptr_eq(m, &s) => map.remove(s.key()),
                        _ => None,
                    }
                };
                if let Some(r) = reaped {
                    log!(Info, "stream {}: idle, reaped", r.key());
                    r.close();
                }
            }
        }
    }

    /// A JSON snapshot of the hub: every mounted stream with its counters,
    /// codec parameters and players. The schema is documented in
    /// `docs/stats.md`.
    pub fn stats_json(&self) -> String {
        let streams = self.snapshot();
        let mut out = String::with_capacity(256 + streams.len() * 512);
        out.push_str("{\"version\":");
        crate::json::string(&mut out, env!("CARGO_PKG_VERSION"));
        out.push_str(",\"streams\":[");
        for (i, s) in streams.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            s.write_json(&mut out);
        }
        out.push_str("]}");
        out
    }

    /// The number of mounted streams.
    pub fn len(&self) -> usize {
        self.streams().len()
    }

    /// Whether no stream is mounted.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        let streams: Vec<Stream> = lock(&self.streams).drain().map(|(_, s)| s).collect();
        for s in streams {
            s.close();
        }
    }
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub").field("streams", &self.len()).finish()
    }
}
