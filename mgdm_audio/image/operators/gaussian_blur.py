"""Gaussian blur kernels (docs/method.md#image-tasks: 61 × 61, σ = 3.0 at 256 × 256)."""

from __future__ import annotations

import torch

from .convolution import ReflectConvolution
from .geometry import REFERENCE_SIZE, check_image_shape, scaled_odd


def gaussian_kernel(size: int, sigma: float) -> torch.Tensor:
    """[size, size] isotropic Gaussian, standard deviation ``sigma`` pixels, summing to 1 (float64)."""
    if size < 1 or size % 2 == 0 or not sigma > 0:
        raise ValueError(f"need an odd size >= 1 and sigma > 0, got size {size}, sigma {sigma}")
    offsets = torch.arange(size, dtype=torch.float64) - size // 2
    profile = torch.exp(-0.5 * (offsets / sigma) ** 2)
    kernel = torch.outer(profile, profile)
    return kernel / kernel.sum()


def gaussian_blur(image_shape: tuple[int, int, int], size: int = 61, sigma: float = 3.0) -> ReflectConvolution:
    """The published Gaussian blur with kernel size and σ scaled by min(H, W) / 256.

    ``size`` and ``sigma`` are the 256-pixel values: at 64 × 64 the kernel is 15 × 15 with σ 0.75
    (odd, at least 3 × 3).
    """
    channels, height, width = check_image_shape(image_shape)
    side = min(height, width)
    return ReflectConvolution(gaussian_kernel(scaled_odd(size, side), sigma * side / REFERENCE_SIZE), image_shape)
