//! Tests of the C ABI, calling the exported functions as a C caller would:
//! raw pointers in, result codes and `*_out` arguments back.

use super::config::*;
use super::group::*;
use super::handle::try_clone_arc;
use super::hub::*;
use super::panic::catch_panic;
use super::player::*;
use super::publisher::*;
use super::result::*;
use super::stream::*;
use super::tag::*;
use crate::{Error, TagView};
use std::ffi::{c_char, c_void, CStr, CString};
use std::ptr::{null, null_mut};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

// ---------------------------------------------------------------- helpers

const AAC_SH: &[u8] = &[0xaf, 0x00, 0x12, 0x10];
const AAC_RAW: &[u8] = &[0xaf, 0x01, 0x21, 0x22];
const AVC_SH: &[u8] = &[0x17, 0x00, 0, 0, 0, 0x01, 0x64];
const AVC_KEY: &[u8] = &[0x17, 0x01, 0, 0, 0, 0xAA];
const AVC_INTER: &[u8] = &[0x27, 0x01, 0, 0, 0, 0xBB];

/// A pointer value no livehub function returns: "untouched" marker.
fn sentinel<T>() -> *mut T {
    0x10 as *mut T
}

fn key(s: &str) -> CString {
    CString::new(s).unwrap()
}

fn text(p: *const c_char) -> String {
    assert!(!p.is_null());
    // SAFETY: livehub returns static NUL-terminated strings.
    unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned()
}

fn new_hub() -> *mut livehub_hub {
    let mut hub = null_mut();
    assert_eq!(livehub_hub_new(null(), &mut hub), LIVEHUB_OK);
    assert!(!hub.is_null());
    hub
}

fn get_stream(hub: *mut livehub_hub, k: &str) -> *mut livehub_stream {
    let mut s = null_mut();
    assert_eq!(livehub_hub_stream(hub, key(k).as_ptr(), &mut s), LIVEHUB_OK);
    assert!(!s.is_null());
    s
}

fn publish(s: *mut livehub_stream) -> *mut livehub_publisher {
    let mut p = null_mut();
    assert_eq!(livehub_stream_publish(s, &mut p), LIVEHUB_OK);
    assert!(!p.is_null());
    p
}

fn play(s: *mut livehub_stream) -> *mut livehub_player {
    let mut pl = null_mut();
    assert_eq!(livehub_stream_play(s, null(), &mut pl), LIVEHUB_OK);
    assert!(!pl.is_null());
    pl
}

fn push(p: *mut livehub_publisher, tag_type: u8, ts: u32, body: &[u8]) -> livehub_result {
    livehub_publisher_push_tag(p, tag_type, ts, body.as_ptr(), body.len())
}

fn push_av(p: *mut livehub_publisher) {
    assert_eq!(push(p, LIVEHUB_TAG_AUDIO, 0, AAC_SH), LIVEHUB_OK);
    assert_eq!(push(p, LIVEHUB_TAG_VIDEO, 0, AVC_SH), LIVEHUB_OK);
    assert_eq!(push(p, LIVEHUB_TAG_VIDEO, 0, AVC_KEY), LIVEHUB_OK);
    assert_eq!(push(p, LIVEHUB_TAG_AUDIO, 20, AAC_RAW), LIVEHUB_OK);
    assert_eq!(push(p, LIVEHUB_TAG_VIDEO, 40, AVC_INTER), LIVEHUB_OK);
}

fn empty_tag() -> livehub_tag {
    livehub_tag {
        r#type: 0xEE,
        timestamp: 0xEEEE,
        flags: 0xEEEE,
        data: sentinel(),
        size: 0xEEEE,
    }
}

fn is_untouched(tag: &livehub_tag) -> bool {
    tag.r#type == 0xEE && tag.timestamp == 0xEEEE && tag.data == sentinel() && tag.size == 0xEEEE
}

/// One read, copied out of the borrowed view.
fn read(pl: *mut livehub_player) -> Result<(u8, u32, u32, Vec<u8>), livehub_result> {
    let mut tag = empty_tag();
    match livehub_player_read(pl, &mut tag) {
        LIVEHUB_OK => {
            assert!(!tag.data.is_null());
            // SAFETY: on LIVEHUB_OK the view is valid until the next call.
            let body = unsafe { std::slice::from_raw_parts(tag.data, tag.size) }.to_vec();
            Ok((tag.r#type, tag.timestamp, tag.flags, body))
        }
        code => {
            assert!(is_untouched(&tag), "tag_out written on {code}");
            Err(code)
        }
    }
}

/// Everything `read_flv` gives until it stops, in chunks of `chunk` bytes.
fn drain_flv(pl: *mut livehub_player, chunk: usize) -> (Vec<u8>, livehub_result) {
    let mut out = Vec::new();
    let mut buf = vec![0u8; chunk];
    loop {
        let mut n = usize::MAX;
        let r = livehub_player_read_flv(pl, buf.as_mut_ptr(), buf.len(), &mut n);
        if r != LIVEHUB_OK {
            assert_eq!(n, usize::MAX, "written_out written on {r}");
            return (out, r);
        }
        assert!(n > 0 && n <= chunk);
        out.extend_from_slice(&buf[..n]);
    }
}

/// Everything `read_iov` gives until it stops, `cap` entries at a time.
fn drain_iov(pl: *mut livehub_player, cap: usize) -> (Vec<u8>, livehub_result) {
    let mut out = Vec::new();
    let blank = livehub_iovec {
        iov_base: sentinel(),
        iov_len: 0xEEEE,
    };
    loop {
        let mut iov = vec![blank; cap + 1];
        let mut n = usize::MAX;
        let r = livehub_player_read_iov(pl, iov.as_mut_ptr(), cap, &mut n);
        if r != LIVEHUB_OK {
            assert_eq!(n, usize::MAX);
            assert!(iov.iter().all(|v| v.iov_base == blank.iov_base));
            return (out, r);
        }
        assert!(n >= 1 && n <= cap);
        for v in &iov[..n] {
            assert!(v.iov_len > 0);
            // SAFETY: valid until the next call on this player.
            out.extend_from_slice(unsafe {
                std::slice::from_raw_parts(v.iov_base as *const u8, v.iov_len)
            });
        }
        assert!(iov[n..]
            .iter()
            .all(|v| v.iov_base == blank.iov_base && v.iov_len == 0xEEEE));
    }
}

/// The strong count of a shared handle (without changing it).
fn strong<C>(p: *mut C) -> usize
where
    C: super::handle::Castable<Ownership = super::handle::OwnershipArc>,
{
    // SAFETY: `p` is a live handle of type `C` in these tests.
    let a = unsafe { try_clone_arc(p) }.unwrap();
    Arc::strong_count(&a) - 1
}

unsafe extern "C" fn count_call(userdata: *mut c_void) {
    // SAFETY: the tests pass a pointer to an `AtomicUsize` that outlives
    // every call.
    let counter = unsafe { &*(userdata as *const AtomicUsize) };
    counter.fetch_add(1, Ordering::SeqCst);
}

fn ud(counter: &AtomicUsize) -> *mut c_void {
    counter as *const AtomicUsize as *mut c_void
}

// ------------------------------------------------------- results, version

#[test]
fn result_codes_have_their_fixed_values() {
    let codes = [
        LIVEHUB_OK,
        LIVEHUB_AGAIN,
        LIVEHUB_EOF,
        LIVEHUB_TIMEOUT,
        LIVEHUB_ERR_NULL,
        LIVEHUB_ERR_INVALID_ARG,
        LIVEHUB_ERR_BUSY,
        LIVEHUB_ERR_NOT_FOUND,
        LIVEHUB_ERR_CLOSED,
        LIVEHUB_ERR_FLV,
        LIVEHUB_ERR_TOO_LARGE,
        LIVEHUB_ERR_BUFFER,
        LIVEHUB_ERR_EXPIRED,
        LIVEHUB_ERR_PANIC,
    ];
    for (i, code) in codes.iter().enumerate() {
        assert_eq!(*code as usize, i);
    }
}

#[test]
fn result_str_describes_every_code() {
    let expected = [
        (LIVEHUB_OK, "ok"),
        (LIVEHUB_AGAIN, "no data yet, try again"),
        (LIVEHUB_EOF, "end of stream"),
        (LIVEHUB_TIMEOUT, "timed out"),
        (LIVEHUB_ERR_NULL, "required pointer argument is NULL"),
        (LIVEHUB_ERR_INVALID_ARG, "invalid argument"),
        (LIVEHUB_ERR_BUSY, "stream already has a publisher"),
        (LIVEHUB_ERR_NOT_FOUND, "stream not found"),
        (LIVEHUB_ERR_CLOSED, "stream or publisher closed"),
        (LIVEHUB_ERR_FLV, "malformed FLV data"),
        (LIVEHUB_ERR_TOO_LARGE, "tag larger than max_tag_size"),
        (LIVEHUB_ERR_BUFFER, "buffer too small"),
        (LIVEHUB_ERR_EXPIRED, "player expired after not reading"),
        (LIVEHUB_ERR_PANIC, "internal panic caught by livehub"),
    ];
    for (code, s) in expected {
        assert_eq!(text(livehub_result_str(code)), s);
    }
    for unknown in [14, 100, 0x8000_0000, u32::MAX] {
        assert_eq!(text(livehub_result_str(unknown)), "unknown result");
    }
}

#[test]
fn core_errors_map_to_codes_with_the_core_wording() {
    let all = [
        (Error::Again, LIVEHUB_AGAIN),
        (Error::Eof, LIVEHUB_EOF),
        (Error::Timeout, LIVEHUB_TIMEOUT),
        (Error::InvalidArg, LIVEHUB_ERR_INVALID_ARG),
        (Error::Busy, LIVEHUB_ERR_BUSY),
        (Error::NotFound, LIVEHUB_ERR_NOT_FOUND),
        (Error::Closed, LIVEHUB_ERR_CLOSED),
        (Error::Flv, LIVEHUB_ERR_FLV),
        (Error::TooLarge, LIVEHUB_ERR_TOO_LARGE),
        (Error::Buffer, LIVEHUB_ERR_BUFFER),
        (Error::Expired, LIVEHUB_ERR_EXPIRED),
    ];
    for (e, code) in all {
        assert_eq!(from_error(e), code);
        assert_eq!(from_result(Err(e)), code);
        assert_eq!(text(livehub_result_str(code)), e.as_str());
    }
    assert_eq!(from_result(Ok(())), LIVEHUB_OK);
}

#[test]
fn version_is_the_crate_version() {
    assert_eq!(text(livehub_version()), env!("CARGO_PKG_VERSION"));
    assert_eq!(livehub_version(), livehub_version());
}

#[test]
fn panic_boundary_turns_panics_into_results() {
    let r: livehub_result = catch_panic(|| panic!("test panic (expected)"));
    assert_eq!(r, LIVEHUB_ERR_PANIC);
    let p: *mut livehub_hub = catch_panic(|| panic!("test panic (expected)"));
    assert!(p.is_null());
    let s: *const c_char = catch_panic(|| panic!("test panic (expected)"));
    assert_eq!(text(s), "panic");
    catch_panic(|| -> () { panic!("test panic (expected)") });
    assert_eq!(catch_panic(|| LIVEHUB_EOF), LIVEHUB_EOF);
}

// -------------------------------------------------------- config structs

#[test]
fn config_init_gives_the_documented_defaults() {
    let mut cfg = std::mem::MaybeUninit::<livehub_config>::uninit();
    livehub_config_init(cfg.as_mut_ptr());
    // SAFETY: init wrote every field.
    let cfg = unsafe { cfg.assume_init() };
    assert_eq!(
        cfg.struct_size as usize,
        std::mem::size_of::<livehub_config>()
    );
    assert_eq!(cfg.republish_wait_ms, 5000);
    assert_eq!(cfg.idle_stream_ms, 3000);
    assert_eq!(cfg.publisher_idle_timeout_ms, 20000);
    assert_eq!(cfg.player_idle_timeout_ms, 30000);
    assert_eq!(cfg.max_lag_ms, 10000);
    assert_eq!(cfg.gop_max_frames, 2500);
    assert_eq!(cfg.gop_max_bytes, 64 << 20);
    assert_eq!(cfg.max_tag_size, 0xFFFFFF);
    assert!(cfg.clock_ms.is_none());
    assert!(cfg.clock_userdata.is_null());
    livehub_config_init(null_mut()); // no-op

    // The first version's symbol writes the first version's three fields
    // only; the header's name maps to _v2, which writes them all.
    let sentinel_group = 8usize as *mut livehub_group;
    let mut opts = livehub_play_options {
        struct_size: 0,
        timestamp_mode: 7,
        republish_wait_ms: 7,
        group: sentinel_group,
    };
    livehub_play_options_init(&mut opts);
    assert_eq!(
        opts,
        livehub_play_options {
            struct_size: 12,
            timestamp_mode: LIVEHUB_TIMESTAMP_REBASE,
            republish_wait_ms: LIVEHUB_INHERIT,
            group: sentinel_group,
        }
    );
    livehub_play_options_init_v2(&mut opts);
    assert_eq!(
        opts,
        livehub_play_options {
            struct_size: size_of::<livehub_play_options>() as u32,
            timestamp_mode: LIVEHUB_TIMESTAMP_REBASE,
            republish_wait_ms: LIVEHUB_INHERIT,
            group: null_mut(),
        }
    );
    livehub_play_options_init(null_mut()); // no-op
    livehub_play_options_init_v2(null_mut()); // no-op
    assert_eq!(LIVEHUB_INHERIT, u32::MAX);
}

#[test]
fn struct_layouts_match_the_header() {
    use std::mem::{align_of, size_of};
    let ptr = size_of::<usize>();
    let c = {
        let mut c = std::mem::MaybeUninit::<livehub_config>::uninit();
        livehub_config_init(c.as_mut_ptr());
        // SAFETY: initialised just above.
        unsafe { c.assume_init() }
    };
    let base = &c as *const _ as usize;
    let off = |p: *const u8| p as usize - base;
    assert_eq!(off(&c.republish_wait_ms as *const u32 as *const u8), 4);
    assert_eq!(off(&c.gop_max_frames as *const u32 as *const u8), 24);
    assert_eq!(off(&c.gop_max_bytes as *const u64 as *const u8), 32);
    assert_eq!(off(&c.max_tag_size as *const u32 as *const u8), 40);
    assert_eq!(config_min_size(), 44);
    // The first version's three u32s, then `group` at pointer alignment.
    assert_eq!(PLAY_OPTIONS_MIN_SIZE, 12);
    assert_eq!(
        size_of::<livehub_play_options>(),
        if ptr == 8 { 24 } else { 16 }
    );
    assert_eq!(size_of::<livehub_iovec>(), 2 * ptr);
    assert_eq!(align_of::<livehub_iovec>(), ptr);
    assert_eq!(
        size_of::<livehub_tag>(),
        12 + ptr + ptr + if ptr == 8 { 4 } else { 0 }
    );
}

/// What a caller compiled against a header with only the first fields
/// (through `max_tag_size`) passes.
#[repr(C)]
struct ConfigV0 {
    struct_size: u32,
    republish_wait_ms: u32,
    idle_stream_ms: u32,
    publisher_idle_timeout_ms: u32,
    player_idle_timeout_ms: u32,
    max_lag_ms: u32,
    gop_max_frames: u32,
    gop_max_bytes: u64,
    max_tag_size: u32,
}

/// What a caller compiled against a newer header with one more field passes.
#[repr(C)]
struct ConfigNext {
    current: livehub_config,
    newer_field: u64,
}

unsafe extern "C" fn test_clock(userdata: *mut c_void) -> u64 {
    // SAFETY: the tests pass a pointer to an `AtomicU64` that outlives the hub.
    let now = unsafe { &*(userdata as *const AtomicU64) };
    now.load(Ordering::SeqCst)
}

/// Calls of `clock_never_called` (only `config_struct_size_is_honoured`
/// installs it).
static UNEXPECTED_CLOCK_CALLS: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C" fn clock_never_called(_: *mut c_void) -> u64 {
    UNEXPECTED_CLOCK_CALLS.fetch_add(1, Ordering::SeqCst);
    0
}

#[test]
fn config_struct_size_is_honoured() {
    // Never initialised: struct_size 0.
    // SAFETY: all-zero is a valid livehub_config (NULL clock, zeros).
    let zeroed: livehub_config = unsafe { std::mem::zeroed() };
    let mut hub = sentinel();
    assert_eq!(livehub_hub_new(&zeroed, &mut hub), LIVEHUB_ERR_INVALID_ARG);
    assert_eq!(hub, sentinel());

    // Too short for the first version's fields.
    let mut cfg = zeroed;
    livehub_config_init(&mut cfg);
    cfg.struct_size = 40;
    assert_eq!(livehub_hub_new(&cfg, &mut hub), LIVEHUB_ERR_INVALID_ARG);
    assert_eq!(hub, sentinel());

    // An older, shorter struct: the fields it has are used, the clock
    // (beyond its end) is not read.
    let old = ConfigV0 {
        struct_size: std::mem::size_of::<ConfigV0>() as u32,
        republish_wait_ms: 0,
        idle_stream_ms: 3000,
        publisher_idle_timeout_ms: 20000,
        player_idle_timeout_ms: 30000,
        max_lag_ms: 10000,
        gop_max_frames: 2500,
        gop_max_bytes: 64 << 20,
        max_tag_size: 4,
    };
    let as_cfg = &old as *const ConfigV0 as *const livehub_config;
    assert_eq!(livehub_hub_new(as_cfg, &mut hub), LIVEHUB_OK);
    let s = get_stream(hub, "live/old");
    let p = publish(s);
    assert_eq!(push(p, LIVEHUB_TAG_AUDIO, 0, AAC_RAW), LIVEHUB_OK);
    assert_eq!(
        push(p, LIVEHUB_TAG_AUDIO, 0, &[0xaf, 1, 2, 3, 4]),
        LIVEHUB_ERR_TOO_LARGE
    );
    livehub_publisher_release(p);
    livehub_stream_release(s);
    livehub_hub_release(hub);

    // Exactly the first version's bytes: the clock fields are not read.
    cfg.struct_size = config_min_size() as u32;
    cfg.clock_ms = Some(clock_never_called);
    let mut hub = null_mut();
    assert_eq!(livehub_hub_new(&cfg, &mut hub), LIVEHUB_OK);
    let s = get_stream(hub, "live/min");
    let p = publish(s);
    assert_eq!(push(p, LIVEHUB_TAG_AUDIO, 0, AAC_RAW), LIVEHUB_OK);
    livehub_publisher_release(p);
    livehub_stream_release(s);
    livehub_hub_release(hub);
    assert_eq!(UNEXPECTED_CLOCK_CALLS.load(Ordering::SeqCst), 0);

    // A newer, longer struct: accepted, the unknown field ignored.
    let mut next = ConfigNext {
        current: zeroed,
        newer_field: 99,
    };
    livehub_config_init(&mut next.current);
    next.current.struct_size = std::mem::size_of::<ConfigNext>() as u32;
    let mut hub = null_mut();
    assert_eq!(livehub_hub_new(&next.current, &mut hub), LIVEHUB_OK);
    livehub_hub_release(hub);

    // max_tag_size beyond what FLV can frame.
    livehub_config_init(&mut cfg);
    cfg.max_tag_size = LIVEHUB_MAX_TAG_SIZE + 1;
    let mut hub = sentinel();
    assert_eq!(livehub_hub_new(&cfg, &mut hub), LIVEHUB_ERR_INVALID_ARG);
    assert_eq!(hub, sentinel());
}

#[test]
fn play_options_are_checked_and_applied() {
    let hub = new_hub();
    let s = get_stream(hub, "live/opts");
    let p = publish(s);
    let mut pl = sentinel();

    let mut opts = livehub_play_options {
        struct_size: 0,
        timestamp_mode: 0,
        republish_wait_ms: 0,
        group: null_mut(),
    };
    assert_eq!(
        livehub_stream_play(s, &opts, &mut pl),
        LIVEHUB_ERR_INVALID_ARG
    );
    livehub_play_options_init(&mut opts);
    opts.struct_size = 8;
    assert_eq!(
        livehub_stream_play(s, &opts, &mut pl),
        LIVEHUB_ERR_INVALID_ARG
    );
    livehub_play_options_init(&mut opts);
    opts.timestamp_mode = 2;
    assert_eq!(
        livehub_stream_play(s, &opts, &mut pl),
        LIVEHUB_ERR_INVALID_ARG
    );
    assert_eq!(pl, sentinel());

    // Absolute timestamps versus the default rebase.
    assert_eq!(push(p, LIVEHUB_TAG_AUDIO, 1000, AAC_RAW), LIVEHUB_OK);
    livehub_play_options_init(&mut opts);
    opts.timestamp_mode = LIVEHUB_TIMESTAMP_ABSOLUTE;
    let mut abs = null_mut();
    assert_eq!(livehub_stream_play(s, &opts, &mut abs), LIVEHUB_OK);
    let rebased = play(s);
    assert_eq!(push(p, LIVEHUB_TAG_AUDIO, 1040, AAC_RAW), LIVEHUB_OK);
    let (_, ts_abs, _, _) = read(abs).unwrap();
    let (_, ts_rebased, _, _) = read(rebased).unwrap();
    assert_eq!(ts_abs, 1040);
    assert!(ts_rebased < ts_abs, "rebased {ts_rebased}");

    livehub_player_release(abs);
    livehub_player_release(rebased);
    livehub_publisher_release(p);
    livehub_stream_release(s);
    livehub_hub_release(hub);
}

#[test]
fn a_c_clock_drives_the_republish_wait() {
    let now = AtomicU64::new(10_000);
    let mut cfg = std::mem::MaybeUninit::<livehub_config>::uninit();
    livehub_config_init(cfg.as_mut_ptr());
    // SAFETY: initialised just above.
    let mut cfg = unsafe { cfg.assume_init() };
    cfg.republish_wait_ms = 1000;
    cfg.clock_ms = Some(test_clock);
    cfg.clock_userdata = &now as *const AtomicU64 as *mut c_void;
    let mut hub = null_mut();
    assert_eq!(livehub_hub_new(&cfg, &mut hub), LIVEHUB_OK);
    let s = get_stream(hub, "live/clock");
    let p = publish(s);
    let pl = play(s);
    assert_eq!(push(p, LIVEHUB_TAG_AUDIO, 0, AAC_RAW), LIVEHUB_OK);
    assert!(read(pl).is_ok());
    livehub_publisher_release(p);
    assert_eq!(read(pl), Err(LIVEHUB_AGAIN));
    now.fetch_add(999, Ordering::SeqCst);
    assert_eq!(livehub_hub_tick(hub), LIVEHUB_OK);
    assert_eq!(read(pl), Err(LIVEHUB_AGAIN));
    now.fetch_add(1, Ordering::SeqCst);
    assert_eq!(livehub_hub_tick(hub), LIVEHUB_OK);
    assert_eq!(read(pl), Err(LIVEHUB_EOF));
    assert_eq!(read(pl), Err(LIVEHUB_EOF));
    livehub_player_release(pl);
    livehub_stream_release(s);
    livehub_hub_release(hub);
}

// ----------------------------------------------------------- NULL checks

#[test]
fn null_arguments_give_err_null_and_change_nothing() {
    let hub = new_hub();
    let k = key("live/null");
    let s = get_stream(hub, "live/null");
    let p = publish(s);
    let pl = play(s);
    push_av(p);

    // Hub.
    assert_eq!(livehub_hub_new(null(), null_mut()), LIVEHUB_ERR_NULL);
    assert_eq!(livehub_hub_tick(null_mut()), LIVEHUB_ERR_NULL);
    assert!(livehub_hub_retain(null_mut()).is_null());
    livehub_hub_release(null_mut());
    let mut out = sentinel();
    assert_eq!(
        livehub_hub_stream(null_mut(), k.as_ptr(), &mut out),
        LIVEHUB_ERR_NULL
    );
    assert_eq!(livehub_hub_stream(hub, null(), &mut out), LIVEHUB_ERR_NULL);
    assert_eq!(
        livehub_hub_stream(hub, k.as_ptr(), null_mut()),
        LIVEHUB_ERR_NULL
    );
    assert_eq!(
        livehub_hub_find(null_mut(), k.as_ptr(), &mut out),
        LIVEHUB_ERR_NULL
    );
    assert_eq!(livehub_hub_find(hub, null(), &mut out), LIVEHUB_ERR_NULL);
    assert_eq!(
        livehub_hub_find(hub, k.as_ptr(), null_mut()),
        LIVEHUB_ERR_NULL
    );
    assert_eq!(out, sentinel());
    assert_eq!(livehub_hub_remove(null_mut(), k.as_ptr()), LIVEHUB_ERR_NULL);
    assert_eq!(livehub_hub_remove(hub, null()), LIVEHUB_ERR_NULL);

    // Stream.
    assert!(livehub_stream_retain(null_mut()).is_null());
    livehub_stream_release(null_mut());
    let mut pub_out = sentinel();
    assert_eq!(
        livehub_stream_publish(null_mut(), &mut pub_out),
        LIVEHUB_ERR_NULL
    );
    assert_eq!(livehub_stream_publish(s, null_mut()), LIVEHUB_ERR_NULL);
    assert_eq!(pub_out, sentinel());
    let mut pl_out = sentinel();
    assert_eq!(
        livehub_stream_play(null_mut(), null(), &mut pl_out),
        LIVEHUB_ERR_NULL
    );
    assert_eq!(livehub_stream_play(s, null(), null_mut()), LIVEHUB_ERR_NULL);
    assert_eq!(pl_out, sentinel());
    let drops = AtomicUsize::new(0);
    assert_eq!(
        livehub_stream_set_userdata(null_mut(), ud(&drops), Some(count_call)),
        LIVEHUB_ERR_NULL
    );
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    assert!(livehub_stream_userdata(null()).is_null());

    // Publisher.
    assert_eq!(
        push(null_mut(), LIVEHUB_TAG_AUDIO, 0, AAC_RAW),
        LIVEHUB_ERR_NULL
    );
    assert_eq!(
        livehub_publisher_push_tag(p, LIVEHUB_TAG_AUDIO, 0, null(), 3),
        LIVEHUB_ERR_NULL
    );
    assert_eq!(
        livehub_publisher_push_flv(null_mut(), b"FLV".as_ptr(), 3),
        LIVEHUB_ERR_NULL
    );
    assert_eq!(livehub_publisher_push_flv(p, null(), 3), LIVEHUB_ERR_NULL);
    livehub_publisher_release(null_mut());

    // Player: a failed call consumes nothing.
    let mut tag = empty_tag();
    assert_eq!(livehub_player_read(null_mut(), &mut tag), LIVEHUB_ERR_NULL);
    assert!(is_untouched(&tag));
    assert_eq!(livehub_player_read(pl, null_mut()), LIVEHUB_ERR_NULL);
    let mut buf = [0u8; 64];
    let mut n = usize::MAX;
    assert_eq!(
        livehub_player_read_flv(null_mut(), buf.as_mut_ptr(), 64, &mut n),
        LIVEHUB_ERR_NULL
    );
    assert_eq!(
        livehub_player_read_flv(pl, null_mut(), 64, &mut n),
        LIVEHUB_ERR_NULL
    );
    assert_eq!(
        livehub_player_read_flv(pl, buf.as_mut_ptr(), 64, null_mut()),
        LIVEHUB_ERR_NULL
    );
    let mut iov = [livehub_iovec {
        iov_base: sentinel(),
        iov_len: 0,
    }; 8];
    assert_eq!(
        livehub_player_read_iov(null_mut(), iov.as_mut_ptr(), 8, &mut n),
        LIVEHUB_ERR_NULL
    );
    assert_eq!(
        livehub_player_read_iov(pl, null_mut(), 8, &mut n),
        LIVEHUB_ERR_NULL
    );
    assert_eq!(
        livehub_player_read_iov(pl, iov.as_mut_ptr(), 8, null_mut()),
        LIVEHUB_ERR_NULL
    );
    assert_eq!(n, usize::MAX);
    assert!(iov.iter().all(|v| v.iov_base == sentinel()));
    assert_eq!(livehub_player_wait(null_mut(), 0), LIVEHUB_ERR_NULL);
    assert_eq!(
        livehub_player_set_notify(null_mut(), Some(count_call), null_mut()),
        LIVEHUB_ERR_NULL
    );
    livehub_player_release(null_mut());

    // Nothing was consumed: the player still starts at the beginning.
    let (t, _, flags, body) = read(pl).unwrap();
    assert_eq!(
        (t, flags, body.as_slice()),
        (LIVEHUB_TAG_AUDIO, LIVEHUB_TAG_FLAG_SEQUENCE_HEADER, AAC_SH)
    );

    livehub_player_release(pl);
    livehub_publisher_release(p);
    livehub_stream_release(s);
    livehub_hub_release(hub);
}

#[test]
fn keys_must_be_valid_utf8_of_bounded_length() {
    let hub = new_hub();
    let mut out = sentinel();
    let empty = key("");
    assert_eq!(
        livehub_hub_stream(hub, empty.as_ptr(), &mut out),
        LIVEHUB_ERR_INVALID_ARG
    );
    let bad_utf8: &[u8] = b"live/\xff\xfe\0";
    assert_eq!(
        livehub_hub_stream(hub, bad_utf8.as_ptr().cast(), &mut out),
        LIVEHUB_ERR_INVALID_ARG
    );
    assert_eq!(
        livehub_hub_find(hub, bad_utf8.as_ptr().cast(), &mut out),
        LIVEHUB_ERR_INVALID_ARG
    );
    assert_eq!(
        livehub_hub_remove(hub, bad_utf8.as_ptr().cast()),
        LIVEHUB_ERR_INVALID_ARG
    );
    let too_long = key(&"k".repeat(LIVEHUB_MAX_KEY_LEN + 1));
    assert_eq!(
        livehub_hub_stream(hub, too_long.as_ptr(), &mut out),
        LIVEHUB_ERR_INVALID_ARG
    );
    assert_eq!(out, sentinel());

    let longest = key(&"k".repeat(LIVEHUB_MAX_KEY_LEN));
    assert_eq!(
        livehub_hub_stream(hub, longest.as_ptr(), &mut out),
        LIVEHUB_OK
    );
    livehub_stream_release(out);
    let unicode = key("live/caméra-1");
    assert_eq!(
        livehub_hub_stream(hub, unicode.as_ptr(), &mut out),
        LIVEHUB_OK
    );
    livehub_stream_release(out);
    let absent = key("live/absent");
    assert_eq!(
        livehub_hub_find(hub, absent.as_ptr(), &mut out),
        LIVEHUB_ERR_NOT_FOUND
    );
    assert_eq!(
        livehub_hub_remove(hub, absent.as_ptr()),
        LIVEHUB_ERR_NOT_FOUND
    );
    livehub_hub_release(hub);
}

#[test]
fn oversized_lengths_are_refused_without_reading() {
    let hub = new_hub();
    let s = get_stream(hub, "live/huge");
    let p = publish(s);
    let data = [0u8; 4];
    assert_eq!(
        livehub_publisher_push_tag(p, LIVEHUB_TAG_AUDIO, 0, data.as_ptr(), usize::MAX),
        LIVEHUB_ERR_TOO_LARGE
    );
    assert_eq!(
        livehub_publisher_push_flv(p, data.as_ptr(), usize::MAX),
        LIVEHUB_ERR_INVALID_ARG
    );
    livehub_publisher_release(p);
    livehub_stream_release(s);
    livehub_hub_release(hub);
}

// -------------------------------------------------------------- round trip

#[test]
fn publish_play_read_round_trip() {
    let hub = new_hub();
    let s = get_stream(hub, "live/rt");
    let early = play(s);
    assert_eq!(read(early), Err(LIVEHUB_AGAIN));
    let p = publish(s);
    push_av(p);

    let expected = vec![
        (
            LIVEHUB_TAG_AUDIO,
            0,
            LIVEHUB_TAG_FLAG_SEQUENCE_HEADER,
            AAC_SH.to_vec(),
        ),
        (
            LIVEHUB_TAG_VIDEO,
            0,
            LIVEHUB_TAG_FLAG_SEQUENCE_HEADER,
            AVC_SH.to_vec(),
        ),
        (
            LIVEHUB_TAG_VIDEO,
            0,
            LIVEHUB_TAG_FLAG_KEYFRAME,
            AVC_KEY.to_vec(),
        ),
        (LIVEHUB_TAG_AUDIO, 20, 0, AAC_RAW.to_vec()),
        (LIVEHUB_TAG_VIDEO, 40, 0, AVC_INTER.to_vec()),
    ];
    for want in &expected {
        assert_eq!(&read(early).unwrap(), want);
    }
    assert_eq!(read(early), Err(LIVEHUB_AGAIN));

    // A late joiner: sequence headers, then the GOP from the keyframe.
    let late = play(s);
    let mut got = Vec::new();
    while let Ok(t) = read(late) {
        got.push((t.0, t.2, t.3));
    }
    assert_eq!(got[0].1, LIVEHUB_TAG_FLAG_SEQUENCE_HEADER);
    assert_eq!(got[1].1, LIVEHUB_TAG_FLAG_SEQUENCE_HEADER);
    assert_eq!(
        got[2],
        (
            LIVEHUB_TAG_VIDEO,
            LIVEHUB_TAG_FLAG_KEYFRAME,
            AVC_KEY.to_vec()
        )
    );
    assert_eq!(got.len(), 5);

    // A second publisher is refused.
    let mut second = sentinel();
    assert_eq!(livehub_stream_publish(s, &mut second), LIVEHUB_ERR_BUSY);
    assert_eq!(second, sentinel());

    // Bad input leaves everything intact.
    assert_eq!(
        livehub_publisher_push_tag(p, LIVEHUB_TAG_AUDIO, 60, null(), 0),
        LIVEHUB_ERR_FLV
    );
    assert_eq!(push(p, 7, 60, AAC_RAW), LIVEHUB_ERR_INVALID_ARG);
    assert_eq!(push(p, LIVEHUB_TAG_AUDIO, 60, AAC_RAW), LIVEHUB_OK);
    assert_eq!(read(early).unwrap().3, AAC_RAW);

    // Unpublish then a new publisher.
    livehub_publisher_release(p);
    let p2 = publish(s);
    livehub_publisher_release(p2);

    livehub_player_release(early);
    livehub_player_release(late);
    livehub_stream_release(s);
    livehub_hub_release(hub);
}

#[test]
fn push_flv_through_the_c_api() {
    let hub = new_hub();
    let s = get_stream(hub, "live/flvin");
    let p = publish(s);
    let pl = play(s);
    let mut flv = vec![b'F', b'L', b'V', 1, 5, 0, 0, 0, 9, 0, 0, 0, 0];
    flv.extend_from_slice(&[8, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0x2f, 0x01, 0, 0, 0, 13]);
    for chunk in flv.chunks(3) {
        assert_eq!(
            livehub_publisher_push_flv(p, chunk.as_ptr(), chunk.len()),
            LIVEHUB_OK
        );
    }
    assert_eq!(livehub_publisher_push_flv(p, null(), 0), LIVEHUB_OK);
    assert_eq!(read(pl).unwrap().3, vec![0x2f, 0x01]);

    let bad_hub = new_hub();
    let bs = get_stream(bad_hub, "live/bad");
    let bp = publish(bs);
    assert_eq!(
        livehub_publisher_push_flv(bp, b"NOTFLV!!!!!!!".as_ptr(), 13),
        LIVEHUB_ERR_FLV
    );

    livehub_publisher_release(bp);
    livehub_stream_release(bs);
    livehub_hub_release(bad_hub);
    livehub_player_release(pl);
    livehub_publisher_release(p);
    livehub_stream_release(s);
    livehub_hub_release(hub);
}

#[test]
fn empty_views_never_point_at_null() {
    let view = TagView {
        tag_type: 18,
        timestamp: 5,
        flags: 0,
        data: &[],
    };
    let tag = livehub_tag::from_view(&view);
    assert!(!tag.data.is_null());
    assert_eq!(tag.size, 0);
    assert_eq!((tag.r#type, tag.timestamp), (18, 5));
}

#[test]
fn read_flv_and_read_iov_give_the_same_flv_byte_stream() {
    let hub = new_hub();
    let s = get_stream(hub, "live/bytes");
    let by_flv_big = play(s);
    let by_flv_small = play(s);
    let by_iov = play(s);
    let by_iov_min = play(s);
    let p = publish(s);
    push_av(p);

    let (big, r) = drain_flv(by_flv_big, 4096);
    assert_eq!(r, LIVEHUB_AGAIN);
    assert_eq!(&big[..3], b"FLV");
    assert_eq!(big[3], 1);
    assert_eq!(big[4], 5); // audio + video
    assert_eq!(&big[5..13], &[0, 0, 0, 9, 0, 0, 0, 0]);
    assert_eq!(big[13], LIVEHUB_TAG_AUDIO); // first tag header
    let bodies: usize = [AAC_SH, AVC_SH, AVC_KEY, AAC_RAW, AVC_INTER]
        .iter()
        .map(|b| b.len())
        .sum();
    assert_eq!(big.len(), 13 + 5 * (11 + 4) + bodies);

    let (small, r) = drain_flv(by_flv_small, 5);
    assert_eq!(r, LIVEHUB_AGAIN);
    assert_eq!(small, big);

    let (iov, r) = drain_iov(by_iov, 64);
    assert_eq!(r, LIVEHUB_AGAIN);
    assert_eq!(iov, big);
    let (iov_min, r) = drain_iov(by_iov_min, 3);
    assert_eq!(r, LIVEHUB_AGAIN);
    assert_eq!(iov_min, big);

    // Argument errors.
    let mut n = usize::MAX;
    let mut buf = [0u8; 4];
    assert_eq!(
        livehub_player_read_flv(by_flv_big, buf.as_mut_ptr(), 0, &mut n),
        LIVEHUB_ERR_INVALID_ARG
    );
    assert_eq!(
        livehub_player_read_flv(by_flv_big, null_mut(), 0, &mut n),
        LIVEHUB_ERR_INVALID_ARG
    );
    let mut iov2 = [livehub_iovec {
        iov_base: sentinel(),
        iov_len: 0,
    }; 2];
    assert_eq!(
        livehub_player_read_iov(by_iov, iov2.as_mut_ptr(), 2, &mut n),
        LIVEHUB_ERR_BUFFER
    );
    assert_eq!(
        livehub_player_read_iov(by_iov, null_mut(), 0, &mut n),
        LIVEHUB_ERR_BUFFER
    );
    assert_eq!(n, usize::MAX);
    assert!(iov2.iter().all(|v| v.iov_base == sentinel()));

    for pl in [by_flv_big, by_flv_small, by_iov, by_iov_min] {
        livehub_player_release(pl);
    }
    livehub_publisher_release(p);
    livehub_stream_release(s);
    livehub_hub_release(hub);
}

// ------------------------------------------------------ lifetime, userdata

#[test]
fn retain_and_release_count_references() {
    let hub = new_hub();
    assert_eq!(strong(hub), 1);
    assert_eq!(livehub_hub_retain(hub), hub);
    assert_eq!(livehub_hub_retain(hub), hub);
    assert_eq!(strong(hub), 3);
    livehub_hub_release(hub);
    livehub_hub_release(hub);
    assert_eq!(strong(hub), 1);

    let s = get_stream(hub, "live/rc");
    assert_eq!(strong(s), 2); // the hub's and ours
    let again = get_stream(hub, "live/rc");
    assert_eq!(again, s);
    assert_eq!(strong(s), 3);
    let mut found = null_mut();
    assert_eq!(
        livehub_hub_find(hub, key("live/rc").as_ptr(), &mut found),
        LIVEHUB_OK
    );
    assert_eq!(found, s);
    assert_eq!(strong(s), 4);
    assert_eq!(livehub_stream_retain(s), s);
    assert_eq!(strong(s), 5);
    let p = publish(s);
    let pl = play(s);
    assert_eq!(strong(s), 7);
    livehub_player_release(pl);
    livehub_publisher_release(p);
    for _ in 0..3 {
        livehub_stream_release(s);
    }
    assert_eq!(strong(s), 2);

    // The hub's last release unmounts; our reference stays valid.
    let hub2 = livehub_hub_retain(hub);
    livehub_hub_release(hub);
    assert_eq!(livehub_hub_tick(hub2), LIVEHUB_OK);
    livehub_hub_release(hub2);
    assert_eq!(strong(s), 1);
    let mut late = sentinel();
    assert_eq!(
        livehub_stream_play(s, null(), &mut late),
        LIVEHUB_ERR_CLOSED
    );
    assert_eq!(late, sentinel());
    livehub_stream_release(s);
}

#[test]
fn userdata_is_dropped_once_when_the_last_reference_goes() {
    let hub = new_hub();
    let s = get_stream(hub, "live/ud");
    assert!(livehub_stream_userdata(s).is_null());

    let first = AtomicUsize::new(0);
    let second = AtomicUsize::new(0);
    assert_eq!(
        livehub_stream_set_userdata(s, ud(&first), Some(count_call)),
        LIVEHUB_OK
    );
    assert_eq!(livehub_stream_userdata(s), ud(&first));
    // Replacing drops the old one, here and now.
    assert_eq!(
        livehub_stream_set_userdata(s, ud(&second), Some(count_call)),
        LIVEHUB_OK
    );
    assert_eq!(first.load(Ordering::SeqCst), 1);
    assert_eq!(livehub_stream_userdata(s), ud(&second));
    // Another handle to the same stream sees it.
    let other = get_stream(hub, "live/ud");
    assert_eq!(livehub_stream_userdata(other), ud(&second));
    livehub_stream_release(other);

    // A player outlives the hub and our stream reference.
    let pl = play(s);
    livehub_hub_release(hub);
    livehub_stream_release(s);
    assert_eq!(second.load(Ordering::SeqCst), 0);
    assert_eq!(read(pl), Err(LIVEHUB_EOF));
    livehub_player_release(pl); // the last reference
    assert_eq!(second.load(Ordering::SeqCst), 1);
    assert_eq!(first.load(Ordering::SeqCst), 1);
}

#[test]
fn userdata_can_be_cleared_and_needs_no_drop() {
    let hub = new_hub();
    let s = get_stream(hub, "live/ud2");
    let counter = AtomicUsize::new(0);
    assert_eq!(
        livehub_stream_set_userdata(s, ud(&counter), Some(count_call)),
        LIVEHUB_OK
    );
    assert_eq!(
        livehub_stream_set_userdata(s, null_mut(), Some(count_call)),
        LIVEHUB_OK
    );
    assert_eq!(counter.load(Ordering::SeqCst), 1);
    assert!(livehub_stream_userdata(s).is_null());
    // No drop function: nothing is called.
    assert_eq!(
        livehub_stream_set_userdata(s, ud(&counter), None),
        LIVEHUB_OK
    );
    assert_eq!(livehub_stream_userdata(s), ud(&counter));
    livehub_stream_release(s);
    livehub_hub_release(hub);
    assert_eq!(counter.load(Ordering::SeqCst), 1);
}

#[test]
fn removal_closes_the_publisher_and_ends_players() {
    let hub = new_hub();
    let s = get_stream(hub, "live/rm");
    let p = publish(s);
    let a = play(s);
    let b = play(s);
    push_av(p);
    assert!(read(a).is_ok());

    assert_eq!(livehub_hub_remove(hub, key("live/rm").as_ptr()), LIVEHUB_OK);
    assert_eq!(push(p, LIVEHUB_TAG_AUDIO, 60, AAC_RAW), LIVEHUB_ERR_CLOSED);
    let mut out = sentinel();
    assert_eq!(
        livehub_hub_find(hub, key("live/rm").as_ptr(), &mut out),
        LIVEHUB_ERR_NOT_FOUND
    );
    let mut pub_out: *mut livehub_publisher = sentinel();
    assert_eq!(livehub_stream_publish(s, &mut pub_out), LIVEHUB_ERR_CLOSED);
    assert_eq!(pub_out, sentinel());
    let mut pl_out = sentinel();
    assert_eq!(
        livehub_stream_play(s, null(), &mut pl_out),
        LIVEHUB_ERR_CLOSED
    );
    assert_eq!(pl_out, sentinel());

    // Players drain what was published, then EOF (sticky).
    let mut n = 0;
    while read(a).is_ok() {
        n += 1;
    }
    assert_eq!(n, 4);
    assert_eq!(read(a), Err(LIVEHUB_EOF));
    assert_eq!(livehub_player_wait(a, 0), LIVEHUB_EOF);
    // The SRS #4143 order: the publisher and the first player leave, the
    // second keeps reading safely.
    livehub_publisher_release(p);
    livehub_player_release(a);
    livehub_stream_release(s);
    let (bytes, r) = drain_flv(b, 7);
    assert_eq!(r, LIVEHUB_EOF);
    assert_eq!(&bytes[..3], b"FLV");

    // The key is free for a new, independent stream.
    let fresh = get_stream(hub, "live/rm");
    let fp = publish(fresh);
    livehub_publisher_release(fp);
    livehub_stream_release(fresh);
    livehub_player_release(b);
    livehub_hub_release(hub);
}

// ---------------------------------------------------- notification, wait

#[test]
fn notify_fires_once_per_arming_and_can_be_cleared() {
    let hub = new_hub();
    let s = get_stream(hub, "live/notify");
    let p = publish(s);
    let pl = play(s);
    let fired = AtomicUsize::new(0);
    assert_eq!(
        livehub_player_set_notify(pl, Some(count_call), ud(&fired)),
        LIVEHUB_OK
    );
    assert_eq!(read(pl), Err(LIVEHUB_AGAIN)); // arms
    assert_eq!(push(p, LIVEHUB_TAG_AUDIO, 0, AAC_RAW), LIVEHUB_OK);
    assert_eq!(push(p, LIVEHUB_TAG_AUDIO, 20, AAC_RAW), LIVEHUB_OK);
    assert_eq!(fired.load(Ordering::SeqCst), 1);
    while read(pl).is_ok() {}
    assert_eq!(livehub_player_set_notify(pl, None, null_mut()), LIVEHUB_OK);
    assert_eq!(push(p, LIVEHUB_TAG_AUDIO, 40, AAC_RAW), LIVEHUB_OK);
    assert_eq!(fired.load(Ordering::SeqCst), 1);
    livehub_player_release(pl);
    livehub_publisher_release(p);
    livehub_stream_release(s);
    livehub_hub_release(hub);
}

/// Shared with `slow_callback`.
struct Slow {
    entered: AtomicBool,
    finished: AtomicBool,
}

unsafe extern "C" fn slow_callback(userdata: *mut c_void) {
    // SAFETY: the test passes a `Slow` that outlives the player.
    let slow = unsafe { &*(userdata as *const Slow) };
    slow.entered.store(true, Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(100));
    slow.finished.store(true, Ordering::SeqCst);
}

/// A raw pointer that may cross threads in a test.
#[derive(Clone, Copy)]
struct SendPtr<T>(*mut T);
// SAFETY: the tests only move handles whose types allow the use made of
// them on the other thread (hub/stream: any thread; publisher: one thread).
unsafe impl<T> Send for SendPtr<T> {}

#[test]
fn release_waits_for_a_callback_running_on_another_thread() {
    for clear_only in [true, false] {
        let hub = new_hub();
        let s = get_stream(hub, "live/race");
        let p = SendPtr(publish(s));
        let pl = play(s);
        let slow = Slow {
            entered: AtomicBool::new(false),
            finished: AtomicBool::new(false),
        };
        let slow_ptr = &slow as *const Slow as *mut c_void;
        assert_eq!(
            livehub_player_set_notify(pl, Some(slow_callback), slow_ptr),
            LIVEHUB_OK
        );
        assert_eq!(read(pl), Err(LIVEHUB_AGAIN));
        let pusher = std::thread::spawn(move || {
            let p = p;
            assert_eq!(push(p.0, LIVEHUB_TAG_AUDIO, 0, AAC_RAW), LIVEHUB_OK);
            livehub_publisher_release(p.0);
        });
        while !slow.entered.load(Ordering::SeqCst) {
            std::thread::yield_now();
        }
        if clear_only {
            assert_eq!(livehub_player_set_notify(pl, None, null_mut()), LIVEHUB_OK);
            assert!(slow.finished.load(Ordering::SeqCst));
            livehub_player_release(pl);
        } else {
            livehub_player_release(pl);
            assert!(slow.finished.load(Ordering::SeqCst));
        }
        pusher.join().unwrap();
        livehub_stream_release(s);
        livehub_hub_release(hub);
    }
}

#[test]
fn wait_blocks_until_data_or_timeout() {
    let hub = new_hub();
    let s = get_stream(hub, "live/wait");
    let p = SendPtr(publish(s));
    let pl = play(s);
    assert_eq!(livehub_player_wait(pl, 0), LIVEHUB_TIMEOUT);
    assert_eq!(livehub_player_wait(pl, 20), LIVEHUB_TIMEOUT);
    let pusher = std::thread::spawn(move || {
        let p = p;
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(push(p.0, LIVEHUB_TAG_AUDIO, 0, AAC_RAW), LIVEHUB_OK);
        p
    });
    assert_eq!(livehub_player_wait(pl, 10_000), LIVEHUB_OK);
    assert_eq!(read(pl).unwrap().3, AAC_RAW);
    let p = pusher.join().unwrap();
    livehub_publisher_release(p.0);
    assert_eq!(
        livehub_hub_remove(hub, key("live/wait").as_ptr()),
        LIVEHUB_OK
    );
    assert_eq!(livehub_player_wait(pl, 10_000), LIVEHUB_EOF);
    livehub_player_release(pl);
    livehub_stream_release(s);
    livehub_hub_release(hub);
}

// ------------------------------------------------------------------ header

/// The v0 contract of DESIGN.md, as the generated header must spell it
/// (whitespace aside).
#[test]
fn header_has_the_v0_contract() {
    let header = include_str!("../../include/livehub.h");
    let flat = header.split_whitespace().collect::<Vec<_>>().join(" ");
    let must = [
        "typedef uint32_t livehub_result;",
        "#define LIVEHUB_OK 0",
        "#define LIVEHUB_ERR_PANIC 13",
        "#define LIVEHUB_TAG_SCRIPT 18",
        "#define LIVEHUB_TAG_FLAG_METADATA 4",
        "typedef struct livehub_hub livehub_hub;",
        "typedef struct livehub_stream livehub_stream;",
        "typedef struct livehub_publisher livehub_publisher;",
        "typedef struct livehub_player livehub_player;",
        "const char *livehub_result_str(livehub_result r);",
        "const char *livehub_version(void);",
        "void livehub_config_init(livehub_config *cfg);",
        "void livehub_play_options_init(livehub_play_options *opts);",
        "livehub_result livehub_hub_new(const livehub_config *cfg, livehub_hub **hub_out);",
        "livehub_result livehub_hub_tick(livehub_hub *hub);",
        "livehub_hub *livehub_hub_retain(livehub_hub *hub);",
        "void livehub_hub_release(livehub_hub *hub);",
        "livehub_result livehub_hub_stream(livehub_hub *hub, const char *key, livehub_stream **stream_out);",
        "livehub_result livehub_hub_find(livehub_hub *hub, const char *key, livehub_stream **stream_out);",
        "livehub_result livehub_hub_remove(livehub_hub *hub, const char *key);",
        "livehub_stream *livehub_stream_retain(livehub_stream *s);",
        "void livehub_stream_release(livehub_stream *s);",
        "livehub_result livehub_stream_publish(livehub_stream *s, livehub_publisher **pub_out);",
        "livehub_result livehub_stream_play(livehub_stream *s, const livehub_play_options *opts, livehub_player **player_out);",
        "livehub_result livehub_stream_set_userdata(livehub_stream *s, void *userdata, void (*drop)(void *userdata));",
        "void *livehub_stream_userdata(const livehub_stream *s);",
        "livehub_result livehub_publisher_push_tag(livehub_publisher *p, uint8_t type, uint32_t timestamp, const uint8_t *data, size_t size);",
        "livehub_result livehub_publisher_push_flv(livehub_publisher *p, const uint8_t *bytes, size_t size);",
        "void livehub_publisher_release(livehub_publisher *p);",
        "livehub_result livehub_player_read(livehub_player *pl, livehub_tag *tag_out);",
        "livehub_result livehub_player_read_flv(livehub_player *pl, uint8_t *buf, size_t cap, size_t *written_out);",
        "livehub_result livehub_player_read_iov(livehub_player *pl, livehub_iovec *iov, size_t iov_cap, size_t *iov_count_out);",
        "livehub_result livehub_player_wait(livehub_player *pl, uint32_t timeout_ms);",
        "livehub_result livehub_player_set_notify(livehub_player *pl, void (*notify)(void *userdata), void *userdata);",
        "void livehub_player_release(livehub_player *pl);",
    ];
    for m in must {
        assert!(flat.contains(m), "header lacks `{m}`");
    }
    // Field order of the plain structs.
    let struct_start = |name: &str| {
        let end = flat
            .find(&format!("}} {name};"))
            .unwrap_or_else(|| panic!("no struct {name}"));
        flat[..end]
            .rfind(&format!("typedef struct {name} {{"))
            .unwrap_or_else(|| panic!("struct {name} is not `typedef struct {name} {{`"))
    };
    let tag = struct_start("livehub_tag");
    let tag_fields = [
        "uint8_t type;",
        "uint32_t timestamp;",
        "uint32_t flags;",
        "const uint8_t *data;",
        "size_t size;",
    ];
    let mut at = tag;
    for f in tag_fields {
        at += flat[at..]
            .find(f)
            .unwrap_or_else(|| panic!("livehub_tag lacks {f} in order"));
    }
    let cfg = struct_start("livehub_config");
    let cfg_fields = [
        "uint32_t struct_size;",
        "uint32_t republish_wait_ms;",
        "uint32_t idle_stream_ms;",
        "uint32_t publisher_idle_timeout_ms;",
        "uint32_t player_idle_timeout_ms;",
        "uint32_t max_lag_ms;",
        "uint32_t gop_max_frames;",
        "uint64_t gop_max_bytes;",
        "uint32_t max_tag_size;",
        "uint64_t (*clock_ms)(void *userdata);",
        "void *clock_userdata;",
    ];
    let mut at = cfg;
    for f in cfg_fields {
        at += flat[at..]
            .find(f)
            .unwrap_or_else(|| panic!("livehub_config lacks {f} in order"));
    }
    assert!(
        flat.contains("#define LIVEHUB_VERSION \"") && flat.contains(env!("CARGO_PKG_VERSION"))
    );
}

// ------------------------------------------------------ stats and logging

use super::logging::*;
use super::stats::*;

fn c_text(field: &[c_char]) -> String {
    let bytes: Vec<u8> = field
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    String::from_utf8(bytes).unwrap()
}

/// Real sequence headers (made by ffmpeg: 320x240 High, AAC LC 44.1 kHz).
const REAL_AVC_SH: &[u8] = include_bytes!("../codec/testdata/avc_high_320x240.bin");
const REAL_AAC_SH: &[u8] = include_bytes!("../codec/testdata/aac_lc_44100_stereo.bin");

fn push_real(p: *mut livehub_publisher) {
    assert_eq!(push(p, LIVEHUB_TAG_AUDIO, 0, REAL_AAC_SH), LIVEHUB_OK);
    assert_eq!(push(p, LIVEHUB_TAG_VIDEO, 0, REAL_AVC_SH), LIVEHUB_OK);
    assert_eq!(push(p, LIVEHUB_TAG_VIDEO, 0, AVC_KEY), LIVEHUB_OK);
    assert_eq!(push(p, LIVEHUB_TAG_AUDIO, 20, AAC_RAW), LIVEHUB_OK);
}

#[test]
fn stream_and_player_stats_fill_what_fits() {
    let hub = new_hub();
    let s = get_stream(hub, "live/stats");
    let pl = play(s);
    let p = publish(s);
    push_real(p);
    // SAFETY: all-zero bytes are a valid value of this plain C struct.
    let mut st: livehub_stream_stats = unsafe { std::mem::zeroed() };
    st.struct_size = std::mem::size_of::<livehub_stream_stats>() as u32;
    assert_eq!(livehub_stream_get_stats(s, &mut st), LIVEHUB_OK);
    assert_eq!(st.publisher_state, LIVEHUB_PUBLISHER_ACTIVE);
    assert_eq!(st.publish_count, 1);
    assert!(st.tags_in > 0 && st.bytes_in > 0);
    assert_eq!((st.players, st.players_total), (1, 1));
    assert_eq!(c_text(&st.video_codec), "h264");
    assert_eq!(c_text(&st.video_profile), "High");
    assert_eq!((st.width, st.height), (320, 240));
    assert_eq!(c_text(&st.audio_codec), "aac");
    assert_eq!(c_text(&st.audio_profile), "LC");
    assert_eq!((st.sample_rate, st.channels), (44_100, 2));
    assert_eq!(
        st.struct_size as usize,
        std::mem::size_of::<livehub_stream_stats>()
    );

    // An older caller's shorter struct: nothing past it is written.
    let mut short = [u64::from_ne_bytes([0xEE; 8]); 8];
    short[0] = u64::from_ne_bytes([16, 0, 0, 0, 0xEE, 0xEE, 0xEE, 0xEE]);
    assert_eq!(
        livehub_stream_get_stats(s, short.as_mut_ptr().cast()),
        LIVEHUB_OK
    );
    let bytes: Vec<u8> = short.iter().flat_map(|w| w.to_ne_bytes()).collect();
    assert_eq!(&bytes[..4], &16u32.to_ne_bytes());
    assert_eq!(&bytes[4..8], &LIVEHUB_PUBLISHER_ACTIVE.to_ne_bytes());
    assert!(
        bytes[16..].iter().all(|&b| b == 0xEE),
        "wrote past struct_size"
    );
    let mut tiny = [0u32; 2];
    assert_eq!(
        livehub_stream_get_stats(s, tiny.as_mut_ptr().cast()),
        LIVEHUB_ERR_INVALID_ARG
    );

    // SAFETY: all-zero bytes are a valid value of this plain C struct.
    let mut ps: livehub_player_stats = unsafe { std::mem::zeroed() };
    ps.struct_size = std::mem::size_of::<livehub_player_stats>() as u32;
    while read(pl).is_ok() {}
    assert_eq!(livehub_player_get_stats(pl, &mut ps), LIVEHUB_OK);
    assert_eq!(ps.state, LIVEHUB_PLAYER_LIVE);
    assert_eq!(ps.tags_out, st.tags_in);
    assert_eq!(ps.lag_ms, 0);
    assert_eq!(
        livehub_player_get_stats(null_mut(), &mut ps),
        LIVEHUB_ERR_NULL
    );
    assert_eq!(livehub_stream_get_stats(null(), &mut st), LIVEHUB_ERR_NULL);

    livehub_publisher_release(p);
    livehub_player_release(pl);
    livehub_stream_release(s);
    livehub_hub_release(hub);
}

#[test]
fn stats_json_reports_the_needed_size_and_parses() {
    let hub = new_hub();
    let s = get_stream(hub, "live/json");
    let p = publish(s);
    push_real(p);
    let mut len = 0usize;
    assert_eq!(
        livehub_hub_stats_json(hub, null_mut(), 0, &mut len),
        LIVEHUB_ERR_BUFFER
    );
    assert!(len > 10);
    let mut small = vec![0 as c_char; len]; // no room for the NUL
    let mut again = 0usize;
    assert_eq!(
        livehub_hub_stats_json(hub, small.as_mut_ptr(), len, &mut again),
        LIVEHUB_ERR_BUFFER
    );
    assert_eq!(again, len);
    assert!(
        small.iter().all(|&c| c == 0),
        "buffer untouched on ERR_BUFFER"
    );
    let mut buf = vec![0x7f as c_char; len + 1];
    let mut written = 0usize;
    assert_eq!(
        livehub_hub_stats_json(hub, buf.as_mut_ptr(), buf.len(), &mut written),
        LIVEHUB_OK
    );
    assert_eq!(written, len);
    let json = text(buf.as_ptr());
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["streams"][0]["key"], "live/json");
    assert_eq!(v["streams"][0]["video"]["codec"], "h264");
    assert_eq!(
        livehub_hub_stats_json(null_mut(), buf.as_mut_ptr(), 1, &mut written),
        LIVEHUB_ERR_NULL
    );
    assert_eq!(
        livehub_hub_stats_json(hub, null_mut(), 5, &mut written),
        LIVEHUB_ERR_NULL
    );
    livehub_publisher_release(p);
    livehub_stream_release(s);
    livehub_hub_release(hub);
}

static LOG_LINES: std::sync::Mutex<Vec<(u32, String)>> = std::sync::Mutex::new(Vec::new());

extern "C" fn log_to_vec(userdata: *mut c_void, level: u32, message: *const c_char) {
    assert_eq!(userdata as usize, 0x5eed);
    LOG_LINES.lock().unwrap().push((level, text(message)));
}

#[test]
fn log_callback_receives_stream_events() {
    assert_eq!(
        livehub_set_log_callback(9, Some(log_to_vec), null_mut()),
        LIVEHUB_ERR_INVALID_ARG
    );
    assert_eq!(
        livehub_set_log_callback(LIVEHUB_LOG_INFO, Some(log_to_vec), 0x5eed as *mut c_void),
        LIVEHUB_OK
    );
    let hub = new_hub();
    let s = get_stream(hub, "live/ffi-log");
    let p = publish(s);
    livehub_publisher_release(p);
    assert_eq!(
        livehub_hub_remove(hub, key("live/ffi-log").as_ptr()),
        LIVEHUB_OK
    );
    assert_eq!(
        livehub_set_log_callback(LIVEHUB_LOG_OFF, None, null_mut()),
        LIVEHUB_OK
    );
    let lines = LOG_LINES.lock().unwrap();
    let ours: Vec<_> = lines
        .iter()
        .filter(|(_, m)| m.contains("live/ffi-log"))
        .collect();
    assert!(
        ours.iter()
            .any(|(l, m)| *l == LIVEHUB_LOG_INFO && m.contains("created")),
        "{ours:?}"
    );
    assert!(ours.iter().any(|(_, m)| m.contains("closed")), "{ours:?}");
    livehub_stream_release(s);
    livehub_hub_release(hub);
}

#[test]
fn publisher_stats_tell_skipped_from_rejected() {
    let hub = new_hub();
    let s = get_stream(hub, "live/pubstats");
    let p = publish(s);
    // SAFETY: all-zero bytes are a valid value of this plain C struct.
    let mut st: livehub_publisher_stats = unsafe { std::mem::zeroed() };
    st.struct_size = std::mem::size_of::<livehub_publisher_stats>() as u32;
    assert_eq!(push(p, 7, 0, AAC_RAW), LIVEHUB_ERR_INVALID_ARG);
    assert_eq!(push(p, LIVEHUB_TAG_AUDIO, 0, AAC_RAW), LIVEHUB_OK);
    assert_eq!(livehub_publisher_get_stats(p, &mut st), LIVEHUB_OK);
    assert_eq!(
        (st.rejected, st.tags_in, st.tags_skipped),
        (LIVEHUB_OK, 1, 1)
    );
    let bad = b"FLX\x01\x05\x00\x00\x00\x09\x00\x00\x00\x00";
    assert_eq!(
        livehub_publisher_push_flv(p, bad.as_ptr(), bad.len()),
        LIVEHUB_ERR_FLV
    );
    assert_eq!(livehub_publisher_get_stats(p, &mut st), LIVEHUB_OK);
    assert_eq!(st.rejected, LIVEHUB_ERR_FLV);
    assert_eq!(
        livehub_publisher_get_stats(null_mut(), &mut st),
        LIVEHUB_ERR_NULL
    );
    assert_eq!(livehub_publisher_get_stats(p, null_mut()), LIVEHUB_ERR_NULL);
    livehub_publisher_release(p);
    livehub_stream_release(s);
    livehub_hub_release(hub);
}

/// A video frame whose body names its number (for the batch tests).
fn numbered_frame(i: u32) -> Vec<u8> {
    let mut body = vec![if i % 25 == 0 { 0x17 } else { 0x27 }, 1, 0, 0, 0];
    body.extend_from_slice(&i.to_be_bytes());
    body.resize(64, 0xEE);
    body
}

#[test]
fn batch_views_outlive_the_segments_they_came_from() {
    let hub = new_hub();
    let s = get_stream(hub, "live/hold");
    let p = publish(s);
    let batch_pl = play(s);
    let iov_pl = play(s);
    assert_eq!(push(p, LIVEHUB_TAG_VIDEO, 0, AVC_SH), LIVEHUB_OK);
    for i in 0..200 {
        let r = push(p, LIVEHUB_TAG_VIDEO, i * 40, &numbered_frame(i));
        assert_eq!(r, LIVEHUB_OK);
    }
    // One call each, across three 64-tag segments.
    let mut tags = vec![empty_tag(); 160];
    let mut n = 0;
    let r = livehub_player_read_batch(batch_pl, tags.as_mut_ptr(), 150, &mut n);
    assert_eq!((r, n), (LIVEHUB_OK, 150));
    assert!(
        is_untouched(&tags[150]),
        "nothing past the count is written"
    );
    let blank = livehub_iovec {
        iov_base: sentinel(),
        iov_len: 0,
    };
    let mut iov = vec![blank; 300];
    let mut slices = 0;
    let r = livehub_player_read_iov(iov_pl, iov.as_mut_ptr(), 300, &mut slices);
    assert_eq!(r, LIVEHUB_OK);
    // 80 s more: the window moves far past those segments, and the stream
    // lets go of them while the views are still out.
    for i in 200..2200 {
        let r = push(p, LIVEHUB_TAG_VIDEO, i * 40, &numbered_frame(i));
        assert_eq!(r, LIVEHUB_OK);
    }
    // SAFETY: all-zero bytes are a valid value of this plain C struct.
    let mut st: livehub_stream_stats = unsafe { std::mem::zeroed() };
    st.struct_size = std::mem::size_of::<livehub_stream_stats>() as u32;
    assert_eq!(livehub_stream_get_stats(s, &mut st), LIVEHUB_OK);
    assert!(st.retained_tags < 2000, "segments were evicted");
    // Every view still shows its own bytes (ASan in `make test` would
    // report any freed one).
    for (k, tag) in tags[..150].iter().enumerate() {
        // SAFETY: views are valid until the next call on `batch_pl`.
        let body = unsafe { std::slice::from_raw_parts(tag.data, tag.size) };
        if k == 0 {
            assert_eq!(body, AVC_SH);
        } else {
            assert_eq!(body, numbered_frame(k as u32 - 1), "tag {k}");
            assert_eq!(tag.timestamp, (k as u32 - 1) * 40);
        }
    }
    let mut bytes = Vec::new();
    for v in &iov[..slices] {
        // SAFETY: valid until the next call on `iov_pl`.
        bytes.extend_from_slice(unsafe {
            std::slice::from_raw_parts(v.iov_base as *const u8, v.iov_len)
        });
    }
    // The FLV header (its track flags are the stream's business), then
    // the tags.
    assert_eq!(&bytes[..3], b"FLV");
    let mut want = bytes[..13].to_vec();
    let bodies = std::iter::once(AVC_SH.to_vec()).chain((0..200).map(numbered_frame));
    for (k, body) in bodies.enumerate() {
        let ts = (k as u32).saturating_sub(1) * 40;
        want.extend_from_slice(&crate::flv::tag_header(
            LIVEHUB_TAG_VIDEO,
            body.len() as u32,
            ts,
        ));
        want.extend_from_slice(&body);
        want.extend_from_slice(&crate::flv::prev_tag_size(body.len() as u32));
    }
    assert!(bytes.len() > 100 * 64, "read_iov crossed segments too");
    assert!(bytes == want[..bytes.len()], "read_iov bytes differ");
    // The next call lets go; the players go on at their positions.
    let r = livehub_player_read_batch(batch_pl, tags.as_mut_ptr(), 1, &mut n);
    assert_eq!((r, n), (LIVEHUB_OK, 1));
    assert_eq!(
        livehub_player_read_batch(batch_pl, tags.as_mut_ptr(), 0, &mut n),
        LIVEHUB_ERR_INVALID_ARG
    );
    assert_eq!(
        livehub_player_read_batch(batch_pl, null_mut(), 1, &mut n),
        LIVEHUB_ERR_NULL
    );
    assert_eq!(
        livehub_player_read_batch(batch_pl, tags.as_mut_ptr(), 1, null_mut()),
        LIVEHUB_ERR_NULL
    );
    assert_eq!(
        livehub_player_read_batch(null_mut(), tags.as_mut_ptr(), 1, &mut n),
        LIVEHUB_ERR_NULL
    );
    for pl in [batch_pl, iov_pl] {
        livehub_player_release(pl);
    }
    livehub_publisher_release(p);
    livehub_stream_release(s);
    livehub_hub_release(hub);
}
