/*
 * conn.c — a connection's life on its loop: creation (edge-triggered epoll
 * registration), the release of its livehub handles (player first, then
 * publisher = unpublish), close and deferred free, complete responses
 * (status, headers, body, then a half-close and a short linger for the
 * client's EOF), and the dispatch of epoll events and ready-list entries to
 * the handler of the connection's state (request.c, publish.c, play.c).
 */
#include "relay.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

conn *conn_new(loop *l, int fd, int listener, const char *peer)
{
    conn *c = xcalloc(1, sizeof *c);
    c->refs = 1;                     /* the loop's */
    c->src.kind = SRC_CONN;
    c->loop = l;
    c->fd = fd;
    c->state = listener == LISTEN_RTMP ? ST_RTMP : listener == LISTEN_TCP ? ST_TCP_KEY : ST_REQUEST;
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
    if (c->state == ST_RTMP) rtmp_start(c);
    return c;
}

/* Drops one reference to c; the last one frees it. Owner loop only: the
 * loop's reference goes in free_dead(), livehub's in
 * on_player_notify_release(), which livehub runs on this loop when we
 * release the player (never from inside the callback). */
void conn_unref(conn *c)
{
    if (--c->refs == 0) free(c);
}

/* Releases the livehub handles of c. The player first: once
 * livehub_player_release() returns, our callback is not running anywhere
 * and never runs again, and livehub has handed back its reference to c
 * (on_player_notify_release), so no other thread can reach c. Then the
 * publisher: releasing it is the unpublish (its players wait
 * republish_wait_ms for a new one); it notifies the waiting players from
 * inside the call, on this thread (their callbacks just queue them). */
void conn_release_handles(conn *c)
{
    if (c->rtmp) {
        /* The session's player first (its callback, once this returns,
         * never runs again), then its publisher: the same order. */
        livehub_rtmp_session_release(c->rtmp);
        c->rtmp = NULL;
        if (c->prompt) player_joined(c);   /* a player that never got its first bytes */
        c->npending = 0;
        if (g_verbose || c->bytes_in > 65536)
            say("[loop %d] rtmp %s%s%s closed: %llu bytes in, %llu out", c->loop->id, c->peer,
                c->key[0] ? " of " : "", c->key, (unsigned long long)c->bytes_in,
                (unsigned long long)c->bytes_out);
    }
    if (c->player) {
        livehub_player_release(c->player);
        c->player = NULL;
        if (c->prompt) player_joined(c);   /* no longer waiting for first bytes */
        if (g_verbose)
            say("[loop %d] player %s of %s left: %llu bytes", c->loop->id, c->peer, c->key,
                (unsigned long long)c->bytes_out);
    }
    if (c->pub) {
        livehub_publisher_stats st;
        memset(&st, 0, sizeof st);
        st.struct_size = sizeof st;
        livehub_publisher_get_stats(c->pub, &st);    /* for the log line only */
        livehub_publisher_release(c->pub);
        c->pub = NULL;
        say("[loop %d] unpublish %s by %s: %llu bytes in, %llu tags stored, %llu skipped", c->loop->id, c->key,
            c->peer, (unsigned long long)c->bytes_in, (unsigned long long)st.tags_in,
            (unsigned long long)st.tags_skipped);
    }
}

void conn_close(conn *c)
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
    free(c->keyline);
    free(c->pending);
    c->keyline = NULL;
    c->pending = NULL;
    c->req = NULL;
    c->out = NULL;
    c->rest = NULL;
    c->rest_n = c->rest_i = 0;
    /* The loop's reference goes in free_dead(), once the current epoll
     * batch (which may still name c) is done with. */
    c->dead = 1;
    c->next = l->dead;
    l->dead = c;
}

void free_dead(loop *l)
{
    conn *c = l->dead;
    l->dead = NULL;
    for (size_t guard = 0; c && guard < SIZE_MAX; guard++) {
        conn *next = c->next;
        conn_unref(c);               /* the loop's reference */
        c = next;
    }
}

/* Reads and discards whatever the client sends, up to EAGAIN. Returns 0 if
 * the client closed (or the socket failed): the caller closes. */
int drain_input(conn *c)
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

void linger_start(conn *c)
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

void respond_flush(conn *c)
{
    int failed;
    if (flush_out(c, &failed)) { linger_start(c); return; }
    if (failed) conn_close(c);
    /* else: EPOLLOUT continues */
}

/* Sends head[0..len) as the whole response (a HEAD answer), then lingers. */
void respond_head(conn *c, const char *head, size_t len)
{
    free(c->out);
    c->out = malloc(len ? len : 1);
    if (!c->out) { conn_close(c); return; }
    memcpy(c->out, head, len);
    c->out_len = len;
    c->out_off = 0;
    c->state = ST_RESPOND;
    c->since_ms = now_ms();
    free(c->req);
    c->req = NULL;
    respond_flush(c);
}

/* Sends a complete response, then lingers and closes. */
void respond(conn *c, int status, const char *reason, const char *ctype,
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

void respond_text(conn *c, int status, const char *reason, const char *text, int head_only)
{
    respond(c, status, reason, "text/plain; charset=utf-8", text, strlen(text), head_only, NULL);
}

/* An epoll event for c. */
void conn_event(conn *c, uint32_t ev)
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
    case ST_DELAY:
        /* The answer comes from the tick; what the client sends meanwhile
         * waits in the socket (read once the answer is in). */
        if (ev & EPOLLERR) conn_close(c);
        break;
    case ST_RTMP:
        if (ev & EPOLLERR) { conn_close(c); return; }
        if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) rtmp_read(c);
        else if (ev & EPOLLOUT) rtmp_service(c);
        break;
    }
}

/* From the ready list: continue whatever the connection was doing. */
void conn_service(conn *c)
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
    case ST_DELAY: break;
    /* Notified, or continuing: input first (EAGAIN at once when none). */
    case ST_RTMP: rtmp_read(c); break;
    }
}
