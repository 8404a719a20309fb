#!/usr/bin/env bash
# e2e 12: e2e 11 (the SRS #4143 scenario with an RTMP publisher and HTTP-FLV
# and RTMP players) with every publish and play request answered 2 s late
# (flv_relay --accept-delay-ms 2000, a stand-in for a slow auth hook), and a
# publisher and a player killed while their requests wait, each repetition.
# REPS defaults to 3 here (each repetition waits out several answers, about
# 20 s); REPS=20 runs the full count.
export ACCEPT_DELAY_MS=${ACCEPT_DELAY_MS:-2000}
export REPS=${REPS:-3}
exec bash "$(dirname "$0")/11_rtmp_srs4143_asan.sh"
