#!/usr/bin/env bash
# Runs every fuzz target of the repository (tag "fuzzer") under libFuzzer with
# ASan+UBSan (--config=fuzz, clang-14) for a bounded time each, starting from
# its seed corpus in the repository. New inputs go to a scratch directory, so
# the tree is not changed. Prints one line per fuzzer: executions, executions
# per second, and the corpus size it ended with. On a crash it prints the
# crashing input (hexdump) and libFuzzer's report, and exits non-zero.
#
#   tools/fuzzing/run_fuzzers.sh [seconds per fuzzer, default 30]
set -uo pipefail
cd "$(dirname "$0")/../.."

seconds=${1:-30}
bazel=tools/bazel
targets=$("${bazel}" query --noshow_progress 'attr(tags, "fuzzer", kind("cc_binary", //...))' 2>/dev/null)
[[ -n "${targets}" ]] || { echo "run_fuzzers: no fuzz targets found" >&2; exit 1; }
# shellcheck disable=SC2086
"${bazel}" build --config=fuzz --noshow_progress --output_filter=^$ ${targets} || {
  echo "run_fuzzers: the fuzzers did not build" >&2
  exit 1
}
bin=$("${bazel}" info --config=fuzz bazel-bin 2>/dev/null)
work=$(mktemp -d)
trap 'rm -rf "${work}"' EXIT

failed=0
printf '%-45s %10s %10s %8s\n' fuzzer runs exec/s corpus
for target in ${targets}; do
  pkg=${target#//}
  pkg=${pkg%%:*}
  name=${target##*:}
  seeds="${pkg}/testdata/${name}"
  out="${work}/${name}"
  mkdir -p "${out}/corpus" "${out}/artifacts"
  log="${out}/log"
  "${bin}/${pkg}/${name}" -max_total_time="${seconds}" -print_final_stats=1 \
    -rss_limit_mb=2048 -timeout=10 -artifact_prefix="${out}/artifacts/" \
    "${out}/corpus" "${seeds}" >"${log}" 2>&1
  rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "${log}")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "${log}")
  corpus=$(($(ls "${out}/corpus" | wc -l) + $(ls "${seeds}" | wc -l)))
  printf '%-45s %10s %10s %8s\n' "${target}" "${runs:-?}" "${rate:-?}" "${corpus}"
  if ((rc != 0)); then
    failed=1
    echo "=== ${target} FAILED (exit ${rc}); the last of its report:"
    tail -n 40 "${log}"
    for crash in "${out}"/artifacts/*; do
      [[ -f "${crash}" ]] || continue
      echo "=== crashing input ${crash##*/} ($(stat -c %s "${crash}") bytes):"
      hexdump -C "${crash}" | head -n 40
      echo "=== add it to ${seeds}/ once fixed"
    done
  fi
done
exit "${failed}"
