/*
 * Publishers: POST or PUT of /APP/STREAM.flv with an FLV body, chunked or
 * with a Content-Length (what `ffmpeg -re -i in.flv -c copy -f flv
 * http://HOST/live/x.flv` sends: a chunked POST).
 *
 * The body is read unbuffered (r->request_body_no_buffering): nginx hands
 * over each piece as it arrives, already de-chunked, in its one
 * client_body_buffer_size buffer; every piece goes to
 * livehub_publisher_push_flv at once and is marked consumed, so nothing
 * piles up (livehub copies only an incomplete tag's bytes, and each tag body
 * once, shared by every player). Players are notified from inside the
 * push, on this thread: they are only queued.
 *
 * 409 if the stream already has a publisher; 400 for a body that is not an
 * FLV stream or that livehub rejects (LIVEHUB_ERR_FLV_REJECTED: a bad
 * header, a tag over livehub_max_tag_size), 410 once the stream
 * was removed or the publisher cut for silence; 200 "published N bytes"
 * once the body ended. The end of the body, the client's close, a timeout
 * (client_body_timeout) or any error is the unpublish.
 */

#include "ngx_http_livehub_module.h"


static void ngx_http_livehub_body_init(ngx_http_request_t *r);
static void ngx_http_livehub_body_read(ngx_http_request_t *r);
static void ngx_http_livehub_body_wake(ngx_event_t *ev);
static void ngx_http_livehub_body_done(ngx_http_livehub_ctx_t *ctx);


/* Becomes the publisher of ctx->key. A stream can be closed between get-or-
 * create and publish (reaped while idle, or removed): then take the new
 * one; bounded retries. */
static livehub_result
ngx_http_livehub_start_publish(ngx_http_livehub_ctx_t *ctx)
{
    ngx_uint_t       attempt;
    livehub_result   lr;
    livehub_stream  *s;

    lr = LIVEHUB_ERR_CLOSED;

    for (attempt = 0; attempt < 3 && lr == LIVEHUB_ERR_CLOSED; attempt++) {
        lr = livehub_hub_stream(ngx_http_livehub_worker.hub, ctx->key, &s);
        if (lr != LIVEHUB_OK) {
            return lr;
        }

        lr = livehub_stream_publish(s, &ctx->pub);
        livehub_stream_release(s);          /* the publisher keeps its own */
    }

    return lr;
}


ngx_int_t
ngx_http_livehub_publish(ngx_http_request_t *r, ngx_http_livehub_ctx_t *ctx)
{
    ngx_int_t       rc;
    livehub_result  lr;

    lr = ngx_http_livehub_start_publish(ctx);

    if (lr == LIVEHUB_ERR_BUSY) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "livehub publisher of \"%s\" refused: "
                      "the stream already has one", ctx->key);
        return NGX_HTTP_CONFLICT;
    }

    if (lr != LIVEHUB_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "livehub publisher of \"%s\" refused: %s",
                      ctx->key, livehub_result_str(lr));
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "livehub publish \"%s\"", ctx->key);

    r->request_body_no_buffering = 1;

    /* takes its own reference on the request (r->main->count) */
    rc = ngx_http_read_client_request_body(r, ngx_http_livehub_body_init);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


/* Pushes one piece of the body. Returns NGX_OK to go on, or the status to
 * finalize with. */
static ngx_int_t
ngx_http_livehub_push(ngx_http_livehub_ctx_t *ctx, u_char *p, size_t n)
{
    ngx_uint_t         i;
    livehub_result     lr;
    ngx_connection_t  *c;

    c = ctx->request->connection;

    /* livehub rejects a bad FLV header too; checking the signature here
     * gives a clear 400 at once. */
    for (i = 0; ctx->sig_have < 4 && i < n; i++) {
        ctx->sig[ctx->sig_have++] = p[i];
    }

    if (ngx_memcmp(ctx->sig, "FLV\x01", ctx->sig_have) != 0) {
        ngx_log_error(NGX_LOG_INFO, c->log, 0,
                      "livehub publisher of \"%s\": not an FLV stream",
                      ctx->key);
        return NGX_HTTP_BAD_REQUEST;
    }

    lr = livehub_publisher_push_flv(ctx->pub, p, n);
    ctx->bytes_in += n;

    switch (lr) {

    case LIVEHUB_OK:
        return NGX_OK;

    case LIVEHUB_ERR_FLV:
        /* One tag was dropped (reserved type, encrypted, too short,
         * garbage): the others are stored, the stream goes on. */
        if (ctx->skipped++ < 3) {
            ngx_log_error(NGX_LOG_INFO, c->log, 0,
                          "livehub publisher of \"%s\": a tag was skipped",
                          ctx->key);
        }

        return NGX_OK;

    case LIVEHUB_ERR_FLV_REJECTED:
        /* The byte stream is dead for good (a bad header, or a tag over
         * livehub_max_tag_size); the stream and its players carry on. */
        ngx_log_error(NGX_LOG_INFO, c->log, 0,
                      "livehub publisher of \"%s\": FLV byte stream "
                      "rejected", ctx->key);
        return NGX_HTTP_BAD_REQUEST;

    case LIVEHUB_ERR_TOO_LARGE:
        ngx_log_error(NGX_LOG_INFO, c->log, 0,
                      "livehub publisher of \"%s\": FLV tag too large",
                      ctx->key);
        return NGX_HTTP_REQUEST_ENTITY_TOO_LARGE;

    case LIVEHUB_ERR_CLOSED:
        /* the stream was removed, or the publisher cut for silence */
        ngx_log_error(NGX_LOG_INFO, c->log, 0,
                      "livehub publisher of \"%s\": stream closed", ctx->key);
        return 410;

    default:
        ngx_log_error(NGX_LOG_ERR, c->log, 0,
                      "livehub publisher of \"%s\": push_flv: %s",
                      ctx->key, livehub_result_str(lr));
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
}


/* Hands every piece nginx read to livehub and gives the links back: the
 * buffers are marked consumed, so nginx reuses its one body buffer. */
static ngx_int_t
ngx_http_livehub_consume(ngx_http_livehub_ctx_t *ctx)
{
    ngx_int_t            rc;
    ngx_buf_t           *b;
    ngx_chain_t         *cl, *next;
    ngx_http_request_t  *r;

    r = ctx->request;
    rc = NGX_OK;

    for (cl = r->request_body->bufs; cl; cl = next) {
        next = cl->next;
        b = cl->buf;

        if (rc == NGX_OK && !ctx->done && b->last > b->pos) {
            rc = ngx_http_livehub_push(ctx, b->pos, b->last - b->pos);
        }

        b->pos = b->last;
        ngx_free_chain(r->pool, cl);
    }

    r->request_body->bufs = NULL;

    return rc;
}


/* The first part of the body (with the request head, or the first read);
 * nginx calls it once. */
static void
ngx_http_livehub_body_init(ngx_http_request_t *r)
{
    ngx_int_t                rc;
    ngx_http_livehub_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_livehub_module);

    /* the rest of the body: our read handler (and our event, when a turn
     * ends with data still there) */
    r->read_event_handler = ngx_http_livehub_body_read;
    ctx->wake.handler = ngx_http_livehub_body_wake;
    ctx->wake.data = ctx;
    ctx->wake.log = r->connection->log;

    rc = ngx_http_livehub_consume(ctx);
    if (rc != NGX_OK) {
        ngx_http_livehub_finalize(ctx, rc);
        return;
    }

    if (!r->reading_body) {
        ngx_http_livehub_body_done(ctx);
        return;
    }

    /* the buffer may have been full: read on */
    ngx_http_livehub_body_read(r);
}


/*
 * Reads and pushes until the socket has nothing more (nginx's epoll is
 * edge-triggered: data left in the socket would bring no new event). nginx
 * stops reading while its buffer holds unconsumed pieces, so read again
 * after each consumption. A turn is bounded; the rest continues from a
 * posted event, after the other connections.
 */
static void
ngx_http_livehub_body_read(ngx_http_request_t *r)
{
    ngx_int_t                rc, rrc;
    ngx_uint_t               i, got;
    ngx_http_livehub_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_livehub_module);

    if (ctx == NULL || ctx->done) {
        return;
    }

    for (i = 0; i < NGX_HTTP_LIVEHUB_READS; i++) {

        /* NGX_OK: the body ended; NGX_AGAIN: more to come; else an error
         * or a timeout (the client went away: the unpublish) */
        rrc = ngx_http_read_unbuffered_request_body(r);

        got = r->request_body->bufs != NULL;
        rc = ngx_http_livehub_consume(ctx);

        if (rrc >= NGX_HTTP_SPECIAL_RESPONSE || rrc == NGX_ERROR) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "livehub unpublish \"%s\": the body was cut after "
                          "%O bytes", ctx->key, ctx->bytes_in);
            ngx_http_livehub_finalize(ctx, rrc);
            return;
        }

        if (rc != NGX_OK) {
            ngx_http_livehub_finalize(ctx, rc);
            return;
        }

        if (rrc == NGX_OK) {
            ngx_http_livehub_body_done(ctx);
            return;
        }

        if (!got) {
            /* nothing more in the socket: wait for its read event */
            return;
        }
    }

    ngx_post_event(&ctx->wake, &ngx_posted_events);
}


static void
ngx_http_livehub_body_wake(ngx_event_t *ev)
{
    ngx_connection_t        *c;
    ngx_http_livehub_ctx_t  *ctx = ev->data;

    c = ctx->request->connection;
    ngx_http_set_log_request(c->log, ctx->request);

    ngx_http_livehub_body_read(ctx->request);

    /* the request may have been freed: only c is used from here */
    ngx_http_run_posted_requests(c);
}


/* The body ended: unpublish, then answer 200. */
static void
ngx_http_livehub_body_done(ngx_http_livehub_ctx_t *ctx)
{
    u_char              *p;
    ngx_int_t            rc;
    ngx_buf_t           *b;
    ngx_chain_t          out;
    ngx_http_request_t  *r;

    r = ctx->request;

    livehub_publisher_release(ctx->pub);
    ctx->pub = NULL;

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "livehub unpublish \"%s\": %O bytes", ctx->key,
                  ctx->bytes_in);

    b = ngx_create_temp_buf(r->pool, 64);
    if (b == NULL) {
        ngx_http_livehub_finalize(ctx, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    p = ngx_sprintf(b->last, "published %O bytes\n", ctx->bytes_in);
    b->last = p;
    b->last_buf = 1;
    b->last_in_chain = 1;

    r->headers_out.status = NGX_HTTP_OK;
    ngx_str_set(&r->headers_out.content_type, "text/plain");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_length_n = b->last - b->pos;

    if (ngx_http_livehub_add_headers(r) != NGX_OK) {
        ngx_http_livehub_finalize(ctx, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    rc = ngx_http_send_header(r);
    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        ngx_http_livehub_finalize(ctx, rc);
        return;
    }

    out.buf = b;
    out.next = NULL;

    ngx_http_livehub_finalize(ctx, ngx_http_output_filter(r, &out));
}
