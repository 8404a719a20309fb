#!/bin/sh
# Regenerates the sample FLV files in tests/data/ that the integration tests
# (tests/flv_files.rs, tests/chunking.rs) and the fuzz corpora are built from.
#
# The committed files are what the tests use; CI does not run this script.
# It needs Debian's ffmpeg (libx264 + the native AAC encoder). The output is
# deterministic for a given ffmpeg build: bit-exact flags, one thread, fixed
# synthetic sources.
#
#   av.flv     testsrc 320x240 25 fps + 440 Hz sine, H.264 + AAC, 4 s
#   video.flv  the same video, no audio
#   audio.flv  the same audio, no video
#
# H.264: baseline profile, keyframe every 25 frames (1 s), zerolatency, low
# bitrate. AAC: 44100 Hz stereo, 32 kbit/s.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
out="$here/tests/data"
mkdir -p "$out"

for tool in ffmpeg; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "make_samples.sh: $tool not found (apt-get install ffmpeg)" >&2
        exit 1
    }
done

duration=4
common="-hide_banner -loglevel error -y -threads 1 -fflags +bitexact"
video_in="-f lavfi -i testsrc=size=320x240:rate=25:duration=$duration"
audio_in="-f lavfi -i sine=frequency=440:sample_rate=44100:duration=$duration"
video_enc="-c:v libx264 -profile:v baseline -preset veryfast -tune zerolatency \
 -g 25 -keyint_min 25 -sc_threshold 0 -b:v 40k -maxrate 40k -bufsize 80k \
 -pix_fmt yuv420p -x264-params threads=1 -flags:v +bitexact"
audio_enc="-c:a aac -ar 44100 -ac 2 -b:a 32k -flags:a +bitexact"

# shellcheck disable=SC2086
ffmpeg $common $video_in $audio_in $video_enc $audio_enc \
    -map 0:v -map 1:a -f flv "$out/av.flv"
# shellcheck disable=SC2086
ffmpeg $common $video_in $video_enc -an -f flv "$out/video.flv"
# shellcheck disable=SC2086
ffmpeg $common $audio_in $audio_enc -vn -f flv "$out/audio.flv"

ls -l "$out"/av.flv "$out"/video.flv "$out"/audio.flv
