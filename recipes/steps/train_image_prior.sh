#!/usr/bin/env bash
# Train a small pixel-space image prior (diffusers UNet2DModel, DDPM ε-prediction, linear β) on the
# images of a data dir (<data-dir>/images.scp), logging to <exp-dir>/log/train.log; the prior lands in
# <exp-dir>/prior (a bare diffusers UNet folder), the loss curve in <exp-dir>/train_log.csv.
set -euo pipefail

cmd=utils/run_local.sh
train_opts=
help_message="Usage: $0 [options] <data-dir> <exp-dir>
Options:
  --cmd CMD          job launcher (default: $cmd)
  --train_opts OPTS  options of mgdm train-image-prior, e.g. \"--steps 6000\" (default: none)"

# shellcheck source=SCRIPTDIR/../utils/parse_options.sh
. utils/parse_options.sh

if [ $# -ne 2 ]; then
  echo "$help_message" >&2
  exit 1
fi
data="$1"
dir="$2"
[ -f "$data/images.scp" ] || { echo "$0: no $data/images.scp (run stage 0)" >&2; exit 1; }

read -r -a options <<< "$train_opts"
echo "$0: training on $(wc -l < "$data/images.scp") image(s) of $data, log in $dir/log/train.log"
$cmd "$dir/log/train.log" mgdm train-image-prior "$data/images.scp" "$dir" "${options[@]}"
tail -n 1 "$dir/log/train.log"
