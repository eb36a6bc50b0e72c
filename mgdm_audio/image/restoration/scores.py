"""PSNR and SSIM of restorations against their clean images, as the 8-bit files hold them.

Both images are quantised to 8 bits and mapped to [0, 1] first (metrics on [0, 1]:
docs/method.md#image-priors-and-metrics), so a score computed while restoring equals one recomputed
later from the written PNG files.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from mgdm_audio.common.stats import Z95

from ..metrics import psnr, ssim

#: SSIM's Gaussian window side; smaller images get no SSIM.
SSIM_WINDOW = 11


def to_unit(images: torch.Tensor) -> torch.Tensor:
    """Images in [−1, 1] (clipped) → the 8-bit values they are saved as, divided by 255, float64."""
    return ((images.detach().cpu().double().clamp(-1.0, 1.0) + 1.0) * 127.5).round() / 255.0


def score(reference: torch.Tensor, estimate: torch.Tensor) -> dict[str, list[float | None]]:
    """Per-image ``psnr`` (dB) and ``ssim`` of estimates against references, both [B, C, H, W] in [−1, 1].

    SSIM is None for images under :data:`SSIM_WINDOW` pixels on a side.
    """
    reference, estimate = to_unit(reference), to_unit(estimate)
    values = {"psnr": psnr(estimate, reference).tolist()}
    small = min(reference.shape[-2:]) < SSIM_WINDOW
    values["ssim"] = [None] * len(reference) if small else ssim(estimate, reference).tolist()
    return values


def mean_ci95(values: list[float]) -> tuple[float, float, int]:
    """(mean, half-width of the 95 % interval = 1.96 standard errors, count) of the finite values.

    The interval is NaN with fewer than two values; an infinite PSNR (a perfect restoration) is left out.
    """
    finite = np.asarray([value for value in values if value is not None and math.isfinite(value)], np.float64)
    if len(finite) == 0:
        return math.nan, math.nan, 0
    half = Z95 * finite.std(ddof=1) / math.sqrt(len(finite)) if len(finite) > 1 else math.nan
    return float(finite.mean()), float(half), len(finite)
