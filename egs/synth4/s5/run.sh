#!/usr/bin/env bash
# synth4 s5: separate the synth4 test set into bass, drums, guitar and piano with each sampler on one
# multi-source diffusion prior (the packaged one, or one trained here with --train_prior true), score it
# (SI-SDRi, museval SDR) and write exp/RESULTS.md. The stages and every option: templates/separation.sh
# (./run.sh --help); local/data.sh renders the corpus (mgdm prepare-synth4; --data_opts "--test_tracks 2").
set -euo pipefail

templates/separation.sh --samplers "mgdm dirac dps" --prior default "$@"
