#!/usr/bin/env bash
# make bench-relay: the HTTP-FLV relay (c_examples/flv_relay) under 100 to
# 2,000 loopback players of one ~530 kbit/s stream, with and without merged
# writes (--merge-ms 0 and the default 350).
#
# The stream is the one of the SRS comparison: ffmpeg testsrc 320x240 at
# 25 fps, libx264 450 kbit/s (CBR, GOP 50) + AAC 64 kbit/s. It is encoded
# once to a file (so the encoder's CPU is not on the machine during the
# measurements) and published with ffmpeg -re -c copy by a chunked HTTP POST
# to live/bench, as a live encoder would.
#
# For each mode and each N, on a fresh relay: the publisher goes on the air,
# flv_load (one thread, epoll) opens N connections, waits WARMUP seconds
# after the last one got its response head, then measures for WINDOW
# seconds: per-connection throughput (FLV bytes) and tag-body bytes compared
# with what the publisher pushed in the window (/api/streams bytes_in), its
# own CPU (getrusage), and the relay's CPU (utime, stime of /proc/PID/stat)
# and VmRSS at the end of the window.
#
# Prints one table and one JSON line per row. Exits non-zero if the relay
# dies or writes to stderr, or a player gets an error or an invalid FLV
# stream; performance is printed, never asserted.
#
# Each row is run for every server in SERVERS: flv_relay, and the stock
# nginx with the livehub module (integrations/nginx; one worker, writes
# merged by livehub_write_merge, the same modes), measured the same way
# (the nginx worker's CPU and RSS) in the same run.
#
# Environment: MODES ("0 350"), PLAYERS ("100 500 1000 2000"), WARMUP (10),
# WINDOW (20), RELAY_THREADS (1), SERVERS ("flv_relay nginx"),
# OUT (c_examples/build/bench_relay).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$ROOT/c_examples/build
RELAY=${RELAY_BIN:-$BUILD/flv_relay}
LOAD=${LOAD_BIN:-$BUILD/flv_load}
MODES=${MODES:-"0 350"}
PLAYERS=${PLAYERS:-"100 500 1000 2000"}
WARMUP=${WARMUP:-10}
WINDOW=${WINDOW:-20}
RELAY_THREADS=${RELAY_THREADS:-1}
SERVERS=${SERVERS:-"flv_relay nginx"}
NGINX_SO=${NGINX_SO:-$ROOT/integrations/nginx/build/ngx_http_livehub_module.so}
OUT=${OUT:-$BUILD/bench_relay}
KEY=live/bench
SAMPLE=$OUT/bench.flv
PIDS=()

fail() { echo "bench-relay: FAIL: $*" >&2; exit 1; }
log() { echo "bench-relay: $*"; }

alive() {
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}

# Ends the processes this script started, by pid: TERM, then KILL.
stop_pid() {
  local pid=$1 i
  alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null
  for i in $(seq 1 100); do alive "$pid" || return 0; sleep 0.05; done
  kill -KILL "$pid" 2>/dev/null
}
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
  wait 2>/dev/null
  return 0
}
trap cleanup EXIT
trap 'fail interrupted' INT TERM

for bin in "$RELAY" "$LOAD"; do [ -x "$bin" ] || fail "$bin is missing (make servers builds it)"; done
if grep -qw nginx <<<"$SERVERS"; then
  command -v nginx >/dev/null || fail "nginx is needed for the nginx rows (or SERVERS=flv_relay)"
  [ -f "$NGINX_SO" ] || fail "$NGINX_SO is missing (make nginx-module builds it)"
fi
command -v ffmpeg >/dev/null || fail "ffmpeg is needed"
command -v curl >/dev/null || fail "curl is needed"
mkdir -p "$OUT"

# Two descriptors per player on this machine (the relay's socket and the
# load client's, in two processes), plus a margin.
max_n=0
for n in $PLAYERS; do [ "$n" -gt "$max_n" ] && max_n=$n; done
want_fds=$((max_n + 256))
[ "$(ulimit -n)" -ge "$want_fds" ] || ulimit -n "$want_fds" 2>/dev/null ||
  fail "cannot raise the open-file limit to $want_fds (ulimit -n $(ulimit -n), hard $(ulimit -Hn))"

# The stream: a bit more than the longest run needs, encoded once.
need_s=$((WARMUP + WINDOW + 45))
if [ ! -s "$SAMPLE" ] || [ "$(cat "$SAMPLE.seconds" 2>/dev/null)" != "$need_s" ]; then
  log "encoding the ${need_s} s test stream (testsrc 320x240 25 fps, x264 450k CBR GOP 50, aac 64k)"
  timeout 300 ffmpeg -nostdin -v error -y -f lavfi -i testsrc=size=320x240:rate=25 \
    -f lavfi -i sine=frequency=1000:sample_rate=44100 -t "$need_s" \
    -c:v libx264 -preset veryfast -tune zerolatency -b:v 450k -maxrate 450k -bufsize 900k \
    -x264-params nal-hrd=cbr -g 50 -c:a aac -b:a 64k -f flv "$SAMPLE" 2>"$OUT/encode.err" ||
    fail "ffmpeg could not encode the stream: $(head -c 300 "$OUT/encode.err")"
  echo "$need_s" >"$SAMPLE.seconds"
fi
file_kbps=$(awk -v b="$(stat -c %s "$SAMPLE")" -v s="$need_s" 'BEGIN { printf "%.0f", b * 8 / s / 1000 }')

stream_field() {
  curl -s --max-time 5 "$BASE/api/streams" |
    sed -n "s|.*\"key\":\"$1\"||p" | grep -o "\"$2\":[^,}]*" | head -n 1 | cut -d: -f2 | tr -d '"'
}

# start_server SERVER MODE DIR: flv_relay, or the stock nginx with the
# livehub module (integrations/nginx, one worker, livehub_write_merge MODE),
# on 127.0.0.1. Sets SRV (the pid to stop), WATCH (the pid whose CPU and RSS
# are measured: the relay, or the nginx worker) and BASE.
start_server() {
  local server=$1 merge=$2 dir=$3 i port=
  if [ "$server" = nginx ]; then
    # below the ephemeral range, where the load client's own ports are
    local low
    low=$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)
    [ "${low:-0}" -gt 12000 ] || low=32768
    for i in $(seq 1 50); do
      port=$((10000 + RANDOM % (low - 10000)))
      (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
    done
    mkdir -p "$dir/nginx"
    bash "$ROOT/integrations/nginx/conf.sh" "$dir/nginx" "127.0.0.1:$port" "$NGINX_SO" "$ROOT/web" 1 \
      "livehub_write_merge ${merge}ms;" >"$dir/nginx/nginx.conf"
    nginx -p "$dir/nginx" -c "$dir/nginx/nginx.conf" -g 'daemon off;' >"$dir/relay.out" 2>"$dir/relay.err" &
    SRV=$!
    PIDS+=("$SRV")
    for i in $(seq 1 200); do grep -q 'livehub .*hub ready' "$dir/nginx/error.log" 2>/dev/null && break; sleep 0.05; done
    WATCH=$(ps -o pid= --ppid "$SRV" | tr -d ' ' | head -n 1)
    [ -n "$WATCH" ] || fail "nginx did not start (merge $merge): $(head -c 300 "$dir/nginx/error.log" "$dir/relay.err")"
  else
    "$RELAY" --http 127.0.0.1:0 --threads "$RELAY_THREADS" --merge-ms "$merge" \
      >"$dir/relay.out" 2>"$dir/relay.err" &
    SRV=$!
    WATCH=$SRV
    PIDS+=("$SRV")
    for i in $(seq 1 200); do grep -q '^flv_relay: ready' "$dir/relay.out" && break; sleep 0.05; done
    port=$(sed -n 's/^flv_relay: listening http 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$dir/relay.out")
    [ -n "$port" ] || fail "the relay did not start (merge $merge): $(head -c 300 "$dir/relay.err")"
  fi
  BASE=http://127.0.0.1:$port
}

# run_one SERVER MODE N: one row. Sets ROW (JSON) and appends to the table.
run_one() {
  local server=$1 merge=$2 n=$3 dir=$OUT/${1}_merge${2}_n$3 i rc=0
  rm -rf "$dir"
  mkdir -p "$dir"
  start_server "$server" "$merge" "$dir"
  local relay=$SRV

  ffmpeg -nostdin -v error -re -i "$SAMPLE" -c copy -f flv -method POST "$BASE/$KEY.flv" \
    2>"$dir/publisher.err" &
  local pub=$!
  PIDS+=("$pub")
  for i in $(seq 1 100); do [ "$(stream_field "$KEY" publisher)" = publishing ] && break; sleep 0.1; done
  [ "$(stream_field "$KEY" publisher)" = publishing ] ||
    fail "the publisher did not get on the air: $(head -c 300 "$dir/publisher.err")"
  # A first GOP in the cache, so that every player joins on a keyframe.
  sleep 2

  "$LOAD" -n "$n" -w "$WARMUP" --window "$WINDOW" --stats-key "$KEY" --watch-pid "$WATCH" \
    "$BASE/$KEY.flv" >"$dir/flv_load.log" 2>&1 || rc=$?
  local result
  result=$(grep '^RESULT' "$dir/flv_load.log")
  alive "$relay" || fail "$server died (merge $merge, N $n); see $dir"
  if [ "$server" = nginx ] && grep -E '\[(alert|emerg|crit)\]|exited on signal' "$dir/nginx/error.log"; then
    fail "nginx logged an alert or a crash (merge $merge, N $n); see $dir/nginx/error.log"
  fi
  stop_pid "$pub"
  stop_pid "$relay"
  wait "$relay" 2>/dev/null
  [ ! -s "$dir/relay.err" ] || fail "$server wrote to stderr (merge $merge, N $n): $(head -c 500 "$dir/relay.err")"
  if [ "$rc" -ne 0 ] || [ -z "$result" ]; then
    sed 's/^/  | /' "$dir/flv_load.log" >&2
    fail "flv_load failed (exit $rc; merge $merge, N $n): a player got an error or an invalid stream"
  fi
  get() { sed -n "s/.* $1=\([-0-9.]*\).*/\1/p" <<<"$result"; }
  local u s rss med min ratio mbps skbps cu cs rps
  u=$(get watch_user_pct); s=$(get watch_sys_pct); rss=$(get watch_rss_kb); rps=$(get reads_per_s_median)
  med=$(get median_kbps); min=$(get min_kbps); ratio=$(get min_ratio)
  mbps=$(get window_mbps); skbps=$(get stream_kbps); cu=$(get cpu_user_pct); cs=$(get cpu_sys_pct)
  awk -v sv="$server" -v m="$merge" -v n="$n" -v u="$u" -v s="$s" -v rss="$rss" -v mbps="$mbps" -v med="$med" -v min="$min" \
      -v ratio="$ratio" -v skbps="$skbps" -v cu="$cu" -v cs="$cs" -v rps="$rps" 'BEGIN {
    printf "| %s | %d | %d | %.2f | %.2f | **%.2f** | %.1f | %.1f | %.1f | %.1f | %.1f%% | %.1f | %.1f | %.1f |\n",
      sv, m, n, u, s, u + s, rss / 1024, mbps, med, min, ratio * 100, skbps, rps, cu + cs
  }' >>"$OUT/table.md"
  awk -v sv="$server" -v m="$merge" -v n="$n" -v u="$u" -v s="$s" -v rss="$rss" -v mbps="$mbps" -v med="$med" -v min="$min" \
      -v ratio="$ratio" -v skbps="$skbps" -v cu="$cu" -v cs="$cs" -v rps="$rps" -v th="$RELAY_THREADS" 'BEGIN {
    printf "{\"server\":\"%s\",\"merge_ms\":%d,\"players\":%d,\"relay_threads\":%d,\"relay_cpu_user_pct\":%.2f,\"relay_cpu_sys_pct\":%.2f,", sv, m, n, th, u, s
    printf "\"relay_cpu_pct\":%.2f,\"relay_rss_mb\":%.1f,\"total_mbps\":%.1f,\"per_conn_median_kbps\":%.1f,", u + s, rss / 1024, mbps, med
    printf "\"per_conn_min_kbps\":%.1f,\"min_body_ratio\":%.4f,\"stream_body_kbps\":%.1f,", min, ratio, skbps
    printf "\"reads_per_s_median\":%.2f,", rps
    printf "\"load_cpu_user_pct\":%.1f,\"load_cpu_sys_pct\":%.1f}\n", cu, cs
  }' >>"$OUT/rows.json"
  log "$server, merge ${merge} ms, ${n} players: CPU ${u}% user + ${s}% sys, RSS $((rss / 1024)) MB, per-connection median ${med} / min ${min} kbit/s, slowest got $(awk -v r="$ratio" 'BEGIN { printf "%.1f", r * 100 }')% of the stream"
}

t0=$(date +%s)
log "$(nproc) CPUs, $(uptime | sed 's/.*load average/load average/'); relay threads $RELAY_THREADS; stream file $file_kbps kbit/s"
log "modes (--merge-ms): $MODES; players: $PLAYERS; ${WARMUP} s warm-up after the last join, ${WINDOW} s window"
: >"$OUT/table.md"
: >"$OUT/rows.json"
for merge in $MODES; do
  for n in $PLAYERS; do
    for server in $SERVERS; do run_one "$server" "$merge" "$n"; done
  done
done

echo
echo "servers: $SERVERS (flv_relay --threads $RELAY_THREADS; nginx: one worker, the livehub module), one stream (${file_kbps} kbit/s file; stream = tag bodies pushed in the window), ${WINDOW} s window after ${WARMUP} s warm-up"
echo "CPU in % of one core (utime/stime of /proc/PID/stat: the relay, or the nginx worker), RSS = VmRSS at the end of the window;"
echo "per-conn kbit/s: FLV bytes; min / stream: the slowest player's tag-body bytes over those the publisher pushed;"
echo "reads/s per conn: the load client's recv() calls that returned data, median (about the relay's writes per player)"
echo
echo "| server | merge ms | players | server user % | server sys % | server CPU % | server RSS MB | total Mbit/s | per-conn median kbit/s | per-conn min kbit/s | min / stream | stream kbit/s | reads/s per conn | load client CPU % |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
cat "$OUT/table.md"
echo
cat "$OUT/rows.json"
echo
log "done in $(($(date +%s) - t0)) s (rows in $OUT/rows.json)"
