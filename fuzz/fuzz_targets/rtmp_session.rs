//! Fuzz target: arbitrary bytes as what an RTMP client sends, into
//! `rtmp::ServerSession`, once whole and once in arbitrary splits, with a
//! server that answers every publish and play (at once, one feed later,
//! or with a refusal) and pumps a player after every feed.
//!
//! Input: byte 0 seeds the splits and the answers. Its bit 0 set means
//! the target sends a valid handshake (C0+C1+C2) itself (bit 1: the
//! digest variant), so the rest of the input is chunks from the first
//! byte. Bit 2 set: requests are answered after the feed that raised
//! them (accept or refuse); when and whether an answer comes changes
//! what follows (a request deleted before its answer is cancelled), so
//! then the two runs are not compared. Beyond "no panic":
//! - without answers, both runs end with the same error (or none) and
//!   the same events;
//! - with answers, no answer is refused but as stale or closed, and an
//!   RTMP player of the stream pumps what the publisher pushed;
//! - everything the server wrote decodes as a valid chunk stream.
#![no_main]

use libfuzzer_sys::fuzz_target;
use livehub::rtmp::chunk::{Decoder, Limits};
use livehub::rtmp::handshake::{self, HANDSHAKE_SIZE};
use livehub::rtmp::{Event, Reject, RtmpConfig, RtmpError, ServerSession};
use livehub::{Config, Hub, PlayOptions};

/// xorshift64*: deterministic choices from the input's first byte.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n.max(1)
    }
}

struct Outcome {
    error: Option<RtmpError>,
    events: Vec<String>,
    tags: Vec<(u8, Vec<u8>)>,
}

/// Reads the server's output back as a client would (handshake first).
struct Reader {
    skip: usize,
    dec: Decoder,
}

impl Reader {
    fn new() -> Reader {
        Reader {
            skip: 1 + 2 * HANDSHAKE_SIZE,
            dec: Decoder::new(Limits::default()),
        }
    }

    fn read(&mut self, mut b: &[u8]) {
        let n = self.skip.min(b.len());
        self.skip -= n;
        b = &b[n..];
        while let Some(m) = self.dec.next(&mut b).expect("the server's output is a valid chunk stream") {
            if m.type_id == 1 {
                let v = u32::from_be_bytes([m.payload[0], m.payload[1], m.payload[2], m.payload[3]]);
                self.dec.set_chunk_size(v).expect("a valid chunk size");
            }
        }
    }
}

fn run(input: &[u8], seed: u64, split: bool, answer: bool) -> Outcome {
    let hub = Hub::new(Config::default());
    let watched = hub.stream("live/fuzz").unwrap();
    let mut watcher = watched.play(PlayOptions::default()).unwrap();
    let mut s = ServerSession::new(RtmpConfig {
        max_queued_tags: 8,
        limits: Limits {
            max_message_size: 1 << 16,
            max_chunk_streams: 8,
            max_buffered: 1 << 17,
        },
        ..RtmpConfig::default()
    });
    let mut rng = Rng(seed | 1);
    let mut answers = Rng(seed ^ 0x9e37_79b9_7f4a_7c15);
    let mut reader = Reader::new();
    let mut events = Vec::new();
    let mut error = None;
    let mut rest = input;
    while !rest.is_empty() && error.is_none() {
        let n = if split { 1 + rng.below(rest.len().min(300)) } else { rest.len() };
        if let Err(e) = s.feed(&rest[..n]) {
            error = Some(e);
        }
        rest = &rest[n..];
        let mut due = Vec::new();
        while let Some(ev) = s.next_event() {
            events.push(format!("{ev:?}"));
            due.push(ev);
        }
        for ev in due.into_iter().filter(|_| answer) {
            let choice = answers.below(4);
            let r = match &ev {
                Event::Publish(req) if choice == 0 => s.reject(req.id, Reject::Denied),
                Event::Publish(req) => match hub.stream("live/fuzz").and_then(|st| st.publish()) {
                    Ok(p) => s.accept_publish(req.id, p),
                    Err(_) => s.reject(req.id, Reject::Busy),
                },
                Event::Play(req) if choice == 0 => s.reject(req.id, Reject::NotFound),
                Event::Play(req) => match hub.stream("live/fuzz").and_then(|st| st.play(PlayOptions::default())) {
                    Ok(p) => s.accept_play(req.id, p),
                    Err(_) => s.reject(req.id, Reject::NotFound),
                },
                _ => Ok(()),
            };
            assert!(matches!(r, Ok(()) | Err(RtmpError::Stale) | Err(RtmpError::Closed)), "{r:?}");
        }
        if error.is_none() {
            s.pump().unwrap();
        }
        // Write it all out, in random amounts.
        while s.pending_output() > 0 {
            let mut buf = Vec::new();
            s.output(1 + rng.below(16), |x| buf.extend_from_slice(x));
            let n = if split { 1 + rng.below(buf.len()) } else { buf.len() };
            reader.read(&buf[..n]);
            assert_eq!(s.consume(n), n);
        }
    }
    let mut tags = Vec::new();
    while let Ok(t) = watcher.read() {
        tags.push((t.tag_type, t.data.to_vec()));
    }
    Outcome { error, events, tags }
}

fuzz_target!(|data: &[u8]| {
    let Some((&ctl, body)) = data.split_first() else { return };
    let mut input = Vec::with_capacity(body.len() + 2 * HANDSHAKE_SIZE + 1);
    if ctl & 1 == 1 {
        input.extend(handshake::client_c0c1(ctl & 2 == 2, 7));
        input.extend(std::iter::repeat(0).take(HANDSHAKE_SIZE));
    }
    input.extend_from_slice(body);
    let seed = u64::from(ctl) * 0x0101_0101_0101_0101;
    if ctl & 4 == 4 {
        run(&input, seed, true, true);
        return;
    }
    let whole = run(&input, seed, false, false);
    let split = run(&input, seed, true, false);
    assert_eq!(whole.error, split.error);
    assert_eq!(whole.events, split.events);
    assert!(whole.tags.is_empty() && split.tags.is_empty());
});
