//! Byte writers for the FLV framing of the HTTP-FLV output.

/// FLV file header (9 bytes: `"FLV"`, version 1, audio/video flags,
/// DataOffset 9) followed by PreviousTagSize0 (4 zero bytes).
pub fn file_header(has_audio: bool, has_video: bool) -> [u8; 13] {
    let mut flags = 0u8;
    if has_audio {
        flags |= 0x04;
    }
    if has_video {
        flags |= 0x01;
    }
    [b'F', b'L', b'V', 1, flags, 0, 0, 0, 9, 0, 0, 0, 0]
}

/// 11-byte FLV tag header: type, 24-bit big-endian data size, the low 24 bits
/// of the timestamp then its bits 24..31 (the extended byte), stream id 0.
///
/// `data_size` above [`MAX_DATA_SIZE`](super::MAX_DATA_SIZE) cannot be
/// expressed and is truncated to its low 24 bits; callers refuse such tags
/// before framing them.
pub fn tag_header(tag_type: u8, data_size: u32, timestamp: u32) -> [u8; 11] {
    let s = data_size.to_be_bytes();
    let t = timestamp.to_be_bytes();
    [tag_type, s[1], s[2], s[3], t[1], t[2], t[3], t[0], 0, 0, 0]
}

/// 4-byte PreviousTagSize that follows a tag of `data_size` body bytes
/// (11 + `data_size`, big-endian).
pub fn prev_tag_size(data_size: u32) -> [u8; 4] {
    data_size.wrapping_add(11).to_be_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_header_flags() {
        assert_eq!(
            file_header(true, true),
            [b'F', b'L', b'V', 1, 5, 0, 0, 0, 9, 0, 0, 0, 0]
        );
        assert_eq!(file_header(true, false)[4], 4);
        assert_eq!(file_header(false, true)[4], 1);
        assert_eq!(file_header(false, false)[4], 0);
    }

    #[test]
    fn tag_header_layout() {
        assert_eq!(
            tag_header(9, 0x0001_0203, 0x0A0B_0C0D),
            [9, 0x01, 0x02, 0x03, 0x0B, 0x0C, 0x0D, 0x0A, 0, 0, 0]
        );
        assert_eq!(tag_header(8, 0, 0), [8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn prev_tag_size_is_eleven_plus_data() {
        assert_eq!(prev_tag_size(0), [0, 0, 0, 11]);
        assert_eq!(prev_tag_size(0x00FF_FFFF), [0x01, 0x00, 0x00, 0x0A]);
        // Never panics, even on nonsense.
        assert_eq!(prev_tag_size(u32::MAX), [0, 0, 0, 10]);
    }
}
