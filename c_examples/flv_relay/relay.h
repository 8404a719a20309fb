/*
 * relay.h — what the files of flv_relay share: limits, the connection and
 * loop types, the process-wide settings `g`, and each file's entry points
 * (grouped by the file that defines them). Every type here is plain data
 * owned by one thread, except the fields of `conn` and `loop` marked as
 * guarded by loop->mu, which the notify callback touches from other
 * threads. See README.md in this directory for the map of the files.
 */
#ifndef FLV_RELAY_H
#define FLV_RELAY_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* accept4, eventfd, timerfd: also given as -D_GNU_SOURCE */
#endif
#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "auth.h"
#include "http.h"
#include "livehub.h"

/* ---- limits ---- */

#define MAX_LOOPS          64
/* iovecs per read_iov batch: writev() takes at most IOV_MAX (1024 on Linux) */
#if defined(IOV_MAX) && IOV_MAX < 1024
#define IOV_BATCH          IOV_MAX
#else
#define IOV_BATCH          1024
#endif
#define MERGE_MS_DEFAULT   350         /* --merge-ms */
#define MERGE_MS_MAX       1000
#define REQ_MAX            HTTP_HEAD_MAX   /* request head: larger gets 431 */
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
#define MAX_KEY            HTTP_KEY_MAX
#define DEMO_KEY           "live/demo"
#define TCP_DEFAULT_KEY    "live/tcp"
#define KEYLINE_MAX        (MAX_KEY + 8)  /* "KEY app/stream" line of raw TCP ingest */
#define RTMP_MAX_PENDING   4           /* requests awaiting an answer, per connection */
#define ACCEPT_DELAY_MAX   60000       /* --accept-delay-ms */

/* ---- types ---- */

/* What an epoll event's data.ptr points at: the first member of each. */
enum src_kind { SRC_CONN, SRC_WAKE, SRC_TIMER, SRC_LISTEN_HTTP, SRC_LISTEN_TCP, SRC_LISTEN_RTMP };

/* What a listener hands over: its protocol. */
enum listener { LISTEN_HTTP, LISTEN_TCP, LISTEN_RTMP };
typedef struct { int kind; } evsrc;

enum conn_state {
    ST_REQUEST,   /* reading the HTTP request head */
    ST_TCP_KEY,   /* raw TCP ingest: the optional "KEY app/stream\n" line */
    ST_INGEST,    /* a publisher: body bytes go to livehub_publisher_push_flv */
    ST_PLAY,      /* a player: response head with the first data, then FLV */
    ST_RESPOND,   /* sending a complete response from `out` */
    ST_LINGER,    /* response sent and write side shut: await the client's EOF */
    ST_DELAY,     /* --accept-delay-ms: a play or publish request waiting for its answer */
    ST_RTMP       /* an RTMP connection (rtmp.c): publisher, player or both */
};

/* An RTMP publish or play request waiting for its answer (rtmp.c). */
typedef struct {
    uint64_t id;
    uint32_t kind;               /* LIVEHUB_RTMP_EVENT_PUBLISH or _PLAY */
    uint64_t due_ms;             /* answered at this time (--accept-delay-ms) */
    char key[HTTP_KEY_MAX + 1];
} rtmp_pending;

enum body_mode { BODY_UNTIL_CLOSE, BODY_LENGTH, BODY_CHUNKED };

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
    int refs;                    /* the loop's (until free_dead) + livehub's
                                    (a notify registration, until its
                                    release); freed at 0 (conn_unref) */
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
    http_chunked chunked;        /* BODY_CHUNKED */
    uint64_t bytes_in;
    uint32_t skip_logged;        /* a skipped tag was logged */
    char *keyline;               /* ST_TCP_KEY: KEYLINE_MAX bytes, allocated for
                                    the line and freed once it is parsed */
    size_t keyline_len;

    /* ST_DELAY: the request head waits in `req` until accept_at_ms. */
    uint64_t accept_at_ms;
    size_t delay_head_len;
    http_request delay_rq;       /* its strings point into `req` */

    /* RTMP (rtmp.c). The session is ours until
     * livehub_rtmp_session_release(); it owns its publisher and player. */
    livehub_rtmp_session *rtmp;
    rtmp_pending *pending;       /* RTMP_MAX_PENDING entries, allocated with
                                    the session: a connection carries only
                                    the state of what it is (a player of
                                    HTTP-FLV costs no RTMP bytes) */
    int npending;
};

typedef struct {
    int fd;
    int listener;                /* enum listener */
    char peer[64];
} handoff;

struct loop {
    int id;
    pthread_t thread;
    int epfd, wakefd, timerfd;
    evsrc src_wake, src_timer, src_http, src_tcp, src_rtmp;
    /* This loop's livehub group: every player of the loop is in it. A
     * push wakes the group once (on_group_wake writes the eventfd); the
     * loop's livehub_group_dispatch() runs the players' notify callbacks
     * here, on the loop's thread. */
    livehub_group *group;
    int prompt_players;          /* players before their first bytes
                                    (__atomic: read by on_group_wake) */

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

/* Process-wide settings and handles, written by main before the loops
 * start and read-only afterwards (except `rr`, loop 0's). */
struct relay_globals {
    livehub_hub *hub;            /* main's reference: released last */
    int nloops;
    loop *loops[MAX_LOOPS];
    int http_fd, tcp_fd, rtmp_fd; /* listeners (-1: none), polled by loop 0 */
    unsigned rr;                 /* round-robin cursor (loop 0 only) */
    uint32_t wait_ms;
    uint32_t merge_ms;           /* --merge-ms; 0: write as soon as data is there */
    uint32_t accept_delay_ms;    /* --accept-delay-ms: every play/publish answered this late */
    const char *publish_secret;  /* --publish-secret; NULL: anyone may publish */
    const char *play_secret;     /* --play-secret; NULL: anyone may play */
    char web_dir[PATH_MAX];
};
extern struct relay_globals g;
extern int g_verbose;

/* ---- log.c: clock, logging, allocation ---- */
uint64_t now_ms(void);
void say(const char *fmt, ...);
void die(const char *fmt, ...);
void *xcalloc(size_t n, size_t size);
void on_livehub_log(void *userdata, uint32_t level, const char *message);

/* ---- loop.c: event loops, wake-ups, timers ---- */
loop *loop_new(int id);
void loop_free(loop *l);
void *loop_main(void *arg);
void loop_wake(loop *l);
void loop_dispatch(loop *l);
void loop_prompt_begin(loop *l);
void loop_prompt_end(loop *l);
void loop_stop(loop *l);
void ready_push(conn *c);
void flush_push(conn *c);
void ready_remove(conn *c);
void on_player_notify(void *userdata);
void on_player_notify_release(void *userdata);
void player_joined(conn *c);

/* ---- listen.c: listeners, accept, hand-off to loops ---- */
int listen_on(const char *spec, const char *what);
void set_listening(loop *l, int on);
void on_accept(loop *l, int lfd, int listener);

/* ---- conn.c: connection life, responses ---- */
conn *conn_new(loop *l, int fd, int listener, const char *peer);
void conn_release_handles(conn *c);
void conn_close(conn *c);
void free_dead(loop *l);
void conn_unref(conn *c);
int drain_input(conn *c);
void linger_start(conn *c);
void respond_flush(conn *c);
void respond(conn *c, int status, const char *reason, const char *ctype,
             const char *body, size_t body_len, int head_only, const char *extra);
void respond_text(conn *c, int status, const char *reason, const char *text, int head_only);
void respond_head(conn *c, const char *head, size_t len);
void conn_event(conn *c, uint32_t ev);
void conn_service(conn *c);

/* ---- request.c: reading and routing HTTP requests ---- */
void request_read(conn *c);
void request_delayed(conn *c);

/* ---- play.c: players ---- */
void start_play(conn *c, int head_only);
void play_pump(conn *c, int may_read);

/* ---- publish.c: publishers (HTTP body, raw TCP) ---- */
void start_http_publish(conn *c, const http_request *rq, size_t head_len);
void ingest_read(conn *c);

/* ---- rtmp.c: RTMP publishers and players ---- */
void rtmp_start(conn *c);
void rtmp_read(conn *c);
void rtmp_service(conn *c);
int rtmp_answer_due(conn *c, uint64_t now);

/* ---- static.c: the demo page and its script, stats JSON ---- */
void find_web_dir(void);
void serve_file(conn *c, const char *rel, const char *ctype, int head_only);
void serve_stats(conn *c, int head_only);

/* ---- demo.c: the --demo publisher thread ---- */
typedef struct demo demo;
demo *demo_start(const char *path, livehub_hub *hub);
void demo_stop(demo *d);

#endif
