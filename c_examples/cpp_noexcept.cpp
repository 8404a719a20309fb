// cpp_noexcept.cpp — livehub.hpp in a server built with -fno-exceptions.
//
// Many C++ servers compile without exceptions. livehub.hpp then declares
// only the non-throwing forms: every fallible call is `try_x()` returning a
// [[nodiscard]] livehub::Result, which the server checks like any error
// code. This program is built with -fno-exceptions (make test-examples,
// under ASan+UBSan) and walks through what such a server does:
//
//   1. Hub::create / try_stream / try_publish, and the errors a server
//      handles: a second publisher (LIVEHUB_ERR_BUSY), an unknown key
//      (LIVEHUB_ERR_NOT_FOUND), a moved-from handle (LIVEHUB_ERR_NULL);
//   2. a player per "connection" whose notify callback is a lambda that
//      owns state (a std::shared_ptr), as an event loop's wake-up would;
//      the lambda lives exactly as long as livehub needs it: it is
//      destroyed once when replaced, when cleared, and when the player goes;
//   3. copies of Hub and Stream are references: the stream stays alive for
//      as long as any copy, player or publisher exists;
//   4. unpublish, drain to Eof, and release everything in an odd order;
//   5. a Group, as one event loop uses it: 100 players armed into it, one
//      wake for a push however many players, their callbacks run by
//      dispatch(); the Group goes before its players, which read on.
//
// Exit status 0 only if every check held.
#include <cstdint>
#include <cstdio>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include "livehub.hpp"

#if LIVEHUB_HPP_EXCEPTIONS
#error "build this example with -fno-exceptions"
#endif

namespace {

int failures = 0;

void expect(bool ok, const char *what) {
  if (!ok) {
    ++failures;
    std::fprintf(stderr, "cpp_noexcept: FAILED: %s\n", what);
  }
}

// Without exceptions the throwing conveniences do not exist at all, so a
// server cannot call one by mistake.
template <typename T, typename = void>
struct has_throwing_publish : std::false_type {};
template <typename T>
struct has_throwing_publish<T, std::void_t<decltype(std::declval<T &>().publish())>> : std::true_type {};
static_assert(!has_throwing_publish<livehub::Stream>::value, "no throwing forms under -fno-exceptions");
static_assert(std::is_copy_constructible<livehub::Hub>::value && std::is_copy_constructible<livehub::Stream>::value,
              "Hub and Stream copy as references");
static_assert(!std::is_copy_constructible<livehub::Player>::value &&
                  !std::is_copy_constructible<livehub::Publisher>::value &&
                  !std::is_copy_constructible<livehub::Group>::value,
              "Player, Publisher and Group are move-only");

const uint8_t kAacSequenceHeader[] = {0xAF, 0x00, 0x12, 0x10};
const uint8_t kAacFrame[] = {0xAF, 0x01, 0x21, 0x10, 0x04, 0x60};

// What an event loop keeps per connection: here, only what it counts.
struct Connection {
  int wakeups = 0;
  std::size_t tags = 0;
  bool eof = false;
};

// Reads until Again or Eof, as a connection's handler does when woken.
void drain(livehub::Player &player, Connection &conn) {
  livehub::Tag tag;
  for (;;) {
    livehub::Result<livehub::ReadStatus> r = player.try_read(tag);
    if (!r) {
      std::fprintf(stderr, "cpp_noexcept: read failed: %s\n", r.message());
      ++failures;
      return;
    }
    if (r.value() == livehub::ReadStatus::Ok) {
      conn.tags++;
      continue;
    }
    if (r.value() == livehub::ReadStatus::Eof) conn.eof = true;
    return;
  }
}

}  // namespace

int main() {
  livehub::Result<livehub::Hub> created = livehub::Hub::create(livehub::Config().republish_wait_ms(0));
  if (!created) {
    std::fprintf(stderr, "cpp_noexcept: Hub::create: %s\n", created.message());
    return 1;
  }
  livehub::Hub hub = std::move(created).value();

  livehub::Result<livehub::Stream> found = hub.try_find("live/none");
  expect(!found && found.code() == LIVEHUB_ERR_NOT_FOUND, "try_find of an unknown key gives LIVEHUB_ERR_NOT_FOUND");
  expect(hub.try_stream("").code() == LIVEHUB_ERR_INVALID_ARG, "an empty key gives LIVEHUB_ERR_INVALID_ARG");

  livehub::Result<livehub::Stream> got = hub.try_stream("live/noexcept");
  if (!got) {
    std::fprintf(stderr, "cpp_noexcept: try_stream: %s\n", got.message());
    return 1;
  }
  livehub::Stream stream = std::move(got).value();
  livehub::Stream second_ref = stream;  // a copy: livehub_stream_retain
  expect(second_ref.get() == stream.get(), "a Stream copy refers to the same stream");

  livehub::Result<livehub::Publisher> pub = stream.try_publish();
  expect(pub.ok(), "try_publish");
  expect(second_ref.try_publish().code() == LIVEHUB_ERR_BUSY, "a second publisher gets LIVEHUB_ERR_BUSY");

  // Two connections. A's callback owns a shared_ptr: counting its owners
  // tells when livehub destroyed the lambda.
  Connection conn_a, conn_b;
  auto token = std::make_shared<int>(0);
  livehub::Player a = stream.try_play().value_or(livehub::Player::adopt(nullptr));
  livehub::Player b = stream.try_play().value_or(livehub::Player::adopt(nullptr));
  expect(a && b, "try_play");

  expect(a.try_set_notify([&conn_a, token] { conn_a.wakeups++; }).ok(), "set A's callback");
  expect(token.use_count() == 2, "A's callback holds the token");
  expect(a.try_set_notify([&conn_a, token] { conn_a.wakeups += 1; }).ok(), "replace A's callback");
  expect(token.use_count() == 2, "replacing the callback destroyed the old one");
  expect(b.try_set_notify([&conn_b] { conn_b.wakeups++; }).ok(), "set B's callback");
  drain(a, conn_a);  // Again: both armed
  drain(b, conn_b);

  // The publisher pushes; each push wakes an armed player once.
  livehub::Publisher &p = pub.value();
  expect(p.try_push_tag(LIVEHUB_TAG_AUDIO, 0, kAacSequenceHeader, sizeof kAacSequenceHeader).ok(),
         "push the sequence header");
  for (uint32_t i = 0; i < 50; i++) {
    expect(p.try_push_tag(LIVEHUB_TAG_AUDIO, 23 * i, kAacFrame, sizeof kAacFrame).ok(), "push a frame");
    if (i % 10 == 9) {  // the loop gets round to its connections now and then
      drain(a, conn_a);
      drain(b, conn_b);
    }
  }
  expect(p.try_push_tag(0x42, 0, kAacFrame, sizeof kAacFrame).code() == LIVEHUB_ERR_INVALID_ARG,
         "an unknown tag type gives LIVEHUB_ERR_INVALID_ARG");

  // B's callback is cleared; A's stays until A goes.
  expect(b.try_clear_notify().ok(), "clear B's callback");

  // Unpublish (republish_wait_ms = 0: the stream ends at once), then the
  // hub and every Stream copy go before the players do.
  pub.value().unpublish();
  livehub::Publisher moved = std::move(pub.value());
  expect(moved.try_push_tag(LIVEHUB_TAG_AUDIO, 0, kAacFrame, sizeof kAacFrame).code() == LIVEHUB_ERR_NULL,
         "a released publisher answers LIVEHUB_ERR_NULL");
  expect(hub.try_tick().ok(), "tick");
  {
    livehub::Hub last = std::move(hub);  // the hub's last reference goes at the end of this block
    expect(!hub && last, "a moved-from Hub is empty");
  }
  stream = livehub::Stream::adopt(nullptr);
  second_ref = stream;  // copies of an empty Stream are empty
  expect(!second_ref, "copy of an empty Stream");

  drain(a, conn_a);
  drain(b, conn_b);
  expect(conn_a.tags == 51 && conn_b.tags == 51, "both players got the 51 tags");
  expect(conn_a.eof && conn_b.eof, "both players read Eof");
  // A armed 6 times: before the first push, after each of its 5 drains
  // during the pushes (the last one woken by the unpublish).
  expect(conn_a.wakeups == 6, "A was woken once per arming (6)");

  livehub::Result<livehub_player_stats> st = a.try_stats();
  expect(st.ok() && st->tags_out == 51, "A's stats count 51 tags");

  a = livehub::Player::adopt(nullptr);  // releases A: livehub destroys its callback
  expect(token.use_count() == 1, "releasing the player destroyed its callback");
  livehub::Player none = std::move(b);
  std::size_t written = 0;
  expect(!b && b.try_read_flv(nullptr, 0, written).code() == LIVEHUB_ERR_NULL,
         "a moved-from Player answers LIVEHUB_ERR_NULL");

  // A group: the players of one event loop. A push wakes the group once,
  // whatever the number of its armed players; dispatch() then runs their
  // callbacks here, on the loop's thread. Its wake lambda lives as long as
  // the Group object.
  {
    auto wake_token = std::make_shared<int>(0);
    int wakes = 0;
    livehub::Result<livehub::Group> made = livehub::Group::create([&wakes, wake_token] { wakes++; });
    expect(made.ok(), "Group::create");
    livehub::Group group = std::move(made).value();
    livehub::Hub loop_hub = livehub::Hub::create().value_or(livehub::Hub::adopt(nullptr));
    livehub::Stream s = loop_hub.try_stream("live/group").value_or(livehub::Stream::adopt(nullptr));
    livehub::Publisher p2 = s.try_publish().value_or(livehub::Publisher::adopt(nullptr));
    expect(group && loop_hub && s && p2, "a group, a hub, a stream and its publisher");

    const std::size_t kPlayers = 100;
    std::vector<Connection> conns(kPlayers);
    std::vector<livehub::Player> players;
    for (std::size_t i = 0; i < kPlayers; i++) {
      players.push_back(s.try_play(livehub::PlayOptions().group(group)).value_or(livehub::Player::adopt(nullptr)));
      expect(players.back().try_set_notify([&conns, i] { conns[i].wakeups++; }).ok(), "a grouped player's callback");
      drain(players.back(), conns[i]);  // Again: armed into the group
    }
    expect(p2.try_push_tag(LIVEHUB_TAG_AUDIO, 0, kAacSequenceHeader, sizeof kAacSequenceHeader).ok(), "push");
    expect(p2.try_push_tag(LIVEHUB_TAG_AUDIO, 23, kAacFrame, sizeof kAacFrame).ok(), "push");
    expect(wakes == 1, "two pushes to 100 armed players wake the group once");
    int before_dispatch = 0;
    for (const Connection &c : conns) before_dispatch += c.wakeups;
    expect(before_dispatch == 0, "grouped callbacks run only in dispatch()");
    livehub::Result<std::size_t> fired = group.try_dispatch();
    expect(fired.ok() && fired.value() == kPlayers, "dispatch() runs the 100 callbacks");
    for (std::size_t i = 0; i < kPlayers; i++) drain(players[i], conns[i]);  // re-arm
    expect(p2.try_push_tag(LIVEHUB_TAG_AUDIO, 46, kAacFrame, sizeof kAacFrame).ok(), "push");
    expect(wakes == 2, "news after a dispatch wakes the group again");

    // The group goes before its players: its wake never runs again and
    // its lambda is destroyed; the players keep reading.
    group = livehub::Group::create().value();
    expect(wake_token.use_count() == 1, "replacing the Group destroyed its wake lambda");
    expect(p2.try_push_tag(LIVEHUB_TAG_AUDIO, 69, kAacFrame, sizeof kAacFrame).ok(), "push");
    expect(wakes == 2, "a released group is not woken");
    std::size_t read = 0;
    for (std::size_t i = 0; i < kPlayers; i++) {
      std::size_t before = conns[i].tags;
      drain(players[i], conns[i]);
      read += conns[i].tags - before;
    }
    expect(read == 2 * kPlayers, "the players of a released group keep reading");
    std::printf("cpp_noexcept: a group of %zu players was woken %d times for 4 pushes, dispatch ran %zu callbacks\n",
                kPlayers, wakes, fired.ok() ? fired.value() : 0);
  }

  std::printf("cpp_noexcept: livehub %s; A got %zu tags and %d wake-ups, B %zu tags; %s\n", livehub::version(),
              conn_a.tags, conn_a.wakeups, conn_b.tags, failures ? "FAILED" : "ok");
  return failures ? 1 : 0;
}
