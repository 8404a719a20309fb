//! The synchronisation primitives the core is built on.
//!
//! Normal builds use `std`; `RUSTFLAGS="--cfg loom"` swaps in loom's models so
//! that `tests/loom.rs` can explore every interleaving of the refcount, ring
//! cursor and notification protocols with the very code that ships.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicBool, AtomicU64, AtomicUsize, Ordering};
#[cfg(loom)]
pub(crate) use loom::sync::Arc;
#[cfg(loom)]
pub(crate) use loom::sync::{Condvar, Mutex, MutexGuard};

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{fence, AtomicBool, AtomicU64, AtomicUsize, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::Arc;
#[cfg(not(loom))]
pub(crate) use std::sync::{Condvar, Mutex, MutexGuard};

/// Locks `m`, ignoring poisoning: every critical section in the core leaves
/// its data consistent before anything that could panic, and the C boundary
/// turns panics into `LIVEHUB_ERR_PANIC` rather than tearing the process down.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    let guard = m.lock().unwrap_or_else(|e| e.into_inner());
    // Tests inject panics here, with the lock held (src/fault.rs).
    #[cfg(test)]
    crate::fault::on_lock();
    guard
}

#[cfg(loom)]
pub(crate) type ThreadId = loom::thread::ThreadId;
#[cfg(not(loom))]
pub(crate) type ThreadId = std::thread::ThreadId;

/// The id of the calling thread (a loom thread under loom).
pub(crate) fn current_thread() -> ThreadId {
    #[cfg(loom)]
    {
        loom::thread::current().id()
    }
    #[cfg(not(loom))]
    {
        std::thread::current().id()
    }
}

/// A reference back to a value that must not keep it alive: std's `Weak`.
/// loom's `Arc` has no weak references, so under loom this is a strong
/// one; the models drop their players, which drops these (a cycle would
/// otherwise leak, and loom reports leaks).
pub(crate) struct WeakRef<T>(#[cfg(not(loom))] std::sync::Weak<T>, #[cfg(loom)] Arc<T>);

impl<T> WeakRef<T> {
    pub(crate) fn new(target: &Arc<T>) -> WeakRef<T> {
        #[cfg(not(loom))]
        {
            WeakRef(Arc::downgrade(target))
        }
        #[cfg(loom)]
        {
            WeakRef(target.clone())
        }
    }

    /// The value, if it is still alive.
    pub(crate) fn get(&self) -> Option<Arc<T>> {
        #[cfg(not(loom))]
        {
            self.0.upgrade()
        }
        #[cfg(loom)]
        {
            Some(self.0.clone())
        }
    }
}
