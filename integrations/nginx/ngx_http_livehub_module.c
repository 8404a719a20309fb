/*
 * The module: directives, configuration, the worker_processes check, and
 * the livehub_flv content handler that maps a request to a stream key and
 * hands it to the player or the publisher.
 *
 * Hub settings (http{} level; each maps one livehub_config field, the
 * defaults are livehub's):
 *
 *   livehub_republish_wait          5s     republish_wait_ms
 *   livehub_idle_stream             3s     idle_stream_ms
 *   livehub_publisher_idle_timeout  20s    publisher_idle_timeout_ms
 *   livehub_player_idle_timeout     30s    player_idle_timeout_ms
 *   livehub_max_lag                 10s    max_lag_ms
 *   livehub_gop_max_frames          2500   gop_max_frames
 *   livehub_gop_max_bytes           64m    gop_max_bytes
 *   livehub_max_tag_size            16m-1  max_tag_size
 *
 * and, for this module's writes:
 *
 *   livehub_write_merge             350ms  write each player at most this
 *                                          often, all it has in one chain
 *                                          (0: as soon as a tag is there)
 */

#include "ngx_http_livehub_module.h"


static void *ngx_http_livehub_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_livehub_init_main_conf(ngx_conf_t *cf, void *conf);
static char *ngx_http_livehub_flv(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_livehub_stats(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_livehub_init_module(ngx_cycle_t *cycle);
static ngx_int_t ngx_http_livehub_flv_handler(ngx_http_request_t *r);


static ngx_command_t  ngx_http_livehub_commands[] = {

    { ngx_string("livehub_flv"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_livehub_flv,
      0,
      0,
      NULL },

    { ngx_string("livehub_stats"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_livehub_stats,
      0,
      0,
      NULL },

    { ngx_string("livehub_republish_wait"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_livehub_main_conf_t, republish_wait),
      NULL },

    { ngx_string("livehub_idle_stream"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_livehub_main_conf_t, idle_stream),
      NULL },

    { ngx_string("livehub_publisher_idle_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_livehub_main_conf_t, publisher_idle_timeout),
      NULL },

    { ngx_string("livehub_player_idle_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_livehub_main_conf_t, player_idle_timeout),
      NULL },

    { ngx_string("livehub_max_lag"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_livehub_main_conf_t, max_lag),
      NULL },

    { ngx_string("livehub_gop_max_frames"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_livehub_main_conf_t, gop_max_frames),
      NULL },

    { ngx_string("livehub_gop_max_bytes"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_off_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_livehub_main_conf_t, gop_max_bytes),
      NULL },

    { ngx_string("livehub_max_tag_size"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_livehub_main_conf_t, max_tag_size),
      NULL },

    { ngx_string("livehub_write_merge"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_livehub_main_conf_t, write_merge),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_livehub_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    ngx_http_livehub_create_main_conf,     /* create main configuration */
    ngx_http_livehub_init_main_conf,       /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_http_livehub_module = {
    NGX_MODULE_V1,
    &ngx_http_livehub_module_ctx,          /* module context */
    ngx_http_livehub_commands,             /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    ngx_http_livehub_init_module,          /* init module */
    ngx_http_livehub_init_process,         /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_livehub_exit_process,         /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static void *
ngx_http_livehub_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_livehub_main_conf_t  *lmcf;

    lmcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_livehub_main_conf_t));
    if (lmcf == NULL) {
        return NULL;
    }

    lmcf->republish_wait = NGX_CONF_UNSET_MSEC;
    lmcf->idle_stream = NGX_CONF_UNSET_MSEC;
    lmcf->publisher_idle_timeout = NGX_CONF_UNSET_MSEC;
    lmcf->player_idle_timeout = NGX_CONF_UNSET_MSEC;
    lmcf->max_lag = NGX_CONF_UNSET_MSEC;
    lmcf->gop_max_frames = NGX_CONF_UNSET_UINT;
    lmcf->gop_max_bytes = NGX_CONF_UNSET;
    lmcf->max_tag_size = NGX_CONF_UNSET_SIZE;
    lmcf->write_merge = NGX_CONF_UNSET_MSEC;

    return lmcf;
}


/* Unset settings take livehub's defaults (livehub_config_init); set ones
 * are checked against the ranges of their livehub_config fields. */
static char *
ngx_http_livehub_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_livehub_main_conf_t *lmcf = conf;

    livehub_config  d;

    livehub_config_init(&d);

    ngx_conf_init_msec_value(lmcf->republish_wait, d.republish_wait_ms);
    ngx_conf_init_msec_value(lmcf->idle_stream, d.idle_stream_ms);
    ngx_conf_init_msec_value(lmcf->publisher_idle_timeout,
                             d.publisher_idle_timeout_ms);
    ngx_conf_init_msec_value(lmcf->player_idle_timeout,
                             d.player_idle_timeout_ms);
    ngx_conf_init_msec_value(lmcf->max_lag, d.max_lag_ms);
    ngx_conf_init_uint_value(lmcf->gop_max_frames, d.gop_max_frames);
    ngx_conf_init_value(lmcf->gop_max_bytes, (off_t) d.gop_max_bytes);
    ngx_conf_init_size_value(lmcf->max_tag_size, d.max_tag_size);
    ngx_conf_init_msec_value(lmcf->write_merge,
                             NGX_HTTP_LIVEHUB_MERGE_DEFAULT);

    if (lmcf->gop_max_frames == 0 || lmcf->gop_max_frames > 0xffffffff) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"livehub_gop_max_frames\" must be 1..4294967295");
        return NGX_CONF_ERROR;
    }

    if (lmcf->gop_max_bytes <= 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"livehub_gop_max_bytes\" must be positive");
        return NGX_CONF_ERROR;
    }

    if (lmcf->max_tag_size == 0 || lmcf->max_tag_size > LIVEHUB_MAX_TAG_SIZE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"livehub_max_tag_size\" must be 1..%d "
                           "(the FLV limit)", LIVEHUB_MAX_TAG_SIZE);
        return NGX_CONF_ERROR;
    }

    if (lmcf->write_merge > NGX_HTTP_LIVEHUB_MERGE_MAX) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"livehub_write_merge\" must be 0..%dms",
                           NGX_HTTP_LIVEHUB_MERGE_MAX);
        return NGX_CONF_ERROR;
    }

    /* ngx_msec_t is wider than the uint32_t fields on 64-bit systems */
    if (lmcf->republish_wait > 0xffffffff
        || lmcf->idle_stream > 0xffffffff
        || lmcf->publisher_idle_timeout > 0xffffffff
        || lmcf->player_idle_timeout > 0xffffffff
        || lmcf->max_lag > 0xffffffff)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "livehub times must be under 49 days");
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * One hub per worker process: a stream's publisher and its players must be
 * in the same worker. Until streams can move between workers, more than one
 * worker is refused, here when worker_processes came before the location
 * (the usual order: a reload with such a file keeps the old configuration)
 * and in init_module for any order (nginx -t and start-up fail).
 */
static char *
ngx_http_livehub_check_workers(ngx_conf_t *cf, ngx_cycle_t *cycle)
{
    ngx_core_conf_t  *ccf;

    ccf = (ngx_core_conf_t *) ngx_get_conf(cycle->conf_ctx, ngx_core_module);

    if (ccf == NULL || ccf->worker_processes == NGX_CONF_UNSET
        || ccf->worker_processes <= 1)
    {
        return NGX_CONF_OK;
    }

    if (cf) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "livehub_flv needs \"worker_processes 1;\" "
                           "(\"worker_processes\" is %i): a stream's "
                           "publisher and its players must meet in one worker",
                           ccf->worker_processes);

    } else {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                      "livehub_flv needs \"worker_processes 1;\" "
                      "(\"worker_processes\" is %i): a stream's "
                      "publisher and its players must meet in one worker",
                      ccf->worker_processes);
    }

    return NGX_CONF_ERROR;
}


static ngx_int_t
ngx_http_livehub_init_module(ngx_cycle_t *cycle)
{
    ngx_http_livehub_main_conf_t  *lmcf;

    lmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_livehub_module);

    if (lmcf == NULL || !lmcf->used) {
        return NGX_OK;
    }

    if (ngx_http_livehub_check_workers(NULL, cycle) != NGX_CONF_OK) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static char *
ngx_http_livehub_flv(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t      *clcf;
    ngx_http_livehub_main_conf_t  *lmcf;

    (void) cmd;
    (void) conf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    if (clcf->handler) {
        return "is duplicate";
    }

    clcf->handler = ngx_http_livehub_flv_handler;

    /*
     * A live stream has no end: no chunked framing of the response (the
     * FLV bytes go as they are, then "Connection: close", as flv_relay
     * sends them), and no size limit on a publisher's body. Both only when
     * the location did not set them before this directive.
     */
    if (clcf->chunked_transfer_encoding == NGX_CONF_UNSET) {
        clcf->chunked_transfer_encoding = 0;
    }

    if (clcf->client_max_body_size == NGX_CONF_UNSET) {
        clcf->client_max_body_size = 0;
    }

    lmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_livehub_module);
    lmcf->used = 1;

    return ngx_http_livehub_check_workers(cf, cf->cycle);
}


static char *
ngx_http_livehub_stats(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t  *clcf;

    (void) cmd;
    (void) conf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    if (clcf->handler) {
        return "is duplicate";
    }

    clcf->handler = ngx_http_livehub_stats_handler;

    return NGX_CONF_OK;
}


/*
 * The stream key is the path without its leading '/' and its ".flv":
 * letters, digits, '.', '_', '-', '~' and '/' between non-empty segments
 * that are not "." or "..", at most 255 bytes (as flv_relay accepts them).
 */
static ngx_int_t
ngx_http_livehub_key(ngx_str_t *uri, char *key)
{
    u_char      ch, *k;
    size_t      len, i, seg;

    if (uri->len <= 5 || uri->data[0] != '/'
        || ngx_strncmp(uri->data + uri->len - 4, ".flv", 4) != 0)
    {
        return NGX_DECLINED;
    }

    k = uri->data + 1;
    len = uri->len - 5;

    if (len > NGX_HTTP_LIVEHUB_MAX_KEY || k[0] == '/' || k[len - 1] == '/') {
        return NGX_ERROR;
    }

    seg = 0;

    for (i = 0; i <= len; i++) {
        ch = i < len ? k[i] : '/';

        if (ch == '/') {
            if (seg == 0
                || (seg == 1 && k[i - 1] == '.')
                || (seg == 2 && k[i - 1] == '.' && k[i - 2] == '.'))
            {
                return NGX_ERROR;
            }

            seg = 0;
            continue;
        }

        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')
              || (ch >= '0' && ch <= '9')
              || ch == '.' || ch == '_' || ch == '-' || ch == '~'))
        {
            return NGX_ERROR;
        }

        seg++;
    }

    ngx_memcpy(key, k, len);
    key[len] = '\0';

    return NGX_OK;
}


/* Access-Control-Allow-Origin: * and Cache-Control: no-cache, as on every
 * flv_relay response. */
ngx_int_t
ngx_http_livehub_add_headers(ngx_http_request_t *r)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Access-Control-Allow-Origin");
    ngx_str_set(&h->value, "*");

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Cache-Control");
    ngx_str_set(&h->value, "no-cache");

    return NGX_OK;
}


static ngx_int_t
ngx_http_livehub_flv_handler(ngx_http_request_t *r)
{
    char                     key[NGX_HTTP_LIVEHUB_MAX_KEY + 1];
    ngx_int_t                rc;
    ngx_http_livehub_ctx_t  *ctx;

    if (ngx_http_livehub_worker.hub == NULL) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    rc = ngx_http_livehub_key(&r->uri, key);
    if (rc == NGX_DECLINED) {
        return NGX_HTTP_NOT_FOUND;
    }

    if (rc != NGX_OK) {
        return NGX_HTTP_BAD_REQUEST;
    }

    if (r->method & NGX_HTTP_HEAD) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_livehub_head(r, key);
    }

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_POST|NGX_HTTP_PUT))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    ctx = ngx_http_livehub_ctx_create(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(ctx->key, key, ngx_strlen(key) + 1);

    if (r->method & NGX_HTTP_GET) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_livehub_play(r, ctx);
    }

    return ngx_http_livehub_publish(r, ctx);
}
