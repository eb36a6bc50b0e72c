#!/usr/bin/env bash
# Link the file of every '<id> <path>' line of a list as <dir>/<id>.<extension of path>, so that a tool
# run on <dir> names its outputs by id. <dir> is created when missing.
set -euo pipefail

usage="Usage: $0 <list.scp> <dir>"
if [ $# -ne 2 ]; then
  echo "$usage" >&2
  exit 1
fi
mkdir -p "$2"
while read -r id path; do
  ln -s "$(realpath "$path")" "$2/$id.${path##*.}"
done < "$1"
