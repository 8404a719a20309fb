/*
 * flv_hostile.c — hostile HTTP clients for testing flv_relay (loopback only).
 *
 *   flv_hostile [--slowloris N] [--oversized N] [--chunked N] [--garbage N]
 *               [--stalled N] [--play PATH] [-d SECONDS] http://127.0.0.1:PORT
 *
 * Keeps, for SECONDS (default 30, at most 600), on one thread with epoll:
 *   --slowloris N  N connections that send a request head one byte per
 *                  second and never finish it; reopened when the server
 *                  closes one. The server must close each within 20 s.
 *   --oversized N  N connections in turn sending a 10 KiB URL, a 16 KiB
 *                  header value or 100 header lines: each must get 431.
 *   --chunked N    N chunked POSTs in turn with a chunk size of 20 hex
 *                  digits, a negative size, data not followed by CRLF or a
 *                  5,000-byte chunk extension (each must get 400), or a
 *                  2^60-byte chunk of FLV header + garbage, cut (400 or a
 *                  close without response).
 *   --garbage N    N publishers in turn: a valid FLV header, then 256 KiB of
 *                  pseudo-random bytes (Content-Length): 200, 400 or a close.
 *   --stalled N    N players of PATH (default /live/demo.flv) with a 4 KiB
 *                  receive buffer that never read a byte.
 * Each publishing connection has a stream key of its own (never 409).
 * Every finished connection (but the stalled ones) is opened again 200 ms
 * later, so the pressure lasts the whole run. Prints per kind what was
 * opened and how each ended, then a machine-readable RESULT line; exits 1
 * when the server answered anything but what is expected above (or did not
 * close a slowloris connection in time), 2 on bad usage.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SLOTS     20000
#define SLOW_DEADLINE 20.0             /* s: a slowloris connection must be closed by then */
#define REOPEN_S      0.2

enum kind { K_SLOW, K_BIG, K_CHUNK, K_GARBAGE, K_STALL, K_COUNT };
static const char *kind_name[K_COUNT] = { "slowloris", "oversized", "chunked", "garbage", "stalled" };
enum { O_200, O_400, O_403, O_409, O_431, O_OTHER, O_CLOSED, O_COUNT };
static const char *outcome_name[O_COUNT] = { "200", "400", "403", "409", "431", "other", "closed" };

typedef struct {
    int kind, variant, fd, connected;
    double t_open, t_reopen;           /* t_reopen > 0: closed, reopen then */
    const char *out;                   /* request bytes (not for slowloris) */
    size_t out_len, out_off;
    char resp[16];
    size_t resp_len;
    size_t slow_sent;
} slot;

static slot slots[MAX_SLOTS];
static size_t nslots;
static int epfd;
static struct sockaddr_in server;
static char play_path[256] = "/live/demo.flv";
static uint64_t opened[K_COUNT], outcomes[K_COUNT][O_COUNT], wrong[K_COUNT];
static double slow_max_life, slow_min_life = 1e9;
static uint64_t slow_late;             /* still open after SLOW_DEADLINE */

/* The requests, built once (variants per kind). */
static char *big_req[3], *chunk_req[5], *garbage_req;
static size_t big_len[3], chunk_len[5], garbage_len;
static const char slow_req[] = "GET /live/demo.flv HTTP/1.1\r\nHost: x\r\nX-Slow: ";

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *build(size_t *len, const char *head, char fill, size_t nfill, const char *tail, size_t tail_len)
{
    size_t hl = strlen(head);
    char *p = malloc(hl + nfill + tail_len + 1);
    if (!p) { perror("malloc"); exit(1); }
    memcpy(p, head, hl);
    memset(p + hl, fill, nfill);
    memcpy(p + hl + nfill, tail, tail_len);
    *len = hl + nfill + tail_len;
    return p;
}

static void build_requests(void)
{
    big_req[0] = build(&big_len[0], "GET /", 'a', 10000, ".flv HTTP/1.1\r\n\r\n", 17);
    big_req[1] = build(&big_len[1], "GET /live/demo.flv HTTP/1.1\r\nX-Big: ", 'b', 16384, "\r\n\r\n", 4);
    char lines[2000] = "GET /live/demo.flv HTTP/1.1\r\n";
    for (int i = 0; i < 100; i++) strcat(lines, "X-N: v\r\n");
    big_req[2] = build(&big_len[2], lines, 0, 0, "\r\n", 2);
    static const char ch[] = "POST /live/hostile.flv HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
    chunk_req[0] = build(&chunk_len[0], ch, 'F', 20, "\r\n", 2);
    chunk_req[1] = build(&chunk_len[1], ch, 0, 0, "-5\r\n", 4);
    chunk_req[2] = build(&chunk_len[2], ch, 0, 0, "5\r\nFLV\x01\x05XX\r\n", 12);
    chunk_req[3] = build(&chunk_len[3], "POST /live/hostile.flv HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1;", 'e', 5000, "\r\n", 2);
    /* A 2^60 - 1 byte chunk: FLV header, then garbage, then the client cuts. */
    static uint8_t junk[13 + 32768];
    memcpy(junk, "FLV\x01\x05\x00\x00\x00\x09\x00\x00\x00\x00", 13);
    uint32_t x = 12345;
    for (size_t i = 13; i < sizeof junk; i++) { x ^= x << 13; x ^= x >> 17; x ^= x << 5; junk[i] = (uint8_t)x; }
    char head4[128];
    snprintf(head4, sizeof head4, "%sFFFFFFFFFFFFFFF\r\n", ch);
    chunk_req[4] = build(&chunk_len[4], head4, 0, 0, (const char *)junk, sizeof junk);
    static uint8_t gbody[13 + 262144];
    memcpy(gbody, junk, 13);
    for (size_t i = 13; i < sizeof gbody; i++) { x ^= x << 13; x ^= x >> 17; x ^= x << 5; gbody[i] = (uint8_t)x; }
    char ghead[160];
    snprintf(ghead, sizeof ghead, "POST /live/garbage.flv HTTP/1.1\r\nContent-Length: %zu\r\n\r\n", sizeof gbody);
    garbage_req = build(&garbage_len, ghead, 0, 0, (const char *)gbody, sizeof gbody);
}

/* The expected answers: 1 if outcome o is fine for s. */
static int expected(const slot *s, int o)
{
    switch (s->kind) {
    case K_SLOW: return o == O_CLOSED;
    case K_BIG: return o == O_431;
    case K_CHUNK: return s->variant == 4 ? (o == O_400 || o == O_CLOSED) : o == O_400;
    case K_GARBAGE: return o == O_200 || o == O_400 || o == O_CLOSED;
    default: return 1;
    }
}

static void slot_open(slot *s, double now)
{
    s->t_reopen = 0;
    s->connected = 0;
    s->out_off = s->resp_len = s->slow_sent = 0;
    s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s->fd < 0) { perror("socket"); exit(1); }
    if (s->kind == K_STALL) {
        int small = 4096;
        setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    }
    if (connect(s->fd, (struct sockaddr *)&server, sizeof server) < 0 && errno != EINPROGRESS) {
        perror("connect");
        exit(1);
    }
    struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = s };
    if (s->kind == K_STALL) ev.events = EPOLLOUT | EPOLLET;   /* never reads */
    epoll_ctl(epfd, EPOLL_CTL_ADD, s->fd, &ev);
    s->t_open = now;
    opened[s->kind]++;
}

static void slot_end(slot *s, int outcome, double now)
{
    close(s->fd);
    s->fd = -1;
    outcomes[s->kind][outcome]++;
    if (!expected(s, outcome)) {
        if (wrong[s->kind]++ < 3)
            fprintf(stderr, "flv_hostile: %s variant %d: unexpected %s\n", kind_name[s->kind], s->variant,
                    outcome_name[outcome]);
    }
    if (s->kind == K_SLOW) {
        double life = now - s->t_open;
        if (life > slow_max_life) slow_max_life = life;
        if (life < slow_min_life) slow_min_life = life;
    }
    s->t_reopen = now + REOPEN_S;
}

/* Reads what the server sent; ends the slot at the status line or EOF. */
static void slot_read(slot *s, double now)
{
    char buf[65536];
    for (int i = 0; i < 64; i++) {
        ssize_t n = recv(s->fd, buf, sizeof buf, 0);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
        if (n <= 0) {
            int o = O_CLOSED;
            if (s->resp_len >= 12) {
                int code = atoi(s->resp + 9);
                o = code == 200 ? O_200 : code == 400 ? O_400 : code == 403 ? O_403 : code == 409 ? O_409
                  : code == 431 ? O_431 : O_OTHER;
            }
            slot_end(s, o, now);
            return;
        }
        size_t take = (size_t)n < sizeof s->resp - 1 - s->resp_len ? (size_t)n : sizeof s->resp - 1 - s->resp_len;
        memcpy(s->resp + s->resp_len, buf, take);
        s->resp_len += take;
        s->resp[s->resp_len] = '\0';
    }
}

static void slot_write(slot *s, double now)
{
    if (!s->connected) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err) { slot_end(s, O_CLOSED, now); return; }
        s->connected = 1;
    }
    if (s->kind == K_SLOW) return;             /* its bytes go out on the timer */
    while (s->out_off < s->out_len) {
        ssize_t n = send(s->fd, s->out + s->out_off, s->out_len - s->out_off, MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
        if (n < 0) { slot_read(s, now); if (s->fd >= 0) slot_end(s, O_CLOSED, now); return; }
        s->out_off += (size_t)n;
    }
    if (s->kind == K_CHUNK && s->variant == 4) shutdown(s->fd, SHUT_WR);   /* cut mid-chunk */
}

static void slow_tick(double now)
{
    for (size_t i = 0; i < nslots; i++) {
        slot *s = &slots[i];
        if (s->kind != K_SLOW || s->fd < 0 || !s->connected) continue;
        if (now - s->t_open > SLOW_DEADLINE) { slow_late++; slot_end(s, O_OTHER, now); continue; }
        char b = s->slow_sent < sizeof slow_req - 1 ? slow_req[s->slow_sent] : 'a';
        ssize_t n = send(s->fd, &b, 1, MSG_NOSIGNAL);
        if (n == 1) s->slow_sent++;
        else if (n < 0 && errno != EAGAIN) { slot_read(s, now); if (s->fd >= 0) slot_end(s, O_CLOSED, now); }
    }
}

/* A copy of req[0..len) whose stream key names slot i: "/live/XXXXXXX.flv"
 * (7 characters) becomes "/live/<c>NNNNNN.flv", the same length. */
static char *own_key(const char *req, size_t len, char c, size_t i)
{
    char *p = malloc(len);
    if (!p) { perror("malloc"); exit(1); }
    memcpy(p, req, len);
    char name[8];
    snprintf(name, sizeof name, "%c%06zu", c, i % 1000000);
    memcpy(p + strlen("POST /live/"), name, 7);
    return p;
}

static void add_slots(int kind, long n)
{
    for (long i = 0; i < n && nslots < MAX_SLOTS; i++) {
        slot *s = &slots[nslots++];
        s->kind = kind;
        s->fd = -1;
        if (kind == K_BIG) { s->variant = (int)(i % 3); s->out = big_req[s->variant]; s->out_len = big_len[s->variant]; }
        if (kind == K_CHUNK) {
            s->variant = (int)(i % 5);
            s->out_len = chunk_len[s->variant];
            s->out = own_key(chunk_req[s->variant], s->out_len, 'h', (size_t)i);
        }
        if (kind == K_GARBAGE) { s->out_len = garbage_len; s->out = own_key(garbage_req, garbage_len, 'g', (size_t)i); }
    }
}

int main(int argc, char **argv)
{
    long n[K_COUNT] = { 0 }, seconds = 30;
    const char *url = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int k = -1;
        if (!strcmp(a, "--slowloris")) k = K_SLOW;
        else if (!strcmp(a, "--oversized")) k = K_BIG;
        else if (!strcmp(a, "--chunked")) k = K_CHUNK;
        else if (!strcmp(a, "--garbage")) k = K_GARBAGE;
        else if (!strcmp(a, "--stalled")) k = K_STALL;
        if (k >= 0 && v) { n[k] = strtol(v, NULL, 10); i++; }
        else if (!strcmp(a, "-d") && v) { seconds = strtol(v, NULL, 10); i++; }
        else if (!strcmp(a, "--play") && v && v[0] == '/' && strlen(v) < sizeof play_path) { snprintf(play_path, sizeof play_path, "%s", v); i++; }
        else if (!url && !strncmp(a, "http://", 7)) url = a;
        else { fprintf(stderr, "usage: flv_hostile [--slowloris N] [--oversized N] [--chunked N] [--garbage N] [--stalled N] [--play PATH] [-d SECONDS] http://127.0.0.1:PORT\n"); return 2; }
    }
    char host[64];
    unsigned port = 0;
    if (!url || sscanf(url, "http://%63[^:]:%u", host, &port) != 2 || port == 0 || port > 65535 ||
        inet_pton(AF_INET, host, &server.sin_addr) != 1 || (ntohl(server.sin_addr.s_addr) >> 24) != 127) {
        fprintf(stderr, "flv_hostile: want http://127.x.y.z:PORT (loopback only)\n");
        return 2;
    }
    server.sin_family = AF_INET;
    server.sin_port = htons((uint16_t)port);
    if (seconds < 1 || seconds > 600) { fprintf(stderr, "flv_hostile: -d must be 1..600\n"); return 2; }
    build_requests();
    static char stall_req[512];
    snprintf(stall_req, sizeof stall_req, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", play_path);

    epfd = epoll_create1(EPOLL_CLOEXEC);
    for (int k = 0; k < K_COUNT; k++) add_slots(k, n[k]);
    double t0 = now_s(), end = t0 + (double)seconds, next_slow = t0 + 1;
    for (size_t i = 0; i < nslots; i++) {
        if (slots[i].kind == K_STALL) { slots[i].out = stall_req; slots[i].out_len = strlen(stall_req); }
        slot_open(&slots[i], t0);
    }
    for (double now = t0; now < end; now = now_s()) {
        struct epoll_event evs[256];
        int ne = epoll_wait(epfd, evs, 256, 50);
        now = now_s();
        for (int i = 0; i < ne; i++) {
            slot *s = evs[i].data.ptr;
            if (s->fd < 0) continue;
            if (evs[i].events & EPOLLOUT) slot_write(s, now);
            if (s->fd >= 0 && (evs[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) slot_read(s, now);
        }
        if (now >= next_slow) { slow_tick(now); next_slow += 1; }
        for (size_t i = 0; i < nslots; i++)
            if (slots[i].fd < 0 && slots[i].t_reopen > 0 && now >= slots[i].t_reopen && now + 1 < end)
                slot_open(&slots[i], now);
    }
    uint64_t total_wrong = 0;          /* slow_late are among wrong[K_SLOW] */
    for (int k = 0; k < K_COUNT; k++) {
        if (!n[k]) continue;
        total_wrong += wrong[k];
        printf("%-9s %5ld at once, %6llu opened:", kind_name[k], n[k], (unsigned long long)opened[k]);
        for (int o = 0; o < O_COUNT; o++)
            if (outcomes[k][o]) printf(" %s=%llu", outcome_name[o], (unsigned long long)outcomes[k][o]);
        if (k == K_SLOW && outcomes[k][O_CLOSED])
            printf(" (closed by the server after %.1f..%.1f s)", slow_min_life, slow_max_life);
        printf("%s\n", wrong[k] ? "  UNEXPECTED" : "");
    }
    if (slow_late) printf("slowloris: %llu connections still open after %.0f s\n", (unsigned long long)slow_late, SLOW_DEADLINE);
    printf("RESULT unexpected=%llu slow_closed=%llu slow_max_s=%.1f oversized=%llu chunked=%llu garbage=%llu\n",
           (unsigned long long)total_wrong, (unsigned long long)outcomes[K_SLOW][O_CLOSED], slow_max_life,
           (unsigned long long)opened[K_BIG], (unsigned long long)opened[K_CHUNK], (unsigned long long)opened[K_GARBAGE]);
    return total_wrong ? 1 : 0;
}
