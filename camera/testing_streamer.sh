# Sourced by camera's shell tests: starts camera/streamer with the given
# flags (--port=0 added), reads its banner, and sets `url` (its
# http://127.0.0.1:PORT/) and `streamer_pid`; an EXIT trap stops it by pid
# (and, if the test failed, shows the end of the streamer's stderr).
# Needs `fail` and `tmp` from the test.
start_streamer() {
  mkfifo "${tmp}/streamer.out"
  camera/streamer --port=0 "$@" >"${tmp}/streamer.out" 2>"${tmp}/streamer.err" &
  streamer_pid=$!
  trap stop_streamer EXIT
  exec 3<"${tmp}/streamer.out"
  local banner
  read -r -t 60 banner <&3 || fail "no banner: $(cat "${tmp}/streamer.err")"
  [[ "${banner}" =~ (http://127\.0\.0\.1:[0-9]+/) ]] || fail "banner: ${banner}"
  url=${BASH_REMATCH[1]}
}

# The EXIT trap: stops the streamer by pid; on a failure the streamer's own
# words (a sanitizer's report, say) go with the test's.
stop_streamer() {
  local status=$?
  kill "${streamer_pid}" 2>/dev/null || true
  if ((status != 0)); then
    echo "--- the end of camera/streamer's stderr:" >&2
    tail -n 60 "${tmp}/streamer.err" >&2 || true
  fi
}
