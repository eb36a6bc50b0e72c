#!/usr/bin/env bash
# Stage 1 of the slakh2100 recipe: convert the MSDM checkpoint (or the four ISDM ones) into a prior directory
# under exp/prior, checked against the checkpoint (mgdm convert-msdm), or take a converted --prior DIR; record
# its path in <out-file>.
set -euo pipefail

msdm_ckpt=
isdm_ckpts=
prior=
help_message="Usage: $0 [options] <out-file>
Options:
  --msdm_ckpt FILE       MSDM checkpoint (.ckpt), converted into exp/prior/msdm
  --isdm_ckpts B,D,G,P   ISDM checkpoints (bass, drums, guitar, piano), converted into exp/prior/isdm
  --prior DIR            an already converted prior directory instead"

# shellcheck source=SCRIPTDIR/../cmd.sh
. ./cmd.sh
# shellcheck source=SCRIPTDIR/../utils/parse_options.sh
. utils/parse_options.sh

if [ $# -ne 1 ]; then
  echo "$help_message" >&2
  exit 1
fi
out_file="$1"

if [ -n "$msdm_ckpt" ] || [ -n "$isdm_ckpts" ]; then
  if [ -n "$msdm_ckpt" ]; then
    converted=exp/prior/msdm
    convert=(mgdm convert-msdm "$msdm_ckpt" "$converted")
  else
    converted=exp/prior/isdm
    IFS=, read -r -a checkpoints <<< "$isdm_ckpts"
    convert=(mgdm convert-msdm --isdm "${checkpoints[@]}" "$converted")
  fi
  $train_cmd exp/prior/log/convert.log "${convert[@]}"
  tail -n 3 exp/prior/log/convert.log
  steps/resolve_prior.sh "$converted" "$out_file"
elif [ -n "$prior" ]; then
  steps/resolve_prior.sh "$prior" "$out_file"
else
  echo "$0: stage 1 needs --msdm_ckpt FILE, --isdm_ckpts \"B D G P\" or --prior DIR" >&2
  exit 1
fi
