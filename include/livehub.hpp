// livehub.hpp — C++17 RAII wrapper over livehub.h.
//
// Hand-written, header-only, no dependency beyond the standard library and
// livehub.h. Link liblivehub.a (or .so) exactly as for C.
//
// Ownership model
// ---------------
// Every class owns exactly one livehub handle (one reference) and releases it
// in its destructor:
//
//   Hub        livehub_hub*        ~Hub()       -> livehub_hub_release
//   Stream     livehub_stream*     ~Stream()    -> livehub_stream_release
//   Publisher  livehub_publisher*  ~Publisher() -> livehub_publisher_release (= unpublish)
//   Player     livehub_player*     ~Player()    -> set_notify(NULL), then livehub_player_release
//
// The classes are move-only. Hub and Stream are shared objects in livehub:
// `clone()` takes a second reference (`_retain`) and returns a new owner.
// Publisher and Player are single-owner handles and have no clone().
// A moved-from object holds no handle; calling a method on it throws
// livehub::Error with LIVEHUB_ERR_NULL (the C API's answer to a NULL handle).
//
// livehub never frees a stream while any handle refers to it, so these
// objects may be destroyed in any order, on any thread: a Player may outlive
// its Stream, its Hub and its Publisher; it then reads what was published and
// gets ReadStatus::Eof.
//
// Errors
// ------
// Calls that fail throw livehub::Error, which carries the livehub_result and
// whose what() is livehub_result_str(). Reads and waits do not throw for the
// normal outcomes of a live stream: they return ReadStatus / WaitStatus
// (Again, Eof, Timeout, Expired are not errors). Hub::find() returns
// std::nullopt when the key is not mounted; Hub::remove() returns false.
//
// Threads
// -------
// As in C: Hub and Stream may be used from any thread concurrently. A
// Publisher or a Player is used by one thread at a time; only
// Player::set_notify() and the Player destructor may race with its notify
// callback.
#ifndef LIVEHUB_HPP
#define LIVEHUB_HPP

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "livehub.h"

namespace livehub {

// The library's version string, e.g. "0.1.0". Static storage: never freed.
inline const char *version() noexcept { return livehub_version(); }

// A failed call. code() is the livehub_result; what() never returns NULL.
class Error : public std::exception {
 public:
  explicit Error(livehub_result code) noexcept : code_(code) {}
  livehub_result code() const noexcept { return code_; }
  const char *what() const noexcept override { return livehub_result_str(code_); }

 private:
  livehub_result code_;
};

namespace detail {
inline void check(livehub_result r) {
  if (r != LIVEHUB_OK) throw Error(r);
}
}  // namespace detail

// Sends livehub's log lines up to `level` (LIVEHUB_LOG_*) to `fn(userdata,
// level, message)`; nullptr or LIVEHUB_LOG_OFF turns logging off.
// Process-wide, last call wins. `fn` may run on any thread that calls into
// livehub, and may still receive a line that was being logged while this
// call replaced it: keep `userdata` valid for as long as your threads may
// be inside livehub (simplest: for the life of the process).
inline void set_log_callback(uint32_t level, livehub_log_fn fn, void *userdata) {
  detail::check(livehub_set_log_callback(level, fn, userdata));
}

// Outcome of a read: the normal states of a live stream, not errors.
enum class ReadStatus {
  Ok,       // data was produced
  Again,    // nothing now: the notify callback (if any) is armed
  Eof,      // the stream ended (unpublished, removed or its hub closed) and
            // everything published was delivered; stays Eof
  Expired,  // the player was expired (it stopped reading for too long)
};

// Outcome of Player::wait().
enum class WaitStatus {
  Ok,       // a read would not return Again
  Timeout,  // nothing arrived in time
  Eof,      // the stream ended and is drained
  Expired,  // the player was expired
};

// Hub configuration: livehub_config with its defaults (livehub_config_init),
// plus chainable setters for the fields servers usually change.
class Config {
 public:
  Config() noexcept { livehub_config_init(&raw_); }
  Config &republish_wait_ms(uint32_t v) noexcept { raw_.republish_wait_ms = v; return *this; }
  Config &idle_stream_ms(uint32_t v) noexcept { raw_.idle_stream_ms = v; return *this; }
  Config &publisher_idle_timeout_ms(uint32_t v) noexcept { raw_.publisher_idle_timeout_ms = v; return *this; }
  Config &player_idle_timeout_ms(uint32_t v) noexcept { raw_.player_idle_timeout_ms = v; return *this; }
  Config &max_lag_ms(uint32_t v) noexcept { raw_.max_lag_ms = v; return *this; }
  Config &gop_max_frames(uint32_t v) noexcept { raw_.gop_max_frames = v; return *this; }
  Config &gop_max_bytes(uint64_t v) noexcept { raw_.gop_max_bytes = v; return *this; }
  Config &max_tag_size(uint32_t v) noexcept { raw_.max_tag_size = v; return *this; }
  // Any other field, including a replaceable clock (clock_ms, clock_userdata).
  livehub_config &raw() noexcept { return raw_; }
  const livehub_config &raw() const noexcept { return raw_; }

 private:
  livehub_config raw_;
};

// Per-player options: livehub_play_options with its defaults.
class PlayOptions {
 public:
  PlayOptions() noexcept { livehub_play_options_init(&raw_); }
  // Output timestamps start at 0 for this player (the default).
  PlayOptions &rebase_timestamps() noexcept { raw_.timestamp_mode = LIVEHUB_TIMESTAMP_REBASE; return *this; }
  // Output timestamps as the publisher sent them (still never going back).
  PlayOptions &absolute_timestamps() noexcept { raw_.timestamp_mode = LIVEHUB_TIMESTAMP_ABSOLUTE; return *this; }
  // How long this player waits for a new publisher (LIVEHUB_INHERIT: the hub's).
  PlayOptions &republish_wait_ms(uint32_t v) noexcept { raw_.republish_wait_ms = v; return *this; }
  livehub_play_options &raw() noexcept { return raw_; }
  const livehub_play_options &raw() const noexcept { return raw_; }

 private:
  livehub_play_options raw_;
};

// A borrowed view of one FLV tag (the body, without the FLV tag header).
// Valid until the next call on the Player that produced it: copy or write it
// out before reading again.
class Tag {
 public:
  Tag() noexcept : raw_() {}
  uint8_t type() const noexcept { return raw_.type; }                // LIVEHUB_TAG_AUDIO/VIDEO/SCRIPT
  uint32_t timestamp() const noexcept { return raw_.timestamp; }     // ms, after the timestamp policy
  uint32_t flags() const noexcept { return raw_.flags; }
  const uint8_t *data() const noexcept { return raw_.data; }
  std::size_t size() const noexcept { return raw_.size; }
  bool is_audio() const noexcept { return raw_.type == LIVEHUB_TAG_AUDIO; }
  bool is_video() const noexcept { return raw_.type == LIVEHUB_TAG_VIDEO; }
  bool is_script() const noexcept { return raw_.type == LIVEHUB_TAG_SCRIPT; }
  bool is_keyframe() const noexcept { return (raw_.flags & LIVEHUB_TAG_FLAG_KEYFRAME) != 0; }
  bool is_sequence_header() const noexcept { return (raw_.flags & LIVEHUB_TAG_FLAG_SEQUENCE_HEADER) != 0; }
  bool is_metadata() const noexcept { return (raw_.flags & LIVEHUB_TAG_FLAG_METADATA) != 0; }
  livehub_tag &raw() noexcept { return raw_; }
  const livehub_tag &raw() const noexcept { return raw_; }

 private:
  livehub_tag raw_;
};

class Stream;

// The publishing side of a stream. Destroying it (or calling unpublish())
// is the unpublish: players drain what was published, then wait for a new
// publisher for the configured republish wait, then get Eof.
class Publisher {
 public:
  // Takes ownership of one reference (e.g. from livehub_stream_publish).
  static Publisher adopt(livehub_publisher *p) noexcept { return Publisher(p); }

  Publisher(Publisher &&o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  Publisher &operator=(Publisher &&o) noexcept {
    if (this != &o) {
      livehub_publisher_release(p_);
      p_ = std::exchange(o.p_, nullptr);
    }
    return *this;
  }
  Publisher(const Publisher &) = delete;
  Publisher &operator=(const Publisher &) = delete;
  ~Publisher() { livehub_publisher_release(p_); }

  // One FLV tag body (FLV tag header excluded). The bytes are copied: the
  // buffer can be reused as soon as this returns. Throws Error, e.g.
  // LIVEHUB_ERR_CLOSED once the stream was removed or its hub closed.
  void push_tag(uint8_t type, uint32_t timestamp_ms, const uint8_t *data, std::size_t size) {
    detail::check(livehub_publisher_push_tag(p_, type, timestamp_ms, data, size));
  }
  // A chunk of a raw FLV byte stream, any size and any split.
  void push_flv(const uint8_t *bytes, std::size_t size) {
    detail::check(livehub_publisher_push_flv(p_, bytes, size));
  }
  // Unpublishes now (releases the handle); the object becomes empty.
  void unpublish() noexcept {
    livehub_publisher_release(p_);
    p_ = nullptr;
  }

  livehub_publisher *get() const noexcept { return p_; }
  // Gives up ownership: the caller must livehub_publisher_release() it.
  livehub_publisher *release() noexcept { return std::exchange(p_, nullptr); }
  explicit operator bool() const noexcept { return p_ != nullptr; }

 private:
  explicit Publisher(livehub_publisher *p) noexcept : p_(p) {}
  livehub_publisher *p_;
};

// One reader of a stream: a cursor into the stream's shared ring.
class Player {
 public:
  // Takes ownership of one reference (e.g. from livehub_stream_play).
  static Player adopt(livehub_player *p) noexcept { return Player(p); }

  Player(Player &&o) noexcept : p_(std::exchange(o.p_, nullptr)), notify_(std::move(o.notify_)) {}
  Player &operator=(Player &&o) noexcept {
    if (this != &o) {
      reset();
      p_ = std::exchange(o.p_, nullptr);
      notify_ = std::move(o.notify_);  // the heap object keeps its address
    }
    return *this;
  }
  Player(const Player &) = delete;
  Player &operator=(const Player &) = delete;
  ~Player() { reset(); }

  // Next tag as a borrowed view (valid until the next call on this Player).
  // Throws Error only for misuse (e.g. a moved-from Player).
  ReadStatus read(Tag &tag_out) { return read_status(livehub_player_read(p_, &tag_out.raw())); }

  // Convenience: the next tag, or std::nullopt with the reason in *status.
  std::optional<Tag> read(ReadStatus *status = nullptr) {
    Tag t;
    ReadStatus s = read(t);
    if (status) *status = s;
    if (s == ReadStatus::Ok) return t;
    return std::nullopt;
  }

  // Up to `cap` tags at once into tags[0..count): what `count` read() calls
  // would give, cheaper per tag. Every view stays valid until the next call
  // on this Player.
  ReadStatus read_batch(livehub_tag *tags, std::size_t cap, std::size_t &count) {
    std::size_t n = 0;
    ReadStatus s = read_status(livehub_player_read_batch(p_, tags, cap, &n));
    count = s == ReadStatus::Ok ? n : 0;
    return s;
  }

  // The HTTP-FLV byte stream: up to `cap` bytes into `buf` (FLV header on the
  // first call). May stop mid-tag; the next call continues.
  ReadStatus read_flv(uint8_t *buf, std::size_t cap, std::size_t &written) {
    std::size_t n = 0;
    ReadStatus s = read_status(livehub_player_read_flv(p_, buf, cap, &n));
    written = s == ReadStatus::Ok ? n : 0;
    return s;
  }

  // The same byte stream as iovecs pointing into livehub's buffers (for
  // writev). They are valid until the next call on this Player; never write
  // through them. `iov_cap` must be at least 3.
  ReadStatus read_iov(livehub_iovec *iov, std::size_t iov_cap, std::size_t &count) {
    std::size_t n = 0;
    ReadStatus s = read_status(livehub_player_read_iov(p_, iov, iov_cap, &n));
    count = s == ReadStatus::Ok ? n : 0;
    return s;
  }

  // Blocks the calling thread until a read would not return Again, for
  // thread-per-connection servers.
  WaitStatus wait(std::chrono::milliseconds timeout) {
    auto ms = timeout.count() < 0 ? 0 : timeout.count();
    if (ms > 0xFFFFFFFFLL) ms = 0xFFFFFFFFLL;
    livehub_result r = livehub_player_wait(p_, static_cast<uint32_t>(ms));
    switch (r) {
      case LIVEHUB_OK: return WaitStatus::Ok;
      case LIVEHUB_TIMEOUT: return WaitStatus::Timeout;
      case LIVEHUB_EOF: return WaitStatus::Eof;
      case LIVEHUB_ERR_EXPIRED: return WaitStatus::Expired;
      default: throw Error(r);
    }
  }

  // Registers `fn` to be called, at most once per arming, after a read
  // returned Again and something (data or the end) arrived. It runs on the
  // thread that made the change (a publisher push, an unpublish, a removal,
  // Hub::tick(), ...) with no livehub lock held, so it may call back into
  // livehub. It may read or destroy this Player only when no other call on
  // the Player is in progress (a call on this Player can itself fire the
  // callback); servers usually just wake their event loop or coroutine.
  // Destroying the Player, or replacing or clearing its callback, from
  // inside `fn` destroys `fn` itself: make that the callback's last action. `fn` must not call wait(), and must not
  // throw (an escaping exception terminates the program: it cannot cross the
  // C boundary). An empty `fn` clears the callback.
  //
  // The function lives in a heap object owned by this Player, whose address
  // is the C userdata. The previous function is destroyed only after
  // livehub_player_set_notify() returned, i.e. once it can no longer run.
  void set_notify(std::function<void()> fn) {
    if (!fn) {
      clear_notify();
      return;
    }
    auto next = std::make_unique<std::function<void()>>(std::move(fn));
    detail::check(livehub_player_set_notify(p_, &Player::trampoline, next.get()));
    notify_ = std::move(next);  // destroys the old one: it can no longer run
  }

  // Clears the callback; when this returns it is not running and never will.
  void clear_notify() {
    if (p_) detail::check(livehub_player_set_notify(p_, nullptr, nullptr));
    notify_.reset();
  }

  // Counters, lag and state of this player (LIVEHUB_PLAYER_*).
  livehub_player_stats stats() {
    livehub_player_stats st{};
    st.struct_size = sizeof st;
    detail::check(livehub_player_get_stats(p_, &st));
    return st;
  }

  livehub_player *get() const noexcept { return p_; }
  // Gives up ownership of the handle. Refused (throws LIVEHUB_ERR_INVALID_ARG)
  // while a notify function is registered: clear it first, since its storage
  // belongs to this object.
  livehub_player *release() {
    if (notify_) throw Error(LIVEHUB_ERR_INVALID_ARG);
    return std::exchange(p_, nullptr);
  }
  explicit operator bool() const noexcept { return p_ != nullptr; }

 private:
  explicit Player(livehub_player *p) noexcept : p_(p) {}

  static ReadStatus read_status(livehub_result r) {
    switch (r) {
      case LIVEHUB_OK: return ReadStatus::Ok;
      case LIVEHUB_AGAIN: return ReadStatus::Again;
      case LIVEHUB_EOF: return ReadStatus::Eof;
      case LIVEHUB_ERR_EXPIRED: return ReadStatus::Expired;
      default: throw Error(r);
    }
  }

  // noexcept: an exception escaping the user's function stops here
  // (std::terminate) instead of unwinding through livehub's frames.
  static void trampoline(void *userdata) noexcept {
    (*static_cast<std::function<void()> *>(userdata))();
  }

  void reset() noexcept {
    if (p_ && notify_) livehub_player_set_notify(p_, nullptr, nullptr);  // stop callbacks first
    livehub_player_release(p_);
    p_ = nullptr;
    notify_.reset();
  }

  livehub_player *p_;
  std::unique_ptr<std::function<void()>> notify_;
};

// A live stream: one publisher at a time, any number of players.
class Stream {
 public:
  // Takes ownership of one reference (e.g. from livehub_hub_stream).
  static Stream adopt(livehub_stream *s) noexcept { return Stream(s); }

  Stream(Stream &&o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  Stream &operator=(Stream &&o) noexcept {
    if (this != &o) {
      livehub_stream_release(s_);
      s_ = std::exchange(o.s_, nullptr);
    }
    return *this;
  }
  Stream(const Stream &) = delete;
  Stream &operator=(const Stream &) = delete;
  ~Stream() { livehub_stream_release(s_); }

  // A second owner of the same stream (livehub_stream_retain).
  Stream clone() const {
    if (!s_) throw Error(LIVEHUB_ERR_NULL);
    return Stream(livehub_stream_retain(s_));
  }

  // Becomes the stream's publisher. Throws Error(LIVEHUB_ERR_BUSY) if another
  // publisher is active, LIVEHUB_ERR_CLOSED if the stream was removed.
  Publisher publish() {
    livehub_publisher *p = nullptr;
    detail::check(livehub_stream_publish(s_, &p));
    return Publisher::adopt(p);
  }

  // A new player, joining at the latest keyframe (after metadata and the
  // sequence headers).
  Player play() { return play_raw(nullptr); }
  Player play(const PlayOptions &opts) { return play_raw(&opts.raw()); }

  // Attaches `userdata`; livehub calls `drop(userdata)` exactly once, when the
  // stream itself is freed (after its last handle went), on the thread that
  // released that handle.
  void set_userdata(void *userdata, void (*drop)(void *)) {
    detail::check(livehub_stream_set_userdata(s_, userdata, drop));
  }
  void *userdata() const noexcept { return livehub_stream_userdata(s_); }

  // A snapshot: publisher state, counters, cache sizes, codec parameters.
  livehub_stream_stats stats() const {
    livehub_stream_stats st{};
    st.struct_size = sizeof st;
    detail::check(livehub_stream_get_stats(s_, &st));
    return st;
  }

  livehub_stream *get() const noexcept { return s_; }
  // Gives up ownership: the caller must livehub_stream_release() it.
  livehub_stream *release() noexcept { return std::exchange(s_, nullptr); }
  explicit operator bool() const noexcept { return s_ != nullptr; }

 private:
  explicit Stream(livehub_stream *s) noexcept : s_(s) {}
  Player play_raw(const livehub_play_options *opts) {
    livehub_player *p = nullptr;
    detail::check(livehub_stream_play(s_, opts, &p));
    return Player::adopt(p);
  }
  livehub_stream *s_;
};

// The registry of live streams by key ("app/stream").
class Hub {
 public:
  explicit Hub(const Config &cfg = Config()) : h_(nullptr) {
    detail::check(livehub_hub_new(&cfg.raw(), &h_));
  }
  // Takes ownership of one reference.
  static Hub adopt(livehub_hub *h) noexcept { return Hub(h, 0); }

  Hub(Hub &&o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
  Hub &operator=(Hub &&o) noexcept {
    if (this != &o) {
      livehub_hub_release(h_);
      h_ = std::exchange(o.h_, nullptr);
    }
    return *this;
  }
  Hub(const Hub &) = delete;
  Hub &operator=(const Hub &) = delete;
  // The last Hub owner closes every mounted stream (publishers get
  // LIVEHUB_ERR_CLOSED, players drain and get Eof); nothing is freed under
  // a Stream, Publisher or Player that still exists.
  ~Hub() { livehub_hub_release(h_); }

  // A second owner of the same hub (livehub_hub_retain).
  Hub clone() const {
    if (!h_) throw Error(LIVEHUB_ERR_NULL);
    return Hub(livehub_hub_retain(h_), 0);
  }

  // Get or create the stream mounted under `key`.
  Stream stream(const std::string &key) {
    livehub_stream *s = nullptr;
    detail::check(livehub_hub_stream(h_, key.c_str(), &s));
    return Stream::adopt(s);
  }
  // The stream mounted under `key`, if any.
  std::optional<Stream> find(const std::string &key) {
    livehub_stream *s = nullptr;
    livehub_result r = livehub_hub_find(h_, key.c_str(), &s);
    if (r == LIVEHUB_ERR_NOT_FOUND) return std::nullopt;
    detail::check(r);
    return Stream::adopt(s);
  }
  // Unmounts `key`: its players drain and get Eof, its publisher gets
  // LIVEHUB_ERR_CLOSED. False if nothing was mounted there.
  bool remove(const std::string &key) {
    livehub_result r = livehub_hub_remove(h_, key.c_str());
    if (r == LIVEHUB_ERR_NOT_FOUND) return false;
    detail::check(r);
    return true;
  }
  // Applies the time-based policies now; call it from the server's timer.
  void tick() { detail::check(livehub_hub_tick(h_)); }

  // A JSON snapshot of every mounted stream and its players (schema in
  // docs/stats.md), ready to be served from an HTTP API.
  std::string stats_json() {
    std::string out(4096, '\0');
    for (int attempt = 0; attempt < 8; attempt++) {
      std::size_t len = 0;
      livehub_result r = livehub_hub_stats_json(h_, &out[0], out.size(), &len);
      if (r == LIVEHUB_OK) {
        out.resize(len);
        return out;
      }
      if (r != LIVEHUB_ERR_BUFFER) throw Error(r);
      out.assign(len + 1 + len / 4, '\0');  // the hub may grow meanwhile
    }
    throw Error(LIVEHUB_ERR_BUFFER);
  }

  livehub_hub *get() const noexcept { return h_; }
  // Gives up ownership: the caller must livehub_hub_release() it.
  livehub_hub *release() noexcept { return std::exchange(h_, nullptr); }
  explicit operator bool() const noexcept { return h_ != nullptr; }

 private:
  Hub(livehub_hub *h, int) noexcept : h_(h) {}
  livehub_hub *h_;
};

}  // namespace livehub

#endif  // LIVEHUB_HPP
