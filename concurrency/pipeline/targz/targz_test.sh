#!/usr/bin/env bash
# The targz command as a user runs it: files and a directory in, GNU tar reads
# them back identical; an existing archive is kept unless --replace; bad input
# is an error naming it, with nothing left behind.
set -euo pipefail

fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=${TEST_TMPDIR:-$(mktemp -d)}
targz=concurrency/pipeline/targz/targz

mkdir -p "${tmp}/in/sub" "${tmp}/x"
cd "${tmp}"
printf 'hello\n' >in/a.txt
head -c 3000000 /dev/urandom >in/sub/big.bin
: >in/sub/empty
"${OLDPWD}/${targz}" --level=12 --threads=2 out.tgz in/a.txt in/sub \
  || fail "targz failed"
[[ $(tar -tzf out.tgz) == $'in/a.txt\nin/sub/big.bin\nin/sub/empty' ]] \
  || fail "lists $(tar -tzf out.tgz)"
tar -xzf out.tgz -C x
cmp in/sub/big.bin x/in/sub/big.bin || fail "big.bin differs"
cmp in/a.txt x/in/a.txt || fail "a.txt differs"
gzip -t out.tgz || fail "gzip -t"

# An existing archive stays unless --replace.
before=$(md5sum <out.tgz)
if "${OLDPWD}/${targz}" out.tgz in/a.txt 2>err.txt; then fail "replaced out.tgz"; fi
[[ $(md5sum <out.tgz) == "${before}" ]] || fail "out.tgz changed"
"${OLDPWD}/${targz}" --replace out.tgz in/a.txt || fail "--replace failed"
[[ $(tar -tzf out.tgz) == "in/a.txt" ]] || fail "after --replace: $(tar -tzf out.tgz)"

# A missing file: an error naming it, exit 1, no archive.
if "${OLDPWD}/${targz}" new.tgz in/a.txt in/missing 2>err.txt; then fail "accepted a missing file"; fi
grep -q "in/missing" err.txt || fail "error does not name the file: $(cat err.txt)"
[[ ! -e new.tgz ]] || fail "left new.tgz behind"
# No files: usage, exit 2.
set +e; "${OLDPWD}/${targz}" new.tgz 2>/dev/null; rc=$?; set -e
[[ ${rc} == 2 ]] || fail "no files: exit ${rc}"
"${OLDPWD}/${targz}" --help >/dev/null 2>&1 || [[ $? == 1 ]] || fail "--help"
echo PASS
