#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The music separation recipe: every stage, its options and its help, for each egs/<corpus>/s5/run.sh of music
# (ESPnet's enh.sh for this toolkit). Run from the recipe's folder: it reads the recipe's path.sh, cmd.sh,
# local/data.sh, local/prior.sh (if any) and conf/.
#   stage 0: data: local/data.sh <data_opts> db data
#   stage 1: prior, recorded in exp/prior/prior_path: local/prior.sh <prior_opts> when the recipe has one (e.g.
#            checkpoint conversion), else a prior trained on data/train (--train_prior true), else --prior
#   stage 2: separation of data/<test_set> (or its first --max_utts utterances, or their --chunk_samples
#            excerpts) by every sampler, --nj jobs each through cmd.sh (local or Slurm); resumable
#   stage 3: scoring (SI-SDRi, museval SDR; steps/score.sh)
#   stage 4: exp/RESULTS.md and a bar chart (steps/results.sh)
#   stage 5: exp/page/index.html, the listening page of every sampler's scored separations (steps/report.sh)
set -euo pipefail

stage=0
stop_stage=5
nj=4
samplers="mgdm dirac dps"
conf_dir=conf
sampler_overrides=
score_opts=
data_opts=
prior=default
prior_opts=
train_prior=false
train_steps=10000
train_opts=
test_set=test
max_utts=0
chunk_samples=0
chunks_per_utt=2
chunk_min_active=0
protocol=full
score_prior_stems=false
results_note=
report_opts=
help_message="Usage: $0 [options]
Options (defaults in brackets):
  --stage N --stop_stage M     run stages N..M [$stage..$stop_stage]
  --nj N                       separation jobs per sampler [$nj]
  --samplers \"S ...\"           samplers, each with conf_dir/separate_<S>.conf [$samplers]
  --conf_dir DIR               sampler conf files [$conf_dir]
  --sampler_overrides \"OPTS\"   mgdm separate options after every sampler's conf, e.g. \"--device cuda\"
  --score_opts \"OPTS\"          more mgdm score options, e.g. \"--no-museval\"
  --data_opts \"OPTS\"           local/data.sh options (stage 0)
  --prior default|DIR          the prior when stage 1 neither converts nor trains one [$prior]
  --prior_opts \"OPTS\"          local/prior.sh options, for recipes that have one (stage 1)
  --train_prior true|false     train a prior on data/train into exp/prior_train instead [$train_prior]
  --train_steps N              its optimisation steps [$train_steps]
  --train_opts \"OPTS\"          more mgdm train-prior options
  --test_set NAME              data/<NAME> to separate and score [$test_set]
  --max_utts N                 only its first N utterances, 0: all [$max_utts]
  --chunk_samples N            score excerpts instead: N-sample chunks where enough stems play, 0: whole
                               utterances [$chunk_samples]
  --chunks_per_utt N           at most N such chunks per utterance [$chunks_per_utt]
  --chunk_min_active N         stems that must play in a chunk, 0: all [$chunk_min_active]
  --protocol full|msdm         full: mgdm separate's overlapping segments; msdm: each utterance (a chunk) in one
                               model call, scored against references cut to its length [$protocol]
  --score_prior_stems true|false  score in the prior's stem order [$score_prior_stems]
  --results_note TEXT          a line for exp/RESULTS.md [test set: data/<the set separated>]
  --report_opts \"OPTS\"         mgdm report options for stage 5's page, e.g. \"--max-mb 20\" [$report_opts]"

. ./path.sh
. ./cmd.sh
. utils/parse_options.sh

case "$protocol" in
  full) separate=steps/separate.sh; score_crop=false ;;
  msdm) separate=steps/separate_chunks.sh; score_crop=true ;;
  *) echo "$0: --protocol must be full or msdm, got '$protocol'" >&2; exit 1 ;;
esac
eval_set="$test_set"
if [ "$max_utts" -gt 0 ]; then
  eval_set="${eval_set}_first$max_utts"
fi
if [ "$chunk_samples" -gt 0 ]; then
  eval_set="${eval_set}_chunks${chunk_samples}x$chunks_per_utt"
fi
results_note="${results_note:-test set: data/$eval_set}"

if [ "$stage" -le 0 ] && [ "$stop_stage" -ge 0 ]; then
  echo "stage 0: data"
  read -r -a options <<< "$data_opts"
  local/data.sh "${options[@]}" db data
fi

if [ "$stage" -le 1 ] && [ "$stop_stage" -ge 1 ]; then
  echo "stage 1: prior"
  if [ -x local/prior.sh ]; then
    read -r -a options <<< "$prior_opts"
    local/prior.sh "${options[@]}" exp/prior/prior_path
  elif "$train_prior"; then
    read -r -a options <<< "$train_opts"
    $train_cmd exp/prior_train/log/train.log \
      mgdm train-prior data/train exp/prior_train --steps "$train_steps" "${options[@]}"
    steps/resolve_prior.sh exp/prior_train/prior exp/prior/prior_path
  else
    steps/resolve_prior.sh "$prior" exp/prior/prior_path
  fi
fi

if [ "$stage" -le 2 ] && [ "$stop_stage" -ge 2 ]; then
  echo "stage 2: separation"
  subset="$test_set"
  if [ "$max_utts" -gt 0 ]; then
    subset="${test_set}_first$max_utts"
    utils/subset_data_dir.sh "data/$test_set" "$max_utts" "data/$subset"
  fi
  if [ "$chunk_samples" -gt 0 ] && [ ! -f "data/$eval_set/wav.scp" ]; then
    utils/chunk_data_dir.sh "data/$subset" "$chunk_samples" "$chunks_per_utt" "$chunk_min_active" "data/$eval_set"
  fi
  for sampler in $samplers; do
    "$separate" --nj "$nj" --cmd "$separate_cmd" --sampler "$sampler" --conf "$conf_dir/separate_$sampler.conf" \
      --extra_opts "$sampler_overrides" "data/$eval_set" "$(cat exp/prior/prior_path)" "exp/separate_$sampler"
  done
fi

if [ "$stage" -le 3 ] && [ "$stop_stage" -ge 3 ]; then
  echo "stage 3: scoring"
  options="$score_opts"
  if "$score_crop"; then
    options="--crop $options"  # the references cut to the separated whole chunks
  fi
  if "$score_prior_stems"; then
    options="--stems $(mgdm prior-info "$(cat exp/prior/prior_path)" stems) $options"
  fi
  for sampler in $samplers; do
    steps/score.sh --cmd "$score_cmd" --score_opts "$options" "data/$eval_set" "exp/separate_$sampler" \
      "exp/score_$sampler"
  done
fi

if [ "$stage" -le 4 ] && [ "$stop_stage" -ge 4 ]; then
  echo "stage 4: results"
  read -r -a sampler_list <<< "$samplers"
  steps/results.sh --conf_dir "$conf_dir" --extra_opts "$sampler_overrides" --note "$results_note" \
    exp "${sampler_list[@]}"
fi

if [ "$stage" -le 5 ] && [ "$stop_stage" -ge 5 ]; then
  echo "stage 5: results page"
  summaries=()
  for sampler in $samplers; do
    summaries+=("exp/score_$sampler/summary.json")
  done
  steps/report.sh --report_opts "$report_opts" exp/page "${summaries[@]}"
fi
