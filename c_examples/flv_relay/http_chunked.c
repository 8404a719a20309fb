/*
 * http_chunked.c — the chunked transfer-coding decoder (RFC 9112 section
 * 7.1) for publishers' bodies: size line in hex with optional extensions,
 * CRLF, data, CRLF, ..., a zero-size last chunk, optional trailer lines and
 * a blank line; bare LF is accepted for CRLF. It is a byte-at-a-time state
 * machine over whatever the socket gave (any split of the input decodes the
 * same), hands chunk data back as spans of the caller's buffer (nothing is
 * copied or buffered, whatever size a chunk claims) and bounds every line it
 * must skip, so a hostile body ends in HTTP_CHUNKED_BAD, never in memory
 * growth. Fuzzed with http_parse.c (make fuzz-relay).
 */
#include "http.h"

enum { CH_SIZE, CH_EXT, CH_SIZE_LF, CH_DATA, CH_DATA_CR, CH_DATA_LF, CH_TRAILER, CH_DONE, CH_BAD };

static int hex(uint8_t b)
{
    if (b >= '0' && b <= '9') return b - '0';
    if (b >= 'a' && b <= 'f') return b - 'a' + 10;
    if (b >= 'A' && b <= 'F') return b - 'A' + 10;
    return -1;
}

int http_chunked_decode(http_chunked *d, const uint8_t *in, size_t n, size_t *used,
                        size_t *data_off, size_t *data_len)
{
    size_t i = 0;
    *data_off = *data_len = 0;
    while (i < n) {
        uint8_t b = in[i];
        switch (d->state) {
        case CH_SIZE: {
            int h = hex(b);
            if (h >= 0) {
                if (++d->digits > HTTP_CHUNK_DIGITS_MAX) goto bad;
                d->left = d->left * 16 + (uint64_t)h;
                i++;
                break;
            }
            if (d->digits == 0) goto bad;
            if (b == ';' || b == ' ' || b == '\t') { d->state = CH_EXT; d->line = 0; i++; break; }
            if (b == '\r') { d->state = CH_SIZE_LF; i++; break; }
            if (b == '\n') { d->state = CH_SIZE_LF; break; }          /* bare LF */
            goto bad;
        }
        case CH_EXT:                                                   /* ignored */
            if (b == '\n') { d->state = CH_SIZE_LF; break; }
            if (++d->line > HTTP_CHUNK_LINE_MAX) goto bad;
            i++;
            break;
        case CH_SIZE_LF:
            if (b != '\n') goto bad;
            i++;
            d->digits = 0;
            if (d->left == 0) { d->state = CH_TRAILER; d->line = 0; }
            else d->state = CH_DATA;
            break;
        case CH_DATA: {
            size_t avail = n - i;
            size_t take = d->left < avail ? (size_t)d->left : avail;
            d->left -= take;
            if (d->left == 0) d->state = CH_DATA_CR;
            *data_off = i;
            *data_len = take;
            *used = i + take;
            return HTTP_CHUNKED_DATA;
        }
        case CH_DATA_CR:
            if (b == '\r') { d->state = CH_DATA_LF; i++; break; }
            if (b == '\n') { d->state = CH_DATA_LF; break; }
            goto bad;
        case CH_DATA_LF:
            if (b != '\n') goto bad;
            i++;
            d->state = CH_SIZE;
            break;
        case CH_TRAILER:
            i++;
            if (b == '\n') {
                if (d->line == 0) { d->state = CH_DONE; *used = i; return HTTP_CHUNKED_DONE; }
                d->line = 0;
            } else if (b != '\r' || d->line > 0) {
                if (++d->line > HTTP_CHUNK_LINE_MAX) goto bad;
            }
            break;
        case CH_DONE:
            *used = i;
            return HTTP_CHUNKED_DONE;
        default:
            goto bad;
        }
    }
    *used = i;
    if (d->state == CH_DONE) return HTTP_CHUNKED_DONE;
    if (d->state == CH_BAD) return HTTP_CHUNKED_BAD;
    return HTTP_CHUNKED_MORE;
bad:
    d->state = CH_BAD;
    *used = i;
    return HTTP_CHUNKED_BAD;
}
