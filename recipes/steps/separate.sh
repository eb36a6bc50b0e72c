#!/usr/bin/env bash
# Separate every mixture of a data dir with one sampler, as --nj jobs run by --cmd, resumably.
#
# wav.scp is split into --nj lists; job n separates a folder of links <utt>.<ext> -> mixture
# (so tracks are named by utterance id) with `mgdm separate --resume`, logging to
# <exp-dir>/log/separate.<n>.log. mgdm writes <exp-dir>/out/<prior-name>/<utt>/; the gather step
# links <exp-dir>/<utt> to it, the layout `mgdm score` reads. A rerun with the same settings
# redoes only the tracks (or segments) that are missing.
set -euo pipefail

nj=4
cmd=utils/run_local.sh
sampler=mgdm
conf=
extra_opts=
help_message="Usage: $0 [options] <data-dir> <prior-dir> <exp-dir>
Options:
  --nj N             number of jobs (at most one per utterance) (default: $nj)
  --cmd CMD          job launcher, e.g. utils/run_local.sh (default: $cmd)
  --sampler NAME     mgdm, dirac or dps (default: $sampler)
  --conf FILE        sampler options, one per line (utils/read_conf.sh) (default: none)
  --extra_opts OPTS  more mgdm separate options, split on spaces, after the conf's (default: none)"

# shellcheck source=SCRIPTDIR/../utils/parse_options.sh
. utils/parse_options.sh

if [ $# -ne 3 ]; then
  echo "$help_message" >&2
  exit 1
fi
data="$1"
prior_dir="$2"
dir="$3"

mapfile -t options < <(utils/conf_options.sh "$conf" "$extra_opts")

num_utts=$(wc -l < "$data/wav.scp")
[ "$num_utts" -gt 0 ] || { echo "$0: $data/wav.scp is empty" >&2; exit 1; }
[ "$nj" -le "$num_utts" ] || nj=$num_utts

split_dir="$dir/split$nj"
rm -rf "$split_dir"
lists=()
for (( job = 1; job <= nj; job++ )); do
  lists+=("$split_dir/wav.$job.scp")
done
utils/split_scp.sh "$data/wav.scp" "${lists[@]}"
for (( job = 1; job <= nj; job++ )); do
  utils/link_scp.sh "$split_dir/wav.$job.scp" "$split_dir/$job"
done

echo "$0: separating $num_utts mixture(s) of $data with $sampler in $nj job(s), logs in $dir/log"
$cmd "JOB=1:$nj" "$dir/log/separate.JOB.log" \
  mgdm separate --resume --sampler "$sampler" --prior "$prior_dir" -o "$dir/out" "${options[@]}" "$split_dir/JOB"

prior_name=$(basename "$(realpath "$prior_dir")")
while read -r utt _; do
  if [ ! -f "$dir/out/$prior_name/$utt/separation.json" ]; then
    echo "$0: no separation of $utt in $dir/out/$prior_name; see $dir/log" >&2
    exit 1
  fi
  ln -sfn "out/$prior_name/$utt" "$dir/$utt"
done < "$data/wav.scp"
echo "$0: $num_utts separation(s) in $dir/<utt>/"
