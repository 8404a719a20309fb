// header_cpp17.cpp — livehub.h and livehub.hpp as a strict C++17 compiler
// sees them (g++ -std=c++17 -Wall -Wextra -Werror -pedantic).
//
// Checks at compile time: every C function with its documented signature
// (and C linkage usable from C++), every constant's value, the layout of the
// views, and the shape of the C++ wrapper (move-only owners, clone() on the
// shared types, status enums for reads). Runs a few calls that need no
// stream, through both layers.
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <type_traits>

#include "livehub.h"
#include "livehub.hpp"

// ---- The C header from C++ ------------------------------------------------

static_assert(std::is_same<livehub_result, uint32_t>::value, "livehub_result is a uint32_t");
static_assert(LIVEHUB_OK == 0 && LIVEHUB_AGAIN == 1 && LIVEHUB_EOF == 2 && LIVEHUB_TIMEOUT == 3, "codes");
static_assert(LIVEHUB_ERR_NULL == 4 && LIVEHUB_ERR_INVALID_ARG == 5 && LIVEHUB_ERR_BUSY == 6, "codes");
static_assert(LIVEHUB_ERR_NOT_FOUND == 7 && LIVEHUB_ERR_CLOSED == 8 && LIVEHUB_ERR_FLV == 9, "codes");
static_assert(LIVEHUB_ERR_TOO_LARGE == 10 && LIVEHUB_ERR_BUFFER == 11 && LIVEHUB_ERR_EXPIRED == 12, "codes");
static_assert(LIVEHUB_ERR_FLV_REJECTED == 14, "codes");
static_assert(LIVEHUB_ERR_PANIC == 13, "codes");
static_assert(LIVEHUB_TAG_AUDIO == 8 && LIVEHUB_TAG_VIDEO == 9 && LIVEHUB_TAG_SCRIPT == 18, "tag types");
static_assert(LIVEHUB_TAG_FLAG_KEYFRAME == 1 && LIVEHUB_TAG_FLAG_SEQUENCE_HEADER == 2 &&
                  LIVEHUB_TAG_FLAG_METADATA == 4, "tag flags");
static_assert(LIVEHUB_TIMESTAMP_REBASE == 0 && LIVEHUB_TIMESTAMP_ABSOLUTE == 1, "timestamp modes");
static_assert(LIVEHUB_INHERIT == 0xFFFFFFFFu, "inherit");
static_assert(LIVEHUB_MAX_TAG_SIZE == 0xFFFFFF && LIVEHUB_MAX_KEY_LEN == 1024, "limits");
static_assert(sizeof(LIVEHUB_VERSION) > 1, "version string");
static_assert(LIVEHUB_PUBLISHER_NONE == 0 && LIVEHUB_PUBLISHER_ACTIVE == 1 && LIVEHUB_PUBLISHER_WAITING == 2, "states");
static_assert(LIVEHUB_PLAYER_LIVE == 0 && LIVEHUB_PLAYER_BEHIND == 1 && LIVEHUB_PLAYER_ENDED == 2 &&
                  LIVEHUB_PLAYER_EXPIRED == 3, "player states");
static_assert(LIVEHUB_LOG_OFF == 0 && LIVEHUB_LOG_ERROR == 1 && LIVEHUB_LOG_WARN == 2 && LIVEHUB_LOG_INFO == 3 &&
                  LIVEHUB_LOG_DEBUG == 4, "log levels");
static_assert(std::is_standard_layout<livehub_stream_stats>::value && std::is_trivial<livehub_stream_stats>::value,
              "POD stream stats");
static_assert(std::is_standard_layout<livehub_player_stats>::value && std::is_trivial<livehub_player_stats>::value,
              "POD player stats");
static_assert(std::is_same<livehub_log_fn, void (*)(void *, uint32_t, const char *)>::value, "livehub_log_fn");

static_assert(std::is_standard_layout<livehub_tag>::value && std::is_trivial<livehub_tag>::value, "POD view");
static_assert(std::is_standard_layout<livehub_config>::value, "POD config");
static_assert(std::is_standard_layout<livehub_play_options>::value, "POD options");
static_assert(sizeof(livehub_iovec) == sizeof(iovec) && offsetof(livehub_iovec, iov_base) == offsetof(iovec, iov_base) &&
                  offsetof(livehub_iovec, iov_len) == offsetof(iovec, iov_len),
              "livehub_iovec has the layout of struct iovec");

static_assert(std::is_same<decltype(livehub_tag::type), uint8_t>::value, "tag.type");
static_assert(std::is_same<decltype(livehub_tag::timestamp), uint32_t>::value, "tag.timestamp");
static_assert(std::is_same<decltype(livehub_tag::flags), uint32_t>::value, "tag.flags");
static_assert(std::is_same<decltype(livehub_tag::data), const uint8_t *>::value, "tag.data");
static_assert(std::is_same<decltype(livehub_tag::size), size_t>::value, "tag.size");
static_assert(std::is_same<decltype(livehub_config::gop_max_bytes), uint64_t>::value, "config.gop_max_bytes");
static_assert(std::is_same<decltype(livehub_config::clock_ms), uint64_t (*)(void *)>::value, "config.clock_ms");
static_assert(std::is_same<decltype(livehub_config::clock_userdata), void *>::value, "config.clock_userdata");

// Each function through a pointer of its documented type. Under C++ a
// mismatch in any parameter is a hard error.
#define SIG(fn, type) static_assert(std::is_same<decltype(&fn), type>::value, #fn " signature")
SIG(livehub_result_str, const char *(*)(livehub_result));
SIG(livehub_version, const char *(*)());
SIG(livehub_config_init, void (*)(livehub_config *));
SIG(livehub_play_options_init, void (*)(livehub_play_options *));
SIG(livehub_hub_new, livehub_result (*)(const livehub_config *, livehub_hub **));
SIG(livehub_hub_tick, livehub_result (*)(livehub_hub *));
SIG(livehub_hub_retain, livehub_hub *(*)(livehub_hub *));
SIG(livehub_hub_release, void (*)(livehub_hub *));
SIG(livehub_hub_stream, livehub_result (*)(livehub_hub *, const char *, livehub_stream **));
SIG(livehub_hub_find, livehub_result (*)(livehub_hub *, const char *, livehub_stream **));
SIG(livehub_hub_remove, livehub_result (*)(livehub_hub *, const char *));
SIG(livehub_stream_retain, livehub_stream *(*)(livehub_stream *));
SIG(livehub_stream_release, void (*)(livehub_stream *));
SIG(livehub_stream_publish, livehub_result (*)(livehub_stream *, livehub_publisher **));
SIG(livehub_stream_play, livehub_result (*)(livehub_stream *, const livehub_play_options *, livehub_player **));
SIG(livehub_stream_set_userdata, livehub_result (*)(livehub_stream *, void *, void (*)(void *)));
SIG(livehub_stream_userdata, void *(*)(const livehub_stream *));
SIG(livehub_publisher_push_tag, livehub_result (*)(livehub_publisher *, uint8_t, uint32_t, const uint8_t *, size_t));
SIG(livehub_publisher_push_flv, livehub_result (*)(livehub_publisher *, const uint8_t *, size_t));
SIG(livehub_publisher_release, void (*)(livehub_publisher *));
SIG(livehub_player_read, livehub_result (*)(livehub_player *, livehub_tag *));
SIG(livehub_player_read_flv, livehub_result (*)(livehub_player *, uint8_t *, size_t, size_t *));
SIG(livehub_player_read_batch, livehub_result (*)(livehub_player *, livehub_tag *, size_t, size_t *));
SIG(livehub_player_read_iov, livehub_result (*)(livehub_player *, livehub_iovec *, size_t, size_t *));
SIG(livehub_player_wait, livehub_result (*)(livehub_player *, uint32_t));
SIG(livehub_player_set_notify, livehub_result (*)(livehub_player *, void (*)(void *), void *));
SIG(livehub_player_set_notify_with_release,
    livehub_result (*)(livehub_player *, livehub_notify_fn, void *, livehub_release_fn));
SIG(livehub_player_release, void (*)(livehub_player *));
SIG(livehub_hub_stats_json, livehub_result (*)(livehub_hub *, char *, size_t, size_t *));
SIG(livehub_stream_get_stats, livehub_result (*)(const livehub_stream *, livehub_stream_stats *));
SIG(livehub_player_get_stats, livehub_result (*)(livehub_player *, livehub_player_stats *));
SIG(livehub_set_log_callback, livehub_result (*)(uint32_t, livehub_log_fn, void *));

// ---- The C++ wrapper ------------------------------------------------------

template <typename T>
constexpr bool move_only_owner = !std::is_copy_constructible<T>::value && !std::is_copy_assignable<T>::value &&
                                 std::is_nothrow_move_constructible<T>::value &&
                                 std::is_nothrow_move_assignable<T>::value;
static_assert(move_only_owner<livehub::Hub>, "Hub is a move-only owner");
static_assert(move_only_owner<livehub::Stream>, "Stream is a move-only owner");
static_assert(move_only_owner<livehub::Publisher>, "Publisher is a move-only owner");
static_assert(move_only_owner<livehub::Player>, "Player is a move-only owner");
static_assert(std::is_same<decltype(std::declval<const livehub::Hub &>().clone()), livehub::Hub>::value, "Hub::clone");
static_assert(std::is_same<decltype(std::declval<const livehub::Stream &>().clone()), livehub::Stream>::value,
              "Stream::clone");
static_assert(std::is_base_of<std::exception, livehub::Error>::value, "Error is an exception");
static_assert(std::is_same<decltype(std::declval<livehub::Player &>().read(std::declval<livehub::Tag &>())),
                           livehub::ReadStatus>::value,
              "Player::read returns a status, not an exception");
static_assert(std::is_same<decltype(std::declval<livehub::Player &>().wait(std::chrono::milliseconds(1))),
                           livehub::WaitStatus>::value,
              "Player::wait returns a status");
static_assert(std::is_same<decltype(std::declval<livehub::Hub &>().find("k")), std::optional<livehub::Stream>>::value,
              "Hub::find returns an optional");

// Every member is named once, so a wrapper that stops compiling is caught.
[[maybe_unused]] static void wrapper_surface(livehub::Hub &hub, livehub::Stream &s, livehub::Publisher &pub,
                                             livehub::Player &pl) {
  livehub::Hub h2 = hub.clone();
  livehub::Stream s2 = h2.stream("a/b");
  std::optional<livehub::Stream> s3 = hub.find("a/b");
  bool removed = hub.remove("a/b");
  hub.tick();
  livehub::Stream s4 = s.clone();
  livehub::Publisher p2 = s.publish();
  livehub::Player pl2 = s.play();
  livehub::Player pl3 = s.play(livehub::PlayOptions().absolute_timestamps().rebase_timestamps().republish_wait_ms(1));
  s.set_userdata(nullptr, nullptr);
  void *ud = s.userdata();
  uint8_t b[16] = {0};
  pub.push_tag(LIVEHUB_TAG_AUDIO, 0, b, sizeof b);
  pub.push_flv(b, sizeof b);
  pub.unpublish();
  livehub::Tag t;
  livehub::ReadStatus rs = pl.read(t);
  std::optional<livehub::Tag> ot = pl.read(&rs);
  size_t n = 0;
  rs = pl.read_flv(b, sizeof b, n);
  livehub_iovec iov[3];
  rs = pl.read_iov(iov, 3, n);
  livehub_tag tags[4];
  rs = pl.read_batch(tags, 4, n);
  livehub::WaitStatus ws = pl.wait(std::chrono::milliseconds(0));
  pl.set_notify([] {});
  pl.set_notify(nullptr);
  pl.clear_notify();
  std::string json = hub.stats_json();
  livehub_stream_stats ss = s.stats();
  livehub_player_stats ps = pl.stats();
  livehub::set_log_callback(LIVEHUB_LOG_OFF, nullptr, nullptr);
  (void)json; (void)ss; (void)ps;
  (void)t.type(); (void)t.timestamp(); (void)t.flags(); (void)t.data(); (void)t.size(); (void)t.raw();
  (void)t.is_audio(); (void)t.is_video(); (void)t.is_script(); (void)t.is_keyframe(); (void)t.is_sequence_header();
  (void)t.is_metadata();
  livehub_hub_release(livehub::Hub::adopt(h2.release()).release());
  livehub_stream_release(livehub::Stream::adopt(s2.release()).release());
  livehub_publisher_release(livehub::Publisher::adopt(p2.release()).release());
  livehub_player_release(livehub::Player::adopt(pl2.release()).release());
  (void)s3; (void)removed; (void)ud; (void)ot; (void)ws; (void)pl3.get(); (void)s4.get(); (void)hub.get(); (void)pub.get();
  (void)static_cast<bool>(pl);
}

int main() {
  int failures = 0;

  // The C layer.
  for (livehub_result r = LIVEHUB_OK; r <= LIVEHUB_ERR_PANIC + 2; r++)
    if (livehub_result_str(r) == nullptr) failures++;

  if (std::strcmp(LIVEHUB_VERSION, livehub::version()) != 0) failures++;

  // The wrapper: defaults, errors, ownership of a hub with no stream.
  livehub::Config cfg;
  if (cfg.raw().republish_wait_ms != 5000) failures++;
  cfg.republish_wait_ms(0).idle_stream_ms(1).publisher_idle_timeout_ms(2).player_idle_timeout_ms(3)
      .max_lag_ms(4).gop_max_frames(5).gop_max_bytes(6).max_tag_size(7);
  if (cfg.raw().max_tag_size != 7 || cfg.raw().gop_max_bytes != 6) failures++;
  livehub::PlayOptions opts;
  if (opts.raw().republish_wait_ms != LIVEHUB_INHERIT) failures++;

  livehub::Error e(LIVEHUB_ERR_BUSY);
  if (e.code() != LIVEHUB_ERR_BUSY || std::strlen(e.what()) == 0) failures++;

  livehub::Hub hub{livehub::Config()};
  livehub::Hub other = hub.clone();
  livehub::Hub moved = std::move(other);
  try {
    other.tick();  // moved-from: no handle
    failures++;
  } catch (const livehub::Error &err) {
    if (err.code() != LIVEHUB_ERR_NULL) failures++;
  }
  if (hub.find("not/there").has_value() || hub.remove("not/there")) failures++;
  moved.tick();
  if (moved.stats_json().find("\"streams\"") == std::string::npos) failures++;

  std::printf("header_cpp17: livehub %s, %s\n", livehub::version(), failures ? "FAILED" : "ok");
  return failures ? 1 : 0;
}
