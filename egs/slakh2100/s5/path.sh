#!/usr/bin/env bash
# Environment of the recipe, sourced by run.sh: the shared one (utils/setup_env.sh), then any of its own.
# shellcheck source=../../../recipes/utils/setup_env.sh
. "$(dirname "${BASH_SOURCE[0]}")/utils/setup_env.sh" || return 1
