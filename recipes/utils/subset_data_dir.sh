#!/usr/bin/env bash
# Copy the first <n> utterances of a data dir (every list file: wav.scp, spkN.scp,
# utt2num_samples) into a new data dir, for quick runs.
set -euo pipefail

usage="Usage: $0 <src-data-dir> <n> <dest-data-dir>"
if [ $# -ne 3 ]; then
  echo "$usage" >&2
  exit 1
fi
src="$1"
num_utts="$2"
dest="$3"
[ -f "$src/wav.scp" ] || { echo "$0: no $src/wav.scp" >&2; exit 1; }
mkdir -p "$dest"
head -n "$num_utts" "$src/wav.scp" | cut -d' ' -f1 > "$dest/.utt_ids"
for list in "$src"/wav.scp "$src"/spk*.scp "$src"/utt2num_samples; do
  [ -f "$list" ] || continue
  awk 'NR == FNR { keep[$1] = 1; next } ($1 in keep)' "$dest/.utt_ids" "$list" > "$dest/$(basename "$list")"
done
rm "$dest/.utt_ids"
