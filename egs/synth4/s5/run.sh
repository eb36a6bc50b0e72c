#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# synth4 s5: separate the synth4 test set into bass, drums, guitar and piano with each sampler on
# one multi-source diffusion prior, score it (SI-SDRi, museval SDR) and write exp/RESULTS.md.
#   stage 0: render the corpus (local/data.sh)         stage 3: score (steps/score.sh)
#   stage 1: choose or train the prior                  stage 4: exp/RESULTS.md + bar chart
#   stage 2: separate, --nj jobs per sampler (steps/separate.sh; resumable)
set -euo pipefail

stage=0
stop_stage=4
nj=4
samplers="mgdm dirac dps"
prior=default
train_prior=false
train_steps=10000
train_opts=
test_set="test"
max_utts=0
chunk_samples=0
chunks_per_utt=2
chunk_min_active=0
conf_dir=conf
sampler_overrides=
data_opts=
score_opts=
help_message="Usage: $0 [options]
Options (defaults in brackets):
  --stage N --stop_stage M    run stages N..M [$stage..$stop_stage]
  --nj N                      separation jobs per sampler [$nj]
  --samplers \"S ...\"          samplers, each with conf_dir/separate_<S>.conf [$samplers]
  --prior default|DIR         prior when not training one [$prior]
  --train_prior true|false    train a prior on data/train into exp/prior_train instead [$train_prior]
  --train_steps N             its optimisation steps [$train_steps]
  --train_opts \"OPTS\"         more mgdm train-prior options [$train_opts]
  --test_set NAME             data/<NAME> to separate and score [$test_set]
  --max_utts N                only its first N utterances, 0: all [$max_utts]
  --chunk_samples N           score excerpts instead: N-sample chunks where every stem plays, 0: whole
                              utterances [$chunk_samples]
  --chunks_per_utt N          at most N such chunks per utterance [$chunks_per_utt]
  --chunk_min_active N        stems that must play in a chunk, 0: all [$chunk_min_active]
  --conf_dir DIR              sampler conf files [$conf_dir]
  --sampler_overrides \"OPTS\"  mgdm separate options after every sampler's conf [$sampler_overrides]
  --data_opts \"OPTS\"          local/data.sh options, e.g. \"--test_tracks 2\" [$data_opts]
  --score_opts \"OPTS\"         mgdm score options, e.g. \"--no-museval\" [$score_opts]"

. ./path.sh
. ./cmd.sh
. utils/parse_options.sh

eval_set="$test_set"
if [ "$max_utts" -gt 0 ]; then
  eval_set="${eval_set}_first$max_utts"
fi
if [ "$chunk_samples" -gt 0 ]; then
  eval_set="${eval_set}_chunks${chunk_samples}x$chunks_per_utt"
fi

if [ "$stage" -le 0 ] && [ "$stop_stage" -ge 0 ]; then
  echo "stage 0: data"
  read -r -a options <<< "$data_opts"
  local/data.sh "${options[@]}" db data
fi

if [ "$stage" -le 1 ] && [ "$stop_stage" -ge 1 ]; then
  echo "stage 1: prior"
  if "$train_prior"; then
    read -r -a options <<< "$train_opts"
    $train_cmd exp/prior_train/log/train.log \
      mgdm train-prior data/train exp/prior_train --steps "$train_steps" "${options[@]}"
    steps/resolve_prior.sh exp/prior_train/prior exp/prior/prior_path
  else
    steps/resolve_prior.sh "$prior" exp/prior/prior_path
  fi
fi

prepare_eval_set() {  # data/<eval_set>: the test set, or its first utterances, or their chunks
  subset="$test_set"
  if [ "$max_utts" -gt 0 ]; then
    subset="${test_set}_first$max_utts"
    utils/subset_data_dir.sh "data/$test_set" "$max_utts" "data/$subset"
  fi
  if [ "$chunk_samples" -gt 0 ] && [ ! -f "data/$eval_set/wav.scp" ]; then
    utils/chunk_data_dir.sh "data/$subset" "$chunk_samples" "$chunks_per_utt" "$chunk_min_active" \
      "data/$eval_set"
  fi
}
separate_stage=2
results_note="test set: data/$eval_set"
# shellcheck source=../../../recipes/steps/audio_stages.sh
. steps/audio_stages.sh
