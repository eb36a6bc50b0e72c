#!/usr/bin/env bash
# shellcheck shell=bash
# Stages 2-4 of the image restoration recipes (egs/faces/s5, egs/ffhq/s5, egs/photos/s5), sourced by their run.sh
# after stages 0 (data) and 1 (prior, recorded in exp/prior/prior_path):
#   stage 2: restore data/<test_set> for every task x sampler (steps/restore_images.sh; resumable)
#   stage 3: PSNR / SSIM per task x sampler (steps/restore_score.sh)
#   stage 4: exp/RESULTS.md and one picture grid per task in $grid_dir
# Uses run.sh's variables: stage, stop_stage, tasks, samplers, test_set, max_images, conf_dir,
# restore_overrides, grid_dir, grid_prefix, restore_cmd, and optionally paired ("A:B ...": per-image
# differences of those sampler entries in stage 4).
# A sampler's options come from $conf_dir/restore_<sampler>_<task>.conf when it exists, else
# $conf_dir/restore_<sampler>.conf. An entry <sampler>-<variant> of $samplers (e.g. dps-1500) runs
# <sampler> with the conf files of that name, into exp/restore_<task>_<sampler>-<variant>, as its own row.

eval_set="$test_set"
if [ "$max_images" -gt 0 ]; then
  eval_set="${test_set}_first$max_images"
fi

conf_of() {  # <sampler> <task>
  if [ -f "$conf_dir/restore_$1_$2.conf" ]; then
    echo "$conf_dir/restore_$1_$2.conf"
  else
    echo "$conf_dir/restore_$1.conf"
  fi
}

if [ "$stage" -le 2 ] && [ "$stop_stage" -ge 2 ]; then
  echo "stage 2: restoration"
  if [ "$max_images" -gt 0 ]; then
    mkdir -p "data/$eval_set"
    head -n "$max_images" "data/$test_set/images.scp" > "data/$eval_set/images.scp"
  fi
  for task in $tasks; do
    for sampler in $samplers; do
      steps/restore_images.sh --cmd "$restore_cmd" --task "$task" --sampler "${sampler%%-*}" \
        --conf "$(conf_of "$sampler" "$task")" --extra_opts "$restore_overrides" \
        "data/$eval_set" "$(cat exp/prior/prior_path)" "exp/restore_${task}_$sampler"
    done
  done
fi

if [ "$stage" -le 3 ] && [ "$stop_stage" -ge 3 ]; then
  echo "stage 3: evaluation"
  for task in $tasks; do
    for sampler in $samplers; do
      steps/restore_score.sh --label "$sampler" "exp/restore_${task}_$sampler" "exp/score_${task}_$sampler"
    done
  done
fi

if [ "$stage" -le 4 ] && [ "$stop_stage" -ge 4 ]; then
  echo "stage 4: results"
  summaries=()
  # The table lists every row's sampler settings, read from the outputs' sidecars.
  notes=(--note "prior: $(cat exp/prior/prior_path)" --note "test set: data/$eval_set")
  for task in $tasks; do
    for sampler in $samplers; do
      summaries+=("exp/score_${task}_$sampler/summary.json")
    done
  done
  pairs=()
  for pair in ${paired:-}; do
    pairs+=(--paired "$pair")
  done
  mgdm restore-report exp/RESULTS.md "${summaries[@]}" --grid-dir "$grid_dir" \
    --grid-prefix "$grid_prefix" "${notes[@]}" "${pairs[@]}"
fi
