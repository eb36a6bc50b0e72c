"""Denoising: the identity forward model."""

from __future__ import annotations

import torch

from mgdm_audio.core.operators.base import LinearOperator

from .dense_svd import selection_svd
from .geometry import check_image_shape, check_input


class Identity(LinearOperator):
    """y = x for images [B, C, H, W]; Aᵀ = A, SVD with U = V = I (dense: small images only)."""

    def __init__(self, image_shape: tuple[int, int, int]):
        super().__init__()
        self.image_shape = check_image_shape(image_shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, self.image_shape, "Identity")
        return x

    def adjoint(self, y: torch.Tensor) -> torch.Tensor:
        return self.forward(y)

    def svd(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return selection_svd(torch.ones(self.image_shape, dtype=torch.bool), "Identity")
