/*
 * misuse.c — every exported function called the wrong way, through the real
 * C ABI: NULL for each pointer argument, calls in the wrong state, and
 * absurd sizes. Each call must return the code include/livehub.h documents
 * for it (or, for void and pointer functions, do what it says for NULL),
 * and leave the hub, its streams and their other players working: the
 * program ends by checking that a fresh publisher and player on the same
 * hub still move tags.
 *
 * Run under ASan+UBSan+LSan by make test-examples: a crash, an
 * out-of-bounds write or a leak on any of these paths is a failure too.
 *
 * Usage: misuse            (prints one line per group of checks)
 */
#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "livehub.h"

static int failures = 0, checks = 0;

#define EXPECT(cond, ...)                                                     \
    do {                                                                      \
        checks++;                                                             \
        if (!(cond)) {                                                        \
            failures++;                                                       \
            fprintf(stderr, "misuse: FAILED %s:%d: ", __FILE__, __LINE__);    \
            fprintf(stderr, __VA_ARGS__);                                     \
            fputc('\n', stderr);                                              \
        }                                                                     \
    } while (0)

/* The call returned exactly `want`. */
#define CODE(call, want)                                                      \
    do {                                                                      \
        livehub_result got_ = (call);                                         \
        EXPECT(got_ == (want), "%s returned %u (%s), documented: %s", #call,  \
               (unsigned)got_, livehub_result_str(got_), #want);              \
    } while (0)

#ifdef LIVEHUB_ERR_FLV_REJECTED
#define REJECTED LIVEHUB_ERR_FLV_REJECTED
#else
#define REJECTED LIVEHUB_ERR_FLV
#endif

static const uint8_t AAC_SH[] = { 0xAF, 0x00, 0x12, 0x10 };
static const uint8_t AAC_FRAME[] = { 0xAF, 0x01, 0x21, 0x10, 0x04 };
static const uint8_t AVC_KEY[] = { 0x17, 0x01, 0, 0, 0, 0, 0, 0, 2, 0x65, 0x88 };

/* A fake clock the tests move by hand. */
static uint64_t fake_now = 1000;
static uint64_t fake_clock(void *userdata) { (void)userdata; return fake_now; }

static livehub_hub *new_hub(uint32_t max_tag_size)
{
    livehub_config cfg;
    livehub_config_init(&cfg);
    cfg.republish_wait_ms = 0;
    cfg.idle_stream_ms = 100;
    cfg.publisher_idle_timeout_ms = 500;
    cfg.player_idle_timeout_ms = 500;
    cfg.max_tag_size = max_tag_size;
    cfg.clock_ms = fake_clock;
    livehub_hub *hub = NULL;
    CODE(livehub_hub_new(&cfg, &hub), LIVEHUB_OK);
    if (!hub) exit(1);
    return hub;
}

/* ------------------------------------------------------------------------- */
/* NULL for each pointer argument                                            */
/* ------------------------------------------------------------------------- */

static int drops = 0;
static void count_drop(void *p) { (void)p; drops++; }
static void nop_notify(void *p) { (void)p; }
static int releases = 0;
static void count_release(void *p) { (void)p; releases++; }
static void nop_log(void *u, uint32_t level, const char *m) { (void)u; (void)level; (void)m; }

static void null_arguments(void)
{
    livehub_hub *hub = new_hub(LIVEHUB_MAX_TAG_SIZE);
    livehub_stream *s = NULL, *out = (livehub_stream *)&drops;
    livehub_publisher *pub = NULL, *pub_out = (livehub_publisher *)&drops;
    livehub_player *pl = NULL, *pl_out = (livehub_player *)&drops;
    CODE(livehub_hub_stream(hub, "live/null", &s), LIVEHUB_OK);
    CODE(livehub_stream_publish(s, &pub), LIVEHUB_OK);
    CODE(livehub_stream_play(s, NULL, &pl), LIVEHUB_OK);

    /* Functions without a result. */
    EXPECT(livehub_result_str(UINT32_MAX) != NULL && !strcmp(livehub_result_str(UINT32_MAX), "unknown result"),
           "livehub_result_str of an unknown code");
    EXPECT(livehub_version() != NULL && !strcmp(livehub_version(), LIVEHUB_VERSION), "livehub_version");
    livehub_config_init(NULL);
    livehub_play_options_init(NULL);
    EXPECT(livehub_hub_retain(NULL) == NULL, "hub_retain(NULL) gives NULL");
    EXPECT(livehub_stream_retain(NULL) == NULL, "stream_retain(NULL) gives NULL");
    livehub_hub_release(NULL);
    livehub_stream_release(NULL);
    livehub_publisher_release(NULL);
    livehub_player_release(NULL);
    EXPECT(livehub_stream_userdata(NULL) == NULL, "stream_userdata(NULL) gives NULL");

    /* Hub. */
    CODE(livehub_hub_new(NULL, NULL), LIVEHUB_ERR_NULL);
    CODE(livehub_hub_tick(NULL), LIVEHUB_ERR_NULL);
    CODE(livehub_hub_stream(NULL, "live/null", &out), LIVEHUB_ERR_NULL);
    CODE(livehub_hub_stream(hub, NULL, &out), LIVEHUB_ERR_NULL);
    CODE(livehub_hub_stream(hub, "live/null", NULL), LIVEHUB_ERR_NULL);
    CODE(livehub_hub_find(NULL, "live/null", &out), LIVEHUB_ERR_NULL);
    CODE(livehub_hub_find(hub, NULL, &out), LIVEHUB_ERR_NULL);
    CODE(livehub_hub_find(hub, "live/null", NULL), LIVEHUB_ERR_NULL);
    CODE(livehub_hub_remove(NULL, "live/null"), LIVEHUB_ERR_NULL);
    CODE(livehub_hub_remove(hub, NULL), LIVEHUB_ERR_NULL);
    EXPECT(out == (livehub_stream *)&drops, "an output was written by a failed call");
    char json[16];
    size_t len = 12345;
    CODE(livehub_hub_stats_json(NULL, json, sizeof json, &len), LIVEHUB_ERR_NULL);
    CODE(livehub_hub_stats_json(hub, json, sizeof json, NULL), LIVEHUB_ERR_NULL);
    CODE(livehub_hub_stats_json(hub, NULL, sizeof json, &len), LIVEHUB_ERR_NULL);
    CODE(livehub_hub_stats_json(hub, NULL, SIZE_MAX, &len), LIVEHUB_ERR_NULL);
    EXPECT(len == 12345, "stats_json wrote len_out on ERR_NULL");

    /* Stream. */
    CODE(livehub_stream_publish(NULL, &pub_out), LIVEHUB_ERR_NULL);
    CODE(livehub_stream_publish(s, NULL), LIVEHUB_ERR_NULL);
    CODE(livehub_stream_play(NULL, NULL, &pl_out), LIVEHUB_ERR_NULL);
    CODE(livehub_stream_play(s, NULL, NULL), LIVEHUB_ERR_NULL);
    EXPECT(pub_out == (livehub_publisher *)&drops && pl_out == (livehub_player *)&drops,
           "an output was written by a failed call");
    drops = 0;
    CODE(livehub_stream_set_userdata(NULL, &drops, count_drop), LIVEHUB_ERR_NULL);
    EXPECT(drops == 0, "set_userdata(NULL stream) called drop");
    livehub_stream_stats sst;
    memset(&sst, 0, sizeof sst);
    sst.struct_size = sizeof sst;
    CODE(livehub_stream_get_stats(NULL, &sst), LIVEHUB_ERR_NULL);
    CODE(livehub_stream_get_stats(s, NULL), LIVEHUB_ERR_NULL);

    /* Publisher. */
    CODE(livehub_publisher_push_tag(NULL, LIVEHUB_TAG_AUDIO, 0, AAC_SH, sizeof AAC_SH), LIVEHUB_ERR_NULL);
    CODE(livehub_publisher_push_tag(pub, LIVEHUB_TAG_AUDIO, 0, NULL, 4), LIVEHUB_ERR_NULL);
    CODE(livehub_publisher_push_tag(pub, LIVEHUB_TAG_AUDIO, 0, NULL, SIZE_MAX), LIVEHUB_ERR_NULL);
    CODE(livehub_publisher_push_flv(NULL, (const uint8_t *)"FLV", 3), LIVEHUB_ERR_NULL);
    CODE(livehub_publisher_push_flv(pub, NULL, 3), LIVEHUB_ERR_NULL);
    CODE(livehub_publisher_push_flv(pub, NULL, 0), LIVEHUB_OK);   /* NULL with length 0 is accepted */
    livehub_publisher_stats pst;
    memset(&pst, 0, sizeof pst);
    pst.struct_size = sizeof pst;
    CODE(livehub_publisher_get_stats(NULL, &pst), LIVEHUB_ERR_NULL);
    CODE(livehub_publisher_get_stats(pub, NULL), LIVEHUB_ERR_NULL);

    /* Player. */
    livehub_tag tag;
    livehub_tag tags[4];
    uint8_t buf[64];
    livehub_iovec iov[8];
    size_t n = 777;
    CODE(livehub_player_read(NULL, &tag), LIVEHUB_ERR_NULL);
    CODE(livehub_player_read(pl, NULL), LIVEHUB_ERR_NULL);
    CODE(livehub_player_read_batch(NULL, tags, 4, &n), LIVEHUB_ERR_NULL);
    CODE(livehub_player_read_batch(pl, NULL, 4, &n), LIVEHUB_ERR_NULL);
    CODE(livehub_player_read_batch(pl, NULL, SIZE_MAX, &n), LIVEHUB_ERR_NULL);
    CODE(livehub_player_read_batch(pl, tags, 4, NULL), LIVEHUB_ERR_NULL);
    CODE(livehub_player_read_flv(NULL, buf, sizeof buf, &n), LIVEHUB_ERR_NULL);
    CODE(livehub_player_read_flv(pl, NULL, sizeof buf, &n), LIVEHUB_ERR_NULL);
    CODE(livehub_player_read_flv(pl, NULL, SIZE_MAX, &n), LIVEHUB_ERR_NULL);
    CODE(livehub_player_read_flv(pl, buf, sizeof buf, NULL), LIVEHUB_ERR_NULL);
    CODE(livehub_player_read_iov(NULL, iov, 8, &n), LIVEHUB_ERR_NULL);
    CODE(livehub_player_read_iov(pl, NULL, 8, &n), LIVEHUB_ERR_NULL);
    CODE(livehub_player_read_iov(pl, NULL, SIZE_MAX, &n), LIVEHUB_ERR_NULL);
    CODE(livehub_player_read_iov(pl, iov, 8, NULL), LIVEHUB_ERR_NULL);
    EXPECT(n == 777, "a count was written by a failed call");
    CODE(livehub_player_wait(NULL, 0), LIVEHUB_ERR_NULL);
    CODE(livehub_player_set_notify(NULL, nop_notify, NULL), LIVEHUB_ERR_NULL);
    CODE(livehub_player_set_notify(pl, NULL, NULL), LIVEHUB_OK);   /* NULL notify clears */
    releases = 0;
    CODE(livehub_player_set_notify_with_release(NULL, nop_notify, &drops, count_release), LIVEHUB_ERR_NULL);
    EXPECT(releases == 0, "set_notify_with_release(NULL player) called release");
    CODE(livehub_player_set_notify_with_release(pl, NULL, &drops, count_release), LIVEHUB_OK);
    EXPECT(releases == 0, "set_notify_with_release(NULL notify) called the release it ignores");
    CODE(livehub_player_set_notify_with_release(pl, nop_notify, &drops, NULL), LIVEHUB_OK);   /* NULL release */
    CODE(livehub_player_set_notify_with_release(pl, nop_notify, &drops, count_release), LIVEHUB_OK);
    CODE(livehub_player_set_notify(pl, nop_notify, NULL), LIVEHUB_OK);   /* replaced: released */
    EXPECT(releases == 1, "a replaced registration was released %d times", releases);
    CODE(livehub_player_set_notify_with_release(pl, nop_notify, &drops, count_release), LIVEHUB_OK);
    CODE(livehub_player_set_notify_with_release(pl, NULL, NULL, NULL), LIVEHUB_OK);   /* cleared: released */
    EXPECT(releases == 2, "a cleared registration: %d releases", releases);
    CODE(livehub_player_set_notify_with_release(pl, NULL, NULL, NULL), LIVEHUB_OK);
    EXPECT(releases == 2, "clearing twice released twice");
    livehub_player_stats plst;
    memset(&plst, 0, sizeof plst);
    plst.struct_size = sizeof plst;
    CODE(livehub_player_get_stats(NULL, &plst), LIVEHUB_ERR_NULL);
    CODE(livehub_player_get_stats(pl, NULL), LIVEHUB_ERR_NULL);

    /* Logging: NULL callback turns logging off. */
    CODE(livehub_set_log_callback(LIVEHUB_LOG_DEBUG, NULL, NULL), LIVEHUB_OK);

    /* Nothing above changed the stream: the player reads what is pushed. */
    CODE(livehub_publisher_push_tag(pub, LIVEHUB_TAG_AUDIO, 0, AAC_SH, sizeof AAC_SH), LIVEHUB_OK);
    CODE(livehub_player_read(pl, &tag), LIVEHUB_OK);
    EXPECT(tag.size == sizeof AAC_SH, "the player got %zu bytes", tag.size);

    livehub_player_release(pl);
    livehub_publisher_release(pub);
    livehub_stream_release(s);
    livehub_hub_release(hub);
    printf("misuse: NULL arguments: ok\n");
}

/* ------------------------------------------------------------------------- */
/* Bad values and absurd sizes                                               */
/* ------------------------------------------------------------------------- */

static void bad_values(void)
{
    /* Configuration. */
    livehub_config cfg;
    livehub_hub *hub = NULL;
    livehub_config_init(&cfg);
    cfg.struct_size = 0;
    CODE(livehub_hub_new(&cfg, &hub), LIVEHUB_ERR_INVALID_ARG);
    cfg.struct_size = 3;
    CODE(livehub_hub_new(&cfg, &hub), LIVEHUB_ERR_INVALID_ARG);
    livehub_config_init(&cfg);
    cfg.max_tag_size = LIVEHUB_MAX_TAG_SIZE + 1;
    CODE(livehub_hub_new(&cfg, &hub), LIVEHUB_ERR_INVALID_ARG);
    cfg.max_tag_size = UINT32_MAX;
    CODE(livehub_hub_new(&cfg, &hub), LIVEHUB_ERR_INVALID_ARG);
    EXPECT(hub == NULL, "hub_out written by a failed hub_new");
    CODE(livehub_hub_new(NULL, &hub), LIVEHUB_OK);   /* NULL: the defaults */
    livehub_hub_release(hub);

    CODE(livehub_set_log_callback(LIVEHUB_LOG_DEBUG + 1, nop_log, NULL), LIVEHUB_ERR_INVALID_ARG);
    CODE(livehub_set_log_callback(UINT32_MAX, nop_log, NULL), LIVEHUB_ERR_INVALID_ARG);
    CODE(livehub_set_log_callback(LIVEHUB_LOG_OFF, nop_log, NULL), LIVEHUB_OK);

    hub = new_hub(1024);

    /* Keys: empty, too long, not UTF-8; the longest one allowed works. */
    static char key[LIVEHUB_MAX_KEY_LEN + 2];
    livehub_stream *s = NULL;
    CODE(livehub_hub_stream(hub, "", &s), LIVEHUB_ERR_INVALID_ARG);
    CODE(livehub_hub_find(hub, "", &s), LIVEHUB_ERR_INVALID_ARG);
    CODE(livehub_hub_remove(hub, ""), LIVEHUB_ERR_INVALID_ARG);
    CODE(livehub_hub_stream(hub, "live/\xff\xfe", &s), LIVEHUB_ERR_INVALID_ARG);
    CODE(livehub_hub_find(hub, "live/\xc3", &s), LIVEHUB_ERR_INVALID_ARG);
    CODE(livehub_hub_remove(hub, "\x80"), LIVEHUB_ERR_INVALID_ARG);
    memset(key, 'k', LIVEHUB_MAX_KEY_LEN + 1);
    key[LIVEHUB_MAX_KEY_LEN + 1] = 0;
    CODE(livehub_hub_stream(hub, key, &s), LIVEHUB_ERR_INVALID_ARG);
    CODE(livehub_hub_find(hub, key, &s), LIVEHUB_ERR_INVALID_ARG);
    CODE(livehub_hub_remove(hub, key), LIVEHUB_ERR_INVALID_ARG);
    EXPECT(s == NULL, "stream_out written by a failed call");
    key[LIVEHUB_MAX_KEY_LEN] = 0;
    CODE(livehub_hub_stream(hub, key, &s), LIVEHUB_OK);
    livehub_stream_release(s);
    CODE(livehub_hub_remove(hub, key), LIVEHUB_OK);
    CODE(livehub_hub_remove(hub, key), LIVEHUB_ERR_NOT_FOUND);
    CODE(livehub_hub_find(hub, key, &s), LIVEHUB_ERR_NOT_FOUND);

    /* Play options. */
    CODE(livehub_hub_stream(hub, "live/bad", &s), LIVEHUB_OK);
    livehub_play_options o;
    livehub_player *pl = NULL;
    livehub_play_options_init(&o);
    o.struct_size = 0;
    CODE(livehub_stream_play(s, &o, &pl), LIVEHUB_ERR_INVALID_ARG);
    livehub_play_options_init(&o);
    o.timestamp_mode = 2;
    CODE(livehub_stream_play(s, &o, &pl), LIVEHUB_ERR_INVALID_ARG);
    o.timestamp_mode = UINT32_MAX;
    CODE(livehub_stream_play(s, &o, &pl), LIVEHUB_ERR_INVALID_ARG);
    EXPECT(pl == NULL, "player_out written by a failed play");
    livehub_play_options_init(&o);
    o.republish_wait_ms = UINT32_MAX - 1;   /* absurd, but a valid wait */
    CODE(livehub_stream_play(s, &o, &pl), LIVEHUB_OK);

    /* Stats structs too small for their first field; absurdly large ones
     * get what the library knows. */
    livehub_stream_stats sst;
    memset(&sst, 0, sizeof sst);
    sst.struct_size = 3;
    CODE(livehub_stream_get_stats(s, &sst), LIVEHUB_ERR_INVALID_ARG);
    sst.struct_size = 4;
    CODE(livehub_stream_get_stats(s, &sst), LIVEHUB_OK);
    EXPECT(sst.players == 0, "a 4-byte stats struct got more than its size");
    sst.struct_size = sizeof sst;
    CODE(livehub_stream_get_stats(s, &sst), LIVEHUB_OK);
    EXPECT(sst.players == 1, "stream stats: %llu players", (unsigned long long)sst.players);
    livehub_player_stats plst;
    memset(&plst, 0, sizeof plst);
    plst.struct_size = 0;
    CODE(livehub_player_get_stats(pl, &plst), LIVEHUB_ERR_INVALID_ARG);

    /* Pushes: unknown types, sizes 0, over the limit, SIZE_MAX. */
    livehub_publisher *pub = NULL;
    CODE(livehub_stream_publish(s, &pub), LIVEHUB_OK);
    livehub_publisher_stats pst;
    memset(&pst, 0, sizeof pst);
    pst.struct_size = 2;
    CODE(livehub_publisher_get_stats(pub, &pst), LIVEHUB_ERR_INVALID_ARG);
    static uint8_t big[2048];
    big[0] = 0x27;
    big[1] = 0x01;
    CODE(livehub_publisher_push_tag(pub, 0, 0, AAC_SH, sizeof AAC_SH), LIVEHUB_ERR_INVALID_ARG);
    CODE(livehub_publisher_push_tag(pub, 7, 0, AAC_SH, sizeof AAC_SH), LIVEHUB_ERR_INVALID_ARG);
    CODE(livehub_publisher_push_tag(pub, 255, 0, AAC_SH, sizeof AAC_SH), LIVEHUB_ERR_INVALID_ARG);
    CODE(livehub_publisher_push_tag(pub, LIVEHUB_TAG_VIDEO, 0, big, 1025), LIVEHUB_ERR_TOO_LARGE);
    CODE(livehub_publisher_push_tag(pub, LIVEHUB_TAG_VIDEO, 0, big, SIZE_MAX), LIVEHUB_ERR_TOO_LARGE);
    CODE(livehub_publisher_push_tag(pub, LIVEHUB_TAG_VIDEO, 0, big, 0), LIVEHUB_ERR_FLV);
    CODE(livehub_publisher_push_tag(pub, LIVEHUB_TAG_AUDIO, 0, NULL, 0), LIVEHUB_ERR_FLV);
    CODE(livehub_publisher_push_tag(pub, LIVEHUB_TAG_VIDEO, 0, big, 1), LIVEHUB_ERR_FLV);
    CODE(livehub_publisher_push_flv(pub, big, SIZE_MAX), LIVEHUB_ERR_INVALID_ARG);
    CODE(livehub_publisher_push_flv(pub, big, (size_t)PTRDIFF_MAX + 1), LIVEHUB_ERR_INVALID_ARG);
    /* None of that was stored; the stream carries on at the limit. */
    CODE(livehub_publisher_push_tag(pub, LIVEHUB_TAG_AUDIO, 0, AAC_SH, sizeof AAC_SH), LIVEHUB_OK);
    CODE(livehub_publisher_push_tag(pub, LIVEHUB_TAG_VIDEO, 0, AVC_KEY, sizeof AVC_KEY), LIVEHUB_OK);
    CODE(livehub_publisher_push_tag(pub, LIVEHUB_TAG_VIDEO, 40, big, 1024), LIVEHUB_OK);
    memset(&pst, 0, sizeof pst);
    pst.struct_size = sizeof pst;
    CODE(livehub_publisher_get_stats(pub, &pst), LIVEHUB_OK);
    EXPECT(pst.tags_in == 3, "publisher stored %llu tags, want 3", (unsigned long long)pst.tags_in);

    /* Read sizes: 0, too few iovecs, and the smallest that work. */
    livehub_tag tags[2];
    uint8_t one[1];
    livehub_iovec iov[3];
    size_t n = 999;
    CODE(livehub_player_read_batch(pl, tags, 0, &n), LIVEHUB_ERR_INVALID_ARG);
    CODE(livehub_player_read_flv(pl, one, 0, &n), LIVEHUB_ERR_INVALID_ARG);
    CODE(livehub_player_read_flv(pl, NULL, 0, &n), LIVEHUB_ERR_INVALID_ARG);
    CODE(livehub_player_read_iov(pl, iov, 0, &n), LIVEHUB_ERR_BUFFER);
    CODE(livehub_player_read_iov(pl, NULL, 0, &n), LIVEHUB_ERR_BUFFER);
    CODE(livehub_player_read_iov(pl, iov, 2, &n), LIVEHUB_ERR_BUFFER);
    EXPECT(n == 999, "a count was written by a failed call");
    CODE(livehub_player_read_flv(pl, one, 1, &n), LIVEHUB_OK);
    EXPECT(n == 1 && one[0] == 'F', "read_flv of 1 byte: %zu, '%c'", n, one[0]);
    CODE(livehub_player_read_iov(pl, iov, 3, &n), LIVEHUB_OK);
    EXPECT(n >= 1 && n <= 3, "read_iov with 3 entries gave %zu", n);
    CODE(livehub_player_wait(pl, UINT32_MAX), LIVEHUB_OK);   /* data there: returns at once */

    /* stats_json: a buffer one byte short is BUFFER with the length needed. */
    size_t need = 0;
    CODE(livehub_hub_stats_json(hub, NULL, 0, &need), LIVEHUB_ERR_BUFFER);
    char *js = malloc(need + 1);
    size_t len = 0;
    CODE(livehub_hub_stats_json(hub, js, need, &len), LIVEHUB_ERR_BUFFER);
    EXPECT(len == need, "stats_json needs %zu then %zu", need, len);
    CODE(livehub_hub_stats_json(hub, js, need + 1, &len), LIVEHUB_OK);
    EXPECT(len == need && js[len] == 0, "stats_json wrote %zu of %zu", len, need);
    free(js);

    livehub_player_release(pl);
    livehub_publisher_release(pub);
    livehub_stream_release(s);
    livehub_hub_release(hub);
    printf("misuse: bad values and absurd sizes: ok\n");
}

/* ------------------------------------------------------------------------- */
/* Calls in the wrong state                                                  */
/* ------------------------------------------------------------------------- */

static int self_release_calls = 0;
static livehub_player *self_releasing = NULL;

/* Releases its own player from inside its notify callback (allowed: no
 * other call on that player is in progress). */
static void release_self(void *userdata)
{
    (void)userdata;
    self_release_calls++;
    int before = releases;
    livehub_player_release(self_releasing);
    self_releasing = NULL;
    /* Its own registration is released after this callback returns. */
    EXPECT(releases == before, "release ran inside the callback it belongs to");
}

static int clear_self_calls = 0;
static livehub_player *self_clearing = NULL;

static void clear_self(void *userdata)
{
    (void)userdata;
    clear_self_calls++;
    CODE(livehub_player_set_notify(self_clearing, NULL, NULL), LIVEHUB_OK);
}

static void drain_to(livehub_player *pl, livehub_result want, const char *what)
{
    livehub_tag tag;
    livehub_result r = LIVEHUB_OK;
    for (int i = 0; i < 100 && r == LIVEHUB_OK; i++) r = livehub_player_read(pl, &tag);
    EXPECT(r == want, "%s: read ended with %s", what, livehub_result_str(r));
}

static void wrong_state(void)
{
    livehub_hub *hub = new_hub(LIVEHUB_MAX_TAG_SIZE);
    livehub_stream *s = NULL, *found = NULL;
    livehub_publisher *pub = NULL, *second = NULL;
    livehub_player *pl = NULL, *late = NULL;
    livehub_tag tag;
    uint8_t buf[256];
    livehub_iovec iov[8];
    size_t n = 0;

    /* A second publisher while one is active; again after it left. */
    CODE(livehub_hub_stream(hub, "live/state", &s), LIVEHUB_OK);
    CODE(livehub_stream_publish(s, &pub), LIVEHUB_OK);
    CODE(livehub_stream_publish(s, &second), LIVEHUB_ERR_BUSY);
    EXPECT(second == NULL, "pub_out written on BUSY");
    CODE(livehub_stream_play(s, NULL, &pl), LIVEHUB_OK);
    CODE(livehub_publisher_push_tag(pub, LIVEHUB_TAG_AUDIO, 0, AAC_SH, sizeof AAC_SH), LIVEHUB_OK);
    livehub_publisher_release(pub);
    CODE(livehub_stream_publish(s, &pub), LIVEHUB_OK);

    /* Push after remove; publish and play on a removed stream. */
    CODE(livehub_hub_remove(hub, "live/state"), LIVEHUB_OK);
    CODE(livehub_publisher_push_tag(pub, LIVEHUB_TAG_AUDIO, 23, AAC_FRAME, sizeof AAC_FRAME), LIVEHUB_ERR_CLOSED);
    CODE(livehub_publisher_push_flv(pub, (const uint8_t *)"FLV\x01\x05\0\0\0\x09\0\0\0\0", 13), LIVEHUB_ERR_CLOSED);
    livehub_publisher_release(pub);
    pub = NULL;
    CODE(livehub_stream_publish(s, &pub), LIVEHUB_ERR_CLOSED);
    CODE(livehub_stream_play(s, NULL, &late), LIVEHUB_ERR_CLOSED);
    EXPECT(pub == NULL && late == NULL, "outputs written on CLOSED");
    CODE(livehub_hub_find(hub, "live/state", &found), LIVEHUB_ERR_NOT_FOUND);
    CODE(livehub_hub_remove(hub, "live/state"), LIVEHUB_ERR_NOT_FOUND);
    /* Userdata on a removed stream still works and is dropped once. */
    drops = 0;
    CODE(livehub_stream_set_userdata(s, &drops, count_drop), LIVEHUB_OK);
    EXPECT(livehub_stream_userdata(s) == &drops, "stream_userdata");

    /* Read after EOF: every read kind, and wait, keep saying EOF. */
    drain_to(pl, LIVEHUB_EOF, "player of a removed stream");
    CODE(livehub_player_read(pl, &tag), LIVEHUB_EOF);
    CODE(livehub_player_read_batch(pl, &tag, 1, &n), LIVEHUB_EOF);
    CODE(livehub_player_read_flv(pl, buf, sizeof buf, &n), LIVEHUB_EOF);
    CODE(livehub_player_read_iov(pl, iov, 8, &n), LIVEHUB_EOF);
    CODE(livehub_player_wait(pl, 0), LIVEHUB_EOF);
    CODE(livehub_player_wait(pl, UINT32_MAX), LIVEHUB_EOF);
    CODE(livehub_player_set_notify(pl, nop_notify, NULL), LIVEHUB_OK);
    CODE(livehub_player_read(pl, &tag), LIVEHUB_EOF);
    livehub_player_release(pl);
    pl = NULL;
    livehub_stream_release(s);
    EXPECT(drops == 1, "userdata of a removed stream dropped %d times after its last handle", drops);

    /* The key is free again at once for a new, independent stream. */
    CODE(livehub_hub_stream(hub, "live/state", &s), LIVEHUB_OK);
    CODE(livehub_stream_publish(s, &pub), LIVEHUB_OK);

    /* An idle publisher is cut: its pushes then get CLOSED. */
    fake_now += 1000;
    CODE(livehub_hub_tick(hub), LIVEHUB_OK);
    CODE(livehub_publisher_push_tag(pub, LIVEHUB_TAG_AUDIO, 0, AAC_SH, sizeof AAC_SH), LIVEHUB_ERR_CLOSED);
    livehub_publisher_release(pub);
    pub = NULL;

    /* From here on a fresh stream: the one whose publisher was cut may be
     * reaped as idle by that same tick. */
    livehub_stream_release(s);
    s = NULL;
    CODE(livehub_hub_stream(hub, "live/state2", &s), LIVEHUB_OK);

    /* An expired player: every read kind and wait say EXPIRED. */
    CODE(livehub_stream_publish(s, &pub), LIVEHUB_OK);
    CODE(livehub_stream_play(s, NULL, &pl), LIVEHUB_OK);
    CODE(livehub_publisher_push_tag(pub, LIVEHUB_TAG_AUDIO, 0, AAC_SH, sizeof AAC_SH), LIVEHUB_OK);
    CODE(livehub_publisher_push_tag(pub, LIVEHUB_TAG_AUDIO, 23, AAC_FRAME, sizeof AAC_FRAME), LIVEHUB_OK);
    fake_now += 600;
    CODE(livehub_publisher_push_tag(pub, LIVEHUB_TAG_AUDIO, 46, AAC_FRAME, sizeof AAC_FRAME), LIVEHUB_OK);
    CODE(livehub_hub_tick(hub), LIVEHUB_OK);
    CODE(livehub_player_read(pl, &tag), LIVEHUB_ERR_EXPIRED);
    CODE(livehub_player_read_batch(pl, &tag, 1, &n), LIVEHUB_ERR_EXPIRED);
    CODE(livehub_player_read_flv(pl, buf, sizeof buf, &n), LIVEHUB_ERR_EXPIRED);
    CODE(livehub_player_read_iov(pl, iov, 8, &n), LIVEHUB_ERR_EXPIRED);
    CODE(livehub_player_wait(pl, 0), LIVEHUB_ERR_EXPIRED);
    livehub_player_stats plst;
    memset(&plst, 0, sizeof plst);
    plst.struct_size = sizeof plst;
    CODE(livehub_player_get_stats(pl, &plst), LIVEHUB_OK);
    EXPECT(plst.state == LIVEHUB_PLAYER_EXPIRED, "expired player's state %u", (unsigned)plst.state);
    livehub_player_release(pl);
    pl = NULL;

    /* Release from inside the callback, and clear from inside it. */
    CODE(livehub_stream_play(s, NULL, &self_releasing), LIVEHUB_OK);
    CODE(livehub_stream_play(s, NULL, &self_clearing), LIVEHUB_OK);
    releases = 0;
    CODE(livehub_player_set_notify_with_release(self_releasing, release_self, NULL, count_release), LIVEHUB_OK);
    CODE(livehub_player_set_notify(self_clearing, clear_self, NULL), LIVEHUB_OK);
    drain_to(self_releasing, LIVEHUB_AGAIN, "self-releasing player");
    drain_to(self_clearing, LIVEHUB_AGAIN, "self-clearing player");
    CODE(livehub_publisher_push_tag(pub, LIVEHUB_TAG_AUDIO, 69, AAC_FRAME, sizeof AAC_FRAME), LIVEHUB_OK);
    EXPECT(self_release_calls == 1 && self_releasing == NULL, "release from the callback ran %d times",
           self_release_calls);
    EXPECT(releases == 1, "the self-released player's registration was released %d times", releases);
    EXPECT(clear_self_calls == 1, "clear from the callback ran %d times", clear_self_calls);
    drain_to(self_clearing, LIVEHUB_AGAIN, "self-clearing player");
    CODE(livehub_publisher_push_tag(pub, LIVEHUB_TAG_AUDIO, 92, AAC_FRAME, sizeof AAC_FRAME), LIVEHUB_OK);
    EXPECT(clear_self_calls == 1, "a cleared callback ran again (%d)", clear_self_calls);
    livehub_player_release(self_clearing);

    /* A rejected FLV byte stream stays rejected; push_tag still works. */
    livehub_publisher_stats pst;
    memset(&pst, 0, sizeof pst);
    pst.struct_size = sizeof pst;
    CODE(livehub_publisher_push_flv(pub, (const uint8_t *)"GIF89a", 6), LIVEHUB_OK);   /* header incomplete */
    CODE(livehub_publisher_push_flv(pub, (const uint8_t *)"\0\0\0\x09\0\0\0\0", 8), REJECTED);
    CODE(livehub_publisher_push_flv(pub, (const uint8_t *)"FLV\x01\x05\0\0\0\x09\0\0\0\0", 13), REJECTED);
    CODE(livehub_publisher_push_flv(pub, NULL, 0), REJECTED);
    CODE(livehub_publisher_get_stats(pub, &pst), LIVEHUB_OK);
    EXPECT(pst.rejected == REJECTED, "publisher stats: rejected = %u", (unsigned)pst.rejected);
    CODE(livehub_publisher_push_tag(pub, LIVEHUB_TAG_AUDIO, 115, AAC_FRAME, sizeof AAC_FRAME), LIVEHUB_OK);
    livehub_publisher_release(pub);

    /* A tag over max_tag_size in the FLV byte stream rejects it. */
    livehub_hub *small = new_hub(16);
    livehub_stream *s2 = NULL;
    CODE(livehub_hub_stream(small, "live/small", &s2), LIVEHUB_OK);
    CODE(livehub_stream_publish(s2, &pub), LIVEHUB_OK);
    static const uint8_t flv_big[] = {
        'F', 'L', 'V', 1, 5, 0, 0, 0, 9, 0, 0, 0, 0,
        9, 0, 0, 17, 0, 0, 0, 0, 0, 0, 0,   /* a video tag of 17 bytes */
    };
    livehub_result r = livehub_publisher_push_flv(pub, flv_big, sizeof flv_big);
    EXPECT(r == LIVEHUB_ERR_TOO_LARGE || r == REJECTED, "push_flv of a tag over the limit: %s",
           livehub_result_str(r));
    CODE(livehub_publisher_push_flv(pub, AAC_FRAME, sizeof AAC_FRAME), r);
    livehub_publisher_release(pub);
    livehub_stream_release(s2);

    /* Pushes after the hub's last reference went: the stream is closed. */
    CODE(livehub_hub_stream(small, "live/orphan", &s2), LIVEHUB_OK);
    CODE(livehub_stream_publish(s2, &pub), LIVEHUB_OK);
    livehub_hub_release(small);
    CODE(livehub_publisher_push_tag(pub, LIVEHUB_TAG_AUDIO, 0, AAC_SH, sizeof AAC_SH), LIVEHUB_ERR_CLOSED);
    CODE(livehub_stream_play(s2, NULL, &pl), LIVEHUB_ERR_CLOSED);
    livehub_publisher_release(pub);
    CODE(livehub_stream_publish(s2, &pub), LIVEHUB_ERR_CLOSED);
    livehub_stream_release(s2);

    /* After all that, the hub still works end to end. */
    CODE(livehub_stream_publish(s, &pub), LIVEHUB_OK);
    CODE(livehub_stream_play(s, NULL, &pl), LIVEHUB_OK);
    CODE(livehub_publisher_push_tag(pub, LIVEHUB_TAG_AUDIO, 0, AAC_SH, sizeof AAC_SH), LIVEHUB_OK);
    CODE(livehub_player_read(pl, &tag), LIVEHUB_OK);
    EXPECT(tag.type == LIVEHUB_TAG_AUDIO && tag.size == sizeof AAC_SH, "the last player got a wrong tag");
    livehub_player_release(pl);
    livehub_publisher_release(pub);
    livehub_stream_release(s);
    livehub_hub_release(hub);
    printf("misuse: calls in the wrong state: ok\n");
}

/* ------------------------------------------------------------------------- */
/* Player groups                                                             */
/* ------------------------------------------------------------------------- */

static int wakes = 0, group_notified = 0;
static void on_wake(void *userdata) { (void)userdata; wakes++; }
static int released_notified = 0;
static void on_group_notify(void *userdata) { if (userdata) released_notified++; else group_notified++; }

static void groups(void)
{
    livehub_hub *hub = new_hub(LIVEHUB_MAX_TAG_SIZE);
    livehub_group *g = (livehub_group *)&drops;
    size_t fired = 777;
    livehub_tag tag;

    /* NULL arguments. */
    CODE(livehub_group_new(on_wake, NULL, NULL), LIVEHUB_ERR_NULL);
    CODE(livehub_group_dispatch(NULL, &fired), LIVEHUB_ERR_NULL);
    EXPECT(fired == 777, "fired_out written by a failed dispatch");
    livehub_group_release(NULL);

    /* A group, one player in it: news wakes the group once, dispatch runs
     * the callback; fired_out may be NULL. */
    CODE(livehub_group_new(on_wake, NULL, &g), LIVEHUB_OK);
    livehub_stream *s = NULL;
    livehub_publisher *pub = NULL;
    livehub_player *pl = NULL, *other = NULL;
    CODE(livehub_hub_stream(hub, "live/group", &s), LIVEHUB_OK);
    CODE(livehub_stream_publish(s, &pub), LIVEHUB_OK);
    livehub_play_options o;
    livehub_play_options_init(&o);
    o.group = g;
    CODE(livehub_stream_play(s, &o, &pl), LIVEHUB_OK);
    CODE(livehub_player_set_notify(pl, on_group_notify, NULL), LIVEHUB_OK);
    CODE(livehub_player_read(pl, &tag), LIVEHUB_AGAIN);
    CODE(livehub_publisher_push_tag(pub, LIVEHUB_TAG_AUDIO, 0, AAC_SH, sizeof AAC_SH), LIVEHUB_OK);
    CODE(livehub_publisher_push_tag(pub, LIVEHUB_TAG_AUDIO, 23, AAC_FRAME, sizeof AAC_FRAME), LIVEHUB_OK);
    EXPECT(wakes == 1 && group_notified == 0, "wakes %d, callbacks %d before dispatch", wakes, group_notified);
    CODE(livehub_group_dispatch(g, &fired), LIVEHUB_OK);
    EXPECT(fired == 1 && group_notified == 1, "dispatch ran %zu callbacks (%d)", fired, group_notified);
    CODE(livehub_group_dispatch(g, NULL), LIVEHUB_OK);
    EXPECT(group_notified == 1, "a second dispatch ran a callback again");

    /* Dispatch after the group's player was released: nothing runs. */
    CODE(livehub_stream_play(s, &o, &other), LIVEHUB_OK);
    CODE(livehub_player_set_notify(other, on_group_notify, &drops), LIVEHUB_OK);
    drain_to(other, LIVEHUB_AGAIN, "grouped player");
    CODE(livehub_publisher_push_tag(pub, LIVEHUB_TAG_AUDIO, 46, AAC_FRAME, sizeof AAC_FRAME), LIVEHUB_OK);
    livehub_player_release(other);
    other = NULL;
    group_notified = 0;
    drain_to(pl, LIVEHUB_AGAIN, "grouped player");
    CODE(livehub_group_dispatch(g, &fired), LIVEHUB_OK);
    EXPECT(released_notified == 0, "dispatch ran the callback of a released player (%d)", released_notified);
    EXPECT(group_notified == (int)fired, "dispatch said %zu, ran %d", fired, group_notified);

    /* The group released while its player lives: the player keeps
     * working (reads, wait), only its callback no longer runs. */
    drain_to(pl, LIVEHUB_AGAIN, "grouped player");
    livehub_group_release(g);
    g = NULL;
    int before = wakes;
    group_notified = 0;
    CODE(livehub_publisher_push_tag(pub, LIVEHUB_TAG_AUDIO, 69, AAC_FRAME, sizeof AAC_FRAME), LIVEHUB_OK);
    EXPECT(wakes == before && group_notified == 0, "a released group was woken (%d) or dispatched (%d)",
           wakes - before, group_notified);
    CODE(livehub_player_wait(pl, 0), LIVEHUB_OK);
    CODE(livehub_player_read(pl, &tag), LIVEHUB_OK);
    EXPECT(tag.timestamp >= 23, "the player of a released group read ts %u", (unsigned)tag.timestamp);

    /* Still usable end to end. */
    livehub_player_release(pl);
    livehub_publisher_release(pub);
    livehub_stream_release(s);
    livehub_hub_release(hub);
    printf("misuse: player groups: ok\n");
}

int main(void)
{
    null_arguments();
    bad_values();
    wrong_state();
    groups();
    if (failures) {
        printf("misuse: FAILED %d of %d checks\n", failures, checks);
        return 1;
    }
    printf("misuse: %d checks, all returned their documented code\n", checks);
    return 0;
}
