"""Per-stem processing as in a real mix, drawn at random: equalisation, compression, drive on
guitars and basses, room reverb. Built on Spotify's ``pedalboard`` (JUCE's filters, compressor
and reverb); levels are set afterwards by synth4's mixing.
"""

from __future__ import annotations

import numpy as np


def draw_chain(rng: np.random.Generator, stem: str):
    """A random ``pedalboard.Pedalboard`` for ``stem`` and its JSON description (a list of
    effect names with their settings)."""
    import pedalboard  # imported here: needed only to build varied4

    effects, described = [], []

    def add(effect, **settings) -> None:
        effects.append(effect(**settings))
        described.append(
            {"effect": effect.__name__, **{name: round(float(value), 3) for name, value in settings.items()}}
        )

    if rng.random() < 0.5:
        add(pedalboard.HighpassFilter, cutoff_frequency_hz=rng.uniform(20, 40 if stem == "bass" else 150))
    if rng.random() < 0.7:
        add(pedalboard.LowShelfFilter, cutoff_frequency_hz=rng.uniform(80, 300), gain_db=rng.uniform(-6, 6))
    if rng.random() < 0.7:
        add(
            pedalboard.PeakFilter,
            cutoff_frequency_hz=float(np.exp(rng.uniform(np.log(200), np.log(5000)))),
            gain_db=rng.uniform(-6, 6),
            q=rng.uniform(0.5, 2.0),
        )
    if rng.random() < 0.7:
        add(pedalboard.HighShelfFilter, cutoff_frequency_hz=rng.uniform(2000, 8000), gain_db=rng.uniform(-8, 5))
    if stem in ("guitar", "bass") and rng.random() < (0.3 if stem == "guitar" else 0.1):
        add(pedalboard.Distortion, drive_db=rng.uniform(5, 25 if stem == "guitar" else 12))
    if rng.random() < 0.6:
        add(
            pedalboard.Compressor,
            threshold_db=rng.uniform(-30, -10),
            ratio=rng.uniform(1.5, 6.0),
            attack_ms=rng.uniform(1, 30),
            release_ms=rng.uniform(50, 300),
        )
    if rng.random() < 0.5:
        wet = rng.uniform(0.05, 0.3)
        add(
            pedalboard.Reverb,
            room_size=rng.uniform(0.1, 0.7),
            damping=rng.uniform(0.2, 0.8),
            wet_level=wet,
            dry_level=1.0 - wet / 2,
            width=0.0,
        )
    return pedalboard.Pedalboard(effects), described


def apply_chain(board, signal: np.ndarray, sample_rate: int) -> np.ndarray:
    """``signal`` (shape (num_samples,)) through ``board``, same shape, float32."""
    if not len(board):
        return signal.astype(np.float32)
    out = board(signal.astype(np.float32)[None, :], sample_rate, reset=True)
    return np.nan_to_num(out[0]).astype(np.float32)
