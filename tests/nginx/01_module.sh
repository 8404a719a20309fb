#!/usr/bin/env bash
# nginx 1: the module loads into the stock nginx and its directives parse.
#
# `nginx -t` (which loads the module with load_module) passes with the
# example configuration (integrations/nginx/conf.sh), with the README's
# complete nginx.conf, and with every hub
# directive set; a value out of livehub's range is refused; and with more
# than one worker process (worker_processes 2, auto on this machine, or set
# after the http block) nginx refuses to start, naming the directive. The
# module exports nothing of livehub (its symbols stay inside the .so).
set -u
. "$(dirname "$0")/lib.sh"
nginx_init module

ntest() { "$NGINX_BIN" -t -p "$NGINX_PREFIX" -c "$1" >"$2" 2>&1; }

conf=$NGINX_PREFIX/example.conf
nginx_conf "$conf" 8090 "$NGINX_SO"
ntest "$conf" "$E2E_OUT/t_example.log" || nginx_fail "nginx -t failed on the example config: $(cat "$E2E_OUT/t_example.log")"
grep -q 'test is successful' "$E2E_OUT/t_example.log" || nginx_fail "nginx -t did not say the test is successful"
e2e_log "nginx -t: the example config (load_module, livehub_flv, livehub_stats) is fine"

# The complete nginx.conf of the README, with this build's module and a
# private error log.
readme_conf=$NGINX_PREFIX/readme.conf
sed -n '/^## Using livehub from nginx/,/^## /p' "$E2E_ROOT/README.md" | sed -n '/^```nginx$/,/^```$/p' | sed '1d;$d' |
  sed "s|^load_module .*|load_module $NGINX_SO;|; s|^error_log .*|error_log $NGINX_PREFIX/error.log info;|" >"$readme_conf"
grep -q livehub_flv "$readme_conf" || nginx_fail "no nginx.conf block in the README's nginx section"
ntest "$readme_conf" "$E2E_OUT/t_readme.log" || nginx_fail "nginx -t failed on the README's nginx.conf: $(cat "$E2E_OUT/t_readme.log")"
e2e_log "nginx -t: the README's nginx.conf is fine"

all="livehub_republish_wait 2s; livehub_idle_stream 1500ms; livehub_publisher_idle_timeout 15s;
    livehub_player_idle_timeout 20s; livehub_max_lag 8s; livehub_gop_max_frames 3000;
    livehub_gop_max_bytes 32m; livehub_max_tag_size 4m; livehub_write_merge 200ms;"
nginx_conf "$conf" 8090 "$NGINX_SO" 1 "$all"
ntest "$conf" "$E2E_OUT/t_all.log" || nginx_fail "nginx -t failed with every hub directive: $(cat "$E2E_OUT/t_all.log")"
e2e_log "nginx -t: every hub directive accepted"

nginx_conf "$conf" 8090 "$NGINX_SO" 1 "livehub_max_tag_size 17m;"
ntest "$conf" "$E2E_OUT/t_range.log" && nginx_fail "livehub_max_tag_size 17m was accepted"
grep -q 'livehub_max_tag_size' "$E2E_OUT/t_range.log" || nginx_fail "the range error does not name the directive: $(cat "$E2E_OUT/t_range.log")"
e2e_log "nginx -t: livehub_max_tag_size 17m refused"

want='livehub_flv needs "worker_processes 1;"'
for workers in 2 auto; do
  nginx_conf "$conf" 8090 "$NGINX_SO" "$workers"
  if [ "$workers" = auto ] && [ "$(nproc)" -le 1 ]; then
    # one CPU: auto is one worker, which is fine
    ntest "$conf" "$E2E_OUT/t_wauto.log" || nginx_fail "worker_processes auto (1 CPU) was refused: $(cat "$E2E_OUT/t_wauto.log")"
    continue
  fi
  ntest "$conf" "$E2E_OUT/t_w$workers.log" && nginx_fail "worker_processes $workers was accepted"
  grep -qF "$want" "$E2E_OUT/t_w$workers.log" || nginx_fail "worker_processes $workers: no clear message: $(cat "$E2E_OUT/t_w$workers.log")"
done
# worker_processes after the http block: caught once the whole file is read.
nginx_conf "$conf" 8090 "$NGINX_SO" 1
sed -i '/^worker_processes/d' "$conf"
echo "worker_processes 3;" >>"$conf"
ntest "$conf" "$E2E_OUT/t_w3.log" && nginx_fail "worker_processes 3 after http{} was accepted"
grep -qF "$want" "$E2E_OUT/t_w3.log" || nginx_fail "worker_processes 3 after http{}: no clear message: $(cat "$E2E_OUT/t_w3.log")"
# And nginx itself (not only -t) refuses to start.
nginx_conf "$conf" "$(free_port)" "$NGINX_SO" 2
rc=0
timeout 30 "$NGINX_BIN" -p "$NGINX_PREFIX" -c "$conf" -g 'daemon off;' >"$E2E_OUT/start_w2.log" 2>&1 || rc=$?
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || nginx_fail "nginx started with worker_processes 2 (exit $rc)"
grep -qF "$want" "$E2E_OUT/start_w2.log" "$NGINX_PREFIX/error.log" || nginx_fail "nginx with 2 workers did not say why it stopped"
e2e_log "worker_processes 2, auto ($(nproc) CPUs), and 3 after http{}: refused with '$want ...'"

exported=$(nm -D --defined-only "$NGINX_SO" | awk '{print $3}' | grep -c '^livehub_' || true)
[ "$exported" -eq 0 ] || nginx_fail "the module exports $exported livehub_* symbols"
e2e_pass "the module loads into $("$NGINX_BIN" -v 2>&1 | sed 's/.*: //'), nginx -t passes, hub directives parse and are range-checked, more than one worker is refused"
