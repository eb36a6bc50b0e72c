#!/usr/bin/env bash
# How the recipe's jobs run, sourced by run.sh: MGDM_CMD_BACKEND=local (the default, and the only backend
# so far), as utils/cmd_backend.sh describes; every *_cmd is called Kaldi-style: $restore_cmd <log> <command> ...
# shellcheck disable=SC2034  # read by utils/cmd_backend.sh
cmd_jobs="train restore"
cmd_backends="local"
# shellcheck source=../../../recipes/utils/cmd_backend.sh
. "$(dirname "${BASH_SOURCE[0]}")/utils/cmd_backend.sh" || return 1
