//! FLV model for livehub: what a tag is (keyframe, sequence header, metadata),
//! the incremental demuxer behind `livehub_publisher_push_flv`, and the byte
//! writers that frame the HTTP-FLV output.
//!
//! Everything here is safe Rust and depends only on `bytes`; no input, however
//! malformed, makes any of these functions panic.
//!
//! - [`classify`] tells what a tag body carries ([`TagInfo`]).
//! - [`strip_set_data_frame`], [`is_on_metadata`] and [`metadata_tracks`] read
//!   the AMF0 script data of an `onMetaData` tag.
//! - [`Demuxer`] turns any chunking of an FLV byte stream into [`RawTag`]s.
//! - [`file_header`], [`tag_header`] and [`prev_tag_size`] write the framing.

mod amf;
mod classify;
mod demux;
mod error;
mod mux;

pub use amf::{is_on_metadata, metadata_tracks, strip_set_data_frame};
pub use classify::{classify, AudioCodec, TagInfo, VideoCodec};
pub use demux::{Demuxer, RawTag};
pub use error::FlvError;
pub use mux::{file_header, prev_tag_size, tag_header};

/// FLV tag type of an audio tag.
pub const TAG_AUDIO: u8 = 8;
/// FLV tag type of a video tag.
pub const TAG_VIDEO: u8 = 9;
/// FLV tag type of a script data (AMF0) tag.
pub const TAG_SCRIPT: u8 = 18;

/// Tag flag: a coded video key frame (frame type 1), a random access point.
pub const FLAG_KEYFRAME: u32 = 1;
/// Tag flag: an audio or video sequence header (decoder configuration).
pub const FLAG_SEQUENCE_HEADER: u32 = 2;
/// Tag flag: an `onMetaData` script tag.
pub const FLAG_METADATA: u32 = 4;

/// Size of the FLV file header (signature, version, flags, DataOffset).
pub const FILE_HEADER_SIZE: usize = 9;
/// Size of an FLV tag header (type, data size, timestamp, stream id).
pub const TAG_HEADER_SIZE: usize = 11;
/// Size of a PreviousTagSize field.
pub const PREV_TAG_SIZE_SIZE: usize = 4;
/// Largest data size an FLV tag header can express (24 bits).
pub const MAX_DATA_SIZE: u32 = 0x00FF_FFFF;
