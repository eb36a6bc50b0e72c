"""JPEG compression as a forward model, with a differentiable path for gradient-based samplers.

Baseline JPEG as libjpeg does it at a given quality, without chroma subsampling (4:4:4):
[−1, 1] → 8-bit RGB → 8-bit YCbCr (JFIF, full range) → minus 128 → orthonormal 8 × 8 block DCT-II
(the JPEG FDCT) → division by the IJG-scaled Annex K tables → rounding → multiplication back →
inverse DCT → plus 128 → 8-bit YCbCr → RGB → 8-bit pixels in [0, 255] → [−1, 1]. Grey images (C = 1)
skip the colour transform and use the luminance table. libjpeg's integer DCTs differ from these
exact ones by rounding only (measured: mean 0.05–0.3 grey levels per pixel against Pillow).

The codec rounds at three places (8-bit samples, coefficients, 8-bit pixels); :meth:`JPEG.exact`
rounds truly (for making observations), :meth:`JPEG.forward` with a differentiable surrogate:
- ``"straight_through"`` (default): the true rounding in value with the identity's gradient, so
  forward values equal :meth:`JPEG.exact`'s;
- ``"cubic"``: round(v) + (v − round(v))³ (Shin & Song, 2017), within 1/8 of the rounding in value,
  with a gradient 3 (v − round(v))² in [0, 3/4].
Clamping to [0, 255] keeps its true (zero outside) gradient.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from mgdm_audio.core.operators.base import Operator

from .geometry import check_divisible, check_image_shape, check_input

#: JPEG Annex K.1 luminance quantisation table (quality 50).
LUMINANCE_TABLE = [
    [16, 11, 10, 16, 24, 40, 51, 61],
    [12, 12, 14, 19, 26, 58, 60, 55],
    [14, 13, 16, 24, 40, 57, 69, 56],
    [14, 17, 22, 29, 51, 87, 80, 62],
    [18, 22, 37, 56, 68, 109, 103, 77],
    [24, 35, 55, 64, 81, 104, 113, 92],
    [49, 64, 78, 87, 103, 121, 120, 101],
    [72, 92, 95, 98, 112, 100, 103, 99],
]
#: JPEG Annex K.2 chrominance quantisation table (quality 50).
CHROMINANCE_TABLE = [
    [17, 18, 24, 47, 99, 99, 99, 99],
    [18, 21, 26, 66, 99, 99, 99, 99],
    [24, 26, 56, 99, 99, 99, 99, 99],
    [47, 66, 99, 99, 99, 99, 99, 99],
] + [[99] * 8] * 4
#: RGB → YCbCr (JFIF, full range), rows Y, Cb, Cr (Cb and Cr then offset by 128).
RGB_TO_YCBCR = [[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]]

#: JPEG centres 8-bit samples on 0 before the DCT.
LEVEL_SHIFT = 128.0

ROUNDINGS = ("straight_through", "cubic")


def quality_tables(quality: int) -> torch.Tensor:
    """Quantisation tables [2, 8, 8] (luminance, chrominance) scaled as libjpeg (IJG) does, baseline (≤ 255)."""
    if not 1 <= quality <= 100:
        raise ValueError(f"JPEG quality must be in [1, 100], got {quality}")
    scale = 5000 // quality if quality < 50 else 200 - 2 * quality
    tables = torch.tensor([LUMINANCE_TABLE, CHROMINANCE_TABLE], dtype=torch.float64)
    return torch.floor((tables * scale + 50) / 100).clamp(1, 255)


def dct_matrix(size: int = 8) -> torch.Tensor:
    """Orthonormal DCT-II matrix [size, size]: coefficients = D · block · Dᵀ."""
    n = torch.arange(size, dtype=torch.float64)
    matrix = torch.cos(math.pi * (2 * n[None, :] + 1) * n[:, None] / (2 * size)) * math.sqrt(2 / size)
    matrix[0] /= math.sqrt(2)
    return matrix


def _straight_through(v: torch.Tensor) -> torch.Tensor:
    return v + (torch.round(v) - v).detach()


def _cubic(v: torch.Tensor) -> torch.Tensor:
    rounded = torch.round(v).detach()
    return rounded + (v - rounded) ** 3


class JPEG(Operator):
    """y = JPEG decode(encode(x)) for images [B, C, H, W] in [−1, 1], C ∈ {1, 3}, H and W multiples of 8.

    Args:
        image_shape: (C, H, W). quality: IJG quality factor 1–100 (docs/method.md#image-tasks uses 2).
        rounding: the differentiable surrogate of :meth:`forward`, one of :data:`ROUNDINGS`.
    """

    def __init__(self, image_shape: tuple[int, int, int], quality: int = 2, rounding: str = "straight_through"):
        super().__init__()
        self.image_shape = check_image_shape(image_shape)
        if self.image_shape[0] not in (1, 3):
            raise ValueError(f"JPEG needs 1 (grey) or 3 (RGB) channels, got {self.image_shape[0]}")
        check_divisible(self.image_shape, 8, "JPEG")
        if rounding not in ROUNDINGS:
            raise ValueError(f"unknown rounding {rounding!r}; expected one of {ROUNDINGS}")
        self.quality, self.rounding = int(quality), rounding
        tables = quality_tables(self.quality)
        # One table per channel: luminance for Y (or grey), chrominance for Cb and Cr.
        self.register_buffer("tables", tables[[0, 1, 1][: self.image_shape[0]]])
        self.register_buffer("dct", dct_matrix())
        # 8-bit components = colour · pixels + offset (JFIF YCbCr: chroma offset by 128; grey: the pixels).
        colour = (
            torch.tensor(RGB_TO_YCBCR, dtype=torch.float64)
            if self.image_shape[0] == 3
            else torch.eye(1, dtype=torch.float64)
        )
        offset = torch.tensor([0.0, 128.0, 128.0][: self.image_shape[0]], dtype=torch.float64)
        self.register_buffer("colour", colour)
        self.register_buffer("colour_inverse", torch.linalg.inv(colour))
        self.register_buffer("offset", offset.view(-1, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The differentiable path: [B, C, H, W] → [B, C, H, W] in [−1, 1]."""
        check_input(x, self.image_shape, "JPEG")
        return self._codec(x, _straight_through if self.rounding == "straight_through" else _cubic)

    @torch.no_grad()
    def exact(self, x: torch.Tensor) -> torch.Tensor:
        """The codec itself, for making observations (no gradient): [B, C, H, W] → [B, C, H, W] in [−1, 1].

        As libjpeg, the YCbCr samples are 8-bit integers on both sides of the DCT and the decoded
        pixels are rounded to 8 bits.
        """
        check_input(x, self.image_shape, "JPEG")
        return self._codec(x, torch.round)

    def _codec(self, x: torch.Tensor, rounding: Callable[[torch.Tensor], torch.Tensor]) -> torch.Tensor:
        """Encode and decode with ``rounding`` at every integer conversion (samples, coefficients, pixels)."""
        batch, channels, height, width = x.shape
        colour, colour_inverse, offset, dct, tables = (
            t.to(x.device, x.dtype) for t in (self.colour, self.colour_inverse, self.offset, self.dct, self.tables)
        )
        components = torch.einsum("kc,bchw->bkhw", colour, (x + 1) * 127.5) + offset
        components = rounding(components).clamp(0, 255)
        blocks = (components - LEVEL_SHIFT).view(batch, channels, height // 8, 8, width // 8, 8)
        coefficients = torch.einsum("ui,bcyixj,vj->bcyuxv", dct, blocks, dct)
        steps = tables.view(1, channels, 1, 8, 1, 8)
        quantised = rounding(coefficients / steps) * steps
        blocks = torch.einsum("ui,bcyuxv,vj->bcyixj", dct, quantised, dct)
        components = blocks.reshape(batch, channels, height, width) + LEVEL_SHIFT
        components = rounding(components).clamp(0, 255)
        pixels = torch.einsum("ck,bkhw->bchw", colour_inverse, components - offset).clamp(0, 255)
        return rounding(pixels) / 127.5 - 1
