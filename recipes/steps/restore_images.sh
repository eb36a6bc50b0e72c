#!/usr/bin/env bash
# Restore every image of a data dir (<data-dir>/images.scp, '<id> <path>') for one task with one
# sampler: `mgdm restore --resume` on a folder of links <id>.<ext> -> image (so outputs are named by
# id; all images form one batch unless the conf sets --batch-size), logging to <exp-dir>/log/restore.log.
# Outputs: <exp-dir>/out/<prior-name>/<task>/<id>/, linked as <exp-dir>/images. A rerun with equal
# settings redoes only the missing images.
set -euo pipefail

cmd=utils/run_local.sh
task=sr4
sampler=mgdm
conf=
extra_opts=
help_message="Usage: $0 [options] <data-dir> <prior-dir> <exp-dir>
Options:
  --cmd CMD          job launcher (default: $cmd)
  --task NAME        image task, e.g. sr4, box, random70, gaussian_blur, denoise (default: $task)
  --sampler NAME     mgdm, dps, diffpir, ... (default: $sampler)
  --conf FILE        mgdm restore options, one per line (utils/read_conf.sh) (default: none)
  --extra_opts OPTS  more mgdm restore options, split on spaces, after the conf's (default: none)"

# shellcheck source=SCRIPTDIR/../utils/parse_options.sh
. utils/parse_options.sh

if [ $# -ne 3 ]; then
  echo "$help_message" >&2
  exit 1
fi
data="$1"
prior_dir="$2"
dir="$3"
[ -s "$data/images.scp" ] || { echo "$0: no images in $data/images.scp" >&2; exit 1; }

mapfile -t options < <(utils/conf_options.sh "$conf" "$extra_opts")

rm -rf "$dir/in"
utils/link_scp.sh "$data/images.scp" "$dir/in"

echo "$0: $task with $sampler on $(wc -l < "$data/images.scp") image(s) of $data, log in $dir/log/restore.log"
$cmd "$dir/log/restore.log" mgdm restore --resume --task "$task" --sampler "$sampler" --prior "$prior_dir" \
  -o "$dir/out" "${options[@]}" "$dir/in"
ln -sfn "out/$(basename "$(realpath "$prior_dir")")/$task" "$dir/images"
tail -n 1 "$dir/log/restore.log"
