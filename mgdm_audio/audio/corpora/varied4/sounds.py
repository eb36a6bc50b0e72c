"""The sounds varied4 draws from: General MIDI sound sets (SoundFonts) and drum kits, and which
split may use which.

Every sound comes from a Debian package (the ``package`` fields; ``tools/install_system_packages.sh``
installs them). Held out from training, for the unseen-material splits:

- the melodic sound set ``csound-gm`` (and its drum kits), in validation and test;
- four recorded drum kits: two in validation, two in test.

Reserved for checks made outside the project and never used here: the TimGM6mb sound set.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from functools import cache

HYDROGEN_KITS = "/usr/share/hydrogen/data/drumkits"

#: The General MIDI drum-kit programs (bank 128) a sound set is asked for, where it has them:
#: standard, room, power, electronic, TR-808, jazz, brush.
GM_KIT_PROGRAMS = (0, 8, 16, 24, 25, 32, 40)


@dataclass(frozen=True)
class SoundSet:
    """A General MIDI SoundFont (``path``, .sf2 or .sf3) from Debian ``package``."""

    name: str
    path: str
    package: str


@dataclass(frozen=True)
class DrumKit:
    """A drum kit. ``source``: "soundfont" (``path`` a SoundFont; ``program`` its preset, on the
    drum bank when ``drum_bank``, else on bank 0, played on an ordinary channel) or "hydrogen"
    (``path`` a Hydrogen kit folder with ``drumkit.xml``, played by :mod:`.drumkit`)."""

    name: str
    source: str
    path: str
    package: str
    program: int = 0
    drum_bank: bool = True


SOUND_SETS = {
    sound_set.name: sound_set
    for sound_set in (
        SoundSet("fluidr3", "/usr/share/sounds/sf2/FluidR3_GM.sf2", "fluid-soundfont-gm"),
        SoundSet("fluidr3-mono", "/usr/share/sounds/sf3/FluidR3Mono_GM.sf3", "fluidr3mono-gm-soundfont"),
        SoundSet(
            "musescore", "/usr/share/sounds/sf2/MuseScore_General_Full.sf2", "musescore-general-soundfont-lossless"
        ),
        SoundSet("opl3", "/usr/share/sounds/sf2/OPL-3_FM_128M.sf2", "opl3-soundfont"),
        SoundSet("csound-gm", "/usr/share/sounds/sf2/sf_GMbank.sf2", "csound-soundfont"),
    )
}


def _hydrogen(folder: str) -> DrumKit:
    return DrumKit(f"hydrogen:{folder}", "hydrogen", os.path.join(HYDROGEN_KITS, folder), "hydrogen-drumkits")


def _avl(name: str) -> DrumKit:
    # AVL's kits are one preset on bank 0, with the General MIDI percussion key map.
    return DrumKit(
        f"avl:{name}",
        "soundfont",
        f"/usr/share/sounds/sf2/{name}_4_LV2.sf2",
        "avldrums.lv2-soundfont",
        0,
        drum_bank=False,
    )


#: Recorded (sampled) kits, by the splits that may use them. Hand-percussion and djembe kits of
#: hydrogen-drumkits are left out: they are not drum-kit stems.
RECORDED_KITS = {
    "train": tuple(
        _hydrogen(folder)
        for folder in (
            "Audiophob",
            "BJA_Pacific",
            "ColomboAcousticDrumkit",
            "ElectricEmpireKit",
            "Millo-Drums_v.1",
            "Millo_MultiLayered2",
            "The Black Pearl 1.0",
            "VariBreaks",
            "rumpf_kit_z01_h2",
        )
    )
    + (_avl("Black_Pearl"),),
    "valid": (_hydrogen("ForzeeStereo"), _hydrogen("HardElectro1")),
    "test": (_hydrogen("Millo_MultiLayered3"), _avl("Red_Zeppelin")),
}

#: Melodic sound sets by split; each split's GM drum kits come from the same sets.
SPLIT_SOUND_SETS = {
    "train": ("fluidr3", "fluidr3-mono", "musescore", "opl3"),
    "valid": ("csound-gm",),
    "test": ("csound-gm",),
}


class SoundsMissing(RuntimeError):
    """A sound set or kit file is not installed."""


@cache
def soundfont_presets(path: str) -> frozenset[tuple[int, int]]:
    """The (bank, program) pairs of the presets of the SoundFont at ``path`` (.sf2, or .sf3 whose
    preset headers are laid out the same), read from its ``phdr`` chunk (SoundFont 2.04, §7.2)."""
    with open(path, "rb") as handle:
        riff, _, form = struct.unpack("<4sI4s", handle.read(12))
        if riff != b"RIFF" or form != b"sfbk":
            raise ValueError(f"{path}: not a SoundFont (no RIFF sfbk header)")
        while len(header := handle.read(8)) == 8:
            chunk, size = struct.unpack("<4sI", header)
            if chunk == b"LIST" and handle.read(4) != b"pdta":
                handle.seek(size - 4, 1)
            elif chunk == b"LIST":
                end = handle.tell() + size - 4
                while handle.tell() < end:
                    sub_chunk, sub_size = struct.unpack("<4sI", handle.read(8))
                    if sub_chunk == b"phdr":
                        data = handle.read(sub_size)
                        # 38-byte records: name[20], preset, bank, ...; the last is a terminator.
                        return frozenset(
                            (bank, preset)
                            for preset, bank in (
                                struct.unpack_from("<HH", data, offset + 20) for offset in range(0, sub_size - 38, 38)
                            )
                        )
                    handle.seek(sub_size + (sub_size & 1), 1)
            else:
                handle.seek(size + (size & 1), 1)
    raise ValueError(f"{path}: no preset headers (phdr chunk) found")


def gm_kits(sound_set: SoundSet) -> tuple[DrumKit, ...]:
    """The drum kits of ``sound_set`` among :data:`GM_KIT_PROGRAMS`."""
    presets = soundfont_presets(sound_set.path)
    return tuple(
        DrumKit(f"{sound_set.name}:kit{program}", "soundfont", sound_set.path, sound_set.package, program)
        for program in GM_KIT_PROGRAMS
        if (128, program) in presets
    )


def split_sounds(split: str) -> tuple[tuple[SoundSet, ...], tuple[DrumKit, ...]]:
    """(melodic sound sets, drum kits) that tracks of ``split`` draw from; raises
    :class:`SoundsMissing` naming the packages to install when a file is missing."""
    if split not in SPLIT_SOUND_SETS:
        raise ValueError(f"unknown split {split!r}; varied4 has {sorted(SPLIT_SOUND_SETS)}")
    sound_sets = tuple(SOUND_SETS[name] for name in SPLIT_SOUND_SETS[split])
    recorded = RECORDED_KITS[split]
    missing = sorted({item.package for item in (*sound_sets, *recorded) if not os.path.exists(item.path)})
    if missing:
        raise SoundsMissing(f"varied4's {split} sounds are not installed; run: apt-get install -y {' '.join(missing)}")
    kits = tuple(kit for sound_set in sound_sets for kit in gm_kits(sound_set))
    return sound_sets, kits + recorded
