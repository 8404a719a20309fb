//! Tests of the C ABI, calling the exported functions as a C caller would:
//! raw pointers in, result codes and `*_out` arguments back. One file per
//! handle type or concern; the helpers they share are here.

mod arguments;
mod config;
mod group;
mod header;
mod hub;
mod notify;
mod player;
mod publisher;
mod result;
mod stats;
mod stream;

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
