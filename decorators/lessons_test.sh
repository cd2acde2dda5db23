#!/usr/bin/env bash
# Runs the five decorator lessons as a user would and checks what they print.
set -euo pipefail

fail() { echo "FAIL: $*" >&2; exit 1; }
has() {  # output, fixed text
  grep -qF -- "$2" <<<"$1" || fail "missing '$2' in:"$'\n'"$1"
}
tmp=${TEST_TMPDIR:-$(mktemp -d)}

memo=$(decorators/memo)
has "${memo}" "fibonacci(50) = 20365011074 "
has "${memo}" "climb(100, (1, 2, 3)) = 180396380815100901214157639 "
has "${memo}" "climb's body ran 103 times for 103 distinct arguments"
has "${memo}" "lru(maxsize=2) after 1 2 1 3 1 2: 2 hits, 4 misses, size 2"

wraps=$(decorators/wraps)
[[ $(head -1 <<<"${wraps}") == "xxx_func" ]] || fail "__name__ should be xxx_func: ${wraps}"
has "${wraps}" "int xxx_func(int a, int b)"
has "${wraps}" "two decorators deep, still: xxx_func; unwrapped(2, 3) = 5"

ta=$(decorators/type_assert)
has "${ta}" "f(5, 10, 5.3)   -> INVALID_ARGUMENT: f(a, b, c): argument c must be str, got float (5.3)"
has "${ta}" "f(5, 10, \"x\")   -> OK"
has "${ta}" "takes 3 arguments but 2 were given"

# --scale=0: no sleeping, and thresholds of 0, so any warning must say "> 0".
wt=$(decorators/warn_timeout --calls=5 --scale=0)
[[ $(grep -c '^in f \[' <<<"${wt}") == 10 ]] || fail "warn_timeout should call f 10 times: ${wt}"
has "${wt}" "f.set_timeout(0)"
# With a timeout of 0, every call (it prints, so it takes time) warns; each
# warning has the documented form.
warnings=$(grep -c '^WARNING' <<<"${wt}" || true)
((warnings >= 1)) || fail "no warning at all with a timeout of 0: ${wt}"
! grep '^WARNING' <<<"${wt}" | grep -vqE '^WARNING: f: [0-9.]+(ns|us|ms|s) > 0$' \
  || fail "malformed warning in: ${wt}"

ci=$(decorators/call_info --log_dir="${tmp}/logs" --scale=0)
has "${ci}" "${tmp}/logs/mylog1.log:"
[[ $(wc -l < "${tmp}/logs/mylog1.log") -ge 30 ]] || fail "mylog1.log is short"
[[ $(wc -l < "${tmp}/logs/mylog2.log") -ge 1 ]] || fail "mylog2.log is empty"
grep -qE '^[fg] -> [0-9]{2}/[0-9]{2}/[0-9]{2} [0-9:]{8}'$'\t''[0-9.e-]+'$'\t''1$' "${tmp}/logs/mylog1.log" \
  || fail "mylog1.log lacks a default-format line: $(head -3 "${tmp}/logs/mylog1.log")"
tail -1 "${tmp}/logs/mylog1.log" | grep -qE '^[fg] -> [0-9/]{8} [0-9:]{8}'$'\t''[0-9]+$' \
  || fail "the last line should use the new format"
echo PASS
