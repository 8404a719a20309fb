#!/usr/bin/env bash
# e2e 13: a real OBS Studio publishes to the relay over RTMP, headless:
# Debian's obs-studio under Xvfb (software rendering), started with
# --startstreaming and a private HOME whose profile points at the relay
# (service rtmp_custom: rtmp://127.0.0.1:PORT/live, key obs), a scene of one
# colour source, x264 with a 2 s GOP, and OBS's own Output Timer ending the
# stream after STREAM_SECONDS (10) — the clean way to stop it (a SIGINT while
# live crashes OBS 29 now and then). While it is live, an HTTP-FLV player and
# an RTMP player decode what it sends with nothing on stderr and ffprobe sees
# h264 640x360 + aac; when the timer ends the stream, the relay sees the
# unpublish. The relay is built with ASan + UBSan: SIGTERM, exit 0, clean.
set -u
. "$(dirname "$0")/lib.sh"
e2e_init obs
SECS=${STREAM_SECONDS:-10}
[ -x "$RELAY_ASAN_BIN" ] || e2e_fail "$RELAY_ASAN_BIN is missing: run make test-e2e (it builds it)"
command -v obs >/dev/null || e2e_fail "obs is missing (.ci/run installs obs-studio)"
command -v xvfb-run >/dev/null || e2e_fail "xvfb-run is missing (.ci/run installs xvfb)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
start_relay "$RELAY_ASAN_BIN" --rtmp 127.0.0.1:0
KEY=live/obs

# OBS's configuration, in a HOME of its own (see shared notes on running
# OBS 29 headless: FirstRun skips the wizard; FPSType=1 + FPSInt=25 give 25
# fps; the x264 settings apply only with UseAdvanced=true; scene items need
# scale 1 and visible true).
H=$E2E_OUT/home
C=$H/.config/obs-studio
mkdir -p "$C/basic/profiles/P" "$C/basic/scenes"
cat >"$C/global.ini" <<EOF
[General]
FirstRun=true
ConfirmOnExit=false
[Basic]
Profile=P
ProfileDir=P
SceneCollection=C
SceneCollectionFile=C
EOF
cat >"$C/basic/profiles/P/basic.ini" <<EOF
[General]
Name=P
[Output]
Mode=Simple
[SimpleOutput]
VBitrate=600
ABitrate=96
UseAdvanced=true
Preset=veryfast
x264Settings=keyint=50
StreamEncoder=x264
[Video]
BaseCX=640
BaseCY=360
OutputCX=640
OutputCY=360
FPSType=1
FPSInt=25
[Audio]
SampleRate=44100
ChannelSetup=Stereo
EOF
cat >"$C/basic/profiles/P/service.json" <<EOF
{"type":"rtmp_custom","settings":{"server":"$RTMP_BASE/live","key":"obs"}}
EOF
cat >"$C/basic/scenes/C.json" <<EOF
{
  "name": "C", "current_scene": "S", "current_program_scene": "S",
  "scene_order": [{"name": "S"}],
  "sources": [
    {"name": "S", "id": "scene", "versioned_id": "scene", "uuid": "11111111-1111-1111-1111-111111111111",
     "settings": {"id_counter": 1, "custom_size": false,
       "items": [{"name": "Colour", "source_uuid": "22222222-2222-2222-2222-222222222222", "id": 1,
                  "visible": true, "locked": false, "rot": 0.0, "pos": {"x": 0.0, "y": 0.0},
                  "scale": {"x": 1.0, "y": 1.0}, "align": 5, "bounds_type": 0, "bounds_align": 0,
                  "bounds": {"x": 0.0, "y": 0.0}, "crop_left": 0, "crop_top": 0, "crop_right": 0,
                  "crop_bottom": 0, "group_item_backup": false}]},
     "mixers": 0, "enabled": true, "volume": 1.0, "muted": false},
    {"name": "Colour", "id": "color_source", "versioned_id": "color_source_v3",
     "uuid": "22222222-2222-2222-2222-222222222222",
     "settings": {"color": 4278222848, "width": 640, "height": 360},
     "mixers": 0, "enabled": true, "volume": 1.0, "muted": false}
  ],
  "modules": {"output-timer": {"streamTimerHours": 0, "streamTimerMinutes": 0, "streamTimerSeconds": $SECS,
    "recordTimerHours": 0, "recordTimerMinutes": 0, "recordTimerSeconds": 30,
    "autoStartStreamTimer": true, "autoStartRecordTimer": false, "pauseRecordTimer": true}}
}
EOF

HOME=$H spawn_child timeout $((SECS + 60)) xvfb-run -a -s "-screen 0 1280x720x24" \
  obs --startstreaming --profile P --collection C --scene S --multi >"$E2E_OUT/obs.log" 2>&1
OBS=$LAST_PID
wait_until 45 stream_is "$KEY" publishing || e2e_fail "OBS did not get on the air: $(tail -n 20 "$E2E_OUT/obs.log")"
e2e_log "OBS is publishing $KEY"

# While it is live: one player of each protocol, and ffprobe.
spawn_child timeout 20 curl -s -o "$E2E_OUT/http.flv" --max-time 4 "$BASE/$KEY.flv"
P1=$LAST_PID
spawn_child timeout 20 ffmpeg -nostdin -v error -i "$RTMP_BASE/$KEY" -t 3 -f null - 2>"$E2E_OUT/rtmp_player.err"
P2=$LAST_PID
codecs=$(timeout 20 ffprobe -v error -show_entries stream=codec_name,width,height -of csv=p=0 "$RTMP_BASE/$KEY" | sort | tr '\n' ' ')
wait "$P1"
wait "$P2" || e2e_fail "the RTMP player failed: $(head -c 500 "$E2E_OUT/rtmp_player.err")"
[ ! -s "$E2E_OUT/rtmp_player.err" ] || e2e_fail "the RTMP player wrote to stderr: $(head -c 500 "$E2E_OUT/rtmp_player.err")"
[ "$codecs" = "aac h264,640,360 " ] || e2e_fail "ffprobe of OBS's stream: '$codecs', want aac + h264 640x360"
size=$(wc -c <"$E2E_OUT/http.flv")
[ "$size" -gt 50000 ] || e2e_fail "the HTTP-FLV player got only $size bytes"
ffmpeg -nostdin -v error -i "$E2E_OUT/http.flv" -f null - 2>"$E2E_OUT/http_decode.err" || e2e_fail "OBS's stream over HTTP-FLV does not decode"
[ ! -s "$E2E_OUT/http_decode.err" ] || e2e_fail "OBS's stream over HTTP-FLV decodes with errors: $(head -c 500 "$E2E_OUT/http_decode.err")"
e2e_log "HTTP-FLV ($size bytes) and RTMP players decoded OBS's stream cleanly: $codecs"

# OBS's Output Timer stops the stream (FCUnpublish, deleteStream): the
# stream waits for a new publisher. Then OBS is told to quit.
wait_until $((SECS + 30)) stream_is "$KEY" waiting || e2e_fail "the stream did not end when OBS's timer stopped it"
grep -q "Streaming Stop" "$E2E_OUT/obs.log" || e2e_fail "OBS did not log the end of its stream"
kill -INT "$OBS" 2>/dev/null
pkill -INT -P "$OBS" 2>/dev/null
wait_gone "$OBS" 20 || e2e_fail "OBS did not exit"
stop_relay
[ ! -s "$E2E_OUT/relay.err" ] || e2e_fail "sanitizer report or error output: $(head -c 2000 "$E2E_OUT/relay.err")"
e2e_pass "OBS Studio published over RTMP for ${SECS} s; HTTP-FLV and RTMP players decoded it cleanly (h264 640x360 + aac); unpublish seen; ASan/UBSan/LSan clean"
