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
