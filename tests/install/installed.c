/*
 * installed.c: a C program built against an installed livehub, as a user
 * builds one (tests/install/run.sh compiles it with the flags pkg-config
 * gives, once against liblivehub.so and once against liblivehub.a).
 *
 * It checks that the header and the library it was linked with are the
 * release named in Cargo.toml (EXPECT_VERSION, EXPECT_MAJOR, EXPECT_MINOR,
 * EXPECT_PATCH come from the compiler command line), then sends a few tags
 * from a publisher to a player and reads them back through the HTTP-FLV
 * byte stream. Exit status 0 only if every check held.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <livehub.h>

#if !defined(EXPECT_VERSION) || !defined(EXPECT_MAJOR) || !defined(EXPECT_MINOR) || !defined(EXPECT_PATCH)
#error "build with -DEXPECT_VERSION='\"M.m.p\"' -DEXPECT_MAJOR=M -DEXPECT_MINOR=m -DEXPECT_PATCH=p"
#endif

/* The macros are usable in #if, as the header promises. */
#if LIVEHUB_VERSION_NUMBER != ((LIVEHUB_VERSION_MAJOR << 16) | (LIVEHUB_VERSION_MINOR << 8) | LIVEHUB_VERSION_PATCH)
#error "LIVEHUB_VERSION_NUMBER is not (MAJOR << 16) | (MINOR << 8) | PATCH"
#endif

static int failures;

#define EXPECT(cond, what)                                          \
    do {                                                            \
        if (!(cond)) {                                              \
            failures++;                                             \
            fprintf(stderr, "installed: FAILED: %s\n", what);       \
        }                                                           \
    } while (0)

int main(void)
{
    char parts[64];
    snprintf(parts, sizeof parts, "%d.%d.%d", LIVEHUB_VERSION_MAJOR, LIVEHUB_VERSION_MINOR,
             LIVEHUB_VERSION_PATCH);
    EXPECT(strcmp(LIVEHUB_VERSION, EXPECT_VERSION) == 0, "LIVEHUB_VERSION is Cargo.toml's version");
    EXPECT(LIVEHUB_VERSION_MAJOR == EXPECT_MAJOR && LIVEHUB_VERSION_MINOR == EXPECT_MINOR &&
               LIVEHUB_VERSION_PATCH == EXPECT_PATCH,
           "LIVEHUB_VERSION_MAJOR/_MINOR/_PATCH are Cargo.toml's");
    EXPECT(strcmp(parts, LIVEHUB_VERSION) == 0, "MAJOR.MINOR.PATCH spells LIVEHUB_VERSION");
    EXPECT(strcmp(livehub_version(), EXPECT_VERSION) == 0, "livehub_version() is Cargo.toml's version");

    livehub_hub *hub = NULL;
    livehub_stream *s = NULL;
    livehub_publisher *pub = NULL;
    livehub_player *pl = NULL;
    EXPECT(livehub_hub_new(NULL, &hub) == LIVEHUB_OK, "livehub_hub_new");
    EXPECT(hub && livehub_hub_stream(hub, "live/installed", &s) == LIVEHUB_OK, "livehub_hub_stream");
    EXPECT(s && livehub_stream_play(s, NULL, &pl) == LIVEHUB_OK, "livehub_stream_play");
    EXPECT(s && livehub_stream_publish(s, &pub) == LIVEHUB_OK, "livehub_stream_publish");
    if (failures) return 1;

    /* AAC sequence header, then three AAC frames (format 10, 44.1 kHz stereo). */
    static const uint8_t aac_sh[] = {0xAF, 0x00, 0x12, 0x10};
    static const uint8_t aac_frame[] = {0xAF, 0x01, 0x21, 0x10, 0x04, 0x60};
    EXPECT(livehub_publisher_push_tag(pub, LIVEHUB_TAG_AUDIO, 0, aac_sh, sizeof aac_sh) == LIVEHUB_OK,
           "push the sequence header");
    for (uint32_t i = 0; i < 3; i++)
        EXPECT(livehub_publisher_push_tag(pub, LIVEHUB_TAG_AUDIO, 23 * i, aac_frame, sizeof aac_frame) ==
                   LIVEHUB_OK,
               "push a frame");

    /* FLV header (9) + PreviousTagSize0 (4), then per tag 11 + body + 4. */
    size_t want = 9 + 4 + (11 + sizeof aac_sh + 4) + 3 * (11 + sizeof aac_frame + 4);
    uint8_t buf[512];
    size_t got = 0, n = 0;
    livehub_result r;
    while ((r = livehub_player_read_flv(pl, buf + got, sizeof buf - got, &n)) == LIVEHUB_OK) got += n;
    EXPECT(r == LIVEHUB_AGAIN, "the player reaches the live edge");
    EXPECT(got == want, "the player gets the FLV header and the four tags");
    EXPECT(got >= 3 && memcmp(buf, "FLV", 3) == 0, "the byte stream starts with the FLV signature");

    livehub_publisher_release(pub);
    livehub_stream_release(s);
    livehub_hub_release(hub);
    livehub_player_release(pl);

    printf("installed: header %s, library %s, %zu FLV bytes through one player: %s\n", LIVEHUB_VERSION,
           livehub_version(), got, failures ? "FAILED" : "ok");
    return failures ? 1 : 0;
}
