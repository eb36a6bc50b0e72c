#!/usr/bin/env bash
# Score the restorations of <restore-dir>/images (PSNR / SSIM against each input) into <score-dir>:
# scores.csv and summary.json (mgdm restore-score).
set -euo pipefail

label=
help_message="Usage: $0 [options] <restore-dir> <score-dir>
Options:
  --label NAME   the rows' name in the report (default: the sampler's)"

# shellcheck source=SCRIPTDIR/../utils/parse_options.sh
. utils/parse_options.sh

if [ $# -ne 2 ]; then
  echo "$help_message" >&2
  exit 1
fi
options=()
if [ -n "$label" ]; then
  options=(--label "$label")
fi
mgdm restore-score "${options[@]}" "$1/images" "$2"
