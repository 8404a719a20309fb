//! The stream every design carries: about 4 Mbit/s of FLV tags.
//!
//! - video: H.264, 25 fps, a keyframe every 2 s (GOP of 50 frames); keyframe
//!   bodies of 100,000 bytes, inter frames of 17,714 bytes
//!   (100,000 + 49 × 17,714 = 968,000 bytes per 2 s = 3.872 Mbit/s);
//! - audio: AAC-LC 44.1 kHz, 1024 samples per frame (43.07 frames/s), 372
//!   bytes a frame (128 kbit/s);
//! - at the start: onMetaData, the AAC and the AVC sequence headers.
//!
//! Total: 3.872 + 0.128 = 4.0 Mbit/s of tag bodies, about 68 tags per second.
//! Timestamps are stream time (ms); nothing sleeps: a "round" is one second
//! of stream, pushed as fast as the publisher can.
//!
//! Each body is built once; a push copies it from that buffer (as a server
//! copies from the buffer it just read from the network), so every design
//! does exactly one copy of each payload.

pub const AUDIO: u8 = 8;
pub const VIDEO: u8 = 9;
pub const SCRIPT: u8 = 18;

pub const KEYFRAME_BYTES: usize = 100_000;
pub const INTER_BYTES: usize = 17_714;
pub const AUDIO_BYTES: usize = 372;
pub const GOP_FRAMES: u64 = 50;
pub const FPS: u64 = 25;

/// What a tag is; the body comes from [`Bodies`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Metadata,
    AudioHeader,
    VideoHeader,
    Keyframe,
    Inter,
    Audio,
}

#[derive(Clone, Copy, Debug)]
pub struct SrcTag {
    pub tag_type: u8,
    pub ts: u32,
    pub kind: Kind,
}

/// One second of stream.
pub struct Round {
    pub tags: Vec<SrcTag>,
    /// Body bytes of the round.
    pub body_bytes: usize,
    /// HTTP-FLV bytes of the round: per tag, 11-byte header + body + 4-byte
    /// PreviousTagSize.
    pub flv_bytes: usize,
}

pub struct Bodies {
    metadata: Vec<u8>,
    audio_header: Vec<u8>,
    video_header: Vec<u8>,
    keyframe: Vec<u8>,
    inter: Vec<u8>,
    audio: Vec<u8>,
}

impl Bodies {
    pub fn new() -> Bodies {
        let mut keyframe = vec![0x17, 0x01, 0, 0, 0];
        keyframe.resize(KEYFRAME_BYTES, 0x65);
        let mut inter = vec![0x27, 0x01, 0, 0, 0];
        inter.resize(INTER_BYTES, 0x41);
        let mut audio = vec![0xaf, 0x01];
        audio.resize(AUDIO_BYTES, 0x21);
        Bodies {
            metadata: metadata(),
            audio_header: vec![0xaf, 0x00, 0x12, 0x10],
            video_header: vec![
                0x17, 0x00, 0, 0, 0, // AVC sequence header
                0x01, 0x64, 0x00, 0x1f, 0xff, 0xe1, 0x00, 0x04, 0x67, 0x64, 0x00, 0x1f, 0x01, 0x00,
                0x04, 0x68, 0xee, 0x3c, 0x80,
            ],
            keyframe,
            inter,
            audio,
        }
    }

    pub fn body(&self, kind: Kind) -> &[u8] {
        match kind {
            Kind::Metadata => &self.metadata,
            Kind::AudioHeader => &self.audio_header,
            Kind::VideoHeader => &self.video_header,
            Kind::Keyframe => &self.keyframe,
            Kind::Inter => &self.inter,
            Kind::Audio => &self.audio,
        }
    }
}

/// An onMetaData script body (AMF0 string + ECMA array).
fn metadata() -> Vec<u8> {
    let mut v = vec![0x02, 0x00, 0x0a];
    v.extend_from_slice(b"onMetaData");
    let fields: [(&str, f64); 7] = [
        ("duration", 0.0),
        ("width", 1280.0),
        ("height", 720.0),
        ("framerate", 25.0),
        ("videocodecid", 7.0),
        ("videodatarate", 3872.0),
        ("audiocodecid", 10.0),
    ];
    v.push(0x08);
    v.extend_from_slice(&(fields.len() as u32).to_be_bytes());
    for (k, n) in fields {
        v.extend_from_slice(&(k.len() as u16).to_be_bytes());
        v.extend_from_slice(k.as_bytes());
        v.push(0x00);
        v.extend_from_slice(&n.to_be_bytes());
    }
    v.extend_from_slice(&[0, 0, 9]);
    v
}

/// The whole stream: the three header tags, then `seconds` rounds.
pub struct Workload {
    pub bodies: Bodies,
    pub headers: Vec<SrcTag>,
    pub rounds: Vec<Round>,
}

impl Workload {
    pub fn new(seconds: usize) -> Workload {
        let bodies = Bodies::new();
        let headers = vec![
            SrcTag {
                tag_type: SCRIPT,
                ts: 0,
                kind: Kind::Metadata,
            },
            SrcTag {
                tag_type: AUDIO,
                ts: 0,
                kind: Kind::AudioHeader,
            },
            SrcTag {
                tag_type: VIDEO,
                ts: 0,
                kind: Kind::VideoHeader,
            },
        ];
        let mut rounds: Vec<Round> = (0..seconds)
            .map(|_| Round {
                tags: Vec::new(),
                body_bytes: 0,
                flv_bytes: 0,
            })
            .collect();
        let end_ms = seconds as u64 * 1000;
        let (mut frame, mut aframe) = (0u64, 0u64);
        loop {
            let vts = frame * 1000 / FPS;
            let ats = aframe * 1024 * 1000 / 44_100;
            let tag = if vts <= ats {
                frame += 1;
                let kind = if (frame - 1) % GOP_FRAMES == 0 {
                    Kind::Keyframe
                } else {
                    Kind::Inter
                };
                SrcTag {
                    tag_type: VIDEO,
                    ts: vts as u32,
                    kind,
                }
            } else {
                aframe += 1;
                SrcTag {
                    tag_type: AUDIO,
                    ts: ats as u32,
                    kind: Kind::Audio,
                }
            };
            if tag.ts as u64 >= end_ms {
                break;
            }
            let r = &mut rounds[tag.ts as usize / 1000];
            let len = bodies.body(tag.kind).len();
            r.body_bytes += len;
            r.flv_bytes += 11 + len + 4;
            r.tags.push(tag);
        }
        Workload {
            bodies,
            headers,
            rounds,
        }
    }

    pub fn body(&self, tag: &SrcTag) -> &[u8] {
        self.bodies.body(tag.kind)
    }

    /// Body bytes of rounds `range`.
    pub fn bytes_in(&self, range: std::ops::Range<usize>) -> usize {
        self.rounds[range].iter().map(|r| r.body_bytes).sum()
    }
}
