/*
 * livehub_stats: GET or HEAD answers the JSON snapshot of this worker's hub
 * (livehub_hub_stats_json, schema in docs/stats.md) as application/json.
 */

#include "ngx_http_livehub_module.h"


ngx_int_t
ngx_http_livehub_stats_handler(ngx_http_request_t *r)
{
    char            *json;
    size_t           len, cap;
    ngx_int_t        rc;
    ngx_buf_t       *b;
    ngx_uint_t       attempt;
    ngx_chain_t      out;
    livehub_result   lr;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    if (ngx_http_livehub_worker.hub == NULL) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    /* The first call tells the size; the hub may grow before the second,
     * so retry a few times with some room. The JSON lives in the request
     * pool until the request ends. */
    json = NULL;
    len = 0;
    cap = 0;
    lr = livehub_hub_stats_json(ngx_http_livehub_worker.hub, NULL, 0, &len);

    for (attempt = 0; attempt < 4 && lr == LIVEHUB_ERR_BUFFER; attempt++) {
        cap = len + 1 + 4096;
        json = ngx_pnalloc(r->pool, cap);
        if (json == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        lr = livehub_hub_stats_json(ngx_http_livehub_worker.hub, json, cap,
                                    &len);
    }

    if (lr != LIVEHUB_OK || json == NULL) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "livehub_hub_stats_json: %s", livehub_result_str(lr));
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->headers_out.status = NGX_HTTP_OK;
    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;
    r->headers_out.content_length_n = len;

    if (ngx_http_livehub_add_headers(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_send_header(r);
    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->pos = (u_char *) json;
    b->last = b->pos + len;
    b->memory = 1;
    b->last_buf = 1;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}
