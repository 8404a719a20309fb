/*
 * request.c — reading a request head off the socket and routing it. The
 * head is read into a REQ_MAX buffer (a longer one gets 431; one that takes
 * longer than REQUEST_TIMEOUT_MS is closed by the tick), parsed by
 * http_parse.c, and sent on: GET/HEAD of /KEY.flv to play.c, POST/PUT of
 * /KEY.flv to publish.c (with the body bytes that came with the head), the
 * page, its script and /api/streams to static.c, OPTIONS answered here.
 * Publishers and players of a stream first pass auth_query_ok() (auth.c)
 * with the relay's secret for their role: 403 if it does not match. One
 * request per connection: every response closes it.
 */
#include "relay.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Routes a parsed request (its strings point into c->req). */
static void route(conn *c, const http_request *req, size_t head_len)
{
    http_request rq = *req;

    int get = !strcmp(rq.method, "GET"), head = !strcmp(rq.method, "HEAD");
    int post = !strcmp(rq.method, "POST") || !strcmp(rq.method, "PUT");
    size_t tlen = strlen(rq.target);
    int is_flv = tlen > 5 && rq.target[0] == '/' && !strcmp(rq.target + tlen - 4, ".flv");

    if (!strcmp(rq.method, "OPTIONS")) {
        respond(c, 204, "No Content", "text/plain", "", 0, 1,
                "Access-Control-Allow-Methods: GET, HEAD, POST, PUT, OPTIONS\r\n"
                "Access-Control-Allow-Headers: *\r\n");
        return;
    }
    if (is_flv) {
        if (!http_flv_key(rq.target, c->key)) { respond_text(c, 400, "Bad Request", "bad stream key\n", head); return; }
        if (!post && !get && !head) { respond(c, 405, "Method Not Allowed", "text/plain", "", 0, 0, "Allow: GET, HEAD, POST, PUT\r\n"); return; }
        /* The secret of the role, if the relay has one (auth.c). */
        if (!auth_query_ok(post ? g.publish_secret : g.play_secret, rq.query)) {
            say("[loop %d] %s %s of %s refused: wrong or missing secret", c->loop->id,
                post ? "publisher" : "player", c->peer, c->key);
            respond_text(c, 403, "Forbidden", "wrong or missing secret\n", head);
            return;
        }
        if (g.accept_delay_ms && !c->accept_at_ms) {
            /* --accept-delay-ms: answered by the tick, as a slow auth hook
             * would; the client may leave meanwhile (request_delayed). */
            c->state = ST_DELAY;
            c->delay_head_len = head_len;
            c->delay_rq = rq;
            c->accept_at_ms = now_ms() + g.accept_delay_ms;
            return;
        }
        if (get || head) { start_play(c, head); return; }
        start_http_publish(c, &rq, head_len);
        return;
    }
    if (!get && !head) {
        respond(c, 405, "Method Not Allowed", "text/plain", "", 0, 0, "Allow: GET, HEAD, POST, PUT, OPTIONS\r\n");
        return;
    }
    if (!strcmp(rq.target, "/") || !strcmp(rq.target, "/index.html"))
        serve_file(c, "index.html", "text/html; charset=utf-8", head);
    else if (!strcmp(rq.target, "/mpegts.js"))
        serve_file(c, "node_modules/mpegts.js/dist/mpegts.js", "application/javascript", head);
    else if (!strcmp(rq.target, "/api/streams"))
        serve_stats(c, head);
    else
        respond_text(c, 404, "Not Found", "not found\n", head);
}

static void handle_request(conn *c, size_t head_len)
{
    http_request rq;
    int status = http_parse_request(c->req, head_len, &rq);
    if (status == 431) { respond_text(c, 431, "Request Header Fields Too Large", "too many header lines\n", 0); return; }
    if (status == 501) { respond_text(c, 501, "Not Implemented", "unsupported transfer encoding\n", 0); return; }
    if (status != 0) { respond_text(c, 400, "Bad Request", "bad request\n", 0); return; }
    route(c, &rq, head_len);
}

/* ST_DELAY: the delayed answer is due: route the kept request now (the
 * head is still in c->req, which its strings point into). */
void request_delayed(conn *c)
{
    c->state = ST_REQUEST;           /* routed as if it had just come */
    c->since_ms = now_ms();
    http_request rq = c->delay_rq;
    route(c, &rq, c->delay_head_len);
}

/* ST_REQUEST: reads until the head is complete, the buffer is full (431),
 * EAGAIN, or the client goes. */
void request_read(conn *c)
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
        size_t head_len = http_head_end(c->req, c->req_len, from);
        if (head_len) { handle_request(c, head_len); return; }
    }
    ready_push(c);
}
