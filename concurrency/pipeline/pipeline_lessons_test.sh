#!/usr/bin/env bash
# Runs the three pipeline lesson binaries as a user would, on the built-in
# demo feed, and checks their output with the system's tar and xmllint; then
# the pipeline's progress display in a pseudo-terminal (script(1)).
set -euo pipefail

fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=${TEST_TMPDIR:-$(mktemp -d)}
pipeline=concurrency/pipeline/pipeline

# Lesson 3, the main job: 5 pages, slots of 2 -> 3 archives, nothing loose.
out=$(${pipeline} --pages=5 --demo_delay=1ms --progress=none --out_dir="${tmp}/p")
grep -qF "archived 5 of 5 pages (5 fetched, 0 reused from an earlier run) into 3 new archives" <<<"${out}" \
  || fail "pipeline said: ${out}"
[[ $(ls "${tmp}/p") == $'data1.tgz\ndata2.tgz\ndata3.tgz\nmanifest.txt' ]] || fail "out_dir holds: $(ls "${tmp}/p")"
[[ $(tar -tzf "${tmp}/p/data1.tgz") == $'data1.xml\ndata2.xml' ]] || fail "data1.tgz lists $(tar -tzf "${tmp}/p/data1.tgz")"
[[ $(tar -tzf "${tmp}/p/data3.tgz") == "data5.xml" ]] || fail "data3.tgz should hold the last page alone"
grep -qxE "archive data3.tgz pages=5-5 size=$(stat -c %s "${tmp}/p/data3.tgz") crc32=$(gzip -c <"${tmp}/p/data3.tgz" | tail -c8 | od -An -tx4 -N4 | tr -d ' ') sum=[0-9a-f]{8}" \
  "${tmp}/p/manifest.txt" || fail "manifest: $(cat "${tmp}/p/manifest.txt")"
mkdir "${tmp}/x"
for a in "${tmp}"/p/*.tgz; do tar -xzf "${a}" -C "${tmp}/x"; done
xmllint --noout "${tmp}"/x/data{1,2,3,4,5}.xml || fail "xmllint rejects the XML"
[[ $(grep -c '<Row>' "${tmp}/x/data3.xml") == 100 ]] || fail "page 3 should have 100 rows"

# The same command again finishes at once: nothing to fetch, exit status 0.
again=$(${pipeline} --pages=5 --progress=none --out_dir="${tmp}/p")
grep -qF "archived 5 of 5 pages (0 fetched, 0 reused from an earlier run) into 0 new archives" <<<"${again}" \
  || fail "rerun said: ${again}"
# Other settings into that directory are refused, naming the setting.
set +e
other=$(${pipeline} --pages=6 --progress=none --out_dir="${tmp}/p" 2>&1); rc=$?
set -e
[[ ${rc} == 2 ]] || fail "other settings: exit status ${rc}, want 2"
grep -qF "belongs to a run with pages 5, not 6" <<<"${other}" || fail "other settings said: ${other}"

# A server that is down: bounded retries, a report per page, exit status 1.
set +e
down=$(${pipeline} --quiet --pages=2 --retries=1 --out_dir="${tmp}/down" \
  --url='http://127.0.0.1:1/prices.csv?page_number={page}' 2>&1); rc=$?
set -e
[[ ${rc} == 1 ]] || fail "server down: exit status ${rc}, want 1"
grep -qF "page 2: UNAVAILABLE: GET http://127.0.0.1:1/prices.csv?page_number=2: gave up after 2 attempts" <<<"${down}" \
  || fail "server down said: ${down}"
grep -qF "rerun the same command with --out_dir=${tmp}/down to finish" <<<"${down}" || fail "no rerun advice: ${down}"

# SIGTERM mid-run: the pipeline stops cleanly (exit status 1, the unfetched
# pages reported as cancelled), parks the converted pages that wait for
# their slot as data<page>.xml, and the rerun reuses them.
# One page at a time, 2 s each: page 2 is on its way when page 1, which
# waits for it in slot 1, is converted; the stop reaches the fetch loop in
# at most 250 ms.
mkfifo "${tmp}/lines"
${pipeline} --pages=20 --demo_delay=2s --max_in_flight=1 --progress=none \
  --out_dir="${tmp}/term" >"${tmp}/lines" 2>"${tmp}/term.err" &
pid=$!
while read -r line; do
  if [[ "${line}" == "Convert csv data to data1.xml (in memory)" ]]; then
    kill -TERM "${pid}"
  fi
done <"${tmp}/lines"
set +e
wait "${pid}"; rc=$?
set -e
[[ ${rc} == 1 ]] || fail "after SIGTERM: exit status ${rc}, want 1: $(cat "${tmp}/term.err")"
grep -qF "stopped before it finished" "${tmp}/term.err" || fail "after SIGTERM: $(cat "${tmp}/term.err")"
[[ $(ls "${tmp}/term") == $'data1.xml\nmanifest.txt' ]] || fail "page 1 alone should be parked: $(ls "${tmp}/term")"
resumed=$(${pipeline} --pages=20 --demo_delay=1ms --progress=none --out_dir="${tmp}/term")
grep -qF "archived 20 of 20 pages (19 fetched, 1 reused from an earlier run)" <<<"${resumed}" \
  || fail "the rerun after SIGTERM said: ${resumed}"
[[ -z $(ls "${tmp}/term" | grep '\.xml$') ]] || fail "parked files left: $(ls "${tmp}/term")"

# --help answers and lists the shared flags and the pipeline's own.
help=$(${pipeline} --help 2>&1 || true)
for flag in --max_in_flight --progress --out_dir --batch; do
  grep -qF -- "${flag}" <<<"${help}" || fail "--help lacks ${flag}: ${help}"
done

# Progress on a terminal: one line redrawn in place ("\r" + erase), then the
# summary on a clean line. script(1) gives the binary a pseudo-terminal.
script -qec "${pipeline} --pages=40 --demo_delay=30ms --max_in_flight=4 --out_dir=${tmp}/tty" \
  /dev/null >"${tmp}/tty.out" </dev/null || fail "pipeline in a pty failed: $(cat "${tmp}/tty.out")"
redraws=$(grep -o $'\r\e\\[Karchived [0-9]*/40 | downloaded' "${tmp}/tty.out" | wc -l)
((redraws >= 2)) || fail "expected the bar redrawn in place, got ${redraws}: $(od -c "${tmp}/tty.out" | head -20)"
grep -qF $'\r\e[Karchived 40 of 40 pages' "${tmp}/tty.out" || fail "the summary should follow an erased bar"
grep -q "ETA" "${tmp}/tty.out" || fail "no ETA on the bar"
if grep -q "download csv data" "${tmp}/tty.out"; then fail "per-page lines would scroll the bar away"; fi
# Not a terminal: plain lines, the last one complete.
${pipeline} --pages=4 --demo_delay=1ms --quiet --out_dir="${tmp}/q" 2>"${tmp}/quiet.err" >"${tmp}/quiet.out"
[[ ! -s "${tmp}/quiet.err" ]] || fail "--quiet printed on stderr: $(cat "${tmp}/quiet.err")"
${pipeline} --pages=4 --demo_delay=1ms --out_dir="${tmp}/l" 2>"${tmp}/lines.err" >/dev/null
grep -qxE "archived 4/4 \| downloaded 4 converted 4 failed 0 \| .* elapsed, ETA 0:00" "${tmp}/lines.err" \
  || fail "lines mode: $(cat "${tmp}/lines.err")"
if grep -q $'\r' "${tmp}/lines.err"; then fail "lines mode must not redraw"; fi

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
# The lessons never overwrite: a second run into the same place is refused.
if concurrency/pipeline/download_queue --pages=4 --quiet --out_dir="${tmp}/l2" 2>/dev/null; then
  fail "lesson 2 ran over its earlier output"
fi
echo "PASS"
