//! VP8/VP9: the VPCodecConfigurationRecord (`vpcC`) for profile and level.
//! The record carries no picture size.

use super::VideoInfo;

/// Parses a VPCodecConfigurationRecord for `codec` ("vp9" or "vp8"). Accepts
/// the bare record (profile first, as FFmpeg's FLV muxer writes it) and the
/// MP4 box payload that starts with FullBox version 1 and zero flags.
pub(crate) fn parse_record(rec: &[u8], codec: &'static str) -> Option<VideoInfo> {
    // A bare record never starts 01 00 00 00: that would be profile 1,
    // level 0 and bit depth 0.
    let rec = match rec {
        [1, 0, 0, 0, rest @ ..] => rest,
        _ => rec,
    };
    let profile = *rec.first()?;
    let level = *rec.get(1)?;
    Some(VideoInfo {
        codec,
        profile: Some(format!("Profile {profile}")),
        level: (level != 0).then(|| format!("{}.{}", level / 10, level % 10)),
        width: None,
        height: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_and_full_box_forms() {
        let bare = [2, 41, 0xa2, 1, 1, 1, 0, 0];
        let info = parse_record(&bare, "vp9").unwrap();
        assert_eq!(info.profile.as_deref(), Some("Profile 2"));
        assert_eq!(info.level.as_deref(), Some("4.1"));
        let mut boxed = vec![1, 0, 0, 0];
        boxed.extend_from_slice(&bare);
        assert_eq!(parse_record(&boxed, "vp9"), Some(info));
        let info = parse_record(&[0, 0], "vp8").unwrap();
        assert_eq!(info.codec, "vp8");
        assert_eq!(info.profile.as_deref(), Some("Profile 0"));
        assert_eq!(info.level, None);
        assert_eq!(parse_record(&[1], "vp9"), None);
        assert_eq!(parse_record(&[1, 0, 0, 0], "vp9"), None);
    }
}
