#!/usr/bin/env bash
# Encodes the short media files from which the codec module's real-data test
# vectors (the *.bin files beside this script) are cut. Needs Debian's ffmpeg.
#
#   bash src/codec/testdata/make_media.sh /tmp/codec-media
#
# Each *.bin is one tag body cut from these files: the sequence-header tag
# of an FLV, or a container's codec record (MP4 avcC/hvcC/av1C/vpcC, an Ogg
# OpusHead, FLAC STREAMINFO) wrapped in an Enhanced RTMP body, or the first
# 32 bytes of a raw frame for formats without a sequence header. Every
# expectation the tests assert is what these commands told ffmpeg,
# cross-checked with `ffprobe -show_streams`.
set -euo pipefail
out=${1:?usage: make_media.sh OUT_DIR}
mkdir -p "$out"
ff() { ffmpeg -hide_banner -loglevel error -y "$@"; }
src_v() { echo "-f lavfi -i testsrc=size=$1:rate=25"; }
tone() { echo "-f lavfi -i sine=frequency=440:sample_rate=$1"; }

# H.264 in FLV (legacy codec id 7), with AAC or other audio beside it.
ff $(src_v 320x240) $(tone 44100) -t 1 -c:v libx264 -pix_fmt yuv420p -profile:v high -level 3.0 \
   -c:a aac -ac 2 -f flv "$out/avc_high_320x240.flv"
ff $(src_v 1280x720) $(tone 22050) -t 0.4 -c:v libx264 -pix_fmt yuv420p -profile:v main -level 3.1 \
   -c:a aac -ac 1 -ar 22050 -f flv "$out/avc_main_1280x720.flv"
ff $(src_v 330x250) -t 0.4 -c:v libx264 -pix_fmt yuv420p -profile:v baseline -level 2.1 \
   -f flv "$out/avc_baseline_330x250.flv"
ff $(src_v 1918x1078) -t 0.2 -c:v libx264 -pix_fmt yuv420p10le -profile:v high10 -level 4.0 \
   -f flv "$out/avc_high10_1918x1078.flv"
ff $(src_v 1920x1080) -t 0.2 -c:v libx264 -pix_fmt yuv422p -profile:v high422 -level 4.1 \
   -flags +ildct+ilme -x264opts interlaced=1 -f flv "$out/avc_high422_interlaced_1920x1080.flv"
# Custom quantisation matrices: the SPS carries explicit scaling lists (8 for
# 4:2:0, 12 for 4:4:4).
cqm="cqm4=6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21:cqm8=8,11,14,17,20,23,26,8,11,14,17,20,23,26,8,11,14,17,20,23,26,8,11,14,17,20,23,26,8,11,14,17,20,23,26,8,11,14,17,20,23,26,8,11,14,17,20,23,26,8,11,14,17,20,23,26,8,11,14,17,20,23,26,8"
ff $(src_v 1280x720) -t 0.2 -c:v libx264 -pix_fmt yuv420p -profile:v high -level 3.2 \
   -x264-params "$cqm" -f flv "$out/avc_high_cqm_1280x720.flv"
ff $(src_v 322x242) -t 0.2 -c:v libx264 -pix_fmt yuv444p -profile:v high444 -level 2.2 \
   -x264-params "$cqm" -f flv "$out/avc_high444_322x242.flv"

# AAC profiles, rates and channel layouts in FLV (sound format 10).
ff $(tone 48000) -t 0.5 -c:a aac -ac 6 -ar 48000 -f flv "$out/aac_lc_48000_6ch.flv"
ff $(tone 32000) -t 0.5 -c:a aac -profile:a aac_main -ac 2 -ar 32000 -f flv "$out/aac_main_32000_stereo.flv"
ff $(tone 16000) -t 0.5 -c:a aac -profile:a aac_ltp -strict -2 -ac 1 -ar 16000 -f flv "$out/aac_ltp_16000_mono.flv"

# Legacy FLV sound formats without sequence headers.
ff $(tone 44100) -t 0.5 -c:a libmp3lame -ac 2 -ar 44100 -f flv "$out/mp3_44100_stereo.flv"
ff $(tone 22050) -t 0.5 -c:a libmp3lame -ac 1 -ar 22050 -f flv "$out/mp3_22050_mono.flv"
ff $(tone 11025) -t 0.5 -c:a pcm_s16le -ac 1 -ar 11025 -f flv "$out/pcm_11025_mono.flv"
ff $(tone 44100) -t 0.5 -c:a pcm_s16le -ac 2 -ar 44100 -f flv "$out/pcm_44100_stereo.flv"
ff $(tone 8000) -t 0.5 -c:a pcm_alaw -ac 1 -ar 8000 -f flv "$out/alaw_8000_mono.flv"
ff $(tone 8000) -t 0.5 -c:a pcm_mulaw -ac 1 -ar 8000 -f flv "$out/mulaw_8000_mono.flv"
ff $(tone 16000) -t 0.5 -c:a libspeex -ac 1 -ar 16000 -f flv "$out/speex_16000_mono.flv"
ff $(tone 8000) -t 0.5 -c:a nellymoser -ac 1 -ar 8000 -f flv "$out/nelly_8000_mono.flv"
ff $(tone 16000) -t 0.5 -c:a nellymoser -ac 1 -ar 16000 -f flv "$out/nelly_16000_mono.flv"
ff $(tone 22050) -t 0.5 -c:a nellymoser -ac 1 -ar 22050 -f flv "$out/nelly_22050_mono.flv"

# Codecs this ffmpeg's FLV muxer cannot carry: their MP4 / Ogg / FLAC / raw
# forms give the real codec records, which the extractor wraps into Enhanced
# RTMP (and, for HEVC, legacy codec id 12) tag bodies.
ff $(src_v 1280x720) -t 0.2 -c:v libx265 -pix_fmt yuv420p -profile:v main -x265-params level-idc=3.1:log-level=error:info=0 \
   -f mp4 "$out/hevc_main_1280x720.mp4"
ff $(src_v 1918x1078) -t 0.2 -c:v libx265 -pix_fmt yuv420p10le -profile:v main10 \
   -x265-params level-idc=4.1:log-level=error:info=0 -f mp4 "$out/hevc_main10_1918x1078.mp4"
ff $(src_v 320x240) -frames:v 2 -c:v libaom-av1 -cpu-used 8 -pix_fmt yuv420p -f mp4 "$out/av1_main_320x240.mp4"
ff $(src_v 330x250) -frames:v 2 -c:v libaom-av1 -cpu-used 8 -pix_fmt yuv444p -f mp4 "$out/av1_high_330x250.mp4"
ff $(src_v 320x240) -frames:v 2 -c:v libvpx-vp9 -deadline realtime -pix_fmt yuv420p -f mp4 "$out/vp9_p0_320x240.mp4"
ff $(src_v 640x480) -frames:v 2 -c:v libvpx-vp9 -deadline realtime -pix_fmt yuv420p10le \
   -f mp4 "$out/vp9_p2_640x480.mp4"
ff $(tone 48000) -t 0.5 -c:a libopus -ac 2 -ar 48000 -f ogg "$out/opus_48000_stereo.ogg"
ff $(tone 24000) -t 0.5 -c:a libopus -ac 1 -ar 24000 -f ogg "$out/opus_24000_mono.ogg"
ff $(tone 96000) -t 0.2 -c:a flac -ac 2 -ar 96000 -f flac "$out/flac_96000_stereo.flac"
ff $(tone 44100) -t 0.2 -c:a flac -ac 1 -ar 44100 -f flac "$out/flac_44100_mono.flac"
ff $(tone 48000) -t 0.2 -c:a ac3 -ac 6 -ar 48000 -f ac3 "$out/ac3_48000_6ch.ac3"
ff $(tone 44100) -t 0.2 -c:a eac3 -ac 2 -ar 44100 -f eac3 "$out/eac3_44100_stereo.eac3"
ff $(tone 32000) -t 0.2 -c:a eac3 -ac 1 -ar 32000 -f eac3 "$out/eac3_32000_mono.eac3"
