/*
 * Players: GET (and HEAD) of /APP/STREAM.flv.
 *
 * A player is a livehub_player owned by the request context. Its bytes go
 * out as nginx chains whose bufs point straight into the iovecs that
 * livehub_player_read_iov() returns (tag bodies are never copied). Those
 * views are valid until the next call on the player, so the next read
 * happens only once nginx sent the whole previous chain (r->out empty,
 * nothing buffered): nginx never holds more than one batch of a player,
 * and a client that falls behind is skipped forward by livehub (max_lag)
 * or closed by send_timeout, never buffered without bound.
 *
 * Wake-ups. Every player of the worker is in the worker's livehub group:
 * a change of a stream (a publisher's push, a release, livehub_hub_tick)
 * wakes the group once, whatever the number of players waiting, and the
 * wake posts one nginx event, whose handler runs livehub_group_dispatch()
 * (hub.c). That calls the notify callback of each player that got news,
 * on this worker's thread. It touches nothing but lists: before its
 * first bytes (prompt), or without write merging, it posts the player's
 * event; otherwise it puts the player on the worker's flush list, which
 * the merge timer writes out every livehub_write_merge, all the tags that
 * came meanwhile in one chain, so a player's socket is written about
 * 1000/livehub_write_merge times a second whatever the tag rate. A player
 * whose read returned data stays on the list for the next firing; one
 * whose read returned LIVEHUB_AGAIN waits for its notify.
 *
 * The response head goes out with the first bytes of the stream: 404 if
 * the stream ended before sending anything (as flv_relay answers).
 */

#include "ngx_http_livehub_module.h"


static void ngx_http_livehub_notify(void *userdata);
static void ngx_http_livehub_wake_handler(ngx_event_t *ev);
static void ngx_http_livehub_play_read(ngx_http_request_t *r);
static void ngx_http_livehub_play_write(ngx_http_request_t *r);


/* Set the 200 response head of a player (GET or HEAD). */
static ngx_int_t
ngx_http_livehub_play_head(ngx_http_request_t *r)
{
    r->headers_out.status = NGX_HTTP_OK;
    ngx_str_set(&r->headers_out.content_type, "video/x-flv");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;
    r->headers_out.content_length_n = -1;
    r->allow_ranges = 0;
    r->keepalive = 0;

    if (ngx_http_livehub_add_headers(r) != NGX_OK) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * Finds a stream that is being published (or waits for its publisher to
 * come back). A mounted stream without a publisher is as good as unknown.
 * On NGX_OK the caller owns one stream reference.
 */
static ngx_int_t
ngx_http_livehub_find(ngx_http_request_t *r, const char *key,
    livehub_stream **s)
{
    livehub_result        lr;
    livehub_stream_stats  st;

    lr = livehub_hub_find(ngx_http_livehub_worker.hub, key, s);
    if (lr == LIVEHUB_ERR_NOT_FOUND) {
        return NGX_HTTP_NOT_FOUND;
    }

    if (lr != LIVEHUB_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "livehub_hub_find \"%s\": %s", key,
                      livehub_result_str(lr));
        return NGX_HTTP_BAD_REQUEST;
    }

    ngx_memzero(&st, sizeof(livehub_stream_stats));
    st.struct_size = sizeof(livehub_stream_stats);

    if (livehub_stream_get_stats(*s, &st) != LIVEHUB_OK
        || st.publisher_state == LIVEHUB_PUBLISHER_NONE)
    {
        livehub_stream_release(*s);
        *s = NULL;
        return NGX_HTTP_NOT_FOUND;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_livehub_head(ngx_http_request_t *r, const char *key)
{
    ngx_int_t        rc;
    livehub_stream  *s;

    rc = ngx_http_livehub_find(r, key, &s);
    if (rc != NGX_OK) {
        return rc;
    }

    livehub_stream_release(s);

    if (ngx_http_livehub_play_head(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_send_header(r);
    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    return ngx_http_send_special(r, NGX_HTTP_LAST);
}


ngx_int_t
ngx_http_livehub_play(ngx_http_request_t *r, ngx_http_livehub_ctx_t *ctx)
{
    ngx_int_t             rc;
    livehub_result        lr;
    livehub_stream       *s;
    livehub_play_options  opts;

    rc = ngx_http_livehub_find(r, ctx->key, &s);
    if (rc != NGX_OK) {
        return rc;
    }

    /* Timestamps rebased to 0, the hub's republish wait, and the worker's
     * group; the player joins at the newest keyframe, after metadata and
     * sequence headers. It holds its own stream reference. */
    livehub_play_options_init(&opts);
    opts.group = ngx_http_livehub_worker.group;
    lr = livehub_stream_play(s, &opts, &ctx->player);
    livehub_stream_release(s);

    if (lr != LIVEHUB_OK) {
        return NGX_HTTP_NOT_FOUND;
    }

    ctx->wake.handler = ngx_http_livehub_wake_handler;
    ctx->wake.data = ctx;
    ctx->wake.log = r->connection->log;
    ctx->prompt = 1;

    /* From here on livehub may call the notify (on this thread only). */
    livehub_player_set_notify(ctx->player, ngx_http_livehub_notify, ctx);

    r->read_event_handler = ngx_http_livehub_play_read;
    r->write_event_handler = ngx_http_livehub_play_write;

    /* the request lives on after this handler returns NGX_DONE */
    r->main->count++;

    /* the first batch at once: joins are not merged */
    ngx_http_livehub_play_pump(ctx, 1);

    return NGX_DONE;
}


/* livehub's notify: runs inside a livehub call on this thread; it only
 * queues the player (see the top of this file). */
static void
ngx_http_livehub_notify(void *userdata)
{
    ngx_http_livehub_ctx_t  *ctx = userdata;

    if (ctx->done) {
        return;
    }

    if (ctx->prompt || ngx_http_livehub_worker.conf->write_merge == 0) {
        ngx_post_event(&ctx->wake, &ngx_posted_events);

    } else {
        ngx_http_livehub_flush_add(ctx);
    }
}


static void
ngx_http_livehub_wake_handler(ngx_event_t *ev)
{
    ngx_connection_t        *c;
    ngx_http_request_t      *r;
    ngx_http_livehub_ctx_t  *ctx = ev->data;

    r = ctx->request;
    c = r->connection;

    ngx_http_set_log_request(c->log, r);

    ngx_http_livehub_play_pump(ctx,
        ngx_http_livehub_worker.conf->write_merge == 0 || !ctx->head_sent);

    /* the request may have been freed: only c is used from here */
    ngx_http_run_posted_requests(c);
}


/* A player sends nothing after its request: input is its close, or noise
 * to discard. */
static void
ngx_http_livehub_play_read(ngx_http_request_t *r)
{
    u_char                   buf[512];
    ssize_t                  n;
    ngx_uint_t               i;
    ngx_connection_t        *c;
    ngx_http_livehub_ctx_t  *ctx;

    c = r->connection;
    ctx = ngx_http_get_module_ctx(r, ngx_http_livehub_module);

    if (ctx == NULL || ctx->done) {
        return;
    }

#if (NGX_HTTP_V2)
    if (r->stream) {
        /* HTTP/2: the stream's fake connection is not read directly; nginx
         * marks it on a reset or a close */
        if (c->error) {
            ngx_http_livehub_finalize(ctx, NGX_HTTP_CLIENT_CLOSED_REQUEST);
        }

        return;
    }
#endif

    for (i = 0; i < 16; i++) {
        n = c->recv(c, buf, sizeof(buf));

        if (n == NGX_AGAIN) {
            break;
        }

        if (n == 0 || n == NGX_ERROR) {
            c->error = 1;
            ngx_http_livehub_finalize(ctx, NGX_HTTP_CLIENT_CLOSED_REQUEST);
            return;
        }
    }

    if (ngx_handle_read_event(c->read, 0) != NGX_OK) {
        ngx_http_livehub_finalize(ctx, NGX_ERROR);
    }
}


/* Room in the socket: the rest of the batch being sent; new batches only
 * without merging (with it, the merge timer reads them). */
static void
ngx_http_livehub_play_write(ngx_http_request_t *r)
{
    ngx_connection_t        *c;
    ngx_http_livehub_ctx_t  *ctx;

    c = r->connection;
    ctx = ngx_http_get_module_ctx(r, ngx_http_livehub_module);

    if (ctx == NULL || ctx->done) {
        return;
    }

    if (c->write->timedout) {
        c->timedout = 1;
        ngx_log_error(NGX_LOG_INFO, c->log, NGX_ETIMEDOUT,
                      "livehub player of \"%s\" timed out", ctx->key);
        ngx_http_livehub_finalize(ctx, NGX_HTTP_REQUEST_TIME_OUT);
        return;
    }

    ngx_http_livehub_play_pump(ctx,
        ngx_http_livehub_worker.conf->write_merge == 0 || !ctx->head_sent);
}


/* Whether nginx still holds part of what we gave it. */
static ngx_uint_t
ngx_http_livehub_pending(ngx_http_request_t *r)
{
    return r->out != NULL || r->buffered || r->connection->buffered;
}


/* nginx sent the whole chain: our links and bufs go back to the worker,
 * and the views they pointed at may be ended by the next read. */
static void
ngx_http_livehub_sent(ngx_http_livehub_ctx_t *ctx)
{
    ngx_connection_t  *c = ctx->request->connection;

    ctx->sending = 0;
    ngx_http_livehub_free_links(ctx->out);
    ctx->out = NULL;
    ctx->nout = 0;

    if (c->write->timer_set) {
        ngx_del_timer(c->write);
    }
}


/* The socket is full: wait for room, at most send_timeout without any. */
static ngx_int_t
ngx_http_livehub_wait_write(ngx_http_livehub_ctx_t *ctx)
{
    ngx_connection_t          *c;
    ngx_http_request_t        *r;
    ngx_http_core_loc_conf_t  *clcf;

    r = ctx->request;
    c = r->connection;
    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    ctx->sending = 1;

    if (!c->write->delayed) {
        ngx_add_timer(c->write, clcf->send_timeout);
    }

    if (ngx_handle_write_event(c->write, clcf->send_lowat) != NGX_OK) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* One batch, iov[0..n), as a chain of bufs pointing into livehub's views,
 * flushed (no postponing: the next read must wait for it all). Pieces that
 * follow each other in memory (a tag's PreviousTagSize and the next tag's
 * header, say) share one buf. */
static ngx_int_t
ngx_http_livehub_send_batch(ngx_http_livehub_ctx_t *ctx, livehub_iovec *iov,
    size_t n)
{
    size_t        i;
    ngx_buf_t    *b;
    ngx_chain_t  *cl, **ll;

    ll = &ctx->out;
    b = NULL;

    for (i = 0; i < n; i++) {
        ctx->bytes_out += iov[i].iov_len;

        if (b && b->last == (u_char *) iov[i].iov_base) {
            b->last += iov[i].iov_len;
            b->end = b->last;
            continue;
        }

        cl = ngx_http_livehub_get_link();
        if (cl == NULL) {
            return NGX_ERROR;
        }

        b = cl->buf;
        b->start = iov[i].iov_base;
        b->pos = b->start;
        b->last = b->pos + iov[i].iov_len;
        b->end = b->last;
        b->memory = 1;
        b->tag = (ngx_buf_tag_t) &ngx_http_livehub_module;

        *ll = cl;
        ll = &cl->next;
        ctx->nout++;
    }

    if (b == NULL) {
        return NGX_OK;
    }

    b->flush = 1;

    return ngx_http_output_filter(ctx->request, ctx->out);
}


/*
 * Writes a player: first the rest of the chain being sent, then, with
 * `may_read`, new batches from livehub until it has nothing more (without
 * merging), or one batch (with merging; on at once only while batches fill
 * the whole array, as at a join).
 */
void
ngx_http_livehub_play_pump(ngx_http_livehub_ctx_t *ctx, ngx_uint_t may_read)
{
    size_t                      n;
    ngx_int_t                   rc;
    ngx_uint_t                  turn, full;
    livehub_result              lr;
    ngx_http_request_t         *r;
    ngx_http_livehub_worker_t  *w = &ngx_http_livehub_worker;

    r = ctx->request;

    if (ctx->done) {
        return;
    }

    if (ctx->sending) {
        rc = ngx_http_output_filter(r, NULL);
        if (rc == NGX_ERROR) {
            ngx_http_livehub_finalize(ctx, NGX_ERROR);
            return;
        }

        if (ngx_http_livehub_pending(r)) {
            if (ngx_http_livehub_wait_write(ctx) != NGX_OK) {
                ngx_http_livehub_finalize(ctx, NGX_ERROR);
            }

            return;
        }

        ngx_http_livehub_sent(ctx);
    }

    for (turn = 0; may_read && turn < NGX_HTTP_LIVEHUB_BATCHES; turn++) {

        /* This call ends the validity of the previous batch's views (all
         * sent); the new ones point into livehub's shared storage. */
        n = 0;
        lr = livehub_player_read_iov(ctx->player, w->iov,
                                     NGX_HTTP_LIVEHUB_IOV_BATCH, &n);

        if (lr == LIVEHUB_OK) {
            ctx->armed = 0;

            if (!ctx->head_sent) {
                ctx->head_sent = 1;
                ctx->prompt = 0;

                if (ngx_http_livehub_play_head(r) != NGX_OK) {
                    ngx_http_livehub_finalize(ctx, NGX_ERROR);
                    return;
                }

                rc = ngx_http_send_header(r);
                if (rc == NGX_ERROR || rc > NGX_OK) {
                    ngx_http_livehub_finalize(ctx, rc);
                    return;
                }
            }

            rc = ngx_http_livehub_send_batch(ctx, w->iov, n);
            if (rc == NGX_ERROR) {
                ngx_http_livehub_finalize(ctx, NGX_ERROR);
                return;
            }

            if (ngx_http_livehub_pending(r)) {
                if (ngx_http_livehub_wait_write(ctx) != NGX_OK) {
                    ngx_http_livehub_finalize(ctx, NGX_ERROR);
                }

                return;
            }

            ngx_http_livehub_sent(ctx);

            /* the array was (nearly) full: there may be more right now */
            full = n + 2 >= NGX_HTTP_LIVEHUB_IOV_BATCH;
            if (w->conf->write_merge && !full) {
                break;
            }

            continue;
        }

        if (lr == LIVEHUB_AGAIN) {
            /* armed: the notify brings us back */
            ctx->armed = 1;
            return;
        }

        if (lr == LIVEHUB_EOF) {
            /* The stream ended (removed, or no publisher came back within
             * the republish wait). Before any byte: it was never there. */
            if (!ctx->head_sent) {
                ngx_http_livehub_finalize(ctx, NGX_HTTP_NOT_FOUND);
                return;
            }

            ngx_http_livehub_finalize(ctx,
                                      ngx_http_send_special(r, NGX_HTTP_LAST));
            return;
        }

        if (lr != LIVEHUB_ERR_EXPIRED) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "livehub player of \"%s\": read_iov: %s",
                          ctx->key, livehub_result_str(lr));

        } else {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "livehub player of \"%s\" expired", ctx->key);
        }

        ngx_http_livehub_finalize(ctx, ctx->head_sent ? NGX_ERROR
                                  : NGX_HTTP_SERVICE_UNAVAILABLE);
        return;
    }

    if (w->conf->write_merge) {
        /* Everything is sent and the player is not armed (its last read
         * returned data, or it was not read now): the next firing reads
         * it, and sees the end of the stream if that is what comes. */
        if (!ctx->armed) {
            ngx_http_livehub_flush_add(ctx);
        }

        return;
    }

    /* more to send: after the others */
    ngx_post_event(&ctx->wake, &ngx_posted_events);
}
