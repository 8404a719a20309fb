/* Input for scripts/check_header_docs.sh's own test (make test-header-docs):
 * every function below lacks something the script must report; the report
 * it must print is expected.txt. Not a real header. */
#include <stdint.h>
typedef uint32_t livehub_result;
typedef struct livehub_hub livehub_hub;
typedef struct livehub_thing livehub_thing;

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Complete: nothing to report.
 *
 * Ownership: `hub` is borrowed.
 *
 * Threads: any.
 *
 * Returns LIVEHUB_OK; LIVEHUB_ERR_NULL if `hub` is NULL; LIVEHUB_ERR_PANIC.
 */
livehub_result livehub_good(livehub_hub *hub);

/**
 * No ownership paragraph (the word inside a sentence does not count:
 * Ownership: must open a paragraph).
 *
 * Threads: any.
 *
 * Returns LIVEHUB_OK; LIVEHUB_ERR_NULL if `hub` is NULL; LIVEHUB_ERR_PANIC.
 */
livehub_result livehub_no_ownership(livehub_hub *hub);

/**
 * No threads paragraph, over several lines.
 *
 * Ownership: `hub` is borrowed.
 *
 * Returns LIVEHUB_OK; LIVEHUB_ERR_NULL if `hub` is NULL; LIVEHUB_ERR_PANIC.
 */
livehub_result livehub_no_threads(livehub_hub *hub,
                                  uint32_t flags);

/**
 * No returns paragraph.
 *
 * Ownership: `hub` is borrowed.
 *
 * Threads: any.
 */
livehub_result livehub_no_returns(livehub_hub *hub);

/**
 * Returns without the codes every call can give.
 *
 * Ownership: `t` is borrowed; `*n_out` is written on success.
 *
 * Threads: any.
 *
 * Returns LIVEHUB_ERR_BUSY when busy.
 */
livehub_result livehub_thing_count(livehub_thing *t, uint32_t *n_out);

/**
 * A pointer-returning function that does not say what NULL does.
 *
 * Ownership: the caller owns the result.
 *
 * Threads: any.
 *
 * Returns a new thing.
 */
livehub_thing *livehub_thing_new(void);

void livehub_undocumented(void);

#ifdef __cplusplus
}
#endif
