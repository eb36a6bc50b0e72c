"""Image inverse problems (docs/method.md#image-tasks): forward operators on batched images [B, C, H, W] in [−1, 1].

``make_task(name, (C, H, W), seed)`` builds the operator of a named task. The published geometry is
for 256 × 256 images; other sizes get it scaled by size / 256 (see :mod:`.geometry` and each
builder). Observations are y = A(x) + σ_y ε with σ_y = :data:`SIGMA_Y` [name], on the [−1, 1] scale.
Linear tasks are :class:`~mgdm_audio.operators.LinearOperator`: exact adjoints, and dense SVDs for
small images where the operator has one.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from mgdm_audio.core.operators.base import Operator

from . import masks
from .bicubic import BicubicDownsample
from .block_average import BlockAverage
from .convolution import ReflectConvolution
from .gaussian_blur import gaussian_blur
from .geometry import check_image_shape
from .hdr import HighDynamicRange
from .identity import Identity
from .jpeg import JPEG
from .mask import PixelMask
from .motion_blur import motion_blur
from .phase_retrieval import PhaseRetrieval

#: The image literature's observation noise, on images in [−1, 1] (0.025 on the [0, 1] scale).
DEFAULT_SIGMA_Y = 0.05

Builder = Callable[[tuple[int, int, int], int], Operator]


def _mask(make_keep: Callable[[int, int, int], torch.Tensor]) -> Builder:
    """A builder of :class:`PixelMask` from a mask maker (H, W, seed) → keep [H, W]."""
    return lambda shape, seed: PixelMask(make_keep(shape[1], shape[2], seed), shape[0])


#: name -> (short description, builder(image_shape, seed)).
_TASKS: dict[str, tuple[str, Builder]] = {
    "sr4": ("super-resolution ×4, mean over 4×4 blocks", lambda shape, seed: BlockAverage(shape, 4)),
    "sr16": ("super-resolution ×16, mean over 16×16 blocks", lambda shape, seed: BlockAverage(shape, 16)),
    "sr4_bicubic": (
        "super-resolution ×4, MATLAB bicubic with antialiasing",
        lambda shape, seed: BicubicDownsample(shape, 4),
    ),
    "box": (
        "inpainting, centre 150×150 box missing (rows/cols 50–199 at 256)",
        _mask(lambda h, w, seed: masks.center_box(h, w)),
    ),
    "random_box": ("inpainting, 128×128 box missing at a seeded position", _mask(masks.random_box)),
    "half": ("inpainting, right half missing", _mask(lambda h, w, seed: masks.right_half(h, w))),
    "random70": (
        "inpainting, 70% of pixels missing (seeded, same for all channels)",
        _mask(lambda h, w, seed: masks.random_pixels(h, w, 0.7, seed)),
    ),
    "gaussian_blur": (
        "deblurring, 61×61 Gaussian kernel, σ 3, reflect padding",
        lambda shape, seed: gaussian_blur(shape),
    ),
    "motion_blur": ("deblurring, 61×61 seeded random motion kernel, intensity 0.5, reflect padding", motion_blur),
    "jpeg": (
        "JPEG restoration, quality 2 (exact codec values, straight-through gradients)",
        lambda shape, seed: JPEG(shape, quality=2),
    ),
    "phase_retrieval": (
        "Fourier phase retrieval, |FFT| of the image zero-padded, oversampling 2",
        lambda shape, seed: PhaseRetrieval(shape),
    ),
    "hdr": ("high dynamic range, clip(2x, −1, 1)", lambda shape, seed: HighDynamicRange(shape)),
    "denoise": ("denoising, identity forward model", lambda shape, seed: Identity(shape)),
}

#: Task name -> short description.
TASKS: dict[str, str] = {name: description for name, (description, _) in _TASKS.items()}

#: Task name -> default σ_y on the [−1, 1] scale.
SIGMA_Y: dict[str, float] = {name: DEFAULT_SIGMA_Y for name in _TASKS}


def make_task(name: str, image_shape: tuple[int, int, int], seed: int = 0) -> Operator:
    """The forward operator of task ``name`` for images of ``image_shape`` = (C, H, W).

    ``seed`` fixes the random parts (random masks and box positions, the motion-blur kernel);
    deterministic tasks ignore it. ValueError for an unknown name or an unsupported shape.
    """
    if name not in _TASKS:
        raise ValueError(f"unknown image task {name!r}; known: {', '.join(_TASKS)}")
    return _TASKS[name][1](check_image_shape(image_shape), int(seed))


__all__ = [
    "TASKS",
    "SIGMA_Y",
    "DEFAULT_SIGMA_Y",
    "make_task",
    "BlockAverage",
    "BicubicDownsample",
    "PixelMask",
    "ReflectConvolution",
    "gaussian_blur",
    "motion_blur",
    "JPEG",
    "PhaseRetrieval",
    "HighDynamicRange",
    "Identity",
    "masks",
]
