"""varied4's tracks: what is played, on which sounds, through which effects.

A training track is synth4's generated arrangement or an arranged music21 work (even odds);
validation and test tracks are arranged works of held-out collections. Each stem is played on a
sound set drawn at random from the split's (each stem its own), with the arrangement's General
MIDI program; drums on a kit drawn from the split's General MIDI kits or recorded kits (even
odds). The whole track is detuned by up to ±25 cents (rendered at a slightly different rate),
then each stem goes through its own random effects chain. Seeding, resume and the data
directories are synth4's (:mod:`..synth4.build`).
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np

from ..synth4.arrangement import STEMS, Arrangement, generate_arrangement
from ..synth4.build import BuildConfig, CorpusKind, TrackSpec, write_midi_files
from ..synth4.drums import DRUM_CHANNEL
from ..synth4.render import Synthesizer, render_midi
from .compositions import composition_arrangement, draw_work
from .drumkit import DrumKitPlayer
from .effects import apply_chain, draw_chain
from .sounds import DrumKit, split_sounds

SPLITS = ("train", "valid", "test")
#: Defaults: 720 × 30 s = 6 h of training audio, 40 tracks (20 min) each for validation and test.
DEFAULT_NUM_TRACKS = {"train": 720, "valid": 40, "test": 40}
#: Share of training tracks that are arranged music21 works (the rest: synth4's generator).
COMPOSITION_SHARE = 0.5
MAX_DETUNE_CENTS = 25.0
LEVEL_SPREAD_DB = 6.0  # wider than synth4's ±3 dB: real mixes balance stems more freely
_AVL_CHANNEL = 0  # AVL's kits are ordinary (bank 0) presets


def _with_drum_kit(arrangement: Arrangement, kit: DrumKit) -> Arrangement:
    """The arrangement with its drum parts set to ``kit``'s program (on an ordinary channel for
    kits that are not on the drum bank)."""
    channel = DRUM_CHANNEL if kit.drum_bank else _AVL_CHANNEL
    parts = []
    for part in arrangement.parts:
        if part.stem == "drums":
            part = dataclasses.replace(
                part,
                setup=dataclasses.replace(part.setup, channel=channel, program=kit.program),
                notes=tuple(dataclasses.replace(note, channel=channel) for note in part.notes),
            )
        parts.append(part)
    return dataclasses.replace(arrangement, parts=tuple(parts))


def varied4_stems(
    config: BuildConfig, spec: TrackSpec, seed: np.random.SeedSequence, directory: str
) -> tuple[dict[str, np.ndarray], dict]:
    """varied4's :data:`..synth4.build.StemMaker` (see the module's docstring)."""
    rng = np.random.default_rng(seed)
    sound_sets, kits = split_sounds(spec.split)
    sample_rate = config.synthesizer.sample_rate
    cents = float(rng.uniform(-MAX_DETUNE_CENTS, MAX_DETUNE_CENTS))
    # Rendered at render_rate and played at sample_rate: pitch and tempo scale by their ratio.
    render_rate = int(round(sample_rate * 2.0 ** (-cents / 1200.0)))
    duration = spec.seconds * max(1.0, sample_rate / render_rate) + 0.1
    if spec.split == "train" and rng.random() >= COMPOSITION_SHARE:
        arrangement, source = generate_arrangement(rng, duration), "generated"
    else:
        work = draw_work(rng, spec.split)
        arrangement, source = composition_arrangement(rng, work, duration), work.name
    recorded = [kit for kit in kits if kit.source == "hydrogen" or not kit.drum_bank]
    general_midi = [kit for kit in kits if kit not in recorded]
    kit_pool = recorded if rng.random() < 0.5 else general_midi
    kit = kit_pool[rng.integers(len(kit_pool))]
    arrangement = _with_drum_kit(arrangement, kit)
    midi_paths = write_midi_files(arrangement, os.path.join(directory, "midi"))
    num_samples = round(spec.seconds * sample_rate)
    rendered, sounds, chains = {}, {}, {}
    for stem in STEMS:
        notes = [note for part in arrangement.parts_of(stem) for note in part.notes]
        sound_set = sound_sets[rng.integers(len(sound_sets))]
        board, chains[stem] = draw_chain(rng, stem)
        if not notes:
            rendered[stem], sounds[stem] = np.zeros(num_samples, dtype=np.float32), None
            continue
        if stem == "drums" and kit.source == "hydrogen":
            signal = DrumKitPlayer(kit.path, render_rate, rng).render(notes, num_samples)
            sounds[stem] = kit.name
        else:
            soundfont = kit.path if stem == "drums" else sound_set.path
            synthesizer = Synthesizer(config.synthesizer.binary, soundfont, render_rate)
            signal = render_midi(synthesizer, midi_paths[stem], num_samples)
            sounds[stem] = kit.name if stem == "drums" else sound_set.name
        rendered[stem] = apply_chain(board, signal, sample_rate)
    return rendered, {
        "source": source,
        "arrangement": arrangement.describe(),
        "detune_cents": cents,
        "sounds": sounds,
        "effects": chains,
        "fluidsynth": config.synthesizer.binary,
    }


#: The varied4 corpus (generator version 1).
VARIED4 = CorpusKind("varied4", 1, varied4_stems, LEVEL_SPREAD_DB)
