#!/usr/bin/env bash
# Print a step's options for its mgdm command one argument per line: those of <conf-file> (as
# utils/read_conf.sh reads them; none when <conf-file> is empty), then <extra-opts> split on spaces.
# Read the output with: mapfile -t options < <(utils/conf_options.sh "$conf" "$extra_opts")
set -euo pipefail

usage="Usage: $0 <conf-file|\"\"> [<extra-opts>]"
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "$usage" >&2
  exit 1
fi
if [ -n "$1" ]; then
  "$(dirname "$0")/read_conf.sh" "$1"
fi
read -r -a extra <<< "${2:-}"
if [ "${#extra[@]}" -gt 0 ]; then
  printf '%s\n' "${extra[@]}"
fi
