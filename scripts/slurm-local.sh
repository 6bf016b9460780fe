#!/usr/bin/env bash
# A single-node SLURM cluster on this machine (controller and node daemon on localhost), for the
# cluster integration test (test/integration/slurm.test.ts) and for trying `sparsity-lens submit`.
#
#   scripts/slurm-local.sh start    # idempotent: starts only what is not running; waits until the node is idle
#   scripts/slurm-local.sh stop     # stops the daemons this script started (by their pid files)
#   scripts/slurm-local.sh status   # prints sinfo, exit 0 when the cluster answers
#
# Needs Debian's slurm-wlm and munge (apt-get update && apt-get install -y slurm-wlm munge) and
# root (it writes /etc/slurm/slurm.conf and starts daemons directly: containers have no systemd).
# The node is described from `slurmd -C` (this machine's CPUs and memory), so slurmd never drains
# it for "low RealMemory". There is no accounting daemon: sacct is not available, squeue keeps
# finished jobs for MinJobAge seconds, and `sparsity-lens status` reads the run folder for the rest.
set -euo pipefail

CONF_DIR=/etc/slurm
CONF="$CONF_DIR/slurm.conf"
MARK="# Written by sparsity-lens scripts/slurm-local.sh (single-node test cluster)."
STATE=/var/lib/sparsity-lens-slurm
RUN=/run/sparsity-lens-slurm
INSTALL="apt-get update && apt-get install -y slurm-wlm munge"

die() { echo "slurm-local.sh: $*" >&2; exit 1; }

need_tools() {
  local missing=()
  for t in munged munge unmunge slurmctld slurmd sbatch sinfo scontrol; do
    command -v "$t" >/dev/null 2>&1 || missing+=("$t")
  done
  [ ${#missing[@]} -eq 0 ] || die "missing ${missing[*]}. Install: $INSTALL"
  [ "$(id -u)" -eq 0 ] || die "run as root (it writes $CONF and starts munged, slurmctld and slurmd)."
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

write_conf() {
  if [ -f "$CONF" ] && ! grep -qF "$MARK" "$CONF"; then
    die "$CONF exists and was not written by this script; refusing to overwrite a real cluster's configuration."
  fi
  # slurmd -C: "NodeName=<host> CPUs=2 Boards=1 ... RealMemory=24105"; the node is called localhost.
  local node
  node=$(slurmd -C | head -n1 | sed -E 's/^NodeName=[^ ]+ //')
  # A job that asks for no memory gets its CPUs' share, not the whole node (which would run one job at a time).
  local cpus mem
  cpus=$(sed -nE 's/.*CPUs=([0-9]+).*/\1/p' <<<"$node")
  mem=$(sed -nE 's/.*RealMemory=([0-9]+).*/\1/p' <<<"$node")
  mkdir -p "$CONF_DIR" "$STATE/ctld" "$STATE/d" "$RUN"
  local tmp="$CONF.tmp.$$"
  cat >"$tmp" <<EOF
$MARK
ClusterName=local
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/d
SlurmctldPidFile=$RUN/slurmctld.pid
SlurmdPidFile=$RUN/slurmd.pid
SlurmctldLogFile=$STATE/slurmctld.log
SlurmdLogFile=$STATE/slurmd.log
# No cgroups in a container: track processes by parent id, no task binding.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
SchedulerType=sched/backfill
# Schedule within seconds of a job ending (the merge job waits on the shards), not once a minute.
SchedulerParameters=sched_interval=2,bf_interval=2
# Finished jobs stay visible to squeue for 10 minutes (there is no accounting database).
MinJobAge=600
ReturnToService=2
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
SlurmctldTimeout=30
SlurmdTimeout=30
MpiDefault=none
DefMemPerCPU=$((mem / cpus))
NodeName=localhost NodeAddr=127.0.0.1 $node State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
  if [ -f "$CONF" ] && cmp -s "$tmp" "$CONF"; then rm -f "$tmp"; else mv "$tmp" "$CONF"; CHANGED=1; fi
}
CHANGED=0

start_munge() {
  if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then return; fi
  [ -s /etc/munge/munge.key ] || { mungekey --create --keyfile=/etc/munge/munge.key 2>/dev/null || dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none; }
  chown munge:munge /etc/munge/munge.key && chmod 0400 /etc/munge/munge.key
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown munge:munge /run/munge /var/log/munge /var/lib/munge
  chmod 0755 /run/munge
  runuser -u munge -- munged
  for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && return; sleep 0.1; done
  die "munged did not start (see /var/log/munge/munged.log)."
}

wait_idle() {
  local state=""
  for _ in $(seq 150); do
    if scontrol ping >/dev/null 2>&1; then
      state=$(sinfo -h -n localhost -o '%T' 2>/dev/null | head -n1)
      case "$state" in
        idle|mixed|allocated|completing) return ;;
        drain*|down*) scontrol update nodename=localhost state=resume >/dev/null 2>&1 || true ;;
      esac
    fi
    sleep 0.2
  done
  die "the node did not become idle within 30 s (state: ${state:-no answer}); logs: $STATE/slurmctld.log, $STATE/slurmd.log"
}

start() {
  need_tools
  write_conf
  start_munge
  if ! alive "$RUN/slurmctld.pid"; then slurmctld; elif [ "$CHANGED" = 1 ]; then scontrol reconfigure; fi
  if ! alive "$RUN/slurmd.pid"; then slurmd -N localhost; fi
  wait_idle
  echo "SLURM on localhost is up: $(sinfo -h -o '%P %D node(s) %T, %c CPUs, %m MB')"
}

stop_pid() {
  local file="$1" name="$2"
  alive "$file" || return 0
  local pid
  pid=$(cat "$file")
  kill "$pid"
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  die "$name (pid $pid) did not stop within 10 s."
}

stop() {
  stop_pid "$RUN/slurmd.pid" slurmd
  stop_pid "$RUN/slurmctld.pid" slurmctld
  # munged stays up only if this script did not start it... it cannot tell, so it is stopped too
  # when its pid file says it runs; other users of munge on this machine restart it with `munged`.
  stop_pid /run/munge/munged.pid munged
  echo "SLURM on localhost stopped."
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) scontrol ping >/dev/null 2>&1 && sinfo || die "no SLURM controller answers." ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
