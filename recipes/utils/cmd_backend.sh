#!/usr/bin/env bash
# shellcheck shell=bash
# shellcheck disable=SC2154  # cmd_jobs, cmd_backends and the *_slurm_opts: set by the sourcing cmd.sh
# Sourced by a recipe's cmd.sh: exports <job>_cmd for every job named in $cmd_jobs, each called Kaldi-style
#   $<job>_cmd [JOB=1:N] <log-with-JOB> <command with JOB> ...
# by the environment variable MGDM_CMD_BACKEND (default: local):
#   local  background processes on this machine, all N at once (Kaldi's run.pl): utils/run_local.sh
#   slurm  one `sbatch --array=1-N --wait` job per call, a log per task under exp/…/log/:
#          utils/run_slurm.sh with the job's resources, $<job>_slurm_opts (--gpus N, --mem SIZE, --time LIMIT);
#          more sbatch options (partition, account) in MGDM_SLURM_OPTS. Offered when cmd.sh sets
#          cmd_backends="local slurm".

case "${MGDM_CMD_BACKEND:-local}" in
  local)
    for cmd_job in $cmd_jobs; do
      export "${cmd_job}_cmd=utils/run_local.sh"
    done ;;
  slurm)
    if [[ " ${cmd_backends:-local} " != *" slurm "* ]]; then
      echo "cmd.sh: unknown MGDM_CMD_BACKEND 'slurm' (only local so far)" >&2
      return 1
    fi
    for cmd_job in $cmd_jobs; do
      cmd_opts="${cmd_job}_slurm_opts"
      export "${cmd_job}_cmd=utils/run_slurm.sh${!cmd_opts:+ ${!cmd_opts}}"
    done
    unset cmd_opts ;;
  *)
    if [[ " ${cmd_backends:-local} " == *" slurm "* ]]; then
      echo "cmd.sh: unknown MGDM_CMD_BACKEND '${MGDM_CMD_BACKEND}' (local or slurm)" >&2
    else
      echo "cmd.sh: unknown MGDM_CMD_BACKEND '${MGDM_CMD_BACKEND}' (only local so far)" >&2
    fi
    return 1 ;;
esac
unset cmd_job
