#!/usr/bin/env bash
# Installs the Debian packages mgdm_audio needs when they are missing:
#   ffmpeg, ffprobe     (museval imports stempeg, which calls them)
#   fluidsynth + FluidR3 GM SoundFont   (renders the synth4 corpus)
set -euo pipefail
soundfont=/usr/share/sounds/sf2/FluidR3_GM.sf2
missing=()
command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || missing+=(ffmpeg)
command -v fluidsynth >/dev/null || missing+=(fluidsynth)
[ -f "$soundfont" ] || missing+=(fluid-soundfont-gm)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "install_system_packages: missing ${missing[*]}; run: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "install_system_packages: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
