#!/usr/bin/env bash
# e2e 12: e2e 11 (the SRS #4143 scenario with an RTMP publisher and HTTP-FLV
# and RTMP players) with every publish and play request answered 2 s late
# (flv_relay --accept-delay-ms 2000, a stand-in for a slow auth hook), and a
# publisher and a player killed while their requests wait, each repetition.
# Each repetition waits out several 2 s answers, so the 20 repetitions run
# in 4 concurrent lanes of 5, each on its own stream key (LANES=1 runs them
# one after another).
export ACCEPT_DELAY_MS=${ACCEPT_DELAY_MS:-2000}
export REPS=${REPS:-20}
export LANES=${LANES:-4}
exec bash "$(dirname "$0")/11_rtmp_srs4143_asan.sh"
