#!/usr/bin/env bash
# Stage 0 of the musdb18 recipe: the data dir <data-dir>/<split> of MUSDB18-HQ ($MUSDB18HQ in db.sh),
# mono at --prior's rate with spk1.scp … in its stem order (mgdm_audio.audio.corpora.musdb), and
# with --chunk N > 0 also <data-dir>/<split>_msdm, the MSDM protocol's whole chunks.
set -euo pipefail

prior=
split=test
chunk=0
max_tracks=0
help_message="Usage: $0 --prior DIR [options] <db-dir> <data-dir>
Options:
  --prior DIR         the prior whose rate and stem order the data follow (required)
  --split NAME        train or test (default: $split)
  --chunk N           MSDM protocol chunk in samples, 0: none (default: $chunk)
  --max_tracks N      first N tracks only, 0: all (default: $max_tracks)"

# shellcheck source=SCRIPTDIR/../utils/parse_options.sh
. utils/parse_options.sh
# shellcheck source=SCRIPTDIR/../db.sh
. ./db.sh

if [ $# -ne 2 ] || [ -z "$prior" ]; then
  echo "$help_message" >&2
  exit 1
fi
db="$1"
data="$2"

mgdm prepare-musdb "$MUSDB18HQ" "$data/$split" --audio-dir "$db/$split" --prior "$prior" \
  --split "$split" --max-tracks "$max_tracks"
if [ "$chunk" -gt 0 ]; then
  mgdm slakh chunk "$data/$split" "$data/${split}_msdm" --chunk "$chunk"
fi
