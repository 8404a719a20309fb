/*
 * fuzz_chunked.c — libFuzzer harness for the relay's chunked-body decoder
 * (c_examples/flv_relay/http_chunked.c), which decodes every publisher's
 * chunked POST. Two modes, chosen by the first byte:
 *   - raw: the rest of the input is a body, decoded once whole and once in
 *     pieces (sizes drawn from the input); both must give the same data,
 *     the same outcome and, when it ended or failed, at the same byte;
 *   - round trip: the rest is a payload, chunk-encoded here with sizes,
 *     extensions and trailers drawn from it; decoding it in pieces must give
 *     the payload back exactly and end where the encoding ends.
 * Every call is checked against the contract in http.h: consumption within
 * the input, DATA spans non-empty and inside it, MORE only when all of it
 * was consumed, and progress on every call.
 */
#include "fuzz.h"

#include <string.h>

#include "http.h"

typedef struct {
    uint8_t *data;               /* decoded bytes */
    size_t len, cap;
    int result;                  /* the last result */
    size_t consumed;             /* input bytes consumed in all */
} outcome;

static void append(outcome *o, const uint8_t *p, size_t n)
{
    if (o->len + n > o->cap) {
        size_t cap = (o->len + n) * 2 + 64;
        uint8_t *grown = realloc(o->data, cap);
        CHECK(grown != NULL);
        o->data = grown;
        o->cap = cap;
    }
    memcpy(o->data + o->len, p, n);
    o->len += n;
}

static uint32_t rng_next(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* Decodes in[0..n) in pieces of 1..max_piece bytes (max_piece 0: whole). */
static outcome decode(const uint8_t *in, size_t n, uint32_t seed, size_t max_piece)
{
    outcome o;
    memset(&o, 0, sizeof o);
    http_chunked d;
    memset(&d, 0, sizeof d);
    o.result = HTTP_CHUNKED_MORE;
    size_t pos = 0;
    uint32_t s = seed | 1;
    while (pos < n) {
        size_t piece = max_piece ? 1 + rng_next(&s) % max_piece : n - pos;
        if (piece > n - pos) piece = n - pos;
        const uint8_t *p = in + pos;
        size_t left = piece;
        for (size_t calls = 0; left > 0; calls++) {
            CHECK(calls <= piece);                  /* every call makes progress */
            size_t used = 0, off = 0, dl = 0;
            int r = http_chunked_decode(&d, p, left, &used, &off, &dl);
            CHECK(used <= left);
            o.result = r;
            if (r == HTTP_CHUNKED_DATA) {
                CHECK(dl > 0 && off + dl == used);
                append(&o, p + off, dl);
            } else if (r == HTTP_CHUNKED_MORE) {
                CHECK(used == left);
            }
            p += used;
            left -= used;
            o.consumed += used;
            if (r == HTTP_CHUNKED_DONE || r == HTTP_CHUNKED_BAD) return o;
        }
        pos += piece;
    }
    return o;
}

/* Chunk-encodes payload[0..n): chunk sizes, extensions, bare-LF line ends
 * and trailers drawn from seed. Returns the encoding (malloc'd). */
static uint8_t *encode(const uint8_t *payload, size_t n, uint32_t seed, size_t *out_len)
{
    outcome e;
    memset(&e, 0, sizeof e);
    uint32_t s = seed | 1;
    size_t pos = 0;
    for (;;) {
        size_t chunk = pos < n ? 1 + rng_next(&s) % (n - pos) : 0;
        uint32_t style = rng_next(&s);
        char line[64];
        int k = snprintf(line, sizeof line, (style & 1) ? "%zx" : "%zX", chunk);
        append(&e, (const uint8_t *)line, (size_t)k);
        if (style & 2) append(&e, (const uint8_t *)";name=value", 11);
        const char *eol = (style & 4) ? "\n" : "\r\n";
        append(&e, (const uint8_t *)eol, strlen(eol));
        if (chunk == 0) break;
        append(&e, payload + pos, chunk);
        append(&e, (const uint8_t *)eol, strlen(eol));
        pos += chunk;
    }
    if (rng_next(&s) & 1) append(&e, (const uint8_t *)"X-Trailer: 1\r\n", 14);
    append(&e, (const uint8_t *)"\r\n", 2);
    *out_len = e.len;
    return e.data;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    int round_trip = data[0] & 1;
    size_t max_piece = (size_t)(data[0] >> 1) + 1;      /* 1..128 */
    uint32_t seed = (uint32_t)data[1] * 2654435761u;
    data += 2;
    size -= 2;

    if (!round_trip) {
        outcome whole = decode(data, size, seed, 0);
        outcome split = decode(data, size, seed, max_piece);
        CHECK(whole.result == split.result);
        CHECK(whole.len == split.len && (whole.len == 0 || !memcmp(whole.data, split.data, whole.len)));
        if (whole.result == HTTP_CHUNKED_DONE || whole.result == HTTP_CHUNKED_BAD)
            CHECK(whole.consumed == split.consumed);
        free(whole.data);
        free(split.data);
        return 0;
    }
    size_t enc_len = 0;
    uint8_t *enc = encode(data, size, seed, &enc_len);
    outcome o = decode(enc, enc_len, seed ^ 0x9e3779b9u, max_piece);
    CHECK(o.result == HTTP_CHUNKED_DONE);
    CHECK(o.consumed == enc_len);
    CHECK(o.len == size && (size == 0 || !memcmp(o.data, data, size)));
    free(o.data);
    free(enc);
    return 0;
}
