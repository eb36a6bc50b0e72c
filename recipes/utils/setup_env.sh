#!/usr/bin/env bash
# shellcheck shell=bash
# The environment every recipe runs in, sourced by its path.sh: the repository's virtual environment
# (when there is one) so that `mgdm` and its Python are on PATH, and one math thread per job.
# shellcheck disable=SC2034  # nothing here is used in this file

# The repository root, two levels above this file's real folder, recipes/utils (a recipe's utils/ is a
# link to it, so a copy of the recipe dir finds the root too).
MAIN_ROOT=$(cd -P "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
if [ -f "$MAIN_ROOT/.venv/bin/activate" ]; then
  # shellcheck disable=SC1091
  . "$MAIN_ROOT/.venv/bin/activate"
fi
if ! command -v mgdm > /dev/null; then
  echo "path.sh: mgdm not found: install the package (make venv, or pip install -e $MAIN_ROOT)" >&2
  return 1
fi
# Parallel jobs each using every core slow each other down badly (about 15x measured for
# `mgdm separate` on 2 loaded cores), so, as ESPnet does, one thread per job unless set.
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
export LC_ALL=C
