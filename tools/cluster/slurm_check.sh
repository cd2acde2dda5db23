#!/usr/bin/env bash
# The pipeline on a real (one-node) Slurm cluster, end to end:
#   1. installs Debian's slurm-wlm and munge if they are missing;
#   2. writes a minimal slurm.conf for this host into a scratch directory;
#   3. starts munged, slurmctld and slurmd (as root), on their own ports and
#      sockets, so nothing of the machine's own configuration is used;
#   4. starts the demo price feed on a fixed loopback port;
#   5. submits the pipeline as a 4-task job array (sbatch --array=0-3 --wait)
#      with --shard=auto, every task writing into one --out_dir;
#   6. runs `pipeline --check` across the shards;
#   7. stops every daemon it started, by its pid, and removes its state.
# Passes (exit 0) only if all four tasks exit 0 and the check finds every page
# in exactly one archive. .ci/run counts it as one test.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PORT_CTLD=16817
PORT_SLURMD=16818
PORT_FEED=18765
PAGES=40
TASKS=4

say() { echo "slurm_check: $*" >&2; }
die() { say "FAIL: $*"; exit 1; }

as_root() {
  if [[ "$(id -u)" == 0 ]]; then "$@"; else sudo "$@"; fi
}

install_slurm() {
  local missing=()
  for pkg in slurm-wlm munge; do
    [[ "$(dpkg-query -W -f='${Status}' "${pkg}" 2>/dev/null)" == "install ok installed" ]] \
      || missing+=("${pkg}")
  done
  ((${#missing[@]} == 0)) && return 0
  say "installing ${missing[*]}"
  as_root apt-get update -q >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
    --no-install-recommends "${missing[@]}" >&2
}

work=""
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "${pid}" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "${pid}" 2>/dev/null || true; done
  if [[ -n "${work}" && -f "${work}/munged.pid" ]]; then
    kill "$(cat "${work}/munged.pid")" 2>/dev/null || true
  fi
  [[ -n "${work}" ]] && rm -rf "${work}"
}
trap cleanup EXIT

write_conf() {
  local host=$1
  cat >"${work}/slurm.conf" <<CONF
ClusterName=pipeline
SlurmctldHost=${host}
SlurmctldPort=${PORT_CTLD}
SlurmdPort=${PORT_SLURMD}
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=${work}/munge/munge.socket
StateSaveLocation=${work}/state
SlurmdSpoolDir=${work}/spool
SlurmctldPidFile=${work}/slurmctld.pid
SlurmdPidFile=${work}/slurmd.pid
SlurmctldLogFile=${work}/slurmctld.log
SlurmdLogFile=${work}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
NodeName=${host} CPUs=$(nproc) State=UNKNOWN
PartitionName=main Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
}

start_munge() {
  mkdir -p "${work}/munge"
  dd if=/dev/urandom of="${work}/munge/munge.key" bs=1024 count=1 status=none
  chmod 0400 "${work}/munge/munge.key"
  chmod 0700 "${work}/munge"
  # --force: munged refuses root and shared directories without it.
  munged --force --key-file="${work}/munge/munge.key" \
    --socket="${work}/munge/munge.socket" --pid-file="${work}/munged.pid" \
    --log-file="${work}/munge/munged.log" --seed-file="${work}/munge/seed" \
    || die "munged did not start: $(cat "${work}/munge/munged.log" 2>/dev/null)"
}

# Waits (at most 60 s) until `what` succeeds.
await() {
  local what=$1
  shift
  for _ in $(seq 1 120); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  die "${what} did not happen within 60 s"
}

node_idle() { [[ "$(sinfo -h -o %t)" == "idle" ]]; }

install_slurm
say "building the pipeline and the price feed"
"${ROOT}/tools/bazel" build --noshow_progress //concurrency/pipeline:pipeline \
  //concurrency/pipeline:price_feed >&2
bin="$("${ROOT}/tools/bazel" info bazel-bin 2>/dev/null)/concurrency/pipeline"

work="$(mktemp -d /tmp/slurm_check.XXXXXX)"
chmod 0755 "${work}"
mkdir -p "${work}/state" "${work}/spool" "${work}/out"
host="$(hostname -s)"
write_conf "${host}"
export SLURM_CONF="${work}/slurm.conf"

start_munge
slurmctld -D -f "${SLURM_CONF}" >"${work}/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -f "${SLURM_CONF}" -N "${host}" >"${work}/slurmd.out" 2>&1 &
pids+=($!)
await "slurmctld answering" scontrol ping
await "the node becoming idle" node_idle
say "one-node cluster up: $(sinfo -h -o '%P %D %t %c cpus')"

"${bin}/price_feed" --port="${PORT_FEED}" --pages="${PAGES}" --delay=5ms \
  >"${work}/feed.out" 2>&1 &
pids+=($!)
await "the price feed" grep -q serving "${work}/feed.out"

url="http://127.0.0.1:${PORT_FEED}/prices.csv?page_size={page_size}&page_number={page}"
say "sbatch --array=0-$((TASKS - 1)) --wait: ${TASKS} shards into ${work}/out"
set +e
sbatch --array=0-$((TASKS - 1)) --wait --output="${work}/task-%a.out" \
  --job-name=pipeline --chdir="${work}" \
  --wrap="'${bin}/pipeline' --shard=auto --pages=${PAGES} --page_size=50 --batch=3 --progress=none --out_dir='${work}/out' --url='${url}'"
rc=$?
set -e
for t in $(seq 0 $((TASKS - 1))); do
  say "task ${t}: $(tail -n 2 "${work}/task-${t}.out" 2>/dev/null | head -n 1)"
done
((rc == 0)) || die "the job array did not succeed (sbatch exit ${rc}): $(cat "${work}"/task-*.out)"
ls "${work}/out" | grep -q "manifest-3-of-${TASKS}.txt" || die "no shard manifests: $(ls "${work}/out")"

check=$("${bin}/pipeline" --check --out_dir="${work}/out") || die "check failed: ${check}"
say "${check}"
grep -q "every page of 1-${PAGES} is in exactly one archive" <<<"${check}" || die "check said: ${check}"
echo "slurm_check: PASS"
