#!/usr/bin/env bash
# Corpus root of the musdb18 recipe, sourced by local/data.sh (an environment variable of the same name wins).
# shellcheck disable=SC2034  # used by local/data.sh

# MUSDB18-HQ: <root>/{train,test}/<track>/{mixture,vocals,drums,bass,other}.wav. For MUSDB18 (.stem.mp4)
# run `musdbconvert <musdb18-root> <out>` (pip package musdb) and point this at <out>.
MUSDB18HQ="${MUSDB18HQ:-/path/to/musdb18hq}"
