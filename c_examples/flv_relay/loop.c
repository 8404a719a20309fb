/*
 * loop.c — the event loops: one thread each, an epoll set, an eventfd to be
 * woken, one timerfd and one livehub group; the ready and flush lists that
 * the players' notify callback fills; the tick (livehub_hub_tick and the
 * relay's timeouts) and the merge timer. A connection is only ever touched
 * by its own loop.
 *
 * Wake-ups: every player of a loop is in the loop's livehub group. A push
 * to a stream with armed players of this loop calls on_group_wake() once
 * (at most once until the loop's next livehub_group_dispatch()), on the
 * pushing thread; it writes the eventfd. The loop dispatches the group in
 * on_wake(), and livehub runs each armed player's on_player_notify() right
 * there, on the loop's thread: the publisher pays one wake per loop, not
 * one callback per player. (The lists stay under the loop's mutex: handoffs
 * and stop requests still come from other threads, and no livehub call is
 * ever made while holding it.)
 *
 * Merged writes (--merge-ms N > 0, the default): the timer fires every N
 * ms, dispatches the group (the callbacks put their players on the flush
 * list) and writes every player on it with one read_iov + one writev of
 * all that came since the last firing (see play_pump). on_group_wake()
 * then writes the eventfd only while the loop has players waiting for
 * their first bytes (joins are not merged: such a player is `prompt`, its
 * callback puts it on the ready list): between joins the timer alone
 * drives the writes, with no wake-up per push at all. A player whose read
 * returned data stays listed; one that read LIVEHUB_AGAIN waits for its
 * callback. With --merge-ms 0 the callback puts the player on the ready
 * list: about one write per tag per player. The tick work runs every
 * TICK_MS (or at each firing when N is longer).
 */
#include "relay.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

void loop_wake(loop *l)
{
    uint64_t one = 1;
    /* EAGAIN means the counter is already non-zero: the loop will wake. */
    if (write(l->wakefd, &one, sizeof one) < 0 && errno != EAGAIN)
        say("loop %d: eventfd write: %s", l->id, strerror(errno));
}

/* The loop's group wake (livehub_group_new): runs on the thread that
 * pushed, with no livehub lock held, at most once until the next dispatch.
 * With merged writes and no player waiting for its first bytes the timer's
 * dispatch is soon enough: no wake-up. */
static void on_group_wake(void *userdata)
{
    loop *l = userdata;
    if (g.merge_ms == 0 || __atomic_load_n(&l->prompt_players, __ATOMIC_SEQ_CST) > 0)
        loop_wake(l);
}

/* Runs the notify callbacks of this loop's players that have news, here
 * (they queue their connections). Owner loop. */
void loop_dispatch(loop *l)
{
    livehub_result r = livehub_group_dispatch(l->group, NULL);
    if (r != LIVEHUB_OK) say("loop %d: group dispatch: %s", l->id, livehub_result_str(r));
}

/* A player of this loop starts waiting for its first bytes: its news must
 * wake the loop. The dispatch here re-opens the group's wake in case the
 * last one was skipped (merged writes, no prompt player then). Owner loop. */
void loop_prompt_begin(loop *l)
{
    __atomic_add_fetch(&l->prompt_players, 1, __ATOMIC_SEQ_CST);
    loop_dispatch(l);
}

/* Its first bytes went out (or it left): the timer is enough again. */
void loop_prompt_end(loop *l)
{
    __atomic_sub_fetch(&l->prompt_players, 1, __ATOMIC_SEQ_CST);
}

/* Asks the loop to close its connections and exit (any thread). */
void loop_stop(loop *l)
{
    pthread_mutex_lock(&l->mu);
    l->stop = 1;
    pthread_mutex_unlock(&l->mu);
    loop_wake(l);
}

/* ---- the ready and flush lists (shared: under l->mu) ---- */

/* Appends c to its loop's ready list (if not there yet). Returns 1 when the
 * list was empty: the caller then wakes the loop. Under l->mu. */
static int ready_push_locked(conn *c)
{
    loop *l = c->loop;
    if (c->in_ready) return 0;
    int was_empty = l->ready_head == NULL;
    c->in_ready = 1;
    c->rnext = NULL;
    c->rprev = l->ready_tail;
    if (l->ready_tail) l->ready_tail->rnext = c; else l->ready_head = c;
    l->ready_tail = c;
    return was_empty;
}

/* Appends c to its loop's ready list (if not there yet) and wakes the loop
 * when the list was empty. Any thread. */
void ready_push(conn *c)
{
    loop *l = c->loop;
    pthread_mutex_lock(&l->mu);
    int wake = ready_push_locked(c);
    pthread_mutex_unlock(&l->mu);
    if (wake) loop_wake(l);
}

/* Appends c to its loop's flush list (if not there yet), without waking the
 * loop: the timer flushes the list (--merge-ms > 0). Under l->mu. */
static void flush_push_locked(conn *c)
{
    loop *l = c->loop;
    if (c->in_flush) return;
    c->in_flush = 1;
    c->fnext = NULL;
    c->fprev = l->flush_tail;
    if (l->flush_tail) l->flush_tail->fnext = c; else l->flush_head = c;
    l->flush_tail = c;
    l->flush_len++;
}

/* The same from the owner loop, for a player that is to be written at the
 * next timer firing. */
void flush_push(conn *c)
{
    loop *l = c->loop;
    pthread_mutex_lock(&l->mu);
    flush_push_locked(c);
    pthread_mutex_unlock(&l->mu);
}

/* The player's notify callback, registered with
 * livehub_player_set_notify_with_release() (the registration holds a
 * reference to c, given back by on_player_notify_release).
 * livehub calls it once per arming (after a read that reached the end of
 * what is there), inside this loop's livehub_group_dispatch(), so on the
 * loop's own thread. It only queues the connection: the ready list with
 * --merge-ms 0 or for a player still waiting for its first bytes, else the
 * flush list that the next timer firing writes out.
 * The registration's reference keeps `c` alive for as long as this runs. */
void on_player_notify(void *userdata)
{
    conn *c = userdata;
    loop *l = c->loop;
    pthread_mutex_lock(&l->mu);
    if (g.merge_ms == 0 || c->prompt) ready_push_locked(c);
    else flush_push_locked(c);
    pthread_mutex_unlock(&l->mu);
    /* The loop drains its ready list after this turn: no wake-up needed. */
}

/* The release function of the notify registration: livehub calls it once,
 * when the registration ends (the player released, in conn_release_handles
 * on the owner loop), after any running on_player_notify returned. It
 * gives back the reference to c that the registration held. */
void on_player_notify_release(void *userdata)
{
    conn_unref(userdata);
}

/* A player got its first bytes: from now on its notify waits for the
 * timer (merged writes). Owner loop. */
void player_joined(conn *c)
{
    if (c->prompt) loop_prompt_end(c->loop);
    pthread_mutex_lock(&c->loop->mu);
    c->prompt = 0;
    pthread_mutex_unlock(&c->loop->mu);
}

/* Removes c from the ready and flush lists where it is (owner loop only). */
void ready_remove(conn *c)
{
    loop *l = c->loop;
    pthread_mutex_lock(&l->mu);
    if (c->in_ready) {
        if (c->rprev) c->rprev->rnext = c->rnext; else l->ready_head = c->rnext;
        if (c->rnext) c->rnext->rprev = c->rprev; else l->ready_tail = c->rprev;
        c->in_ready = 0;
        c->rnext = c->rprev = NULL;
    }
    if (c->in_flush) {
        if (c->fprev) c->fprev->fnext = c->fnext; else l->flush_head = c->fnext;
        if (c->fnext) c->fnext->fprev = c->fprev; else l->flush_tail = c->fprev;
        c->in_flush = 0;
        c->fnext = c->fprev = NULL;
        l->flush_len--;
    }
    pthread_mutex_unlock(&l->mu);
}

static conn *flush_pop(loop *l)
{
    pthread_mutex_lock(&l->mu);
    conn *c = l->flush_head;
    if (c) {
        l->flush_head = c->fnext;
        if (l->flush_head) l->flush_head->fprev = NULL; else l->flush_tail = NULL;
        c->in_flush = 0;
        c->fnext = c->fprev = NULL;
        l->flush_len--;
    }
    pthread_mutex_unlock(&l->mu);
    return c;
}

static conn *ready_pop(loop *l)
{
    pthread_mutex_lock(&l->mu);
    conn *c = l->ready_head;
    if (c) {
        l->ready_head = c->rnext;
        if (l->ready_head) l->ready_head->rprev = NULL; else l->ready_tail = NULL;
        c->in_ready = 0;
        c->rnext = c->rprev = NULL;
    }
    pthread_mutex_unlock(&l->mu);
    return c;
}

/* ---- the loop's own events ---- */

/* The eventfd: the group's wake (its players' news), new connections,
 * stop requests; the ready list is drained after every epoll batch. */
static void on_wake(loop *l)
{
    uint64_t v;
    if (read(l->wakefd, &v, sizeof v) < 0 && errno != EAGAIN)
        say("loop %d: eventfd read: %s", l->id, strerror(errno));
    loop_dispatch(l);
    handoff *items = NULL;
    size_t count = 0;
    pthread_mutex_lock(&l->mu);
    if (l->inbox_len) {
        items = l->inbox;
        count = l->inbox_len;
        l->inbox = NULL;
        l->inbox_len = l->inbox_cap = 0;
    }
    if (l->stop) l->quit = 1;
    pthread_mutex_unlock(&l->mu);
    for (size_t i = 0; i < count; i++) {
        if (l->quit) close(items[i].fd);
        else conn_new(l, items[i].fd, items[i].listener, items[i].peer);
    }
    free(items);
}

/* Every TICK_MS: livehub's time-based policies, and our timeouts. */
static void tick(loop *l)
{
    /* Cuts silent publishers, ends republish waits that ran out, expires
     * players that stopped reading, reaps idle streams. Callbacks it fires
     * (notify) run here, on this thread. Every loop ticks: that is allowed
     * and keeps the policies running while any loop is alive. */
    livehub_hub_tick(g.hub);

    if (l->accept_paused) { l->accept_paused = 0; set_listening(l, 1); }

    uint64_t now = now_ms();
    conn *next;
    for (conn *c = l->conns; c; c = next) {
        next = c->next;                /* c may be closed below */
        uint64_t idle = now - c->since_ms;
        switch (c->state) {
        case ST_REQUEST:
        case ST_TCP_KEY:
            if (idle > REQUEST_TIMEOUT_MS) conn_close(c);
            break;
        case ST_INGEST:
            if (idle > INGEST_IDLE_MS) conn_close(c);
            break;
        case ST_PLAY:
            if (!c->head_sent && c->deadline_ms && now >= c->deadline_ms) {
                conn_release_handles(c);
                respond_text(c, 404, "Not Found", "no publisher came\n", 0);
            } else if (c->rest && idle > WRITE_STALL_MS) {
                conn_close(c);
            }
            break;
        case ST_RESPOND:
            if (idle > WRITE_STALL_MS) conn_close(c);
            break;
        case ST_LINGER:
            if (idle > LINGER_MS) conn_close(c);
            break;
        case ST_DELAY:
            if (now >= c->accept_at_ms) request_delayed(c);
            break;
        case ST_RTMP:
            if (rtmp_answer_due(c, now)) rtmp_service(c);
            else if (c->npending == 0 && idle > INGEST_IDLE_MS) conn_close(c);
            break;
        }
    }
}

/* --merge-ms: writes every player on the flush list, each with one writev()
 * of all it has (see play_pump). Those put on the list meanwhile (by a
 * notify on another thread, or by their own flush) wait for the next firing. */
static void flush_players(loop *l)
{
    pthread_mutex_lock(&l->mu);
    size_t count = l->flush_len;
    pthread_mutex_unlock(&l->mu);
    for (size_t i = 0; i < count; i++) {
        conn *c = flush_pop(l);
        if (!c) return;
        if (!c->dead && c->state == ST_PLAY && c->player) play_pump(c, 1);
        else if (!c->dead && c->state == ST_RTMP) rtmp_service(c);
    }
}

/* The loop's timer: every --merge-ms when merging (the tick work keeps its
 * own TICK_MS cadence, or the timer's if that is slower), else every TICK_MS. */
static void on_timer(loop *l)
{
    uint64_t expirations;
    if (read(l->timerfd, &expirations, sizeof expirations) < 0 && errno != EAGAIN)
        say("loop %d: timerfd read: %s", l->id, strerror(errno));
    uint64_t now = now_ms();
    if (now >= l->next_tick_ms) {
        l->next_tick_ms = now + TICK_MS;
        tick(l);
    }
    if (g.merge_ms) {
        loop_dispatch(l);            /* the armed players with news join the flush list */
        flush_players(l);
    }
}

static void drain_ready(loop *l)
{
    for (int i = 0; i < READY_PER_TURN; i++) {
        conn *c = ready_pop(l);
        if (!c) return;
        conn_service(c);
    }
    loop_wake(l);                  /* bound reached: continue next turn */
}

void *loop_main(void *arg)
{
    loop *l = arg;
    struct epoll_event evs[256];
    while (!l->quit) {
        int n = epoll_wait(l->epfd, evs, 256, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("loop %d: epoll_wait: %s", l->id, strerror(errno));
        }
        for (int i = 0; i < n && !l->quit; i++) {
            evsrc *src = evs[i].data.ptr;
            switch (src->kind) {
            case SRC_CONN: conn_event((conn *)src, evs[i].events); break;
            case SRC_WAKE: on_wake(l); break;
            case SRC_TIMER: on_timer(l); break;
            case SRC_LISTEN_HTTP: on_accept(l, g.http_fd, LISTEN_HTTP); break;
            case SRC_LISTEN_TCP: on_accept(l, g.tcp_fd, LISTEN_TCP); break;
            case SRC_LISTEN_RTMP: on_accept(l, g.rtmp_fd, LISTEN_RTMP); break;
            }
        }
        if (!l->quit) drain_ready(l);
        free_dead(l);
    }
    /* Shutdown: stop accepting, then release every handle this loop owns. */
    if (l->id == 0) set_listening(l, 0);
    for (int guard = 0; l->conns && guard < 10000000; guard++) conn_close(l->conns);
    free_dead(l);
    return NULL;
}

loop *loop_new(int id)
{
    loop *l = xcalloc(1, sizeof *l);
    l->id = id;
    l->src_wake.kind = SRC_WAKE;
    l->src_timer.kind = SRC_TIMER;
    l->src_http.kind = SRC_LISTEN_HTTP;
    l->src_tcp.kind = SRC_LISTEN_TCP;
    l->src_rtmp.kind = SRC_LISTEN_RTMP;
    pthread_mutex_init(&l->mu, NULL);
    if (livehub_group_new(on_group_wake, l, &l->group) != LIVEHUB_OK) die("loop %d: group", id);
    l->rbuf = xcalloc(1, READ_CHUNK);
    l->iov = xcalloc(IOV_BATCH, sizeof *l->iov);
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    l->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    l->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (l->epfd < 0 || l->wakefd < 0 || l->timerfd < 0) die("loop %d: %s", id, strerror(errno));
    /* One timer per loop: the flush period when merging, else the tick. */
    uint32_t period_ms = g.merge_ms ? g.merge_ms : TICK_MS;
    struct itimerspec its;
    memset(&its, 0, sizeof its);
    its.it_value.tv_sec = period_ms / 1000;
    its.it_value.tv_nsec = (long)(period_ms % 1000) * 1000000L;
    its.it_interval = its.it_value;
    timerfd_settime(l->timerfd, 0, &its, NULL);
    l->next_tick_ms = now_ms() + TICK_MS;
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = EPOLLIN;
    ev.data.ptr = &l->src_wake;
    epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->wakefd, &ev);
    ev.data.ptr = &l->src_timer;
    epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->timerfd, &ev);
    return l;
}

void loop_free(loop *l)
{
    /* Its players are released (loop_main's shutdown): the wake never runs
     * again once this returns. */
    livehub_group_release(l->group);
    for (size_t i = 0; i < l->inbox_len; i++) close(l->inbox[i].fd);   /* never taken over */
    free(l->inbox);
    close(l->epfd);
    close(l->wakefd);
    close(l->timerfd);
    pthread_mutex_destroy(&l->mu);
    free(l->rbuf);
    free(l->iov);
    free(l->json);
    free(l);
}
