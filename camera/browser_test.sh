#!/usr/bin/env bash
# The page in a real browser: Debian's chromium, headless, opens the
# streamer's page twice; each time the page's script has run for a few
# (virtual) seconds, its panel is read from the DOM. The picture advances:
# the frame counter the panel shows grows from one visit to the next, and the
# browser was counted as a client watching the stream. A missing browser is
# a failure (tools/bazel installs chromium), not a skip.
set -euo pipefail

fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=${TEST_TMPDIR:-$(mktemp -d)}
export HOME="${tmp}/home"  # chromium's profile and caches
mkdir -p "${HOME}"
browser=$(command -v chromium || true)
[[ -n "${browser}" ]] || fail "no chromium on PATH (tools/bazel installs Debian's chromium)"

source camera/testing_streamer.sh
start_streamer --source=test --width=320 --height=240 --fps=30

# Prints the page's DOM after its script ran for 3 s of virtual time.
visit() {
  timeout 120 "${browser}" --headless --no-sandbox --disable-gpu \
    --disable-dev-shm-usage --no-first-run --virtual-time-budget=3000 \
    --dump-dom "${url}" 2>"${tmp}/chromium.err" \
    || fail "chromium failed: $(tail -5 "${tmp}/chromium.err")"
}
cell() { sed -n "s|.*<td id=\"$1\">\([^<]*\)</td>.*|\1|p" <<<"$2"; }

first=$(visit)
frames1=$(cell frames "${first}")
[[ "${frames1}" =~ ^[0-9]+$ && "${frames1}" -gt 0 ]] || fail "first visit: frames '${frames1}'"
[[ $(cell clients "${first}") == "1 of at most 100" ]] || fail "clients: $(cell clients "${first}")"
[[ $(cell capture_fps "${first}") =~ ^[0-9]+\.[0-9]\ \(desired\ 30\)$ ]] \
  || fail "capture fps: $(cell capture_fps "${first}")"
[[ $(cell resolution "${first}") == "320 x 240" ]] || fail "resolution: $(cell resolution "${first}")"
second=$(visit)
frames2=$(cell frames "${second}")
[[ "${frames2}" =~ ^[0-9]+$ ]] || fail "second visit: frames '${frames2}'"
(( frames2 > frames1 )) || fail "the picture did not advance: ${frames1} then ${frames2}"
echo "PASS: frames ${frames1} then ${frames2}"
