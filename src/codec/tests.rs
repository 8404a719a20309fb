//! Tests of the FLV / Enhanced RTMP framing, of real sequence headers cut
//! from files that FFmpeg encoded (see `testdata/make_media.sh`), and of
//! robustness against arbitrary bytes.

use super::*;

/// A real tag body from `testdata/`, by name.
struct Case {
    name: &'static str,
    body: &'static [u8],
}

macro_rules! case {
    ($name:literal) => {
        Case {
            name: $name,
            body: include_bytes!(concat!("testdata/", $name, ".bin")),
        }
    };
}

/// Every real body, video and audio.
fn all_cases() -> Vec<Case> {
    vec![
        case!("avc_high_320x240"),
        case!("avc_main_1280x720"),
        case!("avc_baseline_330x250"),
        case!("avc_high10_1918x1078"),
        case!("avc_high422_interlaced_1920x1080"),
        case!("avc_high444_322x242"),
        case!("avc_high_cqm_1280x720"),
        case!("ertmp_avc1_320x240"),
        case!("hevc_main_1280x720_legacy"),
        case!("ertmp_hvc1_main_1280x720"),
        case!("ertmp_hvc1_main10_1918x1078"),
        case!("ertmp_av01_main_320x240"),
        case!("ertmp_av01_high_330x250"),
        case!("ertmp_vp09_p0_320x240"),
        case!("ertmp_vp09_p2_640x480"),
        case!("aac_lc_44100_stereo"),
        case!("aac_lc_22050_mono"),
        case!("aac_lc_48000_6ch"),
        case!("aac_main_32000_stereo"),
        case!("aac_ltp_16000_mono"),
        case!("mp3_44100_stereo"),
        case!("mp3_22050_mono"),
        case!("pcm_11025_mono"),
        case!("pcm_44100_stereo"),
        case!("alaw_8000_mono"),
        case!("mulaw_8000_mono"),
        case!("speex_16000_mono"),
        case!("nelly_8000_mono"),
        case!("nelly_16000_mono"),
        case!("nelly_22050_mono"),
        case!("ertmp_mp4a_44100_stereo"),
        case!("ertmp_opus_48000_stereo"),
        case!("ertmp_opus_24000_mono"),
        case!("ertmp_flac_96000_stereo"),
        case!("ertmp_flac_44100_mono"),
        case!("ertmp_ac3_48000_6ch"),
        case!("ertmp_eac3_44100_stereo"),
        case!("ertmp_eac3_32000_mono"),
        case!("ertmp_mp3_22050_mono"),
    ]
}

fn body(name: &str) -> &'static [u8] {
    all_cases()
        .into_iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no test vector {name}"))
        .body
}

fn video(
    codec: &'static str,
    profile: &str,
    level: &str,
    width: u32,
    height: u32,
) -> Option<VideoInfo> {
    Some(VideoInfo {
        codec,
        profile: Some(profile.to_string()),
        level: Some(level.to_string()),
        width: Some(width),
        height: Some(height),
    })
}

fn audio(
    codec: &'static str,
    profile: Option<&str>,
    rate: u32,
    channels: u32,
) -> Option<AudioInfo> {
    Some(AudioInfo {
        codec,
        profile: profile.map(str::to_string),
        sample_rate: Some(rate),
        channels: Some(channels),
    })
}

// ---------------------------------------------------------------------------
// Real data: what make_media.sh told ffmpeg (cross-checked with ffprobe).

#[test]
fn real_h264_sequence_headers() {
    let cases = [
        ("avc_high_320x240", video("h264", "High", "3.0", 320, 240)),
        ("avc_main_1280x720", video("h264", "Main", "3.1", 1280, 720)),
        (
            "avc_baseline_330x250",
            video("h264", "Constrained Baseline", "2.1", 330, 250),
        ),
        (
            "avc_high10_1918x1078",
            video("h264", "High 10", "4.0", 1918, 1078),
        ),
        (
            "avc_high422_interlaced_1920x1080",
            video("h264", "High 4:2:2", "4.1", 1920, 1080),
        ),
        (
            "avc_high444_322x242",
            video("h264", "High 4:4:4 Predictive", "2.2", 322, 242),
        ),
        (
            "avc_high_cqm_1280x720",
            video("h264", "High", "3.2", 1280, 720),
        ),
        ("ertmp_avc1_320x240", video("h264", "High", "3.0", 320, 240)),
    ];
    for (name, expected) in cases {
        assert_eq!(parse_video_sequence_header(body(name)), expected, "{name}");
    }
}

#[test]
fn real_hevc_av1_vp9_sequence_headers() {
    let cases = [
        (
            "hevc_main_1280x720_legacy",
            video("hevc", "Main", "3.1", 1280, 720),
        ),
        (
            "ertmp_hvc1_main_1280x720",
            video("hevc", "Main", "3.1", 1280, 720),
        ),
        (
            "ertmp_hvc1_main10_1918x1078",
            video("hevc", "Main 10", "4.1", 1918, 1078),
        ),
        (
            "ertmp_av01_main_320x240",
            video("av1", "Main", "2.0", 320, 240),
        ),
        (
            "ertmp_av01_high_330x250",
            video("av1", "High", "2.0", 330, 250),
        ),
    ];
    for (name, expected) in cases {
        assert_eq!(parse_video_sequence_header(body(name)), expected, "{name}");
    }
    // vpcC has no size; the level is the one FFmpeg's muxer computed.
    let vp9 = |profile: &str, level: &str| {
        Some(VideoInfo {
            codec: "vp9",
            profile: Some(profile.to_string()),
            level: Some(level.to_string()),
            width: None,
            height: None,
        })
    };
    assert_eq!(
        parse_video_sequence_header(body("ertmp_vp09_p0_320x240")),
        vp9("Profile 0", "2.0")
    );
    assert_eq!(
        parse_video_sequence_header(body("ertmp_vp09_p2_640x480")),
        vp9("Profile 2", "3.0")
    );
}

#[test]
fn real_audio_headers() {
    let cases = [
        ("aac_lc_44100_stereo", audio("aac", Some("LC"), 44_100, 2)),
        ("aac_lc_22050_mono", audio("aac", Some("LC"), 22_050, 1)),
        ("aac_lc_48000_6ch", audio("aac", Some("LC"), 48_000, 6)),
        (
            "aac_main_32000_stereo",
            audio("aac", Some("Main"), 32_000, 2),
        ),
        ("aac_ltp_16000_mono", audio("aac", Some("LTP"), 16_000, 1)),
        ("mp3_44100_stereo", audio("mp3", None, 44_100, 2)),
        ("mp3_22050_mono", audio("mp3", None, 22_050, 1)),
        ("pcm_11025_mono", audio("pcm", None, 11_025, 1)),
        ("pcm_44100_stereo", audio("pcm", None, 44_100, 2)),
        ("alaw_8000_mono", audio("g711a", None, 8000, 1)),
        ("mulaw_8000_mono", audio("g711u", None, 8000, 1)),
        ("speex_16000_mono", audio("speex", None, 16_000, 1)),
        ("nelly_8000_mono", audio("nellymoser", None, 8000, 1)),
        ("nelly_16000_mono", audio("nellymoser", None, 16_000, 1)),
        ("nelly_22050_mono", audio("nellymoser", None, 22_050, 1)),
        (
            "ertmp_mp4a_44100_stereo",
            audio("aac", Some("LC"), 44_100, 2),
        ),
        ("ertmp_opus_48000_stereo", audio("opus", None, 48_000, 2)),
        ("ertmp_opus_24000_mono", audio("opus", None, 24_000, 1)),
        ("ertmp_flac_96000_stereo", audio("flac", None, 96_000, 2)),
        ("ertmp_flac_44100_mono", audio("flac", None, 44_100, 1)),
        ("ertmp_ac3_48000_6ch", audio("ac3", None, 48_000, 6)),
        ("ertmp_eac3_44100_stereo", audio("eac3", None, 44_100, 2)),
        ("ertmp_eac3_32000_mono", audio("eac3", None, 32_000, 1)),
        ("ertmp_mp3_22050_mono", audio("mp3", None, 22_050, 1)),
    ];
    for (name, expected) in cases {
        assert_eq!(parse_audio(body(name)), expected, "{name}");
    }
}

#[test]
fn audio_bodies_are_not_video_sequence_headers() {
    // Callers pick the parser by FLV tag type; an audio body handed to the
    // video parser must still give nothing rather than a wrong answer.
    let video = [
        "avc_",
        "hevc_",
        "ertmp_avc1",
        "ertmp_hvc1",
        "ertmp_av01",
        "ertmp_vp09",
    ];
    for case in all_cases() {
        if !video.iter().any(|prefix| case.name.starts_with(prefix)) {
            assert_eq!(
                parse_video_sequence_header(case.body),
                None,
                "{}",
                case.name
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Framing, on hand-built bodies around real records.

/// The avcC record inside the legacy 320x240 body.
fn avcc() -> &'static [u8] {
    &body("avc_high_320x240")[5..]
}

fn enhanced(b0: u8, fourcc: &[u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut v = vec![b0];
    v.extend_from_slice(fourcc);
    v.extend_from_slice(payload);
    v
}

#[test]
fn legacy_video_that_is_not_a_sequence_header() {
    let mut nalu = body("avc_high_320x240").to_vec();
    nalu[1] = 1; // NALU packet
    assert_eq!(parse_video_sequence_header(&nalu), None);
    nalu[1] = 2; // end of sequence
    assert_eq!(parse_video_sequence_header(&nalu), None);
    let mut h263 = body("avc_high_320x240").to_vec();
    h263[0] = 0x12;
    assert_eq!(parse_video_sequence_header(&h263), None);
    let mut command = body("avc_high_320x240").to_vec();
    command[0] = 0x57;
    assert_eq!(parse_video_sequence_header(&command), None);
    // Inter frame type with a sequence header still counts.
    let mut inter = body("avc_high_320x240").to_vec();
    inter[0] = 0x27;
    assert!(parse_video_sequence_header(&inter).is_some());
    assert_eq!(parse_video_sequence_header(&[]), None);
    assert_eq!(parse_video_sequence_header(&[0x17]), None);
    assert_eq!(parse_video_sequence_header(&[0x17, 0, 0, 0, 0]), None);
}

#[test]
fn enhanced_video_packet_types() {
    let expected = video("h264", "High", "3.0", 320, 240);
    assert_eq!(
        parse_video_sequence_header(&enhanced(0x90, b"avc1", avcc())),
        expected
    );
    // Coded frames, sequence end, metadata: not sequence headers.
    for b0 in [0x91, 0x92, 0x93, 0x94, 0x95, 0xa1] {
        assert_eq!(
            parse_video_sequence_header(&enhanced(b0, b"avc1", avcc())),
            None
        );
    }
    // Command frame type.
    assert_eq!(
        parse_video_sequence_header(&enhanced(0xd0, b"avc1", avcc())),
        None
    );
    // Unknown FourCC, and VP8 (profile only).
    assert_eq!(
        parse_video_sequence_header(&enhanced(0x90, b"xyz1", avcc())),
        None
    );
    let vp8 = parse_video_sequence_header(&enhanced(0x90, b"vp08", &[1, 0, 0x80])).unwrap();
    assert_eq!(
        (vp8.codec, vp8.profile.as_deref()),
        ("vp8", Some("Profile 1"))
    );
    // FourCC cut short.
    assert_eq!(parse_video_sequence_header(&[0x90, b'a', b'v']), None);
}

#[test]
fn enhanced_video_modex_prelude() {
    let expected = video("h264", "High", "3.0", 320, 240);
    // One ModEx entry of 3 bytes, type 0 (timestamp offset), then SequenceStart.
    let mut body = vec![0x97, 2, 0x01, 0x02, 0x03, 0x00];
    body.extend_from_slice(b"avc1");
    body.extend_from_slice(avcc());
    assert_eq!(parse_video_sequence_header(&body), expected);
    // Two entries, the first with the 16-bit size escape (300 bytes).
    let mut body = vec![0x97, 0xff, 0x01, 0x2b];
    body.extend_from_slice(&[0xee; 300]);
    body.extend_from_slice(&[0x07, 0, 0xaa, 0x00]);
    body.extend_from_slice(b"avc1");
    body.extend_from_slice(avcc());
    assert_eq!(parse_video_sequence_header(&body), expected);
    // A ModEx entry that leads to coded frames.
    let mut body = vec![0x97, 0, 0xaa, 0x01];
    body.extend_from_slice(b"avc1");
    body.extend_from_slice(avcc());
    assert_eq!(parse_video_sequence_header(&body), None);
    // An endless chain is cut off; a truncated one fails.
    let mut chain = vec![0x97];
    for _ in 0..20 {
        chain.extend_from_slice(&[0, 0xaa, 0x07]);
    }
    chain.extend_from_slice(b"avc1");
    assert_eq!(parse_video_sequence_header(&chain), None);
    assert_eq!(parse_video_sequence_header(&[0x97, 5, 1, 2]), None);
}

#[test]
fn enhanced_video_multitrack_takes_the_first_track() {
    let expected = video("h264", "High", "3.0", 320, 240);
    let hvcc = &body("ertmp_hvc1_main_1280x720")[5..];
    // OneTrack: type 0, SequenceStart; FourCC; track id; payload.
    let mut one = vec![0x96, 0x00];
    one.extend_from_slice(b"avc1");
    one.push(0);
    one.extend_from_slice(avcc());
    assert_eq!(parse_video_sequence_header(&one), expected);
    // ManyTracks: shared FourCC, then (track id, UI24 size, payload) each.
    let mut many = vec![0x96, 0x10];
    many.extend_from_slice(b"avc1");
    for id in 0..2u8 {
        many.push(id);
        many.extend_from_slice(&(avcc().len() as u32).to_be_bytes()[1..]);
        many.extend_from_slice(avcc());
    }
    assert_eq!(parse_video_sequence_header(&many), expected);
    // ManyTracksManyCodecs: each track has its own FourCC.
    let mut mixed = vec![0x96, 0x20];
    mixed.extend_from_slice(b"hvc1");
    mixed.push(0);
    mixed.extend_from_slice(&(hvcc.len() as u32).to_be_bytes()[1..]);
    mixed.extend_from_slice(hvcc);
    mixed.extend_from_slice(b"avc1");
    mixed.push(1);
    mixed.extend_from_slice(&(avcc().len() as u32).to_be_bytes()[1..]);
    mixed.extend_from_slice(avcc());
    assert_eq!(
        parse_video_sequence_header(&mixed),
        video("hevc", "Main", "3.1", 1280, 720)
    );
    // Track size past the end; reserved multitrack type; coded frames.
    let mut short = vec![0x96, 0x10];
    short.extend_from_slice(b"avc1");
    short.extend_from_slice(&[0, 0x10, 0, 0]);
    short.extend_from_slice(avcc());
    assert_eq!(parse_video_sequence_header(&short), None);
    let mut reserved = one.clone();
    reserved[1] = 0x30;
    assert_eq!(parse_video_sequence_header(&reserved), None);
    let mut coded = one;
    coded[1] = 0x01;
    assert_eq!(parse_video_sequence_header(&coded), None);
}

#[test]
fn legacy_audio_header_bits() {
    // MP3 without a frame header at byte 1: the FLV bits (44 kHz, stereo).
    assert_eq!(
        parse_audio(&[0x2f, 0, 0, 0, 0]),
        audio("mp3", None, 44_100, 2)
    );
    assert_eq!(parse_audio(&[0x2a]), audio("mp3", None, 22_050, 1));
    // MP3 8 kHz, with and without an MPEG-2.5 frame header.
    assert_eq!(parse_audio(&[0xe2]), audio("mp3", None, 8000, 1));
    assert_eq!(
        parse_audio(&[0xe2, 0xff, 0xe3, 0x18, 0xc4]),
        audio("mp3", None, 8000, 1)
    );
    assert_eq!(parse_audio(&[0x02]), audio("pcm", None, 5512, 1));
    assert_eq!(parse_audio(&[0x39]), audio("pcm", None, 22_050, 2));
    assert_eq!(parse_audio(&[0x3d]), audio("pcm", None, 44_100, 2));
    assert_eq!(parse_audio(&[0x16]), audio("adpcm", None, 11_025, 1));
    assert_eq!(parse_audio(&[0x42]), audio("nellymoser", None, 16_000, 1));
    assert_eq!(parse_audio(&[0x52]), audio("nellymoser", None, 8000, 1));
    assert_eq!(parse_audio(&[0x7f]), audio("g711a", None, 8000, 2));
    assert_eq!(parse_audio(&[0xb6]), audio("speex", None, 16_000, 1));
    for reserved in [0xc0, 0xd0, 0xf0] {
        assert_eq!(parse_audio(&[reserved, 0, 0]), None);
    }
    assert_eq!(parse_audio(&[]), None);
}

#[test]
fn legacy_aac_needs_the_sequence_header() {
    assert_eq!(
        parse_audio(&[0xaf, 0x00, 0x12, 0x10]),
        audio("aac", Some("LC"), 44_100, 2)
    );
    assert_eq!(parse_audio(&[0xaf, 0x01, 0x21, 0x10, 0x04]), None);
    assert_eq!(parse_audio(&[0xaf]), None);
    assert_eq!(parse_audio(&[0xaf, 0x00]), None);
    // HE-AACv2 signalled explicitly.
    assert_eq!(
        parse_audio(&[0xaf, 0x00, 0xeb, 0x8a, 0x08]),
        audio("aac", Some("HE-AACv2"), 44_100, 2)
    );
}

#[test]
fn enhanced_audio_packet_types() {
    let asc = [0x12, 0x10];
    let lc = audio("aac", Some("LC"), 44_100, 2);
    assert_eq!(parse_audio(&enhanced(0x90, b"mp4a", &asc)), lc);
    // Coded AAC / Opus / FLAC frames carry no configuration.
    for fourcc in [b"mp4a", b"Opus", b"fLaC"] {
        assert_eq!(parse_audio(&enhanced(0x91, fourcc, &asc)), None);
    }
    // Sequence end and unknown FourCC.
    assert_eq!(parse_audio(&enhanced(0x92, b"mp4a", &asc)), None);
    assert_eq!(parse_audio(&enhanced(0x90, b"vorb", &asc)), None);
    // An Opus comment header gives the codec alone.
    assert_eq!(
        parse_audio(&enhanced(0x90, b"Opus", b"OpusTags\0\0\0\0")),
        Some(AudioInfo {
            codec: "opus",
            ..AudioInfo::default()
        })
    );
    // AC-3 bodies that are not sync frames give the codec alone.
    assert_eq!(
        parse_audio(&enhanced(0x91, b"ac-3", &[1, 2, 3])),
        Some(AudioInfo {
            codec: "ac3",
            ..AudioInfo::default()
        })
    );
    // MultichannelConfig: order byte, channel count, then the mask or map.
    assert_eq!(
        parse_audio(&enhanced(0x94, b"Opus", &[1, 6, 0, 0, 0, 0x3f])),
        Some(AudioInfo {
            codec: "opus",
            channels: Some(6),
            ..AudioInfo::default()
        })
    );
    assert_eq!(parse_audio(&enhanced(0x94, b"Opus", &[1])), None);
    assert_eq!(parse_audio(&[0x90, b'm', b'p']), None);
}

#[test]
fn enhanced_audio_modex_and_multitrack() {
    let lc = audio("aac", Some("LC"), 44_100, 2);
    let mut modex = vec![0x97, 2, 0, 0x10, 0x20, 0x00];
    modex.extend_from_slice(b"mp4a");
    modex.extend_from_slice(&[0x12, 0x10]);
    assert_eq!(parse_audio(&modex), lc);
    // OneTrack.
    let mut one = vec![0x95, 0x00];
    one.extend_from_slice(b"mp4a");
    one.extend_from_slice(&[0, 0x12, 0x10]);
    assert_eq!(parse_audio(&one), lc);
    // ManyTracksManyCodecs: the first track is Opus.
    let opus = &body("ertmp_opus_48000_stereo")[5..];
    let mut mixed = vec![0x95, 0x20];
    mixed.extend_from_slice(b"Opus");
    mixed.push(0);
    mixed.extend_from_slice(&(opus.len() as u32).to_be_bytes()[1..]);
    mixed.extend_from_slice(opus);
    mixed.extend_from_slice(b"mp4a");
    mixed.extend_from_slice(&[1, 0, 0, 2, 0x12, 0x10]);
    assert_eq!(parse_audio(&mixed), audio("opus", None, 48_000, 2));
    let mut short = mixed.clone();
    short.truncate(12);
    assert_eq!(parse_audio(&short), None);
}

// ---------------------------------------------------------------------------
// Robustness: arbitrary bytes must never panic.

/// A xorshift64 generator: deterministic, no dependency.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

/// Feeds one body to both parsers; only a panic can fail this.
fn feed(body: &[u8]) {
    let _ = parse_video_sequence_header(body);
    let _ = parse_audio(body);
}

#[test]
fn garbage_never_panics() {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    // First bytes and FourCCs that steer the bytes into every parser.
    let heads: [&[u8]; 24] = [
        &[0x17, 0x00, 0, 0, 0],
        &[0x1c, 0x00, 0, 0, 0],
        &[0x17, 0x00, 0, 0, 0, 0x01],
        &[0x1c, 0x00, 0, 0, 0, 0x01],
        b"\x90avc1\x01",
        b"\x90hvc1\x01",
        b"\x90av01\x81",
        b"\x90vp09",
        b"\x97",
        b"\x96",
        b"\x96\x00avc1\x00\x01",
        b"\x96\x20hvc1",
        &[0xaf, 0x00],
        &[0x2f, 0xff],
        &[0xe2, 0xff],
        b"\x90mp4a",
        b"\x90OpusOpusHead",
        b"\x90fLaC",
        b"\x91ac-3\x0b\x77",
        b"\x91ec-3\x0b\x77",
        b"\x91.mp3\xff",
        b"\x94Opus",
        b"\x97",
        b"\x95",
    ];
    for round in 0..20_000 {
        let len = rng.below(if round % 10 == 0 { 2000 } else { 120 });
        let mut body = rng.bytes(len);
        if round % 4 != 0 {
            let head = heads[rng.below(heads.len())];
            let mut steered = head.to_vec();
            steered.extend_from_slice(&body);
            body = steered;
        }
        feed(&body);
    }
}

#[test]
fn truncated_and_mutated_real_headers_never_panic() {
    let mut rng = XorShift(0x1234_5678_9abc_def1);
    for case in all_cases() {
        for end in 0..=case.body.len() {
            feed(&case.body[..end]);
            feed(&case.body[end..]);
        }
        for _ in 0..300 {
            let mut body = case.body.to_vec();
            for _ in 0..1 + rng.below(4) {
                if body.is_empty() {
                    break;
                }
                let at = rng.below(body.len());
                body[at] = rng.next() as u8;
            }
            let keep = rng.below(body.len() + 1);
            feed(&body);
            feed(&body[..keep]);
        }
    }
}

#[test]
fn extreme_exp_golomb_values_are_rejected_not_overflowed() {
    // An SPS whose every ue(v) is the largest value: sizes overflow u32 and
    // are dropped; nothing panics.
    let mut nal = vec![0x67, 100, 0, 40];
    nal.extend(
        std::iter::repeat([0x00, 0x00, 0x00, 0x01, 0xff, 0xff, 0xff, 0xff])
            .take(40)
            .flatten(),
    );
    let mut rec = vec![1, 100, 0, 40, 0xff, 0xe1];
    rec.extend_from_slice(&(nal.len() as u16).to_be_bytes());
    rec.extend_from_slice(&nal);
    let mut flv = vec![0x17, 0, 0, 0, 0];
    flv.extend_from_slice(&rec);
    let info = parse_video_sequence_header(&flv).unwrap();
    assert_eq!((info.width, info.height), (None, None));
    assert_eq!(info.profile.as_deref(), Some("High"));
}
