#!/usr/bin/env bash
# ffhq s5: image restoration of 256x256 FFHQ / CelebA-HQ faces with a pretrained prior: a diffusers folder
# (pixel, e.g. google/ddpm-celebahq-256, or latent, e.g. CompVis/ldm-celebahq-256) or a guided-diffusion
# ADM checkpoint (.pt; DPS's ffhq_10m.pt, the paper's FFHQ model; stage 1 converts it with mgdm convert-adm,
# local/prior.sh), each sampler at the published settings (presets, docs/method.md#published-settings);
# PSNR / SSIM per task and exp/RESULTS.md. Offline: the images and the prior are local paths named in db.sh.
# The published tasks' settings, which the conf files and mgdm restore's defaults give: observation noise
# σ_y = 0.05 on [-1, 1] (every task's default), the prior's 1,000-level ᾱ table (ADM: linear β from 1e-4 to
# 0.02 over 1,000 steps), MGDM at the prior's preset (image_pixel for FFHQ: 100 steps, 20 denoising steps,
# R = 1; image_latent for latent priors), DPS at 1,000 steps, DiffPIR at 100. For the ImageNet 256
# unconditional model (--adm_model imagenet256_uncond) add --restore_overrides "--preset image_pixel_imagenet".
# These options are this recipe's; every other is templates/restoration.sh's (its stages: ./run.sh --help).
# Example: ./run.sh --task sr4
set -euo pipefail

adm_model=ffhq256
convert_opts=
pass_unknown_options=true
unknown_options=()
help_message="Usage: $0 [options]
Options of this recipe (defaults in brackets):
  --adm_model NAME             guided-diffusion flags of an ADM .pt PRIOR_DIR: ffhq256 or imagenet256_uncond [$adm_model]
  --convert_opts \"OPTS\"        more mgdm convert-adm options, e.g. \"--no-verify\" [$convert_opts]
and every option of templates/restoration.sh (templates/restoration.sh --help).
Paths: FFHQ_DIR and PRIOR_DIR in db.sh (or the environment)."

. ./db.sh
. utils/parse_options.sh

templates/restoration.sh --tasks "sr4 box half random70 gaussian_blur" --samplers "mgdm dps diffpir" \
  --db "$FFHQ_DIR" --prior_opts "--adm_model $adm_model $convert_opts" "${unknown_options[@]}"
