"""Play General MIDI drum notes on a recorded Hydrogen drum kit (WAV/FLAC samples and a
``drumkit.xml`` description), as a one-shot sampler.

Each instrument of the kit is given a General MIDI percussion key from its name ("Kick",
"Hi Hat Closed", "Tom Low", …); a key the kit lacks falls back to a similar one (a pedal hi-hat
to the closed one, a splash to the crash, …). A note plays the whole sample of the velocity layer
its velocity selects, scaled by the layer's and the instrument's gain and by the velocity.
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache

import numpy as np
import soundfile
from scipy.signal import resample_poly

from ..synth4.drums import (
    CLAP,
    CLOSED_HAT,
    CRASH,
    KICK,
    OPEN_HAT,
    PEDAL_HAT,
    RIDE,
    SIDE_STICK,
    SNARE,
    SPLASH_CRASH,
    TOMS_HIGH_TO_LOW,
)
from ..synth4.midi import Note

_HIGH_TOM, _HIGH_MID_TOM, _LOW_MID_TOM, _LOW_TOM, _HIGH_FLOOR_TOM, _LOW_FLOOR_TOM = TOMS_HIGH_TO_LOW

# (key, pattern) in order of precedence: the first pattern an instrument's name matches gives its key.
_NAME_KEYS = (
    (PEDAL_HAT, r"(hat|hh).*(pedal|\bpd\b|foot)|pedal.*(hat|hh)"),
    (OPEN_HAT, r"(hat|hh).*(open|\bop\b|semi)|open.*(hat|hh)"),
    (CLOSED_HAT, r"(hat|hh)"),
    (SPLASH_CRASH, r"splash"),
    (RIDE, r"ride"),
    (CRASH, r"crash|cymbal"),
    (CLAP, r"clap"),
    (SIDE_STICK, r"stick|rim click|\brim\b"),
    (KICK, r"kick|bass ?drum|\bbd\b"),
    (SNARE, r"snare"),
    (_LOW_FLOOR_TOM, r"floor"),
    (_HIGH_TOM, r"tom.*(hi|high|\b1\b)"),
    (_LOW_MID_TOM, r"tom.*(mid|\b2\b)"),
    (_LOW_TOM, r"tom"),
)
# Where a kit lacks a key, the notes go to the first of these it has.
_FALLBACKS = {
    PEDAL_HAT: (CLOSED_HAT,),
    OPEN_HAT: (CLOSED_HAT,),
    CLOSED_HAT: (PEDAL_HAT, RIDE),
    SPLASH_CRASH: (CRASH, OPEN_HAT),
    CRASH: (SPLASH_CRASH, RIDE, OPEN_HAT),
    RIDE: (CLOSED_HAT, CRASH),
    CLAP: (SNARE,),
    SIDE_STICK: (SNARE,),
    SNARE: (CLAP, SIDE_STICK),
    _HIGH_TOM: (_HIGH_MID_TOM, _LOW_MID_TOM, _LOW_TOM, SNARE),
    _HIGH_MID_TOM: (_HIGH_TOM, _LOW_MID_TOM, _LOW_TOM, SNARE),
    _LOW_MID_TOM: (_HIGH_MID_TOM, _LOW_TOM, _HIGH_TOM, SNARE),
    _LOW_TOM: (_LOW_MID_TOM, _HIGH_FLOOR_TOM, _LOW_FLOOR_TOM, SNARE),
    _HIGH_FLOOR_TOM: (_LOW_FLOOR_TOM, _LOW_TOM, _LOW_MID_TOM, SNARE),
    _LOW_FLOOR_TOM: (_HIGH_FLOOR_TOM, _LOW_TOM, _LOW_MID_TOM, SNARE),
}


@dataclass(frozen=True)
class Layer:
    """One sample file, played for velocities (as a fraction of 127) in [``low``, ``high``]."""

    path: str
    low: float
    high: float
    gain: float


@dataclass(frozen=True)
class Instrument:
    name: str
    key: int
    gain: float
    layers: tuple[Layer, ...]


def key_for_name(name: str) -> int | None:
    """The General MIDI percussion key an instrument called ``name`` plays, or None."""
    lowered = name.lower()
    return next((key for key, pattern in _NAME_KEYS if re.search(pattern, lowered)), None)


def _text(element: ElementTree.Element, tag: str, default: str = "") -> str:
    found = element.find(f"{{*}}{tag}")
    if found is None:
        found = element.find(tag)
    return found.text.strip() if found is not None and found.text else default


def _children(element: ElementTree.Element, tag: str) -> list[ElementTree.Element]:
    return element.findall(f"{{*}}{tag}") or element.findall(tag)


@cache
def read_kit(folder: str) -> tuple[Instrument, ...]:
    """The instruments of the Hydrogen kit in ``folder`` whose names map to a percussion key and
    whose sample files exist."""
    path = os.path.join(folder, "drumkit.xml")
    root = ElementTree.parse(path).getroot()
    instruments = []
    for element in root.iter():
        if not element.tag.endswith("instrument") or element.tag.endswith("instrumentList"):
            continue
        name = _text(element, "name")
        key = key_for_name(name)
        if key is None:
            continue
        layers = [
            Layer(
                os.path.join(folder, _text(layer, "filename")),
                float(_text(layer, "min", "0")),
                float(_text(layer, "max", "1")),
                float(_text(layer, "gain", "1")),
            )
            for layer in _children(element, "layer")
        ]
        if not layers and _text(element, "filename"):  # the older format: one file, no layers
            layers = [Layer(os.path.join(folder, _text(element, "filename")), 0.0, 1.0, 1.0)]
        layers = [
            layer
            for layer in layers
            if os.path.isfile(layer.path) and "empty" not in os.path.basename(layer.path).lower()
        ]
        if layers:
            gain = float(_text(element, "volume", "1")) * float(_text(element, "gain", "1"))
            instruments.append(Instrument(name, key, gain, tuple(sorted(layers, key=lambda layer: layer.low))))
    if not instruments:
        raise ValueError(f"{path}: no instrument maps to a drum key")
    return tuple(instruments)


@lru_cache(maxsize=256)
def _sample(path: str, sample_rate: int) -> np.ndarray:
    """The file at ``path`` as mono float32 at ``sample_rate`` Hz."""
    audio, rate = soundfile.read(path, dtype="float32", always_2d=True)
    mono = audio.mean(axis=1)
    if rate != sample_rate:
        divisor = np.gcd(int(rate), int(sample_rate))
        mono = resample_poly(mono, sample_rate // divisor, int(rate) // divisor).astype(np.float32)
    return mono


class DrumKitPlayer:
    """Renders notes on one kit at ``sample_rate`` Hz, using for each key one of the kit's
    instruments of that key (drawn once, by ``rng``, when the kit has several)."""

    def __init__(self, folder: str, sample_rate: int, rng: np.random.Generator):
        by_key: dict[int, list[Instrument]] = {}
        for instrument in read_kit(folder):
            by_key.setdefault(instrument.key, []).append(instrument)
        self.instruments = {key: options[rng.integers(len(options))] for key, options in by_key.items()}
        self.sample_rate = sample_rate

    def instrument_for(self, key: int) -> Instrument | None:
        """The instrument that plays ``key``: its own, else the first fallback the kit has."""
        for candidate in (key, *_FALLBACKS.get(key, ())):
            if candidate in self.instruments:
                return self.instruments[candidate]
        return None

    def render(self, notes: Iterable[Note], num_samples: int) -> np.ndarray:
        """The notes (times in seconds) as ``num_samples`` mono float32 samples."""
        out = np.zeros(num_samples, dtype=np.float64)
        for note in notes:
            instrument = self.instrument_for(note.pitch)
            start = int(round(note.start * self.sample_rate))
            if instrument is None or start >= num_samples:
                continue
            level = note.velocity / 127.0
            layer = next(
                (layer for layer in instrument.layers if layer.low <= level <= layer.high), instrument.layers[-1]
            )
            sample = _sample(layer.path, self.sample_rate)[: num_samples - start]
            # Velocity to amplitude: a power law, so soft notes are clearly softer.
            out[start : start + len(sample)] += sample * (instrument.gain * layer.gain * level**1.5)
        return out.astype(np.float32)
