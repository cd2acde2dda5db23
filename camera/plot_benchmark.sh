#!/usr/bin/env bash
# Runs stream_benchmark at N = 1, 10, 100, 1000 once, keeps its output in
# benchmark.txt and draws benchmark.svg (Debian's gnuplot, installed by
# tools/bazel), both in this directory:
#
#   camera/plot_benchmark.sh [more stream_benchmark flags]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "${here}/.." && pwd)"
data="$(mktemp -d)"
trap 'rm -rf "${data}"' EXIT
"${root}/tools/bazel" run -c opt //camera:stream_benchmark -- \
  --plot_data="${data}/all.tsv" "$@" | tee "${here}/benchmark.txt"
gnuplot -e "datafile='${data}/all.tsv'; outfile='${here}/benchmark.svg'" \
  "${here}/benchmark.gp"
echo "wrote ${here}/benchmark.txt and ${here}/benchmark.svg"
