#!/usr/bin/env bash
# shellcheck shell=bash
# The last three stages of the music recipes (egs/synth4/s5, egs/slakh2100/s5, egs/musdb18/s5), sourced by
# their run.sh after their data and prior stages (the prior recorded in exp/prior/prior_path):
#   stage $separate_stage:     separate data/<eval_set> with every sampler, --nj jobs each ($separate; resumable)
#   stage $separate_stage + 1: score every sampler's separations (steps/score.sh)
#   stage $separate_stage + 2: exp/RESULTS.md + bar chart (steps/results.sh)
# Uses run.sh's variables: stage, stop_stage, separate_stage, eval_set, samplers, nj, conf_dir,
# sampler_overrides, score_opts, results_note, separate_cmd, score_cmd, and optionally separate (the step
# script, default steps/separate.sh), score_crop (true: score the references cut to the separated length),
# score_prior_stems (true: score in the prior's stem order, `mgdm prior-info PRIOR stems`) and a function
# prepare_eval_set (run first in the separation stage, e.g. to subset or chunk the test set).

score_stage=$((separate_stage + 1))
results_stage=$((separate_stage + 2))

if [ "$stage" -le "$separate_stage" ] && [ "$stop_stage" -ge "$separate_stage" ]; then
  echo "stage $separate_stage: separation"
  if declare -F prepare_eval_set > /dev/null; then
    prepare_eval_set
  fi
  for sampler in $samplers; do
    "${separate:-steps/separate.sh}" --nj "$nj" --cmd "$separate_cmd" --sampler "$sampler" \
      --conf "$conf_dir/separate_$sampler.conf" --extra_opts "$sampler_overrides" \
      "data/$eval_set" "$(cat exp/prior/prior_path)" "exp/separate_$sampler"
  done
fi

if [ "$stage" -le "$score_stage" ] && [ "$stop_stage" -ge "$score_stage" ]; then
  echo "stage $score_stage: scoring"
  options="$score_opts"
  if [ "${score_crop:-false}" = true ]; then
    options="--crop $options"
  fi
  if [ "${score_prior_stems:-false}" = true ]; then
    options="--stems $(mgdm prior-info "$(cat exp/prior/prior_path)" stems) $options"
  fi
  for sampler in $samplers; do
    steps/score.sh --cmd "$score_cmd" --score_opts "$options" \
      "data/$eval_set" "exp/separate_$sampler" "exp/score_$sampler"
  done
fi

if [ "$stage" -le "$results_stage" ] && [ "$stop_stage" -ge "$results_stage" ]; then
  echo "stage $results_stage: results"
  read -r -a sampler_list <<< "$samplers"
  steps/results.sh --conf_dir "$conf_dir" --extra_opts "$sampler_overrides" --note "$results_note" \
    exp "${sampler_list[@]}"
fi
