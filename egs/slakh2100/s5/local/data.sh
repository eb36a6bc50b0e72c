#!/usr/bin/env bash
# Stage 0 of the slakh2100 recipe: the 4-stem (bass, drums, guitar, piano) 22,050 Hz mono data dir
# <data-dir>/<split> from a Slakh2100 root (db.sh), written by mgdm_audio.audio.corpora.slakh, and with
# --chunk N > 0 also <data-dir>/<split>_msdm: the tracks of at least one N-sample chunk and their
# mixtures cut into whole chunks (MSDM protocol). Converted audio goes to <db-dir>/<layout>/<split>.
set -euo pipefail

layout=raw
split=test
chunk=262144
max_tracks=0
help_message="Usage: $0 [options] <db-dir> <data-dir>
Options:
  --layout raw|msdm   raw Slakh2100 (\$SLAKH2100) or MSDM's pre-rendered set (\$SLAKH2100_MSDM) (default: $layout)
  --split NAME        (default: $split)
  --chunk N           MSDM protocol chunk in samples, 0: no protocol data dir (default: $chunk)
  --max_tracks N      first N tracks only, 0: all (default: $max_tracks)"

# shellcheck source=SCRIPTDIR/../utils/parse_options.sh
. utils/parse_options.sh
# shellcheck source=SCRIPTDIR/../db.sh
. ./db.sh

if [ $# -ne 2 ]; then
  echo "$help_message" >&2
  exit 1
fi
db="$1"
data="$2"

case "$layout" in
  raw) root="$SLAKH2100" ;;
  msdm) root="$SLAKH2100_MSDM" ;;
  *) echo "$0: --layout must be raw or msdm, got '$layout'" >&2; exit 1 ;;
esac
mgdm slakh prepare "$layout" "$root" "$data/$split" --audio-dir "$db/$layout/$split" \
  --split "$split" --max-tracks "$max_tracks"
if [ "$chunk" -gt 0 ]; then
  mgdm slakh chunk "$data/$split" "$data/${split}_msdm" --chunk "$chunk"
fi
