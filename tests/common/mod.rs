//! Synthetic AVC + AAC tags for the integration tests.
#![allow(dead_code)]

use livehub::{Error, Player, Publisher};

pub const AUDIO: u8 = 8;
pub const VIDEO: u8 = 9;
pub const SCRIPT: u8 = 18;

/// onMetaData with width/height and both codec ids.
pub fn metadata() -> Vec<u8> {
    let mut v = vec![0x02, 0x00, 0x0a];
    v.extend_from_slice(b"onMetaData");
    v.extend_from_slice(&[0x08, 0, 0, 0, 2]);
    for (k, n) in [("videocodecid", 7.0f64), ("audiocodecid", 10.0)] {
        v.extend_from_slice(&(k.len() as u16).to_be_bytes());
        v.extend_from_slice(k.as_bytes());
        v.push(0x00);
        v.extend_from_slice(&n.to_be_bytes());
    }
    v.extend_from_slice(&[0, 0, 9]);
    v
}

/// The same, behind `@setDataFrame` as encoders send it.
pub fn set_data_frame_metadata() -> Vec<u8> {
    let mut v = vec![0x02, 0x00, 0x0d];
    v.extend_from_slice(b"@setDataFrame");
    v.extend_from_slice(&metadata());
    v
}

pub fn avc_sh(version: u8) -> Vec<u8> {
    vec![
        0x17, 0, 0, 0, 0, 1, 0x64, 0, 0x1f, 0xff, 0xe1, 0, 4, 0x67, 0x64, 0, version,
    ]
}
pub fn aac_sh() -> Vec<u8> {
    vec![0xaf, 0x00, 0x12, 0x10]
}
pub fn keyframe(n: u32) -> Vec<u8> {
    let mut v = vec![0x17, 1, 0, 0, 0];
    v.extend_from_slice(&n.to_be_bytes());
    v
}
pub fn inter(n: u32) -> Vec<u8> {
    let mut v = vec![0x27, 1, 0, 0, 0];
    v.extend_from_slice(&n.to_be_bytes());
    v
}
pub fn aac(n: u32) -> Vec<u8> {
    let mut v = vec![0xaf, 0x01];
    v.extend_from_slice(&n.to_be_bytes());
    v
}

/// Pushes metadata and both sequence headers at `ts`.
pub fn start(p: &mut Publisher, ts: u32) {
    p.push_tag(SCRIPT, ts, &set_data_frame_metadata()).unwrap();
    p.push_tag(AUDIO, ts, &aac_sh()).unwrap();
    p.push_tag(VIDEO, ts, &avc_sh(1)).unwrap();
}

/// Pushes `frames` video frames at 25 fps from `ts` (a keyframe every `gop`),
/// each followed by an audio frame; returns the next timestamp.
pub fn push_av(p: &mut Publisher, ts: u32, frames: u32, gop: u32, first_n: u32) -> u32 {
    let mut t = ts;
    for i in 0..frames {
        let n = first_n + i;
        let body = if n % gop == 0 { keyframe(n) } else { inter(n) };
        p.push_tag(VIDEO, t, &body).unwrap();
        p.push_tag(AUDIO, t + 5, &aac(n)).unwrap();
        t += 40;
    }
    t
}

/// A tag as a test sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Got {
    pub tag_type: u8,
    pub ts: u32,
    pub flags: u32,
    pub data: Vec<u8>,
}

/// Reads until AGAIN or EOF (bounded); returns the tags and the last result.
pub fn drain(p: &mut Player) -> (Vec<Got>, Error) {
    let mut out = Vec::new();
    for _ in 0..1_000_000 {
        match p.read() {
            Ok(t) => out.push(Got {
                tag_type: t.tag_type,
                ts: t.timestamp,
                flags: t.flags,
                data: t.data.to_vec(),
            }),
            Err(e) => return (out, e),
        }
    }
    panic!("drain did not end");
}

/// The frame number carried by a synthetic video or audio frame.
pub fn frame_no(g: &Got) -> Option<u32> {
    let d = &g.data;
    match (g.tag_type, d.len()) {
        (VIDEO, 9) if d[1] == 1 => Some(u32::from_be_bytes([d[5], d[6], d[7], d[8]])),
        (AUDIO, 6) if d[1] == 1 => Some(u32::from_be_bytes([d[2], d[3], d[4], d[5]])),
        _ => None,
    }
}
