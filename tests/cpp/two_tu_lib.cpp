// two_tu_lib.cpp: the second translation unit of the two-TU test (see two_tu.hpp).
#include "two_tu.hpp"

#include <cstdint>

livehub::Result<livehub::Player> lib_player(livehub::Stream stream, int *wakeups) {
  livehub::Result<livehub::Player> player = stream.try_play(livehub::PlayOptions().absolute_timestamps());
  if (!player) return player;
  livehub::Result<void> set = player->try_set_notify([wakeups] { ++*wakeups; });
  if (!set) return livehub::Result<livehub::Player>::error(set.code());
  return player;
}

livehub::Result<void> lib_publish(livehub::Publisher &pub, int n) {
  static const uint8_t sequence_header[] = {0xAF, 0x00, 0x12, 0x10};
  static const uint8_t frame[] = {0xAF, 0x01, 0x21, 0x10, 0x04, 0x60};
  static uint32_t ts = 0;
  if (ts == 0) {
    livehub::Result<void> r = pub.try_push_tag(LIVEHUB_TAG_AUDIO, 0, sequence_header, sizeof sequence_header);
    if (!r) return r;
  }
  for (int i = 0; i < n; i++) {
    livehub::Result<void> r = pub.try_push_tag(LIVEHUB_TAG_AUDIO, ts, frame, sizeof frame);
    if (!r) return r;
    ts += 23;
  }
  return {};
}

std::size_t lib_drain(livehub::Player &player) {
  livehub_tag tags[8];
  std::size_t total = 0, n = 0;
  while (player.read_batch(tags, 8, n) == livehub::ReadStatus::Ok) total += n;
  return total;
}
