#!/usr/bin/env bash
# photos s5: image restoration on 32x32 grey patches of the 20 natural photos that ship inside the
# scikit-image and scikit-learn wheels (local/prepare_photos.py: whole photos held out for test and
# validation), fully offline, with MGDM, DPS and DiffPIR at their published budgets on the embedded
# image_photos32 prior, plus MGDM cut to DPS's denoiser cost (mgdm-k66); PSNR / SSIM and exp/RESULTS.md.
# The stages and every option: templates/restoration.sh (./run.sh --help). image_photos32's training (its
# MODEL_CARD.md) is --train_prior true with these --train_opts, resumable from exp/prior_train/checkpoint.pt.
set -euo pipefail

templates/restoration.sh --tasks "sr4 box random70" --samplers "mgdm mgdm-k66 dps diffpir" --prior image_photos32 \
  --train_opts "--resolution 32 --block-out-channels 16 32 64 64 --steps 100000 --max-minutes 48 --threads 1 --checkpoint-every 1000 --valid-scp data/valid/images.scp" \
  --paired "mgdm:dps mgdm-k66:dps mgdm:diffpir mgdm-k66:mgdm" "$@"
