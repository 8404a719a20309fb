// two_tu_main.cpp: livehub.hpp in two translation units linked together
// (this one and two_tu_lib.cpp), built with -Wall -Wextra -Werror -pedantic
// and run under ASan+UBSan by make test-cpp, and against the installed
// library by make test-install. Handles cross from one unit to the other;
// each unit instantiates its own notify lambdas; the copies of Stream that
// lib_player() takes are references that it releases.
#include <cstdio>
#include <utility>

#include "two_tu.hpp"

int main() {
  int failures = 0;
  auto expect = [&failures](bool ok, const char *what) {
    if (!ok) {
      ++failures;
      std::fprintf(stderr, "two_tu: FAILED: %s\n", what);
    }
  };

  livehub::Hub hub(livehub::Config().republish_wait_ms(0));
  livehub::Stream stream = hub.stream("live/two-tu");
  livehub::Publisher pub = stream.publish();

  int wakeups_lib = 0, wakeups_main = 0;
  livehub::Player from_lib = lib_player(stream, &wakeups_lib).unwrap();  // lambda of two_tu_lib.cpp
  livehub::Player here = stream.play();
  here.set_notify([&wakeups_main] { ++wakeups_main; });                    // lambda of this unit
  expect(lib_drain(from_lib) == 0 && lib_drain(here) == 0, "nothing before the first push");

  expect(lib_publish(pub, 10).ok(), "publish 10 frames");
  expect(lib_drain(from_lib) == 11 && lib_drain(here) == 11, "both players get the sequence header and 10 frames");
  expect(wakeups_lib == 1 && wakeups_main == 1, "each callback ran once for its arming");

  expect(lib_publish(pub, 5).ok(), "publish 5 more");
  pub.unpublish();
  expect(lib_drain(from_lib) == 5 && lib_drain(here) == 5, "both players get the 5 frames");
  livehub::Tag tag;
  expect(from_lib.read(tag) == livehub::ReadStatus::Eof && here.read(tag) == livehub::ReadStatus::Eof,
         "both read Eof after the unpublish");

  livehub::Hub other = hub;  // copy = retain
  expect(other.find("live/two-tu").has_value(), "a Hub copy sees the same streams");
  expect(other.remove("live/two-tu") && !hub.find("live/two-tu").has_value(), "removed through the copy");

  std::printf("two_tu: livehub %s, callbacks from two translation units ran %d and %d times: %s\n",
              livehub::version(), wakeups_lib, wakeups_main, failures ? "FAILED" : "ok");
  return failures ? 1 : 0;
}
