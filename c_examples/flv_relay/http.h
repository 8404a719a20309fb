/*
 * http.h — the relay's HTTP/1.x request-head parser and chunked-body
 * decoder: the code a network peer reaches first. Both are sans-IO and pure
 * (no sockets, no livehub, no allocation, no logging): http_parse.c takes a
 * complete request head and fills an http_request that points into it;
 * http_chunked.c consumes body bytes and hands back the data spans. They are
 * used by request.c and publish.c, and linked alone into the fuzz harness
 * (fuzz/relay/fuzz_http.c), so they include nothing of the relay.
 */
#ifndef FLV_RELAY_HTTP_H
#define FLV_RELAY_HTTP_H

#include <stddef.h>
#include <stdint.h>

#define HTTP_HEAD_MAX    8192  /* a request head (request line + headers) */
#define HTTP_HEADERS_MAX 64    /* header lines in it */
#define HTTP_KEY_MAX     255   /* a stream key, "app/stream" */

/* One parsed request head. Every pointer points into the head buffer given
 * to http_parse_request(), which it edited in place (NUL terminators). */
typedef struct {
    const char *method;          /* "GET", "POST", ... (not checked here) */
    const char *target;          /* the path: origin form, query removed */
    const char *query;           /* after '?', "" if none */
    int64_t content_length;      /* -1: no Content-Length */
    int chunked;                 /* Transfer-Encoding: chunked */
    int expect_continue;         /* Expect: 100-continue */
} http_request;

/* The length of the request head in buf[0..len) (through the blank line,
 * CRLF CRLF or bare LF LF), or 0 if it is not complete yet. `from` is where
 * to start looking (what was already searched, minus 3 bytes). */
size_t http_head_end(const char *buf, size_t len, size_t from);

/* Parses the complete head buf[0..len) (as measured by http_head_end; len
 * at most HTTP_HEAD_MAX) in place. Returns 0 and fills *req, or the HTTP
 * status to answer: 400 (malformed: request line, NUL byte, a header line
 * without "name:" or with a blank before the colon or folded onto the
 * previous one, Content-Length not digits, two that differ), 431 (more than HTTP_HEADERS_MAX header lines), 501
 * (a Transfer-Encoding other than chunked). */
int http_parse_request(char *buf, size_t len, http_request *req);

/* 1 when target is "/KEY.flv" with a valid key (see http_key_ok), which is
 * then copied NUL-terminated to key[0..HTTP_KEY_MAX]; 0 otherwise. */
int http_flv_key(const char *target, char key[HTTP_KEY_MAX + 1]);

/* 1 when k[0..len) is a valid stream key: letters, digits, '.', '_', '-',
 * '~', and '/' between non-empty segments, no "." or ".." segment, at most
 * HTTP_KEY_MAX bytes. */
int http_key_ok(const char *k, size_t len);

/* Finds `name=value` in a query string (pairs split by '&'). Returns 1 and
 * sets *value / *value_len (not decoded, not NUL-terminated) to the first
 * match, 0 if absent. */
int http_query_param(const char *query, const char *name, const char **value, size_t *value_len);

/* ---- chunked transfer coding (RFC 9112 section 7.1) ---- */

#define HTTP_CHUNK_DIGITS_MAX 15   /* hex digits of a chunk size: < 2^60 */
#define HTTP_CHUNK_LINE_MAX   4096 /* a chunk-extension or trailer line */

typedef struct {
    int state;                   /* internal; zero-initialised = start */
    uint64_t left;               /* data bytes left in the current chunk */
    unsigned digits;             /* hex digits read of the size */
    size_t line;                 /* bytes of the current ext/trailer line */
} http_chunked;

enum http_chunked_result {
    HTTP_CHUNKED_MORE,           /* all input consumed; need more */
    HTTP_CHUNKED_DATA,           /* a data span is ready (see below) */
    HTTP_CHUNKED_DONE,           /* the body ended (last chunk, trailers) */
    HTTP_CHUNKED_BAD             /* malformed: stop reading this body */
};

/* Decodes in[0..n). Consumes up to the end of the next data span, or all of
 * the input, or up to the end of the body. *used is set to the bytes
 * consumed (for DATA: through the end of the span; the caller passes the
 * input again from in + *used). For DATA, the span is in[*data_off ..
 * *data_off + *data_len), non-empty. DONE: bytes after *used are not part
 * of the body. BAD: the decoder stays BAD. A chunk's data is never
 * buffered: a huge chunk size only means more DATA spans. */
int http_chunked_decode(http_chunked *d, const uint8_t *in, size_t n, size_t *used,
                        size_t *data_off, size_t *data_len);

#endif
