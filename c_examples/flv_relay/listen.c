/*
 * listen.c — the listening sockets and accept. Loop 0 polls the HTTP
 * listener (and the --tcp-ingest one), accepts up to ACCEPTS_PER_TURN
 * connections per event and hands each to the loops in turn: its own are
 * created at once, another loop's descriptor goes into that loop's inbox
 * (under its mutex) and the loop is woken to create the connection itself,
 * so that only the owner ever touches a connection. Out of descriptors,
 * accepting pauses until the next tick instead of spinning.
 */
#include "relay.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static int parse_addr(const char *s, struct sockaddr_in *sa)
{
    char host[64];
    const char *colon = strrchr(s, ':');
    if (!colon || (size_t)(colon - s) >= sizeof host) return 0;
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || end == colon + 1 || port < 0 || port > 65535) return 0;
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    if (!strcmp(host, "localhost")) strcpy(host, "127.0.0.1");
    return inet_pton(AF_INET, host, &sa->sin_addr) == 1;
}

/* Binds and listens on IPV4:PORT (port 0: the kernel picks one, printed). */
int listen_on(const char *spec, const char *what)
{
    struct sockaddr_in sa;
    if (!parse_addr(spec, &sa)) die("bad %s address '%s' (want IPV4:PORT)", what, spec);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket: %s", strerror(errno));
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) die("bind %s %s: %s", what, spec, strerror(errno));
    if (listen(fd, SOMAXCONN) < 0) die("listen %s: %s", what, strerror(errno));
    socklen_t len = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &len);
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &sa.sin_addr, ip, sizeof ip);
    say("listening %s %s:%u", what, ip, (unsigned)ntohs(sa.sin_port));
    return fd;
}

void set_listening(loop *l, int on)
{
    int fds[3] = {g.http_fd, g.tcp_fd, g.rtmp_fd};
    evsrc *srcs[3] = {&l->src_http, &l->src_tcp, &l->src_rtmp};
    for (int i = 0; i < 3; i++) {
        int fd = fds[i];
        if (fd < 0) continue;
        if (on) {
            struct epoll_event ev;
            memset(&ev, 0, sizeof ev);
            ev.events = EPOLLIN;
            ev.data.ptr = srcs[i];
            epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev);
        } else {
            epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
        }
    }
}

void on_accept(loop *l, int lfd, int listener)
{
    for (int i = 0; i < ACCEPTS_PER_TURN; i++) {
        struct sockaddr_in sa;
        socklen_t salen = sizeof sa;
        int fd = accept4(lfd, (struct sockaddr *)&sa, &salen, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return;
            if (errno == EMFILE || errno == ENFILE) {
                /* Out of descriptors: stop polling the listeners until the
                 * next tick, instead of spinning on a readable listener. */
                say("accept: %s (raise ulimit -n); pausing accepts", strerror(errno));
                set_listening(l, 0);
                l->accept_paused = 1;
                return;
            }
            say("accept: %s", strerror(errno));
            return;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        handoff h;
        h.fd = fd;
        h.listener = listener;
        char ip[INET_ADDRSTRLEN] = "?";
        inet_ntop(AF_INET, &sa.sin_addr, ip, sizeof ip);
        snprintf(h.peer, sizeof h.peer, "%s:%u", ip, (unsigned)ntohs(sa.sin_port));

        loop *to = g.loops[g.rr++ % (unsigned)g.nloops];
        if (to == l) { conn_new(l, fd, listener, h.peer); continue; }
        /* Another loop's connection: hand the descriptor over; only that
         * loop will create and touch the connection. */
        int wake = 0;
        pthread_mutex_lock(&to->mu);
        if (to->inbox_len == to->inbox_cap) {
            size_t cap = to->inbox_cap ? to->inbox_cap * 2 : 64;
            handoff *grown = realloc(to->inbox, cap * sizeof *grown);
            if (grown) { to->inbox = grown; to->inbox_cap = cap; }
        }
        if (to->inbox_len < to->inbox_cap) {
            to->inbox[to->inbox_len++] = h;
            wake = 1;
        }
        pthread_mutex_unlock(&to->mu);
        if (wake) loop_wake(to); else close(fd);
    }
}
