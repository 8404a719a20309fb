/*
 * rtmp.c — RTMP publishers and players (--rtmp ADDR:PORT) on the same hub
 * as HTTP-FLV: rtmp://host/live/cam1 is the stream that /live/cam1.flv
 * plays, whichever protocol published it. The protocol itself is livehub's
 * sans-IO session (livehub_rtmp_session): what the socket delivers goes to
 * livehub_rtmp_session_feed(); its events are publish and play requests,
 * answered with a livehub publisher or player — at once, or after
 * --accept-delay-ms (a stand-in for a slow auth hook: the client, the
 * stream and the publisher may all go away meanwhile, and the answer then
 * simply finds nothing to answer); what the session queues goes out with
 * writev() of the iovecs livehub_rtmp_session_output() hands out, whose
 * media payloads are the stream's shared tag bodies (never copied per
 * player). --publish-secret and --play-secret apply as for HTTP (auth.c),
 * to the query of the stream name: rtmp://host/live/cam1?secret=S. A
 * player's notify callback is the HTTP players' one (loop.c):
 * it queues the connection, and rtmp_service() pumps the session's player
 * into the output and writes it. The session owns its publisher and
 * player: releasing it (conn_release_handles) is the unpublish or the
 * player leaving.
 */
#include "relay.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

void rtmp_start(conn *c)
{
    livehub_rtmp_config cfg;
    livehub_rtmp_config_init(&cfg);
    c->pending = xcalloc(RTMP_MAX_PENDING, sizeof *c->pending);
    livehub_result r = livehub_rtmp_session_new(&cfg, &c->rtmp);
    if (r != LIVEHUB_OK) {
        say("[loop %d] rtmp %s: %s", c->loop->id, c->peer, livehub_result_str(r));
        conn_close(c);
    }
}

/* Publish: a publisher on the key's stream, or the refusal clients know
 * (BadName when busy). The session takes the publisher whatever happens. */
static void answer_publish(conn *c, const rtmp_pending *p)
{
    livehub_stream *st = NULL;
    livehub_publisher *pub = NULL;
    livehub_result r = livehub_hub_stream(g.hub, p->key, &st);
    if (r == LIVEHUB_OK) r = livehub_stream_publish(st, &pub);
    if (st) livehub_stream_release(st);
    if (r != LIVEHUB_OK) {
        say("[loop %d] rtmp publish %s by %s refused: %s", c->loop->id, p->key, c->peer, livehub_result_str(r));
        livehub_rtmp_session_reject(c->rtmp, p->id, r == LIVEHUB_ERR_BUSY ? LIVEHUB_RTMP_REJECT_BUSY : LIVEHUB_RTMP_REJECT_DENIED);
        return;
    }
    r = livehub_rtmp_session_accept_publish(c->rtmp, p->id, pub);
    if (r == LIVEHUB_OK) {
        snprintf(c->key, sizeof c->key, "%s", p->key);
        say("[loop %d] rtmp publish %s by %s", c->loop->id, p->key, c->peer);
    } else {
        /* The client deleted its stream meanwhile: the publisher is
         * already released (an immediate unpublish). */
        say("[loop %d] rtmp publish %s by %s: %s", c->loop->id, p->key, c->peer, livehub_result_str(r));
    }
}

/* Play: a player on the key's stream (with --wait-ms, a stream that has
 * no publisher yet), its notify set before the session takes it. */
static void answer_play(conn *c, const rtmp_pending *p)
{
    livehub_stream *st = NULL;
    livehub_player *pl = NULL;
    livehub_result r = g.wait_ms ? livehub_hub_stream(g.hub, p->key, &st) : livehub_hub_find(g.hub, p->key, &st);
    if (r == LIVEHUB_OK) {
        livehub_play_options opts;
        livehub_play_options_init(&opts);
        if (g.wait_ms) opts.republish_wait_ms = g.wait_ms;
        opts.group = c->loop->group;   /* its callback runs in this loop's dispatch */
        r = livehub_stream_play(st, &opts, &pl);
        livehub_stream_release(st);
    }
    if (r != LIVEHUB_OK) {
        if (g_verbose) say("[loop %d] rtmp play %s by %s: %s", c->loop->id, p->key, c->peer, livehub_result_str(r));
        livehub_rtmp_session_reject(c->rtmp, p->id, LIVEHUB_RTMP_REJECT_NOT_FOUND);
        return;
    }
    /* Joins are written at once (not merged): prompt until the first
     * bytes, as for HTTP players. No callback is registered yet, so no
     * other thread reads `prompt` now. The registration holds a reference
     * to c, given back by on_player_notify_release() when the session
     * releases the player (always on this loop: at the end of the stream,
     * on the client's deleteStream, or with the session). */
    c->prompt = 1;
    loop_prompt_begin(c->loop);
    c->head_sent = 0;
    c->refs++;
    r = livehub_player_set_notify_with_release(pl, on_player_notify, c, on_player_notify_release);
    if (r != LIVEHUB_OK) {
        c->refs--;                   /* nothing registered, release not called */
        player_joined(c);            /* no longer waiting for first bytes */
        livehub_player_release(pl);
        livehub_rtmp_session_reject(c->rtmp, p->id, LIVEHUB_RTMP_REJECT_DENIED);
        return;
    }
    r = livehub_rtmp_session_accept_play(c->rtmp, p->id, pl);
    if (r == LIVEHUB_OK) {
        snprintf(c->key, sizeof c->key, "%s", p->key);
        if (g_verbose) say("[loop %d] rtmp player %s of %s", c->loop->id, c->peer, p->key);
    }
}

/* Answers the requests whose time has come (all of them without
 * --accept-delay-ms). Returns how many it answered: the caller then writes
 * the replies (rtmp_service). */
int rtmp_answer_due(conn *c, uint64_t now)
{
    int i = 0, answered = 0;
    while (i < c->npending && c->rtmp) {
        rtmp_pending p = c->pending[i];
        if (p.due_ms > now) { i++; continue; }
        c->pending[i] = c->pending[--c->npending];
        if (p.kind == LIVEHUB_RTMP_EVENT_PUBLISH) answer_publish(c, &p);
        else answer_play(c, &p);
        answered++;
    }
    return answered;
}

static void take_events(conn *c)
{
    livehub_rtmp_event ev;
    while (livehub_rtmp_session_next_event(c->rtmp, &ev) == LIVEHUB_OK) {
        if (ev.kind == LIVEHUB_RTMP_EVENT_PUBLISH || ev.kind == LIVEHUB_RTMP_EVENT_PLAY) {
            if (c->npending == RTMP_MAX_PENDING || strlen(ev.key) > MAX_KEY) {
                livehub_rtmp_session_reject(c->rtmp, ev.request_id, LIVEHUB_RTMP_REJECT_DENIED);
                continue;
            }
            /* The secret of the role (auth.c), given as ?secret=S on the
             * stream name (or on the app): refused at once, before any
             * delay, as for HTTP. */
            int publish = ev.kind == LIVEHUB_RTMP_EVENT_PUBLISH;
            if (!auth_query_ok(publish ? g.publish_secret : g.play_secret, ev.query)) {
                say("[loop %d] rtmp %s %s of %s refused: wrong or missing secret", c->loop->id,
                    publish ? "publisher" : "player", c->peer, ev.key);
                livehub_rtmp_session_reject(c->rtmp, ev.request_id, LIVEHUB_RTMP_REJECT_DENIED);
                continue;
            }
            rtmp_pending *p = &c->pending[c->npending++];
            p->id = ev.request_id;
            p->kind = ev.kind;
            p->due_ms = now_ms() + g.accept_delay_ms;
            snprintf(p->key, sizeof p->key, "%s", ev.key);
        } else if (ev.kind == LIVEHUB_RTMP_EVENT_CANCELLED) {
            for (int i = 0; i < c->npending; i++)
                if (c->pending[i].id == ev.request_id) { c->pending[i] = c->pending[--c->npending]; break; }
        }
    }
    rtmp_answer_due(c, now_ms());
}

/* Pumps the player into the output and writes the output, until the
 * session waits for the player (or has none), the socket is full (EPOLLOUT
 * continues) or the turn's bound is reached (the ready list continues). A
 * stream that ended for the player (the client was told) ends the
 * connection once that is written. */
void rtmp_service(conn *c)
{
    for (int turn = 0; turn < BATCHES_PER_TURN; turn++) {
        if (!c->rtmp) return;
        uint32_t state = LIVEHUB_RTMP_PUMP_IDLE;
        if (livehub_rtmp_session_pump(c->rtmp, &state) != LIVEHUB_OK) { conn_close(c); return; }
        for (;;) {
            size_t n = 0;
            livehub_rtmp_session_output(c->rtmp, c->loop->iov, IOV_BATCH, &n);
            if (n == 0) break;
            ssize_t w = writev(c->fd, (const struct iovec *)c->loop->iov, (int)n);
            if (w < 0) {
                if (errno == EINTR) continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK) return;
                conn_close(c);
                return;
            }
            livehub_rtmp_session_consume(c->rtmp, (size_t)w);
            c->bytes_out += (uint64_t)w;
            c->since_ms = now_ms();
        }
        if (state == LIVEHUB_RTMP_PUMP_WAITING && !c->head_sent) {
            c->head_sent = 1;
            player_joined(c);
        }
        if (state == LIVEHUB_RTMP_PUMP_ENDED) {
            if (g_verbose) say("[loop %d] rtmp player %s of %s: stream ended", c->loop->id, c->peer, c->key);
            linger_start(c);
            return;
        }
        if (state != LIVEHUB_RTMP_PUMP_FULL) return;
    }
    ready_push(c);
}

/* ST_RTMP input: reads until EAGAIN (or the turn's bound), feeding the
 * session; bad input closes this connection only. */
void rtmp_read(conn *c)
{
    uint8_t *buf = c->loop->rbuf;
    int i;
    for (i = 0; i < READS_PER_TURN && c->rtmp; i++) {
        ssize_t n = read(c->fd, buf, READ_CHUNK);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (n <= 0) { conn_close(c); return; }
        c->bytes_in += (uint64_t)n;
        c->since_ms = now_ms();
        livehub_result r = livehub_rtmp_session_feed(c->rtmp, buf, (size_t)n);
        if (r != LIVEHUB_OK) {
            uint32_t why = 0;
            livehub_rtmp_session_error(c->rtmp, &why);
            say("[loop %d] rtmp %s: %s", c->loop->id, c->peer, livehub_rtmp_error_str(why));
            conn_close(c);
            return;
        }
        take_events(c);
    }
    if (!c->rtmp) return;
    rtmp_service(c);
    if (i == READS_PER_TURN && !c->dead && c->state == ST_RTMP) ready_push(c);
}
