#!/usr/bin/env bash
# shellcheck disable=SC2034  # used by run.sh
# Local copies the ffhq recipe reads (nothing is downloaded): set these, or export them.
# A folder of 256x256 FFHQ or CelebA-HQ test images (PNG/JPEG; other sizes are resized and centre-cropped).
FFHQ_DIR="${FFHQ_DIR:-/data/ffhq256}"
# The prior: a diffusers folder, e.g. a local copy of google/ddpm-celebahq-256 (pixel) or
# CompVis/ldm-celebahq-256 (latent: unet/, vqvae/, scheduler/), or a guided-diffusion ADM checkpoint,
# e.g. DPS's ffhq_10m.pt (converted in stage 1; run.sh --adm_model names its flags).
PRIOR_DIR="${PRIOR_DIR:-/data/models/ddpm-celebahq-256}"
