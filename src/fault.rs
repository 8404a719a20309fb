//! Test-only fault injection: a panic inside the core, raised at the n-th
//! lock the calling thread takes, while that lock is held.
//!
//! ```text
//! fault::panic_at_lock(3);           // the 3rd lock this thread takes panics
//! let code = livehub_stream_publish(s, &mut p);   // -> LIVEHUB_ERR_PANIC
//! assert!(fault::fired());
//! ```
//!
//! Every lock of the core goes through [`crate::sync::lock`], which calls
//! [`on_lock`] with the guard held, so one countdown reaches every critical
//! section: the panic poisons that mutex and unwinds through the core to
//! the C boundary, which must answer `LIVEHUB_ERR_PANIC` (or NULL, or
//! nothing) and leave the hub usable (see `src/ffi/fault_tests.rs`).
//!
//! Compiled into the crate's own tests only (`cfg(test)`): the shipped
//! library has no hook. The countdown is per thread, so tests running in
//! parallel do not trip each other.

use std::cell::Cell;

thread_local! {
    /// Locks still to take before the panic (0: disarmed).
    static COUNTDOWN: Cell<u64> = const { Cell::new(0) };
    /// Whether the armed panic happened.
    static FIRED: Cell<bool> = const { Cell::new(false) };
    /// Locks this thread took so far.
    static TAKEN: Cell<u64> = const { Cell::new(0) };
}

/// Arms the hook: the `n`-th lock this thread takes from now (n >= 1)
/// panics; 0 disarms it.
pub(crate) fn panic_at_lock(n: u64) {
    COUNTDOWN.with(|c| c.set(n));
    FIRED.with(|f| f.set(false));
}

/// Whether the armed panic fired (the hook is then disarmed).
pub(crate) fn fired() -> bool {
    FIRED.with(Cell::get)
}

/// How many locks this thread has taken.
pub(crate) fn locks_taken() -> u64 {
    TAKEN.with(Cell::get)
}

/// Called by `sync::lock` with the guard held.
pub(crate) fn on_lock() {
    TAKEN.with(|t| t.set(t.get() + 1));
    let n = COUNTDOWN.with(Cell::get);
    if n == 0 {
        return;
    }
    COUNTDOWN.with(|c| c.set(n - 1));
    if n == 1 {
        FIRED.with(|f| f.set(true));
        panic!("livehub: injected panic (fault injection test)");
    }
}
