#!/usr/bin/env bash
# Cut every utterance of a data dir into aligned <chunk-samples> excerpts (mixture and sources), keeping
# at most <per-utt> chunks per utterance among those where <min-active> sources are active (0: every
# source); writes a new data dir with its WAV files under <dest-data-dir>/wav/ (mgdm_audio.audio.corpora.chunking).
set -euo pipefail

if [ $# -ne 5 ]; then
  echo "Usage: $0 <src-data-dir> <chunk-samples> <per-utt> <min-active> <dest-data-dir>" >&2
  exit 1
fi
options=(--chunk-samples "$2" --per-utterance "$3")
[ "$4" -eq 0 ] || options+=(--min-active "$4")
mgdm chunk-data-dir "$1" "$5" "${options[@]}"
