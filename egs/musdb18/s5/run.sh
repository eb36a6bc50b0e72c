#!/usr/bin/env bash
# musdb18 s5: separate the MUSDB18-HQ test set into vocals, drums, bass and other with any 4-stem prior over
# those stems (--prior DIR, required: e.g. one converted by mgdm convert-msdm), with MGDM, Dirac and DPS, and
# score it (SI-SDRi, museval SDR) in the prior's stem order. Stage 0 writes the data mono at the prior's rate
# with spk1.scp … in its stem order (local/data.sh; MUSDB18HQ in db.sh).
# --protocol full (default): whole tracks through mgdm separate's overlapping segments;
# --protocol msdm: MSDM's chunking (non-overlapping --chunk samples, the last partial chunk dropped).
# These options are this recipe's; every other is templates/separation.sh's (its stages: ./run.sh --help).
set -euo pipefail

prior=
test_set=test
max_tracks=0
protocol=full
chunk=262144
pass_unknown_options=true
unknown_options=()
help_message="Usage: $0 --prior DIR [options]
Options of this recipe (defaults in brackets):
  --prior DIR                 a 4-stem prior over vocals, drums, bass, other (required)
  --test_set NAME             MUSDB18-HQ split [$test_set]
  --max_tracks N              only its first N tracks, 0: all [$max_tracks]
  --protocol full|msdm        whole tracks, or MSDM's chunking [$protocol]
  --chunk N                   chunk of the msdm protocol, samples [$chunk]
and every option of templates/separation.sh (templates/separation.sh --help)."

. utils/parse_options.sh

[ -n "$prior" ] || { echo "$0: --prior DIR is required (a 4-stem prior over vocals, drums, bass, other)" >&2; exit 1; }
case "$protocol" in
  msdm) eval_set="${test_set}_msdm"; data_chunk="$chunk" ;;
  full) eval_set="$test_set"; data_chunk=0 ;;
  *) echo "$0: --protocol must be full or msdm, got '$protocol'" >&2; exit 1 ;;
esac
templates/separation.sh --samplers "mgdm dirac dps" --prior "$prior" --protocol "$protocol" --test_set "$eval_set" \
  --data_opts "--prior $prior --split $test_set --chunk $data_chunk --max_tracks $max_tracks" \
  --score_prior_stems true --results_note "test set: data/$eval_set (MUSDB18-HQ, protocol $protocol)" \
  "${unknown_options[@]}"
