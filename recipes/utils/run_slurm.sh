#!/usr/bin/env bash
# Run a command as one Slurm array job, with run_local.sh's calling convention:
#   utils/run_slurm.sh [--gpus N] [--mem SIZE] [--time LIMIT] [JOB=1:N] <log-file> <command> [<arg> ...]
# Task n of `sbatch --array=1-N` runs the command with the string JOB replaced by n (in the log path
# and in every argument); its log gets the command, start, end and exit status, as run_local.sh's.
# The job script is written to <log-dir>/q/<name>.sh; `sbatch --wait` blocks until every task ends,
# then this script fails if any task failed, with a line per failed task naming its log and why (its exit
# status, Slurm's reason for stopping it, or no log). Each task's own log decides, not sbatch's status:
# `sbatch --wait` exits 0 when a task was cancelled (Slurm 22.05). Interrupted (SIGINT, SIGTERM), this
# script cancels the job (scancel) rather than leave its tasks running. The command runs as given (no shell).
#   --gpus N        GPUs per task (--gres=gpu:N; default 0)
#   --mem SIZE      memory per task (--mem; default: the cluster's)
#   --time LIMIT    time limit per task (--time; default: the cluster's)
# Environment: MGDM_SLURM_OPTS, more sbatch options split on spaces (e.g. "--partition=gpu");
# MGDM_SLURM_DRY_RUN=true writes the job script and prints the sbatch command line, submitting nothing.
set -euo pipefail

usage="Usage: $0 [--gpus N] [--mem SIZE] [--time LIMIT] [JOB=1:N] <log-file> <command> [<arg> ...]"
sbatch_options=()
while [[ "${1:-}" == --* ]]; do
  [ $# -ge 2 ] || { echo "$0: option $1 needs a value" >&2; exit 1; }
  case "$1" in
    --gpus) [ "$2" = 0 ] || sbatch_options+=("--gres=gpu:$2") ;;
    --mem) sbatch_options+=("--mem=$2") ;;
    --time) sbatch_options+=("--time=$2") ;;
    *) echo "$0: unknown option $1" >&2; exit 1 ;;
  esac
  shift 2
done
first_job=1
last_job=1
if [[ "${1:-}" =~ ^JOB=([0-9]+):([0-9]+)$ ]]; then
  first_job="${BASH_REMATCH[1]}"
  last_job="${BASH_REMATCH[2]}"
  shift
fi
if [ $# -lt 2 ]; then
  echo "$usage" >&2
  exit 1
fi
log_template="$1"
shift

# Every argument quoted for the job script, with JOB replaced by the task's number.
quoted=""
for argument in "$@"; do
  pieces=()
  rest="$argument"
  while [[ "$rest" == *JOB* ]]; do
    pieces+=("$(printf '%q' "${rest%%JOB*}")")
    rest="${rest#*JOB}"
  done
  word=""
  for piece in "${pieces[@]}"; do
    word+="$piece\"\$JOB\""
  done
  quoted+="$word$(printf '%q' "$rest") "
done

log_dir=$(dirname "$log_template")
name=$(basename "$log_template" .log)
name="${name//JOB/}"
name="${name%.}"
mkdir -p "$log_dir/q"
script="$log_dir/q/$name.sh"
cat > "$script" <<SCRIPT
#!/usr/bin/env bash
JOB=\$SLURM_ARRAY_TASK_ID
cd $(printf '%q' "$PWD")
command=($quoted)
echo "# \${command[*]}"
echo "# started at \$(date) on \$(hostname), Slurm job \${SLURM_ARRAY_JOB_ID:-?}_\$JOB"
status=0
"\${command[@]}" || status=\$?
echo "# ended at \$(date), after \$SECONDS s, with status \$status"
exit \$status
SCRIPT
chmod +x "$script"

read -r -a extra <<< "${MGDM_SLURM_OPTS:-}"
command=(sbatch --wait --job-name="mgdm_$name" --array="$first_job-$last_job" --output="${log_template//JOB/%a}"
         "${sbatch_options[@]}" "${extra[@]}" "$script")
if [ "${MGDM_SLURM_DRY_RUN:-false}" = true ]; then
  printf '%q' "${command[0]}"
  printf ' %q' "${command[@]:1}"
  echo
  exit 0
fi

for (( job = first_job; job <= last_job; job++ )); do
  log="${log_template//JOB/$job}"
  mkdir -p "$(dirname "$log")"
  rm -f "$log"  # a task that never runs must not leave an earlier run's log looking successful
done
# sbatch runs in the background so that a signal reaches the trap at once; its "Submitted batch job N"
# line names the job to cancel.
submitted="$log_dir/q/$name.submitted"
"${command[@]}" > "$submitted" &
sbatch_pid=$!
cancel_job() {
  local job_id
  job_id=$(sed -n 's/^Submitted batch job \([0-9]*\).*/\1/p' "$submitted")
  kill "$sbatch_pid" 2> /dev/null || true
  if [ -n "$job_id" ]; then
    scancel "$job_id" || true
    echo "$0: interrupted; cancelled Slurm job $job_id" >&2
  fi
  exit 130
}
trap cancel_job INT TERM
wait "$sbatch_pid" || true  # failures are read from the logs below
trap - INT TERM

failed=()
for (( job = first_job; job <= last_job; job++ )); do
  log="${log_template//JOB/$job}"
  if [ ! -f "$log" ]; then
    echo "$0: task $job did not run: no $log" >&2
  else
    last=$(tail -n 1 "$log")
    if [[ "$last" == *"with status 0" ]]; then
      continue
    elif [[ "$last" =~ with\ status\ ([0-9]+)$ ]]; then
      echo "$0: task $job exited with status ${BASH_REMATCH[1]}, see $log" >&2
    elif reason=$(grep -o '\*\*\* .* \*\*\*' "$log" | tail -n 1) && [ -n "$reason" ]; then
      # slurmstepd's line for a cancelled or timed-out task: "*** JOB 6 ON node CANCELLED AT … ***"
      echo "$0: task $job stopped by Slurm (${reason:4:-4}), see $log" >&2
    else
      echo "$0: task $job ended without an exit status (killed?), see $log" >&2
    fi
  fi
  failed+=("$log")
done
if [ "${#failed[@]}" -gt 0 ]; then
  echo "$0: ${#failed[@]} of $(( last_job - first_job + 1 )) task(s) failed or did not run, see ${failed[*]}" >&2
  exit 1
fi
