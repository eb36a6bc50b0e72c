"""A lossy codec as a black-box forward model: an MP3 encode and decode round trip, with no gradient.

The codec runs in process through Spotify's ``pedalboard`` (LAME's encoder, variable bit rate), its output
aligned with its input. It has no derivative: samplers that need the likelihood's gradient refuse it
(:attr:`differentiable` is False, and a backward pass raises), and MGDM's derivative-free x_s update serves it.
"""

from __future__ import annotations

import numpy as np
import torch

from mgdm_audio.core.operators.base import Operator


class CodecRoundTrip(Operator):
    """y = decode(encode(x)) for waveforms x [B, L] (or [L]) at ``sample_rate`` Hz, MP3 at VBR quality
    ``quality`` (0 best … 9 worst, LAME's scale)."""

    differentiable = False

    def __init__(self, sample_rate: int, quality: float = 6.0):
        super().__init__()
        if not 0 <= quality <= 9:
            raise ValueError(f"MP3 VBR quality must lie in [0, 9], got {quality}")
        try:
            import pedalboard
        except ImportError:
            raise ImportError("the codec operator needs pedalboard: pip install pedalboard") from None
        self.sample_rate, self.quality = int(sample_rate), float(quality)
        self._codec = pedalboard.MP3Compressor(vbr_quality=self.quality)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _RoundTrip.apply(x, self)

    def encode_decode(self, x: np.ndarray) -> np.ndarray:
        """The round trip of float32 waveforms x [N, L], each coded on its own (the codec keeps no state)."""
        return np.stack([self._codec(row[None], self.sample_rate)[0] for row in x])


class _RoundTrip(torch.autograd.Function):
    """The codec in an autograd graph: values only; a backward pass is an error, not a silent zero."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, codec: CodecRoundTrip) -> torch.Tensor:
        flat = x.detach().reshape(-1, x.shape[-1]).to("cpu", torch.float32).numpy()
        return torch.from_numpy(codec.encode_decode(flat)).reshape(x.shape).to(x.device, x.dtype)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        raise RuntimeError("the codec has no gradient: use a derivative-free sampler (MGDM's x_s update pcn)")
