#!/usr/bin/env bash
# Corpus roots of the slakh2100 recipe, sourced by run.sh (an environment variable of the same name wins).
# shellcheck disable=SC2034  # used by local/data.sh through run.sh

# The original corpus (e.g. slakh2100_flac_redux): <root>/test/TrackNNNNN/{metadata.yaml, stems/SNN.flac}.
SLAKH2100="${SLAKH2100:-/path/to/slakh2100_flac_redux}"
# MSDM's pre-rendered 22,050 Hz set: <root>/test/TrackNNNNN/{bass,drums,guitar,piano}.wav.
SLAKH2100_MSDM="${SLAKH2100_MSDM:-/path/to/msdm/slakh2100}"
