# Sourced by camera's shell tests: starts camera/streamer with the given
# flags (--port=0 added), reads its banner, and sets `url` (its
# http://127.0.0.1:PORT/) and `streamer_pid`; an EXIT trap stops it by pid.
# Needs `fail` and `tmp` from the test.
start_streamer() {
  mkfifo "${tmp}/streamer.out"
  camera/streamer --port=0 "$@" >"${tmp}/streamer.out" 2>"${tmp}/streamer.err" &
  streamer_pid=$!
  trap 'kill "${streamer_pid}" 2>/dev/null || true' EXIT
  exec 3<"${tmp}/streamer.out"
  local banner
  read -r -t 60 banner <&3 || fail "no banner: $(cat "${tmp}/streamer.err")"
  [[ "${banner}" =~ (http://127\.0\.0\.1:[0-9]+/) ]] || fail "banner: ${banner}"
  url=${BASH_REMATCH[1]}
}
