#!/usr/bin/env bash
# How the recipe's jobs run, sourced by run.sh; every *_cmd is called Kaldi-style:
#   $restore_cmd <log> <command> ...
# Select with the environment variable MGDM_CMD_BACKEND (default: local).

case "${MGDM_CMD_BACKEND:-local}" in
  local)
    # Background processes on this machine (Kaldi's run.pl), waited for.
    export train_cmd=utils/run_local.sh
    export restore_cmd=utils/run_local.sh ;;
  *)
    echo "cmd.sh: unknown MGDM_CMD_BACKEND '${MGDM_CMD_BACKEND}' (only local so far)" >&2
    return 1 ;;
esac
