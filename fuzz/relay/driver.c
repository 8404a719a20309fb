/*
 * driver.c — runs a libFuzzer harness without libFuzzer, so that `make
 * test` builds and exercises the harnesses with gcc (under ASan and UBSan)
 * and they cannot rot: every file given (or found in a directory given) is
 * one input, then `-m N` deterministic mutations of them (byte flips,
 * insertions, deletions, splices; seed fixed) are run as well.
 *
 *   fuzz_relay_X [-m N] FILE_OR_DIR...
 */
#include "fuzz.h"

#include <dirent.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_INPUTS 4096
#define MAX_INPUT  (64u << 10)

static uint8_t *inputs[MAX_INPUTS];
static size_t sizes[MAX_INPUTS];
static size_t ninputs;

static void load(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) { fprintf(stderr, "driver: %s: cannot stat\n", path); exit(2); }
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (!d) { fprintf(stderr, "driver: %s: cannot open\n", path); exit(2); }
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.') continue;
            char sub[4096];
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            load(sub);
        }
        closedir(d);
        return;
    }
    if (ninputs == MAX_INPUTS) return;
    FILE *f = fopen(path, "rb");
    if (!f) { fprintf(stderr, "driver: %s: cannot open\n", path); exit(2); }
    uint8_t *buf = malloc(MAX_INPUT);
    CHECK(buf != NULL);
    size_t n = fread(buf, 1, MAX_INPUT, f);
    fclose(f);
    inputs[ninputs] = buf;
    sizes[ninputs] = n;
    ninputs++;
}

static uint32_t rng = 2463534242u;
static uint32_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

int main(int argc, char **argv)
{
    long mutations = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-m") && i + 1 < argc) mutations = strtol(argv[++i], NULL, 10);
        else load(argv[i]);
    }
    if (ninputs == 0) { fprintf(stderr, "driver: no inputs\n"); return 2; }
    for (size_t i = 0; i < ninputs; i++) LLVMFuzzerTestOneInput(inputs[i], sizes[i]);

    static uint8_t m[2 * MAX_INPUT];
    for (long k = 0; k < mutations; k++) {
        size_t a = next() % ninputs, n = sizes[a];
        memcpy(m, inputs[a], n);
        int edits = 1 + (int)(next() % 8);
        for (int e = 0; e < edits; e++) {
            uint32_t op = next() % 4, r = next();
            if (op == 0 && n > 0) m[r % n] ^= (uint8_t)(1u << (next() % 8));          /* flip a bit */
            else if (op == 1 && n < MAX_INPUT) {                                      /* insert a byte */
                size_t at = n ? r % (n + 1) : 0;
                memmove(m + at + 1, m + at, n - at);
                m[at] = (uint8_t)next();
                n++;
            } else if (op == 2 && n > 0) {                                            /* delete a byte */
                size_t at = r % n;
                memmove(m + at, m + at + 1, n - at - 1);
                n--;
            } else if (op == 3) {                                                     /* splice another input */
                size_t b = next() % ninputs, take = sizes[b] ? next() % (sizes[b] + 1) : 0;
                size_t at = n ? r % (n + 1) : 0;
                if (n + take > sizeof m) take = sizeof m - n;
                memmove(m + at + take, m + at, n - at);
                memcpy(m + at, inputs[b], take);
                n += take;
                if (n > MAX_INPUT) n = MAX_INPUT;
            }
        }
        LLVMFuzzerTestOneInput(m, n);
    }
    printf("%s: %zu inputs and %ld mutations of them: no finding\n", argv[0], ninputs, mutations);
    for (size_t i = 0; i < ninputs; i++) free(inputs[i]);
    return 0;
}
