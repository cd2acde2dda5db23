#!/usr/bin/env bash
# Runs pipeline_benchmark's converter and archiver sections once, keeps its
# output in benchmark.txt and draws its MB/s figures as benchmark.svg (Debian's
# gnuplot, installed by tools/bazel), both in this directory:
#
#   concurrency/pipeline/plot_benchmark.sh [more pipeline_benchmark flags]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "${here}/../.." && pwd)"
data="$(mktemp -d)"
trap 'rm -rf "${data}"' EXIT
"${root}/tools/bazel" run -c opt //concurrency/pipeline:pipeline_benchmark -- \
  --sections=convert,tar --plot_data="${data}/all.tsv" "$@" | tee "${here}/benchmark.txt"
awk -F'\t' '$1 == "convert" { print $2 "\t" $3 }' "${data}/all.tsv" >"${data}/convert.tsv"
awk -F'\t' '$1 == "tar" { print $2 "\t" $3 }' "${data}/all.tsv" >"${data}/tar.tsv"
gnuplot -e "convfile='${data}/convert.tsv'; tarfile='${data}/tar.tsv'; outfile='${here}/benchmark.svg'" \
  "${here}/benchmark.gp"
echo "wrote ${here}/benchmark.txt and ${here}/benchmark.svg"
