#!/usr/bin/env bash
# Stage 0 of the faces recipe: the 100 face crops of scikit-image's data.lfw_subset() (in its wheel:
# no download) as PNG files in <db-dir>, and the data dirs <data-dir>/{train,test}/images.scp of a
# seeded split. Needs scikit-image (pip install -e '.[images]').
set -euo pipefail

resolution=24
num_test=50
seed=0
help_message="Usage: $0 [options] <db-dir> <data-dir>
Options:
  --resolution N   side of the square images in pixels (the crops are 25x25) (default: $resolution)
  --num_test N     held-out faces; the other 100 - N train the prior (default: $num_test)
  --seed N         split seed (default: $seed)"

# shellcheck source=SCRIPTDIR/../utils/parse_options.sh
. utils/parse_options.sh

if [ $# -ne 2 ]; then
  echo "$help_message" >&2
  exit 1
fi
if ! python -c "import skimage" 2> /dev/null; then
  echo "$0: scikit-image is not installed (it ships the faces): pip install 'scikit-image>=0.19', or the package's [images] extra" >&2
  exit 1
fi
python local/prepare_faces.py "$1" "$2" --resolution "$resolution" --num-test "$num_test" --seed "$seed"
