//! Fuzz target: the tag classifier, the AMF0 metadata readers and the
//! codec-parameter parsers on arbitrary bytes. No panic, and what they
//! return is consistent.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use livehub::flv;

const KNOWN_FLAGS: u32 = flv::FLAG_KEYFRAME | flv::FLAG_SEQUENCE_HEADER | flv::FLAG_METADATA;

fuzz_target!(|data: &[u8]| {
    // The first byte as a tag type byte, the rest as its body.
    if let Some((&type_byte, body)) = data.split_first() {
        let _ = flv::classify(type_byte, body);
    }
    // The whole input as each kind of body.
    for tag_type in [flv::TAG_AUDIO, flv::TAG_VIDEO, flv::TAG_SCRIPT] {
        let Ok(info) = flv::classify(tag_type, data) else {
            assert_ne!(tag_type, flv::TAG_SCRIPT, "script bodies always classify");
            continue;
        };
        assert_eq!(info.flags & !KNOWN_FLAGS, 0);
        assert!(!info.video_frame || tag_type == flv::TAG_VIDEO);
        assert!(info.flags & flv::FLAG_KEYFRAME == 0 || info.video_frame);
        assert!(info.flags & flv::FLAG_METADATA == 0 || tag_type == flv::TAG_SCRIPT);
        assert!(info.video.is_none() || tag_type == flv::TAG_VIDEO);
        assert!(info.audio.is_none() || tag_type == flv::TAG_AUDIO);
        if tag_type == flv::TAG_SCRIPT {
            assert_eq!(
                info.flags & flv::FLAG_METADATA != 0,
                flv::is_on_metadata(data)
            );
        }
    }

    // The codec parsers see every sequence header a publisher sends.
    if let Some(v) = livehub::codec::parse_video_sequence_header(data) {
        assert!(!v.codec.is_empty());
    }
    if let Some(a) = livehub::codec::parse_audio(data) {
        assert!(!a.codec.is_empty());
    }

    let (audio, video) = flv::metadata_tracks(data);
    if !flv::is_on_metadata(data) {
        assert_eq!((audio, video), (None, None));
    }

    let body = Bytes::copy_from_slice(data);
    if let Some(rest) = flv::strip_set_data_frame(&body) {
        // A zero-copy tail of the body, after a 16-byte "@setDataFrame".
        assert!(rest.len() + 16 <= body.len());
        assert!(data.ends_with(&rest));
        let _ = flv::metadata_tracks(&rest);
        if flv::is_on_metadata(data) {
            assert!(flv::is_on_metadata(&rest));
        }
    }
});
