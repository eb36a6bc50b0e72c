"""Super-resolution by block averaging (DDRM / MGPS style, docs/method.md#image-tasks)."""

from __future__ import annotations

import torch

from .geometry import check_divisible, check_image_shape
from .separable import SeparableLinear


def block_average_matrix(size: int, factor: int) -> torch.Tensor:
    """[size / factor, size]: row i averages entries i·factor … (i + 1)·factor − 1."""
    return torch.kron(
        torch.eye(size // factor, dtype=torch.float64), torch.full((1, factor), 1.0 / factor, dtype=torch.float64)
    )


class BlockAverage(SeparableLinear):
    """y = the mean over factor × factor pixel blocks: [B, C, H, W] → [B, C, H / factor, W / factor].

    Singular values are all 1 / factor (A Aᵀ = I / factor²), so pseudo-inverse and SVD are cheap.

    Args:
        image_shape: (C, H, W), H and W multiples of ``factor``. factor: r >= 1.
    """

    def __init__(self, image_shape: tuple[int, int, int], factor: int):
        channels, height, width = check_image_shape(image_shape)
        if factor < 1:
            raise ValueError(f"the downsampling factor must be >= 1, got {factor}")
        check_divisible((channels, height, width), factor, f"block-average ×{factor} super-resolution")
        super().__init__(block_average_matrix(height, factor), block_average_matrix(width, factor), channels)
        self.factor = factor
