#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The audio restoration recipe: every stage, its options and its help, for each egs/<corpus>/restore/run.sh. Run
# from the recipe's folder: it reads the recipe's path.sh, cmd.sh and local/data.sh.
#   stage 0: data: local/data.sh <data_opts> <db> data
#   stage 1: excerpts of the test data dir (one per track) degraded by every task:level and restored by every
#            system, scored against the clean excerpt (mgdm bench restoration; resumable): exp/<tag>/runs.csv
#   stage 2: exp/<tag>/results.md, copied to exp/RESULTS.md: means with 95 % intervals, MGDM's paired differences
#   stage 3: a listening page: the first <page_tracks> test tracks cut to <seconds> s (one excerpt each, every stem
#            active), restored by mgdm restore with each sampler of <systems> at each of <page_cells>, scored
#            (mgdm restore-score) and shown with the clean and degraded inputs (mgdm report):
#            exp/<tag>_page/page/index.html
# Systems: degraded (the input itself), classical (Janssen for gaps, A-SPADE for clipping), and samplers (mgdm,
# dps; dps skips the codec, which has no gradient).
set -euo pipefail

stage=0
stop_stage=3
cells="gaps:20 gaps:50 gaps:100 gaps:200 lowpass:2000 lowpass:4000 lowpass:8000 clip:1 clip:3 clip:7 codec:6"
systems="degraded classical mgdm dps"
db=db
data_opts="--train_tracks 0"
test_dir=
tag=test
excerpts=20
seconds=4
prior=default
separator=default
bench_opts=
page_cells="gaps:50 clip:3 lowpass:4000 codec:6"
page_tracks=4
mgdm_opts=
dps_opts=
help_message="Usage: $0 [options]
Options (defaults in brackets):
  --stage N --stop_stage M     run stages N..M [$stage..$stop_stage]
  --cells \"T:L ...\"            task:level pairs [$cells]
  --systems \"S ...\"            degraded, classical and samplers [$systems]
  --db DIR                     the corpus local/data.sh renders [$db]
  --data_opts \"OPTS\"           local/data.sh options (stage 0) [$data_opts]
  --test_dir DIR               the data dir whose excerpts are restored [data/test]; another corpus's split,
                               e.g. /data/varied4/data/test (then start at stage 1)
  --tag NAME                   exp/<NAME> holds its runs [$tag]
  --excerpts N                 excerpts, one per track [$excerpts]
  --seconds S                  excerpt length [$seconds]
  --prior NAME|DIR             music prior [$prior]
  --separator NAME|DIR         separator of the warm start [$separator]
  --bench_opts \"OPTS\"          more mgdm bench restoration options, e.g. \"--set dps.steps=64\" [$bench_opts]
  --page_cells \"T:L ...\"       task:level pairs of the listening page (stage 3) [$page_cells]
  --page_tracks N              tracks on the page [$page_tracks]
  --mgdm_opts \"OPTS\"           mgdm restore options of MGDM on the page, e.g. \"--steps 12\" [$mgdm_opts]
  --dps_opts \"OPTS\"            mgdm restore options of DPS on the page, e.g. \"--steps 64\" [$dps_opts]"

. ./path.sh
. utils/parse_options.sh
test_dir="${test_dir:-data/test}"

if [ "$stage" -le 0 ] && [ "$stop_stage" -ge 0 ]; then
  echo "stage 0: data"
  read -r -a options <<< "$data_opts"
  local/data.sh "${options[@]}" "$db" data
fi

if [ "$stage" -le 1 ] && [ "$stop_stage" -ge 1 ]; then
  echo "stage 1: restoration of $test_dir into exp/$tag"
  mkdir -p exp
  read -r -a options <<< "$bench_opts"
  read -r -a cell_list <<< "$cells"
  read -r -a system_list <<< "$systems"
  mgdm bench restoration "$test_dir" --out "exp/$tag" --cells "${cell_list[@]}" --systems "${system_list[@]}" \
    --excerpts "$excerpts" --seconds "$seconds" --prior "$prior" --separator "$separator" "${options[@]}" \
    > "exp/$tag.log"
fi

if [ "$stage" -le 2 ] && [ "$stop_stage" -ge 2 ]; then
  echo "stage 2: results"
  mkdir -p exp
  cp "exp/$tag/results.md" exp/RESULTS.md
  cat exp/RESULTS.md
fi

if [ "$stage" -le 3 ] && [ "$stop_stage" -ge 3 ]; then
  page="exp/${tag}_page"
  echo "stage 3: listening page of $page_tracks excerpts of $test_dir: $page/page/index.html"
  if [ ! -f "$page/excerpts/wav.scp" ]; then
    utils/subset_data_dir.sh "$test_dir" "$page_tracks" "$page/tracks"
    first_track="$(head -n 1 "$page/tracks/wav.scp" | cut -d' ' -f2)"
    rate="$(python -c 'import sys, soundfile; print(soundfile.info(sys.argv[1]).samplerate)' "$first_track")"
    chunk_samples="$(python -c 'import sys; print(round(float(sys.argv[1]) * int(sys.argv[2])))' "$seconds" "$rate")"
    utils/chunk_data_dir.sh "$page/tracks" "$chunk_samples" 1 0 "$page/excerpts"
  fi
  # Each excerpt as <utt>.wav: mgdm restore names a track's folder by its file's name.
  mkdir -p "$page/inputs"
  inputs=()
  while read -r utt path; do
    ln -sf "$(realpath "$path")" "$page/inputs/$utt.wav"
    inputs+=("$page/inputs/$utt.wav")
  done < "$page/excerpts/wav.scp"
  read -r -a cell_list <<< "$page_cells"
  read -r -a system_list <<< "$systems"
  summaries=()
  for cell in "${cell_list[@]}"; do
    task="${cell%%:*}"
    level="${cell#*:}"
    for sampler in "${system_list[@]}"; do
      case "$sampler" in degraded|classical) continue ;; esac
      if [ "$sampler" = dps ] && [ "$task" = codec ]; then
        continue  # the codec has no gradient for DPS to take
      fi
      options_name="${sampler}_opts"
      read -r -a options <<< "${!options_name:-}"
      mgdm restore "${inputs[@]}" --task "$task" --level "$level" --sampler "$sampler" --prior "$prior" \
        --separator "$separator" -o "$page/restored/$sampler" --resume "${options[@]}" 2>> "$page/restore.log"
      for restore_dir in "$page/restored/$sampler"/*/"${task}_${level}"; do
        mgdm restore-score "$restore_dir" "$page/scores/${sampler}_${task}_${level}"
        summaries+=("$page/scores/${sampler}_${task}_${level}/summary.json")
      done
    done
  done
  steps/report.sh "$page/page" "${summaries[@]}"
fi
