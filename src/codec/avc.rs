//! H.264/AVC: the AVCDecoderConfigurationRecord (`avcC`) and the sequence
//! parameter set inside it, for profile, level and the cropped picture size.

use super::bits::{be16, unescape_rbsp, BitReader};
use super::VideoInfo;

/// Most `offset_for_ref_frame` entries read from a picture-order-count cycle
/// (the standard allows 255).
const MAX_POC_CYCLE: u32 = 255;

/// What the first sequence parameter set says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Sps {
    pub(crate) profile_idc: u8,
    pub(crate) constraint_flags: u8,
    pub(crate) level_idc: u8,
    /// Cropped size, when the whole size syntax could be read and is sane.
    pub(crate) size: Option<(u32, u32)>,
}

/// Parses an AVCDecoderConfigurationRecord: profile and level from its first
/// SPS (or from the record's own copy when the SPS is unreadable), and the
/// picture size from that SPS.
pub(crate) fn parse_record(rec: &[u8]) -> Option<VideoInfo> {
    if rec.len() < 4 || rec[0] != 1 {
        return None;
    }
    let (rec_profile, rec_compat, rec_level) = (rec[1], rec[2], rec[3]);
    let sps = first_sps(rec).and_then(parse_sps);
    let (profile, compat, level) = match &sps {
        Some(s) => (s.profile_idc, s.constraint_flags, s.level_idc),
        None => (rec_profile, rec_compat, rec_level),
    };
    let size = sps.and_then(|s| s.size);
    Some(VideoInfo {
        codec: "h264",
        profile: Some(profile_name(profile, compat)),
        level: level_name(profile, compat, level),
        width: size.map(|s| s.0),
        height: size.map(|s| s.1),
    })
}

/// The first SPS NAL unit listed in the record, if it is all there.
fn first_sps(rec: &[u8]) -> Option<&[u8]> {
    let count = rec.get(5)? & 0x1f;
    if count == 0 {
        return None;
    }
    let len = usize::from(be16(rec, 6)?);
    rec.get(8..8usize.checked_add(len)?)
}

/// Parses an SPS NAL unit (header byte included).
pub(crate) fn parse_sps(nal: &[u8]) -> Option<Sps> {
    let header = *nal.first()?;
    if header & 0x1f != 7 {
        return None;
    }
    let rbsp = unescape_rbsp(nal.get(1..)?);
    let mut r = BitReader::new(&rbsp);
    let profile_idc = r.byte()?;
    let constraint_flags = r.byte()?;
    let level_idc = r.byte()?;
    let size = read_size(&mut r, profile_idc);
    Some(Sps {
        profile_idc,
        constraint_flags,
        level_idc,
        size,
    })
}

/// Reads the SPS from `seq_parameter_set_id` through the cropping window and
/// returns the displayed width and height.
fn read_size(r: &mut BitReader<'_>, profile_idc: u8) -> Option<(u32, u32)> {
    let _sps_id = r.ue()?;
    let mut chroma_format_idc = 1;
    let mut separate_colour_plane = false;
    if has_chroma_info(profile_idc) {
        chroma_format_idc = r.ue()?;
        if chroma_format_idc > 3 {
            return None;
        }
        if chroma_format_idc == 3 {
            separate_colour_plane = r.flag()?;
        }
        let _bit_depth_luma_minus8 = r.ue()?;
        let _bit_depth_chroma_minus8 = r.ue()?;
        let _qpprime_y_zero_transform_bypass = r.flag()?;
        if r.flag()? {
            // seq_scaling_matrix_present_flag
            let lists = if chroma_format_idc == 3 { 12 } else { 8 };
            for i in 0..lists {
                if r.flag()? {
                    skip_scaling_list(r, if i < 6 { 16 } else { 64 })?;
                }
            }
        }
    }
    let _log2_max_frame_num_minus4 = r.ue()?;
    match r.ue()? {
        0 => {
            let _log2_max_poc_lsb_minus4 = r.ue()?;
        }
        1 => {
            let _delta_pic_order_always_zero = r.flag()?;
            let _offset_for_non_ref_pic = r.se()?;
            let _offset_for_top_to_bottom_field = r.se()?;
            let cycle = r.ue()?;
            if cycle > MAX_POC_CYCLE {
                return None;
            }
            for _ in 0..cycle {
                let _offset_for_ref_frame = r.se()?;
            }
        }
        2 => {}
        _ => return None,
    }
    let _max_num_ref_frames = r.ue()?;
    let _gaps_in_frame_num_allowed = r.flag()?;
    let width_mbs = u64::from(r.ue()?) + 1;
    let height_map_units = u64::from(r.ue()?) + 1;
    let frame_mbs_only = r.flag()?;
    if !frame_mbs_only {
        let _mb_adaptive_frame_field = r.flag()?;
    }
    let _direct_8x8_inference = r.flag()?;
    let (mut left, mut right, mut top, mut bottom) = (0u64, 0u64, 0u64, 0u64);
    if r.flag()? {
        left = r.ue()?.into();
        right = r.ue()?.into();
        top = r.ue()?.into();
        bottom = r.ue()?.into();
    }

    let field_factor: u64 = if frame_mbs_only { 1 } else { 2 };
    // ChromaArrayType is 0 for monochrome and for separately coded planes.
    let chroma_array_type = if separate_colour_plane {
        0
    } else {
        chroma_format_idc
    };
    let (crop_x, crop_y) = match chroma_array_type {
        0 => (1, field_factor),
        1 => (2, 2 * field_factor),
        2 => (2, field_factor),
        _ => (1, field_factor),
    };
    let coded_w = width_mbs.checked_mul(16)?;
    let coded_h = height_map_units
        .checked_mul(16)?
        .checked_mul(field_factor)?;
    let width = coded_w.checked_sub(left.checked_add(right)?.checked_mul(crop_x)?)?;
    let height = coded_h.checked_sub(top.checked_add(bottom)?.checked_mul(crop_y)?)?;
    if width == 0 || height == 0 {
        return None;
    }
    Some((u32::try_from(width).ok()?, u32::try_from(height).ok()?))
}

/// Whether an SPS of this profile carries chroma format, bit depths and
/// scaling matrices.
fn has_chroma_info(profile_idc: u8) -> bool {
    matches!(
        profile_idc,
        100 | 110 | 122 | 244 | 44 | 83 | 86 | 118 | 128 | 138 | 139 | 134 | 135
    )
}

/// Skips one `scaling_list()` of `size` coefficients.
fn skip_scaling_list(r: &mut BitReader<'_>, size: usize) -> Option<()> {
    let mut last: i64 = 8;
    let mut next: i64 = 8;
    for _ in 0..size {
        if next != 0 {
            let delta = r.se()?;
            next = (last + delta + 256).rem_euclid(256);
        }
        if next != 0 {
            last = next;
        }
    }
    Some(())
}

/// The profile's name as encoders and players show it; unknown profiles are
/// given by number.
pub(crate) fn profile_name(profile_idc: u8, constraint_flags: u8) -> String {
    let set1 = constraint_flags & 0x40 != 0;
    let set3 = constraint_flags & 0x10 != 0;
    let name = match profile_idc {
        66 if set1 => "Constrained Baseline",
        66 => "Baseline",
        77 => "Main",
        88 => "Extended",
        100 => "High",
        110 if set3 => "High 10 Intra",
        110 => "High 10",
        122 if set3 => "High 4:2:2 Intra",
        122 => "High 4:2:2",
        244 if set3 => "High 4:4:4 Intra",
        244 => "High 4:4:4 Predictive",
        44 => "CAVLC 4:4:4 Intra",
        83 => "Scalable Baseline",
        86 => "Scalable High",
        118 => "Multiview High",
        128 => "Stereo High",
        134 => "MFC High",
        135 => "MFC Depth High",
        138 => "Multiview Depth High",
        139 => "Enhanced Multiview Depth High",
        other => return other.to_string(),
    };
    name.to_string()
}

/// The level as "x.y" (`level_idc` / 10), with level 1b spelled "1b";
/// `None` for level 0.
pub(crate) fn level_name(profile_idc: u8, constraint_flags: u8, level_idc: u8) -> Option<String> {
    let set3 = constraint_flags & 0x10 != 0;
    if level_idc == 9 || (level_idc == 11 && set3 && matches!(profile_idc, 66 | 77 | 88)) {
        return Some("1b".to_string());
    }
    if level_idc == 0 {
        return None;
    }
    Some(format!("{}.{}", level_idc / 10, level_idc % 10))
}

#[cfg(test)]
mod tests {
    use super::super::test_bits::BitWriter;
    use super::*;

    /// Writes an SPS for `profile_idc` with the given size fields, wrapped as
    /// a NAL unit, without emulation prevention (the tests keep clear of it).
    #[allow(clippy::too_many_arguments)]
    fn sps_nal(
        profile_idc: u8,
        flags: u8,
        level: u8,
        chroma: Option<u32>,
        w_mbs: u32,
        h_units: u32,
        frame_mbs_only: bool,
        crop: Option<[u32; 4]>,
        poc_type: u32,
    ) -> Vec<u8> {
        let mut w = BitWriter::default();
        w.bits(8, profile_idc.into());
        w.bits(8, flags.into());
        w.bits(8, level.into());
        w.ue(0); // sps id
        if let Some(c) = chroma {
            w.ue(c);
            if c == 3 {
                w.bit(false);
            }
            w.ue(0);
            w.ue(0);
            w.bit(false);
            w.bit(true); // scaling matrix present
            let lists = if c == 3 { 12 } else { 8 };
            for i in 0..lists {
                // Lists 0 and 6 carry explicit deltas; list 1 ends early.
                match i {
                    0 => {
                        w.bit(true);
                        for _ in 0..16 {
                            w.se(1);
                        }
                    }
                    1 => {
                        w.bit(true);
                        w.se(-8); // next = 0: the rest of the list is implied
                    }
                    6 => {
                        w.bit(true);
                        for k in 0..64 {
                            w.se(if k % 2 == 0 { 3 } else { -3 });
                        }
                    }
                    _ => w.bit(false),
                }
            }
        }
        w.ue(0); // log2_max_frame_num_minus4
        w.ue(poc_type);
        if poc_type == 0 {
            w.ue(2);
        } else if poc_type == 1 {
            w.bit(false);
            w.se(-1);
            w.se(2);
            w.ue(3);
            w.se(1);
            w.se(-1);
            w.se(0);
        }
        w.ue(4); // max_num_ref_frames
        w.bit(false);
        w.ue(w_mbs - 1);
        w.ue(h_units - 1);
        w.bit(frame_mbs_only);
        if !frame_mbs_only {
            w.bit(true);
        }
        w.bit(true); // direct_8x8
        match crop {
            Some(c) => {
                w.bit(true);
                for v in c {
                    w.ue(v);
                }
            }
            None => w.bit(false),
        }
        w.bit(false); // vui_parameters_present_flag
        let mut nal = vec![0x67];
        nal.extend(w.finish_escaped());
        nal
    }

    #[test]
    fn baseline_without_cropping() {
        let nal = sps_nal(66, 0xc0, 30, None, 40, 30, true, None, 2);
        let sps = parse_sps(&nal).unwrap();
        assert_eq!(sps.size, Some((640, 480)));
        assert_eq!(profile_name(66, 0xc0), "Constrained Baseline");
        assert_eq!(profile_name(66, 0x80), "Baseline");
    }

    #[test]
    fn high_with_scaling_lists_and_cropping() {
        // 1920x1088 coded, 8 luma rows cropped at the bottom (4:2:0: unit 2).
        let nal = sps_nal(100, 0, 40, Some(1), 120, 68, true, Some([0, 0, 0, 4]), 0);
        let sps = parse_sps(&nal).unwrap();
        assert_eq!((sps.profile_idc, sps.level_idc), (100, 40));
        assert_eq!(sps.size, Some((1920, 1080)));
    }

    #[test]
    fn crop_units_follow_chroma_format_and_field_coding() {
        // 4:4:4, 12 scaling lists, interlaced: CropUnitX 1, CropUnitY 2.
        let nal = sps_nal(244, 0, 31, Some(3), 20, 8, false, Some([1, 3, 2, 2]), 1);
        assert_eq!(parse_sps(&nal).unwrap().size, Some((316, 248)));
        // 4:2:2 progressive: CropUnitX 2, CropUnitY 1.
        let nal = sps_nal(122, 0, 31, Some(2), 20, 15, true, Some([1, 1, 3, 3]), 0);
        assert_eq!(parse_sps(&nal).unwrap().size, Some((316, 234)));
        // Monochrome interlaced: CropUnitX 1, CropUnitY 2.
        let nal = sps_nal(100, 0, 31, Some(0), 20, 8, false, Some([2, 2, 1, 1]), 0);
        assert_eq!(parse_sps(&nal).unwrap().size, Some((316, 252)));
        // 4:2:0 interlaced: CropUnitY 4.
        let nal = sps_nal(77, 0, 31, None, 120, 34, false, Some([0, 0, 0, 2]), 0);
        assert_eq!(parse_sps(&nal).unwrap().size, Some((1920, 1080)));
    }

    #[test]
    fn rejects_crop_larger_than_picture_and_bad_fields() {
        let nal = sps_nal(66, 0, 30, None, 2, 2, true, Some([20, 0, 0, 0]), 0);
        assert_eq!(parse_sps(&nal).unwrap().size, None);
        // poc type 3 does not exist.
        let nal = sps_nal(66, 0, 30, None, 2, 2, true, None, 3);
        assert_eq!(parse_sps(&nal).unwrap().size, None);
        // Not an SPS NAL unit.
        let mut nal = sps_nal(66, 0, 30, None, 2, 2, true, None, 0);
        nal[0] = 0x68;
        assert_eq!(parse_sps(&nal), None);
    }

    #[test]
    fn record_falls_back_to_its_own_profile_and_level() {
        // No SPS listed: the record's bytes give profile and level.
        let rec = [1, 77, 0x40, 31, 0xff, 0xe0];
        let info = parse_record(&rec).unwrap();
        assert_eq!(info.profile.as_deref(), Some("Main"));
        assert_eq!(info.level.as_deref(), Some("3.1"));
        assert_eq!((info.width, info.height), (None, None));
        // SPS length running past the end.
        let rec = [1, 100, 0, 40, 0xff, 0xe1, 0x00, 0x20, 0x67, 100];
        let info = parse_record(&rec).unwrap();
        assert_eq!(info.profile.as_deref(), Some("High"));
        assert_eq!(info.level.as_deref(), Some("4.0"));
        assert_eq!(info.width, None);
        assert_eq!(parse_record(&[1, 77, 0]), None);
        assert_eq!(parse_record(&[0, 77, 0, 31]), None);
    }

    #[test]
    fn level_names() {
        assert_eq!(level_name(100, 0, 31).as_deref(), Some("3.1"));
        assert_eq!(level_name(100, 0, 30).as_deref(), Some("3.0"));
        assert_eq!(level_name(100, 0, 9).as_deref(), Some("1b"));
        assert_eq!(level_name(66, 0x10, 11).as_deref(), Some("1b"));
        assert_eq!(level_name(100, 0x10, 11).as_deref(), Some("1.1"));
        assert_eq!(level_name(66, 0, 11).as_deref(), Some("1.1"));
        assert_eq!(level_name(66, 0, 0), None);
        assert_eq!(level_name(66, 0, 255).as_deref(), Some("25.5"));
    }

    #[test]
    fn profile_names() {
        assert_eq!(profile_name(110, 0), "High 10");
        assert_eq!(profile_name(110, 0x10), "High 10 Intra");
        assert_eq!(profile_name(122, 0), "High 4:2:2");
        assert_eq!(profile_name(244, 0), "High 4:4:4 Predictive");
        assert_eq!(profile_name(88, 0), "Extended");
        assert_eq!(profile_name(7, 0), "7");
    }
}
