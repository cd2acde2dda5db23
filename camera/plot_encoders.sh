#!/usr/bin/env bash
# Runs encode_benchmark once, keeps its output in encoders.txt and draws its
# encode times as encoders.svg (Debian's gnuplot, installed by tools/bazel),
# both in this directory:
#
#   camera/plot_encoders.sh [more encode_benchmark flags]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "${here}/.." && pwd)"
data="$(mktemp -d)"
trap 'rm -rf "${data}"' EXIT
"${root}/tools/bazel" run -c opt //camera:encode_benchmark -- \
  --plot_data="${data}/all.tsv" "$@" | tee "${here}/encoders.txt"
for threads in 0 1 2; do
  awk -F'\t' -v t="${threads}" '$1 == "encode" && $3 == t { print $2 "\t" $4 }' \
    "${data}/all.tsv" >"${data}/${threads}.tsv"
done
gnuplot -e "one='${data}/1.tsv'; two='${data}/2.tsv'; copy='${data}/0.tsv'; outfile='${here}/encoders.svg'" \
  "${here}/encoders.gp"
echo "wrote ${here}/encoders.txt and ${here}/encoders.svg"
