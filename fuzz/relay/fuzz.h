/*
 * fuzz.h — what the two libFuzzer harnesses of the relay's parsers share:
 * the entry point libFuzzer (or driver.c) calls, and CHECK, which aborts
 * with the failed condition so that a broken invariant is a finding like a
 * sanitizer report.
 */
#ifndef FLV_RELAY_FUZZ_H
#define FLV_RELAY_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                             \
    do {                                                                        \
        if (!(cond)) {                                                          \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                            \
        }                                                                       \
    } while (0)

#endif
