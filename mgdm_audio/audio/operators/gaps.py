"""Gap filling (audio inpainting): the samples outside a set of gaps are observed, those inside are missing."""

from __future__ import annotations

import numpy as np
import torch

from mgdm_audio.core.operators.base import LinearOperator


class SampleMask(LinearOperator):
    """y = m ⊙ x for waveforms x [B, L] → y [B, L], with a 0/1 mask m [L] (0 in the gaps).

    A diagonal projection: Aᵀ = A = A², and A x is 0 in the gaps whatever x, so the likelihood sees only the
    observed samples.
    """

    def __init__(self, keep: torch.Tensor):
        super().__init__()
        keep = torch.as_tensor(keep, dtype=torch.bool)
        if keep.ndim != 1:
            raise ValueError(f"the mask must be [L], got shape {tuple(keep.shape)}")
        self.register_buffer("keep", keep)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] != len(self.keep):
            raise ValueError(f"SampleMask of {len(self.keep)} samples got input of shape {tuple(x.shape)}")
        return x * self.keep.to(x.device, x.dtype)

    def adjoint(self, y: torch.Tensor) -> torch.Tensor:
        return self.forward(y)


def gap_mask(length: int, sample_rate: int, gap_ms: float, seed: int, period_s: float = 1.0) -> torch.Tensor:
    """keep [length] (bool): one gap of ``gap_ms`` in every ``period_s`` of audio, at a seeded position inside the
    period (never across its end), so that a fraction gap_ms / (1000 · period_s) of the samples is missing.

    Raises:
        ValueError: a gap as long as the period, or a signal shorter than one period.
    """
    gap, period = round(gap_ms * sample_rate / 1000), round(period_s * sample_rate)
    if not 0 < gap < period:
        raise ValueError(f"a gap of {gap_ms} ms must be shorter than the period of {period_s} s")
    if length < period:
        raise ValueError(f"{length} samples are shorter than one period of {period_s} s")
    rng = np.random.default_rng(seed)
    keep = torch.ones(length, dtype=torch.bool)
    for start in range(0, length - period + 1, period):
        offset = start + int(rng.integers(0, period - gap + 1))
        keep[offset : offset + gap] = False
    return keep
