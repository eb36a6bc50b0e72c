"""Inpainting masks [H, W] (bool, True = pixel observed), the same for every channel (docs/method.md#image-tasks).

Geometry at 256 × 256 as published, scaled by H / 256 for rows and W / 256 for columns
(see :mod:`.geometry`): e.g. the centre box covers rows/cols 50–199 at 256 and rows/cols 6–24
at 32 (start round(50 · 32 / 256) = 6, side round(150 · 32 / 256) = 19).
"""

from __future__ import annotations

import torch

from .geometry import scaled


def center_box(height: int, width: int) -> torch.Tensor:
    """A box hole: rows and columns 50–199 (150 pixels) missing at 256 × 256, scaled."""
    keep = torch.ones(height, width, dtype=torch.bool)
    top, left = scaled(50, height), scaled(50, width)
    keep[top : top + scaled(150, height), left : left + scaled(150, width)] = False
    return keep


def random_box(height: int, width: int, seed: int) -> torch.Tensor:
    """A 128 × 128 hole at 256 × 256 (scaled), at a uniformly drawn position fully inside the image."""
    generator = torch.Generator().manual_seed(seed)
    box_h, box_w = scaled(128, height), scaled(128, width)
    top = int(torch.randint(0, height - box_h + 1, (1,), generator=generator))
    left = int(torch.randint(0, width - box_w + 1, (1,), generator=generator))
    keep = torch.ones(height, width, dtype=torch.bool)
    keep[top : top + box_h, left : left + box_w] = False
    return keep


def right_half(height: int, width: int) -> torch.Tensor:
    """The right half missing: columns W // 2 … W − 1 (128–255 at 256)."""
    keep = torch.ones(height, width, dtype=torch.bool)
    keep[:, width // 2 :] = False
    return keep


def random_pixels(height: int, width: int, missing: float, seed: int) -> torch.Tensor:
    """Exactly round(missing · H · W) pixels missing, drawn uniformly without replacement."""
    if not 0.0 <= missing <= 1.0:
        raise ValueError(f"the missing fraction must be in [0, 1], got {missing}")
    generator = torch.Generator().manual_seed(seed)
    order = torch.randperm(height * width, generator=generator)
    keep = torch.ones(height * width, dtype=torch.bool)
    keep[order[: round(missing * height * width)]] = False
    return keep.view(height, width)
