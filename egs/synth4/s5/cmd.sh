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
    # Hook for a cluster: a utils/run_slurm.sh with the same calling convention that submits one
    # `sbatch --array=1-N` job and waits for it. It does not exist yet.
    echo "cmd.sh: MGDM_CMD_BACKEND=slurm needs utils/run_slurm.sh (sbatch --array), not written yet" >&2
    return 1 ;;
  *)
    echo "cmd.sh: unknown MGDM_CMD_BACKEND '${MGDM_CMD_BACKEND}' (local or slurm)" >&2
    return 1 ;;
esac
