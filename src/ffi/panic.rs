//! The panic boundary: no Rust panic ever unwinds into C.
//!
//! Every exported function wraps its whole body in [`ffi_panic_boundary!`].
//! The body runs inside `std::panic::catch_unwind`; if it panics, the
//! function returns the [`PanicValue`] of its return type instead:
//! `LIVEHUB_ERR_PANIC` for a `livehub_result`, NULL for a pointer, nothing
//! for `void`.
//!
//! The core keeps its data consistent across a panic (its locks ignore
//! poisoning, see `crate::sync::lock`), so catching and reporting is enough.
//! With `panic = "abort"` a panic aborts the process before reaching here,
//! which is also never an unwind into C.

use super::result::{livehub_result, LIVEHUB_ERR_PANIC};
use std::ffi::c_char;

/// What an exported function returns when its body panicked.
pub(crate) trait PanicValue {
    /// The value returned to C after a caught panic.
    fn panic_value() -> Self;
}

impl PanicValue for livehub_result {
    fn panic_value() -> Self {
        LIVEHUB_ERR_PANIC
    }
}

impl PanicValue for () {
    fn panic_value() -> Self {}
}

impl<T> PanicValue for *mut T {
    fn panic_value() -> Self {
        std::ptr::null_mut()
    }
}

/// Static strings: a panic (which cannot happen for them) still gives a
/// valid, non-NULL string, since those functions promise never to return
/// NULL.
impl PanicValue for *const c_char {
    fn panic_value() -> Self {
        b"panic\0".as_ptr().cast()
    }
}

/// Runs `body` and turns a panic into `R::panic_value()`.
///
/// `AssertUnwindSafe` is right here: after a panic the caller only gets an
/// error code; nothing observes the half-done state of `body` except
/// through the core, whose shared state stays consistent (see the module
/// docs).
#[inline]
pub(crate) fn catch_panic<R: PanicValue>(body: impl FnOnce() -> R) -> R {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(body))
        .unwrap_or_else(|_| R::panic_value())
}

/// Runs the enclosed statements inside [`catch_panic`]. `return` inside
/// returns from the enclosed body (that is, from the exported function).
///
/// ```text
/// #[no_mangle]
/// pub extern "C" fn livehub_hub_tick(hub: *mut livehub_hub) -> livehub_result {
///     ffi_panic_boundary! {
///         let hub = Hub::from_shared(arc_or_null!(hub));
///         hub.tick();
///         LIVEHUB_OK
///     }
/// }
/// ```
macro_rules! ffi_panic_boundary {
    ( $($body:tt)* ) => {
        $crate::ffi::panic::catch_panic(move || { $($body)* })
    };
}
