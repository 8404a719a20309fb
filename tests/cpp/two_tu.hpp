// two_tu.hpp: what tests/cpp/two_tu_main.cpp and two_tu_lib.cpp share.
// Both translation units include livehub.hpp; linked into one program they
// must not clash (every function of the header is inline or a template)
// and must agree on the handles they pass to each other.
#ifndef LIVEHUB_TEST_TWO_TU_HPP
#define LIVEHUB_TEST_TWO_TU_HPP

#include <cstddef>

#include "livehub.hpp"

// two_tu_lib.cpp: a player of `stream` whose notify callback (a lambda
// instantiated in that translation unit) counts into `*wakeups`.
livehub::Result<livehub::Player> lib_player(livehub::Stream stream, int *wakeups);
// two_tu_lib.cpp: pushes `n` AAC frames (after a sequence header on the first call).
livehub::Result<void> lib_publish(livehub::Publisher &pub, int n);
// two_tu_lib.cpp: how many tags a read loop gets from `player` before Again or Eof.
std::size_t lib_drain(livehub::Player &player);

#endif
