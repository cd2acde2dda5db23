#!/usr/bin/env bash
# Runs the three pipeline lesson binaries as a user would, on the built-in
# demo feed, and checks their output with the system's tar and xmllint.
set -euo pipefail

fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=${TEST_TMPDIR:-$(mktemp -d)}

# Lesson 3, the main job: 5 pages, batches of 2 -> 3 archives, nothing loose.
out=$(concurrency/pipeline/pipeline --pages=5 --demo_delay=1ms --out_dir="${tmp}/p")
grep -qF "archived 5 of 5 pages into 3 archives" <<<"${out}" || fail "pipeline said: ${out}"
[[ $(ls "${tmp}/p") == $'data1.tgz\ndata2.tgz\ndata3.tgz' ]] || fail "out_dir holds: $(ls "${tmp}/p")"
[[ $(tar -tzf "${tmp}/p/data1.tgz") == $'data1.xml\ndata2.xml' ]] || fail "data1.tgz lists $(tar -tzf "${tmp}/p/data1.tgz")"
[[ $(tar -tzf "${tmp}/p/data3.tgz") == "data5.xml" ]] || fail "data3.tgz should hold the last page alone"
mkdir "${tmp}/x"
for a in "${tmp}"/p/*.tgz; do tar -xzf "${a}" -C "${tmp}/x"; done
xmllint --noout "${tmp}"/x/data{1,2,3,4,5}.xml || fail "xmllint rejects the XML"
[[ $(grep -c '<Row>' "${tmp}/x/data3.xml") == 100 ]] || fail "page 3 should have 100 rows"

# A second run into the same directory is refused: nothing is overwritten.
set +e
again=$(concurrency/pipeline/pipeline --pages=5 --out_dir="${tmp}/p" 2>&1); rc=$?
set -e
[[ ${rc} == 2 ]] || fail "rerun exit status ${rc}, want 2"
grep -qF "already holds" <<<"${again}" || fail "rerun said: ${again}"

# A server that is down: bounded retries, a report per page, exit status 1.
set +e
down=$(concurrency/pipeline/pipeline --quiet --pages=2 --retries=1 --out_dir="${tmp}/down" \
  --url='http://127.0.0.1:1/prices.csv?page_number={page}' 2>&1); rc=$?
set -e
[[ ${rc} == 1 ]] || fail "server down: exit status ${rc}, want 1"
grep -qF "page 2: UNAVAILABLE: GET http://127.0.0.1:1/prices.csv?page_number=2: gave up after 2 attempts" <<<"${down}" \
  || fail "server down said: ${down}"

# --help answers and lists the shared flags.
help=$(concurrency/pipeline/pipeline --help 2>&1 || true)
grep -qF -- "--download_threads" <<<"${help}" || fail "--help lacks --download_threads: ${help}"

# Lesson 1: threads against sequential, both complete.
l1=$(concurrency/pipeline/download_threads --pages=4 --quiet --out_dir="${tmp}/l1")
grep -qE '^4 pages: threads [0-9.]+ s, sequential [0-9.]+ s' <<<"${l1}" || fail "lesson 1 said: ${l1}"
xmllint --noout "${tmp}"/l1/threaded/data{1,2,3,4}.xml "${tmp}"/l1/sequential/data{1,2,3,4}.xml
cmp "${tmp}/l1/threaded/data4.xml" "${tmp}/l1/sequential/data4.xml" || fail "threaded and sequential differ"

# Lesson 2: queue to one converter, ended by closing the queue.
l2=$(concurrency/pipeline/download_queue --pages=4 --quiet --out_dir="${tmp}/l2")
grep -qxF "4 of 4 pages converted into ${tmp}/l2" <<<"${l2}" || fail "lesson 2 said: ${l2}"
grep -qxF "main thread end." <<<"${l2}" || fail "lesson 2 did not end"
xmllint --noout "${tmp}"/l2/data{1,2,3,4}.xml
echo "PASS"
