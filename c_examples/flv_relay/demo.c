/*
 * demo.c — the --demo source: a thread that publishes the tags of an FLV
 * file as live/demo at real-time pace, in a loop, with timestamps that go
 * on across loops (metadata and sequence headers only in the first loop;
 * sequence-end tags dropped). It shows the other way to publish: tag by tag
 * with livehub_publisher_push_tag() from a thread of one's own, holding its
 * own hub reference, and publishing again if the stream is removed.
 */
#include "relay.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    uint8_t type;
    uint32_t ts;
    size_t off, size;            /* body, in the file buffer */
    int first_loop_only;         /* metadata and sequence headers */
} demo_tag;

struct demo {
    const char *path;
    uint8_t *file;
    size_t file_size;
    demo_tag *tags;
    size_t ntags;
    uint32_t duration_ms, frame_ms;
    uint64_t loop_body_bytes;    /* bodies pushed per loop after the first */
    livehub_hub *hub;            /* the demo's own reference */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;           /* on CLOCK_MONOTONIC */
    int stop;
};

static uint32_t be24(const uint8_t *p) { return ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2]; }

/* Reads an FLV file and indexes its tags. Sequence-end tags are dropped (a
 * looping stream never ends); metadata and sequence headers are marked to
 * be pushed only in the first loop (they do not change). */
static void demo_load(demo *d)
{
    FILE *f = fopen(d->path, "rb");
    if (!f) die("--demo %s: %s", d->path, strerror(errno));
    if (fseek(f, 0, SEEK_END) != 0) die("--demo %s: cannot seek", d->path);
    long size = ftell(f);
    if (size < 13 || size > (256L << 20)) die("--demo %s: bad size", d->path);
    rewind(f);
    d->file = xcalloc(1, (size_t)size);
    if (fread(d->file, 1, (size_t)size, f) != (size_t)size) die("--demo %s: short read", d->path);
    fclose(f);
    d->file_size = (size_t)size;
    const uint8_t *p = d->file;
    if (memcmp(p, "FLV", 3) != 0) die("--demo %s: not an FLV file", d->path);
    uint32_t data_off = ((uint32_t)p[5] << 24) | be24(p + 6);
    if (data_off < 9 || data_off + 4 > d->file_size) die("--demo %s: bad FLV header", d->path);

    size_t cap = 1024;
    d->tags = xcalloc(cap, sizeof *d->tags);
    uint32_t last_video = 0, min_step = 0;
    int have_video = 0;
    size_t off = data_off + 4;                       /* after PreviousTagSize0 */
    for (size_t guard = 0; off + 11 <= d->file_size && guard < 10000000; guard++) {
        uint8_t type = p[off] & 0x1f;
        int filtered = (p[off] & 0x20) != 0;
        uint32_t size_body = be24(p + off + 1);
        uint32_t ts = be24(p + off + 4) | ((uint32_t)p[off + 7] << 24);
        size_t body = off + 11;
        if (body + size_body > d->file_size) break;  /* truncated tail */
        off = body + size_body + 4;
        if (filtered || (type != 8 && type != 9 && type != 18) || size_body == 0) continue;
        const uint8_t *b = p + body;
        int first_only = 0, drop = 0;
        if (type == 18) {
            first_only = 1;
        } else if (type == 8) {
            first_only = (b[0] >> 4) == 10 && size_body >= 2 && b[1] == 0;   /* AAC sequence header */
        } else {
            if (b[0] & 0x80) {                       /* Enhanced RTMP: packet type in the low bits */
                first_only = (b[0] & 0x0f) == 0;     /* SequenceStart */
                drop = (b[0] & 0x0f) == 2;           /* SequenceEnd */
            } else if (((b[0] & 0x0f) == 7 || (b[0] & 0x0f) == 12) && size_body >= 2) {
                first_only = b[1] == 0;              /* AVC/HEVC sequence header */
                drop = b[1] == 2;                    /* end of sequence */
            }
            if (!first_only && !drop && (b[0] >> 4) != 5) {
                if (have_video && ts > last_video && (min_step == 0 || ts - last_video < min_step))
                    min_step = ts - last_video;
                last_video = ts;
                have_video = 1;
            }
        }
        if (drop) continue;
        if (d->ntags == cap) {
            cap *= 2;
            demo_tag *grown = realloc(d->tags, cap * sizeof *grown);
            if (!grown) die("out of memory");
            d->tags = grown;
        }
        demo_tag *t = &d->tags[d->ntags++];
        t->type = type;
        t->ts = ts;
        t->off = body;
        t->size = size_body;
        t->first_loop_only = first_only;
        if (ts > d->duration_ms) d->duration_ms = ts;
        if (!first_only) d->loop_body_bytes += size_body;
    }
    if (d->ntags == 0) die("--demo %s: no tags", d->path);
    d->frame_ms = min_step ? min_step : 40;
}

/* Sleeps until `deadline` (CLOCK_MONOTONIC ms). Returns 0 if asked to stop. */
static int demo_sleep_until(demo *d, uint64_t deadline)
{
    int stop;
    pthread_mutex_lock(&d->mu);
    for (int guard = 0; !d->stop && guard < 1000000; guard++) {
        uint64_t now = now_ms();
        if (now >= deadline) break;
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint64_t ns = (uint64_t)ts.tv_nsec + (deadline - now) * 1000000u;
        ts.tv_sec += (time_t)(ns / 1000000000u);
        ts.tv_nsec = (long)(ns % 1000000000u);
        pthread_cond_timedwait(&d->cv, &d->mu, &ts);
    }
    stop = d->stop;
    pthread_mutex_unlock(&d->mu);
    return !stop;
}

/* Becomes the publisher of live/demo, retrying once a second while someone
 * else publishes it. Returns NULL when asked to stop. */
static livehub_publisher *demo_publish(demo *d)
{
    for (int attempt = 0; attempt < 1000000; attempt++) {
        livehub_stream *s = NULL;
        livehub_publisher *pub = NULL;
        livehub_result r = livehub_hub_stream(d->hub, DEMO_KEY, &s);
        if (r == LIVEHUB_OK) {
            r = livehub_stream_publish(s, &pub);
            livehub_stream_release(s);     /* the publisher holds its own reference */
        }
        if (r == LIVEHUB_OK) return pub;
        if (attempt == 0) say("demo: cannot publish %s yet: %s; retrying", DEMO_KEY, livehub_result_str(r));
        if (!demo_sleep_until(d, now_ms() + 1000)) return NULL;
    }
    return NULL;
}

static void *demo_main(void *arg)
{
    demo *d = arg;
    livehub_publisher *pub = demo_publish(d);
    uint64_t start = now_ms();
    uint64_t offset = 0;                             /* added to the file's timestamps */
    uint64_t loop_ms = (uint64_t)d->duration_ms + d->frame_ms;
    int warned = 0;
    /* Timestamps are 32-bit milliseconds: stop looping before they wrap
     * (about 24 days of demo). */
    for (uint64_t n = 0; pub && offset + loop_ms < 0x7fffffffu; n++) {
        for (size_t i = 0; i < d->ntags && pub; i++) {
            const demo_tag *t = &d->tags[i];
            if (n > 0 && t->first_loop_only) continue;
            uint64_t ts = offset + t->ts;
            if (!demo_sleep_until(d, start + ts)) goto out;
            /* The body is copied once into livehub's shared storage; players
             * are notified from inside this call, on this thread. */
            livehub_result r = livehub_publisher_push_tag(pub, t->type, (uint32_t)ts, d->file + t->off, t->size);
            if (r == LIVEHUB_ERR_CLOSED) {
                /* Removed or cut: publish again (timestamps go on; livehub
                 * keeps each player's timeline monotonic anyway). */
                livehub_publisher_release(pub);
                pub = demo_publish(d);
                n = 0;
                i = (size_t)-1;                      /* restart with the headers */
                continue;
            }
            if (r != LIVEHUB_OK && !warned++) say("demo: push_tag: %s", livehub_result_str(r));
        }
        offset += loop_ms;
    }
out:
    livehub_publisher_release(pub);                  /* = unpublish; NULL is a no-op */
    livehub_hub_release(d->hub);                     /* the demo's own hub reference */
    d->hub = NULL;
    return NULL;
}


/* Loads the file (exits on a bad one) and starts the thread, which holds a
 * hub reference of its own. */
demo *demo_start(const char *path, livehub_hub *hub)
{
    demo *d = xcalloc(1, sizeof *d);
    d->path = path;
    demo_load(d);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&d->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&d->mu, NULL);
    d->hub = livehub_hub_retain(hub);                /* the demo thread's own reference */
    if (pthread_create(&d->thread, NULL, demo_main, d) != 0) die("pthread_create");
    uint64_t loop_ms = (uint64_t)d->duration_ms + d->frame_ms;
    say("demo: %s as %s: %zu tags, %u ms + %u ms per loop, %.1f kbit/s of tag bodies",
        d->path, DEMO_KEY, d->ntags, (unsigned)d->duration_ms, (unsigned)d->frame_ms,
        (double)d->loop_body_bytes * 8.0 / (double)loop_ms);
    return d;
}

/* Stops the thread (its publisher is released: the unpublish) and frees d. */
void demo_stop(demo *d)
{
    if (!d) return;
    pthread_mutex_lock(&d->mu);
    d->stop = 1;
    pthread_cond_signal(&d->cv);
    pthread_mutex_unlock(&d->mu);
    pthread_join(d->thread, NULL);
    pthread_cond_destroy(&d->cv);
    pthread_mutex_destroy(&d->mu);
    free(d->tags);
    free(d->file);
    free(d);
}
