#!/usr/bin/env bash
# Resolve a prior ("default", the packaged one, or a prior directory) to an absolute directory,
# check that it holds a saved prior, and record its path in <out-file>.
set -euo pipefail

usage="Usage: $0 <prior: default|DIR> <out-file>"
if [ $# -ne 2 ]; then
  echo "$usage" >&2
  exit 1
fi
prior="$1"
out_file="$2"
if ! prior_dir=$(mgdm prior-info "$prior" path --layout mgdm); then
  echo "$0: no prior at $prior; train one (--train_prior true) or pass --prior DIR" >&2
  exit 1
fi
mkdir -p "$(dirname "$out_file")"
echo "$prior_dir" > "$out_file"
echo "$0: prior $prior_dir recorded in $out_file"
