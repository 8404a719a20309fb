// cpp_rtmp: livehub::RtmpSession (livehub.hpp) with recorded RTMP clients,
// without sockets. ffmpeg's recorded publish goes into one session, answered
// with a Publisher; a recorded ffmpeg player into another, answered with a
// Player whose notify callable moves into the session; the player's pumped
// output carries the stream; bad input closes a session with its code. Run
// from the repository root; exits non-zero on the first failed check. Built
// and run under ASan+UBSan+LSan by `make test-examples`.
#include "livehub.hpp"

#include <atomic>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

static int failures = 0;
#define CHECK(cond)                                                                        \
  do {                                                                                     \
    if (!(cond)) {                                                                         \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);        \
      failures++;                                                                          \
    }                                                                                      \
  } while (0)

static std::vector<uint8_t> read_file(const char *path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    std::fprintf(stderr, "cannot open %s (run from the repository root)\n", path);
    std::exit(1);
  }
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

// Feeds byte by byte until an event of `kind`; returns the bytes used
// (the recordings go on to the clients' own deleteStream).
static std::size_t feed_until(livehub::RtmpSession &s, const std::vector<uint8_t> &b, uint32_t kind,
                              livehub_rtmp_event &ev) {
  for (std::size_t i = 0; i < b.size(); i++) {
    s.feed(&b[i], 1);
    while (s.next_event(ev))
      if (ev.kind == kind) return i + 1;
  }
  return b.size();
}

// Writes out everything queued; returns it.
static std::string drain(livehub::RtmpSession &s) {
  std::string out;
  livehub_iovec iov[32];
  for (std::size_t n; (n = s.output(iov, 32)) > 0;) {
    std::size_t bytes = 0;
    for (std::size_t i = 0; i < n; i++) {
      out.append(static_cast<const char *>(iov[i].iov_base), iov[i].iov_len);
      bytes += iov[i].iov_len;
    }
    s.consume(bytes);
  }
  return out;
}

int main() {
  livehub::Hub hub;

  // A recorded ffmpeg publisher, answered with a Publisher.
  std::vector<uint8_t> pub_rec = read_file("tests/data/rtmp/ffmpeg_publish.bin");
  livehub::RtmpSession pub = livehub::RtmpSession::create().unwrap();
  livehub_rtmp_event ev{};
  std::size_t used = feed_until(pub, pub_rec, LIVEHUB_RTMP_EVENT_PUBLISH, ev);
  CHECK(ev.kind == LIVEHUB_RTMP_EVENT_PUBLISH && std::string(ev.key) == "live/rec");
  livehub::Stream stream = hub.stream(ev.key);
  livehub::Player watcher = stream.play();
  pub.accept_publish(ev.request_id, stream.publish());
  CHECK(drain(pub).find("NetStream.Publish.Start") != std::string::npos);
  // Stop before ffmpeg's own deleteStream: the stream keeps its publisher.
  pub.feed(pub_rec.data() + used, pub_rec.size() - used - 200);
  std::size_t tags = 0;
  for (livehub::Tag t; watcher.read(t) == livehub::ReadStatus::Ok;) tags++;
  CHECK(tags > 100);

  // A recorded ffmpeg player of that stream, its notify callable moved in.
  std::vector<uint8_t> play_rec = read_file("tests/data/rtmp/ffmpeg_play.bin");
  livehub::RtmpSession player = livehub::RtmpSession::create().unwrap();
  feed_until(player, play_rec, LIVEHUB_RTMP_EVENT_PLAY, ev);
  CHECK(ev.kind == LIVEHUB_RTMP_EVENT_PLAY);
  auto woken = std::make_shared<std::atomic<int>>(0);
  livehub::Player pl = stream.play();
  pl.set_notify([woken] { woken->fetch_add(1); });
  player.accept_play(ev.request_id, std::move(pl));
  CHECK(!pl);  // taken over
  std::string out;
  livehub::RtmpPump state = player.pump();
  for (int i = 0; i < 1000 && state == livehub::RtmpPump::Full; i++) {
    out += drain(player);
    state = player.pump();
  }
  CHECK(state == livehub::RtmpPump::Waiting);
  out += drain(player);
  CHECK(out.find("NetStream.Play.Start") != std::string::npos);
  CHECK(out.size() > 2000);  // metadata, sequence headers and the cached GOP
  // A stale answer and a bad reason: codes, no exception, session intact.
  CHECK(player.try_reject(ev.request_id, LIVEHUB_RTMP_REJECT_BUSY).code() == LIVEHUB_ERR_NOT_FOUND);
  CHECK(player.try_reject(ev.request_id, 99).code() == LIVEHUB_ERR_INVALID_ARG);
  CHECK(player.error() == LIVEHUB_RTMP_OK);

  // Bad input: one session closed, with its code; the stream carries on.
  livehub::RtmpSession bad = livehub::RtmpSession::create().unwrap();
  const uint8_t http[] = "GET / HTTP/1.1\r\n";
  CHECK(bad.try_feed(http, sizeof http - 1).code() == LIVEHUB_ERR_RTMP);
  CHECK(bad.error() == LIVEHUB_RTMP_ERR_HANDSHAKE_VERSION);
  // The first publisher's session goes (the unpublish); a publisher handed
  // to the closed session is taken and released: the stream takes another.
  pub = livehub::RtmpSession::create().unwrap();
  CHECK(bad.try_accept_publish(1, stream.publish()).code() == LIVEHUB_ERR_CLOSED);
  livehub::Publisher again = stream.publish();
  CHECK(static_cast<bool>(again));

  // A moved-from session refuses calls with LIVEHUB_ERR_NULL and leaves
  // the publisher with the caller.
  livehub::RtmpSession moved = std::move(bad);
  CHECK(bad.try_accept_publish(1, std::move(again)).code() == LIVEHUB_ERR_NULL);
  CHECK(static_cast<bool>(again));

  if (failures) {
    std::fprintf(stderr, "cpp_rtmp: %d checks failed\n", failures);
    return 1;
  }
  std::printf("cpp_rtmp: RtmpSession with recorded clients, notify moved with the player, bad input: ok\n");
  return 0;
}
