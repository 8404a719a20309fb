//! AV1: the AV1CodecConfigurationRecord (`av1C`) for profile and level, and
//! the sequence header OBU among its `configOBUs` for the maximum frame size.

use super::bits::BitReader;
use super::VideoInfo;

/// OBU type of a sequence header.
const OBU_SEQUENCE_HEADER: u32 = 1;
/// Most OBUs looked at in `configOBUs`.
const MAX_OBUS: usize = 16;
/// `seq_level_idx` meaning "no level constraints".
const LEVEL_MAX_PARAMETERS: u8 = 31;

/// Parses an AV1CodecConfigurationRecord: `seq_profile` and
/// `seq_level_idx_0` from its fixed part, width and height (best effort) from
/// a sequence header OBU in `configOBUs`.
pub(crate) fn parse_record(rec: &[u8]) -> Option<VideoInfo> {
    let marker_version = *rec.first()?;
    // marker (1 bit, always 1) and version (7 bits, 1).
    if marker_version != 0x81 {
        return None;
    }
    let b1 = *rec.get(1)?;
    let profile = b1 >> 5;
    let level_idx = b1 & 0x1f;
    let size = rec
        .get(4..)
        .and_then(find_sequence_header)
        .and_then(frame_size);
    Some(VideoInfo {
        codec: "av1",
        profile: Some(profile_name(profile)),
        level: level_name(level_idx),
        width: size.map(|s| s.0),
        height: size.map(|s| s.1),
    })
}

/// Finds the payload of the first sequence header OBU in a run of OBUs.
fn find_sequence_header(mut obus: &[u8]) -> Option<&[u8]> {
    for _ in 0..MAX_OBUS {
        let header = *obus.first()?;
        let obu_type = u32::from((header >> 3) & 0x0f);
        let has_extension = header & 0x04 != 0;
        let has_size = header & 0x02 != 0;
        let mut at = if has_extension { 2 } else { 1 };
        let size = if has_size {
            let (value, used) = leb128(obus.get(at..)?)?;
            at += used;
            usize::try_from(value).ok()?
        } else {
            obus.len().checked_sub(at)?
        };
        let end = at.checked_add(size)?;
        let payload = obus.get(at..end)?;
        if obu_type == OBU_SEQUENCE_HEADER {
            return Some(payload);
        }
        obus = obus.get(end..)?;
    }
    None
}

/// Reads an unsigned LEB128 number (at most 8 bytes, as AV1 allows) and the
/// bytes it took.
fn leb128(data: &[u8]) -> Option<(u64, usize)> {
    let mut value: u64 = 0;
    for i in 0..8 {
        let byte = *data.get(i)?;
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

/// Reads a sequence header OBU payload through `max_frame_height_minus_1`
/// and returns the maximum frame width and height.
fn frame_size(payload: &[u8]) -> Option<(u32, u32)> {
    let mut r = BitReader::new(payload);
    let _seq_profile = r.bits(3)?;
    let _still_picture = r.flag()?;
    let reduced_still_picture_header = r.flag()?;
    if reduced_still_picture_header {
        let _seq_level_idx = r.bits(5)?;
    } else {
        let mut buffer_delay_length = 0;
        let timing_info_present = r.flag()?;
        let mut decoder_model_info_present = false;
        if timing_info_present {
            let _num_units_in_display_tick = r.bits(32)?;
            let _time_scale = r.bits(32)?;
            if r.flag()? {
                // equal_picture_interval
                let _num_ticks_per_picture_minus_1 = r.uvlc()?;
            }
            decoder_model_info_present = r.flag()?;
            if decoder_model_info_present {
                buffer_delay_length = r.bits(5)? + 1;
                let _num_units_in_decoding_tick = r.bits(32)?;
                let _buffer_removal_time_length_minus_1 = r.bits(5)?;
                let _frame_presentation_time_length_minus_1 = r.bits(5)?;
            }
        }
        let initial_display_delay_present = r.flag()?;
        let operating_points = r.bits(5)? + 1;
        for _ in 0..operating_points {
            let _operating_point_idc = r.bits(12)?;
            let seq_level_idx = r.bits(5)?;
            if seq_level_idx > 7 {
                let _seq_tier = r.flag()?;
            }
            if decoder_model_info_present && r.flag()? {
                // operating_parameters_info(): two delays and low_delay_mode_flag.
                r.skip(u64::from(buffer_delay_length) * 2 + 1)?;
            }
            if initial_display_delay_present && r.flag()? {
                let _initial_display_delay_minus_1 = r.bits(4)?;
            }
        }
    }
    let width_bits = r.bits(4)? + 1;
    let height_bits = r.bits(4)? + 1;
    let width = u64::from(r.bits(width_bits)?) + 1;
    let height = u64::from(r.bits(height_bits)?) + 1;
    Some((u32::try_from(width).ok()?, u32::try_from(height).ok()?))
}

/// The profile's name from `seq_profile`; reserved values by number.
fn profile_name(profile: u8) -> String {
    match profile {
        0 => "Main".to_string(),
        1 => "High".to_string(),
        2 => "Professional".to_string(),
        other => other.to_string(),
    }
}

/// The level from `seq_level_idx` as "X.Y" (X = 2 + idx / 4, Y = idx % 4);
/// `None` for 31, which sets no level.
fn level_name(idx: u8) -> Option<String> {
    if idx >= LEVEL_MAX_PARAMETERS {
        return None;
    }
    Some(format!("{}.{}", 2 + idx / 4, idx % 4))
}

#[cfg(test)]
mod tests {
    use super::super::test_bits::BitWriter;
    use super::*;

    /// A sequence header OBU (with size field) for the given size; with
    /// `full` it carries timing and decoder model info and two operating points.
    fn sequence_header_obu(width: u32, height: u32, full: bool) -> Vec<u8> {
        let mut w = BitWriter::default();
        w.bits(3, 0); // seq_profile
        w.bit(false);
        w.bit(false);
        if full {
            w.bit(true); // timing_info_present
            w.bits(32, 1);
            w.bits(32, 25);
            w.bit(true); // equal_picture_interval
            w.ue(0); // uvlc(0) has the same coding
            w.bit(true); // decoder_model_info_present
            w.bits(5, 9); // buffer_delay_length_minus_1 -> 10 bits
            w.bits(32, 1);
            w.bits(5, 0);
            w.bits(5, 0);
            w.bit(true); // initial_display_delay_present
            w.bits(5, 1); // two operating points
            for level in [9u32, 4] {
                w.bits(12, 0x101);
                w.bits(5, level);
                if level > 7 {
                    w.bit(true);
                }
                w.bit(true); // decoder_model_present_for_this_op
                w.bits(10, 100);
                w.bits(10, 200);
                w.bit(false);
                w.bit(true);
                w.bits(4, 3);
            }
        } else {
            w.bit(false);
            w.bit(false);
            w.bits(5, 0);
            w.bits(12, 0);
            w.bits(5, 8);
            w.bit(false);
        }
        w.bits(4, 15);
        w.bits(4, 15);
        w.bits(16, width - 1);
        w.bits(16, height - 1);
        let payload = w.finish_rbsp();
        let mut obu = vec![0x0a, payload.len() as u8];
        obu.extend(payload);
        obu
    }

    fn record(b1: u8, obus: &[u8]) -> Vec<u8> {
        let mut rec = vec![0x81, b1, 0x0c, 0x00];
        rec.extend_from_slice(obus);
        rec
    }

    #[test]
    fn profile_level_and_size() {
        let rec = record((1 << 5) | 13, &sequence_header_obu(3840, 2160, false));
        let info = parse_record(&rec).unwrap();
        assert_eq!(info.codec, "av1");
        assert_eq!(info.profile.as_deref(), Some("High"));
        assert_eq!(info.level.as_deref(), Some("5.1"));
        assert_eq!((info.width, info.height), (Some(3840), Some(2160)));
    }

    #[test]
    fn timing_and_decoder_model_are_skipped() {
        // A temporal delimiter OBU first, then the sequence header.
        let mut obus = vec![0x12, 0x00];
        obus.extend(sequence_header_obu(1279, 719, true));
        let info = parse_record(&record(8, &obus)).unwrap();
        assert_eq!(info.profile.as_deref(), Some("Main"));
        assert_eq!(info.level.as_deref(), Some("4.0"));
        assert_eq!((info.width, info.height), (Some(1279), Some(719)));
    }

    #[test]
    fn missing_or_broken_obus_leave_size_unknown() {
        let info = parse_record(&[0x81, 0x40 | 31, 0, 0]).unwrap();
        assert_eq!(info.profile.as_deref(), Some("Professional"));
        assert_eq!(info.level, None);
        assert_eq!(info.width, None);
        // OBU size running past the end.
        let info = parse_record(&[0x81, 0, 0, 0, 0x0a, 0x7f, 0]).unwrap();
        assert_eq!(info.width, None);
        // Unterminated LEB128.
        let info = parse_record(&[0x81, 0, 0, 0, 0x0a, 0xff, 0xff]).unwrap();
        assert_eq!(info.width, None);
        assert_eq!(parse_record(&[0x01, 0, 0, 0]), None);
        assert_eq!(parse_record(&[0x81]), None);
    }

    #[test]
    fn leb128_values() {
        assert_eq!(leb128(&[0x05]), Some((5, 1)));
        assert_eq!(leb128(&[0x80, 0x01]), Some((128, 2)));
        assert_eq!(leb128(&[0xff; 8]), None);
        assert_eq!(leb128(&[0xff, 0xff]), None);
    }
}
