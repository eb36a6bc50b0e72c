#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# ffhq s5: image restoration of 256x256 FFHQ / CelebA-HQ faces with a pretrained prior: a diffusers folder
# (pixel, e.g. google/ddpm-celebahq-256, or latent, e.g. CompVis/ldm-celebahq-256) or a guided-diffusion
# ADM checkpoint (.pt; DPS's ffhq_10m.pt, the paper's FFHQ model; stage 1 converts it with mgdm convert-adm),
# each sampler at the published settings (presets, docs/method.md#published-settings);
# PSNR / SSIM per task and exp/RESULTS.md.
# Offline: the images and the prior are local paths named in db.sh.
#   stage 0: data (local/data.sh)                 stage 3: PSNR / SSIM (steps/restore_score.sh)
#   stage 1: record (or convert) the prior        stage 4: exp/RESULTS.md + a grid per task
#   stage 2: restore each task with each sampler (steps/restore_images.sh; resumable)
# Stages 2-4 are shared with egs/faces/s5 (steps/image_stages.sh). Example: ./run.sh --task sr4
# The published tasks' settings, which the conf files and mgdm restore's defaults give: observation noise
# σ_y = 0.05 on [-1, 1] (every task's default), the prior's 1,000-level ᾱ table (ADM: linear β from 1e-4 to
# 0.02 over 1,000 steps), MGDM at the prior's preset (image_pixel for FFHQ: 100 steps, 20 denoising steps,
# R = 1; image_latent for latent priors), DPS at 1,000 steps, DiffPIR at 100. For the ImageNet 256
# unconditional model (--adm_model imagenet256_uncond) add --restore_overrides "--preset image_pixel_imagenet".
set -euo pipefail

stage=0
stop_stage=4
tasks="sr4 box half random70 gaussian_blur"
task=
samplers="mgdm dps diffpir"
test_set=test
max_images=0
conf_dir=conf
restore_overrides=
grid_dir=exp/grids
grid_prefix=
data_opts=
adm_model=ffhq256
convert_opts=
help_message="Usage: $0 [options]
Options (defaults in brackets):
  --stage N --stop_stage M     run stages N..M [$stage..$stop_stage]
  --tasks \"T ...\"              image tasks [$tasks]
  --task T                     one task only (overrides --tasks)
  --samplers \"S ...\"           samplers, each with conf_dir/restore_<S>[_<task>].conf [$samplers]
  --test_set NAME              data/<NAME> to restore [$test_set]
  --max_images N               only its first N images, 0: all [$max_images]
  --conf_dir DIR               sampler conf files [$conf_dir]
  --restore_overrides \"OPTS\"   mgdm restore options after every conf's, e.g. \"--batch-size 4\" [$restore_overrides]
  --grid_dir DIR               where the per-task picture grids go [$grid_dir]
  --grid_prefix P              their file name prefix [$grid_prefix]
  --data_opts \"OPTS\"           local/data.sh options, e.g. \"--num_images 1000\" [$data_opts]
  --adm_model NAME             guided-diffusion flags of an ADM .pt PRIOR_DIR: ffhq256 or imagenet256_uncond [$adm_model]
  --convert_opts \"OPTS\"        more mgdm convert-adm options, e.g. \"--no-verify\" [$convert_opts]
Paths: FFHQ_DIR and PRIOR_DIR in db.sh (or the environment)."

. ./path.sh
. ./cmd.sh
. ./db.sh
. utils/parse_options.sh
if [ -n "$task" ]; then
  tasks="$task"
fi

if [ "$stage" -le 0 ] && [ "$stop_stage" -ge 0 ]; then
  echo "stage 0: data"
  read -r -a options <<< "$data_opts"
  local/data.sh "${options[@]}" "$FFHQ_DIR" data
fi

if [ "$stage" -le 1 ] && [ "$stop_stage" -ge 1 ]; then
  echo "stage 1: prior"
  if [ -f "$PRIOR_DIR" ]; then
    # An ADM checkpoint: convert it once (safetensors + config.json), then restore with the converted folder.
    if [ ! -f exp/prior/adm/model.safetensors ]; then
      read -r -a options <<< "$convert_opts"
      mgdm convert-adm "$PRIOR_DIR" exp/prior/adm --model "$adm_model" "${options[@]}"
    fi
    (cd exp/prior/adm && pwd) > exp/prior/prior_path
    echo "$0: ADM prior $(cat exp/prior/prior_path) recorded in exp/prior/prior_path"
  elif [ -d "$PRIOR_DIR" ]; then
    steps/resolve_image_prior.sh "$PRIOR_DIR" exp/prior/prior_path
  else
    echo "$0: prior folder or checkpoint $PRIOR_DIR not found; set PRIOR_DIR in db.sh to a local diffusers folder or ADM .pt" >&2
    exit 1
  fi
fi

. steps/image_stages.sh
