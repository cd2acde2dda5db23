#!/usr/bin/env bash
# Runs the three lesson binaries as a user would and checks what they print
# against what the tutorial's Python versions print.
set -euo pipefail

fail() { echo "FAIL: $*" >&2; exit 1; }
expect_line() {  # output, exact line
  grep -qxF -- "$2" <<<"$1" || fail "missing line '$2' in:"$'\n'"$1"
}

pool=$(concurrency/thread_pool --workers=3)
expect_line "${pool}" "result() = 6"
expect_line "${pool}" "results in input order: [2, 6, 12, 20, 30]"
expect_line "${pool}" "3 calls ran at the same time on different workers."
[[ $(grep -cE '^ThreadPool_[0-2] : ' <<<"${pool}") == 6 ]] || fail "expected 6 worker lines in: ${pool}"

processes=$(concurrency/processes --sleep=1ms)
expect_line "${processes}" "after a thread ran x += 1: x = 2"
expect_line "${processes}" "after a child process ran x += 1: x = 2 (the child's x was 3)"
expect_line "${processes}" "abc"
expect_line "${processes}" "100"
expect_line "${processes}" "parent received 200"

# The tutorial's run: the list must be the Python's, in both modes.
armstrong=$(concurrency/armstrong)
[[ $(grep -c '\[24678050, 24678051\]$' <<<"${armstrong}") == 2 ]] \
  || fail "threads and processes should both print [24678050, 24678051]:"$'\n'"${armstrong}"
# --all: every Armstrong number below 2^64 (the list itself is checked
# against OEIS A005188 in armstrong_test), one per line, then the count.
all=$(concurrency/armstrong --all)
[[ $(head -n 1 <<<"${all}") == 1 && $(sed -n 50p <<<"${all}") == 4929273885928088826 ]] \
  || fail "--all should print 1 ... 4929273885928088826:"$'\n'"${all}"
[[ $(wc -l <<<"${all}") == 51 && $(tail -n 1 <<<"${all}") == "50 Armstrong numbers below 2^64 in "* ]] \
  || fail "--all should end with its count:"$'\n'"${all}"
if concurrency/armstrong --mode=bogus 2>/dev/null; then
  fail "--mode=bogus should be refused"
fi
# The thread-local lesson: the thread sees its 2, main its 1.
tl=$(concurrency/thread_local)
[[ "${tl}" == $'in thread x =  2\n1' ]] || fail "thread_local printed: ${tl}"
echo "PASS"
