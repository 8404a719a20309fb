#!/usr/bin/env bash
# make soak: flv_relay (the release build, c_examples/build/flv_relay) for
# SOAK_SECONDS (default 600) under churn from tests/soak/soak_client.c:
# publishers reconnecting every 2-6 s, 200 players joining and leaving at
# random, some reading slowly, some never reading. Prints the relay's RSS
# each minute; fails if the RSS at the end exceeds the minute-2 figure by
# more than 10%, if any player gets bytes that are not FLV, or if the relay
# does not exit cleanly. Loopback only; every process is bounded in time.
set -euo pipefail
. "$(dirname "$0")/../e2e/lib.sh"

SOAK_BIN=${SOAK_BIN:-$E2E_BUILD/soak_client}
SOAK_SECONDS=${SOAK_SECONDS:-600}
SOAK_PLAYERS=${SOAK_PLAYERS:-200}

e2e_init soak
[ -x "$SOAK_BIN" ] || e2e_fail "$SOAK_BIN is missing: run make soak (it builds it)"
start_relay "$RELAY_BIN" --threads 2 --wait-ms 3000
e2e_log "soak for $SOAK_SECONDS s with $SOAK_PLAYERS players"
rc=0
timeout $((SOAK_SECONDS + 120)) "$SOAK_BIN" --port "$HTTP_PORT" --pid "$RELAY_PID" --flv "$SAMPLE" \
  --seconds "$SOAK_SECONDS" --players "$SOAK_PLAYERS" --streams 4 --seed 16 | tee "$E2E_OUT/soak.out" || rc=$?
[ "$rc" -eq 0 ] || e2e_fail "soak_client exited with status $rc (see above)"
stop_relay
e2e_pass "$(grep -c ': minute ' "$E2E_OUT/soak.out") minutes, $(sed -n 's/^soak_client: end after [0-9]* ms: //p' "$E2E_OUT/soak.out")"
