/*
 * notify_reentrant.c — the notification contract, under pressure.
 *
 * Event-loop and coroutine servers do not block in livehub_player_wait():
 * they register a notify callback with livehub_player_set_notify() and, when
 * a read returns LIVEHUB_AGAIN, go back to their loop. The callback fires at
 * most once per such arming, on the thread that made data available (the
 * publisher's), after livehub released its internal locks.
 *
 * Part 1 — re-entrancy. The callback reads its own player from inside the
 * callback (and looks the stream up in the hub): this must not deadlock, and
 * every pushed tag must arrive through callbacks. When the publisher leaves,
 * the armed player must be told (EOF), or a server waiting for the callback
 * would wait forever.
 *
 * Part 1b — teardown from inside: a callback that clears its own
 * registration, and one that releases its own player when it reads EOF.
 *
 * Part 2 — teardown races. Player threads repeatedly register a callback,
 * arm it, then clear it with set_notify(NULL) — or release the player — while
 * a publisher thread keeps firing callbacks. The promise a server relies on to
 * free its callback context: once set_notify(NULL) (or release) has returned,
 * the old callback is not running and never runs again. Each context has a
 * flag that is set right after that call returns; the callback fails the test
 * if it ever sees the flag set, and the context is freed right after, so a
 * late callback is also a use-after-free that AddressSanitizer reports.
 * Half the rounds register with livehub_player_set_notify_with_release()
 * instead and let livehub free the context: the release function must run
 * exactly once per registration (when it is cleared or the player released)
 * and never while the callback runs; a late callback would again read freed
 * memory.
 *
 * Usage: notify_reentrant [rounds per player]      (default 1000)
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "livehub.h"

static long atomic_add(long *p, long v) { return __atomic_add_fetch(p, v, __ATOMIC_SEQ_CST); }
static long atomic_get(const long *p) { return __atomic_load_n(p, __ATOMIC_SEQ_CST); }
static void atomic_set(long *p, long v) { __atomic_store_n(p, v, __ATOMIC_SEQ_CST); }

static long failures = 0;

#define FAIL(...)                                                     \
    do {                                                              \
        if (atomic_add(&failures, 1) <= 20) {                         \
            fprintf(stderr, "notify_reentrant: FAILED %s:%d: ",       \
                    __FILE__, __LINE__);                              \
            fprintf(stderr, __VA_ARGS__);                             \
            fputc('\n', stderr);                                      \
        }                                                             \
    } while (0)
#define EXPECT(cond, ...) do { if (!(cond)) FAIL(__VA_ARGS__); } while (0)

static void must(livehub_result r, const char *what)
{
    if (r != LIVEHUB_OK) {
        fprintf(stderr, "notify_reentrant: %s failed: %s\n", what, livehub_result_str(r));
        exit(1);
    }
}

static void sleep_us(uint32_t us)
{
    struct timespec ts = { (time_t)(us / 1000000u), (long)(us % 1000000u) * 1000L };
    nanosleep(&ts, NULL);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Busy-waits (stays on the CPU, unlike a sleep). */
static void spin_us(uint32_t us)
{
    uint64_t end = now_ns() + (uint64_t)us * 1000u;
    for (int guard = 0; guard < 10000000 && now_ns() < end; guard++) {}
}

/* A tiny seeded PRNG (xorshift32) so runs are repeatable in their choices. */
static uint32_t xorshift(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13; x ^= x >> 17; x ^= x << 5;
    return *s = x;
}

/* A minimal AVC + AAC stream: tag n of an endless sequence. */
static size_t make_tag(uint32_t n, uint8_t *body, uint8_t *type, uint32_t *ts)
{
    static const uint8_t aac_sh[] = { 0xAF, 0x00, 0x12, 0x10 };
    static const uint8_t avc_sh[] = { 0x17, 0x00, 0, 0, 0, 0x01, 0x42, 0xC0, 0x1E, 0xFF, 0xE1, 0x00, 0x04,
                                      0x67, 0x42, 0xC0, 0x1E, 0x01, 0x00, 0x02, 0x68, 0xCE };
    static const uint8_t meta[] = { 0x02, 0x00, 0x0A, 'o', 'n', 'M', 'e', 't', 'a', 'D', 'a', 't', 'a',
                                    0x08, 0, 0, 0, 0, 0x00, 0x00, 0x09 };
    *ts = n * 20u;
    if (n == 0) { *type = LIVEHUB_TAG_SCRIPT; memcpy(body, meta, sizeof meta); return sizeof meta; }
    if (n == 1) { *type = LIVEHUB_TAG_AUDIO; memcpy(body, aac_sh, sizeof aac_sh); return sizeof aac_sh; }
    if (n == 2) { *type = LIVEHUB_TAG_VIDEO; memcpy(body, avc_sh, sizeof avc_sh); return sizeof avc_sh; }
    if (n % 2) {                                   /* video: keyframe every 50 tags */
        body[0] = (n % 50 == 3) ? 0x17 : 0x27;
        body[1] = 0x01;
        body[2] = body[3] = body[4] = 0;
        memset(body + 5, (int)(n & 0xFF), 64);
        *type = LIVEHUB_TAG_VIDEO;
        return 69;
    }
    body[0] = 0xAF;
    body[1] = 0x01;
    memset(body + 2, (int)(n & 0xFF), 32);
    *type = LIVEHUB_TAG_AUDIO;
    return 34;
}

/* ------------------------------------------------------------------------- */
/* Part 1: reading from inside the callback                                  */
/* ------------------------------------------------------------------------- */

typedef struct {
    livehub_hub *hub;          /* borrowed: main owns these two */
    livehub_player *player;
    long calls, tags, nested;
    int inside, saw_eof;
} reentrant_ctx;

static void reentrant_notify(void *userdata)
{
    reentrant_ctx *c = userdata;
    if (c->inside) c->nested++;                    /* must never happen */
    c->inside = 1;
    c->calls++;

    /* Re-enter livehub: read our own player until it is drained. The last
     * read returns AGAIN, which arms the next notification. */
    for (int i = 0; i < 1000; i++) {
        livehub_tag tag;
        livehub_result r = livehub_player_read(c->player, &tag);
        if (r == LIVEHUB_OK) { c->tags++; continue; }
        if (r == LIVEHUB_EOF) c->saw_eof = 1;
        else EXPECT(r == LIVEHUB_AGAIN, "read inside the callback returned %s", livehub_result_str(r));
        break;
    }
    /* And the hub and stream locks: a lookup from inside the callback. */
    if (c->calls % 100 == 1) {
        livehub_stream *s = NULL;
        livehub_result r = livehub_hub_find(c->hub, "live/reentrant", &s);
        EXPECT(r == LIVEHUB_OK, "hub_find inside the callback returned %s", livehub_result_str(r));
        if (r == LIVEHUB_OK) livehub_stream_release(s);   /* our reference from find */
    }
    c->inside = 0;
}

static void part1_reentrant(void)
{
    livehub_config cfg;
    livehub_config_init(&cfg);
    cfg.republish_wait_ms = 0;                     /* EOF as soon as the publisher leaves */

    livehub_hub *hub = NULL;
    livehub_stream *stream = NULL;
    livehub_publisher *pub = NULL;
    livehub_player *pl = NULL;
    must(livehub_hub_new(&cfg, &hub), "hub_new");
    must(livehub_hub_stream(hub, "live/reentrant", &stream), "hub_stream");
    must(livehub_stream_play(stream, NULL, &pl), "stream_play");
    must(livehub_stream_publish(stream, &pub), "stream_publish");

    reentrant_ctx c;
    memset(&c, 0, sizeof c);
    c.hub = hub;
    c.player = pl;
    /* ctx must outlive the registration: it is on this stack frame, and we
     * clear the callback before returning. */
    must(livehub_player_set_notify(pl, reentrant_notify, &c), "set_notify");

    livehub_tag tag;
    EXPECT(livehub_player_read(pl, &tag) == LIVEHUB_AGAIN, "a player of an empty stream must get AGAIN");

    /* Each push finds the player armed (its last read said AGAIN), so it
     * fires the callback once, on this thread, which reads the new tag. */
    const uint32_t pushes = 2000;
    uint8_t body[256];
    for (uint32_t n = 0; n < pushes; n++) {
        uint8_t type;
        uint32_t ts;
        size_t size = make_tag(n, body, &type, &ts);
        must(livehub_publisher_push_tag(pub, type, ts, body, size), "push_tag");
    }
    EXPECT(c.tags == (long)pushes, "callbacks read %ld of %u tags", c.tags, (unsigned)pushes);
    EXPECT(c.calls == (long)pushes, "%ld callbacks for %u pushes to an armed player", c.calls, (unsigned)pushes);
    EXPECT(c.nested == 0, "the callback was entered while already running (%ld times)", c.nested);

    /* The publisher leaves. The armed player must be notified of the EOF
     * (immediately, or at the latest when the server's timer ticks the hub). */
    livehub_publisher_release(pub);
    int notified_at_release = c.saw_eof;
    if (!c.saw_eof) livehub_hub_tick(hub);
    EXPECT(c.saw_eof, "the armed player was never notified of the EOF after the unpublish");

    must(livehub_player_set_notify(pl, NULL, NULL), "set_notify(NULL)");
    livehub_player_release(pl);
    livehub_stream_release(stream);
    livehub_hub_release(hub);
    printf("notify_reentrant: part 1: %ld tags read inside %ld callbacks, EOF notified %s\n",
           c.tags, c.calls, notified_at_release ? "by the unpublish" : c.saw_eof ? "by hub_tick" : "never");
}

/* ------------------------------------------------------------------------- */
/* Part 1b: tearing down from inside the callback                            */
/*                                                                           */
/* The common server pattern: the callback is where a connection learns its  */
/* stream ended, and it closes the connection right there. The callback may   */
/* clear its own registration (that invocation simply continues) and may     */
/* release its own player when no other call on it is in progress.           */
/* ------------------------------------------------------------------------- */

typedef struct {
    livehub_player *player;    /* owned: the callback releases it on EOF */
    long calls, tags, calls_after_clear;
    int cleared, released;
} teardown_ctx;

static void teardown_notify(void *userdata)
{
    teardown_ctx *c = userdata;
    c->calls++;
    if (c->cleared) c->calls_after_clear++;    /* must stay 0 */
    EXPECT(!c->released, "callback ran after its player was released");
    if (c->released) return;
    for (int i = 0; i < 1000; i++) {
        livehub_tag tag;
        livehub_result r = livehub_player_read(c->player, &tag);
        if (r == LIVEHUB_OK) { c->tags++; continue; }
        if (r == LIVEHUB_EOF) {
            /* The stream ended: close the "connection" from here. */
            livehub_player_release(c->player);
            c->player = NULL;
            c->released = 1;
        } else {
            EXPECT(r == LIVEHUB_AGAIN, "read in teardown callback returned %s", livehub_result_str(r));
        }
        return;
    }
}

/* Clears its own registration from inside, once. */
static void clearing_notify(void *userdata)
{
    teardown_ctx *c = userdata;
    c->calls++;
    if (c->cleared) c->calls_after_clear++;
    EXPECT(livehub_player_set_notify(c->player, NULL, NULL) == LIVEHUB_OK, "set_notify(NULL) inside the callback");
    c->cleared = 1;
}

static void part1b_teardown(void)
{
    livehub_config cfg;
    livehub_config_init(&cfg);
    cfg.republish_wait_ms = 0;
    livehub_hub *hub = NULL;
    livehub_stream *stream = NULL;
    livehub_publisher *pub = NULL;
    teardown_ctx c;
    memset(&c, 0, sizeof c);
    must(livehub_hub_new(&cfg, &hub), "hub_new");
    must(livehub_hub_stream(hub, "live/teardown", &stream), "hub_stream");
    must(livehub_stream_play(stream, NULL, &c.player), "stream_play");
    must(livehub_stream_publish(stream, &pub), "stream_publish");

    uint8_t body[256];
    uint8_t type;
    uint32_t ts, n = 0;
    size_t size;
    livehub_tag tag;

    /* 1. A callback that clears itself: exactly one call, then silence. */
    must(livehub_player_set_notify(c.player, clearing_notify, &c), "set_notify");
    EXPECT(livehub_player_read(c.player, &tag) == LIVEHUB_AGAIN, "empty stream: AGAIN");
    for (int i = 0; i < 10; i++, n++) {
        size = make_tag(n, body, &type, &ts);
        must(livehub_publisher_push_tag(pub, type, ts, body, size), "push_tag");
        if (i == 5) EXPECT(livehub_player_read(c.player, &tag) == LIVEHUB_OK, "read");  /* not AGAIN: no re-arm */
    }
    EXPECT(c.calls == 1 && c.calls_after_clear == 0, "self-clearing callback ran %ld times (%ld after clearing)",
           c.calls, c.calls_after_clear);

    /* 2. A callback that releases its own player on EOF. */
    c.calls = 0;
    c.cleared = 0;
    must(livehub_player_set_notify(c.player, teardown_notify, &c), "set_notify");
    for (int i = 0; i < 1000; i++) {                  /* drain, arm */
        livehub_result r = livehub_player_read(c.player, &tag);
        if (r != LIVEHUB_OK) { EXPECT(r == LIVEHUB_AGAIN, "drain: %s", livehub_result_str(r)); break; }
    }
    for (int i = 0; i < 50; i++, n++) {
        size = make_tag(n, body, &type, &ts);
        must(livehub_publisher_push_tag(pub, type, ts, body, size), "push_tag");
    }
    livehub_publisher_release(pub);                   /* EOF: the callback releases the player */
    if (!c.released) livehub_hub_tick(hub);
    EXPECT(c.released, "the callback never saw EOF, so never released its player");
    EXPECT(c.tags == 50, "teardown callback read %ld of 50 tags", c.tags);

    livehub_stream_release(stream);
    livehub_hub_release(hub);
    livehub_player_release(c.player);                 /* NULL if released by the callback */
    printf("notify_reentrant: part 1b: callback cleared itself once; callback read %ld tags and released "
           "its own player at EOF\n", c.tags);
}

/* ------------------------------------------------------------------------- */
/* Part 2: clearing or releasing while callbacks fire                        */
/* ------------------------------------------------------------------------- */

typedef struct {
    long cleared;              /* set right after set_notify(NULL)/release returned */
    long calls, exited;
    uint32_t spin_us;          /* how long the callback stays */
} race_ctx;

static long total_race_calls = 0, late_calls = 0;

static void racing_notify(void *userdata)
{
    race_ctx *c = userdata;
    if (atomic_get(&c->cleared)) { atomic_add(&late_calls, 1); FAIL("callback ran after its registration was cleared"); }
    atomic_add(&c->calls, 1);
    atomic_add(&total_race_calls, 1);
    /* Stay a little while, as a real callback taking a server lock would, so
     * that clearing often happens while a callback is in flight. */
    spin_us(c->spin_us);
    if (atomic_get(&c->cleared)) {
        atomic_add(&late_calls, 1);
        FAIL("callback still running after set_notify(NULL)/release returned");
    }
    atomic_add(&c->exited, 1);
}

static long releases_expected = 0, releases_done = 0;

/* The release function of a registration: frees the context livehub held. */
static void racing_release(void *userdata)
{
    race_ctx *c = userdata;
    if (atomic_get(&c->calls) != atomic_get(&c->exited))
        FAIL("release ran while the callback was running");
    atomic_add(&releases_done, 1);
    free(c);
}

typedef struct {
    livehub_stream *stream;    /* owned: this thread's own reference */
    int index;
    long rounds;
    long armed, cleared_in_flight;
} race_player;

static long publisher_stop = 0;

static void *race_publisher(void *arg)
{
    livehub_publisher *pub = arg;   /* owned by this thread: it releases it */
    uint8_t body[256];
    for (uint32_t n = 0; n < 5000000u && !atomic_get(&publisher_stop); n++) {
        uint8_t type;
        uint32_t ts;
        size_t size = make_tag(n, body, &type, &ts);
        livehub_result r = livehub_publisher_push_tag(pub, type, ts, body, size);
        EXPECT(r == LIVEHUB_OK, "push_tag returned %s", livehub_result_str(r));
        if (r != LIVEHUB_OK) break;
        if (n % 8 == 0) sched_yield();
    }
    livehub_publisher_release(pub);
    return NULL;
}

/* Reads until AGAIN, which arms the notification. */
static int drain(livehub_player *pl)
{
    for (int i = 0; i < 100000; i++) {
        livehub_tag tag;
        livehub_result r = livehub_player_read(pl, &tag);
        if (r == LIVEHUB_OK) continue;
        EXPECT(r == LIVEHUB_AGAIN, "read returned %s while the publisher is live", livehub_result_str(r));
        return r == LIVEHUB_AGAIN;
    }
    return 0;
}

static void *race_player_thread(void *arg)
{
    race_player *rp = arg;
    uint32_t seed = 0x9E3779B9u ^ (uint32_t)(rp->index * 7919 + 1);
    livehub_player *kept = NULL;       /* owned: the player reused by set_notify rounds */
    must(livehub_stream_play(rp->stream, NULL, &kept), "stream_play");

    for (long round = 0; round < rp->rounds; round++) {
        race_ctx *c = calloc(1, sizeof *c);     /* owned by this round */
        if (!c) { FAIL("out of memory"); break; }
        c->spin_us = xorshift(&seed) % 60u;
        int by_release = (xorshift(&seed) % 3) == 0;

        livehub_player *pl = kept;
        if (by_release) must(livehub_stream_play(rp->stream, NULL, &pl), "stream_play");

        int with_release = (xorshift(&seed) % 2) == 0;
        if (with_release) {
            /* From here on livehub owns c: racing_release frees it. */
            must(livehub_player_set_notify_with_release(pl, racing_notify, c, racing_release),
                 "set_notify_with_release");
            atomic_add(&releases_expected, 1);
        } else {
            must(livehub_player_set_notify(pl, racing_notify, c), "set_notify");
        }
        if (drain(pl)) rp->armed++;
        /* The publisher fires meanwhile: clear at once, a little later, or
         * after a sleep, so that the clear lands before, during and after
         * callbacks. */
        switch (xorshift(&seed) % 3) {
        case 0: break;
        case 1: spin_us(xorshift(&seed) % 20u); break;
        default: sleep_us(xorshift(&seed) % 100u); break;
        }

        long running = with_release ? 0 : atomic_get(&c->calls) - atomic_get(&c->exited);
        if (by_release) {
            livehub_player_release(pl);          /* races with the callback */
        } else {
            livehub_result r = livehub_player_set_notify(pl, NULL, NULL);   /* races too */
            EXPECT(r == LIVEHUB_OK, "set_notify(NULL) returned %s", livehub_result_str(r));
        }
        if (with_release) continue;    /* c is livehub's (maybe freed already) */
        atomic_set(&c->cleared, 1);
        if (running > 0) rp->cleared_in_flight++;

        /* Give a late callback every chance to show up, then free the
         * context: with AddressSanitizer a late one is a use-after-free. */
        if (xorshift(&seed) % 4 == 0) sleep_us(xorshift(&seed) % 100u);
        free(c);
    }
    livehub_player_release(kept);
    livehub_stream_release(rp->stream);
    return NULL;
}

static void part2_races(long rounds)
{
    enum { PLAYERS = 3 };
    livehub_hub *hub = NULL;
    livehub_stream *stream = NULL;
    livehub_publisher *pub = NULL;
    must(livehub_hub_new(NULL, &hub), "hub_new");
    must(livehub_hub_stream(hub, "live/race", &stream), "hub_stream");
    must(livehub_stream_publish(stream, &pub), "stream_publish");

    pthread_t pub_thread, threads[PLAYERS];
    race_player players[PLAYERS];
    for (int i = 0; i < PLAYERS; i++) {
        memset(&players[i], 0, sizeof players[i]);
        players[i].stream = livehub_stream_retain(stream);   /* one reference per thread */
        players[i].index = i;
        players[i].rounds = rounds;
    }
    if (pthread_create(&pub_thread, NULL, race_publisher, pub) != 0) { FAIL("pthread_create"); exit(2); }
    for (int i = 0; i < PLAYERS; i++)
        if (pthread_create(&threads[i], NULL, race_player_thread, &players[i]) != 0) { FAIL("pthread_create"); exit(2); }

    long armed = 0, in_flight = 0;
    for (int i = 0; i < PLAYERS; i++) {
        pthread_join(threads[i], NULL);
        armed += players[i].armed;
        in_flight += players[i].cleared_in_flight;
    }
    atomic_set(&publisher_stop, 1);
    pthread_join(pub_thread, NULL);

    livehub_stream_release(stream);
    livehub_hub_release(hub);
    EXPECT(atomic_get(&releases_done) == atomic_get(&releases_expected),
           "%ld registrations with a release function, %ld releases", atomic_get(&releases_expected),
           atomic_get(&releases_done));
    printf("notify_reentrant: part 2: %d players x %ld rounds, %ld armed, %ld callbacks, "
           "%ld clears/releases while a callback ran, %ld late callbacks, "
           "%ld/%ld registrations released once\n",
           PLAYERS, rounds, armed, atomic_get(&total_race_calls), in_flight, atomic_get(&late_calls),
           atomic_get(&releases_done), atomic_get(&releases_expected));
}

int main(int argc, char **argv)
{
    long rounds = argc > 1 ? strtol(argv[1], NULL, 0) : 1000;
    if (rounds < 1 || rounds > 1000000) rounds = 1000;
    alarm(300);                                   /* a deadlock fails the run */
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("notify_reentrant: livehub %s\n", livehub_version());

    part1_reentrant();
    part1b_teardown();
    part2_races(rounds);

    if (atomic_get(&failures)) {
        printf("notify_reentrant: %ld check(s) FAILED\n", atomic_get(&failures));
        return 1;
    }
    printf("notify_reentrant: ok\n");
    return 0;
}
