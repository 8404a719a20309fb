#!/usr/bin/env bash
# nginx 4: headless Chromium plays the demo page served by nginx.
#
# nginx serves web/index.html and mpegts.js (plain static locations of the
# example config) and live/demo through the module; ffmpeg publishes
# tests/data/av.flv looped at real-time pace into it (a chunked POST), as
# make nginx-demo does. tests/e2e/browser.cjs opens the page, whose
# mpegts.js player plays live/demo muted: the video's currentTime must
# advance by 3 s with frames decoded. Screenshot:
# c_examples/build/e2e/nginx_browser/demo.png.
set -u
. "$(dirname "$0")/lib.sh"
nginx_init browser
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || nginx_fail "$CHROMIUM is missing (apt-get install chromium; .ci/run installs it)"
command -v node >/dev/null || nginx_fail "node is missing"
[ -f "$E2E_ROOT/web/node_modules/mpegts.js/dist/mpegts.js" ] && [ -d "$E2E_ROOT/web/node_modules/playwright-core" ] ||
  nginx_fail "web/node_modules is incomplete: run npm install in web/ (make test-nginx does)"

start_nginx
spawn ffmpeg -nostdin -v error -re -stream_loop -1 -i "$SAMPLE" -c copy -t 170 -f flv "$BASE/live/demo.flv" \
  2>"$E2E_OUT/publisher.err"
wait_until 30 stream_is live/demo publishing || nginx_fail "the demo stream is not on the air"

rc=0
CHROMIUM=$CHROMIUM timeout 180 node "$E2E_ROOT/tests/e2e/browser.cjs" "$BASE" "$E2E_OUT/demo.png" \
  >"$E2E_OUT/browser.log" 2>&1 || rc=$?
sed 's/^/  /' "$E2E_OUT/browser.log"
[ "$rc" -eq 0 ] || nginx_fail "the page did not play (node exited with $rc)"
[ -s "$E2E_OUT/demo.png" ] || nginx_fail "no screenshot"

stop_nginx
error_log_clean "after the stop"
e2e_pass "Chromium played live/demo from nginx through mpegts.js: $(grep -o 'advanced [0-9.]* s' "$E2E_OUT/browser.log"), $(grep -o '[0-9]* frames decoded' "$E2E_OUT/browser.log"); screenshot $E2E_OUT/demo.png"
