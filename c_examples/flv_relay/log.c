/*
 * log.c — the relay's clock, log lines and allocation helper. say() writes
 * one line to stdout per call (stdio locks the stream per call, so lines of
 * different threads do not mix); stderr is kept for fatal errors (die), so
 * the e2e tests can require an empty stderr. on_livehub_log() is the
 * callback handed to livehub_set_log_callback(): livehub's own messages (bad
 * input, policies acting, stream life) go to stdout too.
 */
#include "relay.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int g_verbose = 0;

uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void say(const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    size_t n = strlen(line);
    while (n > 0 && line[n - 1] == '\n') line[--n] = '\0';
    printf("flv_relay: %s\n", line);
}

void die(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "flv_relay: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n, size);
    if (!p) die("out of memory");
    return p;
}

/* May run on any thread that calls into livehub, with no livehub lock held. */
void on_livehub_log(void *userdata, uint32_t level, const char *message)
{
    static const char *names[] = { "off", "error", "warn", "info", "debug" };
    (void)userdata;
    printf("livehub[%s]: %s\n", level < 5 ? names[level] : "?", message);
}
