#!/usr/bin/env bash
# Usage: combine_data_dir.sh OUT_DIR SRC_DIR SRC_DIR...
# Writes OUT_DIR, a data dir listing every utterance of the SRC_DIRs (Kaldi's utils/combine_data.sh for
# our files: wav.scp, spk1.scp … spkN.scp, utt2num_samples). The sources must have the same spk files and
# no utterance id in common; the lists are merged in C-locale order, as the data-dir readers expect.
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: $0 OUT_DIR SRC_DIR SRC_DIR..." >&2
  exit 1
fi
out=$1; shift
files=$(cd "$1" && ls wav.scp spk*.scp utt2num_samples)
for src in "$@"; do
  [ "$(cd "$src" && ls wav.scp spk*.scp utt2num_samples)" = "$files" ] \
    || { echo "$0: $src: its files differ from $1's ($(echo $files))" >&2; exit 1; }
done
duplicates=$(cat "${@/%//wav.scp}" | cut -d' ' -f1 | LC_ALL=C sort | uniq -d | head -1)
[ -z "$duplicates" ] || { echo "$0: utterance id $duplicates is in more than one source" >&2; exit 1; }
mkdir -p "$out"
for file in $files; do
  cat "${@/%//$file}" | LC_ALL=C sort > "$out/.$file.tmp"
  mv "$out/.$file.tmp" "$out/$file"
done
echo "$0: $(wc -l < "$out/wav.scp") utterances from $# dirs in $out"
