//! `livehub_tag`, `livehub_iovec` and the tag constants.

use crate::flv;
use crate::player::TagView;
use std::ffi::c_void;

/// FLV tag type: audio.
pub const LIVEHUB_TAG_AUDIO: u8 = 8;
/// FLV tag type: video.
pub const LIVEHUB_TAG_VIDEO: u8 = 9;
/// FLV tag type: script data (AMF0, such as onMetaData).
pub const LIVEHUB_TAG_SCRIPT: u8 = 18;

/// Tag flag: a coded video key frame (a random access point).
pub const LIVEHUB_TAG_FLAG_KEYFRAME: u32 = 1;
/// Tag flag: an audio or video sequence header (decoder configuration).
pub const LIVEHUB_TAG_FLAG_SEQUENCE_HEADER: u32 = 2;
/// Tag flag: an onMetaData script tag (a leading "@setDataFrame" removed).
pub const LIVEHUB_TAG_FLAG_METADATA: u32 = 4;

/// Largest tag body FLV can carry (24-bit size field), and the default
/// `max_tag_size`.
pub const LIVEHUB_MAX_TAG_SIZE: u32 = 0xFFFFFF;

// The C values are the core's values.
const _: () = assert!(LIVEHUB_TAG_AUDIO == flv::TAG_AUDIO);
const _: () = assert!(LIVEHUB_TAG_VIDEO == flv::TAG_VIDEO);
const _: () = assert!(LIVEHUB_TAG_SCRIPT == flv::TAG_SCRIPT);
const _: () = assert!(LIVEHUB_TAG_FLAG_KEYFRAME == flv::FLAG_KEYFRAME);
const _: () = assert!(LIVEHUB_TAG_FLAG_SEQUENCE_HEADER == flv::FLAG_SEQUENCE_HEADER);
const _: () = assert!(LIVEHUB_TAG_FLAG_METADATA == flv::FLAG_METADATA);
const _: () = assert!(LIVEHUB_MAX_TAG_SIZE == flv::MAX_DATA_SIZE);

/// One tag, as `livehub_player_read()` returns it: a borrowed view.
///
/// Ownership: `data` points into memory owned by livehub (shared by every
/// player of the stream, never copied per player). It stays valid until the
/// next call on the same player (any call taking that `livehub_player *`,
/// including its release), whatever other threads do to the stream, its
/// publisher or its hub meanwhile. Copy what you need to keep longer; never
/// write through it or free it.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct livehub_tag {
    /// `LIVEHUB_TAG_AUDIO`, `LIVEHUB_TAG_VIDEO` or `LIVEHUB_TAG_SCRIPT`.
    pub r#type: u8,
    /// Milliseconds, after the player's timestamp policy; never goes back
    /// (modulo 2^32: see `livehub_play_options` on wrapping).
    pub timestamp: u32,
    /// `LIVEHUB_TAG_FLAG_*` bits; unknown bits may appear in later versions.
    pub flags: u32,
    /// The tag body (FLV tag header excluded); never NULL, even when `size`
    /// is 0.
    pub data: *const u8,
    /// Bytes at `data`.
    pub size: usize,
}

/// The one byte an empty body points at, so that `data` is never NULL or
/// dangling even for `size == 0`.
static EMPTY_BODY: u8 = 0;

impl livehub_tag {
    /// The C view of a core tag view. The pointer is valid for as long as
    /// the bytes `view.data` borrows (see `livehub_player_read`).
    pub(crate) fn from_view(view: &TagView<'_>) -> livehub_tag {
        let data = if view.data.is_empty() {
            &EMPTY_BODY as *const u8
        } else {
            view.data.as_ptr()
        };
        livehub_tag {
            r#type: view.tag_type,
            timestamp: view.timestamp,
            flags: view.flags,
            data,
            size: view.data.len(),
        }
    }
}

/// One piece of the HTTP-FLV byte stream, as `livehub_player_read_iov()`
/// returns it. Same layout as POSIX `struct iovec`, so an array of them can
/// be passed to `writev()` (cast the pointer).
///
/// Ownership: `iov_base` points into memory owned by livehub, valid until
/// the next call on the same player. It is `void *` only to match
/// `struct iovec`: never write through it or free it.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct livehub_iovec {
    /// Start of the bytes.
    pub iov_base: *mut c_void,
    /// Number of bytes (never 0 in what livehub returns).
    pub iov_len: usize,
}

impl livehub_iovec {
    /// The C view of a slice. The pointer is valid as long as the slice's
    /// bytes are.
    pub(crate) fn from_slice(bytes: &[u8]) -> livehub_iovec {
        livehub_iovec {
            iov_base: bytes.as_ptr().cast_mut().cast(),
            iov_len: bytes.len(),
        }
    }
}
