/*
 * flv_relay.c — a real HTTP-FLV live server built on livehub.
 *
 * One C file, using only livehub.h, libc and pthreads: epoll event loops,
 * non-blocking sockets, and writev() straight from the iovecs that
 * livehub_player_read_iov() returns (tag bodies are never copied per player),
 * with each player's writes merged: one writev() every --merge-ms.
 *
 *   flv_relay [--http ADDR:PORT] [--tcp-ingest ADDR:PORT] [--threads N]
 *             [--demo FILE.flv] [--wait-ms N] [--merge-ms N] [--web DIR] [-v]
 *
 *   --http ADDR:PORT        HTTP listener (default 127.0.0.1:8080; port 0
 *                           picks a free port, printed at startup)
 *   --tcp-ingest ADDR:PORT  also accept raw FLV publishers over plain TCP
 *   --threads N             N event-loop threads (default 1, at most 64)
 *   --demo FILE.flv         publish FILE in a loop, at real-time pace, as
 *                           live/demo (timestamps continue across loops)
 *   --wait-ms N             a player of an unknown stream waits up to N ms
 *                           for a publisher instead of getting 404 at once
 *   --merge-ms N            write each player's socket at most every N ms,
 *                           everything pending in one writev() (default 350,
 *                           at most 1000); 0: write as soon as a tag is there
 *   --web DIR               where index.html and node_modules/ are (default:
 *                           web/ found next to or above the binary)
 *   -v                      log every player and livehub's INFO messages
 *
 * HTTP (one request per connection; every response has Connection: close):
 *
 *   POST or PUT /APP/STREAM.flv   publish: the body is an FLV byte stream,
 *       chunked, with Content-Length, or until the client closes — what
 *       `ffmpeg -re -i in.flv -c copy -f flv http://HOST:PORT/live/x.flv`
 *       sends (a chunked POST). 409 if the stream already has a publisher;
 *       200 once the body ended. Closing the connection is the unpublish.
 *   GET /APP/STREAM.flv           play: 200, Content-Type: video/x-flv,
 *       Access-Control-Allow-Origin: *, Connection: close, then the live FLV
 *       byte stream until the stream ends (no chunked encoding). The status
 *       line goes out with the first bytes of the stream: 404 if the stream
 *       is unknown (or, with --wait-ms, if no publisher came in time, or the
 *       stream ended before sending anything).
 *   HEAD /APP/STREAM.flv          the same headers (200 or 404), no body.
 *   GET /api/streams              livehub_hub_stats_json() (docs/stats.md).
 *   GET /                         the demo page, web/index.html
 *   GET /mpegts.js                web/node_modules/mpegts.js/dist/mpegts.js
 *
 * Raw TCP ingest (--tcp-ingest), for `ffmpeg ... -f flv tcp://HOST:PORT`:
 * the connection carries an FLV byte stream. It may start with one line
 * `KEY app/stream\n` naming the stream; without it the stream is live/tcp.
 * (The first byte decides: 'K' starts a KEY line, an FLV stream starts with
 * 'F'.) e.g. { printf 'KEY live/cam1\n'; ffmpeg ... -f flv -; } | nc HOST PORT
 * Closing the connection is the unpublish. A busy stream closes it at once.
 *
 * Stream keys come from the path without the leading '/' and the ".flv"
 * suffix (query strings are ignored): letters, digits, '.', '_', '-', '~'
 * and '/' between non-empty segments, at most 255 bytes.
 *
 * THREADS AND WAKE-UPS
 *   Loop 0 owns the listeners, accepts, and hands each new connection to
 *   the loops in turn, so a publisher and its players usually live on
 *   different threads. A connection is only ever touched by its own loop.
 *   A player's notify callback runs on the thread of whoever changed the
 *   stream (a publisher's loop, the demo thread, a tick on any loop), after
 *   livehub released its locks; all it does is queue the connection on its
 *   owner loop (under that loop's mutex). No livehub call is ever made while
 *   holding a loop mutex: the callback takes that mutex, and
 *   livehub_player_release() waits for a running callback to finish.
 *
 *   Merged writes (--merge-ms N > 0, the default): each loop has one timer,
 *   which fires every N ms; there is no timer per player. The callback puts
 *   the player on the loop's flush list and does not wake the loop. At each
 *   firing the loop takes every player on that list and, for each, one
 *   livehub_player_read_iov() into the loop's array of IOV_BATCH iovecs —
 *   all the tags that came since the last firing — and one writev() of it.
 *   A player whose read returned data stays on the list for the next firing
 *   (whether or not that read also armed its callback: a second queueing is
 *   a no-op); one whose read returned LIVEHUB_AGAIN leaves it until its
 *   callback puts it back; the end of the stream is seen at the next firing
 *   at the latest. So a player's socket is written about 1000/N times a second,
 *   whatever the tag rate. Joins are not merged: a new player's first batch
 *   (the response head, metadata, sequence headers and the cached GOP) goes
 *   out at once, and until then its callback wakes the loop (prompt).
 *   The timer also runs the tick work (livehub_hub_tick, timeouts) every
 *   TICK_MS, or at each firing when N is longer.
 *
 *   --merge-ms 0: the callback puts the player on the loop's ready list and
 *   writes the loop's eventfd when the list was empty; the loop then reads
 *   the player up to LIVEHUB_AGAIN, one writev() per read: about one write
 *   per tag per player.
 *
 * SLOW CLIENTS
 *   A player reads from livehub only when its socket took the whole previous
 *   batch. What a partial writev() left is kept in the connection (the
 *   iovecs only, copied out of the loop's array; they point into livehub's
 *   storage, valid until the next call on that player) and goes out on the
 *   next EPOLLOUT; with merging, the player then waits for the next firing
 *   for new data. Nothing else is buffered per player; a client that falls
 *   behind is skipped forward to a keyframe by livehub (max_lag_ms) and one
 *   that stops reading is closed.
 *
 * SIGINT or SIGTERM: stop accepting, release every livehub handle, exit 0.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* accept4, eventfd, timerfd: also given as -D_GNU_SOURCE */
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "livehub.h"

/* livehub_iovec is documented to have the layout of struct iovec: check it
 * here once, so that the casts below are sound on this platform. */
typedef char livehub_iovec_matches_struct_iovec
    [(sizeof(livehub_iovec) == sizeof(struct iovec) &&
      offsetof(livehub_iovec, iov_base) == offsetof(struct iovec, iov_base) &&
      offsetof(livehub_iovec, iov_len) == offsetof(struct iovec, iov_len)) ? 1 : -1];

/* ------------------------------------------------------------------------- */
/* Limits                                                                    */
/* ------------------------------------------------------------------------- */

#define MAX_LOOPS          64
/* iovecs per read_iov batch: writev() takes at most IOV_MAX (1024 on Linux) */
#if defined(IOV_MAX) && IOV_MAX < 1024
#define IOV_BATCH          IOV_MAX
#else
#define IOV_BATCH          1024
#endif
#define MERGE_MS_DEFAULT   350         /* --merge-ms */
#define MERGE_MS_MAX       1000
#define REQ_MAX            8192        /* request head */
#define READ_CHUNK         65536       /* ingest read size */
#define READS_PER_TURN     16          /* ingest reads before yielding to others */
#define BATCHES_PER_TURN   16          /* player batches before yielding */
#define READY_PER_TURN     65536       /* ready-list entries per loop turn */
#define ACCEPTS_PER_TURN   256
#define TICK_MS            200         /* livehub_hub_tick() and timeouts */
#define REQUEST_TIMEOUT_MS 10000       /* to send a complete request head */
#define INGEST_IDLE_MS     60000       /* a publisher socket silent this long */
#define WRITE_STALL_MS     40000       /* a client that takes no byte this long */
#define LINGER_MS          2000        /* after a response, for the client's EOF */
#define MAX_STATIC_BYTES   (16u << 20)
#define MAX_KEY            255
#define MAX_CONSECUTIVE_FLV_ERRORS 64
#define DEMO_KEY           "live/demo"
#define TCP_DEFAULT_KEY    "live/tcp"

/* ------------------------------------------------------------------------- */
/* Small helpers                                                             */
/* ------------------------------------------------------------------------- */

static int g_verbose = 0;

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* One line to stdout per call (stdio locks the stream per call, so lines of
 * different threads do not mix). stderr is kept for fatal errors only. */
static void say(const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    size_t n = strlen(line);
    while (n > 0 && line[n - 1] == '\n') line[--n] = '\0';
    printf("flv_relay: %s\n", line);
}

static void die(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "flv_relay: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n, size);
    if (!p) die("out of memory");
    return p;
}

/* livehub's log messages (bad input, policies acting, stream life) go to
 * stdout. The callback may run on any thread that calls into livehub, with
 * no livehub lock held. */
static void on_livehub_log(void *userdata, uint32_t level, const char *message)
{
    static const char *names[] = { "off", "error", "warn", "info", "debug" };
    (void)userdata;
    printf("livehub[%s]: %s\n", level < 5 ? names[level] : "?", message);
}

/* ------------------------------------------------------------------------- */
/* Types                                                                     */
/* ------------------------------------------------------------------------- */

/* What an epoll event's data.ptr points at: the first member of each. */
enum src_kind { SRC_CONN, SRC_WAKE, SRC_TIMER, SRC_LISTEN_HTTP, SRC_LISTEN_TCP };
typedef struct { int kind; } evsrc;

enum conn_state {
    ST_REQUEST,   /* reading the HTTP request head */
    ST_TCP_KEY,   /* raw TCP ingest: the optional "KEY app/stream\n" line */
    ST_INGEST,    /* a publisher: body bytes go to livehub_publisher_push_flv */
    ST_PLAY,      /* a player: response head with the first data, then FLV */
    ST_RESPOND,   /* sending a complete response from `out` */
    ST_LINGER     /* response sent and write side shut: await the client's EOF */
};

enum body_mode { BODY_UNTIL_CLOSE, BODY_LENGTH, BODY_CHUNKED };
enum chunk_state { CH_SIZE, CH_EXT, CH_SIZE_LF, CH_DATA, CH_DATA_CR, CH_DATA_LF, CH_TRAILER, CH_DONE };

typedef struct loop loop;
typedef struct conn conn;

struct conn {
    evsrc src;                   /* SRC_CONN; must stay first */
    loop *loop;                  /* the owner; never changes */

    /* Ready-list and flush-list links and flags: the only fields other
     * threads touch, and only under loop->mu (see on_player_notify). */
    conn *rnext, *rprev;
    int in_ready;
    conn *fnext, *fprev;         /* the loop's flush list (--merge-ms > 0) */
    int in_flush;
    int prompt;                  /* a player before its first bytes: its
                                    notify wakes the loop at once */

    /* Everything below belongs to the owner loop's thread. */
    conn *next, *prev;           /* the loop's list of connections */
    int dead;                    /* closed; freed at the end of the loop turn */
    int fd;
    int state;
    uint64_t since_ms;           /* state entered, or last progress */
    char peer[64];
    char key[MAX_KEY + 1];

    char *req;                   /* request head (ST_REQUEST), REQ_MAX bytes */
    size_t req_len;

    char *out;                   /* a response, or a player's response head */
    size_t out_len, out_off;

    /* Player. `player` is ours until livehub_player_release(). A batch is
     * read into the loop's iovec array and written at once; if the socket
     * takes only part of it, `rest[rest_i..rest_n)` (allocated then, freed
     * once written) keeps what is left: it points into livehub's memory,
     * valid until our next call on this player, so we make no such call
     * before the batch is fully written. */
    livehub_player *player;
    int head_sent;
    int armed;                   /* the last read returned LIVEHUB_AGAIN */
    uint64_t deadline_ms;        /* --wait-ms: 404 if nothing came by then */
    livehub_iovec *rest;
    size_t rest_n, rest_i;
    uint64_t bytes_out;

    /* Publisher. `pub` is ours until livehub_publisher_release(), which is
     * the unpublish. */
    livehub_publisher *pub;
    int http_ingest;             /* respond at the end of the body */
    int body_mode;
    uint64_t body_left;          /* BODY_LENGTH */
    int chunk_state;
    uint64_t chunk_left;
    int chunk_digits;
    size_t trailer_line;
    uint8_t sig[4];              /* the first bytes, checked for "FLV\x01" */
    size_t sig_have;
    uint64_t bytes_in;
    uint32_t flv_errors, flv_errors_in_row;
    char keyline[MAX_KEY + 8];   /* ST_TCP_KEY */
    size_t keyline_len;
};

typedef struct {
    int fd;
    int tcp_ingest;
    char peer[64];
} handoff;

struct loop {
    int id;
    pthread_t thread;
    int epfd, wakefd, timerfd;
    evsrc src_wake, src_timer, src_http, src_tcp;

    /* Shared with other threads, guarded by mu. */
    pthread_mutex_t mu;
    conn *ready_head, *ready_tail;
    conn *flush_head, *flush_tail;   /* players to write at the next timer firing */
    size_t flush_len;
    handoff *inbox;
    size_t inbox_len, inbox_cap;
    int stop;

    /* Owned by the loop's thread. */
    int quit;
    conn *conns;
    size_t nconns;
    conn *dead;                  /* closed this turn: an epoll batch may still name them */
    int accept_paused;
    uint64_t next_tick_ms;       /* the tick work's own cadence (TICK_MS) */
    livehub_iovec *iov;          /* IOV_BATCH entries: the batch being written */
    uint8_t *rbuf;
    char *json;
    size_t json_cap;
};

/* The demo publisher: a thread that pushes the tags of an FLV file at
 * real-time pace, looping with continuous timestamps. */
typedef struct {
    uint8_t type;
    uint32_t ts;
    size_t off, size;            /* body, in the file buffer */
    int first_loop_only;         /* metadata and sequence headers */
} demo_tag;

typedef struct {
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
} demo;

static struct {
    livehub_hub *hub;            /* main's reference: released last */
    int nloops;
    loop *loops[MAX_LOOPS];
    int http_fd, tcp_fd;         /* listeners, polled by loop 0 */
    unsigned rr;                 /* round-robin cursor (loop 0 only) */
    uint32_t wait_ms;
    uint32_t merge_ms;           /* --merge-ms; 0: write as soon as data is there */
    char web_dir[PATH_MAX];
} g;

/* ------------------------------------------------------------------------- */
/* Ready list and wake-ups                                                   */
/* ------------------------------------------------------------------------- */

static void loop_wake(loop *l)
{
    uint64_t one = 1;
    /* EAGAIN means the counter is already non-zero: the loop will wake. */
    if (write(l->wakefd, &one, sizeof one) < 0 && errno != EAGAIN)
        say("loop %d: eventfd write: %s", l->id, strerror(errno));
}

/* Appends c to its loop's ready list (if not there yet). Returns 1 when the
 * list was empty: the caller then wakes the loop. Under l->mu. */
static int ready_push_locked(conn *c)
{
    loop *l = c->loop;
    if (c->in_ready) return 0;
    int was_empty = l->ready_head == NULL;
    c->in_ready = 1;
    c->rnext = NULL;
    c->rprev = l->ready_tail;
    if (l->ready_tail) l->ready_tail->rnext = c; else l->ready_head = c;
    l->ready_tail = c;
    return was_empty;
}

/* Appends c to its loop's ready list (if not there yet) and wakes the loop
 * when the list was empty. Any thread. */
static void ready_push(conn *c)
{
    loop *l = c->loop;
    pthread_mutex_lock(&l->mu);
    int wake = ready_push_locked(c);
    pthread_mutex_unlock(&l->mu);
    if (wake) loop_wake(l);
}

/* Appends c to its loop's flush list (if not there yet), without waking the
 * loop: the timer flushes the list (--merge-ms > 0). Under l->mu. */
static void flush_push_locked(conn *c)
{
    loop *l = c->loop;
    if (c->in_flush) return;
    c->in_flush = 1;
    c->fnext = NULL;
    c->fprev = l->flush_tail;
    if (l->flush_tail) l->flush_tail->fnext = c; else l->flush_head = c;
    l->flush_tail = c;
    l->flush_len++;
}

/* The same from the owner loop, for a player that is to be written at the
 * next timer firing. */
static void flush_push(conn *c)
{
    loop *l = c->loop;
    pthread_mutex_lock(&l->mu);
    flush_push_locked(c);
    pthread_mutex_unlock(&l->mu);
}

/* The player's notify callback, registered with livehub_player_set_notify().
 * livehub calls it once per arming (after a read that reached the end of
 * what is there), on whatever thread changed the stream, after it released
 * its own locks. It must not touch the connection's state: it only queues
 * the connection for its owner loop. With --merge-ms 0 that is the ready
 * list, and the loop is woken. Otherwise it is the flush list, which the
 * loop's timer writes out: no wake-up, so a stream's tags pile up between
 * two firings and go out in one writev() — except for a player that has not
 * had its first bytes yet (prompt), so that joining stays fast.
 * livehub_player_release() waits for a running invocation, so `c` is alive
 * for as long as this runs. */
static void on_player_notify(void *userdata)
{
    conn *c = userdata;
    loop *l = c->loop;
    int wake = 0;
    pthread_mutex_lock(&l->mu);
    if (g.merge_ms == 0 || c->prompt) wake = ready_push_locked(c);
    else flush_push_locked(c);
    pthread_mutex_unlock(&l->mu);
    if (wake) loop_wake(l);
}

/* Removes c from the ready and flush lists where it is (owner loop only). */
static void ready_remove(conn *c)
{
    loop *l = c->loop;
    pthread_mutex_lock(&l->mu);
    if (c->in_ready) {
        if (c->rprev) c->rprev->rnext = c->rnext; else l->ready_head = c->rnext;
        if (c->rnext) c->rnext->rprev = c->rprev; else l->ready_tail = c->rprev;
        c->in_ready = 0;
        c->rnext = c->rprev = NULL;
    }
    if (c->in_flush) {
        if (c->fprev) c->fprev->fnext = c->fnext; else l->flush_head = c->fnext;
        if (c->fnext) c->fnext->fprev = c->fprev; else l->flush_tail = c->fprev;
        c->in_flush = 0;
        c->fnext = c->fprev = NULL;
        l->flush_len--;
    }
    pthread_mutex_unlock(&l->mu);
}

static conn *flush_pop(loop *l)
{
    pthread_mutex_lock(&l->mu);
    conn *c = l->flush_head;
    if (c) {
        l->flush_head = c->fnext;
        if (l->flush_head) l->flush_head->fprev = NULL; else l->flush_tail = NULL;
        c->in_flush = 0;
        c->fnext = c->fprev = NULL;
        l->flush_len--;
    }
    pthread_mutex_unlock(&l->mu);
    return c;
}

static conn *ready_pop(loop *l)
{
    pthread_mutex_lock(&l->mu);
    conn *c = l->ready_head;
    if (c) {
        l->ready_head = c->rnext;
        if (l->ready_head) l->ready_head->rprev = NULL; else l->ready_tail = NULL;
        c->in_ready = 0;
        c->rnext = c->rprev = NULL;
    }
    pthread_mutex_unlock(&l->mu);
    return c;
}

/* ------------------------------------------------------------------------- */
/* Connections                                                               */
/* ------------------------------------------------------------------------- */

static void conn_service(conn *c);
static void ingest_read(conn *c);
static void play_pump(conn *c, int may_read);
static void request_read(conn *c);

static conn *conn_new(loop *l, int fd, int tcp_ingest, const char *peer)
{
    conn *c = xcalloc(1, sizeof *c);
    c->src.kind = SRC_CONN;
    c->loop = l;
    c->fd = fd;
    c->state = tcp_ingest ? ST_TCP_KEY : ST_REQUEST;
    c->since_ms = now_ms();
    snprintf(c->peer, sizeof c->peer, "%s", peer);

    /* Edge-triggered: every handler reads or writes until EAGAIN, or puts
     * the connection back on the ready list to continue later. */
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.ptr = &c->src;
    if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        say("loop %d: epoll_ctl add: %s", l->id, strerror(errno));
        close(fd);
        free(c);
        return NULL;
    }
    c->next = l->conns;
    if (l->conns) l->conns->prev = c;
    l->conns = c;
    l->nconns++;
    return c;
}

/* Releases the livehub handles of c. The player first: once
 * livehub_player_release() returns, our callback is not running anywhere
 * and never runs again, so no other thread can reach c any more. Then the
 * publisher: releasing it is the unpublish (its players wait
 * republish_wait_ms for a new one); it notifies the waiting players from
 * inside the call, on this thread (their callbacks just queue them). */
static void conn_release_handles(conn *c)
{
    if (c->player) {
        livehub_player_release(c->player);
        c->player = NULL;
        if (g_verbose)
            say("[loop %d] player %s of %s left: %llu bytes", c->loop->id, c->peer, c->key,
                (unsigned long long)c->bytes_out);
    }
    if (c->pub) {
        livehub_publisher_release(c->pub);
        c->pub = NULL;
        say("[loop %d] unpublish %s by %s: %llu bytes in%s", c->loop->id, c->key, c->peer,
            (unsigned long long)c->bytes_in, c->flv_errors ? " (some tags skipped)" : "");
    }
}

static void conn_close(conn *c)
{
    loop *l = c->loop;
    conn_release_handles(c);
    ready_remove(c);                 /* after the release: nothing re-queues it */
    epoll_ctl(l->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = -1;
    if (c->prev) c->prev->next = c->next; else l->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    l->nconns--;
    free(c->req);
    free(c->out);
    free(c->rest);
    c->req = NULL;
    c->out = NULL;
    c->rest = NULL;
    c->rest_n = c->rest_i = 0;
    /* Freed by free_dead() once the current epoll batch is done with. */
    c->dead = 1;
    c->next = l->dead;
    l->dead = c;
}

static void free_dead(loop *l)
{
    conn *c = l->dead;
    l->dead = NULL;
    for (size_t guard = 0; c && guard < SIZE_MAX; guard++) {
        conn *next = c->next;
        free(c);
        c = next;
    }
}

/* Reads and discards whatever the client sends, up to EAGAIN. Returns 0 if
 * the client closed (or the socket failed): the caller closes. */
static int drain_input(conn *c)
{
    uint8_t *buf = c->loop->rbuf;
    for (int i = 0; i < 16; i++) {
        ssize_t n = read(c->fd, buf, READ_CHUNK);
        if (n > 0) continue;
        if (n == 0) return 0;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return 1;
        if (errno == EINTR) continue;
        return 0;
    }
    ready_push(c);                   /* more to discard: continue later */
    return 1;
}

static void linger_start(conn *c)
{
    /* Half-close: the client sees EOF after the response, and a client that
     * was still sending (a refused publisher) can read the response before
     * we close and its unread bytes turn into a reset. */
    conn_release_handles(c);
    shutdown(c->fd, SHUT_WR);
    c->state = ST_LINGER;
    c->since_ms = now_ms();
    if (!drain_input(c)) conn_close(c);
}

/* Writes `out` until done or EAGAIN. Returns 1 when all is written. */
static int flush_out(conn *c, int *failed)
{
    *failed = 0;
    for (int i = 0; i < 1024 && c->out_off < c->out_len; i++) {
        ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
        if (n > 0) { c->out_off += (size_t)n; c->since_ms = now_ms(); continue; }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
        *failed = 1;
        return 0;
    }
    if (c->out_off < c->out_len) return 0;
    free(c->out);
    c->out = NULL;
    c->out_len = c->out_off = 0;
    return 1;
}

static void respond_flush(conn *c)
{
    int failed;
    if (flush_out(c, &failed)) { linger_start(c); return; }
    if (failed) conn_close(c);
    /* else: EPOLLOUT continues */
}

/* Sends a complete response, then lingers and closes. */
static void respond(conn *c, int status, const char *reason, const char *ctype,
                    const char *body, size_t body_len, int head_only, const char *extra)
{
    char head[768];
    int hn = snprintf(head, sizeof head,
                      "HTTP/1.1 %d %s\r\n"
                      "Server: flv_relay (livehub %s)\r\n"
                      "Content-Type: %s\r\n"
                      "Content-Length: %zu\r\n"
                      "Access-Control-Allow-Origin: *\r\n"
                      "Cache-Control: no-cache\r\n"
                      "Connection: close\r\n"
                      "%s\r\n",
                      status, reason, livehub_version(), ctype, body_len, extra ? extra : "");
    if (hn < 0 || (size_t)hn >= sizeof head) { conn_close(c); return; }
    size_t total = (size_t)hn + (head_only ? 0 : body_len);
    free(c->out);
    c->out = malloc(total ? total : 1);
    if (!c->out) { conn_close(c); return; }
    memcpy(c->out, head, (size_t)hn);
    if (!head_only && body_len) memcpy(c->out + hn, body, body_len);
    c->out_len = total;
    c->out_off = 0;
    c->state = ST_RESPOND;
    c->since_ms = now_ms();
    free(c->req);
    c->req = NULL;
    respond_flush(c);
}

static void respond_text(conn *c, int status, const char *reason, const char *text, int head_only)
{
    respond(c, status, reason, "text/plain; charset=utf-8", text, strlen(text), head_only, NULL);
}

/* ------------------------------------------------------------------------- */
/* Players                                                                   */
/* ------------------------------------------------------------------------- */

static const char FLV_HEAD[] =
    "HTTP/1.1 200 OK\r\n"
    "Content-Type: video/x-flv\r\n"
    "Access-Control-Allow-Origin: *\r\n"
    "Cache-Control: no-cache\r\n"
    "Connection: close\r\n"
    "\r\n";

/* writev() of iov[*i..n) until all is written, EAGAIN (returns 0) or a
 * failure (returns 0 with *failed set). Advances *i past what was written;
 * a partly written entry is advanced in the array itself (our copy of the
 * iovec: livehub's bytes are never written). Returns 1 when all is written. */
static int write_iov(conn *c, livehub_iovec *iov, size_t *i, size_t n, int *failed)
{
    *failed = 0;
    for (int turn = 0; turn < 1024 && *i < n; turn++) {
        size_t cnt = n - *i;
        if (cnt > IOV_BATCH) cnt = IOV_BATCH;
        ssize_t w = writev(c->fd, (const struct iovec *)(iov + *i), (int)cnt);
        if (w < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
            *failed = 1;
            return 0;
        }
        size_t left = (size_t)w;
        c->bytes_out += left;
        c->since_ms = now_ms();
        while (*i < n && left >= iov[*i].iov_len) {
            left -= iov[*i].iov_len;
            (*i)++;
        }
        if (left) {
            iov[*i].iov_base = (uint8_t *)iov[*i].iov_base + left;
            iov[*i].iov_len -= left;
        }
    }
    return *i == n;
}

/* Writes a new batch, l->iov[0..n). What the socket does not take now is
 * kept in c->rest for EPOLLOUT. Returns 1 when all is written, 0 when the
 * socket is full or failed (*failed). */
static int write_batch(conn *c, size_t n, int *failed)
{
    livehub_iovec *iov = c->loop->iov;
    size_t i = 0;
    if (write_iov(c, iov, &i, n, failed)) return 1;
    if (*failed) return 0;
    c->rest = malloc((n - i) * sizeof *c->rest);
    if (!c->rest) { *failed = 1; return 0; }
    memcpy(c->rest, iov + i, (n - i) * sizeof *c->rest);
    c->rest_n = n - i;
    c->rest_i = 0;
    return 0;
}

/* Writes what is left of a partly written batch. Returns 1 when it is all
 * written (or there was none). */
static int write_rest(conn *c, int *failed)
{
    *failed = 0;
    if (!c->rest) return 1;
    if (!write_iov(c, c->rest, &c->rest_i, c->rest_n, failed)) return 0;
    free(c->rest);
    c->rest = NULL;
    c->rest_n = c->rest_i = 0;
    return 1;
}

/* Writes a player's connection: first the rest of the last batch, then,
 * with `may_read`, new batches from livehub until it has nothing more.
 *
 * --merge-ms 0: called whenever the player has news (notify) or the socket
 * room (EPOLLOUT); reads until LIVEHUB_AGAIN, each batch one writev().
 * --merge-ms N: new batches are read only at the loop's timer firings (and
 * once at the join, and on at once while batches fill the whole array);
 * EPOLLOUT only finishes the last batch. A player that is not armed (its
 * last read returned data) goes on the flush list for the next firing;
 * BATCHES_PER_TURN full batches in a row also wait for it. */
static void play_pump(conn *c, int may_read)
{
    loop *l = c->loop;
    int failed = 0;
    if (!write_rest(c, &failed)) {
        if (failed) conn_close(c);
        return;                      /* EPOLLOUT continues */
    }
    for (int turn = 0; may_read && turn < BATCHES_PER_TURN; turn++) {
        /* Ask livehub for the next pieces, as many as fit in the array. This
         * call ends the validity of the previous batch's iovecs (we are done
         * with them). The new ones point into livehub's shared storage. The
         * response head goes out in the same writev() as the first batch. */
        size_t first = 0, n = 0;
        if (!c->head_sent) {
            l->iov[0].iov_base = (void *)(uintptr_t)FLV_HEAD;   /* writev does not write it */
            l->iov[0].iov_len = sizeof FLV_HEAD - 1;
            first = 1;
        }
        livehub_result r = livehub_player_read_iov(c->player, l->iov + first, IOV_BATCH - first, &n);
        if (r == LIVEHUB_OK) {
            c->armed = 0;
            if (!c->head_sent) {
                c->head_sent = 1;
                c->deadline_ms = 0;
                if (g.merge_ms) {
                    pthread_mutex_lock(&l->mu);
                    c->prompt = 0;   /* from now on its notify waits for the timer */
                    pthread_mutex_unlock(&l->mu);
                }
            }
            if (!write_batch(c, first + n, &failed)) {
                if (failed) conn_close(c);
                return;              /* EPOLLOUT continues */
            }
            /* The array was (nearly) full: there may be more right now. */
            int full = n + 2 >= IOV_BATCH - first;
            if (g.merge_ms && !full) break;
            continue;
        }
        if (r == LIVEHUB_AGAIN) {    /* armed: on_player_notify brings us back */
            c->armed = 1;
            return;
        }
        if (r == LIVEHUB_EOF) {
            /* The stream ended (removed, or no publisher came back within
             * the republish wait). Before any byte: it was never there. */
            if (!c->head_sent) {
                respond_text(c, 404, "Not Found", "stream ended\n", 0);
                return;
            }
            linger_start(c);
            return;
        }
        if (r != LIVEHUB_ERR_EXPIRED)
            say("[loop %d] player %s of %s: read_iov: %s", c->loop->id, c->peer, c->key,
                livehub_result_str(r));
        conn_close(c);
        return;
    }
    if (g.merge_ms) {
        /* Everything is written and the player is not armed (its last read
         * returned data, or it was not read now): the next firing reads it,
         * and sees the end of the stream if that is what comes. */
        if (!c->armed) flush_push(c);
        return;
    }
    ready_push(c);                   /* more to send: after the others */
}

/* GET or HEAD of /KEY.flv. */
static void start_play(conn *c, int head_only)
{
    livehub_stream *s = NULL;
    int waiting = g.wait_ms > 0 && !head_only;
    /* livehub_hub_find gives us a new stream reference, or NOT_FOUND. With
     * --wait-ms, livehub_hub_stream gets or creates the stream instead, and
     * the player waits for its publisher. Either way we own one reference
     * and release it once the player holds its own. */
    livehub_result r = waiting ? livehub_hub_stream(g.hub, c->key, &s)
                               : livehub_hub_find(g.hub, c->key, &s);
    if (r == LIVEHUB_ERR_NOT_FOUND) { respond_text(c, 404, "Not Found", "no such stream\n", head_only); return; }
    if (r != LIVEHUB_OK) { respond_text(c, 400, "Bad Request", livehub_result_str(r), head_only); return; }
    if (!waiting) {
        /* A mounted stream without a publisher (one whose republish wait
         * ran out, about to be reaped) is as good as unknown. */
        livehub_stream_stats st;
        memset(&st, 0, sizeof st);
        st.struct_size = sizeof st;
        if (livehub_stream_get_stats(s, &st) != LIVEHUB_OK || st.publisher_state == LIVEHUB_PUBLISHER_NONE) {
            livehub_stream_release(s);
            respond_text(c, 404, "Not Found", "no such stream\n", head_only);
            return;
        }
    }
    if (head_only) {
        livehub_stream_release(s);
        c->out = malloc(sizeof FLV_HEAD - 1);
        if (!c->out) { conn_close(c); return; }
        memcpy(c->out, FLV_HEAD, sizeof FLV_HEAD - 1);
        c->out_len = sizeof FLV_HEAD - 1;
        c->out_off = 0;
        c->state = ST_RESPOND;
        free(c->req);
        c->req = NULL;
        respond_flush(c);
        return;
    }
    /* NULL options: rebased timestamps (each player starts at 0) and the
     * hub's republish wait. The player joins at the newest keyframe, after
     * the metadata and sequence headers. */
    r = livehub_stream_play(s, NULL, &c->player);
    livehub_stream_release(s);
    if (r != LIVEHUB_OK) {
        respond_text(c, 404, "Not Found", "stream closed\n", 0);
        return;
    }
    /* From here on livehub may call on_player_notify(c) on any thread;
     * until its first bytes, a player is woken at once (prompt). */
    c->prompt = 1;
    livehub_player_set_notify(c->player, on_player_notify, c);
    free(c->req);
    c->req = NULL;
    c->state = ST_PLAY;
    c->since_ms = now_ms();
    c->deadline_ms = waiting ? c->since_ms + g.wait_ms : 0;
    if (g_verbose) say("[loop %d] player %s of %s", c->loop->id, c->peer, c->key);
    play_pump(c, 1);                 /* the first batch right away: joins are not merged */
}

/* ------------------------------------------------------------------------- */
/* Publishers                                                                */
/* ------------------------------------------------------------------------- */

/* Becomes the publisher of c->key. Returns LIVEHUB_OK or the failure. */
static livehub_result start_publish(conn *c)
{
    livehub_result r = LIVEHUB_ERR_CLOSED;
    /* A stream can be closed between get-or-create and publish (reaped while
     * idle, or removed): then get the new one. Bounded retries. */
    for (int attempt = 0; attempt < 3 && r == LIVEHUB_ERR_CLOSED; attempt++) {
        livehub_stream *s = NULL;
        r = livehub_hub_stream(g.hub, c->key, &s);       /* our reference */
        if (r != LIVEHUB_OK) return r;
        r = livehub_stream_publish(s, &c->pub);          /* BUSY if taken */
        livehub_stream_release(s);                       /* the publisher keeps its own */
    }
    if (r == LIVEHUB_OK)
        say("[loop %d] publish %s by %s (%s)", c->loop->id, c->key, c->peer, c->http_ingest ? "http" : "tcp");
    return r;
}

/* The body is over (or the raw TCP stream closed): unpublish and answer. */
static void ingest_finish(conn *c)
{
    if (c->http_ingest) {
        char msg[96];
        snprintf(msg, sizeof msg, "published %llu bytes\n", (unsigned long long)c->bytes_in);
        conn_release_handles(c);
        respond_text(c, 200, "OK", msg, 0);
    } else {
        conn_close(c);
    }
}

static void ingest_fail(conn *c, int status, const char *reason, const char *why)
{
    say("[loop %d] publisher %s of %s refused: %s", c->loop->id, c->peer, c->key, why);
    conn_release_handles(c);
    if (c->http_ingest) respond_text(c, status, reason, why, 0);
    else conn_close(c);
}

/* FLV bytes to livehub. Returns 1 to go on, 0 if the connection was
 * answered or closed. */
static int feed_flv(conn *c, const uint8_t *p, size_t n)
{
    if (n == 0) return 1;
    /* livehub rejects a bad FLV header too, but with the same code as a
     * skipped tag; checking the signature here gives a clear 400. */
    for (size_t i = 0; c->sig_have < 4 && i < n; i++) c->sig[c->sig_have++] = p[i];
    if (memcmp(c->sig, "FLV\x01", c->sig_have) != 0) {
        ingest_fail(c, 400, "Bad Request", "not an FLV stream\n");
        return 0;
    }
    /* Any chunking is fine: livehub keeps an incomplete tag until the rest
     * arrives. The bytes are copied (only the incomplete tail, and each tag
     * body once, shared by every player). Players are notified from inside
     * this call, on this thread. */
    livehub_result r = livehub_publisher_push_flv(c->pub, p, n);
    c->bytes_in += n;
    switch (r) {
    case LIVEHUB_OK:
        c->flv_errors_in_row = 0;
        return 1;
    case LIVEHUB_ERR_FLV:
        /* A tag was skipped (reserved type, too short, PreviousTagSize
         * mismatch): the others are stored and the stream goes on. A bad
         * header fails every call the same way: give up after a while. */
        if (c->flv_errors++ < 3)
            say("[loop %d] publisher %s of %s: a tag was skipped (%s)", c->loop->id, c->peer, c->key,
                livehub_result_str(r));
        if (++c->flv_errors_in_row >= MAX_CONSECUTIVE_FLV_ERRORS) {
            ingest_fail(c, 400, "Bad Request", "invalid FLV data\n");
            return 0;
        }
        return 1;
    case LIVEHUB_ERR_TOO_LARGE:
        ingest_fail(c, 413, "Payload Too Large", "FLV tag too large\n");
        return 0;
    case LIVEHUB_ERR_CLOSED:
        /* The stream was removed, or the publisher was cut for silence. */
        ingest_fail(c, 410, "Gone", "stream closed\n");
        return 0;
    default:
        ingest_fail(c, 500, "Internal Server Error", livehub_result_str(r));
        return 0;
    }
}

/* Decodes the HTTP body framing. Returns 1 to go on, 0 if done/closed. */
static int ingest_body(conn *c, const uint8_t *p, size_t n)
{
    if (c->body_mode == BODY_UNTIL_CLOSE) return feed_flv(c, p, n);
    if (c->body_mode == BODY_LENGTH) {
        size_t take = c->body_left < n ? (size_t)c->body_left : n;
        if (!feed_flv(c, p, take)) return 0;
        c->body_left -= take;
        if (c->body_left == 0) { ingest_finish(c); return 0; }
        return 1;
    }
    /* Chunked: size line (hex, optional ;extensions) CRLF, data CRLF, ...,
     * 0 CRLF, optional trailer lines, CRLF. */
    size_t i = 0;
    while (i < n) {
        uint8_t b = p[i];
        switch (c->chunk_state) {
        case CH_SIZE:
            if ((b >= '0' && b <= '9') || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F')) {
                if (++c->chunk_digits > 15) goto bad;
                c->chunk_left = c->chunk_left * 16 +
                                (uint64_t)(b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10);
                i++;
                break;
            }
            if (c->chunk_digits == 0) goto bad;
            if (b == ';' || b == ' ' || b == '\t') { c->chunk_state = CH_EXT; i++; break; }
            if (b == '\r') { c->chunk_state = CH_SIZE_LF; i++; break; }
            if (b == '\n') { c->chunk_state = CH_SIZE_LF; break; }   /* bare LF */
            goto bad;
        case CH_EXT:
            if (b == '\n') c->chunk_state = CH_SIZE_LF; else i++;
            break;
        case CH_SIZE_LF:
            if (b != '\n') goto bad;
            i++;
            c->chunk_digits = 0;
            if (c->chunk_left == 0) { c->chunk_state = CH_TRAILER; c->trailer_line = 0; }
            else c->chunk_state = CH_DATA;
            break;
        case CH_DATA: {
            size_t avail = n - i;
            size_t take = c->chunk_left < avail ? (size_t)c->chunk_left : avail;
            if (!feed_flv(c, p + i, take)) return 0;
            i += take;
            c->chunk_left -= take;
            if (c->chunk_left == 0) c->chunk_state = CH_DATA_CR;
            break;
        }
        case CH_DATA_CR:
            if (b == '\r') { c->chunk_state = CH_DATA_LF; i++; break; }
            if (b == '\n') { c->chunk_state = CH_DATA_LF; break; }
            goto bad;
        case CH_DATA_LF:
            if (b != '\n') goto bad;
            i++;
            c->chunk_state = CH_SIZE;
            break;
        case CH_TRAILER:
            i++;
            if (b == '\n') {
                if (c->trailer_line == 0) { c->chunk_state = CH_DONE; ingest_finish(c); return 0; }
                c->trailer_line = 0;
            } else if (b != '\r') {
                if (++c->trailer_line > REQ_MAX) goto bad;
            }
            break;
        default:
            return 0;
        }
    }
    return 1;
bad:
    ingest_fail(c, 400, "Bad Request", "bad chunked encoding\n");
    return 0;
}

static int key_ok(const char *k, size_t len);

/* Raw TCP: the optional "KEY app/stream\n" line, then FLV. */
static int tcp_bytes(conn *c, const uint8_t *p, size_t n)
{
    size_t i = 0;
    if (c->state == ST_TCP_KEY) {
        if (c->keyline_len == 0 && n > 0 && p[0] != 'K') {
            snprintf(c->key, sizeof c->key, "%s", TCP_DEFAULT_KEY);
        } else {
            while (i < n && p[i] != '\n') {
                if (c->keyline_len >= sizeof c->keyline - 1) {
                    say("[loop %d] tcp ingest %s: KEY line too long", c->loop->id, c->peer);
                    conn_close(c);
                    return 0;
                }
                c->keyline[c->keyline_len++] = (char)p[i++];
            }
            if (i == n) return 1;    /* the line goes on in the next read */
            i++;                     /* the '\n' */
            size_t len = c->keyline_len;
            if (len && c->keyline[len - 1] == '\r') len--;
            c->keyline[len] = '\0';
            if (len < 5 || memcmp(c->keyline, "KEY ", 4) != 0 || !key_ok(c->keyline + 4, len - 4)) {
                say("[loop %d] tcp ingest %s: bad first line (want \"KEY app/stream\")", c->loop->id, c->peer);
                conn_close(c);
                return 0;
            }
            snprintf(c->key, sizeof c->key, "%s", c->keyline + 4);
        }
        livehub_result r = start_publish(c);
        if (r != LIVEHUB_OK) {
            say("[loop %d] tcp ingest %s of %s refused: %s", c->loop->id, c->peer, c->key, livehub_result_str(r));
            conn_close(c);
            return 0;
        }
        c->state = ST_INGEST;
    }
    return feed_flv(c, p + i, n - i);
}

static void ingest_read(conn *c)
{
    loop *l = c->loop;
    for (int i = 0; i < READS_PER_TURN; i++) {
        ssize_t n = read(c->fd, l->rbuf, READ_CHUNK);
        if (n > 0) {
            c->since_ms = now_ms();
            int go_on = c->http_ingest ? ingest_body(c, l->rbuf, (size_t)n) : tcp_bytes(c, l->rbuf, (size_t)n);
            if (!go_on) return;
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        /* EOF or an error (a killed publisher: reset). For a body sent until
         * close, EOF is its normal end; otherwise it was cut: unpublish. */
        if (n == 0 && c->http_ingest && c->body_mode == BODY_UNTIL_CLOSE) { ingest_finish(c); return; }
        if (n == 0 && !c->http_ingest) { ingest_finish(c); return; }
        conn_close(c);
        return;
    }
    ready_push(c);                   /* more may be waiting: after the others */
}

/* ------------------------------------------------------------------------- */
/* HTTP requests                                                             */
/* ------------------------------------------------------------------------- */

static int key_ok(const char *k, size_t len)
{
    if (len == 0 || len > MAX_KEY || k[0] == '/' || k[len - 1] == '/') return 0;
    size_t seg = 0;
    for (size_t i = 0; i < len; i++) {
        char ch = k[i];
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                 ch == '.' || ch == '_' || ch == '-' || ch == '~' || ch == '/';
        if (!ok) return 0;
        if (ch == '/') {
            if (seg == 0) return 0;                               /* "//" */
            if ((seg == 1 && k[i - 1] == '.') || (seg == 2 && k[i - 1] == '.' && k[i - 2] == '.')) return 0;
            seg = 0;
        } else {
            seg++;
        }
    }
    if ((seg == 1 && k[len - 1] == '.') || (seg == 2 && k[len - 1] == '.' && k[len - 2] == '.')) return 0;
    return 1;
}

/* Case-insensitive "does the header line start with name:"; returns the
 * value with leading blanks skipped, or NULL. */
static const char *header_value(const char *line, const char *name)
{
    size_t n = strlen(name);
    if (strncasecmp(line, name, n) != 0 || line[n] != ':') return NULL;
    line += n + 1;
    while (*line == ' ' || *line == '\t') line++;
    return line;
}

static void serve_file(conn *c, const char *rel, const char *ctype, int head_only)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", g.web_dir, rel);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > MAX_STATIC_BYTES) {
        if (fd >= 0) close(fd);
        char msg[PATH_MAX + 160];
        int n = snprintf(msg, sizeof msg, "not found: %s (run `npm install` in web/, or `make demo`)\n", path);
        respond_text(c, 404, "Not Found", n > 0 ? msg : "not found\n", head_only);
        return;
    }
    size_t size = (size_t)st.st_size;
    char *body = malloc(size ? size : 1);
    size_t got = 0;
    while (body && got < size) {
        ssize_t n = read(fd, body + got, size - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += (size_t)n;
    }
    close(fd);
    if (!body || got != size) {
        free(body);
        respond_text(c, 500, "Internal Server Error", "read failed\n", head_only);
        return;
    }
    respond(c, 200, "OK", ctype, body, size, head_only, NULL);
    free(body);
}

static void serve_stats(conn *c, int head_only)
{
    loop *l = c->loop;
    size_t len = 0;
    livehub_result r = LIVEHUB_ERR_BUFFER;
    /* The JSON goes into our buffer; on LIVEHUB_ERR_BUFFER, len is the size
     * needed (the hub may grow in between: retry a few times). */
    for (int attempt = 0; attempt < 4 && r == LIVEHUB_ERR_BUFFER; attempt++) {
        if (attempt > 0 || !l->json) {
            size_t want = attempt > 0 ? len + 1 + 4096 : 65536;
            char *grown = realloc(l->json, want);
            if (!grown) break;
            l->json = grown;
            l->json_cap = want;
        }
        r = livehub_hub_stats_json(g.hub, l->json, l->json_cap, &len);
    }
    if (r != LIVEHUB_OK) { respond_text(c, 500, "Internal Server Error", livehub_result_str(r), head_only); return; }
    respond(c, 200, "OK", "application/json", l->json, len, head_only, NULL);
}

/* A complete request head is in c->req[0..head_len); body bytes that came
 * with it follow, up to c->req_len. */
static void handle_request(conn *c, size_t head_len)
{
    char *line_end = memchr(c->req, '\n', head_len);
    if (!line_end) { respond_text(c, 400, "Bad Request", "bad request line\n", 0); return; }
    *line_end = '\0';
    if (line_end > c->req && line_end[-1] == '\r') line_end[-1] = '\0';

    /* METHOD SP target SP HTTP/1.x */
    char *method = c->req;
    char *sp1 = strchr(method, ' ');
    char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    if (!sp1 || !sp2 || strncmp(sp2 + 1, "HTTP/1.", 7) != 0) {
        respond_text(c, 400, "Bad Request", "bad request line\n", 0);
        return;
    }
    *sp1 = '\0';
    *sp2 = '\0';
    char *target = sp1 + 1;
    if (!strncmp(target, "http://", 7)) {           /* absolute form */
        char *slash = strchr(target + 7, '/');
        target = slash ? slash : (char *)"/";
    }
    char *q = strchr(target, '?');
    if (q) *q = '\0';

    /* Headers we care about. */
    int64_t content_length = -1;
    int chunked = 0, expect_continue = 0;
    char *p = line_end + 1;
    for (int guard = 0; guard < 256 && p < c->req + head_len; guard++) {
        char *e = memchr(p, '\n', (size_t)(c->req + head_len - p));
        if (!e) break;
        *e = '\0';
        if (e > p && e[-1] == '\r') e[-1] = '\0';
        const char *v;
        if ((v = header_value(p, "Content-Length"))) {
            char *end;
            errno = 0;
            long long n = strtoll(v, &end, 10);
            if (errno || n < 0 || end == v) { respond_text(c, 400, "Bad Request", "bad Content-Length\n", 0); return; }
            content_length = n;
        } else if ((v = header_value(p, "Transfer-Encoding"))) {
            chunked = strstr(v, "chunked") != NULL || strstr(v, "CHUNKED") != NULL;
        } else if ((v = header_value(p, "Expect"))) {
            expect_continue = strncasecmp(v, "100-continue", 12) == 0;
        }
        p = e + 1;
    }

    int get = !strcmp(method, "GET"), head = !strcmp(method, "HEAD");
    int post = !strcmp(method, "POST") || !strcmp(method, "PUT");
    size_t tlen = strlen(target);
    int is_flv = tlen > 5 && target[0] == '/' && !strcmp(target + tlen - 4, ".flv");

    if (!strcmp(method, "OPTIONS")) {
        respond(c, 204, "No Content", "text/plain", "", 0, 1,
                "Access-Control-Allow-Methods: GET, HEAD, POST, PUT, OPTIONS\r\n"
                "Access-Control-Allow-Headers: *\r\n");
        return;
    }
    if (is_flv) {
        if (!key_ok(target + 1, tlen - 5)) { respond_text(c, 400, "Bad Request", "bad stream key\n", head); return; }
        memcpy(c->key, target + 1, tlen - 5);
        c->key[tlen - 5] = '\0';
        if (get || head) { start_play(c, head); return; }
        if (!post) { respond(c, 405, "Method Not Allowed", "text/plain", "", 0, 0, "Allow: GET, HEAD, POST, PUT\r\n"); return; }

        c->http_ingest = 1;
        if (chunked) { c->body_mode = BODY_CHUNKED; c->chunk_state = CH_SIZE; }
        else if (content_length >= 0) { c->body_mode = BODY_LENGTH; c->body_left = (uint64_t)content_length; }
        else c->body_mode = BODY_UNTIL_CLOSE;
        livehub_result r = start_publish(c);
        if (r == LIVEHUB_ERR_BUSY) { ingest_fail(c, 409, "Conflict", "stream is busy: it already has a publisher\n"); return; }
        if (r != LIVEHUB_OK) { ingest_fail(c, 503, "Service Unavailable", livehub_result_str(r)); return; }
        if (expect_continue) {
            static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
            /* 25 bytes on a fresh socket: fits in its empty send buffer. */
            if (send(c->fd, cont, sizeof cont - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof cont - 1)) { conn_close(c); return; }
        }
        c->state = ST_INGEST;
        c->since_ms = now_ms();
        /* Body bytes that came with the head, then whatever else is queued. */
        size_t extra = c->req_len - head_len;
        char *req = c->req;
        c->req = NULL;
        int go_on = 1;
        if (c->body_mode == BODY_LENGTH && c->body_left == 0) { free(req); ingest_finish(c); return; }
        if (extra) go_on = ingest_body(c, (const uint8_t *)req + head_len, extra);
        free(req);
        if (go_on) ingest_read(c);
        return;
    }
    if (!get && !head) {
        respond(c, 405, "Method Not Allowed", "text/plain", "", 0, 0, "Allow: GET, HEAD, POST, PUT, OPTIONS\r\n");
        return;
    }
    if (!strcmp(target, "/") || !strcmp(target, "/index.html"))
        serve_file(c, "index.html", "text/html; charset=utf-8", head);
    else if (!strcmp(target, "/mpegts.js"))
        serve_file(c, "node_modules/mpegts.js/dist/mpegts.js", "application/javascript", head);
    else if (!strcmp(target, "/api/streams"))
        serve_stats(c, head);
    else
        respond_text(c, 404, "Not Found", "not found\n", head);
}

static void request_read(conn *c)
{
    if (!c->req) {
        c->req = malloc(REQ_MAX + 1);
        if (!c->req) { conn_close(c); return; }
    }
    for (int i = 0; i < 64; i++) {
        if (c->req_len == REQ_MAX) { respond_text(c, 431, "Request Header Fields Too Large", "request head too large\n", 0); return; }
        ssize_t n = read(c->fd, c->req + c->req_len, REQ_MAX - c->req_len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        if (n <= 0) { conn_close(c); return; }
        size_t from = c->req_len >= 3 ? c->req_len - 3 : 0;
        c->req_len += (size_t)n;
        c->req[c->req_len] = '\0';
        for (size_t j = from; j + 1 < c->req_len; j++) {
            size_t head_len = 0;
            if (c->req[j] == '\n' && c->req[j + 1] == '\n') head_len = j + 2;
            else if (j + 3 < c->req_len && !memcmp(c->req + j, "\r\n\r\n", 4)) head_len = j + 4;
            if (head_len) { handle_request(c, head_len); return; }
        }
    }
    ready_push(c);
}

/* ------------------------------------------------------------------------- */
/* Event dispatch                                                            */
/* ------------------------------------------------------------------------- */

static void conn_event(conn *c, uint32_t ev)
{
    if (c->dead) return;
    switch (c->state) {
    case ST_REQUEST:
        request_read(c);
        break;
    case ST_TCP_KEY:
    case ST_INGEST:
        ingest_read(c);
        break;
    case ST_PLAY:
        /* A player sends nothing after its request: input is its EOF (it
         * left) or noise to discard. */
        if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
            if ((ev & EPOLLERR) || !drain_input(c)) { conn_close(c); return; }
        }
        /* Room in the socket: the rest of the last batch; new ones only
         * without merging (with it, the timer reads them). */
        if (ev & EPOLLOUT) play_pump(c, g.merge_ms == 0);
        break;
    case ST_RESPOND:
        if (ev & EPOLLERR) { conn_close(c); return; }
        if (ev & EPOLLOUT) respond_flush(c);
        break;
    case ST_LINGER:
        if (!drain_input(c)) conn_close(c);
        break;
    }
}

/* From the ready list: continue whatever the connection was doing. */
static void conn_service(conn *c)
{
    if (c->dead) return;
    switch (c->state) {
    case ST_REQUEST: request_read(c); break;
    case ST_TCP_KEY:
    case ST_INGEST: ingest_read(c); break;
    /* Notified (merging or not, before the first bytes), or continuing. */
    case ST_PLAY: play_pump(c, g.merge_ms == 0 || !c->head_sent); break;
    case ST_RESPOND: respond_flush(c); break;
    case ST_LINGER: if (!drain_input(c)) conn_close(c); break;
    }
}

static void set_listening(loop *l, int on)
{
    for (int i = 0; i < 2; i++) {
        int fd = i == 0 ? g.http_fd : g.tcp_fd;
        if (fd < 0) continue;
        if (on) {
            struct epoll_event ev;
            memset(&ev, 0, sizeof ev);
            ev.events = EPOLLIN;
            ev.data.ptr = i == 0 ? &l->src_http : &l->src_tcp;
            epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev);
        } else {
            epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
        }
    }
}

static void on_accept(loop *l, int lfd, int tcp_ingest)
{
    for (int i = 0; i < ACCEPTS_PER_TURN; i++) {
        struct sockaddr_in sa;
        socklen_t salen = sizeof sa;
        int fd = accept4(lfd, (struct sockaddr *)&sa, &salen, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return;
            if (errno == EMFILE || errno == ENFILE) {
                /* Out of descriptors: stop polling the listeners until the
                 * next tick, instead of spinning on a readable listener. */
                say("accept: %s (raise ulimit -n); pausing accepts", strerror(errno));
                set_listening(l, 0);
                l->accept_paused = 1;
                return;
            }
            say("accept: %s", strerror(errno));
            return;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        handoff h;
        h.fd = fd;
        h.tcp_ingest = tcp_ingest;
        char ip[INET_ADDRSTRLEN] = "?";
        inet_ntop(AF_INET, &sa.sin_addr, ip, sizeof ip);
        snprintf(h.peer, sizeof h.peer, "%s:%u", ip, (unsigned)ntohs(sa.sin_port));

        loop *to = g.loops[g.rr++ % (unsigned)g.nloops];
        if (to == l) { conn_new(l, fd, tcp_ingest, h.peer); continue; }
        /* Another loop's connection: hand the descriptor over; only that
         * loop will create and touch the connection. */
        int wake = 0;
        pthread_mutex_lock(&to->mu);
        if (to->inbox_len == to->inbox_cap) {
            size_t cap = to->inbox_cap ? to->inbox_cap * 2 : 64;
            handoff *grown = realloc(to->inbox, cap * sizeof *grown);
            if (grown) { to->inbox = grown; to->inbox_cap = cap; }
        }
        if (to->inbox_len < to->inbox_cap) {
            to->inbox[to->inbox_len++] = h;
            wake = 1;
        }
        pthread_mutex_unlock(&to->mu);
        if (wake) loop_wake(to); else close(fd);
    }
}

/* The eventfd: new connections, stop requests; the ready list is drained
 * after every epoll batch anyway. */
static void on_wake(loop *l)
{
    uint64_t v;
    if (read(l->wakefd, &v, sizeof v) < 0 && errno != EAGAIN)
        say("loop %d: eventfd read: %s", l->id, strerror(errno));
    handoff *items = NULL;
    size_t count = 0;
    pthread_mutex_lock(&l->mu);
    if (l->inbox_len) {
        items = l->inbox;
        count = l->inbox_len;
        l->inbox = NULL;
        l->inbox_len = l->inbox_cap = 0;
    }
    if (l->stop) l->quit = 1;
    pthread_mutex_unlock(&l->mu);
    for (size_t i = 0; i < count; i++) {
        if (l->quit) close(items[i].fd);
        else conn_new(l, items[i].fd, items[i].tcp_ingest, items[i].peer);
    }
    free(items);
}

/* Every TICK_MS: livehub's time-based policies, and our timeouts. */
static void tick(loop *l)
{
    /* Cuts silent publishers, ends republish waits that ran out, expires
     * players that stopped reading, reaps idle streams. Callbacks it fires
     * (notify) run here, on this thread. Every loop ticks: that is allowed
     * and keeps the policies running while any loop is alive. */
    livehub_hub_tick(g.hub);

    if (l->accept_paused) { l->accept_paused = 0; set_listening(l, 1); }

    uint64_t now = now_ms();
    conn *next;
    for (conn *c = l->conns; c; c = next) {
        next = c->next;                /* c may be closed below */
        uint64_t idle = now - c->since_ms;
        switch (c->state) {
        case ST_REQUEST:
        case ST_TCP_KEY:
            if (idle > REQUEST_TIMEOUT_MS) conn_close(c);
            break;
        case ST_INGEST:
            if (idle > INGEST_IDLE_MS) conn_close(c);
            break;
        case ST_PLAY:
            if (!c->head_sent && c->deadline_ms && now >= c->deadline_ms) {
                conn_release_handles(c);
                respond_text(c, 404, "Not Found", "no publisher came\n", 0);
            } else if (c->rest && idle > WRITE_STALL_MS) {
                conn_close(c);
            }
            break;
        case ST_RESPOND:
            if (idle > WRITE_STALL_MS) conn_close(c);
            break;
        case ST_LINGER:
            if (idle > LINGER_MS) conn_close(c);
            break;
        }
    }
}

/* --merge-ms: writes every player on the flush list, each with one writev()
 * of all it has (see play_pump). Those put on the list meanwhile (by a
 * notify on another thread, or by their own flush) wait for the next firing. */
static void flush_players(loop *l)
{
    pthread_mutex_lock(&l->mu);
    size_t count = l->flush_len;
    pthread_mutex_unlock(&l->mu);
    for (size_t i = 0; i < count; i++) {
        conn *c = flush_pop(l);
        if (!c) return;
        if (!c->dead && c->state == ST_PLAY && c->player) play_pump(c, 1);
    }
}

/* The loop's timer: every --merge-ms when merging (the tick work keeps its
 * own TICK_MS cadence, or the timer's if that is slower), else every TICK_MS. */
static void on_timer(loop *l)
{
    uint64_t expirations;
    if (read(l->timerfd, &expirations, sizeof expirations) < 0 && errno != EAGAIN)
        say("loop %d: timerfd read: %s", l->id, strerror(errno));
    uint64_t now = now_ms();
    if (now >= l->next_tick_ms) {
        l->next_tick_ms = now + TICK_MS;
        tick(l);
    }
    if (g.merge_ms) flush_players(l);
}

static void drain_ready(loop *l)
{
    for (int i = 0; i < READY_PER_TURN; i++) {
        conn *c = ready_pop(l);
        if (!c) return;
        conn_service(c);
    }
    loop_wake(l);                  /* bound reached: continue next turn */
}

static void *loop_main(void *arg)
{
    loop *l = arg;
    struct epoll_event evs[256];
    while (!l->quit) {
        int n = epoll_wait(l->epfd, evs, 256, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("loop %d: epoll_wait: %s", l->id, strerror(errno));
        }
        for (int i = 0; i < n && !l->quit; i++) {
            evsrc *src = evs[i].data.ptr;
            switch (src->kind) {
            case SRC_CONN: conn_event((conn *)src, evs[i].events); break;
            case SRC_WAKE: on_wake(l); break;
            case SRC_TIMER: on_timer(l); break;
            case SRC_LISTEN_HTTP: on_accept(l, g.http_fd, 0); break;
            case SRC_LISTEN_TCP: on_accept(l, g.tcp_fd, 1); break;
            }
        }
        if (!l->quit) drain_ready(l);
        free_dead(l);
    }
    /* Shutdown: stop accepting, then release every handle this loop owns. */
    if (l->id == 0) set_listening(l, 0);
    for (int guard = 0; l->conns && guard < 10000000; guard++) conn_close(l->conns);
    free_dead(l);
    return NULL;
}

/* ------------------------------------------------------------------------- */
/* The demo publisher                                                        */
/* ------------------------------------------------------------------------- */

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

/* ------------------------------------------------------------------------- */
/* Startup                                                                   */
/* ------------------------------------------------------------------------- */

static void usage(int code)
{
    printf("usage: flv_relay [--http ADDR:PORT] [--tcp-ingest ADDR:PORT] [--threads N]\n"
           "                 [--demo FILE.flv] [--wait-ms N] [--merge-ms N] [--web DIR] [-v]\n"
           "  default --http 127.0.0.1:8080, one thread, --merge-ms %d; port 0 picks a free port\n",
           MERGE_MS_DEFAULT);
    exit(code);
}

static int parse_addr(const char *s, struct sockaddr_in *sa)
{
    char host[64];
    const char *colon = strrchr(s, ':');
    if (!colon || (size_t)(colon - s) >= sizeof host) return 0;
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || end == colon + 1 || port < 0 || port > 65535) return 0;
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    if (!strcmp(host, "localhost")) strcpy(host, "127.0.0.1");
    return inet_pton(AF_INET, host, &sa->sin_addr) == 1;
}

static int listen_on(const char *spec, const char *what)
{
    struct sockaddr_in sa;
    if (!parse_addr(spec, &sa)) die("bad %s address '%s' (want IPV4:PORT)", what, spec);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket: %s", strerror(errno));
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) die("bind %s %s: %s", what, spec, strerror(errno));
    if (listen(fd, SOMAXCONN) < 0) die("listen %s: %s", what, strerror(errno));
    socklen_t len = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &len);
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &sa.sin_addr, ip, sizeof ip);
    say("listening %s %s:%u", what, ip, (unsigned)ntohs(sa.sin_port));
    return fd;
}

static int dir_has_index(const char *dir)
{
    char path[PATH_MAX + 16];
    int n = snprintf(path, sizeof path, "%s/index.html", dir);
    return n > 0 && (size_t)n < sizeof path && access(path, R_OK) == 0;
}

/* web/ next to the binary or up to three levels above it
 * (c_examples/build/flv_relay, c_examples/build/asan/flv_relay), else ./web. */
static void find_web_dir(void)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) *slash = '\0';
        const char *ups[] = { "", "/..", "/../..", "/../../.." };
        for (size_t i = 0; i < sizeof ups / sizeof ups[0]; i++) {
            char dir[PATH_MAX + 32];
            snprintf(dir, sizeof dir, "%s%s/web", exe, ups[i]);
            char real[PATH_MAX];
            if (dir_has_index(dir) && realpath(dir, real)) {
                snprintf(g.web_dir, sizeof g.web_dir, "%s", real);
                return;
            }
        }
    }
    snprintf(g.web_dir, sizeof g.web_dir, "web");
}

static loop *loop_new(int id)
{
    loop *l = xcalloc(1, sizeof *l);
    l->id = id;
    l->src_wake.kind = SRC_WAKE;
    l->src_timer.kind = SRC_TIMER;
    l->src_http.kind = SRC_LISTEN_HTTP;
    l->src_tcp.kind = SRC_LISTEN_TCP;
    pthread_mutex_init(&l->mu, NULL);
    l->rbuf = xcalloc(1, READ_CHUNK);
    l->iov = xcalloc(IOV_BATCH, sizeof *l->iov);
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    l->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    l->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (l->epfd < 0 || l->wakefd < 0 || l->timerfd < 0) die("loop %d: %s", id, strerror(errno));
    /* One timer per loop: the flush period when merging, else the tick. */
    uint32_t period_ms = g.merge_ms ? g.merge_ms : TICK_MS;
    struct itimerspec its;
    memset(&its, 0, sizeof its);
    its.it_value.tv_sec = period_ms / 1000;
    its.it_value.tv_nsec = (long)(period_ms % 1000) * 1000000L;
    its.it_interval = its.it_value;
    timerfd_settime(l->timerfd, 0, &its, NULL);
    l->next_tick_ms = now_ms() + TICK_MS;
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = EPOLLIN;
    ev.data.ptr = &l->src_wake;
    epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->wakefd, &ev);
    ev.data.ptr = &l->src_timer;
    epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->timerfd, &ev);
    return l;
}

static void loop_free(loop *l)
{
    for (size_t i = 0; i < l->inbox_len; i++) close(l->inbox[i].fd);   /* never taken over */
    free(l->inbox);
    close(l->epfd);
    close(l->wakefd);
    close(l->timerfd);
    pthread_mutex_destroy(&l->mu);
    free(l->rbuf);
    free(l->iov);
    free(l->json);
    free(l);
}

int main(int argc, char **argv)
{
    const char *http_spec = "127.0.0.1:8080", *tcp_spec = NULL, *demo_path = NULL, *web = NULL;
    long threads = 1, wait_ms = 0, merge_ms = MERGE_MS_DEFAULT;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) usage(0);
        else if (!strcmp(a, "-v")) g_verbose = 1;
        else if (!v) usage(2);
        else if (!strcmp(a, "--http")) { http_spec = v; i++; }
        else if (!strcmp(a, "--tcp-ingest")) { tcp_spec = v; i++; }
        else if (!strcmp(a, "--demo")) { demo_path = v; i++; }
        else if (!strcmp(a, "--web")) { web = v; i++; }
        else if (!strcmp(a, "--threads")) { threads = strtol(v, NULL, 10); i++; }
        else if (!strcmp(a, "--wait-ms")) { wait_ms = strtol(v, NULL, 10); i++; }
        else if (!strcmp(a, "--merge-ms")) { merge_ms = strtol(v, NULL, 10); i++; }
        else usage(2);
    }
    if (threads < 1 || threads > MAX_LOOPS) die("--threads must be 1..%d", MAX_LOOPS);
    if (wait_ms < 0 || wait_ms > 3600000) die("--wait-ms must be 0..3600000");
    if (merge_ms < 0 || merge_ms > MERGE_MS_MAX) die("--merge-ms must be 0..%d", MERGE_MS_MAX);
    g.nloops = (int)threads;
    g.wait_ms = (uint32_t)wait_ms;
    g.merge_ms = (uint32_t)merge_ms;
    setvbuf(stdout, NULL, _IOLBF, 0);

    /* SIGPIPE: a player that left must be an EPIPE, not the end of us.
     * SIGINT/SIGTERM: blocked in every thread (the mask is inherited),
     * taken by sigwait() in main. */
    signal(SIGPIPE, SIG_IGN);
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);

    /* Process-wide; the userdata (none) stays valid for the process. */
    livehub_set_log_callback(g_verbose ? LIVEHUB_LOG_INFO : LIVEHUB_LOG_WARN, on_livehub_log, NULL);

    /* The hub: the defaults (players wait 5 s for a republish, lagging
     * players skip forward after 10 s, idle streams reaped after 3 s).
     * main owns this reference and releases it last. */
    livehub_config cfg;
    livehub_config_init(&cfg);
    livehub_result r = livehub_hub_new(&cfg, &g.hub);
    if (r != LIVEHUB_OK) die("livehub_hub_new: %s", livehub_result_str(r));

    if (web) snprintf(g.web_dir, sizeof g.web_dir, "%s", web);
    else find_web_dir();

    demo d;
    memset(&d, 0, sizeof d);
    if (demo_path) {
        d.path = demo_path;
        demo_load(&d);
    }

    g.http_fd = listen_on(http_spec, "http");
    g.tcp_fd = tcp_spec ? listen_on(tcp_spec, "tcp-ingest") : -1;
    for (int i = 0; i < g.nloops; i++) g.loops[i] = loop_new(i);
    set_listening(g.loops[0], 1);
    for (int i = 0; i < g.nloops; i++)
        if (pthread_create(&g.loops[i]->thread, NULL, loop_main, g.loops[i]) != 0) die("pthread_create");

    if (demo_path) {
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&d.cv, &ca);
        pthread_condattr_destroy(&ca);
        pthread_mutex_init(&d.mu, NULL);
        d.hub = livehub_hub_retain(g.hub);           /* the demo thread's own reference */
        if (pthread_create(&d.thread, NULL, demo_main, &d) != 0) die("pthread_create");
        uint64_t loop_ms = (uint64_t)d.duration_ms + d.frame_ms;
        say("demo: %s as %s: %zu tags, %u ms + %u ms per loop, %.1f kbit/s of tag bodies",
            d.path, DEMO_KEY, d.ntags, (unsigned)d.duration_ms, (unsigned)d.frame_ms,
            (double)d.loop_body_bytes * 8.0 / (double)loop_ms);
    }
    say("livehub %s, %d loop thread%s, merge %u ms, web %s%s", livehub_version(), g.nloops,
        g.nloops > 1 ? "s" : "", (unsigned)g.merge_ms, g.web_dir, g.wait_ms ? ", players wait for publishers" : "");
    say("ready");

    int sig = 0;
    sigwait(&stop_signals, &sig);
    say("%s: stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");

    /* Stop: every loop closes its connections (releasing their players and
     * publishers) and exits; loop 0 first stops accepting. */
    for (int i = 0; i < g.nloops; i++) {
        pthread_mutex_lock(&g.loops[i]->mu);
        g.loops[i]->stop = 1;
        pthread_mutex_unlock(&g.loops[i]->mu);
        loop_wake(g.loops[i]);
    }
    if (demo_path) {
        pthread_mutex_lock(&d.mu);
        d.stop = 1;
        pthread_cond_signal(&d.cv);
        pthread_mutex_unlock(&d.mu);
        pthread_join(d.thread, NULL);
        pthread_cond_destroy(&d.cv);
        pthread_mutex_destroy(&d.mu);
        free(d.tags);
        free(d.file);
    }
    for (int i = 0; i < g.nloops; i++) pthread_join(g.loops[i]->thread, NULL);
    /* Only now: a late handoff or a wake-up may target any loop until every
     * thread is gone. */
    for (int i = 0; i < g.nloops; i++) loop_free(g.loops[i]);
    close(g.http_fd);
    if (g.tcp_fd >= 0) close(g.tcp_fd);

    /* The last hub reference: closes whatever streams are left. */
    livehub_hub_release(g.hub);
    livehub_set_log_callback(LIVEHUB_LOG_OFF, NULL, NULL);
    say("stopped");
    return 0;
}
