//! Tag classification: what an FLV tag body carries (key frame, sequence
//! header, end of sequence, metadata) and with which codec, for legacy FLV
//! and Enhanced RTMP tags alike.

use super::amf::is_on_metadata;
use super::{
    FlvError, FLAG_KEYFRAME, FLAG_METADATA, FLAG_SEQUENCE_HEADER, TAG_AUDIO, TAG_SCRIPT, TAG_VIDEO,
};

/// Video codec of a tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VideoCodec {
    /// H.264: legacy codec id 7 or FourCC `avc1`.
    Avc,
    /// H.265: legacy codec id 12 (non-standard, widespread) or FourCC `hvc1`.
    Hevc,
    /// AV1: FourCC `av01`.
    Av1,
    /// VP9: FourCC `vp09`.
    Vp9,
    /// Any other legacy codec id (below 16), or an unknown FourCC as a
    /// big-endian `u32`.
    Other(u32),
}

/// Audio codec of a tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudioCodec {
    /// AAC: legacy sound format 10 or FourCC `mp4a`.
    Aac,
    /// MP3: legacy sound formats 2 and 14 (8 kHz) or FourCC `.mp3`.
    Mp3,
    /// Opus: FourCC `Opus`.
    Opus,
    /// Any other legacy sound format (below 16), or another FourCC (`fLaC`,
    /// `ac-3`, `ec-3`, …) as a big-endian `u32`.
    Other(u32),
}

/// What [`classify`] found out about a tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TagInfo {
    /// `FLAG_*` bits.
    pub flags: u32,
    /// A coded video frame (not a sequence header, end of sequence,
    /// metadata or info/command frame).
    pub video_frame: bool,
    /// The end of the tag's own track (AVC/HEVC end of sequence, Enhanced
    /// video or audio SequenceEnd).
    pub end_of_sequence: bool,
    /// Codec of a video tag, when the tag names it.
    pub video: Option<VideoCodec>,
    /// Codec of an audio tag.
    pub audio: Option<AudioCodec>,
}

/// Classify an FLV tag body (the bytes after the 11-byte tag header).
///
/// - Video: frame type is the high nibble (1 key, 2 inter, 3 disposable,
///   4 generated key, 5 info/command); only frame type 1 sets
///   [`FLAG_KEYFRAME`]. Legacy codec ids 7 (AVC) and 12 (HEVC) carry a packet
///   type in byte 1: 0 sequence header, 1 NALU, 2 end of sequence. With the
///   Enhanced RTMP ex-header bit (0x80) the packet type is the low nibble and
///   a FourCC follows (`avc1`, `hvc1`, `av01`, `vp09`); SequenceStart and
///   MPEG2TSSequenceStart are sequence headers, CodedFrames and CodedFramesX
///   coded frames, SequenceEnd the end of sequence. ModEx prefixes are
///   skipped and Multitrack tags are classified by their packet type and
///   their first track's FourCC.
/// - Audio: AAC (sound format 10) packet type 0 is a sequence header; with
///   the Enhanced ex-header (sound format 9) SequenceStart is, whatever the
///   FourCC (`Opus`, `mp4a`, `fLaC`, `ac-3`, `ec-3`, `.mp3`).
/// - Script: [`FLAG_METADATA`] when the first AMF0 value is `"onMetaData"`,
///   after an optional leading `"@setDataFrame"`.
///
/// Errors: a tag type other than 8, 9 or 18 is [`FlvError::ReservedType`];
/// an empty audio or video body, an AAC body shorter than 2 bytes, an
/// AVC/HEVC body shorter than 5 bytes and an Enhanced body too short for its
/// FourCC are [`FlvError::TooShort`]. Info/command frames (frame type 5) are
/// accepted at any length: they carry a one-byte command, not a frame.
pub fn classify(tag_type: u8, body: &[u8]) -> Result<TagInfo, FlvError> {
    match tag_type {
        TAG_VIDEO => classify_video(body),
        TAG_AUDIO => classify_audio(body),
        TAG_SCRIPT => Ok(classify_script(body)),
        _ => Err(FlvError::ReservedType),
    }
}

/// Video frame type of an info/command frame.
const FRAME_INFO: u8 = 5;
/// Video frame type of a key frame.
const FRAME_KEY: u8 = 1;

/// Enhanced RTMP packet type that prefixes a ModEx block (audio and video).
const PACKET_MOD_EX: u8 = 7;
/// Enhanced RTMP video packet type of a multitrack tag.
const VIDEO_PACKET_MULTITRACK: u8 = 6;
/// Enhanced RTMP video packet type of video metadata.
const VIDEO_PACKET_METADATA: u8 = 4;
/// Enhanced RTMP audio packet type of a multitrack tag.
const AUDIO_PACKET_MULTITRACK: u8 = 5;

/// Flags of a coded video frame of `frame_type`.
fn coded_frame(info: &mut TagInfo, frame_type: u8) {
    info.video_frame = (1..=4).contains(&frame_type);
    if frame_type == FRAME_KEY {
        info.flags |= FLAG_KEYFRAME;
    }
}

fn classify_video(body: &[u8]) -> Result<TagInfo, FlvError> {
    let b0 = *body.first().ok_or(FlvError::TooShort)?;
    if b0 & 0x80 != 0 {
        return classify_enhanced_video(b0, body);
    }
    let frame_type = b0 >> 4;
    let codec = match b0 & 0x0f {
        7 => VideoCodec::Avc,
        12 => VideoCodec::Hevc,
        id => VideoCodec::Other(u32::from(id)),
    };
    let mut info = TagInfo {
        video: Some(codec),
        ..TagInfo::default()
    };
    if frame_type == FRAME_INFO {
        return Ok(info);
    }
    match codec {
        VideoCodec::Avc | VideoCodec::Hevc => {
            // Packet type and 24-bit composition time come first.
            if body.len() < 5 {
                return Err(FlvError::TooShort);
            }
            match body.get(1) {
                Some(0) => info.flags |= FLAG_SEQUENCE_HEADER,
                Some(1) => coded_frame(&mut info, frame_type),
                Some(2) => info.end_of_sequence = true,
                _ => {}
            }
        }
        _ => coded_frame(&mut info, frame_type),
    }
    Ok(info)
}

/// Skips Enhanced RTMP ModEx blocks starting at `*pos` while `packet_type`
/// is ModEx; returns the packet type that follows them.
fn skip_mod_ex(body: &[u8], pos: &mut usize, mut packet_type: u8) -> Result<u8, FlvError> {
    while packet_type == PACKET_MOD_EX {
        let mut size = usize::from(*body.get(*pos).ok_or(FlvError::TooShort)?) + 1;
        *pos += 1;
        if size == 256 {
            let hi = *body.get(*pos).ok_or(FlvError::TooShort)?;
            let lo = *body.get(*pos + 1).ok_or(FlvError::TooShort)?;
            size = usize::from(u16::from_be_bytes([hi, lo])) + 1;
            *pos += 2;
        }
        *pos += size;
        // The low nibble of the byte after the ModEx data is the next
        // packet type (the high nibble says what the ModEx data was).
        packet_type = *body.get(*pos).ok_or(FlvError::TooShort)? & 0x0f;
        *pos += 1;
    }
    Ok(packet_type)
}

/// Reads the FourCC at `pos`, after resolving a multitrack packet type.
fn fourcc_after_multitrack(
    body: &[u8],
    pos: &mut usize,
    packet_type: &mut u8,
    multitrack: u8,
) -> Result<[u8; 4], FlvError> {
    if *packet_type == multitrack {
        // Multitrack type in the high nibble, real packet type in the low
        // one. Every multitrack layout puts (the first track's) FourCC next.
        *packet_type = *body.get(*pos).ok_or(FlvError::TooShort)? & 0x0f;
        *pos += 1;
    }
    let f = body.get(*pos..*pos + 4).ok_or(FlvError::TooShort)?;
    *pos += 4;
    let mut fourcc = [0u8; 4];
    fourcc.copy_from_slice(f);
    Ok(fourcc)
}

fn classify_enhanced_video(b0: u8, body: &[u8]) -> Result<TagInfo, FlvError> {
    let frame_type = (b0 >> 4) & 0x07;
    let mut pos = 1;
    let mut packet_type = skip_mod_ex(body, &mut pos, b0 & 0x0f)?;
    let mut info = TagInfo::default();
    if frame_type == FRAME_INFO && packet_type != VIDEO_PACKET_METADATA {
        // A command frame: one command byte, no FourCC, no payload.
        return Ok(info);
    }
    let fourcc =
        fourcc_after_multitrack(body, &mut pos, &mut packet_type, VIDEO_PACKET_MULTITRACK)?;
    info.video = Some(match &fourcc {
        b"avc1" => VideoCodec::Avc,
        b"hvc1" => VideoCodec::Hevc,
        b"av01" => VideoCodec::Av1,
        b"vp09" => VideoCodec::Vp9,
        _ => VideoCodec::Other(u32::from_be_bytes(fourcc)),
    });
    match packet_type {
        // SequenceStart, MPEG2TSSequenceStart.
        0 | 5 => info.flags |= FLAG_SEQUENCE_HEADER,
        // CodedFrames, CodedFramesX.
        1 | 3 => coded_frame(&mut info, frame_type),
        // SequenceEnd.
        2 => info.end_of_sequence = true,
        // Metadata and anything unknown: no flags.
        _ => {}
    }
    Ok(info)
}

fn classify_audio(body: &[u8]) -> Result<TagInfo, FlvError> {
    let b0 = *body.first().ok_or(FlvError::TooShort)?;
    let mut info = TagInfo::default();
    match b0 >> 4 {
        9 => return classify_enhanced_audio(b0, body),
        10 => {
            info.audio = Some(AudioCodec::Aac);
            if *body.get(1).ok_or(FlvError::TooShort)? == 0 {
                info.flags |= FLAG_SEQUENCE_HEADER;
            }
        }
        2 | 14 => info.audio = Some(AudioCodec::Mp3),
        format => info.audio = Some(AudioCodec::Other(u32::from(format))),
    }
    Ok(info)
}

fn classify_enhanced_audio(b0: u8, body: &[u8]) -> Result<TagInfo, FlvError> {
    let mut pos = 1;
    let mut packet_type = skip_mod_ex(body, &mut pos, b0 & 0x0f)?;
    let fourcc =
        fourcc_after_multitrack(body, &mut pos, &mut packet_type, AUDIO_PACKET_MULTITRACK)?;
    let mut info = TagInfo {
        audio: Some(match &fourcc {
            b"Opus" => AudioCodec::Opus,
            b"mp4a" => AudioCodec::Aac,
            b".mp3" => AudioCodec::Mp3,
            _ => AudioCodec::Other(u32::from_be_bytes(fourcc)),
        }),
        ..TagInfo::default()
    };
    match packet_type {
        // SequenceStart.
        0 => info.flags |= FLAG_SEQUENCE_HEADER,
        // SequenceEnd.
        2 => info.end_of_sequence = true,
        // CodedFrames, MultichannelConfig, unknown: no flags.
        _ => {}
    }
    Ok(info)
}

fn classify_script(body: &[u8]) -> TagInfo {
    let mut info = TagInfo::default();
    if is_on_metadata(body) {
        info.flags |= FLAG_METADATA;
    }
    info
}

#[cfg(test)]
mod tests {
    use super::super::amf::write;
    use super::*;

    const KEY: u32 = FLAG_KEYFRAME;
    const SH: u32 = FLAG_SEQUENCE_HEADER;

    fn video(body: &[u8]) -> TagInfo {
        classify(TAG_VIDEO, body).unwrap()
    }

    fn audio(body: &[u8]) -> TagInfo {
        classify(TAG_AUDIO, body).unwrap()
    }

    fn info(flags: u32, frame: bool, eos: bool, v: Option<VideoCodec>) -> TagInfo {
        TagInfo {
            flags,
            video_frame: frame,
            end_of_sequence: eos,
            video: v,
            audio: None,
        }
    }

    #[test]
    fn legacy_avc_and_hevc() {
        for (id, codec) in [(7u8, VideoCodec::Avc), (12, VideoCodec::Hevc)] {
            let c = Some(codec);
            let v = |frame: u8, packet: u8| video(&[frame << 4 | id, packet, 0, 0, 0, 0xAA]);
            assert_eq!(v(1, 0), info(SH, false, false, c), "sequence header");
            assert_eq!(v(1, 1), info(KEY, true, false, c), "key frame");
            assert_eq!(v(2, 1), info(0, true, false, c), "inter frame");
            assert_eq!(v(3, 1), info(0, true, false, c), "disposable frame");
            assert_eq!(v(4, 1), info(0, true, false, c), "generated key frame");
            assert_eq!(v(1, 2), info(0, false, true, c), "end of sequence");
            assert_eq!(v(1, 9), info(0, false, false, c), "unknown packet type");
            assert_eq!(v(0, 1), info(0, false, false, c), "reserved frame type");
            // Exactly 5 bytes is enough (an end of sequence has no payload).
            assert_eq!(video(&[0x10 | id, 2, 0, 0, 0]), info(0, false, true, c));
            for len in 1..5 {
                let body = [0x10 | id, 1, 0, 0, 0];
                assert_eq!(
                    classify(TAG_VIDEO, &body[..len]),
                    Err(FlvError::TooShort),
                    "len {len}"
                );
            }
            // Info/command frame: a one-byte command, no packet type.
            assert_eq!(video(&[0x50 | id, 0]), info(0, false, false, c));
            assert_eq!(video(&[0x50 | id]), info(0, false, false, c));
        }
    }

    #[test]
    fn legacy_other_codecs() {
        // VP6 key frame, Sorenson H.263 inter frame: one byte is enough.
        let vp6 = Some(VideoCodec::Other(4));
        assert_eq!(video(&[0x14]), info(KEY, true, false, vp6));
        assert_eq!(
            video(&[0x22, 1, 2]),
            info(0, true, false, Some(VideoCodec::Other(2)))
        );
        assert_eq!(video(&[0x54, 1]), info(0, false, false, vp6));
    }

    #[test]
    fn empty_bodies_are_too_short() {
        assert_eq!(classify(TAG_VIDEO, &[]), Err(FlvError::TooShort));
        assert_eq!(classify(TAG_AUDIO, &[]), Err(FlvError::TooShort));
    }

    fn enhanced(frame: u8, packet: u8, fourcc: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let mut v = vec![0x80 | frame << 4 | packet];
        v.extend_from_slice(fourcc);
        v.extend_from_slice(payload);
        v
    }

    #[test]
    fn enhanced_video() {
        let all = [
            (b"avc1", VideoCodec::Avc),
            (b"hvc1", VideoCodec::Hevc),
            (b"av01", VideoCodec::Av1),
            (b"vp09", VideoCodec::Vp9),
        ];
        for (fourcc, codec) in all {
            let c = Some(codec);
            let v = |frame: u8, packet: u8| video(&enhanced(frame, packet, fourcc, &[1, 2, 3]));
            assert_eq!(v(1, 0), info(SH, false, false, c), "SequenceStart");
            assert_eq!(v(1, 1), info(KEY, true, false, c), "CodedFrames key");
            assert_eq!(v(2, 1), info(0, true, false, c), "CodedFrames inter");
            assert_eq!(v(1, 3), info(KEY, true, false, c), "CodedFramesX key");
            assert_eq!(v(2, 3), info(0, true, false, c), "CodedFramesX inter");
            assert_eq!(v(3, 3), info(0, true, false, c), "CodedFramesX disposable");
            assert_eq!(v(4, 1), info(0, true, false, c), "generated key");
            assert_eq!(v(1, 2), info(0, false, true, c), "SequenceEnd");
            assert_eq!(v(1, 4), info(0, false, false, c), "Metadata");
            assert_eq!(
                v(5, 4),
                info(0, false, false, c),
                "Metadata in a command frame"
            );
            assert_eq!(v(1, 5), info(SH, false, false, c), "MPEG2TSSequenceStart");
            assert_eq!(v(1, 15), info(0, false, false, c), "unknown packet type");
            // Exactly the FourCC is enough.
            assert_eq!(video(&enhanced(1, 2, fourcc, &[])), info(0, false, true, c));
            for len in 1..5 {
                let body = enhanced(1, 1, fourcc, &[]);
                assert_eq!(
                    classify(TAG_VIDEO, &body[..len]),
                    Err(FlvError::TooShort),
                    "len {len}"
                );
            }
        }
        let unknown = u32::from_be_bytes(*b"vvc1");
        assert_eq!(
            video(&enhanced(1, 1, b"vvc1", &[0])),
            info(KEY, true, false, Some(VideoCodec::Other(unknown)))
        );
    }

    #[test]
    fn enhanced_video_command_frame() {
        // Frame type 5, not Metadata: a single command byte, no FourCC.
        assert_eq!(video(&[0x80 | 0x50 | 1, 0]), TagInfo::default());
        assert_eq!(video(&[0xD0]), TagInfo::default());
    }

    #[test]
    fn enhanced_video_multitrack_and_mod_ex() {
        let hevc = Some(VideoCodec::Hevc);
        // Multitrack (6), OneTrack (0) of CodedFrames (1), hvc1, track 0.
        let mut mt = vec![0x80 | 0x10 | 6, 0x01];
        mt.extend_from_slice(b"hvc1");
        mt.extend_from_slice(&[0, 0xAA]);
        assert_eq!(video(&mt), info(KEY, true, false, hevc));
        // ManyTracksManyCodecs (2) of SequenceStart (0): first track's FourCC.
        let mut mt = vec![0x80 | 0x10 | 6, 0x20];
        mt.extend_from_slice(b"hvc1");
        assert_eq!(video(&mt), info(SH, false, false, hevc));
        assert_eq!(
            classify(TAG_VIDEO, &[0x80 | 0x10 | 6, 0x01, b'h']),
            Err(FlvError::TooShort)
        );
        // ModEx (7) with 3 bytes of data, then CodedFrames (1), then avc1.
        let mut mx = vec![0x80 | 0x10 | 7, 2, 9, 9, 9, 0x01];
        mx.extend_from_slice(b"avc1");
        assert_eq!(video(&mx), info(KEY, true, false, Some(VideoCodec::Avc)));
        // ModEx with a 16-bit size (marker 255), then SequenceStart.
        let mut mx = vec![0x80 | 0x10 | 7, 255, 0x01, 0x00];
        mx.extend_from_slice(&[0; 257]);
        mx.push(0x00);
        mx.extend_from_slice(b"av01");
        assert_eq!(video(&mx), info(SH, false, false, Some(VideoCodec::Av1)));
        // Truncated ModEx.
        assert_eq!(
            classify(TAG_VIDEO, &[0x80 | 0x10 | 7, 4, 1, 2, 3, 4, 5]),
            Err(FlvError::TooShort)
        );
    }

    #[test]
    fn legacy_audio() {
        let aac = Some(AudioCodec::Aac);
        assert_eq!(audio(&[0xAF, 0x00, 0x12, 0x10]).flags, SH);
        assert_eq!(audio(&[0xAF, 0x00, 0x12, 0x10]).audio, aac);
        assert_eq!(audio(&[0xAF, 0x01, 0x21]).flags, 0);
        assert_eq!(audio(&[0xAF, 0x01, 0x21]).audio, aac);
        assert_eq!(classify(TAG_AUDIO, &[0xAF]), Err(FlvError::TooShort));
        let mp3 = audio(&[0x2F, 0xFF, 0xFB]);
        assert_eq!((mp3.flags, mp3.audio), (0, Some(AudioCodec::Mp3)));
        assert_eq!(audio(&[0xE2]).audio, Some(AudioCodec::Mp3));
        let g711 = audio(&[0x72, 1, 2]);
        assert_eq!((g711.flags, g711.audio), (0, Some(AudioCodec::Other(7))));
        for body in [&[0xAF, 0x00][..], &[0x2F, 0x01]] {
            let i = audio(body);
            assert!(!i.video_frame && !i.end_of_sequence && i.video.is_none());
        }
    }

    #[test]
    fn enhanced_audio() {
        let ex = |packet: u8, fourcc: &[u8; 4]| {
            let mut v = vec![0x90 | packet];
            v.extend_from_slice(fourcc);
            v.extend_from_slice(&[1, 2, 3]);
            v
        };
        let opus_sh = audio(&ex(0, b"Opus"));
        assert_eq!(
            opus_sh,
            TagInfo {
                flags: SH,
                audio: Some(AudioCodec::Opus),
                ..TagInfo::default()
            }
        );
        let opus = audio(&ex(1, b"Opus"));
        assert_eq!((opus.flags, opus.audio), (0, Some(AudioCodec::Opus)));
        assert_eq!(audio(&ex(0, b"mp4a")).audio, Some(AudioCodec::Aac));
        assert_eq!(audio(&ex(0, b"mp4a")).flags, SH);
        assert_eq!(audio(&ex(1, b".mp3")).audio, Some(AudioCodec::Mp3));
        for fourcc in [b"fLaC", b"ac-3", b"ec-3"] {
            let i = audio(&ex(0, fourcc));
            assert_eq!(i.flags, SH);
            assert_eq!(
                i.audio,
                Some(AudioCodec::Other(u32::from_be_bytes(*fourcc)))
            );
        }
        let end = audio(&ex(2, b"Opus"));
        assert!(end.end_of_sequence);
        assert_eq!(end.flags, 0);
        assert_eq!(audio(&ex(4, b"Opus")).flags, 0, "MultichannelConfig");
        // Multitrack (5), OneTrack of SequenceStart, Opus.
        let mut mt = vec![0x90 | 5, 0x00];
        mt.extend_from_slice(b"Opus");
        mt.push(0);
        assert_eq!(audio(&mt).flags, SH);
        assert_eq!(audio(&mt).audio, Some(AudioCodec::Opus));
        // ModEx (7) then CodedFrames.
        let mut mx = vec![0x90 | 7, 0, 0xEE, 0x01];
        mx.extend_from_slice(b"Opus");
        assert_eq!(audio(&mx).audio, Some(AudioCodec::Opus));
        for len in 1..5 {
            assert_eq!(
                classify(TAG_AUDIO, &ex(0, b"Opus")[..len]),
                Err(FlvError::TooShort)
            );
        }
    }

    #[test]
    fn script_metadata() {
        let meta = TagInfo {
            flags: FLAG_METADATA,
            ..TagInfo::default()
        };
        assert_eq!(
            classify(TAG_SCRIPT, &write::on_metadata(false, true, true)),
            Ok(meta)
        );
        assert_eq!(
            classify(TAG_SCRIPT, &write::on_metadata(true, true, true)),
            Ok(meta)
        );
        let mut cue = Vec::new();
        write::string(&mut cue, "onCuePoint");
        assert_eq!(classify(TAG_SCRIPT, &cue), Ok(TagInfo::default()));
        assert_eq!(classify(TAG_SCRIPT, &[]), Ok(TagInfo::default()));
        assert_eq!(classify(TAG_SCRIPT, &[0xFF, 0x00]), Ok(TagInfo::default()));
    }

    #[test]
    fn reserved_types() {
        for t in [0u8, 1, 7, 10, 15, 17, 19, 0x28, 0x29, 0x32, 0xFF] {
            assert_eq!(
                classify(t, &[0x17, 1, 0, 0, 0]),
                Err(FlvError::ReservedType)
            );
        }
    }

    #[test]
    fn garbage_never_panics() {
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        for _ in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 12) as usize;
            let body: Vec<u8> = seed
                .to_le_bytes()
                .iter()
                .cycle()
                .take(len)
                .copied()
                .collect();
            for t in [TAG_AUDIO, TAG_VIDEO, TAG_SCRIPT] {
                let _ = classify(t, &body);
            }
        }
    }
}
