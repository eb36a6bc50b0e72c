#!/usr/bin/env bash
# synth4 restore: declipping, gap filling, bandwidth extension and an MP3 round trip on 4 s excerpts of the synth4
# test set, each restored by the classical method, DPS and MGDM with the packaged prior, against the degraded input
# (SDR, SI-SDR, LSD, the stems' SI-SDRi; exp/RESULTS.md), then a listening page of 4 excerpts. The stages and
# every option: templates/audio_restoration.sh (./run.sh --help); --test_dir /data/varied4/data/test --tag varied4
# --stage 1 restores the unseen-material split instead. DPS runs 64 steps from the warm start: MGDM's cost.
set -euo pipefail

templates/audio_restoration.sh --bench_opts "--set dps.steps=64" --dps_opts "--steps 64" "$@"
