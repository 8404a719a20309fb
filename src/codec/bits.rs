//! Bit-level reading for codec headers: a most-significant-bit-first reader
//! with Exp-Golomb and AV1 `uvlc` codes, byte-order helpers, and removal of
//! H.264/H.265 emulation-prevention bytes.
//!
//! Every read is checked: running off the end yields `None`, never a panic.

/// Reads a byte string bit by bit, most significant bit first.
#[derive(Debug, Clone)]
pub(crate) struct BitReader<'a> {
    data: &'a [u8],
    /// Index of the byte holding the next bit.
    byte: usize,
    /// Bits of `data[byte]` already consumed (0..8).
    bit: u8,
}

impl<'a> BitReader<'a> {
    /// Starts reading at the first bit of `data`.
    pub(crate) fn new(data: &'a [u8]) -> Self {
        BitReader {
            data,
            byte: 0,
            bit: 0,
        }
    }

    /// Reads one bit.
    pub(crate) fn bit(&mut self) -> Option<bool> {
        let byte = *self.data.get(self.byte)?;
        let value = (byte >> (7 - self.bit)) & 1 == 1;
        if self.bit == 7 {
            self.bit = 0;
            self.byte = self.byte.checked_add(1)?;
        } else {
            self.bit += 1;
        }
        Some(value)
    }

    /// Reads one bit as a flag (`u(1)` / `f(1)`).
    pub(crate) fn flag(&mut self) -> Option<bool> {
        self.bit()
    }

    /// Reads eight bits as a byte.
    pub(crate) fn byte(&mut self) -> Option<u8> {
        u8::try_from(self.bits(8)?).ok()
    }

    /// Reads `n` bits (at most 32) as an unsigned number.
    pub(crate) fn bits(&mut self, n: u32) -> Option<u32> {
        if n > 32 || u64::from(n) > self.remaining_bits() {
            return None;
        }
        let mut value: u64 = 0;
        for _ in 0..n {
            value = (value << 1) | u64::from(self.bit()?);
        }
        u32::try_from(value).ok()
    }

    /// Skips `n` bits; fails if fewer remain.
    pub(crate) fn skip(&mut self, n: u64) -> Option<()> {
        if n > self.remaining_bits() {
            return None;
        }
        let total = u64::from(self.bit).checked_add(n)?;
        let bytes = usize::try_from(total / 8).ok()?;
        self.byte = self.byte.checked_add(bytes)?;
        // `total % 8` is below 8, so the narrowing cannot lose bits.
        self.bit = (total % 8) as u8;
        Some(())
    }

    /// Bits not yet read.
    pub(crate) fn remaining_bits(&self) -> u64 {
        let bytes_left = self.data.len().saturating_sub(self.byte) as u64;
        bytes_left
            .saturating_mul(8)
            .saturating_sub(u64::from(self.bit))
    }

    /// Reads an unsigned Exp-Golomb code (`ue(v)`); values above `u32::MAX - 1`
    /// (more than 31 leading zero bits) are rejected.
    pub(crate) fn ue(&mut self) -> Option<u32> {
        let mut zeros: u32 = 0;
        while !self.bit()? {
            zeros += 1;
            if zeros > 31 {
                return None;
            }
        }
        let suffix = u64::from(self.bits(zeros)?);
        let value = (1u64 << zeros) - 1 + suffix;
        u32::try_from(value).ok()
    }

    /// Reads a signed Exp-Golomb code (`se(v)`).
    pub(crate) fn se(&mut self) -> Option<i64> {
        let k = i64::from(self.ue()?);
        Some(if k % 2 == 1 { (k + 1) / 2 } else { -(k / 2) })
    }

    /// Reads an AV1 `uvlc()` code; 32 or more leading zeros give `u32::MAX`
    /// as the AV1 specification says.
    pub(crate) fn uvlc(&mut self) -> Option<u32> {
        let mut zeros: u32 = 0;
        while !self.bit()? {
            // Bounded by the input: each pass consumes one bit.
            zeros = zeros.saturating_add(1);
        }
        if zeros >= 32 {
            return Some(u32::MAX);
        }
        let suffix = u64::from(self.bits(zeros)?);
        u32::try_from((1u64 << zeros) - 1 + suffix).ok()
    }
}

/// Reads a big-endian 16-bit number at `at`.
pub(crate) fn be16(data: &[u8], at: usize) -> Option<u16> {
    let b = data.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes([b[0], b[1]]))
}

/// Reads a big-endian 24-bit number at `at`.
pub(crate) fn be24(data: &[u8], at: usize) -> Option<u32> {
    let b = data.get(at..at.checked_add(3)?)?;
    Some(u32::from_be_bytes([0, b[0], b[1], b[2]]))
}

/// Reads a little-endian 16-bit number at `at`.
pub(crate) fn le16(data: &[u8], at: usize) -> Option<u16> {
    let b = data.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes([b[0], b[1]]))
}

/// Reads a little-endian 32-bit number at `at`.
pub(crate) fn le32(data: &[u8], at: usize) -> Option<u32> {
    let b = data.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// Upper bound on the bytes of a NAL unit that are unescaped: parameter
/// sets are far smaller, and the cap keeps the copy bounded whatever the input.
const MAX_RBSP_BYTES: usize = 64 * 1024;

/// Turns the payload of an H.264/H.265 NAL unit (after its header) into its
/// raw byte sequence payload by dropping each emulation-prevention byte (the
/// `03` of a `00 00 03` sequence). Copies at most [`MAX_RBSP_BYTES`] bytes.
pub(crate) fn unescape_rbsp(payload: &[u8]) -> Vec<u8> {
    let payload = payload.get(..MAX_RBSP_BYTES).unwrap_or(payload);
    let mut out = Vec::with_capacity(payload.len());
    let mut zeros = 0usize;
    for &byte in payload {
        if zeros >= 2 && byte == 3 {
            zeros = 0;
            continue;
        }
        if byte == 0 {
            zeros += 1;
        } else {
            zeros = 0;
        }
        out.push(byte);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fixed_width_fields_across_bytes() {
        let mut r = BitReader::new(&[0b1010_1100, 0b0101_0011]);
        assert_eq!(r.bit(), Some(true));
        assert_eq!(r.bits(3), Some(0b010));
        assert_eq!(r.bits(8), Some(0b1100_0101));
        assert_eq!(r.remaining_bits(), 4);
        assert_eq!(r.bits(5), None);
        assert_eq!(r.bits(4), Some(0b0011));
        assert_eq!(r.bit(), None);
        assert_eq!(BitReader::new(&[0; 8]).bits(33), None);
        assert_eq!(BitReader::new(&[0xff; 4]).bits(32), Some(u32::MAX));
    }

    #[test]
    fn skips_within_bounds_only() {
        let mut r = BitReader::new(&[0x00, 0x0f]);
        assert_eq!(r.skip(12), Some(()));
        assert_eq!(r.bits(4), Some(0xf));
        assert_eq!(r.skip(1), None);
        let mut r = BitReader::new(&[0xff]);
        assert_eq!(r.skip(u64::MAX), None);
        assert_eq!(r.skip(8), Some(()));
        assert_eq!(r.remaining_bits(), 0);
    }

    #[test]
    fn decodes_exp_golomb_codes() {
        // 1 | 010 | 011 | 00100 | 00101 -> ue 0, 1, 2, 3, 4
        let mut r = BitReader::new(&[0b1010_0110, 0b0100_0010, 0b1000_0000]);
        assert_eq!(r.ue(), Some(0));
        assert_eq!(r.ue(), Some(1));
        assert_eq!(r.ue(), Some(2));
        assert_eq!(r.ue(), Some(3));
        assert_eq!(r.ue(), Some(4));
        // se: ue 1 -> 1, ue 2 -> -1, ue 3 -> 2, ue 4 -> -2
        let mut r = BitReader::new(&[0b0100_1100, 0b1000_0101, 0b0000_0000]);
        assert_eq!(r.se(), Some(1));
        assert_eq!(r.se(), Some(-1));
        assert_eq!(r.se(), Some(2));
        assert_eq!(r.se(), Some(-2));
        // 32 leading zeros are more than ue(v) allows; all zeros run out.
        assert_eq!(BitReader::new(&[0, 0, 0, 0, 0x80]).ue(), None);
        assert_eq!(BitReader::new(&[0; 16]).ue(), None);
        // 31 leading zeros and an all-ones suffix: the largest value.
        let mut max = vec![0, 0, 0, 1];
        max.extend_from_slice(&[0xff; 4]);
        assert_eq!(BitReader::new(&max).ue(), Some(u32::MAX - 1));
    }

    #[test]
    fn decodes_uvlc() {
        assert_eq!(BitReader::new(&[0b1000_0000]).uvlc(), Some(0));
        assert_eq!(BitReader::new(&[0b0011_0000]).uvlc(), Some(5));
        let mut long = vec![0u8; 5];
        long.push(0x80);
        assert_eq!(BitReader::new(&long).uvlc(), Some(u32::MAX));
        assert_eq!(BitReader::new(&[0; 3]).uvlc(), None);
    }

    #[test]
    fn byte_order_helpers_check_bounds() {
        let d = [1, 2, 3, 4];
        assert_eq!(be16(&d, 2), Some(0x0304));
        assert_eq!(be16(&d, 3), None);
        assert_eq!(be24(&d, 1), Some(0x02_0304));
        assert_eq!(le16(&d, 0), Some(0x0201));
        assert_eq!(le32(&d, 0), Some(0x0403_0201));
        assert_eq!(le32(&d, 1), None);
        assert_eq!(be16(&d, usize::MAX), None);
    }

    #[test]
    fn removes_emulation_prevention_bytes() {
        assert_eq!(
            unescape_rbsp(&[0x00, 0x00, 0x03, 0x01, 0x00, 0x00, 0x03, 0x00, 0x00, 0x03]),
            vec![0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00]
        );
        // A 03 after a single zero is data.
        assert_eq!(unescape_rbsp(&[0x00, 0x03, 0x00]), vec![0x00, 0x03, 0x00]);
        // 00 00 03 03: only the first 03 is removed.
        assert_eq!(
            unescape_rbsp(&[0x00, 0x00, 0x03, 0x03]),
            vec![0x00, 0x00, 0x03]
        );
        assert!(unescape_rbsp(&[]).is_empty());
        assert_eq!(unescape_rbsp(&vec![7u8; 70_000]).len(), MAX_RBSP_BYTES);
    }
}
