#!/usr/bin/env bash
# How the recipe's jobs run, sourced by run.sh: MGDM_CMD_BACKEND=local (default) or slurm, as
# utils/cmd_backend.sh describes. Edit the Slurm resources of each kind of job for your cluster.
# shellcheck disable=SC2034  # read by utils/cmd_backend.sh
cmd_jobs="train separate score"
cmd_backends="local slurm"
train_slurm_opts="--mem 12G"  # also mgdm convert-msdm: two copies of the 405 M-parameter network
separate_slurm_opts="--gpus 1 --mem 16G"
score_slurm_opts="--mem 8G"
# shellcheck source=../../../recipes/utils/cmd_backend.sh
. "$(dirname "${BASH_SOURCE[0]}")/utils/cmd_backend.sh" || return 1
