// header_cpp17.cpp — livehub.h and livehub.hpp as a strict C++17 compiler
// sees them (g++ -std=c++17 -Wall -Wextra -Werror -pedantic).
//
// Checks at compile time: every C function with its documented signature
// (and C linkage usable from C++), every constant's value, the layout of the
// views, and the shape of the C++ wrapper (one owning-handle template; Hub
// and Stream copyable as references, Publisher and Player move-only; a
// non-throwing Result form of every fallible call; status enums for reads).
// Runs a few calls that need no stream, through both layers.
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
template <typename T>
constexpr bool copyable_reference = std::is_nothrow_copy_constructible<T>::value &&
                                    std::is_nothrow_copy_assignable<T>::value &&
                                    std::is_nothrow_move_constructible<T>::value &&
                                    std::is_nothrow_move_assignable<T>::value;
static_assert(copyable_reference<livehub::Hub>, "Hub copies are references (retain)");
static_assert(copyable_reference<livehub::Stream>, "Stream copies are references (retain)");
static_assert(move_only_owner<livehub::Publisher>, "Publisher is a move-only owner");
static_assert(move_only_owner<livehub::Player>, "Player is a move-only owner");
static_assert(move_only_owner<livehub::Group>, "Group is a move-only owner");
// One owning-handle template: each class is a unique_ptr with its release function as deleter.
static_assert(std::is_base_of<livehub::detail::Owner<livehub_hub, livehub_hub_release>, livehub::Hub>::value, "Hub");
static_assert(std::is_base_of<livehub::detail::Owner<livehub_stream, livehub_stream_release>, livehub::Stream>::value,
              "Stream");
static_assert(
    std::is_base_of<livehub::detail::Owner<livehub_publisher, livehub_publisher_release>, livehub::Publisher>::value,
    "Publisher");
static_assert(std::is_base_of<livehub::detail::Owner<livehub_player, livehub_player_release>, livehub::Player>::value,
              "Player");
static_assert(sizeof(livehub::Hub) == sizeof(void *) && sizeof(livehub::Player) == sizeof(void *),
              "a handle class is one pointer");
static_assert(std::is_base_of<std::exception, livehub::Error>::value, "Error is an exception");
static_assert(LIVEHUB_HPP_EXCEPTIONS == 1, "this file is built with exceptions");

// Every fallible call has a non-throwing form returning a Result next to the throwing one.
template <typename R, typename T>
constexpr bool returns = std::is_same<R, T>::value;
using livehub::ReadStatus;
using livehub::Result;
static_assert(returns<decltype(livehub::Hub::create()), Result<livehub::Hub>>, "Hub::create");
static_assert(returns<decltype(std::declval<livehub::Hub &>().try_stream("k")), Result<livehub::Stream>>, "");
static_assert(returns<decltype(std::declval<livehub::Hub &>().stream("k")), livehub::Stream>, "");
static_assert(returns<decltype(std::declval<livehub::Hub &>().try_find("k")), Result<livehub::Stream>>, "");
static_assert(returns<decltype(std::declval<livehub::Hub &>().find("k")), std::optional<livehub::Stream>>, "");
static_assert(returns<decltype(std::declval<livehub::Hub &>().try_remove("k")), Result<void>>, "");
static_assert(returns<decltype(std::declval<livehub::Hub &>().remove("k")), bool>, "");
static_assert(returns<decltype(std::declval<livehub::Hub &>().try_tick()), Result<void>>, "");
static_assert(returns<decltype(std::declval<livehub::Hub &>().try_stats_json()), Result<std::string>>, "");
static_assert(returns<decltype(std::declval<livehub::Stream &>().try_publish()), Result<livehub::Publisher>>, "");
static_assert(returns<decltype(std::declval<livehub::Stream &>().publish()), livehub::Publisher>, "");
static_assert(returns<decltype(std::declval<livehub::Stream &>().try_play()), Result<livehub::Player>>, "");
static_assert(returns<decltype(std::declval<livehub::Stream &>().play()), livehub::Player>, "");
static_assert(returns<decltype(std::declval<livehub::Player &>().try_read(std::declval<livehub::Tag &>())),
                      Result<ReadStatus>>,
              "");
static_assert(returns<decltype(std::declval<livehub::Player &>().read(std::declval<livehub::Tag &>())), ReadStatus>,
              "Player::read returns a status, not an exception, for Again/Eof/Expired");
static_assert(returns<decltype(std::declval<livehub::Player &>().try_wait(std::chrono::milliseconds(1))),
                      Result<livehub::WaitStatus>>,
              "");
static_assert(returns<decltype(std::declval<livehub::Player &>().try_set_notify(std::declval<void (*)()>())), Result<void>>, "");
static_assert(returns<decltype(std::declval<livehub::Publisher &>().try_push_flv(nullptr, 0)), Result<void>>, "");
static_assert(returns<decltype(livehub::Group::create()), Result<livehub::Group>>, "Group::create");
static_assert(returns<decltype(livehub::Group::create(std::declval<void (*)()>())), Result<livehub::Group>>, "");
static_assert(returns<decltype(std::declval<livehub::Group &>().try_dispatch()), Result<std::size_t>>, "");
static_assert(returns<decltype(std::declval<livehub::Group &>().dispatch()), std::size_t>, "");

// Every member is named once, so a wrapper that stops compiling is caught.
[[maybe_unused]] static void wrapper_surface(livehub::Hub &hub, livehub::Stream &s, livehub::Publisher &pub,
                                             livehub::Player &pl) {
  livehub::Hub h2 = hub.clone();
  livehub::Hub h3 = hub;
  h3 = h2;
  livehub::Stream s2 = h2.stream("a/b");
  livehub::Stream s2b = h2.stream(std::string("a/b"));
  std::optional<livehub::Stream> s3 = hub.find("a/b");
  bool removed = hub.remove("a/b");
  hub.tick();
  livehub::Stream s4 = s.clone();
  livehub::Stream s5 = s;
  s5 = s4;
  livehub::Publisher p2 = s.publish();
  livehub::Player pl2 = s.play();
  livehub::Player pl3 = s.play(livehub::PlayOptions().absolute_timestamps().rebase_timestamps().republish_wait_ms(1));
  s.set_userdata(nullptr, nullptr);
  void *ud = s.userdata();
  uint8_t b[16] = {0};
  pub.push_tag(LIVEHUB_TAG_AUDIO, 0, b, sizeof b);
  pub.push_flv(b, sizeof b);
  livehub_publisher_stats pst = pub.stats();
  pub.unpublish();
  livehub::Tag t;
  ReadStatus rs = pl.read(t);
  std::optional<livehub::Tag> ot = pl.read(&rs);
  size_t n = 0;
  rs = pl.read_flv(b, sizeof b, n);
  livehub_iovec iov[3];
  rs = pl.read_iov(iov, 3, n);
  livehub_tag tags[4];
  rs = pl.read_batch(tags, 4, n);
  livehub::WaitStatus ws = pl.wait(std::chrono::milliseconds(0));
  int calls = 0;
  pl.set_notify([&calls] { calls++; });
  pl.set_notify(std::function<void()>([] {}));
  pl.set_notify(std::function<void()>());  // empty: clears
  pl.set_notify(nullptr);
  pl.clear_notify();
  std::string json = hub.stats_json();
  livehub_stream_stats ss = s.stats();
  livehub_player_stats ps = pl.stats();
  livehub::set_log_callback(LIVEHUB_LOG_OFF, nullptr, nullptr);
  // The non-throwing forms.
  Result<livehub::Hub> hr = livehub::Hub::create(livehub::Config());
  Result<livehub::Stream> sr = hub.try_stream("a/b");
  sr = hub.try_find(std::string("a/b"));
  Result<void> vr = hub.try_remove("a/b");
  vr = hub.try_tick();
  Result<std::string> jr = hub.try_stats_json();
  Result<livehub::Publisher> pr = s.try_publish();
  Result<livehub::Player> plr = s.try_play(livehub::PlayOptions());
  vr = s.try_set_userdata(nullptr, nullptr);
  Result<livehub_stream_stats> ssr = s.try_stats();
  vr = pub.try_push_tag(LIVEHUB_TAG_AUDIO, 0, b, sizeof b);
  vr = pub.try_push_flv(b, sizeof b);
  Result<livehub_publisher_stats> pstr = pub.try_stats();
  Result<ReadStatus> rr = pl.try_read(t);
  rr = pl.try_read_batch(tags, 4, n);
  rr = pl.try_read_flv(b, sizeof b, n);
  rr = pl.try_read_iov(iov, 3, n);
  Result<livehub::WaitStatus> wr = pl.try_wait(std::chrono::milliseconds(0));
  vr = pl.try_set_notify([] {});
  vr = pl.try_set_notify(nullptr);
  vr = pl.try_clear_notify();
  Result<livehub_player_stats> psr = pl.try_stats();
  vr = livehub::try_set_log_callback(LIVEHUB_LOG_OFF, nullptr, nullptr);
  // Groups.
  livehub::Group g1([&calls] { calls++; });
  livehub::Group g2 = livehub::Group::create().unwrap();
  livehub::Result<livehub::Group> g3 = livehub::Group::create(nullptr);
  g2 = std::move(g1);
  std::size_t fired = g2.dispatch();
  livehub::Result<std::size_t> fr = g2.try_dispatch();
  livehub::Player pl4 = s.play(livehub::PlayOptions().group(g2));
  (void)fired; (void)fr; (void)g3; (void)g2.get(); (void)static_cast<bool>(g2); (void)pl4;
  (void)hr.ok(); (void)hr.code(); (void)hr.message(); (void)static_cast<bool>(hr);
  livehub::Hub h4 = std::move(hr).value_or(hub);
  livehub::Stream s6 = std::move(sr).unwrap();
  vr.unwrap();
  (void)jr; (void)pr; (void)plr; (void)ssr; (void)pstr; (void)rr; (void)wr; (void)psr; (void)h4; (void)s6;
  (void)json; (void)ss; (void)ps; (void)pst; (void)s2b;
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

  // Results: the code of a failure, unwrap() throwing it, value_or().
  livehub::Result<livehub::Hub> bad = livehub::Hub::create(livehub::Config().max_tag_size(LIVEHUB_MAX_TAG_SIZE + 1));
  if (bad || bad.code() != LIVEHUB_ERR_INVALID_ARG || std::strlen(bad.message()) == 0) failures++;
  try {
    livehub::Hub never = std::move(bad).unwrap();
    failures++;
  } catch (const livehub::Error &err) {
    if (err.code() != LIVEHUB_ERR_INVALID_ARG) failures++;
  }
  livehub::Result<livehub::Stream> missing = hub.try_find("not/there");
  if (missing.ok() || missing.code() != LIVEHUB_ERR_NOT_FOUND) failures++;
  if (hub.try_remove("not/there").code() != LIVEHUB_ERR_NOT_FOUND) failures++;
  if (!hub.try_tick()) failures++;

  // Copies are references: the stream outlives the hub and the first copy.
  livehub::Stream first = hub.stream("live/copies");
  livehub::Stream copy = first;
  if (copy.get() != first.get()) failures++;
  hub = livehub::Hub::adopt(nullptr);
  moved = hub;  // the hub's last reference goes: the stream is closed, not freed
  first = copy;
  first = livehub::Stream::adopt(nullptr);
  if (copy.try_publish().code() != LIVEHUB_ERR_CLOSED) failures++;
  if (first.try_publish().code() != LIVEHUB_ERR_NULL) failures++;

  std::printf("header_cpp17: livehub %s, %s\n", livehub::version(), failures ? "FAILED" : "ok");
  return failures ? 1 : 0;
}
