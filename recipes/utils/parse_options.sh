#!/usr/bin/env bash
# shellcheck shell=bash
# Usage: . utils/parse_options.sh   (sourced by a script after it sets its option defaults)
#
# Kaldi-style option parsing: every leading "--some-name value" (or "--some_name value") sets the
# shell variable some_name, which must already be defined by the sourcing script (its default).
# A variable whose default is true or false accepts only true or false. "--help" prints
# $help_message (when set) and exits. Parsing stops at the first argument not starting with "--";
# the remaining positional arguments are left in "$@".
# With pass_unknown_options=true set before sourcing, an option the script does not define is kept,
# with its value, in the array unknown_options (a run.sh passing them on to its recipe template).

while [ $# -gt 0 ]; do
  case "$1" in
    --help|-h)
      printf '%s\n' "${help_message:-${0}: no help available}"
      exit 0 ;;
    --*=*)
      echo "$0: write '--name value', not '$1'" >&2
      exit 1 ;;
    --*)
      _option_name="${1#--}"
      _option_name="${_option_name//-/_}"
      if [ $# -lt 2 ]; then
        echo "$0: option $1 needs a value" >&2
        exit 1
      fi
      if [[ ! "$_option_name" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || [ -z "${!_option_name+set}" ] \
          || [ "$_option_name" = pass_unknown_options ]; then
        if [ "${pass_unknown_options:-false}" = true ]; then
          unknown_options+=("$1" "$2")
          shift 2
          continue
        fi
        echo "$0: unknown option $1" >&2
        exit 1
      fi
      case "${!_option_name}" in
        true|false)
          if [ "$2" != true ] && [ "$2" != false ]; then
            echo "$0: option $1 takes true or false, got '$2'" >&2
            exit 1
          fi ;;
      esac
      printf -v "$_option_name" '%s' "$2"
      shift 2 ;;
    *)
      break ;;
  esac
done
unset _option_name
