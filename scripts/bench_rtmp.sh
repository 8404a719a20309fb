#!/usr/bin/env bash
# make bench-relay, RTMP rows: RTMP players of flv_relay (--rtmp) and of
# nginx-rtmp (Debian's libnginx-mod-rtmp, installed here when missing) side
# by side in one run, on the stream of scripts/bench_relay.sh (testsrc
# 320x240 25 fps, x264 450k CBR GOP 50 + AAC 64k, encoded once), published
# with ffmpeg -re -c copy over RTMP to each server in turn.
#
# For each N and each server, on a fresh server: the publisher goes on the
# air, flv_load opens N RTMP players (handshake, connect, createStream,
# play; acknowledgements as asked), waits WARMUP s after the last one got
# its handshake answer, and measures for WINDOW s: per-connection
# throughput, the server's CPU (utime, stime) and VmRSS. For the relay the
# tag-body bytes are also compared with what the publisher pushed
# (/api/streams). nginx runs as one process (master_process off,
# worker_processes 1, chunk_size 4096 like the relay), so its pid is the
# one doing the work. Prints a table with the relay/nginx ratios; performance
# is printed, never asserted. Exits non-zero if a server dies or a player
# gets an error or an invalid chunk stream.
#
# Environment: RTMP_PLAYERS ("100 1000"), WARMUP (10), WINDOW (20),
# RELAY_THREADS (1), MERGE_MS (350), OUT (c_examples/build/bench_rtmp).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$ROOT/c_examples/build
RELAY=${RELAY_BIN:-$BUILD/flv_relay}
LOAD=${LOAD_BIN:-$BUILD/flv_load}
PLAYERS=${RTMP_PLAYERS:-"100 1000"}
WARMUP=${WARMUP:-10}
WINDOW=${WINDOW:-20}
RELAY_THREADS=${RELAY_THREADS:-1}
MERGE_MS=${MERGE_MS:-350}
OUT=${OUT:-$BUILD/bench_rtmp}
SAMPLE_DIR=$BUILD/bench_relay
SAMPLE=$SAMPLE_DIR/bench.flv
KEY=live/bench
NGINX_MODULE=/usr/lib/nginx/modules/ngx_rtmp_module.so
PIDS=()

fail() { echo "bench-rtmp: FAIL: $*" >&2; exit 1; }
log() { echo "bench-rtmp: $*"; }
alive() {
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}
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
command -v ffmpeg >/dev/null || fail "ffmpeg is needed"
if ! command -v nginx >/dev/null || [ ! -f "$NGINX_MODULE" ]; then
  [ "$(id -u)" = 0 ] || fail "nginx with libnginx-mod-rtmp is needed (apt-get install libnginx-mod-rtmp)"
  log "installing nginx and libnginx-mod-rtmp"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx-light libnginx-mod-rtmp >/dev/null ||
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx libnginx-mod-rtmp >/dev/null ||
    fail "could not install libnginx-mod-rtmp"
fi
mkdir -p "$OUT" "$SAMPLE_DIR"

max_n=0
for n in $PLAYERS; do [ "$n" -gt "$max_n" ] && max_n=$n; done
want_fds=$((max_n + 256))
[ "$(ulimit -n)" -ge "$want_fds" ] || ulimit -n "$want_fds" 2>/dev/null ||
  fail "cannot raise the open-file limit to $want_fds"

# The same stream file as scripts/bench_relay.sh (shared, encoded once).
need_s=$((WARMUP + WINDOW + 45))
if [ ! -s "$SAMPLE" ] || [ "$(cat "$SAMPLE.seconds" 2>/dev/null)" -lt "$need_s" ] 2>/dev/null; then
  log "encoding the ${need_s} s test stream (testsrc 320x240 25 fps, x264 450k CBR GOP 50, aac 64k)"
  timeout 300 ffmpeg -nostdin -v error -y -f lavfi -i testsrc=size=320x240:rate=25 \
    -f lavfi -i sine=frequency=1000:sample_rate=44100 -t "$need_s" \
    -c:v libx264 -preset veryfast -tune zerolatency -b:v 450k -maxrate 450k -bufsize 900k \
    -x264-params nal-hrd=cbr -g 50 -c:a aac -b:a 64k -f flv "$SAMPLE" 2>"$OUT/encode.err" ||
    fail "ffmpeg could not encode the stream: $(head -c 300 "$OUT/encode.err")"
  echo "$need_s" >"$SAMPLE.seconds"
fi

# A free loopback port for nginx (it cannot report a port 0 bind).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_server relay|nginx DIR: sets SERVER_PID, RTMP_URL, HTTP_PORT (relay).
start_server() {
  local kind=$1 dir=$2 i
  if [ "$kind" = relay ]; then
    "$RELAY" --http 127.0.0.1:0 --rtmp 127.0.0.1:0 --threads "$RELAY_THREADS" --merge-ms "$MERGE_MS" \
      >"$dir/server.out" 2>"$dir/server.err" &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    for i in $(seq 1 200); do grep -q '^flv_relay: ready' "$dir/server.out" && break; sleep 0.05; done
    HTTP_PORT=$(sed -n 's/^flv_relay: listening http 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$dir/server.out")
    local port
    port=$(sed -n 's/^flv_relay: listening rtmp 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$dir/server.out")
    [ -n "$port" ] || fail "the relay did not start: $(head -c 300 "$dir/server.err")"
    RTMP_URL=rtmp://127.0.0.1:$port/$KEY
  else
    local port
    port=$(free_port)
    cat >"$dir/nginx.conf" <<EOF
load_module $NGINX_MODULE;
daemon off;
master_process off;
worker_processes 1;
worker_rlimit_nofile $want_fds;
error_log $dir/nginx.err warn;
pid $dir/nginx.pid;
events { worker_connections $want_fds; }
rtmp {
    server {
        listen 127.0.0.1:$port;
        chunk_size 4096;
        application live { live on; }
    }
}
EOF
    nginx -p "$dir" -c "$dir/nginx.conf" >"$dir/server.out" 2>"$dir/server.err" &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    for i in $(seq 1 100); do
      (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
      sleep 0.05
    done
    alive "$SERVER_PID" || fail "nginx did not start: $(head -c 300 "$dir/server.err") $(head -c 300 "$dir/nginx.err" 2>/dev/null)"
    RTMP_URL=rtmp://127.0.0.1:$port/$KEY
    HTTP_PORT=
  fi
}

run_one() {
  local kind=$1 n=$2 dir=$OUT/${1}_n$2 rc=0
  rm -rf "$dir"
  mkdir -p "$dir"
  start_server "$kind" "$dir"
  ffmpeg -nostdin -v error -re -i "$SAMPLE" -c copy -f flv "$RTMP_URL" 2>"$dir/publisher.err" &
  local pub=$!
  PIDS+=("$pub")
  # On the air: a probe player gets the stream.
  local i
  for i in $(seq 1 50); do
    timeout 5 "$LOAD" -n 1 -d 1.5 -w 0.5 "$RTMP_URL" >/dev/null 2>&1 && break
    sleep 0.2
  done
  sleep 2
  local stats=()
  [ -n "$HTTP_PORT" ] && stats=(--stats-key "$KEY" --stats-port "$HTTP_PORT")
  "$LOAD" -n "$n" -w "$WARMUP" --window "$WINDOW" "${stats[@]}" --watch-pid "$SERVER_PID" "$RTMP_URL" \
    >"$dir/flv_load.log" 2>&1 || rc=$?
  local result
  result=$(grep '^RESULT' "$dir/flv_load.log")
  alive "$SERVER_PID" || fail "$kind died (N $n); see $dir"
  stop_pid "$pub"
  stop_pid "$SERVER_PID"
  if [ "$rc" -ne 0 ] || [ -z "$result" ]; then
    sed 's/^/  | /' "$dir/flv_load.log" >&2
    fail "flv_load failed against $kind (exit $rc, N $n)"
  fi
  get() { sed -n "s/.* $1=\([-0-9.]*\).*/\1/p" <<<"$result"; }
  local u s rss med min ratio rps
  u=$(get watch_user_pct); s=$(get watch_sys_pct); rss=$(get watch_rss_kb)
  med=$(get median_kbps); min=$(get min_kbps); ratio=$(get min_ratio); rps=$(get reads_per_s_median)
  echo "$kind $n $u $s $rss $med $min $ratio $rps" >>"$OUT/rows.txt"
  log "$kind, $n RTMP players: CPU ${u}% user + ${s}% sys, RSS $((rss / 1024)) MB, per-connection median ${med} / min ${min} kbit/s"
}

t0=$(date +%s)
log "$(nproc) CPUs, $(uptime | sed 's/.*load average/load average/'); relay threads $RELAY_THREADS, merge $MERGE_MS ms; nginx $(nginx -v 2>&1 | sed 's/.*\///')"
: >"$OUT/rows.txt"
for n in $PLAYERS; do
  run_one relay "$n"
  run_one nginx "$n"
done

echo
echo "RTMP players of one ~520 kbit/s stream, ${WINDOW} s window after ${WARMUP} s warm-up; CPU in % of one core"
echo "(utime/stime of /proc/PID/stat), RSS = VmRSS at the end of the window; min / stream: relay only (/api/streams)"
echo
echo "| server | players | user % | sys % | CPU % | RSS MB | per-conn median kbit/s | per-conn min kbit/s | min / stream | reads/s per conn |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
awk '{ printf "| %s | %d | %.2f | %.2f | **%.2f** | %.1f | %.1f | %.1f | %s | %.1f |\n", $1, $2, $3, $4, $3 + $4, $5 / 1024, $6, $7, ($1 == "relay" ? sprintf("%.1f%%", $8 * 100) : "-"), $9 }' "$OUT/rows.txt"
echo
echo "| players | relay CPU / nginx-rtmp CPU | relay RSS / nginx-rtmp RSS |"
echo "|---:|---:|---:|"
awk '{ cpu[$1 " " $2] = $3 + $4; rss[$1 " " $2] = $5; ns[$2] = 1 }
     END { for (n in ns) if (("nginx " n) in cpu && cpu["nginx " n] > 0)
             printf "| %d | %.2f | %.2f |\n", n, cpu["relay " n] / cpu["nginx " n], rss["relay " n] / rss["nginx " n] }' "$OUT/rows.txt" | sort -t'|' -k2 -n
echo
log "done in $(($(date +%s) - t0)) s (rows in $OUT/rows.txt)"
