"""Image shapes: validation, and task geometry scaled from the published 256 × 256 setting.

The image tasks of docs/method.md#image-tasks are defined for 256 × 256 images; smaller or larger images get
the same geometry scaled by size / 256 (rows by H, columns by W, isotropic sizes by min(H, W)).
"""

from __future__ import annotations

import torch

#: The image side the published task geometry refers to.
REFERENCE_SIZE = 256


def check_image_shape(image_shape: tuple[int, int, int]) -> tuple[int, int, int]:
    """(C, H, W) as ints, each >= 1; ValueError otherwise."""
    shape = tuple(int(n) for n in image_shape)
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(f"image_shape must be (C, H, W) with positive sizes, got {tuple(image_shape)}")
    return shape


def check_divisible(image_shape: tuple[int, int, int], factor: int, what: str) -> None:
    """ValueError unless H and W are multiples of ``factor``."""
    _, height, width = image_shape
    if height % factor or width % factor:
        raise ValueError(f"{what} needs H and W divisible by {factor}, got {height}×{width}")


def check_input(x: torch.Tensor, image_shape: tuple[int, int, int], what: str) -> None:
    """ValueError unless x is a batch [B, C, H, W] of images of ``image_shape``."""
    if x.ndim != 4 or tuple(x.shape[1:]) != tuple(image_shape):
        raise ValueError(f"{what} expects images [B, {', '.join(map(str, image_shape))}], got shape {tuple(x.shape)}")


def scaled(length_at_reference: float, size: int) -> int:
    """A length of the 256-pixel setting scaled to an image side of ``size`` pixels, rounded, >= 1."""
    return max(1, round(length_at_reference * size / REFERENCE_SIZE))


def scaled_odd(length_at_reference: int, size: int, minimum: int = 3) -> int:
    """An odd kernel size scaled like :func:`scaled`, at least ``minimum`` (a kernel needs a centre)."""
    half = round((length_at_reference * size / REFERENCE_SIZE - 1) / 2)
    return max(minimum, 2 * half + 1)
