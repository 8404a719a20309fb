//! Codec parameters for the stream statistics, read from FLV tag bodies:
//! codec, profile, level and picture size from video sequence headers;
//! codec, profile, sample rate and channel count from audio tags.
//!
//! Both legacy FLV and Enhanced RTMP (FourCC) framing are understood:
//!
//! * video: legacy AVC (codec id 7) and HEVC (codec id 12) sequence headers;
//!   Enhanced RTMP `SequenceStart` for `avc1`, `hvc1`, `av01`, `vp09` and
//!   `vp08`, including the ModEx prelude and multitrack messages (first track);
//! * audio: every legacy sound format, AAC through its AudioSpecificConfig;
//!   Enhanced RTMP `mp4a`, `Opus`, `fLaC`, `ac-3`, `ec-3` and `.mp3`.
//!
//! The parsers are pure functions over byte slices. They never panic, whatever
//! the input: every read is bounds-checked, arithmetic is checked, loops are
//! bounded by the input length or a small constant, and the only allocation
//! (an unescaped copy of one parameter set) is capped.

mod aac;
mod audio;
mod av1;
mod avc;
mod bits;
mod hevc;
mod vpx;

#[cfg(test)]
mod test_bits;
#[cfg(test)]
mod tests;

use bits::be24;

/// Video codec parameters read from a sequence header, for statistics.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VideoInfo {
    /// Codec name: "h264", "hevc", "av1", "vp9" or "vp8".
    pub codec: &'static str,
    /// Profile name, e.g. "High", "Main", "Constrained Baseline", "Main 10",
    /// "Profile 0"; a number for profiles without a known name.
    pub profile: Option<String>,
    /// Level, e.g. "3.1" (H.264 `level_idc` 31, HEVC `general_level_idc`
    /// 93), "4" (HEVC 120), "1b", "4.0" (AV1 `seq_level_idx` 8).
    pub level: Option<String>,
    /// Displayed width in pixels, after frame cropping.
    pub width: Option<u32>,
    /// Displayed height in pixels, after frame cropping.
    pub height: Option<u32>,
}

/// Audio codec parameters read from an audio tag, for statistics.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AudioInfo {
    /// Codec name: "aac", "mp3", "opus", "flac", "ac3", "eac3", "pcm",
    /// "adpcm", "g711a", "g711u", "speex" or "nellymoser".
    pub codec: &'static str,
    /// AAC profile from the audio object type: "LC", "Main", "LTP",
    /// "HE-AAC", "HE-AACv2", ...; `None` for other codecs.
    pub profile: Option<String>,
    /// Sample rate in Hz.
    pub sample_rate: Option<u32>,
    /// Channel count.
    pub channels: Option<u32>,
}

/// Legacy video codec id of AVC.
const VIDEO_AVC: u8 = 7;
/// Legacy video codec id of HEVC (the widespread extension).
const VIDEO_HEVC: u8 = 12;
/// Video frame type of command frames, which carry no video.
const FRAME_COMMAND: u8 = 5;
/// Enhanced video packet type that carries the decoder configuration record.
const VIDEO_SEQUENCE_START: u8 = 0;
/// Enhanced video packet type of AMF metadata (allowed on command frames).
const VIDEO_METADATA: u8 = 4;
/// Enhanced video packet type that opens a multitrack body.
const VIDEO_MULTITRACK: u8 = 6;
/// Enhanced video packet type that opens a ModEx prelude.
const VIDEO_MODEX: u8 = 7;

/// Legacy sound format that switches to the Enhanced RTMP audio header.
const SOUND_EX_HEADER: u8 = 9;
/// Legacy sound format of AAC.
const SOUND_AAC: u8 = 10;
/// Enhanced audio packet type that carries the codec configuration.
const AUDIO_SEQUENCE_START: u8 = 0;
/// Enhanced audio packet type of coded frames.
const AUDIO_CODED_FRAMES: u8 = 1;
/// Enhanced audio packet type that gives the channel count and order.
const AUDIO_MULTICHANNEL_CONFIG: u8 = 4;
/// Enhanced audio packet type that opens a multitrack body.
const AUDIO_MULTITRACK: u8 = 5;
/// Enhanced audio packet type that opens a ModEx prelude.
const AUDIO_MODEX: u8 = 7;

/// Most ModEx entries followed before the real packet type.
const MAX_MODEX: usize = 8;

/// Parses an FLV video tag body that is a sequence header.
///
/// Understands legacy AVC (codec id 7) and HEVC (codec id 12) bodies (packet
/// type 0 at byte 1, three bytes of composition time, then the decoder
/// configuration record), and Enhanced RTMP `SequenceStart` bodies (byte 0
/// with bit 7 set, FourCC at bytes 1..5, then the record) for `avc1`, `hvc1`,
/// `av01`, `vp09` and `vp08`. Returns `None` when the body is not a sequence
/// header or nothing in it can be read; fields that cannot be read are `None`.
#[must_use]
pub fn parse_video_sequence_header(body: &[u8]) -> Option<VideoInfo> {
    let b0 = *body.first()?;
    if b0 & 0x80 != 0 {
        return parse_enhanced_video(body);
    }
    if b0 >> 4 == FRAME_COMMAND || *body.get(1)? != 0 {
        return None;
    }
    let record = body.get(5..)?;
    match b0 & 0x0f {
        VIDEO_AVC => avc::parse_record(record),
        VIDEO_HEVC => hevc::parse_record(record),
        _ => None,
    }
}

/// Parses an Enhanced RTMP video body that is a `SequenceStart`.
fn parse_enhanced_video(body: &[u8]) -> Option<VideoInfo> {
    let b0 = *body.first()?;
    let frame_type = (b0 >> 4) & 0x07;
    let (packet_type, at) = skip_modex(body, b0 & 0x0f, VIDEO_MODEX)?;
    if frame_type == FRAME_COMMAND && packet_type != VIDEO_METADATA {
        return None;
    }
    let track = if packet_type == VIDEO_MULTITRACK {
        first_track(body, at)?
    } else {
        Track {
            packet_type,
            fourcc: body.get(at..at.checked_add(4)?)?,
            payload: body.get(at.checked_add(4)?..)?,
        }
    };
    if track.packet_type != VIDEO_SEQUENCE_START {
        return None;
    }
    match track.fourcc {
        b"avc1" => avc::parse_record(track.payload),
        b"hvc1" => hevc::parse_record(track.payload),
        b"av01" => av1::parse_record(track.payload),
        b"vp09" => vpx::parse_record(track.payload, "vp9"),
        b"vp08" => vpx::parse_record(track.payload, "vp8"),
        _ => None,
    }
}

/// Parses an FLV audio tag body.
///
/// Legacy AAC (sound format 10) gives its AudioSpecificConfig when byte 1 is
/// 0 (raw frames give `None`). Formats without sequence headers give their
/// parameters from any frame: MP3 from the MPEG audio frame header (falling
/// back to the FLV header bits), PCM, ADPCM and Nellymoser from the FLV rate
/// and channel bits, G.711 and Speex at their fixed rates. Enhanced RTMP
/// bodies (sound format 9) are read by FourCC: `mp4a` (AudioSpecificConfig),
/// `Opus` (OpusHead), `fLaC` (STREAMINFO) on `SequenceStart`; `.mp3`, `ac-3`
/// and `ec-3` from their frame headers; a `MultichannelConfig` gives the
/// channel count. Returns `None` when nothing can be read.
#[must_use]
pub fn parse_audio(body: &[u8]) -> Option<AudioInfo> {
    let b0 = *body.first()?;
    let format = b0 >> 4;
    // Legacy header bits: rate (bits 2-3) and mono/stereo (bit 0).
    let flv_rate = [5512, 11_025, 22_050, 44_100][usize::from((b0 >> 2) & 0x03)];
    let flv_channels = if b0 & 0x01 != 0 { 2 } else { 1 };
    let fixed = |codec, rate, channels| {
        Some(AudioInfo {
            codec,
            profile: None,
            sample_rate: Some(rate),
            channels: Some(channels),
        })
    };
    match format {
        0 | 3 => fixed("pcm", flv_rate, flv_channels),
        1 => fixed("adpcm", flv_rate, flv_channels),
        2 | 14 => {
            let (rate, channels) = body
                .get(1..)
                .and_then(audio::parse_mpeg_audio_header)
                .unwrap_or(if format == 14 {
                    (8000, flv_channels)
                } else {
                    (flv_rate, flv_channels)
                });
            fixed("mp3", rate, channels)
        }
        4 => fixed("nellymoser", 16_000, 1),
        5 => fixed("nellymoser", 8000, 1),
        6 => fixed("nellymoser", flv_rate, flv_channels),
        7 => fixed("g711a", 8000, flv_channels),
        8 => fixed("g711u", 8000, flv_channels),
        11 => fixed("speex", 16_000, 1),
        SOUND_AAC => match body.get(1)? {
            0 => aac::parse_asc(body.get(2..)?),
            _ => None,
        },
        SOUND_EX_HEADER => parse_enhanced_audio(body),
        _ => None,
    }
}

/// Parses an Enhanced RTMP audio body.
fn parse_enhanced_audio(body: &[u8]) -> Option<AudioInfo> {
    let b0 = *body.first()?;
    let (packet_type, at) = skip_modex(body, b0 & 0x0f, AUDIO_MODEX)?;
    let track = if packet_type == AUDIO_MULTITRACK {
        first_track(body, at)?
    } else {
        Track {
            packet_type,
            fourcc: body.get(at..at.checked_add(4)?)?,
            payload: body.get(at.checked_add(4)?..)?,
        }
    };
    let codec = match track.fourcc {
        b"mp4a" => "aac",
        b"Opus" => "opus",
        b"fLaC" => "flac",
        b"ac-3" => "ac3",
        b"ec-3" => "eac3",
        b".mp3" => "mp3",
        _ => return None,
    };
    let payload = track.payload;
    match (track.packet_type, codec) {
        (AUDIO_SEQUENCE_START, "aac") => aac::parse_asc(payload),
        (AUDIO_SEQUENCE_START, "opus") => Some(audio::parse_opus_head(payload)),
        (AUDIO_SEQUENCE_START, "flac") => Some(audio::parse_flac(payload)),
        (AUDIO_SEQUENCE_START | AUDIO_CODED_FRAMES, "ac3" | "eac3") => {
            Some(audio::parse_ac3_frame(payload, codec))
        }
        (AUDIO_SEQUENCE_START | AUDIO_CODED_FRAMES, "mp3") => {
            Some(audio::parse_mpeg_audio_header(payload).map_or_else(
                || audio::bare("mp3"),
                |(rate, channels)| AudioInfo {
                    codec: "mp3",
                    profile: None,
                    sample_rate: Some(rate),
                    channels: Some(channels),
                },
            ))
        }
        (AUDIO_MULTICHANNEL_CONFIG, _) => {
            // audioChannelOrder (UI8), then channelCount (UI8).
            let channels = u32::from(*payload.get(1)?);
            Some(AudioInfo {
                channels: (channels != 0).then_some(channels),
                ..audio::bare(codec)
            })
        }
        _ => None,
    }
}

/// Follows the ModEx prelude of an Enhanced RTMP body from byte 1: each entry
/// is a size (UI8 + 1, or UI16 + 1 after 0xff), that many bytes, then a byte
/// whose low nibble is the next packet type. Returns the real packet type
/// and the offset after the prelude.
fn skip_modex(body: &[u8], first: u8, modex: u8) -> Option<(u8, usize)> {
    let mut packet_type = first;
    let mut at = 1usize;
    for _ in 0..MAX_MODEX {
        if packet_type != modex {
            return Some((packet_type, at));
        }
        let mut size = usize::from(*body.get(at)?) + 1;
        at = at.checked_add(1)?;
        if size == 256 {
            size = usize::from(bits::be16(body, at)?) + 1;
            at = at.checked_add(2)?;
        }
        at = at.checked_add(size)?;
        packet_type = body.get(at)? & 0x0f;
        at = at.checked_add(1)?;
    }
    (packet_type != modex).then_some((packet_type, at))
}

/// One track's packet type, FourCC and payload.
struct Track<'a> {
    packet_type: u8,
    fourcc: &'a [u8],
    payload: &'a [u8],
}

/// The first track of a multitrack body whose multitrack byte is at `at`:
/// multitrack type (high nibble) and packet type (low nibble), the shared
/// FourCC unless each track has its own, then per track an optional FourCC,
/// a track id and (except for a single track) a 24-bit size.
fn first_track(body: &[u8], mut at: usize) -> Option<Track<'_>> {
    let b = *body.get(at)?;
    let (multitrack_type, packet_type) = (b >> 4, b & 0x0f);
    if multitrack_type > 2 {
        return None;
    }
    at = at.checked_add(1)?;
    let fourcc = body.get(at..at.checked_add(4)?)?;
    at = at.checked_add(4)?;
    at = at.checked_add(1)?; // track id
    let payload = if multitrack_type == 0 {
        body.get(at..)?
    } else {
        let size = usize::try_from(be24(body, at)?).ok()?;
        at = at.checked_add(3)?;
        body.get(at..at.checked_add(size)?)?
    };
    Some(Track {
        packet_type,
        fourcc,
        payload,
    })
}
