/*
 * auth.c — the publish and play secrets (--publish-secret, --play-secret):
 * one check, auth_query_ok(), that request.c calls for every HTTP publish
 * and play, and that an RTMP front end calls with the query of the stream
 * name. The secret is compared in constant time: every byte of the given
 * value is compared (against the secret's byte at that position, or a fixed
 * byte beyond its end), the differences are OR-ed together and the lengths
 * compared the same way, with no early exit.
 */
#include "auth.h"
#include "http.h"

#include <string.h>

int auth_secret_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > AUTH_SECRET_MAX) return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                 ch == '-' || ch == '.' || ch == '_' || ch == '~';
        if (!ok) return 0;
    }
    return 1;
}

int auth_equal(const char *secret, const char *given, size_t given_len)
{
    size_t slen = strlen(secret);
    /* volatile: the compiler may not turn the loop into an early-exit memcmp. */
    volatile unsigned char diff = (unsigned char)(slen != given_len);
    for (size_t i = 0; i < given_len; i++) {
        unsigned char want = i < slen ? (unsigned char)secret[i] : 0;
        diff |= (unsigned char)(want ^ (unsigned char)given[i]) | (unsigned char)(i >= slen);
    }
    return slen > 0 && diff == 0;
}

int auth_query_ok(const char *secret, const char *query)
{
    if (!secret) return 1;
    const char *v = NULL;
    size_t vlen = 0;
    if (!http_query_param(query, "secret", &v, &vlen)) return 0;
    return auth_equal(secret, v, vlen);
}
