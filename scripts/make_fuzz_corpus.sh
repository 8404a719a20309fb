#!/bin/sh
# Regenerates the seed corpora of the fuzz targets (fuzz/corpus/<target>/)
# from the sample files in tests/data/. The seeds are committed and kept
# small (a few KB each); libFuzzer's own finds go to fuzz/work/, never here.
#
#   demux     2 control bytes (chunking seed; max_tag_size selector in the
#             low 2 bits: 64, 1000, 65536, 0xFFFFFF) + an FLV byte stream
#   classify  1 tag type byte + a tag body
#   rtmp_session  1 control byte (bit 0: the target sends the handshake;
#             bit 2: requests are answered) + what an RTMP client sent
#             (recorded from ffmpeg and rtmpdump: tests/data/rtmp/)
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
data="$here/tests/data"
demux="$here/fuzz/corpus/demux"
classify="$here/fuzz/corpus/classify"
rtmp="$here/fuzz/corpus/rtmp_session"
rm -rf "$demux" "$classify" "$rtmp"
mkdir -p "$demux" "$classify" "$rtmp"

# u24 / u32 big-endian at byte offset $2 of file $1.
u24() { od -An -tu1 -j "$2" -N 3 "$1" | awk '{ print $1 * 65536 + $2 * 256 + $3 }'; }

# Offset of the header of tag number $2 (0-based) of FLV file $1.
tag_offset() {
    off=13
    i=0
    while [ "$i" -lt "$2" ]; do
        size=$(u24 "$1" $((off + 1)))
        off=$((off + 11 + size + 4))
        i=$((i + 1))
    done
    echo "$off"
}

# Writes the type byte and the first $4 body bytes (all when empty) of tag
# number $2 of file $1 to $3.
tag_seed() {
    off=$(tag_offset "$1" "$2")
    size=$(u24 "$1" $((off + 1)))
    len=${4:-$size}
    [ "$len" -le "$size" ] || len=$size
    { dd if="$1" bs=1 skip="$off" count=1 2>/dev/null
      dd if="$1" bs=1 skip=$((off + 11)) count="$len" 2>/dev/null; } > "$3"
}

# demux: heads of the samples, each with its own control bytes.
{ printf '\000\003'; head -c 4000 "$data/av.flv"; } > "$demux/av-head"
{ printf '\005\002'; head -c 3000 "$data/audio.flv"; } > "$demux/audio-head"
{ printf '\007\001'; head -c 3000 "$data/video.flv"; } > "$demux/video-head-small-max"
# The av head with 7 bytes of garbage before the PreviousTagSize of tag 3.
cut=$(( $(tag_offset "$data/av.flv" 4) - 4 ))
{ printf '\011\003'; head -c "$cut" "$data/av.flv"; printf '\336\255\276\357\001\377\000'
  tail -c +$((cut + 1)) "$data/av.flv" | head -c 1500; } > "$demux/av-garbage"
# Header, metadata and sequence headers only, with the smallest limit.
cut=$(tag_offset "$data/av.flv" 3)
{ printf '\001\000'; head -c "$cut" "$data/av.flv"; } > "$demux/av-intro-max64"

# classify: tag bodies from av.flv (tags: 0 onMetaData, 1 AVC sequence
# header, 2 AAC sequence header, 3 AAC frame, 4 keyframe, 7 inter frame,
# last: end of sequence).
tag_seed "$data/av.flv" 0 "$classify/metadata"
tag_seed "$data/av.flv" 1 "$classify/avc-sequence-header"
tag_seed "$data/av.flv" 2 "$classify/aac-sequence-header"
tag_seed "$data/av.flv" 3 "$classify/aac-frame" 32
tag_seed "$data/av.flv" 4 "$classify/avc-keyframe" 48
tag_seed "$data/av.flv" 7 "$classify/avc-inter" 24
# @setDataFrame in front of the metadata, as encoders send it.
{ printf '\022\002\000\015@setDataFrame'; tail -c +2 "$classify/metadata"; } > "$classify/set-data-frame"
# Enhanced RTMP: HEVC SequenceStart (key frame), AV1 CodedFrames, Opus
# SequenceStart, a ModEx-prefixed AVC CodedFrames.
printf '\011\220hvc1\001\002\003' > "$classify/ex-hevc-sequence-start"
printf '\011\241av01\022\000' > "$classify/ex-av1-coded-frames"
printf '\010\220Opus\001\002' > "$classify/ex-opus-sequence-start"
printf '\011\227\002\011\011\011\001avc1\000' > "$classify/ex-modex-avc"

# RTMP: each recording as is (handshake included, no answers), and
# without its 3073 handshake bytes with answers (control byte 5).
for f in ffmpeg_publish ffmpeg_play rtmpdump_play; do
    { printf '\000'; head -c 8000 "$data/rtmp/$f.bin"; } > "$rtmp/$f"
    { printf '\005'; tail -c +3074 "$data/rtmp/$f.bin" | head -c 8000; } > "$rtmp/$f-answered"
done

ls -l "$demux" "$classify" "$rtmp"
du -sh "$here/fuzz/corpus"
