/*
 * seed_scenario.c — the SRS #4143 crash scenario, and every ordering of it.
 *
 * The bug livehub exists to remove: two HTTP-FLV players play one stream; the
 * publisher stops; the first player to leave frees the per-stream object; the
 * second player resumes inside freed memory. With livehub every handle is an
 * owning reference, so no order of releases on any threads can do that.
 *
 * Part 1 replays the exact #4143 sequence, deterministically, on one thread.
 * Part 2 runs N seeded iterations (default 500) of the same story with
 * threads: one publisher pushing an AVC+AAC stream and stopping abruptly
 * mid-GOP, 2..16 players reading with livehub_player_wait() + a read call
 * (tag views, the FLV byte stream, or iovecs), an "admin" thread removing the
 * stream and ticking the hub, and every handle — hub, stream, publisher,
 * players — released at random moments, in random orders, on random threads.
 *
 * What is checked (the guarantees a server relies on):
 *   - every result code is one the API documents for that call;
 *   - after LIVEHUB_EOF, reads keep returning LIVEHUB_EOF;
 *   - livehub_player_wait() returning OK means the next read is not AGAIN;
 *   - the byte streams are well-formed FLV that ends on a tag boundary;
 *   - every delivered tag is intact (bodies carry a sequence number and a
 *     pattern), in order, with monotonic timestamps; a player starts with
 *     onMetaData, never gets a frame before its sequence header, and after a
 *     gap (it fell behind and was skipped forward) the next video frame is a
 *     keyframe;
 *   - the stream's userdata drop callback runs exactly once per stream, and
 *     only once every handle on it has been released.
 * Run it under AddressSanitizer (make test does): a use-after-free, double
 * free or leak anywhere in the story is a failure too.
 *
 * Usage: seed_scenario [seed] [iterations] [only]   (defaults: 4143, 500)
 *   `only` replays the single iteration of that index (same choices, though
 *   not the same thread interleaving); SEED_DEBUG=1 prints more.
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

/* ------------------------------------------------------------------------- */
/* Atomics (GCC builtins: this file is C99, which has no <stdatomic.h>)       */
/* ------------------------------------------------------------------------- */

static long atomic_add(long *p, long v) { return __atomic_add_fetch(p, v, __ATOMIC_SEQ_CST); }
static long atomic_get(const long *p) { return __atomic_load_n(p, __ATOMIC_SEQ_CST); }
static void atomic_set(long *p, long v) { __atomic_store_n(p, v, __ATOMIC_SEQ_CST); }

/* ------------------------------------------------------------------------- */
/* Failure reporting                                                         */
/* ------------------------------------------------------------------------- */

static long failures = 0;
static long current_iteration = -1;   /* -1: the deterministic part */

#define FAIL(...)                                                             \
    do {                                                                      \
        if (atomic_add(&failures, 1) <= 20) {                                 \
            fprintf(stderr, "seed_scenario: FAILED (iteration %ld) %s:%d: ", \
                    atomic_get(&current_iteration), __FILE__, __LINE__);      \
            fprintf(stderr, __VA_ARGS__);                                     \
            fputc('\n', stderr);                                              \
        }                                                                     \
    } while (0)

#define EXPECT(cond, ...) do { if (!(cond)) FAIL(__VA_ARGS__); } while (0)

static const char *rs(livehub_result r) { return livehub_result_str(r); }

/* ------------------------------------------------------------------------- */
/* Deterministic randomness and time                                         */
/* ------------------------------------------------------------------------- */

typedef struct { uint64_t s; } rng;   /* splitmix64: tiny, good enough, seeded */

static uint64_t rng_next(rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static uint32_t rng_below(rng *r, uint32_t n) { return n ? (uint32_t)(rng_next(r) % n) : 0; }
static int rng_chance(rng *r, uint32_t one_in) { return rng_below(r, one_in) == 0; }

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void sleep_us(uint32_t us)
{
    struct timespec ts = { (time_t)(us / 1000000u), (long)(us % 1000000u) * 1000L };
    nanosleep(&ts, NULL);
}

static void pause_randomly(rng *r)
{
    uint32_t k = rng_below(r, 16);
    if (k == 0) sleep_us(20 + rng_below(r, 300));
    else if (k < 4) sched_yield();
}

/* ------------------------------------------------------------------------- */
/* The synthetic AVC + AAC source                                            */
/*                                                                           */
/* Media bodies carry their own sequence number and original timestamp, then */
/* a pattern derived from the sequence number, so a reader can tell an intact */
/* tag from a stale, reordered or corrupted one:                             */
/*   video: 17|27 01 00 00 00 | NALU length (4) | 65|41 | vseq(4) ts(4) pattern */
/*   audio: AF 01 | aseq(4) ts(4) pattern                                    */
/* ------------------------------------------------------------------------- */

#define GOP_FRAMES 25u
#define MAX_BODY   4096u

static const uint8_t AAC_SH[] = { 0xAF, 0x00, 0x12, 0x10 };
static const uint8_t AVC_SH[] = {
    0x17, 0x00, 0x00, 0x00, 0x00, 0x01, 0x4D, 0x40, 0x1F, 0xFF, 0xE1, 0x00, 0x08,
    0x67, 0x4D, 0x40, 0x1F, 0xE8, 0x80, 0x28, 0x02, 0x01, 0x00, 0x04, 0x68, 0xEE, 0x3C, 0x80,
};

static void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static uint32_t get_u32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static uint32_t get_u24(const uint8_t *p) { return ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2]; }

static uint8_t pattern_byte(uint32_t seq, uint32_t i) { return (uint8_t)(seq * 31u + i * 7u + 1u); }

static size_t build_metadata(uint8_t *p)
{
    /* AMF0 "onMetaData" + ECMA array {videocodecid: 7, audiocodecid: 10}. */
    static const uint8_t meta[] = {
        0x02, 0x00, 0x0A, 'o', 'n', 'M', 'e', 't', 'a', 'D', 'a', 't', 'a',
        0x08, 0x00, 0x00, 0x00, 0x02,
        0x00, 0x0C, 'v', 'i', 'd', 'e', 'o', 'c', 'o', 'd', 'e', 'c', 'i', 'd',
        0x00, 0x40, 0x1C, 0, 0, 0, 0, 0, 0,
        0x00, 0x0C, 'a', 'u', 'd', 'i', 'o', 'c', 'o', 'd', 'e', 'c', 'i', 'd',
        0x00, 0x40, 0x24, 0, 0, 0, 0, 0, 0,
        0x00, 0x00, 0x09,
    };
    memcpy(p, meta, sizeof meta);
    return sizeof meta;
}

typedef struct {
    uint32_t headers_sent, vseq, aseq;
} source;

/* Produces the next tag of the stream: 3 headers, then 25 fps video with a
 * keyframe every 25 frames interleaved with AAC frames every ~23 ms. */
static size_t source_next(source *s, uint8_t *body, uint8_t *type, uint32_t *ts)
{
    if (s->headers_sent < 3) {
        *ts = 0;
        switch (s->headers_sent++) {
        case 0: *type = LIVEHUB_TAG_SCRIPT; return build_metadata(body);
        case 1: *type = LIVEHUB_TAG_AUDIO; memcpy(body, AAC_SH, sizeof AAC_SH); return sizeof AAC_SH;
        default: *type = LIVEHUB_TAG_VIDEO; memcpy(body, AVC_SH, sizeof AVC_SH); return sizeof AVC_SH;
        }
    }
    uint32_t vts = s->vseq * 40u;
    uint32_t ats = (uint32_t)((uint64_t)s->aseq * 23220u / 1000u);
    if (vts <= ats) {
        int key = s->vseq % GOP_FRAMES == 0;
        uint32_t payload = key ? 1500u : 120u + (s->vseq * 37u) % 300u;
        body[0] = key ? 0x17 : 0x27;
        body[1] = 0x01;
        body[2] = body[3] = body[4] = 0;
        put_u32(body + 5, 9u + payload);              /* NALU length */
        body[9] = key ? 0x65 : 0x41;                  /* IDR / non-IDR slice */
        put_u32(body + 10, s->vseq);
        put_u32(body + 14, vts);
        for (uint32_t i = 0; i < payload; i++) body[18 + i] = pattern_byte(s->vseq, i);
        *type = LIVEHUB_TAG_VIDEO;
        *ts = vts;
        s->vseq++;
        return 18 + payload;
    }
    uint32_t payload = 100u + s->aseq % 50u;
    body[0] = 0xAF;
    body[1] = 0x01;
    put_u32(body + 2, s->aseq);
    put_u32(body + 6, ats);
    for (uint32_t i = 0; i < payload; i++) body[10 + i] = pattern_byte(s->aseq, i);
    *type = LIVEHUB_TAG_AUDIO;
    *ts = ats;
    s->aseq++;
    return 10 + payload;
}

/* ------------------------------------------------------------------------- */
/* What a player checks about every tag it receives                          */
/* ------------------------------------------------------------------------- */

typedef struct {
    const char *who;
    int absolute_ts;              /* LIVEHUB_TIMESTAMP_ABSOLUTE, else rebase */
    long tags, bytes, gaps;
    long last_vseq, last_aseq;    /* -1: none yet */
    uint32_t last_ts;
    int have_aac_sh, have_avc_sh;
} tag_checker;

static void tag_checker_init(tag_checker *c, const char *who, int absolute_ts)
{
    memset(c, 0, sizeof *c);
    c->who = who;
    c->absolute_ts = absolute_ts;
    c->last_vseq = c->last_aseq = -1;
}

static int pattern_ok(const uint8_t *p, size_t n, uint32_t seq)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != pattern_byte(seq, (uint32_t)i)) return 0;
    return 1;
}

static void check_tag(tag_checker *c, uint8_t type, uint32_t ts, const uint8_t *b, size_t size)
{
    if (c->tags == 0) {
        /* A player starts with onMetaData, even one that fell more than
         * max_lag_ms behind before its first read and was skipped forward. */
        EXPECT(type == LIVEHUB_TAG_SCRIPT, "%s: first tag is %s (type %u, %zu bytes, ts %u), want onMetaData",
               c->who, size >= 2 && b[1] == 0 ? "a sequence header" : "a media frame", type, size, (unsigned)ts);
        if (!c->absolute_ts)
            EXPECT(ts == 0, "%s: rebased timestamps but the first tag is at %u", c->who, (unsigned)ts);
    }
    EXPECT(c->tags == 0 || ts >= c->last_ts, "%s: timestamp went back %u -> %u",
           c->who, (unsigned)c->last_ts, (unsigned)ts);
    c->last_ts = ts;
    c->tags++;
    c->bytes += (long)size;

    if (type == LIVEHUB_TAG_SCRIPT) {
        EXPECT(size >= 13 && !memcmp(b, "\x02\x00\x0AonMetaData", 13), "%s: bad onMetaData", c->who);
    } else if (type == LIVEHUB_TAG_AUDIO) {
        if (size == sizeof AAC_SH && !memcmp(b, AAC_SH, size)) { c->have_aac_sh = 1; return; }
        if (size < 10 || b[0] != 0xAF || b[1] != 0x01) { FAIL("%s: garbled audio tag (%zu bytes)", c->who, size); return; }
        EXPECT(c->have_aac_sh, "%s: AAC frame before the AAC sequence header", c->who);
        uint32_t seq = get_u32(b + 2);
        EXPECT((long)seq > c->last_aseq, "%s: audio frame %u after %ld", c->who, (unsigned)seq, c->last_aseq);
        EXPECT(pattern_ok(b + 10, size - 10, seq), "%s: audio frame %u corrupted", c->who, (unsigned)seq);
        if (c->absolute_ts) EXPECT(ts == get_u32(b + 6), "%s: absolute ts %u, pushed %u", c->who, (unsigned)ts, (unsigned)get_u32(b + 6));
        c->last_aseq = seq;
    } else if (type == LIVEHUB_TAG_VIDEO) {
        if (size == sizeof AVC_SH && !memcmp(b, AVC_SH, size)) { c->have_avc_sh = 1; return; }
        if (size < 18 || (b[0] != 0x17 && b[0] != 0x27) || b[1] != 0x01) { FAIL("%s: garbled video tag (%zu bytes)", c->who, size); return; }
        EXPECT(c->have_avc_sh, "%s: video frame before the AVC sequence header", c->who);
        uint32_t seq = get_u32(b + 10);
        int key = b[0] == 0x17;
        EXPECT((long)seq > c->last_vseq, "%s: video frame %u after %ld", c->who, (unsigned)seq, c->last_vseq);
        if ((long)seq != c->last_vseq + 1) {
            /* First frame, or a skip forward: the decoder needs a keyframe. */
            EXPECT(key, "%s: video resumes at inter frame %u (previous %ld)", c->who, (unsigned)seq, c->last_vseq);
            if (c->last_vseq >= 0) c->gaps++;
        }
        EXPECT(pattern_ok(b + 18, size - 18, seq), "%s: video frame %u corrupted", c->who, (unsigned)seq);
        if (c->absolute_ts) EXPECT(ts == get_u32(b + 14), "%s: absolute ts %u, pushed %u", c->who, (unsigned)ts, (unsigned)get_u32(b + 14));
        c->last_vseq = seq;
    } else {
        FAIL("%s: tag of unknown type %u", c->who, type);
    }
}

/* An incremental HTTP-FLV parser for the read_flv / read_iov byte streams:
 * bytes may arrive split anywhere. */
typedef struct {
    tag_checker *tags;
    uint8_t head[13]; size_t head_len;           /* FLV header + PreviousTagSize0 */
    uint8_t th[11]; size_t th_len;               /* current tag header */
    uint8_t body[MAX_BODY]; size_t body_len, body_size;
    uint8_t pts[4]; size_t pts_len;              /* current PreviousTagSize */
    int broken;
} flv_parser;

static void flv_feed(flv_parser *f, const uint8_t *p, size_t n)
{
    while (n > 0 && !f->broken) {
        if (f->head_len < 13) {
            f->head[f->head_len++] = *p++; n--;
            if (f->head_len == 13) {
                if (memcmp(f->head, "FLV\x01", 4) || (f->head[4] & ~0x05) || get_u32(f->head + 5) != 9 ||
                    get_u32(f->head + 9) != 0) {
                    FAIL("%s: bad FLV header", f->tags->who);
                    f->broken = 1;
                }
            }
        } else if (f->th_len < 11) {
            f->th[f->th_len++] = *p++; n--;
            if (f->th_len == 11) {
                f->body_size = get_u24(f->th + 1);
                f->body_len = f->pts_len = 0;
                if (f->body_size > MAX_BODY) { FAIL("%s: FLV tag of %zu bytes", f->tags->who, f->body_size); f->broken = 1; }
            }
        } else if (f->body_len < f->body_size) {
            size_t k = f->body_size - f->body_len;
            if (k > n) k = n;
            memcpy(f->body + f->body_len, p, k);
            f->body_len += k; p += k; n -= k;
        } else {
            f->pts[f->pts_len++] = *p++; n--;
            if (f->pts_len == 4) {
                EXPECT(get_u32(f->pts) == f->body_size + 11, "%s: PreviousTagSize mismatch", f->tags->who);
                uint32_t ts = get_u24(f->th + 4) | ((uint32_t)f->th[7] << 24);
                check_tag(f->tags, f->th[0] & 0x1F, ts, f->body, f->body_size);
                f->th_len = 0;
            }
        }
    }
}

/* At EOF the byte stream must end on a tag boundary (or be empty). */
static void flv_check_end(const flv_parser *f)
{
    EXPECT(f->head_len == 0 || (f->head_len == 13 && f->th_len == 0),
           "%s: FLV byte stream ends mid-tag at EOF", f->tags->who);
}

/* ------------------------------------------------------------------------- */
/* Accounting for the userdata drop callback                                 */
/* ------------------------------------------------------------------------- */

typedef struct iteration iteration;

typedef struct {
    iteration *it;
    long refs;        /* stream, publisher and player handles we hold on it */
    long unmounted;   /* set before livehub_hub_remove() of its key */
    long drops;       /* times the drop callback ran: must end at exactly 1 */
} stream_life;

struct iteration {
    long hub_refs;         /* hub handles we hold */
    stream_life main_life; /* "live/seed" as the iteration starts */
    stream_life second_life;  /* the same key mounted again after a removal */
    long second_created;
};

/* Runs on whichever thread drops the last reference. Counters are decremented
 * *before* each release call, so when the drop runs they must all be zero. */
static void on_stream_drop(void *userdata)
{
    stream_life *life = userdata;
    long refs = atomic_get(&life->refs);
    EXPECT(refs == 0, "userdata dropped while %ld stream/publisher/player handles are alive", refs);
    EXPECT(atomic_get(&life->unmounted) || atomic_get(&life->it->hub_refs) == 0,
           "userdata dropped while the stream is still mounted in a live hub");
    EXPECT(atomic_add(&life->drops, 1) == 1, "userdata drop callback ran twice");
}

/* ------------------------------------------------------------------------- */
/* Releasing handles: now, or later on another thread ("the graveyard")      */
/* ------------------------------------------------------------------------- */

enum handle_kind { H_HUB, H_STREAM, H_PUBLISHER, H_PLAYER };

typedef struct {
    enum handle_kind kind;
    void *handle;
    stream_life *life;     /* NULL for a hub */
    iteration *it;
} owned_handle;

static void release_handle(owned_handle h)
{
    switch (h.kind) {
    case H_HUB:       atomic_add(&h.it->hub_refs, -1); livehub_hub_release(h.handle); break;
    case H_STREAM:    atomic_add(&h.life->refs, -1);   livehub_stream_release(h.handle); break;
    case H_PUBLISHER: atomic_add(&h.life->refs, -1);   livehub_publisher_release(h.handle); break;
    case H_PLAYER:    atomic_add(&h.life->refs, -1);   livehub_player_release(h.handle); break;
    }
}

#define GRAVEYARD_CAP 64
static pthread_mutex_t graveyard_lock = PTHREAD_MUTEX_INITIALIZER;
static owned_handle graveyard[GRAVEYARD_CAP];
static size_t graveyard_len = 0;

/* Hands a handle over for some other thread to release later. */
static void bury(owned_handle h)
{
    pthread_mutex_lock(&graveyard_lock);
    if (graveyard_len < GRAVEYARD_CAP) {
        graveyard[graveyard_len++] = h;
        h.handle = NULL;
    }
    pthread_mutex_unlock(&graveyard_lock);
    if (h.handle) release_handle(h);   /* full: release it here */
}

/* Releases one buried handle, picked at random; returns 0 if none. */
static int reap_one(rng *r)
{
    owned_handle h;
    pthread_mutex_lock(&graveyard_lock);
    if (graveyard_len == 0) { pthread_mutex_unlock(&graveyard_lock); return 0; }
    size_t i = rng_below(r, (uint32_t)graveyard_len);
    h = graveyard[i];
    graveyard[i] = graveyard[--graveyard_len];
    pthread_mutex_unlock(&graveyard_lock);
    release_handle(h);
    return 1;
}

/* Either releases right here or buries for another thread. */
static void release_somewhere(rng *r, owned_handle h)
{
    if (rng_chance(r, 2)) bury(h);
    else release_handle(h);
}

/* ------------------------------------------------------------------------- */
/* Global statistics for the summary line                                    */
/* ------------------------------------------------------------------------- */

static long stat_players, stat_tags, stat_bytes, stat_eof, stat_gaps, stat_closed_play,
            stat_removes, stat_expired, stat_left_early, stat_max_reads, stat_deadline;

/* ------------------------------------------------------------------------- */
/* Part 1: the exact #4143 sequence                                          */
/* ------------------------------------------------------------------------- */

static int read_one(livehub_player *pl, tag_checker *c)
{
    livehub_tag tag;
    livehub_result r = livehub_player_read(pl, &tag);
    if (r == LIVEHUB_OK) check_tag(c, tag.type, tag.timestamp, tag.data, tag.size);
    else EXPECT(r == LIVEHUB_AGAIN || r == LIVEHUB_EOF, "%s: read returned %s", c->who, rs(r));
    return (int)r;
}

static void run_4143(void)
{
    iteration it;
    memset(&it, 0, sizeof it);
    it.main_life.it = &it;

    /* Default config: players would wait 5 s for a republish, but the hub
     * going away closes the stream, so the second player sees EOF anyway. */
    livehub_hub *hub = NULL;
    livehub_stream *stream = NULL;
    livehub_publisher *pub = NULL;
    livehub_player *first = NULL, *second = NULL, *scratch = NULL;

    EXPECT(livehub_hub_new(NULL, &hub) == LIVEHUB_OK, "hub_new");
    it.hub_refs = 1;
    EXPECT(livehub_hub_stream(hub, "live/4143", &stream) == LIVEHUB_OK, "hub_stream");
    it.main_life.refs = 1;
    EXPECT(livehub_stream_set_userdata(stream, &it.main_life, on_stream_drop) == LIVEHUB_OK, "set_userdata");
    EXPECT(livehub_stream_userdata(stream) == &it.main_life, "stream_userdata");
    if (!hub || !stream) return;

    /* Two HTTP-FLV players, then OBS starts publishing. */
    EXPECT(livehub_stream_play(stream, NULL, &first) == LIVEHUB_OK, "play first");
    EXPECT(livehub_stream_play(stream, NULL, &second) == LIVEHUB_OK, "play second");
    EXPECT(livehub_stream_publish(stream, &pub) == LIVEHUB_OK, "publish");
    it.main_life.refs += 3;
    livehub_publisher *second_pub = NULL;
    EXPECT(livehub_stream_publish(stream, &second_pub) == LIVEHUB_ERR_BUSY, "a second publisher must get BUSY");

    /* Documented argument errors, on a throwaway player. */
    EXPECT(livehub_stream_play(stream, NULL, &scratch) == LIVEHUB_OK, "play scratch");
    if (scratch) {
        uint8_t one[1];
        size_t n = 0;
        livehub_iovec iov[2];
        EXPECT(livehub_player_read_flv(scratch, one, 0, &n) == LIVEHUB_ERR_INVALID_ARG, "read_flv cap 0");
        EXPECT(livehub_player_read_iov(scratch, iov, 2, &n) == LIVEHUB_ERR_BUFFER, "read_iov cap 2");
        EXPECT(livehub_player_read(scratch, NULL) == LIVEHUB_ERR_NULL, "read NULL tag_out");
        livehub_player_release(scratch);
    }

    static uint8_t body[MAX_BODY];
    source src = { 0, 0, 0 };
    long pushed = 0;
    for (int i = 0; i < 3 + 2 * 25 + 2 * 43; i++) {   /* headers + 2 s of media */
        uint8_t type;
        uint32_t ts;
        size_t size = source_next(&src, body, &type, &ts);
        EXPECT(livehub_publisher_push_tag(pub, type, ts, body, size) == LIVEHUB_OK, "push_tag");
        pushed++;
    }

    tag_checker c1, c2;
    tag_checker_init(&c1, "#4143 first player", 0);
    tag_checker_init(&c2, "#4143 second player", 0);
    for (int i = 0; i < 10; i++) EXPECT(read_one(first, &c1) == LIVEHUB_OK, "first player read");
    for (int i = 0; i < 5; i++) EXPECT(read_one(second, &c2) == LIVEHUB_OK, "second player read");

    /* OBS stops: the publisher is released (the unpublish). */
    it.main_life.refs--;
    livehub_publisher_release(pub);

    /* The first player leaves. In SRS this is where the shared stream object
     * was freed; here it only drops the player's own reference. */
    for (int i = 0; i < 3; i++) EXPECT(read_one(first, &c1) == LIVEHUB_OK, "first player read");
    it.main_life.refs--;
    livehub_player_release(first);

    /* The server drops its stream handle, then shuts the hub down. */
    it.main_life.refs--;
    livehub_stream_release(stream);
    it.hub_refs--;
    livehub_hub_release(hub);
    EXPECT(atomic_get(&it.main_life.drops) == 0, "stream freed while the second player still holds it");

    /* The second player resumes: it gets everything that was published, then
     * EOF, and keeps getting EOF. */
    int eof = 0;
    for (int i = 0; i < 1000 && !eof; i++) {
        int r = read_one(second, &c2);
        EXPECT(r != LIVEHUB_AGAIN, "second player got AGAIN on a closed stream");
        eof = r == LIVEHUB_EOF;
    }
    EXPECT(eof, "second player never reached EOF");
    EXPECT(c2.tags == pushed, "second player got %ld of %ld tags", c2.tags, pushed);
    for (int i = 0; i < 3; i++) EXPECT(read_one(second, &c2) == LIVEHUB_EOF, "read after EOF must stay EOF");
    EXPECT(livehub_player_wait(second, 0) == LIVEHUB_EOF, "wait after EOF must return EOF");

    /* The last handle goes: only now may the stream (and its userdata) go. */
    it.main_life.refs--;
    livehub_player_release(second);
    EXPECT(atomic_get(&it.main_life.drops) == 1, "userdata drop ran %ld times, want 1", atomic_get(&it.main_life.drops));
    printf("seed_scenario: #4143 sequence: second player read %ld/%ld tags after the first left, then EOF; ok\n",
           c2.tags, pushed);
}

/* ------------------------------------------------------------------------- */
/* Part 2: seeded iterations with threads                                    */
/* ------------------------------------------------------------------------- */

#define MAX_PLAYERS 16

typedef struct {
    iteration *it;
    livehub_hub *hub;             /* admin: its own reference */
    livehub_stream *stream;       /* publisher / players: their own reference */
    uint64_t seed;
    int index;
    char who[48];
} actor;

static void *publisher_thread(void *arg)
{
    actor *a = arg;
    rng r = { a->seed };
    stream_life *life = &a->it->main_life;
    owned_handle stream_h = { H_STREAM, a->stream, life, a->it };

    if (rng_chance(&r, 2)) sleep_us(rng_below(&r, 1500));

    livehub_publisher *pub = NULL;
    atomic_add(&life->refs, 1);
    livehub_result pr = livehub_stream_publish(a->stream, &pub);
    if (pr != LIVEHUB_OK) {
        atomic_add(&life->refs, -1);
        /* The stream was removed (or its hub shut down) before we came. */
        EXPECT(pr == LIVEHUB_ERR_CLOSED, "publish returned %s", rs(pr));
        release_handle(stream_h);
        return NULL;
    }
    if (rng_chance(&r, 2)) { release_somewhere(&r, stream_h); stream_h.handle = NULL; }

    /* Push 20..600 tags, then stop dead, wherever we are in the GOP. */
    uint8_t *body = malloc(MAX_BODY);
    source src = { 0, 0, 0 };
    uint32_t total = 20 + rng_below(&r, 580);
    for (uint32_t i = 0; i < total && body; i++) {
        uint8_t type;
        uint32_t ts;
        size_t size = source_next(&src, body, &type, &ts);
        livehub_result res = livehub_publisher_push_tag(pub, type, ts, body, size);
        if (res == LIVEHUB_ERR_CLOSED) break;       /* removed / hub gone: stop publishing */
        EXPECT(res == LIVEHUB_OK, "push_tag returned %s", rs(res));
        pause_randomly(&r);
    }
    free(body);

    owned_handle pub_h = { H_PUBLISHER, pub, life, a->it };
    release_somewhere(&r, pub_h);                   /* the (abrupt) unpublish */
    if (stream_h.handle) release_somewhere(&r, stream_h);
    if (rng_chance(&r, 2)) reap_one(&r);
    return NULL;
}

enum read_mode { READ_TAG, READ_FLV, READ_IOV };

/* One read call in the player's mode; returns the result code. */
static livehub_result player_read_once(livehub_player *pl, enum read_mode mode, rng *r,
                                       tag_checker *c, flv_parser *f, uint8_t *buf, size_t buf_cap)
{
    livehub_result res;
    if (mode == READ_TAG) {
        livehub_tag tag;
        res = livehub_player_read(pl, &tag);
        if (res == LIVEHUB_OK) check_tag(c, tag.type, tag.timestamp, tag.data, tag.size);
    } else if (mode == READ_FLV) {
        size_t cap = 1 + rng_below(r, (uint32_t)buf_cap);  /* any socket buffer size */
        size_t written = 0;
        res = livehub_player_read_flv(pl, buf, cap, &written);
        if (res == LIVEHUB_OK) {
            EXPECT(written > 0 && written <= cap, "%s: read_flv wrote %zu of cap %zu", c->who, written, cap);
            flv_feed(f, buf, written <= cap ? written : cap);
        }
    } else {
        livehub_iovec iov[16];
        size_t cap = 3 + rng_below(r, 14), count = 0;
        res = livehub_player_read_iov(pl, iov, cap, &count);
        if (res == LIVEHUB_OK) {
            EXPECT(count > 0 && count <= cap, "%s: read_iov returned %zu iovecs (cap %zu)", c->who, count, cap);
            for (size_t i = 0; i < count && i < cap; i++)
                flv_feed(f, (const uint8_t *)iov[i].iov_base, iov[i].iov_len);
        }
    }
    EXPECT(res == LIVEHUB_OK || res == LIVEHUB_AGAIN || res == LIVEHUB_EOF || res == LIVEHUB_ERR_EXPIRED,
           "%s: read returned %s", c->who, rs(res));
    return res;
}

static void *player_thread(void *arg)
{
    actor *a = arg;
    rng r = { a->seed };
    stream_life *life = &a->it->main_life;
    owned_handle stream_h = { H_STREAM, a->stream, life, a->it };

    flv_parser *f = calloc(1, sizeof *f);        /* the byte-stream checker */
    if (!f) { FAIL("out of memory"); release_handle(stream_h); return NULL; }

    if (rng_chance(&r, 2)) sleep_us(rng_below(&r, 3000));   /* late joiners */

    /* Any thread may use a stream handle concurrently. */
    EXPECT(livehub_stream_userdata(a->stream) == life, "%s: stream_userdata changed", a->who);

    livehub_play_options opts;
    livehub_play_options_init(&opts);
    int absolute = rng_chance(&r, 3);
    opts.timestamp_mode = absolute ? LIVEHUB_TIMESTAMP_ABSOLUTE : LIVEHUB_TIMESTAMP_REBASE;

    livehub_player *pl = NULL;
    atomic_add(&life->refs, 1);
    livehub_result pr = livehub_stream_play(a->stream, &opts, &pl);
    if (pr != LIVEHUB_OK) {
        atomic_add(&life->refs, -1);
        EXPECT(pr == LIVEHUB_ERR_CLOSED, "%s: play returned %s", a->who, rs(pr));
        atomic_add(&stat_closed_play, 1);
        release_somewhere(&r, stream_h);
        free(f);
        return NULL;
    }
    atomic_add(&stat_players, 1);
    /* The player holds the stream on its own: the stream handle can go now. */
    if (rng_chance(&r, 2)) { release_somewhere(&r, stream_h); stream_h.handle = NULL; }

    enum read_mode mode = (enum read_mode)rng_below(&r, 3);
    tag_checker c;
    tag_checker_init(&c, a->who, absolute);
    f->tags = &c;
    uint8_t buf[8192];

    /* Bounded: a number of reads, a deadline, and sometimes an early leave. */
    uint32_t max_reads = 50 + rng_below(&r, 3000);
    uint32_t leave_after = rng_chance(&r, 3) ? rng_below(&r, max_reads) : max_reads;
    uint64_t deadline = now_us() + 250000u;
    uint32_t reads = 0;
    int eof = 0, expired = 0;

    while (reads < leave_after && !eof && !expired && now_us() < deadline) {
        /* Handles buried by others (a publisher, a hub...) get released by
         * whoever comes by: here, this player's thread. */
        if (rng_chance(&r, 8)) reap_one(&r);
        livehub_result w = livehub_player_wait(pl, 1 + rng_below(&r, 4));
        EXPECT(w == LIVEHUB_OK || w == LIVEHUB_TIMEOUT || w == LIVEHUB_EOF || w == LIVEHUB_ERR_EXPIRED,
               "%s: wait returned %s", a->who, rs(w));
        if (w == LIVEHUB_TIMEOUT) continue;
        /* Drain a burst, as a server writes until the socket would block. */
        for (int burst = 0; burst < 64 && reads < leave_after; burst++) {
            livehub_result res = player_read_once(pl, mode, &r, &c, f, buf, sizeof buf);
            reads++;
            if (burst == 0 && w == LIVEHUB_OK)
                EXPECT(res != LIVEHUB_AGAIN, "%s: wait said OK but the read said AGAIN", a->who);
            if (burst == 0 && w == LIVEHUB_EOF)
                EXPECT(res == LIVEHUB_EOF, "%s: wait said EOF but the read said %s", a->who, rs(res));
            if (res == LIVEHUB_AGAIN) break;
            if (res == LIVEHUB_EOF) { eof = 1; break; }
            if (res == LIVEHUB_ERR_EXPIRED) { expired = 1; break; }
        }
        if (rng_chance(&r, 8)) pause_randomly(&r);
    }

    if (eof) {
        for (int i = 0; i < 3; i++) {
            livehub_result res = player_read_once(pl, mode, &r, &c, f, buf, sizeof buf);
            EXPECT(res == LIVEHUB_EOF, "%s: read after EOF returned %s", a->who, rs(res));
        }
        if (mode != READ_TAG) flv_check_end(f);
        atomic_add(&stat_eof, 1);
    } else if (expired) {
        atomic_add(&stat_expired, 1);
    } else if (reads >= leave_after && leave_after < max_reads) {
        atomic_add(&stat_left_early, 1);
    } else if (reads >= max_reads) {
        atomic_add(&stat_max_reads, 1);
    } else {
        atomic_add(&stat_deadline, 1);
        if (getenv("SEED_DEBUG"))
            fprintf(stderr, "iteration %ld: %s hit the deadline after %u reads, %ld tags, mode %d\n",
                    atomic_get(&current_iteration), a->who, (unsigned)reads, c.tags, (int)mode);
    }
    atomic_add(&stat_tags, c.tags);
    atomic_add(&stat_bytes, c.bytes);
    atomic_add(&stat_gaps, c.gaps);
    free(f);

    owned_handle player_h = { H_PLAYER, pl, life, a->it };
    release_somewhere(&r, player_h);
    if (stream_h.handle) release_somewhere(&r, stream_h);
    if (rng_chance(&r, 2)) reap_one(&r);
    return NULL;
}

/* The server's control plane: ticks the hub, looks the stream up, sometimes
 * removes it (players must drain then see EOF), and sometimes mounts a new,
 * independent stream under the freed key. */
static void *admin_thread(void *arg)
{
    actor *a = arg;
    rng r = { a->seed };
    iteration *it = a->it;
    owned_handle hub_h = { H_HUB, a->hub, NULL, it };
    int removed = 0;
    uint32_t steps = 1 + rng_below(&r, 20);
    uint32_t release_at = rng_below(&r, steps + 1);
    int remove_at = rng_chance(&r, 2) ? (int)rng_below(&r, steps) : -1;

    for (uint32_t step = 0; step < steps; step++) {
        if (step == release_at) break;                 /* let go of the hub early */
        sleep_us(200 + rng_below(&r, 1500));
        if (rng_chance(&r, 2)) reap_one(&r);
        livehub_result t = livehub_hub_tick(a->hub);
        EXPECT(t == LIVEHUB_OK, "hub_tick returned %s", rs(t));

        /* A lookup returns a new reference, counted like any other. After
         * our removal the key may hold the second stream, or nothing. */
        stream_life *life = removed ? &it->second_life : &it->main_life;
        livehub_stream *found = NULL;
        atomic_add(&life->refs, 1);
        livehub_result fr = livehub_hub_find(a->hub, "live/seed", &found);
        EXPECT(fr == LIVEHUB_OK || fr == LIVEHUB_ERR_NOT_FOUND, "hub_find returned %s", rs(fr));
        EXPECT(fr != LIVEHUB_ERR_NOT_FOUND || removed, "hub_find: NOT_FOUND before any removal");
        if (fr == LIVEHUB_OK) {
            EXPECT(livehub_stream_userdata(found) == (void *)life, "hub_find returned another stream");
            atomic_add(&life->refs, -1);
            livehub_stream_release(found);
        } else {
            atomic_add(&life->refs, -1);
        }

        if ((int)step == remove_at && !removed) {
            atomic_set(&it->main_life.unmounted, 1);
            livehub_result rr = livehub_hub_remove(a->hub, "live/seed");
            EXPECT(rr == LIVEHUB_OK, "hub_remove returned %s", rs(rr));
            removed = 1;
            atomic_add(&stat_removes, 1);
            EXPECT(livehub_hub_remove(a->hub, "live/seed") == LIVEHUB_ERR_NOT_FOUND, "second remove must be NOT_FOUND");

            if (rng_chance(&r, 2)) {
                /* The key is free: get-or-create makes a new stream. */
                livehub_stream *fresh = NULL;
                atomic_add(&it->second_life.refs, 1);
                livehub_result sr = livehub_hub_stream(a->hub, "live/seed", &fresh);
                EXPECT(sr == LIVEHUB_OK, "hub_stream after remove returned %s", rs(sr));
                if (sr == LIVEHUB_OK) {
                    atomic_set(&it->second_created, 1);
                    EXPECT(livehub_stream_userdata(fresh) == NULL, "a new stream inherited userdata");
                    EXPECT(livehub_stream_set_userdata(fresh, &it->second_life, on_stream_drop) == LIVEHUB_OK,
                           "set_userdata on the new stream");
                    owned_handle fresh_h = { H_STREAM, fresh, &it->second_life, it };
                    release_somewhere(&r, fresh_h);
                } else {
                    atomic_add(&it->second_life.refs, -1);
                }
            }
        }
    }
    release_somewhere(&r, hub_h);
    return NULL;
}

static void run_iteration(uint64_t seed, int index)
{
    rng r = { seed };
    iteration it;
    memset(&it, 0, sizeof it);
    it.main_life.it = &it;
    it.second_life.it = &it;

    /* Short republish wait so that players reach EOF after the publisher
     * leaves; no idle reaping during an iteration; a random lag bound so that
     * slow players get skipped forward now and then. */
    livehub_config cfg;
    livehub_config_init(&cfg);
    cfg.republish_wait_ms = rng_below(&r, 21);
    cfg.idle_stream_ms = 600000;
    cfg.max_lag_ms = rng_chance(&r, 3) ? 40 + rng_below(&r, 400) : cfg.max_lag_ms;

    livehub_hub *hub = NULL;
    livehub_result hr = livehub_hub_new(&cfg, &hub);
    EXPECT(hr == LIVEHUB_OK, "hub_new returned %s", rs(hr));
    if (hr != LIVEHUB_OK) return;
    it.hub_refs = 1;

    livehub_stream *stream = NULL;
    livehub_result sr = livehub_hub_stream(hub, "live/seed", &stream);
    EXPECT(sr == LIVEHUB_OK, "hub_stream returned %s", rs(sr));
    if (sr != LIVEHUB_OK) { livehub_hub_release(hub); return; }
    it.main_life.refs = 1;
    EXPECT(livehub_stream_set_userdata(stream, &it.main_life, on_stream_drop) == LIVEHUB_OK, "set_userdata");

    /* Hand every actor its own reference (retain) before it starts. */
    int nplayers = 2 + (int)rng_below(&r, MAX_PLAYERS - 1);
    actor actors[MAX_PLAYERS + 2];
    pthread_t threads[MAX_PLAYERS + 2];
    int nactors = 0;

    for (int i = 0; i < nplayers + 1; i++) {
        actor *a = &actors[nactors++];
        memset(a, 0, sizeof *a);
        a->it = &it;
        a->seed = rng_next(&r);
        a->index = i;
        atomic_add(&it.main_life.refs, 1);
        a->stream = livehub_stream_retain(stream);
        EXPECT(a->stream == stream, "stream_retain must return its argument");
        snprintf(a->who, sizeof a->who, i == 0 ? "publisher" : "player %d", i);
    }
    actor *admin = &actors[nactors++];
    memset(admin, 0, sizeof *admin);
    admin->it = &it;
    admin->seed = rng_next(&r);
    atomic_add(&it.hub_refs, 1);
    admin->hub = livehub_hub_retain(hub);
    EXPECT(admin->hub == hub, "hub_retain must return its argument");

    for (int i = 0; i < nactors; i++) {
        void *(*fn)(void *) = i == 0 ? publisher_thread : i == nactors - 1 ? admin_thread : player_thread;
        if (pthread_create(&threads[i], NULL, fn, &actors[i]) != 0) {
            FAIL("pthread_create");
            exit(2);
        }
    }

    /* Meanwhile the main thread lets go of its own stream and hub handles at
     * random moments: before, during or after the others finish. */
    owned_handle main_stream = { H_STREAM, stream, &it.main_life, &it };
    owned_handle main_hub = { H_HUB, hub, NULL, &it };
    int order = (int)rng_below(&r, 4);
    if (order == 0) { sleep_us(rng_below(&r, 2000)); release_somewhere(&r, main_stream); main_stream.handle = NULL; }
    if (order == 1) { sleep_us(rng_below(&r, 2000)); release_somewhere(&r, main_hub); main_hub.handle = NULL; }
    if (order == 2) {
        sleep_us(rng_below(&r, 3000));
        release_somewhere(&r, main_hub); main_hub.handle = NULL;
        release_somewhere(&r, main_stream); main_stream.handle = NULL;
    }

    for (int i = 0; i < nactors; i++) pthread_join(threads[i], NULL);
    if (main_stream.handle) release_handle(main_stream);
    if (main_hub.handle) release_handle(main_hub);
    for (int guard = 0; guard < GRAVEYARD_CAP * 2 && reap_one(&r); guard++) {}

    /* Every handle is gone: each stream's userdata went exactly once. */
    EXPECT(atomic_get(&it.main_life.refs) == 0 && atomic_get(&it.hub_refs) == 0, "handle accounting off");
    EXPECT(atomic_get(&it.main_life.drops) == 1, "iteration %d: userdata dropped %ld times, want 1",
           index, atomic_get(&it.main_life.drops));
    EXPECT(atomic_get(&it.second_life.drops) == atomic_get(&it.second_created),
           "iteration %d: the re-mounted stream's userdata dropped %ld times, want %ld",
           index, atomic_get(&it.second_life.drops), atomic_get(&it.second_created));
}

int main(int argc, char **argv)
{
    uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 0) : 4143u;
    long iterations = argc > 2 ? strtol(argv[2], NULL, 0) : 500;
    long only = argc > 3 ? strtol(argv[3], NULL, 0) : -1;   /* replay one iteration */
    if (iterations < 0 || iterations > 1000000) iterations = 500;

    /* A hang (a deadlock in a release path, say) fails the run, never stalls it. */
    alarm(600);
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("seed_scenario: livehub %s, seed %llu, %ld iterations\n", livehub_version(),
           (unsigned long long)seed, iterations);

    run_4143();

    rng master = { seed };
    uint64_t started = now_us();
    for (long i = 0; i < iterations; i++) {
        uint64_t iteration_seed = rng_next(&master);
        if (only >= 0 && i != only) continue;
        atomic_set(&current_iteration, i);
        run_iteration(iteration_seed, (int)i);
        if (atomic_get(&failures) > 20) break;
    }

    printf("seed_scenario: %ld iterations in %.1f s: %ld players, %ld tags read (%ld body bytes); "
           "players ended: %ld EOF, %ld left early, %ld read limit, %ld deadline, %ld expired; "
           "%ld refused (stream closed), %ld removals, %ld skip-forwards\n",
           iterations, (double)(now_us() - started) / 1e6, stat_players, stat_tags, stat_bytes,
           stat_eof, stat_left_early, stat_max_reads, stat_deadline, stat_expired,
           stat_closed_play, stat_removes, stat_gaps);
    if (atomic_get(&failures)) {
        printf("seed_scenario: %ld check(s) FAILED (seed %llu)\n", atomic_get(&failures), (unsigned long long)seed);
        return 1;
    }
    printf("seed_scenario: %ld iterations, %ld tags read, ok\n", iterations, stat_tags);
    return 0;
}
