#!/usr/bin/env bash
# What the users of mjpg-streamer point their tools at, read by Debian's
# ffmpeg: ffprobe reads /?action=stream as MJPEG at the source's size, ffmpeg
# decodes 30 frames of it without an error, and the snapshot from
# /?action=snapshot decodes as a JPEG of that size. A missing ffmpeg is a
# failure (tools/bazel installs it), not a skip.
set -euo pipefail

fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=${TEST_TMPDIR:-$(mktemp -d)}
command -v ffprobe >/dev/null && command -v ffmpeg >/dev/null \
  || fail "no ffprobe/ffmpeg on PATH (tools/bazel installs Debian's ffmpeg)"

source camera/testing_streamer.sh
start_streamer --source=test --width=640 --height=480 --fps=30

probe() {  # codec,width,height of the first video stream at $1
  timeout 60 ffprobe -v error -select_streams v:0 \
    -show_entries stream=codec_name,width,height -of csv=p=0 "$@" \
    2>"${tmp}/ffprobe.err" || fail "ffprobe $*: $(tail -3 "${tmp}/ffprobe.err")"
}

got=$(probe -f mpjpeg "${url}?action=stream")
[[ "${got}" == "mjpeg,640,480" ]] || fail "stream probed as '${got}'"

timeout 60 ffmpeg -nostdin -v error -f mpjpeg -i "${url}?action=stream" \
  -frames:v 30 -f null - 2>"${tmp}/ffmpeg.err" \
  || fail "ffmpeg decoding 30 frames: $(tail -3 "${tmp}/ffmpeg.err")"
[[ ! -s "${tmp}/ffmpeg.err" ]] || fail "ffmpeg complained: $(head -3 "${tmp}/ffmpeg.err")"

got=$(probe "${url}?action=snapshot")
[[ "${got}" == "mjpeg,640,480" ]] || fail "snapshot probed as '${got}'"
timeout 60 ffmpeg -nostdin -v error -i "${url}?action=snapshot" -f null - \
  2>"${tmp}/snap.err" || fail "snapshot does not decode: $(tail -3 "${tmp}/snap.err")"
echo "PASS: ${url}?action=stream is mjpeg 640x480, 30 frames decoded; the snapshot decodes"
