"""Blur: 2-D convolution of every channel with one kernel, reflect padding, same-size output."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from mgdm_audio.core.operators.base import LinearOperator

from .geometry import check_image_shape, check_input
from .padding import ReflectPad2d


class ReflectConvolution(LinearOperator):
    """y = k ∗ x per channel, on the reflect-padded image, cropped to the input size:
    [B, C, H, W] → [B, C, H, W].

    A = (valid convolution) ∘ (reflect padding); its adjoint is the transposed convolution
    followed by the padding's exact adjoint (padded entries folded back). Reflect padding breaks the
    circulant structure, so no SVD is offered.

    Args:
        kernel: [k_h, k_w] with odd sizes (stored in float64); a true convolution (the kernel is
            flipped relative to cross-correlation). image_shape: (C, H, W).
    """

    def __init__(self, kernel: torch.Tensor, image_shape: tuple[int, int, int]):
        super().__init__()
        kernel = torch.as_tensor(kernel, dtype=torch.float64)
        if kernel.ndim != 2 or kernel.shape[0] % 2 == 0 or kernel.shape[1] % 2 == 0:
            raise ValueError(f"the blur kernel must be 2-D with odd sizes, got shape {tuple(kernel.shape)}")
        self.image_shape = check_image_shape(image_shape)
        _, height, width = self.image_shape
        self.pad = ReflectPad2d(height, width, kernel.shape[0] // 2, kernel.shape[1] // 2)
        # conv2d correlates: flipping once here makes forward a convolution with ``kernel``.
        self.register_buffer("weight", kernel.flip(0, 1)[None, None])

    @property
    def kernel(self) -> torch.Tensor:
        """The convolution kernel [k_h, k_w] (float64)."""
        return self.weight[0, 0].flip(0, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, self.image_shape, type(self).__name__)
        padded = self.pad(x.flatten(0, 1)[:, None])
        return F.conv2d(padded, self.weight.to(x.device, x.dtype)).view_as(x)

    def adjoint(self, y: torch.Tensor) -> torch.Tensor:
        check_input(y, self.image_shape, f"{type(self).__name__}.adjoint")
        spread = F.conv_transpose2d(y.flatten(0, 1)[:, None], self.weight.to(y.device, y.dtype))
        return self.pad.adjoint(spread).view_as(y)
