"""Inpainting as a linear operator: the masked image, zeros where pixels are missing."""

from __future__ import annotations

import torch

from mgdm_audio.core.operators.base import LinearOperator

from .dense_svd import selection_svd
from .geometry import check_image_shape, check_input


class PixelMask(LinearOperator):
    """y = m ⊙ x for images x [B, C, H, W] → y [B, C, H, W], with a 0/1 mask m shared by all channels.

    The output keeps the image's shape (missing pixels are 0), so observations can be shown and
    saved as images. A is a diagonal projection: Aᵀ = A, and the likelihood ignores the missing
    entries (A x is 0 there whatever x).

    Args:
        keep: bool mask [H, W], True where the pixel is observed.
        channels: C.
    """

    def __init__(self, keep: torch.Tensor, channels: int):
        super().__init__()
        keep = torch.as_tensor(keep, dtype=torch.bool)
        if keep.ndim != 2:
            raise ValueError(f"the mask must be [H, W], got shape {tuple(keep.shape)}")
        self.image_shape = check_image_shape((channels, *keep.shape))
        self.register_buffer("keep", keep)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, self.image_shape, type(self).__name__)
        return x * self.keep.to(x.device, x.dtype)

    def adjoint(self, y: torch.Tensor) -> torch.Tensor:
        return self.forward(y)

    def svd(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """U = V = the observed coordinates' unit vectors [C·H·W, r], S = 1 (dense: small images only)."""
        return selection_svd(self.keep.expand(self.image_shape), type(self).__name__)
