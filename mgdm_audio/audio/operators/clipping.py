"""Declipping: the observation is the signal hard-clipped at ±θ, with θ set by the clipped signal's SDR."""

from __future__ import annotations

import math

import torch

from mgdm_audio.core.operators.base import Operator


class HardClip(Operator):
    """y = clamp(x, −θ, θ) on waveforms of any shape. Not linear; its gradient is 1 where |x| < θ and 0 where the
    signal is clipped (clipped samples say only that the true sample lies beyond ±θ)."""

    def __init__(self, threshold: float):
        super().__init__()
        if not threshold > 0:
            raise ValueError(f"the clipping threshold must be positive, got {threshold}")
        self.threshold = float(threshold)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.clamp(-self.threshold, self.threshold)


def clipping_threshold(clean: torch.Tensor, sdr_db: float, iterations: int = 60) -> float:
    """θ at which the clipped signal's SDR, 10 log10(‖x‖² / ‖x − clip(x)‖²), is ``sdr_db`` (as the declipping
    literature states its input levels): bisection on θ in (0, max |x|), where the SDR rises with θ.

    Raises:
        ValueError: a silent signal.
    """
    clean = clean.double()
    peak = float(clean.abs().max())
    if peak == 0:
        raise ValueError("a silent signal cannot be clipped to a given SDR")
    energy = float(clean.pow(2).sum())
    low, high = 0.0, peak
    for _ in range(iterations):
        middle = (low + high) / 2
        error = float((clean - clean.clamp(-middle, middle)).pow(2).sum())
        sdr = math.inf if error == 0 else 10 * math.log10(energy / error)
        low, high = (middle, high) if sdr < sdr_db else (low, middle)
    return (low + high) / 2
