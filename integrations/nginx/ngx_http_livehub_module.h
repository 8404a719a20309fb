/*
 * ngx_http_livehub_module: HTTP-FLV live streams served by livehub inside
 * the stock nginx (a dynamic module, loaded with load_module).
 *
 *   livehub_flv;      GET/HEAD /APP/STREAM.flv plays the stream key
 *                     APP/STREAM, POST/PUT publishes an FLV body into it
 *   livehub_stats;    the hub's JSON (livehub_hub_stats_json)
 *   livehub_*         hub settings, one per livehub_config field (http{})
 *
 * Files, one concern each:
 *   ngx_http_livehub_module.c   the module, its directives and configuration,
 *                               the worker_processes check, the key mapping
 *   ngx_http_livehub_hub.c      the hub of this worker process, its tick and
 *                               write-merge timers, the requests it serves,
 *                               and their release at request end and exit
 *   ngx_http_livehub_play.c     players: notify -> posted event, read_iov ->
 *                               an nginx chain, merged writes
 *   ngx_http_livehub_publish.c  publishers: the request body, read
 *                               incrementally, into livehub_publisher_push_flv
 *   ngx_http_livehub_stats.c    livehub_stats
 *
 * OWNERSHIP. Each request's context (ngx_http_livehub_ctx_t, in the
 * request pool) owns at most one livehub handle: a player or a publisher.
 * It is released by the pool cleanup (every way a request ends goes
 * through it), or earlier where it is safe (a publisher at the end of its
 * body), or at worker exit for requests nginx never freed. A player's
 * handle outlives every nginx buffer pointing into its views: the views
 * stay valid until the next livehub call on that player, and the next
 * read happens only once nginx sent the whole previous chain.
 *
 * THREADS. An nginx worker has one thread: every livehub call and every
 * callback (notify, log) happens on it.
 */

#ifndef NGX_HTTP_LIVEHUB_MODULE_H
#define NGX_HTTP_LIVEHUB_MODULE_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "livehub.h"


#define NGX_HTTP_LIVEHUB_MAX_KEY       255
/* iovecs per read: one batch of a player, turned into one nginx chain */
#define NGX_HTTP_LIVEHUB_IOV_BATCH     256
/* body reads a publisher makes in a row before the others get their turn */
#define NGX_HTTP_LIVEHUB_READS         16
/* batches a player writes in a row before the others get their turn */
#define NGX_HTTP_LIVEHUB_BATCHES       16
#define NGX_HTTP_LIVEHUB_TICK_MS       200
#define NGX_HTTP_LIVEHUB_MERGE_DEFAULT 350
#define NGX_HTTP_LIVEHUB_MERGE_MAX     1000


/* http{} level: the hub settings (one hub per worker process). */
typedef struct {
    ngx_msec_t                 republish_wait;
    ngx_msec_t                 idle_stream;
    ngx_msec_t                 publisher_idle_timeout;
    ngx_msec_t                 player_idle_timeout;
    ngx_msec_t                 max_lag;
    ngx_uint_t                 gop_max_frames;
    off_t                      gop_max_bytes;
    size_t                     max_tag_size;
    ngx_msec_t                 write_merge;
    ngx_flag_t                 used;        /* livehub_flv appears somewhere */
} ngx_http_livehub_main_conf_t;


typedef struct {
    ngx_http_livehub_main_conf_t  *conf;
    livehub_hub                   *hub;         /* NULL outside workers */
    ngx_pool_t                    *pool;        /* buffers of player chains */
    ngx_chain_t                   *free;        /* links + bufs to reuse */
    ngx_event_t                    tick;        /* livehub_hub_tick, shutdown */
    ngx_event_t                    merge;       /* flushes `flush` */
    livehub_group                 *group;       /* every player of the worker */
    ngx_event_t                    dispatch;    /* posted by the group's wake */
    ngx_queue_t                    requests;    /* every live context */
    ngx_uint_t                     nrequests;
    ngx_queue_t                    flush;       /* players to write at `merge` */
    livehub_iovec                  iov[NGX_HTTP_LIVEHUB_IOV_BATCH];
} ngx_http_livehub_worker_t;


typedef struct {
    ngx_http_request_t            *request;
    ngx_queue_t                    link;        /* in worker.requests */
    ngx_queue_t                    flush_link;  /* in worker.flush */

    livehub_player                *player;
    livehub_publisher             *pub;

    /* player */
    ngx_event_t                    wake;        /* player: posted by the notify;
                                                   publisher: reads on */
    ngx_chain_t                   *out;         /* our links, being sent */
    ngx_uint_t                     nout;
    off_t                          bytes_out;

    /* publisher */
    off_t                          bytes_in;
    u_char                         sig[4];      /* "FLV\x01" */
    ngx_uint_t                     sig_have;
    ngx_uint_t                     skipped;

    unsigned                       in_flush:1;
    unsigned                       prompt:1;    /* no bytes yet: wake at once */
    unsigned                       head_sent:1;
    unsigned                       armed:1;     /* last read: LIVEHUB_AGAIN */
    unsigned                       sending:1;   /* `out` not fully sent */
    unsigned                       done:1;      /* finalized by us */

    char                           key[NGX_HTTP_LIVEHUB_MAX_KEY + 1];
} ngx_http_livehub_ctx_t;


extern ngx_module_t               ngx_http_livehub_module;
extern ngx_http_livehub_worker_t  ngx_http_livehub_worker;


/* ngx_http_livehub_hub.c */
ngx_int_t ngx_http_livehub_init_process(ngx_cycle_t *cycle);
void ngx_http_livehub_exit_process(ngx_cycle_t *cycle);
ngx_http_livehub_ctx_t *ngx_http_livehub_ctx_create(ngx_http_request_t *r);
void ngx_http_livehub_finalize(ngx_http_livehub_ctx_t *ctx, ngx_int_t rc);
void ngx_http_livehub_flush_add(ngx_http_livehub_ctx_t *ctx);
void ngx_http_livehub_flush_remove(ngx_http_livehub_ctx_t *ctx);
ngx_chain_t *ngx_http_livehub_get_link(void);
void ngx_http_livehub_free_links(ngx_chain_t *cl);

/* ngx_http_livehub_play.c */
ngx_int_t ngx_http_livehub_play(ngx_http_request_t *r,
    ngx_http_livehub_ctx_t *ctx);
ngx_int_t ngx_http_livehub_head(ngx_http_request_t *r, const char *key);
void ngx_http_livehub_play_pump(ngx_http_livehub_ctx_t *ctx,
    ngx_uint_t may_read);

/* ngx_http_livehub_publish.c */
ngx_int_t ngx_http_livehub_publish(ngx_http_request_t *r,
    ngx_http_livehub_ctx_t *ctx);

/* ngx_http_livehub_stats.c */
ngx_int_t ngx_http_livehub_stats_handler(ngx_http_request_t *r);

/* ngx_http_livehub_module.c */
ngx_int_t ngx_http_livehub_add_headers(ngx_http_request_t *r);


#endif /* NGX_HTTP_LIVEHUB_MODULE_H */
