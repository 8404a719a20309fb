/*
 * soak_client.c — churn against a running flv_relay, on loopback, for a
 * bounded time; make soak (tests/soak/soak.sh) runs it.
 *
 *   soak_client --port PORT --pid RELAY_PID --flv FILE.flv [--seconds N]
 *               [--players N] [--streams N] [--seed N]
 *
 * What it does, on one thread with epoll:
 *   - STREAMS publishers (live/soak0..), each POSTing FILE looped at
 *     real-time pace (timestamps continuing across loops), and each
 *     reconnecting every 2 to 6 s: it closes its connection (the
 *     unpublish) and publishes again from timestamp 0 (an encoder restart),
 *     retrying after 100 ms when the relay still says 409;
 *   - PLAYERS players (default 200) on random streams, each living 1 to
 *     30 s, then replaced by a new one: 60% read everything, 25% read
 *     4 KiB every 250 to 1000 ms (slow: they fall behind and are skipped
 *     forward), 15% never read after their request;
 *   - every player that reads checks its HTTP-FLV byte stream as it comes:
 *     a 200 response head, the FLV file header and PreviousTagSize0, then
 *     tags of type 8, 9 or 18 each followed by a matching PreviousTagSize,
 *     timestamps that never go back, and, when the relay ends a stream, an
 *     end on a tag boundary. Any violation fails the run;
 *   - every 60 s it prints the relay's VmRSS (from /proc/PID/status) and
 *     its own counters. It fails if the RSS at the end is more than 10%
 *     above the RSS at minute 2 (or if the relay dies).
 *
 * Exit status 0 on success, 1 on a failure, 2 on bad usage. Only
 * 127.0.0.1 is used.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_STREAMS 16
#define MAX_PLAYERS 2000
#define HEAD_MAX 4096

static long failures = 0;

#define FAIL(...)                                                      \
    do {                                                               \
        if (++failures <= 30) {                                        \
            fprintf(stderr, "soak_client: FAILED: ");                  \
            fprintf(stderr, __VA_ARGS__);                              \
            fputc('\n', stderr);                                       \
        }                                                              \
    } while (0)

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t rng_state;
static uint32_t below(uint32_t n)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return n ? (uint32_t)(z % n) : 0;
}

static uint32_t get_u24(const uint8_t *p) { return ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2]; }
static uint32_t get_u32(const uint8_t *p) { return ((uint32_t)p[0] << 24) | get_u24(p + 1); }
static void put_u24(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 16); p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)v; }

/* ------------------------------------------------------------------------- */
/* The source file, as tags                                                  */
/* ------------------------------------------------------------------------- */

typedef struct { size_t off, len; uint32_t ts; } src_tag;   /* len: header+body+PreviousTagSize */

static uint8_t *file;
static size_t file_size;
static src_tag *tags;
static size_t ntags;
static uint32_t file_duration;   /* last timestamp + 40 ms */

static void load_flv(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); exit(2); }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (size < 13 || size > (64L << 20)) { fprintf(stderr, "%s: bad size\n", path); exit(2); }
    file = malloc((size_t)size);
    if (fread(file, 1, (size_t)size, f) != (size_t)size) { fprintf(stderr, "%s: short read\n", path); exit(2); }
    fclose(f);
    file_size = (size_t)size;
    if (memcmp(file, "FLV\x01", 4) != 0 || get_u32(file + 5) != 9) { fprintf(stderr, "%s: not FLV\n", path); exit(2); }
    tags = calloc(file_size / 15 + 1, sizeof *tags);
    size_t off = 13;
    while (off + 15 <= file_size) {
        size_t body = get_u24(file + off + 1);
        if (off + 15 + body > file_size) break;
        tags[ntags].off = off;
        tags[ntags].len = 15 + body;
        tags[ntags].ts = get_u24(file + off + 4) | ((uint32_t)file[off + 7] << 24);
        if (tags[ntags].ts + 40 > file_duration) file_duration = tags[ntags].ts + 40;
        ntags++;
        off += 15 + body;
    }
    if (ntags == 0) { fprintf(stderr, "%s: no tags\n", path); exit(2); }
}

/* ------------------------------------------------------------------------- */
/* Connections                                                               */
/* ------------------------------------------------------------------------- */

enum kind { K_PUB, K_READER, K_SLOW, K_SILENT };

typedef struct {
    int fd;                  /* -1: free */
    enum kind kind;
    int stream;
    int connected;
    uint64_t t_start, t_end, t_next;   /* publishers: t_end = reconnect; slow: t_next = next read */
    /* Output (publishers: request + FLV; players: request). */
    uint8_t *out; size_t out_len, out_off, out_cap;
    /* Publisher position. */
    size_t next_tag; uint32_t loop_base; int sent_head;
    /* Player input parser. */
    char head[HEAD_MAX]; size_t head_len; int head_done, status;
    uint8_t fh[13]; size_t fh_len;
    uint8_t th[11]; size_t th_len;
    size_t body_size, body_len;
    uint8_t pts[4]; size_t pts_len;
    int have_ts; uint32_t last_ts;
    uint64_t bytes, ntags;
} conn;

static conn pubs[MAX_STREAMS];
static conn players[MAX_PLAYERS];
static int ep, port, nstreams = 4, nplayers = 200;
static uint64_t pub_retry_at[MAX_STREAMS];

/* Counters. */
static long c_pub_connects, c_pub_busy, c_pub_reconnects, c_play_joins, c_play_leaves, c_play_404,
            c_play_ended, c_tags, c_bytes, c_connect_errors, c_reset;

static void out_add(conn *c, const void *p, size_t n)
{
    if (c->out_off > 0 && c->out_off == c->out_len) c->out_off = c->out_len = 0;
    if (c->out_len + n > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap : 8192;
        while (cap < c->out_len + n) cap *= 2;
        c->out = realloc(c->out, cap);
        c->out_cap = cap;
    }
    memcpy(c->out + c->out_len, p, n);
    c->out_len += n;
}

static void conn_close(conn *c)
{
    if (c->fd >= 0) {
        epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
    }
    c->fd = -1;
    free(c->out);
    memset(c, 0, sizeof *c);
    c->fd = -1;
}

static void conn_events(conn *c)
{
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.data.ptr = c;
    if (!c->connected || c->out_off < c->out_len) ev.events |= EPOLLOUT;
    if (c->kind == K_READER || c->kind == K_PUB) ev.events |= EPOLLIN;
    if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) != 0) FAIL("epoll_ctl MOD: %s", strerror(errno));
}

static int conn_open(conn *c, enum kind kind, int stream)
{
    memset(c, 0, sizeof *c);
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) { c->fd = -1; c_connect_errors++; return -1; }
    c->kind = kind;
    c->stream = stream;
    c->t_start = now_ms();
    if (kind == K_PUB) {
        int one = 1;
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    if (kind == K_SLOW || kind == K_SILENT) {
        int small = 16 * 1024;   /* keep the kernel from buffering it all */
        setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    }
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(c->fd, (struct sockaddr *)&a, sizeof a) != 0 && errno != EINPROGRESS) {
        c_connect_errors++;
        close(c->fd);
        c->fd = -1;
        return -1;
    }
    char req[256];
    int n = snprintf(req, sizeof req, "%s /live/soak%d.flv HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n",
                     kind == K_PUB ? "POST" : "GET", stream, kind == K_PUB ? "Content-Type: video/x-flv\r\n" : "");
    out_add(c, req, (size_t)n);
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = EPOLLOUT;
    ev.data.ptr = c;
    epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
    return 0;
}

/* Sends what is buffered; 0 on success (or would block), -1 if the socket died. */
static int conn_flush(conn *c)
{
    while (c->out_off < c->out_len) {
        ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
        if (w > 0) { c->out_off += (size_t)w; continue; }
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------- */
/* Publishers                                                                */
/* ------------------------------------------------------------------------- */

static void pub_start(int s)
{
    conn *c = &pubs[s];
    if (conn_open(c, K_PUB, s) != 0) { pub_retry_at[s] = now_ms() + 100; return; }
    c->t_end = c->t_start + 2000 + below(4000);
    out_add(c, file, 13);   /* FLV header + PreviousTagSize0 */
    c_pub_connects++;
}

/* Queues the tags whose time has come (real-time pace). */
static void pub_pace(conn *c, uint64_t now)
{
    if (!c->connected) return;
    uint64_t elapsed = now - c->t_start;
    int queued = 0;
    while (c->out_len - c->out_off < 256 * 1024) {
        const src_tag *t = &tags[c->next_tag];
        uint32_t ts = c->loop_base + t->ts;
        if (ts > elapsed) break;
        uint8_t th[11];
        memcpy(th, file + t->off, 11);
        put_u24(th + 4, ts & 0xFFFFFFu);
        th[7] = (uint8_t)(ts >> 24);
        out_add(c, th, 11);
        out_add(c, file + t->off + 11, t->len - 11);
        queued = 1;
        if (++c->next_tag == ntags) { c->next_tag = 0; c->loop_base += file_duration; }
    }
    if (queued) {
        if (conn_flush(c) != 0) { c_reset++; conn_close(c); return; }
        conn_events(c);
    }
}

/* ------------------------------------------------------------------------- */
/* Players                                                                   */
/* ------------------------------------------------------------------------- */

static void player_start(conn *c)
{
    uint32_t k = below(100);
    enum kind kind = k < 60 ? K_READER : k < 85 ? K_SLOW : K_SILENT;
    if (conn_open(c, kind, (int)below((uint32_t)nstreams)) != 0) return;
    c->t_end = c->t_start + 1000 + below(29000);
    c->t_next = c->t_start + 250 + below(750);
    c_play_joins++;
}

/* Checks the bytes a player received. */
static void player_feed(conn *c, const uint8_t *p, size_t n)
{
    c->bytes += n;
    c_bytes += (long)n;
    while (n > 0 && !c->head_done) {
        if (c->head_len + 1 >= HEAD_MAX) { FAIL("response head over %d bytes", HEAD_MAX); c->head_done = 2; return; }
        c->head[c->head_len++] = (char)*p++;
        n--;
        c->head[c->head_len] = 0;
        if (c->head_len >= 4 && !memcmp(c->head + c->head_len - 4, "\r\n\r\n", 4)) {
            c->head_done = 1;
            if (sscanf(c->head, "HTTP/1.%*d %d", &c->status) != 1) FAIL("bad status line: %.60s", c->head);
        }
    }
    if (c->head_done != 1 || c->status != 200) return;
    while (n > 0) {
        if (c->fh_len < 13) {
            c->fh[c->fh_len++] = *p++; n--;
            if (c->fh_len == 13 && (memcmp(c->fh, "FLV\x01", 4) || (c->fh[4] & ~0x05) ||
                                    get_u32(c->fh + 5) != 9 || get_u32(c->fh + 9) != 0)) {
                FAIL("stream %d: bad FLV header", c->stream);
                c->fh_len = 14;   /* stop checking this one */
            }
        } else if (c->fh_len > 13) {
            return;
        } else if (c->th_len < 11) {
            c->th[c->th_len++] = *p++; n--;
            if (c->th_len == 11) {
                c->body_size = get_u24(c->th + 1);
                c->body_len = c->pts_len = 0;
                if (c->th[0] != 8 && c->th[0] != 9 && c->th[0] != 18) {
                    FAIL("stream %d: FLV tag of type %u after %llu tags", c->stream, c->th[0],
                         (unsigned long long)c->ntags);
                    c->fh_len = 14;
                    return;
                }
                uint32_t ts = get_u24(c->th + 4) | ((uint32_t)c->th[7] << 24);
                if (c->have_ts && ts < c->last_ts)
                    FAIL("stream %d: timestamp went back %u -> %u", c->stream, (unsigned)c->last_ts, (unsigned)ts);
                c->have_ts = 1;
                c->last_ts = ts;
            }
        } else if (c->body_len < c->body_size) {
            size_t k = c->body_size - c->body_len;
            if (k > n) k = n;
            c->body_len += k; p += k; n -= k;
        } else {
            c->pts[c->pts_len++] = *p++; n--;
            if (c->pts_len == 4) {
                if (get_u32(c->pts) != c->body_size + 11) {
                    FAIL("stream %d: PreviousTagSize %u after a tag of %zu", c->stream,
                         (unsigned)get_u32(c->pts), c->body_size);
                    c->fh_len = 14;
                    return;
                }
                c->th_len = 0;
                c->ntags++;
                c_tags++;
            }
        }
    }
}

/* The relay closed a player's connection. */
static void player_closed_by_relay(conn *c)
{
    if (c->head_done == 1 && c->status == 404) {
        c_play_404++;
    } else if (c->head_done == 1 && c->status == 200) {
        c_play_ended++;
        if (c->fh_len != 13 || c->th_len != 0)
            FAIL("stream %d: the relay ended a player's FLV stream mid-tag (%llu tags in)", c->stream,
                 (unsigned long long)c->ntags);
    } else if (c->head_done == 1) {
        FAIL("player got HTTP %d", c->status);
    } else {
        c_reset++;
    }
}

/* Reads what is there; returns -1 once the connection is gone. */
static int player_read(conn *c, size_t max)
{
    uint8_t buf[65536];
    size_t total = 0;
    while (total < max) {
        size_t want = max - total < sizeof buf ? max - total : sizeof buf;
        ssize_t r = recv(c->fd, buf, want, 0);
        if (r > 0) { player_feed(c, buf, (size_t)r); total += (size_t)r; continue; }
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
        player_closed_by_relay(c);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------- */
/* RSS and the main loop                                                     */
/* ------------------------------------------------------------------------- */

static long relay_pid;

static long rss_kb(void)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%ld/status", relay_pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6)) kb = strtol(line + 6, NULL, 10);
    fclose(f);
    return kb;
}

static void handle(conn *c, uint32_t events)
{
    if (c->fd < 0) return;
    if (!c->connected && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err) {
            c_connect_errors++;
            if (c->kind == K_PUB) pub_retry_at[c->stream] = now_ms() + 100;
            conn_close(c);
            return;
        }
        c->connected = 1;
    }
    if (c->connected && (events & EPOLLOUT)) {
        if (conn_flush(c) != 0) {
            if (c->kind == K_PUB) pub_retry_at[c->stream] = now_ms() + 100;
            c_reset++;
            conn_close(c);
            return;
        }
    }
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        if (c->kind == K_PUB) {
            /* A publisher only ever gets a response when the relay refuses
             * it (409) or ends it; either way: start again shortly. */
            char buf[512];
            ssize_t r = recv(c->fd, buf, sizeof buf - 1, 0);
            if (r > 0) {
                buf[r] = 0;
                if (strstr(buf, " 409 ")) c_pub_busy++;
                else if (!strstr(buf, " 200 ")) FAIL("publisher got: %.40s", buf);
            }
            if (r >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
                pub_retry_at[c->stream] = now_ms() + 100;
                conn_close(c);
                return;
            }
        } else if (c->kind == K_READER) {
            if (player_read(c, 1u << 20) != 0) { conn_close(c); return; }
        } else if (events & (EPOLLHUP | EPOLLERR)) {
            /* A slow or silent player the relay gave up on: what is left is
             * checked (slow), then the connection goes. */
            if (c->kind == K_SLOW) while (player_read(c, 1u << 20) == 0) {}
            else c_reset++;
            conn_close(c);
            return;
        }
    }
    if (c->fd >= 0) conn_events(c);
}

static void usage(void)
{
    fprintf(stderr, "usage: soak_client --port PORT --pid RELAY_PID --flv FILE.flv [--seconds N] [--players N] "
                    "[--streams N] [--seed N]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    long seconds = 600;
    const char *flv = NULL;
    rng_state = 1;
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) usage();
        if (!strcmp(argv[i], "--port")) port = atoi(v);
        else if (!strcmp(argv[i], "--pid")) relay_pid = atol(v);
        else if (!strcmp(argv[i], "--flv")) flv = v;
        else if (!strcmp(argv[i], "--seconds")) seconds = atol(v);
        else if (!strcmp(argv[i], "--players")) nplayers = atoi(v);
        else if (!strcmp(argv[i], "--streams")) nstreams = atoi(v);
        else if (!strcmp(argv[i], "--seed")) rng_state = strtoull(v, NULL, 10);
        else usage();
        i++;
    }
    if (port <= 0 || port > 65535 || relay_pid <= 0 || !flv || seconds < 1 || seconds > 86400 ||
        nplayers < 1 || nplayers > MAX_PLAYERS || nstreams < 1 || nstreams > MAX_STREAMS)
        usage();
    signal(SIGPIPE, SIG_IGN);
    load_flv(flv);
    ep = epoll_create1(EPOLL_CLOEXEC);
    for (int s = 0; s < MAX_STREAMS; s++) pubs[s].fd = -1;
    for (int i = 0; i < MAX_PLAYERS; i++) players[i].fd = -1;
    for (int s = 0; s < nstreams; s++) pub_start(s);

    uint64_t t0 = now_ms(), next_minute = t0 + 60000, end = t0 + (uint64_t)seconds * 1000u;
    long rss_at_2 = -1, rss_first = rss_kb(), minute = 0;
    printf("soak_client: %ld s, %d streams, %d players, relay pid %ld, RSS at start %ld kB\n", seconds, nstreams,
           nplayers, relay_pid, rss_first);
    fflush(stdout);
    /* Players join over the first 10 s, not all at once. */
    uint64_t join_gap = 10000u / (uint64_t)nplayers + 1;
    uint64_t next_join = t0;
    int started = 0;
    struct epoll_event evs[256];
    while (failures == 0) {
        uint64_t now = now_ms();
        if (now >= end) break;
        if (rss_kb() < 0) { FAIL("the relay (pid %ld) is gone", relay_pid); break; }
        /* Publishers: pace, reconnect when their time is up or they died. */
        for (int s = 0; s < nstreams; s++) {
            conn *c = &pubs[s];
            if (c->fd >= 0 && now >= c->t_end) {
                conn_close(c);
                c_pub_reconnects++;
                pub_retry_at[s] = now + below(200);
            }
            if (c->fd < 0 && now >= pub_retry_at[s]) pub_start(s);
            if (c->fd >= 0) pub_pace(c, now);
        }
        /* Players: join, leave, slow reads. */
        while (started < nplayers && now >= next_join) {
            player_start(&players[started++]);
            next_join += join_gap;
        }
        for (int i = 0; i < started; i++) {
            conn *c = &players[i];
            if (c->fd < 0) { player_start(c); continue; }
            if (now >= c->t_end) { c_play_leaves++; conn_close(c); player_start(c); continue; }
            if (c->kind == K_SLOW && c->connected && now >= c->t_next) {
                c->t_next = now + 250 + below(750);
                if (player_read(c, 4096) != 0) { conn_close(c); player_start(c); }
            }
        }
        int n = epoll_wait(ep, evs, 256, 10);
        for (int i = 0; i < n; i++) handle(evs[i].data.ptr, evs[i].events);
        /* Minutes. */
        if (now >= next_minute) {
            minute++;
            next_minute += 60000;
            long rss = rss_kb();
            if (minute == 2) rss_at_2 = rss;
            int open = 0;
            for (int i = 0; i < started; i++) open += players[i].fd >= 0;
            printf("soak_client: minute %2ld: relay RSS %6ld kB; players open %d, joined %ld, left %ld, ended by "
                   "the relay %ld, 404 %ld; publishes %ld (409 %ld); %ld tags, %ld MB checked\n",
                   minute, rss, open, c_play_joins, c_play_leaves, c_play_ended, c_play_404, c_pub_connects,
                   c_pub_busy, c_tags, c_bytes >> 20);
            fflush(stdout);
        }
    }
    long rss_end = rss_kb();
    printf("soak_client: end after %llu ms: relay RSS %ld kB (minute 2: %ld kB); %ld tags checked, %ld connect "
           "errors, %ld resets\n",
           (unsigned long long)(now_ms() - t0), rss_end, rss_at_2, c_tags, c_connect_errors, c_reset);
    if (rss_at_2 > 0 && rss_end > rss_at_2 + rss_at_2 / 10)
        FAIL("RSS grew from %ld kB at minute 2 to %ld kB at the end (over 10%%)", rss_at_2, rss_end);
    if (seconds >= 120 && rss_at_2 <= 0) FAIL("no RSS figure at minute 2");
    if (c_tags == 0) FAIL("no player got a tag");
    if (c_pub_connects < 2) FAIL("publishers did not reconnect");
    for (int s = 0; s < nstreams; s++) conn_close(&pubs[s]);
    for (int i = 0; i < nplayers; i++) conn_close(&players[i]);
    free(file);
    free(tags);
    if (failures) {
        printf("soak_client: FAILED (%ld failures)\n", failures);
        return 1;
    }
    printf("soak_client: ok\n");
    return 0;
}
