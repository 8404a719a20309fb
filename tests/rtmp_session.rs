//! The RTMP server session end to end, without sockets: recorded client
//! byte streams (ffmpeg publishing and playing, rtmpdump playing) fed in
//! random splits, sessions talking to the test client, asynchronous
//! answers in every order, and bad input.

mod common;

use common::{aac, aac_sh, avc_sh, inter, keyframe, set_data_frame_metadata, AUDIO, SCRIPT, VIDEO};
use livehub::flv::Demuxer;
use livehub::rtmp::amf0::{self, Value};
use livehub::rtmp::chunk::{self, Limits};
use livehub::rtmp::client::{drain, TestClient};
use livehub::rtmp::{Event, Pump, Reject, Request, RtmpConfig, RtmpError, ServerSession};
use livehub::{Config, Hub, ManualClock, PlayOptions, TimestampMode};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::sync::Arc;

const FFMPEG_PUBLISH: &[u8] = include_bytes!("data/rtmp/ffmpeg_publish.bin");
const FFMPEG_PLAY: &[u8] = include_bytes!("data/rtmp/ffmpeg_play.bin");
const RTMPDUMP_PLAY: &[u8] = include_bytes!("data/rtmp/rtmpdump_play.bin");

fn session() -> ServerSession {
    ServerSession::new(RtmpConfig::default())
}

/// Feeds `bytes` in random pieces (1 byte to 2 KiB); stops at an error.
fn feed_split(s: &mut ServerSession, bytes: &[u8], rng: &mut SmallRng) -> Result<(), RtmpError> {
    let mut rest = bytes;
    while !rest.is_empty() {
        let n = rng.gen_range(1..=rest.len().min(2048));
        s.feed(&rest[..n])?;
        rest = &rest[n..];
    }
    Ok(())
}

/// Writes the session's output in random amounts and returns it all.
fn drain_split(s: &mut ServerSession, rng: &mut SmallRng) -> Vec<u8> {
    let mut out = Vec::new();
    while s.pending_output() > 0 {
        let mut buf = Vec::new();
        s.output(rng.gen_range(1..8), |x| buf.extend_from_slice(x));
        let n = rng.gen_range(1..=buf.len());
        out.extend_from_slice(&buf[..n]);
        assert_eq!(s.consume(n), n);
    }
    out
}

fn events(s: &mut ServerSession) -> Vec<Event> {
    std::iter::from_fn(|| s.next_event()).collect()
}

fn request(s: &mut ServerSession) -> Request {
    for ev in events(s) {
        if let Event::Publish(r) | Event::Play(r) = ev {
            return r;
        }
    }
    panic!("no request");
}

fn av_tags() -> Vec<(u8, u32, bytes::Bytes)> {
    let mut tags = Vec::new();
    Demuxer::new(0xFF_FFFF)
        .feed(include_bytes!("data/av.flv"), |t| {
            tags.push((t.tag_type, t.timestamp, t.data))
        })
        .unwrap();
    tags
}

/// ffmpeg's own publish of tests/data/av.flv (`-c copy`, 3 s), recorded:
/// in any split, the stream gets exactly the file's audio and video tags.
#[test]
fn recorded_ffmpeg_publish_in_random_splits() {
    let file: Vec<_> = av_tags().into_iter().filter(|t| t.0 != SCRIPT).collect();
    let mut reference: Option<Vec<(u8, u32, Vec<u8>)>> = None;
    for seed in 0..40 {
        let mut rng = SmallRng::seed_from_u64(seed);
        let hub = Hub::new(Config::default());
        let stream = hub.stream("live/rec").unwrap();
        let mut player = stream.play(PlayOptions::default()).unwrap();
        // The answer comes 0 to 3 feeds after the request: what came
        // before it is kept and delivered, so every seed gives the same
        // tags.
        let mut s = session();
        let mut pending = None;
        let mut delay = rng.gen_range(0..=3);
        let mut rest = FFMPEG_PUBLISH;
        while !rest.is_empty() {
            let n = rng.gen_range(1..=rest.len().min(4096));
            s.feed(&rest[..n]).unwrap();
            rest = &rest[n..];
            if let Some(Event::Publish(r)) = events(&mut s)
                .into_iter()
                .find(|e| matches!(e, Event::Publish(_)))
            {
                assert_eq!(
                    (r.app.as_str(), r.key.as_str(), r.publish_type.as_str()),
                    ("live", "live/rec", "live")
                );
                pending = Some(r.id);
            }
            if pending.is_some() {
                if delay == 0 {
                    s.accept_publish(pending.take().unwrap(), stream.publish().unwrap())
                        .unwrap();
                }
                delay -= 1;
            }
        }
        assert!(pending.is_none());
        // The recording ends with ffmpeg's FCUnpublish and deleteStream.
        assert!(!s.is_publishing());
        let mut got = Vec::new();
        while let Ok(t) = player.read() {
            got.push((t.tag_type, t.timestamp, t.data.to_vec()));
        }
        let mut media: Vec<_> = got.iter().filter(|t| t.0 != SCRIPT).collect();
        // ffmpeg ends its stream with an AVC end-of-sequence tag.
        assert_eq!(media.pop().map(|t| &t.2[..2]), Some(&[0x17, 0x02][..]));
        assert!(media.len() > 100, "{}", media.len());
        assert!(got.iter().any(|t| t.0 == SCRIPT), "onMetaData arrived");
        for (g, f) in media.iter().zip(&file) {
            assert_eq!((g.0, &g.2[..]), (f.0, &f.2[..]));
        }
        assert_eq!(s.stats().media_dropped, 0);
        assert_eq!(s.error(), None);
        match &reference {
            None => reference = Some(got),
            Some(r) => assert_eq!(r, &got, "seed {seed}"),
        }
    }
}

/// ffmpeg and rtmpdump playing, recorded: a play request with the key
/// and no error, in any split.
#[test]
fn recorded_players_in_random_splits() {
    for (bytes, key) in [(FFMPEG_PLAY, "live/rec2"), (RTMPDUMP_PLAY, "live/rec3")] {
        for seed in 0..40 {
            let mut rng = SmallRng::seed_from_u64(seed);
            let mut s = session();
            feed_split(&mut s, bytes, &mut rng).unwrap();
            let req = events(&mut s)
                .into_iter()
                .find_map(|e| match e {
                    Event::Play(r) => Some(r),
                    _ => None,
                })
                .expect("a play request");
            assert_eq!(req.key, key);
            assert_eq!(s.error(), None);
        }
    }
}

struct Publishing {
    s: ServerSession,
    c: TestClient,
}

fn connect(app: &str) -> (ServerSession, TestClient) {
    let mut s = session();
    let mut c = TestClient::new();
    s.feed(&c.hello()).unwrap();
    c.receive(&drain(&mut s));
    assert_eq!(c.handshake_ok(), Some(true));
    s.feed(&c.connect(app)).unwrap();
    s.feed(&c.create_stream()).unwrap();
    c.receive(&drain(&mut s));
    (s, c)
}

fn start_publish(hub: &Hub, name: &str) -> Publishing {
    let (mut s, mut c) = connect("live");
    s.feed(&c.publish(1, name)).unwrap();
    let req = request(&mut s);
    let p = hub.stream(&req.key).unwrap().publish().unwrap();
    s.accept_publish(req.id, p).unwrap();
    c.receive(&drain(&mut s));
    assert!(c.statuses().contains(&"NetStream.Publish.Start".into()));
    Publishing { s, c }
}

impl Publishing {
    fn send(&mut self, type_id: u8, ts: u32, body: &[u8]) {
        let b = self.c.media_message(1, type_id, ts, body);
        self.s.feed(&b).unwrap();
    }
    fn gop(&mut self, ts: u32, frames: u32) {
        self.send(VIDEO, ts, &keyframe(ts));
        self.send(AUDIO, ts, &aac(ts));
        for i in 1..frames {
            self.send(VIDEO, ts + i * 40, &inter(ts + i));
            self.send(AUDIO, ts + i * 40, &aac(ts + i));
        }
    }
}

fn start_play(hub: &Hub, name: &str, opts: PlayOptions) -> (ServerSession, TestClient) {
    let (mut s, mut c) = connect("live");
    s.feed(&c.play(1, name)).unwrap();
    let req = request(&mut s);
    let p = hub.stream(&req.key).unwrap().play(opts).unwrap();
    s.accept_play(req.id, p).unwrap();
    (s, c)
}

/// Publish through one session, play through two with different write
/// patterns: both get the published tags in order, and their output
/// slices point at the same body memory (no copy per player).
#[test]
fn publish_to_players_zero_copy() {
    let hub = Hub::new(Config::default());
    let mut p = start_publish(&hub, "cam1");
    p.send(SCRIPT, 0, &set_data_frame_metadata());
    p.send(VIDEO, 0, &avc_sh(1));
    p.send(AUDIO, 0, &aac_sh());
    let big = {
        let mut k = keyframe(0);
        k.resize(20_000, 0x55);
        k
    };
    p.send(VIDEO, 0, &big);
    let (mut a, mut ca) = start_play(&hub, "cam1", PlayOptions::default());
    let (mut b, mut cb) = start_play(&hub, "cam1", PlayOptions::default());
    assert_eq!(a.pump().unwrap(), Pump::Waiting);
    assert_eq!(b.pump().unwrap(), Pump::Waiting);
    // The 20 kB keyframe body: find its first chunk in both outputs.
    let ptr = |s: &ServerSession| {
        let mut found = None;
        s.output(1000, |x| {
            if x.len() == 4096 && x[0] == 0x17 {
                found = Some(x.as_ptr());
            }
        });
        found.expect("keyframe chunk")
    };
    assert_eq!(ptr(&a), ptr(&b), "the same shared body");
    p.gop(40, 25);
    let mut rng = SmallRng::seed_from_u64(7);
    // Pump and write until both players wait at the live edge (the
    // output queue holds at most max_queued_tags frames at a time).
    for _ in 0..100 {
        let (ra, rb) = (a.pump().unwrap(), b.pump().unwrap());
        ca.receive(&drain_split(&mut a, &mut rng));
        cb.receive(&drain(&mut b));
        if ra == Pump::Waiting && rb == Pump::Waiting {
            break;
        }
    }
    let ma: Vec<_> = ca
        .media()
        .iter()
        .map(|m| (m.type_id, m.timestamp, m.payload.clone()))
        .collect();
    let mb: Vec<_> = cb
        .media()
        .iter()
        .map(|m| (m.type_id, m.timestamp, m.payload.clone()))
        .collect();
    assert_eq!(ma, mb);
    // |RtmpSampleAccess, onMetaData (without @setDataFrame), the sequence
    // headers, the keyframe, then 25 video + 25 audio frames.
    assert_eq!(ma.len(), 1 + 1 + 2 + 1 + 50);
    assert_eq!(
        amf0::decode_first(&ma[0].2).unwrap().as_str(),
        Some("|RtmpSampleAccess")
    );
    assert_eq!(
        amf0::decode_first(&ma[1].2).unwrap().as_str(),
        Some("onMetaData")
    );
    assert_eq!(ma[4].2.len(), 20_000);
    assert!(
        ma.windows(2).all(|w| w[0].1 <= w[1].1),
        "monotonic timestamps"
    );
    assert_eq!(
        ca.statuses(),
        [
            "NetConnection.Connect.Success",
            "NetStream.Play.Reset",
            "NetStream.Play.Start"
        ]
    );
}

/// Timestamps past 24 bits go out with extended timestamps, chunked.
#[test]
fn extended_timestamps_both_ways() {
    let hub = Hub::new(Config::default());
    let mut p = start_publish(&hub, "ext");
    let t0 = 0x0100_0000;
    p.send(VIDEO, t0, &avc_sh(1));
    let mut k = keyframe(1);
    k.resize(10_000, 1);
    p.send(VIDEO, t0 + 40, &k);
    let opts = PlayOptions {
        timestamps: TimestampMode::Absolute,
        ..PlayOptions::default()
    };
    let (mut s, mut c) = start_play(&hub, "ext", opts);
    p.send(VIDEO, t0 + 80, &inter(2));
    s.pump().unwrap();
    c.receive(&drain(&mut s));
    let ts: Vec<_> = c
        .media()
        .iter()
        .filter(|m| m.type_id == VIDEO)
        .map(|m| (m.timestamp, m.payload.len()))
        .collect();
    assert_eq!(ts[1..], [(t0 + 40, 10_000), (t0 + 80, inter(2).len())]);
}

/// The chunk layer at any chunk size, with interleaved chunk streams and
/// an Abort in the middle.
#[test]
fn chunk_sizes_interleaving_and_abort() {
    for size in [1u32, 7, 128, 4096, 65536, 0x7FFF_FFFF] {
        let hub = Hub::new(Config::default());
        let mut p = start_publish(&hub, "cs");
        let mut player = hub
            .find("live/cs")
            .unwrap()
            .play(PlayOptions::default())
            .unwrap();
        let b = p.c.set_chunk_size(size);
        p.s.feed(&b).unwrap();
        p.send(VIDEO, 0, &avc_sh(1));
        // A video and an audio message, chunk by chunk in turn.
        let v = {
            let mut k = keyframe(9);
            k.resize(300, 9);
            k
        };
        let a = {
            let mut x = aac(3);
            x.resize(200, 3);
            x
        };
        let cs = size.min(100) as usize;
        let b = p.c.set_chunk_size(cs as u32);
        p.s.feed(&b).unwrap();
        let mut vw = Vec::new();
        chunk::write_message(&mut vw, 7, 40, VIDEO, 1, &v, cs);
        let mut aw = Vec::new();
        chunk::write_message(&mut aw, 6, 40, AUDIO, 1, &a, cs);
        let split = |w: &[u8], hdr: usize| -> Vec<Vec<u8>> {
            let mut out = vec![w[..hdr + cs.min(w.len() - hdr)].to_vec()];
            let mut rest = &w[hdr + cs.min(w.len() - hdr)..];
            while !rest.is_empty() {
                let n = (1 + cs).min(rest.len());
                out.push(rest[..n].to_vec());
                rest = &rest[n..];
            }
            out
        };
        let (vc, ac) = (split(&vw, 12), split(&aw, 12));
        for i in 0..vc.len().max(ac.len()) {
            for part in [vc.get(i), ac.get(i)].into_iter().flatten() {
                p.s.feed(part).unwrap();
            }
        }
        // A partial message on chunk stream 8, aborted, then a whole one.
        let mut partial = Vec::new();
        chunk::write_type0_header(&mut partial, 8, 80, VIDEO, 1, 150);
        partial.extend(std::iter::repeat(0x27).take(cs)); // one whole chunk of 150 bytes
        p.s.feed(&partial).unwrap();
        let b = p.c.message(2, 0, 2, 0, &8u32.to_be_bytes());
        p.s.feed(&b).unwrap();
        p.send(VIDEO, 80, &inter(5));
        let mut got = Vec::new();
        while let Ok(t) = player.read() {
            got.push((t.tag_type, t.data.len()));
        }
        // The audio message's last chunk comes first: it is complete first.
        assert_eq!(
            got,
            [
                (VIDEO, avc_sh(1).len()),
                (AUDIO, 200),
                (VIDEO, 300),
                (VIDEO, inter(5).len())
            ],
            "size {size}"
        );
        assert_eq!(p.s.error(), None);
    }
}

/// Window Ack Size from the client makes the server acknowledge; a ping
/// gets its pong.
#[test]
fn acknowledgements_and_ping() {
    let (mut s, mut c) = connect("live");
    let b = c.message(2, 0, 5, 0, &1000u32.to_be_bytes());
    s.feed(&b).unwrap();
    let b = c.message(2, 0, 4, 0, &[0, 6, 0, 0, 0x12, 0x34]);
    s.feed(&b).unwrap();
    let b = c.media_message(1, AUDIO, 0, &[0xAF; 1200]);
    s.feed(&b).unwrap();
    c.receive(&drain(&mut s));
    let pong = c.messages.iter().find(|m| m.type_id == 4).unwrap();
    assert_eq!(&pong.payload[..], &[0, 7, 0, 0, 0x12, 0x34]);
    let ack = c
        .messages
        .iter()
        .rev()
        .find(|m| m.type_id == 3)
        .expect("an acknowledgement");
    let n = u32::from_be_bytes(ack.payload[..4].try_into().unwrap());
    assert_eq!(u64::from(n), s.stats().bytes_in);
    // Not publishing: that audio was dropped, and counted.
    assert_eq!(s.stats().media_dropped, 1);
}

/// A second publisher gets BadName; an unknown stream gets
/// StreamNotFound; both sessions carry on.
#[test]
fn busy_and_not_found() {
    let hub = Hub::new(Config::default());
    let _p = start_publish(&hub, "busy");
    let (mut s, mut c) = connect("live");
    s.feed(&c.publish(1, "busy")).unwrap();
    let req = request(&mut s);
    let err = hub.stream(&req.key).unwrap().publish().unwrap_err();
    assert_eq!(err, livehub::Error::Busy);
    s.reject(req.id, Reject::Busy).unwrap();
    assert_eq!(s.reject(req.id, Reject::Busy), Err(RtmpError::Stale));
    s.feed(&c.play(1, "nothing")).unwrap();
    let req = request(&mut s);
    assert!(hub.find(&req.key).is_err());
    s.reject(req.id, Reject::NotFound).unwrap();
    c.receive(&drain(&mut s));
    let st = c.statuses();
    assert_eq!(
        &st[st.len() - 2..],
        ["NetStream.Publish.BadName", "NetStream.Play.StreamNotFound"]
    );
    assert_eq!(s.error(), None);
}

/// The answer comes after the client deleted the stream, after the
/// session closed, after the stream was removed: nothing dangles, the
/// refused publisher is released at once.
#[test]
fn asynchronous_answers_in_any_order() {
    let hub = Hub::new(Config::default());
    // Cancelled by deleteStream before the answer.
    let (mut s, mut c) = connect("live");
    s.feed(&c.publish(1, "late")).unwrap();
    let req = request(&mut s);
    s.feed(&c.delete_stream(1)).unwrap();
    assert_eq!(events(&mut s), [Event::Cancelled(req.id)]);
    let stream = hub.stream(&req.key).unwrap();
    assert_eq!(
        s.accept_publish(req.id, stream.publish().unwrap()),
        Err(RtmpError::Stale)
    );
    // The refused publisher was released: the stream takes a new one.
    let again = stream.publish().unwrap();
    drop(again);
    // Answered after the session closed.
    s.feed(&c.create_stream()).unwrap();
    s.feed(&c.play(2, "late")).unwrap();
    let req = request(&mut s);
    s.close();
    assert_eq!(
        s.accept_play(req.id, stream.play(PlayOptions::default()).unwrap()),
        Err(RtmpError::Closed)
    );
    assert_eq!(stream.player_count(), 0);
    // The stream is removed from the hub while the request waits: the
    // stream refuses players, the server refuses the request.
    let (mut s, mut c) = connect("live");
    s.feed(&c.play(1, "gone")).unwrap();
    let req = request(&mut s);
    let gone = hub.stream(&req.key).unwrap();
    hub.remove(&req.key).unwrap();
    assert_eq!(
        gone.play(PlayOptions::default()).err(),
        Some(livehub::Error::Closed)
    );
    s.reject(req.id, Reject::NotFound).unwrap();
    drop(gone);
    c.receive(&drain(&mut s));
    assert_eq!(
        c.statuses().last().map(String::as_str),
        Some("NetStream.Play.StreamNotFound")
    );
    // Publisher dies while a player plays: UnpublishNotify after the
    // republish wait.
    let clock = Arc::new(ManualClock::new(0));
    let hub = Hub::new(Config {
        republish_wait_ms: 1000,
        clock: clock.clone(),
        ..Config::default()
    });
    let mut p = start_publish(&hub, "dies");
    p.send(VIDEO, 0, &avc_sh(1));
    p.gop(0, 3);
    let (mut s, mut c) = start_play(&hub, "dies", PlayOptions::default());
    assert_eq!(s.pump().unwrap(), Pump::Waiting);
    drop(p);
    assert_eq!(s.pump().unwrap(), Pump::Waiting);
    clock.advance(1001);
    hub.tick();
    assert_eq!(s.pump().unwrap(), Pump::Ended);
    assert_eq!(s.pump().unwrap(), Pump::Idle);
    c.receive(&drain(&mut s));
    assert_eq!(
        c.statuses().last().map(String::as_str),
        Some("NetStream.Play.UnpublishNotify")
    );
    assert!(
        c.messages
            .iter()
            .any(|m| m.type_id == 4 && m.payload[..2] == [0, 1]),
        "StreamEOF"
    );
    assert_eq!(hub.find("live/dies").unwrap().player_count(), 0);
}

/// Query strings: on the stream name, or on the app (tcUrl style).
#[test]
fn keys_and_query_strings() {
    let (mut s, mut c) = connect("live?secret=1");
    s.feed(&c.publish(1, "cam1")).unwrap();
    let r = request(&mut s);
    assert_eq!(
        (r.key.as_str(), r.query.as_str()),
        ("live/cam1", "secret=1")
    );
    s.feed(&c.create_stream()).unwrap();
    s.feed(&c.play(2, "/cam2?token=x&y=2")).unwrap();
    let r = request(&mut s);
    assert_eq!(
        (r.key.as_str(), r.name.as_str(), r.query.as_str()),
        ("live/cam2", "cam2", "token=x&y=2")
    );
    assert_eq!((r.start, r.duration, r.reset), (-2.0, -1.0, true));
    // An empty name is refused at once, without a request.
    s.feed(&c.create_stream()).unwrap();
    s.feed(&c.publish(3, "")).unwrap();
    assert!(events(&mut s).is_empty());
    c.receive(&drain(&mut s));
    assert_eq!(
        c.statuses().last().map(String::as_str),
        Some("NetStream.Publish.BadName")
    );
}

fn expect_error(bytes: &[u8], want: RtmpError) {
    let mut s = session();
    let r = (|| {
        s.feed(bytes)?;
        Ok(())
    })();
    assert_eq!(r, Err(want));
    assert_eq!(s.error(), Some(want));
    assert_eq!(s.feed(&[0]), Err(RtmpError::Closed));
}

fn after_handshake(c: &mut TestClient) -> Vec<u8> {
    let mut s = session();
    let mut v = c.hello();
    s.feed(&v).unwrap();
    c.receive(&drain(&mut s));
    v.extend(c.message(2, 0, 1, 0, &128u32.to_be_bytes())); // C2 + a harmless chunk size
    v
}

/// Every kind of bad input gets its code and closes that session only:
/// the stream and its player carry on.
#[test]
fn bad_input_codes() {
    let hub = Hub::new(Config::default());
    let mut p = start_publish(&hub, "safe");
    p.send(VIDEO, 0, &avc_sh(1));
    p.gop(0, 2);
    let (mut good, mut gc) = start_play(&hub, "safe", PlayOptions::default());

    expect_error(&[6; 1537], RtmpError::HandshakeVersion);
    expect_error(b"GET / HTTP/1.1\r\n", RtmpError::HandshakeVersion);
    // Chunk stream 5 never had a type 0 header.
    let mut c = TestClient::new();
    let mut v = after_handshake(&mut c);
    v.push(0xC5);
    expect_error(&v, RtmpError::UnknownChunkStream);
    // A message over the limit.
    let mut c = TestClient::new();
    let mut v = after_handshake(&mut c);
    chunk::write_type0_header(&mut v, 4, 0, 9, 1, 0xFF_FFFF);
    let mut s = ServerSession::new(RtmpConfig {
        limits: Limits {
            max_message_size: 1 << 20,
            ..Limits::default()
        },
        ..RtmpConfig::default()
    });
    assert_eq!(s.feed(&v), Err(RtmpError::MessageTooLarge));
    // Too many chunk streams.
    let mut c = TestClient::new();
    let mut v = after_handshake(&mut c);
    for cs in 10..100 {
        chunk::write_message(&mut v, cs, 0, 9, 1, &[0x27; 10], 128);
    }
    expect_error(&v, RtmpError::UnknownChunkStream);
    // Chunk size 0.
    let mut c = TestClient::new();
    let mut v = after_handshake(&mut c);
    v.extend(c.message(2, 0, 1, 0, &0u32.to_be_bytes()));
    expect_error(&v, RtmpError::BadChunkSize);
    // Malformed AMF0 in a command; a control message too short.
    let mut c = TestClient::new();
    let mut v = after_handshake(&mut c);
    v.extend(c.message(3, 0, 20, 0, &[2, 0, 7, b'c']));
    expect_error(&v, RtmpError::Malformed);
    let mut c = TestClient::new();
    let mut v = after_handshake(&mut c);
    v.extend(c.message(2, 0, 5, 0, &[0, 1]));
    expect_error(&v, RtmpError::Malformed);
    // Commands out of order: before connect, a second connect, publish on
    // a stream id never created, a second play on one stream.
    let mut c = TestClient::new();
    let mut v = after_handshake(&mut c);
    v.extend(c.create_stream());
    expect_error(&v, RtmpError::OutOfOrder);
    let mut c = TestClient::new();
    let mut v = after_handshake(&mut c);
    v.extend(c.connect("live"));
    v.extend(c.connect("live"));
    expect_error(&v, RtmpError::OutOfOrder);
    let mut c = TestClient::new();
    let mut v = after_handshake(&mut c);
    v.extend(c.connect("live"));
    v.extend(c.publish(7, "x"));
    expect_error(&v, RtmpError::OutOfOrder);
    let mut c = TestClient::new();
    let mut v = after_handshake(&mut c);
    v.extend(c.connect("live"));
    v.extend(c.create_stream());
    v.extend(c.play(1, "x"));
    v.extend(c.play(1, "x"));
    expect_error(&v, RtmpError::OutOfOrder);

    // The stream and its player never noticed.
    p.gop(80, 2);
    good.pump().unwrap();
    gc.receive(&drain(&mut good));
    assert_eq!(
        gc.media().iter().filter(|m| m.type_id == VIDEO).count(),
        1 + 2 + 2
    );
    assert_eq!(good.error(), None);
}

/// AMF3 commands: AMF0 inside is answered in kind (type 17); AMF3 values
/// inside get `_error` and the session carries on.
#[test]
fn amf3_commands() {
    let (mut s, mut c) = connect("live");
    let mut b = vec![0u8];
    amf0::write_string(&mut b, "createStream");
    amf0::write_number(&mut b, 9.0);
    amf0::write_null(&mut b);
    let m = c.message(3, 0, 17, 0, &b);
    s.feed(&m).unwrap();
    let mut b = vec![0u8];
    amf0::write_string(&mut b, "someCall");
    amf0::write_number(&mut b, 10.0);
    b.extend_from_slice(&[0x11, 0x06, 0x03, b'x']); // an AMF3 string
    let m = c.message(3, 0, 17, 0, &b);
    s.feed(&m).unwrap();
    c.receive(&drain(&mut s));
    let replies: Vec<_> = c.messages.iter().filter(|m| m.type_id == 17).collect();
    assert_eq!(replies.len(), 2);
    let r0 = amf0::decode_all(&replies[0].payload[1..]).unwrap();
    assert_eq!(
        (r0[0].as_str(), r0[1].as_f64(), r0[3].as_f64()),
        (Some("_result"), Some(9.0), Some(2.0))
    );
    let r1 = amf0::decode_all(&replies[1].payload[1..]).unwrap();
    assert_eq!(
        (r1[0].as_str(), r1[1].as_f64()),
        (Some("_error"), Some(10.0))
    );
    assert_eq!(
        r1[3].get("code").and_then(Value::as_str),
        Some("NetConnection.Call.Failed")
    );
    assert_eq!(s.error(), None);
}

/// A slow player: pump stops at the queue bound and resumes after writes.
#[test]
fn output_queue_is_bounded() {
    let hub = Hub::new(Config::default());
    let mut p = start_publish(&hub, "slow");
    p.send(VIDEO, 0, &avc_sh(1));
    p.gop(0, 100);
    let (mut s, mut c) = start_play(&hub, "slow", PlayOptions::default());
    assert_eq!(s.pump().unwrap(), Pump::Full);
    let mut rounds = 0;
    loop {
        let mut buf = Vec::new();
        s.output(64, |x| buf.extend_from_slice(x));
        let n = buf.len().min(1000);
        c.receive(&buf[..n]);
        s.consume(n);
        rounds += 1;
        if s.pump().unwrap() == Pump::Waiting && s.pending_output() == 0 {
            break;
        }
        assert!(rounds < 10_000);
    }
    assert_eq!(
        c.media().iter().filter(|m| m.type_id == VIDEO).count(),
        1 + 100
    );
}

/// Enhanced RTMP video (FourCC `hvc1`: SequenceStart, then CodedFrames)
/// published over RTMP: the stream classifies it (sequence header,
/// keyframe) and an RTMP player gets the very bytes.
#[test]
fn enhanced_rtmp_fourcc_video_passes_through() {
    let hub = Hub::new(Config::default());
    let mut p = start_publish(&hub, "hevc");
    let seq = include_bytes!("../src/codec/testdata/ertmp_hvc1_main_1280x720.bin").to_vec();
    assert_eq!(&seq[..5], b"\x90hvc1");
    // Key frame, CodedFrames: ex-header 0x91, FourCC, 24-bit composition
    // time, then NAL units.
    let mut coded = b"\x91hvc1\x00\x00\x00".to_vec();
    coded.extend_from_slice(&[0, 0, 0, 4, 0x26, 0x01, 0xAF, 0x08]);
    p.send(VIDEO, 0, &seq);
    p.send(VIDEO, 40, &coded);
    let mut core = hub
        .find("live/hevc")
        .unwrap()
        .play(PlayOptions::default())
        .unwrap();
    let a = core.read().unwrap();
    assert_eq!(
        (a.data, a.flags),
        (&seq[..], livehub::flv::FLAG_SEQUENCE_HEADER)
    );
    let b = core.read().unwrap();
    assert_eq!((b.data, b.flags), (&coded[..], livehub::flv::FLAG_KEYFRAME));
    let (mut s, mut c) = start_play(&hub, "hevc", PlayOptions::default());
    assert_eq!(s.pump().unwrap(), Pump::Waiting);
    c.receive(&drain(&mut s));
    let video: Vec<_> = c
        .media()
        .iter()
        .filter(|m| m.type_id == VIDEO)
        .map(|m| m.payload.to_vec())
        .collect();
    assert_eq!(video, [seq, coded]);
    assert_eq!(p.s.stats().media_dropped, 0);
}
