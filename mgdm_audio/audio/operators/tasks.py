"""The restoration tasks: a degradation at a level over a whole track, and its operator on any stretch of it.

A track is simulated once (:meth:`Degradation.apply`) and restored segment by segment, each segment with the
operator of its own samples (:meth:`Degradation.operator`): the gaps that fall in it, the same clipping threshold,
a low-pass or a codec of its length.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from mgdm_audio.core.operators.base import Operator

from .clipping import HardClip, clipping_threshold
from .codec import CodecRoundTrip
from .gaps import SampleMask, gap_mask
from .lowpass import LowPass

#: Tasks whose operator has no gradient: samplers must not differentiate it.
BLACK_BOX = ("codec",)

#: task -> (what it is, the levels the toolkit measures it at, the level's unit, its default level).
TASKS = {
    "gaps": ("gap filling, one gap per second", (20, 50, 100, 200), "ms", 50),
    "lowpass": ("bandwidth extension", (2000, 4000, 8000), "Hz cut-off", 4000),
    "clip": ("declipping", (1, 3, 7), "dB input SDR", 3),
    "codec": ("MP3 round trip (black box)", (6,), "VBR quality", 6),
}


@dataclass(frozen=True)
class Degradation:
    """Task ``task`` at ``level`` (unit in :data:`TASKS`) on a track of ``length`` samples at ``sample_rate`` Hz.

    seed: places the gaps (one per second, :func:`.gaps.gap_mask`). threshold: the clipping level θ (task clip
    only; :meth:`simulate` sets it from the clean track's SDR, a recording already clipped gives its peak).

    Raises:
        ValueError: an unknown task, a level the task cannot take, or a clip task without its threshold.
    """

    task: str
    level: float
    sample_rate: int
    length: int
    seed: int = 0
    threshold: float | None = None

    def __post_init__(self):
        if self.task not in TASKS:
            raise ValueError(f"unknown audio task {self.task!r}; expected one of {', '.join(TASKS)}")
        if self.task == "clip" and self.threshold is None:
            raise ValueError("the clip task needs its threshold (Degradation.simulate sets it)")
        self.operator(0, min(self.length, self.sample_rate))  # refuses a level the task cannot take

    @classmethod
    def simulate(
        cls, task: str, level: float, clean: np.ndarray | torch.Tensor, sample_rate: int, seed: int = 0
    ) -> Degradation:
        """The degradation of ``clean`` [..., L] (all channels; the clipping threshold gives the level's SDR over
        them all)."""
        clean = torch.as_tensor(np.asarray(clean))
        # θ as float32 holds it, so that the clipped samples (float32) equal ±θ exactly and are found as clipped.
        threshold = float(np.float32(clipping_threshold(clean, level))) if task == "clip" else None
        return cls(task, float(level), int(sample_rate), int(clean.shape[-1]), int(seed), threshold)

    @functools.cached_property
    def keep(self) -> torch.Tensor:
        """The gap task's mask [length] over the whole track (bool, False in the gaps)."""
        return gap_mask(self.length, self.sample_rate, self.level, self.seed)

    def operator(self, start: int = 0, length: int | None = None) -> Operator:
        """The operator on samples [start, start + length) of the track (the whole track by default), acting on
        waveforms [..., length]. Samples beyond the track's end (padding) count as observed."""
        length = self.length - start if length is None else length
        if self.task == "gaps":
            keep = torch.ones(length, dtype=torch.bool)
            inside = self.keep[start : start + length]
            keep[: len(inside)] = inside
            return SampleMask(keep)
        if self.task == "lowpass":
            return LowPass(length, self.sample_rate, self.level)
        if self.task == "clip":
            return HardClip(self.threshold)
        return CodecRoundTrip(self.sample_rate, self.level)

    def consistent(self, estimate: np.ndarray, observed: np.ndarray, start: int = 0) -> np.ndarray:
        """The signal nearest to ``estimate`` [..., n] (samples [start, start + n) of the track) that the operator
        maps to ``observed`` [..., n] (float64): the observed samples put back outside the gaps, the band below the
        cut-off replaced by the observed one, the unclipped samples put back and the clipped ones brought to at
        least the threshold with the observed sign. The codec's set has no such projection: returned as it is."""
        estimate, observed = np.asarray(estimate, np.float64), np.asarray(observed, np.float64)
        length = estimate.shape[-1]
        if self.task == "gaps":
            return np.where(self.operator(start, length).keep.numpy(), observed, estimate)
        if self.task == "lowpass":
            band = self.operator(start, length)
            with torch.no_grad():
                return estimate + band(torch.from_numpy(observed - estimate)).numpy()
        if self.task == "clip":
            clipped = np.abs(observed) >= self.threshold
            sign = np.sign(observed)
            return np.where(clipped, sign * np.maximum(sign * estimate, self.threshold), observed)
        return estimate

    def apply(self, clean: np.ndarray) -> np.ndarray:
        """The degraded track: ``clean`` [channels, length] through the operator, each channel on its own
        (float32)."""
        with torch.no_grad():
            return self.operator()(torch.from_numpy(np.asarray(clean, np.float32))).numpy()

    def record(self) -> dict[str, Any]:
        """What a restoration's record holds of the degradation."""
        description, _, unit, _ = TASKS[self.task]
        record: dict[str, Any] = {"task": self.task, "description": description, "level": self.level, "unit": unit}
        if self.task == "gaps":
            record.update(seed=self.seed, missing_fraction=round(1 - float(self.keep.float().mean()), 6))
        if self.task == "clip":
            record["threshold"] = self.threshold
        return record


def make_degradation(task: str, level: float, clean: torch.Tensor, sample_rate: int, seed: int = 0) -> Operator:
    """The operator of ``task`` at ``level`` for signals like ``clean`` [..., L] at ``sample_rate`` Hz (the clean
    signal sets the clipping threshold; the seed places the gaps).

    Raises:
        ValueError: an unknown task, or a level the task cannot take.
    """
    return Degradation.simulate(task, level, clean, sample_rate, seed).operator()
