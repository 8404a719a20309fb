#!/usr/bin/env bash
# make nginx-demo: the system's nginx with the livehub module on ADDR:PORT
# (default 127.0.0.1:8090), the demo page of web/, and live/demo: FLV_FILE
# looped at real-time pace by ffmpeg and published into nginx over HTTP
# POST, as an encoder would. Runs until Ctrl-C; everything nginx writes goes
# under integrations/nginx/build/demo/.
#
#   integrations/nginx/demo.sh [ADDR:PORT] [FLV_FILE]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
listen=${1:-127.0.0.1:8090}
flv=${2:-$root/tests/data/av.flv}
so=$here/build/ngx_http_livehub_module.so
prefix=$here/build/demo
base=http://$listen

[ -f "$so" ] || { echo "error: $so is missing (make nginx-module)" >&2; exit 1; }
[ -f "$root/web/node_modules/mpegts.js/dist/mpegts.js" ] ||
  echo "warning: web/node_modules/mpegts.js is missing: the page will not play (make web-deps)" >&2
mkdir -p "$prefix"
bash "$here/conf.sh" "$prefix" "$listen" "$so" "$root/web" >"$prefix/nginx.conf"
: >"$prefix/error.log"

nginx_pid=
ffmpeg_pid=
stop() {
  trap - INT TERM EXIT
  [ -n "$ffmpeg_pid" ] && kill -TERM "$ffmpeg_pid" 2>/dev/null
  [ -n "$nginx_pid" ] && kill -QUIT "$nginx_pid" 2>/dev/null
  wait 2>/dev/null
  echo "nginx-demo: stopped"
}
trap stop INT TERM EXIT

nginx -p "$prefix" -c "$prefix/nginx.conf" -g 'daemon off;' &
nginx_pid=$!
for _ in $(seq 1 100); do
  curl -s -o /dev/null --max-time 1 "$base/api/streams" && break
  kill -0 "$nginx_pid" 2>/dev/null || { cat "$prefix/error.log" >&2; exit 1; }
  sleep 0.1
done

# The demo stream, published like any encoder would (a chunked POST),
# restarted if it stops.
(
  child=
  trap '[ -n "$child" ] && kill -TERM "$child" 2>/dev/null; exit 0' TERM
  while :; do
    ffmpeg -nostdin -v error -re -stream_loop -1 -i "$flv" -c copy -f flv "$base/live/demo.flv" &
    child=$!
    wait "$child" || true
    sleep 1
  done
) &
ffmpeg_pid=$!

echo
echo "nginx (livehub module) on $base (Ctrl-C to stop):"
echo "  page:     $base/"
echo "  FLV:      $base/live/demo.flv"
echo "  ffplay:   ffplay $base/live/demo.flv"
echo "  publish:  ffmpeg -re -i in.flv -c copy -f flv $base/live/mine.flv"
echo "  streams:  curl $base/api/streams"
echo "  config:   $prefix/nginx.conf (error log: $prefix/error.log)"
echo
wait "$nginx_pid"
