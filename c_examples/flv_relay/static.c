/*
 * static.c — what the relay serves besides streams: the demo page
 * (web/index.html), its player script (mpegts.js from web/node_modules) and
 * /api/streams, the hub's JSON snapshot from livehub_hub_stats_json()
 * (schema in docs/stats.md). Files are read whole (at most
 * MAX_STATIC_BYTES) into a complete response; the web directory is --web
 * or found next to the binary.
 */
#include "relay.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int dir_has_index(const char *dir)
{
    char path[PATH_MAX + 16];
    int n = snprintf(path, sizeof path, "%s/index.html", dir);
    return n > 0 && (size_t)n < sizeof path && access(path, R_OK) == 0;
}

/* web/ next to the binary or up to three levels above it
 * (c_examples/build/flv_relay, c_examples/build/asan/flv_relay), else ./web. */
void find_web_dir(void)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) *slash = '\0';
        const char *ups[] = { "", "/..", "/../..", "/../../.." };
        for (size_t i = 0; i < sizeof ups / sizeof ups[0]; i++) {
            char dir[PATH_MAX + 32];
            snprintf(dir, sizeof dir, "%s%s/web", exe, ups[i]);
            char real[PATH_MAX];
            if (dir_has_index(dir) && realpath(dir, real)) {
                snprintf(g.web_dir, sizeof g.web_dir, "%s", real);
                return;
            }
        }
    }
    snprintf(g.web_dir, sizeof g.web_dir, "web");
}

void serve_file(conn *c, const char *rel, const char *ctype, int head_only)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", g.web_dir, rel);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > MAX_STATIC_BYTES) {
        if (fd >= 0) close(fd);
        char msg[PATH_MAX + 160];
        int n = snprintf(msg, sizeof msg, "not found: %s (run `npm install` in web/, or `make demo`)\n", path);
        respond_text(c, 404, "Not Found", n > 0 ? msg : "not found\n", head_only);
        return;
    }
    size_t size = (size_t)st.st_size;
    char *body = malloc(size ? size : 1);
    size_t got = 0;
    while (body && got < size) {
        ssize_t n = read(fd, body + got, size - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += (size_t)n;
    }
    close(fd);
    if (!body || got != size) {
        free(body);
        respond_text(c, 500, "Internal Server Error", "read failed\n", head_only);
        return;
    }
    respond(c, 200, "OK", ctype, body, size, head_only, NULL);
    free(body);
}

void serve_stats(conn *c, int head_only)
{
    loop *l = c->loop;
    size_t len = 0;
    livehub_result r = LIVEHUB_ERR_BUFFER;
    /* The JSON goes into the loop's buffer; on LIVEHUB_ERR_BUFFER, len is
     * the size needed (the hub may grow in between: retry a few times). */
    for (int attempt = 0; attempt < 4 && r == LIVEHUB_ERR_BUFFER; attempt++) {
        if (attempt > 0 || !l->json) {
            size_t want = attempt > 0 ? len + 1 + 4096 : 65536;
            char *grown = realloc(l->json, want);
            if (!grown) break;
            l->json = grown;
            l->json_cap = want;
        }
        r = livehub_hub_stats_json(g.hub, l->json, l->json_cap, &len);
    }
    if (r != LIVEHUB_OK) { respond_text(c, 500, "Internal Server Error", livehub_result_str(r), head_only); return; }
    respond(c, 200, "OK", "application/json", l->json, len, head_only, NULL);
}
