//! Handles: the one place where Rust values become C pointers and back.
//!
//! Each opaque C type (`livehub_hub`, …) is a zero-sized marker struct that
//! is never built: C only ever sees pointers to it (cbindgen emits
//! `typedef struct livehub_hub livehub_hub;` because it is not `repr(C)`).
//! [`Castable`] ties the marker to the Rust value the pointer really points
//! at, and to how that value is owned:
//!
//! - [`OwnershipArc`]: the pointer is `Arc::into_raw` of an `Arc<RustType>`.
//!   Each C pointer value held by the caller is one strong reference;
//!   `_retain` adds one, `_release` drops one. Shared types: hub, stream.
//! - [`OwnershipBox`]: the pointer is `Box::into_raw` of a
//!   `Box<RustType>`. The caller owns it alone; `_release` drops it.
//!   Single-owner types: publisher, player.
//!
//! Every function here that reads a pointer is `unsafe` with the same
//! precondition, the C caller's contract: the pointer is NULL, or it came
//! from the matching `to_*_ptr` (through a livehub function that returned
//! it) and has not been released since. NULL is always detected and
//! reported as `None` (or ignored by the `free_*` functions).

use std::sync::Arc;

/// Marker: the C pointer is an `Arc<RustType>` (shared, reference counted).
pub(crate) struct OwnershipArc;
/// Marker: the C pointer is a `Box<RustType>` (single owner).
pub(crate) struct OwnershipBox;

/// How a handle type is owned; implemented by the two markers only.
pub(crate) trait Ownership {}
impl Ownership for OwnershipArc {}
impl Ownership for OwnershipBox {}

/// Ties an opaque C type to the Rust value behind its pointers.
pub(crate) trait Castable {
    /// `OwnershipArc` or `OwnershipBox`.
    type Ownership: Ownership;
    /// The value a `*const Self` really points at.
    type RustType;
}

/// Gives `value` to C as a new strong reference.
pub(crate) fn to_arc_ptr<C>(value: Arc<C::RustType>) -> *mut C
where
    C: Castable<Ownership = OwnershipArc>,
{
    Arc::into_raw(value).cast_mut().cast()
}

/// Gives `value` to C as its single owner.
pub(crate) fn to_box_ptr<C>(value: C::RustType) -> *mut C
where
    C: Castable<Ownership = OwnershipBox>,
{
    Box::into_raw(Box::new(value)).cast()
}

/// The value behind a single-owner handle, mutably borrowed; `None` for
/// NULL.
///
/// # Safety
/// `ptr` is NULL or a live handle of type `C`, and for `'a` no other
/// reference to the value exists (the caller does not use the handle from
/// another thread at the same time).
pub(crate) unsafe fn try_mut<'a, C>(ptr: *mut C) -> Option<&'a mut C::RustType>
where
    C: Castable<Ownership = OwnershipBox>,
{
    // SAFETY: a non-NULL `ptr` came from `Box::into_raw` of a live
    // `C::RustType` (contract), so it is aligned, dereferenceable and, by the
    // contract's exclusivity, not aliased for `'a`.
    unsafe { ptr.cast::<C::RustType>().as_mut() }
}

/// The raw pointer to the value behind a single-owner handle, without
/// creating any reference; `None` for NULL. For callers that must touch
/// only one field (see `player.rs`).
pub(crate) fn try_raw<C>(ptr: *mut C) -> Option<*mut C::RustType>
where
    C: Castable<Ownership = OwnershipBox>,
{
    if ptr.is_null() {
        None
    } else {
        Some(ptr.cast())
    }
}

/// A new strong reference to the value behind a shared handle; `None` for
/// NULL. The caller's reference is untouched.
///
/// # Safety
/// `ptr` is NULL or a live handle of type `C`.
pub(crate) unsafe fn try_clone_arc<C>(ptr: *const C) -> Option<Arc<C::RustType>>
where
    C: Castable<Ownership = OwnershipArc>,
{
    if ptr.is_null() {
        return None;
    }
    let raw = ptr.cast::<C::RustType>();
    // SAFETY: `raw` came from `Arc::into_raw` of an `Arc<C::RustType>` whose
    // strong count is at least one (the caller's live handle); incrementing
    // it and then taking ownership of that one new count with `from_raw`
    // leaves the caller's reference as it was.
    unsafe {
        Arc::increment_strong_count(raw);
        Some(Arc::from_raw(raw))
    }
}

/// Adds one strong reference to a shared handle and returns the same
/// pointer; NULL gives NULL.
///
/// # Safety
/// `ptr` is NULL or a live handle of type `C`.
pub(crate) unsafe fn retain_arc<C>(ptr: *mut C) -> *mut C
where
    C: Castable<Ownership = OwnershipArc>,
{
    if !ptr.is_null() {
        // SAFETY: `ptr` came from `Arc::into_raw` of a live
        // `Arc<C::RustType>` (contract); the new count is owned by the
        // pointer we return.
        unsafe { Arc::increment_strong_count(ptr.cast_const().cast::<C::RustType>()) };
    }
    ptr
}

/// Drops one strong reference of a shared handle; NULL is a no-op.
///
/// # Safety
/// `ptr` is NULL or a live handle of type `C`; the caller gives up this
/// reference (must not use this pointer value again unless it holds
/// another reference).
pub(crate) unsafe fn free_arc<C>(ptr: *const C)
where
    C: Castable<Ownership = OwnershipArc>,
{
    if !ptr.is_null() {
        // SAFETY: `ptr` came from `Arc::into_raw` and owns one strong count
        // (contract), which this `from_raw` takes back and drops.
        drop(unsafe { Arc::from_raw(ptr.cast::<C::RustType>()) });
    }
}

/// Takes back the value of a single-owner handle; `None` for NULL.
///
/// # Safety
/// `ptr` is NULL or a live handle of type `C`, no reference to its value
/// exists now or later, and the caller never uses `ptr` again.
pub(crate) unsafe fn take_box<C>(ptr: *mut C) -> Option<Box<C::RustType>>
where
    C: Castable<Ownership = OwnershipBox>,
{
    if ptr.is_null() {
        None
    } else {
        // SAFETY: `ptr` came from `Box::into_raw(Box<C::RustType>)` and is
        // given back exactly once, with no reference outstanding (contract).
        Some(unsafe { Box::from_raw(ptr.cast::<C::RustType>()) })
    }
}

/// Drops the value of a single-owner handle; NULL is a no-op.
///
/// # Safety
/// As for [`take_box`].
pub(crate) unsafe fn free_box<C>(ptr: *mut C)
where
    C: Castable<Ownership = OwnershipBox>,
{
    // SAFETY: this function has `take_box`'s contract.
    drop(unsafe { take_box(ptr) });
}

/// Mutably borrows a required single-owner handle, or returns
/// `LIVEHUB_ERR_NULL` from the enclosing function.
macro_rules! mut_or_null {
    ($ptr:expr) => {
        // SAFETY: every exported function documents that its handle
        // arguments are NULL or live handles of their type, and single-owner
        // handles are used by one thread at a time.
        match unsafe { $crate::ffi::handle::try_mut($ptr) } {
            Some(r) => r,
            None => return $crate::ffi::result::LIVEHUB_ERR_NULL,
        }
    };
}
pub(crate) use mut_or_null;

/// A new strong reference behind a required shared handle, or returns
/// `LIVEHUB_ERR_NULL` from the enclosing function.
macro_rules! arc_or_null {
    ($ptr:expr) => {
        // SAFETY: every exported function documents that its handle
        // arguments are NULL or live handles of their type.
        match unsafe { $crate::ffi::handle::try_clone_arc($ptr) } {
            Some(r) => r,
            None => return $crate::ffi::result::LIVEHUB_ERR_NULL,
        }
    };
}
pub(crate) use arc_or_null;

/// Writes `value` to a required output pointer. The pointer must have been
/// checked for NULL by the caller (`check_out!`) before any work was done.
///
/// # Safety
/// `out` is non-NULL, aligned and valid for a write of `T` (the C caller's
/// contract for `*_out` arguments).
pub(crate) unsafe fn write_out<T>(out: *mut T, value: T) {
    // SAFETY: guaranteed by this function's contract; `write` does not read
    // or drop the (possibly uninitialised) old contents.
    unsafe { out.write(value) }
}

/// Returns `LIVEHUB_ERR_NULL` from the enclosing function if any of the
/// given pointers is NULL.
macro_rules! check_non_null {
    ($($ptr:expr),+ $(,)?) => {
        if false $(|| $ptr.is_null())+ {
            return $crate::ffi::result::LIVEHUB_ERR_NULL;
        }
    };
}
pub(crate) use check_non_null;
