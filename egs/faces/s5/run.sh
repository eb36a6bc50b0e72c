#!/usr/bin/env bash
# faces s5: image restoration on the 24x24 grey face crops that ship inside scikit-image's wheel
# (data.lfw_subset(): 100 faces, 50 train / 50 held out), fully offline, with each sampler on one small
# pixel-space diffusers prior (the packaged image_default, or one trained here with --train_prior true);
# PSNR / SSIM per task and exp/RESULTS.md. The stages and every option: templates/restoration.sh (./run.sh --help).
set -euo pipefail

templates/restoration.sh --tasks "sr4 box half random70 gaussian_blur" --samplers "mgdm dps diffpir" \
  --prior image_default --train_opts "--resolution 24 --steps 8000 --max-minutes 14 --threads 1" "$@"
