#!/usr/bin/env bash
# slakh2100 s5: reproduce the published separation of the Slakh2100 test set into bass, drums, guitar and
# piano with the MSDM (or ISDM) prior: MGDM, MSDM's Dirac separator and DPS, scored by SI-SDRi (and museval
# SDR), as in MSDM / MGDM. Stage 0 writes the data dirs (local/data.sh; db.sh holds the corpus roots); stage 1
# converts the .ckpt checkpoint(s) and verifies them (local/prior.sh: mgdm convert-msdm), or takes --prior DIR.
# --protocol msdm (default): every track cut into non-overlapping 262,144-sample chunks, the last partial one
# dropped, each chunk separated on its own, chunks concatenated, scored on the whole chunks.
# --protocol full: whole tracks through mgdm separate's own overlapping segments.
# These options are this recipe's; every other is templates/separation.sh's (its stages: ./run.sh --help).
set -euo pipefail

layout=raw
test_set=test
max_tracks=0
protocol=msdm
chunk=262144
msdm_ckpt=
isdm_ckpts=
prior=
pass_unknown_options=true
unknown_options=()
help_message="Usage: $0 [options]
Options of this recipe (defaults in brackets):
  --layout raw|msdm           corpus layout: raw Slakh2100 or MSDM's pre-rendered 22 kHz test set [$layout]
  --test_set NAME             split to separate and score [$test_set]
  --max_tracks N              only its first N tracks, 0: all [$max_tracks]
  --protocol msdm|full        MSDM's chunking (published) or whole tracks [$protocol]
  --chunk N                   chunk of the msdm protocol, samples [$chunk]
  --msdm_ckpt FILE            MSDM checkpoint (.ckpt) to convert into exp/prior/msdm
  --isdm_ckpts \"B D G P\"      ISDM checkpoints, bass drums guitar piano, into exp/prior/isdm
  --prior DIR                 an already converted prior directory instead
and every option of templates/separation.sh (templates/separation.sh --help)."

. utils/parse_options.sh

case "$protocol" in
  msdm) eval_set="${test_set}_msdm"; data_chunk="$chunk" ;;
  full) eval_set="$test_set"; data_chunk=0 ;;
  *) echo "$0: --protocol must be msdm or full, got '$protocol'" >&2; exit 1 ;;
esac
prior_opts=()
[ -z "$msdm_ckpt" ] || prior_opts+=(--msdm_ckpt "$msdm_ckpt")
[ -z "$isdm_ckpts" ] || prior_opts+=(--isdm_ckpts "${isdm_ckpts// /,}")
[ -z "$prior" ] || prior_opts+=(--prior "$prior")
templates/separation.sh --samplers "mgdm dirac dps" --protocol "$protocol" --test_set "$eval_set" \
  --data_opts "--layout $layout --split $test_set --chunk $data_chunk --max_tracks $max_tracks" \
  --prior_opts "${prior_opts[*]}" \
  --results_note "test set: data/$eval_set ($layout layout, protocol $protocol)" "${unknown_options[@]}"
