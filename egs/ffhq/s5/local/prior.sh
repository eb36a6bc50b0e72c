#!/usr/bin/env bash
# Stage 1 of the ffhq recipe: record the prior PRIOR_DIR (db.sh) in <out-file>: a diffusers folder as it is, or a
# guided-diffusion ADM checkpoint (.pt) converted once into exp/prior/adm (safetensors + config.json).
# Usage: local/prior.sh [--adm_model NAME] [more mgdm convert-adm options] <out-file>
set -euo pipefail

# shellcheck source=SCRIPTDIR/../db.sh
. ./db.sh

adm_model=ffhq256
convert=()
while [ $# -gt 1 ]; do
  case "$1" in
    --adm_model) adm_model="$2"; shift 2 ;;
    *) convert+=("$1"); shift ;;
  esac
done
if [ $# -ne 1 ]; then
  echo "Usage: $0 [--adm_model NAME] [more mgdm convert-adm options] <out-file>" >&2
  exit 1
fi
out_file="$1"

if [ -f "$PRIOR_DIR" ]; then
  # An ADM checkpoint: convert it once (safetensors + config.json), then restore with the converted folder.
  if [ ! -f exp/prior/adm/model.safetensors ]; then
    mgdm convert-adm "$PRIOR_DIR" exp/prior/adm --model "$adm_model" "${convert[@]}"
  fi
  mkdir -p "$(dirname "$out_file")"
  (cd exp/prior/adm && pwd) > "$out_file"
  echo "$0: ADM prior $(cat "$out_file") recorded in $out_file"
elif [ -d "$PRIOR_DIR" ]; then
  steps/resolve_image_prior.sh "$PRIOR_DIR" "$out_file"
else
  echo "$0: prior folder or checkpoint $PRIOR_DIR not found; set PRIOR_DIR in db.sh to a local diffusers folder or ADM .pt" >&2
  exit 1
fi
