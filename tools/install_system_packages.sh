#!/usr/bin/env bash
# Installs the Debian packages mgdm_audio needs when they are missing:
#   ffmpeg, ffprobe     (museval imports stempeg, which calls them)
#   fluidsynth + FluidR3 GM SoundFont   (renders the synth4 corpus)
# and, as root only, the optional ones:
#   slurm-wlm, munge    (tests/recipes/test_real_slurm.py runs the recipes' Slurm backend on a one-node
#                        cluster of its own daemons, files and ports; it needs root, and is skipped without them)
#   the sound sets and drum kits of the varied4 corpus (mgdm prepare-varied4; its validation-track test)
set -euo pipefail
soundfont=/usr/share/sounds/sf2/FluidR3_GM.sf2
missing=()
command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || missing+=(ffmpeg)
command -v fluidsynth >/dev/null || missing+=(fluidsynth)
[ -f "$soundfont" ] || missing+=(fluid-soundfont-gm)
optional=()
command -v sbatch >/dev/null && command -v slurmctld >/dev/null && command -v slurmd >/dev/null || optional+=(slurm-wlm)
command -v munged >/dev/null || optional+=(munge)
# varied4's sounds: package → a file it installs (mgdm_audio/audio/corpora/varied4/sounds.py).
for pair in fluidr3mono-gm-soundfont:/usr/share/sounds/sf3/FluidR3Mono_GM.sf3 \
            musescore-general-soundfont-lossless:/usr/share/sounds/sf2/MuseScore_General_Full.sf2 \
            opl3-soundfont:/usr/share/sounds/sf2/OPL-3_FM_128M.sf2 csound-soundfont:/usr/share/sounds/sf2/sf_GMbank.sf2 \
            hydrogen-drumkits:/usr/share/hydrogen/data/drumkits/ForzeeStereo/drumkit.xml \
            avldrums.lv2-soundfont:/usr/share/sounds/sf2/Red_Zeppelin_4_LV2.sf2; do
  [ -e "${pair#*:}" ] || optional+=("${pair%%:*}")
done
if [ "$(id -u)" -ne 0 ]; then
  if [ ${#missing[@]} -gt 0 ]; then
    echo "install_system_packages: missing ${missing[*]}; run: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  exit 0
fi
missing+=("${optional[@]}")
[ ${#missing[@]} -eq 0 ] && exit 0
echo "install_system_packages: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
