"""Audio restoration operators: degradations of waveforms x [B, L] (float, any rate), each usable on the sum of a
multi-source prior's stems through :func:`on_mixture`.

``make_degradation(task, level, clean, sample_rate, seed)`` builds the operator of a named task at a level:
  gaps       gap filling: one gap of ``level`` ms per second, at seeded positions (:mod:`.gaps`)
  lowpass    bandwidth extension from a ``level`` Hz cut-off (:mod:`.lowpass`)
  clip       declipping: hard clipping whose output has an SDR of ``level`` dB against ``clean`` (:mod:`.clipping`)
  codec      an MP3 round trip at VBR quality ``level``, a black box with no gradient (:mod:`.codec`)
"""

from __future__ import annotations

import torch

from mgdm_audio.core.operators.base import Operator

from .clipping import HardClip, clipping_threshold
from .codec import CodecRoundTrip
from .gaps import SampleMask, gap_mask
from .lowpass import LowPass
from .mixture import LinearOnMixture, OnMixture, on_mixture

#: task -> (what it is, the levels the toolkit measures it at, the level's unit).
TASKS = {
    "gaps": ("gap filling, one gap per second", (20, 50, 100, 200), "ms"),
    "lowpass": ("bandwidth extension", (2000, 4000, 8000), "Hz cut-off"),
    "clip": ("declipping", (1, 3, 7), "dB input SDR"),
    "codec": ("MP3 round trip (black box)", (6,), "VBR quality"),
}


def make_degradation(task: str, level: float, clean: torch.Tensor, sample_rate: int, seed: int = 0) -> Operator:
    """The operator of ``task`` at ``level`` for signals like ``clean`` [..., L] at ``sample_rate`` Hz (the clean
    signal sets the clipping threshold; the seed places the gaps).

    Raises:
        ValueError: an unknown task, or a level the task cannot take.
    """
    length = clean.shape[-1]
    if task == "gaps":
        return SampleMask(gap_mask(length, sample_rate, level, seed))
    if task == "lowpass":
        return LowPass(length, sample_rate, level)
    if task == "clip":
        return HardClip(clipping_threshold(clean, level))
    if task == "codec":
        return CodecRoundTrip(sample_rate, level)
    raise ValueError(f"unknown audio task {task!r}; expected one of {', '.join(TASKS)}")


__all__ = [
    "TASKS",
    "CodecRoundTrip",
    "HardClip",
    "LinearOnMixture",
    "LowPass",
    "OnMixture",
    "SampleMask",
    "clipping_threshold",
    "gap_mask",
    "make_degradation",
    "on_mixture",
]
