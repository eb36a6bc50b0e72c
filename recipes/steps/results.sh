#!/usr/bin/env bash
# Write <exp-dir>/RESULTS.md and its bar chart (`mgdm results`) from <exp-dir>/score_<sampler>/summary.json
# of each sampler, noting the prior, the test set and each sampler's mgdm separate options.
set -euo pipefail

conf_dir=conf
extra_opts=
note=
help_message="Usage: $0 [options] <exp-dir> <sampler> [<sampler> ...]
Options:
  --conf_dir DIR     where separate_<sampler>.conf are (default: $conf_dir)
  --extra_opts OPTS  options given after every sampler's conf, noted with it (default: none)
  --note TEXT        one more line for the page's header (default: none)"

# shellcheck source=SCRIPTDIR/../utils/parse_options.sh
. utils/parse_options.sh

if [ $# -lt 2 ]; then
  echo "$help_message" >&2
  exit 1
fi
exp="$1"
shift
summaries=()
notes=(--note "prior: $(cat "$exp/prior/prior_path")")
[ -z "$note" ] || notes+=(--note "$note")
for sampler in "$@"; do
  summaries+=("$exp/score_$sampler/summary.json")
  settings=$(utils/read_conf.sh "$conf_dir/separate_$sampler.conf" | tr '\n' ' ')
  notes+=(--note "$sampler: mgdm separate --sampler $sampler $settings$extra_opts")
done
mgdm results "$exp/RESULTS.md" "${summaries[@]}" --labels "$@" "${notes[@]}"
