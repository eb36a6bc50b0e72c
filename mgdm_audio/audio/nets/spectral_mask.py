"""A small spectrogram-mask separator: masks on the mixture's STFT, predicted by dilated convolutions over time.

The mixture's short-time Fourier transform X (Hann window) is compressed, log(1 + |X| / scale), read by a
stack of residual dilated 1-D convolutions (frequency bins as channels, so each layer sees the whole
spectrum), and turned into one mask per source with a softmax over the sources: the masks sum to 1 in every
time-frequency bin, so the sources sum to the mixture exactly (up to the STFT round trip). Each source is the
inverse STFT of its mask times X, with the mixture's phase.
"""

from __future__ import annotations

import torch
from torch import nn

from mgdm_audio.core.pretrained import register_net


class _Block(nn.Module):
    """x + conv1x1(GELU(GroupNorm(dilated conv(x)))), [B, C, T] → [B, C, T]."""

    def __init__(self, channels: int, kernel_size: int, dilation: int):
        super().__init__()
        self.conv = nn.Conv1d(
            channels, channels, kernel_size, dilation=dilation, padding=dilation * (kernel_size - 1) // 2
        )
        self.norm = nn.GroupNorm(1, channels)
        self.mix = nn.Conv1d(channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.mix(nn.functional.gelu(self.norm(self.conv(x))))


@register_net
class SpectralMask(nn.Module):
    """Mixture [B, L] → sources [B, S, L] (same length; any L ≥ 1).

    Args:
        num_sources: S.
        n_fft, hop_length: the STFT (Hann window of n_fft samples).
        channels: width of the convolution stack.
        num_blocks: residual blocks; block i has dilation 2^(i mod cycle), cycle = ``dilation_cycle``.
        kernel_size: of the dilated convolutions (odd).
        scale: magnitude compression log(1 + |X| / scale).
    """

    def __init__(
        self,
        num_sources: int,
        n_fft: int = 1024,
        hop_length: int = 256,
        channels: int = 256,
        num_blocks: int = 8,
        kernel_size: int = 3,
        dilation_cycle: int = 4,
        scale: float = 1e-3,
    ):
        super().__init__()
        if kernel_size % 2 != 1:
            raise ValueError(f"kernel_size must be odd, got {kernel_size}")
        self.config = dict(
            num_sources=num_sources,
            n_fft=n_fft,
            hop_length=hop_length,
            channels=channels,
            num_blocks=num_blocks,
            kernel_size=kernel_size,
            dilation_cycle=dilation_cycle,
            scale=scale,
        )
        self.num_sources = num_sources
        self.n_fft, self.hop_length, self.scale = n_fft, hop_length, scale
        bins = n_fft // 2 + 1
        self.register_buffer("window", torch.hann_window(n_fft), persistent=False)
        self.inp = nn.Conv1d(bins, channels, 1)
        self.blocks = nn.Sequential(
            *(_Block(channels, kernel_size, 2 ** (i % dilation_cycle)) for i in range(num_blocks))
        )
        self.out = nn.Conv1d(channels, num_sources * bins, 1)

    def forward(self, mixture: torch.Tensor) -> torch.Tensor:
        """mixture [B, L] → estimated sources [B, S, L]."""
        if mixture.ndim != 2:
            raise ValueError(f"expected a mixture [B, L], got shape {list(mixture.shape)}")
        length = mixture.shape[-1]
        # The STFT's reflect padding needs more than n_fft / 2 samples: pad short inputs with zeros.
        padded = nn.functional.pad(mixture, (0, max(0, self.n_fft - length)))
        spectrum = torch.stft(padded, self.n_fft, self.hop_length, window=self.window, return_complex=True)
        features = self.blocks(self.inp(torch.log1p(spectrum.abs() / self.scale)))
        batch, bins, frames = spectrum.shape
        masks = self.out(features).view(batch, self.num_sources, bins, frames).softmax(dim=1)
        sources = (masks * spectrum.unsqueeze(1)).reshape(batch * self.num_sources, bins, frames)
        audio = torch.istft(sources, self.n_fft, self.hop_length, window=self.window, length=padded.shape[-1])
        return audio.view(batch, self.num_sources, -1)[..., :length]
