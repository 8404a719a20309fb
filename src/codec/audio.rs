//! Audio headers other than AAC's: the Opus identification header, the FLAC
//! STREAMINFO block, and the frame headers of AC-3, E-AC-3 and MPEG audio
//! (MP3), for sample rate and channel count.

use super::bits::{be24, le16, le32, BitReader};
use super::AudioInfo;

/// Magic that opens an Opus identification header.
const OPUS_HEAD: &[u8] = b"OpusHead";
/// Magic that opens a FLAC stream.
const FLAC_MAGIC: &[u8] = b"fLaC";
/// Length of the FLAC STREAMINFO block.
const STREAMINFO_LEN: u32 = 34;
/// Opus decodes at 48 kHz; used when the header gives no input rate.
const OPUS_RATE: u32 = 48_000;

/// An `AudioInfo` with the codec name only.
pub(crate) fn bare(codec: &'static str) -> AudioInfo {
    AudioInfo {
        codec,
        ..AudioInfo::default()
    }
}

/// Parses an Opus identification header ("OpusHead"): channel count (byte 9)
/// and input sample rate (little-endian at 12; 48 kHz when it is 0). Anything
/// else (such as the comment header) gives the codec alone.
pub(crate) fn parse_opus_head(data: &[u8]) -> AudioInfo {
    if !data.starts_with(OPUS_HEAD) {
        return bare("opus");
    }
    let channels = data.get(9).copied().filter(|&c| c != 0).map(u32::from);
    // Bytes 10-11 are the pre-skip: a full header has them before the rate.
    let sample_rate =
        le16(data, 10)
            .and_then(|_| le32(data, 12))
            .map(|rate| if rate == 0 { OPUS_RATE } else { rate });
    AudioInfo {
        codec: "opus",
        profile: None,
        sample_rate,
        channels,
    }
}

/// Parses a FLAC STREAMINFO block for sample rate and channels. Takes it with
/// or without the "fLaC" marker and the 4-byte metadata block header.
pub(crate) fn parse_flac(data: &[u8]) -> AudioInfo {
    let mut block = data.strip_prefix(FLAC_MAGIC).unwrap_or(data);
    if block.first().map(|b| b & 0x7f) == Some(0) && be24(block, 1) == Some(STREAMINFO_LEN) {
        block = block.get(4..).unwrap_or_default();
    }
    let (Some(&b10), Some(&b11), Some(&b12)) = (block.get(10), block.get(11), block.get(12)) else {
        return bare("flac");
    };
    let rate = (u32::from(b10) << 12) | (u32::from(b11) << 4) | u32::from(b12 >> 4);
    AudioInfo {
        codec: "flac",
        profile: None,
        sample_rate: (rate != 0).then_some(rate),
        channels: Some(u32::from((b12 >> 1) & 0x07) + 1),
    }
}

/// Channels (without LFE) by the AC-3 `acmod`.
const ACMOD_CHANNELS: [u32; 8] = [2, 1, 2, 3, 3, 4, 4, 5];
/// Sample rates by the AC-3 `fscod`.
const AC3_RATES: [u32; 3] = [48_000, 44_100, 32_000];
/// Reduced sample rates by the E-AC-3 `fscod2`.
const EAC3_HALF_RATES: [u32; 3] = [24_000, 22_050, 16_000];

/// Parses the sync frame header of an AC-3 or E-AC-3 frame (told apart by
/// `bsid`, whatever `codec` name is reported) for sample rate and channels.
/// A body that does not start with a sync frame gives the codec alone.
pub(crate) fn parse_ac3_frame(frame: &[u8], codec: &'static str) -> AudioInfo {
    ac3_header(frame).map_or_else(
        || bare(codec),
        |(rate, channels)| AudioInfo {
            codec,
            profile: None,
            sample_rate: rate,
            channels: Some(channels),
        },
    )
}

/// Sample rate and channel count (LFE included) of an AC-3/E-AC-3 frame.
fn ac3_header(frame: &[u8]) -> Option<(Option<u32>, u32)> {
    if frame.get(..2)? != [0x0b, 0x77] {
        return None;
    }
    let bsid = frame.get(5)? >> 3;
    if bsid <= 10 {
        // AC-3: crc1 (16), fscod (2), frmsizecod (6), bsid (5), bsmod (3).
        let rate = AC3_RATES.get(usize::from(frame.get(4)? >> 6)).copied();
        let mut r = BitReader::new(frame.get(6..)?);
        let acmod = r.bits(3)?;
        if acmod & 1 != 0 && acmod != 1 {
            r.skip(2)?; // cmixlev
        }
        if acmod & 4 != 0 {
            r.skip(2)?; // surmixlev
        }
        if acmod == 2 {
            r.skip(2)?; // dsurmod
        }
        let lfe = u32::from(r.flag()?);
        Some((rate, ACMOD_CHANNELS.get(acmod as usize)? + lfe))
    } else if bsid <= 16 {
        // E-AC-3: strmtyp (2), substreamid (3), frmsiz (11), fscod (2),
        // fscod2 or numblkscod (2), acmod (3), lfeon (1).
        let mut r = BitReader::new(frame.get(2..)?);
        r.skip(2 + 3 + 11)?;
        let fscod = r.bits(2)?;
        let low = r.bits(2)?;
        let rate = if fscod == 3 {
            EAC3_HALF_RATES.get(low as usize).copied()
        } else {
            AC3_RATES.get(fscod as usize).copied()
        };
        let acmod = r.bits(3)?;
        let lfe = u32::from(r.flag()?);
        Some((rate, ACMOD_CHANNELS.get(acmod as usize)? + lfe))
    } else {
        None
    }
}

/// Parses an MPEG audio frame header (the four bytes that open an MP3
/// frame): sample rate and channel count, or `None` if `frame` does not
/// start with a valid header.
pub(crate) fn parse_mpeg_audio_header(frame: &[u8]) -> Option<(u32, u32)> {
    let h = frame.get(..4)?;
    if h[0] != 0xff || h[1] & 0xe0 != 0xe0 {
        return None;
    }
    let version = (h[1] >> 3) & 0x03;
    let layer = (h[1] >> 1) & 0x03;
    let bitrate_index = h[2] >> 4;
    let rate_index = usize::from((h[2] >> 2) & 0x03);
    if version == 1 || layer == 0 || bitrate_index == 15 {
        return None;
    }
    let base = [44_100u32, 48_000, 32_000].get(rate_index).copied()?;
    let rate = match version {
        3 => base,     // MPEG-1
        2 => base / 2, // MPEG-2
        _ => base / 4, // MPEG-2.5
    };
    let channels = if h[3] >> 6 == 3 { 1 } else { 2 };
    Some((rate, channels))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opus_head() {
        let mut head = b"OpusHead".to_vec();
        head.extend_from_slice(&[1, 2, 0x38, 0x01, 0x80, 0xbb, 0, 0, 0, 0, 0]);
        let info = parse_opus_head(&head);
        assert_eq!((info.sample_rate, info.channels), (Some(48_000), Some(2)));
        head[12..16].copy_from_slice(&16_000u32.to_le_bytes());
        head[9] = 1;
        let info = parse_opus_head(&head);
        assert_eq!((info.sample_rate, info.channels), (Some(16_000), Some(1)));
        head[12..16].copy_from_slice(&[0; 4]);
        assert_eq!(parse_opus_head(&head).sample_rate, Some(48_000));
        // Truncated: channels known, rate not.
        let info = parse_opus_head(&head[..11]);
        assert_eq!((info.sample_rate, info.channels), (None, Some(1)));
        assert_eq!(parse_opus_head(b"OpusTags\0\0\0\0"), bare("opus"));
        assert_eq!(parse_opus_head(&[]), bare("opus"));
    }

    /// STREAMINFO for `rate` and `channels` (16-bit samples).
    fn streaminfo(rate: u32, channels: u8) -> Vec<u8> {
        let mut s = vec![0x10, 0x00, 0x10, 0x00, 0, 0, 0x0e, 0, 0x1f, 0x20];
        s.push((rate >> 12) as u8);
        s.push((rate >> 4) as u8);
        s.push((((rate & 0x0f) as u8) << 4) | ((channels - 1) << 1));
        s.extend_from_slice(&[0xf0; 21]);
        s
    }

    #[test]
    fn flac_streaminfo_in_three_wrappings() {
        let raw = streaminfo(96_000, 2);
        let mut with_header = vec![0x80, 0, 0, 34];
        with_header.extend_from_slice(&raw);
        let mut with_magic = b"fLaC".to_vec();
        with_magic.extend_from_slice(&with_header);
        for body in [&raw, &with_header, &with_magic] {
            let info = parse_flac(body);
            assert_eq!(info.codec, "flac");
            assert_eq!((info.sample_rate, info.channels), (Some(96_000), Some(2)));
        }
        let info = parse_flac(&streaminfo(44_100, 1));
        assert_eq!((info.sample_rate, info.channels), (Some(44_100), Some(1)));
        assert_eq!(parse_flac(b"fLaC"), bare("flac"));
        assert_eq!(parse_flac(&raw[..12]), bare("flac"));
    }

    #[test]
    fn ac3_and_eac3_headers() {
        // AC-3 48 kHz, bsid 8, acmod 7 (3/2) with cmixlev and surmixlev, LFE on.
        let ac3 = [0x0b, 0x77, 0, 0, 0x10, 0x40, 0b1110_0001, 0b0100_0000];
        assert_eq!(ac3_header(&ac3), Some((Some(48_000), 6)));
        // AC-3 44.1 kHz, acmod 2 (stereo) with dsurmod, no LFE.
        let stereo = [0x0b, 0x77, 0, 0, 0x50, 0x40, 0b0100_0000, 0];
        assert_eq!(ac3_header(&stereo), Some((Some(44_100), 2)));
        // AC-3 acmod 1 (mono), LFE on: no mix levels to skip.
        let mono = [0x0b, 0x77, 0, 0, 0x90, 0x40, 0b0011_0000];
        assert_eq!(ac3_header(&mono), Some((Some(32_000), 2)));
        // E-AC-3: fscod 3, fscod2 1 (22.05 kHz), acmod 2, no LFE, bsid 16.
        let eac3 = [0x0b, 0x77, 0x00, 0x3f, 0xd4, 0x80];
        assert_eq!(
            ac3_header(&[&eac3[..], &[0x80]].concat()),
            Some((Some(22_050), 2))
        );
        // E-AC-3 48 kHz, acmod 7 + LFE.
        let eac3_51 = [0x0b, 0x77, 0x00, 0x3f, 0x3f, 0x80];
        assert_eq!(ac3_header(&eac3_51), Some((Some(48_000), 6)));
        assert_eq!(ac3_header(&[0x0b, 0x77, 0, 0, 0, 0xf8, 0]), None);
        assert_eq!(
            parse_ac3_frame(&[0x0b, 0x78, 0, 0, 0, 0], "ac3"),
            bare("ac3")
        );
        assert_eq!(parse_ac3_frame(&ac3[..6], "ac3"), bare("ac3"));
    }

    #[test]
    fn mpeg_audio_headers() {
        assert_eq!(
            parse_mpeg_audio_header(&[0xff, 0xfb, 0x90, 0x64]),
            Some((44_100, 2))
        );
        assert_eq!(
            parse_mpeg_audio_header(&[0xff, 0xf3, 0x84, 0xc4]),
            Some((24_000, 1))
        );
        assert_eq!(
            parse_mpeg_audio_header(&[0xff, 0xe3, 0x18, 0xc4]),
            Some((8_000, 1))
        );
        assert_eq!(parse_mpeg_audio_header(&[0xff, 0xfb, 0x9c, 0x64]), None);
        assert_eq!(parse_mpeg_audio_header(&[0xff, 0xeb, 0x90, 0x64]), None);
        assert_eq!(parse_mpeg_audio_header(&[0xff, 0xf9, 0x90, 0x64]), None);
        assert_eq!(parse_mpeg_audio_header(&[0xff, 0xfb, 0xf0, 0x64]), None);
        assert_eq!(parse_mpeg_audio_header(&[0xff, 0xfb, 0x90]), None);
        assert_eq!(parse_mpeg_audio_header(&[0x49, 0x44, 0x33, 0x04]), None);
    }
}
