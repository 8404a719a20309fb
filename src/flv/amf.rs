//! A tiny AMF0 reader for FLV script tags: enough to recognise `onMetaData`,
//! strip a leading `@setDataFrame`, and find out which tracks the metadata
//! declares. Malformed or truncated input simply yields "don't know".

use bytes::Bytes;

const MARKER_NUMBER: u8 = 0x00;
const MARKER_BOOLEAN: u8 = 0x01;
const MARKER_STRING: u8 = 0x02;
const MARKER_OBJECT: u8 = 0x03;
const MARKER_NULL: u8 = 0x05;
const MARKER_UNDEFINED: u8 = 0x06;
const MARKER_REFERENCE: u8 = 0x07;
const MARKER_ECMA_ARRAY: u8 = 0x08;
const MARKER_OBJECT_END: u8 = 0x09;
const MARKER_STRICT_ARRAY: u8 = 0x0A;
const MARKER_DATE: u8 = 0x0B;
const MARKER_LONG_STRING: u8 = 0x0C;
const MARKER_UNSUPPORTED: u8 = 0x0D;
const MARKER_XML_DOCUMENT: u8 = 0x0F;
const MARKER_TYPED_OBJECT: u8 = 0x10;

/// Nesting limit for objects and arrays, so hostile input cannot exhaust the
/// stack.
const MAX_DEPTH: u32 = 32;

const SET_DATA_FRAME: &[u8] = b"@setDataFrame";
const ON_META_DATA: &[u8] = b"onMetaData";

/// A scalar view of one AMF0 value; composite values are skipped over.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Scalar {
    Number(f64),
    Boolean(bool),
    /// `null` or `undefined`.
    Nothing,
    /// A string, object, array or any other value.
    Other,
}

/// Cursor over AMF0 bytes; every read returns `None` past the end.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }

    fn u8(&mut self) -> Option<u8> {
        self.take(1).and_then(|s| s.first().copied())
    }

    fn peek(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }

    fn u16(&mut self) -> Option<u16> {
        let s = self.take(2)?;
        Some(u16::from_be_bytes([*s.first()?, *s.get(1)?]))
    }

    fn u32(&mut self) -> Option<u32> {
        let s = self.take(4)?;
        Some(u32::from_be_bytes([
            *s.first()?,
            *s.get(1)?,
            *s.get(2)?,
            *s.get(3)?,
        ]))
    }

    fn short_str(&mut self) -> Option<&'a [u8]> {
        let n = self.u16()?;
        self.take(usize::from(n))
    }

    fn long_str(&mut self) -> Option<&'a [u8]> {
        let n = self.u32()?;
        self.take(usize::try_from(n).ok()?)
    }

    /// Reads a complete string value (short or long), marker included.
    fn string_value(&mut self) -> Option<&'a [u8]> {
        match self.u8()? {
            MARKER_STRING => self.short_str(),
            MARKER_LONG_STRING => self.long_str(),
            _ => None,
        }
    }

    /// Reads one value, marker included, and returns what it is as a scalar.
    fn value(&mut self, depth: u32) -> Option<Scalar> {
        if depth > MAX_DEPTH {
            return None;
        }
        let scalar = match self.u8()? {
            MARKER_NUMBER => {
                let s = self.take(8)?;
                let mut b = [0u8; 8];
                b.copy_from_slice(s);
                Scalar::Number(f64::from_be_bytes(b))
            }
            MARKER_BOOLEAN => Scalar::Boolean(self.u8()? != 0),
            MARKER_STRING => {
                self.short_str()?;
                Scalar::Other
            }
            MARKER_LONG_STRING => {
                self.long_str()?;
                Scalar::Other
            }
            MARKER_XML_DOCUMENT => {
                self.long_str()?;
                Scalar::Other
            }
            MARKER_OBJECT => {
                self.skip_properties(depth + 1)?;
                Scalar::Other
            }
            MARKER_TYPED_OBJECT => {
                self.short_str()?;
                self.skip_properties(depth + 1)?;
                Scalar::Other
            }
            MARKER_ECMA_ARRAY => {
                self.u32()?;
                self.skip_properties(depth + 1)?;
                Scalar::Other
            }
            MARKER_STRICT_ARRAY => {
                let count = self.u32()?;
                for _ in 0..count {
                    self.value(depth + 1)?;
                }
                Scalar::Other
            }
            MARKER_DATE => {
                self.take(10)?;
                Scalar::Other
            }
            MARKER_REFERENCE => {
                self.u16()?;
                Scalar::Other
            }
            MARKER_NULL | MARKER_UNDEFINED => Scalar::Nothing,
            MARKER_UNSUPPORTED => Scalar::Other,
            // Movie clip, record set, object end out of place, AMF3 switch,
            // unknown markers: not something this reader can step over.
            _ => return None,
        };
        Some(scalar)
    }

    /// Reads one property of an object or ECMA array: `None` at the end
    /// marker or when the input runs out (or is malformed).
    fn property(&mut self, depth: u32) -> Option<(&'a [u8], Scalar)> {
        let key = self.short_str()?;
        if key.is_empty() && self.peek() == Some(MARKER_OBJECT_END) {
            self.pos += 1;
            return None;
        }
        let value = self.value(depth)?;
        Some((key, value))
    }

    /// Skips properties up to and including the object end marker.
    fn skip_properties(&mut self, depth: u32) -> Option<()> {
        loop {
            let key = self.short_str()?;
            if key.is_empty() && self.peek() == Some(MARKER_OBJECT_END) {
                self.pos += 1;
                return Some(());
            }
            self.value(depth)?;
        }
    }

    /// Reads the name of a data message, after an optional leading
    /// `@setDataFrame`, and tells whether it is `onMetaData`.
    fn on_metadata_name(&mut self) -> bool {
        let mut name = self.string_value();
        if name == Some(SET_DATA_FRAME) {
            name = self.string_value();
        }
        name == Some(ON_META_DATA)
    }
}

/// Whether a script tag body is an `onMetaData` message: its first AMF0 value
/// (after an optional leading `"@setDataFrame"` string) is the string
/// `"onMetaData"`.
pub fn is_on_metadata(body: &[u8]) -> bool {
    Reader::new(body).on_metadata_name()
}

/// If `body` is a script tag body whose first AMF0 value is the string
/// `"@setDataFrame"`, returns the body without that value (a zero-copy
/// slice of `body`); otherwise `None`.
pub fn strip_set_data_frame(body: &Bytes) -> Option<Bytes> {
    let mut r = Reader::new(body);
    if r.string_value()? == SET_DATA_FRAME {
        Some(body.slice(r.pos..))
    } else {
        None
    }
}

/// Which tracks an `onMetaData` body (with or without `@setDataFrame`)
/// declares, as `(audio, video)`; `None` means the metadata does not say.
///
/// An explicit `hasAudio` / `hasVideo` boolean (or number) wins; otherwise a
/// non-null `audiocodecid` / `videocodecid` means the track is present. Keys
/// are compared ignoring ASCII case. Anything that is not `onMetaData`, or
/// cannot be read, gives `(None, None)` for what was not read.
pub fn metadata_tracks(body: &[u8]) -> (Option<bool>, Option<bool>) {
    let mut r = Reader::new(body);
    if !r.on_metadata_name() {
        return (None, None);
    }
    let opened = match r.u8() {
        Some(MARKER_OBJECT) => Some(()),
        Some(MARKER_ECMA_ARRAY) => r.u32().map(|_| ()),
        Some(MARKER_TYPED_OBJECT) => r.short_str().map(|_| ()),
        _ => None,
    };
    if opened.is_none() {
        return (None, None);
    }

    let mut has_audio = None;
    let mut has_video = None;
    let mut audio_codec = false;
    let mut video_codec = false;
    while let Some((key, value)) = r.property(1) {
        let flag = match value {
            Scalar::Boolean(b) => Some(b),
            Scalar::Number(n) => Some(n != 0.0),
            Scalar::Nothing | Scalar::Other => None,
        };
        let present = value != Scalar::Nothing;
        if key.eq_ignore_ascii_case(b"hasAudio") {
            has_audio = has_audio.or(flag);
        } else if key.eq_ignore_ascii_case(b"hasVideo") {
            has_video = has_video.or(flag);
        } else if key.eq_ignore_ascii_case(b"audiocodecid") {
            audio_codec |= present;
        } else if key.eq_ignore_ascii_case(b"videocodecid") {
            video_codec |= present;
        }
    }
    let audio = has_audio.or(if audio_codec { Some(true) } else { None });
    let video = has_video.or(if video_codec { Some(true) } else { None });
    (audio, video)
}

/// AMF0 writers for the tests of this module and of its siblings.
#[cfg(test)]
pub(super) mod write {
    pub fn string(out: &mut Vec<u8>, s: &str) {
        out.push(0x02);
        out.extend_from_slice(&(s.len() as u16).to_be_bytes());
        out.extend_from_slice(s.as_bytes());
    }

    pub fn key(out: &mut Vec<u8>, s: &str) {
        out.extend_from_slice(&(s.len() as u16).to_be_bytes());
        out.extend_from_slice(s.as_bytes());
    }

    pub fn number(out: &mut Vec<u8>, n: f64) {
        out.push(0x00);
        out.extend_from_slice(&n.to_be_bytes());
    }

    pub fn boolean(out: &mut Vec<u8>, b: bool) {
        out.push(0x01);
        out.push(u8::from(b));
    }

    pub fn end(out: &mut Vec<u8>) {
        out.extend_from_slice(&[0, 0, 0x09]);
    }

    /// A typical encoder's `onMetaData` body (ECMA array).
    pub fn on_metadata(set_data_frame: bool, audio: bool, video: bool) -> Vec<u8> {
        let mut v = Vec::new();
        if set_data_frame {
            string(&mut v, "@setDataFrame");
        }
        string(&mut v, "onMetaData");
        v.push(0x08);
        v.extend_from_slice(&4u32.to_be_bytes());
        key(&mut v, "duration");
        number(&mut v, 0.0);
        key(&mut v, "encoder");
        string(&mut v, "test encoder");
        if video {
            key(&mut v, "width");
            number(&mut v, 1280.0);
            key(&mut v, "videocodecid");
            number(&mut v, 7.0);
        }
        if audio {
            key(&mut v, "audiocodecid");
            number(&mut v, 10.0);
        }
        end(&mut v);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::write::*;
    use super::*;

    #[test]
    fn recognises_on_metadata() {
        assert!(is_on_metadata(&on_metadata(false, true, true)));
        assert!(is_on_metadata(&on_metadata(true, true, true)));
        let mut v = Vec::new();
        string(&mut v, "onTextData");
        assert!(!is_on_metadata(&v));
        let mut v = Vec::new();
        string(&mut v, "@setDataFrame");
        string(&mut v, "onCuePoint");
        assert!(!is_on_metadata(&v));
        assert!(!is_on_metadata(&[]));
        assert!(!is_on_metadata(&[0x02, 0x00, 0x0A, b'o', b'n']));
        // A long string works too.
        let mut v = vec![0x0C, 0, 0, 0, 10];
        v.extend_from_slice(b"onMetaData");
        assert!(is_on_metadata(&v));
    }

    #[test]
    fn strips_set_data_frame_zero_copy() {
        let with = Bytes::from(on_metadata(true, true, false));
        let without = on_metadata(false, true, false);
        let stripped = strip_set_data_frame(&with).unwrap();
        assert_eq!(&stripped[..], &without[..]);
        // Same allocation: the slice points into the original body.
        assert_eq!(stripped.as_ptr(), with[16..].as_ptr());
        assert_eq!(strip_set_data_frame(&Bytes::from(without)), None);
        assert_eq!(strip_set_data_frame(&Bytes::new()), None);
        assert_eq!(
            strip_set_data_frame(&Bytes::from_static(&[0x02, 0x00, 0x0D, b'@'])),
            None
        );
        // Only the first value is removed, whatever follows.
        let mut v = Vec::new();
        string(&mut v, "@setDataFrame");
        assert_eq!(strip_set_data_frame(&Bytes::from(v)), Some(Bytes::new()));
    }

    #[test]
    fn tracks_from_codec_ids() {
        for sdf in [false, true] {
            assert_eq!(
                metadata_tracks(&on_metadata(sdf, true, true)),
                (Some(true), Some(true))
            );
            assert_eq!(
                metadata_tracks(&on_metadata(sdf, true, false)),
                (Some(true), None)
            );
            assert_eq!(
                metadata_tracks(&on_metadata(sdf, false, true)),
                (None, Some(true))
            );
            assert_eq!(
                metadata_tracks(&on_metadata(sdf, false, false)),
                (None, None)
            );
        }
    }

    #[test]
    fn tracks_from_has_booleans_in_an_object() {
        let mut v = Vec::new();
        string(&mut v, "onMetaData");
        v.push(0x03);
        key(&mut v, "hasAudio");
        boolean(&mut v, false);
        key(&mut v, "nested");
        v.push(0x03);
        key(&mut v, "hasVideo");
        boolean(&mut v, false);
        end(&mut v);
        key(&mut v, "list");
        v.push(0x0A);
        v.extend_from_slice(&2u32.to_be_bytes());
        number(&mut v, 1.0);
        v.push(0x05);
        key(&mut v, "when");
        v.push(0x0B);
        v.extend_from_slice(&[0; 10]);
        key(&mut v, "hasVideo");
        boolean(&mut v, true);
        key(&mut v, "audiocodecid");
        number(&mut v, 10.0);
        end(&mut v);
        // hasAudio=false wins over audiocodecid; the nested hasVideo is not
        // the top-level one.
        assert_eq!(metadata_tracks(&v), (Some(false), Some(true)));
    }

    #[test]
    fn null_codec_id_says_nothing() {
        let mut v = Vec::new();
        string(&mut v, "onMetaData");
        v.push(0x03);
        key(&mut v, "audiocodecid");
        v.push(0x05);
        key(&mut v, "videocodecid");
        v.push(0x06);
        end(&mut v);
        assert_eq!(metadata_tracks(&v), (None, None));
    }

    #[test]
    fn not_metadata_or_not_an_object() {
        let mut v = Vec::new();
        string(&mut v, "onTextData");
        v.push(0x03);
        key(&mut v, "hasAudio");
        boolean(&mut v, true);
        end(&mut v);
        assert_eq!(metadata_tracks(&v), (None, None));
        let mut v = Vec::new();
        string(&mut v, "onMetaData");
        number(&mut v, 1.0);
        assert_eq!(metadata_tracks(&v), (None, None));
    }

    #[test]
    fn truncated_metadata_keeps_what_was_read() {
        let full = on_metadata(false, true, true);
        let (a, v) = metadata_tracks(&full);
        for cut in 0..full.len() {
            let (pa, pv) = metadata_tracks(&full[..cut]);
            assert!(pa.is_none() || pa == a);
            assert!(pv.is_none() || pv == v);
        }
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let mut v = Vec::new();
        string(&mut v, "onMetaData");
        v.push(0x03);
        for _ in 0..100_000 {
            key(&mut v, "k");
            v.push(0x03);
        }
        assert_eq!(metadata_tracks(&v), (None, None));
        let mut v = Vec::new();
        string(&mut v, "onMetaData");
        v.push(0x0A);
        for _ in 0..100_000 {
            v.push(0x0A);
            v.extend_from_slice(&u32::MAX.to_be_bytes());
        }
        assert_eq!(metadata_tracks(&v), (None, None));
    }

    #[test]
    fn garbage_never_panics() {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let base = on_metadata(true, true, true);
        for _ in 0..5_000 {
            let mut v = base.clone();
            let flips = next() % 8;
            for _ in 0..flips {
                let i = (next() % v.len() as u64) as usize;
                v[i] = next() as u8;
            }
            let cut = (next() % (v.len() as u64 + 1)) as usize;
            v.truncate(cut);
            let _ = metadata_tracks(&v);
            let _ = is_on_metadata(&v);
            let _ = strip_set_data_frame(&Bytes::from(v));
        }
        for len in 0..64 {
            let v: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            let _ = metadata_tracks(&v);
        }
    }
}
