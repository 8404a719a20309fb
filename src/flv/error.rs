//! Why FLV input was refused or a tag was skipped.

use std::fmt;

/// An FLV parsing error.
///
/// `Signature`, `Version`, `HeaderSize` and `TooLarge` are fatal for a
/// [`Demuxer`](super::Demuxer) (see [`FlvError::is_fatal`]); the others cost
/// one tag (`ReservedType`, `Filtered`, `TooShort`), the bytes up to the next
/// plausible tag (`Garbage`), or nothing but a report (`PrevTagSize`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlvError {
    /// The stream does not start with `"FLV"`.
    Signature,
    /// The FLV header version is not 1.
    Version,
    /// The FLV header DataOffset is smaller than 9 (or absurdly large).
    HeaderSize,
    /// A tag's data size exceeds the configured limit.
    TooLarge,
    /// A PreviousTagSize does not match the tag before it.
    PrevTagSize,
    /// A tag type other than audio (8), video (9) or script (18).
    ReservedType,
    /// The tag has the filter (encryption) bit set.
    Filtered,
    /// The tag body is too short to be classified.
    TooShort,
    /// Bytes that are not a tag (a wrong PreviousTagSize followed by an
    /// implausible tag header) were discarded up to the next plausible tag.
    Garbage,
}

impl FlvError {
    /// Whether a [`Demuxer`](super::Demuxer) rejects the whole byte stream on
    /// this error (as opposed to skipping or reporting one tag).
    pub fn is_fatal(self) -> bool {
        matches!(
            self,
            FlvError::Signature | FlvError::Version | FlvError::HeaderSize | FlvError::TooLarge
        )
    }
}

impl fmt::Display for FlvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let msg = match self {
            FlvError::Signature => "not an FLV stream (bad signature)",
            FlvError::Version => "unsupported FLV version",
            FlvError::HeaderSize => "invalid FLV header size",
            FlvError::TooLarge => "FLV tag larger than the configured limit",
            FlvError::PrevTagSize => "FLV PreviousTagSize does not match the previous tag",
            FlvError::ReservedType => "reserved FLV tag type",
            FlvError::Filtered => "filtered (encrypted) FLV tag",
            FlvError::TooShort => "FLV tag body too short",
            FlvError::Garbage => "bytes between FLV tags discarded (framing lost, resynchronised)",
        };
        f.write_str(msg)
    }
}

impl std::error::Error for FlvError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_a_message_and_fatality() {
        let all = [
            (FlvError::Signature, true),
            (FlvError::Version, true),
            (FlvError::HeaderSize, true),
            (FlvError::TooLarge, true),
            (FlvError::PrevTagSize, false),
            (FlvError::ReservedType, false),
            (FlvError::Filtered, false),
            (FlvError::TooShort, false),
            (FlvError::Garbage, false),
        ];
        for (e, fatal) in all {
            assert!(!e.to_string().is_empty());
            assert_eq!(e.is_fatal(), fatal, "{e:?}");
        }
    }
}
