/*
 * two_rust_libs.c: one C program, two Rust static libraries (livehub and
 * tests/install/other_rust/other.rs, which has its own global allocator).
 *
 * Checks that both work side by side and stay apart: livehub's
 * allocations never go through the other library's allocator (its count
 * does not move while livehub works), the other library still works (its
 * count moves when it allocates), and a panic caught inside it stays there.
 */
#include <stdint.h>
#include <stdio.h>

#include <livehub.h>

size_t other_allocations(void);
size_t other_distinct_words(void);

int main(void)
{
    size_t before = other_allocations();

    livehub_hub *hub = NULL;
    livehub_stream *s = NULL;
    livehub_publisher *pub = NULL;
    livehub_player *pl = NULL;
    if (livehub_hub_new(NULL, &hub) != LIVEHUB_OK || livehub_hub_stream(hub, "live/two", &s) != LIVEHUB_OK ||
        livehub_stream_play(s, NULL, &pl) != LIVEHUB_OK || livehub_stream_publish(s, &pub) != LIVEHUB_OK) {
        fprintf(stderr, "two_rust_libs: livehub setup failed\n");
        return 1;
    }
    static const uint8_t aac_sh[] = {0xAF, 0x00, 0x12, 0x10};
    static const uint8_t aac_frame[] = {0xAF, 0x01, 0x21, 0x10, 0x04, 0x60};
    size_t read = 0;
    livehub_tag tag;
    livehub_publisher_push_tag(pub, LIVEHUB_TAG_AUDIO, 0, aac_sh, sizeof aac_sh);
    for (uint32_t i = 0; i < 100; i++) {
        livehub_publisher_push_tag(pub, LIVEHUB_TAG_AUDIO, 23 * i, aac_frame, sizeof aac_frame);
        while (livehub_player_read(pl, &tag) == LIVEHUB_OK) read++;
    }
    livehub_player_release(pl);
    livehub_publisher_release(pub);
    livehub_stream_release(s);
    livehub_hub_release(hub);

    size_t during_livehub = other_allocations() - before;
    size_t words = other_distinct_words();
    size_t during_other = other_allocations() - before - during_livehub;

    printf("two_rust_libs: livehub delivered %zu tags; the other library's allocator saw %zu allocations "
           "from livehub and %zu of its own; its word count is %zu\n",
           read, during_livehub, during_other, words);
    int ok = read == 101 && during_livehub == 0 && during_other > 0 && words == 3;
    printf("two_rust_libs: %s\n", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
