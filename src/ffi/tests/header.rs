//! The generated header spells the v0 contract.

/// The v0 contract of DESIGN.md, as the generated header must spell it
/// (whitespace aside).
#[test]
fn header_has_the_v0_contract() {
    let header = include_str!("../../../include/livehub.h");
    let flat = header.split_whitespace().collect::<Vec<_>>().join(" ");
    let must = [
        "typedef uint32_t livehub_result;",
        "#define LIVEHUB_OK 0",
        "#define LIVEHUB_ERR_PANIC 13",
        "#define LIVEHUB_TAG_SCRIPT 18",
        "#define LIVEHUB_TAG_FLAG_METADATA 4",
        "typedef struct livehub_hub livehub_hub;",
        "typedef struct livehub_stream livehub_stream;",
        "typedef struct livehub_publisher livehub_publisher;",
        "typedef struct livehub_player livehub_player;",
        "const char *livehub_result_str(livehub_result r);",
        "const char *livehub_version(void);",
        "void livehub_config_init(livehub_config *cfg);",
        "void livehub_play_options_init(livehub_play_options *opts);",
        "livehub_result livehub_hub_new(const livehub_config *cfg, livehub_hub **hub_out);",
        "livehub_result livehub_hub_tick(livehub_hub *hub);",
        "livehub_hub *livehub_hub_retain(livehub_hub *hub);",
        "void livehub_hub_release(livehub_hub *hub);",
        "livehub_result livehub_hub_stream(livehub_hub *hub, const char *key, livehub_stream **stream_out);",
        "livehub_result livehub_hub_find(livehub_hub *hub, const char *key, livehub_stream **stream_out);",
        "livehub_result livehub_hub_remove(livehub_hub *hub, const char *key);",
        "livehub_stream *livehub_stream_retain(livehub_stream *s);",
        "void livehub_stream_release(livehub_stream *s);",
        "livehub_result livehub_stream_publish(livehub_stream *s, livehub_publisher **pub_out);",
        "livehub_result livehub_stream_play(livehub_stream *s, const livehub_play_options *opts, livehub_player **player_out);",
        "livehub_result livehub_stream_set_userdata(livehub_stream *s, void *userdata, void (*drop)(void *userdata));",
        "void *livehub_stream_userdata(const livehub_stream *s);",
        "livehub_result livehub_publisher_push_tag(livehub_publisher *p, uint8_t type, uint32_t timestamp, const uint8_t *data, size_t size);",
        "livehub_result livehub_publisher_push_flv(livehub_publisher *p, const uint8_t *bytes, size_t size);",
        "void livehub_publisher_release(livehub_publisher *p);",
        "livehub_result livehub_player_read(livehub_player *pl, livehub_tag *tag_out);",
        "livehub_result livehub_player_read_flv(livehub_player *pl, uint8_t *buf, size_t cap, size_t *written_out);",
        "livehub_result livehub_player_read_iov(livehub_player *pl, livehub_iovec *iov, size_t iov_cap, size_t *iov_count_out);",
        "livehub_result livehub_player_wait(livehub_player *pl, uint32_t timeout_ms);",
        "livehub_result livehub_player_set_notify(livehub_player *pl, void (*notify)(void *userdata), void *userdata);",
        "void livehub_player_release(livehub_player *pl);",
    ];
    for m in must {
        assert!(flat.contains(m), "header lacks `{m}`");
    }
    // Field order of the plain structs.
    let struct_start = |name: &str| {
        let end = flat
            .find(&format!("}} {name};"))
            .unwrap_or_else(|| panic!("no struct {name}"));
        flat[..end]
            .rfind(&format!("typedef struct {name} {{"))
            .unwrap_or_else(|| panic!("struct {name} is not `typedef struct {name} {{`"))
    };
    let tag = struct_start("livehub_tag");
    let tag_fields = [
        "uint8_t type;",
        "uint32_t timestamp;",
        "uint32_t flags;",
        "const uint8_t *data;",
        "size_t size;",
    ];
    let mut at = tag;
    for f in tag_fields {
        at += flat[at..]
            .find(f)
            .unwrap_or_else(|| panic!("livehub_tag lacks {f} in order"));
    }
    let cfg = struct_start("livehub_config");
    let cfg_fields = [
        "uint32_t struct_size;",
        "uint32_t republish_wait_ms;",
        "uint32_t idle_stream_ms;",
        "uint32_t publisher_idle_timeout_ms;",
        "uint32_t player_idle_timeout_ms;",
        "uint32_t max_lag_ms;",
        "uint32_t gop_max_frames;",
        "uint64_t gop_max_bytes;",
        "uint32_t max_tag_size;",
        "uint64_t (*clock_ms)(void *userdata);",
        "void *clock_userdata;",
    ];
    let mut at = cfg;
    for f in cfg_fields {
        at += flat[at..]
            .find(f)
            .unwrap_or_else(|| panic!("livehub_config lacks {f} in order"));
    }
    assert!(
        flat.contains("#define LIVEHUB_VERSION \"") && flat.contains(env!("CARGO_PKG_VERSION"))
    );
}
