// livehub.hpp — the C++17 API of livehub, a header-only wrapper over livehub.h.
//
// Hand-written; needs only the standard library and livehub.h. Link
// liblivehub (pkg-config livehub) exactly as for C.
//
//   livehub::Hub hub(livehub::Config().republish_wait_ms(2000));
//   livehub::Stream stream = hub.stream("live/cam1");
//   livehub::Publisher pub = stream.publish();          // throws Error(LIVEHUB_ERR_BUSY) if taken
//   livehub::Player player = stream.play();
//   player.set_notify([conn] { conn->wake(); });         // any callable; lives as long as the player
//   pub.push_flv(bytes, len);
//   livehub::Tag tag;
//   while (player.read(tag) == livehub::ReadStatus::Ok) send(tag.data(), tag.size());
//
// Ownership
// ---------
// Every class below owns one livehub handle: a std::unique_ptr whose deleter
// is the handle's release function (detail::Owner). Destroying the object
// releases the handle; nothing shared is freed while another object still
// refers to it, so they may be destroyed in any order, on any thread.
//
//   Hub        livehub_hub*        copyable: a copy is livehub_hub_retain
//   Stream     livehub_stream*     copyable: a copy is livehub_stream_retain
//   Publisher  livehub_publisher*  move-only; destroying it is the unpublish
//   Player     livehub_player*     move-only; owns its notify callback
//   Group      livehub_group*      move-only; owns its wake callback
//   RtmpSession livehub_rtmp_session* move-only; owns its publisher and player
//
// A moved-from object holds no handle; calls on it fail with
// LIVEHUB_ERR_NULL, the C API's answer to a NULL handle. adopt(p) takes over
// a reference obtained from the C API, release() hands it back to C.
//
// Errors: two forms of every fallible call
// ----------------------------------------
// `try_x(...)` never throws: it returns a [[nodiscard]] livehub::Result<T>
// holding the value or the livehub_result code. `x(...)` is the throwing
// convenience: the value, or livehub::Error (code() and what() =
// livehub_result_str()). Compiled with -fno-exceptions, as many servers are,
// only the try_ forms exist: nothing in this header can throw or abort,
// except Result::unwrap(), which then prints the error and calls
// std::abort(). The normal states of a live stream are not errors: reads
// return ReadStatus::Again / Eof / Expired, waits WaitStatus::Timeout.
//
// Threads
// -------
// As in C: a Hub or Stream object may be used from any thread, and copies
// from many threads at once (each copy is its own reference). A Publisher
// or a Player is used by one thread at a time; only set_notify(),
// clear_notify() and the destructor of a Player may overlap its callback
// running on another thread. A Group may be used from any thread, but not
// destroyed while another call on it is in progress.
//
// Callbacks
// ---------
// Player::set_notify() takes any callable (lambda, function object,
// function pointer, std::function) and moves it into a heap object that
// livehub owns together with the player: livehub destroys it exactly once,
// when the callback is replaced or cleared or the player is released
// (livehub_player_set_notify_with_release), never while it runs. Group's
// wake callable is owned by the Group object and destroyed after
// livehub_group_release() returned, when it can no longer run. Neither may
// throw: they run behind noexcept trampolines, so an exception stops the
// program (std::terminate) instead of unwinding into C.
#ifndef LIVEHUB_HPP
#define LIVEHUB_HPP

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "livehub.h"

// 1 when the translation unit is compiled with exceptions (the throwing
// forms are then declared), 0 with -fno-exceptions. May be set by the user
// to 0 to hide the throwing forms even with exceptions on.
#ifndef LIVEHUB_HPP_EXCEPTIONS
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS) || defined(_CPPUNWIND)
#define LIVEHUB_HPP_EXCEPTIONS 1
#else
#define LIVEHUB_HPP_EXCEPTIONS 0
#endif
#endif

namespace livehub {

// The version of the linked library, e.g. "0.2.0" (static storage, never
// NULL). Compare with LIVEHUB_VERSION, the header's (see README.md, "ABI
// policy").
inline const char *version() noexcept { return livehub_version(); }

// The code and message of a failed call; what the throwing forms throw.
class Error : public std::exception {
 public:
  explicit Error(livehub_result code) noexcept : code_(code) {}
  livehub_result code() const noexcept { return code_; }
  const char *what() const noexcept override { return livehub_result_str(code_); }

 private:
  livehub_result code_;
};

namespace detail {
// Reports a failed call: throws Error, or without exceptions prints the
// error and aborts (reached only through Result::unwrap() then).
[[noreturn]] inline void fail(livehub_result code) {
#if LIVEHUB_HPP_EXCEPTIONS
  throw Error(code);
#else
  std::fprintf(stderr, "livehub: unwrap() of a failed result: %s (%u)\n", livehub_result_str(code),
               static_cast<unsigned>(code));
  std::abort();
#endif
}
}  // namespace detail

// The outcome of a non-throwing call: a T, or the livehub_result code of the
// failure (never LIVEHUB_OK). Check ok() (or `if (result)`) before value().
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) noexcept(std::is_nothrow_move_constructible<T>::value)  // NOLINT: implicit on purpose
      : value_(std::move(value)), code_(LIVEHUB_OK) {}
  // A failure with `code` (LIVEHUB_OK is turned into LIVEHUB_ERR_INVALID_ARG:
  // a success must carry its value).
  static Result error(livehub_result code) noexcept {
    return Result(code == LIVEHUB_OK ? static_cast<livehub_result>(LIVEHUB_ERR_INVALID_ARG) : code);
  }

  bool ok() const noexcept { return code_ == LIVEHUB_OK; }
  explicit operator bool() const noexcept { return ok(); }
  livehub_result code() const noexcept { return code_; }
  const char *message() const noexcept { return livehub_result_str(code_); }

  // The value. Only when ok().
  T &value() & noexcept { return *value_; }
  const T &value() const & noexcept { return *value_; }
  T &&value() && noexcept { return std::move(*value_); }
  T *operator->() noexcept { return &*value_; }
  T &operator*() & noexcept { return *value_; }

  // The value, or `fallback` if the call failed.
  T value_or(T fallback) && { return ok() ? std::move(*value_) : std::move(fallback); }
  // The value, or Error(code()) thrown (without exceptions: printed, then
  // std::abort()).
  T unwrap() && {
    if (!ok()) detail::fail(code_);
    return std::move(*value_);
  }

 private:
  explicit Result(livehub_result code) noexcept : value_(), code_(code) {}
  std::optional<T> value_;
  livehub_result code_;
};

// The outcome of a non-throwing call that produces nothing but a code.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() noexcept : code_(LIVEHUB_OK) {}
  explicit Result(livehub_result code) noexcept : code_(code) {}

  bool ok() const noexcept { return code_ == LIVEHUB_OK; }
  explicit operator bool() const noexcept { return ok(); }
  livehub_result code() const noexcept { return code_; }
  const char *message() const noexcept { return livehub_result_str(code_); }
  // Nothing, or Error(code()) thrown (without exceptions: printed, then std::abort()).
  void unwrap() const {
    if (!ok()) detail::fail(code_);
  }

 private:
  livehub_result code_;
};

namespace detail {

template <typename T, void (*ReleaseFn)(T *)>
struct Releaser {
  void operator()(T *p) const noexcept { ReleaseFn(p); }
};

// One owned livehub handle: a std::unique_ptr with the handle's release
// function as its deleter. Move-only; the base of every class below.
template <typename T, void (*ReleaseFn)(T *)>
class Owner {
 public:
  // The handle, still owned by this object (NULL if moved from).
  T *get() const noexcept { return ptr_.get(); }
  // Gives up ownership: the caller must release the handle itself.
  T *release() noexcept { return ptr_.release(); }
  explicit operator bool() const noexcept { return static_cast<bool>(ptr_); }

 protected:
  Owner() noexcept = default;
  explicit Owner(T *p) noexcept : ptr_(p) {}
  void reset() noexcept { ptr_.reset(); }
  std::unique_ptr<T, Releaser<T, ReleaseFn>> ptr_;
};

// An owned handle of a shared livehub type: copying takes one more
// reference (RetainFn), each copy releases its own.
template <typename T, void (*ReleaseFn)(T *), T *(*RetainFn)(T *)>
class Shared : public Owner<T, ReleaseFn> {
 protected:
  Shared() noexcept = default;
  explicit Shared(T *p) noexcept : Owner<T, ReleaseFn>(p) {}
  Shared(const Shared &o) noexcept : Owner<T, ReleaseFn>(RetainFn(o.get())) {}
  Shared &operator=(const Shared &o) noexcept {
    if (this != &o) this->ptr_.reset(RetainFn(o.get()));
    return *this;
  }
  Shared(Shared &&) noexcept = default;
  Shared &operator=(Shared &&) noexcept = default;
  ~Shared() = default;
};

template <typename F>
struct is_std_function : std::false_type {};
template <typename R, typename... A>
struct is_std_function<std::function<R(A...)>> : std::true_type {};

// An empty std::function or a null function pointer means "no callback".
template <typename F>
bool empty_callable(const F &f) noexcept {
  if constexpr (std::is_pointer<F>::value || std::is_member_pointer<F>::value) {
    return f == nullptr;
  } else if constexpr (is_std_function<F>::value) {
    return !f;
  } else {
    return false;
  }
}

// The C side of a callable stored on the heap: called, and deleted once.
template <typename Fn>
void call_heap(void *userdata) noexcept {
  (*static_cast<Fn *>(userdata))();
}
template <typename Fn>
void delete_heap(void *userdata) noexcept {
  delete static_cast<Fn *>(userdata);
}

}  // namespace detail

// Sends livehub's log lines up to `level` (LIVEHUB_LOG_*) to `fn(userdata,
// level, message)`; nullptr or LIVEHUB_LOG_OFF turns logging off.
// Process-wide, last call wins. `fn` may run on any thread that calls into
// livehub, and may still receive a line that was being logged while this
// call replaced it: keep `userdata` valid for as long as your threads may
// be inside livehub (simplest: for the life of the process).
inline Result<void> try_set_log_callback(uint32_t level, livehub_log_fn fn, void *userdata) noexcept {
  return Result<void>(livehub_set_log_callback(level, fn, userdata));
}
#if LIVEHUB_HPP_EXCEPTIONS
inline void set_log_callback(uint32_t level, livehub_log_fn fn, void *userdata) {
  try_set_log_callback(level, fn, userdata).unwrap();
}
#endif

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

class Group;

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
  // The player joins `group`, the players of one event loop: its notify
  // callback then runs in Group::dispatch(). The Group need only outlive
  // the play call.
  inline PlayOptions &group(const Group &group) noexcept;
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

// The publishing side of a stream. Destroying it (or unpublish()) is the
// unpublish: players drain what was published, wait up to the republish
// wait for a new publisher, then read Eof.
class Publisher : public detail::Owner<livehub_publisher, livehub_publisher_release> {
 public:
  // Takes over one publisher handle (e.g. from livehub_stream_publish).
  static Publisher adopt(livehub_publisher *p) noexcept { return Publisher(p); }

  // One FLV tag body (FLV tag header excluded); the bytes are copied.
  // Fails with LIVEHUB_ERR_CLOSED once the stream was removed, its hub
  // closed or this publisher cut for silence, and with the codes of
  // livehub_publisher_push_tag() for a bad tag (nothing is stored then;
  // the stream carries on).
  Result<void> try_push_tag(uint8_t type, uint32_t timestamp_ms, const uint8_t *data, std::size_t size) noexcept {
    return Result<void>(livehub_publisher_push_tag(get(), type, timestamp_ms, data, size));
  }
  // The next bytes of a raw FLV byte stream, any size and any split. The
  // codes are livehub_publisher_push_flv()'s: some mean "one tag was
  // dropped, carry on", others "the byte stream is rejected, close the
  // connection".
  Result<void> try_push_flv(const uint8_t *bytes, std::size_t size) noexcept {
    return Result<void>(livehub_publisher_push_flv(get(), bytes, size));
  }
  // Counters, and whether the FLV byte stream was rejected.
  Result<livehub_publisher_stats> try_stats() noexcept {
    livehub_publisher_stats st{};
    st.struct_size = sizeof st;
    livehub_result r = livehub_publisher_get_stats(get(), &st);
    if (r != LIVEHUB_OK) return Result<livehub_publisher_stats>::error(r);
    return st;
  }
  // Unpublishes now (releases the handle); the object becomes empty.
  void unpublish() noexcept { reset(); }

#if LIVEHUB_HPP_EXCEPTIONS
  void push_tag(uint8_t type, uint32_t timestamp_ms, const uint8_t *data, std::size_t size) {
    try_push_tag(type, timestamp_ms, data, size).unwrap();
  }
  void push_flv(const uint8_t *bytes, std::size_t size) { try_push_flv(bytes, size).unwrap(); }
  livehub_publisher_stats stats() { return try_stats().unwrap(); }
#endif

 private:
  explicit Publisher(livehub_publisher *p) noexcept : Owner(p) {}
};

// One reader of a stream: a cursor into the stream's shared ring.
class Player : public detail::Owner<livehub_player, livehub_player_release> {
 public:
  // Takes over one player handle (e.g. from livehub_stream_play), with the
  // notify registration it may already have.
  static Player adopt(livehub_player *p) noexcept { return Player(p); }

  // The next tag as a borrowed view (valid until the next call on this
  // Player). Fails only for misuse (a moved-from Player) or a panic.
  Result<ReadStatus> try_read(Tag &tag_out) noexcept { return status(livehub_player_read(get(), &tag_out.raw())); }

  // Up to `cap` tags at once into tags[0..count): what `count` reads would
  // give, cheaper per tag; every view valid until the next call on this
  // Player. `count` is 0 unless the status is Ok.
  Result<ReadStatus> try_read_batch(livehub_tag *tags, std::size_t cap, std::size_t &count) noexcept {
    std::size_t n = 0;
    Result<ReadStatus> s = status(livehub_player_read_batch(get(), tags, cap, &n));
    count = s.ok() && s.value() == ReadStatus::Ok ? n : 0;
    return s;
  }

  // The HTTP-FLV byte stream: up to `cap` bytes into `buf` (FLV header on
  // the first call). May stop mid-tag; the next call continues.
  Result<ReadStatus> try_read_flv(uint8_t *buf, std::size_t cap, std::size_t &written) noexcept {
    std::size_t n = 0;
    Result<ReadStatus> s = status(livehub_player_read_flv(get(), buf, cap, &n));
    written = s.ok() && s.value() == ReadStatus::Ok ? n : 0;
    return s;
  }

  // The same byte stream as iovecs pointing into livehub's buffers (for
  // writev). Valid until the next call on this Player; never write through
  // them. `iov_cap` must be at least 3.
  Result<ReadStatus> try_read_iov(livehub_iovec *iov, std::size_t iov_cap, std::size_t &count) noexcept {
    std::size_t n = 0;
    Result<ReadStatus> s = status(livehub_player_read_iov(get(), iov, iov_cap, &n));
    count = s.ok() && s.value() == ReadStatus::Ok ? n : 0;
    return s;
  }

  // Blocks the calling thread until a read would not return Again, for
  // thread-per-connection servers. Never on an event-loop or coroutine
  // thread, never from a notify callback.
  Result<WaitStatus> try_wait(std::chrono::milliseconds timeout) noexcept {
    auto ms = timeout.count() < 0 ? 0 : timeout.count();
    if (ms > 0xFFFFFFFFLL) ms = 0xFFFFFFFFLL;
    livehub_result r = livehub_player_wait(get(), static_cast<uint32_t>(ms));
    switch (r) {
      case LIVEHUB_OK: return WaitStatus::Ok;
      case LIVEHUB_TIMEOUT: return WaitStatus::Timeout;
      case LIVEHUB_EOF: return WaitStatus::Eof;
      case LIVEHUB_ERR_EXPIRED: return WaitStatus::Expired;
      default: return Result<WaitStatus>::error(r);
    }
  }

  // Registers `fn` (any callable taking no argument) to be called, at most
  // once per arming, after a read returned Again and something (data or
  // the end) arrived. It runs on the thread that made the change (a push,
  // an unpublish, a removal, Hub::tick(), ...) with no livehub lock held,
  // so it may call back into livehub; it may read or destroy this Player
  // only when no other call on the Player is in progress (a call on this
  // Player can itself fire it). Servers usually just wake their event loop
  // or coroutine. It must not call wait() and must not throw.
  //
  // `fn` is moved into a heap object that belongs to the player from now
  // on: livehub destroys it exactly once, when the callback is replaced or
  // cleared or the player is released, never while it runs. An empty
  // std::function or a null function pointer clears the callback.
  template <typename F>
  Result<void> try_set_notify(F &&fn) {
    using Fn = std::decay_t<F>;
    static_assert(std::is_invocable<Fn &>::value, "a notify callback is called with no argument");
    if (detail::empty_callable(fn)) return try_clear_notify();
    if (!get()) return Result<void>(LIVEHUB_ERR_NULL);
    Fn *heap = new Fn(std::forward<F>(fn));
    livehub_result r =
        livehub_player_set_notify_with_release(get(), &detail::call_heap<Fn>, heap, &detail::delete_heap<Fn>);
    if (r != LIVEHUB_OK) delete heap;  // not registered: still ours
    return Result<void>(r);
  }
  Result<void> try_set_notify(std::nullptr_t) noexcept { return try_clear_notify(); }

  // Clears the callback; when this returns it is not running on another
  // thread and never runs again, and livehub has destroyed it.
  Result<void> try_clear_notify() noexcept {
    return Result<void>(livehub_player_set_notify_with_release(get(), nullptr, nullptr, nullptr));
  }

  // Counters, lag and state of this player (LIVEHUB_PLAYER_*).
  Result<livehub_player_stats> try_stats() noexcept {
    livehub_player_stats st{};
    st.struct_size = sizeof st;
    livehub_result r = livehub_player_get_stats(get(), &st);
    if (r != LIVEHUB_OK) return Result<livehub_player_stats>::error(r);
    return st;
  }

#if LIVEHUB_HPP_EXCEPTIONS
  ReadStatus read(Tag &tag_out) { return try_read(tag_out).unwrap(); }
  // The next tag, or std::nullopt with the reason in *status.
  std::optional<Tag> read(ReadStatus *status = nullptr) {
    Tag t;
    ReadStatus s = read(t);
    if (status) *status = s;
    if (s == ReadStatus::Ok) return t;
    return std::nullopt;
  }
  ReadStatus read_batch(livehub_tag *tags, std::size_t cap, std::size_t &count) {
    return try_read_batch(tags, cap, count).unwrap();
  }
  ReadStatus read_flv(uint8_t *buf, std::size_t cap, std::size_t &written) {
    return try_read_flv(buf, cap, written).unwrap();
  }
  ReadStatus read_iov(livehub_iovec *iov, std::size_t iov_cap, std::size_t &count) {
    return try_read_iov(iov, iov_cap, count).unwrap();
  }
  WaitStatus wait(std::chrono::milliseconds timeout) { return try_wait(timeout).unwrap(); }
  template <typename F>
  void set_notify(F &&fn) {
    try_set_notify(std::forward<F>(fn)).unwrap();
  }
  void clear_notify() { try_clear_notify().unwrap(); }
  livehub_player_stats stats() { return try_stats().unwrap(); }
#endif

 private:
  explicit Player(livehub_player *p) noexcept : Owner(p) {}

  static Result<ReadStatus> status(livehub_result r) noexcept {
    switch (r) {
      case LIVEHUB_OK: return ReadStatus::Ok;
      case LIVEHUB_AGAIN: return ReadStatus::Again;
      case LIVEHUB_EOF: return ReadStatus::Eof;
      case LIVEHUB_ERR_EXPIRED: return ReadStatus::Expired;
      default: return Result<ReadStatus>::error(r);
    }
  }
};

namespace detail {
// A group's wake callable, type-erased: owned by the Group object and
// destroyed only after livehub_group_release() returned (when wake can no
// longer run).
struct Wake {
  virtual ~Wake() = default;
  virtual void call() noexcept = 0;
};
template <typename Fn>
struct WakeFn final : Wake {
  explicit WakeFn(Fn f) : fn(std::move(f)) {}
  void call() noexcept override { fn(); }
  Fn fn;
};
inline void call_wake(void *userdata) noexcept { static_cast<Wake *>(userdata)->call(); }
}  // namespace detail

// The players of one event-loop thread (livehub_group): they arm into the
// group, a change of any of their streams calls `wake` once (until the next
// dispatch), and dispatch(), on the loop's thread, runs the notify callback
// of each player with news. A push then costs the publisher O(groups), not
// O(players). Move-only; pass it to PlayOptions::group().
class Group {
 public:
  // A group whose `wake` (any callable taking no argument, or nullptr for
  // none: the loop dispatches on its own schedule) is called on the thread
  // that made the change, with no livehub lock held. It should only signal
  // the loop (write an eventfd, post an event) and must not throw. The
  // callable lives until the Group is destroyed, after which it never runs.
  template <typename F>
  static Result<Group> create(F &&wake) {
    using Fn = std::decay_t<F>;
    static_assert(std::is_invocable<Fn &>::value, "a wake callback is called with no argument");
    if (detail::empty_callable(wake)) return create();
    std::unique_ptr<detail::Wake> owned(new detail::WakeFn<Fn>(std::forward<F>(wake)));
    livehub_group *g = nullptr;
    livehub_result r = livehub_group_new(&detail::call_wake, owned.get(), &g);
    if (r != LIVEHUB_OK) return Result<Group>::error(r);
    return Group(g, std::move(owned));
  }
  static Result<Group> create(std::nullptr_t = nullptr) noexcept {
    livehub_group *g = nullptr;
    livehub_result r = livehub_group_new(nullptr, nullptr, &g);
    if (r != LIVEHUB_OK) return Result<Group>::error(r);
    return Group(g, nullptr);
  }

  Group(Group &&) noexcept = default;
  Group &operator=(Group &&o) noexcept {
    if (this != &o) {
      handle_.reset();  // release the group first: its wake never runs again
      handle_ = std::move(o.handle_);
      wake_ = std::move(o.wake_);
    }
    return *this;
  }
  Group(const Group &) = delete;
  Group &operator=(const Group &) = delete;
  ~Group() { handle_.reset(); }  // then wake_ goes (members die after the body)

  // Runs, here, the notify callback of every player of the group that got
  // news since it armed; gives how many ran. Call it from the loop `wake`
  // woke.
  Result<std::size_t> try_dispatch() noexcept {
    std::size_t fired = 0;
    livehub_result r = livehub_group_dispatch(get(), &fired);
    if (r != LIVEHUB_OK) return Result<std::size_t>::error(r);
    return fired;
  }

#if LIVEHUB_HPP_EXCEPTIONS
  template <typename F, typename = std::enable_if_t<!std::is_same<std::decay_t<F>, Group>::value>>
  explicit Group(F &&wake) : Group(create(std::forward<F>(wake)).unwrap()) {}
  std::size_t dispatch() { return try_dispatch().unwrap(); }
#endif

  livehub_group *get() const noexcept { return handle_.get(); }
  explicit operator bool() const noexcept { return static_cast<bool>(handle_); }

 private:
  struct Handle : detail::Owner<livehub_group, livehub_group_release> {
    Handle() noexcept = default;
    explicit Handle(livehub_group *g) noexcept : Owner(g) {}
    using Owner::reset;
  };
  Group(livehub_group *g, std::unique_ptr<detail::Wake> wake) noexcept : wake_(std::move(wake)), handle_(g) {}
  std::unique_ptr<detail::Wake> wake_;  // declared first: destroyed after handle_
  Handle handle_;
};

inline PlayOptions &PlayOptions::group(const Group &g) noexcept {
  raw_.group = g.get();
  return *this;
}

// A live stream: one publisher at a time, any number of players. Copying a
// Stream takes another reference to the same stream.
class Stream : public detail::Shared<livehub_stream, livehub_stream_release, livehub_stream_retain> {
 public:
  // Takes over one stream reference (e.g. from livehub_hub_stream).
  static Stream adopt(livehub_stream *s) noexcept { return Stream(s); }
  // Another reference to the same stream (the same as a copy).
  Stream clone() const noexcept { return *this; }

  // Becomes the stream's publisher: LIVEHUB_ERR_BUSY if another publisher
  // is active, LIVEHUB_ERR_CLOSED if the stream was removed.
  Result<Publisher> try_publish() noexcept {
    livehub_publisher *p = nullptr;
    livehub_result r = livehub_stream_publish(get(), &p);
    if (r != LIVEHUB_OK) return Result<Publisher>::error(r);
    return Publisher::adopt(p);
  }

  // A new player, joining at the latest keyframe (after metadata and the
  // sequence headers): LIVEHUB_ERR_CLOSED if the stream was removed.
  Result<Player> try_play(const PlayOptions &opts = PlayOptions()) noexcept {
    livehub_player *p = nullptr;
    livehub_result r = livehub_stream_play(get(), &opts.raw(), &p);
    if (r != LIVEHUB_OK) return Result<Player>::error(r);
    return Player::adopt(p);
  }

  // Attaches `userdata`; livehub calls `drop(userdata)` exactly once: when
  // it is replaced or cleared, or when the stream itself is freed (after
  // its last handle went), on the thread that released that handle.
  Result<void> try_set_userdata(void *userdata, void (*drop)(void *)) noexcept {
    return Result<void>(livehub_stream_set_userdata(get(), userdata, drop));
  }
  void *userdata() const noexcept { return livehub_stream_userdata(get()); }

  // A snapshot: publisher state, counters, cache sizes, codec parameters.
  Result<livehub_stream_stats> try_stats() const noexcept {
    livehub_stream_stats st{};
    st.struct_size = sizeof st;
    livehub_result r = livehub_stream_get_stats(get(), &st);
    if (r != LIVEHUB_OK) return Result<livehub_stream_stats>::error(r);
    return st;
  }

#if LIVEHUB_HPP_EXCEPTIONS
  Publisher publish() { return try_publish().unwrap(); }
  Player play(const PlayOptions &opts = PlayOptions()) { return try_play(opts).unwrap(); }
  void set_userdata(void *userdata, void (*drop)(void *)) { try_set_userdata(userdata, drop).unwrap(); }
  livehub_stream_stats stats() const { return try_stats().unwrap(); }
#endif

 private:
  explicit Stream(livehub_stream *s) noexcept : Shared(s) {}
};

// The registry of live streams by key ("app/stream"). Copying a Hub takes
// another reference; the last one to go closes every mounted stream
// (publishers get LIVEHUB_ERR_CLOSED, players drain and read Eof), while
// nothing is freed under a Stream, Publisher or Player that still exists.
class Hub : public detail::Shared<livehub_hub, livehub_hub_release, livehub_hub_retain> {
 public:
  // A new hub: LIVEHUB_ERR_INVALID_ARG for a bad config.
  static Result<Hub> create(const Config &cfg = Config()) noexcept {
    livehub_hub *h = nullptr;
    livehub_result r = livehub_hub_new(&cfg.raw(), &h);
    if (r != LIVEHUB_OK) return Result<Hub>::error(r);
    return Hub(h);
  }
  // Takes over one hub reference.
  static Hub adopt(livehub_hub *h) noexcept { return Hub(h); }
  // Another reference to the same hub (the same as a copy).
  Hub clone() const noexcept { return *this; }

  // Gets or creates the stream mounted under `key` (UTF-8, 1 to
  // LIVEHUB_MAX_KEY_LEN bytes): LIVEHUB_ERR_INVALID_ARG for a bad key.
  Result<Stream> try_stream(const char *key) noexcept { return lookup(livehub_hub_stream, key); }
  Result<Stream> try_stream(const std::string &key) noexcept { return try_stream(key.c_str()); }
  // The stream mounted under `key`: LIVEHUB_ERR_NOT_FOUND if there is none.
  Result<Stream> try_find(const char *key) noexcept { return lookup(livehub_hub_find, key); }
  Result<Stream> try_find(const std::string &key) noexcept { return try_find(key.c_str()); }
  // Unmounts `key` (its players drain and read Eof, its publisher gets
  // LIVEHUB_ERR_CLOSED): LIVEHUB_ERR_NOT_FOUND if nothing was mounted.
  Result<void> try_remove(const char *key) noexcept { return Result<void>(livehub_hub_remove(get(), key)); }
  Result<void> try_remove(const std::string &key) noexcept { return try_remove(key.c_str()); }
  // Applies the time-based policies now; call it from the server's timer.
  Result<void> try_tick() noexcept { return Result<void>(livehub_hub_tick(get())); }

  // A JSON snapshot of every mounted stream and its players (schema in
  // docs/stats.md), ready to be served from an HTTP API. Allocates (an
  // allocation failure is std::bad_alloc, or an abort without exceptions).
  Result<std::string> try_stats_json() {
    std::string out(4096, '\0');
    for (int attempt = 0; attempt < 8; attempt++) {
      std::size_t len = 0;
      livehub_result r = livehub_hub_stats_json(get(), &out[0], out.size(), &len);
      if (r == LIVEHUB_OK) {
        out.resize(len);
        return out;
      }
      if (r != LIVEHUB_ERR_BUFFER) return Result<std::string>::error(r);
      out.assign(len + 1 + len / 4, '\0');  // the hub may grow meanwhile
    }
    return Result<std::string>::error(LIVEHUB_ERR_BUFFER);
  }

#if LIVEHUB_HPP_EXCEPTIONS
  explicit Hub(const Config &cfg = Config()) : Hub(create(cfg).unwrap()) {}
  Stream stream(const std::string &key) { return try_stream(key).unwrap(); }
  // The stream mounted under `key`, or std::nullopt.
  std::optional<Stream> find(const std::string &key) {
    Result<Stream> r = try_find(key);
    if (r.code() == LIVEHUB_ERR_NOT_FOUND) return std::nullopt;
    return std::move(r).unwrap();
  }
  // False if nothing was mounted under `key`.
  bool remove(const std::string &key) {
    Result<void> r = try_remove(key);
    if (r.code() == LIVEHUB_ERR_NOT_FOUND) return false;
    r.unwrap();
    return true;
  }
  void tick() { try_tick().unwrap(); }
  std::string stats_json() { return try_stats_json().unwrap(); }
#endif

 private:
  explicit Hub(livehub_hub *h) noexcept : Shared(h) {}
  Result<Stream> lookup(livehub_result (*fn)(livehub_hub *, const char *, livehub_stream **),
                        const char *key) noexcept {
    livehub_stream *s = nullptr;
    livehub_result r = fn(get(), key, &s);
    if (r != LIVEHUB_OK) return Result<Stream>::error(r);
    return Stream::adopt(s);
  }
};

// What RtmpSession::try_pump() found (LIVEHUB_RTMP_PUMP_*).
enum class RtmpPump {
  Idle,     // nothing is playing
  Waiting,  // the player is at the live edge: its notify callback is armed
  Full,     // the output queue is full: write, then pump again
  Ended,    // the stream ended for the player (the client was told); it is released
};

// One RTMP connection, server side, sans IO (livehub_rtmp_session; see
// docs/RTMP.md): feed() what the socket delivers, answer next_event()'s
// publish and play requests — now or later — with accept_publish() /
// accept_play() (which take over the Publisher / Player) or reject(),
// pump() the player's tags into the output, write the iovecs of output()
// and consume() what was written. Move-only; destroying it releases its
// publisher (the unpublish) and its player. One thread at a time.
//
//   livehub::RtmpSession s = livehub::RtmpSession::create().unwrap();
//   s.feed(buf, n);                                  // Error(LIVEHUB_ERR_RTMP): close
//   livehub_rtmp_event ev;
//   while (s.next_event(ev))
//     if (ev.kind == LIVEHUB_RTMP_EVENT_PUBLISH) s.accept_publish(ev.request_id, hub.stream(ev.key).publish());
//   s.pump();
//   std::size_t k = s.output(iov, 64);  ssize_t w = writev(fd, (struct iovec *)iov, (int)k);  s.consume(w);
class RtmpSession : public detail::Owner<livehub_rtmp_session, livehub_rtmp_session_release> {
 public:
  // A session waiting for the client's handshake; `cfg` NULL: the defaults.
  static Result<RtmpSession> create(const livehub_rtmp_config *cfg = nullptr) noexcept {
    livehub_rtmp_session *s = nullptr;
    livehub_result r = livehub_rtmp_session_new(cfg, &s);
    if (r != LIVEHUB_OK) return Result<RtmpSession>::error(r);
    return RtmpSession(s);
  }
  // Takes over a session from the C API.
  static RtmpSession adopt(livehub_rtmp_session *s) noexcept { return RtmpSession(s); }

  // Feeds received bytes (any split): LIVEHUB_ERR_RTMP for bad input (the
  // session is closed; error() says why), LIVEHUB_ERR_CLOSED after that.
  Result<void> try_feed(const uint8_t *data, std::size_t len) noexcept {
    return Result<void>(livehub_rtmp_session_feed(get(), data, len));
  }
  // Why the session was closed: a LIVEHUB_RTMP_ERR_* code, 0 while open.
  uint32_t error() const noexcept {
    uint32_t code = 0;
    if (livehub_rtmp_session_error(get(), &code) != LIVEHUB_OK) return 0;
    return code;
  }
  // The next event into `ev` (its strings are valid until the next call
  // of next_event()); false when there is none.
  bool next_event(livehub_rtmp_event &ev) noexcept {
    return livehub_rtmp_session_next_event(get(), &ev) == LIVEHUB_OK;
  }
  // Answers publish request `id` with `pub`, which the session takes over
  // (released on failure); LIVEHUB_ERR_NOT_FOUND if the request is no
  // longer pending, LIVEHUB_ERR_CLOSED if the session is closed. On a
  // moved-from session (LIVEHUB_ERR_NULL) `pub` stays the caller's.
  Result<void> try_accept_publish(uint64_t id, Publisher &&pub) noexcept {
    if (!get() || !pub) return Result<void>(LIVEHUB_ERR_NULL);
    return Result<void>(livehub_rtmp_session_accept_publish(get(), id, pub.release()));
  }
  // Answers play request `id` with `pl` (set its notify first: the
  // callable moves with it), taken over as for try_accept_publish().
  Result<void> try_accept_play(uint64_t id, Player &&pl) noexcept {
    if (!get() || !pl) return Result<void>(LIVEHUB_ERR_NULL);
    return Result<void>(livehub_rtmp_session_accept_play(get(), id, pl.release()));
  }
  // Refuses request `id`; `why` is LIVEHUB_RTMP_REJECT_BUSY, _NOT_FOUND or _DENIED.
  Result<void> try_reject(uint64_t id, uint32_t why) noexcept {
    return Result<void>(livehub_rtmp_session_reject(get(), id, why));
  }
  // Moves the player's tags into the output (no payload copy).
  Result<RtmpPump> try_pump() noexcept {
    uint32_t state = LIVEHUB_RTMP_PUMP_IDLE;
    livehub_result r = livehub_rtmp_session_pump(get(), &state);
    if (r != LIVEHUB_OK) return Result<RtmpPump>::error(r);
    switch (state) {
      case LIVEHUB_RTMP_PUMP_WAITING: return RtmpPump::Waiting;
      case LIVEHUB_RTMP_PUMP_FULL: return RtmpPump::Full;
      case LIVEHUB_RTMP_PUMP_ENDED: return RtmpPump::Ended;
      default: return RtmpPump::Idle;
    }
  }
  // Up to `cap` iovecs of what is to be sent (valid until the next
  // non-const call); the count, 0 when nothing is queued.
  Result<std::size_t> try_output(livehub_iovec *iov, std::size_t cap) const noexcept {
    std::size_t n = 0;
    livehub_result r = livehub_rtmp_session_output(get(), iov, cap, &n);
    if (r != LIVEHUB_OK) return Result<std::size_t>::error(r);
    return n;
  }
  // Bytes queued for sending (0 for a moved-from session).
  std::size_t pending() const noexcept {
    std::size_t n = 0;
    if (livehub_rtmp_session_pending(get(), &n) != LIVEHUB_OK) return 0;
    return n;
  }
  // The first `n` bytes handed out were written.
  Result<void> try_consume(std::size_t n) noexcept { return Result<void>(livehub_rtmp_session_consume(get(), n)); }
  // Closes the session: its publisher and player are released.
  Result<void> try_close() noexcept { return Result<void>(livehub_rtmp_session_close(get())); }

#if LIVEHUB_HPP_EXCEPTIONS
  void feed(const uint8_t *data, std::size_t len) { try_feed(data, len).unwrap(); }
  void accept_publish(uint64_t id, Publisher &&pub) { try_accept_publish(id, std::move(pub)).unwrap(); }
  void accept_play(uint64_t id, Player &&pl) { try_accept_play(id, std::move(pl)).unwrap(); }
  void reject(uint64_t id, uint32_t why) { try_reject(id, why).unwrap(); }
  RtmpPump pump() { return try_pump().unwrap(); }
  std::size_t output(livehub_iovec *iov, std::size_t cap) const { return try_output(iov, cap).unwrap(); }
  void consume(std::size_t n) { try_consume(n).unwrap(); }
  void close() { try_close().unwrap(); }
#endif

 private:
  explicit RtmpSession(livehub_rtmp_session *s) noexcept : Owner(s) {}
};

}  // namespace livehub

#endif  // LIVEHUB_HPP
