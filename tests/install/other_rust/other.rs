//! A second Rust static library, standing for whatever other Rust code a C
//! server links (a codec, a TLS library, ...). tests/install/run.sh builds
//! it with plain `rustc --crate-type staticlib` and links it into one C
//! program with liblivehub (tests/install/two_rust_libs.c).
//!
//! It brings its own copy of the Rust standard library, as every Rust
//! static library does, and, like many real ones, its own global
//! allocator: one that counts the allocations made through it. Linked
//! with an archive that shares its global symbols, the two clash: the link
//! fails (`__rust_alloc` defined twice) or, in the other order, livehub's
//! allocations silently go through this allocator. With the installed,
//! symbol-localised liblivehub.a (or liblivehub.so) neither happens, and
//! `other_allocations()` counts only this library's own.

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every method forwards to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made through this library's allocator so far.
#[no_mangle]
pub extern "C" fn other_allocations() -> usize {
    ALLOCATIONS.load(Ordering::Relaxed)
}

/// Some work with the standard library (a map of words, a panic caught
/// inside): returns the number of distinct words in "a b a c", 3.
#[no_mangle]
pub extern "C" fn other_distinct_words() -> usize {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for w in "a b a c".split_whitespace() {
        *seen.entry(w.to_string()).or_default() += 1;
    }
    let quiet = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let caught = std::panic::catch_unwind(|| panic!("caught inside the library"));
    std::panic::set_hook(quiet);
    if caught.is_ok() {
        return 0;
    }
    seen.len()
}
