#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# slakh2100 s5: reproduce the published separation of the Slakh2100 test set into bass, drums, guitar
# and piano with the MSDM (or ISDM) prior: MGDM, MSDM's Dirac separator and DPS, scored by SI-SDRi
# (and museval SDR), as in MSDM / MGDM.
#   stage 0: data dirs (local/data.sh; db.sh holds the corpus roots)
#   stage 1: prior: convert the .ckpt checkpoint(s) and verify them (mgdm convert-msdm), or --prior DIR
#   stage 2: separation, --nj jobs per sampler through cmd.sh (local or Slurm), resumable
#   stage 3: scoring (steps/score.sh)          stage 4: exp/RESULTS.md + bar chart
# --protocol msdm (default): every track cut into non-overlapping 262,144-sample chunks, the last
# partial one dropped, each chunk separated on its own, chunks concatenated, scored on the whole chunks.
# --protocol full: whole tracks through mgdm separate's own overlapping segments.
set -euo pipefail

stage=0
stop_stage=4
nj=4
samplers="mgdm dirac dps"
layout=raw
test_set=test
max_tracks=0
protocol=msdm
chunk=262144
msdm_ckpt=
isdm_ckpts=
prior=
conf_dir=conf
sampler_overrides=
score_opts=
help_message="Usage: $0 [options]
Options (defaults in brackets):
  --stage N --stop_stage M    run stages N..M [$stage..$stop_stage]
  --nj N                      separation jobs per sampler [$nj]
  --samplers \"S ...\"          samplers, each with conf_dir/separate_<S>.conf [$samplers]
  --layout raw|msdm           corpus layout: raw Slakh2100 or MSDM's pre-rendered 22 kHz test set [$layout]
  --test_set NAME             split to separate and score [$test_set]
  --max_tracks N              only its first N tracks, 0: all [$max_tracks]
  --protocol msdm|full        MSDM's chunking (published) or whole tracks [$protocol]
  --chunk N                   chunk of the msdm protocol, samples [$chunk]
  --msdm_ckpt FILE            MSDM checkpoint (.ckpt) to convert into exp/prior/msdm
  --isdm_ckpts \"B D G P\"      ISDM checkpoints, bass drums guitar piano, into exp/prior/isdm
  --prior DIR                 an already converted prior directory instead
  --conf_dir DIR              sampler conf files [$conf_dir]
  --sampler_overrides \"OPTS\"  mgdm separate options after every sampler's conf, e.g. \"--device cuda\"
  --score_opts \"OPTS\"         more mgdm score options, e.g. \"--no-museval\""

. ./path.sh
. ./cmd.sh
. utils/parse_options.sh

case "$protocol" in
  msdm) eval_set="${test_set}_msdm"; data_chunk="$chunk" ;;
  full) eval_set="$test_set"; data_chunk=0 ;;
  *) echo "$0: --protocol must be msdm or full, got '$protocol'" >&2; exit 1 ;;
esac

if [ "$stage" -le 0 ] && [ "$stop_stage" -ge 0 ]; then
  echo "stage 0: data"
  local/data.sh --layout "$layout" --split "$test_set" --chunk "$data_chunk" --max_tracks "$max_tracks" db data
fi

if [ "$stage" -le 1 ] && [ "$stop_stage" -ge 1 ]; then
  echo "stage 1: prior"
  if [ -n "$msdm_ckpt" ] || [ -n "$isdm_ckpts" ]; then
    if [ -n "$msdm_ckpt" ]; then
      converted=exp/prior/msdm
      convert=(mgdm convert-msdm "$msdm_ckpt" "$converted")
    else
      converted=exp/prior/isdm
      read -r -a checkpoints <<< "$isdm_ckpts"
      convert=(mgdm convert-msdm --isdm "${checkpoints[@]}" "$converted")
    fi
    $train_cmd exp/prior/log/convert.log "${convert[@]}"
    tail -n 3 exp/prior/log/convert.log
    steps/resolve_prior.sh "$converted" exp/prior/prior_path
  elif [ -n "$prior" ]; then
    steps/resolve_prior.sh "$prior" exp/prior/prior_path
  else
    echo "$0: stage 1 needs --msdm_ckpt FILE, --isdm_ckpts \"B D G P\" or --prior DIR" >&2
    exit 1
  fi
fi

separate_stage=2
if [ "$protocol" != full ]; then
  separate=steps/separate_chunks.sh
  score_crop=true  # the references cut to the separated whole chunks
fi
results_note="test set: data/$eval_set ($layout layout, protocol $protocol)"
# shellcheck source=../../../recipes/steps/audio_stages.sh
. steps/audio_stages.sh
