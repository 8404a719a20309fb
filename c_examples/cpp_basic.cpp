// cpp_basic.cpp — basic.c in C++17, through the RAII wrapper livehub.hpp.
//
// A hub, the stream "live/demo", player A attached before publishing (with a
// notify callback, as an event-loop server would use), 2 seconds of AVC+AAC,
// player B joining at 1.5 s, unpublish, both players drain to EOF. Every
// object releases its own handle when it goes out of scope; the players are
// deliberately destroyed *after* the hub and the stream to show that the
// order does not matter.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "livehub.hpp"

namespace {

int failures = 0;

void expect(bool ok, const std::string &what) {
  if (!ok) {
    ++failures;
    std::fprintf(stderr, "cpp_basic: FAILED: %s\n", what.c_str());
  }
}

// Tag bodies built by hand (see basic.c for the byte-by-byte explanation).
std::vector<uint8_t> metadata() {
  std::vector<uint8_t> b = {0x02, 0x00, 0x0A};
  for (char c : std::string("onMetaData")) b.push_back(static_cast<uint8_t>(c));
  const uint8_t ecma_empty[] = {0x08, 0, 0, 0, 0, 0x00, 0x00, 0x09};
  b.insert(b.end(), ecma_empty, ecma_empty + sizeof ecma_empty);
  return b;
}
const std::vector<uint8_t> kAacSequenceHeader = {0xAF, 0x00, 0x12, 0x10};
const std::vector<uint8_t> kAvcSequenceHeader = {0x17, 0x00, 0, 0, 0, 0x01, 0x42, 0xC0, 0x1E, 0xFF, 0xE1, 0x00, 0x04,
                                                 0x67, 0x42, 0xC0, 0x1E, 0x01, 0x00, 0x02, 0x68, 0xCE};

std::vector<uint8_t> video_frame(bool key, uint32_t n) {
  std::vector<uint8_t> b = {static_cast<uint8_t>(key ? 0x17 : 0x27), 0x01, 0, 0, 0, 0, 0, 0, 100};
  b.push_back(key ? 0x65 : 0x41);
  for (uint32_t i = 1; i < 100; i++) b.push_back(static_cast<uint8_t>(n + i));
  return b;
}

std::vector<uint8_t> aac_frame(uint32_t n) {
  std::vector<uint8_t> b = {0xAF, 0x01};
  for (uint32_t i = 0; i < 50; i++) b.push_back(static_cast<uint8_t>(n * 3 + i));
  return b;
}

const char *kind(const livehub::Tag &t) {
  if (t.is_metadata()) return "metadata";
  if (t.is_sequence_header()) return t.is_audio() ? "audio-sh" : "video-sh";
  if (t.is_video()) return t.is_keyframe() ? "keyframe" : "inter";
  return "audio";
}

struct Seen {
  size_t tags = 0;
  std::vector<std::string> first;
  bool eof = false;
};

// Reads until Again or Eof. The Tag is a view into livehub's buffers, valid
// until the next read on this player.
void drain(livehub::Player &p, Seen &seen) {
  for (int guard = 0; guard < 10000; guard++) {
    livehub::Tag tag;
    livehub::ReadStatus s = p.read(tag);
    if (s == livehub::ReadStatus::Again) return;
    if (s == livehub::ReadStatus::Eof) {
      seen.eof = true;
      return;
    }
    expect(s == livehub::ReadStatus::Ok, "unexpected read status");
    if (seen.first.size() < 5) seen.first.push_back(kind(tag));
    seen.tags++;
  }
}

}  // namespace

int main() {
  std::printf("cpp_basic: livehub %s\n", livehub::version());
  Seen a_seen, b_seen;
  size_t pushed = 0, notifications = 0;

  // Declared first, destroyed last: players may outlive the hub and stream.
  std::optional<livehub::Player> a, b;
  try {
    livehub::Hub hub(livehub::Config().republish_wait_ms(0));
    livehub::Stream stream = hub.stream("live/demo");

    a = stream.play();
    // The callback only counts here; a real event-loop server would wake the
    // connection's coroutine. It is cleared by ~Player before destruction.
    a->set_notify([&notifications] { notifications++; });
    drain(*a, a_seen);  // Again: arms the notification

    livehub::Publisher pub = stream.publish();
    auto push = [&](uint8_t type, uint32_t ts, const std::vector<uint8_t> &body) {
      pub.push_tag(type, ts, body.data(), body.size());
      pushed++;
    };
    push(LIVEHUB_TAG_SCRIPT, 0, metadata());
    push(LIVEHUB_TAG_AUDIO, 0, kAacSequenceHeader);
    push(LIVEHUB_TAG_VIDEO, 0, kAvcSequenceHeader);

    uint32_t v = 0, au = 0;
    while (v * 40 < 2000) {
      uint32_t vts = v * 40, ats = au * 23;
      if (!b && std::min(vts, ats) >= 1500) b = stream.play();  // B joins at 1.5 s
      if (vts <= ats) {
        push(LIVEHUB_TAG_VIDEO, vts, video_frame(v % 25 == 0, v));
        v++;
      } else {
        push(LIVEHUB_TAG_AUDIO, ats, aac_frame(au));
        au++;
      }
      drain(*a, a_seen);
      if (b) drain(*b, b_seen);
    }
    pub.unpublish();  // = livehub_publisher_release
    hub.tick();
    // hub and stream go out of scope here: released before the players.
  } catch (const livehub::Error &e) {
    std::fprintf(stderr, "cpp_basic: livehub error: %s (%u)\n", e.what(), static_cast<unsigned>(e.code()));
    return 1;
  }

  // The players still work: they drain, then see EOF.
  if (a->wait(std::chrono::milliseconds(1000)) != livehub::WaitStatus::Timeout) drain(*a, a_seen);
  if (b && b->wait(std::chrono::milliseconds(1000)) != livehub::WaitStatus::Timeout) drain(*b, b_seen);

  auto show = [](const char *name, const Seen &s) {
    std::printf("  player %s: %zu tags, %s, first:", name, s.tags, s.eof ? "EOF" : "no EOF");
    for (const auto &k : s.first) std::printf(" %s", k.c_str());
    std::printf("\n");
  };
  std::printf("  pushed %zu tags; player A was notified %zu times\n", pushed, notifications);
  show("A", a_seen);
  show("B", b_seen);

  expect(a_seen.tags == pushed, "A must receive every pushed tag");
  expect(a_seen.eof && b_seen.eof, "both players must reach EOF");
  expect(notifications > 0, "A's notify callback never ran");
  const std::vector<std::string> want = {"metadata", "audio-sh", "video-sh", "keyframe"};
  expect(b_seen.first.size() >= 4 && std::equal(want.begin(), want.end(), b_seen.first.begin()),
         "B must start with metadata, audio-sh, video-sh, keyframe");

  a.reset();  // ~Player: clears the notify callback, then releases
  b.reset();
  if (failures) {
    std::printf("cpp_basic: %d check(s) FAILED\n", failures);
    return 1;
  }
  std::printf("cpp_basic: ok\n");
  return 0;
}
