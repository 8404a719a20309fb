/*
 * stress.c — many threads doing seeded random operations on a few shared
 * stream keys, through the C ABI only, for a bounded time.
 *
 * Every handle lives in a global slot table (streams, publishers, players),
 * so any thread may act on, hand over or release any handle: get / find /
 * remove streams, retain and release them, publish and unpublish, push tags
 * and FLV bytes (valid, corrupted, oversized, of unknown type), play and
 * read with read / read_batch / read_flv / read_iov / wait, set and clear
 * notify callbacks while publishers on other threads fire them (some
 * callbacks read their own player), release players while their callbacks
 * may run, set, clear and query stream userdata, take stats, tick the hub
 * and make its clock jump; RTMP server sessions are fed random splits of
 * recorded client sessions (tests/data/rtmp/: ffmpeg publishing, ffmpeg
 * and rtmpdump playing), their publish and play requests answered with
 * publishers and players of the same keys (or refused), their output
 * drained in random amounts, and released at random points; player groups
 * are made, dispatched (running their players' callbacks), and released
 * while their players live on, with players joined to them. The hub's republish wait, reaping time, idle
 * timeouts and lag window are a few tens of milliseconds, on an injected
 * clock that also jumps forward, so every policy fires many times; the run
 * fails if one never did.
 *
 * Checked as it goes:
 *   - every result is one the header documents for that call, and the
 *     sizes/counts written are within what was asked;
 *   - per player: timestamps never go back; tags are audio, video or
 *     script of at most max_tag_size bytes with a non-NULL body; the bytes
 *     of read_flv / read_iov parse as FLV (header, tag headers,
 *     PreviousTagSize) and end on a tag boundary at EOF; EOF and EXPIRED
 *     are sticky; wait() returning OK means the next read is not AGAIN;
 *   - a publisher whose FLV byte stream was rejected (publisher stats) gets
 *     that same code from every later push_flv;
 *   - a notify callback never runs after set_notify(NULL) or the player's
 *     release returned (its context is freed right then: AddressSanitizer
 *     reports a late call as a use-after-free; a flag catches it without);
 *   - every stream userdata is dropped exactly once (freed in its drop: a
 *     second drop is a use-after-free, a missing one a leak and a count
 *     mismatch at the end).
 * Run under AddressSanitizer + LeakSanitizer (make test does, against the
 * debug library and against the library built with Rust's ASan).
 *
 * Usage: stress [seconds] [seed] [threads]    (defaults: 10, 16, 8)
 * Prints the count of every operation and result, and the policies seen.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "livehub.h"

/* ------------------------------------------------------------------------- */
/* Atomics (GCC builtins: C99 has no <stdatomic.h>), failures, randomness    */
/* ------------------------------------------------------------------------- */

static long atomic_add(long *p, long v) { return __atomic_add_fetch(p, v, __ATOMIC_SEQ_CST); }
static long atomic_get(const long *p) { return __atomic_load_n(p, __ATOMIC_SEQ_CST); }
static void atomic_set(long *p, long v) { __atomic_store_n(p, v, __ATOMIC_SEQ_CST); }

static long failures = 0;

#define FAIL(...)                                                          \
    do {                                                                   \
        if (atomic_add(&failures, 1) <= 30) {                              \
            fprintf(stderr, "stress: FAILED %s:%d: ", __FILE__, __LINE__); \
            fprintf(stderr, __VA_ARGS__);                                  \
            fputc('\n', stderr);                                           \
        }                                                                  \
    } while (0)
#define EXPECT(cond, ...) do { if (!(cond)) FAIL(__VA_ARGS__); } while (0)

static const char *rs(livehub_result r) { return livehub_result_str(r); }

typedef struct { uint64_t s; } rng;   /* splitmix64 */

static uint64_t rng_next(rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static uint32_t below(rng *r, uint32_t n) { return n ? (uint32_t)(rng_next(r) % n) : 0; }
static int chance(rng *r, uint32_t one_in) { return below(r, one_in) == 0; }

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The hub's clock: real time plus forward jumps made by the threads. */
static long clock_jump_ms = 0;
static uint64_t stress_clock(void *userdata)
{
    (void)userdata;
    return now_ms() + (uint64_t)atomic_get(&clock_jump_ms);
}

static void put_u24(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 16); p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)v; }
static void put_u32(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 24); put_u24(p + 1, v); }
static uint32_t get_u24(const uint8_t *p) { return ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2]; }
static uint32_t get_u32(const uint8_t *p) { return ((uint32_t)p[0] << 24) | get_u24(p + 1); }

/* ------------------------------------------------------------------------- */
/* Operation and result counters                                             */
/* ------------------------------------------------------------------------- */

enum op {
    OP_GET, OP_FIND, OP_REMOVE, OP_RETAIN, OP_STREAM_RELEASE, OP_USERDATA_SET,
    OP_USERDATA_CLEAR, OP_USERDATA_GET, OP_STREAM_STATS, OP_PUBLISH, OP_PUSH_TAG,
    OP_PUSH_FLV, OP_PUSH_CORRUPT, OP_PUSH_BAD_TAG, OP_PUB_STATS, OP_UNPUBLISH,
    OP_PLAY, OP_READ, OP_READ_BATCH, OP_READ_FLV, OP_READ_IOV, OP_WAIT,
    OP_SET_NOTIFY, OP_CLEAR_NOTIFY, OP_PLAYER_STATS, OP_PLAYER_RELEASE,
    OP_TICK, OP_CLOCK_JUMP, OP_STATS_JSON, OP_HUB_RETAIN, OP_CALLBACK_READ,
    OP_RTMP_NEW, OP_RTMP_FEED, OP_RTMP_RELEASE,
    OP_GROUP_NEW, OP_GROUP_DISPATCH, OP_GROUP_RELEASE, OP_PLAY_GROUPED,
    OP_COUNT
};
static const char *const op_names[OP_COUNT] = {
    "hub_stream", "hub_find", "hub_remove", "stream_retain", "stream_release", "set_userdata",
    "clear_userdata", "stream_userdata", "stream_get_stats", "stream_publish", "push_tag",
    "push_flv", "push_flv_corrupt", "push_tag_bad", "publisher_get_stats", "publisher_release",
    "stream_play", "player_read", "player_read_batch", "player_read_flv", "player_read_iov", "player_wait",
    "set_notify", "clear_notify", "player_get_stats", "player_release",
    "hub_tick", "clock_jump", "hub_stats_json", "hub_retain_release", "read_in_callback",
    "rtmp_session_new", "rtmp_feed_and_serve", "rtmp_session_release",
    "group_new", "group_dispatch", "group_release", "stream_play_grouped",
};
/* How often each operation is picked. */
static const uint32_t op_weight[OP_COUNT] = {
    6, 3, 2, 2, 5, 3,
    1, 2, 1, 4, 14,
    10, 2, 1, 1, 3,
    5, 10, 6, 6, 6, 3,
    3, 1, 1, 4,
    3, 1, 1, 1, 0,
    1, 8, 1,
    1, 6, 1, 3,
};

static long op_count[OP_COUNT];
#define MAX_CODE 16
static long result_count[MAX_CODE + 1];
static long callbacks_run, tags_read, bytes_read, userdata_made, userdata_dropped;
static long ctx_handed, ctx_released, callback_self_releases;

static void count_result(livehub_result r)
{
    atomic_add(&result_count[r < MAX_CODE ? r : MAX_CODE], 1);
}

/* Result r of a call that documents exactly the codes in `allowed`
 * (terminated by UINT32_MAX). */
static livehub_result expect_in(const char *what, livehub_result r, const livehub_result *allowed)
{
    count_result(r);
    for (const livehub_result *a = allowed; *a != UINT32_MAX; a++)
        if (*a == r) return r;
    FAIL("%s returned %u (%s), not a documented result here", what, (unsigned)r, rs(r));
    return r;
}
#define END UINT32_MAX
static const livehub_result R_OK[] = { LIVEHUB_OK, END };
static const livehub_result R_FIND[] = { LIVEHUB_OK, LIVEHUB_ERR_NOT_FOUND, END };
static const livehub_result R_PUBLISH[] = { LIVEHUB_OK, LIVEHUB_ERR_BUSY, LIVEHUB_ERR_CLOSED, END };
static const livehub_result R_PLAY[] = { LIVEHUB_OK, LIVEHUB_ERR_CLOSED, END };
static const livehub_result R_PUSH_TAG[] = { LIVEHUB_OK, LIVEHUB_ERR_CLOSED, END };
#ifdef LIVEHUB_ERR_FLV_REJECTED
#define REJECTED_CODE LIVEHUB_ERR_FLV_REJECTED
#else
#define REJECTED_CODE LIVEHUB_ERR_FLV
#endif
static const livehub_result R_PUSH_FLV[] = {
    LIVEHUB_OK, LIVEHUB_ERR_FLV, LIVEHUB_ERR_TOO_LARGE, LIVEHUB_ERR_CLOSED, REJECTED_CODE, END
};
static const livehub_result R_READ[] = { LIVEHUB_OK, LIVEHUB_AGAIN, LIVEHUB_EOF, LIVEHUB_ERR_EXPIRED, END };
static const livehub_result R_WAIT[] = { LIVEHUB_OK, LIVEHUB_EOF, LIVEHUB_TIMEOUT, LIVEHUB_ERR_EXPIRED, END };
static const livehub_result R_JSON[] = { LIVEHUB_OK, LIVEHUB_ERR_BUFFER, END };

/* Policies seen, counted from livehub's own log lines. */
static long log_reaped, log_cut, log_expired, log_skipped, log_closed, log_lines;

static void on_log(void *userdata, uint32_t level, const char *message)
{
    (void)userdata;
    EXPECT(level >= LIVEHUB_LOG_ERROR && level <= LIVEHUB_LOG_DEBUG, "log level %u", (unsigned)level);
    EXPECT(message != NULL, "log message NULL");
    if (!message) return;
    atomic_add(&log_lines, 1);
    if (strstr(message, "reaped")) atomic_add(&log_reaped, 1);
    else if (strstr(message, "unpublished")) atomic_add(&log_cut, 1);
    else if (strstr(message, "expired")) atomic_add(&log_expired, 1);
    else if (strstr(message, "skipped")) atomic_add(&log_skipped, 1);
    else if (strstr(message, "closed")) atomic_add(&log_closed, 1);
}

/* ------------------------------------------------------------------------- */
/* The hub and its configuration                                             */
/* ------------------------------------------------------------------------- */

#define N_KEYS 4
#define MAX_TAG 8192u
static const char *const keys[N_KEYS] = { "live/a", "live/b", "live/c", "live/d" };
static livehub_hub *hub;

static void make_hub(void)
{
    livehub_config cfg;
    livehub_config_init(&cfg);
    cfg.republish_wait_ms = 30;
    cfg.idle_stream_ms = 40;
    cfg.publisher_idle_timeout_ms = 60;
    cfg.player_idle_timeout_ms = 100;
    cfg.max_lag_ms = 300;
    cfg.gop_max_frames = 40;
    cfg.gop_max_bytes = 48 * 1024;
    cfg.max_tag_size = MAX_TAG;
    cfg.clock_ms = stress_clock;
    cfg.clock_userdata = NULL;
    livehub_result r = livehub_hub_new(&cfg, &hub);
    if (r != LIVEHUB_OK) {
        fprintf(stderr, "stress: livehub_hub_new: %s\n", rs(r));
        exit(1);
    }
}

/* ------------------------------------------------------------------------- */
/* Stream userdata: freed by its drop, counted                               */
/* ------------------------------------------------------------------------- */

#define UD_MAGIC 0x5354u
typedef struct { uint32_t magic; } userdata_t;

static void userdata_drop(void *p)
{
    userdata_t *u = p;
    EXPECT(u->magic == UD_MAGIC, "userdata dropped twice or corrupted");
    u->magic = 0;
    atomic_add(&userdata_dropped, 1);
    free(u);
}

/* ------------------------------------------------------------------------- */
/* A synthetic AVC + AAC source, as tags or as an FLV byte stream            */
/* ------------------------------------------------------------------------- */

static const uint8_t AAC_SH[] = { 0xAF, 0x00, 0x12, 0x10 };
static const uint8_t AVC_SH[] = {
    0x17, 0x00, 0x00, 0x00, 0x00, 0x01, 0x4D, 0x40, 0x1F, 0xFF, 0xE1, 0x00, 0x08,
    0x67, 0x4D, 0x40, 0x1F, 0xE8, 0x80, 0x28, 0x02, 0x01, 0x00, 0x04, 0x68, 0xEE, 0x3C, 0x80,
};
static const uint8_t META[] = {
    0x02, 0x00, 0x0A, 'o', 'n', 'M', 'e', 't', 'a', 'D', 'a', 't', 'a',
    0x08, 0x00, 0x00, 0x00, 0x01,
    0x00, 0x0C, 'v', 'i', 'd', 'e', 'o', 'c', 'o', 'd', 'e', 'c', 'i', 'd',
    0x00, 0x40, 0x1C, 0, 0, 0, 0, 0, 0,
    0x00, 0x00, 0x09,
};

typedef struct {
    uint32_t n;          /* tags produced */
    uint32_t base_ts;    /* timestamp of this publisher's first frame */
    uint32_t vseq, aseq;
} source;

/* The next tag: metadata and sequence headers first (again now and then:
 * mid-stream changes), then 25 fps video, a keyframe every 10 frames, and
 * AAC frames in between. */
static size_t source_next(source *s, rng *r, uint8_t *body, uint8_t *type, uint32_t *ts)
{
    uint32_t k = s->n++;
    uint32_t vts = s->base_ts + s->vseq * 40u, ats = s->base_ts + s->aseq * 23u;
    if (k < 3 || chance(r, 200)) {
        *ts = vts < ats ? vts : ats;
        switch (k < 3 ? k : below(r, 3)) {
        case 0: *type = LIVEHUB_TAG_SCRIPT; memcpy(body, META, sizeof META); return sizeof META;
        case 1: *type = LIVEHUB_TAG_AUDIO; memcpy(body, AAC_SH, sizeof AAC_SH); return sizeof AAC_SH;
        default: *type = LIVEHUB_TAG_VIDEO; memcpy(body, AVC_SH, sizeof AVC_SH); return sizeof AVC_SH;
        }
    }
    size_t size;
    if (vts <= ats) {
        int key = s->vseq % 10 == 0;
        size = key ? 1200u + below(r, 2000) : 20u + below(r, 400);
        body[0] = key ? 0x17 : 0x27;
        body[1] = 0x01;
        body[2] = body[3] = body[4] = 0;
        put_u32(body + 5, (uint32_t)size - 9u);
        body[9] = key ? 0x65 : 0x41;
        for (size_t i = 10; i < size; i++) body[i] = (uint8_t)(i * 7u + s->vseq);
        *type = LIVEHUB_TAG_VIDEO;
        *ts = vts;
        s->vseq++;
    } else {
        size = 8u + below(r, 200);
        body[0] = 0xAF;
        body[1] = 0x01;
        for (size_t i = 2; i < size; i++) body[i] = (uint8_t)(i * 3u + s->aseq);
        *type = LIVEHUB_TAG_AUDIO;
        *ts = ats;
        s->aseq++;
    }
    return size;
}

/* ------------------------------------------------------------------------- */
/* Slots: every live handle, reachable from every thread                     */
/* ------------------------------------------------------------------------- */

#define N_STREAMS 16
#define N_PUBS 8
#define N_PLAYERS 48

typedef struct {
    pthread_mutex_t mu;
    livehub_stream *s;
} stream_slot;

typedef struct {
    pthread_mutex_t mu;
    livehub_publisher *p;
    int flv;                 /* pushes an FLV byte stream (else tags) */
    source src;
    uint8_t pending[3 * MAX_TAG];  /* FLV bytes made, not pushed yet */
    size_t pending_len;
    int header_sent;
} pub_slot;

#define CTX_LIVE 0x11FEu
#define CTX_CLEARED 0xC1EAu

enum { MODE_TAGS, MODE_BYTES };

typedef struct {
    /* Checker of one player's output. */
    int mode, absolute;
    long tags;
    uint32_t last_ts;
    livehub_result ended;     /* LIVEHUB_OK, or the sticky EOF / EXPIRED */
    /* FLV parser for MODE_BYTES. */
    uint8_t head[13]; size_t head_len;
    uint8_t th[11]; size_t th_len;
    size_t body_size, body_len;
    uint8_t pts[4]; size_t pts_len;
    int broken;
} checker;

typedef struct player_ctx player_ctx;

typedef struct {
    pthread_mutex_t mu;
    livehub_player *pl;
    player_ctx *ctx;         /* the registered callback's context, or NULL */
    int ctx_lib_owned;       /* ctx was handed to livehub with ctx_release */
    checker c;
} player_slot;

struct player_ctx {
    uint32_t magic;
    long calls;
    int slot;
    int reads;               /* this callback reads its own player */
    int lib_owned;           /* registered with a release function: livehub frees it */
};

static stream_slot streams[N_STREAMS];
static pub_slot pubs[N_PUBS];
static player_slot players[N_PLAYERS];

/* Player groups: a wake context each, freed right after the group's
 * release returns (a late wake is a use-after-free ASan reports). */
#define N_GROUPS 3
typedef struct { uint32_t magic; long wakes; } group_ctx;
typedef struct {
    pthread_mutex_t mu;
    livehub_group *g;
    group_ctx *ctx;
} group_slot;
static group_slot groups[N_GROUPS];
static long group_wakes, group_fired;

static void on_group_wake(void *userdata)
{
    group_ctx *x = userdata;
    EXPECT(x->magic == CTX_LIVE, "group wake after its release returned");
    atomic_add(&x->wakes, 1);
    atomic_add(&group_wakes, 1);
}

#define N_RTMP 6
typedef struct {
    pthread_mutex_t mu;
    livehub_rtmp_session *s;
    int rec;
    size_t fed;
    int closed;
} rtmp_slot;
static rtmp_slot rtmps[N_RTMP];

static void init_slots(void)
{
    for (int i = 0; i < N_STREAMS; i++) pthread_mutex_init(&streams[i].mu, NULL);
    for (int i = 0; i < N_PUBS; i++) pthread_mutex_init(&pubs[i].mu, NULL);
    for (int i = 0; i < N_PLAYERS; i++) pthread_mutex_init(&players[i].mu, NULL);
    for (int i = 0; i < N_RTMP; i++) pthread_mutex_init(&rtmps[i].mu, NULL);
    for (int i = 0; i < N_GROUPS; i++) pthread_mutex_init(&groups[i].mu, NULL);
}

/* ------------------------------------------------------------------------- */
/* What a player receives                                                    */
/* ------------------------------------------------------------------------- */

static void check_tag(checker *c, uint8_t type, uint32_t ts, uint32_t flags, const uint8_t *data, size_t size)
{
    EXPECT(type == LIVEHUB_TAG_AUDIO || type == LIVEHUB_TAG_VIDEO || type == LIVEHUB_TAG_SCRIPT,
           "tag of type %u", type);
    EXPECT(size <= MAX_TAG, "tag of %zu bytes, over max_tag_size", size);
    EXPECT(c->tags == 0 || ts >= c->last_ts, "timestamp went back %u -> %u (mode %s)",
           (unsigned)c->last_ts, (unsigned)ts, c->absolute ? "absolute" : "rebase");
    EXPECT(!(flags & LIVEHUB_TAG_FLAG_KEYFRAME) || type == LIVEHUB_TAG_VIDEO, "keyframe flag on a non-video tag");
    EXPECT(!(flags & LIVEHUB_TAG_FLAG_METADATA) || type == LIVEHUB_TAG_SCRIPT, "metadata flag on a media tag");
    (void)data;
    c->last_ts = ts;
    c->tags++;
    atomic_add(&tags_read, 1);
    atomic_add(&bytes_read, (long)size);
}

/* The HTTP-FLV byte stream, fed in whatever pieces it comes in. */
static void feed_flv(checker *c, const uint8_t *p, size_t n)
{
    while (n > 0 && !c->broken) {
        if (c->head_len < 13) {
            c->head[c->head_len++] = *p++; n--;
            if (c->head_len == 13 &&
                (memcmp(c->head, "FLV\x01", 4) || (c->head[4] & ~0x05) || get_u32(c->head + 5) != 9 ||
                 get_u32(c->head + 9) != 0)) {
                FAIL("bad FLV header from read_flv/read_iov");
                c->broken = 1;
            }
        } else if (c->th_len < 11) {
            c->th[c->th_len++] = *p++; n--;
            if (c->th_len == 11) {
                c->body_size = get_u24(c->th + 1);
                c->body_len = c->pts_len = 0;
                uint8_t type = c->th[0];
                if (type != 8 && type != 9 && type != 18) { FAIL("FLV tag of type %u", type); c->broken = 1; }
                if (c->body_size > MAX_TAG) { FAIL("FLV tag of %zu bytes", c->body_size); c->broken = 1; }
                if (get_u24(c->th + 8) != 0) { FAIL("FLV StreamID not 0"); c->broken = 1; }
            }
        } else if (c->body_len < c->body_size) {
            size_t k = c->body_size - c->body_len;
            if (k > n) k = n;
            c->body_len += k; p += k; n -= k;
        } else {
            c->pts[c->pts_len++] = *p++; n--;
            if (c->pts_len == 4) {
                EXPECT(get_u32(c->pts) == c->body_size + 11, "PreviousTagSize %u after a tag of %zu",
                       (unsigned)get_u32(c->pts), c->body_size);
                uint32_t ts = get_u24(c->th + 4) | ((uint32_t)c->th[7] << 24);
                check_tag(c, c->th[0], ts, 0, c->th, c->body_size);
                c->th_len = 0;
            }
        }
    }
}

/* A read-type call returned r: EOF and EXPIRED are sticky. */
static void check_state(checker *c, const char *what, livehub_result r)
{
    if (c->ended != LIVEHUB_OK) {
        EXPECT(r == c->ended, "%s returned %s after %s", what, rs(r), rs(c->ended));
        return;
    }
    if (r == LIVEHUB_EOF || r == LIVEHUB_ERR_EXPIRED) {
        c->ended = r;
        if (r == LIVEHUB_EOF && c->mode == MODE_BYTES)
            EXPECT(c->head_len == 0 || (c->head_len == 13 && c->th_len == 0),
                   "FLV byte stream ends mid-tag at EOF");
    }
}

/* One read call of the player's kind; returns its result. The slot lock is
 * held (by the owner or by the player's own callback). */
static livehub_result read_once(player_slot *ps, rng *r, enum op kind)
{
    checker *c = &ps->c;
    livehub_result res;
    if (c->mode == MODE_TAGS && kind != OP_READ && kind != OP_READ_BATCH) kind = OP_READ;
    if (c->mode == MODE_BYTES && kind != OP_READ_FLV && kind != OP_READ_IOV) kind = OP_READ_FLV;
    switch (kind) {
    case OP_READ: {
        livehub_tag t;
        res = expect_in("player_read", livehub_player_read(ps->pl, &t), R_READ);
        if (res == LIVEHUB_OK) {
            EXPECT(t.data != NULL, "tag data NULL");
            check_tag(c, t.type, t.timestamp, t.flags, t.data, t.size);
        }
        check_state(c, "player_read", res);
        return res;
    }
    case OP_READ_BATCH: {
        livehub_tag t[64];
        size_t cap = 1 + below(r, 64), n = 9999;
        res = expect_in("player_read_batch", livehub_player_read_batch(ps->pl, t, cap, &n), R_READ);
        if (res == LIVEHUB_OK) {
            EXPECT(n >= 1 && n <= cap, "read_batch wrote %zu of %zu", n, cap);
            for (size_t i = 0; i < n && i < cap; i++) {
                EXPECT(t[i].data != NULL, "tag data NULL");
                check_tag(c, t[i].type, t[i].timestamp, t[i].flags, t[i].data, t[i].size);
            }
        } else {
            EXPECT(n == 9999, "read_batch wrote count_out on %s", rs(res));
        }
        check_state(c, "player_read_batch", res);
        return res;
    }
    case OP_READ_FLV: {
        uint8_t buf[4096];
        size_t cap = chance(r, 3) ? 1 + below(r, 16) : 1 + below(r, sizeof buf), n = 0;
        res = expect_in("player_read_flv", livehub_player_read_flv(ps->pl, buf, cap, &n), R_READ);
        if (res == LIVEHUB_OK) {
            EXPECT(n >= 1 && n <= cap, "read_flv wrote %zu of %zu", n, cap);
            if (n <= cap) feed_flv(c, buf, n);
        }
        check_state(c, "player_read_flv", res);
        return res;
    }
    default: {
        livehub_iovec iov[40];
        size_t cap = 3 + below(r, 38), n = 0;
        res = expect_in("player_read_iov", livehub_player_read_iov(ps->pl, iov, cap, &n), R_READ);
        if (res == LIVEHUB_OK) {
            EXPECT(n >= 1 && n <= cap, "read_iov gave %zu of %zu entries", n, cap);
            for (size_t i = 0; i < n && i < cap; i++) {
                EXPECT(iov[i].iov_base != NULL && iov[i].iov_len > 0, "empty iovec entry");
                if (iov[i].iov_base) feed_flv(c, iov[i].iov_base, iov[i].iov_len);
            }
        }
        check_state(c, "player_read_iov", res);
        return res;
    }
    }
}

/* ------------------------------------------------------------------------- */
/* Notify callbacks                                                          */
/* ------------------------------------------------------------------------- */

static void release_player(player_slot *ps);

/* The release function of a registration made with
 * livehub_player_set_notify_with_release(): exactly once, never while
 * on_notify runs with the same context. */
static void ctx_release(void *userdata)
{
    player_ctx *x = userdata;
    EXPECT(x->magic == CTX_LIVE, "release of a notify registration ran twice or late (magic %x)",
           (unsigned)x->magic);
    x->magic = CTX_CLEARED;
    atomic_add(&ctx_released, 1);
    free(x);
}

/* Forgets the slot's callback context after livehub let go of it: ours to
 * free, unless livehub frees it through ctx_release. */
static void ctx_done(player_slot *ps)
{
    /* (Not ps->ctx->lib_owned: livehub may have freed it already.) */
    if (ps->ctx && !ps->ctx_lib_owned) {
        ps->ctx->magic = CTX_CLEARED;
        free(ps->ctx);
    }
    ps->ctx = NULL;
}

static void on_notify(void *userdata)
{
    player_ctx *x = userdata;
    EXPECT(x->magic == CTX_LIVE, "notify callback ran after set_notify(NULL) or release returned (magic %x)",
           (unsigned)x->magic);
    atomic_add(&x->calls, 1);
    atomic_add(&callbacks_run, 1);
    if (!x->reads) {
        if ((x->calls & 7) == 0) sched_yield();   /* widen the release race */
        return;
    }
    /* Read our own player, as event-loop servers' callbacks may: only when
     * no other call on it is in progress (its slot lock is free). */
    player_slot *ps = &players[x->slot];
    if (pthread_mutex_trylock(&ps->mu) != 0) return;
    if (ps->ctx == x && ps->pl) {
        rng r = { (uint64_t)x->calls * 7919u + (uint64_t)x->slot };
        atomic_add(&op_count[OP_CALLBACK_READ], 1);
        enum op kind = ps->c.mode == MODE_TAGS ? OP_READ_BATCH : OP_READ_IOV;
        livehub_result last = LIVEHUB_OK;
        for (int i = 0; i < 8 && last == LIVEHUB_OK; i++) last = read_once(ps, &r, kind);
        /* A player that ended releases itself from its own callback; `x`
         * may be gone after this (or, livehub-owned, released on return). */
        if (last == LIVEHUB_EOF || chance(&r, 64)) {
            atomic_add(&callback_self_releases, 1);
            release_player(ps);
        }
    }
    pthread_mutex_unlock(&ps->mu);
}

/* Clears the callback (slot lock held) and frees its context at once. */
static void clear_notify(player_slot *ps)
{
    if (!ps->ctx) return;
    expect_in("set_notify(NULL)", livehub_player_set_notify(ps->pl, NULL, NULL), R_OK);
    ctx_done(ps);
}

static void release_player(player_slot *ps)
{
    livehub_player_release(ps->pl);
    ps->pl = NULL;
    ctx_done(ps);
}

/* ------------------------------------------------------------------------- */
/* Operations                                                                */
/* ------------------------------------------------------------------------- */

/* Locks a random slot of a table (trylock: a busy one is skipped). */
#define LOCK_RANDOM(table, n, r, out)                                          \
    do {                                                                       \
        out = NULL;                                                            \
        for (int try_ = 0; try_ < 3 && !out; try_++) {                         \
            uint32_t i_ = below(r, n);                                         \
            if (pthread_mutex_trylock(&table[i_].mu) == 0) out = &table[i_];   \
        }                                                                      \
    } while (0)

/* A new reference to some stream in the slots, or NULL. */
static livehub_stream *borrow_stream(rng *r)
{
    stream_slot *ss;
    LOCK_RANDOM(streams, N_STREAMS, r, ss);
    if (!ss) return NULL;
    livehub_stream *s = livehub_stream_retain(ss->s);
    pthread_mutex_unlock(&ss->mu);
    return s;
}

/* Puts a stream reference into an empty slot, or releases it. */
static void keep_stream(rng *r, livehub_stream *s)
{
    for (int t = 0; t < 4; t++) {
        stream_slot *ss = &streams[below(r, N_STREAMS)];
        if (pthread_mutex_trylock(&ss->mu) != 0) continue;
        if (!ss->s) { ss->s = s; pthread_mutex_unlock(&ss->mu); return; }
        pthread_mutex_unlock(&ss->mu);
    }
    livehub_stream_release(s);
}

static void push_flv_bytes(pub_slot *ps, rng *r, const uint8_t *bytes, size_t n)
{
    livehub_publisher_stats st;
    memset(&st, 0, sizeof st);
    st.struct_size = sizeof st;
    livehub_result before = livehub_publisher_get_stats(ps->p, &st) == LIVEHUB_OK ? st.rejected : LIVEHUB_OK;
    livehub_result res = expect_in("push_flv", livehub_publisher_push_flv(ps->p, bytes, n), R_PUSH_FLV);
    if (before != LIVEHUB_OK && res != LIVEHUB_ERR_CLOSED)
        EXPECT(res == before, "push_flv after rejection (%s) returned %s", rs(before), rs(res));
    (void)r;
}

/* Makes `tags` more tags of FLV bytes and pushes what is pending in random
 * pieces; `corrupt` spoils one of them first. */
static void op_push_flv(pub_slot *ps, rng *r, int corrupt)
{
    static const uint8_t header[13] = { 'F', 'L', 'V', 1, 5, 0, 0, 0, 9, 0, 0, 0, 0 };
    uint8_t body[MAX_TAG];
    if (!ps->header_sent) {
        memcpy(ps->pending, header, sizeof header);
        ps->pending_len = sizeof header;
        ps->header_sent = 1;
    }
    int tags = 1 + (int)below(r, 6);
    for (int i = 0; i < tags && ps->pending_len + 4096 + 15 < sizeof ps->pending; i++) {
        uint8_t type;
        uint32_t ts;
        size_t size = source_next(&ps->src, r, body, &type, &ts);
        uint8_t *o = ps->pending + ps->pending_len;
        o[0] = type;
        put_u24(o + 1, (uint32_t)size);
        put_u24(o + 4, ts & 0xFFFFFFu);
        o[7] = (uint8_t)(ts >> 24);
        put_u24(o + 8, 0);
        memcpy(o + 11, body, size);
        put_u32(o + 11 + size, (uint32_t)size + 11u);
        ps->pending_len += 15 + size;
    }
    if (corrupt && ps->pending_len > 0) {
        switch (below(r, 8)) {
        case 0: case 1: case 2:   /* a flipped byte somewhere */
            ps->pending[below(r, (uint32_t)ps->pending_len)] ^= (uint8_t)(1u + below(r, 255));
            break;
        case 3: case 4: case 5: { /* garbage */
            uint8_t junk[300];
            size_t n = 1 + below(r, sizeof junk);
            for (size_t i = 0; i < n; i++) junk[i] = (uint8_t)rng_next(r);
            push_flv_bytes(ps, r, junk, n);
            break;
        }
        case 6: { /* a tag header announcing a body over max_tag_size */
            uint8_t big[11] = { 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
            put_u24(big + 1, MAX_TAG + 1 + below(r, 100000));
            push_flv_bytes(ps, r, big, sizeof big);
            break;
        }
        default:  /* a bad PreviousTagSize or a reserved tag type */
            if (ps->pending_len > 20) ps->pending[ps->pending_len - 1] ^= 0x40;
            break;
        }
    }
    size_t off = 0;
    while (off < ps->pending_len && ps->p) {
        size_t n = chance(r, 2) ? 1 + below(r, 64) : 1 + below(r, (uint32_t)(ps->pending_len - off));
        if (n > ps->pending_len - off) n = ps->pending_len - off;
        push_flv_bytes(ps, r, ps->pending + off, n);
        off += n;
        if (chance(r, 4)) break;    /* leave some for later: tags split across calls */
    }
    memmove(ps->pending, ps->pending + off, ps->pending_len - off);
    ps->pending_len -= off;
}

static void op_push_tags(pub_slot *ps, rng *r)
{
    uint8_t body[MAX_TAG];
    int tags = 1 + (int)below(r, 12);
    for (int i = 0; i < tags; i++) {
        uint8_t type;
        uint32_t ts;
        size_t size = source_next(&ps->src, r, body, &type, &ts);
        if (expect_in("push_tag", livehub_publisher_push_tag(ps->p, type, ts, body, size), R_PUSH_TAG)
            != LIVEHUB_OK)
            break;
    }
}

static void op_push_bad_tag(pub_slot *ps, rng *r)
{
    static uint8_t big[MAX_TAG + 1];
    livehub_result res;
    switch (below(r, 3)) {
    case 0:
        res = livehub_publisher_push_tag(ps->p, 7, 0, big, 10);
        count_result(res);
        EXPECT(res == LIVEHUB_ERR_INVALID_ARG || res == LIVEHUB_ERR_CLOSED, "push_tag type 7: %s", rs(res));
        break;
    case 1:
        res = livehub_publisher_push_tag(ps->p, LIVEHUB_TAG_VIDEO, 0, big, sizeof big);
        count_result(res);
        EXPECT(res == LIVEHUB_ERR_TOO_LARGE || res == LIVEHUB_ERR_CLOSED, "push_tag over the limit: %s", rs(res));
        break;
    default:
        res = livehub_publisher_push_tag(ps->p, chance(r, 2) ? LIVEHUB_TAG_VIDEO : LIVEHUB_TAG_AUDIO, 0, NULL, 0);
        count_result(res);
        EXPECT(res == LIVEHUB_ERR_FLV || res == LIVEHUB_ERR_CLOSED, "push_tag of an empty body: %s", rs(res));
        break;
    }
}

static void op_rtmp(rng *r, enum op op);
static void op_group(rng *r, enum op op);

static void do_op(rng *r, enum op op)
{
    atomic_add(&op_count[op], 1);
    switch (op) {
    case OP_GET:
    case OP_FIND: {
        livehub_stream *s = NULL;
        const char *key = keys[below(r, N_KEYS)];
        livehub_result res = op == OP_GET ? expect_in("hub_stream", livehub_hub_stream(hub, key, &s), R_OK)
                                          : expect_in("hub_find", livehub_hub_find(hub, key, &s), R_FIND);
        if (res == LIVEHUB_OK) {
            EXPECT(s != NULL, "stream_out not written");
            if (s && op == OP_GET && chance(r, 3)) {
                userdata_t *u = malloc(sizeof *u);
                u->magic = UD_MAGIC;
                atomic_add(&userdata_made, 1);
                expect_in("set_userdata", livehub_stream_set_userdata(s, u, userdata_drop), R_OK);
            }
            if (s) keep_stream(r, s);
        }
        break;
    }
    case OP_REMOVE:
        expect_in("hub_remove", livehub_hub_remove(hub, keys[below(r, N_KEYS)]), R_FIND);
        break;
    case OP_RETAIN: {
        livehub_stream *s = borrow_stream(r);
        if (s) keep_stream(r, s);
        break;
    }
    case OP_STREAM_RELEASE: {
        stream_slot *ss;
        LOCK_RANDOM(streams, N_STREAMS, r, ss);
        if (!ss) break;
        livehub_stream *s = ss->s;
        ss->s = NULL;
        pthread_mutex_unlock(&ss->mu);
        livehub_stream_release(s);
        break;
    }
    case OP_USERDATA_SET:
    case OP_USERDATA_CLEAR:
    case OP_USERDATA_GET:
    case OP_STREAM_STATS: {
        livehub_stream *s = borrow_stream(r);
        if (!s) break;
        if (op == OP_USERDATA_SET) {
            userdata_t *u = malloc(sizeof *u);
            u->magic = UD_MAGIC;
            atomic_add(&userdata_made, 1);
            expect_in("set_userdata", livehub_stream_set_userdata(s, u, userdata_drop), R_OK);
        } else if (op == OP_USERDATA_CLEAR) {
            expect_in("set_userdata(NULL)", livehub_stream_set_userdata(s, NULL, userdata_drop), R_OK);
        } else if (op == OP_USERDATA_GET) {
            (void)livehub_stream_userdata(s);   /* may be dropped by now: not dereferenced */
        } else {
            livehub_stream_stats st;
            memset(&st, 0, sizeof st);
            st.struct_size = sizeof st;
            if (expect_in("stream_get_stats", livehub_stream_get_stats(s, &st), R_OK) == LIVEHUB_OK)
                EXPECT(st.publisher_state <= LIVEHUB_PUBLISHER_WAITING, "publisher_state %u",
                       (unsigned)st.publisher_state);
        }
        livehub_stream_release(s);
        break;
    }
    case OP_PUBLISH: {
        livehub_stream *s = borrow_stream(r);
        if (!s) break;
        livehub_publisher *p = NULL;
        if (expect_in("stream_publish", livehub_stream_publish(s, &p), R_PUBLISH) == LIVEHUB_OK) {
            pub_slot *ps = NULL;
            for (int t = 0; t < 4 && !ps; t++) {
                pub_slot *c = &pubs[below(r, N_PUBS)];
                if (pthread_mutex_trylock(&c->mu) != 0) continue;
                if (!c->p) ps = c; else pthread_mutex_unlock(&c->mu);
            }
            if (ps) {
                ps->p = p;
                ps->flv = chance(r, 2);
                memset(&ps->src, 0, sizeof ps->src);
                /* A restarted encoder starts at 0, a continuing one goes on. */
                ps->src.base_ts = chance(r, 2) ? 0 : below(r, 100000);
                ps->pending_len = 0;
                ps->header_sent = 0;
                pthread_mutex_unlock(&ps->mu);
            } else {
                livehub_publisher_release(p);
            }
        }
        livehub_stream_release(s);
        break;
    }
    case OP_PUSH_TAG:
    case OP_PUSH_FLV:
    case OP_PUSH_CORRUPT:
    case OP_PUSH_BAD_TAG:
    case OP_PUB_STATS:
    case OP_UNPUBLISH: {
        pub_slot *ps;
        LOCK_RANDOM(pubs, N_PUBS, r, ps);
        if (!ps) break;
        if (ps->p) {
            if (op == OP_UNPUBLISH) {
                livehub_publisher_release(ps->p);
                ps->p = NULL;
            } else if (op == OP_PUB_STATS) {
                livehub_publisher_stats st;
                memset(&st, 0, sizeof st);
                st.struct_size = sizeof st;
                if (expect_in("publisher_get_stats", livehub_publisher_get_stats(ps->p, &st), R_OK) == LIVEHUB_OK)
                    EXPECT(st.rejected == LIVEHUB_OK || st.rejected == LIVEHUB_ERR_FLV ||
                           st.rejected == LIVEHUB_ERR_TOO_LARGE || st.rejected == REJECTED_CODE, "rejected = %u", (unsigned)st.rejected);
            } else if (op == OP_PUSH_BAD_TAG) {
                op_push_bad_tag(ps, r);
            } else if (ps->flv) {
                op_push_flv(ps, r, op == OP_PUSH_CORRUPT);
            } else {
                op_push_tags(ps, r);
            }
        }
        pthread_mutex_unlock(&ps->mu);
        break;
    }
    case OP_PLAY: {
        livehub_stream *s = borrow_stream(r);
        if (!s) break;
        livehub_play_options o;
        livehub_play_options_init(&o);
        int absolute = chance(r, 2);
        o.timestamp_mode = absolute ? LIVEHUB_TIMESTAMP_ABSOLUTE : LIVEHUB_TIMESTAMP_REBASE;
        if (chance(r, 3)) o.republish_wait_ms = below(r, 60);
        livehub_player *pl = NULL;
        if (expect_in("stream_play", livehub_stream_play(s, chance(r, 4) ? NULL : &o, &pl), R_PLAY) == LIVEHUB_OK) {
            player_slot *ps = NULL;
            for (int t = 0; t < 4 && !ps; t++) {
                player_slot *c = &players[below(r, N_PLAYERS)];
                if (pthread_mutex_trylock(&c->mu) != 0) continue;
                if (!c->pl) ps = c; else pthread_mutex_unlock(&c->mu);
            }
            if (ps) {
                ps->pl = pl;
                memset(&ps->c, 0, sizeof ps->c);
                ps->c.mode = chance(r, 2) ? MODE_TAGS : MODE_BYTES;
                ps->c.absolute = absolute;
                pthread_mutex_unlock(&ps->mu);
            } else {
                livehub_player_release(pl);
            }
        }
        livehub_stream_release(s);
        break;
    }
    case OP_READ:
    case OP_READ_BATCH:
    case OP_READ_FLV:
    case OP_READ_IOV:
    case OP_WAIT:
    case OP_SET_NOTIFY:
    case OP_CLEAR_NOTIFY:
    case OP_PLAYER_STATS:
    case OP_PLAYER_RELEASE: {
        player_slot *ps;
        LOCK_RANDOM(players, N_PLAYERS, r, ps);
        if (!ps) break;
        if (ps->pl) {
            if (op == OP_PLAYER_RELEASE) {
                release_player(ps);
            } else if (op == OP_SET_NOTIFY) {
                player_ctx *x = calloc(1, sizeof *x);
                x->magic = CTX_LIVE;
                x->slot = (int)(ps - players);
                x->reads = chance(r, 2);
                x->lib_owned = chance(r, 2);
                if (x->lib_owned) {
                    atomic_add(&ctx_handed, 1);
                    expect_in("set_notify_with_release",
                              livehub_player_set_notify_with_release(ps->pl, on_notify, x, ctx_release), R_OK);
                } else {
                    expect_in("set_notify", livehub_player_set_notify(ps->pl, on_notify, x), R_OK);
                }
                ctx_done(ps);   /* replaced: the old one is never called again */
                ps->ctx = x;
                ps->ctx_lib_owned = x->lib_owned;
            } else if (op == OP_CLEAR_NOTIFY) {
                clear_notify(ps);
            } else if (op == OP_PLAYER_STATS) {
                livehub_player_stats st;
                memset(&st, 0, sizeof st);
                st.struct_size = sizeof st;
                if (expect_in("player_get_stats", livehub_player_get_stats(ps->pl, &st), R_OK) == LIVEHUB_OK)
                    EXPECT(st.state <= LIVEHUB_PLAYER_EXPIRED, "player state %u", (unsigned)st.state);
            } else if (op == OP_WAIT) {
                livehub_result w = expect_in("player_wait", livehub_player_wait(ps->pl, below(r, 4)), R_WAIT);
                check_state(&ps->c, "player_wait", w == LIVEHUB_TIMEOUT ? LIVEHUB_OK : w);
                if (w == LIVEHUB_OK) {
                    livehub_result n = read_once(ps, r, ps->c.mode == MODE_TAGS ? OP_READ : OP_READ_FLV);
                    EXPECT(n != LIVEHUB_AGAIN, "wait returned OK, then a read returned AGAIN");
                }
            } else {
                /* Readers read up to the live edge, or stop early (slow
                 * players, which the lag window and idle timeout catch). */
                int budget = chance(r, 3) ? 1 : (int)below(r, 200);
                for (int i = 0; i < budget && read_once(ps, r, op) == LIVEHUB_OK; i++) {}
            }
        }
        pthread_mutex_unlock(&ps->mu);
        break;
    }
    case OP_TICK:
        expect_in("hub_tick", livehub_hub_tick(hub), R_OK);
        break;
    case OP_CLOCK_JUMP:
        atomic_add(&clock_jump_ms, 1 + (long)below(r, chance(r, 4) ? 400 : 40));
        break;
    case OP_STATS_JSON: {
        char buf[16 * 1024];
        size_t cap = chance(r, 4) ? below(r, 64) : sizeof buf, len = 0;
        livehub_result res = expect_in("hub_stats_json", livehub_hub_stats_json(hub, buf, cap, &len), R_JSON);
        if (res == LIVEHUB_OK) EXPECT(len < cap && buf[len] == 0, "stats_json length %zu of %zu", len, cap);
        else EXPECT(len + 1 > cap, "stats_json said BUFFER for %zu in %zu", len, cap);
        break;
    }
    case OP_RTMP_NEW:
    case OP_RTMP_FEED:
    case OP_RTMP_RELEASE:
        op_rtmp(r, op);
        break;
    case OP_GROUP_NEW:
    case OP_GROUP_DISPATCH:
    case OP_GROUP_RELEASE:
    case OP_PLAY_GROUPED:
        op_group(r, op);
        break;
    case OP_HUB_RETAIN: {
        livehub_hub *h = livehub_hub_retain(hub);
        EXPECT(h == hub, "hub_retain returned another pointer");
        livehub_hub_release(h);
        break;
    }
    default:
        break;
    }
}

/* ------------------------------------------------------------------------- */
/* RTMP sessions fed random splits of recorded client sessions               */
/* ------------------------------------------------------------------------- */

/* tests/data/rtmp/: what ffmpeg (publishing, playing) and rtmpdump
 * (playing) sent to a server. */
static const char *const recordings[] = {
    "tests/data/rtmp/ffmpeg_publish.bin", "tests/data/rtmp/ffmpeg_play.bin", "tests/data/rtmp/rtmpdump_play.bin",
};
#define N_RECORDINGS 3
static uint8_t *rec_bytes[N_RECORDINGS];
static size_t rec_len[N_RECORDINGS];
static long rtmp_published, rtmp_played, rtmp_rejected, rtmp_errors, rtmp_out_bytes;

static void load_recordings(void)
{
    for (int i = 0; i < N_RECORDINGS; i++) {
        FILE *f = fopen(recordings[i], "rb");
        if (!f) { fprintf(stderr, "stress: %s: cannot open (run from the repository root)\n", recordings[i]); exit(2); }
        fseek(f, 0, SEEK_END);
        long n = ftell(f);
        fseek(f, 0, SEEK_SET);
        rec_bytes[i] = malloc((size_t)n);
        if (n <= 0 || fread(rec_bytes[i], 1, (size_t)n, f) != (size_t)n) { fprintf(stderr, "stress: %s: short read\n", recordings[i]); exit(2); }
        rec_len[i] = (size_t)n;
        fclose(f);
    }
}


static const livehub_result R_RTMP_FEED[] = { LIVEHUB_OK, LIVEHUB_ERR_RTMP, LIVEHUB_ERR_CLOSED, END };
static const livehub_result R_RTMP_ANSWER[] = { LIVEHUB_OK, LIVEHUB_ERR_NOT_FOUND, LIVEHUB_ERR_CLOSED, END };
static const livehub_result R_RTMP_PUMP[] = { LIVEHUB_OK, LIVEHUB_ERR_CLOSED, END };

/* Answers the session's requests: publish and play on one of the stress
 * keys (not the recorded one), or a refusal. */
static void rtmp_events(rtmp_slot *rs, rng *r)
{
    livehub_rtmp_event ev;
    for (int i = 0; i < 8; i++) {
        livehub_result res = livehub_rtmp_session_next_event(rs->s, &ev);
        count_result(res);
        if (res != LIVEHUB_OK) {
            EXPECT(res == LIVEHUB_AGAIN, "rtmp next_event: %s", livehub_result_str(res));
            return;
        }
        EXPECT(ev.key != NULL && ev.app != NULL && ev.name != NULL, "rtmp event strings NULL");
        if (ev.kind != LIVEHUB_RTMP_EVENT_PUBLISH && ev.kind != LIVEHUB_RTMP_EVENT_PLAY) continue;
        livehub_stream *st = NULL;
        if (chance(r, 5) || expect_in("hub_stream", livehub_hub_stream(hub, keys[below(r, N_KEYS)], &st), R_OK) != LIVEHUB_OK) {
            atomic_add(&rtmp_rejected, 1);
            expect_in("rtmp reject", livehub_rtmp_session_reject(rs->s, ev.request_id, LIVEHUB_RTMP_REJECT_BUSY), R_RTMP_ANSWER);
            livehub_stream_release(st);
            continue;
        }
        if (ev.kind == LIVEHUB_RTMP_EVENT_PUBLISH) {
            livehub_publisher *p = NULL;
            if (expect_in("stream_publish", livehub_stream_publish(st, &p), R_PUBLISH) == LIVEHUB_OK) {
                atomic_add(&rtmp_published, 1);
                expect_in("rtmp accept_publish", livehub_rtmp_session_accept_publish(rs->s, ev.request_id, p), R_RTMP_ANSWER);
            } else {
                atomic_add(&rtmp_rejected, 1);
                expect_in("rtmp reject", livehub_rtmp_session_reject(rs->s, ev.request_id, LIVEHUB_RTMP_REJECT_BUSY), R_RTMP_ANSWER);
            }
        } else {
            livehub_player *pl = NULL;
            if (expect_in("stream_play", livehub_stream_play(st, NULL, &pl), R_PLAY) == LIVEHUB_OK) {
                atomic_add(&rtmp_played, 1);
                expect_in("rtmp accept_play", livehub_rtmp_session_accept_play(rs->s, ev.request_id, pl), R_RTMP_ANSWER);
            } else {
                atomic_add(&rtmp_rejected, 1);
                expect_in("rtmp reject", livehub_rtmp_session_reject(rs->s, ev.request_id, LIVEHUB_RTMP_REJECT_BUSY), R_RTMP_ANSWER);
            }
        }
        livehub_stream_release(st);
    }
}

/* "Writes" some of the session's output: takes the iovecs, touches every
 * byte, consumes a random part. */
static void rtmp_drain(rtmp_slot *rs, rng *r)
{
    livehub_iovec iov[16];
    size_t n = 0, pending = 0;
    if (expect_in("rtmp output", livehub_rtmp_session_output(rs->s, iov, 16, &n), R_OK) != LIVEHUB_OK) return;
    EXPECT(n <= 16, "rtmp output gave %zu iovecs", n);
    size_t total = 0;
    volatile uint8_t sink = 0;
    for (size_t i = 0; i < n && i < 16; i++) {
        EXPECT(iov[i].iov_base != NULL && iov[i].iov_len > 0, "empty rtmp iovec");
        const uint8_t *b = iov[i].iov_base;
        if (b && iov[i].iov_len) sink ^= b[0] ^ b[iov[i].iov_len - 1];
        total += iov[i].iov_len;
    }
    (void)sink;
    expect_in("rtmp pending", livehub_rtmp_session_pending(rs->s, &pending), R_OK);
    EXPECT(total <= pending, "rtmp output %zu bytes, pending %zu", total, pending);
    size_t take = chance(r, 3) ? total : below(r, (uint32_t)total + 1);
    if (expect_in("rtmp consume", livehub_rtmp_session_consume(rs->s, take), R_OK) == LIVEHUB_OK)
        atomic_add(&rtmp_out_bytes, (long)take);
}

static void op_rtmp(rng *r, enum op op)
{
    rtmp_slot *rs;
    LOCK_RANDOM(rtmps, N_RTMP, r, rs);
    if (!rs) return;
    if (op == OP_RTMP_NEW && !rs->s) {
        if (expect_in("rtmp session_new", livehub_rtmp_session_new(NULL, &rs->s), R_OK) == LIVEHUB_OK) {
            rs->rec = (int)below(r, N_RECORDINGS);
            rs->fed = 0;
            rs->closed = 0;
        }
    } else if (op == OP_RTMP_RELEASE && rs->s) {
        if (chance(r, 3)) expect_in("rtmp close", livehub_rtmp_session_close(rs->s), R_OK);
        livehub_rtmp_session_release(rs->s);
        rs->s = NULL;
    } else if (op == OP_RTMP_FEED && rs->s) {
        if (!rs->closed && rs->fed < rec_len[rs->rec]) {
            size_t n = 1 + below(r, chance(r, 2) ? 16 : 4096);
            if (n > rec_len[rs->rec] - rs->fed) n = rec_len[rs->rec] - rs->fed;
            livehub_result res = expect_in("rtmp feed", livehub_rtmp_session_feed(rs->s, rec_bytes[rs->rec] + rs->fed, n), R_RTMP_FEED);
            rs->fed += n;
            if (res != LIVEHUB_OK) {
                uint32_t code = 0;
                expect_in("rtmp error", livehub_rtmp_session_error(rs->s, &code), R_OK);
                EXPECT(code != 0 && livehub_rtmp_error_str(code) != NULL, "closed rtmp session without a reason");
                atomic_add(&rtmp_errors, 1);
                rs->closed = 1;
            }
        }
        rtmp_events(rs, r);
        uint32_t state = 99;
        if (expect_in("rtmp pump", livehub_rtmp_session_pump(rs->s, &state), R_RTMP_PUMP) == LIVEHUB_OK)
            EXPECT(state <= LIVEHUB_RTMP_PUMP_ENDED, "rtmp pump state %u", (unsigned)state);
        rtmp_drain(rs, r);
    }
    pthread_mutex_unlock(&rs->mu);
}

static void group_release_slot(group_slot *gs)
{
    livehub_group_release(gs->g);
    gs->g = NULL;
    if (gs->ctx) {
        gs->ctx->magic = CTX_CLEARED;
        free(gs->ctx);
        gs->ctx = NULL;
    }
}

/* Groups: made, dispatched (the players' callbacks run here, on this
 * thread), released while their players live on, and players joined to
 * them (the group's slot lock held across the play call: the handle must
 * be valid during it). */
static void op_group(rng *r, enum op op)
{
    group_slot *gs;
    LOCK_RANDOM(groups, N_GROUPS, r, gs);
    if (!gs) return;
    if (op == OP_GROUP_NEW && !gs->g) {
        group_ctx *x = calloc(1, sizeof *x);
        x->magic = CTX_LIVE;
        if (expect_in("group_new", livehub_group_new(chance(r, 8) ? NULL : on_group_wake, x, &gs->g), R_OK) == LIVEHUB_OK)
            gs->ctx = x;
        else
            free(x);
    } else if (op == OP_GROUP_DISPATCH && gs->g) {
        size_t fired = 0;
        if (expect_in("group_dispatch", livehub_group_dispatch(gs->g, chance(r, 4) ? NULL : &fired), R_OK) == LIVEHUB_OK)
            atomic_add(&group_fired, (long)fired);
    } else if (op == OP_GROUP_RELEASE && gs->g) {
        group_release_slot(gs);
    } else if (op == OP_PLAY_GROUPED && gs->g) {
        livehub_stream *st = borrow_stream(r);
        if (st) {
            livehub_play_options o;
            livehub_play_options_init(&o);
            o.group = gs->g;
            livehub_player *pl = NULL;
            if (expect_in("stream_play (grouped)", livehub_stream_play(st, &o, &pl), R_PLAY) == LIVEHUB_OK) {
                player_slot *ps = NULL;
                for (int t = 0; t < 4 && !ps; t++) {
                    player_slot *c = &players[below(r, N_PLAYERS)];
                    if (pthread_mutex_trylock(&c->mu) != 0) continue;
                    if (!c->pl) ps = c; else pthread_mutex_unlock(&c->mu);
                }
                if (ps) {
                    ps->pl = pl;
                    memset(&ps->c, 0, sizeof ps->c);
                    ps->c.mode = chance(r, 2) ? MODE_TAGS : MODE_BYTES;
                    pthread_mutex_unlock(&ps->mu);
                } else {
                    livehub_player_release(pl);
                }
            }
            livehub_stream_release(st);
        }
    }
    pthread_mutex_unlock(&gs->mu);
}

/* ------------------------------------------------------------------------- */
/* Threads and the end of the run                                            */
/* ------------------------------------------------------------------------- */

static long stop_flag = 0;
static uint32_t weight_total;

typedef struct { uint64_t seed; } worker_arg;

static void *worker(void *arg)
{
    rng r = { ((worker_arg *)arg)->seed };
    while (!atomic_get(&stop_flag)) {
        for (int i = 0; i < 64; i++) {
            uint32_t w = below(&r, weight_total);
            int op = 0;
            while (w >= op_weight[op]) w -= op_weight[op++];
            do_op(&r, (enum op)op);
        }
    }
    return NULL;
}

/* Releases every handle left, in a seeded order, the hub somewhere among
 * them: whatever the order, nothing may leak or be used after free. */
static void release_all(rng *r)
{
    int total = N_STREAMS + N_PUBS + N_PLAYERS, hub_at = (int)below(r, (uint32_t)total + 1);
    int order[N_STREAMS + N_PUBS + N_PLAYERS];
    for (int i = 0; i < total; i++) order[i] = i;
    for (int i = total - 1; i > 0; i--) {
        int j = (int)below(r, (uint32_t)i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (int i = 0; i < N_GROUPS; i++)   /* some groups before their players */
        if (chance(r, 2)) group_release_slot(&groups[i]);
    for (int i = 0; i < N_RTMP; i++) {   /* half now, half after the hub */
        if (rtmps[i].s && chance(r, 2)) { livehub_rtmp_session_release(rtmps[i].s); rtmps[i].s = NULL; }
    }
    for (int k = 0; k <= total; k++) {
        if (k == hub_at) { livehub_hub_release(hub); hub = NULL; }
        if (k == total) break;
        int i = order[k];
        if (i < N_STREAMS) {
            livehub_stream_release(streams[i].s);
            streams[i].s = NULL;
        } else if (i < N_STREAMS + N_PUBS) {
            livehub_publisher_release(pubs[i - N_STREAMS].p);
            pubs[i - N_STREAMS].p = NULL;
        } else {
            player_slot *ps = &players[i - N_STREAMS - N_PUBS];
            if (ps->pl) {
                /* One last look: drains what is left (EOF once the hub is gone). */
                for (int n = 0; n < 10000 && read_once(ps, r, OP_READ_BATCH) == LIVEHUB_OK; n++) {}
                release_player(ps);
            }
        }
    }
}

int main(int argc, char **argv)
{
    long seconds = argc > 1 ? strtol(argv[1], NULL, 10) : 10;
    uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 10) : 16;
    long nthreads = argc > 3 ? strtol(argv[3], NULL, 10) : 8;
    if (seconds < 1 || seconds > 86400 || nthreads < 1 || nthreads > 64) {
        fprintf(stderr, "usage: stress [seconds 1..86400] [seed] [threads 1..64]\n");
        return 2;
    }
    for (int i = 0; i < OP_COUNT; i++) weight_total += op_weight[i];
    init_slots();
    load_recordings();
    livehub_set_log_callback(LIVEHUB_LOG_DEBUG, on_log, NULL);
    make_hub();
    printf("stress: %ld s, seed %llu, %ld threads, livehub %s\n", seconds, (unsigned long long)seed, nthreads,
           livehub_version());
    fflush(stdout);

    pthread_t th[64];
    worker_arg args[64];
    uint64_t start = now_ms();
    for (long i = 0; i < nthreads; i++) {
        args[i].seed = seed * 1000003u + (uint64_t)i;
        if (pthread_create(&th[i], NULL, worker, &args[i]) != 0) {
            fprintf(stderr, "stress: pthread_create failed\n");
            return 1;
        }
    }
    while (now_ms() - start < (uint64_t)seconds * 1000u && atomic_get(&failures) == 0) {
        struct timespec ts = { 0, 50 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    atomic_set(&stop_flag, 1);
    for (long i = 0; i < nthreads; i++) pthread_join(th[i], NULL);
    uint64_t ran = now_ms() - start;

    rng r = { seed ^ 0xE2Du };
    release_all(&r);
    for (int i = 0; i < N_RTMP; i++) livehub_rtmp_session_release(rtmps[i].s);
    for (int i = 0; i < N_GROUPS; i++) group_release_slot(&groups[i]);
    for (int i = 0; i < N_RECORDINGS; i++) free(rec_bytes[i]);
    livehub_set_log_callback(LIVEHUB_LOG_OFF, NULL, NULL);

    long total = 0;
    printf("stress: operations in %llu ms:\n", (unsigned long long)ran);
    for (int i = 0; i < OP_COUNT; i++) {
        total += op_count[i];
        printf("  %-20s %10ld\n", op_names[i], op_count[i]);
    }
    printf("  %-20s %10ld\n", "total", total);
    printf("stress: results:");
    for (int i = 0; i <= MAX_CODE; i++)
        if (result_count[i]) printf(" %s=%ld", i < MAX_CODE ? rs((livehub_result)i) : "other", result_count[i]);
    printf("\nstress: %ld tags and %ld body bytes read, %ld notify callbacks, userdata %ld made / %ld dropped\n",
           tags_read, bytes_read, callbacks_run, userdata_made, userdata_dropped);
    printf("stress: notify registrations with a release function: %ld made, %ld released; %ld players "
           "released from their own callback\n", ctx_handed, ctx_released, callback_self_releases);
    printf("stress: RTMP sessions: %ld publishes and %ld plays accepted, %ld refused, %ld closed on bad input, "
           "%ld bytes of output consumed\n", rtmp_published, rtmp_played, rtmp_rejected, rtmp_errors, rtmp_out_bytes);
    printf("stress: groups: %ld wakes, %ld callbacks run by dispatch\n", group_wakes, group_fired);
    printf("stress: policies: %ld streams reaped, %ld publishers cut, %ld expiry rounds, %ld skips, %ld closes\n",
           log_reaped, log_cut, log_expired, log_skipped, log_closed);

    EXPECT(userdata_made == userdata_dropped, "userdata: %ld made, %ld dropped", userdata_made, userdata_dropped);
    EXPECT(ctx_handed == ctx_released, "notify registrations with a release: %ld made, %ld released", ctx_handed,
           ctx_released);
    if (seconds >= 5) {
        /* The tiny timeouts make every policy fire within seconds. */
        EXPECT(log_reaped > 0, "no stream was ever reaped");
        EXPECT(log_cut > 0, "no idle publisher was ever cut");
        EXPECT(log_expired > 0, "no player ever expired");
        EXPECT(log_skipped > 0, "no player ever skipped forward");
        EXPECT(result_count[LIVEHUB_EOF] > 0, "no player ever saw EOF");
        EXPECT(callbacks_run > 0, "no notify callback ever ran");
        EXPECT(tags_read > 0, "nothing was read");
        EXPECT(rtmp_published > 0 && rtmp_played > 0, "no RTMP publish or play was accepted");
        EXPECT(group_wakes > 0 && group_fired > 0, "no group was woken and dispatched");
    }
    if (failures) {
        printf("stress: FAILED (%ld failures)\n", failures);
        return 1;
    }
    printf("stress: ok\n");
    return 0;
}
