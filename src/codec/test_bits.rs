//! Test support: a bit writer for building codec headers by hand.

/// Writes bits most significant first, as the codec headers are laid out.
#[derive(Debug, Default)]
pub(crate) struct BitWriter {
    bytes: Vec<u8>,
    used: u8,
}

impl BitWriter {
    /// Appends one bit.
    pub(crate) fn bit(&mut self, value: bool) {
        if self.used == 0 {
            self.bytes.push(0);
        }
        if value {
            let last = self.bytes.last_mut().expect("a byte was pushed");
            *last |= 0x80 >> self.used;
        }
        self.used = (self.used + 1) % 8;
    }

    /// Appends the low `n` bits of `value`.
    pub(crate) fn bits(&mut self, n: u32, value: u32) {
        for i in (0..n).rev() {
            self.bit((value >> i) & 1 == 1);
        }
    }

    /// Appends an unsigned Exp-Golomb code.
    pub(crate) fn ue(&mut self, value: u32) {
        let coded = u64::from(value) + 1;
        let len = 64 - coded.leading_zeros();
        for _ in 1..len {
            self.bit(false);
        }
        for i in (0..len).rev() {
            self.bit((coded >> i) & 1 == 1);
        }
    }

    /// Appends a signed Exp-Golomb code.
    pub(crate) fn se(&mut self, value: i32) {
        let mapped = if value > 0 {
            (value as u32) * 2 - 1
        } else {
            value.unsigned_abs() * 2
        };
        self.ue(mapped);
    }

    /// The bytes written, zero-padded to a whole byte.
    pub(crate) fn finish(self) -> Vec<u8> {
        self.bytes
    }

    /// The bytes with RBSP trailing bits (a one bit, then zero padding).
    pub(crate) fn finish_rbsp(mut self) -> Vec<u8> {
        self.bit(true);
        self.bytes
    }

    /// The RBSP bytes with emulation prevention applied, as in a NAL unit.
    pub(crate) fn finish_escaped(self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut zeros = 0;
        for byte in self.finish_rbsp() {
            if zeros >= 2 && byte <= 3 {
                out.push(3);
                zeros = 0;
            }
            zeros = if byte == 0 { zeros + 1 } else { 0 };
            out.push(byte);
        }
        out
    }
}
