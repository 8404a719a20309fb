//! An RTMP server in a page of Rust: one blocking thread per connection,
//! livehub's [`ServerSession`] doing the protocol. Publish with
//! `ffmpeg -re -i in.flv -c copy -f flv rtmp://127.0.0.1:1935/live/cam1`,
//! play with `ffplay rtmp://127.0.0.1:1935/live/cam1`.
//!
//! ```text
//! cargo run --example rtmp_relay -- [ADDR:PORT] [--accept-delay-ms N]
//! ```

use livehub::rtmp::{Event, Pump, Reject, RtmpConfig, RtmpError, ServerSession};
use livehub::{Error, Hub};
use std::io::{ErrorKind, Read};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn serve(hub: Arc<Hub>, mut sock: TcpStream, accept_delay: Duration) -> Result<(), RtmpError> {
    sock.set_nodelay(true).ok();
    sock.set_read_timeout(Some(Duration::from_millis(10))).ok();
    let mut s = ServerSession::new(RtmpConfig::default());
    let mut buf = vec![0u8; 64 << 10];
    // Requests waiting for their (simulated slow) answer.
    let mut pending: Vec<(Instant, Event)> = Vec::new();
    loop {
        match sock.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => s.feed(&buf[..n])?,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return Ok(()),
        }
        while let Some(ev) = s.next_event() {
            pending.push((Instant::now() + accept_delay, ev));
        }
        let now = Instant::now();
        while let Some(i) = pending.iter().position(|(t, _)| *t <= now) {
            let (_, ev) = pending.remove(i);
            let r = match ev {
                Event::Publish(req) => match hub.stream(&req.key).and_then(|st| st.publish()) {
                    Ok(p) => s.accept_publish(req.id, p),
                    Err(Error::Busy) => s.reject(req.id, Reject::Busy),
                    Err(_) => s.reject(req.id, Reject::Denied),
                },
                Event::Play(req) => match hub
                    .stream(&req.key)
                    .and_then(|st| st.play(Default::default()))
                {
                    Ok(p) => s.accept_play(req.id, p),
                    Err(_) => s.reject(req.id, Reject::NotFound),
                },
                _ => Ok(()),
            };
            match r {
                Ok(()) | Err(RtmpError::Stale) => {}
                Err(e) => return Err(e),
            }
        }
        let pump = s.pump()?;
        while s.pending_output() > 0 {
            if s.write_to(&mut sock).is_err() {
                return Ok(());
            }
        }
        if pump == Pump::Waiting {
            if let Some(p) = s.player_mut() {
                let _ = p.wait(Duration::from_millis(10));
            }
        }
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut addr = "127.0.0.1:1935".to_owned();
    let mut delay = Duration::ZERO;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--accept-delay-ms" => {
                delay = Duration::from_millis(args.next().and_then(|v| v.parse().ok()).unwrap_or(0))
            }
            _ => addr = a,
        }
    }
    let hub = Arc::new(Hub::new(Default::default()));
    let listener = TcpListener::bind(&addr).expect("bind");
    eprintln!("rtmp_relay: listening on rtmp://{addr}/live/<name>");
    for sock in listener.incoming().flatten() {
        let hub = hub.clone();
        std::thread::spawn(move || {
            let peer = sock.peer_addr().ok();
            if let Err(e) = serve(hub, sock, delay) {
                eprintln!("rtmp_relay: {peer:?}: {e}");
            }
        });
    }
}
