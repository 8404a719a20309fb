/*
 * groups.c — player groups: one wake-up per event loop, callbacks on the loop.
 *
 * An event-loop server runs a few loop threads, each serving many players.
 * With a notify callback per player, every push would call back once per
 * armed player on the publisher's thread. A livehub_group stands for one
 * loop instead: players created with opts.group = g arm into g, a push that
 * gives news to any of them calls g's wake once (here: signal the loop's
 * condition variable; a real server writes its eventfd), and the loop calls
 * livehub_group_dispatch(g), which runs the players' notify callbacks on the
 * loop's own thread.
 *
 * This program runs two loops (two groups, two threads), each serving
 * players of two streams fed by two publisher threads, and checks:
 *   - one wake per group for a push to 2 x 150 armed players;
 *   - at most one wake per group between two dispatches;
 *   - callbacks run only inside dispatch, on their loop's thread; a callback
 *     reads its own player (re-arming it) and releases it at EOF;
 *   - every player gets every tag of its stream, in order, then EOF;
 *   - after livehub_group_release() the wake never runs again, and a grouped
 *     player still works with livehub_player_wait().
 * Every wait is bounded (a 60 s deadline fails the test).
 *
 * Usage: groups [tags per stream]      (default 2000)
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "livehub.h"

#define LOOPS 2
#define STREAMS 2
#define PER_STREAM 150 /* players per loop per stream */
#define PER_LOOP (STREAMS * PER_STREAM)
#define BATCH 16
#define DEADLINE_NS (60ull * 1000000000ull)

static long atomic_add(long *p, long v) { return __atomic_add_fetch(p, v, __ATOMIC_SEQ_CST); }
static long atomic_get(const long *p) { return __atomic_load_n(p, __ATOMIC_SEQ_CST); }

static long failures = 0;

#define FAIL(...)                                                     \
    do {                                                              \
        if (atomic_add(&failures, 1) <= 20) {                         \
            fprintf(stderr, "groups: FAILED %s:%d: ", __FILE__, __LINE__); \
            fprintf(stderr, __VA_ARGS__);                             \
            fputc('\n', stderr);                                      \
        }                                                             \
    } while (0)
#define EXPECT(cond, ...) do { if (!(cond)) FAIL(__VA_ARGS__); } while (0)

static void must(livehub_result r, const char *what)
{
    if (r != LIVEHUB_OK) {
        fprintf(stderr, "groups: %s failed: %s\n", what, livehub_result_str(r));
        exit(1);
    }
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_us(uint32_t us)
{
    struct timespec ts = { (time_t)(us / 1000000u), (long)(us % 1000000u) * 1000L };
    nanosleep(&ts, NULL);
}

struct loop;

/* One player and what its connection would keep. */
struct conn {
    struct loop *loop;
    livehub_player *pl;
    int stream;
    long next;   /* index of the next frame expected */
    int done;
};

/* One event-loop thread: its group, its wake-up, its players. */
struct loop {
    int id;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    int signaled;          /* under mu */
    int running;           /* the loop thread runs: callbacks check `self` */
    pthread_t self;        /* set by the loop thread itself */
    livehub_group *group;
    long wakes;            /* atomic: wake calls */
    long wakes_after_release;
    long dispatches;       /* atomic: dispatch calls that followed a wake */
    long fired;            /* callbacks dispatch reported */
    long calls;            /* callbacks counted by the callbacks */
    long in_dispatch;      /* atomic: 1 while this loop is inside dispatch */
    long live;             /* players not at EOF yet */
    struct conn conns[PER_LOOP];
};

static long tags_per_stream = 2000;

/* The group's wake: runs on whichever thread pushed, with no livehub lock
   held. It only signals the loop. */
static void wake(void *userdata)
{
    struct loop *lp = userdata;
    long n = atomic_add(&lp->wakes, 1);
    /* At most one wake between two dispatches: the n-th wake needs n-1
       dispatches before it. */
    EXPECT(n <= atomic_get(&lp->dispatches) + 1, "loop %d: wake %ld after %ld dispatches", lp->id,
           n, atomic_get(&lp->dispatches));
    pthread_mutex_lock(&lp->mu);
    lp->signaled = 1;
    pthread_cond_signal(&lp->cond);
    pthread_mutex_unlock(&lp->mu);
}

static void count_after_release(void *userdata)
{
    struct loop *lp = userdata;
    atomic_add(&lp->wakes_after_release, 1);
}

/* Reads what the player has (re-arming it at the live edge); at EOF
   releases it. Returns 0 once done. */
static int drain(struct conn *c)
{
    livehub_tag tags[BATCH];
    for (;;) {
        size_t n = 0;
        livehub_result r = livehub_player_read_batch(c->pl, tags, BATCH, &n);
        if (r == LIVEHUB_AGAIN)
            return 1;
        if (r == LIVEHUB_EOF) {
            EXPECT(c->next == tags_per_stream, "loop %d stream %d: EOF after %ld of %ld frames",
                   c->loop->id, c->stream, c->next, tags_per_stream);
            livehub_player_release(c->pl); /* from inside its own callback */
            c->pl = NULL;
            c->done = 1;
            c->loop->live--;
            return 0;
        }
        if (r != LIVEHUB_OK) {
            FAIL("read_batch: %s", livehub_result_str(r));
            return 1;
        }
        for (size_t i = 0; i < n; i++) {
            const livehub_tag *t = &tags[i];
            if (t->flags & LIVEHUB_TAG_FLAG_SEQUENCE_HEADER)
                continue;
            long idx = t->size == 4 ? (long)t->data[2] | (long)t->data[3] << 8 : -1;
            EXPECT(idx == c->next, "loop %d stream %d: frame %ld, expected %ld", c->loop->id,
                   c->stream, idx, c->next);
            c->next = idx + 1;
        }
    }
}

/* The notify callback: inside livehub_group_dispatch(), on the loop. */
static void on_news(void *userdata)
{
    struct conn *c = userdata;
    struct loop *lp = c->loop;
    lp->calls++;
    EXPECT(atomic_get(&lp->in_dispatch) == 1, "loop %d: callback outside dispatch", lp->id);
    EXPECT(!lp->running || pthread_equal(pthread_self(), lp->self),
           "loop %d: callback on another thread", lp->id);
    EXPECT(!c->done && c->pl, "loop %d: callback after release", lp->id);
    if (c->pl)
        drain(c);
}

static void dispatch(struct loop *lp)
{
    size_t fired = 0;
    __atomic_store_n(&lp->in_dispatch, 1, __ATOMIC_SEQ_CST);
    atomic_add(&lp->dispatches, 1);
    must(livehub_group_dispatch(lp->group, &fired), "livehub_group_dispatch");
    __atomic_store_n(&lp->in_dispatch, 0, __ATOMIC_SEQ_CST);
    lp->fired += (long)fired;
}

static void *loop_main(void *arg)
{
    struct loop *lp = arg;
    uint64_t deadline = now_ns() + DEADLINE_NS;
    lp->self = pthread_self();
    lp->running = 1;   /* from here on callbacks (all inside this thread's dispatch) check it */
    while (lp->live > 0) {
        pthread_mutex_lock(&lp->mu);
        while (!lp->signaled && now_ns() < deadline) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 100 * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&lp->cond, &lp->mu, &ts);
        }
        int signaled = lp->signaled;
        lp->signaled = 0;
        pthread_mutex_unlock(&lp->mu);
        if (!signaled) {
            FAIL("loop %d: no wake-up within the deadline, %ld players left", lp->id, lp->live);
            break;
        }
        dispatch(lp);
    }
    return NULL;
}

struct pub_arg {
    livehub_publisher *pub;
};

static void *publisher_main(void *arg)
{
    struct pub_arg *pa = arg;
    for (long i = 0; i < tags_per_stream; i++) {
        uint8_t frame[4] = { 0xaf, 0x01, (uint8_t)(i & 0xff), (uint8_t)(i >> 8) };
        must(livehub_publisher_push_tag(pa->pub, LIVEHUB_TAG_AUDIO, (uint32_t)i, frame,
                                        sizeof frame),
             "push_tag");
        if (i % 64 == 63)
            sleep_us(200); /* let the loops catch up: many dispatch cycles */
    }
    livehub_publisher_release(pa->pub); /* the end: EOF for every player */
    return NULL;
}

struct late_arg {
    livehub_publisher *pub;
};

static void *late_publisher(void *arg)
{
    struct late_arg *la = arg;
    uint8_t frame[4] = { 0xaf, 0x01, 7, 0 };
    sleep_us(20000);
    must(livehub_publisher_push_tag(la->pub, LIVEHUB_TAG_AUDIO, 0, frame, sizeof frame), "push");
    return NULL;
}

int main(int argc, char **argv)
{
    static struct loop loops[LOOPS];
    if (argc > 1)
        tags_per_stream = atol(argv[1]);
    if (tags_per_stream < 1 || tags_per_stream > 60000) {
        fprintf(stderr, "usage: groups [tags per stream, 1..60000]\n");
        return 2;
    }

    /* The NULL cases. */
    EXPECT(livehub_group_new(wake, NULL, NULL) == LIVEHUB_ERR_NULL, "group_new(NULL out)");
    EXPECT(livehub_group_dispatch(NULL, NULL) == LIVEHUB_ERR_NULL, "dispatch(NULL)");
    livehub_group_release(NULL);

    livehub_config cfg;
    livehub_config_init(&cfg);
    cfg.republish_wait_ms = 0; /* a publisher's release ends the stream */
    livehub_hub *hub = NULL;
    must(livehub_hub_new(&cfg, &hub), "hub_new");
    const char *keys[STREAMS] = { "live/a", "live/b" };
    livehub_stream *streams[STREAMS];
    for (int s = 0; s < STREAMS; s++)
        must(livehub_hub_stream(hub, keys[s], &streams[s]), "hub_stream");

    /* Two loops, their groups, their players (of both streams). */
    for (int l = 0; l < LOOPS; l++) {
        struct loop *lp = &loops[l];
        lp->id = l;
        pthread_mutex_init(&lp->mu, NULL);
        pthread_cond_init(&lp->cond, NULL);
        must(livehub_group_new(wake, lp, &lp->group), "group_new");
        livehub_play_options opts;
        livehub_play_options_init(&opts);
        opts.group = lp->group;
        for (int i = 0; i < PER_LOOP; i++) {
            struct conn *c = &lp->conns[i];
            c->loop = lp;
            c->stream = i % STREAMS;
            must(livehub_stream_play(streams[c->stream], &opts, &c->pl), "stream_play");
            must(livehub_player_set_notify(c->pl, on_news, c), "set_notify");
            /* The first read arms the player in its group (this thread
               owns the players until the loops start). */
            livehub_tag t;
            EXPECT(livehub_player_read(c->pl, &t) == LIVEHUB_AGAIN, "first read");
        }
        lp->live = PER_LOOP;
    }

    /* One push to each stream: 2 x 150 armed players of each group have
       news, each group is woken once, and no callback ran here. */
    livehub_publisher *pubs[STREAMS];
    static const uint8_t aac_sh[4] = { 0xaf, 0x00, 0x12, 0x10 };
    for (int s = 0; s < STREAMS; s++) {
        must(livehub_stream_publish(streams[s], &pubs[s]), "publish");
        must(livehub_publisher_push_tag(pubs[s], LIVEHUB_TAG_AUDIO, 0, aac_sh, sizeof aac_sh),
             "push sequence header");
    }
    for (int l = 0; l < LOOPS; l++) {
        EXPECT(atomic_get(&loops[l].wakes) == 1, "loop %d: %ld wakes for one push per stream", l,
               atomic_get(&loops[l].wakes));
        EXPECT(loops[l].calls == 0, "loop %d: a callback ran outside dispatch", l);
    }

    /* Start the loops, then the publishers. */
    for (int l = 0; l < LOOPS; l++) {
        if (pthread_create(&loops[l].thread, NULL, loop_main, &loops[l]) != 0) {
            fprintf(stderr, "groups: pthread_create failed\n");
            return 1;
        }
    }
    pthread_t pub_threads[STREAMS];
    struct pub_arg pargs[STREAMS];
    for (int s = 0; s < STREAMS; s++) {
        pargs[s].pub = pubs[s];
        if (pthread_create(&pub_threads[s], NULL, publisher_main, &pargs[s]) != 0) {
            fprintf(stderr, "groups: pthread_create failed\n");
            return 1;
        }
    }
    for (int s = 0; s < STREAMS; s++)
        pthread_join(pub_threads[s], NULL);
    for (int l = 0; l < LOOPS; l++)
        pthread_join(loops[l].thread, NULL);

    long total_wakes = 0, total_calls = 0;
    for (int l = 0; l < LOOPS; l++) {
        struct loop *lp = &loops[l];
        EXPECT(lp->live == 0, "loop %d: %ld players never saw EOF", l, lp->live);
        EXPECT(lp->fired == lp->calls, "loop %d: dispatch reported %ld, callbacks counted %ld", l,
               lp->fired, lp->calls);
        total_wakes += atomic_get(&lp->wakes);
        total_calls += lp->calls;
        printf("groups: loop %d: %d players, %ld wakes, %ld dispatches, %ld callbacks\n", l,
               PER_LOOP, atomic_get(&lp->wakes), atomic_get(&lp->dispatches), lp->calls);
    }
    printf("groups: %ld frames per stream: %ld wakes for %ld player callbacks\n", tags_per_stream,
           total_wakes, total_calls);

    /* After release the wake never runs; a grouped player keeps working,
       and livehub_player_wait() wakes it. */
    livehub_group *g = NULL;
    must(livehub_group_new(count_after_release, &loops[0], &g), "group_new");
    livehub_stream *late = NULL;
    must(livehub_hub_stream(hub, "live/late", &late), "hub_stream");
    livehub_play_options opts;
    livehub_play_options_init(&opts);
    opts.group = g;
    livehub_player *waiter = NULL;
    must(livehub_stream_play(late, &opts, &waiter), "stream_play");
    livehub_tag t;
    EXPECT(livehub_player_read(waiter, &t) == LIVEHUB_AGAIN, "read before any push");
    livehub_group_release(g);
    struct late_arg la;
    must(livehub_stream_publish(late, &la.pub), "publish");
    pthread_t lt;
    if (pthread_create(&lt, NULL, late_publisher, &la) != 0) {
        fprintf(stderr, "groups: pthread_create failed\n");
        return 1;
    }
    EXPECT(livehub_player_wait(waiter, 30000) == LIVEHUB_OK, "wait on a grouped player");
    EXPECT(livehub_player_read(waiter, &t) == LIVEHUB_OK && t.size == 4 && t.data[2] == 7,
           "read after wait");
    pthread_join(lt, NULL);
    EXPECT(atomic_get(&loops[0].wakes_after_release) == 0, "wake after livehub_group_release");
    livehub_player_release(waiter);
    livehub_publisher_release(la.pub);
    livehub_stream_release(late);

    for (int l = 0; l < LOOPS; l++) {
        livehub_group_release(loops[l].group);
        pthread_mutex_destroy(&loops[l].mu);
        pthread_cond_destroy(&loops[l].cond);
    }
    for (int s = 0; s < STREAMS; s++)
        livehub_stream_release(streams[s]);
    livehub_hub_release(hub);

    if (failures) {
        fprintf(stderr, "groups: %ld failures\n", failures);
        return 1;
    }
    printf("groups: ok\n");
    return 0;
}
