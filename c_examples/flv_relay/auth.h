/*
 * auth.h — who may publish and who may play: a shared secret per role,
 * given by the client as `?secret=S` (HTTP: the request target's query;
 * RTMP: the query of the stream name). Pure code, like http.h: no sockets,
 * no livehub, no state of its own; the secrets are the caller's.
 */
#ifndef FLV_RELAY_AUTH_H
#define FLV_RELAY_AUTH_H

#include <stddef.h>

#define AUTH_SECRET_MAX 256

/* 1 when s is usable as a secret: 1..AUTH_SECRET_MAX bytes of letters,
 * digits, '-', '.', '_', '~' (what a URL carries unencoded, so the client
 * sends it as is and it is compared as sent, without percent-decoding). */
int auth_secret_valid(const char *s);

/* 1 when `query` (what follows '?', "" if none; NUL-terminated) has a
 * `secret` parameter equal to `secret`, or when `secret` is NULL (the role
 * is open to all). 0 for a missing, empty or wrong secret. The comparison
 * takes the same time whatever the bytes given and however many of them
 * match, so the answer's timing tells nothing about the secret. */
int auth_query_ok(const char *secret, const char *query);

/* The comparison itself: 1 when given[0..given_len) equals secret
 * (NUL-terminated, non-empty), in time that depends on given_len and
 * strlen(secret) only. */
int auth_equal(const char *secret, const char *given, size_t given_len);

#endif
