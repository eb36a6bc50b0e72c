"""Render MIDI files to mono waveforms with the FluidSynth command-line synthesizer."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass

import numpy as np

DEFAULT_SOUNDFONT = "/usr/share/sounds/sf2/FluidR3_GM.sf2"
INSTALL_HINT = "install with: apt-get update && apt-get install -y fluidsynth fluid-soundfont-gm"
SAMPLE_RATE_RANGE = (8000, 96000)  # what FluidSynth's synth.sample-rate accepts


class RenderError(RuntimeError):
    """FluidSynth or its SoundFont is missing, or a render failed."""


@dataclass(frozen=True)
class Synthesizer:
    """A FluidSynth ``binary`` (absolute path) with a General MIDI ``soundfont``, rendering at
    ``sample_rate`` Hz."""

    binary: str
    soundfont: str
    sample_rate: int


def find_synthesizer(sample_rate: int, binary: str = "fluidsynth", soundfont: str = DEFAULT_SOUNDFONT) -> Synthesizer:
    """Locate the FluidSynth binary (a name on PATH or a path) and check the SoundFont
    exists; raise :class:`RenderError` with the fix otherwise."""
    low, high = SAMPLE_RATE_RANGE
    if not low <= sample_rate <= high:
        raise RenderError(f"sample rate {sample_rate} Hz is outside FluidSynth's range {low}..{high}")
    found = shutil.which(binary)
    if found is None:
        raise RenderError(f"FluidSynth binary {binary!r} not found; {INSTALL_HINT}")
    if not os.path.isfile(soundfont):
        raise RenderError(f"SoundFont {soundfont} not found; {INSTALL_HINT}")
    return Synthesizer(os.path.abspath(found), os.path.abspath(soundfont), sample_rate)


def render_midi(synthesizer: Synthesizer, midi_path: str, num_samples: int) -> np.ndarray:
    """Render ``midi_path`` and return exactly ``num_samples`` mono float32 samples.

    FluidSynth renders stereo (with its reverb and chorus); the channels are averaged. Its
    output runs past the MIDI end while voices decay: that tail is cut, and a short file is
    padded with zeros. The render is deterministic for a given FluidSynth version.
    """
    directory, name = os.path.split(os.path.abspath(midi_path))
    raw_path = os.path.join(directory, f".{name}.{os.getpid()}.raw")
    command = [
        synthesizer.binary,
        "-n",
        "-i",
        "-q",
        "-F",
        raw_path,
        "-T",
        "raw",
        "-O",
        "float",
        "-E",
        "little",
        "-r",
        str(synthesizer.sample_rate),
        "-o",
        "synth.cpu-cores=1",  # parallelism comes from rendering tracks in parallel
        "-o",
        "synth.polyphony=512",  # ringing strums and reverb tails need many voices
        "-o",
        "synth.dynamic-sample-loading=1",  # load only the samples this file uses
        synthesizer.soundfont,
        midi_path,
    ]
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0 or not os.path.exists(raw_path):
            detail = (result.stderr or result.stdout).strip().splitlines()[-3:]
            raise RenderError(f"FluidSynth failed on {midi_path} (exit {result.returncode}): {' / '.join(detail)}")
        stereo = np.fromfile(raw_path, dtype="<f4").reshape(-1, 2)
    finally:
        if os.path.exists(raw_path):
            os.remove(raw_path)
    mono = stereo.mean(axis=1, dtype=np.float64)[:num_samples]
    return np.pad(mono, (0, num_samples - len(mono))).astype(np.float32)
