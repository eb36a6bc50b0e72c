#!/usr/bin/env bash
# Stage 0 of the photos recipe: 32x32 grey patches of the natural photos shipped inside the scikit-image
# and scikit-learn wheels (no download) as PNG files in <db-dir>, and the data dirs
# <data-dir>/{train,valid,test}/images.scp of a seeded split that holds out whole photos
# (local/prepare_photos.py). Needs scikit-image and scikit-learn (pip install -e '.[images]' and scikit-learn).
set -euo pipefail

resolution=32
short_side=192
num_test=50
seed=0
help_message="Usage: $0 [options] <db-dir> <data-dir>
Options:
  --resolution N   patch side in pixels (default: $resolution)
  --short_side N   photos resized to this shorter side before cutting (default: $short_side)
  --num_test N     test patches at most, from the held-out test photos (default: $num_test)
  --seed N         split seed (default: $seed)"

# shellcheck source=SCRIPTDIR/../utils/parse_options.sh
. utils/parse_options.sh

if [ $# -ne 2 ]; then
  echo "$help_message" >&2
  exit 1
fi
for module in skimage sklearn; do
  if ! python -c "import $module" 2> /dev/null; then
    echo "$0: $module is not installed (it ships the photos): pip install scikit-image scikit-learn" >&2
    exit 1
  fi
done
python local/prepare_photos.py "$1" "$2" --resolution "$resolution" --short-side "$short_side" \
  --num-test "$num_test" --seed "$seed"
