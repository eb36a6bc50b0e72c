#!/usr/bin/env bash
# Write <page-dir>/index.html (`mgdm report`): the results page of scored runs, one summary.json per system
# (separations: audio, spectrograms and SI-SDRi; image restorations: pictures and PSNR / SSIM).
set -euo pipefail

report_opts=
help_message="Usage: $0 [options] <page-dir> <summary.json> [<summary.json> ...]
Options:
  --report_opts OPTS   mgdm report options, e.g. \"--max-mb 20 --seconds 6\" (default: none)"

# shellcheck source=SCRIPTDIR/../utils/parse_options.sh
. utils/parse_options.sh

if [ $# -lt 2 ]; then
  echo "$help_message" >&2
  exit 1
fi
page="$1"
shift
read -r -a options <<< "$report_opts"
mgdm report "$page" "$@" "${options[@]}"
