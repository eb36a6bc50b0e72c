#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# musdb18 s5: separate the MUSDB18-HQ test set into vocals, drums, bass and other with any 4-stem prior
# over those stems (--prior DIR, e.g. one converted by mgdm convert-msdm), with MGDM, Dirac and DPS,
# and score it (SI-SDRi, museval SDR).
#   stage 0: prior + data (local/data.sh; db.sh holds the corpus root): mono at the prior's rate,
#            spk1.scp … in the prior's stem order
#   stage 1: separation, --nj jobs per sampler through cmd.sh (local or Slurm), resumable
#   stage 2: scoring (steps/score.sh)          stage 3: exp/RESULTS.md + bar chart
# --protocol full (default): whole tracks through mgdm separate's overlapping segments;
# --protocol msdm: MSDM's chunking (non-overlapping --chunk samples, last partial chunk dropped).
set -euo pipefail

stage=0
stop_stage=3
nj=4
samplers="mgdm dirac dps"
prior=
test_set=test
max_tracks=0
protocol=full
chunk=262144
conf_dir=conf
sampler_overrides=
score_opts=
help_message="Usage: $0 --prior DIR [options]
Options (defaults in brackets):
  --prior DIR                 a 4-stem prior over vocals, drums, bass, other (required)
  --stage N --stop_stage M    run stages N..M [$stage..$stop_stage]
  --nj N                      separation jobs per sampler [$nj]
  --samplers \"S ...\"          samplers, each with conf_dir/separate_<S>.conf [$samplers]
  --test_set NAME             MUSDB18-HQ split [$test_set]
  --max_tracks N              only its first N tracks, 0: all [$max_tracks]
  --protocol full|msdm        whole tracks, or MSDM's chunking [$protocol]
  --chunk N                   chunk of the msdm protocol, samples [$chunk]
  --conf_dir DIR              sampler conf files [$conf_dir]
  --sampler_overrides \"OPTS\"  mgdm separate options after every sampler's conf, e.g. \"--device cuda\"
  --score_opts \"OPTS\"         more mgdm score options, e.g. \"--no-museval\""

. ./path.sh
. ./cmd.sh
. utils/parse_options.sh

case "$protocol" in
  msdm) eval_set="${test_set}_msdm"; data_chunk="$chunk"; separate=steps/separate_chunks.sh; score_crop=true ;;
  full) eval_set="$test_set"; data_chunk=0 ;;
  *) echo "$0: --protocol must be full or msdm, got '$protocol'" >&2; exit 1 ;;
esac

if [ "$stage" -le 0 ] && [ "$stop_stage" -ge 0 ]; then
  echo "stage 0: prior and data"
  [ -n "$prior" ] || { echo "$0: --prior DIR is required (a 4-stem prior over vocals, drums, bass, other)" >&2; exit 1; }
  steps/resolve_prior.sh "$prior" exp/prior/prior_path
  local/data.sh --split "$test_set" --chunk "$data_chunk" --max_tracks "$max_tracks" \
    "$(cat exp/prior/prior_path)" db data
fi
separate_stage=1
score_prior_stems=true
results_note="test set: data/$eval_set (MUSDB18-HQ, protocol $protocol)"
# shellcheck source=../../../recipes/steps/audio_stages.sh
. steps/audio_stages.sh
