/*
 * flv_load.c — a small HTTP-FLV load client for flv_relay (loopback only).
 *
 *   flv_load [-n CONNS] [-d SECONDS] [-w WARMUP_SECONDS] [--window SECONDS]
 *            [--stats-key KEY] [--min-ratio R] [--watch-pid PID]
 *            http://127.0.0.1:PORT/APP/STREAM.flv | rtmp://127.0.0.1:PORT/APP/STREAM
 *
 * Opens CONNS (default 100, at most 20000) connections at once, sends one GET
 * on each and reads the FLV byte stream for SECONDS (default 10, at most
 * 3600), on one thread with epoll. Every stream is checked as it arrives:
 * the FLV file header, then for each tag a known type, a body, and a
 * PreviousTagSize that matches, with timestamps that never go back.
 *
 * Throughput is measured in a window, from WARMUP_SECONDS (default 2) after
 * the start to the end, so that connection set-up and the burst of the
 * cached GOP a player gets when it joins do not count. Per connection it
 * reports the FLV bytes and the tag-body bytes received in the window
 * (min / median / max, kbit/s), the reads that returned data per second
 * (median, max: about the server's writes per second, when it writes less
 * often than the client reads) and the total.
 *
 * With --window SECONDS the window is anchored on the connections instead:
 * it starts WARMUP_SECONDS after the last connection got its response head
 * (or failed), lasts SECONDS, and the run ends with it (-d is then only the
 * limit on the whole run, default WARMUP + SECONDS + 60; the run fails if
 * the window does not fit in it).
 *
 * Its own CPU time in the window (getrusage: user and system, as % of one
 * core) is reported too, so that a benchmark can tell whether the client
 * kept up. With --watch-pid PID (the server's), that process's CPU time in
 * the same window (utime and stime of /proc/PID/stat) and its VmRSS and
 * VmHWM at the end of the window (/proc/PID/status) are reported as well.
 *
 * With --stats-key KEY it also reads the stream's bytes_in from the
 * server's /api/streams (livehub_hub_stats_json) at both ends of the window:
 * what the publisher pushed meanwhile, in tag-body bytes, the same unit as
 * the players' body bytes. --min-ratio R (e.g. 0.95) then fails the run if
 * any connection received less than R times that.
 *
 * Exit status 0 when every connection got a 200 and a valid FLV stream for
 * the whole duration (and met --min-ratio), 1 otherwise, 2 on bad usage.
 * The last line is machine-readable: RESULT key=value ...
 *
 * With an rtmp:// URL the connections are RTMP players instead: the simple
 * handshake, then connect(APP), createStream and play(STREAM) sent at once,
 * acknowledgements as the server's window asks; what comes back is checked
 * as a chunk stream (Set Chunk Size applied, known chunk streams only,
 * audio, video and data timestamps each never going back), and the body bytes are
 * the payloads of the audio, video and data messages: the same unit as
 * HTTP-FLV's tag bodies. --stats-key then reads /api/streams over HTTP at
 * --stats-port (the server's HTTP port).
 *
 * Only loopback addresses are accepted: this is a local test tool.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS   20000
#define MAX_SECONDS 3600
#define HEAD_MAX    4096
#define RBUF        (256 * 1024)

enum { C_CONNECTING, C_HEAD, C_BODY, C_DONE };
/* RTMP: C_HEAD is the handshake (S0+S1+S2), C_BODY the chunk stream. */
enum { R_BASIC, R_HEADER, R_PAYLOAD };
#define RTMP_HS 1536
#define RTMP_CSIDS 64

typedef struct {
    uint32_t ts, delta, len, left;     /* left: payload bytes of the message still to come */
    uint8_t type;
    int known, ext;
    uint8_t ctl[8];                    /* the first bytes of a control message */
} rtmp_cs;
enum { P_FILE, P_TAG, P_BODY, P_SIZE };

typedef struct {
    int fd;
    int state;
    int ok;                  /* got "200" */
    int ended_early;         /* server closed before the end */
    int failed;              /* connect/HTTP/socket error */
    char why[80];
    char head[HEAD_MAX];
    size_t head_len;
    /* FLV checker */
    int phase;
    uint8_t hdr[13];
    uint32_t have, body_left, tag_size, last_ts;
    uint64_t tags;
    int flv_error;
    /* counters */
    uint64_t bytes, body_bytes;          /* whole run */
    uint64_t win_bytes, win_body;        /* in the window */
    uint64_t win_reads;                  /* recv() calls that returned data, in the window */
    /* RTMP player */
    rtmp_cs *cs;                         /* RTMP_CSIDS chunk streams */
    int rphase;
    uint8_t rh[18];
    uint32_t rh_have, rh_need, cur, chunk_left, in_chunk, ack_window;
    uint64_t acked;
    uint32_t last_media_ts[3];           /* audio, video, data */
    int media_seen[3];
} conn;

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint32_t be24(const uint8_t *p) { return ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2]; }
static uint32_t be32(const uint8_t *p) { return ((uint32_t)p[0] << 24) | be24(p + 1); }

static void flv_fail(conn *c, const char *why)
{
    if (!c->flv_error) snprintf(c->why, sizeof c->why, "flv: %s after %llu tags", why, (unsigned long long)c->tags);
    c->flv_error = 1;
}

/* Walks the FLV byte stream; returns the tag-body bytes among p[0..n). */
static uint64_t flv_feed(conn *c, const uint8_t *p, size_t n)
{
    uint64_t body = 0;
    size_t i = 0;
    while (i < n && !c->flv_error) {
        switch (c->phase) {
        case P_FILE:
            c->hdr[c->have++] = p[i++];
            if (c->have == 13) {
                if (memcmp(c->hdr, "FLV\x01", 4) != 0 || be32(c->hdr + 5) != 9 || be32(c->hdr + 9) != 0)
                    flv_fail(c, "bad file header");
                c->phase = P_TAG;
                c->have = 0;
            }
            break;
        case P_TAG:
            c->hdr[c->have++] = p[i++];
            if (c->have == 11) {
                uint8_t type = c->hdr[0] & 0x1f;
                uint32_t ts = be24(c->hdr + 4) | ((uint32_t)c->hdr[7] << 24);
                if (type != 8 && type != 9 && type != 18) flv_fail(c, "unknown tag type");
                if (c->tags > 0 && ts < c->last_ts) flv_fail(c, "timestamp went back");
                c->last_ts = ts;
                c->tag_size = be24(c->hdr + 1);
                c->body_left = c->tag_size;
                c->phase = c->body_left ? P_BODY : P_SIZE;
                c->have = 0;
            }
            break;
        case P_BODY: {
            size_t take = n - i < c->body_left ? n - i : c->body_left;
            c->body_left -= (uint32_t)take;
            body += take;
            i += take;
            if (c->body_left == 0) c->phase = P_SIZE;
            break;
        }
        case P_SIZE:
            c->hdr[c->have++] = p[i++];
            if (c->have == 4) {
                if (be32(c->hdr) != c->tag_size + 11) flv_fail(c, "PreviousTagSize mismatch");
                c->tags++;
                c->phase = P_TAG;
                c->have = 0;
            }
            break;
        }
    }
    return body;
}

static void put_be32(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v; }

/* ---- RTMP ---- */

/* AMF0 writers for the three commands a player sends. */
static size_t amf_str(uint8_t *p, const char *s)
{
    size_t n = strlen(s);
    p[0] = 2; p[1] = (uint8_t)(n >> 8); p[2] = (uint8_t)n;
    memcpy(p + 3, s, n);
    return 3 + n;
}
static size_t amf_num(uint8_t *p, double v)
{
    uint64_t b;
    memcpy(&b, &v, 8);
    p[0] = 0;
    for (int i = 0; i < 8; i++) p[1 + i] = (uint8_t)(b >> (56 - 8 * i));
    return 9;
}
static size_t amf_key(uint8_t *p, const char *k)
{
    size_t n = strlen(k);
    p[0] = (uint8_t)(n >> 8); p[1] = (uint8_t)n;
    memcpy(p + 2, k, n);
    return 2 + n;
}

/* One message as chunks of 128 bytes (the client never changes its chunk
 * size) on chunk stream 3; returns the bytes written. */
static size_t rtmp_msg(uint8_t *out, uint8_t type, uint32_t stream_id, const uint8_t *body, size_t len)
{
    size_t o = 0;
    out[o++] = 3;
    out[o++] = 0; out[o++] = 0; out[o++] = 0;
    out[o++] = (uint8_t)(len >> 16); out[o++] = (uint8_t)(len >> 8); out[o++] = (uint8_t)len;
    out[o++] = type;
    out[o++] = (uint8_t)stream_id; out[o++] = (uint8_t)(stream_id >> 8);
    out[o++] = (uint8_t)(stream_id >> 16); out[o++] = (uint8_t)(stream_id >> 24);
    for (size_t i = 0; i < len; i += 128) {
        if (i) out[o++] = 0xC3;
        size_t n = len - i < 128 ? len - i : 128;
        memcpy(out + o, body + i, n);
        o += n;
    }
    return o;
}

/* C2 (the echo of S1), connect, createStream and play, in one buffer. */
static size_t rtmp_requests(uint8_t *out, const uint8_t *s1, const char *app, const char *name,
                            const char *tc_url)
{
    uint8_t b[1024];
    size_t o = 0, n;
    memcpy(out, s1, RTMP_HS);
    o = RTMP_HS;
    n = amf_str(b, "connect");
    n += amf_num(b + n, 1);
    b[n++] = 3;
    n += amf_key(b + n, "app"); n += amf_str(b + n, app);
    n += amf_key(b + n, "flashVer"); n += amf_str(b + n, "LNX 9,0,124,2");
    n += amf_key(b + n, "tcUrl"); n += amf_str(b + n, tc_url);
    n += amf_key(b + n, "fpad"); b[n++] = 1; b[n++] = 0;
    n += amf_key(b + n, "capabilities"); n += amf_num(b + n, 15);
    n += amf_key(b + n, "audioCodecs"); n += amf_num(b + n, 3191);
    n += amf_key(b + n, "videoCodecs"); n += amf_num(b + n, 252);
    n += amf_key(b + n, "videoFunction"); n += amf_num(b + n, 1);
    b[n++] = 0; b[n++] = 0; b[n++] = 9;
    o += rtmp_msg(out + o, 20, 0, b, n);
    n = amf_str(b, "createStream");
    n += amf_num(b + n, 2);
    b[n++] = 5;
    o += rtmp_msg(out + o, 20, 0, b, n);
    n = amf_str(b, "play");
    n += amf_num(b + n, 0);
    b[n++] = 5;
    n += amf_str(b + n, name);
    n += amf_num(b + n, -2000);
    o += rtmp_msg(out + o, 20, 1, b, n);
    return o;
}

static void rtmp_fail(conn *c, const char *why)
{
    if (!c->flv_error) snprintf(c->why, sizeof c->why, "rtmp: %s after %llu messages", why, (unsigned long long)c->tags);
    c->flv_error = 1;
}

/* Bytes of the chunk header whose first byte is b0, before an extended
 * timestamp (one-byte basic headers only: chunk streams 2..63). */
static uint32_t rtmp_header_len(uint8_t b0)
{
    static const uint32_t mh[4] = {11, 7, 3, 0};
    return 1 + mh[b0 >> 6];
}

/* Walks the server's chunk stream; returns the media payload bytes among
 * p[0..n). Sends acknowledgements on fd as the window asks. */
static uint64_t rtmp_feed(conn *c, const uint8_t *p, size_t n)
{
    uint64_t body = 0;
    size_t i = 0;
    while (i < n && !c->flv_error) {
        if (c->rphase == R_BASIC) {
            uint8_t b0 = p[i];
            uint32_t csid = b0 & 0x3f;
            if (csid < 2) { rtmp_fail(c, "chunk stream id over 63"); break; }
            c->cur = csid;
            c->rh_have = 0;
            c->rh_need = rtmp_header_len(b0);
            if ((b0 >> 6) == 3 && !c->cs[csid].known) { rtmp_fail(c, "unknown chunk stream"); break; }
            if ((b0 >> 6) == 3 && c->cs[csid].ext) c->rh_need += 4;
            c->rphase = R_HEADER;
        }
        if (c->rphase == R_HEADER) {
            while (i < n && c->rh_have < c->rh_need) c->rh[c->rh_have++] = p[i++];
            if (c->rh_have < c->rh_need) break;
            uint8_t fmt = c->rh[0] >> 6;
            rtmp_cs *s = &c->cs[c->cur];
            if (fmt < 3) {
                uint32_t t = be24(c->rh + 1);
                uint32_t base = c->rh_need;
                if (t == 0xFFFFFF && c->rh_need == 1 + (fmt == 0 ? 11u : fmt == 1 ? 7u : 3u)) {
                    c->rh_need += 4;           /* the extended timestamp follows */
                    continue;
                }
                if (t == 0xFFFFFF) t = be32(c->rh + base - 4);
                s->ext = be24(c->rh + 1) == 0xFFFFFF;
                if (fmt <= 1) { s->len = be24(c->rh + 4); s->type = c->rh[7]; }
                if (fmt == 0) s->ts = t; else s->ts += t;
                s->delta = t;
                s->known = 1;
                s->left = s->len;
            } else if (s->left == 0) {
                s->ts += s->delta;
                s->left = s->len;
            }
            c->in_chunk = s->left < c->chunk_left ? s->left : c->chunk_left;
            if (s->left == s->len && (s->type == 8 || s->type == 9 || s->type == 18)) {
                /* Per track: a server may interleave audio and video
                 * whose timestamps cross (nginx-rtmp does). */
                int k = s->type == 8 ? 0 : s->type == 9 ? 1 : 2;
                if (c->media_seen[k] && s->ts < c->last_media_ts[k]) { rtmp_fail(c, "timestamp went back"); break; }
                c->last_media_ts[k] = s->ts;
                c->media_seen[k] = 1;
            }
            c->rphase = s->left ? R_PAYLOAD : R_BASIC;
            if (!s->left) c->tags++;
            continue;
        }
        /* R_PAYLOAD */
        rtmp_cs *s = &c->cs[c->cur];
        size_t take = n - i < c->in_chunk ? n - i : c->in_chunk;
        uint32_t off = s->len - s->left;
        for (size_t k = 0; k < take && off + k < sizeof s->ctl; k++) s->ctl[off + k] = p[i + k];
        if (s->type == 8 || s->type == 9 || s->type == 18) body += take;
        s->left -= (uint32_t)take;
        c->in_chunk -= (uint32_t)take;
        i += take;
        if (c->in_chunk == 0) c->rphase = R_BASIC;
        if (s->left == 0) {
            c->tags++;
            if (s->type == 1 && s->len >= 4) {
                uint32_t v = be32(s->ctl) & 0x7fffffff;
                if (v == 0) { rtmp_fail(c, "chunk size 0"); break; }
                c->chunk_left = v;
            } else if (s->type == 5 && s->len >= 4) {
                c->ack_window = be32(s->ctl);
            }
        }
    }
    return body;
}

/* An Acknowledgement when the server's window asks for one. */
static void rtmp_ack(conn *c)
{
    if (!c->ack_window || c->bytes - c->acked < c->ack_window / 2) return;
    c->acked = c->bytes;
    uint8_t m[16] = {2, 0, 0, 0, 0, 0, 4, 3, 0, 0, 0, 0};
    put_be32(m + 12, (uint32_t)(c->bytes + 2 * RTMP_HS + 1));
    if (send(c->fd, m, sizeof m, MSG_NOSIGNAL) != (ssize_t)sizeof m) rtmp_fail(c, "ack not sent");
}

static int loopback_host(const char *host, struct in_addr *out)
{
    if (!strcmp(host, "localhost")) host = "127.0.0.1";
    if (inet_pton(AF_INET, host, out) != 1) return 0;
    return (ntohl(out->s_addr) >> 24) == 127;
}

/* http://HOST:PORT/PATH with HOST in 127.0.0.0/8 or localhost. */
static int parse_url(const char *url, struct sockaddr_in *sa, char *host, size_t host_cap,
                     char *path, size_t path_cap)
{
    size_t skip = !strncmp(url, "http://", 7) ? 7 : !strncmp(url, "rtmp://", 7) ? 7 : 0;
    if (!skip) return 0;
    const char *h = url + skip;
    const char *slash = strchr(h, '/');
    const char *colon = strchr(h, ':');
    if (!slash || !colon || colon > slash || (size_t)(colon - h) >= host_cap) return 0;
    memcpy(host, h, (size_t)(colon - h));
    host[colon - h] = '\0';
    long port = strtol(colon + 1, NULL, 10);
    if (port <= 0 || port > 65535 || strlen(slash) >= path_cap) return 0;
    strcpy(path, slash);
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    return loopback_host(host, &sa->sin_addr);
}

/* A blocking GET of /api/streams (bounded: 5 s, 16 MiB); returns the
 * stream's bytes_in, or -1. */
static long long stats_bytes_in(const struct sockaddr_in *sa, const char *host, const char *key)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct timeval tv = { 5, 0 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    long long result = -1;
    char *buf = NULL;
    if (connect(fd, (const struct sockaddr *)sa, sizeof *sa) == 0) {
        char req[512];
        int n = snprintf(req, sizeof req, "GET /api/streams HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", host);
        size_t cap = 16u << 20, len = 0;
        buf = malloc(cap + 1);
        if (buf && n > 0 && send(fd, req, (size_t)n, MSG_NOSIGNAL) == n) {
            for (int i = 0; i < 100000 && len < cap; i++) {
                ssize_t r = recv(fd, buf + len, cap - len, 0);
                if (r <= 0) break;
                len += (size_t)r;
            }
            buf[len] = '\0';
            char pattern[512];
            snprintf(pattern, sizeof pattern, "\"key\":\"%s\"", key);
            char *at = strstr(buf, pattern);
            char *field = at ? strstr(at, "\"bytes_in\":") : NULL;
            if (field) result = strtoll(field + 11, NULL, 10);
        }
    }
    free(buf);
    close(fd);
    return result;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void usage(void)
{
    fprintf(stderr, "usage: flv_load [-n CONNS] [-d SECONDS] [-w WARMUP_SECONDS] [--window SECONDS]\n"
                    "                [--stats-key KEY] [--stats-port HTTP_PORT] [--min-ratio R] [--watch-pid PID]\n"
                    "                http://127.0.0.1:PORT/APP/STREAM.flv | rtmp://127.0.0.1:PORT/APP/STREAM\n");
    exit(2);
}

/* utime and stime of process `pid` in clock ticks (/proc/PID/stat), or 0. */
static int proc_cpu_ticks(long pid, unsigned long long *user, unsigned long long *sys)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = '\0';
    /* Fields after the command name, which is in parentheses and may hold
     * anything: state is field 3, utime 14, stime 15. */
    char *p = strrchr(buf, ')');
    if (!p) return 0;
    return sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", user, sys) == 2;
}

/* A "Name:   N kB" field of /proc/PID/status, in kB, or -1. */
static long proc_status_kb(long pid, const char *name)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%ld/status", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    long kb = -1;
    size_t n = strlen(name);
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, name, n) && line[n] == ':') { kb = strtol(line + n + 1, NULL, 10); break; }
    }
    fclose(f);
    return kb;
}

/* User and system CPU time of this process so far, in microseconds. */
static void cpu_us(uint64_t *user, uint64_t *sys)
{
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    getrusage(RUSAGE_SELF, &ru);
    *user = (uint64_t)ru.ru_utime.tv_sec * 1000000u + (uint64_t)ru.ru_utime.tv_usec;
    *sys = (uint64_t)ru.ru_stime.tv_sec * 1000000u + (uint64_t)ru.ru_stime.tv_usec;
}

static void conn_fail(conn *c, const char *why)
{
    if (!c->failed && !c->ended_early) snprintf(c->why, sizeof c->why, "%s", why);
    c->failed = 1;
    c->state = C_DONE;
}

int main(int argc, char **argv)
{
    long n = 100;
    double seconds = -1, warmup = 2, window = 0, min_ratio = 0;
    const char *url = NULL, *stats_key = NULL;
    long watch_pid = 0, stats_port = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-n") && v) { n = strtol(v, NULL, 10); i++; }
        else if (!strcmp(a, "-d") && v) { seconds = strtod(v, NULL); i++; }
        else if (!strcmp(a, "-w") && v) { warmup = strtod(v, NULL); i++; }
        else if (!strcmp(a, "--window") && v) { window = strtod(v, NULL); i++; if (!(window > 0)) usage(); }
        else if (!strcmp(a, "--stats-key") && v) { stats_key = v; i++; }
        else if (!strcmp(a, "--stats-port") && v) { stats_port = strtol(v, NULL, 10); i++; if (stats_port <= 0 || stats_port > 65535) usage(); }
        else if (!strcmp(a, "--min-ratio") && v) { min_ratio = strtod(v, NULL); i++; }
        else if (!strcmp(a, "--watch-pid") && v) { watch_pid = strtol(v, NULL, 10); i++; if (watch_pid <= 0) usage(); }
        else if (a[0] != '-' && !url) url = a;
        else usage();
    }
    if (seconds < 0) seconds = window > 0 ? warmup + window + 60 : 10;
    if (!url || n < 1 || n > MAX_CONNS || !(seconds > 0) || seconds > MAX_SECONDS || warmup < 0 ||
        (window > 0 ? warmup + window >= seconds : warmup >= seconds) || min_ratio < 0 || min_ratio > 1)
        usage();
    struct sockaddr_in sa;
    char host[64], path[1024];
    if (!parse_url(url, &sa, host, sizeof host, path, sizeof path)) {
        fprintf(stderr, "flv_load: want http:// or rtmp://127.x.x.x:PORT/PATH (loopback only): %s\n", url);
        return 2;
    }
    int rtmp = !strncmp(url, "rtmp://", 7);
    /* /api/streams: the server's HTTP port (for RTMP, --stats-port). */
    struct sockaddr_in stats_sa = sa;
    if (stats_port) stats_sa.sin_port = htons((uint16_t)stats_port);
    char app[512] = "", name[512] = "", tc_url[1100] = "";
    if (rtmp) {
        const char *last = strrchr(path, '/');
        if (last == path || !last[1]) {
            fprintf(stderr, "flv_load: want rtmp://HOST:PORT/APP/STREAM: %s\n", url);
            return 2;
        }
        snprintf(app, sizeof app, "%.*s", (int)(last - path - 1), path + 1);
        snprintf(name, sizeof name, "%s", last + 1);
        snprintf(tc_url, sizeof tc_url, "rtmp://%s:%u/%s", host, (unsigned)ntohs(sa.sin_port), app);
    }
    static uint8_t c0c1[1 + RTMP_HS], rtmp_out[RTMP_HS + 2048];
    c0c1[0] = 3;
    for (size_t i = 9; i < sizeof c0c1; i++) c0c1[i] = (uint8_t)(i * 131u + 7u);
    setvbuf(stdout, NULL, _IOLBF, 0);

    /* One descriptor per connection, plus a few. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)n + 64) {
        rl.rlim_cur = (rlim_t)n + 64 < rl.rlim_max ? (rlim_t)n + 64 : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        if (rl.rlim_cur < (rlim_t)n + 16) {
            fprintf(stderr, "flv_load: RLIMIT_NOFILE is %llu, too low for %ld connections (ulimit -n)\n",
                    (unsigned long long)rl.rlim_cur, n);
            return 1;
        }
    }

    char req[1400];
    int req_len = snprintf(req, sizeof req,
                           "GET %s HTTP/1.1\r\nHost: %s:%u\r\nUser-Agent: flv_load\r\nConnection: close\r\n\r\n",
                           path, host, (unsigned)ntohs(sa.sin_port));
    conn *conns = calloc((size_t)n, sizeof *conns);
    uint8_t *rbuf = malloc(RBUF);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (!conns || !rbuf || ep < 0) { perror("flv_load"); return 1; }

    if (window > 0)
        printf("flv_load: %ld connections to %s; measuring %.0f s from %.0f s after the last one is answered\n",
               n, url, window, warmup);
    else
        printf("flv_load: %ld connections to %s for %.0f s (measuring from %.0f s)\n", n, url, seconds, warmup);
    uint64_t t0 = now_us();
    uint64_t t_win = t0 + (uint64_t)(warmup * 1e6), t_end = t0 + (uint64_t)(seconds * 1e6);
    uint64_t t_limit = t_end;            /* --window: the run may not go past -d */
    long settled = 0;                    /* connections answered or failed */
    uint64_t t_settled = 0;
    int window_late = 0;
    if (window > 0) t_win = t_end = UINT64_MAX;
    for (long i = 0; i < n; i++) {
        conn *c = &conns[i];
        c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (c->fd < 0) { conn_fail(c, strerror(errno)); continue; }
        int rc = connect(c->fd, (struct sockaddr *)&sa, sizeof sa);
        if (rc < 0 && errno != EINPROGRESS) { conn_fail(c, strerror(errno)); continue; }
        struct epoll_event ev;
        memset(&ev, 0, sizeof ev);
        ev.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP;
        ev.data.ptr = c;
        epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
        c->state = C_CONNECTING;
    }

    long long stats0 = -1, stats1 = -1;
    uint64_t stats0_at = 0, stats1_at = 0;
    uint64_t cpu_u0 = 0, cpu_s0 = 0, cpu_u1 = 0, cpu_s1 = 0, cpu_t0 = 0, cpu_t1 = 0;
    unsigned long long w_u0 = 0, w_s0 = 0, w_u1 = 0, w_s1 = 0;
    int watch_ok = watch_pid > 0;
    long watch_rss = -1, watch_hwm = -1;
    int in_window = 0;
    struct epoll_event evs[512];
    for (uint64_t now = now_us(); now < t_end; now = now_us()) {
        if (window > 0 && t_win == UINT64_MAX) {
            /* Settled: every connection answered (200 or not) or failed. */
            settled = 0;
            for (long i = 0; i < n; i++) settled += conns[i].state != C_CONNECTING && conns[i].state != C_HEAD;
            if (settled == n) {
                t_settled = now;
                t_win = now + (uint64_t)(warmup * 1e6);
                t_end = t_win + (uint64_t)(window * 1e6);
                if (t_end > t_limit) { window_late = 1; break; }
            } else if (now >= t_limit) {
                window_late = 1;
                break;
            }
        }
        if (!in_window && now >= t_win) {
            in_window = 1;
            if (stats_key) { stats0 = stats_bytes_in(&stats_sa, host, stats_key); stats0_at = now_us(); }
            cpu_us(&cpu_u0, &cpu_s0);
            if (watch_ok) watch_ok = proc_cpu_ticks(watch_pid, &w_u0, &w_s0);
            cpu_t0 = now_us();
        }
        uint64_t next = in_window ? t_end : t_win;
        if (next == UINT64_MAX) next = now + 100000;
        int timeout_ms = (int)((next - now) / 1000) + 1;
        if (timeout_ms > 100) timeout_ms = 100;
        int k = epoll_wait(ep, evs, 512, timeout_ms);
        if (k < 0 && errno != EINTR) { perror("epoll_wait"); return 1; }
        uint64_t t = now_us();
        int counting = t >= t_win && t < t_end;
        for (int e = 0; e < k; e++) {
            conn *c = evs[e].data.ptr;
            if (c->state == C_DONE) continue;
            if (c->state == C_CONNECTING) {
                int err = 0;
                socklen_t len = sizeof err;
                getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
                if (err) { conn_fail(c, strerror(err)); epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL); continue; }
                if (!(evs[e].events & EPOLLOUT)) continue;
                if (rtmp) {
                    c->cs = calloc(RTMP_CSIDS, sizeof *c->cs);
                    c->chunk_left = 128;
                }
                const void *hello = rtmp ? (const void *)c0c1 : (const void *)req;
                ssize_t hello_len = rtmp ? (ssize_t)sizeof c0c1 : (ssize_t)req_len;
                if ((rtmp && !c->cs) || send(c->fd, hello, (size_t)hello_len, MSG_NOSIGNAL) != hello_len) {
                    conn_fail(c, "request not sent");
                    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                    continue;
                }
                struct epoll_event ev;
                memset(&ev, 0, sizeof ev);
                ev.events = EPOLLIN | EPOLLRDHUP;
                ev.data.ptr = c;
                epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
                c->state = C_HEAD;
                continue;
            }
            ssize_t r = recv(c->fd, rbuf, RBUF, 0);
            if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
            if (r <= 0) {
                if (r == 0 && c->state == C_BODY) {
                    c->ended_early = 1;
                    snprintf(c->why, sizeof c->why, "server closed after %llu bytes", (unsigned long long)c->bytes);
                    c->state = C_DONE;
                } else {
                    conn_fail(c, r == 0 ? "closed before the response" : strerror(errno));
                }
                epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                continue;
            }
            const uint8_t *p = rbuf;
            size_t len = (size_t)r;
            if (c->state == C_HEAD && rtmp) {
                /* S0+S1+S2, then C2 and the three commands at once. */
                size_t take = len < 1 + 2 * RTMP_HS - c->head_len ? len : 1 + 2 * RTMP_HS - c->head_len;
                memcpy(c->head + c->head_len, p, take);
                c->head_len += take;
                p += take;
                len -= take;
                if (c->head_len < 1 + 2 * RTMP_HS) continue;
                if (c->head[0] != 3) { conn_fail(c, "not an RTMP server"); epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL); continue; }
                size_t m = rtmp_requests(rtmp_out, (const uint8_t *)c->head + 1, app, name, tc_url);
                if (send(c->fd, rtmp_out, m, MSG_NOSIGNAL) != (ssize_t)m) {
                    conn_fail(c, "requests not sent");
                    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                    continue;
                }
                c->ok = 1;
                c->state = C_BODY;
            } else if (c->state == C_HEAD) {
                size_t take = len < HEAD_MAX - 1 - c->head_len ? len : HEAD_MAX - 1 - c->head_len;
                memcpy(c->head + c->head_len, p, take);
                c->head_len += take;
                c->head[c->head_len] = '\0';
                char *end = strstr(c->head, "\r\n\r\n");
                if (!end) {
                    if (c->head_len == HEAD_MAX - 1) { conn_fail(c, "response head too large"); epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL); }
                    continue;
                }
                size_t head_total = (size_t)(end + 4 - c->head);
                if (strncmp(c->head, "HTTP/1.1 200", 12) != 0 && strncmp(c->head, "HTTP/1.0 200", 12) != 0) {
                    char why[64];
                    snprintf(why, sizeof why, "status %.12s", c->head);
                    conn_fail(c, why);
                    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                    continue;
                }
                c->ok = 1;
                c->state = C_BODY;
                /* What followed the head in this read is body. */
                size_t consumed = head_total - (c->head_len - take);
                p += consumed;
                len -= consumed;
            }
            c->bytes += len;
            uint64_t body = rtmp ? rtmp_feed(c, p, len) : flv_feed(c, p, len);
            if (rtmp) rtmp_ack(c);
            c->body_bytes += body;
            if (counting) { c->win_bytes += len; c->win_body += body; c->win_reads++; }
        }
    }
    cpu_us(&cpu_u1, &cpu_s1);
    if (watch_ok && in_window) {
        watch_ok = proc_cpu_ticks(watch_pid, &w_u1, &w_s1);
        watch_rss = proc_status_kb(watch_pid, "VmRSS");
        watch_hwm = proc_status_kb(watch_pid, "VmHWM");
    }
    cpu_t1 = now_us();
    if (stats_key && in_window) { stats1 = stats_bytes_in(&stats_sa, host, stats_key); stats1_at = now_us(); }
    uint64_t t_stop = now_us();
    for (long i = 0; i < n; i++) {
        if (conns[i].fd >= 0) close(conns[i].fd);
        free(conns[i].cs);
    }
    close(ep);

    /* Report. */
    if (window_late) {
        printf("flv_load: the window did not fit in %.0f s (%ld of %ld connections answered)\n", seconds, settled, n);
        t_win = t_end = now_us();
    }
    double win_s = (double)(t_end - t_win) / 1e6;
    if (!(win_s > 0)) win_s = 1e-6;
    double *kbps = malloc((size_t)n * sizeof *kbps), *body_kbps = malloc((size_t)n * sizeof *body_kbps);
    double *rps = malloc((size_t)n * sizeof *rps);
    if (!kbps || !body_kbps || !rps) { perror("flv_load"); return 1; }
    long ok = 0, failed = 0, early = 0, flv_bad = 0, counted = 0;
    uint64_t total = 0, min_win_body = UINT64_MAX;
    for (long i = 0; i < n; i++) {
        conn *c = &conns[i];
        total += c->bytes;
        if (c->flv_error) flv_bad++;
        if (c->failed) failed++;
        else if (c->ended_early) early++;
        else if (c->ok && !c->flv_error) ok++;
        if (c->ok) {
            kbps[counted] = (double)c->win_bytes * 8 / win_s / 1000;
            body_kbps[counted] = (double)c->win_body * 8 / win_s / 1000;
            rps[counted] = (double)c->win_reads / win_s;
            counted++;
        }
        if (c->win_body < min_win_body) min_win_body = c->win_body;
    }
    int shown = 0;
    for (long i = 0; i < n && shown < 5; i++) {
        if (conns[i].why[0]) { printf("flv_load: connection %ld: %s\n", i, conns[i].why); shown++; }
    }
    qsort(kbps, (size_t)counted, sizeof *kbps, cmp_double);
    qsort(body_kbps, (size_t)counted, sizeof *body_kbps, cmp_double);
    qsort(rps, (size_t)counted, sizeof *rps, cmp_double);
    double rps_med = counted ? rps[counted / 2] : 0, rps_max = counted ? rps[counted - 1] : 0;
    double kmin = counted ? kbps[0] : 0, kmed = counted ? kbps[counted / 2] : 0, kmax = counted ? kbps[counted - 1] : 0;
    double bmin = counted ? body_kbps[0] : 0, bmed = counted ? body_kbps[counted / 2] : 0,
           bmax = counted ? body_kbps[counted - 1] : 0;
    double run_s = (double)(t_stop - t0) / 1e6;
    printf("flv_load: %ld ok, %ld failed, %ld ended early, %ld with %s errors\n", ok, failed, early, flv_bad,
           rtmp ? "RTMP" : "FLV");
    printf("flv_load: per connection, %.0f s window, FLV bytes: min %.1f  median %.1f  max %.1f kbit/s\n",
           win_s, kmin, kmed, kmax);
    printf("flv_load: per connection, %.0f s window, tag bodies: min %.1f  median %.1f  max %.1f kbit/s\n",
           win_s, bmin, bmed, bmax);
    printf("flv_load: per connection, reads that returned data: median %.1f, max %.1f per second\n", rps_med, rps_max);
    printf("flv_load: total %.1f MiB in %.1f s: %.1f Mbit/s\n", (double)total / 1048576.0, run_s,
           (double)total * 8 / run_s / 1e6);
    double cpu_wall = cpu_t1 > cpu_t0 && cpu_t0 ? (double)(cpu_t1 - cpu_t0) : 0;
    double cpu_user_pct = cpu_wall > 0 ? 100.0 * (double)(cpu_u1 - cpu_u0) / cpu_wall : -1;
    double cpu_sys_pct = cpu_wall > 0 ? 100.0 * (double)(cpu_s1 - cpu_s0) / cpu_wall : -1;
    double connect_s = t_settled ? (double)(t_settled - t0) / 1e6 : -1;
    if (cpu_wall > 0)
        printf("flv_load: own CPU in the window: user %.1f%%, sys %.1f%% of one core\n", cpu_user_pct, cpu_sys_pct);
    double w_user_pct = -1, w_sys_pct = -1;
    long hz = sysconf(_SC_CLK_TCK);
    if (watch_pid > 0) {
        if (watch_ok && in_window && cpu_wall > 0 && hz > 0 && watch_rss >= 0) {
            w_user_pct = 100.0 * (double)(w_u1 - w_u0) / (double)hz / (cpu_wall / 1e6);
            w_sys_pct = 100.0 * (double)(w_s1 - w_s0) / (double)hz / (cpu_wall / 1e6);
            printf("flv_load: pid %ld in the window: user %.1f%%, sys %.1f%% of one core; VmRSS %.1f MB, VmHWM %.1f MB\n",
                   watch_pid, w_user_pct, w_sys_pct, (double)watch_rss / 1024, (double)watch_hwm / 1024);
        } else {
            printf("flv_load: could not read /proc/%ld in the window (gone?)\n", watch_pid);
            watch_ok = 0;
        }
    }
    /* Window throughput of all connections together (what the relay sent). */
    uint64_t win_total = 0;
    for (long i = 0; i < n; i++) win_total += conns[i].win_bytes;
    double win_mbps = (double)win_total * 8 / win_s / 1e6;

    int pass = ok == n && !window_late && (watch_pid == 0 || watch_ok);
    double stream_kbps = -1, ratio = -1;
    if (stats_key) {
        if (stats0 < 0 || stats1 < stats0 || stats1_at <= stats0_at) {
            printf("flv_load: could not read bytes_in of %s from /api/streams\n", stats_key);
            pass = 0;
        } else {
            uint64_t pushed = (uint64_t)(stats1 - stats0);
            stream_kbps = (double)pushed * 8 / ((double)(stats1_at - stats0_at) / 1e6) / 1000;
            ratio = pushed ? (double)min_win_body / (double)pushed : 0;
            printf("flv_load: the publisher pushed %llu body bytes in the window (%.1f kbit/s); "
                   "the slowest connection received %.1f%% of them\n",
                   (unsigned long long)pushed, stream_kbps, ratio * 100);
            if (min_ratio > 0 && ratio < min_ratio) {
                printf("flv_load: below the required %.0f%%\n", min_ratio * 100);
                pass = 0;
            }
        }
    }
    printf("RESULT conns=%ld ok=%ld failed=%ld ended_early=%ld flv_errors=%ld min_kbps=%.1f median_kbps=%.1f "
           "max_kbps=%.1f body_min_kbps=%.1f body_median_kbps=%.1f body_max_kbps=%.1f stream_kbps=%.1f "
           "min_ratio=%.4f total_mbps=%.2f window_mbps=%.2f window_s=%.1f connect_s=%.2f "
           "cpu_user_pct=%.1f cpu_sys_pct=%.1f watch_user_pct=%.2f watch_sys_pct=%.2f watch_rss_kb=%ld "
           "watch_hwm_kb=%ld reads_per_s_median=%.2f reads_per_s_max=%.2f\n",
           n, ok, failed, early, flv_bad, kmin, kmed, kmax, bmin, bmed, bmax, stream_kbps, ratio,
           (double)total * 8 / run_s / 1e6, win_mbps, win_s, connect_s, cpu_user_pct, cpu_sys_pct,
           w_user_pct, w_sys_pct, watch_rss, watch_hwm, rps_med, rps_max);
    free(kbps);
    free(body_kbps);
    free(rps);
    free(conns);
    free(rbuf);
    return pass ? 0 : 1;
}
