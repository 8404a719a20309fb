/*
 * http_parse.c — the request-head parser: finds the end of a head, splits
 * the request line, reads the three headers the relay acts on
 * (Content-Length, Transfer-Encoding, Expect) and validates stream keys and
 * query parameters. It works in place on a bounded buffer that the caller
 * owns, allocates nothing and never reads past the length it is given, so a
 * peer's bytes can do no more than earn a 400; the libFuzzer harness
 * (make fuzz-relay) runs it on arbitrary input under ASan and UBSan.
 */
#include "http.h"

#include <string.h>

size_t http_head_end(const char *buf, size_t len, size_t from)
{
    for (size_t j = from; j + 1 < len; j++) {
        if (buf[j] != '\n') continue;
        if (buf[j + 1] == '\n') return j + 2;
        if (j + 2 < len && buf[j + 1] == '\r' && buf[j + 2] == '\n') return j + 3;
    }
    return 0;
}

static int lower(int ch) { return ch >= 'A' && ch <= 'Z' ? ch + 32 : ch; }

/* Case-insensitive "line starts with name ':'": returns the value with
 * blanks trimmed on both sides (the line is NUL-terminated), or NULL. */
static char *header_value(char *line, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)line[i]) != lower((unsigned char)name[i])) return NULL;
    if (line[n] != ':') return NULL;
    char *v = line + n + 1;
    while (*v == ' ' || *v == '\t') v++;
    size_t vl = strlen(v);
    while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t')) v[--vl] = '\0';
    return v;
}

/* Whether the comma-separated list v contains the token tok (any case). */
static int has_token(const char *v, const char *tok)
{
    size_t tl = strlen(tok);
    while (*v) {
        while (*v == ' ' || *v == '\t' || *v == ',') v++;
        size_t i = 0;
        while (v[i] && v[i] != ',') i++;
        size_t e = i;
        while (e > 0 && (v[e - 1] == ' ' || v[e - 1] == '\t')) e--;
        if (e == tl) {
            size_t k = 0;
            while (k < tl && lower((unsigned char)v[k]) == tok[k]) k++;
            if (k == tl) return 1;
        }
        v += i;
    }
    return 0;
}

int http_parse_request(char *buf, size_t len, http_request *req)
{
    memset(req, 0, sizeof *req);
    req->content_length = -1;
    req->query = "";
    if (len == 0 || len > HTTP_HEAD_MAX || buf[len - 1] != '\n') return 400;
    if (memchr(buf, '\0', len)) return 400;   /* the string functions below stop at NUL */
    char *end = buf + len;

    /* METHOD SP target SP HTTP/1.x, each line ended by LF or CRLF. */
    char *eol = memchr(buf, '\n', len);
    *eol = '\0';
    if (eol > buf && eol[-1] == '\r') eol[-1] = '\0';
    char *sp1 = strchr(buf, ' ');
    char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    if (!sp1 || sp1 == buf || !sp2 || sp2 == sp1 + 1 || strncmp(sp2 + 1, "HTTP/1.", 7) != 0) return 400;
    *sp1 = '\0';
    *sp2 = '\0';
    req->method = buf;
    char *target = sp1 + 1;
    if (!strncmp(target, "http://", 7)) {      /* absolute form: keep the path */
        char *slash = strchr(target + 7, '/');
        target = slash ? slash : (char *)"/";
    }
    char *q = strchr(target, '?');
    if (q) {
        *q = '\0';
        req->query = q + 1;
    }
    req->target = target;

    int lines = 0, te = 0;
    for (char *p = eol + 1; p < end;) {
        char *e = memchr(p, '\n', (size_t)(end - p));
        if (!e) return 400;                    /* cannot happen: buf ends with LF */
        *e = '\0';
        if (e > p && e[-1] == '\r') e[-1] = '\0';
        if (*p == '\0') break;                 /* the blank line */
        if (++lines > HTTP_HEADERS_MAX) return 431;
        /* name ":" value, the name a token: no line folding, no blank
         * before the colon (RFC 9112 5.1, 5.2: a request smuggler's tools). */
        size_t name_len = strcspn(p, ": \t");
        if (name_len == 0 || p[name_len] != ':') return 400;
        char *v;
        if ((v = header_value(p, "Content-Length"))) {
            if (*v == '\0') return 400;
            int64_t n = 0;
            for (const char *d = v; *d; d++) {
                if (*d < '0' || *d > '9' || n > (INT64_MAX - 9) / 10) return 400;
                n = n * 10 + (*d - '0');
            }
            if (req->content_length >= 0 && req->content_length != n) return 400;
            req->content_length = n;
        } else if ((v = header_value(p, "Transfer-Encoding"))) {
            te = 1;
            if (has_token(v, "chunked")) req->chunked = 1;
        } else if ((v = header_value(p, "Expect"))) {
            req->expect_continue = has_token(v, "100-continue");
        }
        p = e + 1;
    }
    if (te && !req->chunked) return 501;
    /* Both framings: chunked wins, Content-Length is ignored (RFC 9112 6.3). */
    if (req->chunked) req->content_length = -1;
    return 0;
}

int http_key_ok(const char *k, size_t len)
{
    if (len == 0 || len > HTTP_KEY_MAX || k[0] == '/' || k[len - 1] == '/') return 0;
    size_t seg = 0;
    for (size_t i = 0; i <= len; i++) {
        char ch = i < len ? k[i] : '/';
        if (ch == '/') {
            if (seg == 0) return 0;                                   /* "//" */
            if (seg == 1 && k[i - 1] == '.') return 0;                /* "." */
            if (seg == 2 && k[i - 1] == '.' && k[i - 2] == '.') return 0;   /* ".." */
            seg = 0;
            continue;
        }
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                 ch == '.' || ch == '_' || ch == '-' || ch == '~';
        if (!ok) return 0;
        seg++;
    }
    return 1;
}

int http_flv_key(const char *target, char key[HTTP_KEY_MAX + 1])
{
    size_t tlen = strlen(target);
    if (tlen <= 5 || target[0] != '/' || strcmp(target + tlen - 4, ".flv") != 0) return 0;
    if (!http_key_ok(target + 1, tlen - 5)) return 0;
    memcpy(key, target + 1, tlen - 5);
    key[tlen - 5] = '\0';
    return 1;
}

int http_query_param(const char *query, const char *name, const char **value, size_t *value_len)
{
    size_t nl = strlen(name);
    for (const char *p = query; *p;) {
        size_t i = 0;
        while (p[i] && p[i] != '&') i++;
        if (i > nl && p[nl] == '=' && !strncmp(p, name, nl)) {
            *value = p + nl + 1;
            *value_len = i - nl - 1;
            return 1;
        }
        p += i;
        if (*p == '&') p++;
    }
    return 0;
}
