"""High dynamic range reconstruction: a saturating, non-linear forward model."""

from __future__ import annotations

import torch

from mgdm_audio.core.operators.base import Operator

from .geometry import check_image_shape, check_input


class HighDynamicRange(Operator):
    """y = clip(gain · x, −1, 1) for images [B, C, H, W] in [−1, 1] (docs/method.md#image-tasks: gain 2).

    The gradient is zero where the output saturates, as for the published task.
    """

    def __init__(self, image_shape: tuple[int, int, int], gain: float = 2.0):
        super().__init__()
        if not gain > 0:
            raise ValueError(f"gain must be > 0, got {gain}")
        self.image_shape = check_image_shape(image_shape)
        self.gain = float(gain)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, self.image_shape, "HighDynamicRange")
        return (self.gain * x).clamp(-1.0, 1.0)
