//! The RTMP handshake, server side: C0+C1 in, S0+S1+S2 out, C2 in.
//!
//! Two variants exist. The simple one (RTMP spec 1.0, what ffmpeg, librtmp
//! and OBS accept) echoes C1 as S2. Flash-era clients (Flash Player 9+,
//! FMLE, and ffmpeg too) put an HMAC-SHA256 digest in C1 at one of two
//! positions; such a client may check S1 and S2 digests in turn. When C1
//! carries a valid digest, the server answers with the digest variant;
//! otherwise (C1 version field zero, or no digest found) with the simple
//! one. C2 is read and not checked (clients disagree on what it holds).
//!
//! ```
//! use livehub::rtmp::handshake::{self, Handshake, HANDSHAKE_SIZE};
//! let c0c1 = handshake::client_c0c1(true, 7);
//! let mut hs = Handshake::new(1);
//! let mut out = Vec::new();
//! let mut input = &c0c1[..];
//! assert!(!hs.consume(&mut input, &mut out).unwrap());
//! assert_eq!(out.len(), 1 + 2 * HANDSHAKE_SIZE);
//! assert!(handshake::s2_is_valid(&c0c1[1..], &out[1 + HANDSHAKE_SIZE..]));
//! let c2 = vec![0u8; HANDSHAKE_SIZE];
//! assert!(hs.consume(&mut &c2[..], &mut out).unwrap()); // done
//! ```

use super::error::RtmpError;
use super::sha256::hmac;

/// Size of C1, C2, S1, S2.
pub const HANDSHAKE_SIZE: usize = 1536;
const DIGEST_LEN: usize = 32;

/// "Genuine Adobe Flash Player 001" followed by the 32 shared bytes: the
/// client's key (the first 30 bytes sign C1).
const FP_KEY: [u8; 62] = *b"Genuine Adobe Flash Player 001\xf0\xee\xc2\x4a\x80\x68\xbe\xe8\x2e\x00\xd0\xd1\x02\x9e\x7e\x57\x6e\xec\x5d\x2d\x29\x80\x6f\xab\x93\xb8\xe6\x36\xcf\xeb\x31\xae";
/// "Genuine Adobe Flash Media Server 001" followed by the same 32 bytes:
/// the server's key (the first 36 bytes sign S1, all 68 seed S2's key).
const FMS_KEY: [u8; 68] = *b"Genuine Adobe Flash Media Server 001\xf0\xee\xc2\x4a\x80\x68\xbe\xe8\x2e\x00\xd0\xd1\x02\x9e\x7e\x57\x6e\xec\x5d\x2d\x29\x80\x6f\xab\x93\xb8\xe6\x36\xcf\xeb\x31\xae";
/// The version S1 announces in the digest variant.
const SERVER_VERSION: [u8; 4] = [0x04, 0x05, 0x00, 0x01];

/// Where the digest of a 1536-byte handshake packet sits in scheme `base`
/// (8: the offset bytes at 8..12; 772: at 772..776).
fn digest_offset(packet: &[u8], base: usize) -> usize {
    let sum: usize = packet[base..base + 4].iter().map(|&b| usize::from(b)).sum();
    sum % 728 + base + 4
}

fn digest_at(packet: &[u8], off: usize, key: &[u8]) -> [u8; 32] {
    hmac(key, &[&packet[..off], &packet[off + DIGEST_LEN..]])
}

/// The offset of a valid digest in `c1` signed with the client key, trying
/// both schemes.
fn find_client_digest(c1: &[u8]) -> Option<usize> {
    [772, 8].into_iter().find_map(|base| {
        let off = digest_offset(c1, base);
        (digest_at(c1, off, &FP_KEY[..30])[..] == c1[off..off + DIGEST_LEN]).then_some(off)
    })
}

/// A small deterministic byte generator for the random parts (they carry
/// no security: the digests are a protocol formality).
struct Fill(u64);

impl Fill {
    fn bytes(&mut self, out: &mut [u8]) {
        for b in out {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            *b = (self.0 >> 24) as u8;
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    C0C1,
    C2,
    Done,
}

/// The server's handshake state. See the [module docs](self).
pub struct Handshake {
    phase: Phase,
    /// C0+C1 as it arrives, then (during C2) a count only.
    buf: Vec<u8>,
    c2_seen: usize,
    seed: u64,
    /// Whether the reply used the digest variant.
    digest: bool,
}

impl Handshake {
    /// A handshake whose random bytes derive from `seed`.
    pub fn new(seed: u64) -> Handshake {
        Handshake {
            phase: Phase::C0C1,
            buf: Vec::new(),
            c2_seen: 0,
            seed: seed | 1,
            digest: false,
        }
    }

    /// Whether the reply used the digest variant (known once C1 is in).
    pub fn used_digest(&self) -> bool {
        self.digest
    }

    /// Consumes handshake bytes from the front of `input` (advancing it,
    /// never past the end of C2) and appends S0+S1+S2 to `out` once C1 is
    /// complete. Returns whether the handshake is done (C2 read); bytes
    /// after C2 are left in `input`. Errors: [`RtmpError::HandshakeVersion`]
    /// when C0 is not 3 (6, RTMPE, included).
    pub fn consume(&mut self, input: &mut &[u8], out: &mut Vec<u8>) -> Result<bool, RtmpError> {
        if self.phase == Phase::C0C1 {
            if let Some(&v) = input.first() {
                if self.buf.is_empty() && v != 3 {
                    return Err(RtmpError::HandshakeVersion);
                }
            }
            let want = 1 + HANDSHAKE_SIZE - self.buf.len();
            let n = want.min(input.len());
            self.buf.extend_from_slice(&input[..n]);
            *input = &input[n..];
            if self.buf.len() < 1 + HANDSHAKE_SIZE {
                return Ok(false);
            }
            self.reply(out);
            self.buf = Vec::new();
            self.phase = Phase::C2;
        }
        if self.phase == Phase::C2 {
            let n = (HANDSHAKE_SIZE - self.c2_seen).min(input.len());
            self.c2_seen += n;
            *input = &input[n..];
            if self.c2_seen < HANDSHAKE_SIZE {
                return Ok(false);
            }
            self.phase = Phase::Done;
        }
        Ok(true)
    }

    fn reply(&mut self, out: &mut Vec<u8>) {
        let c1 = &self.buf[1..];
        let mut fill = Fill(self.seed);
        out.push(3);
        let start = out.len();
        out.resize(start + 2 * HANDSHAKE_SIZE, 0);
        let (s1, s2) = out[start..].split_at_mut(HANDSHAKE_SIZE);
        let client_digest = if c1[4..8] != [0; 4] {
            find_client_digest(c1)
        } else {
            None
        };
        match client_digest {
            None => {
                // Simple: S1 = zero time, zero version, random; S2 = C1.
                fill.bytes(&mut s1[8..]);
                s2.copy_from_slice(c1);
            }
            Some(off) => {
                self.digest = true;
                s1[4..8].copy_from_slice(&SERVER_VERSION);
                fill.bytes(&mut s1[8..]);
                let base = if off >= 776 { 772 } else { 8 };
                let s1_off = digest_offset(s1, base);
                let d = digest_at(s1, s1_off, &FMS_KEY[..36]);
                s1[s1_off..s1_off + DIGEST_LEN].copy_from_slice(&d);
                fill.bytes(&mut s2[..HANDSHAKE_SIZE - DIGEST_LEN]);
                let key = hmac(&FMS_KEY, &[&c1[off..off + DIGEST_LEN]]);
                let sig = hmac(&key, &[&s2[..HANDSHAKE_SIZE - DIGEST_LEN]]);
                s2[HANDSHAKE_SIZE - DIGEST_LEN..].copy_from_slice(&sig);
            }
        }
    }
}

/// A client's C0+C1 (for tests and tools): the digest variant (version
/// 9.0.124.2, scheme 0, as ffmpeg sends) or the simple one.
pub fn client_c0c1(digest: bool, seed: u64) -> Vec<u8> {
    let mut p = vec![0u8; 1 + HANDSHAKE_SIZE];
    p[0] = 3;
    let c1 = &mut p[1..];
    Fill(seed | 1).bytes(&mut c1[8..]);
    if digest {
        c1[4..8].copy_from_slice(&[9, 0, 124, 2]);
        let off = digest_offset(c1, 8);
        let d = digest_at(c1, off, &FP_KEY[..30]);
        c1[off..off + DIGEST_LEN].copy_from_slice(&d);
    }
    p
}

/// Whether `s2` is a valid answer to `c1`: its echo (simple variant), or,
/// when `c1` has a digest, signed with the key derived from it.
pub fn s2_is_valid(c1: &[u8], s2: &[u8]) -> bool {
    if c1.len() != HANDSHAKE_SIZE || s2.len() != HANDSHAKE_SIZE {
        return false;
    }
    match find_client_digest(c1).filter(|_| c1[4..8] != [0; 4]) {
        None => c1 == s2,
        Some(off) => {
            let key = hmac(&FMS_KEY, &[&c1[off..off + DIGEST_LEN]]);
            let sig = hmac(&key, &[&s2[..HANDSHAKE_SIZE - DIGEST_LEN]]);
            sig[..] == s2[HANDSHAKE_SIZE - DIGEST_LEN..]
        }
    }
}

/// Whether `s1` carries a valid server digest (digest variant).
pub fn s1_is_valid(s1: &[u8]) -> bool {
    s1.len() == HANDSHAKE_SIZE
        && [772, 8].into_iter().any(|base| {
            let off = digest_offset(s1, base);
            digest_at(s1, off, &FMS_KEY[..36])[..] == s1[off..off + DIGEST_LEN]
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_variants_any_split() {
        for digest in [false, true] {
            let c0c1 = client_c0c1(digest, 99);
            for split in [1, 2, 700, 1536, 1537] {
                let mut hs = Handshake::new(5);
                let mut out = Vec::new();
                let mut a = &c0c1[..split];
                assert!(!hs.consume(&mut a, &mut out).unwrap());
                assert!(a.is_empty());
                let mut b = &c0c1[split..];
                assert!(!hs.consume(&mut b, &mut out).unwrap());
                assert_eq!(out.len(), 3073);
                assert_eq!(hs.used_digest(), digest);
                assert_eq!(s1_is_valid(&out[1..1537]), digest);
                assert!(s2_is_valid(&c0c1[1..], &out[1537..]));
                let mut c2 = vec![0u8; 1536 + 5];
                c2[1536..].copy_from_slice(b"after");
                let mut c = &c2[..];
                assert!(hs.consume(&mut c, &mut out).unwrap());
                assert_eq!(c, b"after");
            }
        }
    }

    #[test]
    fn wrong_version() {
        let mut hs = Handshake::new(5);
        let mut out = Vec::new();
        for v in [0u8, 6, 0x16, 0xff] {
            assert_eq!(
                hs.consume(&mut &[v, 0][..], &mut out),
                Err(RtmpError::HandshakeVersion)
            );
        }
    }

    #[test]
    fn a_corrupt_digest_gets_the_simple_answer() {
        let mut c0c1 = client_c0c1(true, 3);
        let off = digest_offset(&c0c1[1..], 8);
        c0c1[1 + off] ^= 1;
        let mut hs = Handshake::new(5);
        let mut out = Vec::new();
        hs.consume(&mut &c0c1[..], &mut out).unwrap();
        assert!(!hs.used_digest());
        assert_eq!(&out[1537..], &c0c1[1..]);
    }
}
