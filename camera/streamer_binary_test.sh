#!/usr/bin/env bash
# Runs //camera:streamer as a user would: it starts, answers over HTTP, and
# stops cleanly on SIGTERM (exit status 0, every thread joined).
set -euo pipefail

fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=${TEST_TMPDIR:-$(mktemp -d)}

help=$(camera/streamer --help 2>&1 || true)
grep -qF -- "--source" <<<"${help}" || fail "--help lacks --source"

mkfifo "${tmp}/out"
camera/streamer --source=test --port=0 --width=320 --height=240 >"${tmp}/out" &
pid=$!
exec 3<"${tmp}/out"
read -r -t 60 banner <&3 || fail "no banner"
[[ "${banner}" =~ http://127\.0\.0\.1:([0-9]+)/ ]] || fail "banner: ${banner}"
port=${BASH_REMATCH[1]}

get() {  # path -> the whole response
  exec 4<>"/dev/tcp/127.0.0.1/${port}"
  printf 'GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' "$1" >&4
  timeout 30 cat <&4
  exec 4<&-
}
page=$(get /)
grep -q "200 OK" <<<"${page}" || fail "GET / said: ${page}"
grep -qF '<img id="stream" src="/stream"' <<<"${page}" || fail "no stream in the page"
stats=$(get /stats)
grep -qF '"source": "test pattern"' <<<"${stats}" || fail "stats: ${stats}"
snap=$(get /snapshot.jpg | head -c 200 | tr -d '\0')
grep -q "Content-Type: image/jpeg" <<<"${snap}" || fail "snapshot: ${snap}"

kill -TERM "${pid}"
wait "${pid}" || fail "exit status $? after SIGTERM"
rest=$(cat <&3)
grep -q "^stopped after [0-9]* frames" <<<"${rest}" || fail "after SIGTERM: ${rest}"

# Off loopback without auth: a warning at start. (192.0.2.1 is a
# documentation address this machine does not have: the bind fails, so
# nothing listens beyond loopback.)
warn=$(camera/streamer --source=test --host=192.0.2.1 --port=0 2>&1 || true)
grep -qF "WARNING: listening on 192.0.2.1 without authentication" <<<"${warn}" \
  || fail "no warning: ${warn}"
quiet=$(camera/streamer --source=test --host=192.0.2.1 --port=0 --user=me \
  --password=pw 2>&1 || true)
! grep -q "WARNING" <<<"${quiet}" || fail "warned with auth: ${quiet}"
! grep -q "pw" <<<"${quiet}" || fail "the password was printed: ${quiet}"
echo PASS
