/*
 * basic.c — the first livehub program to read.
 *
 * What it shows, in the order a live-streaming server does it:
 *
 *   1. create a hub (the registry of live streams) with a small config change;
 *   2. get-or-create the stream "live/demo";
 *   3. attach player A *before* anything is published;
 *   4. publish a synthetic 3-second H.264 (AVC) + AAC stream, tag by tag,
 *      exactly as an RTMP ingest would hand tags over after de-chunking;
 *   5. attach player B half-way through (at ~1.5 s of stream time): a late
 *      joiner must first get onMetaData, the AAC and AVC sequence headers and
 *      then a keyframe, or its decoder cannot start;
 *   6. unpublish (release the publisher), let both players drain to EOF;
 *   7. release every handle.
 *
 * Player A reads one tag at a time with livehub_player_read() (a borrowed view,
 * for servers that build their own output), player C the same tags up to 16 at
 * a time with livehub_player_read_batch(); player B reads the ready-made
 * HTTP-FLV byte stream with livehub_player_read_flv() (what an HTTP-FLV server
 * writes to its socket).
 *
 * Everything runs on one thread: reads are non-blocking, so after every pushed
 * tag we simply drain both players until they say LIVEHUB_AGAIN.
 *
 * Exit status: 0 only if player B started with metadata, audio sequence
 * header, video sequence header, keyframe, and players A and C received every
 * pushed tag unchanged, in order.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "livehub.h"

/* ------------------------------------------------------------------------- */
/* Small helpers                                                             */
/* ------------------------------------------------------------------------- */

static int failures = 0;

/* Records a failed expectation without stopping: we want to print everything. */
#define EXPECT(cond, ...)                                                  \
    do {                                                                   \
        if (!(cond)) {                                                     \
            failures++;                                                    \
            fprintf(stderr, "basic: FAILED %s:%d: ", __FILE__, __LINE__);  \
            fprintf(stderr, __VA_ARGS__);                                  \
            fputc('\n', stderr);                                           \
        }                                                                  \
    } while (0)

/* Aborts on an unexpected result code from a call that must succeed. */
static void check(livehub_result r, const char *what)
{
    if (r != LIVEHUB_OK) {
        fprintf(stderr, "basic: %s failed: %s (%u)\n", what,
                livehub_result_str(r), (unsigned)r);
        exit(1);
    }
}

static void put_u16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put_u24(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 16); put_u16(p + 1, v); }
static void put_u32(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 24); put_u24(p + 1, v); }
static uint32_t get_u24(const uint8_t *p) { return ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2]; }
static uint32_t get_u32(const uint8_t *p) { return ((uint32_t)p[0] << 24) | get_u24(p + 1); }

/* A growable byte buffer (what player B's "socket" receives). */
typedef struct {
    uint8_t *data;
    size_t len, cap;
} bytes_buf;

static void buf_append(bytes_buf *b, const uint8_t *p, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n) cap *= 2;
        uint8_t *grown = realloc(b->data, cap);
        if (!grown) { perror("realloc"); exit(1); }
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

/* ------------------------------------------------------------------------- */
/* Building FLV tag bodies by hand                                           */
/*                                                                           */
/* livehub takes tag *bodies* (the FLV tag header — type, size, timestamp,   */
/* stream id — is passed as arguments or rebuilt by livehub on output).      */
/* ------------------------------------------------------------------------- */

/* AMF0 helpers for the onMetaData script tag. */
static size_t amf_string(uint8_t *p, const char *s)        /* type 0x02 */
{
    size_t n = strlen(s);
    p[0] = 0x02;
    put_u16(p + 1, (uint32_t)n);
    memcpy(p + 3, s, n);
    return 3 + n;
}

static size_t amf_number_prop(uint8_t *p, const char *name, double v)
{
    size_t n = strlen(name);
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);              /* IEEE-754 double, big-endian */
    put_u16(p, (uint32_t)n);
    memcpy(p + 2, name, n);
    p[2 + n] = 0x00;                             /* AMF0 number marker */
    for (int i = 0; i < 8; i++) p[3 + n + i] = (uint8_t)(bits >> (56 - 8 * i));
    return 3 + n + 8;
}

/* "onMetaData" followed by an ECMA array (type 0x08). */
static size_t build_metadata(uint8_t *p)
{
    static const struct { const char *name; double value; } props[] = {
        { "width", 640 }, { "height", 360 }, { "framerate", 25 },
        { "videocodecid", 7 /* AVC */ }, { "audiocodecid", 10 /* AAC */ },
        { "audiosamplerate", 44100 }, { "duration", 0 },
    };
    const size_t count = sizeof props / sizeof props[0];
    size_t n = amf_string(p, "onMetaData");
    p[n++] = 0x08;
    put_u32(p + n, (uint32_t)count);
    n += 4;
    for (size_t i = 0; i < count; i++) n += amf_number_prop(p + n, props[i].name, props[i].value);
    p[n++] = 0x00; p[n++] = 0x00; p[n++] = 0x09;  /* object end marker */
    return n;
}

/* AAC sequence header: 0xAF = AAC, 44 kHz, 16-bit, stereo; 0x00 = sequence
 * header; then the AudioSpecificConfig 0x12 0x10 (AAC-LC, 44.1 kHz, 2 ch). */
static size_t build_aac_sequence_header(uint8_t *p)
{
    static const uint8_t sh[] = { 0xAF, 0x00, 0x12, 0x10 };
    memcpy(p, sh, sizeof sh);
    return sizeof sh;
}

/* AVC sequence header: 0x17 = keyframe + codec 7 (AVC); 0x00 = sequence
 * header; composition time 0; then an AVCDecoderConfigurationRecord with one
 * SPS and one PPS (constrained baseline, level 3.0, 640x360, 4-byte NALU
 * lengths). */
static size_t build_avc_sequence_header(uint8_t *p)
{
    static const uint8_t sh[] = {
        0x17, 0x00, 0x00, 0x00, 0x00,
        0x01, 0x42, 0xC0, 0x1E, 0xFF,             /* version, profile, compat, level, NALU length 4 */
        0xE1, 0x00, 0x0A,                         /* 1 SPS of 10 bytes */
        0x67, 0x42, 0xC0, 0x1E, 0xDA, 0x02, 0x80, 0xBF, 0xE5, 0x40,
        0x01, 0x00, 0x04,                         /* 1 PPS of 4 bytes */
        0x68, 0xCE, 0x3C, 0x80,
    };
    memcpy(p, sh, sizeof sh);
    return sizeof sh;
}

/* A video frame carrying one NAL unit of `nal_size` bytes: an IDR slice for a
 * keyframe (0x17 0x01 ...), a non-IDR slice for an inter frame (0x27 0x01 ...).
 * The payload bytes depend on `frame` so that any mix-up would be visible. */
static size_t build_video_frame(uint8_t *p, int keyframe, uint32_t frame, uint32_t nal_size)
{
    p[0] = keyframe ? 0x17 : 0x27;
    p[1] = 0x01;                                 /* AVC NALU */
    put_u24(p + 2, 0);                           /* composition time offset */
    put_u32(p + 5, nal_size);
    p[9] = keyframe ? 0x65 : 0x41;               /* NAL header: IDR / non-IDR slice */
    for (uint32_t i = 1; i < nal_size; i++) p[9 + i] = (uint8_t)(frame * 7u + i);
    return 9 + nal_size;
}

/* A raw AAC frame: 0xAF 0x01 then the access unit. */
static size_t build_aac_frame(uint8_t *p, uint32_t frame, uint32_t au_size)
{
    p[0] = 0xAF;
    p[1] = 0x01;
    for (uint32_t i = 0; i < au_size; i++) p[2 + i] = (uint8_t)(frame * 13u + i);
    return 2 + au_size;
}

/* A human name for a tag, from its type and body. */
static const char *tag_kind(uint8_t type, const uint8_t *body, size_t size)
{
    if (type == LIVEHUB_TAG_SCRIPT) return "metadata";
    if (size < 2) return "short";
    if (type == LIVEHUB_TAG_AUDIO) return body[1] == 0x00 ? "audio-sh" : "audio";
    if (type == LIVEHUB_TAG_VIDEO) {
        if (body[1] == 0x00) return "video-sh";
        return (body[0] >> 4) == 1 ? "keyframe" : "inter";
    }
    return "unknown";
}

/* ------------------------------------------------------------------------- */
/* The synthetic stream                                                      */
/* ------------------------------------------------------------------------- */

#define STREAM_MS      3000u  /* 3 seconds of media */
#define VIDEO_FRAME_MS 40u    /* 25 fps */
#define GOP_FRAMES     25u    /* one keyframe per second */
#define AAC_FRAME_US   23220u /* 1024 samples at 44.1 kHz = 23.22 ms */
#define JOIN_B_AT_MS   1500u  /* player B arrives here */
#define MAX_TAGS       512

typedef struct {          /* what was pushed, to compare with what A receives */
    uint8_t type;
    uint32_t timestamp;
    uint32_t size;
    uint32_t checksum;
    const char *kind;
} pushed_tag;

static pushed_tag pushed[MAX_TAGS];
static size_t pushed_count = 0;

static uint32_t checksum(const uint8_t *p, size_t n)    /* FNV-1a */
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
    return h;
}

/* ------------------------------------------------------------------------- */
/* The two players                                                           */
/* ------------------------------------------------------------------------- */

typedef struct {
    const char *name;
    livehub_player *player;         /* owned: released at the end */
    size_t tags, audio, video, script, bytes;
    uint32_t first_ts, last_ts;
    const char *first_kinds[6];
    int eof;
} player_report;

static void note_tag(player_report *r, uint8_t type, uint32_t ts, const uint8_t *body, size_t size)
{
    if (r->tags < 6) r->first_kinds[r->tags] = tag_kind(type, body, size);
    if (r->tags == 0) r->first_ts = ts;
    EXPECT(r->tags == 0 || ts >= r->last_ts, "%s: timestamp went back from %u to %u",
           r->name, (unsigned)r->last_ts, (unsigned)ts);
    r->last_ts = ts;
    r->tags++;
    r->bytes += size;
    if (type == LIVEHUB_TAG_AUDIO) r->audio++;
    else if (type == LIVEHUB_TAG_VIDEO) r->video++;
    else if (type == LIVEHUB_TAG_SCRIPT) r->script++;
}

/* Checks a tag read by a player that joined before the first push (A or C)
 * against what was pushed at the same position. */
static void check_pushed(player_report *r, const livehub_tag *tag)
{
    size_t i = r->tags;
    EXPECT(i < pushed_count, "%s: got more tags than were pushed", r->name);
    if (i < pushed_count) {
        const pushed_tag *want = &pushed[i];
        EXPECT(tag->type == want->type && tag->size == want->size &&
               checksum(tag->data, tag->size) == want->checksum,
               "%s: tag %zu differs from what was pushed (%s)", r->name, i, want->kind);
        /* Joined before the first tag, whose timestamp is 0: with the default
         * "rebase" timestamp policy the timestamps are unchanged. */
        EXPECT(tag->timestamp == want->timestamp, "%s: tag %zu timestamp %u, pushed %u",
               r->name, i, (unsigned)tag->timestamp, (unsigned)want->timestamp);
        const char *k = want->kind;
        if (!strcmp(k, "metadata"))
            EXPECT(tag->flags & LIVEHUB_TAG_FLAG_METADATA, "%s: metadata flag missing", r->name);
        if (!strcmp(k, "audio-sh") || !strcmp(k, "video-sh"))
            EXPECT(tag->flags & LIVEHUB_TAG_FLAG_SEQUENCE_HEADER, "%s: sequence header flag missing on tag %zu",
                   r->name, i);
        if (!strcmp(k, "keyframe"))
            EXPECT(tag->flags & LIVEHUB_TAG_FLAG_KEYFRAME, "%s: keyframe flag missing on tag %zu", r->name, i);
        if (!strcmp(k, "inter"))
            EXPECT(!(tag->flags & LIVEHUB_TAG_FLAG_KEYFRAME), "%s: inter frame %zu flagged as keyframe", r->name, i);
    }
    note_tag(r, tag->type, tag->timestamp, tag->data, tag->size);
}

/* Player A: one tag at a time. The livehub_tag is a *borrowed view*: its data
 * pointer stays valid only until the next call on this player, so a server
 * copies or writes it out before reading again. */
static void drain_player_a(player_report *a)
{
    for (int guard = 0; guard < 10000; guard++) {
        livehub_tag tag;
        livehub_result r = livehub_player_read(a->player, &tag);
        if (r == LIVEHUB_AGAIN) return;          /* caught up: nothing to read now */
        if (r == LIVEHUB_EOF) { a->eof = 1; return; }
        check(r, "livehub_player_read");
        check_pushed(a, &tag);
    }
}

/* Player C: the same tags as A, up to 16 per call. All the views of one call
 * stay valid together until the next call on the player: a server can hand
 * the whole batch to its output at once. */
static void drain_player_c(player_report *c)
{
    for (int guard = 0; guard < 10000; guard++) {
        livehub_tag tags[16];
        size_t n = 0;
        livehub_result r = livehub_player_read_batch(c->player, tags, 16, &n);
        if (r == LIVEHUB_AGAIN) return;
        if (r == LIVEHUB_EOF) { c->eof = 1; return; }
        check(r, "livehub_player_read_batch");
        EXPECT(n >= 1 && n <= 16, "C: batch of %zu tags", n);
        for (size_t i = 0; i < n; i++) check_pushed(c, &tags[i]);
    }
}

/* Player B: the HTTP-FLV byte stream, in chunks of whatever size the socket
 * would accept (here 4 KiB, so tags are routinely split across calls: the next
 * call continues where the previous one stopped). */
static void drain_player_b(player_report *b, bytes_buf *wire)
{
    uint8_t chunk[4096];
    for (int guard = 0; guard < 10000; guard++) {
        size_t written = 0;
        livehub_result r = livehub_player_read_flv(b->player, chunk, sizeof chunk, &written);
        if (r == LIVEHUB_AGAIN) return;
        if (r == LIVEHUB_EOF) { b->eof = 1; return; }
        check(r, "livehub_player_read_flv");
        buf_append(wire, chunk, written);
    }
}

/* Walks the bytes player B received: FLV header, PreviousTagSize0, then
 * [11-byte tag header | body | PreviousTagSize] for each tag. */
static void parse_flv(player_report *b, const bytes_buf *wire)
{
    const uint8_t *p = wire->data;
    size_t n = wire->len, off = 13;
    EXPECT(n >= 13 && !memcmp(p, "FLV\x01", 4), "B: no FLV signature");
    if (n < 13) return;
    EXPECT(p[4] == 0x05, "B: FLV header flags 0x%02x, want audio+video (0x05)", p[4]);
    EXPECT(get_u32(p + 5) == 9 && get_u32(p + 9) == 0, "B: bad FLV header size or PreviousTagSize0");
    while (off + 11 <= n) {
        uint8_t type = p[off] & 0x1F;
        uint32_t size = get_u24(p + off + 1);
        uint32_t ts = get_u24(p + off + 4) | ((uint32_t)p[off + 7] << 24);
        if (off + 11 + size + 4 > n) break;
        EXPECT(get_u32(p + off + 11 + size) == size + 11, "B: PreviousTagSize mismatch");
        note_tag(b, type, ts, p + off + 11, size);
        off += 11 + size + 4;
    }
    EXPECT(off == n, "B: %zu trailing bytes after the last complete tag", n - off);
}

static void print_report(const player_report *r)
{
    printf("  player %s: %zu tags (script %zu, audio %zu, video %zu), %zu body bytes, %s\n",
           r->name, r->tags, r->script, r->audio, r->video, r->bytes, r->eof ? "EOF" : "no EOF");
    printf("    first tags:");
    for (size_t i = 0; i < 6 && i < r->tags; i++) printf(" %s", r->first_kinds[i]);
    printf("\n    timestamps: first %u ms, last %u ms\n", (unsigned)r->first_ts, (unsigned)r->last_ts);
}

/* ------------------------------------------------------------------------- */

int main(void)
{
    printf("basic: livehub %s\n", livehub_version());

    /* 1. The hub. livehub_config_init() fills every field with its default;
     * we only shorten the republish wait: by default players of a stream
     * whose publisher left wait 5 s for a new publisher (an OBS reconnect)
     * before they see EOF. Here they see EOF as soon as they drained. */
    livehub_config cfg;
    livehub_config_init(&cfg);
    cfg.republish_wait_ms = 0;

    livehub_hub *hub = NULL;                 /* owned: one reference */
    check(livehub_hub_new(&cfg, &hub), "livehub_hub_new");

    /* 2. The stream: get-or-create by key. We own one reference to it; the
     * hub holds its own (the mount) until removal or until the hub goes. */
    livehub_stream *stream = NULL;
    check(livehub_hub_stream(hub, "live/demo", &stream), "livehub_hub_stream");

    /* 3. Player A, attached before the publisher exists. NULL options: the
     * defaults (timestamps rebased so that the player's first tag is at 0). */
    player_report a = { "A", NULL, 0, 0, 0, 0, 0, 0, 0, { 0 }, 0 };
    player_report b = { "B", NULL, 0, 0, 0, 0, 0, 0, 0, { 0 }, 0 };
    player_report c = { "C", NULL, 0, 0, 0, 0, 0, 0, 0, { 0 }, 0 };
    bytes_buf wire_b = { NULL, 0, 0 };
    check(livehub_stream_play(stream, NULL, &a.player), "livehub_stream_play (A)");
    check(livehub_stream_play(stream, NULL, &c.player), "livehub_stream_play (C)");

    /* 4. The publisher. Only one may be active per stream (a second one gets
     * LIVEHUB_ERR_BUSY). Releasing it is the unpublish. */
    livehub_publisher *pub = NULL;
    check(livehub_stream_publish(stream, &pub), "livehub_stream_publish");

    static uint8_t body[16384];
    uint32_t video_frame = 0, audio_frame = 0;
    int headers_sent = 0;

    for (int guard = 0; guard < MAX_TAGS; guard++) {
        uint8_t type;
        uint32_t ts;
        size_t size;

        /* Which tag comes next: the three headers, then video and audio
         * interleaved by timestamp (video first on a tie). */
        uint32_t video_ts = video_frame * VIDEO_FRAME_MS;
        uint32_t audio_ts = (uint32_t)((uint64_t)audio_frame * AAC_FRAME_US / 1000u);
        if (headers_sent == 0) {
            type = LIVEHUB_TAG_SCRIPT; ts = 0; size = build_metadata(body);
        } else if (headers_sent == 1) {
            type = LIVEHUB_TAG_AUDIO; ts = 0; size = build_aac_sequence_header(body);
        } else if (headers_sent == 2) {
            type = LIVEHUB_TAG_VIDEO; ts = 0; size = build_avc_sequence_header(body);
        } else if (video_ts >= STREAM_MS && audio_ts >= STREAM_MS) {
            break;                                           /* 3 seconds done */
        } else if (video_ts <= audio_ts) {
            int key = video_frame % GOP_FRAMES == 0;
            type = LIVEHUB_TAG_VIDEO; ts = video_ts;
            size = build_video_frame(body, key, video_frame, key ? 3000u : 600u);
            video_frame++;
        } else {
            type = LIVEHUB_TAG_AUDIO; ts = audio_ts;
            size = build_aac_frame(body, audio_frame, 180u);
            audio_frame++;
        }
        if (headers_sent < 3) headers_sent++;

        /* 5. Player B arrives half-way, right before the first tag at or
         * after 1.5 s. It joins at the latest keyframe (1.0 s), preceded by
         * the metadata and both sequence headers that livehub kept. */
        if (b.player == NULL && ts >= JOIN_B_AT_MS)
            check(livehub_stream_play(stream, NULL, &b.player), "livehub_stream_play (B)");

        /* The body is copied into livehub's shared ring once, whatever the
         * number of players; our buffer can be reused right away. */
        pushed[pushed_count].type = type;
        pushed[pushed_count].timestamp = ts;
        pushed[pushed_count].size = (uint32_t)size;
        pushed[pushed_count].checksum = checksum(body, size);
        pushed[pushed_count].kind = tag_kind(type, body, size);
        pushed_count++;
        check(livehub_publisher_push_tag(pub, type, ts, body, size), "livehub_publisher_push_tag");

        drain_player_a(&a);
        if (guard % 7 == 0) drain_player_c(&c);   /* C reads less often, in batches */
        if (b.player) drain_player_b(&b, &wire_b);
    }

    /* What the stream knows: livehub parsed the sequence headers. The stats
     * struct is our memory; struct_size tells livehub how much of it this
     * program knows about (older callers pass a shorter struct). */
    livehub_stream_stats st;
    memset(&st, 0, sizeof st);
    st.struct_size = sizeof st;
    check(livehub_stream_get_stats(stream, &st), "livehub_stream_get_stats");
    printf("  stream: video %s %s %s %ux%u, audio %s %s %u Hz %u ch, %llu tags in, %llu players\n",
           st.video_codec, st.video_profile, st.video_level, (unsigned)st.width, (unsigned)st.height,
           st.audio_codec, st.audio_profile, (unsigned)st.sample_rate, (unsigned)st.channels,
           (unsigned long long)st.tags_in, (unsigned long long)st.players);
    EXPECT(!strcmp(st.video_codec, "h264") && st.width == 640 && st.height == 360,
           "stream stats: video %s %ux%u, want h264 640x360", st.video_codec, (unsigned)st.width, (unsigned)st.height);
    EXPECT(!strcmp(st.audio_codec, "aac") && st.sample_rate == 44100 && st.channels == 2,
           "stream stats: audio %s %u Hz %u ch, want aac 44100 Hz 2 ch", st.audio_codec,
           (unsigned)st.sample_rate, (unsigned)st.channels);
    EXPECT(st.tags_in == pushed_count && st.players == 3, "stream stats: %llu tags in, %llu players",
           (unsigned long long)st.tags_in, (unsigned long long)st.players);

    /* 6. Unpublish: releasing the publisher is all it takes. Nothing is freed
     * under the players' feet: they drain what was published, then see EOF
     * (at once here, because republish_wait_ms is 0). livehub_player_wait()
     * is the blocking form for thread-per-connection servers. */
    livehub_publisher_release(pub);
    pub = NULL;

    livehub_result wa = livehub_player_wait(a.player, 1000);
    EXPECT(wa == LIVEHUB_OK || wa == LIVEHUB_EOF, "A: wait after unpublish returned %s", livehub_result_str(wa));
    drain_player_a(&a);
    livehub_result wb = livehub_player_wait(b.player, 1000);
    EXPECT(wb == LIVEHUB_OK || wb == LIVEHUB_EOF, "B: wait after unpublish returned %s", livehub_result_str(wb));
    drain_player_b(&b, &wire_b);
    livehub_result wc = livehub_player_wait(c.player, 1000);
    EXPECT(wc == LIVEHUB_OK || wc == LIVEHUB_EOF, "C: wait after unpublish returned %s", livehub_result_str(wc));
    drain_player_c(&c);
    parse_flv(&b, &wire_b);

    printf("  published %zu tags (%u video frames, %u AAC frames, 3 headers)\n",
           pushed_count, (unsigned)video_frame, (unsigned)audio_frame);
    print_report(&a);
    print_report(&b);
    print_report(&c);
    printf("  B received %zu bytes of HTTP-FLV\n", wire_b.len);

    /* The properties this demo promises. */
    EXPECT(a.tags == pushed_count, "A: %zu tags, %zu pushed", a.tags, pushed_count);
    EXPECT(c.tags == pushed_count, "C: %zu tags, %zu pushed", c.tags, pushed_count);
    EXPECT(a.eof && b.eof && c.eof, "every player must reach EOF after the unpublish");
    EXPECT(b.tags >= 4, "B: only %zu tags", b.tags);
    if (b.tags >= 4) {
        EXPECT(!strcmp(b.first_kinds[0], "metadata"), "B: first tag is %s, want metadata", b.first_kinds[0]);
        EXPECT(!strcmp(b.first_kinds[1], "audio-sh"), "B: second tag is %s, want audio-sh", b.first_kinds[1]);
        EXPECT(!strcmp(b.first_kinds[2], "video-sh"), "B: third tag is %s, want video-sh", b.first_kinds[2]);
        EXPECT(!strcmp(b.first_kinds[3], "keyframe"), "B: fourth tag is %s, want keyframe", b.first_kinds[3]);
    }
    EXPECT(b.tags < pushed_count, "B joined late but got %zu of %zu tags", b.tags, pushed_count);

    /* 7. Release everything. Order does not matter: each call drops one
     * reference, and the stream's memory goes with the last one. */
    livehub_player_release(a.player);
    livehub_player_release(b.player);
    livehub_player_release(c.player);
    livehub_stream_release(stream);
    livehub_hub_release(hub);
    free(wire_b.data);

    if (failures) {
        printf("basic: %d check(s) FAILED\n", failures);
        return 1;
    }
    printf("basic: ok\n");
    return 0;
}
