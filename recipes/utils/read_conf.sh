#!/usr/bin/env bash
# Print the options of a conf file one argument per line: each non-blank line holds one option,
# "--name" or "--name value" (the value is the rest of the line and may contain spaces); text
# after "#" is a comment. Read the output with: mapfile -t options < <(utils/read_conf.sh FILE)
set -euo pipefail

usage="Usage: $0 <conf-file>"
if [ $# -ne 1 ]; then
  echo "$usage" >&2
  exit 1
fi
conf="$1"
[ -f "$conf" ] || { echo "$0: no conf file $conf" >&2; exit 1; }
while IFS= read -r line || [ -n "$line" ]; do
  line="${line%%#*}"
  read -r name value <<< "$line" || true
  [ -n "${name:-}" ] || continue
  if [[ "$name" != --* ]]; then
    echo "$0: $conf: expected '--name [value]', got '$line'" >&2
    exit 1
  fi
  printf '%s\n' "$name"
  if [ -n "${value:-}" ]; then
    printf '%s\n' "$value"
  fi
done < "$conf"
