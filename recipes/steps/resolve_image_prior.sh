#!/usr/bin/env bash
# Resolve an image prior (a packaged name such as image_default, or a diffusers directory) to an
# absolute directory, check that it is in a diffusers layout, and record its path in <out-file>.
set -euo pipefail

usage="Usage: $0 <prior: NAME|DIR> <out-file>"
if [ $# -ne 2 ]; then
  echo "$usage" >&2
  exit 1
fi
prior_dir=$(mgdm prior-info "$1" path --layout diffusers) || exit 1
mkdir -p "$(dirname "$2")"
echo "$prior_dir" > "$2"
echo "$0: prior $prior_dir recorded in $2"
