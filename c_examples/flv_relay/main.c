/*
 * main.c — flv_relay's entry point: options, the hub, the listeners, the
 * loop threads and the demo source, then a wait for SIGINT/SIGTERM and an
 * orderly stop that releases every livehub handle (clean under ASan/LSan).
 * flv_relay is a real HTTP-FLV live server built on livehub, using only
 * livehub.h, libc and pthreads; README.md in this directory describes its
 * HTTP surface, its threads and the map of its files.
 *
 *   flv_relay [--http ADDR:PORT] [--tcp-ingest ADDR:PORT] [--rtmp ADDR:PORT]
 *             [--threads N] [--demo FILE.flv] [--wait-ms N] [--merge-ms N]
 *             [--accept-delay-ms N] [--web DIR] [--publish-secret S]
 *             [--play-secret S] [-v]
 */
#include "relay.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct relay_globals g;

static void usage(int code)
{
    printf("usage: flv_relay [--http ADDR:PORT] [--tcp-ingest ADDR:PORT] [--rtmp ADDR:PORT] [--threads N]\n"
           "                 [--demo FILE.flv] [--wait-ms N] [--merge-ms N] [--accept-delay-ms N] [--web DIR]\n"
           "                 [--publish-secret S] [--play-secret S] [-v]\n"
           "  --http ADDR:PORT        HTTP listener (default 127.0.0.1:8080; port 0 picks a free port)\n"
           "  --tcp-ingest ADDR:PORT  also accept raw FLV publishers over plain TCP\n"
           "  --rtmp ADDR:PORT        also accept RTMP publishers and players (rtmp://HOST/APP/NAME = APP/NAME)\n"
           "  --accept-delay-ms N     answer every play and publish request N ms late (tests: a slow auth hook)\n"
           "  --threads N             event-loop threads (default 1, at most %d)\n"
           "  --demo FILE.flv         publish FILE in a loop, at real-time pace, as %s\n"
           "  --wait-ms N             a player of an unknown stream waits up to N ms for a publisher\n"
           "  --merge-ms N            write each player at most every N ms (default %d, at most %d; 0: at once)\n"
           "  --web DIR               where index.html and node_modules/ are (default: web/ near the binary)\n"
           "  --publish-secret S      every publish must carry ?secret=S (else 403)\n"
           "  --play-secret S         every player must carry ?secret=S (else 403; default: open)\n"
           "  -v                      log every player and livehub's INFO messages\n",
           MAX_LOOPS, DEMO_KEY, MERGE_MS_DEFAULT, MERGE_MS_MAX);
    exit(code);
}

int main(int argc, char **argv)
{
    const char *http_spec = "127.0.0.1:8080", *tcp_spec = NULL, *rtmp_spec = NULL, *demo_path = NULL, *web = NULL;
    long threads = 1, wait_ms = 0, merge_ms = MERGE_MS_DEFAULT, accept_delay_ms = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) usage(0);
        else if (!strcmp(a, "-v")) g_verbose = 1;
        else if (!v) usage(2);
        else if (!strcmp(a, "--http")) { http_spec = v; i++; }
        else if (!strcmp(a, "--tcp-ingest")) { tcp_spec = v; i++; }
        else if (!strcmp(a, "--rtmp")) { rtmp_spec = v; i++; }
        else if (!strcmp(a, "--accept-delay-ms")) { accept_delay_ms = strtol(v, NULL, 10); i++; }
        else if (!strcmp(a, "--demo")) { demo_path = v; i++; }
        else if (!strcmp(a, "--web")) { web = v; i++; }
        else if (!strcmp(a, "--threads")) { threads = strtol(v, NULL, 10); i++; }
        else if (!strcmp(a, "--wait-ms")) { wait_ms = strtol(v, NULL, 10); i++; }
        else if (!strcmp(a, "--merge-ms")) { merge_ms = strtol(v, NULL, 10); i++; }
        else if (!strcmp(a, "--publish-secret")) { g.publish_secret = v; i++; }
        else if (!strcmp(a, "--play-secret")) { g.play_secret = v; i++; }
        else usage(2);
    }
    if (threads < 1 || threads > MAX_LOOPS) die("--threads must be 1..%d", MAX_LOOPS);
    if (wait_ms < 0 || wait_ms > 3600000) die("--wait-ms must be 0..3600000");
    if (merge_ms < 0 || merge_ms > MERGE_MS_MAX) die("--merge-ms must be 0..%d", MERGE_MS_MAX);
    if (accept_delay_ms < 0 || accept_delay_ms > ACCEPT_DELAY_MAX) die("--accept-delay-ms must be 0..%d", ACCEPT_DELAY_MAX);
    g.accept_delay_ms = (uint32_t)accept_delay_ms;
    if (g.publish_secret && !auth_secret_valid(g.publish_secret))
        die("--publish-secret: 1..%d of A-Z a-z 0-9 - . _ ~", AUTH_SECRET_MAX);
    if (g.play_secret && !auth_secret_valid(g.play_secret))
        die("--play-secret: 1..%d of A-Z a-z 0-9 - . _ ~", AUTH_SECRET_MAX);
    g.nloops = (int)threads;
    g.wait_ms = (uint32_t)wait_ms;
    g.merge_ms = (uint32_t)merge_ms;
    setvbuf(stdout, NULL, _IOLBF, 0);

    /* SIGPIPE: a player that left must be an EPIPE, not the end of us.
     * SIGINT/SIGTERM: blocked in every thread (the mask is inherited),
     * taken by sigwait() in main. */
    signal(SIGPIPE, SIG_IGN);
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);

    /* Process-wide; the userdata (none) stays valid for the process. */
    livehub_set_log_callback(g_verbose ? LIVEHUB_LOG_INFO : LIVEHUB_LOG_WARN, on_livehub_log, NULL);

    /* The hub: the defaults (players wait 5 s for a republish, lagging
     * players skip forward after 10 s, idle streams reaped after 3 s).
     * main owns this reference and releases it last. */
    livehub_config cfg;
    livehub_config_init(&cfg);
    livehub_result r = livehub_hub_new(&cfg, &g.hub);
    if (r != LIVEHUB_OK) die("livehub_hub_new: %s", livehub_result_str(r));

    if (web) snprintf(g.web_dir, sizeof g.web_dir, "%s", web);
    else find_web_dir();

    g.http_fd = listen_on(http_spec, "http");
    g.tcp_fd = tcp_spec ? listen_on(tcp_spec, "tcp-ingest") : -1;
    g.rtmp_fd = rtmp_spec ? listen_on(rtmp_spec, "rtmp") : -1;
    for (int i = 0; i < g.nloops; i++) g.loops[i] = loop_new(i);
    set_listening(g.loops[0], 1);
    for (int i = 0; i < g.nloops; i++)
        if (pthread_create(&g.loops[i]->thread, NULL, loop_main, g.loops[i]) != 0) die("pthread_create");

    demo *d = demo_path ? demo_start(demo_path, g.hub) : NULL;
    say("livehub %s, %d loop thread%s, merge %u ms, web %s%s%s%s", livehub_version(), g.nloops,
        g.nloops > 1 ? "s" : "", (unsigned)g.merge_ms, g.web_dir, g.wait_ms ? ", players wait for publishers" : "",
        g.publish_secret ? ", publish secret" : "", g.play_secret ? ", play secret" : "");
    say("ready");

    int sig = 0;
    sigwait(&stop_signals, &sig);
    say("%s: stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");

    /* Stop: every loop closes its connections (releasing their players and
     * publishers) and exits; loop 0 first stops accepting. */
    for (int i = 0; i < g.nloops; i++) loop_stop(g.loops[i]);
    demo_stop(d);
    for (int i = 0; i < g.nloops; i++) pthread_join(g.loops[i]->thread, NULL);
    /* Only now: a late handoff or a wake-up may target any loop until every
     * thread is gone. */
    for (int i = 0; i < g.nloops; i++) loop_free(g.loops[i]);
    close(g.http_fd);
    if (g.tcp_fd >= 0) close(g.tcp_fd);
    if (g.rtmp_fd >= 0) close(g.rtmp_fd);

    /* The last hub reference: closes whatever streams are left. */
    livehub_hub_release(g.hub);
    livehub_set_log_callback(LIVEHUB_LOG_OFF, NULL, NULL);
    say("stopped");
    return 0;
}
