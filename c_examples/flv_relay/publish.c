/*
 * publish.c — a publisher: how a server feeds a live stream into livehub.
 * start_publish() gets or creates the stream of c->key and becomes its one
 * publisher (409 if it has one); every byte of the body then goes to
 * livehub_publisher_push_flv() in whatever pieces the socket gave (livehub
 * keeps an incomplete tag until the rest comes, and notifies the players
 * from inside the call, on this thread). The body framing is undone here:
 * Content-Length, chunked (http_chunked.c) or until the client closes, as
 * well as the raw TCP ingest with its optional "KEY app/stream" line
 * (which carries "?secret=S" when the relay has a publish secret).
 * Releasing the publisher — at the end of the body, on a cut connection or
 * bad data — is the unpublish: the players wait republish_wait_ms for a new
 * one. An HTTP publisher gets its response when the body is over.
 */
#include "relay.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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
 * answered or closed. The result code alone says what to do. */
static int feed_flv(conn *c, const uint8_t *p, size_t n)
{
    if (n == 0) return 1;
    /* Any chunking is fine: livehub keeps an incomplete tag until the rest
     * arrives. The bytes are copied (only the incomplete tail, and each tag
     * body once, shared by every player). Players are notified from inside
     * this call, on this thread. */
    livehub_result r = livehub_publisher_push_flv(c->pub, p, n);
    c->bytes_in += n;
    switch (r) {
    case LIVEHUB_OK:
        return 1;
    case LIVEHUB_ERR_FLV:
        /* One tag was dropped (reserved type, encrypted, too short, garbage
         * between tags): the rest of the chunk is stored and the stream
         * goes on. livehub counts them (tags_skipped, logged at the
         * unpublish); say so once here. */
        if (!c->skip_logged++)
            say("[loop %d] publisher %s of %s: a tag was skipped (%s)", c->loop->id, c->peer, c->key,
                livehub_result_str(r));
        return 1;
    case LIVEHUB_ERR_FLV_REJECTED:
        /* The byte stream is dead (not FLV, a bad header, a tag over
         * max_tag_size): every later push would say the same. */
        ingest_fail(c, 400, "Bad Request", "not a valid FLV stream\n");
        return 0;
    case LIVEHUB_ERR_TOO_LARGE:                      /* from older libraries: the same */
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

/* Undoes the HTTP body framing. Returns 1 to go on, 0 if done/closed. */
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
    /* Chunked: each data span goes to livehub as it is decoded. */
    for (size_t guard = 0; n > 0 && guard < 1000000; guard++) {
        size_t used = 0, off = 0, len = 0;
        int r = http_chunked_decode(&c->chunked, p, n, &used, &off, &len);
        if (r == HTTP_CHUNKED_DATA && !feed_flv(c, p + off, len)) return 0;
        if (r == HTTP_CHUNKED_DONE) { ingest_finish(c); return 0; }
        if (r == HTTP_CHUNKED_BAD) { ingest_fail(c, 400, "Bad Request", "bad chunked encoding\n"); return 0; }
        p += used;
        n -= used;
    }
    return 1;
}

/* Raw TCP: the optional "KEY app/stream\n" line, then FLV. */
static int tcp_bytes(conn *c, const uint8_t *p, size_t n)
{
    size_t i = 0;
    if (c->state == ST_TCP_KEY) {
        if (c->keyline_len == 0 && n > 0 && p[0] != 'K') {
            snprintf(c->key, sizeof c->key, "%s", TCP_DEFAULT_KEY);
            if (g.publish_secret) {      /* no KEY line: no secret either */
                say("[loop %d] tcp ingest %s refused: wrong or missing secret", c->loop->id, c->peer);
                conn_close(c);
                return 0;
            }
        } else {
            if (!c->keyline) c->keyline = xcalloc(1, KEYLINE_MAX);
            while (i < n && p[i] != '\n') {
                if (c->keyline_len >= KEYLINE_MAX - 1) {
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
            /* "KEY app/stream?secret=S": the query is for auth.c. */
            char *q = memchr(c->keyline, '?', len);
            const char *query = "";
            if (q) {
                *q = '\0';
                query = q + 1;
                len = (size_t)(q - c->keyline);
            }
            if (len < 5 || memcmp(c->keyline, "KEY ", 4) != 0 || !http_key_ok(c->keyline + 4, len - 4)) {
                say("[loop %d] tcp ingest %s: bad first line (want \"KEY app/stream\")", c->loop->id, c->peer);
                conn_close(c);
                return 0;
            }
            snprintf(c->key, sizeof c->key, "%s", c->keyline + 4);
            int allowed = auth_query_ok(g.publish_secret, query);
            free(c->keyline);
            c->keyline = NULL;
            if (!allowed) {
                say("[loop %d] tcp ingest %s of %s refused: wrong or missing secret", c->loop->id, c->peer, c->key);
                conn_close(c);
                return 0;
            }
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

/* ST_TCP_KEY / ST_INGEST: reads the socket, up to READS_PER_TURN reads. */
void ingest_read(conn *c)
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

/* POST or PUT of /KEY.flv (c->key is set): c->req[0..head_len) is the
 * parsed head, body bytes that came with it follow up to c->req_len. */
void start_http_publish(conn *c, const http_request *rq, size_t head_len)
{
    c->http_ingest = 1;
    if (rq->chunked) { c->body_mode = BODY_CHUNKED; memset(&c->chunked, 0, sizeof c->chunked); }
    else if (rq->content_length >= 0) { c->body_mode = BODY_LENGTH; c->body_left = (uint64_t)rq->content_length; }
    else c->body_mode = BODY_UNTIL_CLOSE;
    livehub_result r = start_publish(c);
    if (r == LIVEHUB_ERR_BUSY) { ingest_fail(c, 409, "Conflict", "stream is busy: it already has a publisher\n"); return; }
    if (r != LIVEHUB_OK) { ingest_fail(c, 503, "Service Unavailable", livehub_result_str(r)); return; }
    if (rq->expect_continue) {
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
}
