#!/usr/bin/env bash
# Stage 0 of the ffhq recipe: the first <num_images> images (by name) of a local FFHQ / CelebA-HQ
# folder as the data dir <data-dir>/test/images.scp ('<id> <path>').
set -euo pipefail

num_images=100
help_message="Usage: $0 [options] <image-dir> <data-dir>
Options:
  --num_images N   images to restore, 0: all (default: $num_images)"

# shellcheck source=SCRIPTDIR/../utils/parse_options.sh
. utils/parse_options.sh

if [ $# -ne 2 ]; then
  echo "$help_message" >&2
  exit 1
fi
images="$1"
data="$2"
if [ ! -d "$images" ]; then
  echo "$0: image folder $images not found; set FFHQ_DIR in db.sh to a local FFHQ or CelebA-HQ folder" >&2
  exit 1
fi
mkdir -p "$data/test"
find "$images" -maxdepth 1 -type f \( -iname '*.png' -o -iname '*.jpg' -o -iname '*.jpeg' \) | sort \
  | { if [ "$num_images" -gt 0 ]; then head -n "$num_images"; else cat; fi; } \
  | while read -r path; do
      name=$(basename "$path")
      echo "${name%.*} $(realpath "$path")"
    done > "$data/test/images.scp"
if [ ! -s "$data/test/images.scp" ]; then
  echo "$0: no .png/.jpg/.jpeg images in $images" >&2
  exit 1
fi
echo "$0: $(wc -l < "$data/test/images.scp") image(s) of $images listed in $data/test/images.scp"
