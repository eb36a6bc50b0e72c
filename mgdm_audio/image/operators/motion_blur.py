"""Seeded random motion-blur kernels from a camera-shake trajectory (61 × 61, intensity 0.5;
docs/method.md#image-tasks).

Our own simple generator (not the ``motionblur`` package's): a point moves at constant speed
while its heading performs a Gaussian random walk; the path is centred on its centroid, shrunk if
needed to fit the kernel, and splatted bilinearly onto the grid.

``intensity`` in [0, 1] sets both the path length, intensity · (size − 1) pixels, and how much
the heading wanders (total standard deviation intensity · π radians): 0 gives a delta kernel,
small values short near-straight streaks, 1 long curved ones.
"""

from __future__ import annotations

import math

import torch

from .convolution import ReflectConvolution
from .geometry import check_image_shape, scaled_odd


def motion_kernel(size: int, intensity: float, seed: int) -> torch.Tensor:
    """[size, size] non-negative kernel summing to 1 (float64), the same for the same arguments."""
    if size < 1 or size % 2 == 0:
        raise ValueError(f"the kernel size must be odd and >= 1, got {size}")
    if not 0.0 <= intensity <= 1.0:
        raise ValueError(f"intensity must be in [0, 1], got {intensity}")
    generator = torch.Generator().manual_seed(seed)
    points = 8 * size  # dense enough that consecutive samples are under a pixel apart
    start = 2 * math.pi * float(torch.rand((), generator=generator, dtype=torch.float64))
    turns = torch.randn(points, generator=generator, dtype=torch.float64) * intensity * math.pi / math.sqrt(points)
    headings = start + torch.cumsum(turns, 0)
    step = intensity * (size - 1) / points
    path = torch.cumsum(torch.stack([torch.sin(headings), torch.cos(headings)], 1) * step, 0)
    path = path - path.mean(0)
    radius = (size - 1) / 2
    reach = float(path.abs().max())
    if reach > radius:
        path = path * (radius / reach)
    return _splat(path + radius, size)


def _splat(coordinates: torch.Tensor, size: int) -> torch.Tensor:
    """Bilinear deposit of unit masses at (row, col) coordinates in [0, size − 1], normalised."""
    base = coordinates.floor().clamp(0, size - 1)
    frac = coordinates - base
    kernel = torch.zeros(size * size, dtype=torch.float64)
    for d_row in (0, 1):
        for d_col in (0, 1):
            weight = (frac[:, 0] if d_row else 1 - frac[:, 0]) * (frac[:, 1] if d_col else 1 - frac[:, 1])
            rows = (base[:, 0] + d_row).clamp(max=size - 1).long()
            cols = (base[:, 1] + d_col).clamp(max=size - 1).long()
            kernel.index_add_(0, rows * size + cols, weight)
    kernel = kernel.view(size, size)
    return kernel / kernel.sum()


def motion_blur(
    image_shape: tuple[int, int, int], seed: int, size: int = 61, intensity: float = 0.5
) -> ReflectConvolution:
    """The motion-blur task: a seeded kernel, ``size`` (the 256-pixel value) scaled by min(H, W) / 256."""
    _, height, width = check_image_shape(image_shape)
    return ReflectConvolution(motion_kernel(scaled_odd(size, min(height, width)), intensity, seed), image_shape)
