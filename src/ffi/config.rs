//! `livehub_config` and `livehub_play_options`: versioned option structs.
//!
//! Both start with `struct_size`, which their `_init` function sets to the
//! size of the struct in the header the caller was compiled against. When a
//! later version appends fields, a caller built against the older, shorter
//! struct keeps working: only the fields that lie entirely within
//! `struct_size` bytes are read, the others take their defaults. A larger
//! `struct_size` (a newer caller) is accepted; the trailing fields this
//! library does not know are ignored.
//!
//! Rule for future versions: the `_init` symbols of this version write
//! exactly this version's fields. A version that appends fields must add new
//! init symbols for the longer struct (and may point the header's names at
//! them), so that an old binary calling the old symbol is never written past
//! the end of its struct.

use super::group::{group_ref, livehub_group};
use super::result::{livehub_result, LIVEHUB_ERR_INVALID_ARG};
use super::tag::LIVEHUB_MAX_TAG_SIZE;
use crate::{Clock, Config, PlayOptions, TimestampMode};
use std::ffi::c_void;
use std::mem::size_of;

/// `livehub_play_options.timestamp_mode`: the first tag a player receives
/// has timestamp 0 (the default).
pub const LIVEHUB_TIMESTAMP_REBASE: u32 = 0;
/// `livehub_play_options.timestamp_mode`: the stream's own (corrected,
/// monotonic) timeline.
pub const LIVEHUB_TIMESTAMP_ABSOLUTE: u32 = 1;
/// An option value meaning "use the hub's configuration".
pub const LIVEHUB_INHERIT: u32 = 0xFFFFFFFF;

/// Policies and bounds of a hub, read by `livehub_hub_new()`.
///
/// Always fill it with `livehub_config_init()` first, then change the
/// fields you care about: init sets `struct_size`, which lets a newer
/// library accept a caller compiled against an older, shorter struct.
///
/// Ownership: the struct belongs to the caller and is only read during
/// `livehub_hub_new()`; `clock_userdata` is kept by the hub (see
/// `clock_ms`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct livehub_config {
    /// Size of this struct as the caller knows it; set by
    /// `livehub_config_init()`.
    pub struct_size: u32,
    /// Players wait this long for a new publisher after an unpublish before
    /// they see LIVEHUB_EOF. Default 5000.
    pub republish_wait_ms: u32,
    /// A stream with neither publisher nor players is reaped after this
    /// long. Default 3000.
    pub idle_stream_ms: u32,
    /// A publisher that pushes nothing for this long is unpublished.
    /// Default 20000.
    pub publisher_idle_timeout_ms: u32,
    /// A player with unread data that does not read for this long is
    /// expired (LIVEHUB_ERR_EXPIRED). Default 30000.
    pub player_idle_timeout_ms: u32,
    /// A player further behind the live edge than this skips to the newest
    /// keyframe. Default 10000.
    pub max_lag_ms: u32,
    /// GOP cache bound, in tags. Default 2500.
    pub gop_max_frames: u32,
    /// GOP cache bound, in bytes. Default 64 MiB.
    pub gop_max_bytes: u64,
    /// Tags with a larger body are refused (LIVEHUB_ERR_TOO_LARGE). At most
    /// LIVEHUB_MAX_TAG_SIZE, the FLV limit and the default.
    pub max_tag_size: u32,
    /// Where time comes from, in milliseconds since any fixed origin. NULL
    /// (the default): a monotonic system clock. Otherwise it is called
    /// with `clock_userdata` from any thread that calls into livehub,
    /// possibly concurrently, for as long as the hub or any of its streams,
    /// publishers or players exists; it must never go back and must not
    /// call into livehub.
    pub clock_ms: Option<unsafe extern "C" fn(userdata: *mut c_void) -> u64>,
    /// Passed to `clock_ms`; livehub never dereferences or frees it.
    pub clock_userdata: *mut c_void,
}

/// Per-player options for `livehub_stream_play()`.
///
/// Fill it with `livehub_play_options_init()` first (it sets `struct_size`
/// and the defaults), then change what you need. Only read during the call.
///
/// Timestamps. The stream maps every publisher timestamp onto one
/// continuous timeline that never goes back, once, at publish time: steps
/// are measured from the highest input seen, with 32-bit wrapping (a
/// counter wrap is a small step); a step back of at most 250 ms (audio a
/// little behind video) is held at the previous position without drift; a
/// larger step back (republish, encoder restart) or a jump forward of more
/// than 10 s is a discontinuity: the timeline goes on 10 ms after the
/// previous tag. A player then sees that timeline either rebased so its
/// first tag is 0 (LIVEHUB_TIMESTAMP_REBASE, the default; metadata and
/// sequence headers handed out at a join or a skip carry the current
/// position) or as it is (LIVEHUB_TIMESTAMP_ABSOLUTE). Either way a
/// player's timestamps never decrease, across republishes too, except that
/// they are 32-bit FLV timestamps: they wrap from 0xFFFFFFFF to 0 when the
/// timeline passes 2^32 ms (49.7 days; in absolute mode, as soon as the
/// publisher's own timestamps wrapped), which a player reads modulo 2^32.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct livehub_play_options {
    /// Size of this struct as the caller knows it; set by
    /// `livehub_play_options_init()`.
    pub struct_size: u32,
    /// LIVEHUB_TIMESTAMP_REBASE (default) or LIVEHUB_TIMESTAMP_ABSOLUTE.
    pub timestamp_mode: u32,
    /// How long this player waits for a new publisher, in ms;
    /// LIVEHUB_INHERIT (default) for the hub's `republish_wait_ms`.
    pub republish_wait_ms: u32,
    /// The event loop's group this player belongs to (borrowed for the
    /// call; the player keeps what it needs), or NULL (default): the
    /// player's notify callback then runs on the thread that changed the
    /// stream. With a group, it runs in `livehub_group_dispatch()`.
    pub group: *mut livehub_group,
}

/// `(offset, end)` of `field` within `base`, in bytes.
fn field_span<T, F>(base: &T, field: &F) -> (usize, usize) {
    let offset = field as *const F as usize - base as *const T as usize;
    (offset, offset + size_of::<F>())
}

/// Reads a `T` at `base + offset`.
///
/// # Safety
/// `base + offset` is aligned for `T` and valid for reading a `T` within one
/// allocation, and those bytes are a valid `T`.
unsafe fn read_at<T>(base: *const u8, offset: usize) -> T {
    // SAFETY: this function's contract.
    unsafe { base.add(offset).cast::<T>().read() }
}

/// Copies `$dst.$field` from the C struct at `$src` if the field lies within
/// its first `$size` bytes.
///
/// Needs an `unsafe` context whose contract is: `$src` is aligned for the
/// struct type and valid for reads of `$size` bytes.
macro_rules! copy_field_within {
    ($src:expr, $size:expr, $dst:ident . $field:ident) => {{
        let (offset, end) = field_span(&$dst, &$dst.$field);
        if end <= $size {
            // SAFETY: the field's bytes lie within the first `$size` bytes of
            // `$src`, which the caller guarantees readable; `$src` is aligned
            // for the struct, so the field at its own offset is aligned for
            // its type; every bit pattern C can store in these fields (plain
            // integers, a pointer, or a NULL-or-function pointer) is a valid
            // value of the Rust field type.
            $dst.$field = unsafe { read_at($src.cast::<u8>(), offset) };
        }
    }};
}

/// Bytes a `livehub_config` must at least have: up to `max_tag_size`, the
/// fields of the first published version of the header.
pub(crate) fn config_min_size() -> usize {
    let c = config_defaults();
    field_span(&c, &c.max_tag_size).1
}

/// Bytes a `livehub_play_options` must at least have: all its first
/// version's fields.
pub(crate) const PLAY_OPTIONS_MIN_SIZE: usize = 3 * size_of::<u32>();

fn config_defaults() -> livehub_config {
    let d = Config::default();
    livehub_config {
        struct_size: size_of::<livehub_config>() as u32,
        republish_wait_ms: d.republish_wait_ms,
        idle_stream_ms: d.idle_stream_ms,
        publisher_idle_timeout_ms: d.publisher_idle_timeout_ms,
        player_idle_timeout_ms: d.player_idle_timeout_ms,
        max_lag_ms: d.max_lag_ms,
        gop_max_frames: d.gop_max_frames,
        gop_max_bytes: d.gop_max_bytes,
        max_tag_size: d.max_tag_size,
        clock_ms: None,
        clock_userdata: std::ptr::null_mut(),
    }
}

fn play_options_defaults() -> livehub_play_options {
    livehub_play_options {
        struct_size: size_of::<livehub_play_options>() as u32,
        timestamp_mode: LIVEHUB_TIMESTAMP_REBASE,
        republish_wait_ms: LIVEHUB_INHERIT,
        group: std::ptr::null_mut(),
    }
}

/// A clock provided by C. See `livehub_config.clock_ms`.
struct CClock {
    now_ms: unsafe extern "C" fn(userdata: *mut c_void) -> u64,
    userdata: *mut c_void,
}

// SAFETY: the caller of `livehub_hub_new` promises (documented on
// `livehub_config.clock_ms`) that the function may be called with this
// userdata from any thread, concurrently, for the life of the hub. livehub
// itself never dereferences `userdata`.
unsafe impl Send for CClock {}
// SAFETY: as for `Send`: concurrent calls through `&CClock` are allowed by
// the same documented contract.
unsafe impl Sync for CClock {}

impl Clock for CClock {
    fn now_ms(&self) -> u64 {
        // SAFETY: `now_ms` is a non-NULL function pointer the caller gave
        // with the contract stated on `livehub_config.clock_ms` (callable
        // with `userdata` from any thread while the hub lives).
        unsafe { (self.now_ms)(self.userdata) }
    }
}

/// The core configuration for `livehub_hub_new()`.
///
/// NULL gives the defaults. Errors (`LIVEHUB_ERR_INVALID_ARG`):
/// `struct_size` below the first version's fields (such as 0: the struct
/// was not initialised with `livehub_config_init()`), or `max_tag_size`
/// over LIVEHUB_MAX_TAG_SIZE (FLV cannot frame it).
///
/// # Safety
/// `cfg` is NULL, or aligned for `livehub_config` and valid for reads of
/// its `struct_size` first bytes (and of at least 4 bytes).
pub(crate) unsafe fn config_from_c(cfg: *const livehub_config) -> Result<Config, livehub_result> {
    let mut c = config_defaults();
    if !cfg.is_null() {
        // SAFETY: non-NULL, aligned and readable for at least the 4 bytes of
        // `struct_size`, the first field (this function's contract).
        let size = unsafe { cfg.cast::<u32>().read() } as usize;
        if size < config_min_size() {
            return Err(LIVEHUB_ERR_INVALID_ARG);
        }
        // Each copy reads within `size` bytes: contract of this function.
        copy_field_within!(cfg, size, c.republish_wait_ms);
        copy_field_within!(cfg, size, c.idle_stream_ms);
        copy_field_within!(cfg, size, c.publisher_idle_timeout_ms);
        copy_field_within!(cfg, size, c.player_idle_timeout_ms);
        copy_field_within!(cfg, size, c.max_lag_ms);
        copy_field_within!(cfg, size, c.gop_max_frames);
        copy_field_within!(cfg, size, c.gop_max_bytes);
        copy_field_within!(cfg, size, c.max_tag_size);
        copy_field_within!(cfg, size, c.clock_ms);
        copy_field_within!(cfg, size, c.clock_userdata);
    }
    if c.max_tag_size > LIVEHUB_MAX_TAG_SIZE {
        return Err(LIVEHUB_ERR_INVALID_ARG);
    }
    let mut out = Config {
        republish_wait_ms: c.republish_wait_ms,
        idle_stream_ms: c.idle_stream_ms,
        publisher_idle_timeout_ms: c.publisher_idle_timeout_ms,
        player_idle_timeout_ms: c.player_idle_timeout_ms,
        max_lag_ms: c.max_lag_ms,
        gop_max_frames: c.gop_max_frames,
        gop_max_bytes: c.gop_max_bytes,
        max_tag_size: c.max_tag_size,
        ..Config::default()
    };
    if let Some(now_ms) = c.clock_ms {
        out.clock = std::sync::Arc::new(CClock {
            now_ms,
            userdata: c.clock_userdata,
        });
    }
    Ok(out)
}

/// The core play options for `livehub_stream_play()`.
///
/// NULL gives the defaults. Errors (`LIVEHUB_ERR_INVALID_ARG`):
/// `struct_size` below the first version's fields, or an unknown
/// `timestamp_mode`.
///
/// # Safety
/// `opts` is NULL, or aligned for `livehub_play_options` and valid for
/// reads of its `struct_size` first bytes (and of at least 4 bytes).
pub(crate) unsafe fn play_options_from_c(
    opts: *const livehub_play_options,
) -> Result<PlayOptions, livehub_result> {
    let mut o = play_options_defaults();
    if !opts.is_null() {
        // SAFETY: non-NULL, aligned and readable for at least the 4 bytes of
        // `struct_size`, the first field (this function's contract).
        let size = unsafe { opts.cast::<u32>().read() } as usize;
        if size < PLAY_OPTIONS_MIN_SIZE {
            return Err(LIVEHUB_ERR_INVALID_ARG);
        }
        // Each copy reads within `size` bytes: contract of this function.
        copy_field_within!(opts, size, o.timestamp_mode);
        copy_field_within!(opts, size, o.republish_wait_ms);
        copy_field_within!(opts, size, o.group);
    }
    let timestamps = match o.timestamp_mode {
        LIVEHUB_TIMESTAMP_REBASE => TimestampMode::Rebase,
        LIVEHUB_TIMESTAMP_ABSOLUTE => TimestampMode::Absolute,
        _ => return Err(LIVEHUB_ERR_INVALID_ARG),
    };
    let republish_wait_ms = match o.republish_wait_ms {
        LIVEHUB_INHERIT => None,
        ms => Some(ms),
    };
    // SAFETY: `group` is NULL or a live group handle, not released during
    // this call (contract of `livehub_stream_play()`).
    let group = unsafe { group_ref(o.group) }.cloned();
    Ok(PlayOptions {
        timestamps,
        republish_wait_ms,
        group,
    })
}

/// Fills `*cfg` with the defaults (listed on each field) and sets
/// `cfg->struct_size`. Call it before changing any field and passing the
/// struct to `livehub_hub_new()`.
///
/// Ownership: `cfg` is the caller's; it is only written.
///
/// Threads: any, concurrently (on different structs).
///
/// Returns nothing; NULL `cfg`: does nothing.
#[no_mangle]
pub extern "C" fn livehub_config_init(cfg: *mut livehub_config) {
    ffi_panic_boundary! {
        if !cfg.is_null() {
            // SAFETY: the caller passes NULL (handled) or a pointer to a
            // writable `livehub_config` of this header's layout.
            unsafe { cfg.write(config_defaults()) };
        }
    }
}

/// Fills `*opts` with the defaults (LIVEHUB_TIMESTAMP_REBASE,
/// LIVEHUB_INHERIT, no group) and sets `opts->struct_size`. The header
/// maps this name to `livehub_play_options_init_v2()`; the symbol itself
/// is kept for programs built against the first version of the struct,
/// and writes only that version's fields (`struct_size`, `timestamp_mode`,
/// `republish_wait_ms`).
///
/// Ownership: `opts` is the caller's; it is only written.
///
/// Threads: any, concurrently (on different structs).
///
/// Returns nothing; NULL `opts`: does nothing.
#[no_mangle]
pub extern "C" fn livehub_play_options_init(opts: *mut livehub_play_options) {
    ffi_panic_boundary! {
        if !opts.is_null() {
            let d = play_options_defaults();
            let first = opts.cast::<u32>();
            // SAFETY: the caller passes NULL (handled) or a pointer to a
            // writable struct of at least the first version's layout: three
            // `u32`s, `struct_size` first.
            unsafe {
                first.write(PLAY_OPTIONS_MIN_SIZE as u32);
                first.add(1).write(d.timestamp_mode);
                first.add(2).write(d.republish_wait_ms);
            }
        }
    }
}

/// Fills `*opts` with the defaults (LIVEHUB_TIMESTAMP_REBASE,
/// LIVEHUB_INHERIT, `group` NULL) and sets `opts->struct_size`: the
/// `livehub_play_options_init()` of this header (the name is mapped to it).
///
/// Ownership: `opts` is the caller's; it is only written.
///
/// Threads: any, concurrently (on different structs).
///
/// Returns nothing; NULL `opts`: does nothing.
#[no_mangle]
pub extern "C" fn livehub_play_options_init_v2(opts: *mut livehub_play_options) {
    ffi_panic_boundary! {
        if !opts.is_null() {
            // SAFETY: the caller passes NULL (handled) or a pointer to a
            // writable `livehub_play_options` of this header's layout.
            unsafe { opts.write(play_options_defaults()) };
        }
    }
}
