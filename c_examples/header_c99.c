/*
 * header_c99.c — livehub.h as a strict C99 compiler sees it.
 *
 * Built with gcc -std=c99 -Wall -Wextra -Werror -pedantic. It names every
 * function, type and constant of the public header, so that:
 *   - the header compiles cleanly as C99 (no C11 or GNU extension);
 *   - every signature is exactly what the contract says (DESIGN.md for v0,
 *     the header's own docs for stats and logging): each function is
 *     assigned to a pointer of the documented type, and a changed parameter
 *     or return type is a compile error here;
 *   - every constant keeps its documented, never-reused value;
 *   - the #[repr(C)] views have the documented fields (livehub_iovec has the
 *     layout of struct iovec, which writev() needs).
 * It then runs a few calls that need no stream (version, result strings,
 * defaults) so that it also links against the library.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>

#include "livehub.h"

/* C99 has no _Static_assert: a negative array size is the compile error. */
#define STATIC_CHECK(name, cond) typedef char static_check_##name[(cond) ? 1 : -1]

/* Result codes: stable values, never reused. */
STATIC_CHECK(ok, LIVEHUB_OK == 0);
STATIC_CHECK(again, LIVEHUB_AGAIN == 1);
STATIC_CHECK(eof, LIVEHUB_EOF == 2);
STATIC_CHECK(timeout, LIVEHUB_TIMEOUT == 3);
STATIC_CHECK(err_null, LIVEHUB_ERR_NULL == 4);
STATIC_CHECK(err_invalid_arg, LIVEHUB_ERR_INVALID_ARG == 5);
STATIC_CHECK(err_busy, LIVEHUB_ERR_BUSY == 6);
STATIC_CHECK(err_not_found, LIVEHUB_ERR_NOT_FOUND == 7);
STATIC_CHECK(err_closed, LIVEHUB_ERR_CLOSED == 8);
STATIC_CHECK(err_flv, LIVEHUB_ERR_FLV == 9);
STATIC_CHECK(err_too_large, LIVEHUB_ERR_TOO_LARGE == 10);
STATIC_CHECK(err_buffer, LIVEHUB_ERR_BUFFER == 11);
STATIC_CHECK(err_expired, LIVEHUB_ERR_EXPIRED == 12);
STATIC_CHECK(err_panic, LIVEHUB_ERR_PANIC == 13);
STATIC_CHECK(err_flv_rejected, LIVEHUB_ERR_FLV_REJECTED == 14);
STATIC_CHECK(result_width, sizeof(livehub_result) == 4 && (livehub_result)-1 > 0);

/* FLV tag types and tag flags. */
STATIC_CHECK(tag_audio, LIVEHUB_TAG_AUDIO == 8);
STATIC_CHECK(tag_video, LIVEHUB_TAG_VIDEO == 9);
STATIC_CHECK(tag_script, LIVEHUB_TAG_SCRIPT == 18);
STATIC_CHECK(flag_keyframe, LIVEHUB_TAG_FLAG_KEYFRAME == 1);
STATIC_CHECK(flag_sequence_header, LIVEHUB_TAG_FLAG_SEQUENCE_HEADER == 2);
STATIC_CHECK(flag_metadata, LIVEHUB_TAG_FLAG_METADATA == 4);

/* Play options. */
STATIC_CHECK(ts_rebase, LIVEHUB_TIMESTAMP_REBASE == 0);
STATIC_CHECK(ts_absolute, LIVEHUB_TIMESTAMP_ABSOLUTE == 1);
STATIC_CHECK(inherit, LIVEHUB_INHERIT == 0xFFFFFFFFu);

/* Stats states and log levels. */
STATIC_CHECK(pub_none, LIVEHUB_PUBLISHER_NONE == 0);
STATIC_CHECK(pub_active, LIVEHUB_PUBLISHER_ACTIVE == 1);
STATIC_CHECK(pub_waiting, LIVEHUB_PUBLISHER_WAITING == 2);
STATIC_CHECK(player_live, LIVEHUB_PLAYER_LIVE == 0);
STATIC_CHECK(player_behind, LIVEHUB_PLAYER_BEHIND == 1);
STATIC_CHECK(player_ended, LIVEHUB_PLAYER_ENDED == 2);
STATIC_CHECK(player_expired, LIVEHUB_PLAYER_EXPIRED == 3);
STATIC_CHECK(log_off, LIVEHUB_LOG_OFF == 0);
STATIC_CHECK(log_error, LIVEHUB_LOG_ERROR == 1);
STATIC_CHECK(log_warn, LIVEHUB_LOG_WARN == 2);
STATIC_CHECK(log_info, LIVEHUB_LOG_INFO == 3);
STATIC_CHECK(log_debug, LIVEHUB_LOG_DEBUG == 4);

/* Limits. */
STATIC_CHECK(max_tag_size, LIVEHUB_MAX_TAG_SIZE == 0xFFFFFF);
STATIC_CHECK(max_key_len, LIVEHUB_MAX_KEY_LEN == 1024);

/* livehub_iovec has the layout of struct iovec. */
STATIC_CHECK(iovec_size, sizeof(livehub_iovec) == sizeof(struct iovec));
STATIC_CHECK(iovec_base, offsetof(livehub_iovec, iov_base) == offsetof(struct iovec, iov_base));
STATIC_CHECK(iovec_len, offsetof(livehub_iovec, iov_len) == offsetof(struct iovec, iov_len));

/* Every field of the views and option structs, with its type. */
static void fields(void)
{
    livehub_tag t;
    livehub_iovec v;
    livehub_config c;
    livehub_play_options o;
    const uint8_t *data;
    uint8_t u8;
    uint32_t u32;
    uint64_t u64;
    size_t sz;
    void *ptr;
    uint64_t (*clock_fn)(void *);

    livehub_stream_stats ss;
    livehub_player_stats ps;
    livehub_log_fn log_fn = NULL;
    const char *text;

    memset(&ss, 0, sizeof ss);
    memset(&ps, 0, sizeof ps);
    u32 = ss.struct_size; u32 = ss.publisher_state; u64 = ss.publish_count; u64 = ss.tags_in;
    u64 = ss.bytes_in; u64 = ss.bitrate_kbps; u64 = ss.players; u64 = ss.players_total;
    u64 = ss.gop_tags; u64 = ss.gop_bytes; u64 = ss.retained_tags; u64 = ss.retained_bytes;
    text = ss.video_codec; text = ss.video_profile; text = ss.video_level;
    u32 = ss.width; u32 = ss.height; text = ss.audio_codec; text = ss.audio_profile;
    u32 = ss.sample_rate; u32 = ss.channels;
    u32 = ps.struct_size; u32 = ps.state; u64 = ps.tags_out; u64 = ps.bytes_out;
    u64 = ps.tags_dropped; u64 = ps.lag_ms;
    (void)text; (void)log_fn;

    memset(&t, 0, sizeof t);
    memset(&v, 0, sizeof v);
    memset(&c, 0, sizeof c);
    memset(&o, 0, sizeof o);
    u8 = t.type; u32 = t.timestamp; u32 = t.flags; data = t.data; sz = t.size;
    ptr = v.iov_base; sz = v.iov_len;
    u32 = c.struct_size; u32 = c.republish_wait_ms; u32 = c.idle_stream_ms;
    u32 = c.publisher_idle_timeout_ms; u32 = c.player_idle_timeout_ms; u32 = c.max_lag_ms;
    u32 = c.gop_max_frames; u64 = c.gop_max_bytes; u32 = c.max_tag_size;
    clock_fn = c.clock_ms; ptr = c.clock_userdata;
    u32 = o.struct_size; u32 = o.timestamp_mode; u32 = o.republish_wait_ms;
    {
        livehub_group *grp = o.group;
        (void)grp;
    }
    (void)u8; (void)u32; (void)u64; (void)sz; (void)ptr; (void)data; (void)clock_fn;
}

/* Every function, through a pointer of its documented type. */
typedef void (*notify_fn)(void *userdata);
typedef void (*drop_fn)(void *userdata);

static const char *(*const p_result_str)(livehub_result) = livehub_result_str;
static const char *(*const p_version)(void) = livehub_version;
static void (*const p_config_init)(livehub_config *) = livehub_config_init;
static void (*const p_play_options_init)(livehub_play_options *) = livehub_play_options_init;

static livehub_result (*const p_hub_new)(const livehub_config *, livehub_hub **) = livehub_hub_new;
static livehub_result (*const p_hub_tick)(livehub_hub *) = livehub_hub_tick;
static livehub_hub *(*const p_hub_retain)(livehub_hub *) = livehub_hub_retain;
static void (*const p_hub_release)(livehub_hub *) = livehub_hub_release;
static livehub_result (*const p_hub_stream)(livehub_hub *, const char *, livehub_stream **) = livehub_hub_stream;
static livehub_result (*const p_hub_find)(livehub_hub *, const char *, livehub_stream **) = livehub_hub_find;
static livehub_result (*const p_hub_remove)(livehub_hub *, const char *) = livehub_hub_remove;

static livehub_stream *(*const p_stream_retain)(livehub_stream *) = livehub_stream_retain;
static void (*const p_stream_release)(livehub_stream *) = livehub_stream_release;
static livehub_result (*const p_stream_publish)(livehub_stream *, livehub_publisher **) = livehub_stream_publish;
static livehub_result (*const p_stream_play)(livehub_stream *, const livehub_play_options *, livehub_player **) =
    livehub_stream_play;
static livehub_result (*const p_stream_set_userdata)(livehub_stream *, void *, drop_fn) = livehub_stream_set_userdata;
static void *(*const p_stream_userdata)(const livehub_stream *) = livehub_stream_userdata;

static livehub_result (*const p_publisher_push_tag)(livehub_publisher *, uint8_t, uint32_t, const uint8_t *, size_t) =
    livehub_publisher_push_tag;
static livehub_result (*const p_publisher_push_flv)(livehub_publisher *, const uint8_t *, size_t) =
    livehub_publisher_push_flv;
static void (*const p_publisher_release)(livehub_publisher *) = livehub_publisher_release;

static livehub_result (*const p_player_read)(livehub_player *, livehub_tag *) = livehub_player_read;
static livehub_result (*const p_player_read_batch)(livehub_player *, livehub_tag *, size_t, size_t *) =
    livehub_player_read_batch;
static livehub_result (*const p_player_read_flv)(livehub_player *, uint8_t *, size_t, size_t *) = livehub_player_read_flv;
static livehub_result (*const p_player_read_iov)(livehub_player *, livehub_iovec *, size_t, size_t *) =
    livehub_player_read_iov;
static livehub_result (*const p_player_wait)(livehub_player *, uint32_t) = livehub_player_wait;
static livehub_result (*const p_player_set_notify)(livehub_player *, notify_fn, void *) = livehub_player_set_notify;
static livehub_result (*const p_player_set_notify_with_release)(livehub_player *, livehub_notify_fn, void *,
                                                                 livehub_release_fn) =
    livehub_player_set_notify_with_release;
static void (*const p_player_release)(livehub_player *) = livehub_player_release;

static livehub_result (*const p_hub_stats_json)(livehub_hub *, char *, size_t, size_t *) = livehub_hub_stats_json;
static livehub_result (*const p_stream_get_stats)(const livehub_stream *, livehub_stream_stats *) =
    livehub_stream_get_stats;
static livehub_result (*const p_player_get_stats)(livehub_player *, livehub_player_stats *) = livehub_player_get_stats;
static livehub_result (*const p_set_log_callback)(uint32_t, void (*)(void *, uint32_t, const char *), void *) =
    livehub_set_log_callback;
static livehub_result (*const p_group_new)(livehub_group_wake_fn, void *, livehub_group **) = livehub_group_new;
static livehub_result (*const p_group_dispatch)(livehub_group *, size_t *) = livehub_group_dispatch;
static void (*const p_group_release)(livehub_group *) = livehub_group_release;
static void (*const p_play_options_init_v2)(livehub_play_options *) = livehub_play_options_init_v2;

int main(void)
{
    int failures = 0;
    fields();

    /* Keep every pointer alive so that the compiler checks (and uses) all. */
    const void *used[] = {
        (const void *)&p_result_str, (const void *)&p_version, (const void *)&p_config_init,
        (const void *)&p_play_options_init, (const void *)&p_hub_new, (const void *)&p_hub_tick,
        (const void *)&p_hub_retain, (const void *)&p_hub_release, (const void *)&p_hub_stream,
        (const void *)&p_hub_find, (const void *)&p_hub_remove, (const void *)&p_stream_retain,
        (const void *)&p_stream_release, (const void *)&p_stream_publish, (const void *)&p_stream_play,
        (const void *)&p_stream_set_userdata, (const void *)&p_stream_userdata,
        (const void *)&p_publisher_push_tag, (const void *)&p_publisher_push_flv,
        (const void *)&p_publisher_release, (const void *)&p_player_read, (const void *)&p_player_read_batch,
        (const void *)&p_player_read_flv,
        (const void *)&p_player_read_iov, (const void *)&p_player_wait, (const void *)&p_player_set_notify,
        (const void *)&p_player_set_notify_with_release, (const void *)&p_player_release, (const void *)&p_hub_stats_json, (const void *)&p_stream_get_stats,
        (const void *)&p_player_get_stats, (const void *)&p_set_log_callback,
        (const void *)&p_group_new, (const void *)&p_group_dispatch, (const void *)&p_group_release,
        (const void *)&p_play_options_init_v2,
    };
    for (size_t i = 0; i < sizeof used / sizeof used[0]; i++)
        if (used[i] == NULL) failures++;

    /* livehub_result_str never returns NULL, even for unknown codes. */
    for (livehub_result r = LIVEHUB_OK; r <= LIVEHUB_ERR_PANIC + 2; r++)
        if (p_result_str(r) == NULL || p_result_str(r)[0] == '\0') failures++;
    if (p_result_str(0xFFFFFFFFu) == NULL) failures++;

    /* The header's version is the linked library's. */
    if (strcmp(LIVEHUB_VERSION, p_version()) != 0) {
        fprintf(stderr, "header_c99: header %s, library %s\n", LIVEHUB_VERSION, p_version());
        failures++;
    }

    /* Defaults, as documented in DESIGN.md. */
    livehub_config cfg;
    p_config_init(&cfg);
    if (cfg.struct_size != sizeof cfg || cfg.republish_wait_ms != 5000 || cfg.idle_stream_ms != 3000 ||
        cfg.publisher_idle_timeout_ms != 20000 || cfg.player_idle_timeout_ms != 30000 ||
        cfg.max_lag_ms != 10000 || cfg.gop_max_frames != 2500 || cfg.gop_max_bytes != 64u * 1024 * 1024 ||
        cfg.max_tag_size != LIVEHUB_MAX_TAG_SIZE || cfg.clock_ms != NULL) {
        fprintf(stderr, "header_c99: livehub_config_init defaults differ from DESIGN.md\n");
        failures++;
    }
    livehub_play_options opts;
    p_play_options_init(&opts);
    if (opts.struct_size != sizeof opts || opts.timestamp_mode != LIVEHUB_TIMESTAMP_REBASE ||
        opts.republish_wait_ms != LIVEHUB_INHERIT) {
        fprintf(stderr, "header_c99: livehub_play_options_init defaults differ\n");
        failures++;
    }

    /* NULL handles: ERR_NULL, never a crash; release(NULL) is a no-op. */
    livehub_hub *hub = NULL;
    if (p_hub_tick(NULL) != LIVEHUB_ERR_NULL) failures++;
    if (p_hub_new(NULL, NULL) != LIVEHUB_ERR_NULL) failures++;
    if (p_hub_retain(NULL) != NULL || p_stream_retain(NULL) != NULL) failures++;
    if (p_stream_userdata(NULL) != NULL) failures++;
    p_hub_release(NULL);
    p_stream_release(NULL);
    p_publisher_release(NULL);
    p_player_release(NULL);
    if (p_hub_new(&cfg, &hub) != LIVEHUB_OK) failures++;

    /* Stats of an empty hub: the JSON snapshot, with the documented
     * "too small" answer carrying the length needed. */
    char json[256];
    size_t len = 0;
    if (p_hub_stats_json(hub, json, 1, &len) != LIVEHUB_ERR_BUFFER || len == 0) failures++;
    if (len < sizeof json && (p_hub_stats_json(hub, json, sizeof json, &len) != LIVEHUB_OK || json[len] != '\0'))
        failures++;
    if (p_set_log_callback(LIVEHUB_LOG_DEBUG + 1, NULL, NULL) != LIVEHUB_ERR_INVALID_ARG) failures++;
    if (p_set_log_callback(LIVEHUB_LOG_OFF, NULL, NULL) != LIVEHUB_OK) failures++;
    if (p_stream_get_stats(NULL, NULL) != LIVEHUB_ERR_NULL || p_player_get_stats(NULL, NULL) != LIVEHUB_ERR_NULL)
        failures++;
    p_hub_release(hub);

    printf("header_c99: livehub %s, %zu functions checked, %s\n", p_version(),
           sizeof used / sizeof used[0], failures ? "FAILED" : "ok");
    return failures ? 1 : 0;
}
