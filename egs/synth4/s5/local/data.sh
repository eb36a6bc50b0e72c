#!/usr/bin/env bash
# Stage 0 of the synth4 recipe: render the synth4 corpus with FluidSynth (`mgdm prepare-synth4`)
# into <db-dir>/audio and its data dirs <data-dir>/{train,valid,test}. Resumable: rendered tracks
# are kept.
set -euo pipefail

train_tracks=240
valid_tracks=20
test_tracks=20
track_seconds=30
test_track_seconds=
sample_rate=22050
seed=0
nj=2
help_message="Usage: $0 [options] <db-dir> <data-dir>
Options:
  --train_tracks N          (default: $train_tracks)
  --valid_tracks N          (default: $valid_tracks)
  --test_tracks N           (default: $test_tracks)
  --track_seconds S         length of every track (default: $track_seconds)
  --test_track_seconds S    length of test tracks (default: --track_seconds)
  --sample_rate HZ          (default: $sample_rate)
  --seed N                  corpus seed (default: $seed)
  --nj N                    tracks rendered in parallel (default: $nj)"

# shellcheck source=SCRIPTDIR/../utils/parse_options.sh
. utils/parse_options.sh

if [ $# -ne 2 ]; then
  echo "$help_message" >&2
  exit 1
fi
db="$1"
data="$2"

options=(--train-tracks "$train_tracks" --valid-tracks "$valid_tracks" --test-tracks "$test_tracks"
         --track-seconds "$track_seconds" --sample-rate "$sample_rate" --seed "$seed" --jobs "$nj")
if [ -n "$test_track_seconds" ]; then
  options+=(--test-track-seconds "$test_track_seconds")
fi
mgdm prepare-synth4 "$db" --audio-dir "$db/audio" --data-dir "$data" "${options[@]}"
