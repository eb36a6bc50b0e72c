#!/usr/bin/env bash
# MSDM's separation protocol (docs/method.md#separation-protocol) on a data dir written by
# `mgdm slakh chunk`: separate every whole chunk of <data-dir>/chunks on its
# own (steps/separate.sh into <exp-dir>/chunks: --nj jobs through --cmd, resumable), each chunk in
# one model segment of exactly its length, then concatenate each track's chunks into
# <exp-dir>/<utt>/<stem>.wav, which `mgdm score --crop` scores against the whole-chunk references.
# As published, the stems are not projected onto the mixture (--no-project).
set -euo pipefail

nj=4
cmd=utils/run_local.sh
sampler=mgdm
conf=
extra_opts=
help_message="Usage: $0 [options] <data-dir> <prior-dir> <exp-dir>
Options:
  --nj N             number of jobs (default: $nj)
  --cmd CMD          job launcher, e.g. utils/run_local.sh (default: $cmd)
  --sampler NAME     mgdm, dirac or dps (default: $sampler)
  --conf FILE        sampler options, one per line (default: none)
  --extra_opts OPTS  more mgdm separate options, after the conf's (default: none)"

# shellcheck source=SCRIPTDIR/../utils/parse_options.sh
. utils/parse_options.sh

if [ $# -ne 3 ]; then
  echo "$help_message" >&2
  exit 1
fi
data="$1"
prior_dir="$2"
dir="$3"

[ -f "$data/chunks/wav.scp" ] || { echo "$0: no $data/chunks/wav.scp (mgdm slakh chunk)" >&2; exit 1; }
# One model segment per chunk file, at the prior's rate (the data's).
segment=$(mgdm slakh segment "$data" "$prior_dir")

steps/separate.sh --nj "$nj" --cmd "$cmd" --sampler "$sampler" --conf "$conf" \
  --extra_opts "--segment $segment --overlap 0 --no-project $extra_opts" "$data/chunks" "$prior_dir" "$dir/chunks"
read -r -a stems <<< "$(mgdm prior-info "$prior_dir" stems)"
mgdm slakh join "$dir/chunks" "$data" "$dir" --stems "${stems[@]}"
