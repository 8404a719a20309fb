/*
 * The hub of this worker process and what hangs off it: the player group
 * (its wake posts one event, whose handler dispatches), the tick timer
 * (livehub_hub_tick, and graceful shutdown), the write-merge timer and its
 * flush list, the list of live request contexts, and the links and bufs
 * that player chains are made of.
 *
 * Lifetime. init_process creates the hub; each request context registers
 * a pool cleanup that releases its livehub handle and leaves every list;
 * exit_process releases what requests nginx never freed (a fast shutdown
 * does not free them), then the hub. On a graceful shutdown (nginx -s
 * reload or quit) the tick closes every livehub request of the old worker
 * (a live stream never ends by itself), and the timers stay non-cancelable
 * while requests remain, so that the worker does not exit with sockets
 * open.
 */

#include "ngx_http_livehub_module.h"


ngx_http_livehub_worker_t  ngx_http_livehub_worker;


static void ngx_http_livehub_tick_handler(ngx_event_t *ev);
static void ngx_http_livehub_merge_handler(ngx_event_t *ev);
static void ngx_http_livehub_cleanup(void *data);
static void ngx_http_livehub_group_wake(void *userdata);
static void ngx_http_livehub_dispatch_handler(ngx_event_t *ev);
static void ngx_http_livehub_log(void *userdata, uint32_t level,
    const char *message);


/* livehub's log lines (bad input, policies acting, stream life) go to the
 * error log of the cycle; the callback runs on this worker's thread. */
static void
ngx_http_livehub_log(void *userdata, uint32_t level, const char *message)
{
    ngx_uint_t  nlevel;

    (void) userdata;

    switch (level) {
    case LIVEHUB_LOG_ERROR:
        nlevel = NGX_LOG_ERR;
        break;
    case LIVEHUB_LOG_WARN:
        nlevel = NGX_LOG_WARN;
        break;
    case LIVEHUB_LOG_INFO:
        nlevel = NGX_LOG_INFO;
        break;
    default:
        nlevel = NGX_LOG_DEBUG;
        break;
    }

    ngx_log_error(nlevel, ngx_cycle->log, 0, "livehub: %s", message);
}


ngx_int_t
ngx_http_livehub_init_process(ngx_cycle_t *cycle)
{
    livehub_config                 cfg;
    livehub_result                 r;
    ngx_http_livehub_worker_t     *w = &ngx_http_livehub_worker;
    ngx_http_livehub_main_conf_t  *lmcf;

    ngx_memzero(w, sizeof(ngx_http_livehub_worker_t));
    ngx_queue_init(&w->requests);
    ngx_queue_init(&w->flush);

    lmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_livehub_module);
    if (lmcf == NULL || !lmcf->used) {
        return NGX_OK;
    }

    w->conf = lmcf;

    livehub_config_init(&cfg);
    cfg.republish_wait_ms = (uint32_t) lmcf->republish_wait;
    cfg.idle_stream_ms = (uint32_t) lmcf->idle_stream;
    cfg.publisher_idle_timeout_ms = (uint32_t) lmcf->publisher_idle_timeout;
    cfg.player_idle_timeout_ms = (uint32_t) lmcf->player_idle_timeout;
    cfg.max_lag_ms = (uint32_t) lmcf->max_lag;
    cfg.gop_max_frames = (uint32_t) lmcf->gop_max_frames;
    cfg.gop_max_bytes = (uint64_t) lmcf->gop_max_bytes;
    cfg.max_tag_size = (uint32_t) lmcf->max_tag_size;

    w->pool = ngx_create_pool(NGX_DEFAULT_POOL_SIZE, cycle->log);
    if (w->pool == NULL) {
        return NGX_ERROR;
    }

    /* Process-wide; the log callback has no userdata to keep alive. */
    livehub_set_log_callback(LIVEHUB_LOG_INFO, ngx_http_livehub_log, NULL);

    r = livehub_hub_new(&cfg, &w->hub);
    if (r != LIVEHUB_OK) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                      "livehub_hub_new: %s", livehub_result_str(r));
        return NGX_ERROR;
    }

    /* One player group for the worker: a push wakes it once, whatever the
     * number of players waiting (the wake posts one event), and the
     * dispatch runs the players' notify callbacks from that event. */
    r = livehub_group_new(ngx_http_livehub_group_wake, w, &w->group);
    if (r != LIVEHUB_OK) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                      "livehub_group_new: %s", livehub_result_str(r));
        return NGX_ERROR;
    }

    w->dispatch.handler = ngx_http_livehub_dispatch_handler;
    w->dispatch.log = cycle->log;
    w->dispatch.data = w;

    w->tick.handler = ngx_http_livehub_tick_handler;
    w->tick.log = cycle->log;
    w->tick.data = w;
    w->tick.cancelable = 1;
    ngx_add_timer(&w->tick, NGX_HTTP_LIVEHUB_TICK_MS);

    if (lmcf->write_merge) {
        w->merge.handler = ngx_http_livehub_merge_handler;
        w->merge.log = cycle->log;
        w->merge.data = w;
        w->merge.cancelable = 1;
        ngx_add_timer(&w->merge, lmcf->write_merge);
    }

    ngx_log_error(NGX_LOG_INFO, cycle->log, 0,
                  "livehub %s: hub ready, write merge %Mms, "
                  "players in one group",
                  livehub_version(), lmcf->write_merge);

    return NGX_OK;
}


void
ngx_http_livehub_exit_process(ngx_cycle_t *cycle)
{
    ngx_queue_t                *q;
    ngx_http_livehub_ctx_t     *ctx;
    ngx_http_livehub_worker_t  *w = &ngx_http_livehub_worker;

    (void) cycle;

    if (w->hub == NULL) {
        return;
    }

    /*
     * Requests still here were never freed (nginx exits without freeing
     * them on a fast shutdown): release their handles now. Players first:
     * once released, their notify is never called again. No nginx buffer
     * is sent from here on.
     */
    for (q = ngx_queue_head(&w->requests);
         q != ngx_queue_sentinel(&w->requests);
         q = ngx_queue_next(q))
    {
        ctx = ngx_queue_data(q, ngx_http_livehub_ctx_t, link);
        livehub_player_release(ctx->player);
        ctx->player = NULL;
    }

    for (q = ngx_queue_head(&w->requests);
         q != ngx_queue_sentinel(&w->requests);
         q = ngx_queue_next(q))
    {
        ctx = ngx_queue_data(q, ngx_http_livehub_ctx_t, link);
        livehub_publisher_release(ctx->pub);
        ctx->pub = NULL;
    }

    if (w->dispatch.posted) {
        ngx_delete_posted_event(&w->dispatch);
    }

    /* no player is left: the group's wake is never called again */
    livehub_group_release(w->group);
    w->group = NULL;

    if (w->tick.timer_set) {
        ngx_del_timer(&w->tick);
    }

    if (w->merge.timer_set) {
        ngx_del_timer(&w->merge);
    }

    livehub_hub_release(w->hub);
    w->hub = NULL;

    livehub_set_log_callback(LIVEHUB_LOG_OFF, NULL, NULL);

    ngx_destroy_pool(w->pool);
    w->pool = NULL;
    w->free = NULL;
}


/* The group's wake: runs inside whichever livehub call brought news (on
 * this worker's thread); it only posts the dispatch event. */
static void
ngx_http_livehub_group_wake(void *userdata)
{
    ngx_http_livehub_worker_t  *w = userdata;

    ngx_post_event(&w->dispatch, &ngx_posted_events);
}


/* Runs the notify callbacks of the players that got news; each one posts
 * its player's event or puts it on the flush list (play.c). */
static void
ngx_http_livehub_dispatch_handler(ngx_event_t *ev)
{
    ngx_http_livehub_worker_t  *w = ev->data;

    livehub_group_dispatch(w->group, NULL);
}


/* The timers keep a shutting-down worker alive while it has requests. */
static void
ngx_http_livehub_cancelable(ngx_http_livehub_worker_t *w)
{
    w->tick.cancelable = w->nrequests == 0;
    w->merge.cancelable = w->nrequests == 0;
}


static void
ngx_http_livehub_tick_handler(ngx_event_t *ev)
{
    ngx_queue_t                *q, *next;
    ngx_connection_t           *c;
    ngx_http_livehub_ctx_t     *ctx;
    ngx_http_livehub_worker_t  *w = ev->data;

    /* Cuts silent publishers, ends republish waits that ran out, expires
     * players that stopped reading, reaps idle streams; the notify
     * callbacks it fires only post events. */
    livehub_hub_tick(w->hub);

    if (ngx_exiting) {
        /*
         * Graceful shutdown: close every livehub request of this worker.
         * Each close leaves the list (its pool cleanup runs), so walk it
         * with the next entry saved. Requests we already finalized finish
         * on nginx's own timers (send_timeout, lingering close).
         */
        for (q = ngx_queue_head(&w->requests);
             q != ngx_queue_sentinel(&w->requests);
             q = next)
        {
            next = ngx_queue_next(q);
            ctx = ngx_queue_data(q, ngx_http_livehub_ctx_t, link);

            if (ctx->done) {
                continue;
            }

            c = ctx->request->connection;
            ngx_http_set_log_request(c->log, ctx->request);
            ngx_http_livehub_finalize(ctx, NGX_HTTP_CLOSE);
            ngx_http_run_posted_requests(c);
        }
    }

    ngx_http_livehub_cancelable(w);

    if (!ngx_exiting || w->nrequests) {
        ngx_add_timer(ev, NGX_HTTP_LIVEHUB_TICK_MS);
    }
}


/*
 * Every livehub_write_merge: each player on the flush list gets one read
 * (all that came since the last firing) and one chain (see play.c). Those
 * put back on the list meanwhile wait for the next firing.
 */
static void
ngx_http_livehub_merge_handler(ngx_event_t *ev)
{
    ngx_uint_t                  n;
    ngx_queue_t                *q;
    ngx_connection_t           *c;
    ngx_http_livehub_ctx_t     *ctx;
    ngx_http_livehub_worker_t  *w = ev->data;

    n = 0;
    for (q = ngx_queue_head(&w->flush);
         q != ngx_queue_sentinel(&w->flush);
         q = ngx_queue_next(q))
    {
        n++;
    }

    while (n-- && !ngx_queue_empty(&w->flush)) {
        q = ngx_queue_head(&w->flush);
        ctx = ngx_queue_data(q, ngx_http_livehub_ctx_t, flush_link);
        ngx_http_livehub_flush_remove(ctx);

        c = ctx->request->connection;
        ngx_http_set_log_request(c->log, ctx->request);

        ngx_http_livehub_play_pump(ctx, 1);

        /* ctx may be gone: the request may have been freed */
        ngx_http_run_posted_requests(c);
    }

    if (!ngx_exiting || w->nrequests) {
        ngx_add_timer(ev, w->conf->write_merge);
    }
}


void
ngx_http_livehub_flush_add(ngx_http_livehub_ctx_t *ctx)
{
    if (!ctx->in_flush && !ctx->done) {
        ctx->in_flush = 1;
        ngx_queue_insert_tail(&ngx_http_livehub_worker.flush,
                              &ctx->flush_link);
    }
}


void
ngx_http_livehub_flush_remove(ngx_http_livehub_ctx_t *ctx)
{
    if (ctx->in_flush) {
        ctx->in_flush = 0;
        ngx_queue_remove(&ctx->flush_link);
    }
}


ngx_http_livehub_ctx_t *
ngx_http_livehub_ctx_create(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t         *cln;
    ngx_http_livehub_ctx_t     *ctx;
    ngx_http_livehub_worker_t  *w = &ngx_http_livehub_worker;

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_livehub_ctx_t));
    if (ctx == NULL) {
        return NULL;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    ctx->request = r;
    cln->handler = ngx_http_livehub_cleanup;
    cln->data = ctx;

    ngx_queue_insert_tail(&w->requests, &ctx->link);
    w->nrequests++;
    ngx_http_livehub_cancelable(w);

    ngx_http_set_ctx(r, ctx, ngx_http_livehub_module);

    return ctx;
}


/*
 * The request pool is being destroyed: nginx sends nothing more from our
 * chains. Release the handle (a player's notify never runs after its
 * release returns), then leave every list and queue.
 */
static void
ngx_http_livehub_cleanup(void *data)
{
    ngx_http_livehub_ctx_t     *ctx = data;
    ngx_http_livehub_worker_t  *w = &ngx_http_livehub_worker;

    livehub_player_release(ctx->player);
    ctx->player = NULL;
    livehub_publisher_release(ctx->pub);
    ctx->pub = NULL;

    if (ctx->wake.posted) {
        ngx_delete_posted_event(&ctx->wake);
    }

    ngx_http_livehub_flush_remove(ctx);

    /* our links and bufs go back to the worker, whatever was left unsent */
    ngx_http_livehub_free_links(ctx->out);
    ctx->out = NULL;

    ngx_queue_remove(&ctx->link);
    w->nrequests--;
    ngx_http_livehub_cancelable(w);
}


/*
 * Ends a request once: no more reads or writes from us. A publisher is
 * unpublished at once (its players need not wait for nginx to free the
 * request); a player's handle stays until the pool cleanup, since nginx
 * may still send buffers that point into its views.
 */
void
ngx_http_livehub_finalize(ngx_http_livehub_ctx_t *ctx, ngx_int_t rc)
{
    if (ctx->done) {
        return;
    }

    ctx->done = 1;
    ngx_http_livehub_flush_remove(ctx);

    if (ctx->wake.posted) {
        ngx_delete_posted_event(&ctx->wake);
    }

    livehub_publisher_release(ctx->pub);
    ctx->pub = NULL;

    ngx_http_finalize_request(ctx->request, rc);
}


/* A link with its buf, from the worker's free list or its pool. */
ngx_chain_t *
ngx_http_livehub_get_link(void)
{
    ngx_buf_t                  *b;
    ngx_chain_t                *cl;
    ngx_http_livehub_worker_t  *w = &ngx_http_livehub_worker;

    cl = w->free;
    if (cl) {
        w->free = cl->next;
        cl->next = NULL;
        ngx_memzero(cl->buf, sizeof(ngx_buf_t));
        return cl;
    }

    cl = ngx_palloc(w->pool, sizeof(ngx_chain_t));
    b = ngx_pcalloc(w->pool, sizeof(ngx_buf_t));
    if (cl == NULL || b == NULL) {
        return NULL;
    }

    cl->buf = b;
    cl->next = NULL;

    return cl;
}


/* Gives a chain of our links back (nginx holds none of them any more). */
void
ngx_http_livehub_free_links(ngx_chain_t *cl)
{
    ngx_chain_t                *next;
    ngx_http_livehub_worker_t  *w = &ngx_http_livehub_worker;

    for ( /* void */ ; cl; cl = next) {
        next = cl->next;
        cl->buf->pos = NULL;
        cl->buf->last = NULL;
        cl->next = w->free;
        w->free = cl;
    }
}
