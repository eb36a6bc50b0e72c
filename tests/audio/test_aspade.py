"""A-SPADE declipping against ground truth: a signal sparse in frequency comes back far above its clipped SDR, the
result is consistent with the clipped input, and an unclipped signal is left as it is."""

from __future__ import annotations

import numpy as np
import torch

from mgdm_audio.audio.operators import clipping_threshold
from mgdm_audio.audio.restoration import aspade_declip

RATE = 8000


def _tones(seconds: float = 0.5) -> np.ndarray:
    t = np.arange(round(seconds * RATE)) / RATE
    return (
        0.5 * np.sin(2 * np.pi * 440 * t) + 0.3 * np.sin(2 * np.pi * 660 * t + 1) + 0.2 * np.sin(2 * np.pi * 1500 * t)
    )


def _sdr(reference: np.ndarray, estimate: np.ndarray) -> float:
    return 10 * np.log10(np.sum(reference**2) / np.sum((reference - estimate) ** 2))


def test_a_sparse_signal_clipped_at_3_db_comes_back_consistent():
    clean = _tones()
    threshold = clipping_threshold(torch.from_numpy(clean), 3.0)
    clipped = np.clip(clean, -threshold, threshold)
    restored = aspade_declip(clipped, threshold, frame=512)
    assert _sdr(clean, clipped) < 3.01 and _sdr(clean, restored) > 15
    reliable = np.abs(clipped) < threshold
    assert np.array_equal(restored[reliable], clipped[reliable])
    above, below = clipped >= threshold, clipped <= -threshold
    assert (restored[above] >= threshold - 1e-9).all() and (restored[below] <= -threshold + 1e-9).all()


def test_an_unclipped_signal_is_left_as_it_is():
    clean = _tones(0.2)
    assert np.array_equal(aspade_declip(clean, 2.0, frame=256), clean)
