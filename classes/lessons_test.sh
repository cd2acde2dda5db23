#!/usr/bin/env bash
# Runs the eight class lessons as a user would and checks what they print
# against what the tutorial's Python prints.
set -euo pipefail

fail() { echo "FAIL: $*" >&2; exit 1; }
line() {  # output, exact line
  grep -qxF -- "$2" <<<"$1" || fail "missing line '$2' in:"$'\n'"$1"
}
has() { grep -qF -- "$2" <<<"$1" || fail "missing '$2' in:"$'\n'"$1"; }
tmp=${TEST_TMPDIR:-$(mktemp -d)}

out=$(classes/int_tuple)
line "${out}" "IntTuple([1, -1, 'abc', 6, ['x', 'y'], 3]) = (1, 6, 3)"

out=$(classes/slots_memory --n=10000)
has "${out}" "Player (fixed members), in a vector"
# Measured, not printed from a constant: the fixed-member player costs its
# sizeof (72 B) per instance, the dictionary version several times more.
plain=$(awk '/^Player \(fixed members\)/ {print $(NF-2)}' <<<"${out}")
dyn=$(awk '/^DynamicPlayer \(attributes/ {print $(NF-2)}' <<<"${out}")
awk -v p="${plain}" -v d="${dyn}" 'BEGIN { exit !(p >= 72 && p < 80 && d > 3 * p) }' \
  || fail "plain ${plain} B, dynamic ${dyn} B per instance"

out=$(printf 'echo hello\nwhoami\n' | classes/telnet_client --history_file="${tmp}/history.txt")
has "${out}" "IN __exit__: exception 'TEST' suppressed"
has "${out}" "Welcome, demo."
line "${out}" '$ hello'$'\r'
[[ $(cat "${tmp}/history.txt") == $'echo hello\nwhoami' ]] || fail "history: $(cat "${tmp}/history.txt")"

out=$(classes/circle)
[[ $(head -2 <<<"${out}") == $'99.88000000000001\n5.6' ]] || fail "circle printed: ${out}"

out=$(classes/shapes)
line "${out}" "rect1 > rect2: False"
line "${out}" "rect1 < c: True"
line "${out}" "c > rect2: True"

out=$(printf 'age 41\nage old\n' | classes/typed_attributes --stdin)
line "${out}" "p.age = '32'       -> INVALID_ARGUMENT: Person.age must be int, got str ('32')"
line "${out}" "age = 41 -> OK"
has "${out}" "age = old -> INVALID_ARGUMENT"

out=$(classes/linked_list --big=100000)
line "${out}" "a2() is None: True"
line "${out}" "after head = None: 0 live nodes"
line "${out}" "with owning back links, after dropping the head: 2 live nodes (leaked)"

out=$(classes/call_by_name --method=getArea)
[[ $(head -1 <<<"${out}") == "[3.141592653589793, 6.0, 24]" ]] || fail "call_by_name: ${out}"
has "${out}" "getArea -> NOT_FOUND: 'Circle' object has no method 'getArea'"
line "${out}" "getArea -> 24"
echo PASS
