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
# One model segment per chunk file: mgdm separate reads a segment 3 samples shorter than the model
# length it asks for, so ask for 4 samples more than a chunk (at the prior's rate, the data's).
geometry=$(python -c 'import json, sys, soundfile
from mgdm_audio.audio.corpora.kaldi import read_list
chunks, config = sys.argv[1:]
info = soundfile.info(next(iter(read_list(chunks).values())))
rate = json.load(open(config))["prior"]["sample_rate"]
if rate != info.samplerate:
    sys.exit(f"{chunks}: chunks at {info.samplerate} Hz, the prior at {rate} Hz: prepare the data at the prior rate")
print(info.frames, info.samplerate)' "$data/chunks/wav.scp" "$prior_dir/config.json")
read -r chunk rate <<< "$geometry"
segment=$(awk -v chunk="$chunk" -v rate="$rate" 'BEGIN { printf "%.9f", (chunk + 4) / rate }')

steps/separate.sh --nj "$nj" --cmd "$cmd" --sampler "$sampler" --conf "$conf" \
  --extra_opts "--segment $segment --overlap 0 --no-project $extra_opts" "$data/chunks" "$prior_dir" "$dir/chunks"
stems=$(python -c 'import json, sys; print(" ".join(json.load(open(sys.argv[1]))["prior"]["stems"]))' "$prior_dir/config.json")
read -r -a stems <<< "$stems"
mgdm slakh join "$dir/chunks" "$data" "$dir" --stems "${stems[@]}"
