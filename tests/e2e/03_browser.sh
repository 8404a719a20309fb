#!/usr/bin/env bash
# e2e 3: headless Chromium plays the demo page.
#
# The relay runs with --demo tests/data/av.flv (live/demo, looping at
# real-time pace, pushed from the demo thread while the page's player lives
# on a loop thread). tests/e2e/browser.cjs opens http://127.0.0.1:PORT/, whose
# mpegts.js player plays live/demo muted; the video's currentTime must
# advance by 3 s with frames decoded. The screenshot is kept as an artifact:
# c_examples/build/e2e/browser/demo.png.
set -u
. "$(dirname "$0")/lib.sh"
e2e_init browser
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || e2e_fail "$CHROMIUM is missing (apt-get install chromium; .ci/run installs it)"
command -v node >/dev/null || e2e_fail "node is missing"
[ -f "$E2E_ROOT/web/node_modules/mpegts.js/dist/mpegts.js" ] && [ -d "$E2E_ROOT/web/node_modules/playwright-core" ] ||
  e2e_fail "web/node_modules is incomplete: run npm install in web/ (make test-e2e does)"

start_relay "$RELAY_BIN" --threads 2 --demo "$SAMPLE"
wait_until 30 stream_is live/demo publishing || e2e_fail "the demo stream is not on the air"

rc=0
CHROMIUM=$CHROMIUM timeout 180 node "$E2E_ROOT/tests/e2e/browser.cjs" "$BASE" "$E2E_OUT/demo.png" \
  >"$E2E_OUT/browser.log" 2>&1 || rc=$?
sed 's/^/  /' "$E2E_OUT/browser.log"
[ "$rc" -eq 0 ] || e2e_fail "the page did not play (node exited with $rc)"
[ -s "$E2E_OUT/demo.png" ] || e2e_fail "no screenshot"

stop_relay
[ ! -s "$E2E_OUT/relay.err" ] || e2e_fail "the relay wrote to stderr"
e2e_pass "Chromium played live/demo through mpegts.js: $(grep -o 'advanced [0-9.]* s' "$E2E_OUT/browser.log"), $(grep -o '[0-9]* frames decoded' "$E2E_OUT/browser.log"); screenshot $E2E_OUT/demo.png"
