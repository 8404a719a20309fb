/*
 * no_threads: livehub starts no thread of its own.
 *
 * A server that forks workers (nginx), runs one coroutine scheduler (State
 * Threads) or pins work to event-loop threads must know that linking
 * livehub adds no thread behind its back. This program uses every part of
 * the API from its single thread — hub, publish, play, reads, blocking
 * waits with timeouts, notify callbacks, tick-driven policies, stats, JSON,
 * logging — and checks /proc/self/task before, during and after: exactly
 * one thread, always.
 *
 * On the way it checks, with its fake clock, that the time-based policies
 * count from their event, not from the tick that notices it: a server that
 * ticks once a minute still reaps an idle stream, expires a stalled player
 * and cuts a silent publisher at its first tick after the deadline. And that
 * livehub_publisher_push_flv()'s result code alone tells a dropped tag
 * (LIVEHUB_ERR_FLV: carry on) from a dead byte stream
 * (LIVEHUB_ERR_FLV_REJECTED: close the connection).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "livehub.h"

static int thread_count(void) {
  DIR *d = opendir("/proc/self/task");
  if (!d) {
    perror("opendir /proc/self/task");
    exit(2);
  }
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n;
}

static int failures = 0;
#define CHECK(cond)                                                        \
  do {                                                                     \
    if (!(cond)) {                                                         \
      fprintf(stderr, "no_threads: %s:%d: %s\n", __FILE__, __LINE__, #cond); \
      failures++;                                                          \
    }                                                                      \
  } while (0)

static uint64_t fake_now = 0;
static uint64_t fake_clock(void *userdata) {
  (void)userdata;
  return fake_now;
}

static int notified = 0;
static void on_notify(void *userdata) {
  (void)userdata;
  notified++;
}

static int log_lines = 0;
static void on_log(void *userdata, uint32_t level, const char *message) {
  (void)userdata;
  (void)level;
  (void)message;
  log_lines++;
}

static livehub_stream *stream_of(livehub_hub *hub, const char *key) {
  livehub_stream *s = NULL;
  CHECK(livehub_hub_stream(hub, key, &s) == LIVEHUB_OK);
  return s;
}

static uint32_t publisher_state(livehub_stream *s) {
  livehub_stream_stats st;
  memset(&st, 0, sizeof st);
  st.struct_size = sizeof st;
  CHECK(livehub_stream_get_stats(s, &st) == LIVEHUB_OK);
  return st.publisher_state;
}

/* Each timer, with exactly two ticks: one just before its deadline (it must
 * not act), one at it (it must). */
static void timers_from_the_event(void) {
  livehub_config cfg;
  livehub_config_init(&cfg);
  cfg.clock_ms = fake_clock;
  cfg.idle_stream_ms = 3000;
  cfg.player_idle_timeout_ms = 30000;
  cfg.publisher_idle_timeout_ms = 20000;
  cfg.republish_wait_ms = 5000;
  fake_now = 100000;
  livehub_hub *hub = NULL;
  CHECK(livehub_hub_new(&cfg, &hub) == LIVEHUB_OK);
  livehub_stream *s;

  /* A stream nobody used: idle since its creation. */
  livehub_stream_release(stream_of(hub, "idle/never"));
  /* A stream whose last player left at 110000 (its publisher at 105000). */
  s = stream_of(hub, "idle/left");
  livehub_player *pl = NULL;
  livehub_publisher *pub = NULL;
  CHECK(livehub_stream_play(s, NULL, &pl) == LIVEHUB_OK);
  CHECK(livehub_stream_publish(s, &pub) == LIVEHUB_OK);
  CHECK(livehub_hub_tick(hub) == LIVEHUB_OK); /* both busy now */
  fake_now = 105000;
  livehub_publisher_release(pub);
  fake_now = 110000;
  livehub_player_release(pl);
  livehub_stream_release(s);
  livehub_stream *probe = NULL;
  fake_now = 102999;
  CHECK(livehub_hub_tick(hub) == LIVEHUB_OK);
  CHECK(livehub_hub_find(hub, "idle/never", &probe) == LIVEHUB_OK);
  livehub_stream_release(probe);
  fake_now = 103000; /* one tick, 3000 ms after creation: reaped */
  CHECK(livehub_hub_tick(hub) == LIVEHUB_OK);
  CHECK(livehub_hub_find(hub, "idle/never", &probe) == LIVEHUB_ERR_NOT_FOUND);
  fake_now = 112999;
  CHECK(livehub_hub_tick(hub) == LIVEHUB_OK);
  CHECK(livehub_hub_find(hub, "idle/left", &probe) == LIVEHUB_OK);
  livehub_stream_release(probe);
  fake_now = 113000; /* 3000 ms after the last one left: reaped */
  CHECK(livehub_hub_tick(hub) == LIVEHUB_OK);
  CHECK(livehub_hub_find(hub, "idle/left", &probe) == LIVEHUB_ERR_NOT_FOUND);

  /* A player that read to the live edge at 200000; a tag it never reads
   * arrives at 201000: its stall counts from then. The publisher's last
   * push is at 201000 too: cut at 221000, its republish wait over at
   * 226000 — and the player still stalls: expired at 231000. */
  fake_now = 200000;
  s = stream_of(hub, "timers/live");
  CHECK(livehub_stream_play(s, NULL, &pl) == LIVEHUB_OK);
  CHECK(livehub_stream_publish(s, &pub) == LIVEHUB_OK);
  static const uint8_t aac_sh[] = {0xaf, 0x00, 0x12, 0x10};
  static const uint8_t aac[] = {0xaf, 0x01, 0x21, 0x22};
  CHECK(livehub_publisher_push_tag(pub, LIVEHUB_TAG_AUDIO, 0, aac_sh, sizeof aac_sh) == LIVEHUB_OK);
  livehub_tag tag;
  while (livehub_player_read(pl, &tag) == LIVEHUB_OK) {
  }
  CHECK(livehub_hub_tick(hub) == LIVEHUB_OK);
  fake_now = 201000;
  CHECK(livehub_publisher_push_tag(pub, LIVEHUB_TAG_AUDIO, 23, aac, sizeof aac) == LIVEHUB_OK);
  fake_now = 225999;
  CHECK(livehub_hub_tick(hub) == LIVEHUB_OK);
  CHECK(publisher_state(s) == LIVEHUB_PUBLISHER_WAITING); /* cut, waiting */
  CHECK(livehub_publisher_push_tag(pub, LIVEHUB_TAG_AUDIO, 46, aac, sizeof aac) == LIVEHUB_ERR_CLOSED);
  livehub_player_stats ps;
  memset(&ps, 0, sizeof ps);
  ps.struct_size = sizeof ps;
  CHECK(livehub_player_get_stats(pl, &ps) == LIVEHUB_OK);
  CHECK(ps.state == LIVEHUB_PLAYER_BEHIND);
  fake_now = 230999;
  CHECK(livehub_hub_tick(hub) == LIVEHUB_OK);
  CHECK(publisher_state(s) == LIVEHUB_PUBLISHER_NONE); /* the wait ran out */
  CHECK(livehub_player_get_stats(pl, &ps) == LIVEHUB_OK);
  CHECK(ps.state == LIVEHUB_PLAYER_BEHIND);
  fake_now = 231000;
  CHECK(livehub_hub_tick(hub) == LIVEHUB_OK);
  CHECK(livehub_player_read(pl, &tag) == LIVEHUB_ERR_EXPIRED);
  livehub_player_release(pl);
  livehub_publisher_release(pub);
  livehub_stream_release(s);
  livehub_hub_release(hub);
  fake_now = 0;
}

/* The result codes of livehub_publisher_push_flv(). */
static void flv_codes(void) {
  livehub_hub *hub = NULL;
  CHECK(livehub_hub_new(NULL, &hub) == LIVEHUB_OK);
  livehub_stream *s = stream_of(hub, "flv/codes");
  livehub_publisher *pub = NULL;
  CHECK(livehub_stream_publish(s, &pub) == LIVEHUB_OK);
  CHECK(publisher_state(s) == LIVEHUB_PUBLISHER_ACTIVE);
  static const uint8_t header[] = {'F', 'L', 'V', 1, 5, 0, 0, 0, 9, 0, 0, 0, 0};
  static const uint8_t good[] = {8, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0x2f, 0x01, 0, 0, 0, 13};
  static const uint8_t reserved[] = {7, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0xee, 0xee, 0, 0, 0, 13};
  CHECK(livehub_publisher_push_flv(pub, header, sizeof header) == LIVEHUB_OK);
  CHECK(livehub_publisher_push_flv(pub, good, sizeof good) == LIVEHUB_OK);
  CHECK(livehub_publisher_push_flv(pub, reserved, sizeof reserved) == LIVEHUB_ERR_FLV);
  CHECK(livehub_publisher_push_flv(pub, good, sizeof good) == LIVEHUB_OK); /* carry on */
  livehub_publisher_stats st;
  memset(&st, 0, sizeof st);
  st.struct_size = sizeof st;
  CHECK(livehub_publisher_get_stats(pub, &st) == LIVEHUB_OK);
  CHECK(st.rejected == LIVEHUB_OK && st.tags_in == 2 && st.tags_skipped == 1);
  livehub_publisher_release(pub);

  CHECK(livehub_stream_publish(s, &pub) == LIVEHUB_OK);
  static const char http[] = "GET / HTTP/1.1\r\n\r\n";
  CHECK(livehub_publisher_push_flv(pub, (const uint8_t *)http, sizeof http - 1) ==
        LIVEHUB_ERR_FLV_REJECTED);
  CHECK(livehub_publisher_push_flv(pub, header, sizeof header) == LIVEHUB_ERR_FLV_REJECTED);
  CHECK(livehub_publisher_get_stats(pub, &st) == LIVEHUB_OK);
  CHECK(st.rejected == LIVEHUB_ERR_FLV_REJECTED);
  CHECK(strcmp(livehub_result_str(LIVEHUB_ERR_FLV_REJECTED), "FLV byte stream rejected") == 0);
  livehub_publisher_release(pub);
  CHECK(publisher_state(s) == LIVEHUB_PUBLISHER_WAITING);
  livehub_stream_release(s);
  livehub_hub_release(hub);
}

int main(void) {
  CHECK(thread_count() == 1);
  CHECK(livehub_set_log_callback(LIVEHUB_LOG_DEBUG, on_log, NULL) == LIVEHUB_OK);

  livehub_config cfg;
  livehub_config_init(&cfg);
  cfg.clock_ms = fake_clock;
  cfg.republish_wait_ms = 1000;
  livehub_hub *hub = NULL;
  CHECK(livehub_hub_new(&cfg, &hub) == LIVEHUB_OK);

  livehub_stream *s = NULL;
  CHECK(livehub_hub_stream(hub, "live/threads", &s) == LIVEHUB_OK);
  livehub_player *pl = NULL;
  CHECK(livehub_stream_play(s, NULL, &pl) == LIVEHUB_OK);
  CHECK(livehub_player_set_notify(pl, on_notify, NULL) == LIVEHUB_OK);
  livehub_tag tag;
  CHECK(livehub_player_read(pl, &tag) == LIVEHUB_AGAIN);     /* arms */
  CHECK(livehub_player_wait(pl, 10) == LIVEHUB_TIMEOUT);      /* blocks, alone */

  livehub_publisher *pub = NULL;
  CHECK(livehub_stream_publish(s, &pub) == LIVEHUB_OK);
  static const uint8_t aac_sh[] = {0xaf, 0x00, 0x12, 0x10};
  CHECK(livehub_publisher_push_tag(pub, LIVEHUB_TAG_AUDIO, 0, aac_sh, sizeof aac_sh) == LIVEHUB_OK);
  uint8_t frame[] = {0xaf, 0x01, 0, 0};
  for (uint32_t i = 0; i < 2000; i++) {
    frame[2] = (uint8_t)i;
    CHECK(livehub_publisher_push_tag(pub, LIVEHUB_TAG_AUDIO, i * 23, frame, sizeof frame) == LIVEHUB_OK);
    if (i % 100 == 0) {
      fake_now += 1000;
      CHECK(livehub_hub_tick(hub) == LIVEHUB_OK);
      CHECK(thread_count() == 1);
    }
    uint8_t buf[256];
    size_t n;
    while (livehub_player_read_flv(pl, buf, sizeof buf, &n) == LIVEHUB_OK) {
    }
  }
  CHECK(notified > 0);
  char json[4096];
  size_t len;
  CHECK(livehub_hub_stats_json(hub, json, sizeof json, &len) == LIVEHUB_OK);
  livehub_stream_stats st;
  memset(&st, 0, sizeof st);
  st.struct_size = sizeof st;
  CHECK(livehub_stream_get_stats(s, &st) == LIVEHUB_OK);
  CHECK(st.tags_in == 2001);

  livehub_publisher_release(pub);                             /* unpublish */
  fake_now += 5000;
  CHECK(livehub_hub_tick(hub) == LIVEHUB_OK);                 /* republish wait over */
  CHECK(livehub_player_wait(pl, 1000) == LIVEHUB_EOF);
  CHECK(thread_count() == 1);

  livehub_player_release(pl);
  livehub_stream_release(s);
  for (int i = 0; i < 5; i++) {                               /* reaping */
    fake_now += 1000;
    livehub_hub_tick(hub);
  }
  livehub_hub_release(hub);
  timers_from_the_event();
  flv_codes();
  CHECK(thread_count() == 1);
  CHECK(livehub_set_log_callback(LIVEHUB_LOG_OFF, NULL, NULL) == LIVEHUB_OK);
  CHECK(log_lines > 0);
  CHECK(thread_count() == 1);

  if (failures) {
    fprintf(stderr, "no_threads: %d check(s) failed\n", failures);
    return 1;
  }
  printf("no_threads: one thread before, during and after; %d notifications, %d log lines; ok\n",
         notified, log_lines);
  return 0;
}
