#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The image restoration recipe: every stage, its options and its help, for each egs/<corpus>/s5/run.sh of
# images. Run from the recipe's folder: it reads the recipe's path.sh, cmd.sh, local/data.sh, local/prior.sh
# (if any) and conf/.
#   stage 0: data: local/data.sh <data_opts> <db> data
#   stage 1: prior, recorded in exp/prior/prior_path: local/prior.sh <prior_opts> when the recipe has one (e.g.
#            checkpoint conversion), else a prior trained on data/train (--train_prior true), else --prior
#   stage 2: restore data/<test_set> for every task x sampler (steps/restore_images.sh; resumable)
#   stage 3: PSNR / SSIM per task x sampler (steps/restore_score.sh)
#   stage 4: exp/RESULTS.md and one picture grid per task in --grid_dir
#   stage 5: exp/page/index.html, the picture page of every task x sampler (steps/report.sh)
# A sampler's options come from conf_dir/restore_<sampler>_<task>.conf when it exists, else
# conf_dir/restore_<sampler>.conf. An entry <sampler>-<variant> of --samplers (e.g. mgdm-k66) runs <sampler> with
# the conf files of that name, into exp/restore_<task>_<sampler>-<variant>, as its own row.
set -euo pipefail

stage=0
stop_stage=5
tasks="sr4 box half random70 gaussian_blur"
task=
samplers="mgdm dps diffpir"
db=db
data_opts=
prior=image_default
prior_opts=
train_prior=false
train_opts=
test_set=test
max_images=0
conf_dir=conf
restore_overrides=
grid_dir=exp/grids
grid_prefix=
paired=
report_opts=
help_message="Usage: $0 [options]
Options (defaults in brackets):
  --stage N --stop_stage M     run stages N..M [$stage..$stop_stage]
  --tasks \"T ...\"              image tasks [$tasks]
  --task T                     one task only (overrides --tasks)
  --samplers \"S ...\"           samplers, each with conf_dir/restore_<S>[_<task>].conf; S-<variant> runs
                               sampler S with the conf files of that name as its own row [$samplers]
  --db DIR                     the images local/data.sh reads (or writes) [$db]
  --data_opts \"OPTS\"           local/data.sh options (stage 0)
  --prior NAME|DIR             prior when stage 1 neither converts nor trains one [$prior]
  --prior_opts \"OPTS\"          local/prior.sh options, for recipes that have one (stage 1)
  --train_prior true|false     train a prior on data/train into exp/prior_train instead [$train_prior]
  --train_opts \"OPTS\"          mgdm train-image-prior options [$train_opts]
  --test_set NAME              data/<NAME> to restore [$test_set]
  --max_images N               only its first N images, 0: all [$max_images]
  --conf_dir DIR               sampler conf files [$conf_dir]
  --restore_overrides \"OPTS\"   mgdm restore options after every conf's
  --grid_dir DIR               where the per-task picture grids go [$grid_dir]
  --grid_prefix P              their file name prefix [$grid_prefix]
  --paired \"A:B ...\"           per-image differences A − B of these sampler entries in stage 4 [$paired]
  --report_opts \"OPTS\"         mgdm report options for stage 5's page, e.g. \"--max-images 4\" [$report_opts]"

. ./path.sh
. ./cmd.sh
. utils/parse_options.sh
if [ -n "$task" ]; then
  tasks="$task"
fi
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

if [ "$stage" -le 0 ] && [ "$stop_stage" -ge 0 ]; then
  echo "stage 0: data"
  read -r -a options <<< "$data_opts"
  local/data.sh "${options[@]}" "$db" data
fi

if [ "$stage" -le 1 ] && [ "$stop_stage" -ge 1 ]; then
  echo "stage 1: prior"
  if [ -x local/prior.sh ]; then
    read -r -a options <<< "$prior_opts"
    local/prior.sh "${options[@]}" exp/prior/prior_path
  elif "$train_prior"; then
    steps/train_image_prior.sh --cmd "$train_cmd" --train_opts "$train_opts" data/train exp/prior_train
    steps/resolve_image_prior.sh exp/prior_train/prior exp/prior/prior_path
  else
    steps/resolve_image_prior.sh "$prior" exp/prior/prior_path
  fi
fi

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
  for pair in $paired; do
    pairs+=(--paired "$pair")
  done
  mgdm restore-report exp/RESULTS.md "${summaries[@]}" --grid-dir "$grid_dir" \
    --grid-prefix "$grid_prefix" "${notes[@]}" "${pairs[@]}"
fi

if [ "$stage" -le 5 ] && [ "$stop_stage" -ge 5 ]; then
  echo "stage 5: results page"
  summaries=()
  for task in $tasks; do
    for sampler in $samplers; do
      summaries+=("exp/score_${task}_$sampler/summary.json")
    done
  done
  steps/report.sh --report_opts "$report_opts" exp/page "${summaries[@]}"
fi
