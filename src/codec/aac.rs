//! AAC: the MPEG-4 AudioSpecificConfig, for profile (from the audio object
//! type), sample rate and channel count, including SBR/PS (HE-AAC, HE-AACv2).

use super::bits::BitReader;
use super::AudioInfo;

/// Audio object type of SBR (HE-AAC).
const AOT_SBR: u32 = 5;
/// Audio object type of PS (HE-AACv2).
const AOT_PS: u32 = 29;
/// Audio object type of ER BSAC, which carries an extension channel count.
const AOT_ER_BSAC: u32 = 22;
/// Sync word of the backward-compatible SBR extension.
const SYNC_SBR: u32 = 0x2b7;
/// Sync word of the backward-compatible PS extension.
const SYNC_PS: u32 = 0x548;

/// Sample rates by `samplingFrequencyIndex`.
const RATES: [u32; 13] = [
    96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
];

/// Parses an AudioSpecificConfig. SBR or PS signalled explicitly (object type
/// 5 or 29 first) or through the backward-compatible extension gives
/// "HE-AAC" / "HE-AACv2" with the SBR output sample rate; PS on a mono
/// configuration is reported as the two channels it decodes to.
pub(crate) fn parse_asc(asc: &[u8]) -> Option<AudioInfo> {
    let mut r = BitReader::new(asc);
    let mut aot = object_type(&mut r)?;
    if aot == 0 {
        return None;
    }
    let mut rate = sample_rate(&mut r)?;
    let mut channel_config = r.bits(4)?;
    let mut sbr = false;
    let mut ps = false;
    if aot == AOT_SBR || aot == AOT_PS {
        sbr = true;
        ps = aot == AOT_PS;
        // The extension rate is the output rate; the core runs at half.
        rate = sample_rate(&mut r)?;
        aot = object_type(&mut r)?;
        if aot == AOT_ER_BSAC {
            channel_config = r.bits(4)?;
        }
    } else if (1..=4).contains(&aot) && channel_config != 0 {
        // GASpecificConfig of Main/LC/SSR/LTP, then look for the
        // backward-compatible SBR/PS extension.
        if let Some((ext_rate, has_ps)) = sync_extension(&mut r) {
            sbr = true;
            ps = has_ps;
            if ext_rate.is_some() {
                rate = ext_rate;
            }
        }
    }
    let profile = if ps {
        "HE-AACv2".to_string()
    } else if sbr {
        "HE-AAC".to_string()
    } else {
        object_type_name(aot)
    };
    let mut channels = channel_count(channel_config);
    if ps && channels == Some(1) {
        channels = Some(2);
    }
    Some(AudioInfo {
        codec: "aac",
        profile: Some(profile),
        sample_rate: rate,
        channels,
    })
}

/// Reads `audioObjectType`, with the escape for types above 30.
fn object_type(r: &mut BitReader<'_>) -> Option<u32> {
    let aot = r.bits(5)?;
    if aot == 31 {
        Some(32 + r.bits(6)?)
    } else {
        Some(aot)
    }
}

/// Reads `samplingFrequencyIndex` (and the explicit 24-bit rate for index
/// 15); the outer `None` means the bits ran out, the inner one a reserved index.
fn sample_rate(r: &mut BitReader<'_>) -> Option<Option<u32>> {
    let index = r.bits(4)?;
    if index == 15 {
        let rate = r.bits(24)?;
        return Some((rate != 0).then_some(rate));
    }
    Some(RATES.get(index as usize).copied())
}

/// Skips a GASpecificConfig (Main/LC/SSR/LTP, no program config element)
/// and reads the backward-compatible SBR/PS extension after it, if any:
/// `Some((extension rate, ps present))` when SBR is signalled present.
fn sync_extension(r: &mut BitReader<'_>) -> Option<(Option<u32>, bool)> {
    let _frame_length_flag = r.flag()?;
    if r.flag()? {
        let _core_coder_delay = r.bits(14)?;
    }
    if r.flag()? {
        let _extension_flag3 = r.flag()?;
    }
    if r.remaining_bits() < 16 || r.bits(11)? != SYNC_SBR {
        return None;
    }
    if object_type(r)? != AOT_SBR || !r.flag()? {
        return None;
    }
    let rate = sample_rate(r)?;
    let ps = r.remaining_bits() >= 12 && r.bits(11)? == SYNC_PS && r.flag()?;
    Some((rate, ps))
}

/// Channels by `channelConfiguration`; 0 (program config element) and
/// reserved values give `None`.
fn channel_count(config: u32) -> Option<u32> {
    match config {
        1..=6 => Some(config),
        7 | 12 | 14 => Some(8),
        11 => Some(7),
        13 => Some(24),
        _ => None,
    }
}

/// A name for an audio object type that is not SBR/PS.
fn object_type_name(aot: u32) -> String {
    let name = match aot {
        1 => "Main",
        2 => "LC",
        3 => "SSR",
        4 => "LTP",
        6 => "Scalable",
        7 => "TwinVQ",
        17 => "ER LC",
        19 => "ER LTP",
        20 => "ER Scalable",
        22 => "ER BSAC",
        23 => "LD",
        39 => "ELD",
        42 => "USAC",
        other => return format!("AOT {other}"),
    };
    name.to_string()
}

#[cfg(test)]
mod tests {
    use super::super::test_bits::BitWriter;
    use super::*;

    fn asc(fields: &[(u32, u32)]) -> Vec<u8> {
        let mut w = BitWriter::default();
        for &(n, v) in fields {
            w.bits(n, v);
        }
        w.finish()
    }

    fn check(bytes: &[u8], profile: &str, rate: Option<u32>, channels: Option<u32>) {
        let info = parse_asc(bytes).unwrap();
        assert_eq!(info.codec, "aac");
        assert_eq!(info.profile.as_deref(), Some(profile), "{bytes:02x?}");
        assert_eq!(info.sample_rate, rate, "{bytes:02x?}");
        assert_eq!(info.channels, channels, "{bytes:02x?}");
    }

    #[test]
    fn plain_object_types() {
        check(&[0x12, 0x10], "LC", Some(44100), Some(2));
        check(&[0x11, 0x90], "LC", Some(48000), Some(2));
        check(&[0x13, 0x88], "LC", Some(22050), Some(1));
        check(
            &asc(&[(5, 1), (4, 5), (4, 2)]),
            "Main",
            Some(32000),
            Some(2),
        );
        check(&asc(&[(5, 4), (4, 8), (4, 1)]), "LTP", Some(16000), Some(1));
        check(&asc(&[(5, 2), (4, 3), (4, 6)]), "LC", Some(48000), Some(6));
        check(&asc(&[(5, 2), (4, 3), (4, 7)]), "LC", Some(48000), Some(8));
        check(&asc(&[(5, 2), (4, 3), (4, 0)]), "LC", Some(48000), None);
        check(&asc(&[(5, 23), (4, 3), (4, 1)]), "LD", Some(48000), Some(1));
        // Escaped object type 39 (ELD) and an explicit 24-bit rate.
        check(
            &asc(&[(5, 31), (6, 7), (4, 15), (24, 50_000), (4, 2)]),
            "ELD",
            Some(50_000),
            Some(2),
        );
        check(
            &asc(&[(5, 31), (6, 10), (4, 4), (4, 1)]),
            "USAC",
            Some(44100),
            Some(1),
        );
        check(&asc(&[(5, 2), (4, 13), (4, 1)]), "LC", None, Some(1));
        check(
            &asc(&[(5, 8), (4, 4), (4, 1)]),
            "AOT 8",
            Some(44100),
            Some(1),
        );
    }

    #[test]
    fn explicit_sbr_and_ps() {
        // HE-AAC: SBR, core 24 kHz, extension 48 kHz, stereo, then LC.
        let he = asc(&[(5, 5), (4, 6), (4, 2), (4, 3), (5, 2)]);
        check(&he, "HE-AAC", Some(48000), Some(2));
        // HE-AACv2: PS on mono core at 22.05 kHz, output 44.1 kHz stereo.
        let v2 = asc(&[(5, 29), (4, 7), (4, 1), (4, 4), (5, 2)]);
        check(&v2, "HE-AACv2", Some(44100), Some(2));
        // Extension rate given explicitly.
        let odd = asc(&[(5, 5), (4, 11), (4, 1), (4, 15), (24, 16_000), (5, 2)]);
        check(&odd, "HE-AAC", Some(16_000), Some(1));
        // Truncated before the inner object type.
        assert_eq!(parse_asc(&asc(&[(5, 5), (4, 6), (4, 2)])[..2]), None);
    }

    #[test]
    fn backward_compatible_sbr_and_ps() {
        // LC 24 kHz stereo, GASpecificConfig (3 zero bits), sync 0x2b7, SBR
        // present with extension index 3 (48 kHz).
        let sbr = asc(&[
            (5, 2),
            (4, 6),
            (4, 2),
            (3, 0),
            (11, 0x2b7),
            (5, 5),
            (1, 1),
            (4, 3),
        ]);
        check(&sbr, "HE-AAC", Some(48000), Some(2));
        // ... and PS after it: mono becomes stereo.
        let ps = asc(&[
            (5, 2),
            (4, 7),
            (4, 1),
            (3, 0),
            (11, 0x2b7),
            (5, 5),
            (1, 1),
            (4, 4),
            (11, 0x548),
            (1, 1),
        ]);
        check(&ps, "HE-AACv2", Some(44100), Some(2));
        // SBR signalled absent: plain LC.
        let none = asc(&[
            (5, 2),
            (4, 6),
            (4, 2),
            (3, 0),
            (11, 0x2b7),
            (5, 5),
            (1, 0),
            (4, 0),
        ]);
        check(&none, "LC", Some(24000), Some(2));
        // Wrong sync word: plain LC.
        let other = asc(&[
            (5, 2),
            (4, 6),
            (4, 2),
            (3, 0),
            (11, 0x123),
            (5, 5),
            (1, 1),
            (4, 3),
        ]);
        check(&other, "LC", Some(24000), Some(2));
    }

    #[test]
    fn rejects_empty_and_null_object_type() {
        assert_eq!(parse_asc(&[]), None);
        assert_eq!(parse_asc(&[0x12]), None);
        assert_eq!(parse_asc(&[0x00, 0x10]), None);
    }
}
