#!/usr/bin/env bash
# Installs the Debian packages mgdm_audio needs when they are missing:
#   ffmpeg, ffprobe     (museval imports stempeg, which calls them)
#   fluidsynth + FluidR3 GM SoundFont   (renders the synth4 corpus)
# and, as root only, the optional ones:
#   slurm-wlm, munge    (tests/recipes/test_real_slurm.py runs the recipes' Slurm backend on a one-node
#                        cluster of its own daemons, files and ports; it needs root, and is skipped without them)
#   chromium, chromium-driver (the results pages' tests open them in headless Chromium; skipped without it,
#                        except under CI=true, where they fail)
#   csound-soundfont, hydrogen-drumkits (varied4's held-out sounds: the test rendering a validation track;
#                        rendering the whole corpus needs more sound sets, which mgdm prepare-varied4 names)
set -euo pipefail
soundfont=/usr/share/sounds/sf2/FluidR3_GM.sf2
missing=()
command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || missing+=(ffmpeg)
command -v fluidsynth >/dev/null || missing+=(fluidsynth)
[ -f "$soundfont" ] || missing+=(fluid-soundfont-gm)
optional=()
command -v sbatch >/dev/null && command -v slurmctld >/dev/null && command -v slurmd >/dev/null || optional+=(slurm-wlm)
command -v munged >/dev/null || optional+=(munge)
command -v chromium >/dev/null || optional+=(chromium)
command -v chromedriver >/dev/null || optional+=(chromium-driver)
# varied4's held-out sounds: package → a file it installs (mgdm_audio/audio/corpora/varied4/sounds.py).
for pair in csound-soundfont:/usr/share/sounds/sf2/sf_GMbank.sf2 \
            hydrogen-drumkits:/usr/share/hydrogen/data/drumkits/ForzeeStereo/drumkit.xml; do
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
