#!/usr/bin/env bash
# Score the restorations of <restore-dir>/images (PSNR / SSIM against each input) into <score-dir>:
# scores.csv and summary.json (mgdm restore-score).
set -euo pipefail

usage="Usage: $0 <restore-dir> <score-dir>"
if [ $# -ne 2 ]; then
  echo "$usage" >&2
  exit 1
fi
mgdm restore-score "$1/images" "$2"
