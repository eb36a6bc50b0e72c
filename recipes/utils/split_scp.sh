#!/usr/bin/env bash
# Split a Kaldi list file into contiguous, nearly equal parts (sizes differ by at most one line,
# order kept), one per output file, as Kaldi's split_scp.pl does.
set -euo pipefail

usage="Usage: $0 <in.scp> <out1.scp> [<out2.scp> ...]"
if [ $# -lt 2 ]; then
  echo "$usage" >&2
  exit 1
fi
input="$1"
shift
num_parts=$#
num_lines=$(wc -l < "$input")
if [ "$num_lines" -lt "$num_parts" ]; then
  echo "$0: cannot split $num_lines line(s) of $input into $num_parts parts" >&2
  exit 1
fi
first=1
part=0
for output in "$@"; do
  size=$(( num_lines / num_parts + (part < num_lines % num_parts ? 1 : 0) ))
  mkdir -p "$(dirname "$output")"
  tail -n "+$first" "$input" | head -n "$size" > "$output"
  first=$(( first + size ))
  part=$(( part + 1 ))
done
