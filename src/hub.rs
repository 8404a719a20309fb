//! The registry of live streams, by key.
//!
//! ```
//! use livehub::{Hub, Error};
//! let hub = Hub::new(Default::default());
//! let a = hub.stream("live/a").unwrap();                    // get or create
//! assert!(std::sync::Arc::ptr_eq(&a, &hub.find("live/a").unwrap()));
//! hub.remove("live/a").unwrap();                            // unmount: a is closed, not freed
//! assert_eq!(a.publish().err(), Some(Error::Closed));
//! assert_eq!(hub.find("live/a").err(), Some(Error::NotFound));
//! let fresh = hub.stream("live/a").unwrap();                // a new, independent stream
//! assert!(!std::sync::Arc::ptr_eq(&a, &fresh));
//! ```

use crate::config::{Config, MAX_KEY_LEN};
use crate::error::Error;
use crate::log::log;
use crate::stream::Stream;
use crate::sync::{lock, Arc, Mutex};
use std::collections::HashMap;

/// A registry of streams. Dropping the hub closes every stream still in it
/// (publishers get [`Error::Closed`], players end after what was
/// published); the streams themselves live on while handles to them do.
pub struct Hub {
    cfg: std::sync::Arc<Config>,
    streams: Mutex<HashMap<String, Arc<Stream>>>,
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
            cfg: std::sync::Arc::new(cfg),
            streams: Mutex::new(HashMap::new()),
        }
    }

    /// The hub's configuration.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// The stream under `key`, created if there is none.
    /// Errors: [`Error::InvalidArg`] for an empty key or one over
    /// [`MAX_KEY_LEN`] bytes.
    pub fn stream(&self, key: &str) -> Result<Arc<Stream>, Error> {
        check_key(key)?;
        let mut map = lock(&self.streams);
        if let Some(s) = map.get(key) {
            return Ok(s.clone());
        }
        let s = Arc::new(Stream::new(key.to_owned(), self.cfg.clone()));
        map.insert(key.to_owned(), s.clone());
        drop(map);
        log!(Info, "stream {key}: created");
        Ok(s)
    }

    /// The stream under `key`. Errors: [`Error::NotFound`],
    /// [`Error::InvalidArg`] as for [`stream`](Self::stream).
    pub fn find(&self, key: &str) -> Result<Arc<Stream>, Error> {
        check_key(key)?;
        lock(&self.streams).get(key).cloned().ok_or(Error::NotFound)
    }

    /// Unmounts `key` and closes its stream: the publisher gets
    /// [`Error::Closed`], players read what was published, then see
    /// [`Error::Eof`]. The key is free for a new stream at once.
    /// Errors: [`Error::NotFound`], [`Error::InvalidArg`].
    pub fn remove(&self, key: &str) -> Result<(), Error> {
        check_key(key)?;
        let removed = lock(&self.streams).remove(key);
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
        let now = self.cfg.clock.now_ms();
        let streams: Vec<Arc<Stream>> = lock(&self.streams).values().cloned().collect();
        for s in streams {
            if s.tick(now) {
                let reaped = {
                    let mut map = lock(&self.streams);
                    match map.get(s.key()) {
                        Some(m) if Arc::ptr_eq(m, &s) => map.remove(s.key()),
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
        let streams: Vec<Arc<Stream>> = lock(&self.streams).values().cloned().collect();
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
        lock(&self.streams).len()
    }

    /// Whether no stream is mounted.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        let streams: Vec<Arc<Stream>> = lock(&self.streams).drain().map(|(_, s)| s).collect();
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
