//! `livehub_config` and `livehub_play_options`: defaults, layouts, `struct_size`, the C clock.

use super::*;

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
            struct_size: std::mem::size_of::<livehub_play_options>() as u32,
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
