#!/usr/bin/env bash
# e2e 8: flv_relay acts on livehub_publisher_push_flv()'s result code alone.
#
# LIVEHUB_ERR_FLV_REJECTED (the byte stream is dead): a body that is not FLV
# and one with FLV version 2 get 400 "not a valid FLV stream" at once, and
# the stream is free again. LIVEHUB_ERR_FLV (one tag dropped, carry on):
# tests/data/av.flv with a tag of reserved type 7 put right after its
# header, sent as a chunked POST at ~10 KB/s, is published to the end (200)
# while three players check that every byte they get is valid FLV; the
# relay's unpublish line says 1 tag was skipped.
set -u
. "$(dirname "$0")/lib.sh"
e2e_init flv_codes

start_relay "$RELAY_BIN"
URL=$BASE/live/codes.flv

post() { curl -s -o "$E2E_OUT/post.body" -w '%{http_code}' --max-time 20 -X POST "$@"; }

head -c 20000 /dev/zero | tr '\0' 'x' >"$E2E_OUT/not_flv.bin"
code=$(post --data-binary @"$E2E_OUT/not_flv.bin" "$URL")
[ "$code" = 400 ] && grep -q 'not a valid FLV stream' "$E2E_OUT/post.body" ||
  e2e_fail "a body that is not FLV got $code '$(cat "$E2E_OUT/post.body")', want 400 not a valid FLV stream"
{ printf 'FLV\002'; tail -c +5 "$SAMPLE"; } >"$E2E_OUT/flv_v2.bin"
code=$(post -H 'Transfer-Encoding: chunked' --data-binary @"$E2E_OUT/flv_v2.bin" "$URL")
[ "$code" = 400 ] || e2e_fail "FLV version 2 got $code, want 400"
e2e_log "rejected byte streams (not FLV, version 2): 400 at once"

# av.flv with a reserved-type tag (type 7, 3 bytes) after the file header.
{ head -c 13 "$SAMPLE"; printf '\007\000\000\003\000\000\000\000\000\000\000abc\000\000\000\016'; tail -c +14 "$SAMPLE"; } \
  >"$E2E_OUT/reserved_tag.flv"
spawn_child curl -s -o "$E2E_OUT/post2.body" -w '%{http_code}' --max-time 30 --limit-rate 10k -X POST \
  -H 'Transfer-Encoding: chunked' --data-binary @"$E2E_OUT/reserved_tag.flv" "$URL" >"$E2E_OUT/post2.code"
POST=$LAST_PID
wait_until 10 stream_is live/codes publishing || e2e_fail "the publisher with a reserved tag did not get on the air"
timeout 30 "$LOAD_BIN" -n 3 -d 2 -w 1 "$URL" >"$E2E_OUT/flv_load.log" 2>&1 ||
  e2e_fail "the players of the stream with a skipped tag failed: $(grep -v '^RESULT' "$E2E_OUT/flv_load.log" | tail -n 3)"
rc=0
wait "$POST" || rc=$?
[ "$rc" -eq 0 ] || e2e_fail "curl publishing the stream with a reserved tag exited with $rc"
[ "$(cat "$E2E_OUT/post2.code")" = 200 ] && grep -q '^published' "$E2E_OUT/post2.body" ||
  e2e_fail "the publisher with a skipped tag was not answered 'published': $(cat "$E2E_OUT/post2.body")"
wait_until 5 grep -q 'unpublish live/codes by .*, 1 skipped$' "$E2E_OUT/relay.out" ||
  e2e_fail "the relay did not log 1 skipped tag at the unpublish"
e2e_log "one tag dropped (LIVEHUB_ERR_FLV): published to the end, 3 players got valid FLV, 1 skipped logged"
stop_relay
[ ! -s "$E2E_OUT/relay.err" ] || e2e_fail "the relay wrote to stderr"
e2e_pass "LIVEHUB_ERR_FLV_REJECTED closes the publisher with 400, LIVEHUB_ERR_FLV drops one tag and the stream goes on"
