/*
 * play.c — a player: how a server hands a live stream to an HTTP client
 * with livehub. start_play() finds the stream (or, with --wait-ms, creates
 * it to wait for its publisher), opens a livehub_player on it and registers
 * on_player_notify (loop.c); play_pump() then asks
 * livehub_player_read_iov() for everything that is there — FLV header,
 * metadata, sequence headers and the cached GOP at the join, then each new
 * tag — and writes those iovecs with one writev(), the response head in
 * front of the first batch. Tag bodies are never copied per player: the
 * iovecs point into livehub's shared storage, valid until the next call on
 * this player, so what a full socket did not take is kept as iovecs (`rest`)
 * and finished on EPOLLOUT before the player is read again. A player that
 * falls behind is skipped forward by livehub (max_lag_ms), one that stops
 * reading is closed (WRITE_STALL_MS); nothing else is buffered per player.
 */
#include "relay.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

/* livehub_iovec is documented to have the layout of struct iovec: check it
 * here once, so that the casts below are sound on this platform. */
typedef char livehub_iovec_matches_struct_iovec
    [(sizeof(livehub_iovec) == sizeof(struct iovec) &&
      offsetof(livehub_iovec, iov_base) == offsetof(struct iovec, iov_base) &&
      offsetof(livehub_iovec, iov_len) == offsetof(struct iovec, iov_len)) ? 1 : -1];

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
void play_pump(conn *c, int may_read)
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
                player_joined(c);    /* from now on its notify waits for the timer */
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

/* GET or HEAD of /KEY.flv (c->key is set). */
void start_play(conn *c, int head_only)
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
        respond_head(c, FLV_HEAD, sizeof FLV_HEAD - 1);
        return;
    }
    /* Rebased timestamps (each player starts at 0), the hub's republish
     * wait, and this loop's group: the player's notify callback runs in
     * the loop's dispatch. The player joins at the newest keyframe, after
     * the metadata and sequence headers. */
    livehub_play_options opts;
    livehub_play_options_init(&opts);
    opts.group = c->loop->group;
    r = livehub_stream_play(s, &opts, &c->player);
    livehub_stream_release(s);
    if (r != LIVEHUB_OK) {
        respond_text(c, 404, "Not Found", "stream closed\n", 0);
        return;
    }
    /* From here on the loop's dispatch may call on_player_notify(c); until
     * its first bytes, a player's news wakes the loop at once (prompt). The
     * registration holds a reference to c until livehub calls
     * on_player_notify_release(c): when we release the player. */
    c->prompt = 1;
    loop_prompt_begin(c->loop);
    c->refs++;
    r = livehub_player_set_notify_with_release(c->player, on_player_notify, c, on_player_notify_release);
    if (r != LIVEHUB_OK) {
        c->refs--;                   /* nothing registered, release not called */
        respond_text(c, 500, "Internal Server Error", livehub_result_str(r), 0);
        return;
    }
    free(c->req);
    c->req = NULL;
    c->state = ST_PLAY;
    c->since_ms = now_ms();
    c->deadline_ms = waiting ? c->since_ms + g.wait_ms : 0;
    if (g_verbose) say("[loop %d] player %s of %s", c->loop->id, c->peer, c->key);
    play_pump(c, 1);                 /* the first batch right away: joins are not merged */
}
