/* rtmp_session: the RTMP server session through the C API, without sockets.
 *
 * It feeds what real clients sent (recorded: ffmpeg publishing, ffmpeg and
 * rtmpdump playing; tests/data/rtmp/) into livehub_rtmp_session objects in
 * odd-sized pieces, answers their publish and play requests, pumps the
 * players and checks what would go out on the wire: the statuses clients
 * wait for, media payloads that point at the same shared memory for every
 * player (no copy per player), bad input closing one session only, stale
 * answers, and releases in every order. Run from the repository root;
 * exits non-zero on the first failed check. Built and run under
 * ASan+UBSan+LSan by `make test-examples`.
 */
#include "livehub.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;

#define CHECK(cond)                                                         \
    do {                                                                    \
        if (!(cond)) {                                                      \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                 \
            failures++;                                                     \
        }                                                                   \
    } while (0)

static unsigned char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    unsigned char *buf;
    long n;
    if (!f) {
        fprintf(stderr, "cannot open %s (run from the repository root)\n", path);
        exit(1);
    }
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        exit(1);
    }
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* Feeds `len` bytes in pieces of 1, 2, 3 ... 97 bytes, then again. */
static livehub_result feed_pieces(livehub_rtmp_session *s, const unsigned char *b, size_t len) {
    size_t off = 0, step = 1;
    while (off < len) {
        size_t n = step < len - off ? step : len - off;
        livehub_result r = livehub_rtmp_session_feed(s, b + off, n);
        if (r != LIVEHUB_OK) {
            return r;
        }
        off += n;
        step = step % 97 + 1;
    }
    return LIVEHUB_OK;
}

/* Everything queued, written out into `out` (at most `cap` bytes kept);
 * returns the total. */
static size_t drain(livehub_rtmp_session *s, unsigned char *out, size_t cap) {
    size_t total = 0;
    for (;;) {
        livehub_iovec iov[16];
        size_t n = 0, i, bytes = 0;
        CHECK(livehub_rtmp_session_output(s, iov, 16, &n) == LIVEHUB_OK);
        if (n == 0) {
            break;
        }
        for (i = 0; i < n; i++) {
            if (out && total + bytes + iov[i].iov_len <= cap) {
                memcpy(out + total + bytes, iov[i].iov_base, iov[i].iov_len);
            }
            bytes += iov[i].iov_len;
        }
        CHECK(livehub_rtmp_session_consume(s, bytes) == LIVEHUB_OK);
        total += bytes;
    }
    return total;
}

static int contains(const unsigned char *hay, size_t n, const char *needle) {
    size_t k = strlen(needle), i;
    for (i = 0; i + k <= n; i++) {
        if (memcmp(hay + i, needle, k) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Feeds byte by byte until an event of kind `kind` comes out (the
 * recordings go on to the client's own deleteStream, which must come after
 * the answer); *used is how many bytes that took. */
static livehub_rtmp_event feed_until(livehub_rtmp_session *s, const unsigned char *b, size_t len,
                                     uint32_t kind, size_t *used) {
    livehub_rtmp_event ev;
    size_t off = 0;
    memset(&ev, 0, sizeof ev);
    while (off < len) {
        CHECK(livehub_rtmp_session_feed(s, b + off, 1) == LIVEHUB_OK);
        off++;
        while (livehub_rtmp_session_next_event(s, &ev) == LIVEHUB_OK) {
            if (ev.kind == kind) {
                *used = off;
                return ev;
            }
        }
    }
    memset(&ev, 0, sizeof ev);
    *used = off;
    return ev;
}

/* A big keyframe body, shared by every player. */
static unsigned char keyframe[20000];

static void publish_synthetic(livehub_publisher *p) {
    static const unsigned char avc_sh[] = {0x17, 0, 0, 0, 0, 1, 0x64, 0, 0x1f, 0xff, 0xe1, 0, 4, 0x67, 0x64, 0, 0x1f, 1, 0, 4, 0x68, 0xee, 0x3c, 0x80};
    static const unsigned char aac_sh[] = {0xaf, 0, 0x12, 0x10};
    static const unsigned char aac[] = {0xaf, 1, 0x21, 0x10, 0x04};
    memset(keyframe, 0x42, sizeof keyframe);
    keyframe[0] = 0x17;
    keyframe[1] = 1;
    CHECK(livehub_publisher_push_tag(p, LIVEHUB_TAG_VIDEO, 0, avc_sh, sizeof avc_sh) == LIVEHUB_OK);
    CHECK(livehub_publisher_push_tag(p, LIVEHUB_TAG_AUDIO, 0, aac_sh, sizeof aac_sh) == LIVEHUB_OK);
    CHECK(livehub_publisher_push_tag(p, LIVEHUB_TAG_VIDEO, 0, keyframe, sizeof keyframe) == LIVEHUB_OK);
    CHECK(livehub_publisher_push_tag(p, LIVEHUB_TAG_AUDIO, 10, aac, sizeof aac) == LIVEHUB_OK);
}

/* The address of the first output slice holding the keyframe's first
 * chunk (4096 bytes starting 0x17 0x01), or NULL. */
static const void *keyframe_slice(livehub_rtmp_session *s) {
    livehub_iovec iov[64];
    size_t n = 0, i;
    CHECK(livehub_rtmp_session_output(s, iov, 64, &n) == LIVEHUB_OK);
    for (i = 0; i < n; i++) {
        const unsigned char *b = iov[i].iov_base;
        if (iov[i].iov_len == 4096 && b[0] == 0x17 && b[1] == 1) {
            return b;
        }
    }
    return NULL;
}

static void test_publish_recorded(livehub_hub *hub) {
    size_t len;
    unsigned char *rec = read_file("tests/data/rtmp/ffmpeg_publish.bin", &len);
    livehub_rtmp_session *s = NULL;
    livehub_stream *st = NULL;
    livehub_player *watch = NULL;
    livehub_publisher *p = NULL;
    livehub_rtmp_event ev;
    livehub_tag tag;
    unsigned char out[8192];
    size_t n, tags = 0;
    uint32_t code = 99;

    size_t used = 0;
    CHECK(livehub_rtmp_session_new(NULL, &s) == LIVEHUB_OK);
    ev = feed_until(s, rec, len, LIVEHUB_RTMP_EVENT_PUBLISH, &used);
    CHECK(ev.kind == LIVEHUB_RTMP_EVENT_PUBLISH);
    CHECK(strcmp(ev.key, "live/rec") == 0 && strcmp(ev.app, "live") == 0 && strcmp(ev.detail, "live") == 0);
    CHECK(livehub_hub_stream(hub, ev.key, &st) == LIVEHUB_OK);
    CHECK(livehub_stream_play(st, NULL, &watch) == LIVEHUB_OK);
    CHECK(livehub_stream_publish(st, &p) == LIVEHUB_OK);
    CHECK(livehub_rtmp_session_accept_publish(s, ev.request_id, p) == LIVEHUB_OK);
    /* Answering again: no longer pending (and that publisher is consumed). */
    CHECK(livehub_stream_publish(st, &p) == LIVEHUB_ERR_BUSY);
    n = drain(s, out, sizeof out);
    CHECK(contains(out, n < sizeof out ? n : sizeof out, "NetStream.Publish.Start"));
    CHECK(feed_pieces(s, rec + used, len - used) == LIVEHUB_OK);
    CHECK(livehub_rtmp_session_error(s, &code) == LIVEHUB_OK && code == LIVEHUB_RTMP_OK);
    while (livehub_player_read(watch, &tag) == LIVEHUB_OK) {
        tags++;
    }
    CHECK(tags > 100);
    livehub_player_release(watch);
    livehub_stream_release(st);
    livehub_rtmp_session_release(s);
    free(rec);
}

/* Two recorded players (ffmpeg, rtmpdump) of one stream: the same keyframe
 * body memory in both outputs. */
static void test_players_zero_copy(livehub_hub *hub) {
    const char *files[2] = {"tests/data/rtmp/ffmpeg_play.bin", "tests/data/rtmp/rtmpdump_play.bin"};
    livehub_rtmp_session *s[2] = {NULL, NULL};
    livehub_stream *st = NULL;
    livehub_publisher *p = NULL;
    const void *slice[2];
    unsigned char out[16384];
    int i;

    CHECK(livehub_hub_stream(hub, "live/shared", &st) == LIVEHUB_OK);
    CHECK(livehub_stream_publish(st, &p) == LIVEHUB_OK);
    publish_synthetic(p);
    for (i = 0; i < 2; i++) {
        size_t len;
        unsigned char *rec = read_file(files[i], &len);
        livehub_rtmp_event ev;
        livehub_player *pl = NULL;
        uint32_t state = 99;
        size_t used = 0;
        CHECK(livehub_rtmp_session_new(NULL, &s[i]) == LIVEHUB_OK);
        ev = feed_until(s[i], rec, len, LIVEHUB_RTMP_EVENT_PLAY, &used);
        free(rec);
        CHECK(ev.kind == LIVEHUB_RTMP_EVENT_PLAY);
        CHECK(strncmp(ev.key, "live/rec", 8) == 0 && ev.stream_id == 1);
        /* Whatever name the recording asked for, play the shared stream. */
        CHECK(livehub_stream_play(st, NULL, &pl) == LIVEHUB_OK);
        CHECK(livehub_rtmp_session_accept_play(s[i], ev.request_id, pl) == LIVEHUB_OK);
        CHECK(livehub_rtmp_session_pump(s[i], &state) == LIVEHUB_OK);
        CHECK(state == LIVEHUB_RTMP_PUMP_WAITING);
        slice[i] = keyframe_slice(s[i]);
        CHECK(slice[i] != NULL);
    }
    CHECK(slice[0] == slice[1]);
    for (i = 0; i < 2; i++) {
        size_t n = drain(s[i], out, sizeof out);
        CHECK(n > sizeof keyframe);
        CHECK(contains(out, sizeof out, "NetStream.Play.Start"));
        CHECK(contains(out, sizeof out, "|RtmpSampleAccess"));
    }
    /* The publisher leaves, the stream is removed: both players end. */
    livehub_publisher_release(p);
    CHECK(livehub_hub_remove(hub, "live/shared") == LIVEHUB_OK);
    for (i = 0; i < 2; i++) {
        uint32_t state = 99;
        CHECK(livehub_rtmp_session_pump(s[i], &state) == LIVEHUB_OK);
        CHECK(state == LIVEHUB_RTMP_PUMP_ENDED);
        CHECK(drain(s[i], out, sizeof out) > 0);
        CHECK(contains(out, sizeof out, "NetStream.Play.UnpublishNotify"));
    }
    /* Released after their stream: nothing dangles. */
    livehub_stream_release(st);
    livehub_rtmp_session_release(s[1]);
    livehub_rtmp_session_release(s[0]);
}

static void test_bad_input_and_contracts(livehub_hub *hub) {
    livehub_rtmp_session *s = NULL;
    livehub_rtmp_config cfg;
    livehub_stream *st = NULL;
    livehub_publisher *p = NULL;
    livehub_iovec iov[4];
    size_t n;
    uint32_t code = 0;
    static const unsigned char http[] = "GET / HTTP/1.1\r\n";

    livehub_rtmp_config_init(&cfg);
    CHECK(cfg.chunk_size == 4096 && cfg.struct_size == sizeof cfg);
    cfg.chunk_size = 10;
    CHECK(livehub_rtmp_session_new(&cfg, &s) == LIVEHUB_ERR_INVALID_ARG && s == NULL);
    cfg.chunk_size = 60000;
    CHECK(livehub_rtmp_session_new(&cfg, &s) == LIVEHUB_OK);
    CHECK(livehub_rtmp_session_new(NULL, NULL) == LIVEHUB_ERR_NULL);

    CHECK(livehub_rtmp_session_feed(s, http, sizeof http - 1) == LIVEHUB_ERR_RTMP);
    CHECK(livehub_rtmp_session_error(s, &code) == LIVEHUB_OK);
    CHECK(code == LIVEHUB_RTMP_ERR_HANDSHAKE_VERSION);
    CHECK(strcmp(livehub_rtmp_error_str(code), "rtmp: unsupported handshake version") == 0);
    CHECK(livehub_rtmp_session_feed(s, http, 1) == LIVEHUB_ERR_CLOSED);
    CHECK(strcmp(livehub_result_str(LIVEHUB_ERR_RTMP), "bad RTMP input, session closed") == 0);

    /* A closed session refuses answers; the publisher given is released. */
    CHECK(livehub_hub_stream(hub, "live/contract", &st) == LIVEHUB_OK);
    CHECK(livehub_stream_publish(st, &p) == LIVEHUB_OK);
    CHECK(livehub_rtmp_session_accept_publish(s, 1, p) == LIVEHUB_ERR_CLOSED);
    CHECK(livehub_stream_publish(st, &p) == LIVEHUB_OK); /* free again */
    CHECK(livehub_rtmp_session_accept_publish(s, 1, NULL) == LIVEHUB_ERR_NULL);
    CHECK(livehub_rtmp_session_accept_publish(NULL, 1, p) == LIVEHUB_ERR_NULL); /* not consumed */
    livehub_publisher_release(p);
    livehub_rtmp_session_release(s);

    /* A fresh session: unknown request, bad reason, over-consume, NULLs. */
    CHECK(livehub_rtmp_session_new(NULL, &s) == LIVEHUB_OK);
    CHECK(livehub_rtmp_session_reject(s, 7, LIVEHUB_RTMP_REJECT_BUSY) == LIVEHUB_ERR_NOT_FOUND);
    CHECK(livehub_rtmp_session_reject(s, 7, 99) == LIVEHUB_ERR_INVALID_ARG);
    CHECK(livehub_rtmp_session_consume(s, 1) == LIVEHUB_ERR_INVALID_ARG);
    CHECK(livehub_rtmp_session_output(s, iov, 0, &n) == LIVEHUB_ERR_INVALID_ARG);
    CHECK(livehub_rtmp_session_output(s, iov, 4, &n) == LIVEHUB_OK && n == 0);
    CHECK(livehub_rtmp_session_pending(s, &n) == LIVEHUB_OK && n == 0);
    CHECK(livehub_rtmp_session_feed(s, NULL, 1) == LIVEHUB_ERR_NULL);
    CHECK(livehub_rtmp_session_feed(s, NULL, 0) == LIVEHUB_OK);
    CHECK(livehub_rtmp_session_pump(s, NULL) == LIVEHUB_OK);
    CHECK(livehub_rtmp_session_pump(NULL, NULL) == LIVEHUB_ERR_NULL);
    CHECK(livehub_rtmp_session_close(s) == LIVEHUB_OK);
    CHECK(livehub_rtmp_session_error(s, &code) == LIVEHUB_OK && code == LIVEHUB_RTMP_ERR_CLOSED);
    livehub_rtmp_session_release(s);
    livehub_rtmp_session_release(NULL);
    livehub_rtmp_config_init(NULL);
    livehub_stream_release(st);
}

int main(void) {
    livehub_hub *hub = NULL;
    if (livehub_hub_new(NULL, &hub) != LIVEHUB_OK) {
        return 1;
    }
    test_publish_recorded(hub);
    test_players_zero_copy(hub);
    test_bad_input_and_contracts(hub);
    livehub_hub_release(hub);
    if (failures) {
        fprintf(stderr, "rtmp_session: %d checks failed\n", failures);
        return 1;
    }
    printf("rtmp_session: recorded publish and players, shared payloads, bad input: ok\n");
    return 0;
}
