#!/usr/bin/env bash
# How the recipe's jobs run, sourced by run.sh. Every *_cmd is called Kaldi-style:
#   $separate_cmd JOB=1:N <log-with-JOB> <command with JOB> ...
# Select with the environment variable MGDM_CMD_BACKEND (default: local).

case "${MGDM_CMD_BACKEND:-local}" in
  local)
    # Background processes on this machine, all N at once (Kaldi's run.pl).
    export train_cmd=utils/run_local.sh
    export separate_cmd=utils/run_local.sh
    export score_cmd=utils/run_local.sh ;;
  slurm)
    # One `sbatch --array=1-N --wait` job per call, a log per task under exp/…/log/; more sbatch options
    # (partition, account) in MGDM_SLURM_OPTS.
    export train_cmd="utils/run_slurm.sh --mem 12G"
    export separate_cmd="utils/run_slurm.sh --gpus 1 --mem 16G"
    export score_cmd="utils/run_slurm.sh --mem 8G" ;;
  *)
    echo "cmd.sh: unknown MGDM_CMD_BACKEND '${MGDM_CMD_BACKEND}' (local or slurm)" >&2
    return 1 ;;
esac
