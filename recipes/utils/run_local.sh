#!/usr/bin/env bash
# Run a command as local background jobs, as Kaldi's run.pl does: with JOB=1:N, N copies run at
# once, the string JOB in the log path and in every argument replaced by the job number. Each job
# writes its command, start, end and exit status to its log; this script waits for all of them and
# fails, naming the logs, if any job failed. The command runs as given (no shell: no pipes).
set -euo pipefail

usage="Usage: $0 [JOB=1:N] <log-file> <command> [<arg> ...]"
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

run_job() {
  local log="$1"
  shift
  local started=$SECONDS status=0
  {
    echo "# $*"
    echo "# started at $(date)"
  } > "$log"
  "$@" >> "$log" 2>&1 || status=$?
  echo "# ended at $(date), after $(( SECONDS - started )) s, with status $status" >> "$log"
  return "$status"
}

pids=()
logs=()
for (( job = first_job; job <= last_job; job++ )); do
  log="${log_template//JOB/$job}"
  mkdir -p "$(dirname "$log")"
  command=()
  for argument in "$@"; do
    command+=("${argument//JOB/$job}")
  done
  run_job "$log" "${command[@]}" &
  pids+=("$!")
  logs+=("$log")
done

failed=0
for index in "${!pids[@]}"; do
  if ! wait "${pids[$index]}"; then
    echo "$0: job failed, see ${logs[$index]}" >&2
    failed=$(( failed + 1 ))
  fi
done
if [ "$failed" -gt 0 ]; then
  echo "$0: $failed of $(( last_job - first_job + 1 )) job(s) failed" >&2
  exit 1
fi
