#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# photos s5: image restoration on 32x32 grey patches of the 20 natural photos that ship inside the
# scikit-image and scikit-learn wheels (local/prepare_photos.py: whole photos held out for test and
# validation), fully offline, with MGDM, DPS and DiffPIR at their published budgets on the embedded
# image_photos32 prior, plus MGDM cut to DPS's denoiser cost (mgdm-k66); PSNR / SSIM and exp/RESULTS.md.
#   stage 0: data (local/data.sh)                           stage 3: PSNR / SSIM (steps/restore_score.sh)
#   stage 1: train the prior, or use the packaged one       stage 4: exp/RESULTS.md + a grid per task
#   stage 2: restore data/test for each task and sampler (steps/restore_images.sh; resumable)
# Stages 2-4 are shared with egs/faces/s5 and egs/ffhq/s5 (steps/image_stages.sh).
set -euo pipefail

stage=0
stop_stage=4
tasks="sr4 box random70"
task=
samplers="mgdm mgdm-k66 dps diffpir"
prior=image_photos32
train_prior=false
# image_photos32's training (its MODEL_CARD.md): resumable from exp/prior_train/checkpoint.pt.
train_opts="--resolution 32 --block-out-channels 16 32 64 64 --steps 100000 --max-minutes 48 --threads 1 --checkpoint-every 1000 --valid-scp data/valid/images.scp"
test_set=test
max_images=0
conf_dir=conf
restore_overrides=
grid_dir=exp/grids
grid_prefix=
paired="mgdm:dps mgdm-k66:dps mgdm:diffpir mgdm-k66:mgdm"
data_opts=
help_message="Usage: $0 [options]
Options (defaults in brackets):
  --stage N --stop_stage M     run stages N..M [$stage..$stop_stage]
  --tasks \"T ...\"              image tasks [$tasks]
  --task T                     one task only (overrides --tasks)
  --samplers \"S ...\"           samplers, each with conf_dir/restore_<S>[_<task>].conf; S-<variant> runs
                               sampler S with the conf files of that name as its own row [$samplers]
  --prior NAME|DIR             prior when not training one [$prior]
  --train_prior true|false     train a prior on data/train into exp/prior_train instead [$train_prior]
  --train_opts \"OPTS\"          mgdm train-image-prior options [$train_opts]
  --test_set NAME              data/<NAME> to restore [$test_set]
  --max_images N               only its first N images, 0: all [$max_images]
  --conf_dir DIR               sampler conf files [$conf_dir]
  --restore_overrides \"OPTS\"   mgdm restore options after every conf's [$restore_overrides]
  --grid_dir DIR               where the per-task picture grids go [$grid_dir]
  --grid_prefix P              their file name prefix [$grid_prefix]
  --paired \"A:B ...\"           per-image differences A − B of these sampler entries in stage 4 [$paired]
  --data_opts \"OPTS\"           local/data.sh options, e.g. \"--num_test 100\" [$data_opts]"

. ./path.sh
. ./cmd.sh
. utils/parse_options.sh
if [ -n "$task" ]; then
  tasks="$task"
fi

if [ "$stage" -le 0 ] && [ "$stop_stage" -ge 0 ]; then
  echo "stage 0: data"
  read -r -a options <<< "$data_opts"
  local/data.sh "${options[@]}" db data
fi

if [ "$stage" -le 1 ] && [ "$stop_stage" -ge 1 ]; then
  echo "stage 1: prior"
  if "$train_prior"; then
    steps/train_image_prior.sh --cmd "$train_cmd" --train_opts "$train_opts" data/train exp/prior_train
    steps/resolve_image_prior.sh exp/prior_train/prior exp/prior/prior_path
  else
    steps/resolve_image_prior.sh "$prior" exp/prior/prior_path
  fi
fi

. steps/image_stages.sh
