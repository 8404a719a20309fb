//! H.265/HEVC: the HEVCDecoderConfigurationRecord (`hvcC`) and the sequence
//! parameter set inside it, for profile, level and the cropped picture size.

use super::bits::{be16, unescape_rbsp, BitReader};
use super::VideoInfo;

/// NAL unit type of a sequence parameter set.
const NAL_SPS: u8 = 33;
/// Bytes before the first NAL unit array of the record.
const RECORD_HEADER: usize = 23;

/// What an SPS says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Sps {
    pub(crate) profile_idc: u8,
    pub(crate) level_idc: u8,
    /// Size after the conformance window, when readable and sane.
    pub(crate) size: Option<(u32, u32)>,
}

/// Parses an HEVCDecoderConfigurationRecord: profile and level from the
/// record (falling back to the SPS where the record leaves them zero), and
/// the picture size from the first SPS in its arrays.
pub(crate) fn parse_record(rec: &[u8]) -> Option<VideoInfo> {
    if rec.len() < RECORD_HEADER || rec[0] > 1 {
        return None;
    }
    let mut profile_idc = rec[1] & 0x1f;
    let mut level_idc = rec[12];
    let sps = find_sps(rec).and_then(parse_sps);
    if let Some(s) = &sps {
        if profile_idc == 0 {
            profile_idc = s.profile_idc;
        }
        if level_idc == 0 {
            level_idc = s.level_idc;
        }
    }
    let size = sps.and_then(|s| s.size);
    Some(VideoInfo {
        codec: "hevc",
        profile: profile_name(profile_idc),
        level: level_name(level_idc),
        width: size.map(|s| s.0),
        height: size.map(|s| s.1),
    })
}

/// The first SPS NAL unit in the record's arrays. The walk stops at the
/// first length that runs past the end, so it is bounded by the input size.
fn find_sps(rec: &[u8]) -> Option<&[u8]> {
    let arrays = *rec.get(RECORD_HEADER - 1)?;
    let mut at = RECORD_HEADER;
    for _ in 0..arrays {
        let nal_type = rec.get(at)? & 0x3f;
        let count = be16(rec, at.checked_add(1)?)?;
        at = at.checked_add(3)?;
        for _ in 0..count {
            let len = usize::from(be16(rec, at)?);
            let start = at.checked_add(2)?;
            let end = start.checked_add(len)?;
            let nal = rec.get(start..end)?;
            if nal_type == NAL_SPS {
                return Some(nal);
            }
            at = end;
        }
    }
    None
}

/// Parses an SPS NAL unit (two-byte header included).
pub(crate) fn parse_sps(nal: &[u8]) -> Option<Sps> {
    let header = *nal.first()?;
    if (header >> 1) & 0x3f != NAL_SPS {
        return None;
    }
    let rbsp = unescape_rbsp(nal.get(2..)?);
    let mut r = BitReader::new(&rbsp);
    let _vps_id = r.bits(4)?;
    let max_sub_layers_minus1 = r.bits(3)?;
    let _temporal_id_nesting = r.flag()?;
    // profile_tier_level(1, max_sub_layers_minus1): the general part.
    let _profile_space = r.bits(2)?;
    let _tier = r.flag()?;
    let profile_idc = u8::try_from(r.bits(5)?).ok()?;
    // 32 compatibility flags, 4 source flags, 43 + 1 constraint/reserved bits.
    r.skip(32 + 4 + 43 + 1)?;
    let level_idc = r.byte()?;
    let size = read_size(&mut r, max_sub_layers_minus1);
    Some(Sps {
        profile_idc,
        level_idc,
        size,
    })
}

/// Reads from the sub-layer part of profile_tier_level through the
/// conformance window and returns the displayed width and height.
fn read_size(r: &mut BitReader<'_>, max_sub_layers_minus1: u32) -> Option<(u32, u32)> {
    let mut profile_present = [false; 8];
    let mut level_present = [false; 8];
    for i in 0..max_sub_layers_minus1 as usize {
        *profile_present.get_mut(i)? = r.flag()?;
        *level_present.get_mut(i)? = r.flag()?;
    }
    if max_sub_layers_minus1 > 0 {
        for _ in max_sub_layers_minus1..8 {
            r.skip(2)?; // reserved_zero_2bits
        }
    }
    for i in 0..max_sub_layers_minus1 as usize {
        if *profile_present.get(i)? {
            r.skip(2 + 1 + 5 + 32 + 4 + 43 + 1)?;
        }
        if *level_present.get(i)? {
            r.skip(8)?;
        }
    }
    let _sps_id = r.ue()?;
    let chroma_format_idc = r.ue()?;
    if chroma_format_idc > 3 {
        return None;
    }
    let mut separate_colour_plane = false;
    if chroma_format_idc == 3 {
        separate_colour_plane = r.flag()?;
    }
    let coded_w = u64::from(r.ue()?);
    let coded_h = u64::from(r.ue()?);
    let (mut left, mut right, mut top, mut bottom) = (0u64, 0u64, 0u64, 0u64);
    if r.flag()? {
        left = r.ue()?.into();
        right = r.ue()?.into();
        top = r.ue()?.into();
        bottom = r.ue()?.into();
    }
    let chroma_array_type = if separate_colour_plane {
        0
    } else {
        chroma_format_idc
    };
    let (sub_w, sub_h) = match chroma_array_type {
        1 => (2, 2),
        2 => (2, 1),
        _ => (1, 1),
    };
    let width = coded_w.checked_sub(left.checked_add(right)?.checked_mul(sub_w)?)?;
    let height = coded_h.checked_sub(top.checked_add(bottom)?.checked_mul(sub_h)?)?;
    if width == 0 || height == 0 {
        return None;
    }
    Some((u32::try_from(width).ok()?, u32::try_from(height).ok()?))
}

/// The profile's name; unknown profiles are given by number, profile 0 (not
/// signalled) by `None`.
pub(crate) fn profile_name(profile_idc: u8) -> Option<String> {
    let name = match profile_idc {
        0 => return None,
        1 => "Main",
        2 => "Main 10",
        3 => "Main Still Picture",
        4 => "Range Extensions",
        5 => "High Throughput",
        6 => "Multiview Main",
        7 => "Scalable Main",
        8 => "3D Main",
        9 => "Screen Content Coding",
        10 => "Scalable Range Extensions",
        11 => "High Throughput Screen Content Coding",
        other => return Some(other.to_string()),
    };
    Some(name.to_string())
}

/// The level from `general_level_idc` (30 times the level): "4" for 120,
/// "4.1" for 123; `None` for 0.
pub(crate) fn level_name(level_idc: u8) -> Option<String> {
    if level_idc == 0 {
        return None;
    }
    let major = level_idc / 30;
    let minor = (level_idc % 30) / 3;
    Some(if minor == 0 {
        major.to_string()
    } else {
        format!("{major}.{minor}")
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::test_bits::BitWriter;
    use super::*;

    /// Writes an SPS NAL unit (with emulation prevention) up to and
    /// including the conformance window.
    pub(crate) fn sps_nal(
        profile_idc: u8,
        level_idc: u8,
        sub_layers_minus1: u32,
        chroma: u32,
        size: (u32, u32),
        window: Option<[u32; 4]>,
    ) -> Vec<u8> {
        let mut w = BitWriter::default();
        w.bits(4, 0);
        w.bits(3, sub_layers_minus1);
        w.bit(true);
        w.bits(2, 0);
        w.bit(false);
        w.bits(5, profile_idc.into());
        w.bits(32, 0x6000_0000);
        w.bits(4, 0b1001);
        w.bits(32, 0);
        w.bits(12, 0);
        w.bits(8, level_idc.into());
        for i in 0..sub_layers_minus1 {
            w.bit(i % 2 == 0); // profile present for even sub-layers
            w.bit(true); // level present
        }
        if sub_layers_minus1 > 0 {
            for _ in sub_layers_minus1..8 {
                w.bits(2, 0);
            }
        }
        for i in 0..sub_layers_minus1 {
            if i % 2 == 0 {
                w.bits(8, 0x01);
                w.bits(32, 0xffff_ffff);
                w.bits(32, 0);
                w.bits(16, 0xffff);
            }
            w.bits(8, 90);
        }
        w.ue(0); // sps id
        w.ue(chroma);
        if chroma == 3 {
            w.bit(false);
        }
        w.ue(size.0);
        w.ue(size.1);
        match window {
            Some(c) => {
                w.bit(true);
                for v in c {
                    w.ue(v);
                }
            }
            None => w.bit(false),
        }
        w.ue(0); // bit_depth_luma_minus8, and more the parser never reads
        let mut nal = vec![0x42, 0x01];
        nal.extend(w.finish_escaped());
        nal
    }

    /// Wraps NAL units into a record: VPS-like filler array, then the SPS.
    pub(crate) fn record(profile_idc: u8, level_idc: u8, sps: &[u8]) -> Vec<u8> {
        let mut rec = vec![
            1,
            profile_idc,
            0x60,
            0,
            0,
            0,
            0x90,
            0,
            0,
            0,
            0,
            0,
            level_idc,
        ];
        rec.extend_from_slice(&[0xf0, 0x00, 0xfc, 0xfd, 0xf8, 0xf8, 0, 0, 0x0f]);
        rec.push(2); // arrays
        rec.extend_from_slice(&[0x20, 0, 1, 0, 3, 0x40, 0x01, 0x0c]); // a 3-byte "VPS"
        rec.push(0x21);
        rec.extend_from_slice(&1u16.to_be_bytes());
        rec.extend_from_slice(&(sps.len() as u16).to_be_bytes());
        rec.extend_from_slice(sps);
        rec
    }

    #[test]
    fn main_profile_with_conformance_window() {
        // 1920x1088 coded, 4:2:0: bottom offset 4 chroma rows = 8 luma rows.
        let sps = sps_nal(1, 120, 0, 1, (1920, 1088), Some([0, 0, 0, 4]));
        let parsed = parse_sps(&sps).unwrap();
        assert_eq!(parsed.size, Some((1920, 1080)));
        let info = parse_record(&record(1, 120, &sps)).unwrap();
        assert_eq!(info.codec, "hevc");
        assert_eq!(info.profile.as_deref(), Some("Main"));
        assert_eq!(info.level.as_deref(), Some("4"));
        assert_eq!((info.width, info.height), (Some(1920), Some(1080)));
    }

    #[test]
    fn sub_layers_are_skipped() {
        let sps = sps_nal(2, 123, 3, 1, (1280, 720), None);
        assert_eq!(parse_sps(&sps).unwrap().size, Some((1280, 720)));
        let sps = sps_nal(2, 123, 6, 2, (640, 480), Some([1, 1, 2, 2]));
        assert_eq!(parse_sps(&sps).unwrap().size, Some((636, 476)));
        let sps = sps_nal(4, 93, 1, 3, (640, 480), Some([1, 1, 2, 2]));
        assert_eq!(parse_sps(&sps).unwrap().size, Some((638, 476)));
        let sps = sps_nal(4, 93, 7, 0, (640, 480), Some([1, 1, 2, 2]));
        assert_eq!(parse_sps(&sps).unwrap().size, Some((638, 476)));
    }

    #[test]
    fn record_values_win_and_sps_fills_gaps() {
        let sps = sps_nal(2, 150, 0, 1, (3840, 2160), None);
        let info = parse_record(&record(0, 0, &sps)).unwrap();
        assert_eq!(info.profile.as_deref(), Some("Main 10"));
        assert_eq!(info.level.as_deref(), Some("5"));
        let info = parse_record(&record(1, 93, &sps)).unwrap();
        assert_eq!(info.profile.as_deref(), Some("Main"));
        assert_eq!(info.level.as_deref(), Some("3.1"));
        // Unreadable SPS: the record alone.
        let info = parse_record(&record(3, 60, &[0x42, 0x01, 0x01])).unwrap();
        assert_eq!(info.profile.as_deref(), Some("Main Still Picture"));
        assert_eq!(info.level.as_deref(), Some("2"));
        assert_eq!(info.width, None);
        // Too short or wrong version.
        assert_eq!(parse_record(&[1; 22]), None);
        let mut bad = record(1, 93, &sps);
        bad[0] = 2;
        assert_eq!(parse_record(&bad), None);
    }

    #[test]
    fn window_larger_than_picture_gives_no_size() {
        let sps = sps_nal(1, 90, 0, 1, (64, 64), Some([40, 0, 0, 0]));
        assert_eq!(parse_sps(&sps).unwrap().size, None);
        let sps = sps_nal(1, 90, 0, 1, (0, 64), None);
        assert_eq!(parse_sps(&sps).unwrap().size, None);
    }

    #[test]
    fn names() {
        assert_eq!(level_name(93).as_deref(), Some("3.1"));
        assert_eq!(level_name(120).as_deref(), Some("4"));
        assert_eq!(level_name(123).as_deref(), Some("4.1"));
        assert_eq!(level_name(186).as_deref(), Some("6.2"));
        assert_eq!(level_name(0), None);
        assert_eq!(profile_name(4).as_deref(), Some("Range Extensions"));
        assert_eq!(profile_name(31).as_deref(), Some("31"));
        assert_eq!(profile_name(0), None);
    }
}
