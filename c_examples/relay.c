/*
 * relay.c — an origin-to-edge relay over HTTP-FLV bytes.
 *
 * A common deployment: an edge server pulls a stream from an origin as an
 * HTTP-FLV byte stream and republishes it locally. Here both ends are livehub
 * streams in one hub:
 *
 *   origin publisher --push_tag--> "origin/live"
 *        relay player --read_flv (random buffer sizes)--> bytes
 *        bytes --push_flv (random chunk splits)--> edge publisher "edge/live"
 *   edge player --read_flv--> bytes
 *
 * livehub's FLV demuxer must accept any chunking (a tag split anywhere,
 * several tags in one chunk), so the edge player must receive exactly the
 * byte stream the relay player received: same FLV header, same tags, same
 * timestamps, same bodies. A player on the edge reading tag views also checks
 * that every body pushed at the origin arrives unchanged.
 *
 * Usage: relay [seed]     (default 7)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "livehub.h"

static int failures = 0;
#define EXPECT(cond, ...)                                              \
    do {                                                               \
        if (!(cond) && ++failures <= 10) {                             \
            fprintf(stderr, "relay: FAILED %s:%d: ", __FILE__, __LINE__); \
            fprintf(stderr, __VA_ARGS__);                              \
            fputc('\n', stderr);                                       \
        }                                                              \
    } while (0)

static void must(livehub_result r, const char *what)
{
    if (r != LIVEHUB_OK) {
        fprintf(stderr, "relay: %s failed: %s\n", what, livehub_result_str(r));
        exit(1);
    }
}

static uint32_t rng_state;
static uint32_t rnd(uint32_t n)                     /* xorshift32, seeded */
{
    rng_state ^= rng_state << 13; rng_state ^= rng_state >> 17; rng_state ^= rng_state << 5;
    return n ? rng_state % n : 0;
}

typedef struct { uint8_t *data; size_t len, cap; } bytes_buf;

static void append(bytes_buf *b, const uint8_t *p, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 65536;
        while (cap < b->len + n) cap *= 2;
        uint8_t *grown = realloc(b->data, cap);
        if (!grown) { perror("realloc"); exit(1); }
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

static uint32_t checksum(const uint8_t *p, size_t n)   /* FNV-1a */
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
    return h;
}

/* Tag n of a synthetic AVC + AAC stream (headers, then 25 fps video with a
 * keyframe every 25 frames, AAC in between; sizes vary). */
static size_t make_tag(uint32_t n, uint8_t *body, uint8_t *type, uint32_t *ts)
{
    static const uint8_t meta[] = { 0x02, 0x00, 0x0A, 'o', 'n', 'M', 'e', 't', 'a', 'D', 'a', 't', 'a',
                                    0x08, 0, 0, 0, 0, 0x00, 0x00, 0x09 };
    static const uint8_t aac_sh[] = { 0xAF, 0x00, 0x12, 0x10 };
    static const uint8_t avc_sh[] = { 0x17, 0x00, 0, 0, 0, 0x01, 0x64, 0x00, 0x28, 0xFF, 0xE1, 0x00, 0x04,
                                      0x67, 0x64, 0x00, 0x28, 0x01, 0x00, 0x02, 0x68, 0xEB };
    if (n == 0) { *type = LIVEHUB_TAG_SCRIPT; *ts = 0; memcpy(body, meta, sizeof meta); return sizeof meta; }
    if (n == 1) { *type = LIVEHUB_TAG_AUDIO; *ts = 0; memcpy(body, aac_sh, sizeof aac_sh); return sizeof aac_sh; }
    if (n == 2) { *type = LIVEHUB_TAG_VIDEO; *ts = 0; memcpy(body, avc_sh, sizeof avc_sh); return sizeof avc_sh; }
    uint32_t k = n - 3;
    size_t size;
    if (k % 3 != 2) {                                 /* two video frames, then one audio */
        uint32_t frame = k - k / 3;
        int key = frame % 25 == 0;
        size = key ? 2500 + rnd(1500) : 200 + rnd(900);
        body[0] = key ? 0x17 : 0x27;
        body[1] = 0x01;
        body[2] = body[3] = body[4] = 0;
        for (size_t i = 5; i < size; i++) body[i] = (uint8_t)(frame + i * 3);
        *type = LIVEHUB_TAG_VIDEO;
        *ts = frame * 40;
    } else {
        uint32_t frame = k / 3;
        size = 100 + rnd(300);
        body[0] = 0xAF;
        body[1] = 0x01;
        for (size_t i = 2; i < size; i++) body[i] = (uint8_t)(frame * 5 + i);
        *type = LIVEHUB_TAG_AUDIO;
        *ts = frame * 80 + 40;                        /* never before the video before it */
    }
    return size;
}

/* Drains a player's byte stream with random buffer sizes, as sockets of
 * varying free space would; returns 1 at EOF. */
static int drain_flv(livehub_player *pl, bytes_buf *out)
{
    static uint8_t buf[8192];
    for (int guard = 0; guard < 100000; guard++) {
        size_t cap = 1 + rnd(sizeof buf), n = 0;
        livehub_result r = livehub_player_read_flv(pl, buf, cap, &n);
        if (r == LIVEHUB_AGAIN) return 0;
        if (r == LIVEHUB_EOF) return 1;
        must(r, "read_flv");
        append(out, buf, n);
    }
    return 0;
}

int main(int argc, char **argv)
{
    rng_state = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : 7u;
    if (rng_state == 0) rng_state = 7;
    printf("relay: livehub %s, seed %u\n", livehub_version(), (unsigned)rng_state);

    livehub_config cfg;
    livehub_config_init(&cfg);
    cfg.republish_wait_ms = 0;
    livehub_hub *hub = NULL;
    must(livehub_hub_new(&cfg, &hub), "hub_new");

    /* Origin side. */
    livehub_stream *origin = NULL;
    livehub_publisher *origin_pub = NULL;
    livehub_player *relay_in = NULL;
    must(livehub_hub_stream(hub, "origin/live", &origin), "hub_stream origin");
    must(livehub_stream_play(origin, NULL, &relay_in), "play origin");
    must(livehub_stream_publish(origin, &origin_pub), "publish origin");

    /* Edge side: its publisher is fed the relayed bytes. */
    livehub_stream *edge = NULL;
    livehub_publisher *edge_pub = NULL;
    livehub_player *edge_bytes = NULL, *edge_tags = NULL;
    must(livehub_hub_stream(hub, "edge/live", &edge), "hub_stream edge");
    must(livehub_stream_play(edge, NULL, &edge_bytes), "play edge (bytes)");
    must(livehub_stream_play(edge, NULL, &edge_tags), "play edge (tags)");
    must(livehub_stream_publish(edge, &edge_pub), "publish edge");

    enum { TAGS = 600 };
    static uint32_t sums[TAGS], times[TAGS];
    static uint8_t types[TAGS];
    static uint8_t body[8192];
    bytes_buf relayed = { NULL, 0, 0 }, edge_out = { NULL, 0, 0 };
    size_t fed = 0;                  /* bytes of `relayed` already pushed to the edge */
    size_t chunks = 0, edge_tag_count = 0;
    int edge_eof = 0;

    for (uint32_t n = 0; n <= TAGS; n++) {
        if (n < TAGS) {
            uint8_t type;
            uint32_t ts;
            size_t size = make_tag(n, body, &type, &ts);
            types[n] = type; times[n] = ts; sums[n] = checksum(body, size);
            must(livehub_publisher_push_tag(origin_pub, type, ts, body, size), "push_tag origin");
        } else {
            livehub_publisher_release(origin_pub);    /* origin unpublishes: relay reaches EOF */
            origin_pub = NULL;
        }

        /* The relay: whatever bytes arrived, forwarded in random chunks. */
        int relay_eof = drain_flv(relay_in, &relayed);
        while (fed < relayed.len) {
            size_t k = 1 + rnd(3000);
            if (k > relayed.len - fed) k = relayed.len - fed;
            must(livehub_publisher_push_flv(edge_pub, relayed.data + fed, k), "push_flv edge");
            fed += k;
            chunks++;
        }
        if (relay_eof) {
            livehub_publisher_release(edge_pub);      /* edge unpublishes in turn */
            edge_pub = NULL;
        }

        /* Edge players. */
        edge_eof = drain_flv(edge_bytes, &edge_out);
        for (int guard = 0; guard < 100000; guard++) {
            livehub_tag tag;
            livehub_result r = livehub_player_read(edge_tags, &tag);
            if (r != LIVEHUB_OK) { EXPECT(r == LIVEHUB_AGAIN || r == LIVEHUB_EOF, "edge read: %s", livehub_result_str(r)); break; }
            size_t i = edge_tag_count++;
            EXPECT(i < TAGS, "edge delivered more tags than the origin received");
            if (i < TAGS)
                EXPECT(tag.type == types[i] && tag.timestamp == times[i] && checksum(tag.data, tag.size) == sums[i],
                       "edge tag %zu differs from origin tag %zu", i, i);
        }
    }

    printf("  origin: %d tags pushed; relay read %zu FLV bytes, pushed them in %zu chunks\n", TAGS, relayed.len, chunks);
    printf("  edge: %zu FLV bytes out, %zu tags, %s\n", edge_out.len, edge_tag_count, edge_eof ? "EOF" : "no EOF");
    EXPECT(edge_eof, "the edge player never reached EOF");
    EXPECT(edge_tag_count == TAGS, "edge delivered %zu of %d tags", edge_tag_count, TAGS);
    EXPECT(edge_out.len == relayed.len && !memcmp(edge_out.data, relayed.data, relayed.len),
           "the edge byte stream differs from the origin's (%zu vs %zu bytes)", edge_out.len, relayed.len);

    livehub_player_release(relay_in);
    livehub_player_release(edge_bytes);
    livehub_player_release(edge_tags);
    livehub_stream_release(origin);
    livehub_stream_release(edge);
    livehub_hub_release(hub);
    free(relayed.data);
    free(edge_out.data);

    if (failures) {
        printf("relay: %d check(s) FAILED\n", failures);
        return 1;
    }
    printf("relay: ok\n");
    return 0;
}
