//! The C API as a C server calls it: the `extern "C"` functions of
//! `include/livehub.h`, declared here and linked from the library, behind
//! small owning wrappers. Only the declarations this bench uses.

use std::ffi::{c_char, c_void, CString};
use std::ptr::{null, null_mut};

#[repr(C)]
#[derive(Clone, Copy)]
pub struct Tag {
    pub tag_type: u8,
    pub timestamp: u32,
    pub flags: u32,
    pub data: *const u8,
    pub size: usize,
}

pub const EMPTY_TAG: Tag = Tag {
    tag_type: 0,
    timestamp: 0,
    flags: 0,
    data: null(),
    size: 0,
};

#[repr(C)]
#[derive(Clone, Copy)]
pub struct Iovec {
    pub base: *mut c_void,
    pub len: usize,
}

pub const EMPTY_IOV: Iovec = Iovec {
    base: null_mut(),
    len: 0,
};

#[repr(C)]
struct PlayOptions {
    struct_size: u32,
    timestamp_mode: u32,
    republish_wait_ms: u32,
    group: *mut c_void,
}

pub type Callback = unsafe extern "C" fn(userdata: *mut c_void);

pub const OK: u32 = 0;
pub const AGAIN: u32 = 1;

extern "C" {
    fn livehub_hub_new(cfg: *const c_void, hub_out: *mut *mut c_void) -> u32;
    fn livehub_hub_release(hub: *mut c_void);
    fn livehub_hub_stream(hub: *mut c_void, key: *const c_char, out: *mut *mut c_void) -> u32;
    fn livehub_stream_release(s: *mut c_void);
    fn livehub_stream_publish(s: *mut c_void, out: *mut *mut c_void) -> u32;
    fn livehub_stream_play(s: *mut c_void, opts: *const PlayOptions, out: *mut *mut c_void) -> u32;
    fn livehub_play_options_init_v2(opts: *mut PlayOptions);
    fn livehub_publisher_push_tag(
        p: *mut c_void,
        tag_type: u8,
        ts: u32,
        data: *const u8,
        size: usize,
    ) -> u32;
    fn livehub_publisher_release(p: *mut c_void);
    fn livehub_player_read(pl: *mut c_void, tag_out: *mut Tag) -> u32;
    fn livehub_player_read_batch(
        pl: *mut c_void,
        tags: *mut Tag,
        cap: usize,
        count_out: *mut usize,
    ) -> u32;
    fn livehub_player_read_iov(
        pl: *mut c_void,
        iov: *mut Iovec,
        cap: usize,
        count_out: *mut usize,
    ) -> u32;
    fn livehub_player_set_notify(pl: *mut c_void, f: Option<Callback>, ud: *mut c_void) -> u32;
    fn livehub_player_release(pl: *mut c_void);
    fn livehub_group_new(wake: Option<Callback>, ud: *mut c_void, out: *mut *mut c_void) -> u32;
    fn livehub_group_dispatch(g: *mut c_void, fired_out: *mut usize) -> u32;
    fn livehub_group_release(g: *mut c_void);
}

fn check(r: u32, what: &str) {
    assert_eq!(r, OK, "{what}: result {r}");
}

/// A hub and one stream of it.
pub struct Stream {
    hub: *mut c_void,
    stream: *mut c_void,
}

// SAFETY: livehub hubs and streams may be used from any thread
// concurrently (header: "Threads: any, concurrently").
unsafe impl Send for Stream {}
// SAFETY: as above.
unsafe impl Sync for Stream {}

impl Stream {
    pub fn new(key: &str) -> Stream {
        let key = CString::new(key).unwrap();
        let (mut hub, mut stream) = (null_mut(), null_mut());
        // SAFETY: NULL config (the defaults) and valid out pointers.
        check(unsafe { livehub_hub_new(null(), &mut hub) }, "hub_new");
        // SAFETY: a live hub, a NUL-terminated key, a valid out pointer.
        check(
            unsafe { livehub_hub_stream(hub, key.as_ptr(), &mut stream) },
            "hub_stream",
        );
        Stream { hub, stream }
    }

    pub fn publish(&self) -> Publisher {
        let mut p = null_mut();
        // SAFETY: a live stream and a valid out pointer.
        check(
            unsafe { livehub_stream_publish(self.stream, &mut p) },
            "publish",
        );
        Publisher(p)
    }

    /// A player in `group` (or none) with `notify` set (`None`: no callback,
    /// as a polling server runs it).
    pub fn play(&self, group: Option<&Group>, notify: Option<Callback>, ud: *mut c_void) -> Player {
        let mut opts = PlayOptions {
            struct_size: 0,
            timestamp_mode: 0,
            republish_wait_ms: 0,
            group: null_mut(),
        };
        // SAFETY: `opts` has the header's layout of livehub_play_options.
        unsafe { livehub_play_options_init_v2(&mut opts) };
        opts.group = group.map_or(null_mut(), |g| g.0);
        let mut pl = null_mut();
        // SAFETY: a live stream, initialised options naming a live group
        // (or none), a valid out pointer.
        check(
            unsafe { livehub_stream_play(self.stream, &opts, &mut pl) },
            "play",
        );
        if notify.is_some() {
            // SAFETY: a live player; `notify` may run with `ud` from any
            // thread until the player is released (the callers keep `ud`
            // alive).
            check(
                unsafe { livehub_player_set_notify(pl, notify, ud) },
                "set_notify",
            );
        }
        Player(pl)
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        // SAFETY: both references are ours and released once.
        unsafe {
            livehub_stream_release(self.stream);
            livehub_hub_release(self.hub);
        }
    }
}

pub struct Publisher(*mut c_void);

// SAFETY: a publisher may move between threads (one at a time).
unsafe impl Send for Publisher {}

impl Publisher {
    #[inline]
    pub fn push(&mut self, tag_type: u8, ts: u32, body: &[u8]) {
        // SAFETY: a live publisher used by one thread; `body` is valid for
        // its length.
        let r =
            unsafe { livehub_publisher_push_tag(self.0, tag_type, ts, body.as_ptr(), body.len()) };
        check(r, "push_tag");
    }
}

impl Drop for Publisher {
    fn drop(&mut self) {
        // SAFETY: ours, released once.
        unsafe { livehub_publisher_release(self.0) };
    }
}

pub struct Player(*mut c_void);

// SAFETY: a player may move between threads (one at a time).
unsafe impl Send for Player {}

impl Player {
    #[inline]
    pub fn read(&mut self, tag: &mut Tag) -> u32 {
        // SAFETY: a live player used by one thread, a writable tag.
        unsafe { livehub_player_read(self.0, tag) }
    }

    #[inline]
    pub fn read_batch(&mut self, tags: &mut [Tag], count: &mut usize) -> u32 {
        // SAFETY: as above; `tags` is writable for its length.
        unsafe { livehub_player_read_batch(self.0, tags.as_mut_ptr(), tags.len(), count) }
    }

    #[inline]
    pub fn read_iov(&mut self, iov: &mut [Iovec], count: &mut usize) -> u32 {
        // SAFETY: as above; `iov` is writable for its length.
        unsafe { livehub_player_read_iov(self.0, iov.as_mut_ptr(), iov.len(), count) }
    }
}

impl Drop for Player {
    fn drop(&mut self) {
        // SAFETY: ours, released once.
        unsafe { livehub_player_release(self.0) };
    }
}

pub struct Group(*mut c_void);

// SAFETY: groups may be used from any thread concurrently.
unsafe impl Send for Group {}
// SAFETY: as above.
unsafe impl Sync for Group {}

impl Group {
    /// A group whose wake is `wake(ud)` (`ud` kept alive by the caller
    /// until the group is dropped).
    pub fn new(wake: Callback, ud: *mut c_void) -> Group {
        let mut g = null_mut();
        // SAFETY: a valid out pointer; `wake` may run with `ud` from any
        // thread until the group is released.
        check(
            unsafe { livehub_group_new(Some(wake), ud, &mut g) },
            "group_new",
        );
        Group(g)
    }

    /// Runs the callbacks of the players with news; returns how many ran.
    #[inline]
    pub fn dispatch(&self) -> usize {
        let mut fired = 0;
        // SAFETY: a live group, a valid out pointer.
        check(
            unsafe { livehub_group_dispatch(self.0, &mut fired) },
            "dispatch",
        );
        fired
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        // SAFETY: ours, released once.
        unsafe { livehub_group_release(self.0) };
    }
}
