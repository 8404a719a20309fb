//! Fuzz target: arbitrary bytes, in arbitrary chunkings, into
//! `flv::Demuxer` and into `Publisher::push_flv` with players attached that
//! read everything with `read`, `read_batch`, `read_flv` and `read_iov`.
//!
//! Input: byte 0 seeds the chunking and the read sizes, byte 1 picks
//! `max_tag_size`, the rest is the FLV byte stream. Beyond "no panic":
//! - any chunking gives the demuxer the same tags and counters, and it never
//!   buffers more than one tag (plus its header and PreviousTagSize);
//! - the players' byte streams are identical, demux cleanly, and carry the
//!   very tags `read` hands out; `read_batch` hands out the same tags.
#![no_main]

use libfuzzer_sys::fuzz_target;
use livehub::{flv, Config, Error, Hub, Player};

/// xorshift64*: deterministic sizes from the input's first byte.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n.max(1)
    }

    /// A chunk length: often tiny, sometimes large, sometimes empty.
    fn chunk(&mut self) -> usize {
        match self.below(8) {
            0 => 0,
            1..=3 => 1 + self.below(4),
            4..=6 => 1 + self.below(64),
            _ => 1 + self.below(5_000),
        }
    }
}

type Tags = Vec<(u8, u32, Vec<u8>)>;

/// Demuxes `bytes` in the chunks `cut` chooses: tags, counters, and whether
/// any feed failed.
fn demux(
    bytes: &[u8],
    max: u32,
    mut cut: impl FnMut() -> usize,
) -> (Tags, [u64; 4], Option<flv::FlvError>, bool) {
    let mut d = flv::Demuxer::new(max);
    let mut tags = Vec::new();
    let mut any_error = false;
    let mut rest = bytes;
    while !rest.is_empty() {
        let n = cut().min(rest.len());
        let (now, later) = rest.split_at(n);
        any_error |= d
            .feed(now, |t| {
                tags.push((t.tag_type, t.timestamp, t.data.to_vec()))
            })
            .is_err();
        assert!(
            d.buffered() <= max as usize + 19,
            "buffered {} over one tag",
            d.buffered()
        );
        rest = later;
    }
    let counters = [
        d.tags_skipped(),
        d.prev_tag_size_mismatches(),
        d.resyncs(),
        d.bytes_discarded(),
    ];
    (tags, counters, d.failed(), any_error)
}

/// Everything `read` hands out now.
fn read_all(p: &mut Player, out: &mut Tags) {
    loop {
        match p.read() {
            Ok(t) => out.push((t.tag_type, t.timestamp, t.data.to_vec())),
            Err(e) => {
                assert_eq!(e, Error::Again);
                return;
            }
        }
    }
}

/// Everything `read_batch` hands out now, in batches of random size.
fn read_batch_all(p: &mut Player, rng: &mut Rng, out: &mut Tags) {
    loop {
        let max = 1 + rng.below(70);
        let before = out.len();
        match p.read_batch(max, |t| out.push((t.tag_type, t.timestamp, t.data.to_vec()))) {
            Ok(n) => assert!(n == out.len() - before && n <= max),
            Err(e) => {
                assert_eq!(e, Error::Again);
                return;
            }
        }
    }
}

fn read_flv_all(p: &mut Player, rng: &mut Rng, out: &mut Vec<u8>) {
    let mut buf = vec![0u8; 1 + rng.below(3_000)];
    loop {
        match p.read_flv(&mut buf) {
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) => {
                assert_eq!(e, Error::Again);
                return;
            }
        }
    }
}

fn read_iov_all(p: &mut Player, rng: &mut Rng, out: &mut Vec<u8>) {
    let max = 3 + rng.below(40);
    loop {
        let mut slices = 0;
        match p.read_iov(max, |s| {
            slices += 1;
            out.extend_from_slice(s);
        }) {
            Ok(n) => assert!(n == slices && n <= max),
            Err(e) => {
                assert_eq!(e, Error::Again);
                return;
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let [seed, knobs, bytes @ ..] = data else {
        return;
    };
    let max = [64, 1_000, 65_536, flv::MAX_DATA_SIZE][usize::from(knobs & 3)];

    // The demuxer alone: one feed against two chunkings.
    let whole = demux(bytes, max, || usize::MAX);
    let mut rng = Rng(u64::from(*seed) << 32 | 0x9E37_79B9);
    let chunked = demux(bytes, max, || rng.chunk());
    assert!(chunked.0 == whole.0, "tags depend on the chunking");
    assert_eq!(chunked.1, whole.1, "counters depend on the chunking");
    assert_eq!(chunked.2, whole.2);
    assert_eq!(chunked.3, whole.3);

    // Through a publisher, with players attached before it starts. No lag
    // limit, so all players make the same decisions whenever they read.
    let cfg = Config {
        max_tag_size: max,
        max_lag_ms: u32::MAX,
        ..Default::default()
    };
    let hub = Hub::new(cfg);
    let stream = hub.stream("fuzz/demux").unwrap();
    let mut by_read = stream.play(Default::default()).unwrap();
    let mut by_flv = stream.play(Default::default()).unwrap();
    let mut by_iov = stream.play(Default::default()).unwrap();
    let mut by_batch = stream.play(Default::default()).unwrap();
    let mut publisher = stream.publish().unwrap();
    let (mut tags, mut flv_out, mut iov_out) = (Vec::new(), Vec::new(), Vec::new());
    let mut batch_tags = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let n = rng.chunk().min(rest.len());
        let (now, later) = rest.split_at(n);
        let _ = publisher.push_flv(now);
        rest = later;
        read_all(&mut by_read, &mut tags);
        read_batch_all(&mut by_batch, &mut rng, &mut batch_tags);
        read_flv_all(&mut by_flv, &mut rng, &mut flv_out);
        read_iov_all(&mut by_iov, &mut rng, &mut iov_out);
    }
    drop(publisher);
    read_all(&mut by_read, &mut tags);
    read_batch_all(&mut by_batch, &mut rng, &mut batch_tags);
    read_flv_all(&mut by_flv, &mut rng, &mut flv_out);
    read_iov_all(&mut by_iov, &mut rng, &mut iov_out);

    assert!(batch_tags == tags, "read_batch and read differ");
    assert!(flv_out == iov_out, "read_flv and read_iov differ");
    if tags.is_empty() {
        assert!(flv_out.is_empty());
        return;
    }
    let (out_tags, counters, failed, any_error) =
        demux(&flv_out, flv::MAX_DATA_SIZE, || usize::MAX);
    assert!(
        !any_error && failed.is_none() && counters == [0; 4],
        "the output is not clean FLV"
    );
    assert!(out_tags == tags, "the byte stream and read() differ");
});
