/*
 * flv_server_min.c — the smallest useful HTTP-FLV live server on livehub:
 * one thread, one epoll set, one file to read at one sitting.
 *
 *   flv_server_min [--http ADDR:PORT]      (default 127.0.0.1:8080; port 0
 *                                           picks one, printed at startup)
 *   publish: ffmpeg -re -i in.flv -c copy -f flv http://HOST:PORT/live/x.flv
 *            (a POST or PUT of an FLV body: chunked, Content-Length or until
 *            close; 409 if the stream already has a publisher)
 *   play:    ffplay http://HOST:PORT/live/x.flv   (GET; 404 if unknown)
 *
 * What livehub does here: the hub owns the streams; a publisher's body bytes
 * go to livehub_publisher_push_flv() in whatever pieces the socket gives;
 * each player is a livehub_player whose livehub_player_read_iov() returns
 * the HTTP-FLV byte stream as iovecs into livehub's shared storage, written
 * with one writev() and never copied per player. When a read finds nothing
 * new it arms the player's notify callback, which livehub calls once when
 * the publisher pushes more. On one thread the callback runs inside our own
 * push_flv or tick call, so all it does is put the connection on a ready
 * list that the loop works through after each epoll batch. The callback's
 * registration holds a reference to the connection, which livehub gives
 * back through a release function when the player is released. push_flv's
 * result code alone says what to do with a publisher: LIVEHUB_ERR_FLV (one
 * tag dropped) carry on, LIVEHUB_ERR_FLV_REJECTED (not FLV) close.
 *
 * Kept out for brevity (see c_examples/flv_relay/ for all of it): threads,
 * merged writes, HEAD/OPTIONS, stats, static files, raw TCP ingest. A
 * request head must come within 10 s; a player that takes no byte for 30 s
 * is closed. One request per connection; every response closes it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "livehub.h"

#define HEAD_MAX    4096       /* request head; longer gets closed */
#define IOV_CAP     256        /* iovecs per read_iov / writev */
#define HEAD_TIMEOUT_S 10      /* to send a complete request head */
#define STALL_TIMEOUT_S 30     /* a player that takes no byte of its batch */
#define MAX_FDS     4096       /* connections, by descriptor */

enum { REQ, PUB, PLAY };
enum { CH_SIZE, CH_LINE, CH_DATA, CH_CRLF, CH_END };    /* chunked decoder */

typedef struct conn {
    int fd, state;
    time_t since;              /* accepted; for a player: last write progress */
    char head[HEAD_MAX + 1];
    size_t head_len;
    livehub_publisher *pub;    /* PUB: ours until released (= unpublish) */
    int64_t left;              /* PUB: Content-Length still to come, -1 none */
    int chunked, ch, digits;   /* PUB: chunked body and its decoder state */
    uint64_t ch_left;
    livehub_player *pl;        /* PLAY: ours until released */
    livehub_iovec iov[IOV_CAP];/* PLAY: the batch being written */
    size_t iov_n, iov_i;
    int refs;                  /* open + on the ready list + the notify registration */
    int ready, dead;           /* on the ready list; closed */
    struct conn *next_ready;
} conn;

static livehub_hub *hub;
static int epfd;
static conn *ready_head;
static conn *conns[MAX_FDS];   /* the open connections, for the tick */
static volatile sig_atomic_t stopping;

static void on_signal(int sig) { (void)sig; stopping = 1; }

/* A connection is freed when its last reference goes: its own (until
 * closed), the ready list's, and the one livehub holds for the notify
 * callback (given back through on_release). */
static void conn_unref(conn *c)
{
    if (--c->refs == 0) free(c);
}

static void ready_push(conn *c)
{
    if (c->ready) return;
    c->ready = 1;
    c->refs++;
    c->next_ready = ready_head;
    ready_head = c;
}

/* livehub calls this once per arming, on our thread (inside push_flv or
 * tick), after releasing its locks: just queue the player. */
static void on_notify(void *userdata) { ready_push(userdata); }

/* ... and this once, when the registration ends (we release the player). */
static void on_release(void *userdata) { conn_unref(userdata); }

static void conn_close(conn *c)
{
    livehub_player_release(c->pl);      /* ends the registration: on_release(c) */
    livehub_publisher_release(c->pub);  /* the unpublish; NULL is a no-op */
    c->pl = NULL;
    c->pub = NULL;
    conns[c->fd] = NULL;
    close(c->fd);                       /* also leaves the epoll set */
    c->dead = 1;
    conn_unref(c);                      /* its own reference */
}

/* A short complete response; the connection is closed after it. */
static void respond(conn *c, const char *status)
{
    char buf[256];
    int n = snprintf(buf, sizeof buf, "HTTP/1.1 %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", status);
    if (send(c->fd, buf, (size_t)n, MSG_NOSIGNAL) < 0) { /* the client is gone: nothing to do */ }
    conn_close(c);
}

/* Writes a player: the rest of the current batch, then new batches from
 * livehub until it has nothing more (AGAIN: armed) or the socket is full
 * (EPOLLOUT brings us back). The iovecs stay valid until our next call on
 * this player, so we read again only once a batch is fully written. */
static void play_pump(conn *c)
{
    for (int turn = 0; turn < 16; turn++) {
        if (c->iov_i == c->iov_n) {
            size_t n = 0;
            livehub_result r = livehub_player_read_iov(c->pl, c->iov, IOV_CAP, &n);
            if (r == LIVEHUB_AGAIN) return;             /* on_notify brings us back */
            if (r != LIVEHUB_OK) { conn_close(c); return; }   /* EOF: the stream ended */
            c->iov_n = n;
            c->iov_i = 0;
        }
        ssize_t w = writev(c->fd, (struct iovec *)(c->iov + c->iov_i), (int)(c->iov_n - c->iov_i));
        if (w < 0 && (errno == EAGAIN || errno == EINTR)) return;
        if (w < 0) { conn_close(c); return; }
        c->since = time(NULL);
        for (size_t left = (size_t)w; left > 0;) {     /* advance past what went out */
            livehub_iovec *v = &c->iov[c->iov_i];
            size_t k = left < v->iov_len ? left : v->iov_len;
            v->iov_base = (char *)v->iov_base + k;
            v->iov_len -= k;
            left -= k;
            if (v->iov_len == 0) c->iov_i++;
        }
    }
    ready_push(c);                                      /* more: after the others */
}

static void start_play(conn *c, const char *key)
{
    livehub_stream *s = NULL;
    if (livehub_hub_find(hub, key, &s) != LIVEHUB_OK) { respond(c, "404 Not Found"); return; }
    livehub_result r = livehub_stream_play(s, NULL, &c->pl);   /* joins at the latest keyframe */
    livehub_stream_release(s);                                 /* the player holds its own */
    if (r != LIVEHUB_OK) { respond(c, "404 Not Found"); return; }
    static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Type: video/x-flv\r\n"
                             "Access-Control-Allow-Origin: *\r\nConnection: close\r\n\r\n";
    if (send(c->fd, ok, sizeof ok - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof ok - 1)) { conn_close(c); return; }
    c->refs++;                                                  /* livehub's, until on_release */
    if (livehub_player_set_notify_with_release(c->pl, on_notify, c, on_release) != LIVEHUB_OK) {
        c->refs--;
        conn_close(c);
        return;
    }
    c->state = PLAY;
    play_pump(c);
}

/* Body bytes to livehub. Returns 0 if the connection was closed. */
static int push(conn *c, const uint8_t *p, size_t n)
{
    if (n == 0) return 1;
    livehub_result r = livehub_publisher_push_flv(c->pub, p, n);  /* notifies players */
    if (r == LIVEHUB_OK || r == LIVEHUB_ERR_FLV) return 1;       /* ERR_FLV: one tag dropped, go on */
    respond(c, r == LIVEHUB_ERR_FLV_REJECTED ? "400 Bad Request"  /* not FLV: the byte stream is dead */
                                             : "410 Gone");       /* the stream was closed */
    return 0;
}

/* Decodes a chunked body in place (the data moves to the front of p) and
 * pushes it. Returns 0 if the connection was closed (end of body or bad). */
static int push_chunked(conn *c, uint8_t *p, size_t n)
{
    size_t out = 0;
    for (size_t i = 0; i < n && c->ch != CH_END;) {
        uint8_t b = p[i];
        int hex = b >= '0' && b <= '9' ? b - '0' : (b | 0x20) >= 'a' && (b | 0x20) <= 'f' ? (b | 0x20) - 'a' + 10 : -1;
        if (c->ch == CH_SIZE && hex >= 0) {
            if (++c->digits > 15) { respond(c, "400 Bad Request"); return 0; }
            c->ch_left = c->ch_left * 16 + (uint64_t)hex;
            i++;
        } else if (c->ch == CH_SIZE) {                  /* end of the digits */
            if (c->digits == 0) { respond(c, "400 Bad Request"); return 0; }
            c->ch = CH_LINE;
        } else if (c->ch == CH_LINE || c->ch == CH_CRLF) {  /* skip to the LF */
            if (p[i++] != '\n') continue;
            if (c->ch == CH_CRLF) c->ch = CH_SIZE;
            else { c->digits = 0; c->ch = c->ch_left ? CH_DATA : CH_END; }
        } else {                                        /* CH_DATA */
            size_t take = c->ch_left < n - i ? (size_t)c->ch_left : n - i;
            memmove(p + out, p + i, take);
            out += take;
            i += take;
            if ((c->ch_left -= take) == 0) c->ch = CH_CRLF;
        }
    }
    if (!push(c, p, out)) return 0;
    if (c->ch == CH_END) { respond(c, "200 OK"); return 0; }  /* trailers are not read */
    return 1;
}

static int body(conn *c, uint8_t *p, size_t n)
{
    if (c->chunked) return push_chunked(c, p, n);
    if (c->left < 0) return push(c, p, n);              /* until the client closes */
    size_t take = (uint64_t)c->left < n ? (size_t)c->left : n;
    if (!push(c, p, take)) return 0;
    if ((c->left -= (int64_t)take) == 0) { respond(c, "200 OK"); return 0; }
    return 1;
}

static void pub_read(conn *c)
{
    uint8_t buf[65536];
    for (int i = 0; i < 16; i++) {
        ssize_t n = read(c->fd, buf, sizeof buf);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
        if (n <= 0) { conn_close(c); return; }          /* publisher gone: unpublish */
        if (!body(c, buf, (size_t)n)) return;
    }
    ready_push(c);                                      /* more may be waiting */
}

static void start_publish(conn *c, const char *key, size_t head_len)
{
    livehub_stream *s = NULL;
    livehub_result r = livehub_hub_stream(hub, key, &s);       /* get or create */
    if (r == LIVEHUB_OK) {
        r = livehub_stream_publish(s, &c->pub);                /* BUSY if taken */
        livehub_stream_release(s);
    }
    if (r == LIVEHUB_ERR_BUSY) { respond(c, "409 Conflict"); return; }
    if (r != LIVEHUB_OK) { respond(c, "503 Service Unavailable"); return; }
    c->state = PUB;
    if (!body(c, (uint8_t *)c->head + head_len, c->head_len - head_len)) return;
    pub_read(c);
}

/* Reads the request head; then routes /KEY.flv: GET plays, POST/PUT publishes. */
static void req_read(conn *c)
{
    ssize_t n = read(c->fd, c->head + c->head_len, HEAD_MAX - c->head_len);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n <= 0) { conn_close(c); return; }
    c->head_len += (size_t)n;
    c->head[c->head_len] = '\0';
    char *end = strstr(c->head, "\r\n\r\n");
    if (!end) {
        if (strlen(c->head) != c->head_len) respond(c, "400 Bad Request");   /* a NUL byte */
        else if (c->head_len == HEAD_MAX) respond(c, "431 Request Header Fields Too Large");
        else ready_push(c);                             /* edge-triggered: read on */
        return;
    }
    *end = '\0';
    size_t head_len = (size_t)(end - c->head) + 4;
    char method[8], path[300];
    if (sscanf(c->head, "%7s %299s HTTP/1.", method, path) != 2) { respond(c, "400 Bad Request"); return; }
    char *q = strchr(path, '?');
    if (q) *q = '\0';
    size_t len = strlen(path);
    if (len < 6 || path[0] != '/' || strcmp(path + len - 4, ".flv") != 0 || strstr(path, "..")) {
        respond(c, "404 Not Found");
        return;
    }
    path[len - 4] = '\0';                               /* the key: "app/stream" */
    c->left = -1;
    for (char *h = strchr(c->head, '\n'); h; h = strchr(h + 1, '\n')) {
        if (!strncasecmp(h + 1, "Transfer-Encoding:", 18) && strstr(h, "chunked")) c->chunked = 1;
        if (!strncasecmp(h + 1, "Content-Length:", 15)) c->left = strtoll(h + 16, NULL, 10);
    }
    if (c->left < -1) c->left = -1;
    if (!strcmp(method, "GET")) start_play(c, path + 1);
    else if (!strcmp(method, "POST") || !strcmp(method, "PUT")) start_publish(c, path + 1, head_len);
    else respond(c, "405 Method Not Allowed");
}

static void conn_run(conn *c)
{
    if (c->state == REQ) req_read(c);
    else if (c->state == PUB) pub_read(c);
    else play_pump(c);
}

static int listen_on(const char *spec)
{
    struct sockaddr_in sa = { .sin_family = AF_INET };
    char host[64];
    unsigned port;
    if (sscanf(spec, "%63[^:]:%u", host, &port) != 2 || port > 65535 || inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        fprintf(stderr, "flv_server_min: bad address '%s' (want IPV4:PORT)\n", spec);
        exit(2);
    }
    sa.sin_port = htons((uint16_t)port);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    socklen_t sl = sizeof sa;
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, SOMAXCONN) < 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &sl) < 0) {
        fprintf(stderr, "flv_server_min: listen %s: %s\n", spec, strerror(errno));
        exit(1);
    }
    printf("flv_server_min: listening http %s:%u\n", host, (unsigned)ntohs(sa.sin_port));
    return fd;
}

int main(int argc, char **argv)
{
    const char *spec = argc == 3 && !strcmp(argv[1], "--http") ? argv[2] : "127.0.0.1:8080";
    if (argc != 1 && argc != 3) { fprintf(stderr, "usage: flv_server_min [--http ADDR:PORT]\n"); return 2; }
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    if (livehub_hub_new(NULL, &hub) != LIVEHUB_OK) return 1;   /* default policies */
    int lfd = listen_on(spec);
    epfd = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };  /* NULL: the listener */
    epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &ev);
    time_t last_tick = time(NULL);
    printf("flv_server_min: ready\n");
    while (!stopping) {
        struct epoll_event evs[64];
        int n = epoll_wait(epfd, evs, 64, ready_head ? 0 : 1000);
        for (int i = 0; i < n; i++) {
            conn *c = evs[i].data.ptr;
            if (c) { if (!c->dead) conn_run(c); continue; }
            int fd;
            while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
                if (fd >= MAX_FDS) { close(fd); continue; }
                c = calloc(1, sizeof *c);
                if (!c) { close(fd); continue; }
                c->refs = 1;
                c->fd = fd;
                c->since = time(NULL);
                conns[fd] = c;
                struct epoll_event cev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = c };
                epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &cev);
            }
        }
        /* The ready list: players with news, connections with more to do.
         * Taken whole: what is queued meanwhile waits for the next turn. */
        conn *list = ready_head;
        ready_head = NULL;
        while (list) {
            conn *c = list;
            list = c->next_ready;
            c->ready = 0;
            if (!c->dead) conn_run(c);
            conn_unref(c);                              /* the list's reference */
        }
        if (time(NULL) != last_tick) {                  /* about once a second */
            last_tick = time(NULL);
            livehub_hub_tick(hub);                      /* policies: republish wait, idle... */
            for (int fd = 0; fd < MAX_FDS; fd++) {
                conn *c = conns[fd];
                if (c && c->state == REQ && last_tick - c->since > HEAD_TIMEOUT_S) conn_close(c);
                else if (c && c->state == PLAY && c->iov_i < c->iov_n && last_tick - c->since > STALL_TIMEOUT_S)
                    conn_close(c);                      /* it stopped reading */
            }
        }
    }
    for (int fd = 0; fd < MAX_FDS; fd++)
        if (conns[fd]) conn_close(conns[fd]);
    for (conn *c = ready_head; c;) { conn *next = c->next_ready; conn_unref(c); c = next; }
    livehub_hub_release(hub);
    close(lfd);
    close(epfd);
    printf("flv_server_min: stopped\n");
    return 0;
}
