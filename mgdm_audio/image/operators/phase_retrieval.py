"""Fourier phase retrieval: Fourier magnitudes of the zero-padded image (docs/method.md#image-tasks)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from mgdm_audio.core.operators.base import Operator

from .geometry import check_image_shape, check_input


class PhaseRetrieval(Operator):
    """y = |FFT2(pad(x))| per channel, orthonormal FFT: [B, C, H, W] → [B, C, H + 2p_h, W + 2p_w].

    Zero padding of p_h = round(oversampling · H / 8) rows and p_w = round(oversampling · W / 8)
    columns on each side: 64 per side at 256 × 256 with oversampling 2, as published. The
    orthonormal FFT keeps norms (‖A(x)‖ = ‖x‖). The magnitudes cannot tell x from −x, nor from its
    180° rotation (a reflection of the padded frame), as the task intends. The gradient of |·| at a
    zero coefficient is taken as 0 (PyTorch's convention).

    Args:
        image_shape: (C, H, W). oversampling: >= 0.
    """

    def __init__(self, image_shape: tuple[int, int, int], oversampling: float = 2.0):
        super().__init__()
        if not oversampling >= 0:
            raise ValueError(f"oversampling must be >= 0, got {oversampling}")
        self.image_shape = check_image_shape(image_shape)
        _, height, width = self.image_shape
        self.pad_rows, self.pad_cols = round(oversampling * height / 8), round(oversampling * width / 8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, self.image_shape, "PhaseRetrieval")
        padded = F.pad(x, (self.pad_cols, self.pad_cols, self.pad_rows, self.pad_rows))
        return torch.fft.fft2(padded, norm="ortho").abs()
