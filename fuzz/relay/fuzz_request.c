/*
 * fuzz_request.c — libFuzzer harness for the relay's request-head parser
 * (c_examples/flv_relay/http_parse.c) and the secret check (auth.c): the
 * code every byte a client sends first goes through. The input is fed as
 * request.c feeds socket reads — in pieces (their size from the first
 * byte) into a HTTP_HEAD_MAX buffer, looking for the end of the head after
 * each — and the head found is parsed. Checked besides the sanitizers: the
 * incremental search finds the same end as one search over everything; the
 * parser answers 0, 400, 431 or 501 only; on success every field points
 * into the head (or at a constant), the key it extracts is valid and
 * bounded, and the secret check agrees with a plain comparison.
 */
#include "fuzz.h"

#include <string.h>

#include "auth.h"
#include "http.h"

static int inside(const char *p, const char *buf, size_t len)
{
    return p >= buf && p <= buf + len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char buf[HTTP_HEAD_MAX + 1];
    if (size == 0) return 0;
    size_t step = (size_t)(data[0] & 0x3f) + 1;
    data++;
    size--;

    size_t len = 0, head = 0;
    while (len < size && len < HTTP_HEAD_MAX && head == 0) {
        size_t n = step;
        if (n > size - len) n = size - len;
        if (n > HTTP_HEAD_MAX - len) n = HTTP_HEAD_MAX - len;
        size_t from = len >= 3 ? len - 3 : 0;
        memcpy(buf + len, data + len, n);
        len += n;
        buf[len] = '\0';
        head = http_head_end(buf, len, from);
    }
    CHECK(head == http_head_end(buf, len, 0));
    if (head == 0) return 0;
    CHECK(head <= len && head >= 2 && buf[head - 1] == '\n');

    http_request rq;
    int status = http_parse_request(buf, head, &rq);
    CHECK(status == 0 || status == 400 || status == 431 || status == 501);
    if (status != 0) return 0;
    CHECK(rq.method && inside(rq.method, buf, head) && rq.method[0] != '\0');
    CHECK(rq.target && (inside(rq.target, buf, head) || !strcmp(rq.target, "/")));
    CHECK(rq.query && (inside(rq.query, buf, head) || rq.query[0] == '\0'));
    CHECK(strlen(rq.method) < head && strlen(rq.target) < head && strlen(rq.query) < head);
    CHECK(rq.content_length >= -1);
    CHECK(!rq.chunked || rq.content_length == -1);
    CHECK(strchr(rq.target, '?') == NULL);

    char key[HTTP_KEY_MAX + 1];
    if (http_flv_key(rq.target, key)) {
        size_t kl = strlen(key);
        CHECK(kl >= 1 && kl <= HTTP_KEY_MAX && http_key_ok(key, kl));
        CHECK(strstr(key, "//") == NULL && key[0] != '/' && key[kl - 1] != '/');
    }

    const char *v = NULL;
    size_t vl = 0;
    int has = http_query_param(rq.query, "secret", &v, &vl);
    if (has) CHECK(v >= rq.query && v + vl <= rq.query + strlen(rq.query));
    static const char secret[] = "s3cret";
    int want = has && vl == sizeof secret - 1 && memcmp(v, secret, vl) == 0;
    CHECK(auth_query_ok(secret, rq.query) == want);
    CHECK(auth_query_ok(NULL, rq.query) == 1);
    return 0;
}
