"""Super-resolution by MATLAB-style bicubic downsampling with antialiasing (DPS / DAPS style)."""

from __future__ import annotations

import math

import torch

from .geometry import check_divisible, check_image_shape
from .separable import SeparableLinear


def cubic(x: torch.Tensor) -> torch.Tensor:
    """Keys' cubic convolution kernel with a = −0.5 (MATLAB's ``cubic``), support [−2, 2]."""
    ax = x.abs()
    inner = (1.5 * ax**3 - 2.5 * ax**2 + 1) * (ax <= 1)
    outer = (-0.5 * ax**3 + 2.5 * ax**2 - 4 * ax + 2) * ((ax > 1) & (ax <= 2))
    return inner + outer


def bicubic_matrix(size: int, factor: int) -> torch.Tensor:
    """[size / factor, size]: MATLAB ``imresize(…, 1/factor, 'bicubic')`` along one axis.

    As MATLAB does when shrinking: the kernel is stretched by ``factor`` (antialiasing), output
    pixel i (1-based) is centred at input coordinate u = i · factor + (1 − factor) / 2, each row's
    weights are normalised to sum to 1, and taps beyond the border are mirrored with the edge
    pixel repeated (symmetric padding).
    """
    scale = 1.0 / factor
    width = 4.0 * factor
    taps = math.ceil(width) + 2
    centres = torch.arange(1, size // factor + 1, dtype=torch.float64) / scale + 0.5 * (1 - 1 / scale)
    left = torch.floor(centres - width / 2)
    indices = left[:, None] + torch.arange(taps, dtype=torch.float64)  # 1-based input positions
    weights = scale * cubic(scale * (centres[:, None] - indices))
    weights = weights / weights.sum(1, keepdim=True)
    folded = (indices.long() - 1) % (2 * size)  # 0-based, period of the mirrored signal
    sources = torch.where(folded < size, folded, 2 * size - 1 - folded)
    matrix = torch.zeros(size // factor, size, dtype=torch.float64)
    return matrix.scatter_add_(1, sources, weights)


class BicubicDownsample(SeparableLinear):
    """y = bicubic ×factor reduction with antialiasing: [B, C, H, W] → [B, C, H / factor, W / factor].

    Linear and separable, so the adjoint is exact and an SVD exists (dense: small images only).
    A constant image stays that constant (rows of weights sum to 1).

    Args:
        image_shape: (C, H, W), H and W multiples of ``factor``. factor: integer >= 1.
    """

    def __init__(self, image_shape: tuple[int, int, int], factor: int):
        channels, height, width = check_image_shape(image_shape)
        if factor < 1:
            raise ValueError(f"the downsampling factor must be >= 1, got {factor}")
        check_divisible((channels, height, width), factor, f"bicubic ×{factor} super-resolution")
        super().__init__(bicubic_matrix(height, factor), bicubic_matrix(width, factor), channels)
        self.factor = factor
