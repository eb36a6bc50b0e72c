#!/usr/bin/env bash
# Resolve an image prior (a packaged name such as image_default, or a diffusers directory) to an
# absolute directory, check that it is in a diffusers layout, and record its path in <out-file>.
set -euo pipefail

usage="Usage: $0 <prior: NAME|DIR> <out-file>"
if [ $# -ne 2 ]; then
  echo "$usage" >&2
  exit 1
fi
prior_dir=$(python -c 'import sys
from mgdm_audio.image.priors.diffusers_layout import is_diffusers_directory
from mgdm_audio.core.priors.loading import resolve
directory = resolve(sys.argv[1]).resolve()
if not is_diffusers_directory(directory):
    sys.exit(f"resolve_image_prior.sh: no diffusers prior in {directory} (model_index.json, unet/ or scheduler_config.json)")
print(directory)' "$1") || exit 1
mkdir -p "$(dirname "$2")"
echo "$prior_dir" > "$2"
echo "$0: prior $prior_dir recorded in $2"
