#!/usr/bin/env bash
# Score a separation dir (<sep-dir>/<utt>/<stem>.wav) against a data dir with `mgdm score`,
# logging to <score-dir>/log/score.log; writes summary.json and the other tables to <score-dir>.
set -euo pipefail

cmd=utils/run_local.sh
score_opts=
help_message="Usage: $0 [options] <data-dir> <sep-dir> <score-dir>
Options:
  --cmd CMD          job launcher (default: $cmd)
  --score_opts OPTS  more mgdm score options, split on spaces, e.g. --no-museval (default: none)"

# shellcheck source=SCRIPTDIR/../utils/parse_options.sh
. utils/parse_options.sh

if [ $# -ne 3 ]; then
  echo "$help_message" >&2
  exit 1
fi
data="$1"
sep_dir="$2"
dir="$3"

read -r -a options <<< "$score_opts"
$cmd "$dir/log/score.log" mgdm score "$data" "$sep_dir" -o "$dir" "${options[@]}"
cat "$dir/summary.md"
