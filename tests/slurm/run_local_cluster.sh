#!/usr/bin/env bash
# The SLURM profile, proven on a real cluster: a one-node SLURM cluster started here, the smoke config
# run through `--workflow-profile profiles/slurm`, and the result checked against a local run.
#
# Usage (as root, with the project's virtualenv first on PATH, i.e. `pip install -e '.[test]'` done):
#   bash tests/slurm/run_local_cluster.sh [CONFIG...]
# CONFIG defaults to configs/smoke.yaml with tests/slurm/smoke_small.yaml over it (28 jobs, every rule but rewind_k_prune);
# `bash tests/slurm/run_local_cluster.sh configs/smoke.yaml` runs the full smoke config (89 jobs).
# Environment: LTH_DATA_ROOT (default ../shared/data beside the checkout); LTH_SLURM_TIMEOUT, the
# bound in seconds of each Snakemake run (default 1800); LTH_SLURM_KEEP=1 keeps the work folder.
#
# Steps, every wait bounded, any failure ends the script with a message and exit status 1:
#  1. install Debian's slurm-wlm and munge with apt-get when they are missing;
#  2. write a munge key, slurm.conf and gres.conf into a fresh temporary folder: one node, no cgroups
#     (proctrack/linuxproc, task/none), no accounting, two fake GPUs backed by /dev/null and /dev/zero,
#     free TCP ports and a private munge socket, so it never touches a system SLURM or munge;
#  3. start munged, slurmctld and slurmd in the foreground as children of this script; on exit (trap)
#     cancel this private cluster's jobs and stop exactly those three PIDs;
#  4. run the config locally (the reference) and, at the same time, through the SLURM profile twice
#     (those runs mostly wait for status checks, so the three overlap well): as it is (device: cpu),
#     and with device: auto (a GPU run on the fake GPUs, --keep-going, no retries); cluster-specific
#     values come from the command line, as a user would give them: the partition
#     (--default-resources) and `--slurm-status-command squeue`, since this cluster has no accounting;
#  5. check with check_cluster_run.py that in the cpu run every job ran as a SLURM job and completed,
#     none asked for a GPU, and the tables and weights equal the local run's; and that in the GPU run
#     every job that trains or evaluates was submitted with --gpus=1 and got a GPU, the others none,
#     and each GPU job stopped with lth's one-line refusal of a GPU that CUDA cannot use (these GPUs
#     are /dev/null and /dev/zero) instead of training on the CPU. Nothing trains in that run, so it
#     ends at the first training jobs (train_dense, spawn): the other rules' GPU requests are checked
#     by the dry runs of tests/test_resources.py.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
DATA_ROOT="$(realpath -m "${LTH_DATA_ROOT:-$REPO/../shared/data}")"
RUN_TIMEOUT="${LTH_SLURM_TIMEOUT:-1800}"
CONFIGS=()
for config in "${@:-$REPO/configs/smoke.yaml}"; do CONFIGS+=("$(realpath "$config")"); done
[ "$#" -gt 0 ] || CONFIGS+=("$HERE/smoke_small.yaml")

say() { echo "[slurm-test $(date +%H:%M:%S)] $*"; }
fail() { echo "[slurm-test] FAILED: $*" >&2; exit 1; }

# --- 1. software -------------------------------------------------------------------------------
command -v snakemake >/dev/null || fail "snakemake not on PATH (activate the project's virtualenv)"
python -c "import snakemake_executor_plugin_slurm" 2>/dev/null \
    || fail "snakemake-executor-plugin-slurm missing: pip install -e '.[test]'"
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
    [ "$(id -u)" -eq 0 ] || fail "slurm-wlm and munge are not installed and installing them needs root"
    say "installing slurm-wlm and munge (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    timeout 600 apt-get install -y -q -o DPkg::Lock::Timeout=120 --no-install-recommends slurm-wlm munge >/dev/null 2>&1 || {
        timeout 300 apt-get update -q >/dev/null 2>&1 || fail "apt-get update failed"
        timeout 600 apt-get install -y -q -o DPkg::Lock::Timeout=120 --no-install-recommends slurm-wlm munge \
            || fail "apt-get install slurm-wlm munge failed"
    }
fi
[ "$(id -u)" -eq 0 ] || fail "slurmd must run as root (it starts jobs as their users)"
say "$(slurmctld -V), $(munged -V 2>&1 | head -1)"

# --- 2. configuration --------------------------------------------------------------------------
WORK="$(mktemp -d /tmp/lth-slurm.XXXXXX)"
PIDS=()      # the daemons, in start order
RUN_PIDS=()  # the Snakemake runs in progress (under `timeout`)
OK=0
cleanup() {
    set +e
    local pid
    for pid in "${RUN_PIDS[@]}"; do
        # `timeout` passes SIGTERM on; Snakemake then cancels its SLURM jobs.
        kill -TERM "$pid" 2>/dev/null || continue
        for _ in $(seq 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
        kill -KILL "$pid" 2>/dev/null
    done
    if [ "${#PIDS[@]}" -gt 0 ] && [ -n "${SLURM_CONF:-}" ]; then
        # Jobs of this private cluster only: squeue/scancel talk to our slurmctld (SLURM_CONF).
        local jobs
        jobs="$(timeout 10 squeue -h -t PD,R,CG -o %i 2>/dev/null)"
        [ -n "$jobs" ] && timeout 10 scancel $jobs
        for _ in $(seq 30); do
            [ -z "$(timeout 10 squeue -h -t R,CG -o %i 2>/dev/null)" ] && break
            sleep 1
        done
    fi
    # Stop the daemons this script started, in reverse order, by PID; SIGKILL after 15 s.
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
        local pid="${PIDS[i]}"
        kill -TERM "$pid" 2>/dev/null || continue
        for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
        kill -0 "$pid" 2>/dev/null && { say "pid $pid ignored SIGTERM; SIGKILL"; kill -KILL "$pid"; }
        wait "$pid" 2>/dev/null
    done
    if [ "$OK" -eq 1 ] && [ -z "${LTH_SLURM_KEEP:-}" ]; then
        rm -rf "$WORK"
    else
        say "work folder kept: $WORK (daemon logs in $WORK/log)"
    fi
}
trap cleanup EXIT
trap 'fail "interrupted"' INT TERM

mkdir -p "$WORK"/{munge,log,state,spool,local,slurm}
chmod 711 "$WORK/munge"
dd if=/dev/urandom of="$WORK/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$WORK/munge/munge.key"
read -r CTLD_PORT SLURMD_PORT < <(python - <<'PY'
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
PY
)
HOST="$(hostname -s)"
NODE=lthnode
export SLURM_CONF="$WORK/slurm.conf"
# Two fake GPUs, 8 CPUs and 32 GB are declared (config_overrides: slurmd reports these, not the
# hardware), so the rules' requests (mem_mb) fit unchanged; --jobs 4 below lets independent jobs
# overlap their waits for status checks (each job is short and mostly start-up).
cat > "$SLURM_CONF" <<CONF
ClusterName=lthtest
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$WORK/munge/munge.socket
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MailProg=/bin/true
GresTypes=gpu
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SlurmdParameters=config_overrides
MinJobAge=7200
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool
SlurmctldPidFile=$WORK/slurmctld.pid
SlurmdPidFile=$WORK/slurmd.pid
SlurmctldLogFile=$WORK/log/slurmctld.log
SlurmdLogFile=$WORK/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
NodeName=$NODE NodeHostname=$HOST NodeAddr=127.0.0.1 CPUs=8 RealMemory=32000 Gres=gpu:fake:2 State=UNKNOWN
PartitionName=lth Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
CONF
cat > "$WORK/gres.conf" <<CONF
NodeName=$NODE Name=gpu Type=fake File=/dev/null
NodeName=$NODE Name=gpu Type=fake File=/dev/zero
CONF

# Inside each job the slurm-jobstep plugin runs the rule through srun, after removing every SLURM_*
# variable but the job's identity from srun's environment, SLURM_CONF included. A real cluster keeps
# slurm.conf where srun finds it without that variable; this one keeps it in $WORK, so the jobs find
# (first on PATH) an srun that restores it.
mkdir -p "$WORK/bin"
printf '#!/bin/sh\nSLURM_CONF=%s exec %s "$@"\n' "$SLURM_CONF" "$(command -v srun)" >"$WORK/bin/srun"
chmod +x "$WORK/bin/srun"

# --- 3. daemons --------------------------------------------------------------------------------
# wait_for SECONDS WHAT COMMAND...: poll until COMMAND succeeds; fail (with the daemons' logs) when a
# daemon died or the time is up.
wait_for() {
    local seconds="$1" what="$2"
    shift 2
    for _ in $(seq $((seconds * 2))); do
        "$@" >/dev/null 2>&1 && return 0
        for pid in "${PIDS[@]}"; do
            kill -0 "$pid" 2>/dev/null || { tail -n 20 "$WORK"/log/* >&2; fail "daemon $pid died waiting for $what"; }
        done
        sleep 0.5
    done
    tail -n 20 "$WORK"/log/* >&2
    fail "$what not ready after ${seconds}s"
}
node_idle() { [ "$(sinfo -h -n "$NODE" -o %T)" = idle ]; }
munge_ok() { munge -n -S "$WORK/munge/munge.socket" | unmunge -S "$WORK/munge/munge.socket"; }

munged --foreground --force --key-file="$WORK/munge/munge.key" --socket="$WORK/munge/munge.socket" \
    --pid-file="$WORK/munge/munged.pid" --seed-file="$WORK/munge/munged.seed" \
    --log-file="$WORK/log/munged.log" >>"$WORK/log/munged.out" 2>&1 &
PIDS+=($!)
wait_for 20 munged munge_ok
slurmctld -D -i >>"$WORK/log/slurmctld.out" 2>&1 &
PIDS+=($!)
wait_for 30 slurmctld scontrol ping
slurmd -D -N "$NODE" >>"$WORK/log/slurmd.out" 2>&1 &
PIDS+=($!)
wait_for 60 "node $NODE idle" node_idle
say "cluster up: munged ${PIDS[0]}, slurmctld ${PIDS[1]}, slurmd ${PIDS[2]} (ports $CTLD_PORT, $SLURMD_PORT; $WORK)"

# --- 4. runs -----------------------------------------------------------------------------------
printf 'data_root: %s\n' "$DATA_ROOT" >"$WORK/data_root.yaml"
printf 'device: auto\n' >"$WORK/gpu.yaml"
CONFIG_ARGS=(--configfile "${CONFIGS[@]}" "$WORK/data_root.yaml")

# start_bounded LOG COMMAND...: COMMAND under `timeout` in the background, output to LOG, its PID in
# STARTED and in RUN_PIDS (for the cleanup). The script `wait`s for it, so that a signal to the script
# runs the cleanup at once.
start_bounded() {
    local log="$1"
    shift
    timeout "$RUN_TIMEOUT" "$@" >"$log" 2>&1 &
    STARTED=$!
    RUN_PIDS+=("$STARTED")
}

say "local run (reference), in the background"
start_bounded "$WORK/local.log" snakemake --snakefile "$REPO/Snakefile" --directory "$WORK/local" --cores 2 \
    "${CONFIG_ARGS[@]}"
LOCAL_PID=$STARTED

# The partition is this cluster's: given on the command line, which replaces the profile's
# default-resources as a whole, so any other defaults of the profile are restated from it.
DEFAULTS="$(python - "$REPO/profiles/slurm/profile.yaml" <<'PY'
import sys, yaml
defaults = yaml.safe_load(open(sys.argv[1]))["default-resources"]
defaults["slurm_partition"] = "lth"
print(" ".join(f"{key}={value}" for key, value in defaults.items()))
PY
)"
SLURM_ARGS=(--workflow-profile "$REPO/profiles/slurm" --default-resources $DEFAULTS --slurm-status-command squeue
    --slurm-init-seconds-before-status-checks 2 --seconds-between-status-checks 2 --jobs 4 --verbose)
say "SLURM runs: --workflow-profile profiles/slurm --default-resources $DEFAULTS (device: cpu, and auto)"
started=$SECONDS
start_bounded "$WORK/slurm.log" env PATH="$WORK/bin:$PATH" snakemake --snakefile "$REPO/Snakefile" \
    --directory "$WORK/slurm" "${CONFIG_ARGS[@]}" "${SLURM_ARGS[@]}"
SLURM_PID=$STARTED
start_bounded "$WORK/gpu.log" env PATH="$WORK/bin:$PATH" snakemake --snakefile "$REPO/Snakefile" \
    --directory "$WORK/gpu" "${CONFIG_ARGS[@]}" "$WORK/gpu.yaml" "${SLURM_ARGS[@]}" --keep-going --retries 0
GPU_PID=$STARTED
wait "$SLURM_PID" \
    || { grep -A12 "^Error in rule" "$WORK/slurm.log" | head -n 60 >&2; tail -n 5 "$WORK/slurm.log" >&2
         fail "SLURM run failed or timed out after ${RUN_TIMEOUT}s (log: $WORK/slurm.log)"; }
say "SLURM run (device: cpu) done in $((SECONDS - started)) s"
# The GPU run fails by design (its training jobs refuse the fake GPUs); only a timeout is an error here.
gpu_status=0
wait "$GPU_PID" || gpu_status=$?
[ "$gpu_status" -ne 124 ] || fail "SLURM run (device: auto) timed out after ${RUN_TIMEOUT}s (log: $WORK/gpu.log)"
say "SLURM run (device: auto) ended with status $gpu_status"
wait "$LOCAL_PID" \
    || { tail -n 40 "$WORK/local.log" >&2; fail "local run failed or timed out after ${RUN_TIMEOUT}s (log: $WORK/local.log)"; }
RUN_PIDS=()
say "local run done"

# --- 5. checks ---------------------------------------------------------------------------------
scontrol -o show job >"$WORK/jobs.txt"
python "$HERE/check_cluster_run.py" --device cpu --scontrol "$WORK/jobs.txt" --snakemake-log "$WORK/slurm.log" \
    --local "$WORK/local" --slurm "$WORK/slurm" || fail "checks of the cpu run failed (work folder: $WORK)"
python "$HERE/check_cluster_run.py" --device auto --scontrol "$WORK/jobs.txt" --snakemake-log "$WORK/gpu.log" \
    --workdir "$WORK/gpu" || fail "checks of the GPU run failed (work folder: $WORK)"
OK=1
say "passed"
